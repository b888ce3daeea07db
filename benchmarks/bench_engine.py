"""Benchmark the ensemble engine against PySD on a model (a script, not a test).

Prints PySD's runs per second (median of several runs), the engine's members per second at
several ensemble sizes, their ratio, and the process's peak resident memory after each size.
Only the requested outputs are stored (by default the model's first stock).

Usage::

    python benchmarks/bench_engine.py [--model models/chenzhou_water.mdl] [--sizes 1,1000,10000]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from chenzhou_water.engine import Model, compile_model

ROOT = Path(__file__).resolve().parent.parent


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "chenzhou_water.mdl")
    parser.add_argument("--sizes", default="1,1000,10000,100000",
                        help="comma-separated ensemble sizes")
    parser.add_argument("--pysd-runs", type=int, default=3, help="PySD runs (median taken)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="engine repeats per size up to 10,000 members (median taken)")
    parser.add_argument("--outputs", default=None,
                        help="comma-separated outputs to store (default: the first stock)")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def _peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def _random_params(model: Model, members: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    params = {}
    for name, var in model.variables.items():
        lo, hi = var.limits
        if var.kind == "constant" and lo is not None and hi is not None \
                and not model.ir.nodes[name].dims:
            params[name] = rng.uniform(float(lo), float(hi), members)
    return params


def pysd_runs_per_second(model_path: Path, outputs: list[str], runs: int) -> float:
    """Median runs per second of PySD's own ``run`` (translation excluded)."""
    import pysd

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / model_path.name
        shutil.copy(model_path, copy)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference = pysd.read_vensim(str(copy))
            durations = []
            for _ in range(runs):
                start = time.perf_counter()
                reference.run(return_columns=outputs)
                durations.append(time.perf_counter() - start)
    return 1.0 / statistics.median(durations)


def engine_members_per_second(model: Model, members: int, outputs: list[str], repeats: int,
                              seed: int) -> float:
    """Median members per second of ``run_arrays`` at one ensemble size."""
    warm = min(members, 10)
    model.run_arrays(_random_params(model, warm, seed), members=warm, return_columns=outputs)
    params = _random_params(model, members, seed)
    durations = []
    for _ in range(repeats if members <= 10_000 else 1):
        start = time.perf_counter()
        model.run_arrays(params, members=members, return_columns=outputs)
        durations.append(time.perf_counter() - start)
    return members / statistics.median(durations)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its figures."""
    args = _arguments(argv)
    model = compile_model(args.model)
    stocks = [n for n, v in model.variables.items() if v.kind == "stock"]
    outputs = args.outputs.split(",") if args.outputs else stocks[:1]
    print(f"model {args.model.name}: {len(model.variables)} variables, "
          f"outputs stored: {', '.join(outputs)}")
    pysd_rate = pysd_runs_per_second(args.model, outputs, args.pysd_runs)
    print(f"PySD: {pysd_rate:.3f} runs/s (median of {args.pysd_runs})")
    print(f"{'members':>9} {'members/s':>12} {'× PySD':>10} {'peak RSS MiB':>13}")
    for size in (int(s) for s in args.sizes.split(",")):
        rate = engine_members_per_second(model, size, outputs, args.repeats, args.seed)
        print(f"{size:>9,} {rate:>12,.0f} {rate / pysd_rate:>10,.0f} {_peak_rss_mib():>13,.0f}")


if __name__ == "__main__":
    main()
