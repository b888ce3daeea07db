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
    "fig_supply": ("Central-city demand, leakage and shortage", "中心城区用水需求、漏损与供水缺口"),
    "fig_supply_annual": ("Demand and supply (annual mean)", "需水量与供水量（年均）"),
    "fig_end_use": ("Demand without leakage (annual mean)", "用水需求（不含漏损，年均）"),
    "fig_leakage_volume": ("Leakage volume (annual mean)", "漏损水量（年均）"),
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
    "ax_storage": ("Storage", "蓄水量"),
    "ax_flow": ("Water", "水量"),
    "ax_unmet": ("Unmet demand", "供水缺口"),
    "ax_percent": ("%", "%"),
    "ax_gwh": ("Electricity", "电量"),
    "ax_kt": ("CO₂", "二氧化碳"),
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
    # key messages, targets, caveats
    "key_messages": ("Key messages", "主要结论"),
    "targets": ("National targets", "国家目标对照"),
    "caveats": ("Caveats", "说明与局限"),
    "col_national_target": ("Target", "目标"),
    "col_value_in_year": ("Value in the target year", "目标年份数值"),
    "col_met": ("Met", "是否达标"),
    "col_first_met": ("First year met", "首次达标年份"),
    "col_source": ("Source", "来源"),
    "not_by": ("not by {year}", "{year}年前未达标"),
    "target_message": ("{target}: {clauses}.", "{target}：{clauses}。"),
    "target_met": ("{scenario} meets it in {year} ({value})",
                   "{scenario}于{year}年达标（{value}）"),
    "target_late": ("{scenario} only in {year}, later than the target year ({value})",
                    "{scenario}迟至{year}年才达标（{value}）"),
    "target_missed": ("{scenario} does not meet it by {year} ({value} in {year})",
                      "{scenario}到{year}年仍未达标（{year}年为{value}）"),
    "shortage_members": ("In {short} of {members} stochastic inflow futures of {scenario}, the "
                         "central city is short of water in at least one month from 2025 on.",
                         "在{scenario}的{members}个随机来水情景中，有{short}个情景自2025年起至少"
                         "有一个月中心城区供水不足。"),
    "no_shortage_mean": ("With the hydrology these runs assume, the central city is never short of "
                         "water between {first} and {last} (unmet demand 0 in every year).",
                         "在本次模拟采用的水文条件下，{first}—{last}年中心城区各年均无供水缺口"
                         "（缺水量为0）。"),
    "shortage_mean": ("The largest annual shortage is in {scenario} in {year}: {value} of unmet "
                      "demand.", "年均供水缺口最大的是{scenario}的{year}年：{value}。"),
    "no_differences": ("The runs give the same headline indicators in every report year.",
                       "各情景在报告年份的主要指标均相同。"),
    "largest_difference": ("The largest difference between the runs is {indicator} in {year}: "
                           "{alt} in {alternative} against {ref} in {reference} ({change} %).",
                           "各情景间差异最大的是{year}年{indicator}：{alternative}为{alt}，"
                           "{reference}为{ref}（{change}%）。"),
    "caveat_hydrology": ("Hydrology assumed: {runs}.", "水文条件假定：{runs}。"),
    "hydrology_mean": ("mean hydrology (the mean year repeated; no drought unless the scenario "
                       "sets one)", "多年平均来水（逐年重复平均年，除情景设定外不含干旱）"),
    "hydrology_table": ("inflow read from a table (a designed sequence)",
                        "入库径流取自来水序列文件（设计序列）"),
    "hydrology_stochastic": ("stochastic inflows, {members} members",
                             "随机来水，{members}个成员"),
    "caveat_calibration": ("The model is calibrated to Chenzhou's reported figures: {met} of "
                           "{total} binding targets within tolerance (objective {objective}).",
                           "模型已按郴州公开数据率定：{total}个约束目标中{met}个在容差范围内"
                           "（目标函数值{objective}）。"),
    "caveat_left_out": ("The model runs in monthly steps (the peak day enters through a peak-day "
                        "factor), leaves out water quality and groundwater, and assumes the "
                        "reservoir's dispatch chart, monthly inflow shares and evaporation where "
                        "no source was found (docs/sources.md).",
                        "模型按月步长计算（高峰日通过高峰日系数体现），未考虑水质和地下水；"
                        "水库调度图、逐月来水分配和蒸发等缺乏公开资料的部分采用假定值"
                        "（见docs/sources.md）。"),
    "attribution_chosen": ("Attributed: {indicator} in {year}, the indicator that differs most "
                           "between {ref} and {alt} in that year.",
                           "归因指标：{year}年{indicator}，该年{ref}与{alt}之间差异最大的指标。"),
    "nothing_differs": ("No headline indicator differs between {ref} and {alt} in {year}; there "
                        "is nothing to attribute.",
                        "{year}年{ref}与{alt}的主要指标均相同，无需归因。"),
    # sweeps
    "sweep_reliability": ("In the sweep {sweep} ({members} members), the central city's supply "
                          "reliability (share of months with demand met) is {median} % in the "
                          "median member and {low} % in the driest 5 %.",
                          "在参数扫描{sweep}（{members}个成员）中，中心城区供水保证率（满足需水的"
                          "月份比例）中位数为{median}%，最枯5%的成员为{low}%。"),
    "sweep_shortage": ("In {short} of the {members} members of {sweep} the central city is short "
                       "of water at some time.",
                       "{sweep}的{members}个成员中有{short}个出现过中心城区供水缺口。"),
    "sweeps": ("Sweeps: distributions of outcomes", "参数扫描：结果分布"),
    "sweep_sampled": ("{members} members, sampler {sampler}, seed {seed}; sampled:",
                      "{members}个成员，抽样方法{sampler}，随机种子{seed}；抽样输入："),
    "sweep_inflow": ("stochastic inflow (seed {seed})", "随机来水（随机种子{seed}）"),
    "metric": ("Metric", "指标"),
    "mean": ("Mean", "均值"),
    "share_short": ("Members with a shortage", "出现缺水的成员比例"),
    "fig_exceedance": ("Exceedance curves of the sweep's metrics",
                       "参数扫描指标的超越概率曲线"),
    "ax_exceedance": ("Share of members exceeding", "超越概率"),
    "sweep_no_series": ("{label} keeps no monthly series: it appears in the sweep section only.",
                        "{label}未保存逐月序列，仅在参数扫描部分列出。"),
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
