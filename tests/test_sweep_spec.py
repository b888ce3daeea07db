"""The sweep file: a clean load, and every validation rule broken once with its message."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from sweep_support import BASE, SCENARIOS, edit, problems, write

from chenzhou_water.sweep import load_sweep


def test_clean_sweep_loads(tmp_path: Path) -> None:
    spec = load_sweep(write(tmp_path, BASE))
    assert spec.name == "sweep-1"
    assert spec.members == 16
    assert spec.sampler == "latin_hypercube"
    names = [n for n, _ in spec.parameters]
    assert names[1] == "public_use_per_capita"
    public = dict(spec.parameters)["public_use_per_capita"]
    assert (public.kind, public.params) == ("uniform", (10.0, 100.0))  # the declared range
    normal = dict(spec.parameters)["peak_day_factor"]
    assert normal.bounds == (1.0, 1.6)  # truncated to the declared range
    renewal, metering = spec.levers
    assert renewal.factors == (0.5, 1.5)
    assert renewal.labels == ("x0.5", "x1.5")
    assert renewal.tables[1][1][3] == pytest.approx(1.5 * 9.3)  # the model's own table, scaled
    assert metering.labels == ("slow", "fast")
    assert metering.weights == pytest.approx((0.7, 0.3))
    assert spec.inflow is not None
    assert spec.inflow.drought_2022.annual_probability == 0.05
    assert spec.series == ("leakage_rate",)
    assert [m.name for m in spec.metrics] == [
        "reliability",
        "reliability_2030_2035",
        "leakage_in_2025",
        "months_below_dead_storage",
    ]
    assert spec.metrics[3].options == {"margin": 5.0e8}
    assert len(spec.fingerprint()) == 64


def test_annual_metric_of_any_variable(tmp_path: Path) -> None:
    text = edit(
        "{metric: months_below_dead_storage, margin: 5.0e8}",
        "{metric: annual, variable: hydropower generation, reduce: sum, year: 2030}",
    )
    summed = load_sweep(write(tmp_path, text, "a.yaml"))
    metric = summed.metrics[3]
    assert (metric.name, metric.key, metric.years) == ("hydropower_generation_sum_2030",
                                                       "annual", (2030, 2030))
    assert (metric.variable, metric.reduce) == ("hydropower_generation", "sum")
    assert metric.definition.variables == ("hydropower_generation",)
    assert metric.units == metric.variable_units != ""
    averaged = load_sweep(write(tmp_path, text.replace(", reduce: sum", ""), "b.yaml"))
    assert (averaged.metrics[3].name, averaged.metrics[3].reduce) == (
        "hydropower_generation_mean_2030", "mean")
    assert averaged.fingerprint() != summed.fingerprint()


def test_fingerprint_ignores_description_but_not_the_seed(tmp_path: Path) -> None:
    a = load_sweep(write(tmp_path, BASE, "a.yaml")).fingerprint()
    b = load_sweep(write(tmp_path, edit("A clean sweep.", "Other words."), "b.yaml"))
    c = load_sweep(write(tmp_path, edit("seed: 0", "seed: 1"), "c.yaml"))
    assert b.fingerprint() == a != c.fingerprint()


def test_shipped_sweeps_load() -> None:
    import yaml

    paths = sorted((SCENARIOS / "sweeps").glob("*.yaml"))
    assert len(paths) >= 4
    for path in paths:
        written = yaml.safe_load(path.read_text(encoding="utf-8"))
        spec = load_sweep(path)
        assert (spec.name, spec.members, spec.seed) == (written["name"], written["members"],
                                                        written["seed"])


def test_grid_size_and_weights_rules(tmp_path: Path) -> None:
    text = edit("sampler: latin_hypercube", "sampler: grid")
    found = problems(write(tmp_path, text))
    assert any(
        "levers.metering_programme.weights: the grid sampler runs every alternative "
        "equally often; remove weights" in p
        for p in found
    )
    assert any(
        "members: a grid has levels ** 6 (constants) x 4 (lever combinations) members, "
        "e.g. 256; got 16" in p
        for p in found
    )


def test_continuous_lever_loads_and_counts_on_a_grid(tmp_path: Path) -> None:
    text = edit("renewal_programme: {scale: [0.5, 1.5]}",
                "renewal_programme: {scale: {normal: {mean: 1, sd: 0.5}}}")
    spec = load_sweep(write(tmp_path, text))
    renewal = spec.levers[0]
    assert renewal.continuous
    assert (renewal.labels, renewal.weights, renewal.factors) == ((), (), None)
    assert renewal.tables[0][1][3] == 9.3  # the base table: the model's own
    assert renewal.distribution is not None
    assert renewal.distribution.bounds == (0.0, pytest.approx(50 / 9.3))  # truncated
    assert spec.dims == 8
    assert spec.to_dict()["levers"]["renewal_programme"]["distribution"]["normal"]["sd"] == 0.5
    grid = text.replace("sampler: latin_hypercube", "sampler: grid").replace(
        "\n    weights: [0.7, 0.3]", "")
    found = problems(write(tmp_path, grid, "grid.yaml"))
    assert len(found) == 1
    assert ("members: a grid has levels ** 7 (constants and continuous levers) x 2 (lever "
            "combinations) members, e.g. 256; got 16") in found[0]
    ok = load_sweep(write(tmp_path, grid.replace("members: 16", "members: 256"), "ok.yaml"))
    assert ok.members == 256


def test_continuous_range_needs_bounded_factors(tmp_path: Path) -> None:
    text = edit("renewal_programme: {scale: [0.5, 1.5]}", "renewal_programme: {scale: range}")
    path = write(tmp_path, text)
    renewal = load_sweep(path).levers[0]
    assert renewal.distribution is not None
    assert (renewal.distribution.kind, renewal.distribution.params) == (
        "uniform", (0.0, pytest.approx(50 / 9.3)))
    # a table of zeros stays inside any range whatever the factor: 'range' has no upper end
    (tmp_path / "base.yaml").write_text(
        "name: base\nlevers: {renewal_programme: {2015: 0, 2050: 0}}\n", encoding="utf-8")
    found = problems(path)
    assert len(found) == 1, found
    assert ("levers.renewal_programme.scale: 'range' needs the factors the lookup's declared "
            "range allows, which is [0, +inf); give {range: [low, high]} instead") in found[0]


def test_outputs_must_keep_something(tmp_path: Path) -> None:
    text = textwrap.dedent(BASE)
    text = text[: text.index("outputs:")] + "outputs: {series: [], metrics: []}\n"
    assert any("outputs: nothing to keep" in p for p in problems(write(tmp_path, text)))


def test_problems_of_the_scenario_come_with_those_of_the_sweep(tmp_path: Path) -> None:
    path = write(tmp_path, edit("members: 16", "members: -2"))
    (tmp_path / "base.yaml").write_text("name: base\nparameters: {dead_storag: 1}\n")
    found = problems(path)
    assert any("members: -2 is below" in p for p in found)
    assert any(
        p.startswith(
            str(tmp_path / "base.yaml") + ":2: parameters.dead_storag: unknown "
            "model constant; did you mean 'dead_storage'?"
        )
        for p in found
    )


def test_stochastic_inflow_refuses_a_scenario_that_shapes_the_inflow(tmp_path: Path) -> None:
    drought = os.path.relpath(SCENARIOS / "drought_2022.yaml", tmp_path)
    found = problems(write(tmp_path, edit("extends: base.yaml", f"extends: {drought}")))
    assert len(found) == 1
    assert (
        "inflow: the scenario's lever 'inflow_multiplier_schedule' shapes the model's "
        "inflow, which the stochastic inflow replaces"
    ) in found[0]


def test_not_a_mapping_and_bad_yaml_are_located(tmp_path: Path) -> None:
    assert (
        "expected a mapping of sweep keys at the top level, got a list"
        in problems(write(tmp_path, "- a\n- b\n"))[0]
    )
    assert ":2: invalid YAML" in problems(write(tmp_path, "name: [a\nmembers: 3\n"))[0]
    duplicate = problems(write(tmp_path, edit("seed: 0", "seed: 0\nseed: 1")))
    assert "seed: duplicate key 'seed' (first given on line 5)" in duplicate[0]


def test_stochastic_inflow_takes_the_scenarios_mean_runoff():
    """The calibrated baseline sets mean_annual_runoff; the generated inflow must share it."""
    from pathlib import Path

    from chenzhou_water.scenario.spec import load_scenario
    from chenzhou_water.sweep import load_sweep

    root = Path(__file__).resolve().parents[1]
    spec = load_sweep(root / "scenarios" / "sweeps" / "drought_risk.yaml")
    baseline = load_scenario(root / "scenarios" / "baseline.yaml")
    assert spec.inflow.mean_annual_runoff == baseline.parameters["mean_annual_runoff"]


def test_an_annual_metric_of_a_factor_is_a_number_and_of_a_share_a_percentage(
    tmp_path: Path,
) -> None:
    """A PUE of 1.2 is shown as 1.2, not "120 %"; a leakage rate of 0.17 as 17 %."""
    from chenzhou_water.sweep.tables import column_header

    old = "{metric: months_below_dead_storage, margin: 5.0e8}"
    pue = load_sweep(write(tmp_path, edit(old, "{metric: annual, variable: dc pue, year: 2030}"),
                           "pue.yaml")).metrics[3]
    assert pue.units == "1"
    assert column_header(pue.name, pue.units) == "dc_pue_mean_2030"
    rate = load_sweep(write(tmp_path, edit(old, "{metric: annual, variable: leakage rate, "
                                                "year: 2030}"), "rate.yaml")).metrics[3]
    assert rate.units == "Dmnl"
    assert column_header(rate.name, rate.units) == "leakage_rate_mean_2030 [%]"
