"""The YAML reading and checking machinery shared by every input-file loader."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from chenzhou_water.errors import ValidationError
from chenzhou_water.schema.checker import (
    Checker,
    format_path,
    format_range,
    is_number,
    load_yaml,
    parse_yaml,
    raise_problems,
    suggest,
    what_is,
)

TEXT = """\
name: x
levers:
  leakage_target:
    2015: 0.2
    2030.5: 0.1
outputs:
  - a
  - b
big: 1e9
bigger: 1.5E+10
small: -2.5e-3
plain: 12
"""


def test_lines_of_nested_paths() -> None:
    doc = parse_yaml(TEXT, "f.yaml")
    assert doc.line(("name",)) == 1
    assert doc.line(("levers", "leakage_target", 2015)) == 4
    assert doc.line(("levers", "leakage_target", 2030.5)) == 5
    assert doc.line(("outputs", 1)) == 8
    assert doc.line(("outputs", 7)) == 6  # unknown paths fall back to the nearest ancestor


def test_numbers_follow_yaml_1_2() -> None:
    data = parse_yaml(TEXT).data
    assert data["big"] == 1e9
    assert isinstance(data["big"], float)
    assert data["bigger"] == 1.5e10
    assert data["small"] == -2.5e-3
    assert data["plain"] == 12
    assert isinstance(data["plain"], int)
    assert parse_yaml("a: 1_000\nb: 0x10\nc: 1e\n").data == {"a": 1000, "b": 16, "c": "1e"}


def test_unsafe_tags_are_rejected() -> None:
    with pytest.raises(ValidationError, match=r"f\.yaml:1: invalid YAML: .*python/object"):
        parse_yaml("a: !!python/object/apply:os.system ['true']\n", "f.yaml")


def test_empty_document_is_none() -> None:
    assert parse_yaml("# only a comment\n").data is None


def test_unreadable_files(tmp_path: Path) -> None:
    (tmp_path / "latin1.yaml").write_bytes(b"name: caf\xe9\n")
    with pytest.raises(ValidationError, match=r"latin1\.yaml: not UTF-8 text"):
        load_yaml(tmp_path / "latin1.yaml")
    with pytest.raises(ValidationError, match="is a directory, not a file"):
        load_yaml(tmp_path, display="dir")


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (("levers", "leakage_target", 2025), "levers.leakage_target[2025]"),
        (("parameters", "leakage rate"), "parameters['leakage rate']"),
        (("outputs", 3), "outputs[3]"),
        (("levers", "x", 2030.5), "levers.x[2030.5]"),
        ((), ""),
    ],
)
def test_format_path(path: tuple, text: str) -> None:
    assert format_path(path) == text


def test_formatting_values_and_ranges() -> None:
    assert what_is("abc") == "'abc' (str)"
    assert what_is(True) == "true (bool)"
    assert what_is(None) == "null"
    assert what_is({}) == "a mapping"
    assert what_is(2.0) == "2 (float)"
    assert format_range(0, 1) == "[0, 1]"
    assert format_range(None, 1.5) == "(-inf, 1.5]"
    assert format_range(0, None) == "[0, +inf)"
    assert suggest("leakge", ["leakage", "storage"]) == "; did you mean 'leakage'?"
    assert suggest("zzz", ["leakage"]) == ""


def test_numbers_include_numpy_scalars_but_not_booleans() -> None:
    assert is_number(np.float32(1.5))
    assert is_number(np.int64(3))
    assert is_number(2)
    assert not is_number(True)
    assert not is_number(np.bool_(True))
    assert not is_number(float("nan"))
    assert not is_number("1")


def test_checker_collects_problems_and_raises_them_together() -> None:
    doc = parse_yaml("sweep:\n  sampels: 3\n  seed: yes\n", "s.yaml")
    check = Checker(doc)
    sweep = check.mapping(("sweep",), doc.data["sweep"])
    assert sweep is not None
    check.keys(("sweep",), sweep, ["samples", "seed"], required=["samples"])
    check.number(("sweep", "seed"), sweep["seed"])
    check.in_range(("sweep", "seed"), -1.0, 0, None, what="the allowed range")
    with pytest.raises(ValidationError) as info:
        check.raise_if_problems()
    assert [str(p) for p in info.value.problems] == [
        "s.yaml:2: sweep.sampels: unknown key 'sampels'; did you mean 'samples'? "
        "(allowed: samples, seed)",
        "s.yaml:1: sweep: missing required key 'samples'",
        "s.yaml:3: sweep.seed: expected a number, got true (bool)",
        "s.yaml:3: sweep.seed: -1 is below the allowed range [0, +inf)",
    ]
    assert re.match(r"4 problems found:\n  - s\.yaml:2", str(info.value))
    raise_problems([])  # nothing to raise
