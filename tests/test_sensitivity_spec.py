"""SA file validation: every rule broken once, the message matched, all problems together."""

from __future__ import annotations

from pathlib import Path

import pytest

from chenzhou_water.errors import ValidationError
from chenzhou_water.sensitivity import load_sensitivity

MODEL = Path(__file__).parent / "models" / "sa_analytic.mdl"

GOOD = """\
name: good
extends: analytic.yaml
parameters: [x1, x2, x3]
method: sobol
options: {N: 64}
seed: 0
outputs:
  yearly:
    - {variable: ishigami, years: [2021]}
"""


def load(tmp_path: Path, body: str):
    (tmp_path / "analytic.yaml").write_text(
        f"name: analytic\nmodel: {MODEL.as_posix()}\noutputs: [ishigami, linear]\n",
        encoding="utf-8")
    path = tmp_path / "sa.yaml"
    path.write_text(body, encoding="utf-8")
    return load_sensitivity(path)


def problems(tmp_path: Path, body: str) -> list[str]:
    with pytest.raises(ValidationError) as info:
        load(tmp_path, body)
    return [str(p) for p in info.value.problems]


def test_good_file_loads(tmp_path: Path) -> None:
    spec = load(tmp_path, GOOD)
    assert spec.names == ["x1", "x2", "x3"]
    assert spec.options["N"] == 64
    assert spec.options["calc_second_order"] is False
    assert spec.runs == 64 * 5
    assert [m.name for m in spec.yearly[0].metrics()] == ["ishigami_mean_2021"]


def test_all_takes_every_declared_range(tmp_path: Path) -> None:
    spec = load(tmp_path, GOOD.replace("parameters: [x1, x2, x3]", "parameters: all"))
    # ishigami a/b have single-value ranges; flat has none of its own
    assert spec.names == ["x1", "x2", "x3", "a", "b", "c", "unvarying"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("name: good", "name: good\nmethd: sobol", "sa.yaml:2: methd: unknown key 'methd'; did "
         "you mean 'method'?"),
        ("name: good\n", "", "sa.yaml:1: missing required key 'name'"),
        ("name: good", "name: 'a b'", "sa.yaml:1: name: 'a b' is not valid"),
        ("extends: analytic.yaml", "extends: nowhere.yaml", "extends: 'nowhere.yaml': scenario "
         "file not found"),
        ("[x1, x2, x3]", "[x1, x2, x11]", "sa.yaml:3: parameters[2]: unknown model constant; did "
         "you mean 'x1'?"),
        ("[x1, x2, x3]", "[x1, x1]", "parameters[1]: 'x1' is given twice"),
        ("[x1, x2, x3]", "[x1, ishigami]", "parameters[1]: 'ishigami' is an auxiliary, not a "
         "constant"),
        ("[x1, x2, x3]", "[x1]", "parameters: give at least two parameters (got 1)"),
        ("[x1, x2, x3]", "al", "parameters: expected 'all', a list of model constants, or a "
         "mapping"),
        ("[x1, x2, x3]", "{x1: [0, 9], x2: range}", "sa.yaml:3: parameters.x1[1]: 9 is above the "
         "model's range [-3.14159265358979, 3.14159265358979]"),
        ("[x1, x2, x3]", "{x1: [1, 0], x2: range}", "parameters.x1: low 1 must be below high 0"),
        ("[x1, x2, x3]", "{x1: range, ishigami_a: range}", "parameters.ishigami_a: 'range' needs "
         "the model's declared range, which is [7, 7]"),
        ("method: sobol", "method: sobel", "method: unknown method 'sobel'; did you mean "
         "'sobol'?"),
        ("{N: 64}", "{N: 100}", "options.N: 100 is not a power of 2 (Sobol' sequences need "
         "one): use 64 or 128"),
        ("{N: 64}", "{N: 64, second_order: true}", "options.second_order: unknown option "
         "'second_order' for sobol"),
        ("{N: 64}", "{N: 64, calc_second_order: 1}", "options.calc_second_order: expected true "
         "or false, got 1 (int)"),
        ("{N: 64}", "{N: 64.5}", "options.N: expected a whole number, got 64.5 (float)"),
        ("{N: 64}", "{N: 64, conf_level: 1.5}", "options.conf_level: 1.5 is above the valid "
         "range [0.5, 0.999]"),
        ("seed: 0", "seed: -1", "seed: -1 is below the valid range"),
        ("seed: 0", "seed: '1'", "seed: expected a whole number, got '1' (str)"),
        ("{variable: ishigami, years: [2021]}", "{variable: ishigamy, years: [2021]}",
         "outputs.yearly[0].variable: unknown model variable; did you mean 'ishigami'?"),
        ("{variable: ishigami, years: [2021]}", "{variable: ishigami, years: [2030]}",
         "outputs.yearly[0].years[0]: 2030 is outside the model's years 2020-2022"),
        ("{variable: ishigami, years: [2021]}", "{variable: ishigami, years: []}",
         "outputs.yearly[0].years: the list is empty"),
        ("{variable: ishigami, years: [2021]}", "{variable: ishigami, years: [2021, 2021]}",
         "outputs.yearly[0].years[1]: 2021 is listed twice"),
        ("{variable: ishigami, years: [2021]}", "{variable: ishigami, years: [2021], reduce: "
         "median}", "outputs.yearly[0].reduce: expected one of mean, sum, min, max"),
        ("{variable: ishigami, years: [2021]}", "{variable: ishigami, years: [2021], reduce: "
         "[mean]}", "outputs.yearly[0].reduce: expected one of mean, sum, min, max, got a list"),
        ("[x1, x2, x3]", "{x1: [0, 1, 2], x2: range}",
         "sa.yaml:3: parameters.x1: expected [low, high], got a list"),
        ("{variable: ishigami, years: [2021]}", "{years: [2021]}",
         "outputs.yearly[0]: missing required key 'variable'"),
        ("    - {variable: ishigami, years: [2021]}", "    - {variable: ishigami, years: [2021]}\n"
         "    - {variable: linear, years: [2021], name: ishigami_mean}",
         "outputs.yearly[1]: the output name 'ishigami_mean' is used twice"),
        ("  yearly:\n    - {variable: ishigami, years: [2021]}", "  metrics: [reliability]",
         "outputs.metrics[0]: metric 'reliability' needs unmet_demand, which the model lacks"),
        ("  yearly:\n    - {variable: ishigami, years: [2021]}", "  series: [ishigami]",
         "outputs.series: unknown key 'series'"),
        ("  yearly:\n    - {variable: ishigami, years: [2021]}", "  yearly: []",
         "outputs: nothing to analyse"),
        ("seed: 0", "seed: 0\nconvergence: {top: 0}", "convergence.top: expected a whole number"
         " >= 1, got 0 (int)"),
        ("seed: 0", "seed: 0\nconvergence: {tolerance: 0}", "convergence.tolerance: 0 is below "
         "the valid range"),
    ],
)
def test_each_rule(tmp_path: Path, old: str, new: str, message: str) -> None:
    body = GOOD.replace(old, new, 1)
    assert body != GOOD
    found = problems(tmp_path, body)
    assert any(message in p for p in found), found


def test_method_rules_between_options(tmp_path: Path) -> None:
    body = GOOD.replace("method: sobol", "method: morris").replace(
        "{N: 64}", "{trajectories: 4, optimal_trajectories: 6, levels: 3}")
    found = problems(tmp_path, body)
    assert any("options.levels: 3 is odd; Morris needs an even number of levels" in p
               for p in found), found
    body = GOOD.replace("method: sobol", "method: morris").replace(
        "{N: 64}", "{trajectories: 4, optimal_trajectories: 6}")
    found = problems(tmp_path, body)
    assert any("options.optimal_trajectories: 6 must be at least 2 and fewer than "
               "trajectories (4)" in p for p in found), found
    found = problems(tmp_path, GOOD.replace("method: sobol", "method: fast").replace(
        "{N: 64}", "{N: 65, M: 5}"))
    assert any("options.N: 65 is too small for M = 5: eFAST needs N > 4 M^2 = 100" in p
               for p in found), found


def test_every_problem_at_once_with_scenario_problems(tmp_path: Path) -> None:
    body = GOOD.replace("method: sobol", "method: sobel").replace("[x1, x2, x3]", "[x1, x9]")
    found = problems(tmp_path, body)
    assert len(found) == 2
    (tmp_path / "bad_scenario.yaml").write_text(
        f"name: bad\nmodel: {MODEL.as_posix()}\noutputs: [ishigami]\nparameters: {{x1: 5}}\n",
        encoding="utf-8")
    body = GOOD.replace("analytic.yaml", "bad_scenario.yaml").replace("sobol", "sobel")
    found = problems(tmp_path, body)
    assert any("bad_scenario.yaml:4: parameters.x1: 5 is above the model's range" in p
               for p in found), found
    assert any("unknown method 'sobel'" in p for p in found), found


# runs of each method with its default options for k = 3 parameters, as SALib samples them:
# eFAST N k (N = 1000), RBD-FAST/delta/PAWN N Latin-hypercube runs, Morris r (k + 1) (r = 20)
@pytest.mark.parametrize(("method", "runs"), [("fast", 3000), ("rbd_fast", 1000),
                                              ("delta", 1000), ("pawn", 1000), ("morris", 80)])
def test_every_method_loads_with_defaults(tmp_path: Path, method: str, runs: int) -> None:
    spec = load(tmp_path, GOOD.replace("method: sobol", f"method: {method}").replace(
        "options: {N: 64}\n", ""))
    assert spec.runs == runs
