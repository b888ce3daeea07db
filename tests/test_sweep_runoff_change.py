"""``inflow.runoff_change``: a sampled change of each member's mean runoff (issue 12)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import xarray as xr
from sweep_support import problems, write

from chenzhou_water.execution import ExecutionOptions
from chenzhou_water.hydrology.config import InflowConfig
from chenzhou_water.hydrology.generator import generate_inflows
from chenzhou_water.sweep import load_sweep, open_sweep, run_sweep

SWEEP = """
    name: runoff
    extends: base.yaml
    members: 9
    seed: 3
    sampler: {sampler}
    parameters:
      peak_day_factor: {{uniform: {{low: 1.1, high: 1.5}}}}
    inflow:
      drought_2022: {{annual_probability: 0.2}}
      runoff_change: {change}
    outputs:
      series: [reservoir_inflow]
      metrics: [reliability, {{metric: lowest_level, period: [2025, 2050]}}]
"""


def _sweep(folder: Path, change: str = "{uniform: {low: -0.4, high: 0.2}}",
           sampler: str = "latin_hypercube") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write(folder, SWEEP.format(change=change, sampler=sampler), "runoff.yaml")


def _run(path: Path, chunk_size: int, workers: int | None = None) -> xr.Dataset:
    out = path.parent / f"out{chunk_size}"
    run_sweep(path, out, ExecutionOptions(workers=workers, chunk_size=chunk_size))
    return open_sweep(out).load()


def test_each_member_runs_its_stochastic_inflow_times_one_plus_its_change(tmp_path):
    path = _sweep(tmp_path)
    spec = load_sweep(path)
    assert spec.dims == 2
    result = _run(path, 9)
    change = result.runoff_change.values
    assert change.min() >= -0.4
    assert change.max() <= 0.2
    # Latin hypercube: one member in each ninth of the range
    np.testing.assert_array_equal(np.sort(np.floor((change + 0.4) / 0.6 * 9)), np.arange(9))
    drawn = generate_inflows(9, seed=3, config=spec.inflow)
    np.testing.assert_allclose(result.reservoir_inflow.values,
                               drawn * (1 + change[:, None]), rtol=1e-12)


def test_the_changes_and_results_do_not_depend_on_chunks_or_workers(tmp_path):
    path = _sweep(tmp_path)
    whole = _run(path, 9)
    for other in (_run(path, 2), _run(path, 4, workers=2)):
        for name in whole.data_vars:
            np.testing.assert_array_equal(other[name].values, whole[name].values, err_msg=name)


def test_the_same_weather_drier_gives_a_lower_lake_and_less_hydropower(tmp_path):
    # Same seed, so every member keeps its weather; only the runoff change differs.
    dry = _run(_sweep(tmp_path / "dry", "{uniform: {low: -0.41, high: -0.4}}"), 9)
    wet = _run(_sweep(tmp_path / "wet", "{uniform: {low: 0.19, high: 0.2}}"), 9)
    np.testing.assert_array_equal(dry.peak_day_factor.values, wet.peak_day_factor.values)
    ratio = dry.reservoir_inflow.values / wet.reservoir_inflow.values
    np.testing.assert_allclose(ratio, ((1 + dry.runoff_change) / (1 + wet.runoff_change))
                               .values[:, None] * np.ones_like(ratio), rtol=1e-12)
    low_dry = dry.metrics.sel(metric="lowest_level_2025_2050").values
    low_wet = wet.metrics.sel(metric="lowest_level_2025_2050").values
    assert (low_dry <= low_wet + 1e-9).all()
    assert low_dry.mean() < low_wet.mean() - 0.5  # m; about 60 % more inflow in the wet run


def test_a_change_outside_the_models_range_is_located(tmp_path):
    found = problems(_sweep(tmp_path, "{uniform: {low: -1.5, high: 0.2}}"))
    assert len(found) == 1, found
    assert found[0].endswith(
        "runoff.yaml:10: inflow.runoff_change.uniform.low: -1.5 is below the changes allowed "
        "by the model's 'climate_runoff_multiplier' range [0, 2], i.e. [-1, 1]"
    ), found


def test_a_change_that_is_not_a_distribution_is_located(tmp_path):
    found = problems(_sweep(tmp_path, "-0.2"))
    assert len(found) == 1, found
    assert "runoff.yaml:10: inflow.runoff_change: expected" in found[0]


def test_sweeps_without_a_change_keep_their_fingerprint_keys(tmp_path):
    path = _sweep(tmp_path)
    text = textwrap.dedent(path.read_text(encoding="utf-8"))
    path.write_text(text.replace("  runoff_change: {uniform: {low: -0.4, high: 0.2}}\n", ""),
                    encoding="utf-8")
    spec = load_sweep(path)
    assert spec.runoff_change is None
    assert "runoff_change" not in spec.to_dict()
    assert spec.inflow == InflowConfig.from_model(spec.scenario.model_path, drought_2022=
                                                  spec.inflow.drought_2022,
                                                  mean_annual_runoff=spec.inflow.mean_annual_runoff)
