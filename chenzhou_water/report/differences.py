"""Which inputs differ between two scenarios, and a planner's sentence for each.

An input is a model constant (``parameters``) or a lookup (``levers``). Where a scenario does
not set an input, the model's own value counts, so "baseline sets nothing, the alternative sets
the renewal programme" is one differing input with the model's table as its reference value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from chenzhou_water.display import display_name, format_number, variable_unit
from chenzhou_water.errors import ReportError
from chenzhou_water.model.metadata import ModelInfo, model_info
from chenzhou_water.report.i18n import text
from chenzhou_water.scenario.spec import Scenario
from chenzhou_water.schema.model_rules import LeverTable

InputValue = float | LeverTable


@dataclass(frozen=True)
class InputDifference:
    """One input that differs between a reference and an alternative scenario.

    Attributes
    ----------
    name : str
        Normalised model name (``renewal_programme``).
    kind : {"parameter", "lever"}
        A model constant or a lookup table.
    units : str
        The model's units of the value (of the table's y for a lever).
    reference, alternative : float or tuple
        The value in each scenario: a number, or a lever's ``(years, values)``.
    documentation : str
        The model's documentation of the input.
    """

    name: str
    kind: Literal["parameter", "lever"]
    units: str
    reference: InputValue
    alternative: InputValue
    documentation: str = ""


def _table(values: object) -> LeverTable:
    xs, ys = values  # type: ignore[misc]
    return tuple(float(x) for x in xs), tuple(float(y) for y in ys)


def same_table(a: LeverTable, b: LeverTable) -> bool:
    """True if two lookups give the same value everywhere.

    Both are piecewise linear between their points and held outside them, so they agree
    everywhere exactly when they agree at the union of their points.
    """
    xs = np.union1d(a[0], b[0])
    return bool(np.array_equal(np.interp(xs, *a), np.interp(xs, *b)))


def _reference_info(reference: Scenario, alternative: Scenario) -> ModelInfo:
    if reference.model_path.resolve() != alternative.model_path.resolve():
        raise ReportError(
            f"scenarios {reference.name!r} and {alternative.name!r} run different models "
            f"({reference.model_path.name}, {alternative.model_path.name}); only scenarios of "
            "one model can be compared input by input"
        )
    return model_info(reference.model_path)


def differing_inputs(reference: Scenario, alternative: Scenario) -> tuple[InputDifference, ...]:
    """The parameters and levers whose values differ, parameters first, each sorted by name."""
    info = _reference_info(reference, alternative)
    found: list[InputDifference] = []
    for name in sorted(set(reference.parameters) | set(alternative.parameters)):
        var = info.get(name)
        default = float(var.value) if var is not None and var.value is not None else np.nan
        ref = float(reference.parameters.get(name, default))
        alt = float(alternative.parameters.get(name, default))
        if ref != alt:
            found.append(InputDifference(name, "parameter", var.units if var else "", ref, alt,
                                         var.documentation if var else ""))
    for name in sorted(set(reference.levers) | set(alternative.levers)):
        var = info.get(name)
        default = _table((var.lookup_x, var.lookup_y)) if var is not None else ((), ())
        ref_table = _table(reference.levers.get(name, default))
        alt_table = _table(alternative.levers.get(name, default))
        if not ref_table[0] or not alt_table[0]:
            raise ReportError(f"lever {name!r} has no table in the model or a scenario")
        if not same_table(ref_table, alt_table):
            found.append(InputDifference(name, "lever", var.units if var else "", ref_table,
                                         alt_table, var.documentation if var else ""))
    return tuple(found)


def _number(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 10_000 else f"{x:,.4g}"


def _when(year: float) -> str:
    """A decimal year as ``2022`` or ``2022-07`` (2022.5 is the start of July)."""
    whole = int(np.floor(year + 1e-9))
    month = int(np.floor((year - whole) * 12 + 1e-6)) + 1
    return str(whole) if month == 1 else f"{whole}-{month:02d}"


def lever_points(ref: LeverTable, alt: LeverTable,
                 limit: int = 8) -> list[tuple[float, float, float]]:
    """``(year, reference, alternative)`` where the tables differ, at their points (at most
    ``limit``, evenly spread)."""
    xs = np.union1d(ref[0], alt[0])
    a, b = np.interp(xs, *ref), np.interp(xs, *alt)
    rows = [(float(x), float(p), float(q)) for x, p, q in zip(xs, a, b, strict=True) if p != q]
    if len(rows) > limit:
        keep = np.unique(np.linspace(0, len(rows) - 1, limit).round().astype(int))
        rows = [rows[i] for i in keep]
    return rows


def _gist(documentation: str) -> str:
    """The first phrase of a model documentation string, without a ``Lever:`` prefix."""
    body = re.sub(r"^(Lever|Assumption|Parameter)\s*:\s*", "", documentation.strip())
    first = re.split(r"[.;:](?:\s|$)", body, maxsplit=1)[0].strip()
    if first.count("(") > first.count(")"):
        first = first[: first.rindex("(")].rstrip(" ,")
    return first


def difference_sentence(diff: InputDifference, lang: str) -> str:
    """One line saying how the input differs, in ``lang`` (Chinese input names and the display
    units of :mod:`chenzhou_water.display`)."""
    name = display_name(diff.name, lang)
    gist = _gist(diff.documentation) if lang == "en" else ""
    if gist:
        name = f"{name} ({gist[:1].lower()}{gist[1:]})"
    unit = variable_unit(diff.name, diff.units)
    factor = unit.factor(lang)

    def shown(x: float) -> str:  # as few decimals as the value needs
        return format_number(x * factor, lang, "#,##0.###")

    if diff.kind == "parameter":
        return text("param_change", lang, name=name, units=unit.label(lang) or "1",
                    old=shown(diff.reference), new=shown(diff.alternative))  # type: ignore[arg-type]
    points = lever_points(diff.reference, diff.alternative)  # type: ignore[arg-type]
    listed = ", ".join(f"{_when(x)}: {shown(p)} → {shown(q)}" for x, p, q in points)
    return text("lever_change", lang, name=name, units=unit.label(lang) or "1", points=listed)
