"""The scenario-comparison report and the attribution of differences (no browser needed)."""

from __future__ import annotations

import dataclasses
import re
from itertools import combinations
from math import factorial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from report_support import (  # noqa: F401  (results_fixture: the `results` fixture)
    CALIBRATION_CSV,
    REQUIRE_FONT,
    results_fixture,
    skip_or_fail,
)
from typer.testing import CliRunner

from chenzhou_water.errors import ReportError, ResultFileError, ValidationError
from chenzhou_water.model.contract import HEADLINE_INDICATORS
from chenzhou_water.report import attribute, build_report, differing_inputs, write_report
from chenzhou_water.report.attribution import (
    find_indicator,
    indicator_by_member,
    parse_target,
    shapley_values,
)
from chenzhou_water.report.differences import difference_sentence, same_table
from chenzhou_water.report.indicators import REPORT_INDICATORS
from chenzhou_water.report.sources import load_result, scenario_of
from chenzhou_water.results import annual_indicators
from chenzhou_water.scenario.run import run_scenario
from chenzhou_water.scenario.spec import Scenario, load_scenario
from cli import app

runner = CliRunner()


# --- Shapley values: exact checks ---------------------------------------------------------------


def _brute_force_shapley(f, k: int) -> np.ndarray:
    """Shapley values by their definition over subsets (independent of the vectorised code)."""
    phi = np.zeros(k)
    for i in range(k):
        others = [j for j in range(k) if j != i]
        for size in range(k):
            for subset in combinations(others, size):
                mask = sum(1 << j for j in subset)
                weight = factorial(size) * factorial(k - size - 1) / factorial(k)
                phi[i] += weight * (f(mask | (1 << i)) - f(mask))
    return phi


def test_shapley_values_of_an_additive_game_with_one_interaction():
    # f(S) = sum of a_i over S, plus b when inputs 0 and 1 are both in S: each gets b/2.
    a, b = np.array([3.0, -1.0, 0.5]), 4.0
    def f(mask: int) -> float:
        return sum(a[i] for i in range(3) if mask >> i & 1) + (b if mask & 3 == 3 else 0.0)
    values = np.array([f(m) for m in range(8)])
    phi = shapley_values(values, 3)
    np.testing.assert_allclose(phi, [3.0 + b / 2, -1.0 + b / 2, 0.5], rtol=0, atol=1e-14)


def test_shapley_values_agree_with_the_definition_and_add_up():
    rng = np.random.default_rng(0)
    values = rng.normal(size=2**5)
    phi = shapley_values(values, 5)
    np.testing.assert_allclose(phi, _brute_force_shapley(lambda m: values[m], 5), atol=1e-12)
    assert phi.sum() == pytest.approx(values[-1] - values[0], abs=1e-12)
    with pytest.raises(ValueError, match=r"^expected 8 subset values for 3 inputs, got \(4,\)$"):
        shapley_values(values[:4], 3)


def test_same_table_ignores_redundant_points():
    assert same_table(((2015.0, 2050.0), (1.0, 2.0)), ((2015.0, 2032.5, 2050.0), (1.0, 1.5, 2.0)))
    assert not same_table(((2015.0, 2050.0), (1.0, 2.0)), ((2015.0, 2050.0), (1.0, 2.5)))


# --- attribution on the model -------------------------------------------------------------------


def test_attribution_waterfall_sums_exactly(results):
    reference = scenario_of(load_result(results["baseline"]))
    alternative = scenario_of(load_result(results["leakage_target"]))
    result = attribute(reference, alternative, "leakage_volume_kt_d", 2030)
    assert [d.name for d in result.inputs] == ["metering_programme", "renewal_programme"]
    assert result.runs == 4
    assert result.engine_passes == 4  # one pass per combination of levers
    assert sum(result.shapley) == pytest.approx(result.total, rel=1e-12, abs=1e-12)
    assert all(c < 0 for c in result.shapley)  # both programmes cut the leaked volume
    assert sum(result.one_at_a_time) + result.interaction == pytest.approx(result.total)
    # The end points are the scenarios' own runs.
    for name, value in (("baseline", result.reference_value),
                        ("leakage_target", result.alternative_value)):
        with xr.open_dataset(results[name]) as ds:
            expected = annual_indicators(ds).at[2030, "leakage_volume_kt_d"]
        assert value == pytest.approx(expected, rel=1e-9)


SCENARIOS = Path(__file__).parents[1] / "scenarios"


def _variant(base: Scenario, name: str, parameters: dict | None = None,
             levers: dict | None = None) -> Scenario:
    """``base`` with some parameters and levers replaced."""
    return dataclasses.replace(base, name=name,
                               parameters={**base.parameters, **(parameters or {})},
                               levers={**base.levers, **(levers or {})})


def _run_alone(scenario: Scenario, key: str, year: int) -> float:
    """A headline indicator of one run of the scenario on its own (as ``chenzhou-water run``)."""
    return float(annual_indicators(run_scenario(scenario)).at[year, key])


def test_attribution_of_parameters_matches_separate_runs_computed_by_hand():
    """Each number of an attribution of two differing parameters against runs of the model made
    one by one (not against the identities the attribution satisfies by construction)."""
    key, year = "leakage_volume_kt_d", 2030
    base = load_scenario(SCENARIOS / "baseline.yaml")
    low = {"background_leakage_rate": 0.03, "public_use_per_capita": 40.0}
    high = {"background_leakage_rate": 0.06, "public_use_per_capita": 60.0}

    def f(values: dict) -> float:
        return _run_alone(_variant(base, "x", values), key, year)

    f0, f_all = f(low), f(high)
    f_rate = f({**low, "background_leakage_rate": 0.06})
    f_use = f({**low, "public_use_per_capita": 60.0})
    result = attribute(_variant(base, "low", low), _variant(base, "high", high), key, year)
    assert [d.name for d in result.inputs] == ["background_leakage_rate",
                                               "public_use_per_capita"]
    assert result.reference_value == pytest.approx(f0, rel=1e-9)
    assert result.alternative_value == pytest.approx(f_all, rel=1e-9)
    assert result.total == pytest.approx(f_all - f0, rel=1e-9)
    # a higher background rate and more public use both leak more: positive effects
    assert result.one_at_a_time == pytest.approx((f_rate - f0, f_use - f0), rel=1e-9)
    assert f_rate - f0 > 0
    assert result.shapley == pytest.approx(
        (((f_rate - f0) + (f_all - f_use)) / 2, ((f_use - f0) + (f_all - f_rate)) / 2), rel=1e-9)
    assert result.interaction == pytest.approx(f_all - f_rate - f_use + f0, rel=1e-6, abs=1e-12)
    # swapping the scenarios changes every sign
    back = attribute(_variant(base, "high", high), _variant(base, "low", low), key, year)
    assert back.total == pytest.approx(-result.total, rel=1e-9)
    assert back.one_at_a_time == pytest.approx((f_use - f_all, f_rate - f_all), rel=1e-9)
    assert (result.runs, result.engine_passes) == (4, 1)  # parameters only: one pass


def test_attribution_of_a_parameter_and_two_levers_matches_separate_runs():
    """A parameter (member values of one pass) and two levers (one pass per combination of their
    tables) differ: every subset against a run of its own, with the levers' tables given to the
    run as a scenario's, and the Shapley values by their definition over those runs."""
    key, year = "leakage_volume_kt_d", 2024
    base = load_scenario(SCENARIOS / "baseline.yaml")
    target = load_scenario(SCENARIOS / "leakage_target.yaml").levers

    def subset(mask: int, name: str = "x") -> Scenario:
        # bit 0: the background rate, bit 1: the metering programme, bit 2: the renewal one
        levers = {lever: target[lever] for bit, lever in
                  ((1, "metering_programme"), (2, "renewal_programme")) if mask >> bit & 1}
        rate = 0.06 if mask & 1 else 0.03
        return _variant(base, name, {"background_leakage_rate": rate}, levers)

    f = [_run_alone(subset(mask), key, year) for mask in range(8)]
    # a higher background rate leaks more; more metering and faster renewal leak less
    assert f[0] < f[1]
    assert max(f[2], f[4]) < f[0]
    result = attribute(subset(0, "reference"), subset(7, "alternative"), key, year,
                       max_inputs=3)
    assert [(d.name, d.kind) for d in result.inputs] == [
        ("background_leakage_rate", "parameter"), ("metering_programme", "lever"),
        ("renewal_programme", "lever")]
    assert (result.indicator.key, result.year) == (key, year)
    assert (result.reference_name, result.alternative_name) == ("reference", "alternative")
    assert result.subset_values == pytest.approx(f, rel=1e-9)
    assert (result.reference_value, result.alternative_value) == pytest.approx((f[0], f[7]),
                                                                               rel=1e-9)
    assert result.one_at_a_time == pytest.approx((f[1] - f[0], f[2] - f[0], f[4] - f[0]),
                                                 rel=1e-9)
    assert result.shapley == pytest.approx(_brute_force_shapley(lambda m: f[m], 3), rel=1e-9)
    assert (result.runs, result.engine_passes) == (8, 4)  # the rate's two values share a pass


def test_attribution_refuses_too_many_inputs_before_running_the_model():
    base = load_scenario(SCENARIOS / "baseline.yaml")
    names = sorted(base.parameters)[:10]
    alternative = _variant(base, "ten", {n: base.parameters[n] * 1.1 for n in names})
    with pytest.raises(ReportError) as info:
        attribute(base, alternative, max_inputs=9)
    assert str(info.value) == (
        "10 inputs differ between 'baseline' and 'ten'; an exact attribution runs the model "
        "2^k = 1,024 times and is limited to 9 inputs. Compare scenarios that differ in fewer "
        "parameters and levers.")


def test_an_indicator_is_its_years_months_reduced_then_scaled():
    """On made-up monthly results, 2029 to 2031: month i of member 0 holds i, of member 1
    100 + i (each in the model's units, times the unit the indicator divides by)."""
    months = np.arange(36.0)[:, None] + np.array([0.0, 100.0])
    ds = xr.Dataset({name: (("time", "member"), months / scale) for name, scale in
                     (("leakage_volume", 1e-3), ("hydropower_generation", 1e-6),
                      ("reservoir_storage", 1e-9), ("peak_day_shortage", 1e-3))},
                    coords={"time": pd.date_range("2029-01-01", periods=36, freq="MS")})
    # 2030 is months 12 to 23: mean 17.5, sum 210, least 12; most of 2031: 35
    for key, year, expected in (("leakage_volume_kt_d", 2030, [17.5, 117.5]),
                                ("hydropower_gwh", 2030, [210.0, 1410.0]),
                                ("storage_min_bn_m3", 2030, [12.0, 112.0]),
                                ("peak_shortage_kt_d", 2031, [35.0, 135.0])):
        got = indicator_by_member(ds, find_indicator(key), year)
        np.testing.assert_allclose(got, expected, rtol=1e-12, err_msg=key)
    with pytest.raises(ValidationError) as info:
        indicator_by_member(ds, find_indicator("leakage_volume_kt_d"), 2032)
    assert [str(p) for p in info.value.problems] == [
        "indicator: year 2032 is outside the results (2029 to 2031)"]


def test_attribution_of_identical_scenarios_is_empty():
    scenario = load_scenario(SCENARIOS / "baseline.yaml")
    result = attribute(scenario, scenario, "leakage_rate_pct", 2025)
    assert result.inputs == ()
    assert result.shapley == ()
    assert result.total == 0.0


def test_unknown_indicator_and_bad_year_are_reported():
    with pytest.raises(ValidationError) as info:
        find_indicator("leakage")
    (problem,) = (str(p) for p in info.value.problems)
    assert problem.startswith("indicator: unknown indicator key 'leakage'; choose one of "
                              "storage_min_bn_m3, hydropower_gwh, diversion_supply_kt_d, ")
    assert problem.endswith(", eco_flow_compliance_pct")
    co2 = find_indicator("dc_co2_kt")
    assert co2.variable == "dc_co2_avoided"
    assert find_indicator(co2) is co2
    # KEY:YEAR; the key alone means 2030; the year is what follows the first colon
    assert parse_target("leakage_volume_kt_d:2025") == (find_indicator("leakage_volume_kt_d"),
                                                         2025)
    assert parse_target(" dc_co2_kt ") == (co2, 2030)
    assert parse_target("dc_co2_kt: ") == (co2, 2030)
    with pytest.raises(ValidationError) as info:
        parse_target("leakage_rate_pct:20:30")
    assert [str(p) for p in info.value.problems] == [
        "indicator: 'leakage_rate_pct:20:30': the year '20:30' is not a whole number (write "
        "KEY:YEAR, e.g. unmet_demand_kt_d:2030)"]


def test_differing_inputs_and_their_description(results):
    reference = scenario_of(load_result(results["baseline"]))
    alternative = scenario_of(load_result(results["leakage_target"]))
    differences = differing_inputs(reference, alternative)
    assert [d.name for d in differences] == ["metering_programme", "renewal_programme"]
    english = difference_sentence(differences[1], "en")
    chinese = difference_sentence(differences[1], "zh")
    assert english.startswith("renewal_programme (mains renewed per year) [km/yr]: ")
    assert "2021: 2 → 3.5" in english
    assert chinese.startswith("老旧管网更新长度［公里/年］：2021: 2 → 3.5")


# --- bad inputs ---------------------------------------------------------------------------------


def test_missing_and_foreign_files_are_reported_together(tmp_path, results):
    csv = tmp_path / "table.csv"
    csv.write_text("a,b\n1,2\n", encoding="utf-8")
    plain = tmp_path / "plain.nc"
    xr.Dataset({"x": ("time", np.arange(3.0))}).to_netcdf(plain)
    with pytest.raises(ResultFileError) as info:
        build_report([tmp_path / "nothere.nc", csv, plain, results["baseline"]])
    text = str(info.value)
    assert "3 problems found" in text
    assert "nothere.nc: file not found" in text
    assert "table.csv: cannot be read as NetCDF" in text
    assert "plain.nc: not a chenzhou-water result" in text
    assert "scenario_name" in text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--attribute", "nope:2030"], "unknown indicator key 'nope'"),
        (["--attribute", "leakage_rate_pct:20x0"], "is not a whole number"),
        (["--attribute", "leakage_rate_pct:1900"],
         "the year 1900 is not one the results cover (2015-2050)"),
        (["--lang", "fr"], "unknown language 'fr'"),
        (["--calibration", "no_such_folder"], "calibration folder not found"),
    ],
)
def test_cli_bad_options_exit_2_and_write_nothing(tmp_path, results, extra, message):
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", str(results["baseline"]), "--out", str(out), *extra])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not list(tmp_path.iterdir()), "nothing may be written"


def test_cli_missing_result_exits_2(tmp_path):
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", str(tmp_path / "gone.nc"), "--out", str(out)])
    assert result.exit_code == 2
    assert "gone.nc: file not found" in result.output
    assert not out.exists()


def test_chinese_without_a_cjk_font_fails_with_how_to_install(tmp_path, results, monkeypatch):
    import chenzhou_water.fonts as fonts

    monkeypatch.setattr(fonts, "cjk_family", lambda: None)
    out = tmp_path / "report.html"
    with pytest.raises(ReportError, match=r"apt-get install fonts-wqy-microhei.*Noto Sans CJK"):
        write_report([results["baseline"]], out, lang="zh")
    result = runner.invoke(app, ["report", str(results["baseline"]), "--out", str(out),
                                 "--lang", "zh"])
    assert result.exit_code == 1
    assert "fonts-wqy-microhei" in result.output
    assert not list(tmp_path.iterdir())


# --- the page -----------------------------------------------------------------------------------


RESOURCE = re.compile(r"""(?:src|href|srcset|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//""",
                      re.IGNORECASE)


def test_page_is_self_contained(english_page):
    html = english_page.read_text(encoding="utf-8")
    assert not RESOURCE.search(html)
    assert not re.search(r"url\(|@import|<script|<link", html, re.IGNORECASE)
    images = re.findall(r'<img [^>]*src="([^"]+)"', html)
    assert len(images) >= 7  # six comparison figures and at least one waterfall
    assert all(src.startswith("data:image/png;base64,") for src in images)


def test_english_page_has_its_sections_and_labels(english_page):
    html = english_page.read_text(encoding="utf-8")
    for anchor in ("scenarios", "headline-table", "fig-storage", "fig-supply", "fig-leakage",
                   "fig-reuse", "fig-datacentre", "fig-hydropower", "attribution",
                   "calibration-table", "provenance-table"):
        assert f'id="{anchor}"' in html, anchor
    for label in ("Headline indicators", "Why the scenarios differ", "Provenance",
                  "Shapley contribution", "reclaimed_capacity_schedule", "Calibration fit",
                  "2 of 3 targets within tolerance"):
        assert label in html, label
    for indicator in HEADLINE_INDICATORS:
        assert indicator.label_en in html, indicator.key
    assert not re.search("[\u4e00-\u9fff]", html.split("<main>")[0])  # no Chinese headings


def test_chinese_page_has_chinese_labels(chinese_page):
    html = chinese_page.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html
    assert "5 个成员" in html  # the ensemble reference
    for label in ("主要指标", "情景差异说明", "差异归因分析", "数据来源", "图表"):
        assert label in html, label
    for indicator in REPORT_INDICATORS:  # demand shown without leakage
        assert indicator.label_zh in html, indicator.key
    for english in ("Headline indicators", "Provenance", "Why the scenarios differ"):
        assert english not in html


def test_cli_writes_the_page(tmp_path, results):
    out = tmp_path / "sub" / "report.html"
    result = runner.invoke(app, ["report", str(results["baseline"]),
                                 str(results["leakage_target"]), "--out", str(out),
                                 "--attribute", "leakage_rate_pct:2025"])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "Network leakage rate (2025)" in html
    assert not list(out.parent.glob(".*.part"))


def test_calibration_folder_without_fit_csv(tmp_path, results):
    with pytest.raises(ResultFileError, match=r"fit.csv: file not found"):
        build_report([results["baseline"]], calibration=tmp_path)


def test_calibration_csv_with_other_columns_is_shown_whole(tmp_path, results):
    (tmp_path / "fit.csv").write_text("name,value\nx,1.5\n", encoding="utf-8")
    html = build_report([results["baseline"]], calibration=tmp_path)
    assert "<th>name</th><th>value</th>" in html


@pytest.fixture(scope="module")
def calibration_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("calibration")
    (folder / "fit.csv").write_text(CALIBRATION_CSV, encoding="utf-8-sig")
    return folder


@pytest.fixture(scope="module")
def english_page(tmp_path_factory, results, calibration_dir) -> Path:
    out = tmp_path_factory.mktemp("page") / "report.html"
    return write_report([results["baseline"], results["reuse_25"]], out, lang="en",
                        calibration=calibration_dir,
                        attribute_target="leakage_volume_kt_d:2030")


@pytest.fixture(scope="module")
def chinese_page(tmp_path_factory, results) -> Path:
    pytest.importorskip("matplotlib")
    from chenzhou_water.fonts import cjk_family

    if cjk_family() is None:
        skip_or_fail("no CJK font installed (apt-get install fonts-wqy-microhei)", REQUIRE_FONT)
    out = tmp_path_factory.mktemp("page") / "report_zh.html"
    return write_report([results["baseline_ensemble"], results["leakage_target"]], out,
                        lang="zh")


def test_a_sweep_ensemble_is_a_result_the_report_draws_as_a_fan(tmp_path, results):
    """A sweep that keeps series is one more result: its metrics and inputs are set aside,
    its (member, time) series drawn as median and 5-95 % band."""
    from chenzhou_water.sweep import run_sweep

    root = Path(__file__).resolve().parents[1]
    sweep = run_sweep(root / "scenarios" / "sweeps" / "leakage_uncertainty.yaml", tmp_path / "sw")
    loaded = load_result(sweep.path)
    assert loaded.label == "leakage_uncertainty"
    assert loaded.dataset.sizes["member"] == 256
    assert all(set(da.dims) == {"member", "time"} for da in loaded.dataset.data_vars.values())
    html = build_report([results["baseline"], sweep.path], "en")
    assert "leakage_uncertainty" in html
    assert html.count("data:image/png;base64,") >= 6


def _crafted(tmp_path, results, resolved: str) -> Path:
    """A copy of the baseline result whose recorded scenario is ``resolved``."""
    import xarray as xr

    with xr.open_dataset(results["baseline"]) as ds:
        crafted = ds.load()
    crafted.attrs["scenario_resolved"] = resolved
    path = tmp_path / "crafted.nc"
    crafted.to_netcdf(path)
    return path


def test_a_result_file_cannot_make_the_report_read_a_local_file(tmp_path, results):
    secret = tmp_path / "secret.yaml"
    secret.write_text("name: secret\ndescription: SECRET-TOKEN-123\n", encoding="utf-8")
    crafted = _crafted(tmp_path, results, f"name: crafted\nextends: {secret}\n")
    page = write_report([results["baseline"], crafted], tmp_path / "report.html")
    html = page.read_text(encoding="utf-8")
    assert "SECRET-TOKEN-123" not in html
    assert "extends nothing" in html


def test_a_result_file_with_an_alias_bomb_is_refused_quickly(tmp_path, results):
    import time

    bomb = "name: b\n" + "".join(
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}" if i else "x"] * 10) + "]\n"
        for i in range(9))
    crafted = _crafted(tmp_path, results, bomb)
    started = time.perf_counter()
    page = write_report([results["baseline"], crafted], tmp_path / "report.html")
    assert time.perf_counter() - started < 120
    assert "expands to more than" in page.read_text(encoding="utf-8")
