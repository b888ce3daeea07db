"""Engine behaviour that needs no PySD reference: closed forms, errors, cache, pickling, API."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from engine_support import MODELS, copy_model
from hypothesis import given, settings
from hypothesis import strategies as st

import chenzhou_water.engine.compiler as compiler
from chenzhou_water.engine import Model, compile_model
from chenzhou_water.engine.cache import entry_path
from chenzhou_water.errors import ModelError, UnsupportedConstructError

CONTROLS = """INITIAL TIME = 0 ~ Month ~ |
FINAL TIME = 12 ~ Month ~ |
TIME STEP = 1 ~ Month ~ |
SAVEPER = TIME STEP ~ Month ~ |
"""


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHENZHOU_WATER_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def reservoir(tmp_path: Path) -> Model:
    return compile_model(copy_model(MODELS / "linear_reservoir.mdl", tmp_path))


def _write(tmp_path: Path, body: str, name: str = "toy.mdl") -> Path:
    path = tmp_path / name
    path.write_text("{UTF-8}\n" + body + CONTROLS, encoding="utf-8")
    return path


def test_linear_reservoir_follows_its_closed_form(reservoir: Model) -> None:
    k = np.array([0.02, 0.1, 0.4])
    s0 = np.array([10.0, 100.0, 1000.0])
    out = reservoir.run_arrays({"recession constant": k, "initial storage": s0}, members=3)
    t = out["time"]
    dt = 0.125
    euler = s0[:, None] * (1 - k[:, None] * dt) ** (t[None, :] / dt)
    np.testing.assert_allclose(out["storage"], euler, rtol=1e-11)
    # first-order convergence to the continuous solution: relative error below k² dt t
    exact = s0[:, None] * np.exp(-k[:, None] * t[None, :])
    bound = k[:, None] ** 2 * dt * t[None, :]
    assert np.all(np.abs(out["storage"] / exact - 1) <= bound + 1e-12)


def test_members_with_equal_parameters_are_identical(reservoir: Model) -> None:
    single = reservoir.run_arrays({"recession constant": 0.3})
    ensemble = reservoir.run_arrays({"recession constant": np.full(4, 0.3)}, members=4)
    np.testing.assert_array_equal(ensemble["storage"], np.repeat(single["storage"], 4, axis=0))


def test_chunked_runs_equal_one_pass(reservoir: Model) -> None:
    k = np.linspace(0.01, 0.5, 7)
    whole = reservoir.run_arrays({"recession constant": k}, members=7)
    chunked = reservoir.run_arrays({"recession constant": k}, members=7, chunk_members=3)
    np.testing.assert_array_equal(whole["release"], chunked["release"])


SEASONAL_X = np.array([0.0, 3.0, 6.0, 9.0, 12.0])
SEASONAL_Y = np.array([0.5, 1.2, 1.8, 1.1, 0.5])


@pytest.fixture
def constructs(tmp_path: Path) -> Model:
    return compile_model(copy_model(MODELS / "constructs.mdl", tmp_path))


def test_per_member_tables_equal_one_run_per_table(constructs: Model) -> None:
    factors = np.array([0.5, 1.0, 1.7, 0.0, 1.3])
    tables = factors[:, None] * SEASONAL_Y
    together = constructs.run_arrays({"seasonal": (SEASONAL_X, tables)}, members=5)
    for member, table in enumerate(tables):
        alone = constructs.run_arrays({"seasonal": (SEASONAL_X, table)})
        for name, values in alone.items():
            if name != "time":
                np.testing.assert_array_equal(together[name][member], values[0], err_msg=name)


def test_per_member_tables_are_sorted_by_x_and_sliced_by_chunk(constructs: Model) -> None:
    rng = np.random.default_rng(3)
    tables = rng.uniform(0.2, 2.0, size=(7, 5))
    order = np.array([3, 0, 4, 1, 2])  # x given out of order: each row follows its x
    params = {"seasonal": (SEASONAL_X[order], tables[:, order]), "inflow base": np.arange(7.0)}
    whole = constructs.run_arrays(params, members=7)
    sorted_x = constructs.run_arrays({"seasonal": (SEASONAL_X, tables),
                                      "inflow base": np.arange(7.0)}, members=7)
    for chunk in (1, 3, 7):
        chunked = constructs.run_arrays(params, members=7, chunk_members=chunk)
        for name in whole:
            np.testing.assert_array_equal(chunked[name], whole[name], err_msg=name)
            np.testing.assert_array_equal(sorted_x[name], whole[name], err_msg=name)


def test_per_member_tables_vary_a_member_invariant_model(tmp_path: Path) -> None:
    """A lookup of time alone becomes member-varying with one table per member."""
    body = ("curve([(0,0)-(12,10)],(0,0),(6,3),(12,10)) ~ ~ |\n"
            "rate = curve(Time) ~ ~ |\nx = INTEG(rate, 0) ~ ~ |\n")
    model = compile_model(_write(tmp_path, body))
    xs = np.array([0.0, 6.0, 12.0])
    ys = np.array([[0.0, 3.0, 10.0], [1.0, 1.0, 1.0], [10.0, 3.0, 0.0]])
    out = model.run_arrays({"curve": (xs, ys)}, members=3)
    for member in range(3):
        expected = np.interp(out["time"], xs, ys[member])
        np.testing.assert_array_equal(out["rate"][member], expected)


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ((SEASONAL_X, np.ones((2, 5))), r"lookup 'seasonal' has x of shape \(5,\) and y of "
         r"shape \(2, 5\); expected x of shape \(k,\) with k >= 1 and y of shape \(k,\) "
         r"\(one table\) or \(3, k\) \(one table per member\), here k = 5"),
        ((SEASONAL_X, np.ones((3, 4))), r"y of shape \(3, 4\).*or \(3, k\).*k = 5"),
        ((SEASONAL_X, np.ones((3, 5, 1))), r"y of shape \(3, 5, 1\)"),
        ((np.ones((3, 5)), np.ones((3, 5))), r"x of shape \(3, 5\)"),
        ((np.array([]), np.ones((3, 0))), r"x of shape \(0,\)"),
        (5.0, r"lookup 'seasonal' must be given as \(x, y\) or a pandas Series"),
    ],
)
def test_badly_shaped_tables_are_refused(constructs: Model, table: object,
                                         expected: str) -> None:
    with pytest.raises(ModelError, match=rf"constructs\.mdl: .*{expected}"):
        constructs.run_arrays({"seasonal": table}, members=3)


def test_only_requested_outputs_are_stored(reservoir: Model) -> None:
    ds = reservoir.run(return_columns=["Storage"])
    assert list(ds.data_vars) == ["storage"]
    assert ds["storage"].attrs["units"] == "m3"
    assert "linear reservoir" in ds["storage"].attrs["description"]
    assert ds.attrs["engine"] == "chenzhou_water.engine"
    assert ds.attrs["model_sha256"] == reservoir.sha256
    assert ds["time"].dtype.kind == "f"


def test_calendar_time_coordinate_from_start_date(tmp_path: Path) -> None:
    model = compile_model(copy_model(MODELS / "constructs.mdl", tmp_path))
    ds = model.run(return_columns=["storage"], final_time=14)
    assert str(ds["time"].values[0])[:10] == "2015-01-01"
    assert str(ds["time"].values[13])[:10] == "2016-02-01"
    np.testing.assert_array_equal(ds["model_time"].values, np.arange(15.0))


def test_unknown_names_suggest_the_nearest(reservoir: Model) -> None:
    with pytest.raises(ModelError, match=r"recesion constant.*'recession_constant'"):
        reservoir.run({"recesion constant": 0.2})
    with pytest.raises(ModelError, match="'storage'"):
        reservoir.run(return_columns=["storag"])


def test_badly_shaped_parameters_are_refused(reservoir: Model) -> None:
    with pytest.raises(ModelError, match="one value per member"):
        reservoir.run({"recession constant": np.ones(3)}, members=2)


def test_series_replace_a_variable_per_member(reservoir: Model) -> None:
    t = 60 * 8 + 1
    released = np.vstack([np.zeros(t), np.full(t, 2.0)])
    out = reservoir.run_arrays(series={"release": released}, members=2)
    np.testing.assert_allclose(out["storage"][0], 100.0)
    np.testing.assert_allclose(out["storage"][1, -1], 100.0 - 2.0 * 60, rtol=1e-12)


@pytest.mark.parametrize(
    ("equation", "construct"),
    [
        ("x = GET TIME VALUE(0, 0, 1)", "GET TIME VALUE"),
        ("x = RANDOM POISSON(0, 1, 1, 0, 1, 0)", "RANDOM POISSON"),
        ("x = ALLOCATE AVAILABLE(a, 1, 1)", "ALLOCATE AVAILABLE"),
    ],
)
def test_unsupported_construct_names_file_variable_and_construct(
    tmp_path: Path, equation: str, construct: str
) -> None:
    path = _write(tmp_path, f"a = 1 ~ ~ |\n{equation} ~ ~ |\n")
    with pytest.raises(UnsupportedConstructError, match=rf"toy\.mdl.*'x'.*{construct}"):
        compile_model(path)


def test_algebraic_loop_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"algebraic loop.*b -> a"):
        compile_model(_write(tmp_path, "a = b + 1 ~ ~ |\nb = a * 2 ~ ~ |\n"))


def test_data_variable_needs_a_series(tmp_path: Path) -> None:
    path = _write(tmp_path, "rain :INTERPOLATE: ~ mm ~ |\nrunoff = rain * 0.5 ~ mm ~ |\n")
    model = compile_model(path)
    with pytest.raises(ModelError, match="rain"):
        model.run()
    out = model.run_arrays(series={"rain": np.arange(13.0)}, return_columns=["runoff"])
    np.testing.assert_allclose(out["runoff"][0], np.arange(13.0) * 0.5)


def test_cache_hit_skips_translation_and_change_is_a_miss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "a = 2 ~ ~ |\nx = INTEG(a, 0) ~ ~ |\n")
    first = compile_model(path)
    assert entry_path(first.sha256, ".pkl").is_file()
    source = entry_path(first.sha256, ".py").read_text(encoding="utf-8")
    assert source.startswith(f"# generated from toy.mdl {first.sha256} — do not edit")

    def no_translation(*args: object) -> None:
        raise AssertionError("translated again")

    monkeypatch.setattr(compiler, "read_abstract_model", no_translation)
    again = compile_model(path)
    np.testing.assert_array_equal(again.run_arrays()["x"], first.run_arrays()["x"])

    path.write_text(path.read_text(encoding="utf-8").replace("a = 2", "a = 3"), encoding="utf-8")
    with pytest.raises(AssertionError, match="translated again"):
        compile_model(path)
    monkeypatch.undo()
    changed = compile_model(path)
    assert changed.sha256 != first.sha256
    assert changed.run_arrays()["x"][0, -1] == 36.0


def test_pickle_round_trip(reservoir: Model) -> None:
    before = reservoir.run_arrays({"recession constant": [0.1, 0.2]}, members=2)
    clone = pickle.loads(pickle.dumps(reservoir))
    after = clone.run_arrays({"recession constant": [0.1, 0.2]}, members=2)
    np.testing.assert_array_equal(before["storage"], after["storage"])
    assert clone.variables["storage"].units == "m3"


@settings(max_examples=25, deadline=None)
@given(
    k=st.lists(st.floats(0.01, 0.5), min_size=1, max_size=5),
    s0=st.floats(10.0, 1000.0),
)
def test_linear_reservoir_water_balance_closes(tmp_path_factory: pytest.TempPathFactory,
                                               k: list[float], s0: float) -> None:
    model = _reservoir_model(tmp_path_factory)
    members = len(k)
    out = model.run_arrays({"recession constant": np.array(k), "initial storage": s0},
                           members=members, saveper=0.125)
    storage, release = out["storage"], out["release"]
    released = np.cumsum(release[:, :-1] * 0.125, axis=1)
    np.testing.assert_allclose(storage[:, 1:] + released, s0, rtol=1e-9)
    assert np.all(storage >= 0)
    assert np.all(np.diff(storage, axis=1) <= 0)


_MODEL_CACHE: dict[str, Model] = {}


def _reservoir_model(factory: pytest.TempPathFactory) -> Model:
    if "reservoir" not in _MODEL_CACHE:
        directory = factory.mktemp("reservoir")
        _MODEL_CACHE["reservoir"] = compile_model(
            copy_model(MODELS / "linear_reservoir.mdl", directory), use_cache=False)
    return _MODEL_CACHE["reservoir"]


def test_saved_times_without_running(reservoir: Model) -> None:
    np.testing.assert_array_equal(reservoir.saved_times(), reservoir.run_arrays()["time"])
    np.testing.assert_array_equal(reservoir.saved_times(saveper=2),
                                  reservoir.run_arrays(saveper=2)["time"])
