"""Time the million-member sweep (metrics only) and measure its peak memory.

Runs ``scenarios/sweeps/benchmark_million.yaml`` into a temporary folder on a local Dask
cluster and prints the wall time, members per second and peak memory: the peak of the summed
resident set size of this process and all its descendants (the Dask worker processes and
multiprocessing's resource tracker), sampled every 0.2 s with psutil, and the largest
single-process peak RSS reported by ``getrusage`` for this process and for its waited-for
children. A script that prints figures, not a timed test.

    python benchmarks/bench_sweep.py [--workers 2] [--chunk-size 10000] [--members N]
    python benchmarks/bench_sweep.py --members 100000 --against OLD_CHECKOUT --rounds 2

``--members`` runs a smaller sweep of the same file (a copy with ``members`` replaced), for a
quick look.

Besides wall time and memory it prints where the time went, from the run's own timings: the
fixed cost (reading the sweep's files; planning, or the workers' readying to draw beside it if
longer; cluster start and stop; writing the combined file), the driving process's time per
chunk (submitting it and collecting its record, and drawing its sample in a serial run or in
older code, as CPU time of the driving thread), the engine's rate per core (members per CPU
second of the worker threads) and, from those, the speed-up Amdahl's law projects for 16 and 64
workers: the serial part ``S`` (fixed cost, the driver's writing of the tables and plots after
the run, driver time per chunk times chunks, where the driver joins the metrics table while the
per-metric tasks compute each metric's statistics and figure on the workers, the longer of that
and the longest task) and the parallel part ``P`` (CPU seconds of the workers' chunks and of
the other per-metric tasks) give ``(S + P) / (S + P / W)``. So scaling can be judged on a
machine with few cores. Each worker's peak resident set size is measured with psutil.

What a process pays once, not each sweep, is done before the timing starts and printed apart:
compiling the model (cached on disk) and, where the code has that step, importing the modules
its forked workers inherit (``import_worker_modules``); the projection is also printed with
those imports counted as serial, as for a process that runs a single sweep.

``--against OLD_CHECKOUT`` compares with another checkout of the project (e.g. a git worktree
of an older commit): it runs this script on the old code and on this one alternately,
``--rounds`` times each (old, new, old, new...) in fresh processes, prints every run's
figures and the medians of the wall times.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
SWEEP = Path("scenarios") / "sweeps" / "benchmark_million.yaml"


def code_root() -> Path:
    """The checkout whose package is imported (``PYTHONPATH`` with ``--against``): its own
    benchmark sweep and scenarios are used, since older code cannot read newer files."""
    import chenzhou_water

    return Path(chenzhou_water.__file__).resolve().parents[1]


class PeakMemory:
    """Samples the summed RSS of this process tree in a background thread."""

    def __init__(self, interval: float = 0.2):
        self.interval = interval
        self.peak = 0
        self.peak_processes = 0
        self.peak_child = 0  # the largest resident set of one descendant (a Dask worker)
        self.peak_child_uss = 0  # ... and the largest memory of one descendant alone
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
                    rss = process.memory_info().rss
                except psutil.Error:
                    continue  # a process that ended between listing and reading
                total += rss
                count += 1
                if process.pid != me.pid:
                    self.peak_child = max(self.peak_child, rss)
                    try:  # unique set size: without the pages a forked worker shares
                        uss = process.memory_full_info().uss
                    except psutil.Error:
                        continue
                    self.peak_child_uss = max(self.peak_child_uss, uss)
            if total > self.peak:
                self.peak, self.peak_processes = total, count
            self._stop.wait(self.interval)


def sweep_file(members: int | None, folder: Path) -> Path:
    """The benchmark sweep, or a copy of it with fewer members."""
    sweep = code_root() / SWEEP
    if members is None:
        return sweep
    data = yaml.safe_load(sweep.read_text(encoding="utf-8"))
    data["members"] = members
    data["extends"] = str((sweep.parent / data["extends"]).resolve())
    copy = folder / "benchmark.yaml"
    copy.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return copy


#: Each worker's target: 16 workers fit in 4 GB, a quarter of a 16 GB machine.
WORKER_TARGET_MIB = 250


def cpu_seconds() -> float:
    """CPU seconds (user and system) of this process and its waited-for descendants."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def amdahl(serial: float, parallel: float, workers: int) -> float:
    """Speed-up over one worker of ``workers`` workers: serial seconds stay, parallel divide."""
    return (serial + parallel) / (serial + parallel / workers)


def figures(args: argparse.Namespace) -> dict[str, object]:
    """Run the sweep once and measure it."""
    from chenzhou_water.engine import compile_model
    from chenzhou_water.execution import ExecutionOptions
    from chenzhou_water.scenario import default_model_path
    from chenzhou_water.sweep import run_sweep

    compile_model(default_model_path())  # a cold cache is not what is being measured
    imports = _process_imports()
    cpu_before = cpu_seconds()
    with tempfile.TemporaryDirectory() as tmp, PeakMemory() as memory:
        path = sweep_file(args.members, Path(tmp))
        start = time.perf_counter()
        result = run_sweep(
            path, Path(tmp) / "out",
            ExecutionOptions(workers=args.workers, chunk_size=args.chunk_size),
        )  # fmt: skip
        seconds = time.perf_counter() - start
        size = result.path.stat().st_size
    cpu = cpu_seconds() - cpu_before
    run = result.run
    return {
        "name": result.spec.name, "members": run.members, "metrics": len(result.spec.metrics),
        "chunks": run.chunks, "executor": run.executor, "seconds": seconds,
        "peak": memory.peak, "peak_processes": memory.peak_processes,
        "peak_child": memory.peak_child, "peak_child_uss": memory.peak_child_uss,
        "size": size, "cpu": cpu,
        "self_rusage": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "child_rusage": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "timings": dict(getattr(run, "timings", {}) or {}),  # older code records none
        "imports": imports,
    }  # fmt: skip


def _process_imports() -> float | None:
    """Import, before the timed sweep, what the code imports once per process for its workers
    (:func:`chenzhou_water.sweep.cluster.import_worker_modules`, where it exists): like the
    compiled model's cache, a cost a process pays once, not each sweep. Returns its seconds,
    printed beside the sweep's; None for code without that step."""
    from chenzhou_water.sweep import cluster

    step = getattr(cluster, "import_worker_modules", None)
    return None if step is None else float(step())


def _load(t: dict[str, float]) -> str:
    """The reading of the sweep file, where the code times it (older code did not)."""
    return f"reading the files {t['load']:.2f} + " if "load" in t else ""


def _imports(t: dict[str, float]) -> str:
    """Imports for the workers in the sweep itself: none where the process had them already."""
    return f"imports {t['imports']:.2f} + " if "imports" in t else ""


def _plan(t: dict[str, float]) -> str:
    """The planning, and the workers' readying to draw beside it where the code does that."""
    if "warm_up" not in t:
        return f"plan {t['plan']:.2f}"
    return (f"the longer of plan {t['plan']:.2f} and the workers' readying to draw "
            f"{t['warm_up']:.2f} (side by side)")


def report(f: dict[str, object]) -> None:
    """Print one run's figures."""
    members, seconds = int(f["members"]), float(f["seconds"])
    print(
        f"sweep            : {f['name']} ({members:,} members, {f['metrics']} metrics, "
        f"{f['chunks']} chunks, {f['executor']})"
    )
    print(f"wall time        : {seconds:.1f} s (run_sweep, cluster start-up included)")
    print(f"members per s    : {members / seconds:,.0f}")
    print(
        f"CPU time         : {f['cpu']:.1f} s, all processes (on a busy machine the fairer "
        "measure of the work done: wall time there depends on the other processes)"
    )
    print(
        f"peak memory      : {f['peak'] / 2**20:,.0f} MiB summed over {f['peak_processes']} "
        "processes (this one and all its descendants: the Dask workers and multiprocessing's "
        "resource tracker; sampled every 0.2 s)"
    )
    print(
        f"peak RSS (rusage): this process {f['self_rusage']:,.0f} MiB; largest child "
        f"{f['child_rusage']:,.0f} MiB"
    )
    print(
        f"worker memory    : largest descendant peak {f['peak_child'] / 2**20:,.0f} MiB "
        f"resident, {f.get('peak_child_uss', 0) / 2**20:,.0f} MiB its own (USS: without "
        f"pages shared with the driver) (target <= {WORKER_TARGET_MIB} MiB per worker; psutil, "
        "sampled every 0.2 s)"
    )
    print(f"results file     : {f['size'] / 2**20:,.1f} MiB")
    t = f["timings"]
    if not isinstance(t, dict) or not t:
        print("timings          : not recorded by this version of the code")
        return
    chunks = int(f["chunks"])
    # the workers ready matplotlib while the driver plans: whichever is longer counts
    fixed = (t.get("load", 0.0) + t.get("imports", 0.0) + max(t["plan"], t.get("warm_up", 0.0))
             + t.get("start", 0.0) + t.get("stop", 0.0) + t["combine"])
    after = t.get("tables", 0.0) + t.get("plots", 0.0)
    # the driver's work per chunk (submitting it and collecting its record; drawing its
    # sample too where the code does that in the driver) is the one serial part done while the
    # workers compute: measured as the driving thread's
    # CPU time, since here its wall time includes waiting for a core the workers hold (on a
    # machine with a core per process the two agree), and counted serial in full, though it
    # overlaps the workers' computing
    per_chunk = t.get("driver_cpu_per_chunk", t["driver_per_chunk"])
    # each metric's statistics and figure: one task a metric, on the workers where there are
    # some; the longest task is serial (no number of workers shortens it), the rest parallel.
    # The driver joins the metrics table meanwhile ("overlapped"): whichever is longer counts.
    longest, metric_cpu = t.get("metric_longest", 0.0), t.get("metric_cpu", 0.0)
    overlapped = t.get("overlapped", 0.0)
    serial = fixed + after - overlapped + max(overlapped, longest) + per_chunk * chunks
    parallel = t["worker_cpu"] + metric_cpu - longest
    print(
        f"fixed cost       : {fixed:.2f} s = {_load(t)}{_imports(t)}{_plan(t)} + cluster start "
        f"{t.get('start', 0.0):.2f} + stop {t.get('stop', 0.0):.2f} + combine "
        f"{t['combine']:.2f}"
    )
    once = f.get("imports")
    if once is not None:
        print(f"once per process : {once:.2f} s importing what the workers use (dask.array, "
              "scipy.special, matplotlib), done here before the timed sweep (a sweep does it "
              "before it forks its workers, where its process has not; later sweeps of the "
              "process skip it). Not part of S below")
    print(f"tables and plots : {after:.2f} s in the driver = CSV tables {t.get('tables', 0.0):.2f}"
          f" + PNG files {t.get('plots', 0.0):.2f} (serial, after the run: part of S below)")
    if "metric_cpu" in t:
        print(f"per metric       : statistics and figures {metric_cpu:.2f} CPU s in tasks, the "
              f"longest {longest:.2f} s; the driver's {overlapped:.2f} s of the tables meanwhile"
              f" and {t['metrics']:.2f} s more waited for (S below counts the longer of the "
              "longest task and the driver's work meanwhile; P the other tasks)")
    print(f"driver per chunk : {per_chunk * 1e3:.1f} ms CPU, {t['driver_per_chunk'] * 1e3:.1f} ms"
          f" wall ({chunks} chunks; submitting the chunk and collecting its record, and drawing "
          "its sample where the code does that in the driver: the CPU time is part of S below, "
          "for each chunk)")
    print(
        f"engine per core  : {members / t['engine_cpu']:,.0f} members/s (model alone); "
        f"{members / t['worker_cpu']:,.0f} members/s with labelling and writing "
        f"({t['worker_cpu']:.1f} CPU s on workers)"
    )
    print(
        f"Amdahl           : serial {serial:.2f} s, parallel {parallel:.1f} s -> "
        f"{amdahl(serial, parallel, 16):.1f} x at 16 workers, "
        f"{amdahl(serial, parallel, 64):.1f} x at 64 (over one worker)"
    )
    if once:
        with_once = serial + once
        print(f"  with imports   : serial {with_once:.2f} s (a process running one sweep) -> "
              f"{amdahl(with_once, parallel, 16):.1f} x at 16 workers, "
              f"{amdahl(with_once, parallel, 64):.1f} x at 64")


def compare(args: argparse.Namespace) -> None:
    """Run old and new code alternately in fresh processes; print each and the medians."""
    here = Path(__file__).resolve()
    options = ["--workers", str(args.workers)]
    options += ["--chunk-size", str(args.chunk_size)] if args.chunk_size else []
    options += ["--members", str(args.members)] if args.members else []
    walls: dict[str, list[float]] = {"old": [], "new": []}
    cpus: dict[str, list[float]] = {"old": [], "new": []}
    for round_ in range(args.rounds):
        for label, code in (("old", args.against.resolve()), ("new", ROOT)):
            env = {**os.environ, "PYTHONPATH": str(code)}
            out = subprocess.run(
                [sys.executable, str(here), *options, "--json"],
                env=env, cwd=code, check=True, capture_output=True, text=True,
            )  # fmt: skip
            f = json.loads(out.stdout.strip().splitlines()[-1])
            walls[label].append(float(f["seconds"]))
            cpus[label].append(float(f["cpu"]))
            print(f"--- {label} code ({code}), round {round_ + 1}")
            report(f)
    for what, values in (("wall time", walls), ("CPU time", cpus)):
        old, new = statistics.median(values["old"]), statistics.median(values["new"])
        print(f"--- median {what}: old {old:.1f} s, new {new:.1f} s: {old / new:.2f} x less")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=None)
    parser.add_argument("--members", type=int, default=None)
    parser.add_argument("--against", type=Path, default=None,
                        help="another checkout of the project to compare with")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each with --against")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.against is not None:
        compare(args)
        return
    f = figures(args)
    if args.json:
        print(json.dumps(f))
        return
    report(f)
    print(f"python           : {sys.version.split()[0]}, {psutil.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
