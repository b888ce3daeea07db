"""Plots draw their reference lines from the results, not from numbers in the code."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr

from chenzhou_water.scenario.plots import model_constant, plot_leakage, plot_storage


def _result(**constants: float) -> xr.Dataset:
    time = pd.date_range("2015-01-01", periods=24, freq="MS")
    data = {"reservoir_storage": (("member", "time"), np.full((1, 24), 5e9)),
            "leakage_rate": (("member", "time"), np.full((1, 24), 0.15))}
    data.update({k: (("member", "time"), np.full((1, 24), v)) for k, v in constants.items()})
    return xr.Dataset(data, coords={"time": time, "member": [0]})


def _horizontal_lines(ax) -> set[float]:
    return {round(float(line.get_ydata()[0]), 9) for line in ax.get_lines()
            if len(set(np.asarray(line.get_ydata(), dtype=float))) == 1}


def test_reference_lines_follow_the_scenarios_constants():
    ds = _result(dead_storage=2.2e9, storage_at_normal_pool=8.0e9, national_leakage_target=0.1)
    fig, (left, right) = plt.subplots(1, 2)
    plot_storage(ds, ax=left)
    plot_leakage(ds, ax=right)
    assert {2200.0, 8000.0} <= _horizontal_lines(left)  # million m³
    assert 10.0 in _horizontal_lines(right)
    plt.close(fig)


def test_model_defaults_when_the_result_does_not_carry_the_constant():
    assert model_constant(_result(), "dead_storage", 2.45e9) == 2.45e9
