"""A monthly table from a CSV file (``year,month,<value>``), checked row by row.

Used for observed or designed series that replace a model variable, such as the Dongjiang
reservoir's inflow. The rules, each reported with the file and line:

- The first line is the header ``year,month,<column>``, where ``<column>`` names the quantity
  and its unit (for the inflow ``inflow_m3``: m³ in the month). A header whose last column
  names another unit (``inflow_hm3``, ``inflow_m3s``) is an error that says which unit the
  table must be in.
- Every later non-blank line is one month: a whole ``year``, a ``month`` 1-12 and a finite,
  non-negative number (no thousands separators).
- Each month of the run appears exactly once; a month outside the run, a repeated month and a
  missing month are errors (missing months are listed as ranges).

Every problem of the file is collected and returned at once.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chenzhou_water._typing import FloatArray
from chenzhou_water.errors import Problem

__all__ = ["MonthlyTable", "read_monthly_table"]

_MAX_PROBLEMS = 20  # then one line saying how many more; a wrong file should not flood


@dataclass(frozen=True)
class MonthlyTable:
    """What a table file says: one value per month of the run.

    Attributes
    ----------
    values : ndarray, shape (months,)
        In the column's unit, the run's first month first.
    problems : tuple of Problem
        Everything wrong with the file; ``values`` is meaningless when there are any.
    """

    values: FloatArray
    problems: tuple[Problem, ...]


def read_monthly_table(
    path: Path, shown: str, *, column: str, unit: str, first_year: int, months: int
) -> MonthlyTable:
    """Read and check a monthly CSV table covering the run exactly.

    Parameters
    ----------
    path : Path
        The file.
    shown : str
        The file's name as messages show it.
    column : str
        The required name of the value column, for example ``inflow_m3``.
    unit : str
        The value column's unit in words, for messages (``m³ in the month``).
    first_year : int
        Calendar year of the run's first month (January).
    months : int
        Number of months in the run.

    Returns
    -------
    MonthlyTable
        The values and every problem found (file and line in each).
    """
    values = np.full(months, np.nan)
    problems: list[Problem] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(shown, "", f"cannot read the file: {exc}"))
        return MonthlyTable(values, tuple(problems))
    rows = [(n, row) for n, row in enumerate(csv.reader(text.splitlines()), start=1)
            if any(cell.strip() for cell in row)]  # fmt: skip
    if not rows:
        problems.append(Problem(shown, "", f"the file is empty; expected the header "
                                f"'year,month,{column}' and one line per month"))
        return MonthlyTable(values, tuple(problems))
    header_line, header = rows[0]
    header_problem = _header_problem(header, column, unit)
    if header_problem:
        problems.append(Problem(shown, "header", header_problem, header_line))
        return MonthlyTable(values, tuple(problems))
    last_year = first_year + (months - 1) // 12
    first_seen: dict[int, int] = {}
    for line, row in rows[1:]:
        index, value, message = _parse_row(row, column, first_year, last_year, months)
        if message:
            problems.append(Problem(shown, "", message, line))
            continue
        if index in first_seen:
            problems.append(Problem(shown, "", f"{_month_label(index, first_year)} is given "
                                    f"twice (first on line {first_seen[index]})", line))
            continue
        first_seen[index] = line
        values[index] = value
    if not problems:
        missing = [i for i in range(months) if i not in first_seen]
        if missing:
            problems.append(Problem(shown, "", _missing_message(missing, first_year, months)))
    if len(problems) > _MAX_PROBLEMS:
        more = len(problems) - _MAX_PROBLEMS
        problems = [*problems[:_MAX_PROBLEMS], Problem(shown, "", f"... and {more} more")]
    return MonthlyTable(values, tuple(problems))


def _header_problem(header: list[str], column: str, unit: str) -> str:
    cells = [cell.strip() for cell in header]
    expected = f"'year,month,{column}'"
    if cells == ["year", "month", column]:
        return ""
    if len(cells) == 3 and cells[:2] == ["year", "month"]:
        return (f"the value column is {cells[2]!r}; the table must be in {unit}, with the "
                f"header {expected}")
    return f"expected the header {expected} ({unit}), got {','.join(cells)!r}"


def _parse_row(
    row: list[str], column: str, first_year: int, last_year: int, months: int
) -> tuple[int, float, str]:
    """(month index, value, problem) of one data row; the problem is "" when the row is valid."""
    if len(row) != 3:
        return 0, 0.0, f"expected 3 values (year, month, {column}), got {len(row)}"
    year_text, month_text, value_text = (cell.strip() for cell in row)
    try:
        year, month = int(year_text), int(month_text)
    except ValueError:
        return 0, 0.0, f"year and month must be whole numbers, got {year_text!r}, {month_text!r}"
    if not 1 <= month <= 12:
        return 0, 0.0, f"month {month} is outside 1-12"
    try:
        value = float(value_text)
    except ValueError:
        return 0, 0.0, f"{column} must be a number, got {value_text!r}"
    if not math.isfinite(value) or value < 0:
        return 0, 0.0, f"{column} must be a finite number >= 0, got {value_text}"
    index = 12 * (year - first_year) + month - 1
    if not 0 <= index < months:
        return 0, 0.0, (f"{year}-{month:02d} is outside the run "
                        f"(January {first_year} to December {last_year})")
    return index, value, ""


def _month_label(index: int, first_year: int) -> str:
    return f"{first_year + index // 12}-{index % 12 + 1:02d}"


def _missing_message(missing: list[int], first_year: int, months: int) -> str:
    spans: list[str] = []
    start = previous = missing[0]
    for index in [*missing[1:], None]:
        if index is not None and index == previous + 1:
            previous = index
            continue
        label = _month_label(start, first_year)
        spans.append(label if start == previous else f"{label} to "
                     f"{_month_label(previous, first_year)}")
        if index is not None:
            start = previous = index
    return (f"{len(missing)} of the run's {months} months are missing: {', '.join(spans[:10])}"
            + (" ..." if len(spans) > 10 else "") + "; give every month exactly once")
