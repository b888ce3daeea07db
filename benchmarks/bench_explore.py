"""Benchmark the explorer's change-to-redraw time (a script, not a test).

Builds the explorer's page for a scenario (no browser), then moves one control back and forth:
each change checks the settings with the scenario loader, reruns the compiled kernel and
replaces the plots', table's and diagram's data. Prints the median seconds from the change to
the redrawn page data for one member and for ensembles (the browser then paints the new data;
the browser test prints the time until the page shows the new status).

Usage::

    python benchmarks/bench_explore.py [--scenario scenarios/baseline.yaml] [--sizes 1,300,500]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from chenzhou_water.explore.app import Explorer
from chenzhou_water.explore.session import open_session

ROOT = Path(__file__).resolve().parent.parent
CONTROL = "initial_active_storage_fraction"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.yaml")
    parser.add_argument("--sizes", default="1,300,500", help="comma-separated member counts")
    parser.add_argument("--changes", type=int, default=7, help="changes per size (median)")
    args = parser.parse_args(argv)
    print(f"CPUs: {os.cpu_count()}; load average: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as save_dir:
        session = open_session(args.scenario, save_dir)
        for members in (int(s) for s in args.sizes.split(",")):
            explorer = Explorer(session, ensemble_members=max(members, 2))
            explorer.ensemble.value = members > 1  # the first run at this size: not timed
            widget = explorer.control(CONTROL)
            seconds, kernel = [], []
            for i in range(args.changes):
                began = time.perf_counter()
                widget.value = 0.5 if i % 2 == 0 else 0.6  # the page's watcher redraws
                seconds.append(time.perf_counter() - began)
                kernel.append(explorer.last_run.seconds)
            print(f"{members:>5} member(s): change to redrawn {statistics.median(seconds):.3f} s "
                  f"(median of {args.changes}; kernel run {statistics.median(kernel):.3f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
