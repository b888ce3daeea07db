"""The engine's output buffers lent by a workspace, and a metrics-only chunk's blocks sharing one.

A sweep reduces each block of members to its metrics before the next block runs, so the blocks
can fill the same buffers: fresh buffers of tens of MB a block came back from the system page by
page. ``Model.run_arrays(..., workspace=...)`` must give the same numbers into the lent buffers,
take a buffer only where it fits, and ``compute_chunk`` must lend one workspace to all its
blocks (``tests/models/chunk_reservoir.mdl``, a single reservoir, runs in a fraction of a
second).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from chenzhou_water.engine import compile_model
from chenzhou_water.engine.model import Model
from chenzhou_water.sweep import chunk as chunk_module
from chenzhou_water.sweep.chunk import ChunkPlan, compute_chunk
from chenzhou_water.sweep.execute import MemberSample
from chenzhou_water.sweep.metrics import Metric

MODEL = Path(__file__).parent / "models" / "chunk_reservoir.mdl"
COLUMNS = ("reservoir_storage", "leakage_rate")


@pytest.fixture(scope="module")
def model() -> Model:
    return compile_model(MODEL)


def _run(model: Model, factors: list[float], **options: Any) -> dict[str, np.ndarray]:
    return model.run_arrays({"release_factor": np.array(factors)}, members=len(factors),
                            return_columns=COLUMNS, **options)  # fmt: skip


def test_lent_buffers_hold_the_same_numbers_as_new_ones(model: Model) -> None:
    workspace: dict[str, np.ndarray] = {}
    lent = _run(model, [0.5, 1.0, 1.5], workspace=workspace)
    fresh = _run(model, [0.5, 1.0, 1.5])
    assert set(workspace) == set(COLUMNS)
    for name in COLUMNS:
        assert np.array_equal(lent[name], fresh[name])
        assert np.shares_memory(lent[name], workspace[name])  # filled in place, not copied
        assert workspace[name].shape == (fresh[name].shape[1], 3)  # (time, member)
        assert not np.shares_memory(fresh[name], workspace[name])


def test_a_buffer_is_reused_where_it_fits_and_replaced_where_it_does_not(model: Model) -> None:
    workspace: dict[str, np.ndarray] = {}
    _run(model, [0.5, 1.0, 1.5], workspace=workspace)
    held = workspace["reservoir_storage"]
    fewer = _run(model, [1.2, 0.8], workspace=workspace)  # two members: the first two columns
    assert workspace["reservoir_storage"] is held
    assert np.shares_memory(fewer["reservoir_storage"], held)
    assert np.array_equal(fewer["reservoir_storage"],
                          _run(model, [1.2, 0.8])["reservoir_storage"])  # fmt: skip
    more = _run(model, [1.0] * 4, workspace=workspace)  # four: a new, larger buffer
    assert workspace["reservoir_storage"].shape[1] == 4
    assert not np.shares_memory(more["reservoir_storage"], held)
    shorter = _run(model, [1.0], workspace=workspace, final_time=59)  # five years saved
    assert workspace["reservoir_storage"].shape[0] == shorter["reservoir_storage"].shape[1]
    assert workspace["reservoir_storage"].shape[0] == 60 < held.shape[0]


def test_the_blocks_of_a_metrics_only_chunk_share_one_workspace(
    model: Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    lent: list[int] = []
    run_arrays = Model.run_arrays

    def recording(self: Model, *args: Any, **kwargs: Any) -> dict[str, np.ndarray]:
        workspace = kwargs.get("workspace")
        lent.append(id(workspace) if workspace is not None else 0)
        return run_arrays(self, *args, **kwargs)

    plan = ChunkPlan(model, {}, (), None, 0, (), (Metric("worst_storage", "worst_storage"),),
                     ("reservoir_storage",), np.repeat(np.arange(2015, 2051), 12), {})  # fmt: skip
    sample = MemberSample(0, 5, constants={"release_factor": np.linspace(0.5, 1.5, 5)})
    whole = compute_chunk(plan, sample)
    monkeypatch.setattr(Model, "run_arrays", recording)
    monkeypatch.setattr(chunk_module, "BLOCK_MEMBERS", 2)
    blocks = compute_chunk(plan, sample)
    assert len(lent) == 3  # blocks of 2, 2 and 1
    assert len(set(lent)) == 1
    assert lent[0] != 0
    assert np.array_equal(blocks.metrics, whole.metrics)
    lent.clear()
    monkeypatch.setattr(chunk_module, "BLOCK_MEMBERS", 5)
    assert np.array_equal(compute_chunk(plan, sample).metrics, whole.metrics)
    assert lent == [0]  # one block of five: run as it is, nothing to share
    lent.clear()
    kept = compute_chunk(replace(plan, series=("reservoir_storage",)), sample)
    assert lent == [0]  # series kept (views of the buffers): one block, no buffers lent
    assert np.array_equal(kept.metrics, whole.metrics)
