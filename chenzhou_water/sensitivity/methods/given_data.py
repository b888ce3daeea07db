"""Moment-independent methods on a Latin hypercube: Borgonovo's delta and PAWN (SALib's
``analyze.delta`` and ``analyze.pawn``).

Both read any sample of ``N`` runs; here the design is a Latin hypercube.

- ``delta``: ``delta`` (Borgonovo's moment-independent index, SALib's ``delta_raw``; ranks)
  and ``S1`` (first-order Sobol' index estimated from the same data), each with an interval.
- ``pawn``: the median over conditioning slides of the Kolmogorov-Smirnov distance between
  conditional and unconditional output distributions (``pawn_median``, ranks), with
  ``pawn_mean``, ``pawn_max``. PAWN gives no confidence intervals, so the convergence check
  cannot judge it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from SALib.analyze import delta as salib_delta
from SALib.analyze import pawn as salib_pawn

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
from chenzhou_water.sensitivity.methods.fast import latin_sample

_RUNS = Option(int, 1000, "Latin-hypercube runs", 50)

DELTA_OPTIONS: dict[str, Option] = {"N": _RUNS}

PAWN_OPTIONS: dict[str, Option] = {
    "N": _RUNS,
    "slides": Option(int, 10, "conditioning intervals of each parameter", 2, 100),
}


def delta_analyze(problem: SALibProblem, X: FloatArray, Y: FloatArray, options: Mapping[str, Any],
                  seed: int) -> Indices:
    """``delta`` and ``S1`` with their intervals."""
    with quiet_salib():
        raw = salib_delta.analyze(problem, X, Y, seed=seed, method="all",
                                  **bootstrap_options(options))
    return as_indices(raw, {"delta": "delta_raw", "delta_conf": "delta_raw_conf",
                            "S1": "S1", "S1_conf": "S1_conf"})


def pawn_analyze(problem: SALibProblem, X: FloatArray, Y: FloatArray, options: Mapping[str, Any],
                 seed: int) -> Indices:
    """PAWN statistics over the slides (no intervals)."""
    with quiet_salib():
        raw = salib_pawn.analyze(problem, X, Y, S=int(options["slides"]), seed=seed)
    return as_indices(raw, {"pawn_median": "median", "pawn_mean": "mean",
                            "pawn_max": "maximum"})


def pawn_constraints(options: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Each slide needs a few runs."""
    n, s = int(options["N"]), int(options["slides"])
    if n < 5 * s:
        return [("N", f"{n} runs are too few for {s} slides: give at least 5 per slide "
                      f"({5 * s})")]
    return []


DELTA = Method(
    name="delta",
    title="Borgonovo's delta",
    options=DELTA_OPTIONS,
    size_option="N",
    sample=latin_sample,
    analyze=delta_analyze,
    indices=("delta", "S1"),
    runs=n_runs,
)

PAWN = Method(
    name="pawn",
    title="PAWN",
    options=PAWN_OPTIONS,
    size_option="N",
    sample=latin_sample,
    analyze=pawn_analyze,
    indices=("pawn_median", "pawn_mean", "pawn_max"),
    runs=n_runs,
    constraints=pawn_constraints,
)
