"""One vocabulary of display units and numbers: terminal, CSV files, plots and the report.

Results are stored in the model's units (``m3/Day``, ``Dmnl``, ...); a reader sees them here:
shares in %, volumes in m³ with the prefix the reader expects (10³ m³/d and million m³ in
English; 万m³/日 and 亿m³ in Chinese, where 1 万 = 10⁴ and 1 亿 = 10⁸), never a Vensim unit.

- :data:`DISPLAY_UNITS`: a unit key -> :class:`DisplayUnit` (English and Chinese label, and the
  factor from the key's unit to the shown one). The keys are the model's units of the contract
  variables and the units of the headline indicators (``model.contract``).
- :data:`VARIABLE_UNITS`: contract variables whose model unit ``Dmnl`` is not a share.
- :func:`variable_unit`, :func:`indicator_unit`: the display unit of a variable or indicator.
- :func:`format_number`: numbers through Babel, in the reader's locale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from babel.numbers import format_decimal

from chenzhou_water.model.contract import CONTRACT_UNITS, Indicator

#: Babel locale of each page language.
LOCALES: dict[str, str] = {"en": "en_GB", "zh": "zh_Hans_CN"}


@dataclass(frozen=True)
class DisplayUnit:
    """How a quantity in one unit is shown.

    Attributes
    ----------
    en, zh : str
        The unit as written in English and in Chinese ("" for a pure number).
    en_factor, zh_factor : float
        Multiply a value in the key's unit by this to get it in the shown unit.
    """

    en: str
    zh: str
    en_factor: float = 1.0
    zh_factor: float = 1.0

    def label(self, lang: str) -> str:
        """The unit in ``lang`` (``en`` or ``zh``)."""
        return self.zh if lang == "zh" else self.en

    def factor(self, lang: str) -> float:
        """The factor from the stored value to the shown one in ``lang``."""
        return self.zh_factor if lang == "zh" else self.en_factor


_SHARE = DisplayUnit("%", "%", 100.0, 100.0)
_NUMBER = DisplayUnit("", "")

#: Unit key -> display. Model units (Vensim spelling) of the contract variables, then the units
#: of the headline indicators (already scaled by ``Indicator.scale``).
DISPLAY_UNITS: dict[str, DisplayUnit] = {
    # model units of the contract variables
    "Dmnl": _SHARE,
    "m": DisplayUnit("m", "米"),
    "m3": DisplayUnit("million m³", "亿m³", 1e-6, 1e-8),
    "m3/Month": DisplayUnit("million m³/month", "万m³/月", 1e-6, 1e-4),
    "m3/Day": DisplayUnit("10³ m³/d", "万m³/日", 1e-3, 1e-4),
    "kWh/Month": DisplayUnit("GWh/month", "万kWh/月", 1e-6, 1e-4),
    "t/Month": DisplayUnit("t/month", "吨/月"),
    "L/(person*Day)": DisplayUnit("L/person/d", "升/人/日"),
    "MW": DisplayUnit("MW", "兆瓦"),
    "degC": DisplayUnit("°C", "°C"),
    "m3/wanCNY": DisplayUnit("m³ per 10⁴ CNY", "m³/万元"),
    "person": DisplayUnit("persons", "人"),
    # units of the headline indicators
    "%": DisplayUnit("%", "%"),
    "1": _NUMBER,
    "10^9 m3": DisplayUnit("million m³", "亿m³", 1e3, 10.0),
    "10^3 m3/d": DisplayUnit("10³ m³/d", "万m³/日", 1.0, 0.1),
    "GWh/yr": DisplayUnit("GWh/yr", "亿kWh/年", 1.0, 0.01),
    "L/person/d": DisplayUnit("L/person/d", "升/人/日"),
    "kt CO2/yr": DisplayUnit("kt CO₂/yr", "万吨CO₂/年", 1.0, 0.1),
    "m3/10^4 CNY": DisplayUnit("m³ per 10⁴ CNY", "m³/万元"),
    "10^3 persons": DisplayUnit("10³ persons", "万人", 1.0, 0.1),
    # units of sweep metrics (``sweep.metrics``)
    "fraction of months": DisplayUnit("% of months", "%（月数）", 100.0, 100.0),
    "fraction of production": DisplayUnit("% of production", "%（占供水量）", 100.0, 100.0),
    "fraction": _SHARE,
    "months": DisplayUnit("months", "个月"),
    "kWh": DisplayUnit("GWh", "亿kWh", 1e-6, 1e-8),
    # units of levers and parameters (difference texts)
    "km/year": DisplayUnit("km/yr", "公里/年"),
    "district/year": DisplayUnit("districts/yr", "个分区/年"),
    "1/year": DisplayUnit("%/yr", "%/年", 100.0, 100.0),
    "m3/year": DisplayUnit("million m³/yr", "万m³/年", 1e-6, 1e-4),
    "rack": DisplayUnit("racks", "架"),
    "year": DisplayUnit("year", "年"),
    "Month": DisplayUnit("months", "月"),
    "km": DisplayUnit("km", "公里"),
    "CNY": DisplayUnit("CNY", "元"),
    "kW/rack": DisplayUnit("kW/rack", "千瓦/架"),
    "t/kWh": DisplayUnit("kg CO₂/kWh", "千克CO₂/千瓦时", 1e3, 1e3),
    "CNY/year": DisplayUnit("CNY/yr", "元/年"),
    "1/km": DisplayUnit("per km", "/公里"),
    "1/degC": DisplayUnit("per °C", "/°C"),
}

#: Model variables in ``Dmnl`` that are not shares (factors, indices, ratios of energy, counts),
#: with how they are shown: a peak-day factor of 1.3 is not "130 %", a PUE of 1.2 not "120 %".
VARIABLE_UNITS: dict[str, DisplayUnit] = {
    "dc_pue": _NUMBER,
    "infrastructure_leakage_index": _NUMBER,
    "dispatch_zone": DisplayUnit("zone 1–4", "调度区1–4"),
    "restrictions_in_force": DisplayUnit("0/1", "0/1"),
    **dict.fromkeys((
        "calendar_month", "number_of_turbine_units", "firm_release_factor", "inflow_anomaly",
        "smoothed_inflow_anomaly", "local_drought_sensitivity", "peak_day_factor",
        "favad_exponent", "pressure_leakage_factor", "industrial_activity_index",
        "pue_at_reference_temperature", "minimum_pue_overhead", "lake_cooled_pue",
        "reference_pue",
    ), _NUMBER),
}


def dimensionless_unit(name: str, model_units: str) -> str:
    """``"1"`` for a ``Dmnl`` variable that is not a share (:data:`VARIABLE_UNITS`), else
    ``model_units``: what a quantity derived from ``name`` (a sweep metric) is measured in."""
    return "1" if model_units == "Dmnl" and name in VARIABLE_UNITS else model_units


#: Chinese names of the levers, of the parameters scenarios, sweeps and the calibration set, and
#: of the headline indicators (by key; their labels live in ``model.contract``). English pages
#: show the model's identifier.
NAMES_ZH: dict[str, str] = {
    # levers
    "inflow_multiplier_schedule": "入库径流系数（逐年）",
    "climate_runoff_multiplier": "气候变化径流系数",
    "diversion_in_service_schedule": "东江引水工程投运比例",
    "service_area_connection_schedule": "引水沿线乡镇接入比例",
    "central_city_priority": "中心城区供水优先度",
    "treatment_capacity_schedule": "中心城区水厂规模",
    "local_source_capacity_schedule": "本地水源可供水量",
    "renewal_programme": "老旧管网更新长度",
    "metering_programme": "分区计量（DMA）建设",
    "pressure_reduction_schedule": "分区压力管理降压比例",
    "population_growth_rate": "人口增长率",
    "domestic_use_trend": "居民人均生活用水量",
    "gdp_growth_rate": "GDP增长率",
    "repeat_use_schedule": "工业用水重复利用率",
    "restrictions_enabled": "启用限水措施",
    "other_prefecture_water_use": "中心城区以外用水量",
    "collection_rate_schedule": "污水收集率",
    "wastewater_treatment_capacity_schedule": "污水处理厂规模",
    "reclaimed_capacity_schedule": "再生水生产能力",
    "rack_target": "数据中心规划机柜数",
    "heat_recovery_schedule": "数据中心余热回收比例",
    # parameters
    "phase_3_start_year": "引水三期投运年份",
    "background_leakage_rate": "背景漏损率",
    "leakage_per_old_main_km": "每公里老旧管网漏损量",
    "unmetered_loss_rate": "计量损失率",
    "initial_old_high_leak_mains": "初始老旧高漏损管网长度",
    "metering_effect_delay": "分区计量见效时间",
    "initial_population": "初始人口",
    "initial_gdp": "初始GDP",
    "peak_day_factor": "高峰日系数",
    "mean_annual_runoff": "多年平均径流量",
    "reference_pue": "参考PUE",
    "pue_at_reference_temperature": "参考水温下的PUE",
    "pue_temperature_sensitivity": "PUE水温敏感度",
    "it_power_per_rack": "单机柜IT功率",
    "cooling_temperature_rise": "冷却水温升",
    "rack_installation_time": "机柜安装周期",
    "grid_emission_factor": "电网排放因子",
    "guiyang_seat_use_per_capita": "桂阳县城人均用水量",
    "high_leak_ageing_rate": "管网老化进入高漏损类别的速率",
    "public_use_per_capita": "人均公共用水量",
    "service_area_population_growth": "引水沿线服务区人口增长率",
}


def display_name(name: str, lang: str) -> str:
    """A lever's, parameter's or indicator's name for a reader of ``lang`` (the identifier
    where no Chinese name is known, and on English pages)."""
    if lang == "zh":
        if name in NAMES_ZH:
            return NAMES_ZH[name]
        from chenzhou_water.model.contract import HEADLINE_INDICATORS

        for ind in HEADLINE_INDICATORS:
            if ind.key == name:
                return ind.label_zh
    return name


def variable_unit(name: str, model_units: str | None = None) -> DisplayUnit:
    """The display unit of a model variable (its model units looked up when not given).

    Units outside the vocabulary are shown as written, unscaled.
    """
    if name in VARIABLE_UNITS:
        return VARIABLE_UNITS[name]
    units = model_units if model_units is not None else CONTRACT_UNITS.get(name, "")
    return DISPLAY_UNITS.get(units, DisplayUnit(units, units))


def indicator_unit(indicator: Indicator) -> DisplayUnit:
    """The display unit of a headline indicator (its value already in ``indicator.units``)."""
    if indicator.variable in VARIABLE_UNITS:
        return VARIABLE_UNITS[indicator.variable]
    return DISPLAY_UNITS.get(indicator.units, DisplayUnit(indicator.units, indicator.units))


def significant_format(values: list[float], digits: int = 3) -> str:
    """A Babel decimal pattern giving ``values`` one shared precision: ``digits`` significant
    figures for the smallest non-zero magnitude among them (whole numbers from 1,000 up)."""
    finite = [abs(v) for v in values if v is not None and math.isfinite(v) and v != 0.0]
    if not finite:
        return "#,##0"
    smallest = min(finite)
    decimals = max(0, digits - 1 - math.floor(math.log10(smallest)))
    decimals = min(decimals, 4) if smallest < 1000 else 0
    return "#,##0" + ("." + "0" * decimals if decimals else "")


def format_number(value: float | None, lang: str = "en", pattern: str | None = None,
                  missing: str = "–") -> str:
    """``value`` written for a reader of ``lang`` through Babel (grouping, decimal sign).

    ``pattern`` is a Babel decimal pattern (``#,##0.0``); by default three significant figures.
    """
    if value is None or not math.isfinite(value):
        return missing
    pattern = pattern or significant_format([value])
    return format_decimal(value, format=pattern, locale=LOCALES.get(lang, "en_GB"))


def format_delta(value: float, lang: str = "en", pattern: str | None = None) -> str:
    """A difference with its sign (``+1.2``, ``−0.5``)."""
    shown = format_number(abs(value), lang, pattern)
    return ("+" if value >= 0 else "−") + shown


def csv_header(name: str, model_units: str | None = None) -> str:
    """A CSV column header ``name [unit]`` in the English vocabulary (``name`` for a number)."""
    unit = variable_unit(name, model_units).en
    return f"{name} [{unit}]" if unit else name


#: Model units (Vensim spelling) as written for a reader of the NetCDF file.
STORED_SPELLING: dict[str, str] = {
    "Dmnl": "fraction (0–1)", "m3": "m³", "m3/Month": "m³/month", "m3/Day": "m³/d",
    "kWh/Month": "kWh/month", "t/Month": "t/month", "L/(person*Day)": "L/person/d",
    "degC": "°C", "m3/wanCNY": "m³ per 10⁴ CNY", "person": "persons",
}


def stored_unit(name: str, model_units: str | None = None) -> str:
    """The unit a variable's values have in the result file, in plain spelling."""
    units = model_units if model_units is not None else CONTRACT_UNITS.get(name, "")
    if name in VARIABLE_UNITS and units == "Dmnl":
        return VARIABLE_UNITS[name].en or "1"
    return STORED_SPELLING.get(units, units)


def readme_unit_table() -> str:
    """The README's table of the contract variables: unit in the ``.nc`` file and as shown in
    the CSV files, plots and English report (``tests/test_display.py`` keeps them equal)."""
    lines = ["| variable | in the `.nc` file | in CSV files, plots and the report (en; zh) |",
             "|---|---|---|"]
    for name in CONTRACT_UNITS:
        unit = variable_unit(name)
        shown = f"{unit.en or '1'}; {unit.zh or '1'}"
        lines.append(f"| `{name}` | {stored_unit(name)} | {shown} |")
    return "\n".join(lines)
