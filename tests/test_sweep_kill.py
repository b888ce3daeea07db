"""The README's promises about interrupted and distributed sweeps, through the command line:
a sweep killed (SIGKILL) mid-chunk or mid-write is finished by ``--resume`` with results
identical to the bit to an uninterrupted run; ``--workers 2`` and ``--scheduler`` (a Dask
scheduler and worker the test starts) give the serial results.

Every test here is marked slow: each starts fresh Python processes that import the package, the
model and Dask (about 10 s each on two busy cores); the sweeps themselves take a second."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from chenzhou_water.sweep import open_sweep, run_sweep
from cli import app
from tests.conftest import ROOT

SWEEP = """
    name: small
    extends: base.yaml
    members: 12
    seed: 5
    sampler: monte_carlo
    parameters:
      background_leakage_rate: {uniform: {low: 0.02, high: 0.05}}
    levers:
      renewal_programme: {scale: [0.5, 1.5]}
    inflow:
      drought_2022: {annual_probability: 0.2}
    outputs:
      series: [reservoir_storage]
      metrics: [reliability, {metric: worst_storage, period: 2022-2024}]
"""

#: Runs the command line in a child process; with ``PAUSE_AT=k`` the k-th NetCDF write stops
#: (printing "paused") after writing its temporary file and before it is renamed into place,
#: so the test can kill the process in the middle of a write, deterministically.
LAUNCHER = textwrap.dedent("""
    import os, sys, time
    import xarray as xr

    pause_at = int(os.environ.get("PAUSE_AT", "0"))
    written = 0
    original = xr.Dataset.to_netcdf

    def to_netcdf(self, path=None, *args, **kwargs):
        global written
        result = original(self, path, *args, **kwargs)
        written += 1
        if written == pause_at:
            print("paused", path, flush=True)
            time.sleep(600)
        return result

    xr.Dataset.to_netcdf = to_netcdf
    from cli import app
    app(sys.argv[1:], prog_name="chenzhou-water")
""")


def write_sweep(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "base.yaml").write_text("name: base\n", encoding="utf-8")
    path = folder / "small.yaml"
    path.write_text(textwrap.dedent(SWEEP).lstrip("\n"), encoding="utf-8")
    return path


def assert_identical(a: xr.Dataset, b: xr.Dataset) -> None:
    assert sorted(a.data_vars) == sorted(b.data_vars)
    for name in a.data_vars:
        assert np.array_equal(a[name].values, b[name].values), name  # to the bit


def assert_table_is_the_references(out: Path, reference: xr.Dataset) -> None:
    """The metrics table joined from the chunks' rows is the reference's, byte for byte."""
    from chenzhou_water.files import write_csv
    from chenzhou_water.sweep.tables import metrics_table

    whole = write_csv(metrics_table(reference), out / "reference_table.csv")
    assert (out / "small_metrics.csv").read_bytes() == whole.read_bytes()


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> xr.Dataset:
    """The sweep uninterrupted, serially, in one chunk."""
    folder = tmp_path_factory.mktemp("reference")
    run_sweep(write_sweep(folder), folder / "out")
    return open_sweep(folder / "out").load()


def start_cli(args: list[str], pause_at: int = 0) -> subprocess.Popen[str]:
    env = {**os.environ, "PAUSE_AT": str(pause_at), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", LAUNCHER, *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL


def resume(path: Path, out: Path) -> str:
    result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out), "--resume"])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


@pytest.mark.slow
def test_killed_mid_chunk_then_resumed_gives_the_uninterrupted_results(
    tmp_path: Path, reference: xr.Dataset
) -> None:
    path, out = write_sweep(tmp_path), tmp_path / "out"
    chunks = out / "small.chunks"
    process = start_cli(["sweep", str(path), "--out", str(out), "--chunk-size", "2"])
    deadline = time.monotonic() + 240
    # kill as soon as two chunks are on disk: the process is then computing the third
    while len(list(chunks.glob("chunk_*.nc"))) < 2:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        assert time.monotonic() < deadline, "the sweep wrote no chunk in time"
        time.sleep(0.005)
    kill(process)
    done = len(list(chunks.glob("chunk_*.nc")))
    assert 2 <= done < 6
    assert not (out / "small.nc").exists()
    text = resume(path, out)
    assert f"small: 12 members in 6 chunks ({6 - done} run, {done} resumed)" in text
    assert_identical(open_sweep(out).load(), reference)
    assert_table_is_the_references(out, reference)


@pytest.mark.slow
def test_killed_mid_write_then_resumed_gives_the_uninterrupted_results(
    tmp_path: Path, reference: xr.Dataset
) -> None:
    path, out = write_sweep(tmp_path), tmp_path / "out"
    chunks = out / "small.chunks"
    # the second NetCDF file written is the second chunk (chunk_000001.nc)
    process = start_cli(["sweep", str(path), "--out", str(out), "--chunk-size", "4"],
                        pause_at=2)
    assert process.stdout is not None
    line = process.stdout.readline()
    while line and not line.startswith("paused"):
        line = process.stdout.readline()
    assert line.startswith("paused"), "the sweep ended before its second write"
    kill(process)
    # the killed write left its temporary file, never a chunk under its final name
    assert [p.name for p in chunks.glob("chunk_*.nc")] == ["chunk_000000.nc"]
    (partial,) = chunks.glob(".chunk_000001.nc.*.part")
    assert partial.stat().st_size > 0
    text = resume(path, out)
    assert "small: 12 members in 3 chunks (2 run, 1 resumed)" in text
    assert_identical(open_sweep(out).load(), reference)
    assert_table_is_the_references(out, reference)


@pytest.mark.slow
def test_killed_while_combining_the_chunks_then_resumed(
    tmp_path: Path, reference: xr.Dataset
) -> None:
    path, out = write_sweep(tmp_path), tmp_path / "out"
    # two chunks, then the combined file: the third write
    process = start_cli(["sweep", str(path), "--out", str(out), "--chunk-size", "6"],
                        pause_at=3)
    assert process.stdout is not None
    line = process.stdout.readline()
    while line and not line.startswith("paused"):
        line = process.stdout.readline()
    assert line.startswith("paused"), "the sweep ended before combining"
    kill(process)
    assert not (out / "small.nc").exists()
    text = resume(path, out)
    assert "small: 12 members in 2 chunks (0 run, 2 resumed)" in text
    assert_identical(open_sweep(out).load(), reference)


@pytest.mark.slow
def test_cli_two_workers_give_the_serial_results(tmp_path: Path, reference: xr.Dataset) -> None:
    """Slow: a Dask LocalCluster of two worker processes starts in about 10 s."""
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["sweep", str(write_sweep(tmp_path)), "--out", str(out),
                                      "--workers", "2", "--chunk-size", "5"])
    assert result.exit_code == 0, result.output
    assert "on local Dask cluster (2 workers)" in " ".join(result.output.split())
    assert_identical(open_sweep(out).load(), reference)
    assert_table_is_the_references(out, reference)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_cli_scheduler_runs_on_a_cluster_the_test_starts(
    tmp_path: Path, reference: xr.Dataset
) -> None:
    """Slow: a Dask scheduler and a worker process start in about 10 s."""
    address = f"tcp://127.0.0.1:{_free_port()}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
         "--port", address.rsplit(":", 1)[1], "--no-dashboard"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "1",
         "--nthreads", "1", "--no-dashboard"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(1, timeout=60)
        out = tmp_path / "out"
        result = CliRunner().invoke(app, ["sweep", str(write_sweep(tmp_path)), "--out",
                                          str(out), "--scheduler", address,
                                          "--chunk-size", "5"])
        assert result.exit_code == 0, result.output
        assert address in " ".join(result.output.split())
        assert_identical(open_sweep(out).load(), reference)
        assert_table_is_the_references(out, reference)
    finally:
        for process in (worker, scheduler):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
