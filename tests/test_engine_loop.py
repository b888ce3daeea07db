"""The kernel's time loop: what it moves out, what it computes once, and results that stay right.

The kernel computes time-only values (calendar month, lookups of schedules by time, seasonal
shares) once over the whole time grid before the loop (:mod:`chenzhou_water.engine.hoist`);
the loop reads them by step. These tests check the values against a hand computation at every
saved step, with a save period longer than the time step (so the step and the saved column
differ), and that the loop body makes no scalar lookup any more. A sub-expression repeated in
several equations is computed once a step (:mod:`chenzhou_water.engine.cse`), with the same
results.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from engine_support import compile_text

MODEL = """{UTF-8}
season table(
  [(1,0)-(12,2)],(1,0.5),(6,1.5),(12,0.5)) ~ Dmnl ~ |
base demand = 100 ~ m3/Month ~ |
month = MODULO(Time, 12) + 1 ~ Dmnl ~ |
seasonal share = season table(month) ~ Dmnl ~ |
demand = base demand * seasonal share * (1 + ramp share) ~ m3/Month ~ |
ramp share = RAMP(0.01, 6, 18) ~ Dmnl ~ |
inflow = 50 * (1 + Time / 12) ~ m3/Month ~ |
storage = INTEG(inflow - demand, 1000) ~ m3 ~ |
INITIAL TIME = 0 ~ Month ~ |
FINAL TIME = 30 ~ Month ~ |
TIME STEP = 0.5 ~ Month ~ |
SAVEPER = 2 ~ Month ~ |
"""


@pytest.fixture
def model(tmp_path: Path):
    return compile_text(MODEL, tmp_path, "seasonal.mdl")


def _by_hand(base: np.ndarray) -> dict[str, np.ndarray]:
    """Euler integration of the model written out in numpy, step by step."""
    dt = 0.5
    times = np.arange(0.0, 30.0 + dt / 2, dt)
    month = np.mod(times, 12) + 1
    share = np.interp(month, [1, 6, 12], [0.5, 1.5, 0.5])
    ramp = np.where(times > 6, 0.01 * (np.minimum(times, 18) - 6), 0.0)
    demand = base[:, None] * share * (1 + ramp)
    inflow = 50 * (1 + times / 12)
    storage = np.empty_like(demand)
    storage[:, 0] = 1000.0
    for k in range(1, len(times)):
        storage[:, k] = storage[:, k - 1] + (inflow[k - 1] - demand[:, k - 1]) * dt
    saved = np.isclose(np.mod(times, 2), 0)
    return {"month": month[saved], "seasonal_share": share[saved], "demand": demand[:, saved],
            "storage": storage[:, saved], "time": times[saved]}


def test_time_only_values_are_right_at_every_saved_step(model) -> None:
    base = np.array([80.0, 100.0, 130.0])
    out = model.run_arrays({"base demand": base}, members=3,
                           return_columns=["month", "seasonal share", "demand", "storage"])
    want = _by_hand(base)
    np.testing.assert_array_equal(out["time"], want["time"])
    for member in range(3):
        np.testing.assert_allclose(out["month"][member], want["month"], rtol=1e-12)
        np.testing.assert_allclose(out["seasonal_share"][member], want["seasonal_share"],
                                   rtol=1e-12)
    np.testing.assert_allclose(out["demand"], want["demand"], rtol=1e-12)
    np.testing.assert_allclose(out["storage"], want["storage"], rtol=1e-12)


def test_one_member_and_many_give_the_same_values(model) -> None:
    one = model.run_arrays({"base demand": 130.0}, return_columns=["storage", "demand"])
    many = model.run_arrays({"base demand": np.array([80.0, 130.0])}, members=2,
                            return_columns=["storage", "demand"])
    np.testing.assert_array_equal(many["storage"][1], one["storage"][0])
    np.testing.assert_array_equal(many["demand"][1], one["demand"][0])


def test_the_loop_makes_no_scalar_lookup(model) -> None:
    model.run_arrays({"base demand": np.array([80.0, 100.0])}, members=2)
    for kernel in model._kernels.values():
        before, loop = kernel.source.split("for k in range(last + 1):")
        assert "_rt.interp(" not in loop  # the seasonal share is read as h<i>[k]
        assert "_rt.interp(v" in before
        assert "t = np.asarray(times)" in before


SHARED = """{UTF-8}
base inflow = 10 ~ m3/Month ~ |
inflow = base inflow * (1 + Time / 100) ~ m3/Month ~ |
loss = 2 ~ m3/Month ~ |
net = (inflow - loss) * 1 ~ m3/Month ~ |
doubled = (inflow - loss) * 2 ~ m3/Month ~ |
share = IF THEN ELSE((inflow - loss) > 5, (inflow - loss) / 3, 0) ~ m3/Month ~ |
stock = INTEG(net + doubled - share, 0) ~ m3 ~ |
INITIAL TIME = 0 ~ Month ~ |
FINAL TIME = 4 ~ Month ~ |
TIME STEP = 1 ~ Month ~ |
SAVEPER = 1 ~ Month ~ |
"""


def test_a_repeated_sub_expression_is_computed_once_a_step(tmp_path: Path) -> None:
    model = compile_text(SHARED, tmp_path, "shared.mdl")
    base, loss = np.array([10.0, 6.0, 4.0]), np.array([2.0, 2.0, 0.5])
    out = model.run_arrays({"base inflow": base, "loss": loss}, members=3)
    times = np.arange(5.0)
    d = base[:, None] * (1 + times / 100) - loss[:, None]
    share = np.where(d > 5, d / 3, 0.0)
    np.testing.assert_allclose(out["share"], share, rtol=1e-15)
    np.testing.assert_allclose(out["doubled"], 2 * d, rtol=1e-15)
    stock = np.concatenate([np.zeros((3, 1)), np.cumsum(d + 2 * d - share, axis=1)[:, :-1]], 1)
    np.testing.assert_allclose(out["stock"], stock, rtol=1e-12)
    (kernel,) = [k for k in model._kernels.values() if "bcse0" in k.source]
    loop = kernel.source.split("for k in range(last + 1):")[1]
    assert loop.count("np.subtract(v1_inflow, v2_loss") == 1  # written four times in the model
