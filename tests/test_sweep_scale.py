"""A metrics-only sweep computes only what its metrics read, and loses no bit doing so.

The sweep's kernel returns only the variables its metrics read, simulates member-invariant
stocks once, reduces blocks of members to their metrics as they are simulated, and its chunks
are labelled and written where they are computed; the reference below runs the same members
through the engine with every constant given per member (so nothing is shared between
members) and every public variable kept, and computes the metrics from those full
``(member, time)`` arrays.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from chenzhou_water.engine import compile_model
from chenzhou_water.engine.dataset import calendar_times
from chenzhou_water.execution import ExecutionOptions
from chenzhou_water.hydrology.generator import generate_inflows
from chenzhou_water.scenario.run import scenario_params
from chenzhou_water.sweep import chunk as chunk_module
from chenzhou_water.sweep import ensemble_from_spec, load_sweep, open_sweep, run_sweep
from chenzhou_water.sweep.chunk import INFLOW_VARIABLE

MEMBERS = 7

SWEEP = f"""
    name: lean
    extends: base.yaml
    members: {MEMBERS}
    seed: 11
    sampler: latin_hypercube
    parameters:
      background_leakage_rate: {{uniform: {{low: 0.025, high: 0.05}}}}
      public_use_per_capita: {{triangular: {{low: 35, mode: 42, high: 60}}}}
    inflow:
      drought_2022: {{annual_probability: 0.3}}
      multiyear_drought: {{annual_probability: 0.1}}
    outputs:
      metrics:
        - reliability
        - total_shortage
        - worst_storage
        - {{metric: months_below_dead_storage, margin: 5.0e9}}
        - hydropower_total
        - {{metric: ecological_flow_compliance, period: [2022, 2030]}}
        - {{metric: leakage, year: 2030}}
        - {{metric: annual, variable: population_central_city, reduce: max, year: 2040}}
"""


@pytest.mark.parametrize("block", [chunk_module.BLOCK_MEMBERS, 2])
def test_metrics_only_sweep_equals_the_full_unshared_computation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    monkeypatch.setattr(chunk_module, "BLOCK_MEMBERS", block)  # 2: chunks of 3 in blocks
    (tmp_path / "base.yaml").write_text("name: base\n", encoding="utf-8")
    path = tmp_path / "lean.yaml"
    path.write_text(textwrap.dedent(SWEEP).lstrip("\n"), encoding="utf-8")
    result = run_sweep(path, tmp_path / "out", ExecutionOptions(chunk_size=3))
    swept = open_sweep(tmp_path / "out").load()
    assert result.run.chunks == 3
    assert set(result.run.timings) >= {"plan", "combine", "driver_per_chunk", "engine_cpu"}

    spec = load_sweep(path)
    ensemble = ensemble_from_spec(spec)
    sample = ensemble.sample(0, MEMBERS)
    model = compile_model(spec.scenario.model_path)
    params = {**scenario_params(spec.scenario), **sample.constants}
    for name, node in model.ir.nodes.items():  # every scalar constant one value per member
        if node.kind == "constant" and not node.dims and name not in sample.constants:
            params[name] = np.full(MEMBERS, float(params.get(name, node.value)))
    inflow = generate_inflows(MEMBERS, seed=spec.seed, member_offset=0, config=spec.inflow)
    full = model.run_arrays(params, members=MEMBERS, series={INFLOW_VARIABLE: inflow})
    assert len(full) > 60  # every public variable was kept
    years = np.asarray(calendar_times(full.pop("time"), model.info).year, dtype=np.int64)
    for j, metric in enumerate(spec.metrics):
        constants = {c: params[c] for c in metric.definition.constants}
        expected = metric.compute(full, constants, years)
        assert np.array_equal(swept.metrics.values[:, j], expected), metric.name  # to the bit
