"""The local Dask cluster a sweep starts: what its workers run besides the chunks."""

from __future__ import annotations

import dask

from chenzhou_water.sweep.cluster import open_dask


def _profiling() -> bool:
    return bool(dask.config.get("distributed.worker.profile.enabled"))


def test_local_workers_run_no_statistical_profiler() -> None:
    """Dask samples each worker's stack every 10 ms by default (about 3 % of a busy core)."""
    timings: dict[str, float] = {}
    with open_dask(1, None, timings) as session:
        flags = session.client.run(_profiling)
    assert list(flags.values()) == [False]
    assert set(timings) == {"start", "stop"}
