"""CI runs the README's own test command, and the README's commands are the real ones."""

from __future__ import annotations

import re
import subprocess

import pytest

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


def test_ci_turns_a_missing_browser_or_cjk_font_into_a_failure(monkeypatch):
    from report_support import REQUIRE_BROWSER, REQUIRE_FONT, skip_or_fail

    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f"export {REQUIRE_BROWSER}=1 {REQUIRE_FONT}=1" in script
    monkeypatch.delenv("CI", raising=False)
    for variable in (REQUIRE_BROWSER, REQUIRE_FONT):
        monkeypatch.setenv(variable, "1")
        with pytest.raises(pytest.fail.Exception, match=f"{variable} or CI is set"):
            skip_or_fail("no such thing", variable)
        monkeypatch.setenv(variable, "0")
        with pytest.raises(pytest.skip.Exception, match="no such thing"):
            skip_or_fail("no such thing", variable)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        skip_or_fail("no such thing", REQUIRE_FONT)
