"""Time-series calibration targets: a CSV of observations end to end, the fit statistics,
and a located error (exit status 2, nothing written) for each kind of bad CSV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from chenzhou_water.calibration import load_targets
from chenzhou_water.calibration.series import statistics
from cli import app
from tests.conftest import ROOT

TRUTH = {"mean_annual_runoff": 4.2e9, "initial_population": 920_000.0}
PARAMETERS = {"parameters": {"mean_annual_runoff": {"bounds": [3.5e9, 5.5e9]},
                             "initial_population": {"bounds": [850000, 1000000]}}}


def _series_folder(model, folder, *, inflow_rows=None, population_rows=None, entry=None):
    """A targets file with a monthly inflow series and a yearly population series, both
    computed by the model at :data:`TRUTH` (1 % noise-free uncertainty)."""
    arrays = model.run_arrays(params={k: np.array([v]) for k, v in TRUTH.items()}, members=1,
                              final_time=71, return_columns=["reservoir_inflow",
                                                             "population_central_city"])
    inflow = arrays["reservoir_inflow"][0] / 1e6  # million m3 per month
    population = arrays["population_central_city"][0].reshape(-1, 12).mean(axis=1)
    (folder / "obs").mkdir(exist_ok=True)
    if inflow_rows is None:
        inflow_rows = ["time,value,uncertainty"] + [
            f"2016-{m:02d},{inflow[12 + m - 1]:.6f},{0.01 * inflow[12 + m - 1]:.6f}"
            for m in range(1, 13)]
    if population_rows is None:
        population_rows = ["time,value"] + [f"{2015 + y},{population[y]:.3f}"
                                            for y in range(1, 5)]
    (folder / "obs" / "inflow.csv").write_text("\n".join(inflow_rows) + "\n", encoding="utf-8")
    (folder / "obs" / "population.csv").write_text("\n".join(population_rows) + "\n",
                                                    encoding="utf-8")
    targets = {
        "inflow_2016": {"observations": "obs/inflow.csv", "variable": "reservoir_inflow",
                        "reduce": "monthly", "unit": "1e6*m3/Month", "tolerance": 5.0,
                        "likelihood": "normal", "hard": False, "source": "the model itself"},
        "population": {"observations": "obs/population.csv",
                       "variable": "population_central_city", "reduce": "annual_mean",
                       "unit": "person", "tolerance": 2000, "hard": True,
                       "source": "the model itself"},
    }
    targets["inflow_2016"].update(entry or {})
    (folder / "targets.yaml").write_text(yaml.safe_dump({"targets": targets}, sort_keys=False),
                                         encoding="utf-8")
    (folder / "parameters.yaml").write_text(yaml.safe_dump(PARAMETERS), encoding="utf-8")
    return folder / "targets.yaml"


def _calibrate(path, out):
    return CliRunner().invoke(app, [
        "calibrate", str(path), "--scenario", str(ROOT / "scenarios" / "baseline.yaml"),
        "--out", str(out), "--popsize", "6", "--maxiter", "30", "--chains", "2", "--walkers",
        "8", "--steps", "40"])


@pytest.mark.slow
def test_a_series_target_is_fitted_end_to_end(compiled_model, tmp_path):
    path = _series_folder(compiled_model, tmp_path)
    out = tmp_path / "out"
    result = _calibrate(path, out)
    assert result.exit_code == 0, result.output
    fit = pd.read_csv(out / "fit.csv", encoding="utf-8-sig", index_col="target")
    inflow = fit.loc["inflow_2016"]
    assert inflow["n_obs"] == 12
    assert inflow["NSE"] > 0.999
    assert inflow["KGE"] > 0.99
    assert abs(inflow["PBIAS"]) < 0.1
    assert fit.loc["population", "n_obs"] == 4
    assert fit["within tolerance"].all()
    overlay = yaml.safe_load((out / "calibrated.yaml").read_text(encoding="utf-8"))
    for name, truth in TRUTH.items():
        assert overlay["parameters"][name] == pytest.approx(truth, rel=2e-3), name
    for png in ("fit.png", "fit_series.png", "trace.png", "rank.png", "pair.png"):
        assert (out / png).stat().st_size > 1000, png
    _posterior_run_and_report(out, tmp_path)


def _posterior_run_and_report(calibration, tmp_path):
    """``run --posterior`` over the calibration's draws gives bands; the report shows them."""
    runs = tmp_path / "runs"
    result = CliRunner().invoke(app, ["run", str(ROOT / "scenarios" / "baseline.yaml"),
                                      "--posterior", str(calibration), "--draws", "6",
                                      "--out", str(runs)])
    assert result.exit_code == 0, result.output
    assert "median of the posterior draws" in result.output
    quantiles = pd.read_csv(runs / "baseline_quantiles.csv", encoding="utf-8-sig",
                            index_col="year")
    population = quantiles.filter(like="population").loc[2016]
    low, mid, high = population.to_numpy()
    assert low < high  # the draws differ in initial_population: a band, not a line
    assert low <= mid <= high
    import matplotlib.pyplot as plt
    import xarray as xr
    from matplotlib.collections import PolyCollection

    from chenzhou_water.report.figures import plot_storage

    with xr.open_dataset(runs / "baseline.nc") as ds:
        assert ds.sizes["member"] == 6
        assert ds.attrs["posterior_draws"] == 6
        ax = plot_storage({"baseline": ds.load()})  # the report's figure: a fan chart
    assert ax.get_title().endswith("(median, 5–95 %)")
    assert any(isinstance(c, PolyCollection) for c in ax.collections)
    plt.close(ax.figure)
    page = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", str(runs / "baseline.nc"), "--out", str(page)])
    assert result.exit_code == 0, result.output
    assert "6 members" in page.read_text(encoding="utf-8")


def test_run_posterior_needs_a_calibration_folder(tmp_path):
    (tmp_path / "posterior.csv").write_text("draw,no_such_constant\n0,1\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(ROOT / "scenarios" / "baseline.yaml"),
                                      "--posterior", str(tmp_path), "--out",
                                      str(tmp_path / "runs")])
    assert result.exit_code == 2, result.output
    assert "posterior.csv:1: column 'no_such_constant': not a constant" in result.output
    assert not (tmp_path / "runs").exists()


def test_fit_statistics_match_their_definitions():
    obs = np.array([1.0, 2.0, 3.0, 4.0])
    assert statistics(obs, obs) == {"n_obs": 4.0, "NSE": 1.0, "KGE": 1.0, "PBIAS": 0.0,
                                    "RMSE": 0.0}
    sim = obs + 1.0  # a pure bias of 1: NSE = 1 - 4/5, PBIAS = 4/10, KGE from beta = 1.4
    stats = statistics(sim, obs)
    assert stats["NSE"] == pytest.approx(0.2)
    assert stats["PBIAS"] == pytest.approx(40.0)
    assert stats["RMSE"] == pytest.approx(1.0)
    assert stats["KGE"] == pytest.approx(1 - 0.4)


BAD_CASES = {
    "unknown variable": ({"entry": {"variable": "reservoir_inflw"}},
                         "targets.yaml:4: targets.inflow_2016.variable: unknown model variable "
                         "'reservoir_inflw'; did you mean 'reservoir_inflow'?"),
    "unit mismatch": ({"entry": {"unit": "m3/Day"}},
                      "targets.yaml:6: targets.inflow_2016.unit: inconsistent units"),
    "time outside the run": ({"inflow_rows": ["time,value", "2051-01,3"]},
                             "inflow.csv:2: column 'time': 2051-01 is outside the model's run"),
    "non-numeric cell": ({"inflow_rows": ["time,value", "2016-01,3", "2016-02,lots"]},
                         "inflow.csv:3: column 'value': 'lots' is not a number"),
    "missing column": ({"inflow_rows": ["time,uncertainty", "2016-01,3"]},
                       "inflow.csv:1: missing column 'value'"),
    "year where a month is needed": ({"inflow_rows": ["time,value", "2016,3"]},
                                     "inflow.csv:2: column 'time': '2016' is not a month"),
    "repeated time": ({"population_rows": ["time,value", "2016,9e5", "2016,9e5"]},
                      "population.csv:3: column 'time': 2016 repeats line 2"),
    "unknown likelihood": ({"entry": {"likelihood": "poisson"}},
                           "targets.inflow_2016.likelihood: unknown likelihood 'poisson'"),
    "a point value as well": ({"entry": {"value": 3}},
                              "targets.inflow_2016.value: a time-series target takes no 'value'"),
    "negative weight": ({"entry": {"weight": -1}},
                        "targets.inflow_2016.weight: the weight must not be negative"),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_a_bad_series_gets_a_located_error_exit_2_and_no_output(compiled_model, tmp_path,
                                                                case):
    options, message = BAD_CASES[case]
    path = _series_folder(compiled_model, tmp_path, **options)
    out = tmp_path / "out"
    result = _calibrate(path, out)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split()), result.output
    assert not out.exists()


def test_the_example_series_targets_file_loads():
    targets = load_targets(ROOT / "calibration" / "examples" / "leakage_audit.yaml")
    (target,) = targets
    assert target.observations is not None
    assert target.observations.by_year
    assert target.reported.startswith("2 obs")


def test_too_few_walkers_is_bad_input_before_any_work(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [
        "calibrate", str(ROOT / "calibration" / "targets.yaml"), "--walkers", "20",
        "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "--walkers: 20 walkers per chain: give a multiple of 4, at least twice the" in \
        " ".join(result.output.split())
    assert not out.exists()
