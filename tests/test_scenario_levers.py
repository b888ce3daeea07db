"""The scenario format, continued: levers, outputs and extends (each rule broken once)."""

from __future__ import annotations

from pathlib import Path

import pytest
from scenario_support import MODEL, only_problem, problems_of, write

from chenzhou_water.errors import ChenzhouWaterError, ValidationError
from chenzhou_water.scenario.spec import Scenario, load_scenario

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
        "inflow_file",
        "inflow",
        "name_zh",
        "description_zh",
    ]


def test_an_empty_file_is_reported_as_empty(tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing but a comment\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="the file is empty"):
        load_scenario(empty)
