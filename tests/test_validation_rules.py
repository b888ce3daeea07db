"""Validation rules of the calibration files and the scenario file that no other test breaks:
each broken once, its message matched with file, line and YAML path."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from scenario_support import MODEL as SCENARIO_MODEL
from scenario_support import only_problem, write

from chenzhou_water.calibration import load_parameters, load_targets
from chenzhou_water.errors import ValidationError
from chenzhou_water.scenario import spec as scenario_module
from chenzhou_water.scenario.spec import load_scenario

POINT_TARGET = """\
targets:
  t:
    variable: leakage_rate
    period: 2020
    reduce: annual_mean
    value: 0.174
    unit: Dmnl
    tolerance: 0.01
    hard: true
    source: seed 003
"""

SERIES_TARGET = """\
targets:
  audit:
    variable: leakage_rate
    observations: audit.csv
    reduce: annual_mean
    unit: Dmnl
    tolerance: 0.01
    hard: false
    source: audit
"""

PARAMETERS = """\
parameters:
  peak_day_factor:
    bounds: [1.1, 1.5]
    prior: {distribution: normal, mean: 1.3, sd: 0.1}
    note: the 2018 peak
"""


def _edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# (case, file text, ":line: where: message" that the one problem reported must end with)
TARGET_CASES = [
    ("top level not a mapping", "- a\n- b\n",
     ":1: expected a mapping with a 'targets' key, got a list"),
    ("no targets", "targets: {}\n", ":1: targets: no targets given"),
    ("likelihood on a point target",
     _edit(POINT_TARGET, "    source: seed 003\n",
           "    source: seed 003\n    likelihood: normal\n"),
     ":11: targets.t.likelihood: only a time-series target (with 'observations') states a "
     "likelihood"),
    ("variable and expression",
     _edit(POINT_TARGET, "    period: 2020\n", "    expression: leakage_rate * 100\n"
                                               "    period: 2020\n"),
     ":2: targets.t: give exactly one of 'variable' or 'expression'"),
    ("expression without a variable",
     _edit(POINT_TARGET, "variable: leakage_rate", "expression: 2 * 3"),
     ":3: targets.t.expression: '2 * 3' reads no model variable"),
    ("lower above upper",
     _edit(POINT_TARGET, "    value: 0.174\n", "    lower: 0.3\n    upper: 0.2\n"),
     ":6: targets.t.lower: lower must be below upper"),
    ("both tolerances",
     _edit(POINT_TARGET, "    tolerance: 0.01\n", "    tolerance: 0.01\n"
                                                 "    relative_tolerance: 0.1\n"),
     ":2: targets.t: give exactly one of 'tolerance' or 'relative_tolerance'"),
    ("zero tolerance", _edit(POINT_TARGET, "tolerance: 0.01", "tolerance: 0"),
     ":2: targets.t: the tolerance must be positive, got 0"),
    ("negative weight",
     _edit(POINT_TARGET, "    hard: true\n", "    hard: true\n    weight: -1\n"),
     ":10: targets.t.weight: the weight must not be negative"),
    ("series: zero tolerance", _edit(SERIES_TARGET, "tolerance: 0.01", "tolerance: 0"),
     ":7: targets.audit.tolerance: the tolerance must be positive, got 0"),
    ("series: negative weight",
     _edit(SERIES_TARGET, "    hard: false\n", "    hard: false\n    weight: -2\n"),
     ":9: targets.audit.weight: the weight must not be negative"),
    ("series: observations file missing",
     _edit(SERIES_TARGET, "audit.csv", "nothere.csv"),
     ":4: targets.audit.observations: no such file 'nothere.csv' (relative to the targets "
     "file)"),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in TARGET_CASES],
                         ids=[c[0] for c in TARGET_CASES])
def test_each_targets_rule_broken_once(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "audit.csv").write_text("time,value\n2019,0.2\n2020,0.18\n", encoding="utf-8")
    path = tmp_path / "targets.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_targets(path)
    found = [str(p) for p in info.value.problems]
    assert found == [f"{path}{expected}"], found


def test_the_series_target_case_is_clean_without_its_break(tmp_path: Path) -> None:
    """The base files of the table load, so each case above breaks exactly one rule."""
    (tmp_path / "audit.csv").write_text("time,value\n2019,0.2\n2020,0.18\n", encoding="utf-8")
    for name, text in (("a.yaml", POINT_TARGET), ("b.yaml", SERIES_TARGET)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert len(load_targets(tmp_path / name)) == 1
    (tmp_path / "p.yaml").write_text(PARAMETERS, encoding="utf-8")
    assert [p.name for p in load_parameters(tmp_path / "p.yaml")] == ["peak_day_factor"]


def test_a_targets_file_naming_a_missing_model(tmp_path: Path) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text("model: nothere.mdl\n" + POINT_TARGET, encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_targets(path)
    (problem,) = info.value.problems
    assert str(problem).startswith(f"{path}:1: model: ")
    assert "nothere.mdl" in str(problem)


PARAMETER_CASES = [
    ("top level not a mapping", "[1, 2]\n",
     ":1: expected a mapping with a 'parameters' key, got a list"),
    ("no parameters", "parameters: {}\n", ":1: parameters: no parameters given"),
    ("the same constant twice",
     PARAMETERS + "  peak day factor:\n    bounds: [1.2, 1.4]\n",
     ":6: parameters['peak day factor']: 'peak_day_factor' is given twice"),
    ("note not a string", _edit(PARAMETERS, "note: the 2018 peak", "note: 3"),
     ":5: parameters.peak_day_factor.note: expected a string, got 3 (int)"),
    ("bounds of three values", _edit(PARAMETERS, "[1.1, 1.5]", "[1.1, 1.3, 1.5]"),
     ":3: parameters.peak_day_factor.bounds: expected [lower, upper], got 3 values"),
    ("prior sd zero", _edit(PARAMETERS, "sd: 0.1", "sd: 0"),
     ":4: parameters.peak_day_factor.prior.sd: sd must be positive"),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in PARAMETER_CASES],
                         ids=[c[0] for c in PARAMETER_CASES])
def test_each_parameters_rule_broken_once(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "parameters.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_parameters(path)
    found = [str(p) for p in info.value.problems]
    # a list at the top also lacks the 'parameters' key: reported after the rule broken
    assert found[0] == f"{path}{expected}", found
    if not expected.endswith("got a list"):
        assert len(found) == 1, found


# --- the scenario file ------------------------------------------------------------------------


def test_an_inflow_table_needs_a_model_with_a_start_year(tmp_path: Path) -> None:
    linear = Path(__file__).parent / "models" / "linear_reservoir.mdl"
    (tmp_path / "inflow.csv").write_text("year,month,inflow_m3\n", encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(f"""\
        name: s
        model: '{linear.as_posix()}'
        inflow_file: inflow.csv
        outputs: [storage]
    """), encoding="utf-8")
    assert only_problem(path) == (
        f"{path}:3: inflow_file: this model has no monthly time axis with a 'start year'; an "
        "inflow table cannot be placed on it")


def test_no_model_and_no_project_model_is_reported(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "models" / "chenzhou_water.mdl"
    monkeypatch.setattr(scenario_module, "default_model_path", lambda: missing)
    path = write(tmp_path, "s.yaml", "name: s\noutputs: [year]\n", model=False)
    assert only_problem(path) == (
        f"{path}: model: no 'model' given and the project's model is missing (looked for "
        f"{missing})")
    # with a model named, the same file loads
    assert load_scenario(write(tmp_path, "t.yaml", "name: s\noutputs: [year]\n")).model_path == (
        SCENARIO_MODEL.resolve())
