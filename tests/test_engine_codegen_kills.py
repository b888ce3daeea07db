"""The kernel writer's less common paths, each on a tiny inline model, values by hand.

A member-varying scalar read whole by subscripted statefuls (it must be shaped to broadcast
over the subscripts), a stateful over two subscripts reading a variable over one of them,
a scalar SUM, an :EXCEPT: component written first, a partial definition over two
subscripts, two stocks whose long names agree in their first 40 characters, shared
sub-expressions nested in one another and read together, what the loop reads from before
it, and the messages of errors found while the initialisation is written. Expectations are
Euler steps written out in numpy (time step half a month, every step saved).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from engine_support import compile_text

from chenzhou_water.errors import ModelError, UnsupportedConstructError

CONTROLS = """INITIAL TIME = 0 ~ Month ~ |
FINAL TIME = 4 ~ Month ~ |
TIME STEP = 0.5 ~ Month ~ |
SAVEPER = 0.5 ~ Month ~ |
"""
DT = 0.5
T = np.arange(0.0, 4.0 + DT / 2, DT)  # every step is saved
RATES = np.array([0.25, 0.5])  # two members; three districts, so a misshaped value fails


def _euler(rate_of, initial) -> np.ndarray:
    """Euler integration over the grid: ``rate_of(k, state)`` is the derivative at step k."""
    states = [np.asarray(initial, dtype=float)]
    for k in range(len(T) - 1):
        states.append(states[-1] + DT * rate_of(k, states[-1]))
    return np.array(states)


def _run(tmp_path: Path, text: str, **kwargs):
    model = compile_text("{UTF-8}\n" + text + CONTROLS, tmp_path)
    out = model.run_arrays(**kwargs)
    return out, list(model._kernels.values())[-1].source


MEMBER_SCALAR = """district: (d1-d3) ~ ~ |
rate = 0.25 ~ 1/Month ~ |
growing = rate * (1 + Time) ~ m3/Month ~ |
stock[district] = INTEG(growing, rate) ~ m3 ~ |
fixed[district] = DELAY FIXED(growing, 1, rate) ~ m3/Month ~ |
trend[district] = TREND(growing, 2, 0.1) ~ 1/Month ~ |
forecast[district] = FORECAST(growing, 2, 1) ~ m3/Month ~ |
active[district] = ACTIVE INITIAL(growing, 7) ~ m3/Month ~ |
held[district] = INTEG(0, active) ~ m3 ~ |
"""


def test_subscripted_statefuls_of_a_member_varying_scalar_read_whole(tmp_path: Path) -> None:
    """``growing`` and ``rate`` vary by member and have no subscripts: each district of each
    member reads its member's value."""
    out, _ = _run(tmp_path, MEMBER_SCALAR, params={"rate": RATES}, members=2)
    growing = RATES * (1 + T[:, None])  # (time, member)

    def check(name: str, expected: np.ndarray) -> None:
        want = np.repeat(expected.T[:, :, None], 3, axis=2)  # the same in every district
        assert out[name].shape == (2, len(T), 3)
        np.testing.assert_allclose(out[name], want, rtol=1e-12, atol=1e-12, err_msg=name)

    check("stock", _euler(lambda k, s: growing[k], RATES))
    # DELAY FIXED of one month, two steps: the initial value (the rate), then the input
    check("fixed", np.concatenate([np.tile(RATES, (2, 1)), growing[:-2]]))
    state = _euler(lambda k, s: (growing[k] - s) / 2, growing[0] / (1 + 0.1 * 2))
    check("trend", (growing - state) / (2 * np.abs(state)))
    state = _euler(lambda k, s: (growing[k] - s) / 2, growing[0])  # initial trend 0
    check("forecast", growing * (1 + (growing - state) / (2 * state) * 1))
    check("active", growing)
    check("held", np.full((len(T), 2), 7.0))  # initialised from ACTIVE INITIAL's initial value


TWO_SUBSCRIPTS = """a: a1, a2 ~ ~ |
b: b1, b2, b3 ~ ~ |
base[b] = 1, 2, 4 ~ m3 ~ |
rising[b] = base[b] + Time ~ m3 ~ |
trend[a, b] = TREND(rising, 2, 0.1) ~ 1/Month ~ |
from trend[a, b] = INTEG(0, trend) ~ 1/Month ~ |
forecast[a, b] = FORECAST(rising, 2, 1) ~ m3 ~ |
from forecast[a, b] = INTEG(0, forecast) ~ m3 ~ |
total = SUM(rising[b!]) ~ m3 ~ |
"""


def test_a_stateful_over_two_subscripts_reads_a_variable_over_the_second(tmp_path: Path) -> None:
    """``rising`` is over b only; the TREND over (a, b) reads it for every a."""
    out, _ = _run(tmp_path, TWO_SUBSCRIPTS)
    rising = np.array([1.0, 2.0, 4.0]) + T[:, None]  # (time, b)
    state = _euler(lambda k, s: (rising[k] - s) / 2, rising[0] / 1.2)
    trend = (rising - state) / (2 * np.abs(state))
    np.testing.assert_allclose(out["trend"][0], np.repeat(trend[:, None, :], 2, axis=1),
                               rtol=1e-12)
    assert len(set(np.round(trend[-1], 12))) == 3  # the elements of b differ
    # a stock initialised from the TREND: its value at initialisation is the initial trend
    np.testing.assert_allclose(out["from_trend"][0], np.full((len(T), 2, 3), 0.1), rtol=1e-12)
    state = _euler(lambda k, s: (rising[k] - s) / 2, rising[0])  # initial trend 0
    forecast = rising * (1 + (rising - state) / (2 * state) * 1)
    np.testing.assert_allclose(out["forecast"][0], np.repeat(forecast[:, None, :], 2, axis=1),
                               rtol=1e-12)
    # at initialisation the FORECAST is its input
    np.testing.assert_allclose(out["from_forecast"][0],
                               np.broadcast_to([1.0, 2.0, 4.0], (len(T), 2, 3)), rtol=1e-12)
    np.testing.assert_allclose(out["total"][0], 7 + 3 * T, rtol=1e-12)


PARTIAL = """region: north, south, east ~ ~ |
season: wet, dry ~ ~ |
x[region] :EXCEPT: [south] = Time ~ m3 ~ |
x[south] = 2 ~ m3 ~ |
y[north, wet] = Time + 1 ~ m3 ~ |
y[north, dry] = 2 * Time ~ m3 ~ |
y[south, season] = 5 ~ m3 ~ |
y[east, wet] = -1 ~ m3 ~ |
y[east, dry] = Time * Time ~ m3 ~ |
"""


def test_an_except_component_first_and_a_definition_element_by_element(tmp_path: Path) -> None:
    out, _ = _run(tmp_path, PARTIAL)
    x = np.stack([T, np.full_like(T, 2.0), T], axis=1)  # :EXCEPT: first, then the exception
    np.testing.assert_array_equal(out["x"][0], x)
    y = np.empty((len(T), 3, 2))
    y[:, 0] = np.stack([T + 1, 2 * T], axis=1)
    y[:, 1] = 5.0
    y[:, 2] = np.stack([np.full_like(T, -1.0), T * T], axis=1)
    np.testing.assert_array_equal(out["y"][0], y)


LONG = "reservoir storage of the northern district basin"  # longer than 40 characters


def test_stocks_whose_long_names_agree_in_their_first_40_characters(tmp_path: Path) -> None:
    text = (f"{LONG} one = INTEG(1, 0) ~ m3 ~ |\n{LONG} two = INTEG(2, 10) ~ m3 ~ |\n"
            f"{LONG} three = SMOOTH({LONG} two, 1) ~ m3 ~ |\n")
    out, _ = _run(tmp_path, text)
    key = LONG.replace(" ", "_")
    np.testing.assert_allclose(out[f"{key}_one"][0], T, rtol=1e-12)
    np.testing.assert_allclose(out[f"{key}_two"][0], 10 + 2 * T, rtol=1e-12)
    smooth = _euler(lambda k, s: (10 + 2 * T[k]) - s, 10.0)
    np.testing.assert_allclose(out[f"{key}_three"][0], smooth, rtol=1e-12)


NESTED = """level = 10 ~ m3 ~ |
third = level * (Time + 1) - 5 ~ m3 ~ |
first = ((level * (Time + 1)) + 1) * 2 ~ m3 ~ |
second = ((level * (Time + 1)) + 1) * 3 ~ m3 ~ |
both = (level * (Time + 2)) * (level * (Time + 3)) ~ m3 ~ |
other = level * (Time + 2) - level * (Time + 3) ~ m3 ~ |
"""
LEVELS = np.array([10.0, 4.0])


def test_shared_sub_expressions_nested_or_read_together(tmp_path: Path) -> None:
    """A shared sub-expression is computed before it is read, at every step, whatever the
    order: the loop computes these equations last declared first, so ``second`` reads the
    shared ``level * (Time + 1) + 1`` before ``third`` has read the one nested in it, and
    ``other`` reads two shared values at once."""
    out, source = _run(tmp_path, NESTED, params={"level": LEVELS}, members=2)
    loop = source.split("for k in range(last + 1):")[1]
    assert "vcse3" in loop  # four shared sub-expressions, one nested in another
    lv = LEVELS[:, None]
    np.testing.assert_allclose(out["first"], (lv * (T + 1) + 1) * 2, rtol=1e-13)
    np.testing.assert_allclose(out["second"], (lv * (T + 1) + 1) * 3, rtol=1e-13)
    np.testing.assert_allclose(out["third"], lv * (T + 1) - 5, rtol=1e-13)
    np.testing.assert_allclose(out["both"], lv * (T + 2) * lv * (T + 3), rtol=1e-13)
    np.testing.assert_allclose(out["other"], np.broadcast_to(-lv, (2, len(T))), rtol=1e-13,
                               atol=1e-12)


def test_the_loop_reads_time_only_values_computed_before_it(tmp_path: Path) -> None:
    text = "level = 10 ~ m3 ~ |\nscaled = level * (Time * 3 + 1) ~ m3 ~ |\n"
    out, source = _run(tmp_path, text, params={"level": LEVELS}, members=2)
    before, loop = source.split("for k in range(last + 1):")
    np.testing.assert_allclose(out["scaled"], LEVELS[:, None] * (3 * T + 1), rtol=1e-13)
    assert "3.0" in before  # Time * 3 + 1 is computed once, before the loop
    assert "3.0" not in loop
    assert re.search(r"h\d+\[k\]", loop)


ERRORS = """district: d1, d2 ~ ~ |
level[district] = 1, 2 ~ m3 ~ |
x = 1 ~ m3 ~ |
a much longer public name than the others = 3 ~ m3 ~ |
"""


def test_an_error_in_an_internal_node_names_the_variable_it_belongs_to(tmp_path: Path) -> None:
    """DELAY N's internal node of ``slow x`` (``_delay_n_slow_x_0``: both ``x`` and
    ``slow_x`` occur in it) fails to compile: the message names ``slow_x`` once, after the
    file."""
    text = ERRORS + "slow x = DELAY N(x, 3, SUM(level[district]), 2) ~ m3 ~ |\n"
    with pytest.raises(UnsupportedConstructError) as caught:
        compile_text("{UTF-8}\n" + text + CONTROLS, tmp_path)
    assert str(caught.value) == ("model.mdl: variable 'slow_x': SUM needs a dimension marked "
                                 "with '!'")


def test_a_smooth_n_of_order_zero_is_refused_with_the_construct_named(tmp_path: Path) -> None:
    text = ERRORS + "order = 0 ~ Dmnl ~ |\nslow x = SMOOTH N(x, 3, 1, order) ~ m3 ~ |\n"
    model = compile_text("{UTF-8}\n" + text + CONTROLS, tmp_path)
    with pytest.raises(ModelError) as caught:
        model.run_arrays()
    assert str(caught.value) == ("model.mdl: variable 'slow_x': SMOOTH N: the order must be "
                                 "at least 1, got 0.0")
