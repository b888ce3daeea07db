"""The explorer without a browser: the model's structure and sketch, the controls, the session
(checks, runs, saving) and the serving options."""

from __future__ import annotations

import re

import numpy as np
import pytest
from typer.testing import CliRunner

from chenzhou_water.errors import ValidationError
from chenzhou_water.explore.controls import controls, format_table, parse_table
from chenzhou_water.explore.layout import layout
from chenzhou_water.explore.serve import check_serve_options
from chenzhou_water.explore.session import headline_rows, open_session
from chenzhou_water.explore.sketch import SKETCH_MARKER, model_with_sketch, sketch_text
from chenzhou_water.explore.structure import read_structure
from chenzhou_water.model.contract import HEADLINE_INDICATORS
from chenzhou_water.scenario.spec import load_scenario
from tests.conftest import MODEL, ROOT


@pytest.fixture(scope="module")
def structure():
    return read_structure(MODEL)


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    return open_session(ROOT / "scenarios" / "baseline.yaml", tmp_path_factory.mktemp("save"))


def test_the_committed_sketch_is_the_generated_one():
    # Regenerate with: python -m chenzhou_water.explore.sketch
    assert MODEL.read_text(encoding="utf-8") == model_with_sketch(MODEL)


def test_structure_finds_the_stocks_and_their_flows(structure):
    storage = structure.elements["reservoir_storage"]
    assert storage.role == "stock"
    assert storage.inflows == ("reservoir_inflow",)
    assert "reservoir_spill" in storage.outflows
    assert "turbine_release" in storage.outflows
    assert structure.elements["reservoir_spill"].role == "flow"
    assert structure.elements["renewal_programme"].role == "lookup"
    assert "renewal_programme" in structure.elements["main_renewal"].depends_on
    assert set(structure.sectors) >= {"Dongjiang reservoir", "Network leakage",
                                      "Lake-cooled data centre"}
    controls_of_model = {"initial_time", "final_time", "time_step", "saveper"}
    assert set(structure.elements) == set(structure.info.variables) - controls_of_model


def test_sketch_records_name_every_variable_once_and_link_known_ids(structure):
    text = sketch_text(structure)
    assert text.startswith(f"{SKETCH_MARKER} Sketch information")
    assert "\nV300 " in text
    assert "\n*View 1\n" in text
    records = [line.split(",") for line in text.splitlines() if re.match(r"^\d+,\d+,", line)]
    ids = {int(r[1]) for r in records if r[0] in ("10", "11", "12")}
    names = [r[2] for r in records if r[0] == "10"]
    assert sorted(names) == sorted(e.name for e in structure.elements.values())
    arrows = [r for r in records if r[0] == "1"]
    assert arrows
    assert all(int(a[2]) in ids and int(a[3]) in ids for a in arrows)
    stocks = [r for r in records if r[0] == "10" and r[7] == "3"]
    assert len(stocks) == sum(e.role == "stock" for e in structure.elements.values())


def test_layout_places_every_variable_apart(structure):
    where = layout(structure)
    spots = [(p.x, p.y) for p in where.positions.values()]
    assert len(where.positions) == len(structure.elements)
    assert len(set(spots)) == len(spots)


def test_every_lever_and_free_constant_is_a_control_with_a_chinese_name(structure):
    found = {c.key: c for items in controls(structure, {}, {}).values() for c in items}
    info = structure.info
    free = {k for k, v in info.variables.items() if v.kind == "constant" and v.value is not None
            and not (v.limits[0] is not None and v.limits[0] == v.limits[1])}
    assert free <= set(found)
    assert found["renewal_programme"].kind == "lever"
    assert all(c.name_zh for c in found.values()), [k for k, c in found.items() if not c.name_zh]
    assert "老旧管网改造计划" in found["renewal_programme"].label("zh")


def test_lever_text_reads_as_a_table_or_says_what_is_wrong():
    assert parse_table("x", "2015: 0, 2019: 9.3", "explorer") == {2015: 0, 2019: 9.3}
    assert format_table({2015.0: 0.0, 2020.99: 9.3}) == "2015: 0, 2020.99: 9.3"
    with pytest.raises(ValidationError, match=r"explorer: levers.x: could not read '2015: \[' "
                       r"as 'year: value' pairs"):
        parse_table("x", "2015: [", "explorer")


def test_bad_values_get_the_loaders_messages_and_change_nothing(session):
    with pytest.raises(ValidationError, match=re.escape(
            "explorer: parameters.initial_active_storage_fraction: 1.5 is above the model's "
            "range [0, 1]")):
        session.update(parameters={"initial_active_storage_fraction": 1.5})
    with pytest.raises(ValidationError, match=re.escape(
            "explorer: levers.renewal_programme[2019]: 900 is above the model's range [0, 50]")):
        session.update(levers={"renewal_programme": {2015: 0, 2019: 900}})
    assert session.parameters == {}
    assert session.levers == {}


def test_a_change_reruns_and_the_saved_yaml_validates(session):
    start = session.run(session.start)
    scenario = session.update(parameters={"initial_active_storage_fraction": 0.3},
                              levers={"renewal_programme": {2015: 0, 2019: 20, 2050: 20}})
    changed = session.run(scenario)
    assert changed.values["reservoir_storage"][0, 0] < start.values["reservoir_storage"][0, 0]
    rows = headline_rows(changed, start)
    assert len(rows) == len(HEADLINE_INDICATORS)
    saved = load_scenario(session.save("explored_test"))
    assert saved.name == "explored_test"
    assert saved.parameters["initial_active_storage_fraction"] == 0.3
    assert saved.levers["renewal_programme"] == ((2015, 2019, 2050), (0, 20, 20))
    with pytest.raises(ValidationError, match="name"):
        session.save("../outside")
    assert not (session.save_dir.parent / "outside.yaml").exists()


def test_an_ensemble_run_has_its_members(session):
    run = session.run(session.start, members=3)
    assert run.members == 3
    assert not np.allclose(run.values["reservoir_storage"][0], run.values["reservoir_storage"][1])


def test_serving_anywhere_but_loopback_needs_a_token():
    assert check_serve_options("127.0.0.1", 5006, None).warning == ""
    with pytest.raises(ValidationError, match=re.escape(
            "--host: '0.0.0.0' is not this machine's loopback")):
        check_serve_options("0.0.0.0", 5006, None)
    with pytest.raises(ValidationError, match="at least 12 characters"):
        check_serve_options("0.0.0.0", 5006, "short")
    with pytest.raises(ValidationError, match="--port: 70000 is not a port"):
        check_serve_options("127.0.0.1", 70000, None)
    exposed = check_serve_options("0.0.0.0", 5006, "a-long-enough-secret")
    assert "exposed on 0.0.0.0:5006" in exposed.warning


def test_cli_refuses_an_exposed_explorer_without_a_token():
    from cli import app

    result = CliRunner().invoke(app, ["explore", "--host", "0.0.0.0", "--no-browser"])
    assert result.exit_code == 2
    assert "give a password with --token" in result.output


@pytest.mark.slow  # two runs and the report's attribution: about 10 s
def test_the_report_compares_the_settings_with_the_start(session):
    session.update(parameters={"background_leakage_rate": 0.08})
    page = session.report("report_test")
    assert page == session.save_dir / "report_test_report.html"
    html = page.read_text(encoding="utf-8")
    assert "baseline" in html
    assert "report_test" in html
    assert "background_leakage_rate" in html
    assert [p.name for p in session.save_dir.iterdir() if p.name.startswith(".")] == []


@pytest.mark.slow  # builds the whole page (controls, plots, diagram) and runs it: several s
def test_the_page_switches_to_chinese_and_back(session):
    from chenzhou_water.explore.app import Explorer

    explorer = Explorer(session)
    assert explorer.last_run is not None
    assert explorer.control("renewal_programme").label.startswith("renewal programme")
    explorer.set_language("zh")
    assert explorer.control("renewal_programme").label.startswith("老旧管网改造计划")
    assert explorer.tabs._names == ["结果", "结构图"]
    assert explorer.plots.figures["fig_leakage"].title.text == "供水漏损率（%）"
    assert "供水漏损率" in explorer.table.object
    assert "管网漏损" in explorer.sector.options
    explorer.set_language("en")
    assert explorer.tabs._names == ["Results", "Structure diagram"]
    assert "Network leakage rate" in explorer.table.object


def test_the_ensemble_switch_draws_bands(session):
    from chenzhou_water.explore.app import Explorer

    explorer = Explorer(session, ensemble_members=5)
    explorer.ensemble.value = True
    assert explorer.last_run.members == 5
    band = explorer.plots.current["fig_storage", 0].data
    assert np.all(band["hi"] >= band["lo"])
    assert np.any(band["hi"] > band["lo"])
    assert "5 member(s)" in explorer.status.object


def test_the_diagram_names_every_variable_in_chinese_and_switches_back(session):
    from chenzhou_water.explore.app import Explorer
    from chenzhou_water.explore.diagram import details_markdown

    explorer = Explorer(session)
    nodes = explorer.diagram.nodes.data
    where = nodes["key"].index("reservoir_storage")
    vensim_name = explorer.structure.elements["reservoir_storage"].name
    assert nodes["name"][where] == vensim_name
    explorer.set_language("zh")
    nodes = explorer.diagram.nodes.data
    assert nodes["name"][where] == "水库蓄水量"
    english = [k for k, n in zip(nodes["key"], nodes["name"], strict=True)
               if re.search(r"[a-z]{2,}", n)]  # acronyms (PUE, FAVAD, ILI) are written so
    assert not english, english  # every variable has its Chinese name on the diagram
    details = details_markdown(explorer.structure, "leakage_rate", 0.17, "zh")
    assert details.startswith("### 管网漏损率（")
    explorer.set_language("en")
    assert explorer.diagram.nodes.data["name"][where] == vensim_name
