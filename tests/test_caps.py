"""A run in which a variable sits at a cap the model puts on it says so: a warning (a line on
the terminal) and a record in the result's attributes; runs below the caps say nothing."""

from __future__ import annotations

import re

import pytest
import xarray as xr
from typer.testing import CliRunner

from chenzhou_water.errors import CapBindingWarning
from chenzhou_water.model.contract import CAPS
from chenzhou_water.scenario.run import run_scenario
from chenzhou_water.scenario.spec import load_scenario
from cli import app
from tests.conftest import MODEL, ROOT

# Every leakage constant at the top of its declared range: both caps bind.
LEAKY = """name: leaky
extends: {base}
parameters:
  background_leakage_rate: 0.2
  leakage_per_old_main_km: 0.01
  unmetered_loss_rate: 0.3
  initial_old_high_leak_mains: 200
"""


@pytest.fixture
def leaky(tmp_path):
    path = tmp_path / "leaky.yaml"
    path.write_text(LEAKY.format(base=ROOT / "scenarios" / "baseline.yaml"), encoding="utf-8")
    return path


@pytest.mark.parametrize("cap", CAPS, ids=lambda c: c.variable)
def test_each_cap_is_the_models_own(cap):
    text = MODEL.read_text(encoding="utf-8")
    name = cap.variable.replace("_", " ")
    equation = re.search(rf"^{re.escape(name)}=\s*\n\s*(.+)$", text, re.MULTILINE)
    assert equation is not None
    assert equation.group(1).startswith(f"MIN({cap.limit:g}, ")


def test_a_binding_cap_warns_and_is_recorded(leaky):
    with pytest.warns(CapBindingWarning) as caught:
        ds = run_scenario(load_scenario(leaky))
    messages = [str(w.message) for w in caught]
    assert any(m.startswith("leaky: leakage_rate sits at its cap of 0.6 (MIN(0.6, ...) in the "
                            "model) in ") for m in messages), messages
    assert any(m.startswith("leaky: real_loss_rate sits at its cap of 0.5") for m in messages)
    assert "leakage_rate sits at its cap of 0.6" in ds.attrs["caps_binding"]
    assert "real_loss_rate" not in ds, "computed to check its cap, not added to the outputs"


def test_the_run_command_prints_a_warning_line_and_the_file_records_it(leaky, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(leaky), "--out", str(out), "--no-plots"])
    assert result.exit_code == 0, result.output
    assert "warning: leaky: leakage_rate sits at its cap of 0.6" in result.output
    with xr.open_dataset(out / "leaky.nc") as ds:
        assert "leakage_rate sits at its cap of 0.6" in ds.attrs["caps_binding"]


def test_the_baseline_is_below_every_cap():
    ds = run_scenario(load_scenario(ROOT / "scenarios" / "baseline.yaml"))  # warnings are errors
    assert ds.attrs["caps_binding"] == "none"
