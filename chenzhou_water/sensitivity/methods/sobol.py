"""Sobol' variance-based indices with Saltelli's design (SALib's ``sample.sobol``,
``analyze.sobol``).

A scrambled Sobol' sequence of ``N`` base points (a power of 2) gives ``N (k + 2)`` runs, or
``N (2k + 2)`` with ``calc_second_order``. Indices: ``ST`` (total effect, ranks the
parameters), ``S1`` (first order), each with its bootstrap interval, and with
``calc_second_order`` the pairwise ``S2`` (shape ``(k, k)``, upper triangle).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from SALib.analyze import sobol as salib_analyze
from SALib.sample import sobol as salib_sample

from chenzhou_water._typing import FloatArray
from chenzhou_water.sensitivity.methods.base import (
    Indices,
    Method,
    Option,
    SALibProblem,
    as_indices,
    bootstrap_options,
    not_power_of_two,
    power_of_two,
    quiet_salib,
)

OPTIONS: dict[str, Option] = {
    "N": Option(int, 1024, "base sample size, a power of 2 (runs: N (k + 2), or N (2k + 2) "
                "with calc_second_order)", 2, rule=not_power_of_two),
    "calc_second_order": Option(bool, False, "also estimate the pairwise indices S2"),
}


def sample(problem: SALibProblem, options: Mapping[str, Any], seed: int) -> FloatArray:
    """Saltelli's design on a scrambled Sobol' sequence, shape ``(runs, k)``."""
    with quiet_salib():
        return salib_sample.sample(problem, int(options["N"]),
                                   calc_second_order=bool(options["calc_second_order"]),
                                   scramble=True, seed=seed)


def analyze(problem: SALibProblem, X: FloatArray, Y: FloatArray, options: Mapping[str, Any],
            seed: int) -> Indices:
    """``ST``, ``S1`` (and ``S2``) with their intervals, for one output."""
    second = bool(options["calc_second_order"])
    with quiet_salib():
        raw = salib_analyze.analyze(problem, Y, calc_second_order=second, seed=seed,
                                    **bootstrap_options(options))
    keys = {"ST": "ST", "ST_conf": "ST_conf", "S1": "S1", "S1_conf": "S1_conf"}
    if second:
        keys.update({"S2": "S2", "S2_conf": "S2_conf"})
    return as_indices(raw, keys)


def runs(options: Mapping[str, Any], k: int) -> int:
    """Model runs of the design."""
    per_point = 2 * k + 2 if options["calc_second_order"] else k + 2
    return int(options["N"]) * per_point


SOBOL = Method(
    name="sobol",
    title="Sobol' indices (Saltelli design)",
    options=OPTIONS,
    size_option="N",
    sample=sample,
    analyze=analyze,
    indices=("ST", "S1"),
    runs=runs,
    round_size=power_of_two,
)
