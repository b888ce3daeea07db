"""Time the million-member sweep (metrics only) and measure its peak memory.

Runs ``scenarios/sweeps/benchmark_million.yaml`` into a temporary folder on a local Dask
cluster and prints the wall time, members per second and peak memory: the peak of the summed
resident set size of this process and all its descendants (the Dask worker processes and
multiprocessing's resource tracker), sampled every 0.2 s with psutil, and the largest
single-process peak RSS reported by ``getrusage`` for this process and for its waited-for
children. A script that prints figures, not a timed test.

    python benchmarks/bench_sweep.py [--workers 2] [--chunk-size 10000] [--members N]

``--members`` runs a smaller sweep of the same file (a copy with ``members`` replaced), for a
quick look.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
SWEEP = ROOT / "scenarios" / "sweeps" / "benchmark_million.yaml"


class PeakMemory:
    """Samples the summed RSS of this process tree in a background thread."""

    def __init__(self, interval: float = 0.2):
        self.interval = interval
        self.peak = 0
        self.peak_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total, count = 0, 0
            for process in [me, *me.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                    count += 1
                except psutil.Error:
                    pass  # a process that ended between listing and reading
            if total > self.peak:
                self.peak, self.peak_processes = total, count
            self._stop.wait(self.interval)


def sweep_file(members: int | None, folder: Path) -> Path:
    """The benchmark sweep, or a copy of it with fewer members."""
    if members is None:
        return SWEEP
    data = yaml.safe_load(SWEEP.read_text(encoding="utf-8"))
    data["members"] = members
    data["extends"] = str((SWEEP.parent / data["extends"]).resolve())
    copy = folder / "benchmark.yaml"
    copy.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=None)
    parser.add_argument("--members", type=int, default=None)
    args = parser.parse_args()

    from chenzhou_water.engine import compile_model
    from chenzhou_water.execution import ExecutionOptions
    from chenzhou_water.scenario import default_model_path
    from chenzhou_water.sweep import run_sweep

    compile_model(default_model_path())  # a cold cache is not what is being measured
    with tempfile.TemporaryDirectory() as tmp, PeakMemory() as memory:
        path = sweep_file(args.members, Path(tmp))
        start = time.perf_counter()
        result = run_sweep(
            path, Path(tmp) / "out",
            ExecutionOptions(workers=args.workers, chunk_size=args.chunk_size),
        )
        seconds = time.perf_counter() - start
        size = result.path.stat().st_size
    run = result.run
    self_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"sweep            : {result.spec.name} ({run.members:,} members, "
        f"{len(result.spec.metrics)} metrics, {run.chunks} chunks, {run.executor})"
    )
    print(f"wall time        : {seconds:.1f} s (run_sweep, cluster start-up included)")
    print(f"members per s    : {run.members / seconds:,.0f}")
    print(
        f"peak memory      : {memory.peak / 2**20:,.0f} MiB summed over {memory.peak_processes} "
        "processes (this one and all its descendants: the Dask workers and multiprocessing's "
        "resource tracker; sampled every 0.2 s)"
    )
    print(
        f"peak RSS (rusage): this process {self_peak:,.0f} MiB; largest child {child_peak:,.0f} MiB"
    )
    print(f"results file     : {size / 2**20:,.1f} MiB")
    print(f"python           : {sys.version.split()[0]}, {psutil.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
