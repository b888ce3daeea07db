"""What the ``hydrology`` command shows: the generator's assumptions by calendar month, the
annual statistics of a sample, and optionally a figure of both."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from chenzhou_water.hydrology.config import InflowConfig
from chenzhou_water.hydrology.generator import generate_inflows, mean_inflow
from chenzhou_water.resources import FLOAT_BYTES, check_memory


@dataclass(frozen=True)
class HydrologySummary:
    """The assumptions of the inflow generator and a sample's annual statistics."""

    config: InflowConfig
    monthly: pd.DataFrame
    """One row per calendar month: share of the year, mean (million m³), CV, lag-1 correlation."""
    members: int
    seed: int
    sample_mean_annual_runoff: float
    """Mean calendar-year runoff of the sample, m³/yr."""
    sample_annual_cv: float
    """Coefficient of variation of calendar-year runoff across the sample."""
    plot: Path | None = None


def summarise_hydrology(
    model: str | Path, members: int = 500, seed: int = 0, plot: str | Path | None = None
) -> HydrologySummary:
    """The inflow generator's assumptions for ``model`` and a sample of ``members`` series.

    Parameters
    ----------
    model : str or Path
        The Vensim model whose seasonal shares and mean annual runoff are the defaults.
    members, seed : int
        Size and seed of the sample behind the annual statistics and the figure.
    plot : str or Path, optional
        Save a figure of the assumptions and sample series here (PNG, SVG or PDF; atomically).
    """
    from chenzhou_water.hydrology.plots import annual_totals

    config = InflowConfig.from_model(model)
    # The generator holds a few (members, months) float arrays at once (draws, logs, series).
    check_memory("--members", members, 6 * FLOAT_BYTES * len(mean_inflow(config)),
                 "inflow series")
    monthly = pd.DataFrame({
        "month": range(1, 13),
        "share of year": config.seasonal_shares,
        "mean (million m³)": mean_inflow(config)[:12] / 1e6,
        "CV": config.monthly_cv,
        "lag-1 corr. (log)": config.lag1_correlation,
    }).set_index("month")  # fmt: skip
    totals = annual_totals(generate_inflows(members, seed=seed, config=config))
    if plot is not None:
        plot = _save_figure(config, members, seed, Path(plot))
    return HydrologySummary(config, monthly, members, seed, float(totals.mean()),
                            float(totals.std() / totals.mean()), plot)


def _save_figure(config: InflowConfig, members: int, seed: int, plot: Path) -> Path:
    from chenzhou_water.files import atomic_path
    from chenzhou_water.hydrology.plots import hydrology_figure

    figure = hydrology_figure(config, members, seed)
    with atomic_path(plot) as tmp:
        figure.savefig(tmp, format=plot.suffix.lstrip(".") or "png", dpi=120)
    return plot
