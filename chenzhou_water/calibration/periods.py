"""Periods of calibration targets: a year, a range of years, a month or a range of months.

Written in a targets file as ``2020``, ``[2017, 2024]``, ``"2018-10"`` or
``["2018-06", "2018-08"]`` (both ends included). Internally a period is a pair of month
indices counted from the model's start (January 2015 is month 0).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_YEAR_RANGE = re.compile(r"^(\d{4})\s*(?:-|\.\.)\s*(\d{4})$")


class PeriodError(ValueError):
    """A period cannot be read or lies outside the model's time span."""


@dataclass(frozen=True)
class Period:
    """Months ``first`` to ``last`` (inclusive), counted from the model's first month.

    Attributes
    ----------
    first, last : int
        Month indices; ``start_year``/``start_month`` say which calendar month index 0 is.
    label : str
        The period as a person writes it: ``2020``, ``2017-2024``, ``2018-10``.
    by_year : bool
        True when the period was given in whole years.
    """

    first: int
    last: int
    label: str
    by_year: bool


def parse_period(value: Any, start_year: int, n_months: int) -> Period:
    """Read a period from a targets file; raise :class:`PeriodError` saying what is valid."""
    if isinstance(value, bool):
        raise PeriodError(f"expected a year or a month, got {value!r}")
    if isinstance(value, int):
        return _years(value, value, str(value), start_year, n_months)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit() and len(text) == 4:
            return _years(int(text), int(text), text, start_year, n_months)
        match = _YEAR_RANGE.match(text)
        if match:
            y0, y1 = int(match.group(1)), int(match.group(2))
            return _years(y0, y1, f"{y0}-{y1}", start_year, n_months)
        month = _month(text, start_year)
        return _check(Period(month, month, text, False), n_months, start_year)
    if isinstance(value, list | tuple) and len(value) == 2:
        a, b = value
        if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return _years(a, b, f"{a}-{b}", start_year, n_months)
        if all(isinstance(v, str) for v in value):
            first, last = _month(a, start_year), _month(b, start_year)
            return _check(Period(first, last, f"{a}..{b}", False), n_months, start_year)
    raise PeriodError(
        f"expected a year (2020), a range of years ([2017, 2024]), a month ('2018-10') or a "
        f"range of months (['2018-06', '2018-08']), got {value!r}"
    )


def _years(y0: int, y1: int, label: str, start_year: int, n_months: int) -> Period:
    return _check(Period((y0 - start_year) * 12, (y1 - start_year) * 12 + 11, label, True),
                  n_months, start_year)


def _month(text: str, start_year: int) -> int:
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise PeriodError(f"{text!r} is not a month: write it as 'YYYY-MM', e.g. '2018-10'")
    return (int(match.group(1)) - start_year) * 12 + int(match.group(2)) - 1


def _check(period: Period, n_months: int, start_year: int) -> Period:
    if period.last < period.first:
        raise PeriodError(f"{period.label}: the period ends before it starts")
    if period.first < 0 or period.last >= n_months:
        end = start_year + (n_months - 1) // 12
        raise PeriodError(
            f"{period.label} is outside the model's time span ({start_year} to {end})"
        )
    return period


def month_years(n_months: int, start_year: int) -> np.ndarray:
    """The calendar year of each month index ``0 .. n_months - 1``."""
    return start_year + np.arange(n_months) // 12
