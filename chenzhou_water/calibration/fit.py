"""The fit: differential evolution over the free parameters, a local polish, and uncertainty.

All three stages evaluate populations of parameter vectors in single engine passes: the
differential-evolution generation, the polish's finite-difference gradient (the point and its
n_param neighbours together) and one Metropolis step of every chain.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import differential_evolution, minimize

from chenzhou_water._typing import FloatArray
from chenzhou_water.calibration.objective import Objective
from chenzhou_water.calibration.parameters import ParameterSet
from chenzhou_water.calibration.report import Conflict, conflicts, fit_table
from chenzhou_water.calibration.targets import TargetSet
from chenzhou_water.calibration.uncertainty import PosteriorSample, sample_posterior, summarise
from chenzhou_water.errors import ChenzhouWaterError, ParameterNotConstrainedWarning
from chenzhou_water.scenario.spec import Scenario

Progress = Callable[[str, int, int], None]
_FD_STEP = 1e-5  # finite-difference step in unit-cube coordinates


@dataclass(frozen=True)
class CalibrationResult:
    """What a calibration found (in the manner of SciPy's ``OptimizeResult``).

    Attributes
    ----------
    x : ndarray
        Fitted parameter values, in the order of ``names``.
    names : tuple of str
        The free parameters.
    objective : float
        Misfit plus ``-2 log prior`` at ``x`` (what was minimised).
    misfit : float
        The weighted, tolerance-scaled squared errors at ``x``.
    success : bool
        True when every hard target is within its tolerance at ``x``.
    message : str
        What the optimisers said, and how the hard targets ended.
    nfev : int
        Parameter vectors evaluated (every engine member counts).
    fit : DataFrame
        One row per target: reported against simulated (:func:`report.fit_table`).
    uncertainty : DataFrame or None
        One row per parameter: posterior against prior (:func:`uncertainty.summarise`).
    conflicts : tuple of Conflict
        Groups of targets known to disagree and how the fit settled them.
    warnings : tuple of str
        One line per parameter the targets do not constrain.
    posterior : PosteriorSample or None
        The posterior draws.
    seed : int
        The seed the whole calibration was run with.
    """

    x: FloatArray
    names: tuple[str, ...]
    objective: float
    misfit: float
    success: bool
    message: str
    nfev: int
    fit: pd.DataFrame
    uncertainty: pd.DataFrame | None
    conflicts: tuple[Conflict, ...]
    warnings: tuple[str, ...]
    posterior: PosteriorSample | None
    seed: int

    @property
    def parameters(self) -> dict[str, float]:
        """``name → fitted value``."""
        return {n: float(v) for n, v in zip(self.names, self.x, strict=True)}


def build_objective(targets: TargetSet, parameters: ParameterSet,
                    scenario: Scenario | None = None, model: Any = None) -> Objective:
    """The objective of a calibration against a scenario (default: the model's own values).

    The scenario's values of the free parameters are overridden by the fit, so a scenario
    that already carries calibrated values (``baseline.yaml`` extending ``calibrated.yaml``)
    calibrates exactly like one that does not.
    """
    from chenzhou_water.scenario.run import scenario_params

    model_path = scenario.model_path if scenario is not None else targets.model_path
    if model_path.resolve() != targets.model_path.resolve():
        raise ChenzhouWaterError(f"the targets were checked against {targets.model_path.name} "
                                 f"but the scenario runs {model_path.name}")
    if model is None:
        from chenzhou_water.engine import compile_model

        model = compile_model(model_path)
    base = scenario_params(scenario) if scenario is not None else {}
    base = {k: v for k, v in base.items() if k not in parameters.names}
    return Objective(targets, parameters, model, base)


def calibrate(targets: TargetSet, parameters: ParameterSet, scenario: Scenario | None = None,
              *, seed: int = 0, popsize: int = 10, maxiter: int = 100, tol: float = 1e-3,
              polish: bool = True, chains: int = 64, steps: int = 300,
              uncertainty: bool = True, model: Any = None,
              progress: Progress | None = None) -> CalibrationResult:
    """Fit the free parameters to the targets, then sample their uncertainty.

    Parameters
    ----------
    targets, parameters : TargetSet, ParameterSet
        From :func:`load_targets` and :func:`load_parameters`.
    scenario : Scenario, optional
        The constants and levers the fit runs with (its free parameters are replaced).
    seed : int
        Seeds differential evolution and the sampler (independent streams); ``0`` is valid.
    popsize, maxiter, tol : int, int, float
        Differential evolution's budget (population = ``popsize * n_param``).
    polish : bool
        Polish the best vector with L-BFGS-B inside the bounds.
    chains, steps : int
        Posterior sampler: parallel chains and steps per chain (half are burn-in).
    uncertainty : bool
        Sample the posterior (otherwise ``uncertainty`` and ``posterior`` are None).
    model : chenzhou_water.engine.Model, optional
        A compiled model to reuse.
    progress : callable, optional
        ``progress(stage, done, total)`` with stage ``fit``, ``polish`` or ``posterior``.

    Warns
    -----
    ParameterNotConstrainedWarning
        For each parameter whose posterior is close to its prior.
    """
    objective = build_objective(targets, parameters, scenario, model)
    de_seed, mcmc_seed = np.random.SeedSequence(seed).spawn(2)
    de = _evolve(objective, np.random.default_rng(de_seed), popsize, maxiter, tol, progress)
    u_best, message = de.x, f"differential evolution: {de.message}"
    if polish:
        u_best, polish_message = _polish(objective, de.x, float(de.fun), progress)
        message += f"; polish: {polish_message}"
    x = np.clip(objective.from_unit(u_best), objective.lower, objective.upper)
    evaluation = objective.evaluate(x[:, None])
    table = fit_table(targets, evaluation)
    hard = table[table["hard/soft"] == "hard"]
    success = bool(hard["within tolerance"].all())
    missed = ", ".join(hard.index[~hard["within tolerance"]])
    message += (f"; all {len(hard)} hard targets within tolerance" if success else
                f"; hard targets outside tolerance: {missed}")
    posterior, summary, lines = None, None, ()
    if uncertainty:
        rng = np.random.default_rng(mcmc_seed)
        start = _starting_points(de.population.T, chains, rng, u_best)
        posterior = sample_posterior(objective, start, rng, steps=steps, progress=progress)
        summary = summarise(parameters, x, posterior, rng)
        lines = _unconstrained_warnings(summary)
    total = float(objective(x[:, None])[0])
    return CalibrationResult(
        x=x, names=parameters.names, objective=total, misfit=float(evaluation.misfit[0]),
        success=success, message=message, nfev=objective.nfev, fit=table,
        uncertainty=summary, conflicts=conflicts(targets, table), warnings=lines,
        posterior=posterior, seed=seed)


def _evolve(objective: Objective, rng: np.random.Generator, popsize: int, maxiter: int,
            tol: float, progress: Progress | None) -> Any:
    generation = 0

    def on_generation(intermediate_result: Any) -> None:
        nonlocal generation
        generation += 1
        if progress is not None:
            progress("fit", min(generation, maxiter), maxiter)

    d = len(objective.parameters)
    return differential_evolution(
        objective.unit_objective, [(0.0, 1.0)] * d, popsize=popsize, maxiter=maxiter, tol=tol,
        rng=rng, polish=False, vectorized=True, updating="deferred", init="latinhypercube",
        callback=on_generation)


def _polish(objective: Objective, u0: FloatArray, f0: float,
            progress: Progress | None) -> tuple[FloatArray, str]:
    """L-BFGS-B in the unit cube; the gradient's n_param + 1 points run as one population."""
    d = len(u0)
    calls = 0

    def value_and_gradient(u: FloatArray) -> tuple[float, FloatArray]:
        nonlocal calls
        step = np.where(u + _FD_STEP <= 1.0, _FD_STEP, -_FD_STEP)
        points = np.repeat(u[:, None], d + 1, axis=1)
        points[np.arange(d), np.arange(1, d + 1)] += step
        values = objective.unit_objective(points)
        calls += 1
        if progress is not None:
            progress("polish", calls, 0)
        return float(values[0]), (values[1:] - values[0]) / step

    result = minimize(value_and_gradient, u0, jac=True, method="L-BFGS-B",
                      bounds=[(0.0, 1.0)] * d, options={"maxiter": 200})
    if result.fun < f0:
        return np.clip(result.x, 0.0, 1.0), f"{result.message} ({f0:.6g} -> {result.fun:.6g})"
    return u0, f"{result.message} (no improvement on {f0:.6g}; kept the evolved vector)"


def _starting_points(population: FloatArray, chains: int, rng: np.random.Generator,
                     best: FloatArray) -> FloatArray:
    """Chains start at members of the final population (with the best vector among them)."""
    picks = rng.choice(population.shape[1], size=chains, replace=chains > population.shape[1])
    start = population[:, picks].copy()
    start[:, 0] = best
    return start


def _unconstrained_warnings(summary: pd.DataFrame) -> tuple[str, ...]:
    lines = []
    for name, row in summary[~summary["constrained"]].iterrows():
        line = (f"{name}: the targets do not constrain it (posterior sd {row['sd_ratio']:.2f} of "
                f"the prior's, mean moved {row['shift']:.2f} prior sd); its value comes from "
                f"its prior, not from the reported figures")
        warnings.warn(line, ParameterNotConstrainedWarning, stacklevel=3)
        lines.append(line)
    return tuple(lines)
