"""What a result records beside its numbers, and the headline indicators computed from it.

Arrays become labelled Datasets in :mod:`chenzhou_water.engine.dataset`; this module adds
provenance (who made a result, from what resolved input) and reduces a result to the headline
indicators of the results contract. Files are written by :mod:`chenzhou_water.files`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import xarray as xr
import yaml

from chenzhou_water.display import indicator_unit
from chenzhou_water.model.contract import CAPS, HEADLINE_INDICATORS, Cap, Indicator


def resolved_text(data: Mapping[str, Any]) -> str:
    """A resolved input file (scenario, sweep, SA file) as YAML text, for a result's attributes."""
    return yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True)


def provenance(**extra: Any) -> dict[str, str]:
    """Global attributes recording who made a result and when."""
    from chenzhou_water import __version__

    out = {
        "package": "chenzhou-water",
        "package_version": __version__,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "conventions": "CF-1.8 (time, units); chenzhou-water results contract",
    }
    out.update({k: str(v) for k, v in extra.items()})
    return out


def _annual(da: xr.DataArray, how: str) -> xr.DataArray:
    years = da["time"].dt.year
    grouped = da.groupby(years)
    return getattr(grouped, how)()


def annual_indicators(
    ds: xr.Dataset,
    indicators: Sequence[Indicator] = HEADLINE_INDICATORS,
    member_stat: str = "median",
) -> pd.DataFrame:
    """Headline indicators by calendar year.

    With several members, each member's annual value is computed first and the members are
    then combined by ``member_stat`` (``median`` or ``mean``).

    Returns
    -------
    DataFrame
        Index ``year``; one column per indicator present in ``ds`` (``key``).
    """
    columns = {}
    for ind in indicators:
        if ind.variable not in ds:
            continue
        per_member = _annual(ds[ind.variable], ind.reduce) * ind.scale
        columns[ind.key] = getattr(per_member, member_stat)("member").to_series()
    frame = pd.DataFrame(columns)
    frame.index.name = "year"
    return frame


def end_use_demand(ds: xr.Dataset) -> xr.DataArray | None:
    """What the central city's customers use, m³/d: the demand on the utility less real losses
    (``urban_water_demand`` × (1 − real losses / production), as the model defines demand).

    None where the result lacks one of the three variables.
    """
    needs = ("urban_water_demand", "real_loss_volume", "urban_water_production")
    if not all(v in ds for v in needs):
        return None
    production = ds["urban_water_production"]
    rate = (ds["real_loss_volume"] / production.where(production > 0)).fillna(0.0)
    out = ds["urban_water_demand"] * (1.0 - rate)
    out.attrs = {"units": "m3/Day", "description": "end-use demand of the central city "
                 "(demand on the utility less real losses)"}
    return out


def indicator_columns(indicators: Sequence[Indicator] = HEADLINE_INDICATORS) -> dict[str, str]:
    """Column key -> ``"label [unit]"`` for tables, in the display vocabulary
    (:mod:`chenzhou_water.display`; values shown through :func:`displayed_indicators`)."""
    out = {}
    for i in indicators:
        unit = indicator_unit(i).en
        out[i.key] = f"{i.label_en} [{unit}]" if unit else i.label_en
    return out


def displayed_indicators(frame: pd.DataFrame,
                         indicators: Sequence[Indicator] = HEADLINE_INDICATORS) -> pd.DataFrame:
    """:func:`annual_indicators` in the English display units, columns ``label [unit]``."""
    shown = frame.copy()
    for ind in indicators:
        if ind.key in shown:
            shown[ind.key] = shown[ind.key] * indicator_unit(ind).en_factor
    return shown.rename(columns=indicator_columns(indicators))


def binding_caps(ds: xr.Dataset, caps: Sequence[Cap] = CAPS) -> list[str]:
    """One sentence per model cap that binds in ``ds``: the variable sits at its cap (within
    1e-9 of it) in some month of some member. Variables the result lacks are not checked."""
    found = []
    for cap in caps:
        if cap.variable not in ds:
            continue
        at_cap = ds[cap.variable] >= cap.limit - 1e-9
        if not bool(at_cap.any()):
            continue
        months = at_cap.any([d for d in at_cap.dims if d != "time"]) if at_cap.ndim > 1 else at_cap
        times = pd.DatetimeIndex(ds["time"].values[months.values]) if "time" in ds.dims else None
        span = (f" in {int(months.sum())} months from {times[0]:%Y-%m} to {times[-1]:%Y-%m}"
                if times is not None and len(times) else "")
        members = (f" ({int(at_cap.any('time').sum())} of {ds.sizes['member']} members)"
                   if "member" in at_cap.dims and ds.sizes["member"] > 1 else "")
        found.append(f"{cap.variable} sits at its cap of {cap.limit:g} (MIN({cap.limit:g}, ...) in "
                     f"the model){span}"
                     f"{members}: its equation gives more there, and the capped value is used")
    return found
