"""The sweep file: a clean load, and every validation rule broken once with its message."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from chenzhou_water.errors import ValidationError
from chenzhou_water.sweep import load_sweep

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

BASE = """
    name: sweep-1
    description: A clean sweep.
    extends: base.yaml
    members: 16
    seed: 0
    sampler: latin_hypercube
    parameters:
      background_leakage_rate: {uniform: {low: 0.02, high: 0.05}}
      public use per capita: range
      unmetered_loss_rate: {range: [0.08, 0.14]}
      industrial_intensity_decline: {triangular: {low: 0.01, mode: 0.02, high: 0.04}}
      peak_day_factor: {normal: {mean: 1.2, sd: 0.05}}
      leakage_per_old_main_km: {lognormal: {median: 0.0025, sigma: 0.3}}
    levers:
      renewal_programme: {scale: [0.5, 1.5]}
      metering_programme:
        choice:
          slow: {2015: 0, 2050: 5}
          fast: {2015: 0, 2020: 20, 2050: 20}
        weights: [0.7, 0.3]
    inflow:
      drought_2022: {annual_probability: 0.05}
    outputs:
      series: [leakage_rate]
      metrics:
        - reliability
        - {metric: reliability, period: [2030, 2035]}
        - {metric: leakage, year: 2025, name: leakage_in_2025}
        - {metric: months_below_dead_storage, margin: 5.0e8}
"""


def write(folder: Path, body: str, name: str = "sweep.yaml") -> Path:
    (folder / "base.yaml").write_text("name: base\n", encoding="utf-8")
    path = folder / name
    path.write_text(textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return path


def edit(old: str, new: str) -> str:
    """The clean sweep with one line changed (``old`` must occur once)."""
    text = textwrap.dedent(BASE)
    assert text.count(old) == 1, old
    return text.replace(old, new)


def problems(path: Path) -> list[str]:
    with pytest.raises(ValidationError) as info:
        load_sweep(path)
    return [str(p) for p in info.value.problems]


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
    for path in sorted((SCENARIOS / "sweeps").glob("*.yaml")):
        assert load_sweep(path).members >= 1


# (old line, new line, expected "line: where: message" fragment)
RULES = [
    ("seed: 0", "sed: 0", ":5: sed: unknown key 'sed'; did you mean 'seed'?"),
    ("members: 16", "", "missing required key 'members'"),
    ("name: sweep-1", "name: sweep 1", "name: 'sweep 1' is not valid: use only ASCII letters"),
    ("description: A clean sweep.", "description: [a]", "description: expected a string"),
    (
        "extends: base.yaml",
        "extends: nowhere.yaml",
        "extends: 'nowhere.yaml': scenario file not found",
    ),
    ("members: 16", "members: 1.5", ":4: members: expected a whole number, got 1.5 (float)"),
    ("members: 16", "members: 0", "members: 0 is below the valid range [1, 100000000]"),
    ("seed: 0", "seed: -1", "seed: -1 is below the valid range"),
    (
        "sampler: latin_hypercube",
        "sampler: latin_hypercub",
        "sampler: unknown sampler 'latin_hypercub' (str); did you mean 'latin_hypercube'?",
    ),
    (
        "sampler: latin_hypercube",
        "sampler: sobol",
        "members: the sobol sampler needs a power of 2 members",
    ),  # 16 is one: see below
    (
        "background_leakage_rate: {uniform: {low: 0.02, high: 0.05}}",
        "background_leakage_rte: {uniform: {low: 0.02, high: 0.05}}",
        ":8: parameters.background_leakage_rte: unknown model constant; did you mean "
        "'background_leakage_rate'?",
    ),
    (
        "background_leakage_rate: {uniform: {low: 0.02, high: 0.05}}",
        "renewal_programme: {uniform: {low: 0.02, high: 0.05}}",
        "'renewal_programme' is a lookup, not a constant — only constants can be set under "
        "parameters; set lookups under levers",
    ),
    (
        "background_leakage_rate: {uniform: {low: 0.02, high: 0.05}}",
        "start_year: range",
        "parameters.start_year: 'range' needs the model's declared range, which is [2015, 2015]",
    ),
    (
        "background_leakage_rate: {uniform: {low: 0.02, high: 0.05}}",
        "background_leakage_rate: {unifrom: {low: 0.02, high: 0.05}}",
        "parameters.background_leakage_rate.unifrom: unknown key 'unifrom'; did you mean "
        "'uniform'?",
    ),
    (
        "background_leakage_rate: {uniform: {low: 0.02, high: 0.05}}",
        "background_leakage_rate: {uniform: {low: 0.02, high: 0.05}, range: [0, 1]}",
        "parameters.background_leakage_rate: give exactly one distribution, got 2",
    ),
    (
        "background_leakage_rate: {uniform: {low: 0.02, high: 0.05}}",
        "background_leakage_rate: 0.03",
        "expected 'range' or a mapping with one of uniform",
    ),
    (
        "unmetered_loss_rate: {range: [0.08, 0.14]}",
        "unmetered_loss_rate: {range: [0.08]}",
        "parameters.unmetered_loss_rate.range: expected [low, high], got a list",
    ),
    (
        "unmetered_loss_rate: {range: [0.08, 0.14]}",
        "unmetered_loss_rate: {range: [0.08, 0.4]}",
        "parameters.unmetered_loss_rate.range[1]: 0.4 is above the model's range [0, 0.3]",
    ),
    (
        "unmetered_loss_rate: {range: [0.08, 0.14]}",
        "unmetered_loss_rate: {range: [0.14, 0.08]}",
        "parameters.unmetered_loss_rate.range: low 0.14 must be below high 0.08",
    ),
    (
        "background_leakage_rate: {uniform: {low: 0.02, high: 0.05}}",
        "background_leakage_rate: {uniform: {low: 0.02}}",
        "parameters.background_leakage_rate.uniform: missing required key 'high'",
    ),
    (
        "background_leakage_rate: {uniform: {low: 0.02, high: 0.05}}",
        "background_leakage_rate: {uniform: {low: 0.05, high: 0.02}}",
        "parameters.background_leakage_rate.uniform: low 0.05 must be below high 0.02",
    ),
    (
        "background_leakage_rate: {uniform: {low: 0.02, high: 0.05}}",
        "background_leakage_rate: {uniform: {low: 0.02, high: 'x'}}",
        "parameters.background_leakage_rate.uniform.high: expected a number, got 'x' (str)",
    ),
    (
        "background_leakage_rate: {uniform: {low: 0.02, high: 0.05}}",
        "background_leakage_rate: {uniform: {low: 0.02, high: 0.5}}",
        "parameters.background_leakage_rate.uniform.high: 0.5 is above the model's range [0, 0.2]",
    ),
    (
        "{triangular: {low: 0.01, mode: 0.02, high: 0.04}}",
        "{triangular: {low: 0.01, mode: 0.05, high: 0.04}}",
        "expected low <= mode <= high with low < high, got 0.01, 0.05, 0.04",
    ),
    (
        "{normal: {mean: 1.2, sd: 0.05}}",
        "{normal: {mean: 1.2, sd: 0}}",
        "parameters.peak_day_factor.normal.sd: 0 must be above 0",
    ),
    (
        "{normal: {mean: 1.2, sd: 0.05}}",
        "{normal: {mean: 2, sd: 0.05}}",
        "parameters.peak_day_factor.normal.mean: 2 is above the model's range [1, 1.6]",
    ),
    (
        "{lognormal: {median: 0.0025, sigma: 0.3}}",
        "{lognormal: {median: 0, sigma: 0.3}}",
        "parameters.leakage_per_old_main_km.lognormal.median: 0 must be above 0",
    ),
    (
        "public use per capita: range",
        "public_use_per_capita: range\n  public use per capita: range",
        "'public_use_per_capita' is given twice",
    ),
    (
        "renewal_programme: {scale: [0.5, 1.5]}",
        "renewal_programm: {scale: [0.5, 1.5]}",
        "levers.renewal_programm: unknown model lookup; did you mean 'renewal_programme'?",
    ),
    (
        "renewal_programme: {scale: [0.5, 1.5]}",
        "renewal_programme: {scale: [0.5], choice: {a: {2015: 1}}}",
        "levers.renewal_programme: give either 'scale' (a list of factors) or 'choice'",
    ),
    (
        "renewal_programme: {scale: [0.5, 1.5]}",
        "renewal_programme: {scale: [0.5, 6]}",
        "levers.renewal_programme.scale[1]: factor 6 takes the table to [0, 55.8], outside the "
        "model's range [0, 50]",
    ),
    (
        "renewal_programme: {scale: [0.5, 1.5]}",
        "renewal_programme: {scale: [-1, 1]}",
        "levers.renewal_programme.scale[0]: -1 is below the valid range [0, +inf)",
    ),
    (
        "renewal_programme: {scale: [0.5, 1.5]}",
        "renewal_programme: {scale: []}",
        "levers.renewal_programme.scale: the list is empty; give at least one factor",
    ),
    (
        "renewal_programme: {scale: [0.5, 1.5]}",
        "renewal_programme: {scales: [0.5, 1.5]}",
        "levers.renewal_programme.scales: unknown key 'scales'; did you mean 'scale'?",
    ),
    (
        "renewal_programme: {scale: [0.5, 1.5]}",
        "renewal_programme: {scale: {uniform: {low: 0.5, high: 6}}}",
        "levers.renewal_programme.scale.uniform.high: 6 is above the factors the lookup's "
        "declared range allows [0, 5.376344086021505]",
    ),
    (
        "renewal_programme: {scale: [0.5, 1.5]}",
        "renewal_programme: {scale: {triangular: {low: -0.5, mode: 1, high: 1.5}}}",
        "levers.renewal_programme.scale.triangular.low: -0.5 is below the factors the lookup's "
        "declared range allows [0, 5.376344086021505]",
    ),
    (
        "renewal_programme: {scale: [0.5, 1.5]}",
        "renewal_programme: {scale: {uniform: {low: 1.5, high: 0.5}}}",
        "levers.renewal_programme.scale.uniform: low 1.5 must be below high 0.5",
    ),
    (
        "renewal_programme: {scale: [0.5, 1.5]}",
        "renewal_programme: {scale: {uniform: {low: 0.5, high: 1.5}}, weights: [1]}",
        "levers.renewal_programme.weights: weights go with a list of factors or a choice; a "
        "continuous scale takes none",
    ),
    (
        "renewal_programme: {scale: [0.5, 1.5]}",
        "renewal_programme: {scale: 1.5}",
        "levers.renewal_programme.scale: expected a list of scale factors (e.g. [0.8, 1.0, 1.2]) "
        "or a distribution of the factor (e.g. {uniform: {low: 0.5, high: 1.5}}), got 1.5",
    ),
    (
        "renewal_programme: {scale: [0.5, 1.5]}",
        "renewal_programme: {scale: {beta: {a: 1, b: 2}}}",
        "levers.renewal_programme.scale.beta: unknown key 'beta' (allowed: uniform, triangular, "
        "normal, lognormal, range)",
    ),
    (
        "slow: {2015: 0, 2050: 5}",
        "slow: {2015: 0, 2050: 500}",
        "levers.metering_programme.choice.slow[2050]: 500 is above the model's range [0, 200]",
    ),
    (
        "weights: [0.7, 0.3]",
        "weights: [0.7, 0.2, 0.1]",
        "levers.metering_programme.weights: expected 2 weights (one per alternative), got 3",
    ),
    (
        "weights: [0.7, 0.3]",
        "weights: [0.7, -0.3]",
        "levers.metering_programme.weights[1]: -0.3 is below the valid range [0, +inf)",
    ),
    (
        "weights: [0.7, 0.3]",
        "weights: [0, 0]",
        "levers.metering_programme.weights: the weights sum to 0",
    ),
    (
        "drought_2022: {annual_probability: 0.05}",
        "drought_2022: {annual_probability: 1.5}",
        ":22: inflow.drought_2022.annual_probability: 1.5 is outside the valid range [0, 1]",
    ),
    (
        "drought_2022: {annual_probability: 0.05}",
        "drougth_2022: {annual_probability: 0.05}",
        "inflow.drougth_2022: unknown key 'drougth_2022'; did you mean 'drought_2022'?",
    ),
    (
        "public use per capita: range",
        "mean_annual_runoff: range",
        "parameters.mean_annual_runoff: the stochastic inflow's mean is inflow.mean_annual_runoff",
    ),
    (
        "series: [leakage_rate]",
        "series: [leakage_rat]",
        "outputs.series[0]: unknown model variable; did you mean 'leakage_rate'?",
    ),
    (
        "series: [leakage_rate]",
        "series: [background_leakage_rate]",
        "outputs.series[0]: 'background_leakage_rate' is an uncertain constant",
    ),
    (
        "series: [leakage_rate]",
        "serie: [leakage_rate]",
        "outputs.serie: unknown key 'serie'; did you mean 'series'?",
    ),
    (
        "- reliability\n",
        "- reliabilty\n",
        "outputs.metrics[0].metric: unknown metric 'reliabilty'; did you mean 'reliability'?",
    ),
    (
        "{metric: reliability, period: [2030, 2035]}",
        "{metric: reliability, perod: [2030, 2035]}",
        "outputs.metrics[1].perod: unknown key 'perod'; did you mean 'period'?",
    ),
    (
        "{metric: reliability, period: [2030, 2035]}",
        "{metric: reliability, period: 'soon'}",
        "outputs.metrics[1].period: expected [first, last] years, e.g. [2030, 2035], or "
        "'2030-2035', got 'soon' (str)",
    ),
    (
        "{metric: reliability, period: [2030, 2035]}",
        "{metric: reliability, period: 2040-2060}",
        "outputs.metrics[1].period: 2040-2060 is outside the model's years 2015-2050",
    ),
    (
        "{metric: reliability, period: [2030, 2035]}",
        "{metric: reliability, period: [2035, 2030]}",
        "outputs.metrics[1].period: the period starts (2035) after it ends (2030)",
    ),
    (
        "{metric: leakage, year: 2025, name: leakage_in_2025}",
        "{metric: leakage}",
        "outputs.metrics[2]: missing required key 'year' (the calendar year to measure)",
    ),
    (
        "{metric: leakage, year: 2025, name: leakage_in_2025}",
        "{metric: leakage, year: 2025, name: reliability}",
        "outputs.metrics[2]: two metrics are named 'reliability' (also at outputs.metrics[0])",
    ),
    (
        "{metric: leakage, year: 2025, name: leakage_in_2025}",
        "{metric: leakage, year: 2025, name: 2025 leakage}",
        "outputs.metrics[2].name: '2025 leakage' is not valid: start with a letter",
    ),
    (
        "{metric: months_below_dead_storage, margin: 5.0e8}",
        "{metric: months_below_dead_storage, margin: lots}",
        "outputs.metrics[3].margin: expected a number, got 'lots' (str)",
    ),
    (
        "{metric: months_below_dead_storage, margin: 5.0e8}",
        "{metric: annual, year: 2030}",
        "outputs.metrics[3]: missing required key 'variable' (the model variable to reduce)",
    ),
    (
        "{metric: months_below_dead_storage, margin: 5.0e8}",
        "{metric: annual, variable: leakage_rat, year: 2030}",
        "outputs.metrics[3].variable: unknown model variable; did you mean 'leakage_rate'?",
    ),
    (
        "{metric: months_below_dead_storage, margin: 5.0e8}",
        "{metric: annual, variable: leakage_rate, reduce: median, year: 2030}",
        "outputs.metrics[3].reduce: expected one of mean, sum, min, max, got 'median' (str)",
    ),
    (
        "{metric: months_below_dead_storage, margin: 5.0e8}",
        "{metric: annual, variable: leakage_rate, reduce: [sum], year: 2030}",
        "outputs.metrics[3].reduce: expected one of mean, sum, min, max, got a list",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), RULES, ids=[r[2][:50] for r in RULES])
def test_every_rule_broken_once(tmp_path: Path, old: str, new: str, expected: str) -> None:
    if "sobol" in new:
        new_text = edit("members: 16", "members: 20").replace(old, new)
    else:
        new_text = edit(old, new)
    found = problems(write(tmp_path, new_text))
    assert len(found) == 1, found
    assert expected in found[0], found[0]
    assert found[0].startswith(str(tmp_path / "sweep.yaml") + ":")


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

    from chenzhou_water.scenario import load_scenario
    from chenzhou_water.sweep import load_sweep

    root = Path(__file__).resolve().parents[1]
    spec = load_sweep(root / "scenarios" / "sweeps" / "drought_risk.yaml")
    baseline = load_scenario(root / "scenarios" / "baseline.yaml")
    assert spec.inflow.mean_annual_runoff == baseline.parameters["mean_annual_runoff"]
