"""Morris elementary-effects screening (SALib's ``sample.morris`` and ``analyze.morris``).

``r`` trajectories of ``k + 1`` points each move one parameter at a time by a step of
``levels / (2 (levels - 1))`` of its range; the elementary effect of a parameter is the change
of the output per unit of that step, in the parameter's range (SALib's convention: a linear
output ``a * x`` with range ``[lo, hi]`` has elementary effects ``a (hi - lo)``).

Indices: ``mu_star`` (mean absolute elementary effect, ranks the parameters), its bootstrap
interval ``mu_star_conf``, ``mu`` (signed mean) and ``sigma`` (standard deviation: interaction
or non-linearity). Runs: ``trajectories * (k + 1)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from SALib.analyze import morris as salib_analyze
from SALib.sample import morris as salib_sample

from chenzhou_water._typing import FloatArray
from chenzhou_water.sensitivity.methods.base import (
    Indices,
    Method,
    Option,
    SALibProblem,
    as_indices,
    bootstrap_options,
    quiet_salib,
)


def _even(value: Any) -> str | None:
    return None if int(value) % 2 == 0 else f"{value} is odd; Morris needs an even number of levels"


OPTIONS: dict[str, Option] = {
    "trajectories": Option(int, 20, "number of trajectories r (runs: r * (k + 1))", 2),
    "levels": Option(int, 4, "grid levels p of each parameter's range (even)", 2, 100, _even),
    "optimal_trajectories": Option(
        int, 0, "if > 0, keep this many of the trajectories, chosen to spread the design "
        "(Campolongo's method; 0 keeps all)", 0),
}


def sample(problem: SALibProblem, options: Mapping[str, Any], seed: int) -> FloatArray:
    """Morris trajectories, shape ``(runs, k)``, in the parameters' units."""
    optimal = int(options["optimal_trajectories"]) or None
    with quiet_salib():
        return salib_sample.sample(problem, int(options["trajectories"]),
                                   num_levels=int(options["levels"]),
                                   optimal_trajectories=optimal, seed=seed)


def analyze(problem: SALibProblem, X: FloatArray, Y: FloatArray, options: Mapping[str, Any],
            seed: int) -> Indices:
    """``mu_star``, ``mu_star_conf``, ``mu`` and ``sigma`` of one output, shape ``(k,)``."""
    with quiet_salib():
        raw = salib_analyze.analyze(problem, X, Y, num_levels=int(options["levels"]),
                                    seed=seed, **bootstrap_options(options))
    return as_indices(raw, {"mu_star": "mu_star", "mu_star_conf": "mu_star_conf",
                            "mu": "mu", "sigma": "sigma"})


def constraints(options: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``optimal_trajectories`` must be fewer than ``trajectories``."""
    optimal, r = int(options["optimal_trajectories"]), int(options["trajectories"])
    if optimal and not 2 <= optimal < r:
        return [("optimal_trajectories",
                 f"{optimal} must be at least 2 and fewer than trajectories ({r})")]
    return []


def runs(options: Mapping[str, Any], k: int) -> int:
    """Model runs of the design: ``r (k + 1)`` with ``r`` the trajectories kept."""
    kept = int(options["optimal_trajectories"]) or int(options["trajectories"])
    return kept * (k + 1)


MORRIS = Method(
    name="morris",
    title="Morris elementary effects",
    options=OPTIONS,
    size_option="trajectories",
    sample=sample,
    analyze=analyze,
    indices=("mu_star", "mu", "sigma"),
    runs=runs,
    constraints=constraints,
)
