"""Reality checks: the model fails where Chenzhou's water system can, and each mechanism acts.

Each test drives the shipped model (baseline scenario, engine) into a situation whose outcome is
known in direction and order of magnitude — an empty lake, twice the people, an outage — and
checks the response. Months are model months from January 2015 (month 120 is January 2025).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chenzhou_water.scenario.run import scenario_params
from chenzhou_water.scenario.spec import load_scenario
from tests.conftest import ROOT

BASELINE = ROOT / "scenarios" / "baseline.yaml"
COLUMNS = [
    "reservoir_storage", "reservoir_level", "reservoir_inflow", "reservoir_spill",
    "turbine_release", "ecological_flow_compliance", "dispatch_zone", "net_head",
    "hydropower_generation", "diversion_supply", "diversion_capacity",
    "diversion_capacity_planned", "intake_withdrawal_factor", "unmet_demand",
    "service_area_unmet_demand", "central_city_diversion_supply", "service_area_diversion_demand",
    "local_source_capacity", "restrictions_in_force", "end_use_demand", "peak_day_shortage",
    "peak_day_supply_ratio", "leakage_rate", "dc_pue", "lake_cooling_share",
    "dc_electricity_saved", "dc_it_energy", "dead_storage", "storage_at_normal_pool",
    "real_loss_rate", "apparent_loss_rate", "real_loss_volume", "apparent_loss_volume",
    "infrastructure_leakage_index",
]
DEAD = 2.45e9
NORMAL = 8.12e9


def year_months(year: int) -> slice:
    return slice((year - 2015) * 12, (year - 2014) * 12)


@pytest.fixture(scope="module")
def run(compiled_model):
    """run(params=..., inflow=...) -> {variable: values of member 0 over time}."""
    base = scenario_params(load_scenario(BASELINE))

    def _run(params=None, inflow=None):
        p = dict(base)
        p.update(params or {})
        series = None if inflow is None else {"reservoir_inflow": inflow}
        arrays = compiled_model.run_arrays(params=p, members=1, series=series,
                                           return_columns=COLUMNS)
        return {k: v[0] for k, v in arrays.items()}

    return _run


@pytest.fixture(scope="module")
def baseline(run):
    return run()


def lever(points: dict[float, float]) -> pd.Series:
    return pd.Series(list(points.values()), index=list(points.keys()), dtype=float)


@pytest.fixture(scope="module")
def empty_lake(run, baseline):
    """No inflow at all from January 2025 to December 2027."""
    inflow = baseline["reservoir_inflow"].copy()
    inflow[120:156] = 0.0
    return inflow


def test_three_years_without_inflow_drain_the_lake_and_stop_the_diversion(run, empty_lake):
    out = run(inflow=empty_lake)
    dry = slice(120, 156)
    storage = out["reservoir_storage"][dry]
    # hedging slows the last metres: the lake ends the three years within 4 m of the dead level
    assert storage.min() < DEAD + 0.05 * (NORMAL - DEAD), "the lake is not drawn down"
    assert out["reservoir_level"][dry].min() < 241.0
    below_intake = out["reservoir_level"] <= 257.5
    assert below_intake[dry].any()
    assert np.all(out["diversion_supply"][below_intake] == 0.0), "diversion below its intake"
    # the diversion stops, local sources run dry with the inflow: shortage of 10^5 m3/d order
    assert out["unmet_demand"][dry].max() > 1e5
    assert out["service_area_unmet_demand"][dry].max() > 5e4
    # the lake passes through the hedging zone and the restrictions on its way down
    assert (out["dispatch_zone"][dry] == 1).sum() >= 12
    assert out["restrictions_in_force"][dry].max() == 1.0


def test_an_empty_lake_cannot_meet_the_ecological_flow(run, baseline):
    inflow = baseline["reservoir_inflow"].copy()
    inflow[120:168] = 0.0                                    # four years without inflow
    out = run(inflow=inflow)
    assert out["reservoir_storage"][120:168].min() == pytest.approx(DEAD, rel=1e-9)
    assert out["ecological_flow_compliance"][120:168].min() < 0.5
    assert out["ecological_flow_compliance"][:120].min() == 1.0


def test_the_lake_recovers_after_the_drought_and_supply_returns(run, empty_lake, baseline):
    out = run(inflow=empty_lake)
    assert out["unmet_demand"][year_months(2035)].max() == 0.0
    assert out["reservoir_storage"][year_months(2035)].min() > DEAD + 0.3 * (NORMAL - DEAD)


def test_twice_the_people_fall_short_before_phase_3(run, baseline):
    base = scenario_params(load_scenario(BASELINE))
    out = run(params={"initial_population": 2 * base["initial_population"],
                      "guiyang_seat_population_2020": 600000.0,
                      "towns_population_2020": 300000.0})
    years = slice(year_months(2023).start, year_months(2029).stop)   # phase 3 not built
    assert baseline["unmet_demand"][years].max() == 0.0
    assert out["unmet_demand"][years].max() > 2e4, "doubled demand is still met"
    assert out["peak_day_shortage"][years].max() > 1e5


def test_no_renewal_makes_leakage_rise(run, baseline):
    out = run(params={"renewal_programme": lever({2015: 0.0, 2050: 0.0})})
    assert out["leakage_rate"][year_months(2050)].mean() > baseline["leakage_rate"][
        year_months(2050)].mean() + 0.02
    assert out["leakage_rate"][year_months(2050)].mean() > out["leakage_rate"][
        year_months(2021)].mean()


def test_pressure_management_cuts_real_losses_and_metering_apparent_ones(run, baseline):
    """IWA balance: pressure (FAVAD, exponent 1) scales real losses only; master meters remove
    apparent losses only."""
    lower = run(params={"pressure_reduction_schedule": lever({2015: 0.0, 2024.99: 0.0,
                                                              2025: 0.2, 2050: 0.2})})
    y = year_months(2030)
    np.testing.assert_allclose(lower["real_loss_rate"][y], 0.8 * baseline["real_loss_rate"][y],
                               rtol=1e-9)
    np.testing.assert_allclose(lower["apparent_loss_rate"][y], baseline["apparent_loss_rate"][y],
                               rtol=1e-12)
    assert lower["leakage_rate"][y].mean() < baseline["leakage_rate"][y].mean() - 0.01
    assert 3 < baseline["infrastructure_leakage_index"][y].mean() < 30
    meters = run(params={"metering_programme": lever({2015: 0.0, 2018.99: 0.0, 2019: 60.0,
                                                      2020.99: 60.0, 2021: 40.0, 2050: 40.0})})
    np.testing.assert_allclose(meters["real_loss_rate"][y], baseline["real_loss_rate"][y],
                               rtol=1e-12)
    assert meters["apparent_loss_volume"][y].mean() < 0.5 * baseline["apparent_loss_volume"][
        y].mean()


def test_a_full_lake_spills_and_the_turbines_reach_the_rated_head(run, baseline):
    inflow = baseline["reservoir_inflow"].copy()
    inflow[120:132] *= 3.0
    out = run(inflow=inflow)
    wet = slice(120, 132)
    assert out["reservoir_spill"][wet].sum() > 1e9, "three times the inflow does not spill"
    assert out["reservoir_storage"].max() == pytest.approx(NORMAL, rel=1e-9)
    assert baseline["reservoir_spill"].sum() == 0.0
    # at the normal pool the head is about the rated 118.5 m (exactly at full turbine flow and no
    # spill; spill raises the tailwater a little more)
    full = out["reservoir_storage"] >= NORMAL * (1 - 1e-9)
    assert full.any()
    assert out["net_head"][full].min() == pytest.approx(118.5, abs=2.5)
    assert baseline["net_head"].max() < 121.0


def test_the_dispatch_chart_carries_a_wet_year_over(run, baseline):
    """A wet year leaves more water in the lake in the following dry season than the mean year."""
    inflow = baseline["reservoir_inflow"].copy()
    inflow[120:132] *= 1.5
    out = run(inflow=inflow)
    march_2026 = 12 * 11 + 2
    assert out["reservoir_storage"][march_2026] > baseline["reservoir_storage"][march_2026] + 2e8
    assert out["hydropower_generation"][year_months(2025)].sum() > 1.2 * baseline[
        "hydropower_generation"][year_months(2025)].sum()


def test_a_dry_spell_moves_the_dispatch_to_reduced_output_and_hedging(run, baseline):
    inflow = baseline["reservoir_inflow"].copy()
    inflow[120:168] *= 0.5                                   # four years at half the inflow
    out = run(inflow=inflow)
    assert baseline["dispatch_zone"][60:].min() >= 3         # the mean year stays in normal output
    assert out["dispatch_zone"][120:168].min() == 1
    hedging = out["dispatch_zone"] == 1
    # in the hedging zone the turbines pass only the ecological minimum (30 m3/s)
    assert out["turbine_release"][hedging].max() <= 30 * 2.6298e6 * (1 + 1e-9)
    generation = out["hydropower_generation"][120:168].sum()
    assert generation < 0.7 * baseline["hydropower_generation"][120:168].sum()


def test_an_outage_of_the_diversion_shows_as_shortage(run, baseline):
    out = run(params={"diversion_in_service_schedule": lever(
        {2015: 1.0, 2029.99: 1.0, 2030.0: 0.0, 2030.49: 0.0, 2030.5: 1.0, 2050: 1.0})})
    outage = slice(180, 186)
    assert np.all(out["diversion_supply"][outage] == 0.0)
    assert out["unmet_demand"][outage].mean() > 1e4
    assert out["unmet_demand"][outage].max() > 2e4
    assert out["service_area_unmet_demand"][outage].min() == pytest.approx(
        out["service_area_diversion_demand"][outage].min())
    assert out["unmet_demand"][year_months(2032)].max() == 0.0


def test_the_allocation_priority_decides_who_falls_short(run):
    half = lever({2015: 1.0, 2029.99: 1.0, 2030.0: 0.4, 2030.99: 0.4, 2031.0: 1.0, 2050: 1.0})
    first = run(params={"diversion_in_service_schedule": half, "central_city_priority": 1.0})
    shared = run(params={"diversion_in_service_schedule": half, "central_city_priority": 0.0})
    y = year_months(2030)
    unmet = "service_area_unmet_demand"
    assert first[unmet][y].sum() > shared[unmet][y].sum()
    assert first["central_city_diversion_supply"][y].sum() > shared[
        "central_city_diversion_supply"][y].sum()


def test_local_sources_fall_in_the_2022_drought(run, baseline):
    drought = load_scenario(ROOT / "scenarios" / "drought_2022.yaml")
    out = run(params=scenario_params(drought))
    autumn = slice(12 * 7 + 9, 12 * 7 + 12)                  # October-December 2022
    ratio = out["local_source_capacity"][autumn] / baseline["local_source_capacity"][autumn]
    assert ratio.max() < 0.6
    assert ratio.min() > 0.1


def test_restrictions_cut_demand_when_triggered(run, empty_lake):
    on = run(inflow=empty_lake)
    off = run(inflow=empty_lake, params={"restrictions_enabled": 0.0})
    active = on["restrictions_in_force"] == 1.0
    assert active.sum() >= 12
    assert off["restrictions_in_force"].max() == 0.0
    cut = 1 - on["end_use_demand"][active] / off["end_use_demand"][active]
    np.testing.assert_allclose(cut, 0.1, atol=0.02)


def test_peak_day_capacity_binds_where_the_monthly_mean_is_met(run, baseline):
    flat = lever({2015: 300000.0, 2050: 300000.0})           # no new treatment works after 2018
    out = run(params={"treatment_capacity_schedule": flat, "peak_day_factor": 1.4})
    years = slice(year_months(2021).start, year_months(2030).stop)
    assert out["unmet_demand"][years].max() == 0.0
    assert out["peak_day_supply_ratio"][years].min() < 0.95
    assert baseline["peak_day_supply_ratio"][years].min() == 1.0


def test_data_centre_expansion_beyond_cooling_capacity_raises_pue(run, baseline):
    big = run(params={"rack_target": lever({2015: 0.0, 2016.99: 0.0, 2017.5: 2000.0,
                                             2018.5: 3000.0, 2026: 3800.0, 2030: 15000.0,
                                             2050: 15000.0})})
    y = year_months(2040)
    assert big["lake_cooling_share"][y].max() < 0.8
    assert big["dc_pue"][y].mean() > baseline["dc_pue"][y].mean() + 0.05
    saved_per_kwh_big = big["dc_electricity_saved"][y].sum() / big["dc_it_energy"][y].sum()
    saved_per_kwh = baseline["dc_electricity_saved"][y].sum() / baseline["dc_it_energy"][y].sum()
    assert saved_per_kwh_big < 0.8 * saved_per_kwh


def test_pue_is_at_least_one_at_the_corners_of_the_ranges(run):
    """Issue 11: the coldest water, the steepest sensitivity and the warmest reference gave 0.93."""
    out = run(params={"pue_at_reference_temperature": 1.03, "pue_temperature_sensitivity": 0.05,
                      "pue_reference_temperature": 15.0, "cooling_supply_warming": 0.0,
                      "drawdown_warming": 0.0})
    assert out["dc_pue"].min() >= 1.0


def test_a_commissioning_time_below_the_step_does_not_overshoot(run):
    """Issue 11: a 0.5-month constant once put twice the planned capacity into service."""
    out = run(params={"commissioning_time": 0.5})
    planned = out["diversion_capacity_planned"]
    assert np.all(out["diversion_capacity"] <= planned * (1 + 1e-12))
    assert out["diversion_capacity"].max() == pytest.approx(600000.0, rel=1e-9)


def test_the_drought_boundary_of_the_lake(compiled_model, baseline):
    """The lake carries the diversion through five years at 30 % of the mean inflow (hedging cuts
    hydropower to the ecological minimum), but not through five years at 20 % or two without
    inflow: the boundary the README's stress-test section quotes."""
    base = scenario_params(load_scenario(BASELINE))
    cases = [(0.3, 5), (0.2, 5), (0.0, 2)]
    series = np.tile(baseline["reservoir_inflow"], (len(cases), 1))
    for row, (multiplier, years) in enumerate(cases):
        series[row, 120:120 + 12 * years] *= multiplier
    out = compiled_model.run_arrays(params=base, members=len(cases),
                                    series={"reservoir_inflow": series},
                                    return_columns=["unmet_demand", "dispatch_zone"])
    unmet_months = (out["unmet_demand"] > 0).sum(axis=1)
    assert unmet_months[0] == 0
    assert (out["dispatch_zone"][0] == 1).sum() >= 24       # held in the hedging zone
    assert unmet_months[1] >= 6
    assert unmet_months[2] >= 6
    assert out["unmet_demand"][1:].max() > 1e5
