"""Assumptions of the Dongjiang inflow generator: the ``inflow:`` section of a sweep file.

``InflowConfig`` and its two drought settings are frozen dataclasses that check their own values
on construction; ``InflowConfig.from_mapping`` builds one from a YAML mapping and reports every
problem in it at once, each with its YAML path. Where the default figures come from is explained
in :mod:`chenzhou_water.hydrology.generator`.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from chenzhou_water.errors import ModelError, Problem, ValidationError
from chenzhou_water.model.metadata import model_info
from chenzhou_water.schema.checker import Checker, YamlDocument, YamlPath, format_path

START_YEAR = 2015
END_YEAR = 2050
MONTHS = 12 * (END_YEAR - START_YEAR + 1)  # 432; month index 0 = January 2015

DEFAULT_MEAN_ANNUAL_RUNOFF = 4.54e9
"""m³/yr; docs/sources.md (144 m³/s mean flow; the other published figure is 4.48e9)."""

# Assumptions (docs/sources.md: not published); January first. See the hydrology module docstring.
# The shares are those of the Vensim model's lookup ``inflow seasonal share``; a test checks
# that the two agree.
DEFAULT_SEASONAL_SHARES: tuple[float, ...] = (
    0.035, 0.045, 0.075, 0.120, 0.155, 0.165, 0.115, 0.085, 0.070, 0.055, 0.045, 0.035,
)  # fmt: skip
DEFAULT_MONTHLY_CV: tuple[float, ...] = (
    0.45, 0.50, 0.50, 0.45, 0.40, 0.45, 0.55, 0.60, 0.65, 0.65, 0.60, 0.50,
)  # fmt: skip
DEFAULT_LAG1_CORRELATION: tuple[float, ...] = (
    0.75, 0.65, 0.50, 0.45, 0.40, 0.40, 0.45, 0.45, 0.50, 0.55, 0.65, 0.75,
)  # fmt: skip

SHARE_SUM_TOLERANCE = 1e-6
MAX_MONTHLY_CV = 3.0


SEASONAL_SHARE_LOOKUP = "inflow seasonal share"
"""Name of the Vensim lookup holding the 12 monthly shares of the annual runoff."""

MEAN_ANNUAL_RUNOFF_CONSTANT = "mean annual runoff"
"""Name of the Vensim constant holding the mean annual runoff, m³/yr."""

def seasonal_shares_from_model(model: str | Path) -> tuple[float, ...]:
    """The monthly inflow shares the Vensim model uses for its deterministic inflow.

    Parameters
    ----------
    model : str or Path
        The Vensim ``.mdl`` file. Its lookup ``inflow seasonal share`` must hold 12 fractions of
        the annual runoff, January first, summing to 1.

    Returns
    -------
    tuple of float
        The 12 shares, dimensionless.

    Raises
    ------
    ModelError
        If the model cannot be read, lacks the lookup, or the lookup is not 12 positive
        fractions summing to 1.
    """
    variable = model_info(model).get(SEASONAL_SHARE_LOOKUP)
    if variable is None or variable.kind != "lookup":
        raise ModelError(f"{model}: the model has no lookup named '{SEASONAL_SHARE_LOOKUP}'")
    shares = tuple(float(v) for v in variable.lookup_y)
    if len(shares) != 12 or min(shares) <= 0:
        raise ModelError(
            f"{model}: '{SEASONAL_SHARE_LOOKUP}' must hold 12 positive monthly shares, "
            f"found {len(shares)} values"
        )
    if abs(sum(shares) - 1.0) > SHARE_SUM_TOLERANCE:
        raise ModelError(
            f"{model}: '{SEASONAL_SHARE_LOOKUP}' must sum to 1, it sums to {sum(shares):.6f}"
        )
    return shares


def mean_annual_runoff_from_model(model: str | Path) -> float | None:
    """The model's constant ``mean annual runoff`` in m³/yr, or None if it has none."""
    variable = model_info(model).get(MEAN_ANNUAL_RUNOFF_CONSTANT)
    if variable is None or variable.kind != "constant" or variable.value is None:
        return None
    return variable.value



Found = list[tuple[YamlPath, str]]  # (path, message) pairs, relative to one dataclass


@dataclass(frozen=True)
class DroughtEvent:
    """A 2022-type seasonal drought: inflow cut for some months of chosen or random years.

    Attributes
    ----------
    years : tuple of int
        Calendar years in which the event happens in every member.
    annual_probability : float
        Probability, in [0, 1], that the event happens in any other year, drawn per member.
    multiplier : float
        Inflow multiplier during the event, in (0, 1]. Default 0.3: rainfall in Chenzhou after
        8 July 2022 was more than 70 % below normal (docs/sources.md).
    first_month, last_month : int
        Calendar months (1 = January) of the event, inclusive. Default July-December.
    """

    years: tuple[int, ...] = ()
    annual_probability: float = 0.0
    multiplier: float = 0.3
    first_month: int = 7
    last_month: int = 12

    def __post_init__(self) -> None:
        found = _normalise(self) + _event_problems(self)
        found += _range(("first_month",), self.first_month, 1, 12, "[]", integer=True)
        found += _range(("last_month",), self.last_month, 1, 12, "[]", integer=True)
        if not found and self.first_month > self.last_month:
            found.append(
                (("last_month",), f"{self.last_month} is before first_month {self.first_month}; "
                 "an event cannot run over the turn of the year")
            )  # fmt: skip
        _raise_if(found, self)


@dataclass(frozen=True)
class MultiYearDrought:
    """A run of dry years with one inflow multiplier.

    Attributes
    ----------
    years : tuple of int
        First years of runs that happen in every member.
    annual_probability : float
        Probability, in [0, 1], that a run starts in any year, drawn per member.
    multiplier : float
        Inflow multiplier in every month of the run, in (0, 1]. Default 0.75 (an assumption).
    length_years : int
        Length of each run in years (runs are cut at December 2050), >= 1.
    """

    years: tuple[int, ...] = ()
    annual_probability: float = 0.0
    multiplier: float = 0.75
    length_years: int = 3

    def __post_init__(self) -> None:
        found = _normalise(self) + _event_problems(self)
        found += _range(("length_years",), self.length_years, 1, END_YEAR - START_YEAR + 1, "[]",
                        integer=True)  # fmt: skip
        _raise_if(found, self)


@dataclass(frozen=True)
class InflowConfig:
    """Assumptions of the stochastic Dongjiang inflow.

    Attributes
    ----------
    mean_annual_runoff : float
        Long-run mean natural inflow, m³/yr, > 0.
    seasonal_shares : tuple of 12 float
        Fraction of the annual runoff in each calendar month, January first; positive, summing
        to 1 (within 1e-6).
    monthly_cv : tuple of 12 float
        Coefficient of variation of each calendar month's inflow, in [0, 3].
    lag1_correlation : tuple of 12 float
        Correlation of log inflow in each calendar month with the month before, in (-1, 1).
    trend_by_2050 : float
        Fractional change of the mean inflow reached in December 2050, in (-1, 1]; e.g. -0.1.
    trend_start_year : int
        Year from whose January the trend ramps linearly, 2015-2050.
    drought_2022 : DroughtEvent
        2022-type seasonal droughts.
    multiyear_drought : MultiYearDrought
        Multi-year droughts.
    """

    mean_annual_runoff: float = DEFAULT_MEAN_ANNUAL_RUNOFF
    seasonal_shares: tuple[float, ...] = DEFAULT_SEASONAL_SHARES
    monthly_cv: tuple[float, ...] = DEFAULT_MONTHLY_CV
    lag1_correlation: tuple[float, ...] = DEFAULT_LAG1_CORRELATION
    trend_by_2050: float = 0.0
    trend_start_year: int = START_YEAR
    drought_2022: DroughtEvent = field(default_factory=DroughtEvent)
    multiyear_drought: MultiYearDrought = field(default_factory=MultiYearDrought)

    def __post_init__(self) -> None:
        found = _normalise(self)
        found += _range(("mean_annual_runoff",), self.mean_annual_runoff, 0, math.inf, "(]")
        found += _monthly("seasonal_shares", self.seasonal_shares, 0, 1, "(]")
        if len(self.seasonal_shares) == 12 and abs(sum(self.seasonal_shares) - 1) > (
            SHARE_SUM_TOLERANCE
        ):
            total = sum(self.seasonal_shares)
            found.append((("seasonal_shares",), f"the 12 shares sum to {total:.6g}, not 1"))
        found += _monthly("monthly_cv", self.monthly_cv, 0, MAX_MONTHLY_CV, "[]")
        found += _monthly("lag1_correlation", self.lag1_correlation, -1, 1, "()")
        found += _range(("trend_by_2050",), self.trend_by_2050, -1, 1, "(]")
        found += _range(
            ("trend_start_year",), self.trend_start_year, START_YEAR, END_YEAR, "[]", integer=True
        )
        _raise_if(found, self)

    @property
    def has_droughts(self) -> bool:
        """Whether any drought can happen in any member."""
        return any(
            d.years or d.annual_probability > 0 for d in (self.drought_2022, self.multiyear_drought)
        )

    @classmethod
    def from_model(cls, model: str | Path, **overrides: Any) -> InflowConfig:
        """The default config with the Vensim model's seasonal shares and mean annual runoff.

        Parameters
        ----------
        model : str or Path
            The Vensim ``.mdl`` file (see :func:`seasonal_shares_from_model`). Its constant
            ``mean annual runoff`` (m³/yr) is used when present.
        **overrides
            Attribute values that take precedence over the model's.
        """
        overrides.setdefault("seasonal_shares", seasonal_shares_from_model(model))
        runoff = mean_annual_runoff_from_model(model)
        if runoff is not None:
            overrides.setdefault("mean_annual_runoff", runoff)
        return cls(**overrides)

    @classmethod
    def from_mapping(
        cls,
        mapping: Any,
        *,
        checker: Checker | None = None,
        where: YamlPath = ("inflow",),
        file: str = "<mapping>",
        model: str | Path | None = None,
    ) -> InflowConfig | None:
        """Build a config from a YAML mapping (a sweep file's ``inflow:`` section).

        Parameters
        ----------
        mapping : mapping
            Keys are the attribute names; ``drought_2022`` and ``multiyear_drought`` are nested
            mappings. ``monthly_cv`` and ``lag1_correlation`` may be one number for all months.
            Omitted keys take their defaults. Numbers may be strings such as ``"4.54e9"``
            (PyYAML reads exponents without a dot as strings).
        checker : Checker, optional
            The checker of the file the mapping is in: problems are recorded on it, located by
            line, and None is returned. Without one, problems are raised.
        where : tuple
            The YAML path of ``mapping`` in the file.
        file : str
            The file name used in problem messages when no ``checker`` is given.
        model : str or Path, optional
            A Vensim model whose seasonal shares and mean annual runoff are the defaults instead
            of the module's (see ``from_model``).

        Returns
        -------
        InflowConfig or None
            None when problems were recorded on ``checker``.

        Raises
        ------
        ValidationError
            Without a ``checker``: listing every problem found, each with its YAML path.
        """
        own = checker is None
        checker = Checker(YamlDocument(file, mapping)) if checker is None else checker
        before = len(checker.problems)
        defaults = cls.from_model(model) if model is not None else cls()
        values = _parse(cls, mapping, checker, where)
        for name, kind in (("drought_2022", DroughtEvent), ("multiyear_drought", MultiYearDrought)):
            if name in values:
                path = (*where, name)
                values[name] = _build(kind, _parse(kind, values[name], checker, path),
                                      checker, path, kind())
        config = _build(cls, values, checker, where, defaults)
        if config is not None and model is not None and "mean_annual_runoff" in values:
            _check_model_range(checker, (*where, "mean_annual_runoff"),
                               config.mean_annual_runoff, model, MEAN_ANNUAL_RUNOFF_CONSTANT)
        if own:
            checker.raise_if_problems()
        return None if len(checker.problems) > before else config


def _check_model_range(checker: Checker, path: YamlPath, value: float, model: str | Path,
                       constant: str) -> None:
    """Record ``value`` outside the declared range of the model's ``constant`` (if declared)."""
    variable = model_info(model).get(constant)
    if variable is not None:
        checker.in_range(path, value, *variable.limits,
                         what=f"the range of the model's {variable.name!r}")


# --- parsing a mapping ------------------------------------------------------------------------


def _parse(kind: type, mapping: Any, checker: Checker, where: YamlPath) -> dict[str, Any]:
    """Convert a YAML mapping into constructor arguments of ``kind``, recording type problems."""
    if mapping is None:
        return {}
    if not isinstance(mapping, Mapping):
        checker.error(where, f"expected a mapping, got {_shown(mapping)}")
        return {}
    names = [f.name for f in fields(kind)]
    values: dict[str, Any] = {}
    for key, raw in mapping.items():
        path = (*where, key)
        if key not in names:
            checker.error(path, _unknown_key(str(key), names))
            continue
        converter = _CONVERTERS.get(key, _number)
        try:
            values[key] = converter(raw)
        except (TypeError, ValueError) as exc:
            checker.error(path, str(exc))
    return values


def _build(
    kind: type, values: dict[str, Any], checker: Checker, where: YamlPath, fallback: Any
) -> Any:
    """Construct ``kind(**values)``; on failure record its problems and return ``fallback``."""
    try:
        return kind(**{**_fields_of(fallback), **values})
    except _ConfigProblems as exc:
        for path, message in exc.found:
            checker.error((*where, *path), message)
        return fallback


def _fields_of(instance: Any) -> dict[str, Any]:
    return {f.name: getattr(instance, f.name) for f in fields(instance)}


def _unknown_key(key: str, names: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, names, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f"; valid keys: {', '.join(names)}"
    return f"unknown key '{key}'{hint}"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _number(raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise TypeError(f"expected a number, got {_shown(raw)}")
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"expected a number, got {_shown(raw)}") from None


def _integer(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise TypeError(f"expected a whole number, got {_shown(raw)}")
    return raw


def _monthly_values(raw: Any) -> tuple[float, ...]:
    if isinstance(raw, int | float | str) and not isinstance(raw, bool):
        return (_number(raw),) * 12
    return _number_list(raw)


def _number_list(raw: Any) -> tuple[float, ...]:
    if not isinstance(raw, list | tuple):
        raise TypeError(f"expected a list of 12 numbers, got {_shown(raw)}")
    return tuple(_number(v) for v in raw)


def _year_list(raw: Any) -> tuple[int, ...]:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return (raw,)
    if not isinstance(raw, list | tuple):
        raise TypeError(f"expected a year or a list of years, got {_shown(raw)}")
    return tuple(_integer(v) for v in raw)


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "seasonal_shares": _number_list,
    "monthly_cv": _monthly_values,
    "lag1_correlation": _monthly_values,
    "trend_start_year": _integer,
    "years": _year_list,
    "first_month": _integer,
    "last_month": _integer,
    "length_years": _integer,
    "drought_2022": lambda raw: raw,
    "multiyear_drought": lambda raw: raw,
}


# --- checking values --------------------------------------------------------------------------


def _normalise(instance: Any) -> Found:
    """Turn sequences into tuples of float or int on a frozen dataclass; report bad types."""
    found: Found = []
    for f in fields(instance):
        value = getattr(instance, f.name)
        if f.name == "years":
            if isinstance(value, int):
                value = (value,)
            ok = isinstance(value, Sequence) and all(
                isinstance(v, int) and not isinstance(v, bool) for v in value
            )
            if not ok:
                found.append(((f.name,), f"expected a list of years, got {_shown(value)}"))
                continue
            object.__setattr__(instance, f.name, tuple(int(v) for v in value))
        elif f.name in _MONTHLY:
            try:
                object.__setattr__(instance, f.name, tuple(float(v) for v in value))
            except (TypeError, ValueError):
                found.append(((f.name,), f"expected a list of 12 numbers, got {_shown(value)}"))
    return found


_MONTHLY = ("seasonal_shares", "monthly_cv", "lag1_correlation")


def _event_problems(event: DroughtEvent | MultiYearDrought) -> Found:
    found: Found = []
    years = event.years if isinstance(event.years, tuple) else ()
    if not all(isinstance(year, int) for year in years):
        years = ()  # already reported by _normalise
    for i, year in enumerate(years):
        found += _range(("years", i), year, START_YEAR, END_YEAR, "[]", integer=True)
    found += _range(("annual_probability",), event.annual_probability, 0, 1, "[]")
    found += _range(("multiplier",), event.multiplier, 0, 1, "(]")
    return found


def _monthly(name: str, values: Any, low: float, high: float, ends: str) -> Found:
    if not isinstance(values, tuple):
        return []  # already reported by _normalise
    if len(values) != 12:
        return [((name,), f"expected 12 monthly values (January first), got {len(values)}")]
    found: Found = []
    for i, value in enumerate(values):
        found += _range((name, i), value, low, high, ends)
    return found


def _range(
    where: YamlPath, value: Any, low: float, high: float, ends: str, *, integer: bool = False
) -> Found:
    """Check ``value`` is a finite number in the interval ``ends[0] low, high ends[1]``."""
    allowed = int if integer else int | float
    if isinstance(value, bool) or not isinstance(value, allowed):
        expected = "a whole number" if integer else "a number"
        return [(where, f"expected {expected}, got {_shown(value)}")]
    above_low = value >= low if ends[0] == "[" else value > low
    below_high = value <= high if ends[1] == "]" else value < high
    if math.isfinite(value) and above_low and below_high:
        return []
    bounds = f"{ends[0]}{low:g}, {high:g}{ends[1]}"
    return [(where, f"{value:g} is outside the valid range {bounds}")]


class _ConfigProblems(ValidationError):
    """The problems of a directly constructed config, keeping their paths for relocation."""

    def __init__(self, found: Found, file: str):
        super().__init__([Problem(file, format_path(where), message) for where, message in found])
        self.found = found


def _raise_if(found: Found, instance: Any) -> None:
    """Raise the problems found in a directly constructed ``instance``, if any.

    Their "file" is ``<ClassName>``; ``from_mapping`` records them under the YAML path of the
    mapping instead, on the checker of the file.
    """
    if found:
        raise _ConfigProblems(found, f"<{type(instance).__name__}>")
