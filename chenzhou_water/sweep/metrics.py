"""Per-member metrics: each reduces a member's monthly series to one number.

Every metric is a small function over arrays of shape ``(member, time)`` returning shape
``(member,)``; :data:`METRICS` describes each one (the model variables and constants it reads,
its units, its options). A sweep computes its metrics chunk by chunk, right after the chunk is
simulated, so a metrics-only sweep never keeps the series.

In a sweep file (``outputs.metrics``) a metric is its key, or a mapping with ``metric`` and
its options; ``period: [2030, 2035]`` (calendar years, inclusive; also ``2030-2035`` or one year)
restricts it to those years, ``name`` names it (default: the key, plus the period or year)::

    metrics:
      - reliability                                  # the whole run, 2015-2050
      - {metric: reliability, period: [2030, 2035]}  # named reliability_2030_2035
      - {metric: months_below_dead_storage, margin: 5.0e8, name: near_dead_storage}
      - {metric: leakage, year: 2025}                # named leakage_2025
      - {metric: annual, variable: hydropower_generation, reduce: sum, year: 2030}

``annual`` is the generic per-year metric: any time-series model variable (``variable``),
reduced over the months of one ``year`` by ``reduce`` (``mean``, ``sum``, ``min`` or ``max``;
default ``mean``), in the variable's units; its default name is ``<variable>_<reduce>_<year>``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chenzhou_water._typing import FloatArray, IntArray

__all__ = [
    "ANNUAL",
    "ANNUAL_REDUCTIONS",
    "METRICS",
    "Metric",
    "MetricDef",
    "annual_definition",
    "electricity_saved",
    "flow_compliance",
    "hydropower_total",
    "leakage_in_year",
    "lowest_level",
    "months_below_dead_storage",
    "months_below_intake",
    "peak_reliability",
    "reliability",
    "service_area_shortage",
    "total_shortage",
    "worst_storage",
]


# --- the metric functions: (member, time) -> (member,) ---------------------------------------


def _time_sum(values: FloatArray, months: slice) -> FloatArray:
    """Each member's sum over ``months``, added a month at a time in time order.

    numpy's ``sum(axis=1)`` adds pairwise or in sequence depending on the array's shape and
    memory layout (the engine's series are views of time-major buffers), so its last bits
    would depend on how many members a block holds. In this fixed order a sweep's metrics are
    identical to the bit for any chunk size and number of workers.
    """
    rows = values[:, months]
    total = np.zeros(rows.shape[0])
    for t in range(rows.shape[1]):
        total += rows[:, t]
    return total


def _time_mean(values: FloatArray, months: slice) -> FloatArray:
    """Each member's mean over ``months`` (:func:`_time_sum`'s order); NaN over no month."""
    count = values[:, months].shape[1]
    if count == 0:
        return np.full(values.shape[0], np.nan)
    return _time_sum(values, months) / count


def reliability(unmet_demand: FloatArray, months: slice, *, tolerance: float = 0.0) -> FloatArray:
    """Share of months whose unmet demand is at most ``tolerance`` (m³/d), per member."""
    met = unmet_demand[:, months] <= tolerance
    return met.mean(axis=1)


def peak_reliability(
    unmet_demand: FloatArray, peak_day_shortage: FloatArray, months: slice, *,
    tolerance: float = 0.0,
) -> FloatArray:
    """Share of months in which both the monthly mean and the peak day are met, per member.

    A month fails if its unmet demand or its peak-day shortage exceeds ``tolerance`` (m³/d).
    """
    met = (unmet_demand[:, months] <= tolerance) & (peak_day_shortage[:, months] <= tolerance)
    return met.mean(axis=1)


def service_area_shortage(
    service_area_unmet_demand: FloatArray, days_per_month: Any, months: slice
) -> FloatArray:
    """Unmet diversion demand of the Guiyang county seat and the towns over the months, m³."""
    return _time_sum(service_area_unmet_demand, months) * days_per_month


def lowest_level(reservoir_level: FloatArray, months: slice) -> FloatArray:
    """Lowest level of Dongjiang reservoir in the months, m."""
    return reservoir_level[:, months].min(axis=1)


def months_below_intake(
    reservoir_level: FloatArray, diversion_intake_level: Any, intake_submergence_range: Any,
    months: slice,
) -> FloatArray:
    """Months in which the lake is too low for the diversion's full capacity.

    Counts the months whose level is below the intake plus its submergence range, where the
    intake can no longer draw its full capacity.
    """
    threshold = np.reshape(np.asarray(diversion_intake_level, dtype=np.float64)
                           + np.asarray(intake_submergence_range, dtype=np.float64), (-1, 1))
    return (reservoir_level[:, months] < threshold).sum(axis=1).astype(np.float64)


def total_shortage(unmet_demand: FloatArray, days_per_month: Any, months: slice) -> FloatArray:
    """Unmet demand summed over the months, m³ (m³/d x days of each model month)."""
    return _time_sum(unmet_demand, months) * days_per_month


def worst_storage(reservoir_storage: FloatArray, months: slice) -> FloatArray:
    """Lowest reservoir storage of the months, m³."""
    return reservoir_storage[:, months].min(axis=1)


def months_below_dead_storage(
    reservoir_storage: FloatArray, dead_storage: Any, months: slice, *, margin: float = 0.0
) -> FloatArray:
    """Number of months with storage below dead storage plus ``margin`` (m³)."""
    threshold = np.reshape(np.asarray(dead_storage, dtype=np.float64) + margin, (-1, 1))
    return (reservoir_storage[:, months] < threshold).sum(axis=1).astype(np.float64)


def electricity_saved(dc_electricity_saved: FloatArray, months: slice) -> FloatArray:
    """Electricity the lake-cooled data centre saved over the months, kWh."""
    return _time_sum(dc_electricity_saved, months)


def leakage_in_year(leakage_rate: FloatArray, months: slice) -> FloatArray:
    """Mean leakage rate over the months of one year, fraction of production."""
    return _time_mean(leakage_rate, months)


def hydropower_total(hydropower_generation: FloatArray, months: slice) -> FloatArray:
    """Hydropower generated over the months, kWh."""
    return _time_sum(hydropower_generation, months)


def flow_compliance(ecological_flow_compliance: FloatArray, months: slice) -> FloatArray:
    """Mean ecological-flow compliance over the months, fraction (0-1)."""
    return _time_mean(ecological_flow_compliance, months)


# --- the annual metric: any variable, reduced over the months of one year ---------------------


def _mean(values: FloatArray, months: slice) -> FloatArray:
    return _time_mean(values, months)


def _sum(values: FloatArray, months: slice) -> FloatArray:
    return _time_sum(values, months)


def _min(values: FloatArray, months: slice) -> FloatArray:
    return values[:, months].min(axis=1)


def _max(values: FloatArray, months: slice) -> FloatArray:
    return values[:, months].max(axis=1)


#: The key of the generic per-year metric.
ANNUAL = "annual"
#: How ``annual`` combines the months of its year: name -> function ``(member, time) -> (member,)``.
ANNUAL_REDUCTIONS = {"mean": _mean, "sum": _sum, "min": _min, "max": _max}


# --- their descriptions ----------------------------------------------------------------------


@dataclass(frozen=True)
class MetricDef:
    """What a metric computes and what it needs.

    Attributes
    ----------
    key : str
        The name a sweep file uses.
    function : callable
        ``function(*variables, *constants, months, **options) -> (member,)``.
    variables : tuple of str
        Model variables read as ``(member, time)`` arrays, in the function's order.
    constants : tuple of str
        Model constants read as a number or one value per member, after the variables.
    units, description : str
        Of the result.
    options : mapping
        Option name -> default value (floats).
    timing : str
        ``period`` (an optional range of years) or ``year`` (one year, required).
    """

    key: str
    function: Callable[..., FloatArray]
    variables: tuple[str, ...]
    units: str
    description: str
    constants: tuple[str, ...] = ()
    options: Mapping[str, float] = field(default_factory=dict)
    timing: str = "period"


METRICS: dict[str, MetricDef] = {
    m.key: m
    for m in (
        MetricDef("reliability", reliability, ("unmet_demand",), "fraction of months",
                  "share of months in which unmet urban demand is at most `tolerance` m3/d",
                  options={"tolerance": 0.0}),
        MetricDef("peak_reliability", peak_reliability, ("unmet_demand", "peak_day_shortage"),
                  "fraction of months",
                  "share of months in which unmet urban demand and the peak-day shortage are "
                  "both at most `tolerance` m3/d", options={"tolerance": 0.0}),
        MetricDef("service_area_shortage", service_area_shortage,
                  ("service_area_unmet_demand",), "m3",
                  "unmet diversion demand of the Guiyang county seat and the towns over the "
                  "period", constants=("days_per_month",)),
        MetricDef("lowest_level", lowest_level, ("reservoir_level",), "m",
                  "lowest level of Dongjiang reservoir in the period"),
        MetricDef("months_below_intake", months_below_intake, ("reservoir_level",), "months",
                  "months in which the lake is below the diversion intake plus its submergence "
                  "range (the diversion cannot draw its full capacity)",
                  constants=("diversion_intake_level", "intake_submergence_range")),
        MetricDef("total_shortage", total_shortage, ("unmet_demand",), "m3",
                  "unmet urban demand summed over the period", constants=("days_per_month",)),
        MetricDef("worst_storage", worst_storage, ("reservoir_storage",), "m3",
                  "lowest Dongjiang reservoir storage in the period"),
        MetricDef("months_below_dead_storage", months_below_dead_storage,
                  ("reservoir_storage",), "months",
                  "months in which storage is below dead storage plus `margin` m3",
                  constants=("dead_storage",), options={"margin": 0.0}),
        MetricDef("electricity_saved", electricity_saved, ("dc_electricity_saved",), "kWh",
                  "electricity saved by the lake-cooled data centre over the period"),
        MetricDef("leakage", leakage_in_year, ("leakage_rate",), "fraction of production",
                  "mean network leakage rate in the year", timing="year"),
        MetricDef("hydropower_total", hydropower_total, ("hydropower_generation",), "kWh",
                  "hydropower generated over the period"),
        MetricDef("ecological_flow_compliance", flow_compliance,
                  ("ecological_flow_compliance",), "fraction",
                  "mean ecological-flow compliance over the period"),
        # a template: each annual Metric reads its own variable (see annual_definition)
        MetricDef(ANNUAL, _mean, (), "",
                  "mean, sum, min or max of a model variable over the months of one year",
                  timing="year"),
    )
}  # fmt: skip


def annual_definition(variable: str, reduce: str, units: str) -> MetricDef:
    """The definition of an ``annual`` metric: ``reduce`` of ``variable`` over its year.

    Parameters
    ----------
    variable : str
        The model variable (normalised name), read as ``(member, time)``.
    reduce : str
        A key of :data:`ANNUAL_REDUCTIONS`.
    units : str
        The variable's units, which the result keeps (``sum``: summed over the months).
    """
    return MetricDef(ANNUAL, ANNUAL_REDUCTIONS[reduce], (variable,), units,
                     f"{reduce} of {variable} over the year", timing="year")  # fmt: skip


@dataclass(frozen=True)
class Metric:
    """A metric as a sweep asked for it: a definition, its options and its years.

    Attributes
    ----------
    name : str
        The metric's label in the results.
    key : str
        The definition in :data:`METRICS`.
    years : tuple of int or None
        First and last calendar year (inclusive); None for the whole run.
    options : mapping
        Option values (the definition's defaults filled in).
    variable, reduce, variable_units : str
        Of an ``annual`` metric only: the model variable (normalised name), a key of
        :data:`ANNUAL_REDUCTIONS` and the variable's units.
    """

    name: str
    key: str
    years: tuple[int, int] | None = None
    options: Mapping[str, float] = field(default_factory=dict)
    variable: str = ""
    reduce: str = "mean"
    variable_units: str = ""

    @property
    def definition(self) -> MetricDef:
        """The metric's :class:`MetricDef` (an ``annual`` metric's reads its own variable)."""
        if self.key == ANNUAL:
            return annual_definition(self.variable, self.reduce, self.variable_units)
        return METRICS[self.key]

    @property
    def units(self) -> str:
        return self.definition.units

    @property
    def description(self) -> str:
        """The definition's description, with the years and options filled in."""
        text = self.definition.description
        for option, value in {**self.definition.options, **self.options}.items():
            text = text.replace(f"`{option}`", f"{value:g}")
        if self.years is not None:
            first, last = self.years
            text += f" ({first})" if first == last else f" ({first}-{last})"
        return text

    def to_dict(self) -> dict[str, Any]:
        """Plain data for provenance and fingerprints."""
        out = {"name": self.name, "metric": self.key, "years": self.years,
               "options": dict(self.options)}  # fmt: skip
        if self.key == ANNUAL:
            out.update(variable=self.variable, reduce=self.reduce)
        return out

    def compute(
        self,
        series: Mapping[str, FloatArray],
        constants: Mapping[str, Any],
        month_years: IntArray,
    ) -> FloatArray:
        """The metric of every member.

        Parameters
        ----------
        series : mapping
            Model variable -> array ``(member, time)``; must hold the definition's variables.
        constants : mapping
            Model constant -> number or array ``(member,)``.
        month_years : ndarray of int, shape (time,)
            Calendar year of each saved time.

        Returns
        -------
        ndarray, shape (member,)
        """
        d = self.definition
        args = [series[v] for v in d.variables] + [constants[c] for c in d.constants]
        options = {**d.options, **self.options}
        months = months_of(month_years, self.years)
        return np.asarray(d.function(*args, months, **options), dtype=np.float64)


def months_of(month_years: IntArray, years: tuple[int, int] | None) -> slice:
    """The slice of saved times that falls in ``years`` (inclusive); all if None."""
    if years is None:
        return slice(None)
    first, last = years
    inside = np.flatnonzero((month_years >= first) & (month_years <= last))
    if inside.size == 0:
        return slice(0, 0)
    return slice(int(inside[0]), int(inside[-1]) + 1)


def default_name(key: str, years: tuple[int, int] | None) -> str:
    """``reliability``, ``reliability_2030_2035``, ``leakage_2025``."""
    if years is None:
        return key
    first, last = years
    return f"{key}_{first}" if first == last else f"{key}_{first}_{last}"
