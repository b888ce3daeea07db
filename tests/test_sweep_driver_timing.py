"""Who draws a chunk's members, as a sweep's timings report it: the driving process in a serial
run (its work per chunk, which the benchmark's Amdahl projection counts for every chunk), the
worker that computes the chunk on Dask (the tasks carry only the chunks' bounds); and a
worker draws the same members as the serial loop."""

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


def test_a_matrix_sample_drawn_on_a_worker_gives_the_serial_runs_members(tmp_path: Path) -> None:
    """A sensitivity analysis's sample source is a closure over its matrix: it travels to the
    workers with the job, and they draw the same members as the serial loop."""
    import numpy as np
    import xarray as xr

    from chenzhou_water.scenario import load_scenario
    from chenzhou_water.sweep.execute import Ensemble, matrix_sample, run_ensemble
    from chenzhou_water.sweep.metrics import Metric

    (tmp_path / "base.yaml").write_text("name: base\n", encoding="utf-8")
    matrix = np.array([[0.02, 30.0], [0.03, 45.0], [0.05, 60.0]])
    ensemble = Ensemble(
        name="matrix", scenario=load_scenario(tmp_path / "base.yaml"), members=3,
        sample=matrix_sample(["background_leakage_rate", "public_use_per_capita"], matrix),
        fingerprint="test-matrix", metrics=(Metric("leakage_2030", "leakage", (2030, 2030)),),
    )  # fmt: skip
    serial = run_ensemble(ensemble, tmp_path / "serial", ExecutionOptions(chunk_size=2))
    dask = run_ensemble(ensemble, tmp_path / "dask", ExecutionOptions(workers=1, chunk_size=2))
    with xr.open_dataset(serial.path) as one, xr.open_dataset(dask.path) as other:
        assert np.array_equal(other.public_use_per_capita.values, matrix[:, 1])
        assert np.array_equal(other.metrics.values, one.metrics.values)
