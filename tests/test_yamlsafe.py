"""The limits every YAML input is read under: each hostile document is a located problem,
quickly, with no traceback, whichever command reads it."""

from __future__ import annotations

import time

import pytest
from typer.testing import CliRunner

from chenzhou_water.errors import ValidationError
from chenzhou_water.schema.checker import parse_yaml
from chenzhou_water.schema.yamlsafe import MAX_BYTES, MAX_DEPTH, MAX_INT_DIGITS, MAX_NODES
from cli import app
from tests.conftest import ROOT


def _alias_bomb(levels: int = 8, width: int = 10) -> str:
    """A few hundred bytes that expand to ``width ** levels`` scalars."""
    lines = ["a0: &a0 [" + ", ".join(["x"] * width) + "]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


HOSTILE = {
    "alias bomb": (_alias_bomb(), 6, f"expands to more than {MAX_NODES:,} nodes"),
    "recursive alias": ("name: x\na: &a [1, *a]\n", 2, "alias *a is used inside the node"),
    "recursive mapping alias": ("b: &b\n  c: *b\n", 2, "alias *b is used inside the node"),
    "deep nesting": ("x: " + "[" * 5000 + "]" * 5000 + "\n", 1, f"nested more than {MAX_DEPTH}"),
    "deep block nesting": ("".join(f"{' ' * i}k:\n" for i in range(300)), MAX_DEPTH + 1,
                           f"nested more than {MAX_DEPTH}"),
    "NUL": ("name: x\ndescription: a\x00b\n", 2, "control character U+0000 is not allowed"),
    "escape": ("name: x\n\x1b[31m: 1\n", 2, "control character U+001B"),
    "huge whole number": ("name: x\nmembers: " + "9" * 400 + "\n", 2,
                          f"a whole number of 400 digits; at most {MAX_INT_DIGITS}"),
    "huge key": ("name: x\n? " + "1" * 5000 + "\n: 1\n", 2,
                 "a whole number of 5000 digits"),
    "duplicate key": ("name: x\nseed: 1\nseed: 2\n", 3, "duplicate key 'seed'"),
}


def _read(text: str) -> None:
    document = parse_yaml(text, "f.yaml")
    if document.problems:  # duplicate keys are problems of the document, raised by loaders
        raise ValidationError(list(document.problems))


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_yaml_is_a_located_problem(case):
    text, line, message = HOSTILE[case]
    started = time.perf_counter()
    with pytest.raises(ValidationError) as info:
        _read(text)
    assert time.perf_counter() - started < 5
    problem = info.value.problems[0]
    assert (problem.file, problem.line) == ("f.yaml", line), str(problem)
    assert message in problem.message


def test_an_oversized_file_is_refused_before_it_is_parsed():
    text = "a: [" + "1, " * (MAX_BYTES // 3 + 10) + "1]\n"
    with pytest.raises(ValidationError, match=f"at most {MAX_BYTES:,} are read"):
        parse_yaml(text, "f.yaml")


def test_limits_leave_ordinary_documents_alone():
    text = (
        "name: x\nbase: &base {a: 1, b: [1, 2]}\nother:\n  <<: *base\n  c: 9223372036854775807\n"
        "deep: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    )
    document = parse_yaml(text, "f.yaml")
    assert document.data["other"] == {"a": 1, "b": [1, 2], "c": 2**63 - 1}
    assert document.problems == ()


def _commands(path, out):
    """Every command that reads a YAML file given by the user, reading ``path``."""
    good_params = ROOT / "calibration" / "parameters.yaml"
    return {
        "validate": ["validate", str(path)],
        "run": ["run", str(path), "--out", str(out)],
        "sweep": ["sweep", str(path), "--out", str(out)],
        "sensitivity": ["sensitivity", str(path), "--out", str(out)],
        "calibrate": ["calibrate", str(path), "--parameters", str(good_params), "--out",
                      str(out)],
        "calibrate --parameters": ["calibrate", str(ROOT / "calibration" / "targets.yaml"),
                                   "--parameters", str(path), "--out", str(out)],
    }


@pytest.mark.parametrize("command", sorted(_commands("f", "o")))
def test_every_command_refuses_an_alias_bomb_quickly_with_status_2(tmp_path, command):
    path = tmp_path / "bomb.yaml"
    path.write_text(_alias_bomb(), encoding="utf-8")
    out = tmp_path / "out"
    started = time.perf_counter()
    result = CliRunner().invoke(app, _commands(path, out)[command])
    assert time.perf_counter() - started < 20
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"bomb.yaml:6: the document expands to more than {MAX_NODES:,} nodes" in result.output
    assert not out.exists()
