"""Scenario behaviour that mutation testing of ``scenario/spec.py`` found untested (issue 19):
what a resolved scenario records, overrides of a scenario whose model is gone or given tables
that are not year-value pairs, and where an inflow table sits on the model's time axis."""

from __future__ import annotations

import shutil

import pytest
import yaml
from scenario_support import GOOD, MODEL, only_problem, problems_of, write

from chenzhou_water.errors import Problem, ValidationError
from chenzhou_water.scenario import spec as scenario_module
from chenzhou_water.scenario.spec import load_scenario
from tests.test_scenario_inflow_file import HEADER, _rows, _scenario

BILINGUAL = """
    name: {zh: 测试情景, en: test-1}
    description: {zh: 说明。, en: Text.}
    levers:
      leakage_target: {2050: 0.1, 2015: 0.2, 2030.5: 0.12}
    outputs: [year]
"""


def test_the_resolved_record_keeps_both_languages_and_writes_whole_years_as_integers(tmp_path):
    s = load_scenario(write(tmp_path, "s.yaml", BILINGUAL))
    data = s.to_dict()
    assert data["name"] == {"zh": "测试情景", "en": "test-1"}
    assert data["description"] == {"zh": "说明。", "en": "Text."}
    # what a result's provenance shows: 2015, not 2015.0 (a decimal year stays decimal)
    text = yaml.safe_dump(data["levers"])
    assert text == "leakage_target:\n  2015: 0.2\n  2030.5: 0.12\n  2050: 0.1\n"


def test_the_portable_record_names_the_model_by_file_name_only(tmp_path):
    s = load_scenario(write(tmp_path, "good.yaml", GOOD))
    portable = s.portable_dict()
    assert portable["model"] == "scenario_model.mdl"
    assert portable == {**s.to_dict(), "model": "scenario_model.mdl"}


def test_scenarios_that_differ_hash_apart_and_show_their_values(tmp_path):
    s = load_scenario(write(tmp_path, "good.yaml", GOOD))
    other = s.with_overrides(parameters={"reservoir_capacity": 2e9})
    assert hash(s) != hash(other)
    assert hash(s.parameters) != hash(other.parameters)
    assert "'reservoir_capacity': 1500000000.0" in repr(s)


def test_overriding_a_scenario_whose_model_file_is_gone_names_the_model(tmp_path):
    model = tmp_path / "m.mdl"
    shutil.copy(MODEL, model)
    s = load_scenario(write(tmp_path, "s.yaml", "model: m.mdl\nname: s\noutputs: [year]\n",
                            model=False))
    model.unlink()
    with pytest.raises(ValidationError) as info:
        s.with_overrides(parameters={"reservoir_capacity": 2e9})
    assert info.value.problems == [
        Problem(str(model.resolve()), "", f"{model.resolve()}: model file not found")
    ]


@pytest.mark.parametrize(("table", "got"), [
    (0.5, "0.5 (float)"),
    ([{2015: 0.2}, {2030: 0.1}], "a list"),  # two tables, not (years, values)
    (((2015, 2030), (0.2,)), "a list"),  # years and values of different lengths
])
def test_an_override_table_that_is_not_year_value_pairs_is_reported(tmp_path, table, got):
    s = load_scenario(write(tmp_path, "good.yaml", GOOD))
    with pytest.raises(ValidationError) as info:
        s.with_overrides(levers={"leakage_target": table})
    [problem] = info.value.problems
    assert str(problem).startswith("<overrides>: levers.leakage_target: expected a mapping of "
                                   "year to value")
    assert str(problem).endswith(f"got {got}")


def test_an_inflow_table_needs_a_start_year_also_on_a_monthly_model(tmp_path):
    (tmp_path / "inflow.csv").write_text(HEADER, encoding="utf-8")
    path = write(tmp_path, "s.yaml", "name: s\ninflow_file: inflow.csv\noutputs: [year]\n")
    assert only_problem(path) == (
        f"{path}:3: inflow_file: this model has no monthly time axis with a 'start year'; an "
        "inflow table cannot be placed on it")


def test_an_inflow_table_covers_the_months_from_initial_to_final_time(tmp_path):
    # A model whose clock starts at month 12: its run is the 24 months 12..35, so the table
    # holds 24 months from the start year.
    text = MODEL.read_text(encoding="utf-8")
    text = text.replace("FINAL TIME  = 431", "FINAL TIME  = 35").replace(
        "INITIAL TIME  = 0", "INITIAL TIME  = 12")
    text = text.replace("leakage target(", "start year=\n\t2015\n\t~\tyear\n\t~\t|\n\n"
                        "leakage target(", 1)
    (tmp_path / "m.mdl").write_text(text, encoding="utf-8")
    rows = [f"{y},{m},{1e6 * m}\n" for y in (2015, 2016) for m in range(1, 13)]
    (tmp_path / "inflow.csv").write_text(HEADER + "".join(rows), encoding="utf-8")
    path = write(tmp_path, "s.yaml", "model: m.mdl\nname: s\ninflow_file: inflow.csv\n"
                 "outputs: [year]\n", model=False)
    assert load_scenario(path).inflow == tuple(1e6 * m for _ in (2015, 2016) for m in range(1, 13))


def test_inflow_levers_left_at_one_beside_a_table_are_accepted(tmp_path):
    extra = ("levers:\n  climate_runoff_multiplier: {2015: 1, 2050: 1.0}\n"
             "  inflow_multiplier_schedule: {2015: 1}\n")
    assert load_scenario(_scenario(tmp_path, [HEADER, *_rows()], extra)).inflow is not None


def test_an_inflow_lever_at_two_beside_a_table_is_an_error(tmp_path):
    extra = "levers:\n  inflow_multiplier_schedule: {2015: 2.0}\n"
    with pytest.raises(ValidationError) as info:
        load_scenario(_scenario(tmp_path, [HEADER, *_rows()], extra))
    [problem] = info.value.problems
    assert str(problem).endswith(
        "inflow_file: the inflow table replaces the model's reservoir inflow, so the lever "
        "'inflow_multiplier_schedule' set in this scenario chain would have no effect; put that "
        "change into the table instead, or remove the lever")


# --- names and descriptions ----------------------------------------------------------------


def test_one_text_for_both_languages_leaves_the_chinese_fields_empty(tmp_path):
    s = load_scenario(write(tmp_path, "s.yaml", "name: s-1\ndescription: Text.\noutputs: [year]\n"))
    assert (s.name, s.name_zh, s.description, s.description_zh) == ("s-1", "", "Text.", "")
    assert (s.to_dict()["name"], s.to_dict()["description"]) == ("s-1", "Text.")
    bare = load_scenario(write(tmp_path, "t.yaml", "name: t\noutputs: [year]\n"))
    assert (bare.description, bare.description_zh) == ("", "")


def test_both_languages_reach_the_scenario(tmp_path):
    s = load_scenario(write(tmp_path, "s.yaml", BILINGUAL))
    assert (s.name, s.name_zh, s.description, s.description_zh) == (
        "test-1", "测试情景", "Text.", "说明。")


# --- where problems are reported -----------------------------------------------------------


def test_an_empty_file_is_one_problem_that_says_what_a_scenario_needs(tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing but a comment\n", encoding="utf-8")
    assert only_problem(empty) == (
        f"{empty}: the file is empty (or only comments); a scenario needs at least 'name', or "
        "'extends' naming a scenario that has one")


@pytest.mark.parametrize("key", ["extends", "model", "inflow_file"])
def test_a_path_key_that_is_not_a_string_is_located(tmp_path, key):
    path = write(tmp_path, "s.yaml", f"{key}: 3\nname: s\noutputs: [year]\n", model=False)
    assert only_problem(path) == f"{path}:1: {key}: expected a string, got 3 (int)"


def test_problems_of_one_file_are_listed_by_line(tmp_path):
    # the checks run top-level keys first, then parameters, levers and outputs
    path = write(tmp_path, "s.yaml", """
        outputs: [nothing]
        parameters: {reservoir_capacit: 1}
        name: 'a b'
    """)
    assert [p.split(": ")[0] for p in problems_of(path)] == [f"{path}:{n}" for n in (2, 3, 4)]


def test_a_model_that_does_not_parse_is_reported_at_the_model_key(tmp_path):
    (tmp_path / "bad.mdl").write_text("this is not {a model\n", encoding="utf-8")
    path = write(tmp_path, "s.yaml", "model: bad.mdl\nname: s\noutputs: [year]\n", model=False)
    assert only_problem(path).startswith(
        f"{path}:1: model: {tmp_path / 'bad.mdl'}: not a Vensim model PySD can parse")


def test_a_broken_project_model_is_reported_on_the_file_loaded(tmp_path, monkeypatch):
    broken = tmp_path / "chenzhou_water.mdl"
    broken.write_text("this is not {a model\n", encoding="utf-8")
    monkeypatch.setattr(scenario_module, "default_model_path", lambda: broken)
    write(tmp_path, "base.yaml", "name: base\noutputs: [year]\n", model=False)
    child = write(tmp_path, "child.yaml", "extends: base.yaml\n", model=False)
    with pytest.raises(ValidationError) as info:
        load_scenario(child)
    [problem] = info.value.problems
    assert (problem.file, problem.where, problem.line) == (str(child), "model", None)
    assert problem.message.startswith(f"{broken}: not a Vensim model PySD can parse")


def test_a_parent_named_through_a_parent_folder_is_shown_by_its_plain_path(tmp_path):
    (tmp_path / "sub").mkdir()
    base = write(tmp_path, "base.yaml", "name: base\noutputs: [nothing]\n")
    child = write(tmp_path, "child.yaml", "extends: sub/../base.yaml\n", model=False)
    assert only_problem(child).startswith(f"{base}:3: outputs[0]: ")


def test_a_parent_reached_through_a_linked_folder_is_the_file_the_link_leads_to(tmp_path):
    # 'link/..' is the link's target's parent, which is not where the text 'link/..' points
    (tmp_path / "real" / "sub").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "real" / "sub")
    base = write(tmp_path / "real", "base.yaml", "name: base\noutputs: [year]\n")
    child = write(tmp_path, "child.yaml", "extends: link/../base.yaml\n", model=False)
    assert load_scenario(child).files == (child.resolve(), base.resolve())
