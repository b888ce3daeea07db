"""The shipped model under every shipped scenario: water balance, finiteness, physical bounds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pysd.translators.structures import abstract_expressions as ae

from chenzhou_water.model.metadata import model_info, read_abstract_model
from chenzhou_water.scenario.run import scenario_params
from chenzhou_water.scenario.spec import load_scenario
from tests.conftest import MODEL, SCENARIOS


def _signed_flows(node, sign=1.0):
    """The INTEG rate as [(sign, flow name)]; the model writes every rate as a signed sum."""
    if isinstance(node, ae.ReferenceStructure):
        return [(sign, node.reference)]
    assert isinstance(node, ae.ArithmeticStructure), f"rate is not a sum of flows: {node}"
    out = _signed_flows(node.arguments[0], sign)
    for op, arg in zip(node.operators, node.arguments[1:], strict=True):
        assert op in "+-", f"rate is not a sum of flows: {node}"
        out += _signed_flows(arg, sign if op == "+" else -sign)
    return out


def stock_balances() -> dict[str, list[tuple[float, str]]]:
    abstract = read_abstract_model(MODEL)
    out = {}
    for element in abstract.sections[0].elements:
        ast = element.components[0].ast
        if isinstance(ast, ae.IntegStructure):
            out[element.name.lower().replace(" ", "_")] = _signed_flows(ast.flow)
    return out


BALANCES = stock_balances()
ALL_OUTPUTS = sorted(
    {s for s in BALANCES} | {f for flows in BALANCES.values() for _, f in flows}
    | set(model_info(MODEL).names("auxiliary")) | set(model_info(MODEL).names("stock"))
)


def test_model_has_the_expected_stocks():
    assert {"reservoir_storage", "old_high_leak_mains", "metered_districts",
            "population_central_city", "prefecture_gdp", "installed_racks"} <= set(BALANCES)


def _run_all(model, scenario_path, members=1, series=None, params=None):
    scen = load_scenario(scenario_path)
    p = scenario_params(scen)
    p.update(params or {})
    if series is None and scen.inflow is not None:
        series = {"reservoir_inflow": np.asarray(scen.inflow)}
    return model.run_arrays(params=p, members=members, series=series, return_columns=ALL_OUTPUTS)


def assert_balances_close(arrays, dt=1.0):
    for stock, flows in BALANCES.items():
        level = arrays[stock]
        net = sum(sign * arrays[f] for sign, f in flows)
        change = np.diff(level, axis=1)
        scale = np.maximum(np.abs(level[:, 1:]), 1.0)
        err = np.abs(change - net[:, :-1] * dt) / scale
        assert err.max() < 1e-9, f"water balance of {stock} does not close: {err.max():.3g}"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_scenario_balances_is_finite_and_bounded(compiled_model, path):
    arrays = _run_all(compiled_model, path)
    for name in ALL_OUTPUTS:
        assert np.isfinite(arrays[name]).all(), f"{path.name}: {name} has NaN or infinity"
    assert_balances_close(arrays)
    storage = arrays["reservoir_storage"]
    assert storage.min() >= 2.45e9 * (1 - 1e-12), f"{path.name}: storage below dead storage"
    assert storage.max() <= 8.12e9 * (1 + 1e-12), f"{path.name}: storage above normal pool"
    for name in ("leakage_rate", "reuse_rate", "sewage_treatment_rate",
                 "ecological_flow_compliance", "industrial_repeat_use_rate"):
        assert (arrays[name] >= 0).all(), name
        assert (arrays[name] <= 1).all(), name


def _declared_constants():
    info = model_info(MODEL)
    out = []
    for name in info.names("constant"):
        lo, hi = info.variables[name].limits
        if lo is not None and hi is not None and hi > lo:
            out.append((name, lo, hi))
    return out


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31 - 1), inflow_scale=st.floats(0.05, 3.0))
def test_invariants_hold_over_random_parameters_and_inflows(compiled_model, seed, inflow_scale):
    """Every constant drawn across its declared range, stochastic inflows scaled from near-empty
    to three times the mean: balances close, storage stays in its bounds, nothing is NaN."""
    from chenzhou_water.hydrology.generator import generate_inflows

    rng = np.random.default_rng(seed)
    members = 64
    params = {n: rng.uniform(lo, hi, members) for n, lo, hi in _declared_constants()}
    inflow = generate_inflows(members, seed=seed) * inflow_scale
    arrays = _run_all(compiled_model, SCENARIOS[0], members, {"reservoir_inflow": inflow}, params)
    for name in ALL_OUTPUTS:
        assert np.isfinite(arrays[name]).all(), name
    assert_balances_close(arrays)
    storage = arrays["reservoir_storage"]
    dead = params["dead_storage"][:, None]
    normal = params["storage_at_normal_pool"][:, None]
    assert (storage >= dead * (1 - 1e-12)).all()
    assert (storage <= normal * (1 + 1e-12)).all()
    assert (storage <= 9.15e9).all()
    assert (arrays["dc_pue"] >= 1.0).all(), "PUE below 1"
    # first-order delays never overshoot their targets, whatever the time constant in its range
    planned = arrays["diversion_capacity_planned"]
    assert (arrays["diversion_capacity"] <= planned * (1 + 1e-12)).all()


def test_drought_scenario_draws_the_reservoir_down(compiled_model):
    base = _run_all(compiled_model, next(p for p in SCENARIOS if p.stem == "baseline"))
    dry = _run_all(compiled_model, next(p for p in SCENARIOS if p.stem == "drought_2022"))
    dec_2022 = 12 * 7 + 11
    assert dry["reservoir_storage"][0, dec_2022] < base["reservoir_storage"][0, dec_2022] - 0.5e9
    assert dry["hydropower_generation"][0, dec_2022] < base["hydropower_generation"][0, dec_2022]


def test_leakage_scenarios_order(compiled_model):
    by = {p.stem: p for p in SCENARIOS}
    year_2025 = slice(12 * 10, 12 * 11)
    rates = {k: _run_all(compiled_model, by[k])["leakage_rate"][0, year_2025].mean()
             for k in ("leakage_target", "baseline", "leakage_stall")}
    assert rates["leakage_target"] <= 0.09
    assert rates["leakage_target"] < rates["baseline"] < rates["leakage_stall"]


@pytest.mark.parametrize("path", [p for p in SCENARIOS if p.stem != "baseline"],
                         ids=lambda p: p.stem)
def test_scenarios_share_the_calibrated_history(compiled_model, path):
    """A scenario changes the future, not 2015-2020, the years the model is calibrated to."""
    base = _run_all(compiled_model, next(p for p in SCENARIOS if p.stem == "baseline"))
    alt = _run_all(compiled_model, path)
    history = slice(0, 72)
    for name in ALL_OUTPUTS:
        # rtol: a lever table may add a point on the baseline's line (rounding of the last bit)
        np.testing.assert_allclose(alt[name][:, history], base[name][:, history], rtol=1e-9,
                                   atol=1e-9, err_msg=name)


def test_scenario_descriptions_hold(compiled_model):
    by = {p.stem: p for p in SCENARIOS}

    def annual(stem, name, year):
        values = _run_all(compiled_model, by[stem])[name][0]
        return values[(year - 2015) * 12:(year - 2014) * 12].mean()

    assert 0.085 < annual("leakage_target", "leakage_rate", 2025) <= 0.09
    stall = [annual("leakage_stall", "leakage_rate", y) for y in (2021, 2030, 2050)]
    assert max(stall) - min(stall) < 0.005
    assert 0.24 < annual("reuse_25", "reuse_rate", 2025) < 0.27
    assert annual("baseline", "reuse_rate", 2025) < 0.15
