"""Plots of sensitivity indices. Each takes an index Dataset and an optional Axes, returns it.

- :func:`plot_morris` — Morris ``mu_star`` against ``sigma``, one labelled point per parameter
  (horizontal bars: ``mu_star``'s interval);
- :func:`plot_indices` — bars of ``S1`` and ``ST`` (or whatever the method gives) with their
  intervals, parameters sorted by the ranking index;
- :func:`plot_index_heatmap` — ``ST`` (or another index) of one yearly output over the years,
  parameters by years.

Nothing here runs the model or reads files.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.axes import Axes

__all__ = ["plot_index_heatmap", "plot_indices", "plot_morris"]


def _axes(ax: Axes | None, size: tuple[float, float] = (8, 5.5)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _title(ds: xr.Dataset, output: str, year: int | None) -> str:
    units = str(ds["output_units"].sel(output=output).values) if "output_units" in ds else ""
    where = f" {year}" if year is not None else ""
    return f"{output}{where}" + (f" [{units}]" if units else "")


def _one(ds: xr.Dataset, output: str, year: int | None) -> xr.Dataset:
    sub = ds.sel(output=output)
    return sub.sel(year=year) if year is not None else sub


def plot_morris(ds: xr.Dataset, output: str, year: int | None = None, ax: Axes | None = None,
                label_top: int = 10) -> Axes:
    """Morris screening plot: ``mu_star`` (x) against ``sigma`` (y), labelled points.

    Points near the diagonal (sigma ~ mu_star) act non-linearly or through interactions; points
    near the x axis act linearly. The ``label_top`` parameters with the largest ``mu_star`` are
    labelled with their rank, named in a key beside the axes.
    """
    ax = _axes(ax)
    sub = _one(ds, output, year)
    mu, sigma = sub["mu_star"].values, sub["sigma"].values
    conf = sub["mu_star_conf"].values
    ax.errorbar(mu, sigma, xerr=conf, fmt="o", ms=4, lw=0.8, capsize=2, color="tab:blue",
                ecolor="0.6")
    names = ds["parameter"].values
    finite = np.isfinite(mu)
    # Numbers at the points and the names in a key beside the axes: names never overlap.
    key = []
    for rank, i in enumerate(np.argsort(-np.where(finite, mu, -np.inf))[:label_top], start=1):
        if finite[i]:
            ax.annotate(str(rank), (mu[i], sigma[i]), textcoords="offset points",
                        xytext=(3, 2), fontsize=7)
            key.append(f"{rank:>2}  {names[i]}")
    if key:
        ax.text(1.02, 1.0, "\n".join(key), transform=ax.transAxes, va="top", ha="left",
                fontsize=7, family="monospace")
    top = np.nanmax(np.concatenate([mu + conf, sigma])) if finite.any() else 1.0
    ax.plot([0, top], [0, top], color="0.7", ls=":", lw=1, label="sigma = mu*")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("mu* (mean |elementary effect|, output units per range)")
    ax.set_ylabel("sigma (std. of elementary effects)")
    ax.set_title(f"Morris screening: {_title(ds, output, year)}")
    ax.legend(loc="upper left", fontsize=8)
    return ax


def plot_indices(ds: xr.Dataset, output: str, year: int | None = None,
                 indices: tuple[str, ...] = ("S1", "ST"), ax: Axes | None = None,
                 top: int = 20) -> Axes:
    """Bars of the indices of one output with their confidence intervals.

    Parameters are sorted by the last index given (``ST`` by default); at most ``top`` shown.
    """
    sub = _one(ds, output, year)
    present = [name for name in indices if name in sub]
    values = {name: sub[name].values for name in present}
    order = np.argsort(-np.nan_to_num(values[present[-1]], nan=-np.inf))[:top]
    ax = _axes(ax, (max(6.0, 0.45 * len(order) + 3), 4.5))
    width = 0.8 / len(present)
    x = np.arange(len(order))
    for j, name in enumerate(present):
        conf = sub[f"{name}_conf"].values[order] if f"{name}_conf" in sub else None
        ax.bar(x + (j - (len(present) - 1) / 2) * width, values[name][order], width,
               yerr=conf, capsize=2, label=name, error_kw={"lw": 0.8})
    ax.set_xticks(x, [str(ds["parameter"].values[i]) for i in order], rotation=45, ha="right",
                  fontsize=8)
    ax.axhline(0, color="0.5", lw=0.6)
    ax.set_ylabel("index")
    ax.set_title(f"Sensitivity indices: {_title(ds, output, year)}")
    ax.legend(fontsize=8)
    return ax


def plot_index_heatmap(ds: xr.Dataset, output: str, index: str = "ST", ax: Axes | None = None,
                       top: int = 20) -> Axes:
    """One index of a yearly output over the years: parameters (rows) by years (columns).

    Rows are sorted by the index's largest value over the years; at most ``top`` rows.
    """
    sub = ds.sel(output=output)
    keep = [str(n) != "year not asked" for n in sub["note"].values]
    sub = sub.isel(year=np.flatnonzero(keep))
    grid = sub[index].transpose("parameter", "year").values
    order = np.argsort(-np.nan_to_num(np.nanmax(np.where(np.isfinite(grid), grid, np.nan),
                                                axis=1, initial=-np.inf), nan=-np.inf))[:top]
    ax = _axes(ax, (max(5.0, 0.8 * grid.shape[1] + 3), max(3.0, 0.35 * len(order) + 1.5)))
    image = ax.imshow(grid[order], aspect="auto", cmap="viridis", vmin=0,
                      vmax=max(float(np.nanmax(grid)), 1e-12) if np.isfinite(grid).any() else 1)
    ax.set_xticks(range(grid.shape[1]), [str(y) for y in sub["year"].values])
    ax.set_yticks(range(len(order)), [str(sub["parameter"].values[i]) for i in order], fontsize=8)
    for (r, c), value in np.ndenumerate(grid[order]):
        if np.isfinite(value):
            ax.text(c, r, f"{value:.2f}", ha="center", va="center", fontsize=6,
                    color="white" if value < 0.6 * np.nanmax(grid) else "black")
    ax.figure.colorbar(image, ax=ax, label=index)
    ax.set_title(f"{index} over the years: {_title(ds, output, None)}")
    return ax
