"""The results contract: the variables every run returns, and the headline indicators.

The variable names are a public interface: planners' scripts depend on them. They are the
normalised names of variables of ``models/chenzhou_water.mdl`` itself, so the model file, PySD,
the engine and the results file all speak of the same things.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: Variable name -> the unit the contract promises (the model declares the same unit in
#: Vensim spelling; see ``tests/test_contract.py``).
CONTRACT_UNITS: dict[str, str] = {
    "reservoir_storage": "m3",
    "reservoir_level": "m",
    "reservoir_inflow": "m3/Month",
    "reservoir_release": "m3/Month",
    "reservoir_evaporation": "m3/Month",
    "hydropower_generation": "kWh/Month",
    "diversion_supply": "m3/Day",
    "urban_water_demand": "m3/Day",
    "urban_water_production": "m3/Day",
    "unmet_demand": "m3/Day",
    "leakage_rate": "Dmnl",
    "leakage_volume": "m3/Day",
    "per_capita_domestic_use": "L/(person*Day)",
    "industrial_repeat_use_rate": "Dmnl",
    "sewage_treatment_rate": "Dmnl",
    "reclaimed_water_use": "m3/Day",
    "reuse_rate": "Dmnl",
    "dc_it_load": "MW",
    "dc_pue": "Dmnl",
    "dc_cooling_water_temperature": "degC",
    "dc_electricity_saved": "kWh/Month",
    "dc_co2_avoided": "t/Month",
    "water_use_per_10k_gdp": "m3/wanCNY",
    "population_central_city": "person",
    "ecological_flow_compliance": "Dmnl",
    "dispatch_zone": "Dmnl",
    "intake_withdrawal_factor": "Dmnl",
    "service_area_diversion_demand": "m3/Day",
    "service_area_unmet_demand": "m3/Day",
    "peak_day_supply_ratio": "Dmnl",
    "peak_day_shortage": "m3/Day",
    "local_source_capacity": "m3/Day",
    "restrictions_in_force": "Dmnl",
    "real_loss_volume": "m3/Day",
    "apparent_loss_volume": "m3/Day",
    "infrastructure_leakage_index": "Dmnl",
}

CONTRACT_VARIABLES: tuple[str, ...] = tuple(CONTRACT_UNITS)

#: Flows and levels the water-balance checks and the plots need besides the contract.
SUPPORT_VARIABLES: tuple[str, ...] = (
    "turbine_release",
    "ecological_bypass_release",
    "reservoir_spill",
    "diversion_withdrawal",
    "peak_day_demand",
    "treatment_capacity",
    "diversion_capacity",
    "diversion_effective_capacity",
    "service_area_diversion_supply",
    "diversion_intake_level",
    "intake_submergence_range",
    "net_head",
    "central_city_diversion_supply",
    "sewage_treated",
    "old_high_leak_mains",
    "metered_districts",
    "dead_storage",
    "storage_at_normal_pool",
    "national_leakage_target",
    "national_reuse_target",
    "main_deterioration",
    "main_renewal",
    "meter_installation",
    "population_growth",
    "installed_racks",
    "rack_installation",
    "prefecture_gdp",
    "gdp_growth",
)

DEFAULT_OUTPUTS: tuple[str, ...] = CONTRACT_VARIABLES + SUPPORT_VARIABLES

Reduce = Literal["mean", "sum", "min", "max"]


@dataclass(frozen=True)
class Indicator:
    """A headline indicator: one model variable reduced to one number a year.

    Attributes
    ----------
    key : str
        Column name in summaries (``leakage_rate_pct``).
    variable : str
        The model variable it is computed from.
    reduce : str
        How the months of a year are combined: ``mean``, ``sum``, ``min`` or ``max``.
    scale : float
        Factor applied after the reduction (for example 100 for percent).
    units : str
        Units of the indicator after scaling.
    label_en, label_zh : str
        Labels for tables and reports.
    """

    key: str
    variable: str
    reduce: Reduce
    scale: float
    units: str
    label_en: str
    label_zh: str


HEADLINE_INDICATORS: tuple[Indicator, ...] = (
    Indicator("storage_min_bn_m3", "reservoir_storage", "min", 1e-9, "10^9 m3",
              "Lowest reservoir storage", "水库最低蓄水量"),
    Indicator("hydropower_gwh", "hydropower_generation", "sum", 1e-6, "GWh/yr",
              "Hydropower generation", "水电发电量"),
    Indicator("diversion_supply_kt_d", "diversion_supply", "mean", 1e-3, "10^3 m3/d",
              "Dongjiang diversion supply", "东江引水供水量"),
    Indicator("urban_demand_kt_d", "urban_water_demand", "mean", 1e-3, "10^3 m3/d",
              "Central-city demand", "中心城区需水量"),
    Indicator("unmet_demand_kt_d", "unmet_demand", "mean", 1e-3, "10^3 m3/d",
              "Unmet demand", "供水缺口"),
    Indicator("peak_shortage_kt_d", "peak_day_shortage", "max", 1e-3, "10^3 m3/d",
              "Peak-day shortage (worst month)", "高峰日供水缺口（最高月）"),
    Indicator("leakage_rate_pct", "leakage_rate", "mean", 100.0, "%",
              "Network leakage rate", "供水漏损率"),
    Indicator("leakage_volume_kt_d", "leakage_volume", "mean", 1e-3, "10^3 m3/d",
              "Leakage volume", "漏损水量"),
    Indicator("per_capita_use_l", "per_capita_domestic_use", "mean", 1.0, "L/person/d",
              "Residential use per person", "居民人均用水"),
    Indicator("sewage_treatment_pct", "sewage_treatment_rate", "mean", 100.0, "%",
              "Sewage treatment rate", "污水处理率"),
    Indicator("reuse_rate_pct", "reuse_rate", "mean", 100.0, "%",
              "Reclaimed-water reuse rate", "再生水利用率"),
    Indicator("dc_saved_gwh", "dc_electricity_saved", "sum", 1e-6, "GWh/yr",
              "Data-centre electricity saved", "数据中心节电量"),
    Indicator("dc_co2_kt", "dc_co2_avoided", "sum", 1e-3, "kt CO2/yr",
              "CO2 avoided", "二氧化碳减排量"),
    Indicator("dc_pue", "dc_pue", "max", 1.0, "1",
              "Data-centre PUE (worst month)", "数据中心PUE（最高月）"),
    Indicator("water_per_10k_gdp", "water_use_per_10k_gdp", "mean", 1.0, "m3/10^4 CNY",
              "Water use per 10,000 CNY GDP", "万元GDP用水量"),
    Indicator("population_k", "population_central_city", "mean", 1e-3, "10^3 persons",
              "Central-city population", "中心城区人口"),
    Indicator("eco_flow_compliance_pct", "ecological_flow_compliance", "min", 100.0, "%",
              "Ecological-flow compliance (worst month)", "生态流量满足率（最低月）"),
)

HEADLINE_YEARS: tuple[int, ...] = (2020, 2025, 2030, 2035, 2050)


@dataclass(frozen=True)
class Cap:
    """A plausibility cap the model puts on a variable (``MIN(<limit>, ...)`` in its equation).

    A run in which the variable sits at its cap is outside what the model's equations describe
    (the uncapped value would be larger), so the run says so (:func:`binding_caps`).

    Attributes
    ----------
    variable : str
        The capped model variable (normalised name).
    limit : float
        The cap, in the variable's units.
    """

    variable: str
    limit: float


#: The caps of ``models/chenzhou_water.mdl``; a test checks that each variable's equation is
#: ``MIN(<limit>, ...)``.
CAPS: tuple[Cap, ...] = (
    Cap("leakage_rate", 0.6),
    Cap("real_loss_rate", 0.5),
)
