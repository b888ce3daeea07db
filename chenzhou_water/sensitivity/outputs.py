"""What an SA file analyses: per-member metrics (the sweep's) and yearly values of variables.

::

    outputs:
      metrics:                       # the sweep file's syntax (chenzhou_water.sweep.outputs)
        - {metric: reliability, period: [2030, 2035]}
      yearly:                        # a model variable reduced over each listed year
        - {variable: leakage_rate, years: [2020, 2025, 2030, 2035, 2040, 2050], reduce: mean}

Each yearly value runs through the sweep's execution core as one more per-member metric
(:class:`YearlyMetric`), so nothing but numbers per member is kept, whatever the ensemble size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from chenzhou_water._typing import FloatArray
from chenzhou_water.modelcheck import OUTPUT_KINDS
from chenzhou_water.modelinfo import ModelInfo
from chenzhou_water.sweep.metrics import Metric, MetricDef
from chenzhou_water.sweep.outputs import parse_outputs
from chenzhou_water.yamlcheck import Checker, YamlPath, describe, format_path

__all__ = ["REDUCTIONS", "YearlyMetric", "YearlyOutput", "model_years", "parse_sa_outputs"]

OUTPUT_KEYS = ("metrics", "yearly")
YEARLY_KEYS = ("variable", "years", "reduce", "name")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _mean(values: FloatArray, months: slice) -> FloatArray:
    return values[:, months].mean(axis=1)


def _sum(values: FloatArray, months: slice) -> FloatArray:
    return values[:, months].sum(axis=1)


def _min(values: FloatArray, months: slice) -> FloatArray:
    return values[:, months].min(axis=1)


def _max(values: FloatArray, months: slice) -> FloatArray:
    return values[:, months].max(axis=1)


#: How the months of a year are combined: name -> function ``(member, time) -> (member,)``.
REDUCTIONS = {"mean": _mean, "sum": _sum, "min": _min, "max": _max}


@dataclass(frozen=True)
class YearlyOutput:
    """A model variable reduced to one value per member and year.

    Attributes
    ----------
    name : str
        The output's name in the results (default ``<variable>_<reduce>``).
    variable : str
        The model variable (normalised name).
    years : tuple of int
        Calendar years, in the order given.
    reduce : str
        A key of :data:`REDUCTIONS`.
    units : str
        The variable's units (``sum`` keeps the per-month unit summed over the year).
    """

    name: str
    variable: str
    years: tuple[int, ...]
    reduce: str = "mean"
    units: str = ""

    def metrics(self) -> tuple[YearlyMetric, ...]:
        """One per-member metric per year, for the sweep's execution core."""
        return tuple(YearlyMetric(name=f"{self.name}_{year}", key=f"yearly_{self.reduce}",
                                  years=(year, year), variable=self.variable,
                                  reduce=self.reduce, variable_units=self.units)
                     for year in self.years)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for provenance and fingerprints."""
        return {"name": self.name, "variable": self.variable, "years": list(self.years),
                "reduce": self.reduce}


@dataclass(frozen=True)
class YearlyMetric(Metric):
    """A sweep metric over any model variable: its ``reduce`` over the months of one year.

    The sweep's :data:`~chenzhou_water.sweep.metrics.METRICS` holds fixed definitions; this
    supplies its own :class:`~chenzhou_water.sweep.metrics.MetricDef`, so the execution core
    treats it like any other metric (it reads ``definition``, ``name``, ``units``,
    ``description`` and calls ``compute``).
    """

    variable: str = ""
    reduce: str = "mean"
    variable_units: str = ""

    @property
    def definition(self) -> MetricDef:
        """An ad-hoc definition reading ``variable`` and reducing it with ``reduce``."""
        return MetricDef(self.key, REDUCTIONS[self.reduce], (self.variable,),
                         self.variable_units, f"{self.reduce} of {self.variable} over the year",
                         timing="year")


def model_years(info: ModelInfo | None) -> tuple[int, int]:
    """First and last calendar year the model simulates (2015-2050 if unknown)."""
    if info is None or info.start_date is None:
        return 2015, 2050
    first = int(str(info.start_date)[:4])
    months = round((info.final_time - info.initial_time) / max(info.time_step, 1e-9))
    monthly = info.time_units.lower().startswith("month")
    return first, first + (months // 12 if monthly else months)


def parse_sa_outputs(
    checker: Checker, raw: Any, info: ModelInfo | None, years: tuple[int, int]
) -> tuple[tuple[Metric, ...], tuple[YearlyOutput, ...]]:
    """The metrics and yearly outputs of an ``outputs`` mapping (invalid entries left out)."""
    path: YamlPath = ("outputs",)
    given = checker.mapping(path, raw, "a mapping with 'metrics' and/or 'yearly'")
    if given is None or not checker.keys(path, given, OUTPUT_KEYS):
        return (), ()
    if not given.get("metrics") and not given.get("yearly"):
        checker.error(path, "nothing to analyse: list 'metrics' or 'yearly' outputs (or both)")
        return (), ()
    metrics: tuple[Metric, ...] = ()
    if given.get("metrics") is not None:
        _, metrics = parse_outputs(checker, {"metrics": given["metrics"]}, info, years)
    yearly: list[YearlyOutput] = []
    if given.get("yearly") is not None:
        entries = checker.sequence((*path, "yearly"), given["yearly"], "a list of yearly outputs")
        for i, entry in enumerate(entries or []):
            output = _yearly(checker, (*path, "yearly", i), entry, info, years)
            if output is not None:
                yearly.append(output)
    _distinct_names(checker, metrics, yearly)
    return metrics, tuple(yearly)


def _yearly(
    checker: Checker, path: YamlPath, entry: Any, info: ModelInfo | None, bounds: tuple[int, int]
) -> YearlyOutput | None:
    given = checker.mapping(path, entry, "a mapping with variable, years and reduce")
    if given is None or not checker.keys(path, given, YEARLY_KEYS, required=("variable", "years")):
        return None
    var = checker.model_variable((*path, "variable"), given["variable"], info, OUTPUT_KINDS,
                                 "variable") if info is not None else None
    years = _years(checker, (*path, "years"), given["years"], bounds)
    reduce = given.get("reduce", "mean")
    if reduce not in REDUCTIONS:
        checker.error((*path, "reduce"), f"expected one of {', '.join(REDUCTIONS)}, got "
                      f"{describe(reduce)}")
        return None
    if var is None or years is None:
        return None
    variable = var.py_name
    name = given.get("name", f"{variable}_{reduce}")
    if checker.string((*path, "name"), name, _NAME,
                      "start with a letter; use letters, digits and '_'") is None:
        return None
    return YearlyOutput(name, variable, years, reduce, var.units)


def _years(
    checker: Checker, path: YamlPath, raw: Any, bounds: tuple[int, int]
) -> tuple[int, ...] | None:
    values = checker.sequence(path, raw, "a list of calendar years, e.g. [2025, 2035]")
    if values is None:
        return None
    if not values:
        checker.error(path, "the list is empty; give at least one year")
        return None
    ok = True
    lo, hi = bounds
    for i, year in enumerate(values):
        if isinstance(year, bool) or not isinstance(year, int):
            checker.error((*path, i), f"expected a calendar year (a whole number), got "
                          f"{describe(year)}")
            ok = False
        elif not lo <= year <= hi:
            checker.error((*path, i), f"{year} is outside the model's years {lo}-{hi}")
            ok = False
        elif year in values[:i]:
            checker.error((*path, i), f"{year} is listed twice")
            ok = False
    return tuple(values) if ok else None


def _distinct_names(
    checker: Checker, metrics: tuple[Metric, ...], yearly: list[YearlyOutput]
) -> None:
    """Output names must differ (they share one results table), as must the per-year metric
    names a yearly output expands to (``<name>_<year>``)."""
    seen: dict[str, str] = {m.name: f"outputs.metrics ({m.name})" for m in metrics}
    for i, output in enumerate(list(yearly)):
        path = ("outputs", "yearly", i)
        names = [output.name, *(m.name for m in output.metrics())]
        clash = next((n for n in names if n in seen), None)
        if clash is not None:
            checker.error(path, f"the output name {clash!r} is used twice (also "
                          f"{seen[clash]}); give one a different 'name'")
            yearly.remove(output)
            continue
        seen.update({n: format_path(path) for n in names})
