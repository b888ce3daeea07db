"""What ``run_scenario`` returns, worked out by hand on a small model (issue 19, mutation
testing of ``scenario/run.py``): the scenario's parameters and levers bound, per-member
overrides and series on top, the engine chosen by name (PySD runs the small model in a
second), the caps checked and recorded, the scenario recorded in the result's attributes, the
files and the headline a run writes and returns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

from chenzhou_water.errors import CapBindingWarning, ChenzhouWaterError
from chenzhou_water.scenario.run import (
    monthly_table,
    run_scenario,
    run_scenario_file,
    scenario_params,
    write_run_outputs,
)
from chenzhou_water.scenario.spec import load_scenario

# Six years, monthly from January 2015 to December 2020. The storage only fills, so by Euler's rule
# storage(t) = capacity / 2 + inflow * t; the leakage rate is the lever's table at the year.
MODEL = """{UTF-8}
reservoir capacity = 1e9 ~ m3 [0, ?] ~ Storage volume. |
inflow per month = 2e7 ~ m3/Month [0, ?] ~ Natural inflow. |
real loss share = 0.3 ~ Dmnl [0, 1] ~ Real losses in produced water. |
leakage target([(2015,0)-(2020,1)],(2015,0.2),(2020,0.2)) ~ Dmnl ~ Target by year. |
start year = 2015 ~ Year ~ The calendar year at model time 0. |
year = start year + Time / 12 ~ Year ~ Decimal calendar year. |
leakage rate = leakage target(year) ~ Dmnl ~ Leakage share. |
real loss rate = real loss share ~ Dmnl ~ Real loss share. |
reservoir inflow = inflow per month ~ m3/Month ~ Inflow. |
reservoir storage = INTEG(reservoir inflow, reservoir capacity * 0.5) ~ m3 ~ Stored volume. |
INITIAL TIME = 0 ~ Month ~ start date 2015-01-01 |
FINAL TIME = 71 ~ Month ~ December 2020. |
TIME STEP = 1 ~ Month ~ |
SAVEPER = TIME STEP ~ Month ~ |
"""
MONTHS = np.arange(72.0)
#: The lever of BOUND by hand: 0.1 in January 2015 to 0.3 in January 2017 in a straight line
#: (+ 0.1 a year), then its last value.
LEAKAGE = 0.1 + 0.1 * np.minimum(MONTHS, 24) / 12


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("run_by_hand")
    (path / "small.mdl").write_text(MODEL, encoding="utf-8")
    return path


def _scenario(folder, name: str, body: str):
    path = folder / f"{name}.yaml"
    path.write_text(f"name: {name}\n{body}", encoding="utf-8")
    return load_scenario(path)


BOUND = """model: small.mdl
parameters: {reservoir_capacity: 300000000, inflow_per_month: 1000000}
levers:
  leakage_target: {2015: 0.1, 2017: 0.3}
outputs: [reservoir_storage, leakage_rate]
"""


def test_the_scenarios_parameters_and_levers_are_what_the_model_runs(folder):
    scenario = _scenario(folder, "bound", BOUND)
    ds = run_scenario(scenario)  # the defaults: the numpy engine, one member
    assert ds.attrs["engine"] == "chenzhou_water.engine"
    assert sorted(ds.data_vars) == ["leakage_rate", "reservoir_storage"]
    assert ds["reservoir_storage"].shape == (1, 72)
    np.testing.assert_allclose(ds["reservoir_storage"].values[0], 1.5e8 + 1e6 * MONTHS,
                               rtol=1e-12)
    np.testing.assert_allclose(ds["leakage_rate"].values[0], LEAKAGE, rtol=1e-12)
    assert ds.attrs["caps_binding"] == "none"
    params = scenario_params(scenario)
    assert params["reservoir_capacity"] == 3e8
    np.testing.assert_array_equal(params["leakage_target"][0], [2015.0, 2017.0])
    np.testing.assert_array_equal(params["leakage_target"][1], [0.1, 0.3])


def test_per_member_overrides_and_a_given_series_go_on_top_of_the_scenario(folder):
    scenario = _scenario(folder, "bound", BOUND)
    ds = run_scenario(scenario, members=3,
                      params={"reservoir_capacity": np.array([2e8, 4e8, 6e8])},
                      series={"reservoir_inflow": np.full(72, 5e6)})
    assert ds["reservoir_storage"].shape == (3, 72)
    expected = np.array([1e8, 2e8, 3e8])[:, None] + 5e6 * MONTHS
    np.testing.assert_allclose(ds["reservoir_storage"].values, expected, rtol=1e-12)
    np.testing.assert_allclose(ds["leakage_rate"].values, np.tile(LEAKAGE, (3, 1)),
                               rtol=1e-12)


def _with_inflow_table(folder, flow: float):
    rows = "".join(f"{y},{m},{flow}\n" for y in range(2015, 2021) for m in range(1, 13))
    (folder / "flows.csv").write_text(f"year,month,inflow_m3\n{rows}", encoding="utf-8")
    return _scenario(folder, "tabled", "extends: bound.yaml\ninflow_file: flows.csv\n"
                                       "outputs: [reservoir_storage, reservoir_inflow]\n")


def test_the_scenarios_inflow_table_is_the_inflow_unless_the_caller_gives_one(folder):
    _scenario(folder, "bound", BOUND)
    scenario = _with_inflow_table(folder, 4e6)
    table = run_scenario(scenario)
    np.testing.assert_allclose(table["reservoir_inflow"].values[0], 4e6, rtol=1e-12)
    np.testing.assert_allclose(table["reservoir_storage"].values[0], 1.5e8 + 4e6 * MONTHS,
                               rtol=1e-12)
    given = run_scenario(scenario, series={"reservoir_inflow": np.full(72, 7e6)})
    np.testing.assert_allclose(given["reservoir_inflow"].values[0], 7e6, rtol=1e-12)


def test_an_unknown_engine_is_refused_with_the_choices(folder):
    scenario = _scenario(folder, "bound", BOUND)
    with pytest.raises(ChenzhouWaterError) as info:
        run_scenario(scenario, engine="vensim")
    assert str(info.value) == "unknown engine 'vensim'; choose one of numpy, pysd"


def test_pysd_runs_the_bound_scenario_with_its_table_and_the_callers_series(folder):
    # PySD, the reference, translates the small model in a few seconds: the same figures by hand.
    _scenario(folder, "bound", BOUND)
    scenario = _with_inflow_table(folder, 4e6)
    with pytest.raises(ChenzhouWaterError) as info:
        run_scenario(scenario, engine="pysd", members=2)
    assert str(info.value) == "the PySD engine runs one member at a time; use --members 1"
    ds = run_scenario(scenario, engine="pysd", params={"reservoir_capacity": 4e8})
    assert ds.attrs["engine"] == "pysd"
    assert sorted(ds.data_vars) == ["reservoir_inflow", "reservoir_storage"]
    assert ds.attrs["scenario_name"] == "tabled"
    np.testing.assert_allclose(ds["reservoir_inflow"].values[0], 4e6, rtol=1e-12)
    np.testing.assert_allclose(ds["reservoir_storage"].values[0], 2e8 + 4e6 * MONTHS,
                               rtol=1e-12)
    # A series of shape (member, time) given by the caller wins over the table.
    given = run_scenario(scenario, engine="pysd",
                         series={"reservoir_inflow": np.full((1, 72), 6e6)})
    np.testing.assert_allclose(given["reservoir_storage"].values[0], 1.5e8 + 6e6 * MONTHS,
                               rtol=1e-12)
    # The lever's table reaches PySD as a table by year.
    leakage = run_scenario(_scenario(folder, "bound", BOUND), engine="pysd")["leakage_rate"]
    np.testing.assert_allclose(leakage.values[0], LEAKAGE, rtol=1e-12)


# Half-month steps from model time 12: a series given on this grid is placed at times 12, 12.5,
# ..., 15, not at 0, 1, 2, ... (its positions).
HALF_MONTHS = """{UTF-8}
inflow per month = 2e7 ~ m3/Month [0, ?] ~ Natural inflow. |
reservoir inflow = inflow per month ~ m3/Month ~ Inflow. |
reservoir storage = INTEG(reservoir inflow, 1e8) ~ m3 ~ Stored volume. |
INITIAL TIME = 12 ~ Month ~ |
FINAL TIME = 15 ~ Month ~ |
TIME STEP = 0.5 ~ Month ~ |
SAVEPER = TIME STEP ~ Month ~ |
"""


@pytest.mark.parametrize("engine", ["numpy", "pysd"])
def test_a_series_is_placed_on_the_models_own_time_grid(folder, engine):
    (folder / "half.mdl").write_text(HALF_MONTHS, encoding="utf-8")
    scenario = _scenario(folder, "half", "model: half.mdl\n"
                                         "outputs: [reservoir_storage, reservoir_inflow]\n")
    inflow = 1e6 * np.arange(1.0, 8.0)  # m³/month at model times 12, 12.5, ..., 15
    ds = run_scenario(scenario, engine=engine, series={"reservoir_inflow": inflow})
    assert sorted(ds.data_vars) == ["reservoir_inflow", "reservoir_storage"]
    np.testing.assert_allclose(ds["reservoir_inflow"].values[0], inflow, rtol=1e-12)
    # Euler: each half month adds half the month's inflow at its start.
    storage = 1e8 + 0.5 * np.concatenate([[0.0], np.cumsum(inflow[:-1])])
    np.testing.assert_allclose(ds["reservoir_storage"].values[0], storage, rtol=1e-12)


CAPPED = """model: small.mdl
parameters: {real_loss_share: 0.5}
levers:
  leakage_target: {2015: 0.5, 2016: 0.6}
"""


def test_caps_that_bind_warn_with_the_scenarios_name_and_are_recorded(folder):
    # Not among the outputs, the capped variables are computed to check them, then dropped.
    scenario = _scenario(folder, "capped", CAPPED + "outputs: [reservoir_storage]\n")
    with pytest.warns(CapBindingWarning) as caught:
        ds = run_scenario(scenario)
    leakage = ("leakage_rate sits at its cap of 0.6 (MIN(0.6, ...) in the model) in 60 months "
               "from 2016-01 to 2020-12: its equation gives more there, and the capped value "
               "is used")
    real = ("real_loss_rate sits at its cap of 0.5 (MIN(0.5, ...) in the model) in 72 months "
            "from 2015-01 to 2020-12: its equation gives more there, and the capped value is "
            "used")
    assert [str(w.message) for w in caught] == [f"capped: {leakage}", f"capped: {real}"]
    assert ds.attrs["caps_binding"] == f"{leakage}; {real}"
    assert list(ds.data_vars) == ["reservoir_storage"]
    # Among the outputs, a capped variable stays.
    kept = _scenario(folder, "kept", CAPPED + "outputs: [leakage_rate]\n")
    with pytest.warns(CapBindingWarning) as caught:
        ds = run_scenario(kept)
    assert [str(w.message) for w in caught] == [f"kept: {leakage}", f"kept: {real}"]
    assert list(ds.data_vars) == ["leakage_rate"]


def test_the_result_records_the_scenario_it_ran(folder):
    _scenario(folder, "bound", BOUND)
    scenario = _scenario(folder, "child", "extends: bound.yaml\n"
                                          "parameters: {inflow_per_month: 2000000}\n")
    attrs = run_scenario(scenario).attrs
    assert attrs["scenario_name"] == "child"
    assert attrs["scenario_file"] == "child.yaml"
    assert attrs["scenario_files"] == "child.yaml, bound.yaml"
    assert attrs["caps_binding"] == "none"
    resolved = yaml.safe_load(attrs["scenario_resolved"])
    assert resolved["model"] == "small.mdl"
    assert resolved["parameters"] == {"reservoir_capacity": 3e8, "inflow_per_month": 2e6}
    assert resolved["levers"] == {"leakage_target": {2015: 0.1, 2017: 0.3}}


def test_the_monthly_table_converts_each_series_by_its_own_units_and_keeps_one_member():
    # A run of one month and one member; only (member, time) variables are columns, whatever
    # comes first. A volume outside the contract is converted by its model units (m³ -> million
    # m³), and a dimensionless number that is not a share is shown as it is, not in %.
    ds = xr.Dataset(
        {"capacity": (("member",), [4e8], {"units": "m3"}),
         "lake_volume": (("member", "time"), [[2.5e6]], {"units": "m3"}),
         "dc_pue": (("member", "time"), [[1.3]], {"units": "Dmnl"}),
         "year": (("time",), [2015.0])},
        coords={"member": [0], "time": [0.0]},
    )
    expected = pd.DataFrame({"lake_volume [million m³]": [2.5], "dc_pue": [1.3]},
                            index=pd.Index([0.0], name="time"))
    pd.testing.assert_frame_equal(monthly_table(ds), expected)
    # One member is shown as it is, whatever the statistic of several would be.
    pd.testing.assert_frame_equal(monthly_table(ds, "std"), expected)


PNG = b"\x89PNG\r\n\x1a\n"


def test_a_run_file_draws_its_plots_and_replaces_its_earlier_result_by_default(folder, tmp_path):
    _scenario(folder, "bound", BOUND)
    announced: list[Path] = []
    outputs = run_scenario_file(folder / "bound.yaml", tmp_path)
    # The small model has the storage and the leakage rate: those two plots, none other.
    assert outputs.plots == (tmp_path / "bound_storage.png", tmp_path / "bound_leakage.png")
    assert [p.read_bytes()[:8] for p in outputs.plots] == [PNG, PNG]
    assert (outputs.netcdf, outputs.summary_csv, outputs.monthly_csv) == (
        tmp_path / "bound.nc", tmp_path / "bound_summary.csv", tmp_path / "bound_monthly.csv")
    # The headline of 2020, the one headline year the run holds: the lowest storage (January,
    # 150 + 60 million m³) and the mean leakage rate (the lever's last value, 30 %).
    assert list(outputs.headline.index) == ["Lowest reservoir storage [million m³]",
                                            "Network leakage rate [%]"]
    assert list(outputs.headline.columns) == [2020]
    np.testing.assert_allclose(outputs.headline[2020].to_numpy(), [210.0, 30.0], rtol=1e-12)
    monthly = pd.read_csv(outputs.monthly_csv, encoding="utf-8-sig", index_col="time")
    np.testing.assert_allclose(monthly["reservoir_storage [million m³]"], 150 + MONTHS,
                               rtol=1e-12)
    # Again into the same folder: replaced, and each final path told when asked.
    with xr.open_dataset(outputs.netcdf) as ds:
        again = write_run_outputs(ds.load(), "bound", tmp_path, on_file=announced.append)
    assert again.plots == outputs.plots
    assert announced == [outputs.netcdf, outputs.summary_csv, outputs.monthly_csv,
                         *outputs.plots]
    assert run_scenario_file(folder / "bound.yaml", tmp_path, plots=False).plots == ()


def test_a_run_file_runs_on_the_engine_it_is_told(folder, tmp_path):
    _scenario(folder, "bound", BOUND)
    stages: list[str] = []
    outputs = run_scenario_file(folder / "bound.yaml", tmp_path, engine="pysd", plots=False,
                                progress=lambda stage, done, total: stages.append(stage))
    assert stages[1] == "running bound on the pysd engine"
    with xr.open_dataset(outputs.netcdf) as ds:
        assert ds.attrs["engine"] == "pysd"
        np.testing.assert_allclose(ds["reservoir_storage"].values[0], 1.5e8 + 1e6 * MONTHS,
                                   rtol=1e-12)
