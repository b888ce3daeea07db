"""The generated kernel, construct by construct, against numpy written out step by step.

Small models written inline: every stateful element (INTEG, SMOOTH, SMOOTH3I, DELAY1,
DELAY3I, DELAY N, SMOOTH N, DELAY FIXED, TREND, FORECAST, SAMPLE IF TRUE, INITIAL,
ACTIVE INITIAL) of a member-varying input, the same over a subscript with :EXCEPT:, and
time-only statefuls, each checked against Euler integration by hand with a time step of
half a month saved monthly. The kernel's source is checked only where values cannot tell
(its header, the saved columns, the refusals and their messages).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from chenzhou_water.engine import compile_model
from chenzhou_water.errors import ModelError, UnsupportedConstructError

CONTROLS = """INITIAL TIME = 0 ~ Month ~ |
FINAL TIME = 8 ~ Month ~ |
TIME STEP = 0.5 ~ Month ~ |
SAVEPER = 1 ~ Month ~ |
"""
SCALAR = """{UTF-8}
level = 10 ~ m3/Month ~ |
rate = 0.2 ~ 1/Month ~ |
input = level * (1 + Time / 4) ~ m3/Month ~ |
outflow = stock * rate ~ m3/Month ~ |
stock = INTEG(input - outflow, level * 3) ~ m3 ~ |
smoothed = SMOOTH(input, 2) ~ m3/Month ~ |
smoothed3 = SMOOTH3I(input, 3, level) ~ m3/Month ~ |
delayed = DELAY1(input, 2) ~ m3/Month ~ |
delayed3 = DELAY3I(input, 3, level) ~ m3/Month ~ |
delayed n = DELAY N(input, 3, level, 2) ~ m3/Month ~ |
smooth order = 2 ~ Dmnl ~ |
smoothed n = SMOOTH N(input, 3, level, smooth order) ~ m3/Month ~ |
fixed = DELAY FIXED(input, 2, level / 2) ~ m3/Month ~ |
trend = TREND(input, 2, 0.1) ~ 1/Month ~ |
forecast = FORECAST(input, 2, 3) ~ m3/Month ~ |
sampled = SAMPLE IF TRUE(Time >= 2 :AND: Time <= 4, input, level) ~ m3/Month ~ |
first input = INITIAL(input * 2) ~ m3/Month ~ |
active = ACTIVE INITIAL(stock * 2, level) ~ m3 ~ |
reserve = INTEG(active / 10, active) ~ m3 ~ |
clock trend = TREND(Time + 1, 2, 0.5) ~ 1/Month ~ |
clock sample = SAMPLE IF TRUE(Time >= 3, Time, -1) ~ Month ~ |
use a = (level * rate * (Time + 1) + 1) * 2 ~ m3/Month ~ |
use b = (level * rate * (Time + 1) + 1) * 3 ~ m3/Month ~ |
use c = level * rate * (Time + 1) - 5 ~ m3/Month ~ |
"""
LEVEL = np.array([10.0, 4.0, 25.0])
DT = 0.5
T = np.arange(0.0, 8.0 + DT / 2, DT)  # the integration grid
SAVED = slice(None, None, 2)  # SAVEPER = 1 Month: every second step


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the module's models and their cached translations."""
    return tmp_path_factory.mktemp("codegen")


@pytest.fixture(autouse=True)
def _private_cache(models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHENZHOU_WATER_CACHE", str(models / "cache"))


def _compile(directory: Path, name: str, text: str):
    """The model's translation is cached; its kernels are generated again by every test
    (function-scoped fixtures, so that each test is seen to reach the code generator)."""
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path, compile_model(path)


@pytest.fixture
def scalar(models: Path):
    path, model = _compile(models, "scalar.mdl", SCALAR + CONTROLS)
    out = model.run_arrays({"level": LEVEL}, members=3)
    kernel = list(model._kernels.values())[-1]  # the kernel of this run's configuration
    return path, out, kernel.source


def _euler(rate_of, initial):
    """Euler integration over the grid: ``rate_of(k, state)`` is the derivative at step k."""
    states = [np.asarray(initial, dtype=float)]
    for k in range(len(T) - 1):
        states.append(states[-1] + DT * rate_of(k, states[-1]))
    return np.array(states)


def _delay(inputs: np.ndarray, initial, delay_time: float, order: int) -> np.ndarray:
    """A DELAY of ``order`` stages of ``delay_time / order``, as its stocks."""
    stage = delay_time / order
    stocks = np.full((order, *np.shape(initial)), np.multiply(initial, stage))
    outputs = []
    for value in inputs:
        outflows = stocks / stage
        outputs.append(outflows[-1])
        inflows = np.concatenate([[value], outflows[:-1]])
        stocks = stocks + DT * (inflows - outflows)
    return np.array(outputs)


def _smooth(inputs: np.ndarray, initial, smooth_time: float, order: int) -> np.ndarray:
    stages = np.full((order, *np.shape(initial)), initial, dtype=float)
    outputs = []
    for value in inputs:
        outputs.append(stages[-1])
        upstream = np.concatenate([[value], stages[:-1]])
        stages = stages + DT * (upstream - stages) * order / smooth_time
    return np.array(outputs)


def _check(out, name: str, expected: np.ndarray, rtol: float = 1e-12) -> None:
    """``expected`` of shape (time, member) on the grid, compared at the saved steps."""
    np.testing.assert_allclose(out[name], expected[SAVED].T, rtol=rtol, atol=1e-12, err_msg=name)


def test_stocks_smooths_and_delays_of_a_member_varying_input(scalar) -> None:
    _, out, _ = scalar
    inputs = LEVEL * (1 + T[:, None] / 4)  # (time, member)
    stock = _euler(lambda k, s: inputs[k] - 0.2 * s, 3 * LEVEL)
    _check(out, "input", inputs)
    _check(out, "stock", stock)
    _check(out, "outflow", 0.2 * stock)
    _check(out, "smoothed", _smooth(inputs, inputs[0], 2.0, 1))
    _check(out, "smoothed3", _smooth(inputs, LEVEL, 3.0, 3))
    _check(out, "smoothed_n", _smooth(inputs, LEVEL, 3.0, 2))
    _check(out, "delayed", _delay(inputs, inputs[0], 2.0, 1))
    _check(out, "delayed3", _delay(inputs, LEVEL, 3.0, 3))
    _check(out, "delayed_n", _delay(inputs, LEVEL, 3.0, 2))


def test_delay_fixed_trend_forecast_and_samples_by_hand(scalar) -> None:
    _, out, _ = scalar
    inputs = LEVEL * (1 + T[:, None] / 4)
    # DELAY FIXED of 2 months = 4 steps: the initial value, then the input 4 steps earlier
    fixed = np.concatenate([np.tile(LEVEL / 2, (4, 1)), inputs[:-4]])
    _check(out, "fixed", fixed)
    # TREND: S(0) = input / (1 + 0.1 * 2), dS = (input - S) / 2; value (input - S) / (2 |S|)
    trend_state = _euler(lambda k, s: (inputs[k] - s) / 2, inputs[0] / 1.2)
    _check(out, "trend", (inputs - trend_state) / (2 * np.abs(trend_state)))
    np.testing.assert_allclose(out["trend"][:, 0], 0.1, rtol=1e-12)
    # FORECAST (initial trend 0): S(0) = input; value input (1 + (input - S) / (2 S) * 3)
    forecast_state = _euler(lambda k, s: (inputs[k] - s) / 2, inputs[0])
    _check(out, "forecast",
           inputs * (1 + (inputs - forecast_state) / (2 * forecast_state) * 3))
    # SAMPLE IF TRUE: the input while 2 <= Time <= 4, then held; the initial value before
    held = np.where(T[:, None] < 2, LEVEL, LEVEL * (1 + np.minimum(T[:, None], 4) / 4))
    _check(out, "sampled", held)
    _check(out, "first_input", np.tile(2 * inputs[0], (len(T), 1)))


def test_active_initial_is_its_initial_value_only_at_initialisation(scalar) -> None:
    _, out, _ = scalar
    inputs = LEVEL * (1 + T[:, None] / 4)
    stock = _euler(lambda k, s: inputs[k] - 0.2 * s, 3 * LEVEL)
    _check(out, "active", 2 * stock)  # in the loop, its expression (also at time 0)
    reserve = _euler(lambda k, r: 2 * stock[k] / 10, LEVEL)  # initialised from the initial value
    _check(out, "reserve", reserve)


def test_statefuls_of_time_alone_are_the_same_for_every_member(scalar) -> None:
    _, out, _ = scalar
    clock = (T + 1)[:, None]
    state = _euler(lambda k, s: (clock[k] - s) / 2, clock[0] / 2)  # 1 + 0.5 * 2
    _check(out, "clock_trend", np.tile((clock - state) / (2 * np.abs(state)), (1, 3)))
    _check(out, "clock_sample", np.tile(np.where(T >= 3, T, -1.0)[:, None], (1, 3)))


def test_shared_sub_expressions_are_computed_once_and_right(scalar) -> None:
    _, out, source = scalar
    use = LEVEL * 0.2 * (T[:, None] + 1)
    _check(out, "use_a", (use + 1) * 2)
    _check(out, "use_b", (use + 1) * 3)
    _check(out, "use_c", use - 5)
    assert "vcse1" in source.split("for k in range(last + 1):")[1]


def test_constants_are_stored_for_every_saved_time(scalar) -> None:
    _, out, _ = scalar
    np.testing.assert_array_equal(out["level"], np.tile(LEVEL[:, None], (1, 9)))
    np.testing.assert_array_equal(out["rate"], np.full((3, 9), 0.2))
    np.testing.assert_array_equal(out["time"], np.arange(9.0))


def test_the_kernel_names_its_source_file_and_saves_every_second_step(scalar) -> None:
    path, _, source = scalar
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    first = source.splitlines()[0]
    assert first == f"# generated from scalar.mdl {digest} — do not edit"
    assert "def simulate(P, S, L, K, n, times, saves, O):" in source


SUBSCRIPTED = """{UTF-8}
district: (d1-d3) ~ ~ |
level[district] = 10, 20, 40 ~ m3/Month ~ |
input[district] = level[district] * (1 + Time / 4) ~ m3/Month ~ |
capacity[d2] = Time ~ m3 ~ |
capacity[district] :EXCEPT: [d2] = level[district] * 2 ~ m3 ~ |
rate = 0.25 ~ 1/Month ~ |
held[district] = INTEG(rate, rate * 2) ~ m3 ~ |
rate trend[district] = TREND(rate * (Time + 1), 2, 0) ~ 1/Month ~ |
stock[district] = INTEG(input[district] - stock[district] / 4, level[district]) ~ m3 ~ |
trend[district] = TREND(input[district], 2, 0.1) ~ 1/Month ~ |
sampled[district] = SAMPLE IF TRUE(Time >= 1 :AND: Time < 3, input[district], 0) ~ m3 ~ |
fixed[district] = DELAY FIXED(input[district], 1, level[district]) ~ m3/Month ~ |
"""
LEVELS = np.array([[10.0, 20.0, 40.0], [1.0, 2.0, 3.0]])
RATES = np.array([0.25, 0.5])  # a member-varying scalar read by subscripted statefuls


@pytest.fixture
def subscripted(models: Path):
    _, model = _compile(models, "districts.mdl", SUBSCRIPTED + CONTROLS)
    return model.run_arrays({"level": LEVELS, "rate": RATES}, members=2)


def test_subscripted_statefuls_by_hand(subscripted) -> None:
    out = subscripted
    inputs = LEVELS * (1 + T[:, None, None] / 4)  # (time, member, district)

    def check(name: str, expected: np.ndarray) -> None:
        np.testing.assert_allclose(out[name], expected[SAVED].transpose(1, 0, 2), rtol=1e-12,
                                   atol=1e-12, err_msg=name)

    check("input", inputs)
    check("stock", _euler(lambda k, s: inputs[k] - s / 4, LEVELS))
    state = _euler(lambda k, s: (inputs[k] - s) / 2, inputs[0] / 1.2)
    check("trend", (inputs - state) / (2 * np.abs(state)))
    check("sampled", np.where((T >= 3)[:, None, None], LEVELS * (1 + 2.5 / 4),
                              np.where((T >= 1)[:, None, None], inputs, 0.0)))
    check("fixed", np.concatenate([np.tile(LEVELS, (2, 1, 1)), inputs[:-2]]))  # 2 steps
    capacity = np.broadcast_to(2 * LEVELS, inputs.shape).copy()
    capacity[:, :, 1] = T[:, None]
    check("capacity", capacity)
    rate = np.broadcast_to(RATES[:, None], LEVELS.shape)
    check("held", 2 * rate + T[:, None, None] * rate)
    rate_input = rate * (T[:, None, None] + 1)
    state = _euler(lambda k, s: (rate_input[k] - s) / 2, rate_input[0])
    check("rate_trend", (rate_input - state) / (2 * np.abs(state)))


def test_refusals_name_the_file_the_variable_and_the_construct(tmp_path: Path) -> None:
    text = "{UTF-8}\nslow release = DELAY N(1, 0.25, 0, 2) ~ m3/Month ~ |\n" + CONTROLS
    _, model = _compile(tmp_path, "short.mdl", text)
    with pytest.raises(ModelError, match=r"^short\.mdl: variable 'slow_release': DELAY N: the "
                                         r"delay time "
                                         r"is shorter than TIME STEP"):
        model.run_arrays()
    text = ("{UTF-8}\nregion: north, south ~~|\nseason: wet, dry ~~|\n"
            "x[region, season] :EXCEPT: [north] = Time ~~|\nx[north, season] = 2 ~~|\n"
            + CONTROLS)
    with pytest.raises(UnsupportedConstructError, match=r"^refused\.mdl: variable 'x': an "
                                                        r"EXCEPT list \['north'\] of the wrong"):
        _compile(tmp_path, "refused.mdl", text)


TABLES = """{UTF-8}
district: (d1-d2) ~ ~ |
outflow curve([(0,0)-(20,10)],(0,0),(20,10)) ~ m3/Month ~ |
loss[d1]([(0,0)-(20,10)],(0,0),(20,2)) ~ m3/Month ~ |
loss[d2]([(0,0)-(20,10)],(0,1),(20,1)) ~ m3/Month ~ |
inflow = 4 ~ m3/Month ~ |
stock = INTEG(inflow - outflow curve(stock), inflow / 2) ~ m3 ~ |
district loss[district] = loss[district](stock) ~ m3/Month ~ |
"""


@pytest.fixture
def tables(models: Path):
    _, model = _compile(models, "tables.mdl", TABLES + CONTROLS)
    return model


def test_lookups_of_a_stock_and_a_series_per_member(tables) -> None:
    inflow = np.stack([np.full(len(T), 4.0), 1 + T])  # one series per member, on the grid
    out = tables.run_arrays(series={"inflow": inflow}, members=2,
                            return_columns=["stock", "district loss", "inflow"])
    assert set(out) == {"stock", "district_loss", "inflow", "time"}
    stock = _euler(lambda k, s: inflow[:, k] - s / 2, inflow[:, 0] / 2)  # the series' first
    _check(out, "stock", stock)
    _check(out, "inflow", inflow.T)
    loss = np.stack([stock / 10, np.ones_like(stock)], axis=-1)
    np.testing.assert_allclose(out["district_loss"], loss[SAVED].transpose(1, 0, 2), rtol=1e-12)


def test_one_outflow_table_per_member(tables) -> None:
    x = np.array([0.0, 20.0])
    y = np.array([[0.0, 10.0], [0.0, 20.0], [0.0, 0.0]])  # slopes 1/2, 1 and 0
    out = tables.run_arrays({"outflow curve": (x, y)}, members=3, return_columns=["stock"])
    for member, slope in enumerate([0.5, 1.0, 0.0]):
        stock = _euler(lambda k, s, slope=slope: 4 - slope * s, 2.0)
        np.testing.assert_allclose(out["stock"][member], stock[SAVED], rtol=1e-12)


def test_one_member_with_the_models_own_values(models: Path) -> None:
    """The same constructs, none member-varying: the kernel's plain (not in-place) lines."""
    _, model = _compile(models, "scalar.mdl", SCALAR + CONTROLS)
    out = model.run_arrays()
    inputs = 10 * (1 + T[:, None] / 4)
    stock = _euler(lambda k, s: inputs[k] - 0.2 * s, [30.0])
    _check(out, "stock", stock)
    _check(out, "smoothed3", _smooth(inputs, [10.0], 3.0, 3))
    _check(out, "delayed3", _delay(inputs, [10.0], 3.0, 3))
    _check(out, "delayed_n", _delay(inputs, [10.0], 3.0, 2))
    _check(out, "fixed", np.concatenate([np.full((4, 1), 5.0), inputs[:-4]]))
    state = _euler(lambda k, s: (inputs[k] - s) / 2, inputs[0] / 1.2)
    _check(out, "trend", (inputs - state) / (2 * np.abs(state)))
    state = _euler(lambda k, s: (inputs[k] - s) / 2, inputs[0])
    _check(out, "forecast", inputs * (1 + (inputs - state) / (2 * state) * 3))
    _check(out, "sampled", np.where(T[:, None] < 2, 10.0, 10 * (1 + np.minimum(T, 4) / 4)[:, None]))
    _check(out, "active", 2 * stock)
    _check(out, "reserve", _euler(lambda k, r: 2 * stock[k] / 10, [10.0]))
