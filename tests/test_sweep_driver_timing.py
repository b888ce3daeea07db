"""The driver's work per chunk, as a sweep's timings report it, includes drawing the chunk's
sample: the one serial part done while workers compute (the benchmark's Amdahl projection
counts it for every chunk)."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from chenzhou_water.execution import ExecutionOptions
from chenzhou_water.sweep import run as sweep_run
from chenzhou_water.sweep import run_sweep

SWEEP = """
    name: timed
    extends: base.yaml
    members: 6
    seed: 3
    parameters:
      background_leakage_rate: {uniform: {low: 0.025, high: 0.05}}
    outputs:
      metrics: [reliability]
"""
DRAWING = 0.03  # CPU seconds each chunk's sample takes below


@pytest.mark.parametrize("workers", [None, 1])
def test_driver_time_per_chunk_counts_the_drawing_of_its_sample(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int | None
) -> None:
    draw = sweep_run.SweepSample.__call__

    def slow(self: object, start: int, stop: int) -> object:
        until = time.thread_time() + DRAWING
        while time.thread_time() < until:  # CPU, as drawing a large sample takes
            pass
        return draw(self, start, stop)

    monkeypatch.setattr(sweep_run.SweepSample, "__call__", slow)
    (tmp_path / "base.yaml").write_text("name: base\n", encoding="utf-8")
    path = tmp_path / "timed.yaml"
    path.write_text(textwrap.dedent(SWEEP).lstrip("\n"), encoding="utf-8")
    result = run_sweep(path, tmp_path / "out", ExecutionOptions(workers=workers, chunk_size=2),
                       plots=False)  # fmt: skip
    timings = result.run.timings
    assert result.run.chunks == 3
    assert timings["driver_cpu_per_chunk"] >= DRAWING
    assert timings["driver_per_chunk"] >= timings["driver_cpu_per_chunk"] * 0.5
    assert "submit" not in timings  # folded into the per-chunk figures
    assert "submit_cpu" not in timings
