"""Sums and means over months: added a month at a time in time order, so that a member's metric
is the same to the bit whatever the layout of its series and however many members its block
holds (a sweep's figures must not depend on its chunk size or number of workers)."""

from __future__ import annotations

import functools
import operator

import numpy as np
import pytest

from chenzhou_water.sweep.metrics import (
    ANNUAL_REDUCTIONS,
    electricity_saved,
    flow_compliance,
    hydropower_total,
    leakage_in_year,
    service_area_shortage,
    total_shortage,
)

ALL = slice(None)
# the sum of the sweep's sum metrics without a constant factor, and the mean metrics
SUMS = {
    "total_shortage": lambda v, m: total_shortage(v, 1.0, m),
    "service_area_shortage": lambda v, m: service_area_shortage(v, 1.0, m),
    "electricity_saved": electricity_saved,
    "hydropower_total": hydropower_total,
    "annual sum": ANNUAL_REDUCTIONS["sum"],
}
MEANS = {
    "leakage_in_year": leakage_in_year,
    "flow_compliance": flow_compliance,
    "annual mean": ANNUAL_REDUCTIONS["mean"],
}


def _in_time_order(months: list[float]) -> float:
    """0.0 + the first month + the second + ..., one addition at a time."""
    return functools.reduce(operator.add, months, 0.0)


@pytest.mark.parametrize("metric", SUMS.values(), ids=SUMS.keys())
def test_sums_add_the_months_in_time_order(metric) -> None:
    # 1 + 1e16 rounds to 1e16 (float64's spacing there is 2), so the order decides the result:
    # in time order ((1 + 1e16) - 1e16) + 0.5 = 0.5; backwards (0.5 - 1e16) + 1e16 + 1 = 1.0
    values = np.array([[1.0, 1e16, -1e16, 0.5],
                       [2.0, 3.0, -4.0, 0.25],
                       [0.0, 0.0, 0.0, 0.0]])  # fmt: skip
    assert metric(values, ALL).tolist() == [0.5, 1.25, 0.0]
    assert metric(values, slice(1, 3)).tolist() == [0.0, -1.0, 0.0]
    assert metric(values, slice(3, 4)).tolist() == [0.5, 0.25, 0.0]  # one month
    assert metric(values, slice(4, 4)).tolist() == [0.0, 0.0, 0.0]  # no month: nothing added


@pytest.mark.parametrize("metric", MEANS.values(), ids=MEANS.keys())
def test_means_divide_the_time_ordered_sum_by_the_month_count(metric) -> None:
    values = np.array([[1.0, 1e16, -1e16, 0.5],
                       [0.2, 0.4, 0.9, 0.1]])  # fmt: skip
    assert metric(values, ALL).tolist() == [0.5 / 4, (((0.2 + 0.4) + 0.9) + 0.1) / 4]
    assert metric(values, slice(0, 3)).tolist() == [0.0, ((0.2 + 0.4) + 0.9) / 3]
    assert metric(values, slice(2, 3)).tolist() == [-1e16, 0.9]  # one month: itself


@pytest.mark.parametrize("metric", MEANS.values(), ids=MEANS.keys())
def test_a_mean_over_no_month_is_nan_for_every_member(metric) -> None:
    values = np.arange(12.0).reshape(3, 4)  # three members, four months
    result = metric(values, slice(4, 4))
    assert result.shape == (3,)
    assert np.isnan(result).all()
    single = metric(values[:1], slice(2, 2))
    assert single.shape == (1,)
    assert np.isnan(single).all()


@pytest.mark.parametrize("metric", [*SUMS.values(), *MEANS.values()],
                         ids=[*SUMS.keys(), *MEANS.keys()])  # fmt: skip
def test_a_members_result_is_the_same_to_the_bit_for_any_layout_and_block(metric) -> None:
    # 7 members x 120 months of values of mixed magnitude: numpy's own reductions (pairwise,
    # or in an order that depends on the layout) differ from the time order in the last bits
    rng = np.random.default_rng(19)
    member_major = rng.lognormal(0.0, 3.0, size=(7, 120)) * rng.choice([-1.0, 1.0], (7, 120))
    time_major = np.ascontiguousarray(member_major.T).T  # the engine's series: views of this
    assert time_major.flags.f_contiguous
    assert not time_major.flags.c_contiguous
    is_mean = metric in MEANS.values()
    for months in (ALL, slice(12, 24), slice(5, 118)):
        picked = member_major[:, months]
        expected = [_in_time_order(row) / (picked.shape[1] if is_mean else 1)
                    for row in picked.tolist()]  # fmt: skip
        assert metric(member_major, months).tolist() == expected
        assert metric(time_major, months).tolist() == expected
        for member in range(7):  # a block of one member, and a block of the last ones
            assert metric(time_major[member:member + 1], months).tolist() == [expected[member]]
            assert metric(member_major[member:], months).tolist() == expected[member:]
    # the check has teeth: numpy's sum of these rows is not the time-ordered sum for all
    numpy_sums = member_major.sum(axis=1).tolist()
    time_ordered = [_in_time_order(row) for row in member_major.tolist()]
    assert numpy_sums != time_ordered
    np.testing.assert_allclose(numpy_sums, time_ordered, rtol=1e-9)  # but only in the last bits
