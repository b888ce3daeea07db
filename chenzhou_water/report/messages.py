"""What the runs say, in sentences: key messages, national-target checks, caveats, and the
indicator the attribution explains by default.

Every sentence is made from the results (each with its figure and year) through the report's
texts (:mod:`chenzhou_water.report.i18n`); numbers and units go through
:mod:`chenzhou_water.display`. Nothing here runs the model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from chenzhou_water.display import format_number, indicator_unit
from chenzhou_water.model.contract import HEADLINE_INDICATORS, Indicator
from chenzhou_water.report.i18n import indicator_label, text
from chenzhou_water.report.indicators import REPORT_INDICATORS
from chenzhou_water.report.targets import NATIONAL_TARGETS, NationalTarget

#: Years the messages look at (the planning horizon of the runs).
FIRST_YEAR, LAST_YEAR = 2020, 2050
#: Calibration header written by ``chenzhou-water calibrate`` into ``calibrated.yaml``.
CALIBRATED = Path(__file__).resolve().parents[2] / "calibration" / "calibrated.yaml"
_FIT_LINE = re.compile(r"#\s*Seed\s+\S+;\s*objective\s+([0-9.eE+-]+);\s*(\d+)/(\d+) hard targets")


@dataclass(frozen=True)
class Run:
    """One scenario run as the messages see it: its label, annual indicators and data."""

    label: str
    annual: pd.DataFrame
    dataset: xr.Dataset


def _indicator(key: str) -> Indicator:
    return next(i for i in (*REPORT_INDICATORS, *HEADLINE_INDICATORS) if i.key == key)


def _value(ind: Indicator, value: float, lang: str) -> str:
    unit = indicator_unit(ind)
    shown = format_number(value * unit.factor(lang), lang)
    label = unit.label(lang)
    if not label:
        return shown
    return f"{shown}{label}" if lang == "zh" else f"{shown} {label}"


def _years(frame: pd.DataFrame, key: str) -> pd.Series:
    series = frame[key] if key in frame else pd.Series(dtype=float)
    return series[(series.index >= FIRST_YEAR) & (series.index <= LAST_YEAR)].dropna()


def target_rows(runs: Sequence[Run], lang: str) -> list[dict[str, str | bool]]:
    """Per target and run: the value in the target year, whether it is met, first year met."""
    rows: list[dict[str, str | bool]] = []
    for target in NATIONAL_TARGETS:
        ind = _indicator(target.indicator)
        for run in runs:
            series = _years(run.annual, target.indicator)
            if target.year not in series.index:
                continue
            value = float(series[target.year])
            first = next((int(y) for y, v in series.items() if target.met(float(v))), None)
            rows.append({
                "target": target.label_zh if lang == "zh" else target.label_en,
                "source": target.source, "scenario": run.label,
                "value": _value(ind, value, lang), "met": target.met(value),
                "first": str(first) if first is not None else text("not_by", lang,
                                                                     year=LAST_YEAR),
            })
    return rows


def _target_message(target: NationalTarget, runs: Sequence[Run], lang: str) -> str | None:
    ind = _indicator(target.indicator)
    clauses = []
    for run in runs:
        series = _years(run.annual, target.indicator)
        if series.empty:
            continue
        met = [(int(y), float(v)) for y, v in series.items() if target.met(float(v))]
        if met and met[0][0] <= target.year:
            key, (year, value) = "target_met", met[0]
        elif met:
            key, (year, value) = "target_late", met[0]
        else:
            key, year, value = "target_missed", int(series.index[-1]), float(series.iloc[-1])
        clauses.append(text(key, lang, scenario=run.label, year=year,
                            value=_value(ind, value, lang)))
    if not clauses:
        return None
    joined = ("；" if lang == "zh" else "; ").join(clauses)
    label = target.label_zh if lang == "zh" else target.label_en
    return text("target_message", lang, target=label, clauses=joined)


def _shortage_message(runs: Sequence[Run], lang: str) -> str:
    ind = _indicator("unmet_demand_kt_d")
    stochastic = [r for r in runs if r.dataset.sizes.get("member", 1) > 1]
    if stochastic and "unmet_demand" in stochastic[0].dataset:
        run = stochastic[0]
        da = run.dataset["unmet_demand"]
        span = da.sel(time=da["time"].dt.year >= 2025)
        short = int((span > 0).any("time").sum())
        return text("shortage_members", lang, scenario=run.label, short=short,
                    members=int(da.sizes["member"]))
    worst = [(float(s.max()), int(s.idxmax()), r.label) for r in runs
             if not (s := _years(r.annual, ind.key)).empty]
    if not worst:
        return ""
    value, year, label = max(worst)
    if value <= 0.0:
        return text("no_shortage_mean", lang, first=FIRST_YEAR, last=LAST_YEAR)
    return text("shortage_mean", lang, scenario=label, year=year, value=_value(ind, value, lang))


def largest_difference(runs: Sequence[Run], years: Sequence[int],
                       indicators: Sequence[Indicator] = REPORT_INDICATORS,
                       ) -> tuple[Indicator, int, Run, float, float] | None:
    """The indicator, year and alternative run furthest (relatively) from the reference."""
    best: tuple[float, tuple[Indicator, int, Run, float, float]] | None = None
    reference = runs[0]
    for ind in indicators:
        for run in runs[1:]:
            for year in years:
                if ind.key not in run.annual or ind.key not in reference.annual:
                    continue
                if year not in run.annual.index or year not in reference.annual.index:
                    continue
                ref, alt = float(reference.annual.at[year, ind.key]), float(
                    run.annual.at[year, ind.key])
                if not (np.isfinite(ref) and np.isfinite(alt)) or np.isclose(ref, alt, rtol=1e-3,
                                                                                atol=1e-9):
                    continue
                size = abs(alt - ref) / max(abs(ref), abs(alt))
                if best is None or size > best[0]:
                    best = (size, (ind, year, run, ref, alt))
    return None if best is None else best[1]


def _difference_message(runs: Sequence[Run], years: Sequence[int], lang: str) -> str:
    if len(runs) < 2:
        return ""
    found = largest_difference(runs, years)
    if found is None:
        return text("no_differences", lang)
    ind, year, run, ref, alt = found
    change = format_number(100 * (alt - ref) / abs(ref), lang, "+#,##0;−#,##0") if ref else ""
    return text("largest_difference", lang, indicator=indicator_label(ind, lang), year=year,
                alternative=run.label, reference=runs[0].label, alt=_value(ind, alt, lang),
                ref=_value(ind, ref, lang), change=change)


def key_messages(runs: Sequence[Run], years: Sequence[int], lang: str) -> list[str]:
    """The key messages: national targets, shortage risk, the largest difference."""
    if not runs:
        return []
    messages = [_target_message(t, runs, lang) for t in NATIONAL_TARGETS]
    messages += [_shortage_message(runs, lang), _difference_message(runs, years, lang)]
    return [m for m in messages if m]


def sweep_messages(sweeps: Sequence[tuple[str, xr.Dataset]], lang: str) -> list[str]:
    """Supply risk from each sweep's metrics: reliability (median and driest 5 % of members)
    and the share of members with a shortage."""
    out = []
    for label, sweep in sweeps:
        if "metrics" not in sweep:
            continue
        names = [str(n) for n in sweep["metric"].values.tolist()]
        members = int(sweep.sizes["member"])
        if "reliability" in names:
            values = np.asarray(sweep["metrics"].values[:, names.index("reliability")], float)
            low, median = np.nanquantile(values, [0.05, 0.5]) * 100
            out.append(text("sweep_reliability", lang, sweep=label, members=members,
                            median=format_number(median, lang, "#,##0.0"),
                            low=format_number(low, lang, "#,##0.0")))
        if "total_shortage" in names:
            values = np.asarray(sweep["metrics"].values[:, names.index("total_shortage")], float)
            out.append(text("sweep_shortage", lang, sweep=label, members=members,
                            short=int(np.sum(values > 0))))
    return out


def default_attribution(runs: Sequence[Run], year: int) -> Indicator | None:
    """The indicator differing most (relatively) between the reference and the first
    alternative in ``year``; None if every indicator is the same."""
    if len(runs) < 2:
        return None
    attributable = [i for i in HEADLINE_INDICATORS if i.key != "urban_demand_kt_d"]
    found = largest_difference(runs[:2], [year], attributable)
    return None if found is None else found[0]


def _hydrology(dataset: xr.Dataset, lang: str) -> str:
    members = int(dataset.attrs.get("members", dataset.sizes.get("member", 1)))
    resolved = str(dataset.attrs.get("scenario_resolved", ""))
    if members > 1 or str(dataset.attrs.get("stochastic_inflow", "")) == "yes":
        return text("hydrology_stochastic", lang, members=members)
    if "inflow_file:" in resolved:
        return text("hydrology_table", lang)
    return text("hydrology_mean", lang)


def calibration_fit(path: Path = CALIBRATED) -> tuple[float, int, int] | None:
    """Objective and hard targets met (met, all) from the header of ``calibrated.yaml``."""
    try:
        head = path.read_text(encoding="utf-8")[:2000]
    except OSError:
        return None
    match = _FIT_LINE.search(head)
    if match is None:
        return None
    return float(match.group(1)), int(match.group(2)), int(match.group(3))


def caveats(labels: Sequence[str], datasets: Sequence[xr.Dataset], lang: str) -> list[str]:
    """Honest caveats: the hydrology of each run, the calibration's fit, what is left out."""
    out = [text("caveat_hydrology", lang, runs=("；" if lang == "zh" else "; ").join(
        f"{label}: {_hydrology(ds, lang)}" for label, ds in zip(labels, datasets, strict=True)))]
    fit = calibration_fit()
    if fit is not None:
        objective, met, total = fit
        out.append(text("caveat_calibration", lang, met=met, total=total,
                        objective=format_number(objective, lang, "#,##0.0")))
    out.append(text("caveat_left_out", lang))
    return out
