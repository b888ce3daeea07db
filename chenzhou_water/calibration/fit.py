"""The fit: differential evolution over the free parameters, a local polish, and uncertainty.

All three stages evaluate populations of parameter vectors in single engine passes: the
differential-evolution generation, the polish's finite-difference gradient (the point and its
n_param neighbours together) and one half-step of every emcee walker.
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
from chenzhou_water.calibration.diagnostics import Convergence, convergence
from chenzhou_water.calibration.identifiability import summarise, unconstrained_lines
from chenzhou_water.calibration.objective import Objective
from chenzhou_water.calibration.parameters import ParameterSet
from chenzhou_water.calibration.report import Conflict, conflicts, fit_table
from chenzhou_water.calibration.targets import TargetSet
from chenzhou_water.calibration.uncertainty import (
    PosteriorSample,
    check_walkers,
    sample_posterior,
)
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
        How the hard targets ended.
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
    optimiser : OptimiserReport
        How differential evolution and the polish ended.
    convergence : Convergence or None
        The sampler's R-hat, ESS and verdict (:mod:`.diagnostics`).
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
    optimiser: OptimiserReport | None = None
    convergence: Convergence | None = None

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
              *, seed: int = 0, popsize: int = 10, maxiter: int = 100, tol: float = 0.01,
              polish: bool = True, chains: int = 4, walkers: int | None = None,
              steps: int = 300, uncertainty: bool = True, model: Any = None,
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
        Differential evolution's budget (population = ``popsize * n_param``) and its
        convergence tolerance (SciPy's: the spread of the population's objective values
        relative to their mean).
    polish : bool
        Polish the evolved best vector with L-BFGS-B inside the bounds.
    chains, walkers, steps : int
        Posterior sampler (:func:`uncertainty.sample_posterior`): independent emcee
        ensembles (the chains of R-hat), walkers in each (a multiple of 4, at least
        ``2 * n_param``; default ``2 * n_param + 2`` rounded up to a multiple of 4), and
        steps per walker (half are burn-in).
    uncertainty : bool
        Sample the posterior (otherwise ``uncertainty``, ``posterior`` and ``convergence``
        are None).
    model : chenzhou_water.engine.Model, optional
        A compiled model to reuse.
    progress : callable, optional
        ``progress(stage, done, total)`` with stage ``fit``, ``polish`` or ``posterior``.

    Warns
    -----
    ParameterNotConstrainedWarning
        For each parameter the targets do not constrain (:data:`identifiability.RULE`).
    """
    walkers = 4 * -(-(2 * len(parameters) + 2) // 4) if walkers is None else walkers
    if uncertainty:
        check_walkers(walkers, len(parameters))
    objective = build_objective(targets, parameters, scenario, model)
    de_seed, mcmc_seed = np.random.SeedSequence(seed).spawn(2)
    de = _evolve(objective, np.random.default_rng(de_seed), popsize, maxiter, tol, progress)
    optimiser = OptimiserReport.from_evolution(de, maxiter)
    u_best = de.x
    if polish:
        u_best, optimiser = _polish(objective, de.x, float(de.fun), optimiser, progress)
    x = np.clip(objective.from_unit(u_best), objective.lower, objective.upper)
    evaluation = objective.evaluate(x[:, None])
    table = fit_table(targets, evaluation)
    hard = table[table["hard/soft"] == "hard"]
    success = bool(hard["within tolerance"].all())
    missed = ", ".join(hard.index[~hard["within tolerance"]])
    message = (f"all {len(hard)} hard targets within tolerance" if success else
               f"hard targets outside tolerance: {missed}")
    posterior, summary, lines, diagnosis = None, None, (), None
    if uncertainty:
        rng = np.random.default_rng(mcmc_seed)
        start = _starting_points(de.population.T, chains * walkers, rng, u_best)
        posterior = sample_posterior(objective, start, int(rng.integers(2**31)),
                                     chains=chains, steps=steps, progress=progress)
        summary = summarise(parameters, x, posterior, rng)
        lines = _unconstrained_warnings(summary)
        diagnosis = convergence(posterior)
    total = float(objective(x[:, None])[0])
    return CalibrationResult(
        x=x, names=parameters.names, objective=total, misfit=float(evaluation.misfit[0]),
        success=success, message=message, nfev=objective.nfev, fit=table,
        uncertainty=summary, conflicts=conflicts(targets, table), warnings=lines,
        posterior=posterior, seed=seed, optimiser=optimiser, convergence=diagnosis)


@dataclass(frozen=True)
class OptimiserReport:
    """How the optimisation ended, in words that do not overstate it.

    Attributes
    ----------
    converged : bool
        Differential evolution met its tolerance (not its generation limit), and the polish,
        when run, ended by its own convergence test.
    generations : int
        Generations differential evolution ran.
    text : str
        One line, for example ``differential evolution converged after 83 generations
        (population spread below tol); L-BFGS-B polish converged (57.1 -> 56.98)``.
    """

    converged: bool
    generations: int
    text: str

    @classmethod
    def from_evolution(cls, de: Any, maxiter: int) -> OptimiserReport:
        generations = int(de.nit)
        if de.success:
            text = (f"differential evolution converged after {generations} generations "
                    f"(the population's objective values agree within tol)")
        elif generations >= maxiter:
            text = (f"differential evolution did NOT converge: it stopped at its limit of "
                    f"{maxiter} generations (raise --maxiter)")
        else:
            text = f"differential evolution stopped early: {de.message}"
        return cls(bool(de.success), generations, text)


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


def _polish(objective: Objective, u0: FloatArray, f0: float, evolved: OptimiserReport,
            progress: Progress | None) -> tuple[FloatArray, OptimiserReport]:
    """L-BFGS-B in the unit cube from the evolved best vector; the gradient's n_param + 1
    points run as one population."""
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
    ended = ("converged" if result.success else
             f"did NOT converge ({result.message}; raise the budget)")
    if result.fun < f0:
        u, change = np.clip(result.x, 0.0, 1.0), f"{f0:.6g} -> {result.fun:.6g}"
    else:
        u, change = u0, f"no improvement on {f0:.6g}; kept the evolved vector"
    text = f"{evolved.text}; L-BFGS-B polish from its best vector {ended} ({change})"
    return u, OptimiserReport(evolved.converged and bool(result.success), evolved.generations,
                              text)


def _starting_points(population: FloatArray, n: int, rng: np.random.Generator,
                     best: FloatArray) -> FloatArray:
    """Walkers start at members of differential evolution's final population (different
    members where the population is large enough), the best vector among them; repeats get a
    small jitter so no two walkers coincide."""
    picks = rng.choice(population.shape[1], size=n, replace=n > population.shape[1])
    start = population[:, picks].copy()
    start[:, 0] = best
    repeated = np.zeros(n, dtype=bool)
    repeated[1:] = pd.Series(picks).duplicated().to_numpy()[1:]
    start[:, repeated] += 1e-4 * rng.standard_normal((len(best), int(repeated.sum())))
    return np.clip(start, 0.0, 1.0)


def _unconstrained_warnings(summary: pd.DataFrame) -> tuple[str, ...]:
    lines = unconstrained_lines(summary)
    for line in lines:
        warnings.warn(line, ParameterNotConstrainedWarning, stacklevel=3)
    return lines
