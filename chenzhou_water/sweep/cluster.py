"""Computing chunks on Dask: a local cluster of worker processes or an existing scheduler.

Uses Dask's futures API: the shared :class:`~chenzhou_water.sweep.chunk.ChunkPlan` is scattered
to every worker once, chunks are submitted with :meth:`Client.submit` and collected with
:func:`as_completed`. Only a few chunks are queued per worker, so memory stays bounded however
many chunks there are; the driving process writes each result as it arrives.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any

from chenzhou_water.sweep import chunk as _chunk
from chenzhou_water.sweep.chunk import ChunkPlan, ChunkResult

if TYPE_CHECKING:
    from chenzhou_water.sweep.execute import MemberSample

__all__ = ["QUEUED_PER_WORKER", "run_on_dask"]

#: Chunks submitted ahead per worker: enough to keep it busy while the driver writes.
QUEUED_PER_WORKER = 2


def run_on_dask(
    plan: ChunkPlan,
    samples: Iterator[MemberSample],
    write: Callable[[ChunkResult, MemberSample], None],
    workers: int | None,
    scheduler: str | None,
    note: Callable[[str], None] | None = None,
) -> str:
    """Compute the chunks of ``samples`` on Dask and pass each result to ``write``.

    Parameters
    ----------
    plan : ChunkPlan
        Shared by all chunks.
    samples : iterator of MemberSample
        The chunks still to compute, produced lazily in the driving process.
    write : callable
        Called in the driving process with each finished chunk, in order of completion.
    workers : int, optional
        Start a local cluster of this many worker processes (one thread each).
    scheduler : str, optional
        Address of a running scheduler; used instead of a local cluster.
    note : callable, optional
        Told once, when the cluster is up, where its dashboard is (or that there is none:
        the dashboard needs bokeh).

    Returns
    -------
    str
        A description of where the chunks ran.
    """
    from dask.distributed import Client, LocalCluster

    if scheduler is not None:
        with Client(scheduler) as client:
            _tell_dashboard(client, note, bokeh=True)
            workers_there = max(1, len(client.scheduler_info().get("workers", {})))
            _submit_all(client, plan, samples, write, QUEUED_PER_WORKER * workers_there)
        return f"Dask scheduler {scheduler}"
    n = int(workers or 1)
    bokeh = importlib.util.find_spec("bokeh") is not None
    with (
        LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # a free port (Dask serves its HTTP routes without bokeh too)
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        _tell_dashboard(client, note, bokeh)
        _submit_all(client, plan, samples, write, QUEUED_PER_WORKER * n)
    return f"local Dask cluster ({n} worker{'s' if n != 1 else ''})"


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
    plan: ChunkPlan,
    samples: Iterator[MemberSample],
    write: Callable[[ChunkResult, MemberSample], None],
    queued: int,
) -> None:
    """Keep ``queued`` chunks submitted; write each as it finishes and submit the next."""
    from dask.distributed import as_completed

    [plan_future] = client.scatter([plan], broadcast=True)
    pending: dict[Any, MemberSample] = {}
    futures = as_completed()

    def submit(sample: MemberSample) -> None:
        future = client.submit(_chunk.compute_chunk, plan_future, sample, pure=False)
        pending[future.key] = sample
        futures.add(future)

    for sample in islice(samples, queued):
        submit(sample)
    try:
        for future in futures:
            result = future.result()
            sample = pending.pop(future.key)
            future.release()
            write(result, sample)
            for more in islice(samples, 1):
                submit(more)
    finally:
        futures.clear()
