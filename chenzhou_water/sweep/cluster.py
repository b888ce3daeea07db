"""Computing chunks on Dask: a local cluster of worker processes or an existing scheduler.

Uses Dask's futures API: the shared job (the compiled plan and what labels a chunk) is
scattered to every worker once, chunks are submitted with :meth:`Client.submit` and collected
with :func:`as_completed`. Only a few chunks are queued per worker, so memory stays bounded
however many chunks there are. Each task returns a small record (a local cluster's workers
write their chunk files themselves), so the driving process does little per chunk.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chenzhou_water.sweep.execute import MemberSample

__all__ = ["QUEUED_PER_WORKER", "DaskSession", "open_dask", "run_on_dask"]

#: Chunks submitted ahead per worker: enough to keep it busy while the driver writes.
QUEUED_PER_WORKER = 2

#: How a local cluster starts its worker processes. On Linux they are forked from this process,
#: which has already imported numpy, xarray, Dask and this package: a worker is ready in a
#: fraction of a second instead of importing them all again (Dask's default, ``spawn``, took
#: 7-20 s per worker on a busy two-core machine, and stopping 4 s). Elsewhere (macOS,
#: Windows) fork is unsafe or absent and Dask's default stays.
_START_METHOD = "fork" if sys.platform == "linux" else "spawn"


@dataclass(frozen=True)
class DaskSession:
    """A connected Dask client: a local cluster's or an existing scheduler's.

    Attributes
    ----------
    client : distributed.Client
    where : str
        A description of where chunks run (``local Dask cluster (2 workers)``, ...).
    workers : int
        Worker processes (at least 1).
    dashboard : bool
        Whether a dashboard link can be served (bokeh is installed, or the scheduler's).
    """

    client: Any
    where: str
    workers: int
    dashboard: bool


@contextmanager
def open_dask(
    workers: int | None, scheduler: str | None, timings: dict[str, float] | None = None
) -> Iterator[DaskSession]:
    """Start a local cluster of ``workers`` processes (one thread each), or connect to
    ``scheduler``; close it on leaving. ``timings`` receives ``start`` and ``stop`` seconds.

    One session can serve several ensembles (the policies of a stress study), which then pay
    for the start and stop once.
    """
    import dask
    from dask.distributed import Client, LocalCluster

    timings = {} if timings is None else timings
    started = time.perf_counter()
    if scheduler is not None:
        client = Client(scheduler)
        cluster = None
        n = max(1, len(client.scheduler_info().get("workers", {})))
        session = DaskSession(client, f"Dask scheduler {scheduler}", n, True)
    else:
        n = int(workers or 1)
        # Dask's statistical profiler samples each worker's stack every 10 ms: about 3 % of
        # a core per busy worker here, for a dashboard page a sweep does not need
        with dask.config.set({"distributed.worker.multiprocessing-method": _START_METHOD,
                              "distributed.worker.profile.enabled": False}):
            cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # a free port (Dask serves its HTTP routes without bokeh)
                silence_logs=logging.ERROR,
            )
        client = Client(cluster)
        session = DaskSession(client, f"local Dask cluster ({n} worker{'s' if n != 1 else ''})",
                              n, importlib.util.find_spec("bokeh") is not None)
    timings["start"] = time.perf_counter() - started
    try:
        yield session
    finally:
        stopping = time.perf_counter()
        client.close()
        if cluster is not None:
            cluster.close()
        timings["stop"] = time.perf_counter() - stopping


def run_on_dask(
    job: Any,
    samples: Iterator[MemberSample],
    task: Callable[[Any, MemberSample], Any],
    collect: Callable[[Any], None],
    workers: int | None,
    scheduler: str | None,
    timings: dict[str, float] | None = None,
    note: Callable[[str], None] | None = None,
    session: DaskSession | None = None,
) -> str:
    """Run ``task(job, sample)`` on Dask for each of ``samples``; pass each result to ``collect``.

    Parameters
    ----------
    job : object
        Shared by all chunks (the compiled plan and what labels a chunk); scattered to every
        worker once, so each chunk ships only its sample.
    samples : iterator of MemberSample
        The chunks still to compute, produced lazily in the driving process.
    task : callable
        Runs on a worker: ``task(job, sample)`` -> a small record.
    collect : callable
        Called in the driving process with each record, in order of completion.
    workers : int, optional
        Start a local cluster of this many worker processes (one thread each).
    scheduler : str, optional
        Address of a running scheduler; used instead of a local cluster.
    timings : dict, optional
        Receives ``start`` and ``stop``: seconds to start and to stop the cluster (or to
        connect to and leave the scheduler); 0 for both with ``session``.
    note : callable, optional
        Told once, when the cluster is up, where its dashboard is (or that there is none:
        the dashboard needs bokeh).
    session : DaskSession, optional
        An open session (:func:`open_dask`) to run on instead of starting one.

    Returns
    -------
    str
        A description of where the chunks ran.
    """
    if session is not None and timings is not None:
        timings.update(start=0.0, stop=0.0)
    opened = nullcontext(session) if session is not None else open_dask(workers, scheduler,
                                                                          timings)
    with opened as dask:
        _tell_dashboard(dask.client, note, dask.dashboard)
        _submit_all(dask.client, job, samples, task, collect, QUEUED_PER_WORKER * dask.workers)
        return dask.where


def _tell_dashboard(client: Any, note: Callable[[str], None] | None, bokeh: bool) -> None:
    if note is None:
        return
    try:
        link = client.dashboard_link if bokeh else None
    except (KeyError, AttributeError, ValueError):  # a scheduler that serves no dashboard
        link = None
    if link:
        note(f"Dask dashboard: {link}")
    else:
        note("no Dask dashboard: it needs bokeh (pip install 'bokeh>=3.1')")


def _submit_all(
    client: Any,
    job: Any,
    samples: Iterator[MemberSample],
    task: Callable[[Any, MemberSample], Any],
    collect: Callable[[Any], None],
    queued: int,
) -> None:
    """Keep ``queued`` chunks submitted; collect each as it finishes and submit the next."""
    from dask.distributed import as_completed

    [job_future] = client.scatter([job], broadcast=True)
    futures = as_completed()

    def submit(sample: MemberSample) -> None:
        futures.add(client.submit(task, job_future, sample, pure=False))

    for sample in islice(samples, queued):
        submit(sample)
    try:
        for future in futures:
            record = future.result()
            future.release()
            collect(record)
            for more in islice(samples, 1):
                submit(more)
    finally:
        futures.clear()
