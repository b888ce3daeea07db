"""CI runs the README's own test command, and the README's commands are the real ones."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import ROOT


def _readme_block(marker: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"<!-- {marker}-command -->\s*```\w*\n(.+?)\n", text)
    assert match, f"README.md has no {marker}-command block"
    return match.group(1).strip()


def test_ci_runs_the_readme_test_command():
    printed = subprocess.run(
        ["bash", str(ROOT / ".ci" / "run"), "--print-command"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout.strip()
    assert printed == _readme_block("test")
    assert "pytest" in printed


def test_ci_script_executes_the_command_it_reads():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'eval "$test_command"' in script
    assert "set -euo pipefail" in script


def test_readme_run_command_runs_the_baseline():
    command = _readme_block("run")
    assert "pip install -c requirements.lock -e ." in command
    assert command.endswith("chenzhou-water run scenarios/baseline.yaml --out out")
