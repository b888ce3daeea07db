"""`chenzhou-water describe`: the model's variables with units, ranges and sources."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from chenzhou_water.model.catalogue import describe_model, source_kinds
from cli import app
from tests.conftest import MODEL

runner = CliRunner()


def test_source_kinds_reads_the_documentation_conventions():
    assert source_kinds("18.6 km renewed (seed 003)") == "seed"
    assert source_kinds("Assumption: see https://example.org") == "public, assumption"
    assert source_kinds("The calendar month.") == ""


def test_every_constant_and_lookup_names_a_source_kind():
    table = describe_model(MODEL)
    inputs = table[table["kind"].isin(["constant", "lookup"])]
    assert len(inputs) > 50
    assert (inputs["sources"] != "").all(), inputs[inputs["sources"] == ""].index.tolist()
    assert table.loc["dead_storage", "value"] == 2.45e9
    assert table.loc["reservoir_storage", "kind"] == "stock"


def test_cli_writes_csv_and_markdown(tmp_path):
    csv, md = tmp_path / "vars.csv", tmp_path / "vars.md"
    for target in (csv, md):
        result = runner.invoke(app, ["describe", str(MODEL), "--out", str(target)])
        assert result.exit_code == 0, result.output
    frame = pd.read_csv(csv, encoding="utf-8-sig", index_col="name")
    assert frame.loc["leakage_rate", "units"] == "Dmnl"
    assert md.read_text(encoding="utf-8").startswith("| name | vensim_name | kind |")


def test_cli_filters_by_kind_and_rejects_an_unknown_format(tmp_path):
    stocks = runner.invoke(app, ["describe", str(MODEL), "--kind", "stock"])
    assert stocks.exit_code == 0
    assert "installed_racks" in stocks.output
    assert "leakage_rate" not in stocks.output
    bad = runner.invoke(app, ["describe", str(MODEL), "--out", str(tmp_path / "vars.xlsx")])
    assert bad.exit_code == 2
    # rich wraps the message in a box whose width depends on the temporary path's length
    assert "use a file ending in .csv, .md" in " ".join(bad.output.replace("│", " ").split())
    assert "installed_racks" not in bad.output  # refused before any work
    assert not (tmp_path / "vars.xlsx").exists()
    unknown = runner.invoke(app, ["describe", str(MODEL), "--kind", "flows"])
    assert unknown.exit_code == 2
