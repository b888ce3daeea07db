"""The scenario key ``inflow_file``: a monthly reservoir inflow table (issue 12, point 9)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from scenario_support import problems_of
from typer.testing import CliRunner

from chenzhou_water.errors import ValidationError
from chenzhou_water.scenario.run import run_scenario
from chenzhou_water.scenario.spec import load_scenario
from chenzhou_water.sweep.spec import load_sweep
from cli import app

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
DESIGNED = ROOT / "scenarios" / "designed_drought.yaml"
MONTHS = 432  # January 2015 to December 2050
HEADER = "year,month,inflow_m3\n"


def _rows(value=lambda year, month: 1.5e8) -> list[str]:
    return [f"{y},{m},{value(y, m)}\n" for y in range(2015, 2051) for m in range(1, 13)]


def _scenario(tmp_path: Path, lines: list[str], extra: str = "") -> Path:
    """A scenario extending the baseline with an inflow table holding ``lines``."""
    (tmp_path / "flows").mkdir(parents=True, exist_ok=True)
    (tmp_path / "flows" / "table.csv").write_text("".join(lines), encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(
        f"name: s\nextends: '{BASELINE.as_posix()}'\ninflow_file: flows/table.csv\n{extra}",
        encoding="utf-8",
    )
    return path


def test_the_shipped_table_replaces_the_inflow_and_draws_the_lake_down():
    base, designed = load_scenario(BASELINE), load_scenario(DESIGNED)
    assert designed.inflow is not None
    assert len(designed.inflow) == MONTHS
    a, b = run_scenario(base), run_scenario(designed)
    np.testing.assert_allclose(b["reservoir_inflow"].values[0], designed.inflow, rtol=1e-12)
    storage_a, storage_b = a["reservoir_storage"].values[0], b["reservoir_storage"].values[0]
    history = slice(0, 12 * 7 + 6)  # up to June 2022: the table holds the mean year
    np.testing.assert_allclose(storage_b[history], storage_a[history], rtol=1e-9)
    # Four years at 55 % of the mean take 1.9e9 m³ of inflow a year away; the dispatch chart's
    # hedging saves part of it, so the lake ends 2030 between 0.5e9 and 3e9 m³ lower.
    end_2030 = 12 * 16 - 1
    assert 0.5e9 < storage_a[end_2030] - storage_b[end_2030] < 3e9
    assert b["reservoir_level"].values[0][end_2030] < a["reservoir_level"].values[0][end_2030] - 5
    # With mean years after 2030 the lake refills to the baseline's level within five years.
    assert abs(storage_b[12 * 21 - 1] - storage_a[12 * 21 - 1]) < 0.01 * storage_a[12 * 21 - 1]


def test_a_table_that_doubles_the_inflow_adds_its_volume_to_the_lake(tmp_path):
    # Every month at the same flow: storage must rise above a table at half that flow, and the
    # inflow reaching the model is the table's, month by month.
    low = load_scenario(_scenario(tmp_path / "low", [HEADER, *_rows(lambda y, m: 1.0e8)]))
    high = load_scenario(_scenario(tmp_path / "high", [HEADER, *_rows(lambda y, m: 2.0e8)]))
    a, b = run_scenario(low), run_scenario(high)
    assert (b["reservoir_inflow"].values == 2.0e8).all()
    assert b["reservoir_storage"].values[0, 24] > a["reservoir_storage"].values[0, 24]


def test_the_file_path_is_relative_to_the_scenario_and_recorded_by_name(tmp_path):
    scenario = load_scenario(_scenario(tmp_path, [HEADER, *_rows()]))
    assert scenario.inflow_file == (tmp_path / "flows" / "table.csv").resolve()
    assert scenario.portable_dict()["inflow_file"] == "table.csv"
    child = tmp_path / "child.yaml"
    child.write_text("name: child\nextends: s.yaml\n", encoding="utf-8")
    assert load_scenario(child).inflow == scenario.inflow  # inherited through extends


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda r: [HEADER, *r[:-1]], "table.csv: 1 of the run's 432 months are missing: 2050-12"),
        (lambda r: [HEADER, *r[:100], *r[101:200], *r[210:]],
         "11 of the run's 432 months are missing: 2023-05, 2031-09 to 2032-06"),
        (lambda r: [HEADER, *r, "2020,3,1.5e8\n"],
         "table.csv:434: 2020-03 is given twice (first on line 64)"),
        (lambda r: [HEADER, *r[:5], "2015,6,-1\n", *r[6:]],
         "table.csv:7: inflow_m3 must be a finite number >= 0, got -1"),
        (lambda r: [HEADER, *r[:5], "2015,6,1.5e8 m3\n", *r[6:]],
         "table.csv:7: inflow_m3 must be a number, got '1.5e8 m3'"),
        (lambda r: [HEADER, *r[:5], "2015,6,nan\n", *r[6:]],
         "table.csv:7: inflow_m3 must be a finite number >= 0, got nan"),
        (lambda r: [HEADER, *r, "2051,1,1.5e8\n"],
         "table.csv:434: 2051-01 is outside the run (January 2015 to December 2050)"),
        (lambda r: [HEADER, "2014,12,1.5e8\n", *r],
         "table.csv:2: 2014-12 is outside the run"),
        (lambda r: [HEADER, *r[:5], "2015,13,1.5e8\n", *r[6:]],
         "table.csv:7: month 13 is outside 1-12"),
        (lambda r: [HEADER, *r[:5], "2015.5,6,1.5e8\n", *r[6:]],
         "table.csv:7: year and month must be whole numbers, got '2015.5', '6'"),
        (lambda r: [HEADER, *r[:5], "2015,6\n", *r[6:]],
         "table.csv:7: expected 3 values (year, month, inflow_m3), got 2"),
        (lambda r: ["year,month,inflow_hm3\n", *r],
         "table.csv:1: header: the value column is 'inflow_hm3'; the table must be in m³ of "
         "natural inflow in the month, with the header 'year,month,inflow_m3'"),
        (lambda r: ["date,inflow\n", *r],
         "table.csv:1: header: expected the header 'year,month,inflow_m3'"),
        (lambda r: [], "table.csv: the file is empty"),
    ],
    ids=["last-month-missing", "gaps", "duplicate", "negative", "text", "nan", "after-run",
         "before-run", "month-13", "fractional-year", "short-row", "units", "header", "empty"],
)
def test_each_bad_table_gives_its_located_message(tmp_path, edit, expected):
    path = _scenario(tmp_path, edit(_rows()))
    found = problems_of(path)
    assert len(found) == 1, found
    assert expected in found[0], found
    assert found[0].startswith(str(tmp_path / "flows" / "table.csv")), found


def test_every_bad_row_is_reported_at_once(tmp_path):
    rows = _rows()
    rows[3], rows[40] = "2015,4,-5\n", "2018,5,many\n"
    found = problems_of(_scenario(tmp_path, [HEADER, *rows]))
    table = tmp_path / "flows" / "table.csv"
    assert [p.split(": ", 1)[0] for p in found] == [f"{table}:5", f"{table}:42"]


def test_a_missing_table_is_located_in_the_scenario(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\nextends: '{BASELINE.as_posix()}'\ninflow_file: nothere.csv\n",
                    encoding="utf-8")
    found = problems_of(path)
    assert len(found) == 1, found
    assert "s.yaml:3: inflow_file: 'nothere.csv': inflow table not found" in found[0]


def test_an_inflow_lever_beside_the_table_is_an_error(tmp_path):
    extra = "levers:\n  climate_runoff_multiplier: {2015: 1, 2050: 0.8}\n"
    found = problems_of(_scenario(tmp_path, [HEADER, *_rows()], extra))
    assert len(found) == 1, found
    assert ("s.yaml:3: inflow_file: the inflow table replaces the model's reservoir inflow, "
            "so the lever 'climate_runoff_multiplier'") in found[0]


def test_cli_reports_a_bad_table_exits_2_and_writes_nothing(tmp_path):
    rows = _rows()
    path = _scenario(tmp_path, [HEADER, *rows[:10], *rows[11:]])
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 2
    text = " ".join(re.sub("[│╭╮╰╯─]", " ", result.output).split())  # panel and wrapping away
    assert "1 of the run's 432 months are missing: 2015-11" in text
    assert not out.exists()


@pytest.mark.slow
def test_pysd_runs_the_table_and_matches_the_engine_on_the_lake():
    # The lake's side of the model agrees to 1e-9. The demand side does not yet: with any
    # override of 'reservoir inflow' (a constant as well as a series), PySD 3.14 feeds 0 into
    # the SMOOTHI of the inflow anomaly in its first step (smoothed anomaly 0.5 in February
    # 2015 where the engine, like Vensim's Euler step, gives 1), which moves the local sources
    # and the restrictions for some months. Left for the engine notes.
    scenario = load_scenario(DESIGNED)
    ref, new = run_scenario(scenario, engine="pysd"), run_scenario(scenario)
    for name in ("reservoir_inflow", "reservoir_storage", "reservoir_level",
                 "hydropower_generation", "reservoir_release"):
        xr.testing.assert_allclose(ref[name].squeeze(drop=True), new[name].squeeze(drop=True),
                                   rtol=1e-9, atol=1e-6)


def test_a_sweep_of_a_scenario_with_a_table_is_refused_where_it_extends_it(tmp_path):
    _scenario(tmp_path, [HEADER, *_rows()])
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text("name: w\nextends: s.yaml\nmembers: 2\noutputs:\n"
                     "  metrics: [{metric: reliability, period: [2025, 2050]}]\n",
                     encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_sweep(sweep)
    text = "\n".join(str(p) for p in info.value.problems)
    assert "sweep.yaml:2: extends: 's.yaml' reads its inflow from the table 'table.csv'" in text
