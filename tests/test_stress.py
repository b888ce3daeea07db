"""Stress studies: the study file's rules, robustness against hand-computed values, PRIM against
a planted box, common random numbers, and identical tables serially and on two workers."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from chenzhou_water.errors import ValidationError
from chenzhou_water.hydrology.generator import (
    InflowConfig,
    MemberClimate,
    MultiYearDrought,
    generate_inflows,
)
from chenzhou_water.stress import load_study
from chenzhou_water.stress.discovery import discover
from chenzhou_water.stress.futures import StudyFutures
from chenzhou_water.stress.robustness import regret, robustness_table, satisficing

STUDY = """
    name: tiny
    futures: 8
    seed: 3
    sampler: latin_hypercube
    inflow:
      multiyear_drought: {multiplier: 0.6}
    uncertainties:
      runoff_change: {uniform: {low: -0.4, high: 0.2}, plausible: [-0.15, 0.05]}
      drought_frequency: {uniform: {low: 0.0, high: 0.1}}
      drought_length: {uniform: {low: 1, high: 5}}
      variability: {uniform: {low: 0.8, high: 1.5}}
      population_growth_rate: {scale: {uniform: {low: 0.3, high: 2.5}}}
      peak_day_factor: {uniform: {low: 1.1, high: 1.5}}
    policies:
      base: base.yaml
      phase3: {extends: base.yaml, parameters: {phase_3_start_year: 2030}}
    outcomes:
      - {metric: peak_reliability, period: [2025, 2050], direction: max, threshold: 0.95}
      - {metric: lowest_level, period: [2025, 2050], direction: max}
    discovery: [peak_reliability_2025_2050]
"""


def write(folder: Path, body: str = STUDY) -> Path:
    (folder / "base.yaml").write_text("name: base\n", encoding="utf-8")
    path = folder / "study.yaml"
    path.write_text(textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return path


def edit(old: str, new: str) -> str:
    text = textwrap.dedent(STUDY)
    assert text.count(old) == 1, old
    return text.replace(old, new)


# --- robustness against hand-computed values --------------------------------------------------


def test_regret_and_satisficing_by_hand():
    # two outcomes, three policies, four futures
    reliability = np.array([[0.99, 0.90, 0.97, 1.00],
                            [0.95, 0.96, 0.99, 0.98],
                            [1.00, 0.92, 0.93, 0.97]])  # fmt: skip
    shortage = np.array([[0.0, 5.0, 1.0, 0.0],
                         [2.0, 1.0, 0.0, 0.0],
                         [0.0, 3.0, 4.0, 1.0]])  # fmt: skip
    assert regret(reliability, "max") == pytest.approx(np.array(
        [[0.01, 0.06, 0.02, 0.00], [0.05, 0.00, 0.00, 0.02], [0.00, 0.04, 0.06, 0.03]]))
    assert regret(shortage, "min") == pytest.approx(np.array(
        [[0, 4, 1, 0], [2, 0, 0, 0], [0, 2, 4, 1]], dtype=float))
    meets = np.stack([reliability >= 0.95, shortage <= 1.0])
    # policy 0 meets both in futures 0, 2, 3; policy 1 in 1, 2, 3 (shortage 2 in future 0);
    # policy 2 in futures 0, 3
    assert satisficing(meets) == pytest.approx([0.75, 0.75, 0.5])
    table = robustness_table(["a", "b", "c"], ["reliability", "shortage"],
                             np.stack([reliability, shortage]), ["max", "min"], meets)
    # a and b tie on 0.75; scaled maximum regrets: a 0.06 / 0.1 + 4 / 5 = 1.4, b 0.5 + 0.4 = 0.9
    assert list(table.index) == ["b", "a", "c"]
    assert table.loc["b", "rank"] == 1
    assert table.loc["a", "reliability_max_regret"] == pytest.approx(0.06)
    assert table.loc["c", "shortage_max_regret"] == pytest.approx(4.0)
    # numpy's linear percentile of c's shortage regrets [0, 2, 4, 1]: 3.4
    assert table.loc["c", "shortage_p90_regret"] == pytest.approx(3.4)
    assert table.loc["b", "reliability_meets"] == pytest.approx(1.0)
    assert table.loc["a", "shortage_p50"] == pytest.approx(0.5)


# --- PRIM against a planted box ----------------------------------------------------------------


def test_prim_recovers_a_planted_box():
    rng = np.random.default_rng(0)
    x = pd.DataFrame({"runoff_change": rng.uniform(-0.4, 0.2, 1000),
                      "drought_frequency": rng.uniform(0.0, 0.1, 1000),
                      "peak_day_factor": rng.uniform(1.1, 1.5, 1000)})
    fails = ((x["runoff_change"] < -0.25) & (x["drought_frequency"] > 0.06)).to_numpy()
    found = discover(x, fails)
    assert found.failures == fails.sum()
    assert found.density >= 0.8
    assert found.coverage >= 0.8
    limits = found.limits
    assert set(limits.index) == {"runoff_change", "drought_frequency"}
    # within a tenth of each range: the chosen box trades some density for coverage
    assert limits.loc["runoff_change", "high"] == pytest.approx(-0.25, abs=0.06)
    assert limits.loc["drought_frequency", "low"] == pytest.approx(0.06, abs=0.01)
    assert limits.loc["runoff_change", "qp_high"] < 1e-6  # the restriction is significant
    assert np.isnan(limits.loc["runoff_change", "qp_low"])  # the lower side is not restricted


def test_every_restriction_of_a_chosen_box_is_significant():
    """Dropping a weak restriction changes the others' quasi-p-values; none weak is left."""
    for seed in range(6):
        rng = np.random.default_rng(seed)
        x = pd.DataFrame({f"u{i}": rng.uniform(0.0, 1.0, 256) for i in range(8)})
        fails = (rng.uniform(size=256) < 0.05) | ((x["u0"] > 0.8) & (rng.uniform(size=256) < 0.3))
        limits = discover(x, fails.to_numpy()).limits
        assert (limits[["qp_low", "qp_high"]].min(axis=1) < 0.05).all(), (seed, limits)


def test_prim_of_a_policy_that_never_fails_has_no_box():
    x = pd.DataFrame({"runoff_change": np.linspace(-0.4, 0.2, 20)})
    found = discover(x, np.zeros(20, dtype=bool))
    assert found.chosen is None
    assert found.limits.empty
    assert found.failures == 0


# --- common random numbers ---------------------------------------------------------------------


def test_member_climate_at_the_config_values_changes_nothing():
    config = InflowConfig(multiyear_drought=MultiYearDrought(annual_probability=0.05,
                                                             length_years=3))
    plain = generate_inflows(6, seed=1, member_offset=4, config=config)
    climate = MemberClimate(np.ones(6), np.full(6, 0.05), np.full(6, 3, dtype=np.int64))
    same = generate_inflows(6, seed=1, member_offset=4, config=config, climate=climate)
    np.testing.assert_array_equal(plain, same)


def test_member_climate_sets_each_members_drought_length():
    config = InflowConfig(multiyear_drought=MultiYearDrought(years=(2030,), multiplier=0.5))
    climate = MemberClimate(drought_probability=np.zeros(2),
                            drought_length=np.array([1, 4], dtype=np.int64))
    dry = generate_inflows(2, seed=0, config=config, climate=climate)
    wet = generate_inflows(2, seed=0, config=InflowConfig(), climate=MemberClimate(
        drought_probability=np.zeros(2)))
    ratio = (dry / wet).reshape(2, -1, 12)[:, 2030 - 2015: 2035 - 2015].mean(axis=2)
    np.testing.assert_allclose(ratio, [[0.5, 1, 1, 1, 1], [0.5, 0.5, 0.5, 0.5, 1]])


def test_futures_do_not_depend_on_the_chunk(tmp_path):
    futures = StudyFutures(load_study(write(tmp_path)))
    whole = futures.values(0, 8)
    parts = [futures.values(0, 3), futures.values(3, 8)]
    for name, values in whole.items():
        np.testing.assert_array_equal(values, np.concatenate([p[name] for p in parts]))
    assert set(np.unique(whole["drought_length"])) <= {1.0, 2.0, 3.0, 4.0}
    sample = futures(0, 8)
    assert sample.climate is not None
    assert sample.runoff_change is not None
    assert set(sample.constants) == {"peak_day_factor"}
    assert set(sample.lever_scales) == {"population_growth_rate"}


# --- the study file's rules --------------------------------------------------------------------


def test_the_clean_study_loads(tmp_path):
    spec = load_study(write(tmp_path))
    assert [p.name for p in spec.policies] == ["base", "phase3"]
    assert spec.policies[1].scenario.parameters["phase_3_start_year"] == 2030
    assert [u.kind for u in spec.uncertainties] == ["climate"] * 4 + ["lever", "constant"]
    assert spec.discovery == ("peak_reliability_2025_2050",)


def test_the_shipped_study_is_valid():
    spec = load_study(Path(__file__).resolve().parents[1] / "scenarios/studies/policies.yaml")
    assert [p.name for p in spec.policies] == ["baseline", "leakage_target", "diversion_phase3",
                                               "reuse_25", "datacentre_expansion"]
    assert len(spec.discovery) == 3


@pytest.mark.parametrize(("old", "new", "where", "message"), [
    ("  base: base.yaml", "  base: nowhere.yaml", "policies.base", "scenario file not found"),
    ("  drought_frequency: {uniform: {low: 0.0, high: 0.1}}", "  drought_frequency: 0.05",
     "uncertainties.drought_frequency", "needs a range"),
    ("  drought_frequency: {uniform: {low: 0.0, high: 0.1}}",
     "  drought_frequency: {plausible: [0, 0.05]}", "uncertainties.drought_frequency",
     "needs a range"),
    ("  drought_frequency: {uniform: {low: 0.0, high: 0.1}}",
     "  drought_frequency: {uniform: {low: 0.0, high: 1.5}}",
     "uncertainties.drought_frequency.uniform.high", "above"),
    ("  population_growth_rate: {scale: {uniform: {low: 0.3, high: 2.5}}}",
     "  population_growth_rate: {scale: [0.5, 1.5]}", "uncertainties.population_growth_rate.scale",
     "needs a range of factors"),
    ("  - {metric: lowest_level, period: [2025, 2050], direction: max}",
     "  - {metric: lowest_levels, period: [2025, 2050], direction: max, threshold: 260}",
     "outcomes[1].metric", "lowest_level"),
    ("  - {metric: lowest_level, period: [2025, 2050], direction: max}",
     "  - {metric: lowest_level, period: [2025, 2050]}", "outcomes[1]", "direction"),
    ("discovery: [peak_reliability_2025_2050]", "discovery: [lowest_level_2025_2050]",
     "discovery[0]", "needs a threshold"),
    ("discovery: [peak_reliability_2025_2050]", "discovery: [reliability]",
     "discovery[0]", "unknown outcome"),
    ("sampler: latin_hypercube", "sampler: grid", "sampler", "unknown sampler"),
    ("  phase3: {extends: base.yaml, parameters: {phase_3_start_year: 2030}}",
     "  phase3: {levers: {rack_target: {2015: 0, 2050: 9000}}}", "policies.phase3",
     "needs 'extends"),
])  # fmt: skip
def test_each_rule_is_located(tmp_path, old, new, where, message):
    with pytest.raises(ValidationError) as caught:
        load_study(write(tmp_path, edit(old, new)))
    problems = [p for p in caught.value.problems if p.where == where]
    assert problems, [(p.where, p.message) for p in caught.value.problems]
    assert message in problems[0].message
    assert problems[0].line is not None


def test_a_bad_study_exits_2_and_writes_nothing(tmp_path):
    from cli import app

    study = write(tmp_path, edit("discovery: [peak_reliability_2025_2050]",
                                 "discovery: [lowest_level_2025_2050]"))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["stress", str(study), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "discovery[0]" in result.output
    assert "threshold" in result.output
    assert not out.exists()


# --- running -----------------------------------------------------------------------------------


# Both policies, serially and on two workers in chunks of 3 (one Dask cluster serves both
# policies): a few tens of seconds on an idle two-core machine, minutes on a busy one.
@pytest.mark.slow
def test_two_workers_and_serial_give_identical_tables(tmp_path, monkeypatch):
    from chenzhou_water.execution import ExecutionOptions
    from chenzhou_water.stress import run_study
    from chenzhou_water.sweep import cluster

    started = []
    open_dask = cluster.open_dask

    def counting(*args, **kwargs):
        started.append(args)
        return open_dask(*args, **kwargs)

    monkeypatch.setattr("chenzhou_water.sweep.cluster.open_dask", counting)
    study = write(tmp_path)
    serial = run_study(study, tmp_path / "serial", plots=False)
    dask = run_study(study, tmp_path / "dask", ExecutionOptions(workers=2, chunk_size=3),
                     plots=False)
    assert len(started) == 1  # one cluster for the two policies
    for name in ("tiny_outcomes.csv", "tiny_robustness.csv", "tiny_prim_boxes.csv"):
        assert (tmp_path / "serial" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes()
    np.testing.assert_array_equal(serial.dataset["outcomes"].values,
                                  dask.dataset["outcomes"].values)
    table = pd.read_csv(tmp_path / "serial" / "tiny_outcomes.csv", encoding="utf-8-sig")
    assert list(table.columns[:7]) == ["experiment", "runoff_change", "drought_frequency",
                                       "drought_length", "variability", "population_growth_rate",
                                       "peak_day_factor"]
    assert {"scenario", "policy", "peak_reliability_2025_2050"} <= set(table.columns)
    assert len(table) == 2 * 8  # two policies x eight futures


def test_the_report_shows_a_study_in_both_languages(tmp_path):
    from chenzhou_water.report import build_report
    from chenzhou_water.stress.run import analyse, study_dataset
    from chenzhou_water.stress.writing import with_analysis

    spec = load_study(write(tmp_path, edit("futures: 8", "futures: 64")))
    values = StudyFutures(spec).values(0, 64)
    # policy base fails on the peak day where growth is fast; phase3 never does
    peak = np.where(values["population_growth_rate"] > 1.8, 0.8, 1.0)
    outcomes = np.stack([np.stack([peak, np.full(64, 262.0)], axis=1),
                         np.stack([np.ones(64), np.full(64, 263.0)], axis=1)])
    ds = study_dataset(spec, values, outcomes)
    path = tmp_path / "tiny.nc"
    with_analysis(ds, analyse(spec, ds)).to_netcdf(path)
    english = build_report([path], "en")
    assert "Where each policy fails (PRIM)" in english
    failing = int((values["population_growth_rate"] > 1.8).sum())
    row = english.split("<td>base</td><td>peak_reliability_2025_2050</td>")[1].split("</tr>")[0]
    assert f"<td>{failing}/64</td>" in row
    assert "population_growth_rate 1." in row  # restricted from below, near the planted 1.8
    assert "no restriction found" in english  # phase3 never fails
    chinese = build_report([path], "zh")
    assert "各政策的失效条件" in chinese
    assert "Where each policy fails" not in chinese


@pytest.mark.slow
def test_a_second_study_into_the_same_folder_is_refused_unless_it_overwrites(tmp_path):
    from cli import app

    study = write(tmp_path, edit(
        "  phase3: {extends: base.yaml, parameters: {phase_3_start_year: 2030}}\n", ""))
    out = tmp_path / "out"
    first = CliRunner().invoke(app, ["stress", str(study), "--out", str(out)])
    assert first.exit_code == 0, first.output
    before = (out / "tiny_outcomes.csv").read_bytes()
    again = CliRunner().invoke(app, ["stress", str(study), "--out", str(out)])
    assert again.exit_code == 2, again.output
    assert "--overwrite" in again.output
    assert "--resume" in again.output
    assert (out / "tiny_outcomes.csv").read_bytes() == before  # nothing lost
    replaced = CliRunner().invoke(app, ["stress", str(study), "--out", str(out), "--overwrite"])
    assert replaced.exit_code == 0, replaced.output
    assert (out / "tiny_outcomes.csv").read_bytes() == before  # the same futures, the same table
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no staging left behind
