"""What an SA file analyses: per-member metrics (the sweep's) and yearly values of variables.

::

    outputs:
      metrics:                       # the sweep file's syntax (chenzhou_water.sweep.output_spec)
        - {metric: reliability, period: [2030, 2035]}
      yearly:                        # a model variable reduced over each listed year
        - {variable: leakage_rate, years: [2020, 2025, 2030, 2035, 2040, 2050], reduce: mean}

Each yearly value runs through the sweep's execution core as one more per-member metric, the
sweep's ``annual`` metric (:data:`~chenzhou_water.sweep.metrics.ANNUAL`) for that year, so
nothing but numbers per member is kept, whatever the ensemble size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chenzhou_water.model.metadata import ModelInfo
from chenzhou_water.schema.checker import Checker, YamlPath, format_path, what_is
from chenzhou_water.sweep.metrics import ANNUAL, Metric
from chenzhou_water.sweep.output_spec import (
    annual_reduce,
    annual_variable,
    check_name,
    parse_outputs,
)

__all__ = ["YearlyOutput", "parse_sa_outputs"]

OUTPUT_KEYS = ("metrics", "yearly")
YEARLY_KEYS = ("variable", "years", "reduce", "name")


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
        A key of :data:`~chenzhou_water.sweep.metrics.ANNUAL_REDUCTIONS`.
    units : str
        The variable's units (``sum`` keeps the per-month unit summed over the year).
    """

    name: str
    variable: str
    years: tuple[int, ...]
    reduce: str = "mean"
    units: str = ""

    def metrics(self) -> tuple[Metric, ...]:
        """One ``annual`` metric per year, for the sweep's execution core."""
        return tuple(Metric(name=f"{self.name}_{year}", key=ANNUAL, years=(year, year),
                            variable=self.variable, reduce=self.reduce, variable_units=self.units)
                     for year in self.years)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for provenance and fingerprints."""
        return {"name": self.name, "variable": self.variable, "years": list(self.years),
                "reduce": self.reduce}


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
    var = annual_variable(checker, (*path, "variable"), given["variable"], info)
    years = _years(checker, (*path, "years"), given["years"], bounds)
    reduce = annual_reduce(checker, (*path, "reduce"), given.get("reduce", "mean"))
    if reduce is None or var is None or years is None:
        return None
    variable = var.py_name
    name = given.get("name", f"{variable}_{reduce}")
    if check_name(checker, (*path, "name"), name) is None:
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
                          f"{what_is(year)}")
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
