"""The sampler's verdict, the identifiability rule, the MAP-in-interval check and the
optimiser's report, on draws and results whose answer is known (no engine runs)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from chenzhou_water.calibration.diagnostics import ESS_MIN, RHAT_MAX, convergence
from chenzhou_water.calibration.fit import OptimiserReport
from chenzhou_water.calibration.identifiability import RULE, constrained, summarise
from chenzhou_water.calibration.parameters import FreeParameter, ParameterSet, Prior
from chenzhou_water.calibration.uncertainty import PosteriorSample


def _sample(draws: np.ndarray) -> PosteriorSample:
    chains, n, d = draws.shape
    return PosteriorSample(tuple(f"p{i}" for i in range(d)), draws, 0.3, chains, 8, 2 * n, n,
                           1, np.ones(d))


def test_independent_chains_from_one_distribution_are_converged():
    draws = np.random.default_rng(0).normal(size=(4, 1000, 2))
    result = convergence(_sample(draws))
    assert result.converged
    assert (result.table["r_hat"] < RHAT_MAX).all()
    assert (result.table[["ess_bulk", "ess_tail"]] >= ESS_MIN).all().all()
    assert result.verdict.startswith("converged: every parameter has R-hat < 1.01")


def test_a_chain_elsewhere_fails_with_what_to_do():
    draws = np.random.default_rng(0).normal(size=(4, 1000, 2))
    draws[3, :, 1] += 0.5  # one chain sits half an sd away in p1
    result = convergence(_sample(draws))
    assert not result.converged
    assert list(result.table.index[~result.table["converged"]]) == ["p1"]
    assert result.verdict.startswith("NOT converged: p1 fail R-hat < 1.01")
    assert "rerun with more --steps" in result.verdict


def test_too_few_draws_fail_on_ess():
    draws = np.random.default_rng(1).normal(size=(4, 40, 1))
    result = convergence(_sample(draws))
    assert not result.converged
    assert result.table.loc["p0", "ess_bulk"] < ESS_MIN


def _parameters() -> ParameterSet:
    return ParameterSet(path=Path("parameters.yaml"), parameters=(
        FreeParameter("informed", 0.0, 1.0, Prior(), "1", None),
        FreeParameter("prior_only", 0.0, 1.0, Prior("normal", mean=0.5, sd=0.1), "1", None),
        FreeParameter("at_bound", 0.0, 1.0, Prior(), "1", None),
    ))


def test_one_rule_flags_a_parameter_whose_posterior_is_its_prior():
    rng = np.random.default_rng(2)
    n = 4000
    draws = np.stack([rng.normal(0.3, 0.01, n), np.clip(rng.normal(0.5, 0.1, n), 0, 1),
                      rng.uniform(0.0, 0.2, n) ** 2], axis=1).reshape(4, n // 4, 3)
    table = summarise(_parameters(), np.array([0.3, 0.5, 0.0]), _sample(draws),
                      np.random.default_rng(3))
    assert list(table.index[~table["constrained"]]) == ["prior_only"]
    assert table.loc["informed", "sd_ratio"] < 0.1
    # the MAP at the bound lies inside the highest-density interval (not the central one)
    assert table.loc["at_bound", "q2.5"] > 0.0
    assert table["map_in_interval"].all()
    assert "0.8 x its prior sd" in RULE
    assert list(constrained(np.array([0.9, 0.9, 0.5]), np.array([0.1, 0.6, 0.1]))) == [
        False, True, True]


def test_a_map_outside_its_interval_is_explained():
    rng = np.random.default_rng(4)
    draws = np.stack([rng.normal(0.3, 0.01, 4000)] * 3, axis=1).reshape(4, 1000, 3)
    table = summarise(_parameters(), np.array([0.9, 0.3, 0.3]), _sample(draws),
                      np.random.default_rng(5))
    assert not table.loc["informed", "map_in_interval"]
    assert table.loc["informed", "map_note"].startswith(
        "the MAP lies above the 95 % highest-density interval")


@pytest.mark.parametrize(("success", "nit", "expected"), [
    (True, 80, "differential evolution converged after 80 generations"),
    (False, 150, "differential evolution did NOT converge: it stopped at its limit of 150 "
                 "generations (raise --maxiter)"),
])
def test_the_optimiser_report_never_calls_a_hit_limit_success(success, nit, expected):
    de = SimpleNamespace(success=success, nit=nit,
                         message="Maximum number of iterations has been exceeded.")
    report = OptimiserReport.from_evolution(de, maxiter=150)
    assert report.text.startswith(expected)
    assert report.converged is success
    assert "success" not in report.text.lower()
