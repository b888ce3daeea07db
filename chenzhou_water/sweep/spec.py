"""The sweep file: a scenario plus what is uncertain about it, and what to keep per member.

A sweep file is YAML (read with the safe loader)::

    name: drought_risk                 # letters, digits, _ and -; names the output files
    description: Supply risk under droughts and uncertain leakage and demand.
    extends: ../baseline.yaml          # the scenario it varies (required; relative path)
    members: 10000                     # ensemble size
    seed: 0                            # of the sampler and of the stochastic inflow
    sampler: latin_hypercube           # monte_carlo, latin_hypercube, sobol, halton or grid
    parameters:                        # uncertain model constants (see .distributions)
      background_leakage_rate: {uniform: {low: 0.025, high: 0.05}}
      public_use_per_capita: range     # uniform over the model's declared [min, max]
    levers:                            # uncertain lookups (see .levers)
      renewal_programme: {scale: [0.5, 1.0, 1.5]}                # one of a few factors
      rack_target: {scale: {uniform: {low: 0.6, high: 1.4}}}     # a continuous factor
    inflow:                            # the stochastic inflow generator's settings
      drought_2022: {annual_probability: 0.05}
    outputs:                           # see .outputs
      metrics: [reliability, {metric: reliability, period: [2030, 2035]}]

Format rules
------------
- ``name``, ``extends``, ``members`` and ``outputs`` are required; ``seed`` defaults to 0,
  ``sampler`` to ``monte_carlo``; ``parameters``, ``levers`` and ``inflow`` are optional.
- ``members`` is a whole number from 1 to 100,000,000. With ``sobol`` it must be a power of 2;
  with ``grid`` it must be the number of grid points (the same number of levels for every
  uncertain constant and continuous lever, every alternative of every other lever) and levers
  take no ``weights``.
- ``parameters``: each key a scalar model constant (Vensim or normalised spelling), each value a
  distribution whose bounds lie in the constant's declared ``[min, max]``.
- ``levers``: each key a model lookup; ``scale`` factors must keep the scaled table inside the
  lookup's declared range; ``choice`` tables follow the scenario rules for lever tables.
  ``scale`` is either a list of factors (discrete, optional ``weights``) or a distribution of
  the factor, written as for ``parameters`` (``{uniform: {low: 0.5, high: 1.5}}``,
  ``{triangular: ...}``, ``{normal: ...}`` truncated to the allowed factors, ``range`` for
  uniform over every allowed factor, ...): a continuous lever, sampled like a constant (one
  more dimension of the design), member ``i`` running the base table times its factor. Its
  bounds must lie within the factors, at least 0, that keep the table inside the lookup's
  declared range, and it takes no ``weights``. Each member's factor is kept as
  ``<lever>_scale``, as for a list of factors.
- ``inflow`` (absent: the scenario's deterministic inflow) is checked by
  :meth:`~chenzhou_water.hydrology.config.InflowConfig.from_mapping`, with the model's seasonal
  shares and mean annual runoff as defaults. The stochastic series replaces the model's ``reservoir
  inflow`` whole, so the scenario must leave the inflow levers (``inflow multiplier schedule``,
  ``climate runoff multiplier``) at 1 and not vary them or ``mean annual runoff``: put
  droughts, trends and the mean under ``inflow``.
- ``inflow.runoff_change`` (optional) is a distribution of each member's fractional change of
  the mean runoff (``{uniform: {low: -0.4, high: 0.2}}``: 40 % drier to 20 % wetter), written
  as for ``parameters``: one more dimension of the design, sampled after the levers. Member
  ``i``'s whole stochastic series, droughts and trend included, is multiplied by ``1 +`` its
  change; the model's release rule and inflow anomaly keep the scenario's mean, so the change
  is a climate the operators do not know in advance. Its bounds must keep ``1 + change``
  inside the declared range of the model's ``climate runoff multiplier``. Each member's change
  is kept as ``runoff_change``.
- Problems of the extended scenario are reported with those of the sweep file, all at once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import chenzhou_water
from chenzhou_water.errors import ModelError, Problem, ValidationError
from chenzhou_water.hydrology.config import InflowConfig
from chenzhou_water.model.metadata import ModelInfo, model_info, py_name
from chenzhou_water.scenario.spec import INFLOW_LEVERS, NAME_PATTERN, Scenario, load_scenario
from chenzhou_water.schema.checker import (
    Checker,
    YamlPath,
    load_yaml,
    raise_problems,
    suggest,
    what_is,
)
from chenzhou_water.schema.model_rules import model_years, resolve_constant
from chenzhou_water.sweep.distributions import (
    Distribution,
    parse_bounded_distribution,
    parse_distribution,
)
from chenzhou_water.sweep.levers import UncertainLever, parse_lever
from chenzhou_water.sweep.metrics import Metric
from chenzhou_water.sweep.output_spec import parse_outputs
from chenzhou_water.sweep.samplers import SAMPLERS, grid_members

__all__ = [
    "INFLOW_LEVERS",
    "MAX_MEMBERS",
    "SWEEP_KEYS",
    "SweepSpec",
    "extended_scenario",
    "load_sweep",
    "name_and_description",
    "read_spec_file",
    "scenario_model",
]

SWEEP_KEYS = ("name", "description", "extends", "members", "seed", "sampler", "parameters",
              "levers", "inflow", "outputs")  # fmt: skip
MAX_MEMBERS = 100_000_000


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep file.

    Attributes
    ----------
    name, description : str
        As in the file.
    path : Path
        The sweep file (resolved).
    scenario : Scenario
        The scenario it extends, resolved.
    members, seed : int
        Ensemble size and seed.
    sampler : str
        One of :data:`~chenzhou_water.sweep.samplers.SAMPLERS`.
    parameters : tuple of (str, Distribution)
        Uncertain constants (normalised names) in file order.
    levers : tuple of UncertainLever
        Uncertain lookups in file order.
    inflow : InflowConfig or None
        The stochastic inflow's settings; None keeps the scenario's deterministic inflow.
    series : tuple of str
        Variables kept as full ``(member, time)`` series.
    metrics : tuple of Metric
        Per-member metrics.
    """

    name: str
    description: str
    path: Path
    scenario: Scenario
    members: int
    seed: int
    sampler: str
    parameters: tuple[tuple[str, Distribution], ...]
    levers: tuple[UncertainLever, ...]
    inflow: InflowConfig | None
    series: tuple[str, ...]
    metrics: tuple[Metric, ...]
    runoff_change: Distribution | None = None

    @property
    def dims(self) -> int:
        """Number of uncertain inputs (constants, then levers, then the runoff change)."""
        return len(self.parameters) + len(self.levers) + (self.runoff_change is not None)

    def to_dict(self) -> dict[str, Any]:
        """The resolved sweep as plain data, free of this machine's paths."""
        return {
            "name": self.name,
            "description": self.description,
            "scenario": self.scenario.portable_dict(),
            "members": self.members,
            "seed": self.seed,
            "sampler": self.sampler,
            "parameters": {name: d.to_dict() for name, d in self.parameters},
            "levers": {lever.name: lever.to_dict() for lever in self.levers},
            "inflow": None if self.inflow is None else asdict(self.inflow),
            "series": list(self.series),
            "metrics": [m.to_dict() for m in self.metrics],
        } | ({} if self.runoff_change is None
             else {"runoff_change": self.runoff_change.to_dict()})  # fmt: skip

    def fingerprint(self) -> str:
        """SHA-256 of what decides the results: the resolved sweep, the model file, the version."""
        sweep = self.to_dict()
        del sweep["description"]
        data = {
            "sweep": sweep,
            "model_sha256": model_info(self.scenario.model_path).sha256,
            "package_version": chenzhou_water.__version__,
        }
        text = json.dumps(data, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def load_sweep(path: str | Path, members: int | None = None) -> SweepSpec:
    """Read and validate a sweep file and the scenario it extends.

    Parameters
    ----------
    path : str or Path
        The sweep file.
    members : int, optional
        Run this many members instead of the file's ``members`` (a smaller copy, e.g. to try
        a sweep); checked by the same rules (a power of 2 for ``sobol``, a full grid).

    Raises
    ------
    ValidationError
        With every problem of the sweep file and of its scenario chain, each located by file,
        line and YAML path.
    """
    path = Path(path)
    checker, data = read_spec_file(path, "sweep")
    checker.keys((), data, SWEEP_KEYS, required=("name", "extends", "members", "outputs"))
    scenario, problems = extended_scenario(checker, path, data)
    info = scenario_model(scenario)
    values = _scalars(checker, data)
    parameters = _parameters(checker, data.get("parameters"), info)
    levers = _levers(checker, data.get("levers"), info, scenario)
    inflow = _inflow(checker, data, scenario, parameters, levers)
    runoff_change = _runoff_change(checker, data, info)
    series: tuple[str, ...] = ()
    metrics: tuple[Metric, ...] = ()
    if "outputs" in data:
        series, metrics = parse_outputs(checker, data["outputs"], info, model_years(info))
    _inputs_kept_as_series(checker, series, parameters)
    if members is not None:
        _members_override(checker, values, members)
    before = len(checker.problems)
    _members_rule(checker, values, len(parameters) + (runoff_change is not None), levers, data)
    if members is not None:  # the number came from the command line, not from this line
        checker.problems[before:] = [replace(p, message=f"{p.message} (--members {members})")
                                     for p in checker.problems[before:]]
    raise_problems([*checker.problems, *problems])
    if scenario is None:  # unreachable: a missing scenario always records a problem
        raise ValidationError([Problem(str(path), "extends", "the scenario could not be read")])
    return SweepSpec(
        name=values["name"], description=values["description"], path=path.resolve(),
        scenario=scenario, members=values["members"], seed=values["seed"],
        sampler=values["sampler"], parameters=tuple(parameters.items()), levers=tuple(levers),
        inflow=inflow, series=series, metrics=metrics, runoff_change=runoff_change,
    )  # fmt: skip


# --- what sweep and SA files share -----------------------------------------------------------


def read_spec_file(path: Path, kind: str) -> tuple[Checker, dict[str, Any]]:
    """A checker of the YAML file at ``path`` and its top-level mapping.

    Raises
    ------
    ValidationError
        If the file cannot be read as YAML or its top level is not a mapping of ``kind`` keys.
    """
    checker = Checker(load_yaml(path, str(path)))
    data = checker.document.data
    if not isinstance(data, dict):
        what = what_is(data)
        checker.error((), f"expected a mapping of {kind} keys at the top level, got {what}")
        checker.raise_if_problems()
    return checker, data


def extended_scenario(
    checker: Checker, path: Path, data: dict[str, Any]
) -> tuple[Scenario | None, list[Problem]]:
    """The scenario named by ``extends`` (relative to ``path``), or the problems of its chain."""
    extends = data.get("extends")
    if "extends" not in data or checker.string(("extends",), extends) is None:
        return None, []
    target = path.parent / extends
    if not target.is_file():
        checker.error(("extends",), f"{extends!r}: scenario file not found (looked for {target})")
        return None, []
    try:
        scenario = load_scenario(target)
    except ValidationError as exc:
        return None, exc.problems
    if scenario.inflow_file is not None:
        # An ensemble's members share the kernel's inputs; a table would be silently dropped.
        checker.error(("extends",), f"{extends!r} reads its inflow from the table "
                      f"{scenario.inflow_file.name!r} (inflow_file), which ensembles do not use; "
                      "extend a scenario without inflow_file (a sweep sets its inflow under "
                      "'inflow:')")
        return None, []
    return scenario, []


def scenario_model(scenario: Scenario | None) -> ModelInfo | None:
    """The scenario's model, or None without a scenario."""
    if scenario is None:
        return None
    try:
        return model_info(scenario.model_path)
    except ModelError:
        return None  # load_scenario read it a moment ago; nothing more to report


def name_and_description(checker: Checker, data: dict[str, Any]) -> dict[str, Any]:
    """``name`` (None if absent or invalid) and ``description`` (default empty)."""
    out: dict[str, Any] = {"name": None, "description": ""}
    if "name" in data:
        rule = "use only ASCII letters, digits, '_' and '-' (it names output files)"
        out["name"] = checker.string(("name",), data["name"], NAME_PATTERN, rule)
    if isinstance(data.get("description"), str):
        out["description"] = data["description"]
    elif "description" in data:
        checker.error(("description",), f"expected a string, got {what_is(data['description'])}")
    return out


# --- the sweep's own sections ----------------------------------------------------------------


def _scalars(checker: Checker, data: dict[str, Any]) -> dict[str, Any]:
    """``name``, ``description``, ``members``, ``seed`` and ``sampler``, with defaults."""
    out: dict[str, Any] = {"seed": 0, "sampler": "monte_carlo", "members": 1}
    out.update(name_and_description(checker, data))
    for key, low, high in (("members", 1, MAX_MEMBERS), ("seed", 0, 2**63 - 1)):
        if key in data:
            out[key] = checker.whole((key,), data[key], low, high)
    sampler = data.get("sampler", "monte_carlo")
    if sampler not in SAMPLERS:
        hint = suggest(sampler, SAMPLERS) if isinstance(sampler, str) else ""
        checker.error(
            ("sampler",),
            f"unknown sampler {what_is(sampler)}{hint} (samplers: {', '.join(SAMPLERS)})",
        )
        sampler = None
    out["sampler"] = sampler
    return out


def _parameters(checker: Checker, raw: Any, info: ModelInfo | None) -> dict[str, Distribution]:
    out: dict[str, Distribution] = {}
    if raw is None:
        return out
    given = checker.mapping(("parameters",), raw, "a mapping of model constant to distribution")
    for name, body in (given or {}).items():
        path: YamlPath = ("parameters", name)
        var = resolve_constant(checker, path, name, info) if info is not None else None
        if var is not None and var.py_name in out:
            checker.error(path, f"{var.py_name!r} is given twice (under another spelling)")
            continue
        distribution = parse_distribution(checker, path, body, var)
        if var is not None and distribution is not None:
            out[var.py_name] = distribution
    return out


def _levers(
    checker: Checker, raw: Any, info: ModelInfo | None, scenario: Scenario | None
) -> list[UncertainLever]:
    if raw is None or info is None:
        if raw is not None:
            checker.mapping(("levers",), raw, "a mapping of model lookup to scale or choice")
        return []
    given = checker.mapping(("levers",), raw, "a mapping of model lookup to scale or choice")
    out: list[UncertainLever] = []
    base = dict(scenario.levers) if scenario is not None else {}
    for name, body in (given or {}).items():
        lever = parse_lever(checker, ("levers", name), body, info, base)
        if lever is not None and any(lever.name == other.name for other in out):
            checker.error(("levers", name), f"{lever.name!r} is given twice")
        elif lever is not None:
            out.append(lever)
    return out


def _inflow(
    checker: Checker,
    data: dict[str, Any],
    scenario: Scenario | None,
    parameters: dict[str, Distribution],
    levers: list[UncertainLever],
) -> InflowConfig | None:
    """The inflow settings, problems recorded on the sweep file's checker; None if absent."""
    if "inflow" not in data:
        return None
    model = scenario.model_path if scenario is not None else None
    given = data["inflow"] if isinstance(data["inflow"], dict) else {}
    mapping = {k: v for k, v in given.items() if k != RUNOFF_CHANGE} if given else data["inflow"]
    config = InflowConfig.from_mapping(mapping or {}, checker=checker, model=model)
    if config is None:
        return None
    _inflow_levers(checker, data, scenario, parameters, levers)
    if scenario is not None and "mean_annual_runoff" in scenario.parameters \
            and "mean_annual_runoff" not in given:
        # The scenario (for example the calibrated baseline) sets the mean the model's own
        # inflow and release rule use; the stochastic inflow must have the same mean.
        runoff = float(scenario.parameters["mean_annual_runoff"])
        config = replace(config, mean_annual_runoff=runoff)
    return config


RUNOFF_CHANGE = "runoff_change"
#: The lookup whose declared range bounds ``1 + runoff_change``.
RUNOFF_MULTIPLIER_LOOKUP = "climate_runoff_multiplier"


def _runoff_change(
    checker: Checker, data: dict[str, Any], info: ModelInfo | None
) -> Distribution | None:
    """The distribution of each member's mean-runoff change (``inflow.runoff_change``)."""
    given = data.get("inflow")
    if not isinstance(given, dict) or RUNOFF_CHANGE not in given:
        return None
    path: YamlPath = ("inflow", RUNOFF_CHANGE)
    lookup = info.get(RUNOFF_MULTIPLIER_LOOKUP) if info is not None else None
    if lookup is None or lookup.lookup_range is None:
        if info is not None:
            checker.error(path, f"the model declares no range for '{RUNOFF_MULTIPLIER_LOOKUP}', "
                          "which bounds the runoff change")
        return None
    (_, low), (_, high) = lookup.lookup_range
    what = (f"the changes allowed by the model's '{RUNOFF_MULTIPLIER_LOOKUP}' range "
            f"[{low:g}, {high:g}], i.e.")
    return parse_bounded_distribution(checker, path, given[RUNOFF_CHANGE],
                                      (low - 1, high - 1), what)  # fmt: skip


def _inflow_levers(
    checker: Checker,
    data: dict[str, Any],
    scenario: Scenario | None,
    parameters: dict[str, Distribution],
    levers: list[UncertainLever],
) -> None:
    """The stochastic inflow replaces ``reservoir inflow``: its levers must stay at 1."""
    if "mean_annual_runoff" in parameters:
        checker.error(
            ("parameters", _written(data.get("parameters"), "mean_annual_runoff")),
            "the stochastic inflow's mean is inflow.mean_annual_runoff; varying the "
            "model constant would leave the inflow unchanged",
        )
    if scenario is not None and "inflow_seasonal_share" in scenario.levers:
        checker.error(
            ("inflow",),
            "the scenario's lever 'inflow_seasonal_share' shapes the model's inflow, which the "
            "stochastic inflow replaces; set inflow.seasonal_shares instead",
        )
    varied = {lever.name for lever in levers}
    for name in INFLOW_LEVERS:
        table = scenario.levers.get(name) if scenario is not None else None
        if name in varied or (table is not None and any(y != 1 for y in table[1])):
            where = f"levers.{name}" if name in varied else f"the scenario's lever {name!r}"
            checker.error(
                ("inflow",),
                f"{where} shapes the model's inflow, which the stochastic "
                "inflow replaces; model droughts and trends under inflow "
                "(drought_2022, multiyear_drought, trend_by_2050) instead",
            )


def _inputs_kept_as_series(
    checker: Checker, series: tuple[str, ...], parameters: dict[str, Distribution]
) -> None:
    for i, name in enumerate(series):
        if name in parameters:
            checker.error(
                ("outputs", "series", i),
                f"{name!r} is an uncertain constant; its "
                "sampled values are kept per member already",
            )


def _members_override(checker: Checker, values: dict[str, Any], members: int) -> None:
    """``--members``: replaces the file's ``members``, within the same bounds."""
    if not 1 <= members <= MAX_MEMBERS:
        checker.error(("members",), f"--members must be from 1 to {MAX_MEMBERS:,}, got {members}")
        return
    values["members"] = members


def _members_rule(
    checker: Checker,
    values: dict[str, Any],
    n_parameters: int,
    levers: list[UncertainLever],
    data: dict[str, Any],
) -> None:
    """Sobol wants a power of 2; a grid's size is its number of points."""
    members, sampler = values.get("members"), values.get("sampler")
    if members is None or "members" not in data:
        return
    if sampler == "sobol" and members & (members - 1):
        low = 1 << (members.bit_length() - 1)
        checker.error(
            ("members",),
            f"the sobol sampler needs a power of 2 members, got {members}; use {low} or {2 * low}",
        )
    if sampler == "grid":
        _grid_rule(checker, members, n_parameters, levers, data)


def _grid_rule(
    checker: Checker,
    members: int,
    n_parameters: int,
    levers: list[UncertainLever],
    data: dict[str, Any],
) -> None:
    for lever in levers:
        key = _written(data["levers"], lever.name)
        if "weights" in data["levers"][key]:
            checker.error(
                ("levers", key, "weights"),
                "the grid sampler runs every alternative equally often; remove weights",
            )
    combinations = grid_members([len(lv.labels) for lv in levers if not lv.continuous])
    continuous = sum(lever.continuous for lever in levers)
    dims = n_parameters + continuous
    levels = round((members / combinations) ** (1 / dims)) if dims else 1
    if levels**dims * combinations != members:
        example = max(levels, 2) ** dims * combinations
        what = "constants and continuous levers" if continuous else "constants"
        checker.error(
            ("members",),
            f"a grid has levels ** {dims} ({what}) x "
            f"{combinations} (lever combinations) members, e.g. {example}; got "
            f"{members}",
        )


def _written(mapping: Any, name: str) -> str:
    """The key under which the model name ``name`` is written in ``mapping`` (any spelling)."""
    for key in mapping if isinstance(mapping, dict) else ():
        if isinstance(key, str) and py_name(key) == name:
            return key
    return name
