"""Parameter uncertainty: posterior samples from ``emcee``'s ensemble sampler on the engine.

The target density is ``exp(-(misfit + -2 log prior) / 2)`` on the parameters' bounds: the
misfit read as ``-2 log L`` with each target's tolerance as its standard deviation. Walkers
move in unit-cube coordinates (each parameter's bounds map to [0, 1]).

**Chains for R-hat.** The walkers of one ensemble are not independent chains: each moves
relative to the others. So the sampler runs ``chains`` *independent ensembles* side by side in
one ``emcee.EnsembleSampler`` (vectorised: every sub-step of every ensemble is one engine
pass), with emcee's moves changed to pick their partner walkers only inside the walker's own
ensemble (:func:`grouped_moves`). No ensemble's trajectory depends on another's, so the ensembles
are independent chains in R-hat's sense. After burn-in, each ensemble's draws are thinned by
half the integrated autocorrelation time and ordered step by step; that sequence is one chain
of :mod:`.diagnostics` (rank-normalised split R-hat, bulk and tail ESS through ArviZ).

The walkers start at members of differential evolution's final population (the same
distribution for every ensemble, not overdispersed): R-hat then checks that the ensembles agree
and are stationary after burn-in, not that they explored regions the global search never
reached. Large ensembles (the default 128 walkers) cost little more per engine pass than small
ones and make each ensemble's estimates steadier.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from chenzhou_water._typing import FloatArray
from chenzhou_water.calibration.objective import Objective
from chenzhou_water.errors import Problem, ValidationError

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class PosteriorSample:
    """Posterior draws after burn-in and thinning.

    Attributes
    ----------
    names : tuple of str
        Parameter names (rows of ``samples``).
    draws : ndarray, shape (chains, draws, n_param)
        Draws in the parameters' own units: one chain per independent ensemble, its walkers'
        thinned draws ordered step by step.
    acceptance : float
        Share of proposals accepted after burn-in.
    chains, walkers, steps, burn_in, thin : int
        The sampler's settings: independent ensembles, walkers in each, steps in all (burn-in
        included), steps discarded, and the thinning applied to the rest.
    autocorrelation_time : ndarray, shape (n_param,)
        emcee's integrated autocorrelation time of each parameter after burn-in, in steps.
    """

    names: tuple[str, ...]
    draws: FloatArray
    acceptance: float
    chains: int
    walkers: int
    steps: int
    burn_in: int
    thin: int
    autocorrelation_time: FloatArray

    @property
    def samples(self) -> FloatArray:
        """Every draw pooled: shape (n_param, chains * draws)."""
        return self.draws.reshape(-1, self.draws.shape[-1]).T


#: The sampler's moves (emcee's, with weights). The stretch move needs two engine passes a step;
#: a mixture of differential-evolution and snooker moves (four passes for the snooker's
#: four-way split) mixed no faster on the shipped targets.
MOVES: tuple[tuple[str, float], ...] = (("stretch", 1.0),)


def grouped_moves(walkers: int, moves: tuple[tuple[str, float], ...] = MOVES) -> list[Any]:
    """emcee moves whose partner walkers come only from the walker's own ensemble.

    emcee's red-blue split without shuffling puts walker ``i`` in set ``i % nsplits`` (2 sets;
    4 for the snooker move); with ensembles in contiguous blocks of ``walkers`` (a multiple of
    4), rows ``[g * b, (g + 1) * b)`` of every set, ``b = walkers / nsplits``, belong to
    ensemble ``g``, and each block is proposed from its own blocks of the other sets.
    """
    import emcee

    kinds = {"de": emcee.moves.DEMove, "snooker": emcee.moves.DESnookerMove,
             "stretch": emcee.moves.StretchMove}

    def grouped(base: type) -> Any:
        class Grouped(base):  # type: ignore[misc, valid-type]
            def get_proposal(self, s, c, random):  # type: ignore[no-untyped-def]
                block = walkers // self.nsplits
                parts = [super(Grouped, self).get_proposal(
                    s[i:i + block], [other[i:i + block] for other in c], random)
                    for i in range(0, len(s), block)]
                return (np.concatenate([p[0] for p in parts]),
                        np.concatenate([p[1] for p in parts]))

        return Grouped(randomize_split=False)

    return [(grouped(kinds[name]), weight) for name, weight in moves]


def check_walkers(walkers: int, n_param: int) -> None:
    """Raise a located error unless ``walkers`` is a multiple of 4 and at least 2 x n_param."""
    if walkers % 4 or walkers < 2 * n_param:
        least = 4 * -(-2 * n_param // 4)
        raise ValidationError([Problem("--walkers", "", f"{walkers} walkers per chain: give a "
                                       f"multiple of 4, at least twice the {n_param} free "
                                       f"parameters (so at least {least})")])


def sample_posterior(objective: Objective, start: FloatArray, seed: int, *, chains: int,
                     steps: int, burn_in: int | None = None,
                     moves: tuple[tuple[str, float], ...] | None = None,
                     progress: Progress | None = None) -> PosteriorSample:
    """Run ``chains`` independent ensembles with emcee, all in one engine pass per half-step.

    Parameters
    ----------
    objective : Objective
        Gives ``-2 log posterior`` (up to a constant) through ``unit_objective``.
    start : ndarray, shape (n_param, chains * walkers)
        Starting points in unit-cube coordinates, ensemble by ensemble; ``walkers`` must be
        a multiple of 4 and at least ``2 * n_param``.
    seed : int
        Seeds emcee's random state.
    chains : int
        Independent ensembles (the chains of R-hat).
    steps : int
        Steps per walker, burn-in included.
    burn_in : int, optional
        Steps discarded; default half of ``steps``.
    progress : callable, optional
        ``progress("posterior", step, steps)`` after every step.
    """
    import emcee

    burn_in = steps // 2 if burn_in is None else burn_in
    d, total = start.shape
    walkers = total // chains
    check_walkers(walkers, d)
    if walkers * chains != total:
        raise ValueError(f"{total} starting points for {chains} chains of {walkers} walkers")

    def log_prob(u: FloatArray) -> FloatArray:
        inside = np.all((u >= 0.0) & (u <= 1.0), axis=1)
        out = np.full(len(u), -np.inf)
        if inside.any():
            out[inside] = -0.5 * objective.unit_objective(u[inside].T)
        return out

    sampler = emcee.EnsembleSampler(total, d, log_prob, vectorize=True,
                                    moves=grouped_moves(walkers, MOVES if moves is None else moves))
    sampler.random_state = np.random.RandomState(seed).get_state()
    for step, _ in enumerate(sampler.sample(start.T, iterations=steps), start=1):
        if progress is not None:
            progress("posterior", step, steps)
    chain = sampler.get_chain(discard=burn_in)  # (kept, walkers, d)
    tau = _autocorrelation_time(chain)
    thin = max(1, int(tau.max() // 2))
    kept = chain[::thin]  # (draws, chains * walkers, d)
    draws = (kept.reshape(len(kept), chains, walkers, d).transpose(1, 0, 2, 3)
             .reshape(chains, len(kept) * walkers, d))
    accepted = _accepted_after_burn_in(sampler, burn_in)
    return PosteriorSample(objective.parameters.names, objective.from_unit(draws.T).T,
                           accepted, chains, walkers, steps, burn_in, thin,
                           tau)


def _autocorrelation_time(chain: FloatArray) -> FloatArray:
    """emcee's integrated autocorrelation time per parameter, in steps (1 where it cannot be
    estimated: a chain of one step, or walkers that never moved)."""
    import emcee

    if len(chain) < 2:
        return np.ones(chain.shape[-1])
    logger = logging.getLogger("emcee.autocorr")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            # emcee warns (and divides 0 by 0 for walkers that never moved) on short chains;
            # the verdict judges the chain by R-hat and ESS, not by this estimate.
            warnings.simplefilter("ignore", RuntimeWarning)
            tau = np.asarray(emcee.autocorr.integrated_time(chain, quiet=True), dtype=float)
    finally:
        logger.setLevel(level)
    return np.where(np.isfinite(tau) & (tau > 0), tau, 1.0)


def _accepted_after_burn_in(sampler, burn_in: int) -> float:  # type: ignore[no-untyped-def]
    """Share of proposals accepted after burn-in (from the walkers' moves)."""
    chain = sampler.get_chain()
    after = chain[max(burn_in, 1):] if len(chain) > 1 else chain
    before = chain[max(burn_in, 1) - 1:-1] if len(chain) > 1 else chain
    if not len(after):
        return float("nan")
    moved = np.any(after != before, axis=2)
    return float(moved.mean())
