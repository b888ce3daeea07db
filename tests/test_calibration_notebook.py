"""The calibration notebook runs headless from top to bottom (so it cannot rot)."""

from __future__ import annotations

import re

import nbformat
import pytest
from nbclient import NotebookClient

from chenzhou_water.calibration import load_targets
from tests.conftest import ROOT

NOTEBOOK = ROOT / "calibration" / "calibrate.ipynb"


def test_notebook_is_committed_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not cell.outputs
            assert cell.execution_count is None


@pytest.mark.slow
@pytest.mark.usefixtures("_cache_dir")
def test_notebook_runs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(notebook, kernel_name="python3", timeout=300,
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    text = "\n".join(out.get("text", "") for cell in notebook.cells
                     for out in cell.get("outputs", []) if out.get("output_type") == "stream")
    met, total = map(int, re.search(r"hard targets met: (\d+) of (\d+)", text).groups())
    hard = [t for t in load_targets(ROOT / "calibration" / "targets.yaml") if t.hard]
    assert total == len(hard)
    assert met == total
