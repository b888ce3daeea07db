"""The scenario-comparison page: one self-contained HTML file (figures as base64 PNG, CSS inline).

:func:`build_report` checks every input first (result files, language, indicator, calibration
folder, a font for Chinese), then computes the page; :func:`write_report` writes it atomically.
"""

from __future__ import annotations

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

from chenzhou_water.errors import Problem, ResultFileError, ValidationError
from chenzhou_water.files import atomic_path
from chenzhou_water.fonts import require_cjk_font, use_cjk_font
from chenzhou_water.model.contract import HEADLINE_INDICATORS
from chenzhou_water.report import figures
from chenzhou_water.report.attribution import (
    DEFAULT_INDICATOR,
    DEFAULT_YEAR,
    MAX_INPUTS,
    Attribution,
    attribute,
    parse_target,
)
from chenzhou_water.report.differences import difference_sentence, differing_inputs
from chenzhou_water.report.i18n import TEXTS, indicator_label, translator, units_label
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
from chenzhou_water.results import annual_indicators
from chenzhou_water.scenario.spec import Scenario

MISSING = "–"

#: The years of the headline table.
REPORT_YEARS: tuple[int, ...] = (2025, 2030, 2035, 2050)

#: Figure id -> (title key, plot functions, variables needed); two functions share one figure.
FIGURES: dict[str, tuple[str, tuple[Callable[..., Any], ...], tuple[str, ...]]] = {
    "storage": ("fig_storage", (figures.plot_storage,), ("reservoir_storage",)),
    "supply": ("fig_supply", (figures.plot_supply_demand, figures.plot_shortage),
               ("urban_water_demand", "urban_water_production", "unmet_demand")),
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
    indicator: str
    year: int
    calibration: CalibrationFit | None


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
    spec = attribute_target or f"{DEFAULT_INDICATOR}:{DEFAULT_YEAR}"
    indicator, year = parse_target(spec)
    results = load_results(paths)
    _check_year_covered(results, year, spec)
    fit = read_calibration(calibration) if calibration is not None else None
    if lang == "zh":
        require_cjk_font()
    return ReportInputs(results, lang, indicator.key, year, fit)


def _check_year_covered(results: Sequence[Any], year: int, spec: str) -> None:
    """The attributed year must be one that every result covers."""
    years = set.intersection(*(set(r.dataset["time"].dt.year.values.tolist()) for r in results))
    if year not in years:
        span = f"{min(years)}-{max(years)}" if years else "no year in common"
        raise ValidationError([Problem("--attribute", "", f"{spec!r}: the year {year} is not "
                                       f"one the results cover ({span})")])


def _number(value: float) -> str:
    if value is None or not np.isfinite(value):
        return MISSING
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"


def headline_rows(results: Sequence[ScenarioResult], lang: str) -> list[dict[str, Any]]:
    """The headline table: per indicator, one row per scenario with its value in each report
    year and, for the alternatives, the difference from the reference."""
    frames = [annual_indicators(r.dataset) for r in results]
    groups = []
    for ind in HEADLINE_INDICATORS:
        if not any(ind.key in f for f in frames):
            continue
        rows = []
        for i, (result, frame) in enumerate(zip(results, frames, strict=True)):
            cells = []
            for year in REPORT_YEARS:
                value, base = _cell(frame, ind.key, year), _cell(frames[0], ind.key, year)
                delta = value - base
                differs = bool(i > 0 and np.isfinite(delta)
                               and not np.isclose(value, base, rtol=1e-3, atol=1e-9))
                cells.append({"text": _number(value), "differs": differs,
                              "delta": f"{delta:+,.3g}" if differs else ""})
            rows.append({"scenario": result.label, "colour": to_hex(figures.colour(i)),
                         "cells": cells})
        groups.append({"label": indicator_label(ind, lang), "units": units_label(ind.units, lang),
                       "rows": rows})
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
        size = figures.FIGSIZE if len(functions) == 1 else (10.0, 3.8)
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
                 "description": str(result.dataset.attrs.get("scenario_description", "")),
                 "members": result.members, "changes": [], "summary": ""}
        if scenario is not None:
            block["description"] = scenario.description.strip()
        if i == 0:
            block["summary"] = t("same_as_reference")
        elif scenario is None or scenarios[0] is None:
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
    """One waterfall and table per alternative scenario (each against the first)."""
    t = translator(inputs.lang)
    blocks = []
    reference = scenarios[0]
    for result, scenario in zip(inputs.results[1:], scenarios[1:], strict=True):
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
            block.update(_attribution_table(attribute(reference, scenario, inputs.indicator,
                                                      inputs.year), inputs.lang))
        blocks.append(block)
    return blocks


def _attribution_table(result: Attribution, lang: str) -> dict[str, Any]:
    t = translator(lang)
    rows = [{"name": d.name, "kind": t(d.kind), "shapley": f"{s:+,.4g}",
             "oat": f"{o:+,.4g}"}
            for d, s, o in zip(result.inputs, result.shapley, result.one_at_a_time, strict=True)]
    out: dict[str, Any] = {
        "rows": rows, "total": f"{result.total:+,.4g}",
        "shapley_sum": f"{sum(result.shapley):+,.4g}",
        "oat_sum": f"{sum(result.one_at_a_time):+,.4g}",
        "interaction": f"{result.interaction:+,.4g}",
        "reference_value": _number(result.reference_value),
        "alternative_value": _number(result.alternative_value),
        "indicator": indicator_label(result.indicator, lang),
        "units": units_label(result.indicator.units, lang),
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
    shown = [c for c in CALIBRATION_COLUMNS if c in table.columns]
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
            table[column] = table[column].map(_number)
    rows = [[("" if pd.isna(v) else str(v)) for v in row] for row in table.itertuples(False)]
    flags = fit.table[within] if within is not None else pd.Series([None] * len(table))
    ok = [bool(v) if isinstance(v, bool | np.bool_) else None for v in flags]
    return {"file": fit.file.name, "columns": [_column_label(c, lang) for c in table.columns],
            "rows": [{"cells": r, "ok": o} for r, o in zip(rows, ok, strict=True)],
            "summary": summary}


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
    spans = {r.label: year_span(r) for r in results}
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
    inputs = check_inputs(paths, lang, calibration, attribute_target)
    t = translator(lang)
    notes: list[str] = []
    scenarios = _scenarios(inputs.results, lang, notes)
    with matplotlib.rc_context():
        if lang == "zh":
            use_cjk_font()
        figure_list = figure_blocks(inputs.results, lang)
        attributions = attribution_blocks(inputs, scenarios, notes)
    from chenzhou_water import __version__

    return render({
        "lang": lang, "t": t, "years": REPORT_YEARS, "notes": notes,
        "scenarios": scenario_blocks(inputs.results, scenarios, lang),
        "headline": headline_rows(inputs.results, lang),
        "figures": figure_list, "attributions": attributions,
        "reference": inputs.results[0].label,
        "calibration": calibration_block(inputs.calibration, lang),
        "provenance": provenance_rows(inputs.results),
        "model_hashes": model_hashes(inputs.results), "current_sha": current_model_sha(),
        "created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"), "version": __version__,
    })


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
