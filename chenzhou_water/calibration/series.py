"""Time-series targets: a CSV of observations of a model variable, its likelihood and the fit
statistics modellers expect.

A targets file names the CSV (relative to itself) in place of ``value``/``lower``/``upper``::

    production_monthly:
      observations: observations/urban_water_production.csv
      variable: urban_water_production      # any model variable (or an expression)
      reduce: monthly                       # monthly: times 'YYYY-MM'; annual_*: times 'YYYY'
      unit: 1000*m3/Day                     # the unit of the CSV's values
      tolerance: 5                          # sd of rows without an uncertainty
      likelihood: normal                    # the only one: see LIKELIHOODS
      hard: false
      source: ...

The CSV (UTF-8, comma-separated, a header row) has the columns ``time`` and ``value`` and
optionally ``uncertainty`` (one standard deviation, in the target's unit; empty: the target's
tolerance). Each row is one month (``2019-03``) or one calendar year (``2019``), inside the
model's run; times must not repeat. Every problem is reported with the CSV's file, line and
column.

**Likelihood** (``normal``): independent Gaussian errors, ``-2 log L = sum(z_i**2)`` with
``z_i = (simulated_i - observed_i) / sd_i``; the target adds ``weight * sum(z_i**2)`` to the
misfit, so a series of n points weighs like n reported figures (set ``weight: 0.1`` to count
ten months as one figure). The series is "within tolerance" when the root mean square of its
``z_i`` is at most 1; ``fit.csv`` gives that (signed with the mean error) as ``z``.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chenzhou_water._typing import FloatArray
from chenzhou_water.errors import Problem

#: The likelihoods a time-series target may state.
LIKELIHOODS = {"normal": "independent Gaussian errors; sd = the row's uncertainty, else the "
                         "target's tolerance"}
#: Columns ``fit.csv`` gains for time-series targets (empty for the other targets).
SERIES_STATISTICS = ("n_obs", "NSE", "KGE", "PBIAS", "RMSE")
COLUMNS = ("time", "value", "uncertainty")
_REQUIRED = ("time", "value")


@dataclass(frozen=True)
class Observations:
    """The rows of one observations CSV, in the target's unit.

    Attributes
    ----------
    file : str
        The CSV as named in the targets file.
    index : ndarray of int
        Month index of each row (monthly) or year index (annual, 0 = the model's first year).
    values, sd : ndarray
        Observed values and their standard deviations.
    by_year : bool
        True for yearly rows (compared with an ``annual_*`` reduction).
    """

    file: str
    index: np.ndarray
    values: FloatArray
    sd: FloatArray
    by_year: bool

    @property
    def months(self) -> tuple[int, int]:
        """First and last model month the rows cover."""
        if self.by_year:
            return int(self.index.min()) * 12, int(self.index.max()) * 12 + 11
        return int(self.index.min()), int(self.index.max())


def read_observations(path: Path, shown: str, *, by_year: bool, start_year: int,
                      n_months: int, tolerance: float) -> tuple[Observations | None,
                                                                list[Problem]]:
    """Read and check an observations CSV; return it (or None) and every problem found."""
    problems: list[Problem] = []

    def problem(line: int | None, where: str, message: str) -> None:
        problems.append(Problem(shown, where, message, line))

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        problem(None, "", f"cannot read the observations file: {exc}")
        return None, problems
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        problem(1, "", "empty file; expected a header row 'time,value[,uncertainty]'")
        return None, problems
    header = [h.strip() for h in rows[0]]
    for name in header:
        if name not in COLUMNS:
            problem(1, f"column {name!r}", f"unknown column; the columns are "
                    f"{', '.join(COLUMNS)} (uncertainty optional)")
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        problem(1, "", f"missing column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(repr(m) for m in missing)}; the header must name time, value "
                f"and optionally uncertainty")
    if problems:
        return None, problems
    col = {name: header.index(name) for name in header}
    index, values, sd = [], [], []
    seen: dict[int, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {name: (row[i].strip() if i < len(row) else "") for name, i in col.items()}
        at = _time(cells["time"], by_year, start_year, n_months, line, problem)
        value = _number(cells["value"], "value", line, problem)
        spread = tolerance
        if cells.get("uncertainty"):
            spread = _number(cells["uncertainty"], "uncertainty", line, problem)
            if spread is not None and spread <= 0:
                problem(line, "column 'uncertainty'", f"{spread:g} is not positive")
                spread = None
        if at is not None and at in seen:
            problem(line, "column 'time'", f"{cells['time']} repeats line {seen[at]}")
        elif at is not None:
            seen[at] = line
        if None not in (at, value, spread):
            index.append(at)
            values.append(value)
            sd.append(spread)
    if not seen and not problems:
        problem(2, "", "no observations: the file has a header but no rows")
    if problems:
        return None, problems
    order = np.argsort(index)
    return Observations(shown, np.asarray(index)[order], np.asarray(values, dtype=float)[order],
                        np.asarray(sd, dtype=float)[order], by_year), problems


def _time(text: str, by_year: bool, start_year: int, n_months: int, line: int,
          problem) -> int | None:  # type: ignore[no-untyped-def]
    last_year = start_year + (n_months - 1) // 12
    try:
        if by_year:
            year = int(text)
            index = year - start_year
            ok = 0 <= index * 12 and index * 12 + 11 < n_months
        else:
            year_text, month_text = text.split("-")
            year, month = int(year_text), int(month_text)
            if not 1 <= month <= 12:
                raise ValueError
            index = (year - start_year) * 12 + month - 1
            ok = 0 <= index < n_months
    except ValueError:
        form = "a year such as 2019 (the target's reduction is annual)" if by_year else \
            "a month such as 2019-03 (the target's reduction is monthly)"
        problem(line, "column 'time'", f"{text!r} is not {form}")
        return None
    if not ok:
        problem(line, "column 'time'", f"{text} is outside the model's run "
                f"({start_year}-01 to {last_year}-{(n_months - 1) % 12 + 1:02d})")
        return None
    return index


def _number(text: str, column: str, line: int,
            problem) -> float | None:  # type: ignore[no-untyped-def]
    try:
        value = float(text)
    except ValueError:
        problem(line, f"column {column!r}", f"{text!r} is not a number")
        return None
    if not math.isfinite(value):
        problem(line, f"column {column!r}", f"{text!r} is not a finite number")
        return None
    return value


def statistics(simulated: FloatArray, observed: FloatArray) -> dict[str, float]:
    """NSE, KGE (Gupta et al. 2009), PBIAS (%, positive: the model is high) and RMSE.

    ``simulated`` and ``observed`` are 1-D, paired, in the same unit. NSE and KGE are NaN
    when the observations do not vary (their variance is the denominator).
    """
    sim, obs = np.asarray(simulated, dtype=float), np.asarray(observed, dtype=float)
    residual = sim - obs
    obs_var = float(np.sum((obs - obs.mean()) ** 2))
    nse = 1.0 - float(np.sum(residual**2)) / obs_var if obs_var > 0 else float("nan")
    if obs.std() > 0 and sim.std() > 0 and obs.mean() != 0:
        r = float(np.corrcoef(sim, obs)[0, 1])
        alpha = float(sim.std() / obs.std())
        beta = float(sim.mean() / obs.mean())
        kge = 1.0 - math.sqrt((r - 1) ** 2 + (alpha - 1) ** 2 + (beta - 1) ** 2)
    else:
        kge = float("nan")
    pbias = 100.0 * float(residual.sum() / obs.sum()) if obs.sum() != 0 else float("nan")
    return {"n_obs": float(len(obs)), "NSE": nse, "KGE": kge, "PBIAS": pbias,
            "RMSE": float(np.sqrt(np.mean(residual**2)))}
