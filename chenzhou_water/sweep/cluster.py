"""Computing chunks on Dask: a local cluster of worker processes or an existing scheduler.

Uses Dask's futures API: the shared job (the compiled plan, the sample's definition and what
labels a chunk) is scattered to every worker once, chunks are submitted with
:meth:`Client.submit` (each with its bounds only) and collected with :func:`as_completed`. Only
a few chunks are queued per worker, so memory stays bounded however many chunks there are. Each
task returns a small record (a local cluster's workers write their chunk files themselves), so
the driving process does little per chunk.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chenzhou_water.execution import ExecutionOptions

__all__ = [
    "QUEUED_PER_WORKER",
    "WORKER_MODULES",
    "DaskSession",
    "import_worker_modules",
    "open_dask",
    "open_session",
    "run_on_dask",
]

#: Chunks submitted ahead per worker: enough to keep it busy while the driver writes.
QUEUED_PER_WORKER = 2

#: How a local cluster starts its worker processes. On Linux they are forked from this process,
#: which has already imported numpy, xarray, Dask and this package: a worker is ready in a
#: fraction of a second instead of importing them all again (Dask's default, ``spawn``, took
#: 7-20 s per worker on a busy two-core machine, and stopping 4 s). Elsewhere (macOS,
#: Windows) fork is unsafe or absent and Dask's default stays.
_START_METHOD = "fork" if sys.platform == "linux" else "spawn"

#: What a sweep's worker imports on top of this package, and when: xarray imports ``dask.array``
#: the first time it writes a chunk file (to recognise Dask arrays among the variables), the
#: figures need matplotlib, and sampling members needs ``scipy.special``. Together about a second
#: of CPU per process.
WORKER_MODULES = ("dask.array", "scipy.special", "matplotlib.figure",
                  "matplotlib.backends.backend_agg")


def import_worker_modules() -> float:
    """Import :data:`WORKER_MODULES` (and find the CJK font) in this process; returns the
    seconds it took (0 once done: Python imports a module once per process).

    A local cluster's workers are forked from this process (:data:`_START_METHOD`), so what it
    has imported they have for free. Imported here, once per process, these modules cost about
    a second once; left to the workers, every worker of every sweep paid that second again, in
    its first chunk and figure (Dask's own worker processes, with ``--scheduler``, keep them
    from sweep to sweep).
    """
    started = time.perf_counter()
    for module in WORKER_MODULES:
        importlib.import_module(module)
    from chenzhou_water.fonts import cjk_family

    cjk_family()  # cached for this process, and for the workers forked from it
    return time.perf_counter() - started


#: Dask's settings for a local cluster's processes. Its statistical profiler samples each
#: worker's stack every 10 ms: about 3 % of a busy core, for a dashboard page a sweep does not
#: need. Its event loops also wake every 20 ms to time themselves (``tick``), every 100 ms to
#: read the worker's memory (which the nanny reads too) and every 0.5 s for the system
#: monitor's figures: measured here, each worker's event-loop thread used 1.7 CPU s over a
#: 65 s run with these defaults, 0.55 s with them at 1 s. Once a second is ample for chunks of
#: a second or more, and still catches a worker over its memory limit.
_LOCAL_SETTINGS = {
    "distributed.worker.multiprocessing-method": _START_METHOD,
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "1s",
}


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
    dashboard : str
        ``"on"`` where a dashboard is served (a scheduler's own, or a local cluster's asked
        for with bokeh installed), ``"off"`` (a local cluster's, not asked for) or
        ``"no bokeh"`` (asked for, but bokeh is not installed).
    """

    client: Any
    where: str
    workers: int
    dashboard: str


@contextmanager
def open_dask(
    workers: int | None,
    scheduler: str | None,
    timings: dict[str, float] | None = None,
    dashboard: bool = False,
) -> Iterator[DaskSession]:
    """Start a local cluster of ``workers`` processes (one thread each), or connect to
    ``scheduler``; close it on leaving. ``timings`` receives ``start`` and ``stop`` seconds.

    One session can serve several ensembles (the policies of a stress study), which then pay
    for the start and stop once. Its client is not Dask's default: the driving process's own
    Dask work (xarray writing the combined file from the chunk files) stays in this process,
    and xarray takes no cluster-wide lock to write a file here. A local cluster serves Dask's
    dashboard only if ``dashboard`` is set (and bokeh is installed): building it took 1.3-2 s
    of the cluster's start here, a cost every sweep would pay for a page few of them are
    watched through.
    """
    import dask
    from dask.distributed import Client, LocalCluster

    timings = {} if timings is None else timings
    started = time.perf_counter()
    if scheduler is not None:
        client = Client(scheduler, set_as_default=False)
        cluster = None
        n = max(1, len(client.scheduler_info().get("workers", {})))
        session = DaskSession(client, f"Dask scheduler {scheduler}", n, "on")
    else:
        n = int(workers or 1)
        served = dashboard and importlib.util.find_spec("bokeh") is not None
        if _START_METHOD == "fork":
            timings["imports"] = import_worker_modules()
            started = time.perf_counter()  # start: the cluster's own
        with dask.config.set(_LOCAL_SETTINGS):
            cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                # Dask's HTTP server (health, metrics; the dashboard's pages if served) on a
                # free port: its default, 8787, is taken by any other cluster running here
                dashboard_address=":0",
                scheduler_kwargs={"dashboard": served},
                silence_logs=logging.ERROR,
            )
        client = Client(cluster, set_as_default=False)
        session = DaskSession(client, f"local Dask cluster ({n} worker{'s' if n != 1 else ''})",
                              n, "on" if served else "no bokeh" if dashboard else "off")
    timings["start"] = time.perf_counter() - started
    try:
        yield session
    finally:
        stopping = time.perf_counter()
        client.close()
        if cluster is not None:
            cluster.close()
        timings["stop"] = time.perf_counter() - stopping


def open_session(
    options: ExecutionOptions, timings: dict[str, float] | None = None
) -> AbstractContextManager[DaskSession | None]:
    """The Dask session ``options`` ask for (:func:`open_dask`), or None to run serially."""
    if options.serial:
        return nullcontext(None)
    return open_dask(options.workers, options.scheduler, timings, options.dashboard)


def run_on_dask(
    job: Any,
    samples: Iterator[Any],
    task: Callable[[Any, Any], Any],
    collect: Callable[[Any], None],
    workers: int | None,
    scheduler: str | None,
    timings: dict[str, float] | None = None,
    note: Callable[[str], None] | None = None,
    session: DaskSession | None = None,
    dashboard: bool = False,
) -> str:
    """Run ``task(job, sample)`` on Dask for each of ``samples``; pass each result to ``collect``.

    Parameters
    ----------
    job : object
        Shared by all chunks (the compiled plan, the sample's definition and what labels a
        chunk); scattered to every worker once, so each chunk ships only what tells it apart.
    samples : iterator
        What tells each chunk still to compute from the others (its bounds, or its sample),
        produced lazily in the driving process.
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
        connect to and leave the scheduler), 0 for both with ``session``; and ``submit`` and
        ``submit_cpu``, the seconds (wall, and CPU of this thread) spent submitting chunks.
    note : callable, optional
        Told once, when the cluster is up, where its dashboard is (or that there is none:
        the dashboard needs bokeh).
    session : DaskSession, optional
        An open session (:func:`open_dask`) to run on instead of starting one.
    dashboard : bool
        Whether a local cluster started here serves Dask's dashboard.

    Returns
    -------
    str
        A description of where the chunks ran.
    """
    if session is not None and timings is not None:
        timings.update(start=0.0, stop=0.0)
    opened = (nullcontext(session) if session is not None
              else open_dask(workers, scheduler, timings, dashboard))
    with opened as dask:
        _tell_dashboard(dask.client, note, dask.dashboard)
        spent = _submit_all(dask.client, job, samples, task, collect,
                            QUEUED_PER_WORKER * dask.workers)  # fmt: skip
        if timings is not None:
            timings["submit"], timings["submit_cpu"] = spent
        return dask.where


def _tell_dashboard(client: Any, note: Callable[[str], None] | None, dashboard: str) -> None:
    """Tell ``note`` where the dashboard is, or why there is none (``dashboard`` as in
    :class:`DaskSession`)."""
    if note is None:
        return
    try:
        link = client.dashboard_link if dashboard == "on" else None
    except (KeyError, AttributeError, ValueError):  # a scheduler that serves no dashboard
        link = None
    if link:
        note(f"Dask dashboard: {link}")
    elif dashboard == "no bokeh":
        note("no Dask dashboard: it needs bokeh (pip install 'bokeh>=3.1')")
    elif dashboard == "off":
        note("Dask dashboard: off (--dashboard turns it on)")
    else:
        note("no Dask dashboard: the scheduler serves none")


def _submit_all(
    client: Any,
    job: Any,
    samples: Iterator[Any],
    task: Callable[[Any, Any], Any],
    collect: Callable[[Any], None],
    queued: int,
) -> tuple[float, float]:
    """Keep ``queued`` chunks submitted; collect each as it finishes and submit the next.
    Returns the seconds spent submitting, wall and CPU of this thread (the samples' drawing,
    lazy in ``samples``, apart)."""
    from dask.distributed import as_completed

    [job_future] = client.scatter([job], broadcast=True)
    futures = as_completed(loop=client.loop)  # the session's client is not the default
    spent = [0.0, 0.0]

    def submit(sample: Any) -> None:
        started, cpu = time.perf_counter(), time.thread_time()
        futures.add(client.submit(task, job_future, sample, pure=False))
        spent[0] += time.perf_counter() - started
        spent[1] += time.thread_time() - cpu

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
    return spent[0], spent[1]
