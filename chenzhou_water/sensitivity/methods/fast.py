"""Fourier amplitude sensitivity tests: extended FAST and RBD-FAST (SALib's ``fast`` and
``rbd_fast``).

- ``fast``: eFAST's search-curve design, ``N k`` runs (``N > 4 M^2``); indices ``ST`` (ranks)
  and ``S1``. SALib estimates their intervals by bootstrap, which it documents as unreliable
  for eFAST: treat ``*_conf`` as indicative.
- ``rbd_fast``: random-balance designs on a Latin hypercube of ``N`` runs (``N > 2 M``);
  first-order ``S1`` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from SALib.analyze import fast as salib_fast
from SALib.analyze import rbd_fast as salib_rbd_fast
from SALib.sample import fast_sampler, latin

from chenzhou_water._typing import FloatArray
from chenzhou_water.sensitivity.methods.base import (
    Indices,
    Method,
    Option,
    SALibProblem,
    as_indices,
    bootstrap_options,
    n_runs,
    quiet_salib,
)

FAST_OPTIONS: dict[str, Option] = {
    "N": Option(int, 1000, "runs per parameter (runs: N k; N > 4 M^2)", 65),
    "M": Option(int, 4, "interference parameter: harmonics kept", 1, 20),
}

RBD_OPTIONS: dict[str, Option] = {
    "N": Option(int, 1000, "Latin-hypercube runs (N > 2 M)", 21),
    "M": Option(int, 10, "interference parameter: harmonics kept", 1, 50),
}


def fast_sample(problem: SALibProblem, options: Mapping[str, Any], seed: int) -> FloatArray:
    """eFAST search curves, shape ``(N k, k)``."""
    with quiet_salib():
        return fast_sampler.sample(problem, int(options["N"]), M=int(options["M"]), seed=seed)


def fast_analyze(problem: SALibProblem, X: FloatArray, Y: FloatArray, options: Mapping[str, Any],
                 seed: int) -> Indices:
    """``ST`` and ``S1`` with (indicative) intervals."""
    with quiet_salib():
        raw = salib_fast.analyze(problem, Y, M=int(options["M"]), seed=seed,
                                 **bootstrap_options(options))
    return as_indices(raw, {"ST": "ST", "ST_conf": "ST_conf", "S1": "S1", "S1_conf": "S1_conf"})


def fast_constraints(options: Mapping[str, Any]) -> list[tuple[str, str]]:
    """eFAST needs ``N > 4 M^2``."""
    n, m = int(options["N"]), int(options["M"])
    if n <= 4 * m * m:
        return [("N", f"{n} is too small for M = {m}: eFAST needs N > 4 M^2 = {4 * m * m}")]
    return []


def latin_sample(problem: SALibProblem, options: Mapping[str, Any], seed: int) -> FloatArray:
    """A Latin hypercube of ``N`` runs (for the given-data methods)."""
    with quiet_salib():
        return latin.sample(problem, int(options["N"]), seed=seed)


def rbd_analyze(problem: SALibProblem, X: FloatArray, Y: FloatArray, options: Mapping[str, Any],
                seed: int) -> Indices:
    """``S1`` with its interval."""
    with quiet_salib():
        raw = salib_rbd_fast.analyze(problem, X, Y, M=int(options["M"]), seed=seed,
                                     **bootstrap_options(options))
    return as_indices(raw, {"S1": "S1", "S1_conf": "S1_conf"})


def rbd_constraints(options: Mapping[str, Any]) -> list[tuple[str, str]]:
    """RBD-FAST needs ``N > 2 M``."""
    n, m = int(options["N"]), int(options["M"])
    if n <= 2 * m:
        return [("N", f"{n} is too small for M = {m}: RBD-FAST needs N > 2 M = {2 * m}")]
    return []


FAST = Method(
    name="fast",
    title="extended FAST",
    options=FAST_OPTIONS,
    size_option="N",
    sample=fast_sample,
    analyze=fast_analyze,
    indices=("ST", "S1"),
    runs=lambda options, k: int(options["N"]) * k,
    constraints=fast_constraints,
)

RBD_FAST = Method(
    name="rbd_fast",
    title="RBD-FAST",
    options=RBD_OPTIONS,
    size_option="N",
    sample=latin_sample,
    analyze=rbd_analyze,
    indices=("S1",),
    runs=n_runs,
    constraints=rbd_constraints,
)
