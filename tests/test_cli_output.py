"""What the command line prints is exactly the text the library wrote: no Rich markup or emoji
is read from values, file names or the project's own messages, and no file is echoed whole."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli import app
from tests.conftest import ROOT

runner = CliRunner()


def _scenario(tmp_path, body: str, name: str = "s.yaml"):
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize("value", ["a[/x]b", "[bold]x", "[link=file:///etc]y", ":x: z"])
def test_a_value_that_looks_like_markup_is_printed_as_written(tmp_path, value):
    path = _scenario(tmp_path, f"name: ok\ndescription: d\nparameters:\n  '{value}': 1\n")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"parameters['{value}']: unknown model constant" in result.output


def test_a_file_name_that_looks_like_markup_is_printed_as_written(tmp_path):
    path = _scenario(tmp_path, "name: ok\ndescription: d\n", "[red]a.yaml")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{path}: valid scenario file ([red]a.yaml;" in result.output


def test_the_projects_own_messages_render_as_written(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text(
        f"name: s\nextends: {ROOT / 'scenarios' / 'baseline.yaml'}\nmembers: 4\nseed: 0\n"
        "parameters:\n  unmetered_loss_rate: {range: 5}\noutputs: {metrics: [reliability]}\n",
        encoding="utf-8")
    result = runner.invoke(app, ["sweep", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert "expected [low, high], got 5 (int)" in result.output
    assert not (tmp_path / "o").exists()


def test_an_extended_file_that_is_not_yaml_is_not_echoed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:root:/root:/usr/local/bin/bash\nSECRET-TOKEN-123\n"
                      + "more secret\n" * 200, encoding="utf-8")
    path = _scenario(tmp_path, f"name: ok\nextends: {secret}\n")
    for command in (["validate", str(path)], ["run", str(path), "--out", str(tmp_path / "o")]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, result.output
        assert "SECRET-TOKEN-123" not in result.output
        assert "more secret" not in result.output
        assert "secret.txt:" in result.output


@pytest.mark.skipif(not __import__("os").path.exists("/dev/null"), reason="no /dev/null")
def test_a_device_is_not_called_a_missing_file():
    result = runner.invoke(app, ["validate", "/dev/null"])
    assert result.exit_code == 2, result.output
    assert "/dev/null: is not a regular file" in result.output
    assert "not found" not in result.output
