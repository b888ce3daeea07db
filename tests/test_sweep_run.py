"""Running sweeps: bit-identical across chunk sizes and workers, resumable, and the CLI."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

from chenzhou_water.engine import compile_model
from chenzhou_water.errors import ValidationError
from chenzhou_water.execution import ExecutionOptions
from chenzhou_water.scenario.run import scenario_params
from chenzhou_water.scenario.spec import load_scenario
from chenzhou_water.sweep import (
    Ensemble,
    SweepFolderError,
    matrix_sample,
    open_sweep,
    run_ensemble,
    run_sweep,
)
from chenzhou_water.sweep import chunk as chunk_module
from chenzhou_water.sweep.metrics import Metric

SWEEP = """
    name: small
    extends: base.yaml
    members: 23
    seed: {seed}
    sampler: monte_carlo
    parameters:
      background_leakage_rate: {{uniform: {{low: 0.02, high: 0.05}}}}
      industrial_gross_water_use_2020: {{normal: {{mean: 600000, sd: 150000}}}}
    levers:
      renewal_programme: {{scale: [0.5, 1.5]}}
    inflow:
      drought_2022: {{annual_probability: 0.2}}
    outputs:
      series: [reservoir_storage]
      metrics:
        - reliability
        - total_shortage
        - {{metric: worst_storage, period: 2022-2024}}
        - {{metric: leakage, year: 2030}}
"""


def write_sweep(folder: Path, seed: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "base.yaml").write_text("name: base\n", encoding="utf-8")
    path = folder / "small.yaml"
    path.write_text(textwrap.dedent(SWEEP.format(seed=seed)).lstrip("\n"), encoding="utf-8")
    return path


def assert_identical(a: xr.Dataset, b: xr.Dataset) -> None:
    assert sorted(a.data_vars) == sorted(b.data_vars)
    for name in a.data_vars:
        assert np.array_equal(a[name].values, b[name].values), name  # to the bit


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> xr.Dataset:
    """The small sweep in one chunk, serially."""
    folder = tmp_path_factory.mktemp("reference")
    run_sweep(write_sweep(folder), folder / "out")
    return open_sweep(folder / "out").load()


def test_results_have_the_promised_shape(reference: xr.Dataset) -> None:
    ds = reference
    assert ds.sizes == {"member": 23, "time": 432, "metric": 4}
    assert list(ds.metric.values) == [
        "reliability",
        "total_shortage",
        "worst_storage_2022_2024",
        "leakage_2030",
    ]
    assert ds.metric_units.values.tolist()[1] == "m3"
    assert ds.background_leakage_rate.attrs["units"] == "Dmnl"
    assert set(np.unique(ds.renewal_programme_scale)) == {0.5, 1.5}
    storage = ds.reservoir_storage.sel(time=slice("2022", "2024")).min("time")
    assert np.array_equal(storage.values, ds.metrics.sel(metric="worst_storage_2022_2024").values)
    assert (ds.metrics.sel(metric="total_shortage") > 0).any()  # high demand: some shortage


@pytest.mark.parametrize("chunk_size", [5, 8])
def test_chunk_size_does_not_change_a_bit(
    tmp_path: Path, reference: xr.Dataset, chunk_size: int
) -> None:
    result = run_sweep(write_sweep(tmp_path), tmp_path / "out",
                       ExecutionOptions(chunk_size=chunk_size))
    assert result.run.chunks == -(-23 // chunk_size)
    assert_identical(open_sweep(tmp_path / "out").load(), reference)


class Crash(RuntimeError):
    pass


def test_resume_after_a_crash_loses_and_repeats_nothing(
    tmp_path: Path, reference: xr.Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    computed: list[tuple[int, int]] = []
    original = chunk_module.compute_chunk

    def counting(plan, sample):
        computed.append((sample.start, sample.stop))
        return original(plan, sample)

    monkeypatch.setattr(chunk_module, "compute_chunk", counting)

    def crash_after_two(report):
        if report.chunks_done == 2:
            raise Crash("simulated crash")

    path, out = write_sweep(tmp_path), tmp_path / "out"
    with pytest.raises(Crash):
        run_sweep(path, out, ExecutionOptions(chunk_size=5), progress=crash_after_two)
    chunks = {(i, min(i + 5, 23)) for i in range(0, 23, 5)}
    assert [c for c in computed if c in chunks] == [(0, 5), (5, 10)]
    with pytest.raises(SweepFolderError, match="unfinished"):
        open_sweep(out)
    with pytest.raises(ValidationError, match="pass --resume to continue it, --overwrite"):
        run_sweep(path, out)
    with pytest.raises(SweepFolderError, match="was made with 5; omit --chunk-size"):
        run_sweep(path, out, ExecutionOptions(resume=True, chunk_size=4))
    computed.clear()
    result = run_sweep(path, out, ExecutionOptions(resume=True))
    assert sorted(c for c in computed if c in chunks) == [(10, 15), (15, 20), (20, 23)]
    assert (result.run.chunks_computed, result.run.chunks_resumed) == (3, 2)
    assert_identical(open_sweep(out).load(), reference)


def test_resume_refuses_a_folder_made_by_another_sweep(tmp_path: Path) -> None:
    def crash(report):
        if report.chunks_done:
            raise Crash("simulated crash")

    out = tmp_path / "out"
    with pytest.raises(Crash):
        run_sweep(write_sweep(tmp_path / "a"), out, ExecutionOptions(chunk_size=20), progress=crash)
    with pytest.raises(SweepFolderError, match="made by a different sweep"):
        run_sweep(write_sweep(tmp_path / "b", seed=1), out, ExecutionOptions(resume=True))


def test_two_dask_workers_give_the_serial_results(tmp_path: Path, reference: xr.Dataset) -> None:
    result = run_sweep(write_sweep(tmp_path), tmp_path / "out",
                       ExecutionOptions(workers=2, chunk_size=6))
    assert result.run.executor == "local Dask cluster (2 workers)"
    assert_identical(open_sweep(tmp_path / "out").load(), reference)


CONTINUOUS = """
    name: continuous
    extends: base.yaml
    members: 9
    seed: 3
    sampler: latin_hypercube
    parameters:
      background_leakage_rate: {uniform: {low: 0.02, high: 0.05}}
    levers:
      renewal_programme: {scale: {triangular: {low: 0.2, mode: 1.0, high: 2.5}}}
      metering_programme: {scale: [0.5, 1.5]}
    outputs:
      series: [leakage_rate]
      metrics: [reliability, {metric: leakage, year: 2030}]
"""


def test_continuous_lever_is_one_table_per_member_and_chunking_keeps_the_bits(
    tmp_path: Path,
) -> None:
    def sweep(folder: Path, chunk_size: int, workers: int | None = None) -> xr.Dataset:
        folder.mkdir()
        (folder / "base.yaml").write_text("name: base\n", encoding="utf-8")
        path = folder / "continuous.yaml"
        path.write_text(textwrap.dedent(CONTINUOUS).lstrip("\n"), encoding="utf-8")
        run_sweep(path, folder / "out", ExecutionOptions(workers=workers, chunk_size=chunk_size))
        return open_sweep(folder / "out").load()

    whole = sweep(tmp_path / "whole", 9)
    factors = whole.renewal_programme_scale.values
    assert len(np.unique(factors)) == 9
    assert np.all((factors > 0.2) & (factors < 2.5))
    assert "renewal_programme_choice" not in whole
    assert set(np.unique(whole.metering_programme_scale)) <= {0.5, 1.5}
    assert_identical(sweep(tmp_path / "ones", 1), whole)  # one member a pass: a shared table
    assert_identical(sweep(tmp_path / "fours", 4, workers=2), whole)
    # member 4 alone, with its own tables, through the engine directly
    scenario = load_scenario(tmp_path / "whole" / "base.yaml")
    model = compile_model(scenario.model_path)
    renewal, metering = (model.info.get(n) for n in ("renewal_programme", "metering_programme"))
    assert renewal is not None
    assert metering is not None
    member = 4
    params = {
        **scenario_params(scenario),
        "background_leakage_rate": float(whole.background_leakage_rate[member]),
        "renewal_programme": (renewal.lookup_x,
                              np.asarray(renewal.lookup_y) * factors[member]),
        "metering_programme": (metering.lookup_x, np.asarray(metering.lookup_y)
                               * float(whole.metering_programme_scale[member])),
    }
    alone = model.run_arrays(params, return_columns=["leakage_rate"])["leakage_rate"][0]
    assert np.array_equal(whole.leakage_rate.values[member], alone)


def test_execution_core_runs_a_plain_matrix_like_a_single_run(tmp_path: Path) -> None:
    """The contract the sensitivity feature relies on: a matrix of constants in, members out."""
    (tmp_path / "base.yaml").write_text("name: base\n", encoding="utf-8")
    scenario = load_scenario(tmp_path / "base.yaml")
    names = ["background_leakage_rate", "public_use_per_capita"]
    matrix = np.array([[0.02, 30.0], [0.03, 45.0], [0.05, 60.0]])
    ensemble = Ensemble(
        name="matrix",
        scenario=scenario,
        members=3,
        sample=matrix_sample(names, matrix),
        fingerprint="test-matrix",
        metrics=(Metric("leakage_2030", "leakage", (2030, 2030)),),
    )
    result = run_ensemble(ensemble, tmp_path / "out", ExecutionOptions(chunk_size=2))
    ds = xr.open_dataset(result.path)
    assert np.array_equal(ds.public_use_per_capita.values, matrix[:, 1])
    model = compile_model(scenario.model_path)
    params = {
        **scenario_params(scenario),
        "background_leakage_rate": 0.03,
        "public_use_per_capita": 45.0,
    }
    alone = model.run_arrays(params, return_columns=["leakage_rate"])["leakage_rate"][0]
    year_2030 = slice(12 * 15, 12 * 16)
    assert ds.metrics.values[1, 0] == alone[year_2030].mean()


def test_cli_sweep_runs_and_reports(tmp_path: Path) -> None:
    from cli import app

    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["sweep", str(write_sweep(tmp_path)), "--out", str(out), "--chunk-size", "12"]
    )
    assert result.exit_code == 0, result.output
    assert "small: 23 members in 2 chunks (2 run, 0 resumed) on serial" in result.output
    assert (out / "small.nc").is_file()
    metrics = pd.read_csv(out / "small_metrics.csv", encoding="utf-8-sig", index_col="member")
    assert len(metrics) == 23
    assert "reliability [% of months]" in metrics.columns
    assert "background_leakage_rate [%]" in metrics.columns
    assert (out / "small_metrics_summary.csv").is_file()
    assert (out / "small_metric_reliability.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "small_fan_reservoir_storage.png").is_file()
    before = {p.name: p.stat().st_mtime_ns for p in out.rglob("*")}
    again = CliRunner().invoke(app, ["sweep", str(write_sweep(tmp_path)), "--out", str(out)])
    assert again.exit_code == 2, again.output
    assert "pass --resume to continue it, --overwrite to replace it" in again.output
    assert {p.name: p.stat().st_mtime_ns for p in out.rglob("*")} == before  # nothing touched
    both = CliRunner().invoke(app, ["sweep", str(write_sweep(tmp_path)), "--out", str(out),
                                    "--overwrite", "--resume"])
    assert both.exit_code == 2
    assert "--overwrite and --resume exclude each other" in both.output
    smaller = CliRunner().invoke(app, ["sweep", str(write_sweep(tmp_path)), "--out", str(out),
                                       "--overwrite", "--members", "5", "--no-plots"])
    assert smaller.exit_code == 0, smaller.output
    with open_sweep(out) as ds:
        assert ds.sizes["member"] == 5
    assert len(pd.read_csv(out / "small_metrics.csv", encoding="utf-8-sig")) == 5
    assert sorted(p.name for p in (out / "small.chunks").iterdir()) == [
        "chunk_000000.csv", "chunk_000000.nc", "manifest.json"]
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "staging left behind"


def test_cli_sweep_bad_file_exits_2_with_every_problem_located(tmp_path: Path) -> None:
    from cli import app

    path = write_sweep(tmp_path)
    path.write_text(
        path.read_text()
        .replace("members: 23", "members: many")
        .replace("sampler: monte_carlo", "sampler: latin")
    )
    result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "2 problems found" in text
    assert "small.yaml:3: members: expected a whole number, got 'many' (str)" in text
    assert "small.yaml:5: sampler: unknown sampler 'latin' (str)" in text
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["sweep", "hydrology"])
def test_help_shows_an_example(command: str) -> None:
    from cli import app

    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output
    assert "chenzhou-water " + command in result.output


def test_cli_hydrology_prints_assumptions_and_saves_the_figure(tmp_path: Path) -> None:
    from cli import app

    png = tmp_path / "hydrology.png"
    result = CliRunner().invoke(app, ["hydrology", "--plot", str(png), "--members", "50"])
    assert result.exit_code == 0, result.output
    assert "mean annual runoff 4.54 billion m³/yr" in result.output
    assert "0.165" in result.output  # June's share
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_metrics_table_joined_from_chunks_is_the_table_formatted_whole(
    tmp_path: Path, reference: xr.Dataset
) -> None:
    """Chunks write their rows; the driver joins them. The file is byte for byte the table
    formatted at once, also where a chunk has no rows file (a folder of older code)."""
    from chenzhou_water.files import write_csv
    from chenzhou_water.sweep.tables import metrics_table

    whole = write_csv(metrics_table(reference), tmp_path / "whole.csv").read_bytes()
    assert whole.startswith(b"\xef\xbb\xbfmember,")
    path, out = write_sweep(tmp_path), tmp_path / "out"
    result = run_sweep(path, out, ExecutionOptions(chunk_size=5))
    name = result.spec.name
    fragments = sorted((out / f"{name}.chunks").glob("chunk_*.csv"))
    assert len(fragments) == 5
    assert (out / f"{name}_metrics.csv").read_bytes() == whole

    def crash_after_two(report):
        if report.chunks_done == 2:
            raise Crash("simulated crash")

    again = tmp_path / "again"
    with pytest.raises(Crash):
        run_sweep(path, again, ExecutionOptions(chunk_size=5), progress=crash_after_two)
    (again / f"{name}.chunks" / "chunk_000001.csv").unlink()
    run_sweep(path, again, ExecutionOptions(resume=True))
    assert (again / f"{name}_metrics.csv").read_bytes() == whole
