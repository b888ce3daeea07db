"""Who draws a chunk's members, as a sweep's timings report it: the driving process in a serial
run (its work per chunk, which the benchmark's Amdahl projection counts for every chunk), the
worker that computes the chunk on Dask (the tasks carry only the chunks' bounds)."""

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


def _run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int | None) -> dict[str, float]:
    draw = sweep_run.SweepSample.__call__

    def slow(self: object, start: int, stop: int) -> object:
        until = time.thread_time() + DRAWING
        while time.thread_time() < until:  # CPU, as drawing a large sample takes
            pass
        return draw(self, start, stop)

    monkeypatch.setattr(sweep_run.SweepSample, "__call__", slow)  # forked workers inherit it
    (tmp_path / "base.yaml").write_text("name: base\n", encoding="utf-8")
    path = tmp_path / "timed.yaml"
    path.write_text(textwrap.dedent(SWEEP).lstrip("\n"), encoding="utf-8")
    result = run_sweep(path, tmp_path / "out", ExecutionOptions(workers=workers, chunk_size=2),
                       plots=False)  # fmt: skip
    assert result.run.chunks == 3
    timings = dict(result.run.timings)
    assert "submit" not in timings  # folded into the per-chunk figures
    assert "submit_cpu" not in timings
    return timings


def test_a_serial_run_counts_drawing_a_chunks_sample_as_the_drivers_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    timings = _run(tmp_path, monkeypatch, None)
    assert timings["driver_cpu_per_chunk"] >= DRAWING
    assert timings["driver_per_chunk"] >= timings["driver_cpu_per_chunk"] * 0.5


def test_on_dask_the_worker_draws_its_chunks_members(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    timings = _run(tmp_path, monkeypatch, 1)
    assert timings["driver_cpu_per_chunk"] < DRAWING  # submitting and collecting only
    assert timings["worker_cpu"] >= 3 * DRAWING
