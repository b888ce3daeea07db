"""The local Dask cluster a sweep starts: what its workers run besides the chunks."""

from __future__ import annotations

import urllib.error
import urllib.request

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
