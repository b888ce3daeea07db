"""The command line, through Typer's runner."""

from __future__ import annotations

import re
import shutil

import pytest
import xarray as xr
from typer.testing import CliRunner

from chenzhou_water.model.contract import CONTRACT_VARIABLES
from cli import app
from tests.conftest import MODEL, ROOT

runner = CliRunner()


def _text(output: str) -> str:
    """Output with the error panel's box drawing removed and white space folded."""
    return " ".join(re.sub("[│╭╮╰╯─]", " ", output).split())


def test_run_baseline_writes_netcdf_csv_plots_and_prints_headlines(tmp_path):
    out = tmp_path / "out"
    scenario = str(ROOT / "scenarios" / "baseline.yaml")
    result = runner.invoke(app, ["run", scenario, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "headline indicators" in result.output
    # not on a terminal: plain progress lines (on stderr) for logs and CI
    for stage in ("checking the scenario", "running baseline on the numpy engine",
                  "writing the files"):
        assert f"progress: {stage}:" in result.output, result.output
    for year in ("2020", "2025", "2030", "2035", "2050"):
        assert year in result.output
    with xr.open_dataset(out / "baseline.nc") as ds:
        for name in CONTRACT_VARIABLES:
            assert name in ds, name
            assert ds[name].attrs["units"]
            assert ds[name].attrs["description"]
        assert len(ds.attrs["model_sha256"]) == 64
        assert "en: baseline" in ds.attrs["scenario_resolved"]  # {zh: 基准情景, en: baseline}
        assert ds.attrs["scenario_name"] == "baseline"
        assert ds.attrs["package_version"]
        assert ds["time"].dt.year.values[0] == 2015
        assert ds["time"].dt.year.values[-1] == 2050
    # UTF-8 with one byte-order mark (Excel needs it), checked on the bytes
    assert (out / "baseline_summary.csv").read_bytes()[:8] == b"\xef\xbb\xbfyear,"
    assert (out / "baseline_monthly.csv").read_bytes()[:8] == b"\xef\xbb\xbftime,"
    csv = (out / "baseline_summary.csv").read_text(encoding="utf-8-sig")
    assert csv.splitlines()[0].startswith("year,")
    assert len(csv.splitlines()) == 1 + 36
    monthly = (out / "baseline_monthly.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(monthly) == 1 + 432
    assert monthly[0].startswith("time,reservoir_storage [million m³],")
    assert "Dmnl" not in monthly[0]
    assert "leakage_rate [%]" in monthly[0]
    assert monthly[1].startswith("2015-01-01,")
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == [f"baseline_{k}.png" for k in
                    ("datacentre", "leakage", "reuse", "storage", "supply_demand")]
    assert not list(out.glob(".*.part")), "temporary files left behind"


BAD = """\
name: bad scenario
extends: nothere.yaml
paramters: {}
parameters:
  leakage_rte: 0.3
  dead_storage: abc
  background_leakage_rate: 1.4
levers:
  renewal_programme: {1990: 3}
outputs: [reservoir_storge]
"""


@pytest.mark.parametrize("command", ["run", "validate"])
def test_broken_scenario_reports_every_problem_exits_2_writes_nothing(tmp_path, command):
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD, encoding="utf-8")
    out = tmp_path / "out"
    args = [command, str(bad)] + (["--out", str(out)] if command == "run" else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    for expected in (
        "8 problems found",
        "bad.yaml:1: name:",
        "bad.yaml:2: extends: 'nothere.yaml': file not found",
        "paramters: unknown key 'paramters'; did you mean 'parameters'?",
        "parameters.leakage_rte: unknown model constant",
        "parameters.dead_storage: expected a number, got 'abc'",
        "parameters.background_leakage_rate: 1.4 is above the model's range [0, 0.2]",
        "levers.renewal_programme[1990]: year 1990 is below",
        "outputs[0]: unknown model variable; did you mean 'reservoir_storage'?",
    ):
        assert expected in text, expected
    assert not out.exists()


def test_malformed_yaml_reports_file_and_line(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: x\nparameters:\n  a: [1, 2\n  b: 3\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert "broken.yaml:" in result.output


def test_validate_good_scenario():
    result = runner.invoke(app, ["validate", str(ROOT / "scenarios" / "drought_2022.yaml")])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_check_passes_shipped_model_and_fails_wrong_units():
    ok = runner.invoke(app, ["check", str(MODEL)])
    assert ok.exit_code == 0, ok.output
    assert "units are consistent" in ok.output
    wrong = runner.invoke(app, ["check", str(ROOT / "tests" / "models" / "units_wrong.mdl")])
    assert wrong.exit_code == 1


@pytest.mark.parametrize("command", ["run", "validate", "check"])
def test_help_shows_an_example(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output
    assert "chenzhou-water " + command in result.output


def test_unknown_engine_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["run", str(ROOT / "scenarios" / "baseline.yaml"),
                                 "--out", str(tmp_path / "o"), "--engine", "vensim"])
    assert result.exit_code == 2
    assert "'vensim' is not one of 'numpy', 'pysd'" in _text(result.output)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("command", ["run", "sweep", "sensitivity", "calibrate"])
def test_out_naming_a_file_is_refused_before_any_work(tmp_path, command):
    files = {"run": "scenarios/baseline.yaml", "sweep": "scenarios/sweeps/drought_risk.yaml",
             "sensitivity": "scenarios/sensitivity/morris_all.yaml",
             "calibrate": "calibration/targets.yaml"}
    a_file = tmp_path / "results.txt"
    a_file.write_text("keep me", encoding="utf-8")
    result = runner.invoke(app, [command, str(ROOT / files[command]), "--out", str(a_file)])
    assert result.exit_code == 2
    assert "is a file" in _text(result.output)
    assert a_file.read_text(encoding="utf-8") == "keep me"


@pytest.mark.parametrize("command", ["run", "validate", "check", "describe", "sweep"])
def test_missing_input_file_exits_2(tmp_path, command):
    result = runner.invoke(app, [command, str(tmp_path / "nothere.yaml")])
    assert result.exit_code == 2
    assert "does not exist" in _text(result.output)


@pytest.mark.slow
def test_run_with_the_pysd_reference_engine_matches_the_engine(tmp_path):
    args = ["run", str(ROOT / "scenarios" / "leakage_stall.yaml"), "--no-plots"]
    ref = runner.invoke(app, [*args, "--out", str(tmp_path / "p"), "--engine", "pysd"])
    new = runner.invoke(app, [*args, "--out", str(tmp_path / "n")])
    assert ref.exit_code == 0, ref.output
    assert new.exit_code == 0, new.output
    with xr.open_dataset(tmp_path / "p" / "leakage_stall.nc") as a, \
            xr.open_dataset(tmp_path / "n" / "leakage_stall.nc") as b:
        assert a.attrs["engine"] == "pysd"
        for name in CONTRACT_VARIABLES:
            xr.testing.assert_allclose(a[name], b[name], rtol=1e-9)
    shutil.rmtree(tmp_path)


@pytest.mark.parametrize("command", [["check"], ["describe", "--kind", "stock"]])
def test_the_default_model_is_found_outside_the_project_folder(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    assert "does not exist" not in result.output
