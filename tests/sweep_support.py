"""Helpers shared by the sweep-file tests: a clean sweep file and ways to break it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from chenzhou_water.errors import ValidationError
from chenzhou_water.sweep import load_sweep

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

BASE = """
    name: sweep-1
    description: A clean sweep.
    extends: base.yaml
    members: 16
    seed: 0
    sampler: latin_hypercube
    parameters:
      background_leakage_rate: {uniform: {low: 0.02, high: 0.05}}
      public use per capita: range
      unmetered_loss_rate: {range: [0.08, 0.14]}
      industrial_intensity_decline: {triangular: {low: 0.01, mode: 0.02, high: 0.04}}
      peak_day_factor: {normal: {mean: 1.2, sd: 0.05}}
      leakage_per_old_main_km: {lognormal: {median: 0.0025, sigma: 0.3}}
    levers:
      renewal_programme: {scale: [0.5, 1.5]}
      metering_programme:
        choice:
          slow: {2015: 0, 2050: 5}
          fast: {2015: 0, 2020: 20, 2050: 20}
        weights: [0.7, 0.3]
    inflow:
      drought_2022: {annual_probability: 0.05}
    outputs:
      series: [leakage_rate]
      metrics:
        - reliability
        - {metric: reliability, period: [2030, 2035]}
        - {metric: leakage, year: 2025, name: leakage_in_2025}
        - {metric: months_below_dead_storage, margin: 5.0e8}
"""


def write(folder: Path, body: str, name: str = "sweep.yaml") -> Path:
    (folder / "base.yaml").write_text("name: base\n", encoding="utf-8")
    path = folder / name
    path.write_text(textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return path


def edit(old: str, new: str) -> str:
    """The clean sweep with one line changed (``old`` must occur once)."""
    text = textwrap.dedent(BASE)
    assert text.count(old) == 1, old
    return text.replace(old, new)


def problems(path: Path) -> list[str]:
    with pytest.raises(ValidationError) as info:
        load_sweep(path)
    return [str(p) for p in info.value.problems]
