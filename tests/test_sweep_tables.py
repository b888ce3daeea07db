"""A sweep's tables and plots for people, on a small labelled Dataset made here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from chenzhou_water.sweep.metrics import METRICS
from chenzhou_water.sweep.outputs import write_sweep_tables
from chenzhou_water.sweep.plots import ecdf, histogram, save_sweep_plots
from chenzhou_water.sweep.tables import metrics_table, summary_table

MEMBERS = 1000


def _sweep(members: int = MEMBERS, series: bool = False) -> xr.Dataset:
    """What a sweep's combined file holds: inputs and metrics by member (and a series)."""
    rng = np.random.default_rng(0)
    choice = np.arange(members) % 2
    reliability = np.where(choice == 0, 1.0, rng.uniform(0.5, 1.0, members))
    storage = rng.normal(5e9, 1e8, members)
    storage[3] = np.nan  # a metric of a period outside the run
    data = {
        "background_leakage_rate": ("member", rng.uniform(0.02, 0.05, members),
                                    {"units": "Dmnl"}),
        "renewal_programme_choice": ("member", choice,
                                     {"flag_values": np.arange(2),
                                      "flag_meanings": "baseline stalled"}),
        "metrics": (("member", "metric"), np.column_stack([reliability, storage])),
    }
    coords = {
        "member": np.arange(members),
        "metric": ["reliability", "worst_storage"],
        "metric_units": ("metric", [METRICS["reliability"].units,
                                    METRICS["worst_storage"].units]),
    }
    if series:
        coords["time"] = pd.date_range("2015-01-01", periods=24, freq="MS")
        data["leakage_rate"] = (("member", "time"), rng.uniform(0.1, 0.2, (members, 24)),
                                {"units": "Dmnl"})
    return xr.Dataset(data, coords=coords)


def test_metrics_table_has_inputs_then_metrics_headed_in_the_display_units():
    ds = _sweep()
    table = metrics_table(ds)
    assert table.index.name == "member"
    assert list(table.columns) == [
        "background_leakage_rate [%]", "renewal_programme_choice",
        "reliability [% of months]", "worst_storage [million m³]"]
    assert len(table) == MEMBERS
    assert table.loc[2, "reliability [% of months]"] == 100.0
    np.testing.assert_allclose(table["background_leakage_rate [%]"],
                               100 * ds["background_leakage_rate"].values, rtol=1e-12)
    np.testing.assert_allclose(table["worst_storage [million m³]"],
                               1e-6 * ds["metrics"].values[:, 1], rtol=1e-12)


def test_summary_gives_quantiles_overall_and_by_lever_alternative():
    ds = _sweep()
    summary = summary_table(ds)
    rel = summary.loc["reliability [% of months]"]
    assert list(rel.index) == ["all members", "renewal_programme=baseline",
                               "renewal_programme=stalled"]
    assert rel.loc["all members", "members"] == MEMBERS
    assert rel.loc["renewal_programme=baseline", "min"] == 100.0
    values = 100 * ds["metrics"].values[:, 0]
    assert rel.loc["all members", "q50"] == pytest.approx(np.median(values), rel=1e-12)
    assert rel.loc["renewal_programme=stalled", "q95"] == pytest.approx(
        np.quantile(values[1::2], 0.95), rel=1e-12)
    storage = summary.loc[("worst_storage [million m³]", "all members")]
    assert storage["members"] == MEMBERS - 1  # the NaN is left out
    assert np.isfinite(storage[["mean", "min", "q05", "max"]].astype(float)).all()


def test_files_are_written_with_a_byte_order_mark(tmp_path):
    ds = _sweep(series=True)
    written = write_sweep_tables(ds, tmp_path, "s") + save_sweep_plots(ds, tmp_path, "s")
    names = [p.name for p in written]
    assert names == ["s_metrics.csv", "s_metrics_summary.csv", "s_metric_reliability.png",
                     "s_metric_worst_storage.png", "s_fan_leakage_rate.png"]
    assert (tmp_path / "s_metrics.csv").read_bytes().startswith(b"\xef\xbb\xbfmember,")
    back = pd.read_csv(tmp_path / "s_metrics.csv", encoding="utf-8-sig", index_col="member")
    assert back.shape == (MEMBERS, 4)
    assert not list(tmp_path.glob(".*.part"))


def test_plots_draw_from_the_array():
    values = np.r_[np.linspace(0, 1, 99), np.nan]
    ax = ecdf(values, "x [1]")
    (line,) = ax.get_lines()
    assert line.get_ydata()[0] == 0
    assert line.get_ydata()[-1] == 1
    assert line.get_xdata()[-1] == 1.0
    assert line.get_xdata()[49] == values[49]  # the member of rank 49 of 98: an order statistic
    shuffled = ecdf(np.random.default_rng(0).permutation(values), "x [1]").get_lines()[0]
    np.testing.assert_array_equal(shuffled.get_xdata(), line.get_xdata())
    ax = histogram(values, "x [1]")
    assert ax.get_title() == "histogram (99 members)"
    ax = histogram(np.ones(5), "constant [1]")  # no spread: one bin, no error
    assert ax.get_xlabel() == "constant [1]"


def test_no_metrics_no_summary_and_no_metric_plots(tmp_path):
    ds = _sweep(members=10, series=True).drop_vars(["metrics", "metric", "metric_units"])
    assert summary_table(ds).empty
    assert [p.name for p in save_sweep_plots(ds, tmp_path, "s")] == ["s_fan_leakage_rate.png"]


def test_metric_plots_are_drawn_in_the_units_their_labels_name(tmp_path, monkeypatch):
    """Reliability is stored as a fraction and labelled "% of months": drawn in %."""
    import matplotlib.pyplot as plt

    ds = _sweep()
    drawn: list[tuple[str, np.ndarray]] = []
    original = plt.Figure.savefig

    def record(fig, *args, **kwargs):
        left, right = fig.axes[:2]
        drawn.append((left.get_xlabel(), right.get_lines()[0].get_xdata()))
        return original(fig, *args, **kwargs)

    monkeypatch.setattr(plt.Figure, "savefig", record)
    save_sweep_plots(ds, tmp_path, "s")
    label, xs = drawn[0]
    assert label == "reliability [% of months]"
    assert xs.max() == pytest.approx(100.0)
    assert xs.min() == pytest.approx(100 * ds["metrics"].sel(metric="reliability").min())
