"""The explorer's notebook runs headless from top to bottom (so it cannot rot)."""

from __future__ import annotations

import re

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "explore.ipynb"


def test_notebook_is_committed_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not cell.outputs
            assert cell.execution_count is None


@pytest.mark.slow
@pytest.mark.usefixtures("_cache_dir")
def test_notebook_runs_and_the_explorer_answers(tmp_path):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(notebook, kernel_name="python3", timeout=300,
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    text = "\n".join(out.get("text", "") for cell in notebook.cells
                     for out in cell.get("outputs", []) if out.get("output_type") == "stream")
    now, start = map(float, re.search(r"leakage rate 2030: ([\d.]+) \(start ([\d.]+)\)",
                                      text).groups())
    assert now > start  # more background leakage: a higher leakage rate
    shown = [out for out in notebook.cells[1].outputs if out.get("output_type") in
             ("display_data", "execute_result")]
    assert shown, "the explorer's page was not displayed"
