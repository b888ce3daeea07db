"""The report's headline indicators: the contract's, with the central city's demand shown
without leakage (so that reducing leakage does not seem to cut what people use).

The model's ``urban_water_demand`` is the demand on the utility: end use plus the real losses
that must be produced too. The report shows the end use (demand without real losses) and the
leakage volume separately.
"""

from __future__ import annotations

import xarray as xr

from chenzhou_water.model.contract import HEADLINE_INDICATORS, Indicator
from chenzhou_water.results import end_use_demand

#: Derived variable: what customers use, m³/d (demand on the utility less real losses).
END_USE = "end_use_demand"

END_USE_DEMAND = Indicator("end_use_demand_kt_d", END_USE, "mean", 1e-3, "10^3 m3/d",
                           "Central-city demand (end use, without leakage)",
                           "中心城区用水需求（不含漏损）")

#: The headline table's indicators, in order.
REPORT_INDICATORS: tuple[Indicator, ...] = tuple(
    END_USE_DEMAND if i.key == "urban_demand_kt_d" else i for i in HEADLINE_INDICATORS)

def with_end_use(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` with :data:`END_USE` (m³/d, :func:`chenzhou_water.results.end_use_demand`) added
    where its inputs are present."""
    end_use = end_use_demand(ds) if END_USE not in ds else None
    return ds if end_use is None else ds.assign({END_USE: end_use})
