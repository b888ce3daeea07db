"""Parameter uncertainty: posterior samples by random-walk Metropolis on the engine.

Many chains run side by side, so every Metropolis step of every chain is one engine pass
(``chains`` members). The target density is ``exp(-(misfit + -2 log prior) / 2)`` on the
parameters' bounds: the misfit read as ``-2 log L`` with each target's tolerance as its
standard deviation. Proposals are Gaussian in unit-cube coordinates; during burn-in their
covariance adapts to the pooled chains (scaled by 2.38²/d, Haario et al.), afterwards it is
fixed, so the kept samples come from a valid Metropolis chain.

A parameter whose posterior is close to its prior (about the same spread, hardly moved) is
one the targets do not constrain; :func:`summarise` flags it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chenzhou_water._typing import FloatArray
from chenzhou_water.calibration.objective import Objective
from chenzhou_water.calibration.parameters import ParameterSet

#: Posterior sd / prior sd above which (with a small shift) a parameter counts as unconstrained.
UNCONSTRAINED_SD_RATIO = 0.8
#: ... and the largest shift of the mean, in prior standard deviations.
UNCONSTRAINED_SHIFT = 0.5
_ADAPT_EVERY = 20

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class PosteriorSample:
    """Posterior draws after burn-in.

    Attributes
    ----------
    names : tuple of str
        Parameter names (rows of ``samples``).
    samples : ndarray, shape (n_param, chains * kept steps)
        Draws in the parameters' own units.
    acceptance : float
        Share of proposals accepted after burn-in.
    chains, steps, burn_in : int
        The sampler's settings.
    """

    names: tuple[str, ...]
    samples: FloatArray
    acceptance: float
    chains: int
    steps: int
    burn_in: int


def sample_posterior(objective: Objective, start: FloatArray, rng: np.random.Generator, *,
                     steps: int = 400, burn_in: int | None = None,
                     progress: Progress | None = None) -> PosteriorSample:
    """Random-walk Metropolis with one chain per column of ``start``.

    Parameters
    ----------
    objective : Objective
        Gives ``-2 log posterior`` (up to a constant) through ``unit_objective``.
    start : ndarray, shape (n_param, chains)
        Starting points in unit-cube coordinates (for example the final population of
        differential evolution).
    rng : numpy.random.Generator
        All randomness of the sampler.
    steps : int
        Steps per chain, burn-in included.
    burn_in : int, optional
        Steps discarded (during which the proposal adapts); default half of ``steps``.
    progress : callable, optional
        ``progress("posterior", step, steps)`` after every step.
    """
    burn_in = steps // 2 if burn_in is None else burn_in
    u = np.array(start, dtype=float)
    d, chains = u.shape
    energy = objective.unit_objective(u)
    cov = np.eye(d) * 0.02**2
    history: list[FloatArray] = []
    kept: list[FloatArray] = []
    accepted = 0
    for step in range(steps):
        proposal = u + np.linalg.cholesky(cov) @ rng.standard_normal((d, chains))
        inside = np.all((proposal >= 0.0) & (proposal <= 1.0), axis=0)
        new_energy = np.full(chains, np.inf)
        if inside.any():
            new_energy[inside] = objective.unit_objective(proposal[:, inside])
        accept = np.log(rng.uniform(size=chains)) < -0.5 * (new_energy - energy)
        u = np.where(accept, proposal, u)
        energy = np.where(accept, new_energy, energy)
        if step < burn_in:
            history.append(u.copy())
            if (step + 1) % _ADAPT_EVERY == 0:
                cov = _adapted(history, d)
        else:
            kept.append(objective.from_unit(u))
            accepted += int(accept.sum())
        if progress is not None:
            progress("posterior", step + 1, steps)
    samples = np.concatenate(kept, axis=1) if kept else np.empty((d, 0))
    n_kept = max(1, (steps - burn_in) * chains)
    return PosteriorSample(objective.parameters.names, samples, accepted / n_kept, chains,
                           steps, burn_in)


def _adapted(history: list[FloatArray], d: int) -> FloatArray:
    """Proposal covariance from the second half of the burn-in so far, all chains pooled."""
    recent = np.concatenate(history[len(history) // 2:], axis=1)
    cov = np.atleast_2d(np.cov(recent))
    return (2.38**2 / d) * cov + 1e-10 * np.eye(d)


def summarise(parameters: ParameterSet, fitted: FloatArray, posterior: PosteriorSample,
              rng: np.random.Generator, n_prior: int = 20_000) -> pd.DataFrame:
    """One row per parameter: fitted value, posterior and prior summaries, constrained or not.

    Columns: ``units, lower, upper, fitted, posterior_mean, posterior_sd, q2.5, q50, q97.5,
    prior, prior_mean, prior_sd, sd_ratio, shift, constrained``. ``sd_ratio`` is posterior sd
    over prior sd (both within the bounds); ``shift`` how far the mean moved, in prior sds.
    """
    prior = parameters.sample_prior(rng, n_prior)
    rows = []
    for i, p in enumerate(parameters):
        draws = posterior.samples[i]
        prior_sd = float(prior[i].std())
        sd = float(draws.std()) if draws.size else float("nan")
        moved = abs(float(draws.mean()) - float(prior[i].mean())) if draws.size else 0.0
        shift = moved / prior_sd
        ratio = sd / prior_sd
        rows.append({
            "parameter": p.name, "units": p.units, "lower": p.lower, "upper": p.upper,
            "fitted": float(fitted[i]),
            "posterior_mean": float(draws.mean()) if draws.size else float("nan"),
            "posterior_sd": sd, **_quantiles(draws),
            "prior": p.prior.label(), "prior_mean": float(prior[i].mean()),
            "prior_sd": prior_sd, "sd_ratio": ratio, "shift": shift,
            "constrained": not (ratio > UNCONSTRAINED_SD_RATIO and shift < UNCONSTRAINED_SHIFT),
        })
    return pd.DataFrame(rows).set_index("parameter")


def _quantiles(draws: FloatArray) -> dict[str, float]:
    if not draws.size:
        return {"q2.5": float("nan"), "q50": float("nan"), "q97.5": float("nan")}
    q = np.quantile(draws, [0.025, 0.5, 0.975])
    return {"q2.5": float(q[0]), "q50": float(q[1]), "q97.5": float(q[2])}
