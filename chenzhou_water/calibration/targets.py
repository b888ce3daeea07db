"""The calibration targets file: every reported figure the model should reproduce.

A targets file (YAML, safe loader)::

    model: ../models/chenzhou_water.mdl     # optional; default: the project's model
    targets:
      leakage_2020:                          # an identifier: letters, digits, _ and -
        variable: leakage_rate               # a model variable, or
        # expression: diversion_supply * days_per_year   (names, numbers, + - * /)
        period: 2020                         # 2020, [2017, 2024], '2018-10' or a month range
        reduce: annual_mean                  # see REDUCTIONS
        value: 17.4                          # a point target, or lower: and/or upper: (bounds)
        unit: '%'                            # consistent with the variable's declared units
        tolerance: 0.5                       # in ``unit``; or relative_tolerance: 0.05
        weight: 1                            # optional, default 1
        hard: true                           # hard targets must end within tolerance
        source: seed 003, Chenzhou section   # seed file and passage, or a public address
        note: ...                            # optional
        conflict: cold-water                 # optional: a group of targets known to disagree

Units follow Vensim's rules (:mod:`chenzhou_water.model.units`): the unit must have the same symbols
as the reduced expression and may differ only by a numeric scale (``1e9*m3/year`` for
billions of m³ a year; ``%`` stands for ``0.01``). ``annual_sum`` turns a flow per month into a
flow per year (it multiplies the units by ``Month/year``).

Every problem in the file is collected and raised together with its line and YAML path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chenzhou_water.calibration.expressions import (
    READABLE_KINDS,
    Expression,
    ExpressionError,
    parse_expression,
)
from chenzhou_water.calibration.parameters import file_model
from chenzhou_water.calibration.periods import Period, PeriodError, parse_period
from chenzhou_water.calibration.series import LIKELIHOODS, Observations, read_observations
from chenzhou_water.errors import ModelError, UnitsSyntaxError
from chenzhou_water.model.metadata import ModelInfo, py_name
from chenzhou_water.model.units import Unit, format_units, parse_units
from chenzhou_water.schema.checker import Checker, YamlPath, load_yaml, suggest, what_is

__all__ = ["REDUCTIONS", "Target", "TargetSet", "load_targets"]

#: How the months of a period become the values a target compares with.
REDUCTIONS: dict[str, str] = {
    "annual_mean": "mean of each calendar year",
    "annual_sum": "sum over the months of each calendar year (a flow per month → per year)",
    "annual_max": "maximum month of each calendar year",
    "annual_min": "minimum month of each calendar year",
    "monthly": "every month on its own",
    "mean": "mean over the whole period",
    "max": "maximum month of the whole period",
    "min": "minimum month of the whole period",
}

TOP_KEYS = ("model", "targets")
TARGET_KEYS = ("variable", "expression", "period", "reduce", "value", "lower", "upper", "unit",
               "tolerance", "relative_tolerance", "weight", "hard", "source", "note", "conflict",
               "observations", "likelihood")
REQUIRED_KEYS = ("period", "reduce", "unit", "hard", "source")
#: A time-series target (``observations``) takes its period from the CSV.
SERIES_REQUIRED_KEYS = ("reduce", "unit", "tolerance", "hard", "source")
SERIES_REDUCTIONS = ("monthly", "annual_mean", "annual_sum", "annual_max", "annual_min")
_ID = re.compile(r"[A-Za-z0-9_-]+")
_UNIT_ALIASES = {"%": "0.01", "percent": "0.01"}


@dataclass(frozen=True)
class Target:
    """One reported figure, checked against the model.

    Values are kept in the target's own unit (``value``, ``lower``, ``upper``,
    ``tolerance``); ``scale`` converts them to the model's units (model = target * scale).
    A point target has ``value``; a bound has ``lower`` and/or ``upper`` and is checked in
    every year (or month) of its period.
    """

    name: str
    expression: Expression
    period: Period
    reduce: str
    unit: str
    scale: float
    tolerance: float
    weight: float
    hard: bool
    source: str
    value: float | None = None
    lower: float | None = None
    upper: float | None = None
    note: str = ""
    conflict: str = ""
    line: int | None = None
    observations: Observations | None = None
    likelihood: str = ""

    @property
    def is_bound(self) -> bool:
        """True for a bound (``lower``/``upper``), False for a point target or a series."""
        return self.value is None and self.observations is None

    @property
    def reported(self) -> str:
        """The reported figure as text: ``17.4``, ``< 1.2``, ``5 to 13``, ``36 obs, mean 9``."""
        if self.observations is not None:
            obs = self.observations
            return f"{len(obs.values)} obs, mean {obs.values.mean():.4g}"
        if self.value is not None:
            return f"{self.value:g}"
        if self.lower is not None and self.upper is not None:
            return f"{self.lower:g} to {self.upper:g}"
        return f"< {self.upper:g}" if self.upper is not None else f"> {self.lower:g}"


@dataclass(frozen=True)
class TargetSet:
    """The targets of one file, checked against one model."""

    path: Path
    model_path: Path
    targets: tuple[Target, ...]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.targets)

    def __len__(self) -> int:
        return len(self.targets)

    @property
    def variables(self) -> tuple[str, ...]:
        """Every model variable the targets read."""
        return tuple(dict.fromkeys(n for t in self.targets for n in t.expression.names))

    @property
    def last_month(self) -> int:
        """The last month index any target needs (the fit simulates only this far)."""
        return max(t.period.last for t in self.targets)


def load_targets(path: str | Path, model: str | Path | None = None) -> TargetSet:
    """Read and check a targets file.

    Parameters
    ----------
    path : str or Path
        The targets YAML file.
    model : str or Path, optional
        The model to check against; default: the file's ``model`` key, else the project's.

    Raises
    ------
    ValidationError
        Every problem in the file, each with line and YAML path (unknown variables with the
        nearest model name; inconsistent units naming both units).
    """
    document = load_yaml(path)
    checker = Checker(document)
    data = document.data if isinstance(document.data, Mapping) else None
    if data is None:
        checker.error((), f"expected a mapping with a 'targets' key, got {what_is(document.data)}")
        checker.raise_if_problems()
    checker.keys((), data, TOP_KEYS, required=("targets",))
    info = file_model(checker, Path(path), data, model)
    entries = checker.mapping(("targets",), data.get("targets"), "a mapping of target name to "
                              "target") if "targets" in data else None
    if entries is not None and not entries:
        checker.error(("targets",), "no targets given")
    targets = []
    for name, raw in (entries or {}).items():
        target = _target(checker, ("targets", name), name, raw, info)
        if target is not None:
            targets.append(target)
    checker.raise_if_problems()
    if info is None:  # unreachable: a model that cannot be read is recorded as a problem
        raise ModelError(f"{path}: the model could not be read")
    return TargetSet(Path(path), info.path, tuple(targets))


def _target(checker: Checker, where: YamlPath, name: Any, raw: Any,
            info: ModelInfo | None) -> Target | None:
    entry = checker.mapping(where, raw, "a mapping of target keys")
    if entry is None:
        return None
    ok = checker.string(where, name, _ID, "use letters, digits, '_' and '-'") is not None
    if "observations" in entry:
        return _series_target(checker, where, name, entry, info, ok)
    ok &= checker.keys(where, entry, TARGET_KEYS, REQUIRED_KEYS)
    for key in ("likelihood",):
        if key in entry:
            checker.error((*where, key), "only a time-series target (with 'observations') "
                          "states a likelihood")
            ok = False
    expression = _expression(checker, where, entry, info)
    period = _period(checker, where, entry, info)
    reduce = _reduce(checker, where, entry)
    values = _values(checker, where, entry)
    scale = _unit_scale(checker, where, entry, expression, reduce)
    fields = _scalars(checker, where, entry)
    if None in (expression, period, reduce, values, scale, fields) or not ok:
        return None
    value, lower, upper, tolerance = values  # type: ignore[misc]
    if not _in_model_range(checker, where, entry, info, reduce, scale,  # type: ignore[arg-type]
                           {"value": value, "lower": lower, "upper": upper}):
        return None
    return Target(name=name, expression=expression, period=period, reduce=reduce,
                  unit=entry["unit"], scale=scale, value=value, lower=lower, upper=upper,
                  tolerance=tolerance, line=checker.document.line(where), **fields)


# Reductions whose result is on the variable's own scale (a sum over months is not).
_SAME_SCALE = ("annual_mean", "annual_max", "annual_min", "monthly", "mean", "max", "min")


def _in_model_range(checker: Checker, where: YamlPath, entry: Mapping[str, Any],
                    info: ModelInfo, reduce: str, scale: float,
                    figures: Mapping[str, float | None]) -> bool:
    """Whether the figures of a ``variable`` target, in the model's units, lie inside the
    variable's declared range (a figure outside it can never be reached); others pass."""
    var = info.get(entry.get("variable", "")) if "variable" in entry else None
    if var is None or reduce not in _SAME_SCALE or var.limits == (None, None):
        return True
    ok = True
    for key, figure in figures.items():
        if figure is not None and not checker.in_range(
                (*where, key), figure * scale, *var.limits,
                what=f"the model's range of {var.name!r}, in its units,", label=f"{figure:g} "
                f"{entry['unit']} = "):
            ok = False
    return ok


def _series_target(checker: Checker, where: YamlPath, name: str, entry: Mapping[str, Any],
                   info: ModelInfo | None, ok: bool) -> Target | None:
    """A target whose reported figures are the rows of an observations CSV."""
    ok &= checker.keys(where, entry, TARGET_KEYS, SERIES_REQUIRED_KEYS)
    for key in ("value", "lower", "upper", "period", "relative_tolerance"):
        if key in entry:
            checker.error((*where, key), f"a time-series target takes no {key!r}: its "
                          f"figures, times and uncertainties come from the observations CSV")
            ok = False
    likelihood = entry.get("likelihood", "normal")
    if likelihood not in LIKELIHOODS:
        checker.error((*where, "likelihood"), f"unknown likelihood {likelihood!r}; choose "
                      f"one of {', '.join(LIKELIHOODS)} ({LIKELIHOODS['normal']})")
        ok = False
    reduce = _reduce(checker, where, entry)
    if reduce is not None and reduce not in SERIES_REDUCTIONS:
        checker.error((*where, "reduce"), f"a time-series target compares month by month "
                      f"('monthly') or year by year ({', '.join(SERIES_REDUCTIONS[1:])})")
        reduce = None
    expression = _expression(checker, where, entry, info)
    scale = _unit_scale(checker, where, entry, expression, reduce)
    tolerance = checker.number((*where, "tolerance"), entry.get("tolerance"))
    if tolerance is not None and tolerance <= 0:
        checker.error((*where, "tolerance"), f"the tolerance must be positive, got {tolerance:g}")
        tolerance = None
    weight = checker.number((*where, "weight"), entry["weight"]) if "weight" in entry else 1.0
    if weight is not None and weight < 0:
        checker.error((*where, "weight"), "the weight must not be negative")
        ok = False
    fields = _scalars(checker, where, entry)
    file = checker.string((*where, "observations"), entry["observations"])
    if None in (reduce, file, tolerance, info, weight) or not ok:
        return None
    observations = _observations(checker, where, file, reduce == "monthly", info, tolerance)
    if None in (observations, expression, scale, fields):
        return None
    first, last = observations.months
    start = int(str(info.start_date)[:4])
    label = (f"{start + first // 12}-{first % 12 + 1:02d}.."
             f"{start + last // 12}-{last % 12 + 1:02d}")
    return Target(name=name, expression=expression, period=Period(first, last, label,
                                                                  not observations.by_year),
                  reduce=reduce, unit=entry["unit"], scale=scale, tolerance=tolerance,
                  line=checker.document.line(where), observations=observations,
                  likelihood=likelihood, **fields)


def _observations(checker: Checker, where: YamlPath, file: str, monthly: bool,
                  info: ModelInfo, tolerance: float) -> Observations | None:
    path = Path(checker.file).parent / file
    if not path.is_file():
        checker.error((*where, "observations"), f"no such file {file!r} (relative to the "
                      f"targets file)")
        return None
    if info.start_date is None or not info.start_date.endswith("-01-01"):
        checker.error((*where, "observations"), "the model must start on 1 January (declare "
                      "'start date: YYYY-01-01' in INITIAL TIME's documentation)")
        return None
    n_months = round((info.final_time - info.initial_time) / info.time_step) + 1
    observations, problems = read_observations(
        path, path.as_posix(), by_year=not monthly, start_year=int(info.start_date[:4]),
        n_months=n_months, tolerance=tolerance)
    checker.problems.extend(problems)
    return observations


def _expression(checker: Checker, where: YamlPath, entry: Mapping[str, Any],
                info: ModelInfo | None) -> Expression | None:
    given = [k for k in ("variable", "expression") if k in entry]
    if len(given) != 1:
        checker.error(where, "give exactly one of 'variable' or 'expression'")
        return None
    key = given[0]
    text = checker.string((*where, key), entry[key])
    if text is None or info is None:
        return None
    if key == "variable":
        var = info.get(text)
        if var is None:
            options = [n for n, v in info.variables.items() if v.kind in READABLE_KINDS]
            checker.error((*where, key),
                          f"unknown model variable {text!r}{suggest(py_name(text), options)}")
            return None
        text = var.py_name
    try:
        expression = parse_expression(text, info)
    except ExpressionError as exc:
        checker.error((*where, key), str(exc))
        return None
    if expression.units is None:
        checker.error((*where, key), f"{text!r} reads no model variable")
        return None
    return expression


def _period(checker: Checker, where: YamlPath, entry: Mapping[str, Any],
            info: ModelInfo | None) -> Period | None:
    if "period" not in entry or info is None:
        return None
    if info.start_date is None or not info.start_date.endswith("-01-01"):
        checker.error((*where, "period"), "the model must start on 1 January (declare "
                      "'start date: YYYY-01-01' in INITIAL TIME's documentation)")
        return None
    n_months = round((info.final_time - info.initial_time) / info.time_step) + 1
    try:
        return parse_period(entry["period"], int(info.start_date[:4]), n_months)
    except PeriodError as exc:
        checker.error((*where, "period"), str(exc))
        return None


def _reduce(checker: Checker, where: YamlPath, entry: Mapping[str, Any]) -> str | None:
    if "reduce" not in entry:
        return None
    reduce = entry["reduce"]
    if reduce not in REDUCTIONS:
        checker.error((*where, "reduce"),
                      f"unknown reduction {reduce!r}; choose one of {', '.join(REDUCTIONS)}")
        return None
    return reduce


def _values(checker: Checker, where: YamlPath,
            entry: Mapping[str, Any]) -> tuple[float | None, ...] | None:
    """``(value, lower, upper, tolerance)`` in the target's unit, or None with problems."""
    nums = {k: checker.number((*where, k), entry[k])
            for k in ("value", "lower", "upper", "tolerance", "relative_tolerance", "weight")
            if k in entry}
    if any(v is None for v in nums.values()):
        return None
    point, bounds = "value" in nums, "lower" in nums or "upper" in nums
    if point == bounds:
        checker.error(where, "give either 'value' (a point target) or 'lower'/'upper' (bounds)")
        return None
    if "lower" in nums and "upper" in nums and nums["lower"] >= nums["upper"]:
        checker.error((*where, "lower"), "lower must be below upper")
        return None
    if ("tolerance" in nums) == ("relative_tolerance" in nums):
        checker.error(where, "give exactly one of 'tolerance' or 'relative_tolerance'")
        return None
    if "tolerance" in nums:
        tolerance = nums["tolerance"]
    else:
        reference = next(abs(nums[k]) for k in ("value", "upper", "lower") if k in nums)
        tolerance = nums["relative_tolerance"] * reference
    if tolerance <= 0:
        checker.error(where, f"the tolerance must be positive, got {tolerance:g}")
        return None
    if nums.get("weight", 1.0) < 0:
        checker.error((*where, "weight"), "the weight must not be negative")
        return None
    return nums.get("value"), nums.get("lower"), nums.get("upper"), tolerance


def reduced_units(expression: Expression, reduce: str) -> Unit:
    """The units of a reduced expression: ``annual_sum`` multiplies by ``Month/year``."""
    units = expression.units if expression.units is not None else Unit()
    return units * parse_units("Month/year") if reduce == "annual_sum" else units


def _unit_scale(checker: Checker, where: YamlPath, entry: Mapping[str, Any],
                expression: Expression | None, reduce: str | None) -> float | None:
    if "unit" not in entry:
        return None
    text = checker.string((*where, "unit"), entry["unit"])
    if text is None:
        return None
    try:
        unit = parse_units(_UNIT_ALIASES.get(text.strip(), text))
    except UnitsSyntaxError as exc:
        checker.error((*where, "unit"), str(exc))
        return None
    if expression is None or reduce is None:
        return None
    model_units = reduced_units(expression, reduce)
    if unit.powers != model_units.powers:
        checker.error((*where, "unit"), (
            f"inconsistent units: the target is in {text!r} but {expression.text} "
            f"({reduce}) is in {format_units(model_units)!r}"))
        return None
    return float(unit.scale / model_units.scale)


def _scalars(checker: Checker, where: YamlPath, entry: Mapping[str, Any]) -> dict[str, Any] | None:
    ok = True
    hard = entry.get("hard")
    if "hard" in entry and not isinstance(hard, bool):
        checker.error((*where, "hard"), f"expected true or false, got {what_is(hard)}")
        ok = False
    texts = {}
    for key in ("source", "note", "conflict"):
        if key in entry:
            texts[key] = checker.string((*where, key), entry[key])
            ok &= texts[key] is not None
    weight = entry.get("weight", 1.0)
    if not ok or "source" not in entry or not isinstance(hard, bool):
        return None
    return {"weight": float(weight) if not isinstance(weight, bool) else 1.0, "hard": hard,
            "source": texts["source"], "note": texts.get("note") or "",
            "conflict": texts.get("conflict") or ""}
