"""Requests that would exhaust memory are refused before any work, with the memory they need
and the largest that fits; samplers draw chunk by chunk, so memory follows the chunk size."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from chenzhou_water.sweep.samplers import unit_design


@pytest.mark.parametrize("members", [1, 2, 3, 7, 64, 1000, 4097])
def test_the_chunked_latin_hypercube_is_one(members):
    u = unit_design("latin_hypercube", members, 4, seed=11).rows(0, members)
    assert ((u >= 0) & (u < 1)).all()
    for j in range(4):  # exactly one member in each of the n strata of every dimension
        assert sorted(np.floor(u[:, j] * members).astype(int)) == list(range(members))


def _peak_bytes(sampler: str, members: int) -> int:
    """Peak memory of drawing 1,000 rows of a design of ``members`` (near its start)."""
    tracemalloc.start()
    try:
        rows = unit_design(sampler, members, 8, seed=0).rows(1000, 2000)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        assert rows.shape == (1000, 8)


@pytest.mark.parametrize("sampler", ["latin_hypercube", "sobol", "halton"])
def test_memory_does_not_grow_with_members(sampler):
    small, large = (2**12, 2**26) if sampler == "sobol" else (4096, 100_000_000)
    _peak_bytes(sampler, small)  # SciPy loads Sobol's direction numbers once per process
    assert _peak_bytes(sampler, large) < _peak_bytes(sampler, small) + 200_000


def test_the_last_rows_of_a_hundred_million_are_drawn_directly():
    design = unit_design("latin_hypercube", 100_000_000, 8, seed=0)
    rows = design.rows(99_999_000, 100_000_000)
    assert np.array_equal(rows[500:], design.rows(99_999_500, 100_000_000))


def test_latin_hypercube_rows_depend_only_on_seed_and_member():
    a = unit_design("latin_hypercube", 10_000, 3, seed=4)
    b = unit_design("latin_hypercube", 10_000, 3, seed=5)
    assert np.array_equal(a.rows(9_990, 10_000), a.rows(0, 10_000)[9_990:])
    assert not np.array_equal(a.rows(0, 10), b.rows(0, 10))
    corr = np.corrcoef(a.rows(0, 10_000).T)
    assert np.abs(corr[np.triu_indices(3, 1)]).max() < 0.05, "dimensions are independent"


# --- counts checked against memory, before any work --------------------------------------------

GIB = 2**30


@pytest.fixture
def four_gib(monkeypatch):
    """A machine with 4 GiB available, whatever this one has."""
    from chenzhou_water import resources

    monkeypatch.setattr(resources, "available_bytes", lambda: 4 * GIB)


def test_hydrology_members_beyond_memory_are_refused_with_the_largest_that_fits(four_gib):
    from typer.testing import CliRunner

    from cli import app

    result = CliRunner().invoke(app, ["hydrology", "--members", "1000000000"])
    assert result.exit_code == 2, result.output
    per_series = 6 * 8 * 432
    largest = int(0.8 * 4 * GIB // per_series)
    assert (f"--members: 1,000,000,000 inflow series need about "
            f"{1e9 * per_series / GIB:.1f} GiB ({per_series:,} bytes each); this machine has "
            f"4.0 GiB available; use at most {largest:,}") in result.output


@pytest.mark.parametrize(("options", "option"), [(["--chunk-size", "100000000"], "--chunk-size"),
                                                 (["--workers", "100000"], "--workers")])
def test_a_sweep_whose_chunks_do_not_fit_is_refused_before_anything_is_written(
        options, option, tmp_path, four_gib):
    from typer.testing import CliRunner

    from cli import app
    from tests.sweep_support import edit, write

    path = write(tmp_path, edit("members: 16", "members: 100000000"))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out), *options])
    assert result.exit_code == 2, result.output
    assert f"{option}: " in result.output
    assert "this machine has 4.0 GiB available; use at most" in result.output
    assert not out.exists() or not any(out.iterdir()), "no sweep state left behind"


def test_a_sobol_design_beyond_memory_is_refused_at_its_line(tmp_path, four_gib):
    from chenzhou_water.errors import ValidationError
    from chenzhou_water.sensitivity.spec import load_sensitivity
    from tests.conftest import ROOT

    text = (ROOT / "scenarios" / "sensitivity" / "sobol_top.yaml").read_text(encoding="utf-8")
    text = text.replace("extends: ../drought_2022.yaml",
                        f"extends: {ROOT / 'scenarios' / 'drought_2022.yaml'}")
    path = tmp_path / "sa.yaml"
    path.write_text(text.replace("N: 8192", "N: 1073741824"), encoding="utf-8")
    line = text.splitlines().index("options: {N: 8192, calc_second_order: false}") + 1
    with pytest.raises(ValidationError) as info:
        load_sensitivity(path)
    [problem] = info.value.problems
    assert str(problem).startswith(f"{path}:{line}: options.N: N = 1,073,741,824 gives "
                                   "12,884,901,888 model runs need about ")
    assert "this machine has 4.0 GiB available; use at most" in str(problem)


def test_a_study_on_too_many_workers_is_refused_before_any_cluster_starts(tmp_path, four_gib,
                                                                          monkeypatch):
    """One cluster serves every policy: the memory check comes before it starts (a cluster
    of 100,000 workers would not start at all)."""
    from chenzhou_water.errors import ValidationError
    from chenzhou_water.execution import ExecutionOptions
    from chenzhou_water.stress import run_study
    from tests.test_stress import write

    def no_cluster(*args, **kwargs):
        raise AssertionError("a Dask cluster was started")

    monkeypatch.setattr("chenzhou_water.sweep.cluster.open_dask", no_cluster)
    with pytest.raises(ValidationError, match=r"--workers: .* this machine has 4\.0 GiB available"):
        run_study(write(tmp_path), tmp_path / "out", ExecutionOptions(workers=100_000),
                  plots=False)  # fmt: skip
