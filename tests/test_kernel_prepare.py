"""Kernels generated ahead of a run, without running it: what a sweep's driver does before the
plan travels to the workers (it used to run two members to the same end)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chenzhou_water.engine import compile_model
from chenzhou_water.engine.model import Model
from chenzhou_water.sweep.chunk import compute_chunk, prepare_kernels
from tests.test_sweep_chunk import COLUMNS, full_sample, plan_of

MODEL = Path(__file__).parent / "models" / "chunk_reservoir.mdl"


@pytest.fixture
def model() -> Model:
    fresh = compile_model(MODEL)
    return Model(fresh.ir, fresh.info)  # no kernel generated yet


def _forbid_running(model: Model) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("a kernel ran")

    for kernel in model._kernels.values():
        kernel.simulate = refuse


def test_prepare_generates_the_kernel_a_run_with_the_same_kinds_of_inputs_uses(
    model: Model,
) -> None:
    params = {"release_factor": np.array([1.0, 1.2, 0.8])}
    model.prepare(params, members=3, return_columns=["reservoir_storage"])
    assert len(model._kernels) == 1
    _forbid_running(model)
    model.prepare(params, members=3, return_columns=["reservoir_storage"])  # runs nothing
    kernels = dict(model._kernels)
    with pytest.raises(AssertionError, match="a kernel ran"):  # the run uses that very kernel
        model.run_arrays({"release_factor": np.array([0.5, 2.0])}, members=2,
                         return_columns=["reservoir_storage"])  # fmt: skip
    assert model._kernels == kernels
    model.prepare(None, members=1, return_columns=["reservoir_storage"])  # a shared constant
    assert len(model._kernels) == 2  # is another configuration


def test_prepare_kernels_covers_every_group_of_a_chunk_without_running_one(model: Model) -> None:
    plan = plan_of(model)
    prepare_kernels(plan, full_sample())  # four groups of lever alternatives
    generated = set(model._kernels)
    assert generated
    assert all(set(config.outputs) == set(COLUMNS) for config in generated)
    calls: list[int] = []
    for kernel in model._kernels.values():
        run = kernel.simulate

        def counted(*args: object, run=run) -> None:
            calls.append(1)
            run(*args)

        kernel.simulate = counted
    result = compute_chunk(plan, full_sample())
    assert set(model._kernels) == generated  # the chunk needed no other kernel
    assert len(calls) == 4  # and ran the prepared ones, once a group
    assert np.isfinite(result.metrics).all()
