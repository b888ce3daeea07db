"""The calibration objective on a straight line in time, every figure worked out by hand.

``tests/models/calibration_line.mdl``: ``volume = offset + slope * Time`` (m³) and ``release =
release_fraction * volume`` (m³/month); model time 12 is January 2020, the step is one month
and the model saves only yearly. Two members: A (offset 2, slope 0.5) and B (offset 4,
slope 0.4). The month ``m`` of the run (0 = January 2020) is at ``Time = 12 + m``, so member A
holds ``2 + 0.5 * (12 + m)`` m³ then.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pytest

from chenzhou_water.calibration import load_parameters, load_targets
from chenzhou_water.calibration.objective import (
    FAILED_MEMBER,
    Objective,
    evaluate_targets,
    series_z,
)
from chenzhou_water.calibration.targets import Target
from chenzhou_water.errors import ModelError

MODEL = Path(__file__).parent / "models" / "calibration_line.mdl"

TARGETS = """
targets:
  mean_2021:
    variable: volume
    period: 2021
    reduce: annual_mean
    value: 16
    unit: m3
    tolerance: 0.5
    weight: 2
    hard: false
    source: by hand
  cap_2020:
    variable: volume
    period: 2020
    reduce: max
    upper: 13.3
    unit: m3
    tolerance: 0.1
    hard: true
    source: by hand
  release_2021:
    variable: release
    period: 2021
    reduce: annual_sum
    value: 0.039
    unit: 1000*m3/year
    tolerance: 0.001
    hard: false
    source: by hand
  floor_2020:
    variable: volume
    period: 2020
    reduce: monthly
    lower: 9
    unit: m3
    tolerance: 0.5
    hard: false
    source: by hand
  low_2021:
    variable: volume
    period: 2021
    reduce: min
    lower: 15
    unit: m3
    tolerance: 1
    hard: false
    source: by hand
  monthly_volume:
    observations: monthly.csv
    variable: volume
    reduce: monthly
    unit: m3
    tolerance: 1
    weight: 0.5
    hard: true
    source: by hand
  yearly_peak:
    observations: yearly.csv
    variable: volume
    reduce: annual_max
    unit: m3
    tolerance: 2
    hard: false
    source: by hand
"""

PARAMETERS = """
parameters:
  offset:
    bounds: [0, 10]
  slope:
    bounds: [0.3, 0.9]
    prior: {distribution: normal, mean: 0.5, sd: 0.1}
"""

#: Members A and B as the fit passes them: one row per parameter (offset, slope).
X = np.array([[2.0, 4.0], [0.5, 0.4]])

# Each target's (simulated, error, z, contribution) for members A and B, by hand.
# mean_2021: the mean of Time 24..35 is 29.5: A 2 + 0.5 * 29.5 = 16.75, B 4 + 0.4 * 29.5 = 15.8.
MEAN_2021 = ([16.75, 15.8], [0.75, -0.2], [1.5, -0.4], [2 * 1.5**2, 2 * 0.4**2])
# cap_2020: the largest month of 2020 is Time 23: A 13.5 (0.2 above 13.3, z = 2, so the hard
# penalty 100 * (2 - 1)**2 adds to z**2), B 13.2 (inside).
CAP_2020 = ([13.5, 13.2], [0.2, 0.0], [2.0, 0.0], [4.0 + 100.0, 0.0])
# release_2021: release_fraction 0.2 (the base parameters, not the model's 0.1); the sum over
# 2021 is 0.2 * 12 * mean volume m³/year, in thousands: A 0.0402, B 0.03792.
RELEASE_2021 = ([0.0402, 0.03792], [0.0012, -0.00108], [1.2, -1.08], [1.44, 1.08**2])
# floor_2020: every month of 2020 at least 9; the worst is January (Time 12): A 8, B 8.8.
FLOOR_2020 = ([8.0, 8.8], [-1.0, -0.2], [-2.0, -0.4], [4.0, 0.16])
# low_2021: the smallest month of 2021 (Time 24) at least 15: A 14, B 13.6.
LOW_2021 = ([14.0, 13.6], [-1.0, -1.4], [-1.0, -1.4], [1.0, 1.96])
# monthly_volume: observed 14 (sd 1), 17 (sd 2), 20 (sd: the tolerance, 1) in 2021-01, -06,
# -12 (Time 24, 29, 35). A: 14, 16.5, 19.5, z_i = 0, -0.25, -0.5; B: 13.6, 15.6, 18,
# z_i = -0.4, -0.7, -2. z is the root mean square, signed with the mean error; hard: B's
# |z| = sqrt(1.55) is beyond 1.
MONTHLY_A = 0.25**2 + 0.5**2
MONTHLY_B = 0.4**2 + 0.7**2 + 2**2
MONTHLY = (
    [50 / 3, 47.2 / 3],
    [50 / 3 - 17, 47.2 / 3 - 17],
    [-math.sqrt(MONTHLY_A / 3), -math.sqrt(MONTHLY_B / 3)],
    [0.5 * MONTHLY_A, 0.5 * MONTHLY_B + 100 * (math.sqrt(MONTHLY_B / 3) - 1) ** 2],
)
# yearly_peak: observed 20 in 2021 and 30 in 2023, none in 2022 (sd 2); the largest months
# are Time 35 and 59: A 19.5, 31.5 (z_i = -0.25, 0.75: mean error +0.5, so z is positive);
# B 18, 27.6 (z_i = -1, -1.2).
YEARLY = ([25.5, 22.8], [0.5, -2.2], [math.sqrt(0.625 / 2), -math.sqrt(2.44 / 2)], [0.625, 2.44])
BY_HAND = [MEAN_2021, CAP_2020, RELEASE_2021, FLOOR_2020, LOW_2021, MONTHLY, YEARLY]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def by_name(objective: Objective, name: str) -> Target:
    return next(t for t in objective.targets if t.name == name)


@pytest.fixture(scope="module")
def line_model(_cache_dir: Path):
    from chenzhou_water.engine import compile_model

    return compile_model(MODEL)


@pytest.fixture
def objective(line_model, tmp_path: Path) -> Objective:
    write(
        tmp_path, "monthly.csv", "time,value,uncertainty\n2021-01,14,1\n2021-06,17,2\n2021-12,20,\n"
    )
    write(tmp_path, "yearly.csv", "time,value\n2021,20\n2023,30\n")
    targets = load_targets(write(tmp_path, "targets.yaml", TARGETS), MODEL)
    parameters = load_parameters(write(tmp_path, "parameters.yaml", PARAMETERS), MODEL)
    base = {"offset": 100.0, "release_fraction": 0.2}  # offset is free: x overrides it
    return Objective(targets, parameters, line_model, base)


def test_every_target_of_two_members_by_hand(objective: Objective):
    evaluation = objective.evaluate(X)
    for field, position in (("simulated", 0), ("error", 1), ("z", 2), ("contribution", 3)):
        expected = [target[position] for target in BY_HAND]
        np.testing.assert_allclose(
            getattr(evaluation, field), expected, rtol=1e-9, atol=1e-12, err_msg=field
        )
    misfit = np.sum([target[3] for target in BY_HAND], axis=0)
    np.testing.assert_allclose(evaluation.misfit, misfit, rtol=1e-9)
    np.testing.assert_allclose(objective.misfit(X), misfit, rtol=1e-9)
    assert sorted(evaluation.series) == ["monthly_volume", "yearly_peak"]
    np.testing.assert_allclose(
        evaluation.series["monthly_volume"], [[14, 16.5, 19.5], [13.6, 15.6, 18]], rtol=1e-12
    )
    np.testing.assert_allclose(
        evaluation.series["yearly_peak"], [[19.5, 31.5], [18, 27.6]], rtol=1e-12
    )


def test_the_objective_adds_the_prior_and_counts_members(objective: Objective):
    misfit = objective.misfit(X)
    assert objective.nfev == 2
    # slope's prior is normal(0.5, 0.1): -2 log p is 0 for A and ((0.4 - 0.5) / 0.1)**2 for B
    np.testing.assert_allclose(objective(X), misfit + np.array([0.0, 1.0]), rtol=1e-9)
    assert objective.nfev == 4
    # the engine run also takes members one per row (n, n_param), or one member alone
    three = np.column_stack([X, [[4.0], [0.4]]])
    by_row = objective.simulate(three.T)["volume"]
    np.testing.assert_allclose(by_row, objective.simulate(three)["volume"], rtol=1e-12)
    assert objective.nfev == 4 + 3 + 3
    np.testing.assert_allclose(objective.simulate(X[:, 0])["volume"], by_row[:1], rtol=1e-12)
    assert objective.nfev == 4 + 3 + 3 + 1
    simulated = objective.simulate(X)
    assert sorted(simulated) == ["release", "volume"]  # what the targets read; no "time"
    assert simulated["volume"].shape == (2, 48)  # every month, 2020 to 2023, saved yearly or not
    np.testing.assert_allclose(simulated["volume"][1, [0, 47]], [4 + 0.4 * 12, 4 + 0.4 * 59])


def test_outside_its_bounds_a_member_has_no_prior_and_a_failed_run_has_a_finite_misfit(
    objective: Objective,
):
    outside = np.array([[2.0, 2.0], [0.95, 0.2]])  # slope above and below its bounds
    assert np.all(np.isinf(objective(outside)))
    failed = np.array([[2.0, np.nan], [0.5, 0.5]])
    misfit = objective.misfit(failed)
    assert misfit[1] == FAILED_MEMBER
    np.testing.assert_allclose(misfit[0], objective.misfit(X)[0], rtol=1e-12)


def test_unit_cube_maps_bounds_to_zero_and_one_and_clips(objective: Objective):
    u = np.array([[0.2, 0.4], [1 / 3, 1 / 6]])  # A and B
    np.testing.assert_allclose(objective.from_unit(u), X, rtol=1e-12)
    np.testing.assert_allclose(objective.to_unit(X), u, rtol=1e-12)
    np.testing.assert_allclose(objective.to_unit([10.0, 0.3]), [1.0, 0.0])
    np.testing.assert_allclose(objective.from_unit([0.5, 0.5]), [5.0, 0.6])
    np.testing.assert_allclose(objective.unit_objective(u), objective(X), rtol=1e-9)
    # beyond the cube, the optimiser's point is clipped to it: the upper bounds exactly, even
    # where 0.3 + 1.0 * (0.9 - 0.3) rounds to 0.9000000000000001
    corner = objective.unit_objective(np.array([[1.5], [1.0]]))
    np.testing.assert_allclose(corner, objective(np.array([[10.0], [0.9]])), rtol=1e-12)
    assert np.isfinite(corner[0])
    low = objective.unit_objective(np.array([[-0.5], [-1.0]]))
    np.testing.assert_allclose(low, objective(np.array([[0.0], [0.3]])), rtol=1e-12)


def test_a_run_that_stops_early_is_an_error_naming_the_variable(objective: Objective, monkeypatch):
    run_arrays = objective.model.run_arrays

    def short(**kwargs):
        return {
            name: values[:, :-1] for name, values in run_arrays(**kwargs).items() if name != "time"
        }

    monkeypatch.setattr(objective.model, "run_arrays", short)
    with pytest.raises(ModelError) as info:
        objective.misfit(X)
    assert str(info.value) == "volume: expected 48 monthly values, got 47"
    assert objective.nfev == 0


def test_series_z_is_the_signed_root_mean_square_and_refuses_a_single_figure(objective: Objective):
    monthly = by_name(objective, "monthly_volume")
    # errors -1, +1, 0 (sd 1, 2, 1): no bias, so z is positive; the contribution is
    # weight * sum(z_i**2) = 0.5 * (1 + 0.25)
    z, part = series_z(monthly, np.array([[13.0, 18.0, 20.0]]))
    np.testing.assert_allclose(z, [math.sqrt(1.25 / 3)], rtol=1e-12)
    np.testing.assert_allclose(part, [0.5 * 1.25], rtol=1e-12)
    with pytest.raises(ValueError, match=r"^mean_2021 is not a time-series target$"):
        series_z(by_name(objective, "mean_2021"), np.zeros((1, 1)))


def test_a_hard_series_target_within_tolerance_adds_no_penalty(objective: Objective):
    # member A's monthly z is -0.32: inside, so its contribution is weight * sum z_i**2 alone
    arrays = objective.simulate(X)
    evaluation = evaluate_targets(objective.targets, arrays)
    assert evaluation.contribution[5, 0] == pytest.approx(0.5 * MONTHLY_A, rel=1e-9)
