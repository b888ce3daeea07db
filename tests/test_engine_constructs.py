"""Constructs beyond the core set: each test model against PySD (N = 1 and per-member
parameters), Vensim's own arithmetic where PySD departs from it, and clean refusals."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from engine_support import (
    MODELS,
    assert_matches_pysd,
    check_ensemble,
    copy_model,
    pysd_model,
    pysd_run,
)

from chenzhou_water.engine import compile_model
from chenzhou_water.errors import ModelError, UnsupportedConstructError

MODELS_VS_PYSD = ["edge_cases.mdl", "chains.mdl", "macros.mdl", "excepts.mdl",
                  "subscripted_lookups.mdl", "subscript_copy.mdl", "time_value.mdl",
                  "invert_matrix.mdl", "subscript_mapping.mdl"]


@pytest.mark.parametrize("model", MODELS_VS_PYSD)
def test_model_matches_pysd_with_one_member(model: str, tmp_path: Path) -> None:
    path = copy_model(MODELS / model, tmp_path)
    engine = compile_model(path)
    dataset = engine.run()
    frame = pysd_run(pysd_model(path))
    assert assert_matches_pysd(dataset, 0, frame, engine) >= len(dataset.data_vars)


@pytest.mark.parametrize("model", MODELS_VS_PYSD)
def test_model_matches_pysd_with_per_member_parameters(model: str, tmp_path: Path) -> None:
    check_ensemble(copy_model(MODELS / model, tmp_path), members=4, seed=18)


def test_edge_cases_take_the_values_vensim_defines(tmp_path: Path) -> None:
    engine = compile_model(copy_model(MODELS / "edge_cases.mdl", tmp_path))
    out = engine.run()
    first = {name: out[name].values[0, 0] for name in out.data_vars}
    assert np.isnan(first["missing"])
    assert first["guarded"] == 7.0 + 0.0 - 1.0  # XIDZ/ZIDZ fall back where the divisor is 0
    np.testing.assert_array_equal(first["rates"], [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(first["position"], [1, 2, 3])
    np.testing.assert_array_equal(first["south_position"], [2 + 2, 3 + 2])
    np.testing.assert_array_equal(first["is_centre"], [0, 1, 0])
    assert first["counted"] == 3 + 2
    np.testing.assert_array_equal(first["delayed"], [0.5, 0.5, 0.5])
    # DELAY FIXED of 2 months: the input of two months earlier, for every region
    np.testing.assert_allclose(out["delayed"].values[0, 4], out["inflow"].values[0, 2],
                               rtol=1e-15)


def test_delay_n_order_is_set_once_at_initialisation(tmp_path: Path) -> None:
    """DELAY N(…, 2 + STEP(1, 10)) keeps order 2 after time 10 (an order-2 step response)."""
    engine = compile_model(copy_model(MODELS / "chains.mdl", tmp_path))
    assert engine.ir.nodes["delay_n_fixed"].kind == "auxiliary"
    delays = [n for n in engine.ir.nodes.values()
              if n.stateful is not None and n.stateful.kind == "delay_n"]
    assert len(delays) == 4
    out = engine.run(params={"delay order": np.array([1.0, 2.5, 3.9])}, members=3,
                     return_columns=["delay n varying", "delay n regional"])
    assert not np.allclose(out["delay_n_varying"].values[0], out["delay_n_varying"].values[1])


def test_each_macro_call_has_its_own_stocks(tmp_path: Path) -> None:
    engine = compile_model(copy_model(MODELS / "macros.mdl", tmp_path))
    stocks = [n for n, node in engine.ir.nodes.items()
              if node.stateful is not None and node.stateful.kind == "integ"]
    assert len(stocks) == 5  # a, b (two calls), c, and the call inside DOUBLED
    out = engine.run(params={"avg time": 2.0})
    # EXPAV(Time, T): dS/dt = (t - S)/T, S(0) = 0, Euler with dt = 0.5: S1 = 0, S2 = 0.125
    np.testing.assert_allclose(out["a"].values[0, :2], [0.0, 0.125], rtol=1e-15)


def test_except_leaves_out_the_listed_elements(tmp_path: Path) -> None:
    engine = compile_model(copy_model(MODELS / "excepts.mdl", tmp_path))
    out = engine.run(params={"scale": 2.0})
    np.testing.assert_array_equal(out["capacity"].values[0, 0], [4, 4, 7])
    np.testing.assert_array_equal(out["demand"].values[0, 1], [5, 4, 4])
    # wet: [demand+1, 3*scale, demand+1]; dry: [demand+1, Time, Time]
    np.testing.assert_array_equal(out["supply"].values[0, 1], [[6, 6, 5], [6, 1, 1]])


def test_subscripted_lookups_interpolate_each_elements_table(tmp_path: Path) -> None:
    engine = compile_model(copy_model(MODELS / "subscripted_lookups.mdl", tmp_path))
    out = engine.run(params={"scale": 0.5})
    # Time = 5, argument 2.5: north (0,0)-(5,2) -> 1; centre (0,1)-(10,3) -> 1.5;
    # south (0,5)-(4,1) -> 2.5
    np.testing.assert_allclose(out["x"].values[0, 5], [1.0, 1.5, 2.5], rtol=1e-15)
    with pytest.raises(ModelError, match="subscripted"):
        engine.run(params={"curve": ([0.0, 1.0], [0.0, 1.0])})


def _with_data(tmp_path: Path) -> Path:
    shutil.copytree(MODELS / "external", tmp_path / "external")
    return copy_model(MODELS / "external_data.mdl", tmp_path)


def test_external_csv_data_matches_pysd(tmp_path: Path) -> None:
    path = _with_data(tmp_path)
    engine = compile_model(path)
    scales = np.array([0.5, 1.0, 2.0])
    out = engine.run(params={"scale": scales}, members=3)
    reference = pysd_model(path)
    for member, scale in enumerate(scales):
        frame = pysd_run(reference, {"scale": float(scale)})
        assert_matches_pysd(out, member, frame, engine)
    # Time 2.0: inflow 1 + (3 - 1) * 2/5 = 1.8; demand 10.8 * 0.25; table (1,5),(2,7) at 0.4 -> 5
    assert out["used"].values[1, 2] == pytest.approx(1.8 + 10.8 * 0.25 + 5.0, rel=1e-12)


def test_a_changed_data_file_is_not_served_from_the_cache(tmp_path: Path) -> None:
    path = _with_data(tmp_path)
    assert compile_model(path).run()["rate"].values[0, 0] == 0.25
    (tmp_path / "external" / "consts.csv").write_text("name,value\nrate,0.5\n", encoding="utf-8")
    assert compile_model(path).run()["rate"].values[0, 0] == 0.5


def test_a_missing_data_file_is_a_located_error(tmp_path: Path) -> None:
    path = tmp_path / "nofile.mdl"
    path.write_text("{UTF-8}\nx := GET XLS DATA('f.xlsx', 'tab', 'A', 'B2') ~~|\n" + _TAIL,
                    encoding="utf-8")
    with pytest.raises(ModelError, match=r"nofile\.mdl: variable 'x': cannot read the external"):
        compile_model(path)


def test_external_excel_data_is_read_with_pysds_loader(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "series"
    for row in (["time", "flow"], [0, 2.0], [10, 4.0]):
        sheet.append(row)
    book.create_sheet("constants").append(["k", 3.5])
    book.save(tmp_path / "book.xlsx")
    path = tmp_path / "excel.mdl"
    path.write_text(
        "{UTF-8}\nflow := GET XLS DATA('book.xlsx', 'series', 'A', 'B2') ~~|\n"
        "k = GET XLS CONSTANTS('book.xlsx', 'constants', 'B1') ~~|\n"
        "y = flow * k ~~|\n" + _TAIL.replace("FINAL TIME = 4", "FINAL TIME = 10"),
        encoding="utf-8")
    engine = compile_model(path)
    out = engine.run()
    np.testing.assert_allclose(out["y"].values[0], 3.5 * (2.0 + 0.2 * np.arange(11.0)),
                               rtol=1e-12)
    frame = pysd_run(pysd_model(path))
    assert_matches_pysd(out, 0, frame, engine)


def test_get_time_value_relative_to_the_initial_time(tmp_path: Path) -> None:
    """PySD does not implement relativeto = 1; Vensim defines it as INITIAL TIME + offset."""
    path = tmp_path / "start.mdl"
    path.write_text("{UTF-8}\nx = GET TIME VALUE(1, 0.5, 0) + Time ~~|\n"
                    + _TAIL.replace("INITIAL TIME = 0", "INITIAL TIME = 2"), encoding="utf-8")
    out = compile_model(path).run_arrays()
    np.testing.assert_array_equal(out["x"][0], 2.5 + np.arange(2.0, 5.0))


def test_invert_matrix_gives_each_members_inverse() -> None:
    engine = compile_model(MODELS / "invert_matrix.mdl")
    out = engine.run_arrays(params={"scale": np.array([0.5, 2.0])}, members=2)
    for member in range(2):
        for step in (0, 4):
            product = out["matrix"][member, step] @ out["inverse"][member, step]
            np.testing.assert_allclose(product, np.eye(3), atol=1e-12)


def test_a_mapped_range_selects_the_range_it_maps_onto(tmp_path: Path) -> None:
    """``supply[city] = output[city]`` with output over plant and city -> plant: supply[c_i]
    reads output[p_i] (PySD gives the same values but labels them with plant's elements)."""
    text = (MODELS / "subscript_mapping.mdl").read_text(encoding="utf-8")
    path = tmp_path / "mapping.mdl"
    path.write_text(text.replace("INITIAL TIME", "supply[city] = output[city] + Time ~~|\n"
                                 "INITIAL TIME", 1), encoding="utf-8")
    out = compile_model(path).run_arrays()
    np.testing.assert_array_equal(out["supply"][0, 2], [12.0, 22.0, 32.0])
    np.testing.assert_array_equal(out["mixed"][0, 0], [10.0, 40.0, 90.0])


def _vensim_delay(inputs: np.ndarray, initial: float, delay_time: float, order: int,
                  dt: float) -> np.ndarray:
    """Vensim's DELAY1/DELAY3 written as its stocks: ``order`` stages of T/order each."""
    stage_time = delay_time / order
    stocks = np.full(order, initial * stage_time)
    outputs = []
    for value in inputs:
        outflows = stocks / stage_time
        outputs.append(outflows[-1])
        inflows = np.concatenate([[value], outflows[:-1]])
        stocks = stocks + dt * (inflows - outflows)
    return np.array(outputs)


def test_delay1_and_delay3_keep_their_order_like_vensim(tmp_path: Path) -> None:
    path = copy_model(MODELS / "short_delay3.mdl", tmp_path)
    engine = compile_model(path)
    delay_times = np.array([2.0, 2.5])
    out = engine.run(params={"delay time": delay_times}, members=2)
    times = engine.saved_times()
    inputs = 1.0 + (times + 0.5 > 2)
    for member, delay_time in enumerate(delay_times):
        expected3 = _vensim_delay(inputs, 1.0, delay_time, 3, 1.0)
        expected1 = _vensim_delay(inputs, 3.0, delay_time / 2, 1, 1.0)
        np.testing.assert_allclose(out["delayed3"].values[member], expected3, rtol=1e-12)
        np.testing.assert_allclose(out["delayed1"].values[member], expected1, rtol=1e-12)
    # PySD lowers DELAY3 to order 2 here (3 x TIME STEP > delay time): a documented difference
    frame = pysd_run(pysd_model(path), {"delay_time": 2.0})
    assert np.max(np.abs(frame["delayed3"].to_numpy() - out["delayed3"].values[0])) > 0.1


_HEAD = "{UTF-8}\nregion: north, south ~~|\n"
_TAIL = "INITIAL TIME = 0 ~~|\nFINAL TIME = 4 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = 1 ~~|\n"
_REFUSED = {
    "RANDOM UNIFORM in a subscripted": "x[region] = RANDOM UNIFORM(0, 1, 3) ~~|\n",
    "RANDOM EXPONENTIAL": "x = RANDOM EXPONENTIAL(0, 1, 0, 1, 3) ~~|\n",
    "EXCEPT clause on a target": ("half: south ~~|\nx[half] :EXCEPT: [south] = 1 ~~|\n"
                                  "x[north] = 2 ~~|\n"),
    "a mapping onto": "other: b1, b2, b3 -> region ~~|\nx[other] = 1 ~~|\n",
    "subscripted GET CONSTANTS": "x[region] = GET DIRECT CONSTANTS('c.csv', ',', 'B2') ~~|\n",
    "INVERT MATRIX of an expression over": ("v[region] = 1 ~~|\n"
                                            "x[region] = INVERT MATRIX(v[region], 2) ~~|\n"),
    "VECTOR SELECT": "v[region] = 1 ~~|\nx = VECTOR SELECT(v[region!], v[region!], 0, 0, 0) ~~|\n",
    "GET TIME VALUE": "x = GET TIME VALUE(0, 0, 1) ~~|\n",
    "ALLOCATE AVAILABLE": "x = ALLOCATE AVAILABLE(1, 1, 1) ~~|\n",
}


@pytest.mark.parametrize("construct", sorted(_REFUSED))
def test_unsupported_constructs_are_refused_naming_file_variable_construct(
        construct: str, tmp_path: Path) -> None:
    path = tmp_path / "refused.mdl"
    path.write_text(_HEAD + _REFUSED[construct] + _TAIL, encoding="utf-8")
    with pytest.raises(UnsupportedConstructError) as info:
        compile_model(path, use_cache=False)
    message = str(info.value)
    assert message.startswith("refused.mdl: ")
    assert construct in message
    assert "'x'" in message or "'other'" in message or "'t'" in message


def test_random_streams_are_per_member_reproducible_and_chunk_independent() -> None:
    engine = compile_model(MODELS / "random.mdl")
    first = engine.run_arrays(members=40, seed=1)
    again = engine.run_arrays(members=40, seed=1, chunk_members=7)
    other = engine.run_arrays(members=40, seed=2)
    for name in ("noise", "rain", "other"):
        np.testing.assert_array_equal(first[name], again[name])
        assert not np.array_equal(first[name], other[name])
    assert len({tuple(row[:5]) for row in first["noise"]}) == 40  # members differ
    # the stock integrates each member's own draws (Euler, dt = 1)
    np.testing.assert_allclose(first["stock"][:, 1:], np.cumsum(first["noise"][:, :-1], axis=1),
                               rtol=1e-9, atol=1e-9)


def test_random_draws_follow_their_distributions() -> None:
    from scipy import stats

    draws = compile_model(MODELS / "random.mdl").run_arrays(members=40, seed=3)
    noise, rain = draws["noise"].ravel(), draws["rain"].ravel()  # 40 040 draws each
    assert noise.min() >= -1.0
    assert noise.max() < 1.0
    assert stats.kstest(noise, stats.uniform(-1, 2).cdf).pvalue > 1e-4
    assert rain.min() >= 0.0
    assert rain.max() <= 10.0
    truncated = stats.truncnorm((0 - 4) / 2, (10 - 4) / 2, loc=4, scale=2)
    assert stats.kstest(rain, truncated.cdf).pvalue > 1e-4
    # two call sites are two streams
    assert abs(np.corrcoef(noise, draws["other"].ravel())[0, 1]) < 0.05
