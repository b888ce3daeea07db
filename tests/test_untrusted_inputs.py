"""Files that are not what a command expects get a located error and exit status 2, and their
content is not echoed: a non-model file given to describe/check, a targets or parameters file
whose ``model`` key names another file."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from cli import app
from tests.conftest import ROOT

runner = CliRunner()
SECRET = "root:x:0:0:secret-line-that-must-not-be-echoed"


@pytest.fixture
def not_a_model(tmp_path):
    path = tmp_path / "notes.mdl"
    path.write_text(f"{SECRET}\n" * 50, encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["describe", "check"])
def test_a_non_model_file_is_bad_input_as_when_a_scenario_names_it(command, not_a_model,
                                                                   tmp_path):
    direct = runner.invoke(app, [command, str(not_a_model)])
    assert direct.exit_code == 2, direct.output
    assert f"{not_a_model}: not a Vensim model PySD can parse" in direct.output
    assert direct.output.count("secret-line") <= 1, "at most a short excerpt of one line"
    assert len(direct.output) < 600
    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"name: s\nmodel: {not_a_model.name}\n", encoding="utf-8")
    named = runner.invoke(app, ["validate", str(scenario)])
    assert named.exit_code == direct.exit_code == 2


@pytest.mark.parametrize("command", ["describe", "check"])
def test_describe_and_check_without_a_model_work_outside_the_project(command, tmp_path,
                                                                     monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, [command])
    assert result.exit_code == 0, result.output
    assert "chenzhou_water.mdl" in result.output


@pytest.mark.parametrize("file", ["targets.yaml", "parameters.yaml"])
def test_calibrate_refuses_a_model_key_naming_another_file(file, tmp_path, not_a_model):
    for name in ("targets.yaml", "parameters.yaml"):
        shutil.copy(ROOT / "calibration" / name, tmp_path / name)
    edited = tmp_path / file
    edited.write_text(f"model: {not_a_model}\n" + edited.read_text(encoding="utf-8"),
                      encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["calibrate", str(tmp_path / "targets.yaml"), "--scenario",
                                 str(ROOT / "scenarios" / "baseline.yaml"), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert f"{edited}:1: model:" in result.output
    assert "is not the model the scenario runs (chenzhou_water.mdl)" in result.output
    assert "secret-line" not in result.output, "the file it names is never read"
    assert not out.exists(), "nothing written"


def test_calibrate_accepts_a_model_key_naming_the_scenarios_model(tmp_path):
    from chenzhou_water.calibration.targets import load_targets

    targets = tmp_path / "targets.yaml"
    text = (ROOT / "calibration" / "targets.yaml").read_text(encoding="utf-8")
    targets.write_text(f"model: {ROOT / 'models' / 'chenzhou_water.mdl'}\n{text}",
                       encoding="utf-8")
    loaded = load_targets(targets, model=ROOT / "models" / "chenzhou_water.mdl")
    assert loaded.model_path.name == "chenzhou_water.mdl"


# --- every numeric key against the model's declared range ------------------------------------


@pytest.mark.parametrize("runoff", ["1e300", "2.0e9", "7.0e9"])
def test_a_sweeps_mean_annual_runoff_is_checked_against_the_models_range(runoff, tmp_path):
    from tests.sweep_support import edit, problems, write

    path = write(tmp_path, edit("  drought_2022: {annual_probability: 0.05}",
                                f"  drought_2022: {{annual_probability: 0.05}}\n"
                                f"  mean_annual_runoff: {runoff}"))
    found = problems(path)
    assert len(found) == 1, found
    assert found[0].startswith(f"{path}:23: inflow.mean_annual_runoff: ")
    assert "the range of the model's 'mean annual runoff' [3000000000, 6000000000]" in found[0]


def test_a_sweeps_mean_annual_runoff_inside_the_range_is_accepted(tmp_path):
    from chenzhou_water.sweep import load_sweep
    from tests.sweep_support import edit, write

    path = write(tmp_path, edit("  drought_2022: {annual_probability: 0.05}",
                                "  drought_2022: {annual_probability: 0.05}\n"
                                "  mean_annual_runoff: 4.0e9"))
    assert load_sweep(path).inflow.mean_annual_runoff == pytest.approx(4.0e9, rel=1e-12)


@pytest.mark.parametrize(("key", "figure"), [("value", "1e300"), ("lower", "2.0e9"),
                                             ("upper", "-1")])
def test_a_targets_figures_are_checked_against_the_declared_range(key, figure, tmp_path):
    from chenzhou_water.calibration.targets import load_targets
    from chenzhou_water.errors import ValidationError

    path = tmp_path / "targets.yaml"
    path.write_text(
        "targets:\n"
        "  runoff:\n"
        "    variable: mean_annual_runoff\n"
        "    period: 2018\n"
        "    reduce: annual_mean\n"
        f"    {key}: {figure}\n"
        "    unit: 1e9*m3/year\n"
        "    tolerance: 0.1\n"
        "    hard: true\n"
        "    source: a test\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_targets(path)
    [problem] = info.value.problems
    assert str(problem).startswith(f"{path}:6: targets.runoff.{key}: {float(figure):g} "
                                   "1e9*m3/year = ")
    assert "the model's range of 'mean annual runoff', in its units, [3000000000, 6000000000]" \
        in str(problem)
