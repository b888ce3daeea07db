"""The helpers the generated kernels call (``engine/runtime.py``), each called directly.

Every expectation is worked out apart from the code under test: lookups against
``np.interp`` one member's table at a time and against Vensim's rule of holding the end
values; SMOOTH and DELAY chains against Euler steps done by hand and against the chains
written as Vensim's stocks. DELAY FIXED and the random streams are in
``test_engine_runtime_fixed_random.py``. No model is compiled, so the file runs in about a
second (the two files are the mutation selection of ``engine/runtime.py``).
"""

from __future__ import annotations

import numpy as np
import pytest

from chenzhou_water.engine import runtime as rt
from chenzhou_water.errors import ModelError

# ---- lookups ------------------------------------------------------------------------------
HAND_X = np.array([0.0, 10.0, 20.0])
HAND_Y = np.array([2.0, 4.0, 1.0])


def test_a_shared_lookup_interpolates_and_holds_its_end_values() -> None:
    x = np.array([-5.0, 0.0, 5.0, 10.0, 15.0, 20.0, 30.0])
    # below the table: the first value; between points: linear; beyond: the last value
    expected = [2.0, 2.0, 3.0, 4.0, 2.5, 1.0, 1.0]
    np.testing.assert_allclose(rt.interp(x, (HAND_X, HAND_Y)), expected, rtol=1e-15)


def _member_table(members: int, points: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    xp = np.sort(rng.uniform(-3.0, 7.0, points)) if points > 1 else np.array([1.7])
    return xp, rng.uniform(-50.0, 50.0, (members, points))


def _by_member(x: np.ndarray, xp: np.ndarray, y: np.ndarray) -> np.ndarray:
    """np.interp of each member's own table at its own x (x of shape (1 | n, ...))."""
    x = np.broadcast_to(x, (len(y), *np.shape(x)[1:]))
    return np.stack([np.interp(x[i], xp, y[i]) for i in range(len(y))])


@pytest.mark.parametrize("points", [2, 3, 7])
def test_member_tables_give_what_np_interp_gives_with_each_members_table(points: int) -> None:
    xp, y = _member_table(5, points, seed=points)
    table = rt.MemberTable((xp, y))
    grid = np.concatenate([[xp[0] - 4.0, xp[0] - 1e-9], xp,
                           np.linspace(xp[0], xp[-1], 23), [xp[-1] + 1e-9, xp[-1] + 9.0]])
    for x in grid:  # one x for every member, as Time
        out = rt.interp_members(x, table)
        assert out.shape == (5,)
        expected = [np.interp(x, xp, member) for member in y]
        np.testing.assert_allclose(out, expected, rtol=1e-14, atol=1e-12)
    rng = np.random.default_rng(points + 100)
    for shape in [(5,), (1, 4), (5, 3), (5, 2, 3)]:  # per-member x, with and without dims
        x = rng.uniform(xp[0] - 3.0, xp[-1] + 3.0, shape)
        out = rt.interp_members(x, table)
        assert out.shape == (5, *shape[1:])
        np.testing.assert_allclose(out, _by_member(x, xp, y), rtol=1e-14, atol=1e-12)


def test_member_tables_take_the_table_values_exactly_at_the_points() -> None:
    """At a point the value is the point's y, not the previous segment's line evaluated there
    (which can differ from it in the last bit)."""
    xp = np.array([0.0, 0.1, 0.3, 0.7, 1.3])
    y = np.array([[0.1, 0.7, 0.2, 0.9, 0.3], [1.0 / 3.0, 2.0 / 7.0, 5.0 / 11.0, 0.6, 0.11]])
    table = rt.MemberTable((xp, y))
    for k, point in enumerate(xp):
        np.testing.assert_array_equal(rt.interp_members(point, table), y[:, k])
        per_member = np.full((2, 1), point)
        np.testing.assert_array_equal(rt.interp_members(per_member, table)[:, 0], y[:, k])


def test_member_tables_hold_their_end_values_beyond_the_table() -> None:
    """Vensim's rule: the first value below the table, the last beyond it, never a line
    extended past the ends (the planted bug of issue 19)."""
    xp = np.array([2015.0, 2030.0, 2050.0])
    y = np.array([[100.0, 130.0, 150.0], [90.0, 60.0, 40.0]])
    table = rt.MemberTable((xp, y))
    for year in (2051.0, 2060.0, 1e9):
        np.testing.assert_array_equal(rt.interp_members(year, table), [150.0, 40.0])
    for year in (2014.5, 2000.0, -1e9):
        np.testing.assert_array_equal(rt.interp_members(year, table), [100.0, 90.0])
    # a mix of members below, inside and beyond, over a subscript
    x = np.array([[2000.0, 2040.0, 2070.0], [2070.0, 2020.0, 2000.0]])
    expected = [[100.0, 140.0, 150.0], [40.0, 80.0, 90.0]]
    np.testing.assert_allclose(rt.interp_members(x, table), expected, rtol=1e-14)


def test_member_tables_with_a_repeated_x_step_like_np_interp() -> None:
    """A table with two points at one x (a vertical step) takes the later point's value there,
    as np.interp does, also at the first x."""
    xp = np.array([0.0, 0.0, 1.0, 1.0, 2.0])
    y = np.array([[1.0, 2.0, 3.0, 5.0, 6.0], [0.0, -1.0, -2.0, 4.0, 4.5]])
    with np.errstate(divide="ignore", invalid="ignore"):  # as the engine runs its kernels
        table = rt.MemberTable((xp, y))
        for x in (-1.0, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0):
            expected = [np.interp(x, xp, member) for member in y]
            np.testing.assert_array_equal(rt.interp_members(x, table), expected)
    np.testing.assert_array_equal(rt.interp_members(0.0, table), [2.0, -1.0])


def test_a_one_point_member_table_is_a_constant_per_member() -> None:
    table = rt.MemberTable((np.array([3.0]), np.array([[4.0], [-2.5], [7.0]])))
    for x in (-10.0, 3.0, 3.5, 100.0):
        np.testing.assert_array_equal(rt.interp_members(x, table), [4.0, -2.5, 7.0])
        np.testing.assert_array_equal(np.interp(x, [3.0], [7.0]), 7.0)
    x = np.array([[-1.0, 3.0], [3.0, 9.0], [2.0, 4.0]])
    np.testing.assert_array_equal(rt.interp_members(x, table),
                                  [[4.0, 4.0], [-2.5, -2.5], [7.0, 7.0]])


def test_member_table_accepts_lists_and_keeps_the_member_count() -> None:
    table = rt.MemberTable(([0, 10], [[0, 5], [10, 0], [1, 1], [2, 4]]))
    assert table.members == 4
    np.testing.assert_allclose(rt.interp_members(4, table), [2.0, 6.0, 1.0, 2.8], rtol=1e-15)


def test_subscripted_lookups_interpolate_each_elements_own_table() -> None:
    flat = (([0.0, 5.0], [0.0, 2.0]), ([0.0, 10.0], [1.0, 3.0]), ([0.0, 4.0], [5.0, 1.0]),
            ([0.0, 1.0], [7.0, 8.0]), ([1.0, 2.0], [0.0, -4.0]), ([0.0, 2.0], [3.0, 3.0]))
    tables = rt.tables(flat, (2, 3))
    assert tables.shape == (2, 3)
    assert isinstance(tables[1, 1], tuple)
    np.testing.assert_array_equal(tables[1, 1], [[1.0, 2.0], [0.0, -4.0]])
    # one x for every element and member: shape (1, 2, 3)
    by_hand = [[1.0, 1.5, 2.5], [8.0, -4.0, 3.0]]  # at x = 2.5 (held beyond (0, 1) and (1, 2))
    np.testing.assert_allclose(rt.interp_each(2.5, tables), [by_hand], rtol=1e-15)
    # one x per member, the same for every element: (n,) -> (n, 2, 3)
    out = rt.interp_each(np.array([2.5, 0.0]), tables)
    np.testing.assert_allclose(out, [by_hand, [[0.0, 1.0, 5.0], [7.0, 0.0, 3.0]]], rtol=1e-15)
    # one x per member and element of the first dimension: (n, 2) -> (n, 2, 3)
    x = np.array([[2.5, 1.5], [0.0, 0.5]])
    out = rt.interp_each(x, tables)
    np.testing.assert_allclose(out[0, 1], [8.0, -2.0, 3.0], rtol=1e-15)
    np.testing.assert_allclose(out[1], [[0.0, 1.0, 5.0], [7.5, 0.0, 3.0]], rtol=1e-15)
    # one x per element: (1, 2, 3)
    x = np.arange(6.0).reshape(1, 2, 3)
    expected = [[[0.0, 1.2, 3.0], [8.0, -4.0, 3.0]]]
    np.testing.assert_allclose(rt.interp_each(x, tables), expected, rtol=1e-15)
    # one element selected: its table alone, like a plain lookup
    np.testing.assert_allclose(rt.interp_each(np.array([1.0, 9.0]), tables[0, 1]), [1.2, 2.8],
                               rtol=1e-15)


# ---- shaping -------------------------------------------------------------------------------
def test_values_are_shaped_per_member_and_filled() -> None:
    assert rt.col(np.arange(3.0), 2).shape == (3, 1, 1)
    assert rt.col(5.0, 1).shape == (1, 1)
    np.testing.assert_array_equal(rt.col([1.0, 2.0], 1) + np.zeros((2, 3)),
                                  [[1.0] * 3, [2.0] * 3])
    out = rt.full("2", (3,), np.array([[1.0], [2.0]]))
    np.testing.assert_array_equal(out, [[1.0] * 3, [2.0] * 3])
    np.testing.assert_array_equal(rt.full(3, (), 1.5), [1.5, 1.5, 1.5])
    state = rt.chain(3, 2, (4,), 7.0)
    assert state.shape == (3, 2, 4)
    assert np.all(state == 7.0)


def test_a_constant_output_is_the_same_value_at_every_time() -> None:
    """Outputs are time-major (time, member, *dims): a member's value fills its column."""
    out = np.zeros((4, 2, 3))
    rt.store_constant(out, np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    for t in range(4):
        np.testing.assert_array_equal(out[t], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    scalar = np.zeros((5, 3))
    rt.store_constant(scalar, 2.5)
    assert np.all(scalar == 2.5)
    per_member = np.zeros((5, 3))
    rt.store_constant(per_member, [1, 2, 3])
    np.testing.assert_array_equal(per_member, np.repeat([[1.0, 2.0, 3.0]], 5, axis=0))
    shared = np.zeros((5, 3, 2))
    rt.store_constant(shared, np.array([[7.0, 8.0]]))
    np.testing.assert_array_equal(shared[4, 2], [7.0, 8.0])


# ---- SMOOTH and DELAY chains ----------------------------------------------------------------
def test_third_order_smooth_by_hand() -> None:
    """SMOOTH3(4, T) from 1 with dt = 0.5: each stage moves 3/T of its gap per unit time."""
    state = rt.chain(3, 2, (), 1.0)
    smooth_time = np.array([6.0, 3.0])
    delta = np.empty_like(state)
    rt.smooth_ddt(state, 4.0, smooth_time, 3, delta, 0.5)
    # stage 1: (4 - 1) * 3 / T * 0.5 = 0.75 (T = 6), 1.5 (T = 3); stages 2, 3: no gap yet
    np.testing.assert_allclose(delta, [[0.75, 1.5], [0.0, 0.0], [0.0, 0.0]], rtol=1e-15)
    state += delta
    rt.smooth_ddt(state, 4.0, smooth_time, 3, delta, 0.5)
    # T = 6: stage 1 (4 - 1.75) / 4 = 0.5625, stage 2 (1.75 - 1) / 4 = 0.1875
    # T = 3: stage 1 (4 - 2.5) / 2 = 0.75,    stage 2 (2.5 - 1) / 2 = 0.75
    np.testing.assert_allclose(delta, [[0.5625, 0.75], [0.1875, 0.75], [0.0, 0.0]], rtol=1e-15)


def _smooth_stocks(inputs: list[float], initial: float, smooth_time: float, order: int,
                   dt: float) -> list[float]:
    """SMOOTH N as Vensim writes it: ``order`` stocks, each relaxing towards the one before
    with time constant smooth_time / order; the output is the last stock."""
    stocks = [initial] * order
    outputs = []
    for value in inputs:
        outputs.append(stocks[-1])
        ahead = [value, *stocks[:-1]]
        stocks = [s + dt * (a - s) / (smooth_time / order)
                  for s, a in zip(stocks, ahead, strict=True)]
    return outputs


def _delay_stocks(inputs: list[float], initial: float, delay_time: float, order: int,
                  dt: float) -> list[float]:
    """DELAY N as Vensim writes it: ``order`` stocks of delay_time / order each, starting
    full of the initial flow; the output is the last stock's outflow."""
    stage_time = delay_time / order
    stocks = [initial * stage_time] * order
    outputs = []
    for value in inputs:
        outflows = [s / stage_time for s in stocks]
        outputs.append(outflows[-1])
        inflows = [value, *outflows[:-1]]
        stocks = [s + dt * (i - o) for s, i, o in zip(stocks, inflows, outflows, strict=True)]
    return outputs


INPUTS = [0.0, 3.0, 3.0, 5.0, 1.0, 0.0, 0.0, 2.0, 2.0, 2.0, 8.0, 0.0, 0.0, 0.0, 1.0, 4.0]


def test_smooth_chain_follows_vensims_stocks() -> None:
    smooth_time, dt = np.array([2.0, 5.0, 9.0]), 0.5
    state = rt.chain(3, 3, (), 1.5)
    delta = np.empty_like(state)
    outputs = []
    for value in INPUTS:
        outputs.append(state[-1].copy())
        rt.smooth_ddt(state, value, smooth_time, 3, delta, dt)
        state += delta
    for member, time in enumerate(smooth_time):
        expected = _smooth_stocks(INPUTS, 1.5, time, 3, dt)
        np.testing.assert_allclose(np.array(outputs)[:, member], expected, rtol=1e-12)


def test_delay3_by_hand_and_against_vensims_stocks() -> None:
    delay_time, dt = np.array([3.0, 6.0]), 0.25
    state, order = rt.delay_init(3, dt, delay_time, 2.0, 2, ())
    assert order == 3
    # each stage holds initial * delay_time (the stock of delay_time / 3 times the order)
    np.testing.assert_allclose(state, [[6.0, 12.0]] * 3, rtol=1e-15)
    np.testing.assert_allclose(rt.last_stage(state, order) / delay_time, [2.0, 2.0])
    delta = np.empty_like(state)
    rt.delay_ddt(state, 5.0, delay_time, order, delta, dt)
    # stage 1: (5 - 2) * 3 * 0.25 = 2.25; the other stages: inflow = outflow = 2
    np.testing.assert_allclose(delta, [[2.25, 2.25], [0.0, 0.0], [0.0, 0.0]], rtol=1e-15)
    state, order = rt.delay_init(3, dt, delay_time, 2.0, 2, ())
    outputs = []
    for value in INPUTS:
        outputs.append(rt.last_stage(state, order) / delay_time)
        rt.delay_ddt(state, value, delay_time, order, delta, dt)
        state += delta
    for member, time in enumerate(delay_time):
        expected = _delay_stocks(INPUTS, 2.0, time, 3, dt)
        np.testing.assert_allclose(np.array(outputs)[:, member], expected, rtol=1e-12)


def test_delay1_keeps_its_order_where_the_delay_is_shorter_than_a_step() -> None:
    """Vensim lowers only DELAY N's order; DELAY3 with 3 dt > delay time stays third order."""
    state, order = rt.delay_init(3, 1.0, 2.0, np.array([1.0, 4.0]), 2, ())
    assert order == 3
    assert state.shape == (3, 2)
    np.testing.assert_allclose(state[0], [2.0, 8.0], rtol=1e-15)
    state, order = rt.delay_init(1, 0.5, np.array([[1.0, 3.0]]), 2.0, 1, (2,))
    assert (order, state.shape) == (1, (1, 1, 2))
    np.testing.assert_allclose(state[0, 0], [2.0, 6.0], rtol=1e-15)


def test_per_member_orders_leave_the_stages_beyond_a_members_order_alone() -> None:
    orders = np.array([1, 3])
    state = np.array([[4.0, 6.0], [9.0, 6.0], [9.0, 6.0]])  # member 0 uses stage 1 only
    delta = np.empty_like(state)
    rt.delay_ddt(state, 1.0, 2.0, orders, delta, 0.5)
    # member 0: (1 - 4/2) * 1 * 0.5; member 1: (1 - 3) * 3 * 0.5 then 0, 0
    np.testing.assert_allclose(delta, [[-0.5, -3.0], [0.0, 0.0], [0.0, 0.0]], rtol=1e-15)
    np.testing.assert_array_equal(rt.last_stage(state, orders), [4.0, 6.0])
    np.testing.assert_array_equal(rt.last_stage(state, 3), [9.0, 6.0])


def _delay_n(order: object, dt: float, delay_time: object, n: int,
             shape: tuple[int, ...] = ()) -> rt.DelayN:
    return rt.DelayN(order, dt, delay_time, 2.0, n, shape, "m.mdl: variable 'd': DELAY N")


def test_delay_n_lowers_each_members_order_to_fit_the_time_step() -> None:
    """Order 3 with dt = 1: a delay of 2 runs with order 2, one of 5 keeps order 3."""
    delay = _delay_n(3, 1.0, np.array([2.0, 5.0, 1.0]), 3)
    np.testing.assert_array_equal(delay.order, [2, 3, 1])
    assert delay.state.shape == (3, 3)
    same = _delay_n(np.array([3.0, 3.0]), 1.0, 2.5, 2)
    assert same.order == 2
    assert isinstance(same.order, int)
    assert same.state.shape == (2, 2)
    # subscripted delay times: the smallest element sets each member's order
    per_element = _delay_n(4, 1.0, np.array([[3.0, 2.0], [5.0, 6.0]]), 2, (2,))
    np.testing.assert_array_equal(per_element.order, [2, 4])
    shared = _delay_n(4, 1.0, np.array([[3.0, 2.0]]), 3, (2,))
    assert shared.order == 2
    assert shared.state.shape == (2, 3, 2)
    exact = _delay_n(2.9, 0.5, 1.0, 1)  # int() of the order, then 2 * 0.5 <= 1 fits
    assert exact.order == 2


def test_delay_n_runs_like_vensims_stocks_with_each_members_order() -> None:
    delay_time, dt = np.array([2.0, 5.0, 0.75]), 0.5
    delay = _delay_n(np.array([3.0, 3.9, 1.0]), dt, delay_time, 3)
    np.testing.assert_array_equal(delay.order, [3, 3, 1])
    outputs = []
    for value in INPUTS:
        outputs.append(delay.value())
        delay.ddt(value, delay_time, dt)
        delay.commit()
    for member, (time, order) in enumerate(zip(delay_time, [3, 3, 1], strict=True)):
        expected = _delay_stocks(INPUTS, 2.0, time, order, dt)
        np.testing.assert_allclose(np.array(outputs)[:, member], expected, rtol=1e-12)


def test_delay_n_stages_keep_the_delay_time_they_entered_with() -> None:
    """PySD's DelayN: a changed delay time applies to the first stage; the others keep the
    times their contents entered with (rolled one stage a step)."""
    delay = _delay_n(2, 1.0, 4.0, 1)  # stages of 2 * 4 = 8, outflows 8/4 = 2
    delay.ddt(6.0, 2.0, 1.0)  # times -> [2, 4]: outflows [4, 2]
    # stage 1: (6 - 4) * 2 = 4; stage 2: (4 - 2) * 2 = 4
    np.testing.assert_allclose(delay.delta, [[4.0], [4.0]], rtol=1e-15)
    delay.commit()
    np.testing.assert_allclose(delay.state, [[12.0], [12.0]], rtol=1e-15)
    # PySD's output: the last stage over the first stage's (the newest) delay time
    np.testing.assert_allclose(delay.value(), [12.0 / 2.0], rtol=1e-15)
    delay.ddt(6.0, 2.0, 0.5)  # times -> [2, 2]: outflows [6, 6]
    np.testing.assert_allclose(delay.delta, [[0.0], [0.0]], atol=1e-15)


def test_smooth_n_runs_like_vensims_stocks_with_each_members_order() -> None:
    orders, smooth_time, dt = [1, 3, 2], np.array([2.0, 4.0, 3.0]), 0.5
    smooth = rt.SmoothN(np.array([1.0, 3.0, 2.5]), 1.5, 3, (), "m.mdl: variable 's': SMOOTH N")
    np.testing.assert_array_equal(smooth.order, orders)
    assert smooth.state.shape == (3, 3)
    outputs = []
    for value in INPUTS:
        outputs.append(smooth.value())
        smooth.ddt(value, smooth_time, dt)
        smooth.commit()
    for member, (time, order) in enumerate(zip(smooth_time, orders, strict=True)):
        expected = _smooth_stocks(INPUTS, 1.5, time, order, dt)
        np.testing.assert_allclose(np.array(outputs)[:, member], expected, rtol=1e-12)
    one = rt.SmoothN(3, np.array([[1.0, 2.0]]), 1, (2,), "s")
    assert one.order == 3
    one.ddt(4.0, 1.5, 0.5)  # stage 1: (4 - x) * 3 / 1.5 * 0.5 = 4 - x
    np.testing.assert_allclose(one.delta[:, 0], [[3.0, 2.0], [0.0, 0.0], [0.0, 0.0]])


def test_per_member_orders_over_a_subscript() -> None:
    """DELAY N and SMOOTH N of a variable over three elements, members of orders 1 and 2:
    each element runs like the chain of its member's order."""
    dt, delay_time, inputs = 1.0, 2.0, INPUTS[:8]
    elements = np.array([1.0, 2.0, 5.0])
    delay = rt.DelayN(np.array([1.0, 2.0]), dt, delay_time, 1.0, 2, (3,), "d")
    smooth = rt.SmoothN(np.array([1.0, 2.0]), 1.0, 2, (3,), "s")
    delayed, smoothed = [], []
    for value in inputs:
        delayed.append(delay.value())
        smoothed.append(smooth.value())
        delay.ddt(value * elements, delay_time, dt)
        smooth.ddt(value * elements, 4.0, dt)
        delay.commit()
        smooth.commit()
    for member, order in enumerate([1, 2]):
        for e, scale in enumerate(elements):
            scaled = [v * scale for v in inputs]
            np.testing.assert_allclose(np.array(delayed)[:, member, e],
                                       _delay_stocks(scaled, 1.0, delay_time, order, dt),
                                       rtol=1e-12)
            np.testing.assert_allclose(np.array(smoothed)[:, member, e],
                                       _smooth_stocks(scaled, 1.0, 4.0, order, dt), rtol=1e-12)


@pytest.mark.parametrize(
    ("order", "delay_time", "message"),
    [
        (0.5, 3.0, r"^m\.mdl: variable 'd': DELAY N: the order must be at least 1, got 0\.5$"),
        (np.array([2.0, 0.0]), 3.0, r"^m\.mdl: variable 'd': DELAY N: the order must be at "
         r"least 1, got array\(\[2\., 0\.\]\)$"),
        (np.array([[1.0, 2.0], [2.0, 2.0]]), 3.0,
         r"^m\.mdl: variable 'd': DELAY N: the order must be the same for every subscript "
         r"element$"),
        (1, np.array([0.5, 3.0]),
         r"^m\.mdl: variable 'd': DELAY N: the delay time is shorter than TIME STEP$"),
    ],
)
def test_bad_orders_and_delay_times_are_refused_naming_the_variable(
        order: object, delay_time: object, message: str) -> None:
    shape = (2,) if np.ndim(order) == 2 else ()
    with pytest.raises(ModelError, match=message):
        _delay_n(order, 1.0, delay_time, 2, shape)


def test_smooth_n_refuses_an_order_below_one() -> None:
    with pytest.raises(ModelError, match=r"^s: the order must be at least 1, got -2$"):
        rt.SmoothN(-2, 0.0, 1, (), "s")
    orders = rt.member_orders(np.array([[2.0, 2.0], [3.7, 3.7]]), 2, "s")
    np.testing.assert_array_equal(orders, [2, 3])
    assert orders.dtype == np.int64
