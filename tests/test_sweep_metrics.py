"""Metrics against hand computations; samplers' stratification; distributions; lever choice."""

from __future__ import annotations

import numpy as np
import pytest

from chenzhou_water.sweep.distributions import Distribution
from chenzhou_water.sweep.levers import UncertainLever
from chenzhou_water.sweep.metrics import (
    ANNUAL,
    Metric,
    electricity_saved,
    flow_compliance,
    hydropower_total,
    leakage_in_year,
    lowest_level,
    months_below_dead_storage,
    months_below_intake,
    months_of,
    peak_reliability,
    reliability,
    service_area_shortage,
    total_shortage,
    worst_storage,
)
from chenzhou_water.sweep.samplers import unit_design

ALL = slice(None)
UNMET = np.array([[0.0, 5.0, 0.0, 0.0], [1.0, 1.0, 0.0, 2.0]])  # m3/d, 2 members x 4 months
STORAGE = np.array([[9.0, 4.0, 2.5, 6.0], [3.0, 3.5, 8.0, 1.0]])  # m3
YEARS = np.array([2030, 2030, 2031, 2032])


def test_reliability_counts_months_within_the_tolerance() -> None:
    assert reliability(UNMET, ALL).tolist() == [0.75, 0.25]
    assert reliability(UNMET, ALL, tolerance=1.0).tolist() == [0.75, 0.75]
    assert reliability(UNMET, slice(0, 2)).tolist() == [0.5, 0.0]


def test_sums_and_extremes() -> None:
    assert total_shortage(UNMET, 30.0, ALL).tolist() == [150.0, 120.0]
    assert worst_storage(STORAGE, ALL).tolist() == [2.5, 1.0]
    assert worst_storage(STORAGE, slice(0, 2)).tolist() == [4.0, 3.0]
    per_member_dead = np.array([3.0, 2.0])
    assert months_below_dead_storage(STORAGE, per_member_dead, ALL).tolist() == [1.0, 1.0]
    assert months_below_dead_storage(STORAGE, 3.0, ALL, margin=1.0).tolist() == [1.0, 3.0]
    assert electricity_saved(STORAGE, slice(2, 4)).tolist() == [8.5, 9.0]
    assert hydropower_total(UNMET, ALL).tolist() == [5.0, 4.0]
    assert leakage_in_year(STORAGE, slice(0, 2)).tolist() == [6.5, 3.25]
    assert flow_compliance(np.array([[1.0, 0.5], [1.0, 1.0]]), ALL).tolist() == [0.75, 1.0]


def test_stress_metrics_count_peak_days_levels_and_the_service_area() -> None:
    peak = np.array([[0.0, 0.0, 3.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    # a month fails if either the monthly mean or the peak day is short
    assert peak_reliability(UNMET, peak, ALL).tolist() == [0.5, 0.25]
    assert peak_reliability(UNMET, peak, ALL, tolerance=1.0).tolist() == [0.5, 0.75]
    assert service_area_shortage(UNMET, 30.0, ALL).tolist() == [150.0, 120.0]
    level = np.array([[270.0, 259.0, 262.0, 280.0], [257.0, 265.0, 261.4, 261.6]])
    assert lowest_level(level, ALL).tolist() == [259.0, 257.0]
    # below the intake (257.5 m) plus its submergence range (4 m): under 261.5 m
    assert months_below_intake(level, 257.5, 4.0, ALL).tolist() == [1.0, 2.0]
    assert months_below_intake(level, np.array([257.5, 250.0]), 4.0, ALL).tolist() == [1.0, 0.0]


def test_metric_objects_select_their_years_and_fill_options() -> None:
    assert months_of(YEARS, (2030, 2031)) == slice(0, 3)
    assert months_of(YEARS, None) == slice(None)
    metric = Metric("rel", "reliability", (2031, 2032), {"tolerance": 1.0})
    assert metric.compute({"unmet_demand": UNMET}, {}, YEARS).tolist() == [1.0, 0.5]
    assert metric.description.endswith("at most 1 m3/d (2031-2032)")
    shortage = Metric("s", "total_shortage", (2030, 2030))
    result = shortage.compute({"unmet_demand": UNMET}, {"days_per_month": 30.4375}, YEARS)
    assert result.tolist() == [5.0 * 30.4375, 2.0 * 30.4375]
    assert shortage.units == "m3"


def test_a_metric_option_given_in_a_sweep_file_overrides_the_default(tmp_path) -> None:
    # storage below dead storage (3 m3) plus a 1 m3 margin, i.e. below 4 m3, counted by hand:
    # member 0: 2.5 (one month); member 1: 3.0, 3.5, 1.0 (three months).
    # The default margin (0) would give [1, 1]: it must not win over the file's value.
    from sweep_support import BASE, write

    from chenzhou_water.sweep import load_sweep

    text = BASE.replace("margin: 5.0e8", "margin: 1")
    metric = load_sweep(write(tmp_path, text)).metrics[3]
    assert metric.key == "months_below_dead_storage"
    assert metric.options == {"margin": 1.0}
    counted = metric.compute({"reservoir_storage": STORAGE}, {"dead_storage": 3.0}, YEARS)
    assert counted.tolist() == [1.0, 3.0]
    assert metric.description == "months in which storage is below dead storage plus 1 m3"
    # and an option left out takes the default
    default = Metric("d", "months_below_dead_storage")
    assert default.compute({"reservoir_storage": STORAGE}, {"dead_storage": 3.0},
                           YEARS).tolist() == [1.0, 1.0]


def test_thresholds_are_strict_and_the_margin_defaults_to_zero() -> None:
    # "below" is strict: a level exactly at the intake plus its submergence range (261.5 m) or a
    # storage exactly at dead storage is not counted
    level = np.array([[261.5, 261.4999, 300.0]])
    assert months_below_intake(level, 257.5, 4.0, ALL).tolist() == [1.0]
    storage = np.array([[3.0, 3.5, 2.9999]])
    assert months_below_dead_storage(storage, 3.0, ALL).tolist() == [1.0]  # margin 0
    assert months_below_dead_storage(storage, 3.0, ALL, margin=0.5).tolist() == [2.0]


def test_a_period_outside_the_results_selects_no_month() -> None:
    for years in ((2040, 2041), (2020, 2029)):
        months = months_of(YEARS, years)
        assert STORAGE[:, months].shape == (2, 0)
    empty = Metric("s", "total_shortage", (2040, 2040))
    assert empty.compute({"unmet_demand": UNMET}, {"days_per_month": 30.0},
                         YEARS).tolist() == [0.0, 0.0]


def test_annual_metric_reduces_any_variable_over_the_months_of_its_year() -> None:
    # 2030 is the first two months: storage [9, 4] for member 0, [3, 3.5] for member 1
    expected = {"mean": [6.5, 3.25], "sum": [13.0, 6.5], "min": [4.0, 3.0], "max": [9.0, 3.5]}
    for reduce, values in expected.items():
        metric = Metric("storage_2030", ANNUAL, (2030, 2030), variable="reservoir_storage",
                        reduce=reduce, variable_units="m3")
        assert metric.compute({"reservoir_storage": STORAGE}, {}, YEARS).tolist() == values
    assert metric.definition.variables == ("reservoir_storage",)
    assert (metric.definition.key, metric.definition.timing) == (ANNUAL, "year")
    assert metric.units == "m3"
    assert metric.description == "max of reservoir_storage over the year (2030)"
    assert metric.to_dict() == {"name": "storage_2030", "metric": "annual",
                                "years": (2030, 2030), "options": {},
                                "variable": "reservoir_storage", "reduce": "max"}
    only_2031 = Metric("u", ANNUAL, (2031, 2031), variable="unmet_demand", reduce="sum")
    assert only_2031.compute({"unmet_demand": UNMET}, {}, YEARS).tolist() == [0.0, 0.0]
    only_2032 = Metric("u", ANNUAL, (2032, 2032), variable="unmet_demand", reduce="sum")
    assert only_2032.compute({"unmet_demand": UNMET}, {}, YEARS).tolist() == [0.0, 2.0]
    assert "variable" not in Metric("rel", "reliability").to_dict()


def test_latin_hypercube_marginals_are_stratified() -> None:
    n = 50
    u = unit_design("latin_hypercube", n, 3, seed=0).rows(0, n)
    assert u.shape == (n, 3)
    assert ((u >= 0) & (u < 1)).all()
    for j in range(3):  # exactly one point in each of the n equal strata of every dimension
        assert sorted(np.floor(u[:, j] * n).astype(int)) == list(range(n))


def test_sobol_is_balanced() -> None:
    u = unit_design("sobol", 64, 2, seed=3).rows(0, 64)
    cells = np.floor(u * 8).astype(int)
    counts = np.zeros((8, 8), int)
    np.add.at(counts, (cells[:, 0], cells[:, 1]), 1)
    assert (counts == 1).all()  # a (0, 6, 2)-net: one point in every 1/8 x 1/8 cell


def test_designs_hand_out_the_same_rows_whatever_the_chunks() -> None:
    for sampler in ("latin_hypercube", "sobol", "halton", "monte_carlo"):
        design = unit_design(sampler, 32, 5, seed=0)
        whole = design.rows(0, 32)
        parts = np.concatenate([design.rows(0, 7), design.rows(7, 20), design.rows(20, 32)])
        assert np.array_equal(whole, parts), sampler
    mc = unit_design("monte_carlo", 10**9, 3, seed=0)  # drawn directly at any index
    assert np.array_equal(mc.rows(999_999_990, 10**9)[5], mc.rows(999_999_995, 999_999_996)[0])
    assert not np.array_equal(
        unit_design("monte_carlo", 4, 3, seed=1).rows(0, 4),
        unit_design("monte_carlo", 4, 3, seed=0).rows(0, 4),
    )


def test_grid_enumerates_every_combination_at_stratum_midpoints() -> None:
    u = unit_design("grid", 6, 2, seed=0, levels=(2, 3)).rows(0, 6)
    assert u.tolist() == [
        [0.25, 1 / 6],
        [0.25, 0.5],
        [0.25, 5 / 6],
        [0.75, 1 / 6],
        [0.75, 0.5],
        [0.75, 5 / 6],
    ]
    assert unit_design("monte_carlo", 3, 0, seed=0).rows(0, 3).shape == (3, 0)


def test_distributions_map_the_unit_interval() -> None:
    u = np.array([0.0, 0.25, 0.5, 0.999])
    assert Distribution("uniform", (2.0, 4.0)).ppf(u).tolist() == [2.0, 2.5, 3.0, 3.998]
    tri = Distribution("triangular", (0.0, 0.0, 1.0)).ppf(np.array([0.75]))
    assert tri[0] == pytest.approx(0.5)  # F(x) = 1 - (1 - x)^2
    normal = Distribution("normal", (1.2, 0.5), (1.0, 1.6)).ppf(np.linspace(0, 1, 101)[:-1])
    assert normal.min() >= 1.0
    assert normal.max() <= 1.6
    assert (np.diff(normal) > 0).all()
    lognormal = Distribution("lognormal", (0.0025, 0.3)).ppf(np.array([0.5]))
    assert lognormal[0] == pytest.approx(0.0025)


def test_lever_weights_pick_alternatives() -> None:
    table = ((2015.0,), (1.0,))
    lever = UncertainLever("x", ("a", "b", "c"), (table,) * 3, (0.5, 0.0, 0.5))
    assert lever.choose(np.array([0.0, 0.49, 0.5, 0.99])).tolist() == [0, 0, 2, 2]


@pytest.mark.parametrize(("kind", "params", "bounds"), [
    ("triangular", (35.0, 42.0, 60.0), (None, None)),
    ("triangular", (0.0, 0.0, 1.0), (None, None)),
    ("triangular", (0.2, 2.5, 2.5), (None, None)),
    ("normal", (5.0e5, 1.0e5), (None, None)),
    ("normal", (5.0e5, 1.0e5), (3.0e5, 9.0e5)),
    ("lognormal", (0.0025, 0.3), (None, None)),
    ("lognormal", (0.0025, 0.3), (0.001, 0.004)),
])  # fmt: skip
def test_sampled_values_are_scipy_stats_quantiles(kind, params, bounds):
    """The sampler's quantile functions (on scipy.special) against scipy.stats itself."""
    from scipy import stats

    u = np.concatenate([np.linspace(0.0, 1.0 - 2.0**-53, 1001), [1e-12, 0.5, 1.0 - 1e-12]])
    got = Distribution(kind, params, bounds).ppf(u)
    if kind == "triangular":
        low, mode, high = params
        want = stats.triang.ppf(u, (mode - low) / (high - low), loc=low, scale=high - low)
    else:
        frozen = (stats.norm(loc=params[0], scale=params[1]) if kind == "normal"
                  else stats.lognorm(s=params[1], scale=params[0]))
        lo, hi = bounds
        p_lo = frozen.cdf(lo) if lo is not None else 0.0
        p_hi = frozen.cdf(hi) if hi is not None else 1.0
        p = np.clip(p_lo + u * (p_hi - p_lo), 2.0**-53, 1.0 - 2.0**-53)
        want = np.clip(frozen.ppf(p), -np.inf if lo is None else lo, np.inf if hi is None else hi)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=0.0)
    if bounds != (None, None):
        assert bounds[0] <= got.min() <= got.max() <= bounds[1]
