"""Figures comparing scenarios, and the attribution waterfall.

Each plot function takes the results (scenario label -> Dataset, in the report's order), the
language and an optional Axes, and returns the Axes; one colour per scenario throughout. With
several members a variable is drawn as its median with a 5-95 % band. Nothing here runs the
model or reads files.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from chenzhou_water.display import display_name, format_number, indicator_unit, variable_unit
from chenzhou_water.model.contract import HEADLINE_INDICATORS, Indicator
from chenzhou_water.report.attribution import Attribution
from chenzhou_water.report.i18n import indicator_label, text
from chenzhou_water.report.indicators import END_USE_DEMAND
from chenzhou_water.scenario.plots import (
    DEAD_STORAGE,
    LEAKAGE_TARGET,
    NORMAL_POOL_STORAGE,
    REUSE_TARGET,
    model_constant,
)

Runs = Mapping[str, xr.Dataset]
COLOURS = plt.get_cmap("tab10").colors
FIGSIZE = (9.0, 4.2)


DASHES = ("--", "-.", (0, (1, 1.5)), (0, (6, 1.5, 1, 1.5, 1, 1.5)))


def colour(i: int) -> tuple[float, float, float]:
    """The colour of the ``i``-th scenario."""
    return COLOURS[i % len(COLOURS)]


def style(i: int) -> dict[str, object]:
    """Line style of the ``i``-th scenario: the reference wide and solid, the others dashed
    and narrower, so that scenarios with the same values stay visible on top of each other."""
    if i == 0:
        return {"color": colour(0), "lw": 2.6, "ls": "-"}
    return {"color": colour(i), "lw": 1.4, "ls": DASHES[(i - 1) % len(DASHES)]}


def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=FIGSIZE)
    return ax


def _indicator(key: str) -> Indicator:
    return next(i for i in HEADLINE_INDICATORS if i.key == key)


def _fan(ax: Axes, x: np.ndarray, values: np.ndarray, label: str, **line: object) -> None:
    """One line, or the median of members with a 5-95 % band; ``values`` is (member, x)."""
    if values.shape[0] == 1:
        ax.plot(x, values[0], label=label, **line)
        return
    lo, med, hi = np.percentile(values, [5, 50, 95], axis=0)
    ax.plot(x, med, label=label, **line)
    ax.fill_between(x, lo, hi, color=line.get("color"), alpha=0.18, lw=0)


def _monthly(ax: Axes, runs: Runs, variable: str, lang: str) -> str:
    """Draw a variable month by month in its display unit of ``lang``; return the unit."""
    unit = variable_unit(variable)
    for i, (name, ds) in enumerate(runs.items()):
        if variable in ds:
            _fan(ax, ds["time"].values, ds[variable].values * unit.factor(lang), name, **style(i))
    return unit.label(lang)


def annual_values(ds: xr.Dataset, indicator: Indicator) -> xr.DataArray:
    """An indicator for every year and member, dims (member, year)."""
    da = ds[indicator.variable]
    per_year = getattr(da.groupby(da["time"].dt.year), indicator.reduce)() * indicator.scale
    return per_year.transpose("member", "year")


def _annual(ax: Axes, runs: Runs, indicator: Indicator, lang: str, legend: bool = True,
            **line: object) -> str:
    """Draw an indicator year by year in its display unit of ``lang``; return the unit."""
    unit = indicator_unit(indicator)
    for i, (name, ds) in enumerate(runs.items()):
        if indicator.variable in ds:
            values = annual_values(ds, indicator)
            _fan(ax, values["year"].values, values.values * unit.factor(lang),
                 name if legend else f"_{name}", **{**style(i), **line})
    return unit.label(lang)


def _ylabel(word_key: str, unit: str, lang: str) -> str:
    word = text(word_key, lang)
    return f"{word} [{unit}]" if unit else word


def _band_note(runs: Runs, lang: str) -> str:
    if any(ds.sizes.get("member", 1) > 1 for ds in runs.values()):
        return f" ({text('median', lang)}, {text('band', lang)})"
    return ""


def _finish(ax: Axes, title: str, ylabel: str, runs: Runs, lang: str, loc: str = "best") -> Axes:
    ax.set_title(title + _band_note(runs, lang), fontsize=11)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(loc=loc, fontsize=8)
    return ax


def _reference(runs: Runs) -> xr.Dataset:
    """The first (reference) scenario's results: reference lines are drawn from its values."""
    return next(iter(runs.values()))


def plot_storage(runs: Runs, lang: str = "en", ax: Axes | None = None) -> Axes:
    """Dongjiang reservoir storage of each scenario, against dead storage and the normal pool."""
    ax = _axes(ax)
    unit = _monthly(ax, runs, "reservoir_storage", lang)
    factor = variable_unit("reservoir_storage").factor(lang)
    reference = _reference(runs)
    ax.axhline(model_constant(reference, "dead_storage", DEAD_STORAGE) * factor,
               color="firebrick", ls="--", lw=1, label=text("dead_storage", lang))
    ax.axhline(model_constant(reference, "storage_at_normal_pool", NORMAL_POOL_STORAGE) * factor,
               color="grey", ls=":", lw=1, label=text("normal_pool", lang))
    return _finish(ax, text("fig_storage", lang), _ylabel("ax_storage", unit, lang), runs, lang,
                   "lower left")


def plot_end_use_demand(runs: Runs, lang: str = "en", ax: Axes | None = None) -> Axes:
    """Annual mean end-use demand of the central city (without leakage), per scenario.

    Leakage is drawn beside it (:func:`plot_leakage_volume`), so a leakage programme does not
    seem to cut what people use; supply equals demand wherever the shortage panel is zero."""
    ax = _axes(ax)
    unit = _annual(ax, runs, END_USE_DEMAND, lang)
    ax.set_xlabel(text("ax_year", lang))
    ax.set_ylim(bottom=0)  # from zero: a few per cent of change is not drawn as a cliff
    return _finish(ax, text("fig_end_use", lang), _ylabel("ax_flow", unit, lang), runs, lang)


def plot_leakage_volume(runs: Runs, lang: str = "en", ax: Axes | None = None) -> Axes:
    """Annual mean leakage volume (real and apparent losses), per scenario."""
    ax = _axes(ax)
    unit = _annual(ax, runs, _indicator("leakage_volume_kt_d"), lang)
    ax.set_xlabel(text("ax_year", lang))
    ax.set_ylim(bottom=0)
    return _finish(ax, text("fig_leakage_volume", lang), _ylabel("ax_flow", unit, lang), runs,
                   lang)


def plot_shortage(runs: Runs, lang: str = "en", ax: Axes | None = None) -> Axes:
    """Unmet demand month by month, per scenario (a flat zero line when there is none)."""
    ax = _axes(ax)
    unit = _monthly(ax, runs, "unmet_demand", lang)
    peak = max((float(ds["unmet_demand"].max()) for ds in runs.values() if "unmet_demand" in ds),
               default=0.0)
    if peak <= 0.0:
        ax.set_ylim(-0.05, 1.0)
        ax.text(0.5, 0.55, text("no_shortage", lang), transform=ax.transAxes, ha="center",
                color="0.3")
    else:
        ax.set_ylim(bottom=0)
    ax.xaxis.set_major_locator(mdates.YearLocator(10))  # a narrow panel: fewer year labels
    return _finish(ax, text("fig_shortage", lang), _ylabel("ax_unmet", unit, lang), runs, lang,
                   "upper left")


def _rate_against_target(ax: Axes | None, runs: Runs, lang: str, variable: str, constant: str,
                         fallback: float, keys: tuple[str, str], legend_at: str) -> Axes:
    """A rate of each scenario, in %, against a national target read from the model.

    ``keys`` are the i18n keys of the target's label and of the title."""
    ax = _axes(ax)
    _monthly(ax, runs, variable, lang)  # a share: in %
    target = model_constant(_reference(runs), constant, fallback)
    ax.axhline(100 * target, color="firebrick", ls="--", lw=1, label=text(keys[0], lang))
    ax.set_ylim(bottom=0)
    return _finish(ax, text(keys[1], lang), text("ax_percent", lang), runs, lang, legend_at)


def plot_leakage(runs: Runs, lang: str = "en", ax: Axes | None = None) -> Axes:
    """Network leakage rate of each scenario against the national 9 % target."""
    return _rate_against_target(ax, runs, lang, "leakage_rate", "national_leakage_target",
                                LEAKAGE_TARGET, ("leakage_target", "fig_leakage"), "upper right")


def plot_reuse(runs: Runs, lang: str = "en", ax: Axes | None = None) -> Axes:
    """Reclaimed-water reuse rate of each scenario against the national 25 % target."""
    return _rate_against_target(ax, runs, lang, "reuse_rate", "national_reuse_target",
                                REUSE_TARGET, ("reuse_target", "fig_reuse"), "lower right")


def plot_dc_electricity(runs: Runs, lang: str = "en", ax: Axes | None = None) -> Axes:
    """Electricity the lake-cooled data centre saves each year, per scenario."""
    ax = _axes(ax)
    unit = _annual(ax, runs, _indicator("dc_saved_gwh"), lang)
    ax.set_xlabel(text("ax_year", lang))
    return _finish(ax, text("electricity_saved", lang), _ylabel("ax_gwh", unit, lang), runs, lang,
                   "upper left")


def plot_dc_co2(runs: Runs, lang: str = "en", ax: Axes | None = None) -> Axes:
    """CO2 the lake-cooled data centre avoids each year, per scenario."""
    ax = _axes(ax)
    unit = _annual(ax, runs, _indicator("dc_co2_kt"), lang)
    ax.set_xlabel(text("ax_year", lang))
    return _finish(ax, text("co2_avoided", lang), _ylabel("ax_kt", unit, lang), runs, lang,
                   "upper left")


def plot_hydropower(runs: Runs, lang: str = "en", ax: Axes | None = None) -> Axes:
    """Annual hydropower generation of Dongjiang's plant, per scenario."""
    ax = _axes(ax)
    unit = _annual(ax, runs, _indicator("hydropower_gwh"), lang)
    ax.set_xlabel(text("ax_year", lang))
    return _finish(ax, text("fig_hydropower", lang), _ylabel("ax_gwh", unit, lang), runs, lang)


def _waterfall_steps(result: Attribution) -> tuple[list[float], list[float]]:
    """Left edges and widths of the bars: reference, each contribution, alternative."""
    lefts, widths = [0.0], [result.reference_value]
    running = result.reference_value
    for value in result.shapley:
        lefts.append(running)
        widths.append(value)
        running += value
    lefts.append(0.0)
    widths.append(result.alternative_value)
    return lefts, widths


def plot_waterfall(result: Attribution, lang: str = "en", ax: Axes | None = None) -> Axes:
    """Horizontal waterfall from the reference value through each input's Shapley
    contribution to the alternative value."""
    ax = _axes(ax)
    names = [result.reference_name, *(d.name for d in result.inputs), result.alternative_name]
    lefts, widths = _waterfall_steps(result)
    ends = [lf + w for lf, w in zip(lefts[1:-1], widths[1:-1], strict=True)]
    span_points = [result.reference_value, result.alternative_value, *ends]
    lo, hi = min(span_points), max(span_points)
    pad = max(hi - lo, abs(hi) * 1e-3, 1e-9) * 0.15
    floor = 0.0 if lo >= 0 and (hi - lo) > 0.25 * hi else lo - 2 * pad
    if lo < 0:
        floor = min(0.0, lo - pad)
    lefts[0], lefts[-1] = floor, floor
    widths[0], widths[-1] = result.reference_value - floor, result.alternative_value - floor
    colours = ["0.55"] + ["tab:orange" if w > 0 else "tab:blue" for w in widths[1:-1]] + ["0.35"]
    y = np.arange(len(names))[::-1]
    ax.barh(y, widths, left=lefts, color=colours, height=0.6)
    last = len(names) - 1
    for i, (yi, left, width) in enumerate(zip(y, lefts, widths, strict=True)):
        total = i in (0, last)
        shown = (format_number(left + width, lang) if total
                 else ("+" if width >= 0 else "−") + format_number(abs(width), lang))
        ax.text(left + width, yi, f" {shown} ",
                va="center", ha="left" if total or width >= 0 else "right", fontsize=8)
    ax.set_yticks(y, [display_name(n, lang) for n in names])
    ax.set_xlim(floor, hi + 3 * pad)
    label = indicator_label(result.indicator, lang)
    unit = indicator_unit(result.indicator).label(lang)  # values already in display units
    ax.set_xlabel(f"{label} [{unit}]" if unit else label)
    ax.set_title(text("fig_waterfall", lang, indicator=label, year=result.year,
                      ref=result.reference_name, alt=result.alternative_name), fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    return ax


def figure_data_uri(fig: Figure, dpi: int = 100) -> str:
    """The figure as a ``data:image/png;base64,...`` URI (the figure is closed)."""
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
