"""The sensitivity-analysis (SA) file: a scenario, the parameters to vary, a method, outputs.

An SA file is YAML (read with the safe loader)::

    name: morris_all                   # letters, digits, _ and -; names the output files
    description: Screening of every declared constant under the 2022-type drought.
    extends: ../drought_2022.yaml      # the scenario analysed (required; relative path)
    parameters: all                    # or a list of constants, or a mapping (below)
    method: morris                     # morris, sobol, fast, rbd_fast, delta or pawn
    options: {trajectories: 40, levels: 4}
    seed: 7                            # of the sample and of the bootstrap (0 is valid)
    outputs:
      metrics:                         # per-member metrics, as in a sweep file
        - {metric: reliability, period: [2030, 2035]}
        - {metric: leakage, year: 2035}
      yearly:                          # one model variable, reduced over each year listed
        - {variable: leakage_rate, years: [2020, 2025, 2030, 2035, 2040, 2050], reduce: mean}
    convergence: {top: 5, tolerance: 0.1}

Format rules
------------
- ``name``, ``extends``, ``parameters``, ``method`` and ``outputs`` are required; ``seed``
  defaults to 0, ``options`` to the method's defaults, ``convergence`` to ``{top: 5,
  tolerance: 0.1, negligible: 0.02}``.
- ``parameters`` is ``all`` (every scalar constant whose declared ``[min, max]`` is finite and
  not a single value), a list of constants (each over its declared range), or a mapping of
  constant to ``range`` / ``null`` (the declared range), ``[low, high]`` (a shorter
  ``{range: [low, high]}``) or any distribution of a sweep file (``{uniform: {low, high}}``,
  ``triangular``, ``normal``, ``lognormal``: see :mod:`chenzhou_water.sweep.distributions`).
  Values stay inside the declared range; at least two parameters.
- ``options`` are the method's (:mod:`.methods`): Morris ``trajectories``, ``levels``,
  ``optimal_trajectories``; Sobol ``N`` (a power of 2), ``calc_second_order``; FAST and
  RBD-FAST ``N``, ``M``; delta ``N``; PAWN ``N``, ``slides``; every method ``num_resamples`` and
  ``conf_level``.
- ``outputs.metrics`` follows the sweep file's syntax and rules
  (:mod:`chenzhou_water.sweep.output_spec`); ``outputs.yearly`` entries take ``variable`` (a model
  variable), ``years`` (calendar years inside the run) and ``reduce`` (``mean``, ``sum``,
  ``min`` or ``max`` over the months of each year; default ``mean``) and an optional ``name``
  (default ``<variable>_<reduce>``). Every output name is distinct.
- ``convergence``: ``top`` (how many leading parameters must be ranked reliably), ``tolerance``
  (largest acceptable interval half-width relative to the index) and ``negligible`` (indices
  below this share of the largest are not ranked among themselves).

Every problem of the SA file and of its scenario chain is raised at once in one
:class:`~chenzhou_water.errors.ValidationError`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chenzhou_water.errors import Problem, ValidationError
from chenzhou_water.model.metadata import model_info
from chenzhou_water.resources import FLOAT_BYTES, memory_problem
from chenzhou_water.scenario.spec import Scenario
from chenzhou_water.schema.checker import Checker, raise_problems, suggest, what_is
from chenzhou_water.schema.model_rules import model_years
from chenzhou_water.sensitivity.methods import METHODS, Method
from chenzhou_water.sensitivity.options import check_options
from chenzhou_water.sensitivity.output_spec import YearlyOutput, parse_sa_outputs
from chenzhou_water.sensitivity.parameters import parse_parameters
from chenzhou_water.sweep.distributions import Distribution
from chenzhou_water.sweep.metrics import Metric
from chenzhou_water.sweep.spec import (
    extended_scenario,
    name_and_description,
    read_spec_file,
    scenario_model,
)

__all__ = ["SA_KEYS", "ConvergenceRule", "SensitivitySpec", "load_sensitivity"]

SA_KEYS = ("name", "description", "extends", "parameters", "method", "options", "seed",
           "outputs", "convergence")  # fmt: skip
REQUIRED = ("name", "extends", "parameters", "method", "outputs")


@dataclass(frozen=True)
class ConvergenceRule:
    """When the indices count as converged.

    Attributes
    ----------
    top : int
        The leading parameters whose ranking must hold: each of the first ``top`` must be
        separated (intervals not overlapping) from the next in the ranking.
    tolerance : float
        Largest acceptable interval half-width relative to the index, for the first ``top``.
    negligible : float
        Indices below this share of the output's largest index count as negligible: they need
        not be separated from each other, nor meet ``tolerance``.
    """

    top: int = 5
    tolerance: float = 0.1
    negligible: float = 0.02


@dataclass(frozen=True)
class SensitivitySpec:
    """A validated SA file.

    Attributes
    ----------
    name, description : str
        As in the file.
    path : Path
        The SA file (resolved).
    scenario : Scenario
        The scenario analysed, resolved.
    parameters : tuple of (str, Distribution)
        The varied constants (normalised names) and their distributions, in file order.
    method : str
        A key of :data:`~chenzhou_water.sensitivity.methods.METHODS`.
    options : mapping
        The method's options, defaults filled in.
    seed : int
        Seed of the sample and of the bootstrap.
    metrics : tuple of Metric
        Per-member metrics (the sweep's).
    yearly : tuple of YearlyOutput
        Time-resolved outputs.
    convergence : ConvergenceRule
        When the indices count as converged.
    """

    name: str
    description: str
    path: Path
    scenario: Scenario
    parameters: tuple[tuple[str, Distribution], ...]
    method: str
    options: Mapping[str, Any]
    seed: int
    metrics: tuple[Metric, ...] = ()
    yearly: tuple[YearlyOutput, ...] = ()
    convergence: ConvergenceRule = field(default_factory=ConvergenceRule)

    @property
    def method_def(self) -> Method:
        """The method's :class:`~chenzhou_water.sensitivity.methods.Method`."""
        return METHODS[self.method]

    @property
    def names(self) -> list[str]:
        """The varied constants, in order."""
        return [name for name, _ in self.parameters]

    @property
    def runs(self) -> int:
        """Model runs the design needs."""
        return self.method_def.runs(self.options, len(self.parameters))

    def to_dict(self) -> dict[str, Any]:
        """The resolved SA file as plain data, free of this machine's paths."""
        return {
            "name": self.name,
            "description": self.description,
            "scenario": self.scenario.portable_dict(),
            "parameters": {name: d.to_dict() for name, d in self.parameters},
            "method": self.method,
            "options": dict(self.options),
            "seed": self.seed,
            "metrics": [m.to_dict() for m in self.metrics],
            "yearly": [y.to_dict() for y in self.yearly],
            "convergence": vars(self.convergence).copy(),
        }

    def fingerprint(self) -> str:
        """SHA-256 of everything that decides the model runs (and of the model file)."""
        data = self.to_dict()
        for key in ("description", "convergence"):
            del data[key]
        data["model_sha256"] = model_info(self.scenario.model_path).sha256
        text = json.dumps(data, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def load_sensitivity(path: str | Path) -> SensitivitySpec:
    """Read and validate an SA file and the scenario it extends.

    Parameters
    ----------
    path : str or Path
        The SA file.

    Returns
    -------
    SensitivitySpec

    Raises
    ------
    ValidationError
        With every problem of the SA file and of its scenario chain, each located by file,
        line and YAML path.
    """
    path = Path(path)
    checker, data = read_spec_file(path, "SA")
    checker.keys((), data, SA_KEYS, required=REQUIRED)
    scenario, problems = extended_scenario(checker, path, data)
    info = scenario_model(scenario)
    values = _scalars(checker, data)
    method = _method(checker, data)
    parameters = parse_parameters(checker, data["parameters"], info) if "parameters" in data \
        else ()
    options = check_options(checker, data.get("options"), method) if method else None
    metrics, yearly = ((), ())
    if "outputs" in data:
        metrics, yearly = parse_sa_outputs(checker, data["outputs"], info, model_years(info))
    convergence = _convergence(checker, data.get("convergence"))
    if method is not None and options is not None and parameters:
        _check_design_memory(checker, method, options, len(parameters),
                             len(metrics) + sum(len(y.years) for y in yearly))
    raise_problems([*checker.problems, *problems])
    if scenario is None or method is None or options is None:  # each recorded a problem
        raise ValidationError([Problem(str(path), "", "the SA file could not be resolved")])
    return SensitivitySpec(
        name=values["name"], description=values["description"], path=path.resolve(),
        scenario=scenario, parameters=parameters, method=method.name, options=options,
        seed=values["seed"], metrics=metrics, yearly=yearly, convergence=convergence,
    )  # fmt: skip


def _check_design_memory(checker: Checker, method: Method, options: Mapping[str, Any],
                         k: int, outputs: int) -> None:
    """The design's size option is refused where the whole design (SALib builds it at once)
    and the outputs of every run, with SALib's working copies, do not fit in memory."""
    runs = method.runs(options, k)
    per_run = 3 * FLOAT_BYTES * (k + max(outputs, 1))
    message = memory_problem(runs, per_run, "model runs", per="for the design and its outputs")
    if message is not None:
        checker.error(("options", method.size_option), f"{method.size_option} = "
                      f"{options[method.size_option]:,} gives {message}")


def _scalars(checker: Checker, data: dict[str, Any]) -> dict[str, Any]:
    """``name``, ``description`` and ``seed``, with defaults."""
    out: dict[str, Any] = {**name_and_description(checker, data), "seed": 0}
    if "seed" in data:
        seed = checker.whole(("seed",), data["seed"], 0, 2**32 - 1)
        out["seed"] = 0 if seed is None else seed
    return out


def _method(checker: Checker, data: dict[str, Any]) -> Method | None:
    if "method" not in data:
        return None
    name = data["method"]
    if isinstance(name, str) and name in METHODS:
        return METHODS[name]
    hint = suggest(name, METHODS) if isinstance(name, str) else ""
    shown = f"unknown method {name!r}" if isinstance(name, str) else (
        f"expected a method name, got {what_is(name)}")
    checker.error(("method",), f"{shown}{hint} (methods: {', '.join(METHODS)})")
    return None


def _convergence(checker: Checker, raw: Any) -> ConvergenceRule:
    default = ConvergenceRule()
    if raw is None:
        return default
    given = checker.mapping(("convergence",), raw, "a mapping with top, tolerance, negligible")
    if given is None or not checker.keys(("convergence",), given, list(vars(default))):
        return default
    values: dict[str, Any] = {}
    top = given.get("top", default.top)
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        checker.error(("convergence", "top"), f"expected a whole number >= 1, got {what_is(top)}")
    else:
        values["top"] = top
    for key, lo, hi in (("tolerance", 1e-6, 10.0), ("negligible", 0.0, 1.0)):
        if key in given:
            number = checker.number(("convergence", key), given[key])
            if number is not None and checker.in_range(("convergence", key), number, lo, hi,
                                                       "the valid range"):
                values[key] = number
    return ConvergenceRule(**{**vars(default), **values})
