"""Checks of input values against the model: constants, lever tables, output names, years.

The scenario loader checks its ``parameters``, ``levers`` and ``outputs`` sections with these
functions; sweep, sensitivity and calibration loaders check the constants and levers they vary
with the same ones, so a value is judged by one set of rules wherever it is written. Each
function records problems on a :class:`~chenzhou_water.schema.checker.Checker` and returns ``None``
(or leaves the entry out) for what is invalid. With ``info=None`` (the model could not be read)
only the types of the values are checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chenzhou_water.model.metadata import Kind, ModelInfo, Variable
from chenzhou_water.schema.checker import Checker, YamlPath, format_path, is_number

LeverTable = tuple[tuple[float, ...], tuple[float, ...]]
"""A lever's table: ``(years, values)``, sorted by year."""

Range = tuple[float | None, float | None]

OUTPUT_KINDS: tuple[Kind, ...] = ("constant", "stock", "auxiliary", "data")
"""The kinds of variable that are time series and can be kept as outputs."""


def resolve_constant(
    checker: Checker, path: YamlPath, name: Any, info: ModelInfo
) -> Variable | None:
    """The scalar model constant ``name`` (any spelling), or None with a problem recorded."""
    var = checker.model_variable(
        path,
        name,
        info,
        ("constant",),
        "constant",
        _kind_hint(info, name, "only constants can be set under parameters"),
    )
    if var is not None and var.subscripts:
        checker.error(path, f"{var.py_name!r} is subscripted; only scalar constants can be set")
        return None
    return var


def resolve_lookup(checker: Checker, path: YamlPath, name: Any, info: ModelInfo) -> Variable | None:
    """The model lookup ``name`` (any spelling), or None with a problem recorded."""
    return checker.model_variable(
        path,
        name,
        info,
        ("lookup",),
        "lookup",
        _kind_hint(info, name, "only lookups can be set under levers"),
    )


def check_constant_value(
    checker: Checker, path: YamlPath, value: Any, var: Variable | None
) -> float | None:
    """``value`` as a float if it is a finite number inside ``var``'s declared range."""
    number = checker.number(path, value)
    if number is None or var is None:
        return number
    return number if checker.in_range(path, number, *var.limits) else None


def check_parameters(
    checker: Checker,
    given: Mapping[Any, Any],
    info: ModelInfo | None,
    prefix: YamlPath = ("parameters",),
) -> dict[str, float]:
    """The valid entries of a ``constant name → number`` mapping, by normalised name."""
    out: dict[str, float] = {}
    spelled: dict[str, Any] = {}
    for name, raw in given.items():
        path: YamlPath = (*prefix, name)
        if info is None:
            checker.number(path, raw)
            continue
        var = resolve_constant(checker, path, name, info)
        value = check_constant_value(checker, path, raw, var)
        if var is None or _twice(checker, path, var.py_name, name, spelled):
            continue
        if value is not None:
            out[var.py_name] = value
    return out


def check_levers(
    checker: Checker,
    given: Mapping[Any, Any],
    info: ModelInfo | None,
    prefix: YamlPath = ("levers",),
) -> dict[str, LeverTable]:
    """The valid entries of a ``lookup name → {year: value}`` mapping, by normalised name."""
    out: dict[str, LeverTable] = {}
    spelled: dict[str, Any] = {}
    for name, raw in given.items():
        path: YamlPath = (*prefix, name)
        var = resolve_lookup(checker, path, name, info) if info is not None else None
        if var is not None and _twice(checker, path, var.py_name, name, spelled):
            continue
        table = check_lever_table(checker, path, raw, var)
        if var is not None and table is not None:
            out[var.py_name] = table
    return out


def check_lever_table(
    checker: Checker, path: YamlPath, raw: Any, var: Variable | None
) -> LeverTable | None:
    """A ``{year: value}`` mapping as a sorted table, checked against ``var``'s ranges.

    One point is a valid table (a constant: lookups hold their end values); an empty one is not.
    """
    table = checker.mapping(
        path, raw, "a mapping of year to value (one point, e.g. {2015: 0.5}, is a constant)"
    )
    if table is None:
        return None
    if not table:
        checker.error(path, "the table is empty; give at least one year: value point")
        return None
    x_range, y_range = lookup_ranges(var)
    points: list[tuple[float, float]] = []
    for year, value in table.items():
        point = (*path, year)
        x = checker.number(point, year, "a year (a number) as key")
        y = checker.number(point, value)
        x_ok = x is not None and checker.in_range(
            point, x, *x_range, what="the lookup's year range", label="year "
        )
        y_ok = y is not None and checker.in_range(point, y, *y_range)
        if x is not None and y is not None and x_ok and y_ok:
            points.append((x, y))
    if len(points) < len(table):
        return None
    points.sort()
    return tuple(p[0] for p in points), tuple(p[1] for p in points)


def check_outputs(
    checker: Checker, path: YamlPath, names: list[Any], info: ModelInfo | None
) -> tuple[str, ...] | None:
    """The normalised names of a non-empty list of distinct time-series variables, or None."""
    if not names:
        checker.error(path, "the list is empty; name at least one variable or omit it")
        return None
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if info is None:
            checker.string((*path, i), name)
            continue
        var = checker.model_variable(
            (*path, i),
            name,
            info,
            OUTPUT_KINDS,
            "variable",
            "outputs are time series: constants, stocks, auxiliaries or data",
            wanted="a time series",
        )
        if var is not None and var.py_name in seen:
            first = format_path((*path, seen[var.py_name]))
            checker.error((*path, i), f"{var.py_name!r} is listed twice (also at {first})")
        elif var is not None:
            seen[var.py_name] = i
            out.append(var.py_name)
    return tuple(out) if len(out) == len(names) else None


def lookup_ranges(var: Variable | None) -> tuple[Range, Range]:
    """The declared ``(x, y)`` ranges of a lookup; undeclared (NaN) ends are open (None)."""
    if var is None or var.lookup_range is None:
        return (None, None), (None, None)
    (x0, y0), (x1, y1) = var.lookup_range
    return (_end(x0), _end(x1)), (_end(y0), _end(y1))


def model_years(info: ModelInfo | None) -> tuple[int, int]:
    """First and last calendar year the model simulates (2015-2050 if unknown)."""
    if info is None or info.start_date is None:
        return 2015, 2050
    first = int(str(info.start_date)[:4])
    months = round((info.final_time - info.initial_time) / max(info.time_step, 1e-9))
    monthly = info.time_units.lower().startswith("month")
    return first, first + (months // 12 if monthly else months)


def _end(value: float) -> float | None:
    return float(value) if is_number(value) else None


def _kind_hint(info: ModelInfo, name: Any, base: str) -> str:
    """``base``, plus where a variable of the wrong kind can be set instead."""
    var = info.get(name) if isinstance(name, str) else None
    if var is not None and var.kind == "lookup":
        return f"{base}; set lookups under levers"
    if var is not None and var.kind == "constant":
        return f"{base}; set constants under parameters"
    return base


def _twice(checker: Checker, path: YamlPath, key: str, name: Any, spelled: dict[str, Any]) -> bool:
    """Record a problem if ``key`` was already given, under another spelling, in this mapping."""
    if key in spelled:
        checker.error(path, f"{key!r} is set twice (also as {spelled[key]!r})")
        return True
    spelled[key] = name
    return False
