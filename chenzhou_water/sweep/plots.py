"""Plots of a sweep: each metric's histogram and ECDF, fan charts of the kept series.

Each plot function takes arrays or a Dataset and an optional Axes and returns the Axes;
:func:`save_sweep_plots` writes them as PNG files. A million members are binned and their
ECDF drawn at 1,001 quantiles, so the figures stay small and fast.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from chenzhou_water._typing import FloatArray
from chenzhou_water.files import atomic_path, write_bytes
from chenzhou_water.fonts import use_cjk_font
from chenzhou_water.sweep.tables import metric_columns, metric_plot_path, shown_metrics

__all__ = ["ecdf", "fan_chart", "histogram", "metric_png", "save_sweep_plots", "warm_up"]

ECDF_POINTS = 1001
FAN_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def _axes(ax: Axes | None) -> Axes:
    if ax is None:  # a pyplot figure, which a notebook shows
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6, 4))
    return ax


def histogram(values: FloatArray, label: str, ax: Axes | None = None, bins: int = 50) -> Axes:
    """A histogram of one metric over the members (NaNs left out)."""
    ax = _axes(ax)
    finite = values[np.isfinite(values)]
    if finite.size:
        bins = min(bins, max(1, int(np.sqrt(finite.size)))) if np.ptp(finite) > 0 else 1
        counts, edges = np.histogram(finite, bins=bins)
        ax.stairs(counts, edges, fill=True, alpha=0.7)
    ax.set_xlabel(label)
    ax.set_ylabel("members")
    ax.set_title(f"histogram ({finite.size:,} members)")
    return ax


def ecdf(values: FloatArray, label: str, ax: Axes | None = None) -> Axes:
    """The empirical distribution of one metric: share of members at or below each value.

    Drawn through at most :data:`ECDF_POINTS` order statistics: the members at ranks
    ``share * (n - 1)`` of one sort (``np.quantile``'s many-quantile selection took five times
    as long as the sort at a million members, for the same picture).
    """
    ax = _axes(ax)
    finite = values[np.isfinite(values)]
    if finite.size:
        share = np.linspace(0.0, 1.0, min(ECDF_POINTS, finite.size))
        ranks = np.rint(share * (finite.size - 1)).astype(np.int64)
        ax.step(np.sort(finite)[ranks], share, where="post")
    ax.set_xlabel(label)
    ax.set_ylabel("share of members at or below")
    ax.set_ylim(0, 1)
    ax.set_title("empirical distribution (ECDF)")
    ax.grid(alpha=0.3)
    return ax


def fan_chart(da: xr.DataArray, ax: Axes | None = None) -> Axes:
    """The median of a kept series over the members, with 25–75 % and 5–95 % bands."""
    ax = _axes(ax)
    values = np.asarray(da.transpose("member", "time").values, dtype=np.float64)
    q05, q25, q50, q75, q95 = np.nanquantile(values, FAN_QUANTILES, axis=0)
    time = da["time"].values
    ax.fill_between(time, q05, q95, alpha=0.2, lw=0, label="5–95 %")
    ax.fill_between(time, q25, q75, alpha=0.35, lw=0, label="25–75 %")
    ax.plot(time, q50, lw=1.2, label="median")
    units = da.attrs.get("units", "")
    ax.set_ylabel(f"{da.name} [{units}]" if units else str(da.name))
    ax.set_title(f"{da.name}: {values.shape[0]:,} members")
    ax.legend(loc="best", fontsize="small")
    ax.grid(alpha=0.3)
    return ax


def _save(fig: Figure, target: Path) -> Path:
    fig.tight_layout()
    with atomic_path(target) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    return target


def warm_up() -> None:
    """Ready this process to draw: matplotlib's modules and the CJK font, once a process. A
    local cluster's workers have them from the driving process they are forked from
    (:func:`~chenzhou_water.sweep.cluster.import_worker_modules`); a worker of a remote
    scheduler imports them here, at the start of its first sweep, not in its first figure."""
    use_cjk_font()


def metric_png(values: FloatArray, header: str) -> bytes:
    """One metric's figure, its histogram beside its ECDF, as PNG bytes (``header``: the
    metric's column header, with its unit). Needs nothing but the metric's column, so a
    sweep's figures can be drawn in any process, each apart."""
    use_cjk_font()
    fig = Figure(figsize=(10, 4))  # not pyplot's: nothing to close, and no pyplot to import
    left, right = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.13, top=0.92, wspace=0.22)
    histogram(values, header, left)
    ecdf(values, header, right)
    png = io.BytesIO()
    fig.savefig(png, dpi=100, format="png")
    return png.getvalue()


def save_sweep_plots(
    ds: xr.Dataset, out_dir: str | Path, name: str, *, metrics: bool = True
) -> list[Path]:
    """Save ``<name>_metric_<metric>.png`` per metric and ``<name>_fan_<variable>.png`` per
    kept series into ``out_dir`` (atomically); returns the paths. ``metrics=False`` leaves the
    metrics' figures to the caller (:mod:`.outputs` draws them on a cluster's workers)."""
    use_cjk_font()
    out_dir = Path(out_dir)
    written = []
    headers = metric_columns(ds) if metrics else {}
    shown = shown_metrics(ds) if headers else None  # in the units the headers name
    for j, (metric, header) in enumerate(headers.items()):
        assert shown is not None
        written.append(write_bytes(metric_plot_path(out_dir, name, metric),
                                   metric_png(shown[:, j], header)))  # fmt: skip
    for variable, da in ds.data_vars.items():
        if set(da.dims) == {"member", "time"}:
            fig = Figure(figsize=(9, 4.5))
            fan_chart(da, fig.subplots())
            written.append(_save(fig, out_dir / f"{name}_fan_{variable}.png"))
    return written
