"""The sweep file: every validation rule broken once, with its message and its line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sweep_support import edit, problems, write

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
