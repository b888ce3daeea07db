"""A sweep on the report page: what was sampled and how, metric distributions, exceedance
curves and reliability.

A sweep's resolved file (recorded in its result) is read as untrusted text, under the same limits
as any input file; nothing read from it names a path or a file to read.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
import yaml

from chenzhou_water.display import (
    DISPLAY_UNITS,
    DisplayUnit,
    display_name,
    format_number,
    significant_format,
)
from chenzhou_water.errors import ValidationError
from chenzhou_water.report import figures
from chenzhou_water.report.i18n import text
from chenzhou_water.report.sources import ScenarioResult
from chenzhou_water.schema.checker import parse_yaml

#: Quantiles of each metric shown in the table.
QUANTILES: tuple[float, ...] = (0.05, 0.5, 0.95)


def _resolved(result: ScenarioResult) -> dict[str, Any]:
    try:
        data = parse_yaml(str(result.dataset.attrs.get("sweep_resolved", "")),
                          f"{result.path.name}:sweep_resolved").data
    except ValidationError:
        return {}
    return data if isinstance(data, dict) else {}


def _flow(value: object) -> str:
    return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True,
                          width=10_000).strip()


def sampled_inputs(result: ScenarioResult, lang: str) -> list[dict[str, str]]:
    """Each sampled parameter and lever with its distribution as written in the sweep file."""
    data = _resolved(result)
    rows = []
    for section in ("parameters", "levers"):
        entries = data.get(section)
        if isinstance(entries, dict):
            rows += [{"name": display_name(str(k), lang), "code": str(k), "how": _flow(v)}
                     for k, v in entries.items()]
    if isinstance(data.get("inflow"), dict) or result.dataset.attrs.get(
            "stochastic_inflow") == "yes":
        rows.append({"name": text("sweep_inflow", lang, seed=result.dataset.attrs.get(
            "inflow_seed", "")), "code": "inflow", "how": _flow(data.get("inflow", {}))})
    return rows


def _unit(units: str) -> DisplayUnit:
    return DISPLAY_UNITS.get(units, DisplayUnit(units, units))


def metric_rows(sweep: xr.Dataset, lang: str) -> list[dict[str, Any]]:
    """Per metric: quantiles, mean and, for shortage metrics, the share of members short."""
    if "metrics" not in sweep:
        return []
    rows = []
    for i, name in enumerate(sweep["metric"].values.tolist()):
        values = np.asarray(sweep["metrics"].values[:, i], dtype=float)
        values = values[np.isfinite(values)]
        unit = _unit(str(sweep["metric_units"].values[i]))
        shown = values * unit.factor(lang)
        stats = [*np.quantile(shown, QUANTILES).tolist(), float(np.mean(shown))] if len(
            shown) else [np.nan] * 4
        pattern = significant_format(stats)
        short = ""
        if "shortage" in name or "unmet" in name:
            short = format_number(100 * float(np.mean(values > 0)), lang, "#,##0.0") + " %"
        rows.append({"name": name, "unit": unit.label(lang),
                     "cells": [format_number(v, lang, pattern) for v in stats], "short": short})
    return rows


def plot_exceedance(sweep: xr.Dataset, lang: str) -> str:
    """Exceedance curves of every metric, small multiples, as a data URI ("" without metrics)."""
    if "metrics" not in sweep:
        return ""
    names = sweep["metric"].values.tolist()
    cols = min(3, len(names))
    rows = int(np.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.3 * cols, 2.5 * rows), squeeze=False)
    for ax, (i, name) in zip(axes.flat, enumerate(names), strict=False):
        unit = _unit(str(sweep["metric_units"].values[i]))
        values = np.sort(np.asarray(sweep["metrics"].values[:, i], dtype=float))[::-1]
        values = values[np.isfinite(values)] * unit.factor(lang)
        share = np.arange(1, len(values) + 1) / max(len(values), 1)
        ax.step(values, share, where="post", color=figures.colour(0))
        label = unit.label(lang)
        ax.set_title(f"{name} [{label}]" if label else name, fontsize=9)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(text("ax_exceedance", lang), fontsize=8)
    return figures.figure_data_uri(fig)


def sweep_blocks(results: list[ScenarioResult], lang: str) -> list[dict[str, Any]]:
    """One block per sweep: how it was sampled, its metric table and exceedance curves."""
    blocks = []
    for result in results:
        if result.kind != "sweep" or result.sweep is None:
            continue
        a = result.dataset.attrs
        blocks.append({
            "label": result.label, "id": f"sweep-{len(blocks) + 1}",
            "how": text("sweep_sampled", lang, members=int(a.get("members", result.members)),
                        sampler=a.get("sampler", "–"), seed=a.get("seed", "–")),
            "inputs": sampled_inputs(result, lang),
            "metrics": metric_rows(result.sweep, lang),
            "uri": plot_exceedance(result.sweep, lang),
            "quantiles": [f"{round(100 * q)} %" for q in QUANTILES],
        })
    return blocks
