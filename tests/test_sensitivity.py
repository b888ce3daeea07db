"""Sensitivity analysis: analytic indices on a test model, the CLI, resume through the sweep
machinery (SA file validation: ``test_sensitivity_spec.py``)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from chenzhou_water.execution import ExecutionOptions
from chenzhou_water.sensitivity import load_sensitivity, ranking, run_sensitivity
from chenzhou_water.sensitivity.convergence import check_one
from chenzhou_water.sensitivity.spec import ConvergenceRule

MODEL = Path(__file__).parent / "models" / "sa_analytic.mdl"

# Ishigami (a = 7, b = 0.1, inputs uniform on [-pi, pi]): closed-form variances.
A, B = 7.0, 0.1
V1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
V2 = A**2 / 8
V13 = 8 * B**2 * math.pi**8 / 225
V = V1 + V2 + V13
ISHIGAMI_S1 = np.array([V1 / V, V2 / V, 0.0])
ISHIGAMI_ST = np.array([(V1 + V13) / V, V2 / V, V13 / V])

# linear = 2 a - 3 b + 0.5 c with a in [0, 1], b in [-1, 1], c in [0, 10]: effect per range.
LINEAR_EFFECTS = np.array([2.0, -6.0, 5.0])
LINEAR_S = LINEAR_EFFECTS**2 / np.sum(LINEAR_EFFECTS**2)  # Var(a_i X_i) ∝ (a_i range)^2


def write_files(folder: Path, body: str, name: str = "sa.yaml") -> Path:
    """A scenario on the analytic model and an SA file extending it."""
    (folder / "analytic.yaml").write_text(
        f"name: analytic\nmodel: {MODEL.as_posix()}\noutputs: [ishigami, linear, flat]\n",
        encoding="utf-8")
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


SOBOL = """\
name: ishigami
extends: analytic.yaml
parameters: [x1, x2, x3]
method: sobol
options: {N: 4096, num_resamples: 200}
seed: 3
outputs:
  yearly:
    - {variable: ishigami, years: [2021]}
    - {variable: linear, years: [2021], name: linear_wrong_params}
"""

MORRIS = """\
name: linear
extends: analytic.yaml
parameters: {a: range, b: null, c: [0, 10]}
method: morris
options: {trajectories: 8, levels: 4}
seed: 0
outputs:
  yearly:
    - {variable: linear, years: [2020, 2021]}
    - {variable: flat, years: [2021]}
"""


@pytest.fixture(scope="module")
def sobol_result(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("sobol")
    return run_sensitivity(write_files(folder, SOBOL), folder / "out", plots=False)


def test_sobol_matches_ishigami_within_intervals(sobol_result) -> None:
    one = sobol_result.yearly.sel(output="ishigami_mean", year=2021)
    for index, exact in (("S1", ISHIGAMI_S1), ("ST", ISHIGAMI_ST)):
        value, conf = one[index].values, one[f"{index}_conf"].values
        assert np.all(np.abs(value - exact) <= conf + 1e-3), (index, value, exact, conf)
    assert list(ranking(sobol_result.yearly, "ishigami_mean", 2021, "ST").index) == \
        ["x1", "x2", "x3"]


def test_sobol_of_unrelated_parameters_is_zero(sobol_result) -> None:
    """``linear`` depends on none of x1..x3: it does not vary, so no indices, with a note."""
    one = sobol_result.yearly.sel(output="linear_wrong_params", year=2021)
    assert np.all(np.isnan(one["ST"].values))
    assert "does not vary" in str(one["note"].values)
    assert "not judged" in sobol_result.convergence.text()


def test_sobol_linear_additive(tmp_path: Path) -> None:
    body = MORRIS.replace("method: morris", "method: sobol").replace(
        "options: {trajectories: 8, levels: 4}", "options: {N: 2048}")
    result = run_sensitivity(write_files(tmp_path, body), tmp_path / "out", plots=False)
    one = result.yearly.sel(output="linear_mean", year=2021)
    for index in ("S1", "ST"):
        assert np.all(np.abs(one[index].values - LINEAR_S) <= one[f"{index}_conf"].values + 1e-3)


def test_morris_matches_linear_elementary_effects(tmp_path: Path) -> None:
    result = run_sensitivity(write_files(tmp_path, MORRIS), tmp_path / "out", plots=True)
    one = result.yearly.sel(output="linear_mean", year=2021)
    np.testing.assert_allclose(one["mu"].values, LINEAR_EFFECTS, rtol=1e-9)
    np.testing.assert_allclose(one["mu_star"].values, np.abs(LINEAR_EFFECTS), rtol=1e-9)
    np.testing.assert_allclose(one["sigma"].values, 0.0, atol=1e-9)
    assert result.convergence.converged
    names = {p.name for p in result.files}
    assert {"linear_yearly_indices.nc", "linear_indices.csv", "linear_convergence.txt",
            "linear_mu_star_years_linear_mean.png"} <= names
    with xr.open_dataset(tmp_path / "out" / "linear_yearly_indices.nc") as ds:
        assert set(ds.dims) == {"output", "year", "parameter"}
        assert ds.attrs["converged"] == "yes"


# The other SALib methods on the linear output, small samples: each index must rank b (effect 6
# per range) before c (5) before a (2), and the variance-based first-order indices must match
# the closed form S_i = effect_i^2 / sum of effects^2 within a stated tolerance.
# SALib's delta method costs about 30 s whatever the sample (its kernel density estimates and
# bootstrap), hence the slow mark.
OTHER_METHODS = [
    pytest.param("fast", "{N: 260, M: 4}", "S1", 0.03, id="fast"),
    pytest.param("rbd_fast", "{N: 400, M: 10}", "S1", 0.08, id="rbd_fast"),
    pytest.param("delta", "{N: 400, num_resamples: 10}", "S1", 0.1, id="delta",
                 marks=pytest.mark.slow),
    pytest.param("pawn", "{N: 400, slides: 8}", "pawn_median", None, id="pawn"),
]


@pytest.mark.parametrize(("method", "options", "index", "tolerance"), OTHER_METHODS)
def test_every_other_method_ranks_the_linear_effects_and_matches_them(
    tmp_path: Path, method: str, options: str, index: str, tolerance: float | None
) -> None:
    body = MORRIS.replace("method: morris", f"method: {method}").replace(
        "options: {trajectories: 8, levels: 4}", f"options: {options}")
    result = run_sensitivity(write_files(tmp_path, body), tmp_path / "out", plots=False)
    assert list(ranking(result.yearly, "linear_mean", 2021, index).index) == ["b", "c", "a"]
    one = result.yearly.sel(output="linear_mean", year=2021)
    if tolerance is not None:
        np.testing.assert_allclose(one[index].values, LINEAR_S, rtol=0, atol=tolerance)


def test_same_seed_same_indices_whatever_the_chunking(tmp_path: Path) -> None:
    path = write_files(tmp_path, MORRIS)
    one = run_sensitivity(path, tmp_path / "a", plots=False)
    two = run_sensitivity(path, tmp_path / "b", ExecutionOptions(chunk_size=5), plots=False)
    xr.testing.assert_identical(one.yearly.drop_attrs(), two.yearly.drop_attrs())


def test_resume_keeps_finished_chunks(tmp_path: Path) -> None:
    path = write_files(tmp_path, MORRIS)
    out = tmp_path / "out"
    first = run_sensitivity(path, out, ExecutionOptions(chunk_size=8), plots=False)
    assert first.run.chunks == 4
    assert first.run.chunks_computed == 4
    for chunk in (2, 3):  # as if interrupted after two chunks
        (out / "linear.chunks" / f"chunk_{chunk:06d}.nc").unlink()
    (out / "linear.nc").unlink()
    again = run_sensitivity(path, out, ExecutionOptions(resume=True), plots=False)
    assert (again.run.chunks_resumed, again.run.chunks_computed) == (2, 2)
    xr.testing.assert_identical(first.yearly.drop_attrs(), again.yearly.drop_attrs())


def test_rerun_without_resume_is_refused(tmp_path: Path) -> None:
    from chenzhou_water.errors import ValidationError

    path = write_files(tmp_path, MORRIS)
    run_sensitivity(path, tmp_path / "out", plots=False)
    with pytest.raises(ValidationError, match="--resume to continue it, --overwrite"):
        run_sensitivity(path, tmp_path / "out", plots=False)


def test_cli_sensitivity(tmp_path: Path) -> None:
    from cli import app

    path = write_files(tmp_path, MORRIS)
    result = CliRunner().invoke(app, ["sensitivity", str(path), "--out", str(tmp_path / "out"),
                                      "--chunk-size", "10"])
    assert result.exit_code == 0, result.output
    assert "mu_star by year" in result.output
    assert "Convergence of the ranking by mu_star" in result.output
    assert (tmp_path / "out" / "linear_convergence.txt").is_file()


def test_cli_rejects_bad_file_with_status_2(tmp_path: Path) -> None:
    from cli import app

    path = write_files(tmp_path, MORRIS.replace("method: morris", "method: morriss"))
    result = CliRunner().invoke(app, ["sensitivity", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "unknown method 'morriss'; did you mean 'morris'?" in result.output
    assert not (tmp_path / "out").exists()


def test_cli_help_has_examples() -> None:
    from cli import app

    result = CliRunner().invoke(app, ["sensitivity", "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output
    assert "--resume" in result.output


def test_convergence_estimates_the_sample_needed() -> None:
    rule = ConvergenceRule(top=2, tolerance=0.1, negligible=0.02)
    names = ["p", "q", "r"]
    index, conf = np.array([1.0, 0.5, 0.0]), np.array([0.4, 0.2, 0.0])
    holds, precise, overlap, wide, needed, _ = check_one(index, conf, names, rule, 100)
    assert not holds
    assert overlap == [("p", "q")]
    assert wide == ["p", "q"]
    # precision drives it: (0.4 / (0.1 * 1.0))^2 = 16 times the sample
    assert needed == pytest.approx(1600)
    holds, precise, *_ = check_one(index, conf / 10, names, rule, 100)
    assert holds
    assert precise


def test_convergence_ignores_ties_within_tolerance() -> None:
    rule = ConvergenceRule(top=3, tolerance=0.1)
    holds, *_ = check_one(np.array([1.0, 0.97, 0.1]), np.array([0.05, 0.05, 0.005]),
                          ["p", "q", "r"], rule, 10)
    assert holds


def test_shipped_examples_are_valid() -> None:
    root = Path(__file__).resolve().parents[1] / "scenarios" / "sensitivity"
    morris = load_sensitivity(root / "morris_all.yaml")
    assert morris.method == "morris"
    assert len(morris.parameters) > 40
    sobol = load_sensitivity(root / "sobol_top.yaml")
    assert sobol.method == "sobol"
    assert 6 <= len(sobol.parameters) <= 10
