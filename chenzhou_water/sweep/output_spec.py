"""The ``outputs:`` section of a sweep file: full series to keep and per-member metrics.

::

    outputs:
      series: [leakage_rate, reservoir_storage]     # kept as (member, time); optional
      metrics:                                      # kept as (member, metric); optional
        - reliability
        - {metric: reliability, period: [2030, 2035]}

At least one of the two must be given. Series are checked like a scenario's ``outputs``;
metrics against :data:`~chenzhou_water.sweep.metrics.METRICS` and the model's years (an
``annual`` metric's ``variable`` and ``reduce`` with :func:`annual_variable` and
:func:`annual_reduce`, which the SA file's yearly outputs use too).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from chenzhou_water.display import dimensionless_unit
from chenzhou_water.model.metadata import ModelInfo, Variable
from chenzhou_water.schema.checker import Checker, YamlPath, format_path, suggest, what_is
from chenzhou_water.schema.model_rules import OUTPUT_KINDS, check_outputs
from chenzhou_water.sweep.metrics import ANNUAL, ANNUAL_REDUCTIONS, METRICS, Metric, default_name

__all__ = [
    "OUTPUT_KEYS",
    "annual_reduce",
    "annual_variable",
    "check_name",
    "parse_metric",
    "parse_outputs",
]

OUTPUT_KEYS = ("series", "metrics")
METRIC_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PERIOD_TEXT = re.compile(r"\s*(\d{4})\s*(?:-|\u2013|\.\.)\s*(\d{4})\s*")


def parse_outputs(
    checker: Checker,
    raw: Any,
    info: ModelInfo | None,
    years: tuple[int, int],
) -> tuple[tuple[str, ...], tuple[Metric, ...]]:
    """The series names and metrics of an ``outputs`` mapping (invalid entries left out).

    Parameters
    ----------
    checker : Checker
        Collects the problems, located under ``outputs``.
    raw : Any
        The section as read from YAML.
    info : ModelInfo or None
        The model (None: only the structure is checked).
    years : tuple of int
        First and last calendar year the model simulates.
    """
    path: YamlPath = ("outputs",)
    given = checker.mapping(path, raw, "a mapping with 'series' and/or 'metrics'")
    if given is None or not checker.keys(path, given, OUTPUT_KEYS):
        return (), ()
    if not given.get("series") and not given.get("metrics"):
        checker.error(path, "nothing to keep: list variables under 'series' or 'metrics' (or both)")
        return (), ()
    series: tuple[str, ...] = ()
    if given.get("series") is not None:
        names = checker.sequence((*path, "series"), given["series"], "a list of variable names")
        if names:
            series = check_outputs(checker, (*path, "series"), names, info) or ()
    metrics: tuple[Metric, ...] = ()
    if given.get("metrics") is not None:
        entries = checker.sequence((*path, "metrics"), given["metrics"], "a list of metrics")
        metrics = _metrics(checker, (*path, "metrics"), entries or [], info, years)
    return series, metrics


def _metrics(
    checker: Checker,
    path: YamlPath,
    entries: list[Any],
    info: ModelInfo | None,
    years: tuple[int, int],
) -> tuple[Metric, ...]:
    out: list[Metric] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        metric = _metric(checker, (*path, i), entry, info, years)
        if metric is None:
            continue
        if metric.name in seen:
            first = format_path((*path, seen[metric.name]))
            checker.error(
                (*path, i),
                f"two metrics are named {metric.name!r} (also at {first});"
                " give one a different 'name'",
            )
            continue
        seen[metric.name] = i
        out.append(metric)
    return tuple(out)


def check_name(checker: Checker, path: YamlPath, name: Any) -> str | None:
    """``name`` if it can label an output in the results, else None (problem recorded)."""
    rule = "start with a letter; use letters, digits and '_'"
    return checker.string(path, name, METRIC_NAME, rule)


def annual_variable(
    checker: Checker, path: YamlPath, raw: Any, info: ModelInfo | None
) -> Variable | None:
    """The time-series variable an annual value reduces; None without the model."""
    if info is None:
        return None
    return checker.model_variable(path, raw, info, OUTPUT_KINDS, "variable")


def annual_reduce(checker: Checker, path: YamlPath, raw: Any) -> str | None:
    """``raw`` if it is a key of :data:`~chenzhou_water.sweep.metrics.ANNUAL_REDUCTIONS`."""
    if isinstance(raw, str) and raw in ANNUAL_REDUCTIONS:
        return raw
    checker.error(path, f"expected one of {', '.join(ANNUAL_REDUCTIONS)}, got {what_is(raw)}")
    return None


def _metric(
    checker: Checker, path: YamlPath, entry: Any, info: ModelInfo | None, years: tuple[int, int]
) -> Metric | None:
    if isinstance(entry, str):
        entry = {"metric": entry}
    given = checker.mapping(path, entry, "a metric name or a mapping with 'metric' and options")
    key = _key(checker, path, given) if given is not None else None
    if given is None or key is None:
        return None
    definition = METRICS[key]
    extra = ["variable", "reduce"] if key == ANNUAL else []
    ok = checker.keys(path, given, ["metric", "name", definition.timing, *extra,
                                    *definition.options])  # fmt: skip
    ok = _needs(checker, path, key, info) and ok
    options = {}
    for option in definition.options:
        if option in given:
            value = checker.number((*path, option), given[option])
            ok = value is not None and ok
            options[option] = value
    annual = _annual(checker, path, given, info) if key == ANNUAL else {}
    span = _timing(checker, path, given, definition.timing, years)
    ok = ok and annual is not None
    ok = ok and (span is not None or (definition.timing == "period" and "period" not in given))
    stem = f"{annual['variable']}_{annual['reduce']}" if annual else key
    name = given.get("name", default_name(stem, span))
    if "name" in given:
        ok = check_name(checker, (*path, "name"), name) is not None and ok
    return Metric(name, key, span, options, **(annual or {})) if ok else None  # type: ignore[arg-type]


#: One metric entry (a name or a mapping), checked and located at ``path``; a stress study's
#: outcomes are sweep metrics with a direction and a threshold.
parse_metric = _metric


def _key(checker: Checker, path: YamlPath, given: Mapping[str, Any]) -> str | None:
    """The ``metric`` key, if it names a metric of :data:`METRICS`."""
    key = given.get("metric")
    if isinstance(key, str) and key in METRICS:
        return key
    where = (*path, "metric") if "metric" in given else path
    hint = suggest(key, METRICS) if isinstance(key, str) else ""
    shown = (
        f"unknown metric {key!r}{hint}"
        if isinstance(key, str)
        else (
            f"expected a metric name, got {what_is(key)}"
            if "metric" in given
            else "missing required key 'metric'"
        )
    )
    checker.error(where, f"{shown} (metrics: {', '.join(METRICS)})")
    return None


def _annual(
    checker: Checker, path: YamlPath, given: Mapping[str, Any], info: ModelInfo | None
) -> dict[str, str] | None:
    """An ``annual`` metric's variable, reduction and units (None if invalid)."""
    if "variable" not in given:
        checker.error(path, "missing required key 'variable' (the model variable to reduce)")
        return None
    var = annual_variable(checker, (*path, "variable"), given["variable"], info)
    reduce = annual_reduce(checker, (*path, "reduce"), given.get("reduce", "mean"))
    if var is None or reduce is None:
        return None
    return {"variable": var.py_name, "reduce": reduce,
            "variable_units": dimensionless_unit(var.py_name, var.units)}


def _needs(checker: Checker, path: YamlPath, key: str, info: ModelInfo | None) -> bool:
    """Whether the model has the variables and constants the metric reads."""
    if info is None:
        return True
    definition = METRICS[key]
    missing = [n for n in (*definition.variables, *definition.constants) if info.get(n) is None]
    if missing:
        checker.error(path, f"metric {key!r} needs {', '.join(missing)}, which the model lacks")
    return not missing


def _timing(
    checker: Checker, path: YamlPath, given: Mapping[str, Any], timing: str, bounds: tuple[int, int]
) -> tuple[int, int] | None:
    """The metric's ``(first, last)`` years, or None for the whole run / an invalid value."""
    if timing not in given:
        if timing == "year":
            checker.error(path, "missing required key 'year' (the calendar year to measure)")
        return None
    raw = given[timing]
    where = (*path, timing)
    span = _years(raw) if timing == "period" else ((raw, raw) if _is_year(raw) else None)
    if span is None:
        expected = (
            "[first, last] years, e.g. [2030, 2035], or '2030-2035'"
            if timing == "period"
            else "a calendar year, e.g. 2025"
        )
        checker.error(where, f"expected {expected}, got {what_is(raw)}")
        return None
    first, last = span
    lo, hi = bounds
    if first > last:
        checker.error(where, f"the period starts ({first}) after it ends ({last})")
        return None
    if first < lo or last > hi:
        checker.error(where, f"{first}-{last} is outside the model's years {lo}-{hi}")
        return None
    return span


def _years(raw: Any) -> tuple[int, int] | None:
    if _is_year(raw):
        return raw, raw
    if isinstance(raw, str):
        match = _PERIOD_TEXT.fullmatch(raw)
        return (int(match[1]), int(match[2])) if match else None
    if isinstance(raw, list | tuple) and len(raw) == 2 and all(_is_year(v) for v in raw):
        return int(raw[0]), int(raw[1])
    return None


def _is_year(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
