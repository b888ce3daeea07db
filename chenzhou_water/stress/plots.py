"""Plots of a study: climate response surfaces, the robustness ranking, PRIM trajectories.

Each takes results (arrays or tables) and an optional ``Axes`` and returns the ``Axes``.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from chenzhou_water._typing import FloatArray

__all__ = ["binned_surface", "plot_robustness", "plot_surface", "plot_trajectory"]

SURFACE_BINS = 8


def _axes(ax: Axes | None, size: tuple[float, float] = (6, 4.5)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def binned_surface(
    x: FloatArray, y: FloatArray, values: FloatArray, bins: int = SURFACE_BINS
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The mean of ``values`` in a ``bins`` x ``bins`` grid over the range of ``x`` and ``y``.

    Returns
    -------
    x_centres, y_centres : ndarray, shape (bins,)
    grid : ndarray, shape (bins, bins)
        Row ``j`` is the ``j``-th bin of ``y``; NaN where no future falls.
    """
    x, y, values = (np.asarray(a, dtype=np.float64) for a in (x, y, values))
    x_edges = np.linspace(x.min(), x.max(), bins + 1)
    y_edges = np.linspace(y.min(), y.max(), bins + 1)
    if x_edges[0] == x_edges[-1] or y_edges[0] == y_edges[-1]:
        raise ValueError("a response surface needs two stressors that vary")
    total, _, _ = np.histogram2d(y, x, bins=(y_edges, x_edges), weights=values)
    count, _, _ = np.histogram2d(y, x, bins=(y_edges, x_edges))
    with np.errstate(invalid="ignore", divide="ignore"):
        grid = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return (x_edges[:-1] + x_edges[1:]) / 2, (y_edges[:-1] + y_edges[1:]) / 2, grid


def plot_surface(
    x: FloatArray,
    y: FloatArray,
    values: FloatArray,
    *,
    labels: tuple[str, str, str],
    threshold: float | None = None,
    plausible: tuple[tuple[float, float] | None, tuple[float, float] | None] = (None, None),
    title: str = "",
    ax: Axes | None = None,
) -> Axes:
    """A climate response surface: ``values`` over ``x`` and ``y``, binned and contoured.

    The failure threshold is drawn as a thick black contour, the plausible region (where the
    hydrology assumptions give one for either axis) as a dashed rectangle.
    """
    ax = _axes(ax)
    xc, yc, grid = binned_surface(x, y, values)
    filled = ax.contourf(xc, yc, np.ma.masked_invalid(grid), levels=12, cmap="viridis")
    ax.figure.colorbar(filled, ax=ax, label=labels[2])
    finite = grid[np.isfinite(grid)]
    if threshold is not None and finite.size and finite.min() < threshold < finite.max():
        ax.contour(xc, yc, np.ma.masked_invalid(grid), levels=[threshold], colors="black",
                   linewidths=2.0)
        ax.plot([], [], color="black", lw=2.0, label=f"threshold {threshold:g}")
    if plausible[0] is not None or plausible[1] is not None:
        (x0, x1) = plausible[0] or (float(np.min(x)), float(np.max(x)))
        (y0, y1) = plausible[1] or (float(np.min(y)), float(np.max(y)))
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ls="--", lw=1.5,
                               ec="white", label="plausible"))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper right", fontsize=8, framealpha=0.7)
    ax.set(xlabel=labels[0], ylabel=labels[1], title=title)
    return ax


def plot_robustness(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Satisficing score of each policy (share of futures meeting every threshold), ranked."""
    ax = _axes(ax, (6, 0.5 * len(table) + 1.5))
    order = table.sort_values("satisficing")
    ax.barh(order.index.astype(str), order["satisficing"], color="tab:blue")
    for i, value in enumerate(order["satisficing"]):
        ax.text(value, i, f" {value:.0%}", va="center", fontsize=8)
    ax.set(xlim=(0, 1.1), xlabel="share of futures meeting every threshold",
           title="Robustness (satisficing)")
    return ax


def plot_trajectory(
    trajectory: pd.DataFrame, chosen: int | None, title: str = "", ax: Axes | None = None
) -> Axes:
    """PRIM's peeling trajectory: coverage against density, coloured by restricted dims."""
    ax = _axes(ax, (5.5, 4.5))
    if trajectory.empty:
        ax.text(0.5, 0.5, "no box: the policy never (or always) fails", ha="center")
        ax.set_axis_off()
        return ax
    points = ax.scatter(trajectory["coverage"], trajectory["density"],
                        c=trajectory["res_dim"], cmap="viridis", s=18)
    ax.figure.colorbar(points, ax=ax, label="restricted dimensions")
    if chosen is not None:
        ax.scatter(trajectory["coverage"].iloc[chosen], trajectory["density"].iloc[chosen],
                   s=120, facecolors="none", edgecolors="red", label="chosen box")
        ax.legend(loc="lower left", fontsize=8)
    ax.set(xlabel="coverage", ylabel="density", xlim=(0, 1.05), ylim=(0, 1.05), title=title)
    return ax
