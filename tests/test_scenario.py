"""The scenario format: every validation rule broken once, extends merging, and a clean load."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import yaml
from scenario_support import GOOD, MODEL, only_problem, problems_of, write

from chenzhou_water.errors import ValidationError
from chenzhou_water.scenario import spec as scenario_module
from chenzhou_water.scenario.spec import (
    default_model_path,
    load_scenario,
    scenario_from_mapping,
    validate_scenario,
)
from tests.conftest import ROOT

# --- a clean file ----------------------------------------------------------------------------


def test_problem_free_file_loads(tmp_path: Path) -> None:
    path = write(tmp_path, "good.yaml", GOOD)
    s = load_scenario(path)
    assert s.name == "good-1"
    assert s.description == "A clean scenario."
    assert s.model_path == MODEL.resolve()
    assert s.path == path.resolve()
    assert s.files == (path.resolve(),)
    assert dict(s.parameters) == {
        "leakage_rate_initial": 0.25,
        "population_growth_rate": -0.01,
        "reservoir_capacity": 1.5e9,
    }
    assert s.levers["leakage_target"] == ((2015.0, 2030.5, 2050.0), (0.2, 0.12, 0.1))
    assert s.outputs == ("reservoir_storage", "leakage_rate", "year")
    assert validate_scenario(path) == s


def test_one_point_lever_is_a_constant_and_undeclared_ranges_are_open(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "one.yaml",
        """
        name: one
        levers:
          leakage_target: {2020: 0.3}
          inflow table: {-5: 1000, 99: -3}
        outputs: [leakage_rate]
    """,
    )
    s = load_scenario(path)
    assert s.levers["leakage_target"] == ((2020.0,), (0.3,))
    assert s.levers["inflow_table"] == ((-5.0, 99.0), (1000.0, -3.0))


def test_scenario_is_frozen_hashable_and_picklable(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, "good.yaml", GOOD))
    with pytest.raises(TypeError):
        s.parameters["reservoir_capacity"] = 1.0  # type: ignore[index]
    assert pickle.loads(pickle.dumps(s)) == s
    assert hash(s) == hash(pickle.loads(pickle.dumps(s)))


def test_to_dict_is_a_loadable_scenario(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, "good.yaml", GOOD))
    data = s.to_dict()
    assert data["levers"]["leakage_target"] == {2015: 0.2, 2030.5: 0.12, 2050: 0.1}
    again = tmp_path / "again.yaml"
    again.write_text(yaml.safe_dump(data), encoding="utf-8")
    reloaded = load_scenario(again)
    assert reloaded.to_dict() == data
    assert reloaded.parameters == s.parameters
    assert reloaded.levers == s.levers


def test_default_model_path_is_the_project_model() -> None:
    assert default_model_path().parts[-2:] == ("models", "chenzhou_water.mdl")
    assert default_model_path().parent.parent == Path(scenario_module.__file__).resolve().parents[2]


# --- with_overrides --------------------------------------------------------------------------


def test_with_overrides_merges_and_validates(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, "good.yaml", GOOD))
    t = s.with_overrides(
        parameters={"reservoir capacity": 2e9},
        levers={"leakage_target": ((2040, 2020), (0.15, 0.18))},
    )
    assert t.parameters["reservoir_capacity"] == 2e9
    assert t.parameters["leakage_rate_initial"] == 0.25
    assert t.levers["leakage_target"] == ((2020.0, 2040.0), (0.18, 0.15))
    assert s.parameters["reservoir_capacity"] == 1.5e9  # the original is unchanged
    assert s.with_overrides(levers={"inflow_table": {0: 1}}).levers["inflow_table"] == (
        (0.0,),
        (1.0,),
    )


def test_with_overrides_reports_every_problem(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, "good.yaml", GOOD))
    with pytest.raises(ValidationError) as info:
        s.with_overrides(
            parameters={"reservoir_capacit": 1, "leakage_rate_initial": 2},
            levers={"leakage_target": {2060: 0.1}},
        )
    assert [str(p) for p in info.value.problems] == [
        "<overrides>: parameters.reservoir_capacit: unknown model constant; "
        "did you mean 'reservoir_capacity'?",
        "<overrides>: parameters.leakage_rate_initial: 2 is above the model's range [0, 1]",
        "<overrides>: levers.leakage_target[2060]: year 2060 is above the lookup's year range "
        "[2015, 2050]",
    ]


# --- top level -------------------------------------------------------------------------------


def test_unknown_top_level_key_suggests_the_nearest(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.yaml",
        """
        name: x
        paramters: {}
        outputs: [year]
    """,
    )
    assert only_problem(path) == (
        f"{path}:3: paramters: unknown key 'paramters'; did you mean 'parameters'? "
        "(allowed: name, description, extends, model, parameters, levers, outputs, inflow_file)"
    )


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "- a\n- b\n", model=False)
    found = problems_of(path)
    assert found[0] == (
        f"{path}:1: expected a mapping of scenario keys at the top level, got a list"
    )


def test_name_is_required_unless_inherited(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "outputs: [year]\n")
    assert only_problem(path) == (
        f"{path}:1: name: missing required key 'name' (give it here or in a file this one extends)"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "'my scenario'",
            "'my scenario' is not valid: use only ASCII letters, digits, '_' and '-'",
        ),
        ("42", "expected a string or a mapping {zh: ..., en: ...}, got 42 (int)"),
        ("no", "expected a string, got false (bool) (YAML reads yes/no/on/off as booleans"),
        ("''", "must not be empty"),
    ],
)
def test_name_must_be_a_short_identifier(tmp_path: Path, value: str, message: str) -> None:
    path = write(tmp_path, "bad.yaml", f"name: {value}\noutputs: [year]\n")
    assert only_problem(path).startswith(f"{path}:2: name: {message}")


def test_description_must_be_text(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "name: x\ndescription: [a]\noutputs: [year]\n")
    assert only_problem(path) == (
        f"{path}:3: description: expected a string or a mapping {{zh: ..., en: ...}}, got a list")


def test_missing_model_file(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "name: x\nmodel: nowhere.mdl\n", model=False)
    assert only_problem(path).startswith(
        f"{path}:2: model: 'nowhere.mdl': model file not found (looked for "
    )


def test_default_outputs_must_exist_in_the_model(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "name: x\n")
    message = only_problem(path)
    assert message.startswith(
        f"{path}: outputs: no 'outputs' given, and the model lacks these default outputs: "
        "reservoir_level, reservoir_evaporation,"
    )


def test_default_outputs_are_used_when_none_are_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scenario_module, "DEFAULT_OUTPUTS", ["reservoir_storage", "leakage rate"])
    s = load_scenario(write(tmp_path, "ok.yaml", "name: x\n"))
    assert s.outputs == ("reservoir_storage", "leakage_rate")


def test_missing_scenario_file(tmp_path: Path) -> None:
    assert only_problem(tmp_path / "nope.yaml") == f"{tmp_path / 'nope.yaml'}: file not found"


# --- YAML syntax -----------------------------------------------------------------------------


def test_malformed_yaml_reports_the_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.yaml",
        """
        name: x
        parameters:
          leakage_rate_initial: [0.1, 0.2
          reservoir_capacity: 3
    """,
    )
    assert only_problem(path) == (
        f"{path}:5: invalid YAML: while parsing a flow sequence, expected ',' or ']', "
        "but got ':' (started on line 4)"
    )


def test_duplicate_keys_are_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.yaml",
        """
        name: x
        parameters:
          reservoir_capacity: 1
          reservoir_capacity: 2
        outputs: [year]
    """,
    )
    assert only_problem(path) == (
        f"{path}:5: parameters.reservoir_capacity: duplicate key 'reservoir_capacity' "
        "(first given on line 4)"
    )


# --- parameters ------------------------------------------------------------------------------


def test_unknown_parameter_suggests_the_nearest_constant(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.yaml",
        """
        name: x
        parameters:
          leakage_rte: 0.1
        outputs: [year]
    """,
    )
    assert only_problem(path) == (
        f"{path}:4: parameters.leakage_rte: unknown model constant; "
        "did you mean 'leakage_rate_initial'?"
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "reservoir_storage",
            "'reservoir_storage' is a stock, not a constant — only constants "
            "can be set under parameters",
        ),
        (
            "reservoir inflow",
            "'reservoir_inflow' is an auxiliary, not a constant — only constants "
            "can be set under parameters",
        ),
        (
            "leakage_target",
            "'leakage_target' is a lookup, not a constant — only constants can be "
            "set under parameters; set lookups under levers",
        ),
        ("FINAL TIME", "'final_time' is a control variable, not a constant"),
    ],
)
def test_parameter_of_the_wrong_kind(tmp_path: Path, name: str, message: str) -> None:
    path = write(tmp_path, "bad.yaml", f"name: x\nparameters:\n  {name}: 1\noutputs: [year]\n")
    where = f"parameters.{name}" if " " not in name else f"parameters[{name!r}]"
    assert only_problem(path).startswith(f"{path}:4: {where}: {message}")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "expected a number, got 'abc' (str)"),
        ("'0.5'", "expected a number, got '0.5' (str)"),
        ("true", "expected a number, got true (bool)"),
        ("null", "expected a number, got null"),
        ("[1, 2]", "expected a number, got a list"),
        (".nan", "expected a finite number, got .nan"),
        ("-.inf", "expected a finite number, got -.inf"),
    ],
)
def test_parameter_of_the_wrong_type(tmp_path: Path, value: str, message: str) -> None:
    path = write(
        tmp_path,
        "bad.yaml",
        f"name: x\nparameters:\n  demand_per_capita: {value}\noutputs: [year]\n",
    )
    assert only_problem(path) == f"{path}:4: parameters.demand_per_capita: {message}"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("leakage_rate_initial", "1.4", "1.4 is above the model's range [0, 1]"),
        ("population_growth_rate", "-0.1", "-0.1 is below the model's range [-0.05, 0.1]"),
        ("reservoir_capacity", "-1", "-1 is below the model's range [0, +inf)"),
    ],
)
def test_parameter_out_of_range(tmp_path: Path, name: str, value: str, message: str) -> None:
    path = write(
        tmp_path, "bad.yaml", f"name: x\nparameters:\n  {name}: {value}\noutputs: [year]\n"
    )
    assert only_problem(path) == f"{path}:4: parameters.{name}: {message}"


def test_parameters_must_be_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "name: x\nparameters: [a]\noutputs: [year]\n")
    assert only_problem(path) == (
        f"{path}:3: parameters: expected a mapping of model constant to number, got a list"
    )


def test_one_constant_under_two_spellings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.yaml",
        """
        name: x
        parameters:
          reservoir_capacity: 1
          reservoir capacity: 2
        outputs: [year]
    """,
    )
    assert only_problem(path) == (
        f"{path}:5: parameters['reservoir capacity']: 'reservoir_capacity' is set twice "
        "(also as 'reservoir_capacity')"
    )


def test_a_scenario_loads_from_a_mapping_as_from_its_file(tmp_path):
    from_file = load_scenario(ROOT / "scenarios" / "leakage_target.yaml")
    data = from_file.to_dict()
    again = scenario_from_mapping(data, source="copy", relative_to=tmp_path)
    assert again.to_dict() == data


def test_a_bad_mapping_is_reported_under_its_source_name(tmp_path):
    with pytest.raises(ValidationError) as info:
        scenario_from_mapping({"name": "x", "extends": str(ROOT / "scenarios" / "baseline.yaml"),
                               "parameters": {"leakage_rte": 1}},
                              source="result.nc:scenario_resolved", relative_to=tmp_path)
    text = str(info.value)
    assert "result.nc:scenario_resolved" in text
    assert "parameters.leakage_rte" in text
