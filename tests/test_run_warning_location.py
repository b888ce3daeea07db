"""A cap warning points at the caller's line, where the scenario was run, not at the library.

Outside the mutation selection of ``scenario/run.py`` on purpose: under mutmut a trampoline
adds frames between the caller and ``run_scenario``, so there the warning's frame is not the
caller's (docs/mutation.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chenzhou_water.errors import CapBindingWarning
from chenzhou_water.scenario.run import run_scenario
from chenzhou_water.scenario.spec import load_scenario
from tests.test_run_scenario_by_hand import CAPPED, MODEL


def test_a_cap_warning_points_at_the_line_that_ran_the_scenario(tmp_path):
    (tmp_path / "small.mdl").write_text(MODEL, encoding="utf-8")
    path = tmp_path / "capped.yaml"
    path.write_text(f"name: capped\n{CAPPED}outputs: [reservoir_storage]\n", encoding="utf-8")
    scenario = load_scenario(path)
    with pytest.warns(CapBindingWarning) as caught:
        run_scenario(scenario)
    line = Path(__file__).read_text(encoding="utf-8").splitlines().index(
        "        run_scenario(scenario)") + 1
    assert [(w.filename, w.lineno) for w in caught] == [(__file__, line)] * 2
