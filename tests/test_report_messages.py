"""Key messages, national targets, caveats, the default attribution, sweeps beside runs and the
report's display units (no browser needed)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import xarray as xr
from report_support import (  # noqa: F401  (the `results` and `metrics_sweep` fixtures)
    english_runs,
    metrics_sweep_fixture,
    results_fixture,
    visible_text,
)
from typer.testing import CliRunner

from chenzhou_water.fonts import cjk_family
from chenzhou_water.model.contract import HEADLINE_INDICATORS
from chenzhou_water.report import build_report
from chenzhou_water.report.indicators import REPORT_INDICATORS, with_end_use
from chenzhou_water.report.messages import Run, default_attribution, key_messages
from chenzhou_water.report.sources import load_result
from chenzhou_water.report.targets import NATIONAL_TARGETS
from chenzhou_water.results import annual_indicators
from chenzhou_water.scenario.plots import PUE_MIN_SPAN, plot_supply_demand, pue_limits
from cli import app

needs_cjk = pytest.mark.skipif(cjk_family() is None, reason="no CJK font installed")


def _runs(results, *names):
    out = []
    for name in names:
        ds = with_end_use(load_result(results[name]).dataset)
        out.append(Run(name, annual_indicators(ds, REPORT_INDICATORS), ds))
    return out


@pytest.fixture(scope="module")
def pair(results):
    """The baseline and leakage_target runs, as the messages see them."""
    return _runs(results, "baseline", "leakage_target")


def test_targets_are_data_with_sources():
    leakage, reuse = NATIONAL_TARGETS
    assert (leakage.indicator, leakage.value, leakage.year) == ("leakage_rate_pct", 9.0, 2025)
    assert leakage.met(8.7)
    assert not leakage.met(9.2)
    assert reuse.met(25.0)
    assert not reuse.met(24.0)
    assert all(t.source.startswith("http") for t in NATIONAL_TARGETS)


def test_key_messages_give_figures_and_years(pair):
    runs = pair
    found = key_messages(runs, (2025, 2030, 2035, 2050), "en")
    leakage = next(m for m in found if m.startswith("Public-supply leakage rate"))
    assert re.search(r"leakage_target meets it in 2025 \(8\.\d+ %\)", leakage)
    assert "baseline only in 20" in leakage  # the baseline reaches 9 % after 2025
    reuse = next(m for m in found if m.startswith("Reclaimed-water use"))
    assert "does not meet it by 2050" in reuse
    assert any("never short of water between 2020 and 2050" in m for m in found)
    largest = found[-1]
    assert largest.startswith("The largest difference between the runs is Leakage volume in 2025")


def test_shortage_risk_of_stochastic_members(results):
    runs = _runs(results, "baseline_ensemble", "baseline")
    found = key_messages(runs, (2025, 2030), "en")
    assert any(re.search(r"In \d+ of 5 stochastic inflow futures of baseline_ensemble", m)
               for m in found)


def test_default_attribution_is_an_indicator_that_differs(pair):
    runs = pair
    chosen = default_attribution(runs, 2030)
    assert chosen is not None
    assert chosen.key == "leakage_volume_kt_d"
    ref, alt = (float(r.annual.at[2030, chosen.key]) for r in runs)
    assert abs(alt - ref) > 1.0
    assert default_attribution([runs[0], runs[0]], 2030) is None


def test_leakage_target_does_not_cut_end_use_demand(pair):
    """Demand is shown without leakage: the leakage programme changes leakage, not use."""
    base, target = pair
    key = "end_use_demand_kt_d"
    np.testing.assert_allclose(target.annual[key], base.annual[key], rtol=1e-6)
    assert (target.annual.loc[2025, "leakage_volume_kt_d"]
            < base.annual.loc[2025, "leakage_volume_kt_d"] - 5.0)


def test_report_help_lists_the_indicator_keys():
    result = CliRunner().invoke(app, ["report", "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0
    for ind in HEADLINE_INDICATORS:
        assert ind.key in result.output


@pytest.mark.slow  # a whole page (six figures, exceedance curves): about 10-20 s on two cores
def test_metrics_only_sweep_beside_a_scenario_run(results, metrics_sweep):
    loaded = load_result(metrics_sweep)
    assert loaded.kind == "sweep"
    assert not loaded.has_series
    html = build_report([results["baseline"], metrics_sweep], "en")
    text = visible_text(html)
    assert 'id="sweeps"' in html
    assert "8 members, sampler latin_hypercube, seed 3; sampled:" in text
    assert "background_leakage_rate" in html
    assert "Same parameters and levers as the reference" not in text
    assert "tiny_risk keeps no monthly series" in text
    for metric in ("reliability", "total_shortage", "worst_storage", "leakage_2030"):
        assert f"<code>{metric}</code>" in html
    assert "% of months" in text  # reliability as a share, in %
    assert re.search(r"In the sweep tiny_risk \(8 members\), the central city's supply "
                     r"reliability .* is [\d.]+ % in the median member", text)
    # the headline table holds the run only: no rows of "–" for the sweep
    table = html[html.index('id="headline-table"'):html.index("</table>",
                                                                html.index('id="headline-table"'))]
    assert "tiny_risk" not in table
    assert ">–<" not in table


def test_a_result_file_that_is_neither_is_refused(tmp_path, results):
    with xr.open_dataset(results["baseline"]) as ds:
        bare = ds.load()[["reservoir_storage"]].isel(time=0)
    bare.attrs.update(ds.attrs)
    path = tmp_path / "bare.nc"
    bare.to_netcdf(path)
    with pytest.raises(Exception, match="not a chenzhou-water result"):
        load_result(path)


@needs_cjk
@pytest.mark.slow  # the command end to end: figures and a 4-run attribution, ~20 s
def test_chinese_page_of_the_readme_command_has_key_messages_and_no_english(tmp_path, results):
    result = CliRunner().invoke(app, ["report", str(results["baseline"]),
                                      str(results["leakage_target"]), "--out",
                                      str(tmp_path / "r.html"), "--lang", "zh"])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    text = visible_text(html)
    assert 'id="key-messages"' in html
    assert "漏损达标于2025年达标" in text
    assert "归因指标：2030年漏损水量" in text
    assert english_runs(text) == []
    for vensim in ("Dmnl", "1e9*", "hard", "soft", "10^"):
        assert vensim not in text
    assert "万m³/日" in text
    assert "亿m³" in text


def test_english_words_check_finds_sentences_but_not_identifiers():
    assert english_runs("漏损达标 leakage_target 2025") == []
    assert english_runs("这是 a whole English phrase 吗") == ["a whole English phrase"]
    assert visible_text("<p>甲<code>not shown here</code>乙</p>") == "甲\n乙"


def test_pue_axis_has_a_minimum_span():
    lo, hi = pue_limits(np.array([1.19, 1.195, 1.2]), 1.2)
    assert hi - lo >= PUE_MIN_SPAN
    assert lo < 1.19
    assert hi > 1.2


def test_run_supply_plot_has_at_most_five_series(results):
    import matplotlib.pyplot as plt

    ds = load_result(results["baseline"]).dataset
    ax = plot_supply_demand(ds)
    _, labels = ax.get_legend_handles_labels()
    plt.close(ax.figure)
    assert len(labels) <= 5
    assert labels[0] == "Demand without leakage (end use)"
