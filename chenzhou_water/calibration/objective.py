"""The calibration objective: a whole population of parameter vectors in one engine pass.

For parameter vectors ``X`` of shape (n_param, n) the engine runs n members at once, up to the
last month any target needs. Each target's error is scaled by its tolerance, ``z = error /
tolerance``; the misfit is ``sum(weight * z**2)``. A bound contributes only when it is violated
(a one-sided penalty, at its worst year or month). A hard target outside its tolerance adds
``HARD_PENALTY * (|z| - 1)**2`` so the fit keeps it inside. Read as a likelihood, the misfit is
``-2 log L`` with the tolerance as the standard deviation; the priors add ``-2 log p``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from chenzhou_water._typing import FloatArray
from chenzhou_water.calibration.parameters import ParameterSet
from chenzhou_water.calibration.targets import Target, TargetSet
from chenzhou_water.errors import ModelError

#: Extra weight on the part of a hard target's error beyond its tolerance.
HARD_PENALTY = 100.0
#: Objective value given to members whose simulation produced NaN or inf.
FAILED_MEMBER = 1e12


@dataclass(frozen=True)
class Evaluation:
    """Every target evaluated for n members (arrays of shape (n_target, n)).

    Attributes
    ----------
    simulated : ndarray
        The simulated figure in the target's unit (for a bound, the worst year or month).
    error : ndarray
        Simulated minus reported (for a bound: the violation, 0 inside the bound).
    z : ndarray
        ``error / tolerance``.
    contribution : ndarray
        Each target's part of the misfit.
    misfit : ndarray, shape (n,)
        The sum of the contributions.
    """

    simulated: FloatArray
    error: FloatArray
    z: FloatArray
    contribution: FloatArray
    misfit: FloatArray


def target_values(target: Target, arrays: Mapping[str, FloatArray]) -> FloatArray:
    """The values a target compares with, in its own unit: shape (n, k).

    ``k`` is the number of years (``annual_*``), months (``monthly``) or 1 (``mean``, ``max``,
    ``min``) in the period.
    """
    period = target.period
    series = np.asarray(target.expression.evaluate(arrays), dtype=float)
    series = np.broadcast_to(series, next(iter(arrays.values())).shape)
    window = series[:, period.first:period.last + 1] / target.scale
    reduce = target.reduce
    if reduce == "monthly":
        return window
    if reduce in ("mean", "max", "min"):
        return getattr(np, reduce)(window, axis=1, keepdims=True)
    years = (np.arange(period.first, period.last + 1) // 12)
    how = {"annual_mean": np.mean, "annual_sum": np.sum, "annual_max": np.max,
           "annual_min": np.min}[reduce]
    return np.stack([how(window[:, years == y], axis=1) for y in np.unique(years)], axis=1)


def compare(target: Target, values: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``(simulated, error)`` of a target from its values of shape (n, k)."""
    if target.value is not None:
        simulated = values.mean(axis=1)
        return simulated, simulated - target.value
    lower = -np.inf if target.lower is None else target.lower
    upper = np.inf if target.upper is None else target.upper
    slack = np.minimum(values - lower, upper - values)
    worst = np.argmin(slack, axis=1)
    simulated = np.take_along_axis(values, worst[:, None], axis=1)[:, 0]
    error = np.where(simulated < lower, simulated - lower,
                     np.where(simulated > upper, simulated - upper, 0.0))
    return simulated, error


def evaluate_targets(targets: TargetSet, arrays: Mapping[str, FloatArray]) -> Evaluation:
    """Evaluate every target on engine results ``name → (n, time)`` from month 0."""
    sims, errors, zs, parts = [], [], [], []
    for target in targets:
        simulated, error = compare(target, target_values(target, arrays))
        z = error / target.tolerance
        part = target.weight * z**2
        if target.hard:
            part = part + HARD_PENALTY * np.maximum(0.0, np.abs(z) - 1.0) ** 2
        sims.append(simulated)
        errors.append(error)
        zs.append(z)
        parts.append(part)
    contribution = np.array(parts)
    misfit = contribution.sum(axis=0)
    misfit = np.where(np.isfinite(misfit), misfit, FAILED_MEMBER)
    return Evaluation(np.array(sims), np.array(errors), np.array(zs), contribution, misfit)


class Objective:
    """Evaluates parameter vectors against the targets with the ensemble engine.

    Parameters
    ----------
    targets : TargetSet
        What the model should reproduce.
    parameters : ParameterSet
        The free parameters; ``X`` rows follow their order.
    model : chenzhou_water.engine.Model
        The compiled model.
    base_params : mapping
        The scenario's constants and levers (:func:`chenzhou_water.scenario.run.scenario_params`);
        the free parameters override them.

    Attributes
    ----------
    nfev : int
        Parameter vectors evaluated so far.
    """

    def __init__(self, targets: TargetSet, parameters: ParameterSet, model: Any,
                 base_params: Mapping[str, Any]):
        self.targets = targets
        self.parameters = parameters
        self.model = model
        self.base_params = dict(base_params)
        self.nfev = 0
        self.lower = np.array([p.lower for p in parameters])
        self.upper = np.array([p.upper for p in parameters])

    def to_unit(self, x: FloatArray) -> FloatArray:
        """Parameter values → the unit cube (bounds map to 0 and 1); rows are parameters."""
        x = np.asarray(x, dtype=float)
        shape = (-1,) + (1,) * (x.ndim - 1)
        return (x - self.lower.reshape(shape)) / (self.upper - self.lower).reshape(shape)

    def from_unit(self, u: FloatArray) -> FloatArray:
        """The unit cube → parameter values; rows are parameters."""
        u = np.asarray(u, dtype=float)
        shape = (-1,) + (1,) * (u.ndim - 1)
        return self.lower.reshape(shape) + u * (self.upper - self.lower).reshape(shape)

    def simulate(self, x: FloatArray) -> dict[str, FloatArray]:
        """Run the engine for parameter vectors ``x`` (n_param, n): ``name → (n, time)``."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        if x.shape[0] != len(self.parameters) and x.shape[1] == len(self.parameters):
            x = x.T
        n = x.shape[1]
        params = dict(self.base_params)
        params.update({p.name: x[i].copy() for i, p in enumerate(self.parameters)})
        info = self.model.info
        final = info.initial_time + self.targets.last_month * info.time_step
        arrays = self.model.run_arrays(params=params, members=n, final_time=final,
                                       saveper=info.time_step,
                                       return_columns=list(self.targets.variables))
        arrays.pop("time", None)
        expected = self.targets.last_month + 1
        for name, values in arrays.items():
            if values.shape[1] != expected:
                raise ModelError(f"{name}: expected {expected} monthly values, got "
                                 f"{values.shape[1]}")
        self.nfev += n
        return arrays

    def evaluate(self, x: FloatArray) -> Evaluation:
        """Every target for parameter vectors ``x`` of shape (n_param, n)."""
        return evaluate_targets(self.targets, self.simulate(x))

    def misfit(self, x: FloatArray) -> FloatArray:
        """The weighted, tolerance-scaled squared errors of ``x`` (n_param, n) → (n,)."""
        return self.evaluate(x).misfit

    def __call__(self, x: FloatArray) -> FloatArray:
        """Misfit plus ``-2 log prior``: what the fit minimises (n_param, n) → (n,)."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        return self.misfit(x) + self.parameters.neg2_log_prior(x)

    def unit_objective(self, u: FloatArray) -> FloatArray:
        """:meth:`__call__` on unit-cube coordinates (what the optimisers see)."""
        x = self.from_unit(np.clip(u, 0.0, 1.0))
        shape = (-1,) + (1,) * (x.ndim - 1)
        return self(np.clip(x, self.lower.reshape(shape), self.upper.reshape(shape)))
