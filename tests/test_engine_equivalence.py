"""The ensemble engine against PySD's own runs: every saved value, member by member."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from engine_support import (
    MODELS,
    PROJECT_MODEL,
    assert_matches_pysd,
    check_ensemble,
    copy_model,
    pysd_model,
    pysd_run,
)

from chenzhou_water.engine import compile_model


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHENZHOU_WATER_CACHE", str(tmp_path / "cache"))


def test_every_construct_matches_pysd_for_random_members(tmp_path: Path) -> None:
    check_ensemble(copy_model(MODELS / "constructs.mdl", tmp_path), members=3, seed=1)


def test_subscripted_model_matches_pysd(tmp_path: Path) -> None:
    path = copy_model(MODELS / "subscripts.mdl", tmp_path)
    engine = compile_model(path)
    per_capita = np.array([0.11, 0.15, 0.19])
    dataset = engine.run(params={"demand per capita": per_capita}, members=3)
    reference = pysd_model(path)
    compared = 0
    for member, value in enumerate(per_capita):
        frame = pysd_run(reference, {"demand_per_capita": float(value)})
        compared += assert_matches_pysd(dataset, member, frame, engine)
    assert compared > 100


def test_time_series_inputs_match_pysd(tmp_path: Path) -> None:
    path = copy_model(MODELS / "constructs.mdl", tmp_path)
    engine = compile_model(path)
    times = np.arange(0.0, 49.0)
    shared = pd.Series(5 + np.sin(times / 3), index=times)
    per_member = np.stack([3 + np.cos(times / (k + 2)) for k in range(2)])
    dataset = engine.run(params={"inflow base": shared}, series={"smooth_time": per_member},
                         members=2)
    reference = pysd_model(path)
    for member in range(2):
        frame = pysd_run(reference, {
            "inflow_base": shared,
            "smooth_time": pd.Series(per_member[member], index=times),
        })
        assert_matches_pysd(dataset, member, frame, engine)


def test_lookup_replacement_matches_pysd(tmp_path: Path) -> None:
    path = copy_model(MODELS / "constructs.mdl", tmp_path)
    engine = compile_model(path)
    x, y = [0.0, 4.0, 8.0, 12.0], [0.4, 1.6, 1.2, 0.4]
    dataset = engine.run(params={"seasonal": (x, y)})
    frame = pysd_run(pysd_model(path), {"seasonal": pd.Series(y, index=x)})
    assert_matches_pysd(dataset, 0, frame, engine)


def test_per_member_lookup_tables_match_pysd_member_by_member(tmp_path: Path) -> None:
    path = copy_model(MODELS / "constructs.mdl", tmp_path)
    engine = compile_model(path)
    x = np.array([0.0, 3.0, 6.0, 9.0, 12.0])
    rng = np.random.default_rng(7)
    y = rng.uniform(0.2, 2.0, size=(4, 5))  # one seasonal profile per member
    dataset = engine.run(params={"seasonal": (x, y)}, members=4)
    reference = pysd_model(path)
    for member in range(4):
        frame = pysd_run(reference, {"seasonal": pd.Series(y[member], index=x)})
        assert assert_matches_pysd(dataset, member, frame, engine) >= len(dataset.data_vars)


def test_per_member_lookups_hold_their_end_values_outside_the_table_as_pysd_does(
    tmp_path: Path,
) -> None:
    """Vensim's rule: a lookup holds its first value before its first point and its last value
    after its last point (no extrapolation). ``month of year`` runs over 0..11, so these tables
    (points at months 2 to 8) are read below and above their range every year."""
    path = copy_model(MODELS / "constructs.mdl", tmp_path)
    engine = compile_model(path)
    x = np.array([2.0, 5.0, 8.0])
    y = np.array([[0.5, 1.5, 0.9], [1.8, 0.3, 2.0], [0.4, 0.4, 1.6]])  # steep at both ends
    dataset = engine.run(params={"seasonal": (x, y)}, members=3)
    reference = pysd_model(path)
    for member in range(3):
        frame = pysd_run(reference, {"seasonal": pd.Series(y[member], index=x)})
        assert_matches_pysd(dataset, member, frame, engine)
    # By hand: inflow = inflow base (5) * seasonal(month of year) + terms without the table, so
    # the difference to a run with an all-zero table is 5 * the lookup's value.
    zero = engine.run(params={"seasonal": (x, np.zeros((3, 3)))}, members=3)
    lookup = (dataset["inflow"].values - zero["inflow"].values) / 5.0
    months = np.arange(dataset.sizes["time"]) % 12
    for member in range(3):
        np.testing.assert_allclose(lookup[member, months == 0], y[member, 0], rtol=1e-12)
        np.testing.assert_allclose(lookup[member, months == 1], y[member, 0], rtol=1e-12)
        np.testing.assert_allclose(lookup[member, months == 9], y[member, -1], rtol=1e-12)
        np.testing.assert_allclose(lookup[member, months == 11], y[member, -1], rtol=1e-12)
        np.testing.assert_allclose(lookup[member, months == 8], y[member, -1], rtol=1e-12)
        # month 4 lies 2/3 of the way from the point at month 2 to the one at month 5
        np.testing.assert_allclose(lookup[member, months == 4],
                                   y[member, 0] + (y[member, 1] - y[member, 0]) * 2 / 3,
                                   rtol=1e-12)


@pytest.mark.slow
@pytest.mark.skipif(not PROJECT_MODEL.is_file(), reason="project model not written yet")
def test_project_model_matches_pysd_for_random_members(tmp_path: Path) -> None:
    check_ensemble(copy_model(PROJECT_MODEL, tmp_path), members=3, seed=2015)


@pytest.mark.slow
@pytest.mark.skipif(not PROJECT_MODEL.is_file(), reason="project model not written yet")
def test_project_model_results_are_pinned_to_pysd(tmp_path: Path) -> None:
    """The Chenzhou model's results stay those of PySD to 1e-12 (the engine reproduces PySD's
    arithmetic operation by operation), whatever constructs the engine learns."""
    path = copy_model(PROJECT_MODEL, tmp_path)
    engine = compile_model(path)
    dataset = engine.run()
    frame = pysd_run(pysd_model(path))
    assert assert_matches_pysd(dataset, 0, frame, engine, rtol=1e-12) >= len(dataset.data_vars)


@pytest.mark.parametrize("model", [PROJECT_MODEL, *sorted(MODELS.glob("*.mdl"))],
                         ids=lambda p: p.name)
def test_the_fast_lookup_call_is_pysds_own_on_every_table(model: Path, tmp_path: Path) -> None:
    """The suite's PySD runs replace PySD's table call by ``np.interp`` (see conftest): on every
    table the models declare, at its points, between them and beyond both ends, the replacement
    gives PySD's own value to the last bit or to 1e-13, and falls back to PySD where it must."""
    from pysd.py_backend.lookups import Lookups

    if (model.parent / "external").is_dir():
        shutil.copytree(model.parent / "external", tmp_path / "external")
    reference = pysd_model(copy_model(model, tmp_path))
    tables = [v for v in vars(reference.components._components).values()
              if isinstance(v, Lookups)]
    fast = Lookups._call
    assert hasattr(fast, "original"), "the suite's PySD runs are meant to use the fast call"
    original = fast.original
    rng = np.random.default_rng(3)
    for table in tables:
        xs = table.data["lookup_dim"].values
        span = xs[-1] - xs[0] or 1.0
        points = np.concatenate([xs, rng.uniform(xs[0] - span, xs[-1] + span, 40),
                                 [xs[0] - 1e6, xs[-1] + 1e6]])
        for x in points:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # PySD warns each time it holds an end value
                want = original(table, table.data, float(x))
                got = fast(table, table.data, float(x))
            np.testing.assert_allclose(np.asarray(got, dtype=float),
                                       np.asarray(want, dtype=float), rtol=1e-13, atol=0,
                                       err_msg=f"{table.py_name} at {x}")
    if model == PROJECT_MODEL:
        assert len(tables) >= 20, "the project model's tables were not found"
