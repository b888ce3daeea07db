"""Time the Dongjiang inflow generator on one sweep chunk (10,000 members x 432 months).

Prints the median of several runs for the default config and for random droughts. A script
that prints figures, not a timed test.
"""

from __future__ import annotations

import statistics
import time

from chenzhou_water.hydrology import DroughtEvent, InflowConfig, MultiYearDrought, generate_inflows

CHUNK = 10_000
RUNS = 7


def median_seconds(config: InflowConfig) -> float:
    """Median wall time of ``RUNS`` chunks, after one warm-up chunk."""
    generate_inflows(CHUNK, seed=0, config=config)
    times = []
    for run in range(RUNS):
        start = time.perf_counter()
        generate_inflows(CHUNK, seed=run, member_offset=run * CHUNK, config=config)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    droughts = InflowConfig(
        drought_2022=DroughtEvent(annual_probability=0.05),
        multiyear_drought=MultiYearDrought(annual_probability=0.02),
    )
    for label, config in (("default", InflowConfig()), ("random droughts", droughts)):
        print(f"{label:>16}: {median_seconds(config) * 1e3:6.1f} ms per {CHUNK} x 432 chunk")


if __name__ == "__main__":
    main()
