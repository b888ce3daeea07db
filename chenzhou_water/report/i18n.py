"""The report's words in English and Chinese: headings, table labels, axis labels, legends.

Every text the page or its figures show goes through :func:`translator`, so a page in one
language has no words of the other (scenario names and model variable names excepted: they are
identifiers). Indicator labels come from :data:`chenzhou_water.model.contract.HEADLINE_INDICATORS`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from chenzhou_water.errors import Problem, ValidationError
from chenzhou_water.model.contract import Indicator

Lang = Literal["en", "zh"]
LANGUAGES: tuple[str, ...] = ("en", "zh")

TEXTS: dict[str, tuple[str, str]] = {
    # key: (English, Chinese)
    "title": ("Chenzhou water system: scenario comparison", "郴州水系统：情景比较"),
    "subtitle": ("Dongjiang reservoir, diversion, city supply, leakage, reuse and the "
                 "lake-cooled data centre",
                 "东江水库、东江引水、城市供水、管网漏损、再生水利用与东江湖大数据中心"),
    "contents": ("Contents", "目录"),
    "scenarios": ("Scenarios", "情景"),
    "scenario": ("Scenario", "情景"),
    "reference": ("reference", "基准"),
    "why_differ": ("Why the scenarios differ", "情景差异说明"),
    "headline": ("Headline indicators", "主要指标"),
    "headline_note": ("Annual values; with several ensemble members, the median of the members.",
                      "年度值；多成员集合时取各成员的中位数。"),
    "indicator": ("Indicator", "指标"),
    "units": ("Units", "单位"),
    "year": ("Year", "年份"),
    "members": ("members", "个成员"),
    "plots": ("Plots", "图表"),
    "attribution": ("What makes the difference: attribution", "差异归因分析"),
    "attribution_note": (
        "The difference between the reference and the alternative split into the contributions "
        "of the inputs that differ. Shapley values average each input's effect over every order "
        "of switching the inputs from the reference to the alternative ({runs} runs, one per "
        "subset of the {k} inputs); they add up exactly to the total difference. One-at-a-time "
        "effects switch a single input; what they leave unexplained is interaction. Runs use "
        "each scenario's own hydrology (one member).",
        "将基准情景与比较情景之间的差异分解为各个不同输入的贡献。Shapley值对所有切换顺序下各输入的"
        "影响取平均（共{runs}次模拟，对应{k}个输入的全部子集），其总和恰好等于总差异。单因素效应只切换"
        "一个输入；未解释部分为交互作用。模拟采用各情景自身的水文条件（单成员）。"),
    "input": ("Input", "输入"),
    "kind": ("Kind", "类型"),
    "parameter": ("parameter", "参数"),
    "lever": ("lever", "政策杠杆"),
    "shapley": ("Shapley contribution", "Shapley贡献"),
    "one_at_a_time": ("One at a time", "单因素效应"),
    "interaction": ("Interaction", "交互作用"),
    "total": ("Total difference", "总差异"),
    "no_difference": ("The scenarios give the same value; nothing to attribute.",
                      "两个情景的数值相同，无需归因。"),
    "no_inputs": ("The scenarios have the same parameters and levers.",
                  "两个情景的参数和政策杠杆相同。"),
    "too_many": ("Not attributed: {k} inputs differ, more than the {limit} an exact Shapley "
                 "decomposition runs (2^k runs).",
                 "未进行归因：有{k}个输入不同，超过精确Shapley分解允许的{limit}个（需2^k次模拟）。"),
    "model_changed": ("{files}: the model file has changed since these results were made; the "
                      "texts of differences and the attribution use the current model.",
                      "{files}：结果生成后模型文件已更改；差异说明与归因分析使用当前模型。"),
    "not_reloaded": ("{file}: its scenario cannot be reloaded ({error}); it is left out of the "
                     "texts of differences and the attribution.",
                     "{file}：无法重新加载其情景（{error}），差异说明与归因分析中不包括该情景。"),
    "calibration": ("Calibration fit", "模型率定拟合"),
    "calibration_note": ("From {file}.", "来源：{file}。"),
    "col_target": ("Target", "目标"),
    "col_period": ("Period", "时期"),
    "col_unit": ("Unit", "单位"),
    "col_reported": ("Reported", "报告值"),
    "col_simulated": ("Simulated", "模拟值"),
    "col_error": ("Error", "误差"),
    "col_tolerance": ("Tolerance", "容差"),
    "col_within_tolerance": ("Within tolerance", "是否在容差内"),
    "col_hard_soft": ("Hard/soft", "硬/软约束"),
    "within": ("yes", "是"),
    "outside": ("no", "否"),
    "provenance": ("Provenance", "数据来源"),
    "file": ("Result file", "结果文件"),
    "scenario_files": ("Scenario files", "情景文件"),
    "model_file": ("Model file", "模型文件"),
    "model_sha256": ("Model SHA-256", "模型SHA-256"),
    "package_version": ("Package version", "软件版本"),
    "engine": ("Engine", "计算引擎"),
    "created": ("Created (UTC)", "生成时间（UTC）"),
    "report_created": ("Report created {time} UTC by chenzhou-water {version}.",
                       "报告由chenzhou-water {version}于{time}（UTC）生成。"),
    "same_as_reference": ("This is the reference: the other scenarios are compared with it.",
                          "此为基准情景，其他情景均与之比较。"),
    "same_inputs": ("Same parameters and levers as the reference.",
                    "参数和政策杠杆与基准情景相同。"),
    "sampled_inputs": ("An ensemble of {members} members that sample {names}: its inputs "
                       "differ from member to member.",
                       "由{members}个成员组成的集合模拟，各成员抽样的输入为：{names}。"),
    "sampled_unrecorded": ("An ensemble of {members} members whose sampled inputs are not "
                           "recorded in the file.",
                           "由{members}个成员组成的集合模拟，文件中未记录其抽样的输入。"),
    "stochastic_inflow": ("the stochastic reservoir inflow", "随机入库径流"),
    "different_years": ("The results do not cover the same years ({spans}): compare them only "
                        "over the years they share.",
                        "各结果覆盖的年份不同（{spans}），请仅在共同年份内比较。"),
    "differs_in": ("Differs from {ref} in {n} input(s):", "与{ref}相比有{n}项输入不同："),
    "model_default": ("model default", "模型默认值"),
    "lever_change": ("{name} [{units}]: {points}", "{name}［{units}］：{points}"),
    "param_change": ("{name} [{units}]: {old} → {new}", "{name}［{units}］：{old} → {new}"),
    # figures
    "fig_storage": ("Dongjiang reservoir storage", "东江水库蓄水量"),
    "fig_supply": ("Central-city supply, demand and shortage", "中心城区供需与缺口"),
    "fig_supply_annual": ("Demand and supply (annual mean)", "需水量与供水量（年均）"),
    "fig_shortage": ("Unmet demand (monthly)", "供水缺口（逐月）"),
    "no_shortage": ("No unmet demand in any scenario", "各情景均无供水缺口"),
    "within_count": ("{n} of {m} targets within tolerance.", "{m}个目标中有{n}个在容差范围内。"),
    "full_sha": ("Model SHA-256 of the results: {sha}.", "结果所用模型的SHA-256：{sha}。"),
    "current_sha": ("The model file now has SHA-256 {sha}.", "当前模型文件的SHA-256为{sha}。"),
    "fig_leakage": ("Network leakage rate", "供水管网漏损率"),
    "fig_reuse": ("Reclaimed-water reuse rate", "再生水利用率"),
    "fig_datacentre": ("Lake-cooled data centre: electricity saved and CO2 avoided",
                       "东江湖大数据中心：节电量与二氧化碳减排量"),
    "fig_hydropower": ("Hydropower generation", "水电发电量"),
    "fig_waterfall": ("{indicator} in {year}: {ref} → {alt}", "{year}年{indicator}：{ref} → {alt}"),
    "ax_storage": ("Storage [10⁹ m³]", "蓄水量［10⁹ m³］"),
    "ax_flow": ("Water [10³ m³/d]", "水量［10³ m³/日］"),
    "ax_unmet": ("Unmet demand [10³ m³/d]", "供水缺口［10³ m³/日］"),
    "ax_percent": ("%", "%"),
    "ax_gwh": ("GWh/yr", "吉瓦时/年"),
    "ax_kt": ("kt CO2/yr", "千吨二氧化碳/年"),
    "ax_year": ("Year", "年份"),
    "median": ("median", "中位数"),
    "band": ("5–95 %", "5–95%区间"),
    "dead_storage": ("Dead storage", "死库容"),
    "normal_pool": ("Normal pool", "正常蓄水位库容"),
    "demand": ("demand", "需水量"),
    "production": ("supply", "供水量"),
    "unmet": ("unmet demand", "供水缺口"),
    "leakage_target": ("National target 9 % (2025)", "国家目标9%（2025年）"),
    "reuse_target": ("National target 25 %", "国家目标25%"),
    "electricity_saved": ("Electricity saved", "节电量"),
    "co2_avoided": ("CO2 avoided", "二氧化碳减排量"),
}


def text(key: str, lang: str, **values: object) -> str:
    """The text ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``."""
    english, chinese = TEXTS[key]
    template = chinese if lang == "zh" else english
    return template.format(**values) if values else template


def translator(lang: str) -> Callable[..., str]:
    """A function ``t(key, **values)`` giving texts in ``lang`` (``en`` or ``zh``).

    Raises
    ------
    ValidationError
        For a language other than ``en`` and ``zh``.
    """
    if lang not in LANGUAGES:
        raise ValidationError([Problem("--lang", "", f"unknown language {lang!r}; "
                                       f"choose one of {', '.join(LANGUAGES)}")])

    def t(key: str, **values: object) -> str:
        return text(key, lang, **values)

    return t


def indicator_label(indicator: Indicator, lang: str) -> str:
    """The indicator's label in ``lang``."""
    return indicator.label_zh if lang == "zh" else indicator.label_en


#: Units of the headline indicators as written on the page: (English, Chinese).
UNITS: dict[str, tuple[str, str]] = {
    "10^9 m3": ("10⁹ m³", "10⁹ m³"),
    "GWh/yr": ("GWh/yr", "GWh/年"),
    "10^3 m3/d": ("10³ m³/d", "10³ m³/日"),
    "L/person/d": ("L/person/d", "升/人/日"),
    "kt CO2/yr": ("kt CO₂/yr", "千吨CO₂/年"),
    "m3/10^4 CNY": ("m³/10⁴ CNY", "m³/万元"),
    "10^3 persons": ("10³ persons", "千人"),
}


def units_label(units: str, lang: str) -> str:
    """Units as shown on the page in ``lang`` (unknown units unchanged)."""
    english, chinese = UNITS.get(units, (units, units))
    return chinese if lang == "zh" else english
