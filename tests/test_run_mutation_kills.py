"""The ``run`` command's library function, as mutation testing of ``scenario/run.py`` found it
untested (issue 19): the stages it reports, the files it writes, its refusal to overwrite, and
the headline table it returns; the monthly table by hand."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import xarray as xr

from chenzhou_water.errors import ValidationError
from chenzhou_water.scenario.run import (
    headline_table,
    monthly_table,
    run_files,
    run_scenario_file,
    write_run_outputs,
)

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory, _cache_dir):
    out = tmp_path_factory.mktemp("run")
    stages: list[tuple[str, int, int]] = []
    outputs = run_scenario_file(BASELINE, out, plots=False,
                                progress=lambda *stage: stages.append(stage))
    return out, outputs, stages


def test_a_run_reports_each_stage_before_it_starts(baseline_run):
    _, _, stages = baseline_run
    assert stages == [("checking the scenario", 0, 0),
                      ("running baseline on the numpy engine", 0, 0),
                      ("writing the files", 0, 0)]


def test_a_run_writes_the_three_tables_it_names_and_no_plot_when_told(baseline_run):
    out, outputs, _ = baseline_run
    assert [outputs.netcdf, outputs.summary_csv, outputs.monthly_csv] == run_files(out, "baseline")
    assert run_files(out, "baseline") == [out / "baseline.nc", out / "baseline_summary.csv",
                                          out / "baseline_monthly.csv"]
    assert outputs.plots == ()
    assert sorted(p.name for p in out.iterdir()) == ["baseline.nc", "baseline_monthly.csv",
                                                     "baseline_summary.csv"]
    with xr.open_dataset(outputs.netcdf) as ds:
        assert ds.attrs["engine"] == "chenzhou_water.engine"
        assert ds.attrs["scenario_name"] == "baseline"


def test_a_run_refuses_an_earlier_result_unless_told_to_overwrite(baseline_run):
    out, _, _ = baseline_run
    before = (out / "baseline.nc").stat().st_mtime_ns
    with pytest.raises(ValidationError) as info:
        run_scenario_file(BASELINE, out, plots=False, overwrite=False)
    assert [str(p) for p in info.value.problems] == [
        f"{out / 'baseline.nc'}: --out: already exists (and 2 more of its files), from an "
        "earlier run; pass --overwrite to replace it, or choose another place"]
    assert (out / "baseline.nc").stat().st_mtime_ns == before


def test_the_headline_table_has_the_headline_years_that_the_run_holds(baseline_run):
    _, outputs, _ = baseline_run
    assert list(outputs.headline.columns) == [2020, 2025, 2030, 2035, 2050]
    with xr.open_dataset(outputs.netcdf) as ds:
        assert list(headline_table(ds.load(), years=(2060, 2030, 2015)).columns) == [2030, 2015]


def test_more_tables_join_the_set_and_each_final_path_is_announced(baseline_run, tmp_path):
    _, outputs, _ = baseline_run
    announced: list[Path] = []
    extra = pd.DataFrame({"a": [1, 2]})
    with xr.open_dataset(outputs.netcdf) as ds:
        written = write_run_outputs(ds.load(), "b", tmp_path, plots=False,
                                    on_file=announced.append, tables={"b_extra.csv": extra})
    assert announced == [*run_files(tmp_path, "b"), tmp_path / "b_extra.csv"]
    assert (written.netcdf, written.summary_csv, written.monthly_csv) == tuple(
        run_files(tmp_path, "b"))
    assert (tmp_path / "b_extra.csv").read_bytes() == b"\xef\xbb\xbf,a\n0,1\n1,2\n"


def _members(storage_m3: list[list[float]], leakage: list[list[float]]) -> xr.Dataset:
    return xr.Dataset(
        {"reservoir_storage": (("member", "time"), storage_m3, {"units": "m3"}),
         "leakage_rate": (("member", "time"), leakage, {"units": "Dmnl"}),
         "capacity": (("member",), [1.0] * len(storage_m3))},  # not a series: left out
        coords={"time": [0.0, 1.0]},
    )


@pytest.mark.parametrize(("storage", "leakage", "stat", "expected_storage", "expected_leakage"), [
    ([[1e6, 2e6], [3e6, 5e6], [2e6, 9e6]], [[0.1, 0.2], [0.3, 0.2], [0.2, 0.1]], "median",
     [2.0, 5.0], [20.0, 20.0]),
    ([[1e6, 2e6], [3e6, 6e6]], [[0.1, 0.2], [0.3, 0.4]], "median", [2.0, 4.0], [20.0, 30.0]),
    ([[1e6, 2e6], [3e6, 7e6]], [[0.1, 0.2], [0.3, 0.4]], "max", [3.0, 7.0], [30.0, 40.0]),
    ([[3e6, 5e6]], [[0.3, 0.2]], "median", [3.0, 5.0], [30.0, 20.0]),
])
def test_the_monthly_table_is_the_members_statistic_in_display_units(
    storage, leakage, stat, expected_storage, expected_leakage
):
    ds = _members(storage, leakage)
    frame = monthly_table(ds) if stat == "median" else monthly_table(ds, stat)
    expected = pd.DataFrame(
        {"reservoir_storage [million m³]": expected_storage, "leakage_rate [%]": expected_leakage},
        index=pd.Index([0.0, 1.0], name="time"),
    )
    pd.testing.assert_frame_equal(frame, expected)
