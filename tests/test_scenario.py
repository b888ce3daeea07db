"""The scenario format: every validation rule broken once, extends merging, and a clean load."""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

import pytest
import yaml

from chenzhou_water import scenario as scenario_module
from chenzhou_water.errors import ChenzhouWaterError, ValidationError
from chenzhou_water.scenario import Scenario, default_model_path, load_scenario, validate_scenario

MODEL = Path(__file__).parent / "models" / "scenario_model.mdl"


def write(directory: Path, name: str, body: str, model: bool = True) -> Path:
    """Write a scenario file; ``model: <the test model>`` is prepended unless ``model=False``."""
    text = textwrap.dedent(body).lstrip("\n")
    if model:
        text = f"model: '{MODEL.as_posix()}'\n" + text
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    """The problems reported for ``path``, as ``file:line: where: message`` strings."""
    with pytest.raises(ValidationError) as info:
        load_scenario(path)
    return [str(p) for p in info.value.problems]


def only_problem(path: Path) -> str:
    found = problems_of(path)
    assert len(found) == 1, found
    return found[0]


GOOD = """
    name: good-1
    description: A clean scenario.
    parameters:
      leakage rate initial: 0.25
      population_growth_rate: -0.01
      reservoir_capacity: 1.5e9
    levers:
      leakage_target: {2050: 0.1, 2015: 0.2, 2030.5: 0.12}
    outputs: [reservoir_storage, Leakage Rate, year]
"""


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
    assert default_model_path().parent.parent == Path(scenario_module.__file__).parents[1]


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
        "(allowed: name, description, extends, model, parameters, levers, outputs)"
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
        ("42", "expected a string, got 42 (int)"),
        ("no", "expected a string, got false (bool) (YAML reads yes/no/on/off as booleans"),
        ("''", "must not be empty"),
    ],
)
def test_name_must_be_a_short_identifier(tmp_path: Path, value: str, message: str) -> None:
    path = write(tmp_path, "bad.yaml", f"name: {value}\noutputs: [year]\n")
    assert only_problem(path).startswith(f"{path}:2: name: {message}")


def test_description_must_be_text(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "name: x\ndescription: [a]\noutputs: [year]\n")
    assert only_problem(path) == f"{path}:3: description: expected a string, got a list"


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


# --- levers ----------------------------------------------------------------------------------


def test_unknown_lever_suggests_the_nearest_lookup(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.yaml",
        """
        name: x
        levers:
          leakage_targt: {2020: 0.1}
        outputs: [year]
    """,
    )
    assert only_problem(path) == (
        f"{path}:4: levers.leakage_targt: unknown model lookup; did you mean 'leakage_target'?"
    )


def test_lever_naming_a_constant(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.yaml",
        """
        name: x
        levers:
          reservoir_capacity: {2020: 1}
        outputs: [year]
    """,
    )
    assert only_problem(path) == (
        f"{path}:4: levers.reservoir_capacity: 'reservoir_capacity' is a constant, not a lookup "
        "— only lookups can be set under levers; set constants under parameters"
    )


@pytest.mark.parametrize(
    ("year", "message"),
    [
        ("2010", "year 2010 is below the lookup's year range [2015, 2050]"),
        ("2050.5", "year 2050.5 is above the lookup's year range [2015, 2050]"),
    ],
)
def test_lever_year_outside_the_lookup_range(tmp_path: Path, year: str, message: str) -> None:
    path = write(
        tmp_path,
        "bad.yaml",
        f"""
        name: x
        levers:
          leakage_target:
            2020: 0.1
            {year}: 0.1
        outputs: [year]
    """,
    )
    assert only_problem(path) == f"{path}:6: levers.leakage_target[{year}]: {message}"


def test_lever_value_out_of_range(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.yaml",
        """
        name: x
        levers:
          leakage_target: {2015: 0.2, 2025: 1.4}
        outputs: [year]
    """,
    )
    assert only_problem(path) == (
        f"{path}:4: levers.leakage_target[2025]: 1.4 is above the model's range [0, 1]"
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            "0.5",
            "expected a mapping of year to value (one point, e.g. {2015: 0.5}, is a "
            "constant), got 0.5 (float)",
        ),
        ("[0.1, 0.2]", "expected a mapping of year to value"),
        ("{}", "the table is empty; give at least one year: value point"),
    ],
)
def test_lever_must_be_a_nonempty_mapping(tmp_path: Path, table: str, message: str) -> None:
    path = write(
        tmp_path, "bad.yaml", f"name: x\nlevers:\n  leakage_target: {table}\noutputs: [year]\n"
    )
    assert only_problem(path).startswith(f"{path}:4: levers.leakage_target: {message}")


def test_lever_year_must_be_a_number(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.yaml",
        """
        name: x
        levers:
          leakage_target: {'2020': 0.1, 2030: x}
        outputs: [year]
    """,
    )
    assert problems_of(path) == [
        f"{path}:4: levers.leakage_target['2020']: expected a year (a number) as key, "
        "got '2020' (str)",
        f"{path}:4: levers.leakage_target[2030]: expected a number, got 'x' (str)",
    ]


def test_levers_must_be_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "name: x\nlevers: 3\noutputs: [year]\n")
    assert only_problem(path) == (
        f"{path}:3: levers: expected a mapping of model lookup to {{year: value}} table, "
        "got 3 (int)"
    )


# --- outputs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outputs", "where", "message"),
    [
        (
            "[year, reservoir_storag]",
            "outputs[1]",
            "unknown model variable; did you mean 'reservoir_storage'?",
        ),
        (
            "[leakage_target]",
            "outputs[0]",
            "'leakage_target' is a lookup, not a time series — outputs are time series: "
            "constants, stocks, auxiliaries or data",
        ),
        ("[year, Year]", "outputs[1]", "'year' is listed twice (also at outputs[0])"),
        ("[3]", "outputs[0]", "expected a model variable name, got 3 (int)"),
        ("[]", "outputs", "the list is empty; name at least one variable or omit it"),
        ("year", "outputs", "expected a list of variable names, got 'year' (str)"),
    ],
)
def test_outputs_rules(tmp_path: Path, outputs: str, where: str, message: str) -> None:
    path = write(tmp_path, "bad.yaml", f"name: x\noutputs: {outputs}\n")
    assert only_problem(path) == f"{path}:3: {where}: {message}"


# --- extends ---------------------------------------------------------------------------------


def test_extends_merges_child_over_parent(tmp_path: Path) -> None:
    write(
        tmp_path,
        "base.yaml",
        """
        name: base
        description: The base.
        parameters: {reservoir_capacity: 1000, leakage_rate_initial: 0.3}
        levers:
          leakage_target: {2015: 0.2, 2030: 0.15, 2050: 0.1}
          inflow_table: {0: 0, 12: 1}
        outputs: [reservoir_storage, year]
    """,
    )
    (tmp_path / "sub").mkdir()
    write(
        tmp_path / "sub",
        "middle.yaml",
        """
        extends: ../base.yaml
        parameters: {leakage rate initial: 0.2}
    """,
        model=False,
    )
    child = write(
        tmp_path / "sub",
        "child.yaml",
        """
        name: child
        extends: middle.yaml
        parameters: {population_growth_rate: 0.05}
        levers:
          leakage_target: {2020: 0.05}
    """,
        model=False,
    )
    s = load_scenario(child)
    assert s.name == "child"
    assert s.description == "The base."
    assert s.model_path == MODEL.resolve()
    assert dict(s.parameters) == {
        "reservoir_capacity": 1000.0,
        "leakage_rate_initial": 0.2,
        "population_growth_rate": 0.05,
    }
    assert s.levers["leakage_target"] == ((2020.0,), (0.05,))  # replaced whole
    assert s.levers["inflow_table"] == ((0.0, 12.0), (0.0, 1.0))  # inherited
    assert s.outputs == ("reservoir_storage", "year")
    assert s.files == tuple(
        p.resolve() for p in (child, tmp_path / "sub" / "middle.yaml", tmp_path / "base.yaml")
    )


def test_child_outputs_replace_the_parents(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", "name: base\noutputs: [year, reservoir_storage]\n")
    child = write(
        tmp_path, "child.yaml", "extends: base.yaml\noutputs: [leakage_rate]\n", model=False
    )
    s = load_scenario(child)
    assert (s.name, s.outputs) == ("base", ("leakage_rate",))


def test_missing_extends_file(tmp_path: Path) -> None:
    path = write(tmp_path, "child.yaml", "name: x\nextends: gone.yaml\noutputs: [year]\n")
    assert only_problem(path).startswith(
        f"{path}:3: extends: 'gone.yaml': file not found (looked for "
    )


def test_circular_extends_shows_the_chain(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "name: a\nextends: b.yaml\noutputs: [year]\n")
    b = write(tmp_path, "b.yaml", "extends: a.yaml\n", model=False)
    assert only_problem(a) == f"{b}:1: extends: circular extends: {a} -> {b} -> {a}"


def test_a_file_extending_itself(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "name: a\nextends: a.yaml\noutputs: [year]\n")
    assert only_problem(a) == f"{a}:3: extends: circular extends: {a} -> {a}"


def test_problems_in_a_parent_carry_the_parents_file_name(tmp_path: Path) -> None:
    base = write(
        tmp_path,
        "base.yaml",
        """
        name: base
        parameters: {leakage_rate_initial: 7}
        outputs: [year]
    """,
    )
    child = write(tmp_path, "child.yaml", "extends: base.yaml\nname: child\n", model=False)
    assert only_problem(child) == (
        f"{base}:3: parameters.leakage_rate_initial: 7 is above the model's range [0, 1]"
    )


def test_malformed_parent_is_reported_with_its_line(tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    base.write_text("name: base\nparameters: {a: 1\n", encoding="utf-8")
    child = write(tmp_path, "child.yaml", "extends: base.yaml\nname: child\noutputs: [year]\n")
    (message,) = problems_of(child)
    assert message.startswith(f"{base}:3: invalid YAML: while parsing a flow mapping")


def test_every_problem_of_every_file_is_reported_at_once(tmp_path: Path) -> None:
    base = write(
        tmp_path,
        "base.yaml",
        """
        name: base
        paramters: {}
        levers:
          leakage_target: {2015: 2}
    """,
    )
    child = write(
        tmp_path,
        "child.yaml",
        """
        name: child
        extends: base.yaml
        parameters:
          k: abc
          reservoir_storage: 1
        outputs: [nothing]
    """,
        model=False,
    )
    with pytest.raises(ValidationError) as info:
        load_scenario(child)
    found = [(p.file, p.line, p.where) for p in info.value.problems]
    assert found == [
        (str(child), 4, "parameters.k"),
        (str(child), 4, "parameters.k"),
        (str(child), 5, "parameters.reservoir_storage"),
        (str(child), 6, "outputs[0]"),
        (str(base), 3, "paramters"),
        (str(base), 5, "levers.leakage_target[2015]"),
    ]
    assert str(info.value).startswith("6 problems found:\n  - ")
    assert isinstance(info.value, ChenzhouWaterError)


def test_scenario_fields_are_the_contract() -> None:
    fields = list(Scenario.__dataclass_fields__)
    assert fields == [
        "name",
        "description",
        "path",
        "model_path",
        "parameters",
        "levers",
        "outputs",
        "files",
    ]


def test_an_empty_file_is_reported_as_empty(tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing but a comment\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="the file is empty"):
        load_scenario(empty)
