"""Targets and parameters files: validation rules broken, messages matched; safe expressions."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import numpy as np
import pytest

from chenzhou_water.calibration import load_parameters, load_targets
from chenzhou_water.calibration.expressions import ExpressionError, parse_expression
from chenzhou_water.calibration.objective import compare, target_values
from chenzhou_water.errors import ValidationError
from chenzhou_water.model.metadata import model_info
from tests.conftest import MODEL, ROOT

TARGET = """
targets:
  leakage_2020:
    variable: {variable}
    period: {period}
    reduce: annual_mean
    value: 17.4
    unit: '{unit}'
    tolerance: 0.5
    hard: true
    source: seed 003
"""


def write(tmp_path: Path, body: str, name: str = "targets.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return path


def problems(loader, path: Path) -> list[str]:
    with pytest.raises(ValidationError) as info:
        loader(path)
    return [str(p) for p in info.value.problems]


def test_shipped_files_load():
    targets = load_targets(ROOT / "calibration" / "targets.yaml")
    parameters = load_parameters(ROOT / "calibration" / "parameters.yaml")
    assert len(targets) >= 20
    assert len(parameters) >= 10
    names = {t.name for t in targets}
    assert {"leakage_2018", "leakage_2020", "pue_below_1_2", "dc_saving_seed",
            "dc_saving_public", "cold_water_volume", "mean_runoff"} <= names
    conflicts = {t.conflict for t in targets if t.conflict}
    assert {"cold-water", "dc-saving"} <= conflicts


def test_unknown_variable_is_rejected_with_a_suggestion(tmp_path):
    path = write(tmp_path, TARGET.format(variable="leakage_rat", period=2020, unit="%"))
    found = problems(load_targets, path)
    assert found == [f"{path}:3: targets.leakage_2020.variable: unknown model variable "
                     "'leakage_rat'; did you mean 'leakage_rate'?"]


def test_inconsistent_units_are_rejected_naming_both(tmp_path):
    path = write(tmp_path, TARGET.format(variable="leakage_rate", period=2020, unit="m3/Day"))
    (message,) = problems(load_targets, path)
    assert message.startswith(f"{path}:7: targets.leakage_2020.unit: inconsistent units")
    assert "'m3/Day'" in message
    assert "'Dmnl'" in message


def test_annual_sum_turns_a_monthly_flow_into_a_yearly_one(tmp_path):
    body = TARGET.format(variable="dc_electricity_saved", period=2021, unit="1e6*kWh/year")
    target = load_targets(write(tmp_path, body.replace("annual_mean", "annual_sum"))).targets[0]
    assert target.scale == pytest.approx(1e6)
    body = TARGET.format(variable="dc_electricity_saved", period=2021, unit="kWh/Month")
    (message,) = problems(load_targets, write(tmp_path, body.replace("annual_mean", "annual_sum")))
    assert "'kWh/Month'" in message
    assert "'kWh/year'" in message


def test_every_problem_is_reported_at_once(tmp_path):
    path = write(tmp_path, """
        targets:
          a:
            variable: leakage_rate
            period: 2070
            reduce: average
            value: 1
            lower: 0
            unit: Dmnl
            tolerance: -1
            hard: yes please
          b:
            expression: leakage_rate + population_central_city
            period: '2018-13'
            reduce: mean
            upper: 1
            unit: Dmnl
            relative_tolerance: 0.1
            hard: false
            colour: red
    """)
    found = "\n".join(problems(load_targets, path))
    for expected in ("targets.a.period: 2070 is outside the model's time span (2015 to 2050)",
                     "targets.a.reduce: unknown reduction 'average'",
                     "targets.a: give either 'value' (a point target) or 'lower'/'upper'",
                     "targets.a.hard: expected true or false",
                     "targets.b: missing required key 'source'",
                     "targets.b.colour: unknown key 'colour'",
                     "targets.b.period: '2018-13' is not a month",
                     "units disagree across '+'"):
        assert expected in found, found


@pytest.mark.parametrize(("text", "message"), [
    ("__import__('os').system('true')", "is not allowed"),
    ("leakage_rate.real", "is not allowed"),
    ("leakage_rate ** 2", "is not allowed"),
    ("[leakage_rate]", "is not allowed"),
    ("lekage_rate * 2", "unknown model variable 'lekage_rate'; did you mean 'leakage_rate'?"),
    ("reservoir_inflow + cold_water_release_annual", "'m3/Month' and 'm3/year'"),
    ("leakage_rate +", "cannot parse expression"),
])
def test_expressions_allow_only_arithmetic_over_model_variables(text, message):
    with pytest.raises(ExpressionError, match=re.escape(message)):
        parse_expression(text, model_info(MODEL))


def test_expression_units_and_values():
    expression = parse_expression("diversion_supply * days_per_year / 1e6", model_info(MODEL))
    assert str(expression.units) == "m3/year"
    arrays = {"diversion_supply": np.full((2, 3), 2e5), "days_per_year": np.full((2, 3), 365.25)}
    assert expression.evaluate(arrays) == pytest.approx(np.full((2, 3), 73.05))


def test_bounds_are_one_sided_and_checked_in_every_year(tmp_path):
    path = write(tmp_path, """
        targets:
          pue:
            variable: dc_pue
            period: [2017, 2019]
            reduce: annual_max
            upper: 1.2
            unit: Dmnl
            tolerance: 0.01
            hard: true
            source: seed 000
    """)
    target = load_targets(path).targets[0]
    months = np.full((3, 5 * 12), 1.1)
    months[1, 2 * 12 + 30] = 1.25  # one bad month in 2019 for member 1
    months[2, :] = 1.0             # far inside: no penalty for being below an upper bound
    values = target_values(target, {"dc_pue": months})
    assert values.shape == (3, 3)
    simulated, error = compare(target, values)
    assert error == pytest.approx([0.0, 0.05, 0.0])
    assert simulated == pytest.approx([1.1, 1.25, 1.0])


PARAMS = """
parameters:
  peak_day_factor:
    bounds: [0.5, 1.5]
    prior: {distribution: normal, mean: 1.2}
  leakage_rte:
    bounds: [0, 0.1]
  initial_gdp:
    bounds: [2.2e11, 1.9e11]
    prior: {distribution: gamma}
  leakage_rate:
    bounds: [0, 1]
"""


def test_parameters_file_problems_are_reported_together(tmp_path):
    found = "\n".join(problems(load_parameters, write(tmp_path, PARAMS, "parameters.yaml")))
    for expected in ("parameters.peak_day_factor.bounds[0]: 0.5 is below the model's range "
                     "[1, 1.6]",
                     "parameters.peak_day_factor.prior: missing required key 'sd'",
                     "parameters.leakage_rte: unknown model constant",
                     "parameters.initial_gdp.bounds: lower bound 2.2e+11 must be below upper",
                     "parameters.initial_gdp.prior.distribution: expected one of uniform, normal",
                     "parameters.leakage_rate: 'leakage_rate' is an auxiliary, not a constant"):
        assert expected in found, found


def test_truncated_priors_sample_inside_their_bounds():
    parameters = load_parameters(ROOT / "calibration" / "parameters.yaml")
    draws = parameters.sample_prior(np.random.default_rng(0), 2000)
    lower, upper = np.array(parameters.bounds).T
    assert np.all(draws >= lower[:, None])
    assert np.all(draws <= upper[:, None])
    assert np.all(np.isfinite(parameters.neg2_log_prior(draws)))
    outside = draws[:, :1].copy()
    outside[0, 0] = upper[0] * 2
    assert np.isinf(parameters.neg2_log_prior(outside))[0]


def test_target_reductions_comparisons_and_misfit_by_hand(tmp_path):
    """Each reduction and comparison of a target on a made-up series, against values worked
    out by hand; then the misfit with its weights and the hard-target penalty."""
    from chenzhou_water.calibration.objective import HARD_PENALTY, evaluate_targets

    def target(name, reduce, bound, extra=""):
        return (f"  {name}:\n    variable: leakage_rate\n    period: [2016, 2017]\n"
                f"    reduce: {reduce}\n    {bound}\n    unit: Dmnl\n    tolerance: 0.1\n"
                f"    hard: {'true' if 'hard' in extra else 'false'}\n    source: test\n"
                + ("    weight: 2\n" if "weight" in extra else ""))

    body = "targets:\n" + "".join([
        target("m", "mean", "value: 0.2", "weight"),
        target("am", "annual_mean", "value: 0.2"),
        target("amax", "annual_max", "lower: 0.5", "hard"),
        target("amin", "annual_min", "upper: 0.1"),
        target("mx", "max", "lower: 0\n    upper: 0.03"),
    ])
    targets = load_targets(write(tmp_path, body))
    # member 0: month i holds i / 1000; member 1: 0.3 throughout. 2016-2017 = months 12..35.
    arrays = {"leakage_rate": np.stack([np.arange(432) / 1000, np.full(432, 0.3)])}
    by_name = {t.name: t for t in targets}
    expected_values = {
        "m": [[0.0235], [0.3]],
        "am": [[0.0175, 0.0295], [0.3, 0.3]],
        "amax": [[0.023, 0.035], [0.3, 0.3]],
        "amin": [[0.012, 0.024], [0.3, 0.3]],
        "mx": [[0.035], [0.3]],
    }
    expected_compare = {  # (simulated, error): the worst value against a bound
        "m": ([0.0235, 0.3], [0.0235 - 0.2, 0.1]),
        "am": ([0.0235, 0.3], [0.0235 - 0.2, 0.1]),
        "amax": ([0.023, 0.3], [0.023 - 0.5, 0.3 - 0.5]),
        "amin": ([0.024, 0.3], [0.0, 0.3 - 0.1]),
        "mx": ([0.035, 0.3], [0.035 - 0.03, 0.3 - 0.03]),
    }
    for name, values in expected_values.items():
        got = target_values(by_name[name], arrays)
        np.testing.assert_allclose(got, values, rtol=1e-12, err_msg=name)
        simulated, error = compare(by_name[name], got)
        np.testing.assert_allclose(simulated, expected_compare[name][0], rtol=1e-12,
                                   err_msg=name)
        np.testing.assert_allclose(error, expected_compare[name][1], rtol=1e-12, atol=1e-15,
                                   err_msg=name)
    evaluation = evaluate_targets(targets, arrays)
    z = {name: np.array(expected_compare[name][1]) / 0.1 for name in expected_compare}
    misfit = (2 * z["m"] ** 2 + z["am"] ** 2 + z["amax"] ** 2 + z["amin"] ** 2 + z["mx"] ** 2
              + HARD_PENALTY * np.maximum(0.0, np.abs(z["amax"]) - 1.0) ** 2)
    np.testing.assert_allclose(evaluation.misfit, misfit, rtol=1e-12)
    np.testing.assert_allclose(evaluation.z, [z[n] for n in expected_compare], rtol=1e-12,
                               atol=1e-12)
