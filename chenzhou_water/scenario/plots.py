"""Plots of one run's results. Each function takes results and an optional Axes and returns it.

With several members the median is drawn with a 5–95 % band (a fan chart). Nothing here runs
the model or reads files.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.axes import Axes

from chenzhou_water.display import DISPLAY_UNITS, variable_unit
from chenzhou_water.files import atomic_path
from chenzhou_water.fonts import label as bilingual
from chenzhou_water.results import end_use_demand

# Fallbacks when a result does not carry the model's own values (a scenario may change them).
#: Flows in m³/d as the plots show them (the display vocabulary: 10³ m³/d).
FLOW = DISPLAY_UNITS["m3/Day"]
DEAD_STORAGE = 2.45e9  # m3; the model's ``dead storage``
NORMAL_POOL_STORAGE = 8.12e9  # m3; the model's ``storage at normal pool``
LEAKAGE_TARGET = 0.09  # the model's ``national leakage target``
REUSE_TARGET = 0.25  # the model's ``national reuse target``


def model_constant(ds: xr.Dataset, name: str, fallback: float) -> float:
    """A model constant as the result recorded it (its first value), else the fallback.

    Reference lines (dead storage, national targets) come from here, so a scenario that
    changes the constant is drawn against its own value.
    """
    return float(ds[name].values.flat[0]) if name in ds else fallback


def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.5))
    return ax


def fan(ax: Axes, da: xr.DataArray, text: str, scale: float = 1.0, **kw) -> None:
    """Draw a variable over time: one line, or median with a 5–95 % band over members."""
    values = da.values * scale
    if values.ndim == 1:
        values = values[np.newaxis, :]
    time = da["time"].values
    if values.shape[0] == 1:
        ax.plot(time, values[0], label=text, **kw)
        return
    lo, med, hi = np.percentile(values, [5, 50, 95], axis=0)
    (line,) = ax.plot(time, med, label=f"{text} (median)", **kw)
    ax.fill_between(time, lo, hi, color=line.get_color(), alpha=0.25, lw=0,
                    label=f"{text} (5–95 %)")


def _annual(da: xr.DataArray, how: str = "sum") -> xr.DataArray:
    return getattr(da.groupby(da["time"].dt.year), how)()


def plot_storage(ds: xr.Dataset, ax: Axes | None = None) -> Axes:
    """Dongjiang reservoir storage against dead storage and the normal pool."""
    ax = _axes(ax)
    unit = variable_unit("reservoir_storage")  # million m³
    fan(ax, ds["reservoir_storage"], "Reservoir storage", unit.en_factor)
    dead = model_constant(ds, "dead_storage", DEAD_STORAGE)
    normal = model_constant(ds, "storage_at_normal_pool", NORMAL_POOL_STORAGE)
    ax.axhline(dead * unit.en_factor, color="firebrick", ls="--", lw=1, label="Dead storage")
    ax.axhline(normal * unit.en_factor, color="grey", ls=":", lw=1, label="Normal pool")
    ax.set_ylabel(f"Storage [{unit.en}]")
    ax.set_title(bilingual("Dongjiang reservoir storage (东江水库蓄水量)"))
    ax.legend(loc="lower left", fontsize=8)
    return ax


def plot_supply_demand(ds: xr.Dataset, ax: Axes | None = None) -> Axes:
    """Central-city end-use demand, leakage, production, treatment capacity and unmet demand.

    Five series at most: demand is what customers use (without leakage, drawn widest so
    production does not hide it), leakage is its own line.
    """
    ax = _axes(ax)
    end_use = end_use_demand(ds)
    if end_use is not None:
        fan(ax, end_use, "Demand without leakage (end use)", FLOW.en_factor, lw=2.4, zorder=3)
    for name, text, style in (
        ("leakage_volume", "Leakage (real and apparent losses)", {"lw": 1.2}),
        ("urban_water_production", "Production", {"lw": 1.0, "ls": "--", "zorder": 4}),
        ("treatment_capacity", "Treatment capacity", {"lw": 1.0, "ls": ":"}),
    ):
        if name in ds:
            fan(ax, ds[name], text, FLOW.en_factor, **style)
    if "unmet_demand" in ds:
        unmet = ds["unmet_demand"].max("member").values * FLOW.en_factor
        ax.fill_between(ds["time"].values, 0, unmet, color="red", alpha=0.4,
                        label="Unmet demand (worst member)")
    ax.set_ylabel(FLOW.en)
    ax.set_ylim(bottom=0)
    ax.set_title(bilingual("Central-city demand, leakage and supply (中心城区用水、漏损与供水)"))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.07), fontsize=8, ncol=3, frameon=False)
    return ax


def plot_leakage(ds: xr.Dataset, ax: Axes | None = None) -> Axes:
    """Leakage rate against the national 9 % target."""
    ax = _axes(ax)
    fan(ax, ds["leakage_rate"], "Leakage rate", 100.0)
    target = 100 * model_constant(ds, "national_leakage_target", LEAKAGE_TARGET)
    ax.axhline(target, color="firebrick", ls="--", lw=1,
               label=f"National target {target:g} % (2025)")
    ax.set_ylabel("% of production")
    ax.set_ylim(bottom=0)
    ax.set_title(bilingual("Network leakage (供水漏损率)"))
    if "leakage_volume" in ds:
        twin = ax.twinx()
        fan(twin, ds["leakage_volume"], "Leakage volume", FLOW.en_factor, color="tab:orange",
            lw=0.8)
        twin.set_ylabel(f"Leakage volume [{FLOW.en}]")
        twin.set_ylim(bottom=0)
        twin.legend(loc="upper right", fontsize=8)
    ax.legend(loc="lower left", fontsize=8)
    return ax


def plot_reuse(ds: xr.Dataset, ax: Axes | None = None) -> Axes:
    """Reclaimed-water reuse rate against the national 25 % target."""
    ax = _axes(ax)
    fan(ax, ds["reuse_rate"], "Reuse rate", 100.0)
    if "sewage_treatment_rate" in ds:
        fan(ax, ds["sewage_treatment_rate"], "Sewage treatment rate", 100.0, lw=0.8)
    target = 100 * model_constant(ds, "national_reuse_target", REUSE_TARGET)
    ax.axhline(target, color="firebrick", ls="--", lw=1,
               label=f"National reuse target {target:g} %")
    ax.set_ylabel("%")
    ax.set_ylim(0, 105)
    ax.set_title(bilingual("Wastewater treatment and reuse (污水处理与再生水利用)"))
    ax.legend(loc="center right", fontsize=8)
    return ax


def plot_datacentre(ds: xr.Dataset, ax: Axes | None = None) -> Axes:
    """Data-centre electricity saved per year (bars) and PUE (line)."""
    ax = _axes(ax)
    saved = _annual(ds["dc_electricity_saved"]).median("member") * 1e-6
    ax.bar(saved["year"].values, saved.values, color="tab:green", alpha=0.7,
           label="Electricity saved [GWh/yr]")
    ax.axhline(50.0, color="grey", ls=":", lw=1, label="Seed: > 50 GWh/yr")
    ax.set_ylabel("GWh/yr")
    ax.set_title(bilingual("Lake-cooled data centre (东江湖大数据中心)"))
    twin = ax.twinx()
    pue = _annual(ds["dc_pue"], "max").median("member")
    twin.plot(pue["year"].values, pue.values, color="tab:purple", marker=".",
              label="PUE (worst month)")
    twin.axhline(1.2, color="tab:purple", ls="--", lw=0.8, label="PUE 1.2")
    twin.set_ylabel("PUE")
    twin.set_ylim(*pue_limits(pue.values, 1.2))
    ax.legend(loc="upper left", fontsize=8)
    twin.legend(loc="upper right", fontsize=8)
    return ax


#: Smallest span of a PUE axis: differences below it are noise, not something to magnify.
PUE_MIN_SPAN = 0.1


def pue_limits(values: np.ndarray, reference: float) -> tuple[float, float]:
    """Axis limits for PUE spanning the values and ``reference``, at least PUE_MIN_SPAN wide."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    lo = min(float(finite.min()) if finite.size else reference, reference)
    hi = max(float(finite.max()) if finite.size else reference, reference)
    pad = max(PUE_MIN_SPAN - (hi - lo), 0.0) / 2 + 0.01
    return lo - pad, hi + pad


RUN_PLOTS = {
    "storage": (plot_storage, ("reservoir_storage",)),
    "supply_demand": (plot_supply_demand, ("urban_water_demand", "urban_water_production")),
    "leakage": (plot_leakage, ("leakage_rate",)),
    "reuse": (plot_reuse, ("reuse_rate",)),
    "datacentre": (plot_datacentre, ("dc_electricity_saved", "dc_pue")),
}


def save_run_plots(ds: xr.Dataset, out_dir: str | Path, name: str) -> tuple[Path, ...]:
    """Save each run plot whose variables are in ``ds`` as ``<name>_<plot>.png`` (atomically)."""
    written = []
    for key, (func, needs) in RUN_PLOTS.items():
        if not all(v in ds for v in needs):
            continue
        fig, ax = plt.subplots(figsize=(9, 4.5))
        func(ds, ax=ax)
        fig.tight_layout()
        target = Path(out_dir) / f"{name}_{key}.png"
        with atomic_path(target) as tmp:
            fig.savefig(tmp, dpi=110, format="png")
        plt.close(fig)
        written.append(target)
    return tuple(written)
