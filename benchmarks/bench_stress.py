"""Time a stress study: policy x future evaluations per second, and the shipped study's time.

Runs ``scenarios/studies/policies.yaml`` (five policies x 256 futures) into a temporary folder
and prints its wall time, split into the ensemble runs (policy x future evaluations per
second) and the analysis and files (robustness, PRIM, feature scores, plots). The model's
compiled kernel is built once before the clock starts, so the figures do not include it. A
script that prints figures, not a timed test.

    python benchmarks/bench_stress.py [--workers 2] [--futures N] [--repeat 3]

``--futures`` runs the same study with another number of futures (a copy of the file with
``futures`` replaced and its relative paths kept).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from chenzhou_water.execution import ExecutionOptions
from chenzhou_water.stress import load_study, run_study
from chenzhou_water.stress.run import analyse
from chenzhou_water.stress.writing import write_study

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "scenarios" / "studies" / "policies.yaml"


def study_file(folder: Path, futures: int | None) -> Path:
    if futures is None:
        return STUDY
    data = yaml.safe_load(STUDY.read_text(encoding="utf-8"))
    data["futures"] = futures
    path = STUDY.parent / f".bench_{futures}.yaml"  # beside the original: same relative paths
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--futures", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    options = ExecutionOptions(workers=args.workers)
    with tempfile.TemporaryDirectory() as tmp:
        path = study_file(Path(tmp), args.futures)
        try:
            spec = load_study(path)
            run_study(path, Path(tmp) / "warm", options, plots=False)  # compiles the kernel
            totals, rates, analyses = [], [], []
            for k in range(args.repeat):
                out = Path(tmp) / f"run{k}"
                result = run_study(path, out, options)
                started = time.perf_counter()
                write_study(spec, result.dataset, analyse(spec, result.dataset), out / "again")
                analyses.append(time.perf_counter() - started)
                totals.append(result.seconds)
                rates.append(result.members_computed / (result.seconds - analyses[-1]))
        finally:
            if path != STUDY:
                path.unlink()
    policies, futures = len(spec.policies), spec.futures
    executor = f"{args.workers} workers" if args.workers else "serial"
    print(f"study {spec.name}: {policies} policies x {futures} futures, {executor}")
    print(f"  whole study (median of {args.repeat}): {statistics.median(totals):.1f} s")
    print(f"  analysis and files: {statistics.median(analyses):.1f} s")
    print(f"  ensemble runs: {statistics.median(rates):,.0f} policy x future evaluations/s")


if __name__ == "__main__":
    main()
