"""The README's examples run: its scenario file, its sweep file and its Python snippet."""

from __future__ import annotations

import re

from chenzhou_water.scenario.spec import load_scenario
from chenzhou_water.sweep import load_sweep
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", README, flags=re.DOTALL)


def _block(language: str, starts_with: str) -> str:
    found = [text for lang, text in BLOCKS if lang == language and text.startswith(starts_with)]
    assert len(found) == 1, f"README has {len(found)} {language} blocks starting {starts_with!r}"
    return found[0]


def _with_absolute_extends(text: str) -> str:
    """Paths of the shipped files (``extends``, ``inflow_file``) made absolute."""
    return re.sub(r"^(extends|inflow_file): (\S+)", lambda m: f"{m.group(1)}: " + str(
        (ROOT / "scenarios" / m.group(2).replace("../", "")).resolve()), text, flags=re.M)


def test_readme_scenario_example_is_valid(tmp_path):
    path = tmp_path / "example.yaml"
    path.write_text(_with_absolute_extends(_block("yaml", "name: leakage_target")), "utf-8")
    scenario = load_scenario(path)
    assert scenario.parameters["phase_3_start_year"] == 2030
    assert "renewal_programme" in scenario.levers
    assert scenario.inflow_file is not None
    assert scenario.inflow is not None


def test_readme_sweep_example_is_valid(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text(_with_absolute_extends(_block("yaml", "name: drought_risk")), "utf-8")
    spec = load_sweep(path)
    assert spec.members == 10000


def test_readme_python_example_runs():
    code = _block("python", "import numpy as np").replace("models/chenzhou_water.mdl",
                                                         str(ROOT / "models/chenzhou_water.mdl"))
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["ds"].sizes["member"] == 1000
