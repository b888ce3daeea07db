"""What the code generator moves out of the time loop, and what it must leave in, by hand.

One small model holds each case: a lookup of the calendar month inside member-varying
equations (moved, computed once however often it is written), a lookup of ``Time / TIME
STEP`` (a control variable is a constant), an IF THEN ELSE on time alone (its condition moved,
still a boolean), a subscripted equation of a member-varying constant (left in), a SUM over a
subscript (left in), a lookup of a stock (left in: it depends on the step before) and a
random draw (left in: one draw per member and step). Every value is checked against numpy
written out step by step, and the loop's source against what must and must not be in it.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from engine_support import compile_text

MODEL = """{UTF-8}
district: (d1-d3) ~ ~ |
season table(
  [(1,0)-(12,2)],(1,0.5),(6,1.5),(12,0.5)) ~ Dmnl ~ |
price table(
  [(0,0)-(40,2)],(0,1),(40,2)) ~ Dmnl ~ |
area curve(
  [(0,0)-(2000,10)],(0,0),(2000,10)) ~ km2 ~ |
weight[district] = 1, 2, 4 ~ Dmnl ~ |
base demand = 100 ~ m3/Month ~ |
month = MODULO(Time, 12) + 1 ~ Dmnl ~ |
demand = base demand * season table(month) * price table(Time / TIME STEP) ~ m3/Month ~ |
other demand = base demand * 2 * season table(month) ~ m3/Month ~ |
rationing = IF THEN ELSE(Time > 10, base demand * 0.5, base demand) ~ m3/Month ~ |
district demand[district] = base demand * season table(month) * weight[district] ~ m3/Month ~ |
weighted time = SUM(weight[district!] * Time) ~ Month ~ |
noise = RANDOM UNIFORM(0, 1, 7) ~ Dmnl ~ |
area = area curve(storage) ~ km2 ~ |
storage = INTEG(50 - area, 1000) ~ m3 ~ |
INITIAL TIME = 0 ~ Month ~ |
FINAL TIME = 24 ~ Month ~ |
TIME STEP = 1 ~ Month ~ |
SAVEPER = 1 ~ Month ~ |
"""
BASE = np.array([80.0, 100.0, 130.0])


@pytest.fixture
def run(tmp_path: Path):
    model = compile_text(MODEL, tmp_path, "moved.mdl")
    out = model.run_arrays({"base demand": BASE}, members=3)
    (kernel,) = [k for k in model._kernels.values() if "b6_demand" in k.source]
    return out, kernel.source


def test_every_value_is_the_one_computed_by_hand(run) -> None:
    out, _ = run
    t = np.arange(25.0)
    month = np.mod(t, 12) + 1
    season = np.interp(month, [1, 6, 12], [0.5, 1.5, 0.5])
    weight = np.array([1.0, 2.0, 4.0])
    b = BASE[:, None]
    np.testing.assert_allclose(out["demand"], b * season * (1 + t / 40), rtol=1e-13)
    np.testing.assert_allclose(out["other_demand"], b * 2 * season, rtol=1e-13)
    np.testing.assert_array_equal(out["rationing"], np.where(t > 10, b * 0.5, b))
    np.testing.assert_allclose(out["district_demand"],
                               (b * season)[:, :, None] * weight, rtol=1e-13)
    np.testing.assert_allclose(out["weighted_time"], np.tile(7 * t, (3, 1)), rtol=1e-13)
    storage = [1000.0]  # the area curve is held at 10 km2 beyond 2,000 m3 (month 22 on)
    for _ in range(24):
        storage.append(storage[-1] + 50 - np.interp(storage[-1], [0, 2000], [0, 10]))
    area = np.interp(storage, [0, 2000], [0, 10])
    np.testing.assert_allclose(out["storage"], np.tile(storage, (3, 1)), rtol=1e-12)
    np.testing.assert_allclose(out["area"], np.tile(area, (3, 1)), rtol=1e-12)
    noise = out["noise"]  # one draw per member and step
    assert np.all((noise >= 0) & (noise < 1))
    assert len(np.unique(noise[:, 3])) == 3
    assert len(np.unique(noise[0])) == 25


def test_the_loop_reads_what_was_moved_and_keeps_what_cannot_move(run) -> None:
    _, source = run
    before, loop = source.split("for k in range(last + 1):")
    before = before.split("t = np.asarray(times)")[1]  # the code between start and loop
    # the month's lookup, written three times, is computed once, before the loop
    assert len(re.findall(r"_rt\.interp\(v\d+_month, v\d+_season_table\)", before)) == 1
    assert "_rt.interp(np.divide(t, c_time_step), v1_price_table)" in before
    assert "season_table" not in loop
    assert "price_table" not in loop
    assert "np.not_equal" not in loop  # the moved condition is still a boolean
    # what depends on the previous step, on a member or on a subscript sum stays in the loop
    assert re.search(r"_rt\.interp\(v\d+_storage, v\d+_area_curve\)", loop)
    assert "np.sum(" in loop
    assert "_rt.random_uniform(" in loop
    assert re.search(r"\(v\d+_base_demand \* h\d+\[k\]\)", loop)  # district demand, per member
