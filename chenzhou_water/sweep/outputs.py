"""What a finished sweep writes beside its combined file: its tables and plots.

The metrics table is joined from the rows the chunks formatted (:mod:`.tables`). Each metric's
summary statistics and its figure need that metric's column alone, so they are computed as
tasks, two a metric: on the workers of the sweep's Dask session when it ran on Dask, in
parallel, while the driving process joins the table and then writes the files; without a
session, here, one metric after the other. The fan charts of kept series are drawn here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from chenzhou_water._typing import FloatArray
from chenzhou_water.files import write_bytes, write_csv
from chenzhou_water.sweep.tables import (
    column_summary,
    member_groups,
    metric_columns,
    metric_plot_path,
    shown_metrics,
    summary_frame,
    write_metrics_table,
)

__all__ = [
    "MetricWork",
    "metric_work",
    "warm_up_workers",
    "write_sweep_outputs",
    "write_sweep_tables",
]


@dataclass(frozen=True)
class MetricWork:
    """One metric's summary rows (one per group of members), its figure, the CPU seconds they
    took and, where they were two tasks, the longer of the two."""

    rows: list[dict[str, float]]
    png: bytes | None
    seconds: float
    longest: float = 0.0  # of its tasks, where statistics and figure were two (else seconds)

    @property
    def longest_task(self) -> float:
        return self.longest or self.seconds


def _warm_up() -> tuple[str, float]:
    """Ready this worker to draw; returns its address and the seconds it took."""
    from distributed import get_worker

    started = time.perf_counter()
    from chenzhou_water.sweep.plots import warm_up

    warm_up()
    return str(get_worker().address), time.perf_counter() - started


def warm_up_workers(client: Any) -> list[Any]:
    """Have each of the client's workers ready itself to draw (matplotlib's modules, the font)
    as its first task, ahead of the chunks submitted after: the second or so each takes is
    spent while the run goes on, not in the figures' tasks after it. Returns at once, with
    the tasks' futures (hold them until the figures are drawn: Dask forgets a task no one
    holds)."""
    return [client.submit(_warm_up, workers=[worker], allow_other_workers=False, pure=False,
                          priority=1)
            for worker in client.scheduler_info().get("workers", {})]  # fmt: skip


def metric_work(
    values: FloatArray,
    header: str,
    groups: Sequence[tuple[str, np.ndarray | None]],
    figure: bool,
) -> MetricWork:
    """A metric's summary statistics in each group and (``figure``) its PNG figure."""
    started = time.thread_time()
    rows = column_summary(values, groups)
    png = None
    if figure:
        from chenzhou_water.sweep.plots import metric_png  # matplotlib: on demand

        png = metric_png(values, header)
    return MetricWork(rows, png, time.thread_time() - started)


def write_sweep_outputs(
    ds: xr.Dataset,
    out_dir: str | Path,
    name: str,
    fragments: Sequence[Path] = (),
    *,
    plots: bool = True,
    client: Any = None,
) -> tuple[list[Path], dict[str, float]]:
    """Write a sweep's tables (and ``plots``) into ``out_dir``, each file atomically.

    Parameters
    ----------
    ds : Dataset
        The combined results (:func:`~chenzhou_water.sweep.store.open_sweep`).
    out_dir, name
        The folder and the sweep's name (files ``<name>_metrics.csv`` ...).
    fragments : sequence of Path
        The chunks' rows of the metrics table, in member order, joined instead of formatted
        again.
    plots : bool
        Draw each metric's figure and each kept series' fan chart.
    client : distributed.Client, optional
        Compute each metric's statistics and figure on this client's workers.

    Returns
    -------
    written : list of Path
        The metrics table, the summary (if there are metrics), the figures.
    timings : dict
        Seconds: ``tables`` (the driver's writing of both tables) and ``plots`` (of the fan
        charts and the figures' files); ``overlapped`` (the part of that work done while the
        workers computed the per-metric tasks: the metrics table and the fan charts; 0 without
        a client), ``metrics`` (submitting them and what was still waited for),
        ``metric_cpu`` (their CPU seconds, all metrics) and ``metric_longest`` (the CPU
        seconds of the longest task: the part no number of workers divides).
    """
    out_dir = Path(out_dir)
    headers = metric_columns(ds)
    groups = member_groups(ds) if headers else []
    started = time.perf_counter()
    collect = _start(client, ds, headers, groups, plots)  # on the workers from here on
    overlapped = time.perf_counter()
    written = [write_metrics_table(ds, out_dir / f"{name}_metrics.csv", fragments)]
    timings = {"tables": time.perf_counter() - overlapped}
    fans: list[Path] = []
    if plots and any(set(da.dims) == {"member", "time"} for da in ds.data_vars.values()):
        from chenzhou_water.sweep.plots import save_sweep_plots  # matplotlib: on demand

        fans = save_sweep_plots(ds, out_dir, name, metrics=False)  # the fan charts
    timings["plots"] = time.perf_counter() - overlapped - timings["tables"]
    timings["overlapped"] = time.perf_counter() - overlapped if client is not None else 0.0
    works = collect()
    timings["metrics"] = time.perf_counter() - started - timings["overlapped"]
    timings["metric_cpu"] = sum(work.seconds for work in works)
    timings["metric_longest"] = max((work.longest_task for work in works), default=0.0)
    started = time.perf_counter()
    if headers:
        frame = summary_frame(list(headers.values()), [g for g, _ in groups],
                              [work.rows for work in works])  # fmt: skip
        written.append(write_csv(frame, out_dir / f"{name}_metrics_summary.csv"))
    timings["tables"] += time.perf_counter() - started
    started = time.perf_counter()
    if plots:
        for metric, work in zip(headers, works, strict=True):
            assert work.png is not None
            written.append(write_bytes(metric_plot_path(out_dir, name, metric), work.png))
    timings["plots"] += time.perf_counter() - started
    return written + fans, timings


def _start(
    client: Any,
    ds: xr.Dataset,
    headers: dict[str, str],
    groups: list[tuple[str, np.ndarray | None]],
    figure: bool,
) -> Callable[[], list[MetricWork]]:
    """Start :func:`metric_work` of each metric on the client's workers and return what
    collects the results; without a client, the work is done when they are collected."""
    if not headers:
        return list
    values = shown_metrics(ds)
    columns = [np.ascontiguousarray(values[:, j]) for j in range(len(headers))]
    titles = list(headers.values())
    if client is None:
        return lambda: [metric_work(c, h, groups, figure)
                        for c, h in zip(columns, titles, strict=True)]  # fmt: skip
    scattered = client.scatter(columns)  # shipped once each, not inside the task graph
    # a metric's statistics and its figure as two tasks: the longest task is what no number
    # of workers shortens
    statistics = client.map(metric_work, scattered, titles, groups=groups, figure=False,
                            pure=False)  # fmt: skip
    figures = (client.map(metric_work, scattered, titles, groups=[], figure=True, pure=False)
               if figure else [])  # fmt: skip

    def collect() -> list[MetricWork]:
        works = client.gather(statistics)
        if not figure:
            return list(works)
        return [MetricWork(w.rows, f.png, w.seconds + f.seconds, max(w.seconds, f.seconds))
                for w, f in zip(works, client.gather(figures), strict=True)]  # fmt: skip

    return collect


def write_sweep_tables(
    ds: xr.Dataset, out_dir: str | Path, name: str, fragments: Sequence[Path] = ()
) -> list[Path]:
    """Write a sweep's CSV tables (no plots) into ``out_dir``; returns the paths."""
    return write_sweep_outputs(ds, out_dir, name, fragments, plots=False)[0]
