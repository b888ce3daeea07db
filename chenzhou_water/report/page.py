"""The scenario-comparison page: one self-contained HTML file (figures as base64 PNG, CSS inline).

:func:`build_report` checks every input first (result files, language, indicator, calibration
folder, a font for Chinese), then computes the page; :func:`write_report` writes it atomically.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import to_hex

from chenzhou_water.display import display_name, format_number, indicator_unit, significant_format
from chenzhou_water.errors import Problem, ResultFileError, ValidationError
from chenzhou_water.files import atomic_path
from chenzhou_water.fonts import require_cjk_font, use_cjk_font
from chenzhou_water.report import figures, messages
from chenzhou_water.report.attribution import (
    DEFAULT_YEAR,
    MAX_INPUTS,
    Attribution,
    attribute,
    parse_target,
)
from chenzhou_water.report.differences import difference_sentence, differing_inputs
from chenzhou_water.report.i18n import TEXTS, indicator_label, translator
from chenzhou_water.report.indicators import REPORT_INDICATORS, with_end_use
from chenzhou_water.report.sources import (
    WITHIN_COLUMNS,
    CalibrationFit,
    ScenarioResult,
    current_model_sha,
    load_results,
    read_calibration,
    sampled_inputs,
    scenario_of,
    year_span,
)
from chenzhou_water.report.sweeps import sweep_blocks
from chenzhou_water.results import annual_indicators
from chenzhou_water.scenario.spec import Scenario

MISSING = "–"

#: The years of the headline table.
REPORT_YEARS: tuple[int, ...] = (2025, 2030, 2035, 2050)

#: Figure id -> (title key, plot functions, variables needed); two functions share one figure.
FIGURES: dict[str, tuple[str, tuple[Callable[..., Any], ...], tuple[str, ...]]] = {
    "storage": ("fig_storage", (figures.plot_storage,), ("reservoir_storage",)),
    "supply": ("fig_supply", (figures.plot_end_use_demand, figures.plot_leakage_volume,
                              figures.plot_shortage),
               ("end_use_demand", "leakage_volume", "unmet_demand")),
    "leakage": ("fig_leakage", (figures.plot_leakage,), ("leakage_rate",)),
    "reuse": ("fig_reuse", (figures.plot_reuse,), ("reuse_rate",)),
    "datacentre": ("fig_datacentre", (figures.plot_dc_electricity, figures.plot_dc_co2),
                   ("dc_electricity_saved", "dc_co2_avoided")),
    "hydropower": ("fig_hydropower", (figures.plot_hydropower,), ("hydropower_generation",)),
}


@dataclass(frozen=True)
class ReportInputs:
    """Everything a report is made from, checked."""

    results: tuple[ScenarioResult, ...]
    lang: str
    indicator: str | None  # None: chosen from the results (the one differing most)
    year: int
    calibration: CalibrationFit | None
    chosen_note: str = ""  # why the attributed indicator was chosen (when it was)

    @property
    def runs(self) -> tuple[ScenarioResult, ...]:
        """The results with monthly series: headline table, plots, attribution."""
        return tuple(r for r in self.results if r.has_series)


def check_inputs(paths: Sequence[str | Path], lang: str = "en",
                 calibration: str | Path | None = None,
                 attribute_target: str | None = None) -> ReportInputs:
    """Check a report's inputs before any work.

    Raises
    ------
    ValidationError
        (or its subclass ResultFileError) for bad files, language or indicator.
    ReportError
        For ``lang="zh"`` without a font that renders Chinese.
    """
    translator(lang)
    key, year = None, DEFAULT_YEAR
    if attribute_target is not None:
        indicator, year = parse_target(attribute_target)
        key = indicator.key
    results = load_results(paths)
    _check_year_covered([r for r in results if r.has_series], year,
                        attribute_target or f"default:{DEFAULT_YEAR}")
    fit = read_calibration(calibration) if calibration is not None else None
    if lang == "zh":
        require_cjk_font()
    return ReportInputs(results, lang, key, year, fit)


def _check_year_covered(results: Sequence[Any], year: int, spec: str) -> None:
    """The attributed year must be one that every result covers."""
    if not results:
        return
    years = set.intersection(*(set(r.dataset["time"].dt.year.values.tolist()) for r in results))
    if year not in years:
        span = f"{min(years)}-{max(years)}" if years else "no year in common"
        raise ValidationError([Problem("--attribute", "", f"{spec!r}: the year {year} is not "
                                       f"one the results cover ({span})")])


def _number(value: float, lang: str = "en", pattern: str | None = None) -> str:
    return format_number(value, lang, pattern, MISSING)


def headline_rows(results: Sequence[ScenarioResult], lang: str) -> list[dict[str, Any]]:
    """The headline table: per indicator, one row per scenario that has it, with its value in
    each report year (one precision per indicator) and, for the alternatives, the difference
    from the reference; in the display units of ``lang``."""
    frames = [annual_indicators(r.dataset, REPORT_INDICATORS) for r in results]
    groups = []
    for ind in REPORT_INDICATORS:
        having = [i for i, f in enumerate(frames) if ind.key in f]
        if not having:
            continue
        factor = indicator_unit(ind).factor(lang)
        values = {i: [_cell(frames[i], ind.key, y) * factor for y in REPORT_YEARS]
                  for i in having}
        pattern = significant_format([v for row in values.values() for v in row])
        rows = []
        for i in having:
            cells = []
            for j, value in enumerate(values[i]):
                base = values[having[0]][j]
                delta = value - base
                differs = bool(i != having[0] and np.isfinite(delta)
                               and not np.isclose(value, base, rtol=1e-3, atol=1e-9))
                cells.append({"text": _number(value, lang, pattern), "differs": differs,
                              "delta": (("+" if delta >= 0 else "−")
                                        + _number(abs(delta), lang)) if differs else ""})
            rows.append({"scenario": results[i].label, "colour": to_hex(figures.colour(i)),
                         "cells": cells})
        groups.append({"label": indicator_label(ind, lang),
                       "units": indicator_unit(ind).label(lang), "rows": rows})
    return groups


def _cell(frame: pd.DataFrame, key: str, year: int) -> float:
    if key not in frame or year not in frame.index:
        return float("nan")
    return float(frame.at[year, key])


def _runs(results: Sequence[ScenarioResult]) -> dict[str, Any]:
    return {r.label: r.dataset for r in results}


def figure_blocks(results: Sequence[ScenarioResult], lang: str) -> list[dict[str, str]]:
    """The comparison figures as ``{id, title, uri}`` (figures without data left out)."""
    t = translator(lang)
    runs = _runs(results)
    blocks = []
    for fig_id, (title, functions, needs) in FIGURES.items():
        if not any(all(v in ds for v in needs) for ds in runs.values()):
            continue
        size = figures.FIGSIZE if len(functions) == 1 else (5.0 * len(functions), 3.8)
        fig, axes = plt.subplots(1, len(functions), figsize=size, squeeze=False)
        for function, ax in zip(functions, axes[0], strict=True):
            function(runs, lang, ax=ax)
        blocks.append({"id": f"fig-{fig_id}", "title": t(title),
                       "uri": figures.figure_data_uri(fig)})
    return blocks


def scenario_blocks(results: Sequence[ScenarioResult], scenarios: Sequence[Scenario | None],
                    lang: str) -> list[dict[str, Any]]:
    """Per scenario: colour, description and the generated text of how it differs."""
    t = translator(lang)
    blocks = []
    for i, (result, scenario) in enumerate(zip(results, scenarios, strict=True)):
        block = {"label": result.label, "colour": to_hex(figures.colour(i)),
                 "description": "", "members": result.members, "changes": [], "summary": "",
                 "sweep": result.kind == "sweep"}
        if scenario is not None:
            block["description"] = (scenario.description_zh if lang == "zh"
                                    and scenario.description_zh else scenario.description).strip()
        if result.kind == "sweep":
            block["description"] = _sweep_description(result, lang)
            block["members"] = int(result.dataset.attrs.get("members", result.members))
        elif i == 0:
            block["summary"] = t("same_as_reference")
        elif scenario is None or scenarios[0] is None or results[0].kind == "sweep":
            block["summary"] = ""
        else:
            changes = differing_inputs(scenarios[0], scenario)
            block["summary"] = (t("differs_in", ref=results[0].label, n=len(changes)) if changes
                                else t("same_inputs"))
            block["changes"] = [difference_sentence(d, lang) for d in changes]
        sampled = _sampled_sentence(result, lang)
        if sampled:
            same = block["summary"] == t("same_inputs")
            block["summary"] = sampled if same else f"{block['summary']} {sampled}".strip()
        blocks.append(block)
    return blocks


def _sweep_description(result: ScenarioResult, lang: str) -> str:
    """A sweep's own description (from its resolved file; text only, never a path)."""
    from chenzhou_water.report.sweeps import _resolved

    text = _resolved(result).get("description", "")
    if isinstance(text, dict):
        text = text.get(lang) or text.get("en") or ""
    text = str(text).strip()
    # A sweep file's description is one text; the Chinese page leaves out an English one.
    if lang == "zh" and not any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return ""
    return text


def _sampled_sentence(result: ScenarioResult, lang: str) -> str:
    """For an ensemble: which inputs its members sample (named, not called "the same")."""
    t = translator(lang)
    names = sampled_inputs(result)
    if names is None:
        return ""
    if result.dataset.attrs.get("stochastic_inflow") == "yes":
        names = (*names, t("stochastic_inflow"))
    if not names:
        return t("sampled_unrecorded", members=f"{result.members:,}")
    return t("sampled_inputs", members=f"{result.members:,}", names=", ".join(names))


def attribution_blocks(inputs: ReportInputs, scenarios: Sequence[Scenario | None],
                       notes: list[str]) -> list[dict[str, Any]]:
    """One waterfall and table per alternative scenario run (each against the first run)."""
    t = translator(inputs.lang)
    blocks = []
    pairs = [(r, s) for r, s in zip(inputs.results, scenarios, strict=True)
             if r.kind == "run" and r.has_series]
    if inputs.indicator is None or not pairs:
        return blocks
    reference = pairs[0][1]
    for result, scenario in pairs[1:]:
        if reference is None or scenario is None:
            continue
        k = len(differing_inputs(reference, scenario))
        block: dict[str, Any] = {"alternative": result.label, "message": "", "uri": "",
                                 "rows": [], "id": f"attribution-{len(blocks) + 1}"}
        sampled = _sampled_sentence(result, inputs.lang)
        if k > MAX_INPUTS:
            block["message"] = t("too_many", k=k, limit=MAX_INPUTS)
        elif sampled and not k:  # not "the same inputs": its members sample them
            block["message"] = sampled
        else:
            found = dataclasses.replace(
                attribute(reference, scenario, inputs.indicator, inputs.year),
                reference_name=pairs[0][0].label, alternative_name=result.label)
            block.update(_attribution_table(found, inputs.lang))
            block["chosen"] = inputs.chosen_note
        blocks.append(block)
    return blocks


def _attribution_table(result: Attribution, lang: str) -> dict[str, Any]:
    t = translator(lang)
    result = scaled_attribution(result, indicator_unit(result.indicator).factor(lang))
    pattern = significant_format([*result.shapley, *result.one_at_a_time, result.total], 3)

    def signed(value: float) -> str:
        return ("+" if value >= 0 else "−") + _number(abs(value), lang, pattern)

    rows = [{"name": display_name(d.name, lang), "kind": t(d.kind), "shapley": signed(s),
             "oat": signed(o)}
            for d, s, o in zip(result.inputs, result.shapley, result.one_at_a_time, strict=True)]
    out: dict[str, Any] = {
        "rows": rows, "total": signed(result.total),
        "shapley_sum": signed(sum(result.shapley)),
        "oat_sum": signed(sum(result.one_at_a_time)),
        "interaction": signed(result.interaction),
        "reference_value": _number(result.reference_value, lang),
        "alternative_value": _number(result.alternative_value, lang),
        "indicator": indicator_label(result.indicator, lang),
        "units": indicator_unit(result.indicator).label(lang),
        "year": result.year,
        "note": t("attribution_note", runs=result.runs, k=len(result.inputs)),
    }
    if not result.inputs:
        out["message"] = t("no_inputs")
    elif result.total == 0.0:
        out["message"] = t("no_difference")
    else:
        fig, ax = plt.subplots(figsize=(9.0, 1.6 + 0.45 * len(result.inputs)))
        figures.plot_waterfall(result, lang, ax=ax)
        out["uri"] = figures.figure_data_uri(fig)
    return out


def scaled_attribution(result: Attribution, factor: float) -> Attribution:
    """The attribution with every value multiplied by ``factor`` (display units)."""
    return dataclasses.replace(
        result, reference_value=result.reference_value * factor,
        alternative_value=result.alternative_value * factor,
        shapley=tuple(v * factor for v in result.shapley),
        one_at_a_time=tuple(v * factor for v in result.one_at_a_time),
        subset_values=tuple(v * factor for v in result.subset_values))


def provenance_rows(results: Sequence[ScenarioResult]) -> list[dict[str, str]]:
    """Per result: file, scenario files, model and its SHA-256, package version, engine, time."""
    rows = []
    for r in results:
        a = r.dataset.attrs
        rows.append({"label": r.label, "file": r.path.name,
                     "scenario_files": str(a.get("scenario_files", a.get("scenario_file", ""))),
                     "model_file": str(a.get("model_file", "")),
                     "model_sha256": str(a.get("model_sha256", "")),
                     "package_version": str(a.get("package_version", "")),
                     "engine": str(a.get("engine", "")),
                     "created": str(a.get("created_utc", "")).replace("+00:00", "")
                     .replace("T", " ")})
    return rows


def model_hashes(results: Sequence[ScenarioResult]) -> list[dict[str, str]]:
    """Each distinct model SHA-256 of the results, with the results that used it."""
    by_sha: dict[str, list[str]] = {}
    for r in results:
        by_sha.setdefault(str(r.dataset.attrs.get("model_sha256", "")), []).append(r.label)
    return [{"sha": sha, "results": ", ".join(labels)} for sha, labels in by_sha.items()]


#: Columns of ``fit.csv`` shown, in this order, when present (others are left out).
CALIBRATION_COLUMNS = ("target", "period", "unit", "reported", "simulated", "error",
                       "tolerance", "within tolerance", "hard/soft")


def calibration_block(fit: CalibrationFit | None, lang: str) -> dict[str, Any] | None:
    """The calibration fit as a table (booleans shown as yes / no)."""
    if fit is None:
        return None
    t = translator(lang)
    table = fit.table.copy()
    # No "hard/soft" on the Chinese page: the binding targets are told by the summary line.
    shown = [c for c in CALIBRATION_COLUMNS if c in table.columns
             and not (lang == "zh" and c == "hard/soft")]
    if len(shown) >= 3:
        table = table[shown]
    within = next((c for c in table.columns if c.lower() in WITHIN_COLUMNS), None)
    summary = ""
    if within is not None:
        flags = [v for v in table[within] if isinstance(v, bool | np.bool_)]
        summary = t("within_count", n=sum(bool(v) for v in flags), m=len(flags))
    for column in table.columns:
        if table[column].map(lambda v: isinstance(v, bool | np.bool_)).any():
            table[column] = table[column].map(
                lambda v: (t("within") if v else t("outside")) if isinstance(v, bool | np.bool_)
                else MISSING)
        elif pd.api.types.is_float_dtype(table[column]):
            pattern = significant_format(table[column].tolist(), 4)
            table[column] = [_number(v, lang, pattern) for v in table[column]]
        elif column.lower() == "unit":
            table[column] = table[column].map(lambda v: plain_unit(str(v), lang))
    rows = [[("" if pd.isna(v) else str(v)) for v in row] for row in table.itertuples(False)]
    flags = fit.table[within] if within is not None else pd.Series([None] * len(table))
    ok = [bool(v) if isinstance(v, bool | np.bool_) else None for v in flags]
    return {"file": fit.file.name, "columns": [_column_label(c, lang) for c in table.columns],
            "rows": [{"cells": r, "ok": o} for r, o in zip(rows, ok, strict=True)],
            "summary": summary}


#: Vensim spellings in a fit table's units, as a reader writes them: (English, Chinese).
_UNIT_WORDS = (("Dmnl", "fraction", "比例"), ("fraction", "fraction", "比例"),
               ("1e9*", "10⁹ ", "10⁹"), ("1e6*", "10⁶ ", "10⁶"), ("m3", "m³", "m³"),
               ("/year", "/yr", "/年"), ("/Year", "/yr", "/年"), ("/Day", "/d", "/日"),
               ("/day", "/d", "/日"), ("/Month", "/month", "/月"), ("person", "persons", "人"),
               ("CNY", "CNY", "元"), ("*", "·", "·"))


def plain_unit(units: str, lang: str) -> str:
    """A unit of a fit table without Vensim spelling (``1e9*CNY/year`` -> ``10⁹ CNY/yr``)."""
    for vensim, english, chinese in _UNIT_WORDS:
        units = units.replace(vensim, chinese if lang == "zh" else english)
    return units


def _column_label(column: str, lang: str) -> str:
    key = "col_" + column.lower().replace(" ", "_").replace("/", "_")
    return translator(lang)(key) if key in TEXTS else column


def _scenarios(results: Sequence[ScenarioResult], lang: str,
               notes: list[str]) -> list[Scenario | None]:
    """Each result's scenario, reloaded; None (with a note) where it no longer loads."""
    t = translator(lang)
    scenarios: list[Scenario | None] = []
    for result in results:
        try:
            scenarios.append(scenario_of(result))
        except ResultFileError as exc:
            notes.append(t("not_reloaded", file=result.path.name,
                           error="; ".join(p.message for p in exc.problems)))
            scenarios.append(None)
    changed = [r.path.name for r in results
               if str(r.dataset.attrs["model_sha256"]) != current_model_sha()]
    if changed:
        notes.append(t("model_changed", files=", ".join(changed)))
    spans = {r.label: span for r in results if (span := year_span(r)) is not None}
    if len(set(spans.values())) > 1:
        notes.append(t("different_years", spans="; ".join(
            f"{label} {first}–{last}" for label, (first, last) in spans.items())))
    return scenarios


def render(context: dict[str, Any]) -> str:
    """Fill the page template with ``context``."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("chenzhou_water.report", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    return env.get_template("report.html.j2").render(**context)


def build_report(paths: Sequence[str | Path], lang: str = "en",
                 calibration: str | Path | None = None,
                 attribute_target: str | None = None) -> str:
    """The comparison page of some result files, as HTML text.

    Parameters
    ----------
    paths : sequence of path
        Result files written by ``chenzhou-water run``; the first is the reference.
    lang : {"en", "zh"}
        Language of every heading, label and legend.
    calibration : path, optional
        A folder with ``fit.csv`` written by ``chenzhou-water calibrate``.
    attribute_target : str, optional
        ``KEY:YEAR`` of the headline indicator to attribute (default ``unmet_demand_kt_d:2030``).

    Raises
    ------
    ValidationError
        (ResultFileError) for a missing or wrong file, an unknown language or indicator.
    ReportError
        For Chinese without a font that renders it.
    """
    from chenzhou_water.report.study import is_study, study_page

    if len(paths) == 1 and is_study(paths[0]):  # a stress study has its own page
        return study_page(paths[0], lang)
    inputs = check_inputs(paths, lang, calibration, attribute_target)
    t = translator(lang)
    notes: list[str] = []
    scenarios = _scenarios(inputs.results, lang, notes)
    results = tuple(dataclasses.replace(r, dataset=with_end_use(r.dataset))
                    for r in inputs.results)
    if lang == "zh":
        results = _chinese_labels(results, scenarios)
    inputs = dataclasses.replace(inputs, results=results)
    runs = [messages.Run(r.label, annual_indicators(r.dataset, REPORT_INDICATORS), r.dataset)
            for r in inputs.runs]
    inputs = _choose_attribution(inputs, runs)
    notes += [t("sweep_no_series", label=r.label) for r in inputs.results if not r.has_series]
    with matplotlib.rc_context():
        if lang == "zh":
            use_cjk_font()
        figure_list = figure_blocks(inputs.runs, lang)
        attributions = attribution_blocks(inputs, scenarios, notes)
        sweeps = sweep_blocks(list(inputs.results), lang)
    from chenzhou_water import __version__

    return render({
        "lang": lang, "t": t, "years": REPORT_YEARS, "notes": notes,
        "messages": messages.key_messages(runs, REPORT_YEARS, lang) + messages.sweep_messages(
            [(r.label, r.sweep) for r in inputs.results if r.sweep is not None], lang),
        "targets": messages.target_rows(runs, lang),
        "caveats": messages.caveats([r.label for r in inputs.results],
                                    [r.dataset for r in inputs.results], lang),
        "scenarios": scenario_blocks(inputs.results, scenarios, lang),
        "headline": headline_rows(inputs.runs, lang),
        "figures": figure_list, "attributions": attributions, "sweeps": sweeps,
        "attribution_message": inputs.chosen_note if not attributions else "",
        "reference": inputs.runs[0].label if inputs.runs else "",
        "calibration": calibration_block(inputs.calibration, lang),
        "provenance": provenance_rows(inputs.results),
        "model_hashes": model_hashes(inputs.results), "current_sha": current_model_sha(),
        "created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"), "version": __version__,
    })


def _chinese_labels(results: Sequence[ScenarioResult],
                    scenarios: Sequence[Scenario | None]) -> tuple[ScenarioResult, ...]:
    """Results labelled with their scenarios' Chinese names (kept unique)."""
    out: list[ScenarioResult] = []
    for result, scenario in zip(results, scenarios, strict=True):
        label = scenario.name_zh if scenario is not None and scenario.name_zh else result.label
        if result.kind == "sweep":
            label = result.label
        if any(o.label == label for o in out):
            label = f"{label}（{result.path.stem}）"
        out.append(dataclasses.replace(result, label=label))
    return tuple(out)


def _choose_attribution(inputs: ReportInputs, runs: Sequence[messages.Run]) -> ReportInputs:
    """Without ``--attribute``: the indicator differing most between the first two runs in the
    default year, with a note saying which and why (or that nothing differs)."""
    scenario_runs = [run for run, r in zip(runs, inputs.runs, strict=True) if r.kind == "run"]
    if inputs.indicator is not None or len(scenario_runs) < 2:
        return inputs
    t = translator(inputs.lang)
    chosen = messages.default_attribution(scenario_runs, inputs.year)
    ref, alt = scenario_runs[0].label, scenario_runs[1].label
    if chosen is None:
        return dataclasses.replace(inputs, chosen_note=t("nothing_differs", ref=ref, alt=alt,
                                                         year=inputs.year))
    note = t("attribution_chosen", indicator=indicator_label(chosen, inputs.lang),
             year=inputs.year, ref=ref, alt=alt)
    return dataclasses.replace(inputs, indicator=chosen.key, chosen_note=note)


def write_report(paths: Sequence[str | Path], out: str | Path, lang: str = "en",
                 calibration: str | Path | None = None,
                 attribute_target: str | None = None) -> Path:
    """Make the comparison page (:func:`build_report`) and write it to ``out`` atomically.

    Nothing is written if any input is wrong.
    """
    html = build_report(paths, lang, calibration, attribute_target)
    out = Path(out)
    with atomic_path(out) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return out
