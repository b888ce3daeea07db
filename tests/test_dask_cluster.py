"""The local Dask cluster a sweep starts: what its workers run besides the chunks."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from pathlib import Path

import dask
import numpy as np
import xarray as xr

from chenzhou_water.sweep.cluster import WORKER_MODULES, open_dask
from chenzhou_water.sweep.store import SweepFolder


def _profiling() -> bool:
    return bool(dask.config.get("distributed.worker.profile.enabled"))


def test_local_workers_run_no_statistical_profiler() -> None:
    """Dask samples each worker's stack every 10 ms by default (about 3 % of a busy core)."""
    timings: dict[str, float] = {}
    with open_dask(1, None, timings) as session:
        flags = session.client.run(_profiling)
    assert list(flags.values()) == [False]
    assert set(timings) == {"imports", "start", "stop"}  # imports: see the test below


def _loop_settings() -> tuple[str, str, str]:
    return (dask.config.get("distributed.admin.tick.interval"),
            dask.config.get("distributed.worker.memory.monitor-interval"),
            dask.config.get("distributed.admin.system-monitor.interval"))  # fmt: skip


def _status_page(session: object) -> int:
    """The HTTP status of the scheduler's ``/status`` page (the dashboard's)."""
    port = session.client.scheduler_info()["services"]["dashboard"]  # Dask's HTTP server
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy settings
    try:
        with direct.open(f"http://127.0.0.1:{port}/status", timeout=10) as page:
            return int(page.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_local_workers_wake_once_a_second_and_serve_no_dashboard_unless_asked() -> None:
    """The event loops' own timers at 1 s (defaults 20 ms, 100 ms, 0.5 s); no dashboard."""
    with open_dask(2, None) as session:
        settings = session.client.run(_loop_settings)
        assert session.dashboard == "off"
        assert _status_page(session) == 404
    assert list(settings.values()) == [("1s", "1s", "1s")] * 2


def test_a_dashboard_is_served_when_asked() -> None:
    with open_dask(1, None, dashboard=True) as session:
        assert session.dashboard == "on"  # bokeh is a test dependency (the explorer's)
        assert session.client.dashboard_link.endswith("/status")
        assert _status_page(session) == 200


def test_the_sessions_client_is_not_dasks_default() -> None:
    """The driver's own Dask work (xarray writing the combined file of kept series from the
    chunk files) stays in the driver, and its file locks are local ones."""
    from xarray.backends.locks import get_dask_scheduler

    with open_dask(1, None):
        assert get_dask_scheduler() != "distributed"


def _write_chunk_counting_leases(out_dir: str) -> int:
    """Write a chunk file here (on a worker); the leases of cluster-wide locks it took."""
    import distributed

    leases: list[str] = []
    acquire = distributed.Semaphore.acquire  # distributed.Lock is a one-lease Semaphore

    def counted(self: distributed.Semaphore, *args: object, **kwargs: object) -> object:
        leases.append(self.name)
        return acquire(self, *args, **kwargs)

    distributed.Semaphore.acquire = counted
    try:
        ds = xr.Dataset({"x": ("member", np.arange(4.0)), "metric_units": ("metric", ["%"])},
                        coords={"member": np.arange(4), "metric": ["reliability"]})
        SweepFolder(Path(out_dir), "s", 4, 4, "fingerprint").write_chunk(0, ds)
    finally:
        distributed.Semaphore.acquire = acquire
    return len(leases)


def test_a_worker_writes_its_chunk_file_without_a_cluster_wide_lock(tmp_path: Path) -> None:
    """From a worker's client, xarray would guard each variable's write with a Dask lock held
    on the scheduler: two round trips a variable, and the scheduler's time, for a file no one
    else writes (it cost 8 % of a core in the driving process and 5 % in each worker)."""
    (tmp_path / "s.chunks").mkdir()
    with open_dask(1, None) as session:
        leases = session.client.submit(_write_chunk_counting_leases, str(tmp_path)).result()
    assert leases == 0
    with xr.open_dataset(tmp_path / "s.chunks" / "chunk_000000.nc") as written:
        assert written["x"].values.tolist() == [0.0, 1.0, 2.0, 3.0]


def _imported() -> list[str]:
    return [module for module in WORKER_MODULES if module in sys.modules]


def test_forked_workers_have_what_they_would_import_from_the_driver() -> None:
    """xarray's writer, the figures and the sampler's modules are imported in the driving
    process before it forks the workers: each worker had paid about a second for them."""
    timings: dict[str, float] = {}
    with open_dask(1, None, timings) as session:
        imported = session.client.run(_imported)
    assert list(imported.values()) == [list(WORKER_MODULES)]
    assert timings["imports"] >= 0.0
    with open_dask(1, None, timings):
        pass
    assert timings["imports"] < 0.05  # once per process: imported already
