"""Pictures of the Dongjiang inflow generator: its assumptions and the series it draws.

Everything here builds figures without pyplot, so it works under any backend (Agg included)
and never opens a window.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from chenzhou_water._typing import FloatArray
from chenzhou_water.hydrology.generator import (
    MONTHS,
    START_YEAR,
    InflowConfig,
    SeedLike,
    generate_inflows,
    mean_inflow,
)

__all__ = ["hydrology_figure", "plot_inflows"]

MILLION = 1e6
MONTH_LABELS = ("J", "F", "M", "A", "M", "J", "J", "A", "S", "O", "N", "D")
_WET_SEASON = (3.5, 9.5)  # April-September on a 1..12 month axis (docs/sources.md)


def _new_axes(ax: Axes | None) -> Axes:
    return Figure(figsize=(7, 4), layout="constrained").add_subplot() if ax is None else ax


def _by_calendar_month(series: FloatArray) -> FloatArray:
    """Shape (12, members x years): every value of each calendar month, January first."""
    members, months = series.shape
    years = months // 12
    return series[:, : years * 12].reshape(members, years, 12).transpose(2, 0, 1).reshape(12, -1)


def annual_totals(series: FloatArray) -> FloatArray:
    """Calendar-year totals, shape (members, years), in the series' volume unit per year."""
    members, months = series.shape
    return series[:, : months // 12 * 12].reshape(members, -1, 12).sum(axis=2)


def plot_inflows(series: FloatArray, ax: Axes | None = None, *, samples: int = 5) -> Axes:
    """Seasonal profile of inflow series, with their annual totals in an inset.

    Parameters
    ----------
    series : ndarray, shape (member, month)
        Monthly inflow, m³/month, starting in January (as from ``generate_inflows``).
    ax : Axes, optional
        Where to draw; a new figure's axes if omitted.
    samples : int, optional
        How many members' annual totals the inset shows.

    Returns
    -------
    Axes
        The axes with the mean and 5-95 % band of each calendar month, million m³/month.
    """
    ax = _new_axes(ax)
    series = np.atleast_2d(np.asarray(series, dtype=np.float64))
    by_month = _by_calendar_month(series) / MILLION
    month = np.arange(1, 13)
    low, high = np.percentile(by_month, [5, 95], axis=1)
    ax.axvspan(*_WET_SEASON, color="0.92", zorder=0, label="wet season (Apr-Sep)")
    ax.fill_between(month, low, high, alpha=0.3, label="5-95 %")
    ax.plot(month, by_month.mean(axis=1), marker="o", label="mean")
    ax.set_xticks(month, MONTH_LABELS)
    ax.set_xlim(0.5, 12.5)
    ax.set_ylim(0, 1.6 * high.max())  # headroom for the inset above the band
    ax.set_ylabel("inflow (million m³/month)")
    ax.set_title("Dongjiang natural inflow by calendar month")
    ax.legend(loc="upper right", fontsize="small")
    _annual_inset(ax, series, samples)
    return ax


def _annual_inset(ax: Axes, series: FloatArray, samples: int) -> None:
    totals = annual_totals(series) / 1e9
    years = START_YEAR + np.arange(totals.shape[1])
    inset = ax.inset_axes((0.03, 0.58, 0.36, 0.38))
    inset.plot(years, totals[:samples].T, linewidth=0.8)
    inset.axhline(totals.mean(), color="k", linewidth=0.8, linestyle="--")
    inset.set_title("annual totals (billion m³)", fontsize="x-small")
    inset.tick_params(labelsize="x-small")


def hydrology_figure(config: InflowConfig | None, members: int, seed: SeedLike) -> Figure:
    """A figure of the inflow assumptions and a sample of the series they generate.

    Panels: the monthly shares and CVs assumed; the distribution of annual totals; a few
    monthly traces; the seasonal profile of the sample (``plot_inflows``).

    Parameters
    ----------
    config : InflowConfig or None
        The assumptions; ``InflowConfig()`` if None.
    members : int
        Sample size, >= 1 (a few hundred is plenty).
    seed : int, SeedSequence or Generator
        Randomness for the sample (SPEC 7).

    Returns
    -------
    Figure
        A new figure, not attached to pyplot; save it with ``fig.savefig(path)``.
    """
    config = InflowConfig() if config is None else config
    series = generate_inflows(members, seed=seed, config=config)
    fig = Figure(figsize=(12, 8), layout="constrained")
    shares_ax, distribution_ax, traces_ax, profile_ax = fig.subplots(2, 2).flat
    _plot_shares(shares_ax, config)
    _plot_distribution(distribution_ax, series, config)
    _plot_traces(traces_ax, series, config)
    plot_inflows(series, profile_ax)
    fig.suptitle(
        f"Dongjiang inflow assumptions: mean annual runoff {config.mean_annual_runoff / 1e9:.2f} "
        f"billion m³, {members} sampled members"
    )
    return fig


def _plot_shares(ax: Axes, config: InflowConfig) -> None:
    month = np.arange(1, 13)
    shares = 100 * np.asarray(config.seasonal_shares)
    ax.axvspan(*_WET_SEASON, color="0.92", zorder=0)
    ax.bar(month, shares, color="tab:blue", label="share of annual runoff (%)")
    ax.set_xticks(month, MONTH_LABELS)
    ax.set_ylabel("share of annual runoff (%)")
    ax.set_title("Assumed seasonal shares, monthly CV and lag-1 correlation")
    right = ax.twinx()
    right.plot(month, config.monthly_cv, "o-", color="tab:red", label="monthly CV")
    right.plot(month, config.lag1_correlation, "s--", color="tab:green", label="lag-1 corr. (log)")
    right.set_ylim(0, 1.05 * max(1.0, *config.monthly_cv))
    _merged_legend(ax, right)


def _merged_legend(*axes: Any) -> None:
    handles, labels = [], []
    for each in axes:
        h, lab = each.get_legend_handles_labels()
        handles += h
        labels += lab
    axes[0].legend(handles, labels, loc="upper right", fontsize="small")


def _plot_distribution(ax: Axes, series: FloatArray, config: InflowConfig) -> None:
    totals = annual_totals(series).ravel() / 1e9
    ax.hist(totals, bins=40, color="tab:blue", alpha=0.7)
    ax.axvline(
        config.mean_annual_runoff / 1e9, color="k", linestyle="--", label="mean annual runoff"
    )
    ax.axvline(totals.mean(), color="tab:orange", label="sample mean")
    cv = totals.std() / totals.mean()
    ax.set_xlabel("calendar-year inflow (billion m³)")
    ax.set_ylabel("member-years")
    ax.set_title(f"Distribution of annual totals (sample CV {cv:.2f})")
    ax.legend(fontsize="small")


def _plot_traces(ax: Axes, series: FloatArray, config: InflowConfig, samples: int = 3) -> None:
    years = START_YEAR + np.arange(MONTHS) / 12
    for trace in series[:samples]:
        ax.plot(years, trace / MILLION, linewidth=0.7)
    ax.plot(
        years, mean_inflow(config) / MILLION, color="k", linewidth=1, label="expected, no drought"
    )
    ax.set_xlabel("year")
    ax.set_ylabel("inflow (million m³/month)")
    ax.set_title(f"Sample monthly traces ({min(samples, len(series))} members)")
    ax.legend(fontsize="small")
