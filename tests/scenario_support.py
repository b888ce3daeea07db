"""Helpers shared by the scenario-format tests: a small model and scenario files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from chenzhou_water.errors import ValidationError
from chenzhou_water.scenario.spec import load_scenario

MODEL = Path(__file__).parent / "models" / "scenario_model.mdl"


def write(directory: Path, name: str, body: str, model: bool = True) -> Path:
    """Write a scenario file; ``model: <the test model>`` is prepended unless ``model=False``."""
    text = textwrap.dedent(body).lstrip("\n")
    if model:
        text = f"model: '{MODEL.as_posix()}'\n" + text
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    """The problems reported for ``path``, as ``file:line: where: message`` strings."""
    with pytest.raises(ValidationError) as info:
        load_scenario(path)
    return [str(p) for p in info.value.problems]


def only_problem(path: Path) -> str:
    found = problems_of(path)
    assert len(found) == 1, found
    return found[0]


GOOD = """
    name: good-1
    description: A clean scenario.
    parameters:
      leakage rate initial: 0.25
      population_growth_rate: -0.01
      reservoir_capacity: 1.5e9
    levers:
      leakage_target: {2050: 0.1, 2015: 0.2, 2030.5: 0.12}
    outputs: [reservoir_storage, Leakage Rate, year]
"""
