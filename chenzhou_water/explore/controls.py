"""What the explorer lets a planner change: every lever and every declared constant, by sector,
with Chinese and English names and the model's declared ranges and units.

Also the explorer's own words in both languages (:data:`TEXTS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from chenzhou_water.errors import Problem, ValidationError
from chenzhou_water.explore.names_zh import NAMES_ZH
from chenzhou_water.explore.structure import ModelStructure
from chenzhou_water.model.metadata import Variable

#: Model group (sector) -> its Chinese name.
SECTOR_ZH: dict[str, str] = {
    "Calendar": "日历",
    "Dongjiang reservoir": "东江水库",
    "Dongjiang diversion": "东江引水",
    "Central-city supply": "中心城区供水",
    "Network leakage": "管网漏损",
    "Demand": "需水",
    "Wastewater and reuse": "污水处理与再生水利用",
    "Lake-cooled data centre": "东江湖大数据中心",
}

TEXTS: dict[str, tuple[str, str]] = {
    "title": ("Chenzhou water system explorer", "郴州水系统情景探索"),
    "sector": ("Sector", "板块"),
    "levers": ("Levers (year: value)", "政策杠杆（年份: 数值）"),
    "constants": ("Constants", "参数"),
    "ensemble": ("Stochastic ensemble ({n} members)", "随机集合（{n}个成员）"),
    "save_name": ("Scenario name", "情景名称"),
    "save": ("Save scenario YAML", "保存情景YAML"),
    "report": ("Report against the start", "生成对比报告"),
    "reset": ("Reset to the start", "恢复初始情景"),
    "results": ("Results", "结果"),
    "diagram": ("Structure diagram", "结构图"),
    "headline": ("Headline indicators (current / start)", "主要指标（当前 / 初始）"),
    "redrawn": ("{members} member(s): run {run:.3f} s, redrawn {total:.3f} s",
                "{members}个成员：模拟 {run:.3f} 秒，重绘 {total:.3f} 秒"),
    "saved": ("Saved {file} (it passes `chenzhou-water validate`)",
              "已保存 {file}（通过 `chenzhou-water validate` 检查）"),
    "reported": ("Report written: {file}", "报告已生成：{file}"),
    "current": ("current", "当前"),
    "start": ("start", "初始"),
    "variable": ("Variable", "变量"),
    "click": ("Click a variable in the diagram, or choose it here.",
              "点击结构图中的变量，或在此选择。"),
    "equation": ("Equation", "方程"),
    "units": ("Units", "单位"),
    "range": ("Declared range", "取值范围"),
    "source": ("Source", "来源"),
    "documentation": ("Documentation", "说明"),
    "value_2030": ("Value (2030, current settings)", "数值（2030年，当前设置）"),
    "fig_storage": ("Reservoir storage (10⁹ m³)", "水库蓄水量（10⁹ m³）"),
    "fig_level": ("Reservoir level (m)", "水库水位（m）"),
    "fig_supply": ("Demand, supply and shortage (10³ m³/d)", "需水量、供水量与缺口（10³ m³/d）"),
    "fig_leakage": ("Network leakage rate (%)", "供水漏损率（%）"),
    "fig_reuse": ("Reclaimed-water reuse rate (%)", "再生水利用率（%）"),
    "fig_datacentre": ("Data-centre electricity saved (GWh/yr)", "数据中心节电量（GWh/年）"),
    "fig_hydropower": ("Hydropower generation (GWh/yr)", "水电发电量（GWh/年）"),
    "demand": ("demand", "需水"),
    "supply": ("supply", "供水"),
    "shortage": ("shortage", "缺口"),
}


def text(key: str, lang: str, **fields: Any) -> str:
    """One of the explorer's words in ``lang`` (``en`` or ``zh``)."""
    words = TEXTS[key][1 if lang == "zh" else 0]
    return words.format(**fields) if fields else words


def sector_label(sector: str, lang: str) -> str:
    return SECTOR_ZH.get(sector, sector) if lang == "zh" else sector


def chinese_name(var: Variable) -> str | None:
    """The variable's Chinese name (:data:`NAMES_ZH`), if it has one."""
    return NAMES_ZH.get(var.py_name)


@dataclass(frozen=True)
class Control:
    """One control: a constant (a number) or a lever (a year → value table).

    ``low`` and ``high`` are the declared range (None: open); ``value`` the starting value
    (a number, or ``{year: value}`` for a lever).
    """

    key: str
    sector: str
    kind: str
    name_en: str
    name_zh: str | None
    units: str
    low: float | None
    high: float | None
    value: Any
    documentation: str

    def label(self, lang: str) -> str:
        if lang == "zh" and self.name_zh:
            return f"{self.name_zh} ({self.name_en}) [{self.units}]"
        if self.name_zh:
            return f"{self.name_en} ({self.name_zh}) [{self.units}]"
        return f"{self.name_en} [{self.units}]"


def _is_lever(var: Variable) -> bool:
    return var.kind == "lookup" and bool(var.lookup_x) and var.lookup_x[0] >= 1900


def controls(structure: ModelStructure, parameters: dict[str, float],
             levers: dict[str, dict[float, float]]) -> dict[str, list[Control]]:
    """Sector → its controls (levers first), for every year-indexed lookup and every scalar
    constant whose declared range is not a single value; starting values from the scenario
    (``parameters``, ``levers``), else from the model."""
    out: dict[str, list[Control]] = {}
    info = structure.info
    for key, element in structure.elements.items():
        var = info.variables.get(key)
        if var is None or var.subscripts:
            continue
        if _is_lever(var):
            (_, low), (_, high) = var.lookup_range or ((None, None), (None, None))
            value = levers.get(key) or dict(zip(var.lookup_x, var.lookup_y, strict=True))
        elif var.kind == "constant" and var.value is not None:
            low, high = var.limits
            if low is not None and high is not None and low == high:
                continue  # fixed by the model's structure (a unit conversion, a physical bound)
            value = parameters.get(key, var.value)
        else:
            continue
        control = Control(key, element.sector, "lever" if _is_lever(var) else "constant",
                          var.name, chinese_name(var), var.units, low, high, value,
                          var.documentation)
        out.setdefault(element.sector, []).append(control)
    for items in out.values():
        items.sort(key=lambda c: c.kind != "lever")
    return out


def format_table(table: dict[float, float]) -> str:
    """A lever table as the text of its control: ``2015: 0, 2019: 9.3``."""
    return ", ".join(f"{_plain(x)}: {_plain(y)}" for x, y in table.items())


def _plain(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def parse_table(key: str, typed: str, source: str) -> Any:
    """What a lever's control holds, read as the ``{year: value}`` mapping a scenario file
    would give (its values are then checked by the loader, like a file's).

    Raises
    ------
    ValidationError
        If the text is not ``year: value`` pairs separated by commas.
    """
    try:
        table = yaml.safe_load("{" + typed + "}") if len(typed) < 10_000 else None
    except yaml.YAMLError:
        table = None
    if not isinstance(table, dict):
        excerpt = typed.splitlines()[0][:60] if typed.strip() else ""
        raise ValidationError([Problem(source, f"levers.{key}", f"could not read {excerpt!r} "
                                       "as 'year: value' pairs separated by commas "
                                       "(e.g. 2015: 0.2, 2030: 0.5)")])
    return table
