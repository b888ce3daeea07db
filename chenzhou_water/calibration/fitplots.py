"""Fit plots: every target, simulated against reported, with its tolerance band and period.

:func:`fit_series` runs the model once at the fitted values and keeps, for each target, its
simulated course in the target's own unit (month by month, or year by year for the
``annual_*`` reductions) over the calibration's span; :func:`plot_fit_series` draws one panel
per target: the simulated course, the reported figure with its tolerance band over the
target's period (a bound as a shaded region), and the observations of a time-series target
with their uncertainty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from chenzhou_water._typing import FloatArray
from chenzhou_water.calibration.objective import Objective
from chenzhou_water.calibration.targets import Target


@dataclass(frozen=True)
class TargetCourse:
    """One target's simulated course and what it was compared with.

    Attributes
    ----------
    target : Target
    time : ndarray
        Decimal years (mid-month, or mid-year for ``annual_*``).
    simulated : ndarray
        The simulated course, in the target's unit.
    period : tuple of float
        Start and end of the target's period, decimal years.
    within : bool
        The target ended within tolerance.
    """

    target: Target
    time: FloatArray
    simulated: FloatArray
    period: tuple[float, float]
    within: bool


@dataclass(frozen=True)
class FitSeries:
    """The courses of every target at the fitted values."""

    courses: tuple[TargetCourse, ...]


def fit_series(objective: Objective, x: FloatArray, within: dict[str, bool]) -> FitSeries:
    """Every target's simulated course at parameter values ``x`` (n_param,).

    ``within`` says which targets ended within tolerance (``fit["within tolerance"]``).
    """
    start_year = int(str(objective.model.info.start_date)[:4])
    arrays = objective.simulate(np.asarray(x, dtype=float)[:, None])
    courses = []
    for target in objective.targets:
        values = np.broadcast_to(np.asarray(target.expression.evaluate(arrays), dtype=float),
                                 next(iter(arrays.values())).shape)[0] / target.scale
        months = len(values)
        if target.reduce.startswith("annual_"):
            how = {"annual_mean": np.mean, "annual_sum": np.sum, "annual_max": np.max,
                   "annual_min": np.min}[target.reduce]
            whole = months // 12
            simulated = how(values[:whole * 12].reshape(whole, 12), axis=1)
            time = start_year + np.arange(whole) + 0.5
        else:
            simulated = values
            time = start_year + (np.arange(months) + 0.5) / 12
        period = (start_year + target.period.first / 12, start_year + (target.period.last + 1) / 12)
        courses.append(TargetCourse(target, time, simulated, period, within[target.name]))
    return FitSeries(tuple(courses))


def plot_target_course(course: TargetCourse, ax: Any = None) -> Any:
    """One target's panel (see the module); returns the Axes."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(layout="constrained")
    target = course.target
    ax.plot(course.time, course.simulated, color="#1f4e79", lw=1.2, label="simulated")
    lo_t, hi_t = course.period
    band = dict(color="#e2f0d9" if course.within else "#f8cbad", zorder=0)
    if target.observations is not None:
        obs, start = target.observations, int(np.floor(course.time[0]))
        t = (start + obs.index + 0.5 if obs.by_year else start + (obs.index + 0.5) / 12)
        ax.errorbar(t, obs.values, yerr=obs.sd, fmt="o", ms=3, color="black", lw=0.8,
                    label="observed ± sd")
        ax.axvspan(lo_t, hi_t, alpha=0.4, **band)
    elif target.value is not None:
        ax.fill_between([lo_t, hi_t], target.value - target.tolerance,
                        target.value + target.tolerance, label="reported ± tolerance", **band)
        ax.hlines(target.value, lo_t, hi_t, color="black", lw=1.5)
    else:
        low = target.lower if target.lower is not None else ax.get_ylim()[0]
        high = target.upper if target.upper is not None else ax.get_ylim()[1]
        ax.fill_between([lo_t, hi_t], low, high, label="reported bound", **band)
    ax.set_xlim(course.time[0] - 0.5, course.time[-1] + 0.5)
    kind = "hard" if target.hard else "soft"
    mark = "" if course.within else "  MISSED"
    ax.set_title(f"{target.name} ({kind}){mark}", fontsize=8,
                 color="black" if course.within else "#c00000")
    ax.set_ylabel(f"{target.reduce} [{target.unit}]", fontsize=7)
    ax.tick_params(labelsize=7)
    return ax


def plot_fit_series(series: FitSeries, columns: int = 4) -> Any:
    """Every target's panel in one Figure; returns the Figure."""
    import matplotlib.pyplot as plt

    n = len(series.courses)
    rows = int(np.ceil(n / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.4 * rows),
                             layout="constrained", squeeze=False)
    for ax, course in zip(axes.flat, series.courses, strict=False):
        plot_target_course(course, ax=ax)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    fig.suptitle("Calibration fit: simulated (line) against reported (band: tolerance over "
                 "the target's period; green met, red missed)", fontsize=9)
    return fig
