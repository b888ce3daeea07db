"""A sweep's tables and figures written after the run: each metric's statistics and figure as
one task, on a Dask session's workers or here, with the same files either way."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chenzhou_water.sweep.cluster import open_dask
from chenzhou_water.sweep.outputs import metric_work, warm_up_workers, write_sweep_outputs
from chenzhou_water.sweep.tables import shown_metrics, summary_table
from tests.test_sweep_tables import _sweep

PNG = b"\x89PNG\r\n\x1a\n"


class _RecordingClient:
    """Dask's scatter/map/gather, computed here, recording what was shipped."""

    def __init__(self) -> None:
        self.scattered: list[np.ndarray] = []
        self.calls: list[tuple[str, dict]] = []

    def scatter(self, values: list[np.ndarray]) -> list[np.ndarray]:
        self.scattered += values
        return values

    def map(self, function, *iterables, pure: bool = True, **kwargs):
        assert pure is False
        self.calls.append((function.__name__, kwargs))
        return [function(*args, **kwargs) for args in zip(*iterables, strict=True)]

    def gather(self, results):
        return results


def test_each_metric_is_one_task_given_its_column_alone(tmp_path: Path) -> None:
    ds = _sweep()
    client = _RecordingClient()
    written, timings = write_sweep_outputs(ds, tmp_path, "s", client=client)
    # each metric's statistics, then each metric's figure: two tasks a metric
    assert [(name, kwargs["figure"], bool(kwargs["groups"])) for name, kwargs in client.calls] \
        == [("metric_work", False, True), ("metric_work", True, False)]
    assert len(client.scattered) == 2  # the two metrics' columns, each contiguous
    for j, column in enumerate(client.scattered):
        assert column.flags.c_contiguous
        np.testing.assert_array_equal(column, shown_metrics(ds)[:, j])
    assert [p.name for p in written] == [
        "s_metrics.csv", "s_metrics_summary.csv",
        "s_metric_reliability.png", "s_metric_worst_storage.png"]  # fmt: skip
    assert all(p.read_bytes().startswith(PNG) for p in written[2:])
    assert timings["metric_cpu"] > timings["metric_longest"] > 0  # four tasks, one the longest
    summary = pd.read_csv(tmp_path / "s_metrics_summary.csv", index_col=[0, 1],
                          encoding="utf-8-sig")  # fmt: skip
    expected = summary_table(ds)
    assert list(summary.index) == list(expected.index)
    np.testing.assert_allclose(summary.to_numpy(), expected.to_numpy(), rtol=1e-5)


def test_a_metrics_statistics_by_hand() -> None:
    values = np.array([4.0, 1.0, np.nan, 3.0, 2.0])
    groups = [("all members", None), ("odd", np.array([False, True, False, True, False]))]
    work = metric_work(values, "x [m]", groups, figure=False)
    assert work.png is None
    assert work.rows[0] == pytest.approx({"members": 4, "mean": 2.5, "min": 1.0, "q05": 1.15,
                                          "q25": 1.75, "q50": 2.5, "q75": 3.25, "q95": 3.85,
                                          "max": 4.0})  # fmt: skip
    assert work.rows[1] == pytest.approx({"members": 2, "mean": 2.0, "min": 1.0, "q05": 1.1,
                                          "q25": 1.5, "q50": 2.0, "q75": 2.5, "q95": 2.9,
                                          "max": 3.0})  # fmt: skip


def test_on_a_local_cluster_the_files_are_those_written_here(tmp_path: Path) -> None:
    ds = _sweep(series=True)
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()
    serial, _ = write_sweep_outputs(ds, here, "s")
    with open_dask(2, None) as session:
        dask, timings = write_sweep_outputs(ds, there, "s", client=session.client)
    assert [p.name for p in dask] == [p.name for p in serial] == [
        "s_metrics.csv", "s_metrics_summary.csv", "s_metric_reliability.png",
        "s_metric_worst_storage.png", "s_fan_leakage_rate.png"]  # fmt: skip
    for name in ("s_metrics.csv", "s_metrics_summary.csv"):
        assert (there / name).read_bytes() == (here / name).read_bytes()
    assert all(p.read_bytes().startswith(PNG) for p in dask[2:])
    assert timings["metric_cpu"] > 0  # what the workers' tasks measured


def test_every_worker_readies_itself_to_draw_once() -> None:
    with open_dask(2, None) as session:
        futures = warm_up_workers(session.client)
        workers = set(session.client.scheduler_info()["workers"])
        ready = [f.result() for f in futures]
        assert sorted(address for address, _ in ready) == sorted(workers)
        assert all(seconds > 0 for _, seconds in ready)
