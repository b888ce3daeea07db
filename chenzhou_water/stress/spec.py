"""The study file: uncertainties, policies and outcomes, in the EMA Workbench's vocabulary.

A study file is YAML (read with the safe loader and the shared checker)::

    name: policies                    # letters, digits, _ and -; names the output files
    description: Which policy holds in dry futures?
    futures: 400                      # futures every policy runs (common random numbers)
    seed: 20221001                    # of the sampler and of the stochastic inflow
    sampler: latin_hypercube          # monte_carlo, latin_hypercube, sobol or halton
    inflow:                           # the stochastic inflow's base settings (as a sweep's)
      drought_2022: {annual_probability: 0.1}
      multiyear_drought: {multiplier: 0.6}
    uncertainties:                    # each with a range (a distribution)
      runoff_change: {uniform: {low: -0.4, high: 0.2}, plausible: [-0.15, 0.05]}
      variability: {uniform: {low: 0.8, high: 1.5}}
      drought_frequency: {uniform: {low: 0, high: 0.1}}
      drought_length: {uniform: {low: 1, high: 7}}
      population_growth_rate: {scale: {uniform: {low: 0.3, high: 2.5}}}   # demand growth
      peak_day_factor: {uniform: {low: 1.1, high: 1.5}}                    # a model constant
    policies:                         # a scenario file, or lever values on a base scenario
      baseline: ../baseline.yaml
      leakage_target: ../leakage_target.yaml
      fast_renewal: {extends: ../baseline.yaml, levers: {renewal_programme: {2015: 0, 2050: 4}}}
    outcomes:                         # sweep metrics with a direction and optional threshold
      - {metric: reliability, period: [2025, 2050], direction: max, threshold: 0.98}
    surfaces:                         # optional; default: first outcome, first two stressors
      - {outcome: reliability_2025_2050, x: runoff_change, y: drought_frequency}
    discovery: [reliability_2025_2050]   # outcomes whose failure PRIM explains

Uncertainties
-------------
- **Climate stressors** (:data:`CLIMATE`): ``runoff_change`` (fractional change of the mean
  runoff; bounded by the model's ``climate runoff multiplier`` range), ``variability`` (factor
  on the monthly coefficients of variation of the inflow generator), ``drought_frequency``
  (annual probability that a multi-year drought starts, in [0, 1]) and ``drought_length``
  (its length in years, rounded down: ``{uniform: {low: 1, high: 7}}`` gives 1 to 6 years
  equally often). Each may carry ``plausible: [low, high]``, the region the hydrology
  assumptions consider plausible, drawn on the response surfaces.
- **A model lookup** with ``{scale: DISTRIBUTION}``: every table of it (in each policy's
  scenario) times a sampled factor, e.g. ``population_growth_rate`` for demand growth.
- **A model constant** with a distribution inside its declared range.

Every uncertainty needs a range; each policy runs the same futures: the same sampled values and
the same stochastic inflow per future index.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import chenzhou_water
from chenzhou_water.errors import Problem, ValidationError
from chenzhou_water.hydrology.config import MAX_MONTHLY_CV, InflowConfig
from chenzhou_water.model.metadata import ModelInfo, model_info
from chenzhou_water.scenario.spec import (
    INFLOW_LEVERS,
    Scenario,
    load_scenario,
    scenario_from_mapping,
)
from chenzhou_water.schema.checker import Checker, YamlPath, format_path, suggest, what_is
from chenzhou_water.schema.model_rules import model_years, resolve_constant
from chenzhou_water.sweep.distributions import (
    Distribution,
    parse_bounded_distribution,
    parse_distribution,
)
from chenzhou_water.sweep.levers import UncertainLever, parse_lever
from chenzhou_water.sweep.metrics import Metric
from chenzhou_water.sweep.output_spec import parse_metric
from chenzhou_water.sweep.samplers import SAMPLERS
from chenzhou_water.sweep.spec import (
    RUNOFF_MULTIPLIER_LOOKUP,
    name_and_description,
    read_spec_file,
)

__all__ = ["CLIMATE", "STUDY_KEYS", "Outcome", "Policy", "StudySpec", "Surface",
           "Uncertainty", "load_study"]  # fmt: skip

STUDY_KEYS = ("name", "description", "futures", "seed", "sampler", "inflow", "uncertainties",
              "policies", "outcomes", "surfaces", "discovery")  # fmt: skip
#: Samplers a study may use (a grid does not sample the stressors' space evenly enough).
STUDY_SAMPLERS = tuple(s for s in SAMPLERS if s != "grid")
MAX_FUTURES = 1_000_000
MAX_DROUGHT_YEARS = 36
#: Climate stressors: name -> (units, description).
CLIMATE: dict[str, tuple[str, str]] = {
    "runoff_change": ("1", "fractional change of the mean runoff"),
    "variability": ("1", "factor on the inflow's monthly coefficients of variation"),
    "drought_frequency": ("1/yr", "annual probability that a multi-year drought starts"),
    "drought_length": ("yr", "length of each multi-year drought"),
}
DIRECTIONS = ("max", "min")


@dataclass(frozen=True)
class Uncertainty:
    """One uncertain input of the futures.

    Attributes
    ----------
    name : str
        A climate stressor of :data:`CLIMATE`, a model constant or lookup (normalised name).
    kind : str
        ``climate``, ``constant`` or ``lever`` (a scaled lookup; values are the factor).
    distribution : Distribution
        Sampled in the stressor's own units.
    units, description : str
        Of the sampled values.
    plausible : tuple of float or None
        The plausible ``(low, high)`` of a climate stressor, if given.
    """

    name: str
    kind: str
    distribution: Distribution
    units: str
    description: str
    plausible: tuple[float, float] | None = None

    @property
    def limits(self) -> tuple[float, float]:
        """The lowest and highest value the distribution gives."""
        low, high = (float(v) for v in self.distribution.ppf([0.0, 1.0 - 2.0**-53]))
        return low, high


@dataclass(frozen=True)
class Policy:
    """A named policy: the scenario it runs and its uncertain levers (scaled tables)."""

    name: str
    scenario: Scenario
    levers: tuple[UncertainLever, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """A sweep metric with a direction (``max`` or ``min`` is better) and a threshold."""

    metric: Metric
    direction: str
    threshold: float | None = None

    @property
    def name(self) -> str:
        return self.metric.name

    def meets(self, values: Any) -> Any:
        """Whether ``values`` meet the threshold (all True without one)."""
        import numpy as np

        values = np.asarray(values, dtype=np.float64)
        if self.threshold is None:
            return np.ones(values.shape, dtype=bool)
        if self.direction == "max":
            return values >= self.threshold
        return values <= self.threshold


@dataclass(frozen=True)
class Surface:
    """A climate response surface: an outcome over two uncertainties."""

    outcome: str
    x: str
    y: str


@dataclass(frozen=True)
class StudySpec:
    """A validated study file (see the module docstring)."""

    name: str
    description: str
    path: Path
    futures: int
    seed: int
    sampler: str
    inflow: InflowConfig
    uncertainties: tuple[Uncertainty, ...]
    policies: tuple[Policy, ...]
    outcomes: tuple[Outcome, ...]
    surfaces: tuple[Surface, ...]
    discovery: tuple[str, ...]

    def outcome(self, name: str) -> Outcome:
        return next(o for o in self.outcomes if o.name == name)

    def to_dict(self) -> dict[str, Any]:
        """The resolved study as plain data, free of this machine's paths."""
        return {
            "name": self.name, "description": self.description, "futures": self.futures,
            "seed": self.seed, "sampler": self.sampler, "inflow": asdict(self.inflow),
            "uncertainties": {u.name: {"kind": u.kind, **u.distribution.to_dict(),
                                       "plausible": u.plausible} for u in self.uncertainties},
            "policies": {p.name: p.scenario.portable_dict() for p in self.policies},
            "outcomes": [{**o.metric.to_dict(), "direction": o.direction,
                          "threshold": o.threshold} for o in self.outcomes],
            "surfaces": [asdict(s) for s in self.surfaces],
            "discovery": list(self.discovery),
        }  # fmt: skip

    def fingerprint(self, policy: str) -> str:
        """SHA-256 of what decides one policy's results (its resumable folder must match)."""
        study = self.to_dict()
        del study["description"], study["surfaces"], study["discovery"]
        study["policies"] = study["policies"][policy]
        data = {"study": study, "policy": policy, "package_version": chenzhou_water.__version__,
                "model_sha256": model_info(self.policies[0].scenario.model_path).sha256}
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def load_study(path: str | Path) -> StudySpec:
    """Read and validate a study file, its policies' scenarios and its outcomes.

    Raises
    ------
    ValidationError
        With every problem of the file (and of the policies' scenarios), each located.
    """
    path = Path(path)
    checker, data = read_spec_file(path, "study")
    checker.keys((), data, STUDY_KEYS,
                 required=("name", "futures", "uncertainties", "policies", "outcomes"))
    values = _scalars(checker, data)
    policies, problems = _policies(checker, path, data.get("policies"))
    info = _model(policies)
    inflow = _inflow(checker, data, policies)
    uncertainties = _uncertainties(checker, data.get("uncertainties"), info, inflow)
    policies = _policy_levers(checker, data.get("uncertainties"), info, policies)
    outcomes = _outcomes(checker, data.get("outcomes"), info)
    surfaces = _surfaces(checker, data.get("surfaces"), outcomes, uncertainties)
    discovery = _discovery(checker, data.get("discovery"), outcomes)
    raise_all([*checker.problems, *problems])
    if inflow is None:  # unreachable: every way to lose it records a problem
        raise ValidationError([Problem(str(path), "inflow", "no inflow settings")])
    return StudySpec(
        name=values["name"], description=values["description"], path=path.resolve(),
        futures=values["futures"], seed=values["seed"], sampler=values["sampler"],
        inflow=inflow, uncertainties=tuple(uncertainties), policies=tuple(policies),
        outcomes=tuple(outcomes), surfaces=tuple(surfaces), discovery=tuple(discovery),
    )  # fmt: skip


def raise_all(problems: list[Problem]) -> None:
    """Raise the problems (each once, in order) as one ValidationError, if there are any."""
    unique = list(dict.fromkeys(problems))
    if unique:
        raise ValidationError(unique)


def _scalars(checker: Checker, data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"seed": 0, "sampler": "latin_hypercube", "futures": 2}
    out.update(name_and_description(checker, data))
    if "futures" in data:
        out["futures"] = checker.whole(("futures",), data["futures"], 2, MAX_FUTURES)
    if "seed" in data:
        out["seed"] = checker.whole(("seed",), data["seed"], 0, 2**63 - 1)
    sampler = data.get("sampler", out["sampler"])
    if sampler not in STUDY_SAMPLERS:
        hint = suggest(sampler, STUDY_SAMPLERS) if isinstance(sampler, str) else ""
        checker.error(("sampler",), f"unknown sampler {what_is(sampler)}{hint} (samplers: "
                      f"{', '.join(STUDY_SAMPLERS)})")  # fmt: skip
    elif sampler == "sobol" and out["futures"] and out["futures"] & (out["futures"] - 1):
        checker.error(("futures",), f"the sobol sampler needs a power of 2 futures, got "
                      f"{out['futures']}")  # fmt: skip
    out["sampler"] = sampler
    return out


# --- policies --------------------------------------------------------------------------------


def _policies(
    checker: Checker, path: Path, raw: Any
) -> tuple[list[Policy], list[Problem]]:
    given = checker.mapping(("policies",), raw, "a mapping of policy name to a scenario file "
                            "or {extends: SCENARIO, levers: ..., parameters: ...}")
    if given is not None and not given:
        checker.error(("policies",), "name at least one policy")
    out: list[Policy] = []
    problems: list[Problem] = []
    for name, body in (given or {}).items():
        where: YamlPath = ("policies", name)
        if checker.string(where, name, _POLICY_NAME, _NAME_RULE) is None:
            continue
        scenario = _policy_scenario(checker, where, path, name, body, problems)
        if scenario is not None and _ensemble_ready(checker, where, scenario):
            out.append(Policy(name, scenario))
    return out, problems


_POLICY_NAME = re.compile(r"[A-Za-z0-9_-]+")
_NAME_RULE = "use only ASCII letters, digits, '_' and '-' (it names output files)"


def _policy_scenario(
    checker: Checker, where: YamlPath, path: Path, name: str, body: Any,
    problems: list[Problem],
) -> Scenario | None:  # fmt: skip
    try:
        if isinstance(body, str):
            target = path.parent / body
            if not target.is_file():
                checker.error(where, f"{body!r}: scenario file not found (looked for {target})")
                return None
            return load_scenario(target)
        given = checker.mapping(where, body, "a scenario file (relative path) or a mapping "
                                "with 'extends' and the levers or parameters it changes")
        if given is None:
            return None
        if not isinstance(given.get("extends"), str):
            checker.error(where, "a policy given as lever values needs 'extends: SCENARIO' "
                          "(the base scenario it changes)")
            return None
        source = f"{path.name}: {format_path(where)}"
        return scenario_from_mapping({"name": name, **given}, source=source,
                                     relative_to=path.parent)
    except ValidationError as exc:
        problems.extend(exc.problems)
        return None


def _ensemble_ready(checker: Checker, where: YamlPath, scenario: Scenario) -> bool:
    """The stochastic inflow replaces the model's: the scenario must not shape it."""
    if scenario.inflow_file is not None:
        checker.error(where, f"the scenario reads its inflow from {scenario.inflow_file.name!r} "
                      "(inflow_file), which a study replaces by its stochastic inflow")
        return False
    shaped = [name for name in INFLOW_LEVERS
              if name in scenario.levers and any(y != 1 for y in scenario.levers[name][1])]
    shaped += ["inflow_seasonal_share"] * ("inflow_seasonal_share" in scenario.levers)
    for name in shaped:
        checker.error(where, f"the scenario's lever {name!r} shapes the model's inflow, which "
                      "the study's stochastic inflow replaces; put droughts and trends under "
                      "'inflow' and 'uncertainties' instead")
    return not shaped


def _model(policies: list[Policy]) -> ModelInfo | None:
    return model_info(policies[0].scenario.model_path) if policies else None


def _inflow(checker: Checker, data: dict[str, Any], policies: list[Policy]) -> InflowConfig | None:
    model = policies[0].scenario.model_path if policies else None
    raw = data.get("inflow", {})
    if isinstance(raw, dict) and "runoff_change" in raw:
        checker.error(("inflow", "runoff_change"), "a study samples the runoff change as an "
                      "uncertainty: move it to 'uncertainties'")
        raw = {k: v for k, v in raw.items() if k != "runoff_change"}
    config = InflowConfig.from_mapping(raw, checker=checker, model=model)
    runoffs = {p.scenario.parameters.get("mean_annual_runoff") for p in policies}
    if len(runoffs) > 1:
        checker.error(("policies",), "the policies set different 'mean_annual_runoff' values; "
                      "they must share one climate (the futures' inflow)")
    runoff = next(iter(runoffs)) if len(runoffs) == 1 else None
    given = raw if isinstance(raw, dict) else {}
    if config is not None and runoff is not None and "mean_annual_runoff" not in given:
        config = replace(config, mean_annual_runoff=float(runoff))
    return config


# --- uncertainties ---------------------------------------------------------------------------


def _uncertainties(
    checker: Checker, raw: Any, info: ModelInfo | None, inflow: InflowConfig | None
) -> list[Uncertainty]:
    given = checker.mapping(("uncertainties",), raw, "a mapping of uncertainty to its range")
    if given is not None and not given:
        checker.error(("uncertainties",), "name at least one uncertainty")
    out: list[Uncertainty] = []
    for name, body in (given or {}).items():
        where: YamlPath = ("uncertainties", name)
        if not isinstance(body, dict) or not body:
            checker.error(where, f"{name!r} needs a range: a distribution such as "
                          "{uniform: {low: L, high: H}} (a lookup: {scale: {uniform: ...}}), "
                          f"got {what_is(body)}")
            continue
        if name in CLIMATE:
            found = _climate(checker, where, name, body, info, inflow)
        elif "scale" in body:
            found = _lever_scale(checker, where, body)
        elif info is not None:
            var = resolve_constant(checker, where, name, info)
            dist = parse_distribution(checker, where, body, var) if var is not None else None
            found = None if dist is None or var is None else Uncertainty(
                var.py_name, "constant", dist, var.units, var.documentation or var.py_name)
        else:
            found = None
        if found is not None and any(u.name == found.name for u in out):
            checker.error(where, f"{found.name!r} is given twice (under another spelling)")
        elif found is not None:
            out.append(found)
    return out


def _climate(
    checker: Checker, where: YamlPath, name: str, body: dict[str, Any],
    info: ModelInfo | None, inflow: InflowConfig | None,
) -> Uncertainty | None:  # fmt: skip
    limits = _climate_limits(name, info, inflow)
    if limits is None:
        return None
    what = f"the values the inflow generator allows for {name}"
    dist_body = {k: v for k, v in body.items() if k != "plausible"}
    if not dist_body:
        checker.error(where, f"{name!r} needs a range: a distribution such as "
                      "{uniform: {low: L, high: H}} beside 'plausible'")
        return None
    dist = parse_bounded_distribution(checker, where, dist_body, limits, what)
    plausible = None
    if "plausible" in body:
        plausible = _plausible(checker, (*where, "plausible"), body["plausible"], limits, what)
    if dist is None:
        return None
    units, description = CLIMATE[name]
    return Uncertainty(name, "climate", dist, units, description, plausible)


def _climate_limits(
    name: str, info: ModelInfo | None, inflow: InflowConfig | None
) -> tuple[float, float] | None:
    if name == "runoff_change":
        lookup = info.get(RUNOFF_MULTIPLIER_LOOKUP) if info is not None else None
        if lookup is None or lookup.lookup_range is None:
            return None
        (_, low), (_, high) = lookup.lookup_range
        return low - 1, high - 1
    if name == "variability":
        largest = max(inflow.monthly_cv) if inflow is not None else 1.0
        return 0.0, MAX_MONTHLY_CV / max(largest, 1e-9)
    if name == "drought_frequency":
        return 0.0, 1.0
    return 1.0, MAX_DROUGHT_YEARS + 1.0


def _plausible(
    checker: Checker, where: YamlPath, raw: Any, limits: tuple[float, float], what: str
) -> tuple[float, float] | None:
    if not isinstance(raw, list) or len(raw) != 2:
        checker.error(where, f"expected [low, high], got {what_is(raw)}")
        return None
    values = [checker.number((*where, i), v) for i, v in enumerate(raw)]
    if any(v is None for v in values):
        return None
    low, high = float(values[0]), float(values[1])  # type: ignore[arg-type]
    ok = all(checker.in_range((*where, i), v, *limits, what) for i, v in enumerate((low, high)))
    if ok and not low <= high:
        checker.error(where, f"low {low:g} must not be above high {high:g}")
        return None
    return (low, high) if ok else None


def _lever_scale(checker: Checker, where: YamlPath, body: dict[str, Any]) -> Uncertainty | None:
    """A scaled lookup's factor; its tables are checked per policy (:func:`_policy_levers`)."""
    if not isinstance(body.get("scale"), dict) and body.get("scale") != "range":
        checker.error((*where, "scale"), "an uncertain lookup needs a range of factors: "
                      "{scale: {uniform: {low: L, high: H}}} (a list of factors is a sweep's "
                      f"discrete lever), got {what_is(body.get('scale'))}")
        return None
    scratch = Checker(checker.document)
    dist = parse_bounded_distribution(scratch, (*where, "scale"), body["scale"], (0.0, None))
    if dist is None:
        return None  # the policies' check reports it with the lookup's own limits
    return Uncertainty(str(where[-1]), "lever", dist, "1",
                       f"scale factor on the lookup {where[-1]}")


def _policy_levers(
    checker: Checker, raw: Any, info: ModelInfo | None, policies: list[Policy]
) -> list[Policy]:
    """Each policy's scaled lookups, on its own tables (problems reported once)."""
    given = raw if isinstance(raw, dict) else {}
    scaled = {k: v for k, v in given.items()
              if k not in CLIMATE and isinstance(v, dict) and isinstance(v.get("scale"), dict)}
    if not scaled or info is None:
        return policies
    out = []
    for policy in policies:
        scratch = Checker(checker.document)
        levers = [parse_lever(scratch, ("uncertainties", k), v, info, policy.scenario.levers)
                  for k, v in scaled.items()]
        checker.problems.extend(p for p in scratch.problems if p not in checker.problems)
        if all(lv is not None for lv in levers):
            out.append(replace(policy, levers=tuple(levers)))  # type: ignore[arg-type]
    return out


# --- outcomes, surfaces, discovery -----------------------------------------------------------


def _outcomes(checker: Checker, raw: Any, info: ModelInfo | None) -> list[Outcome]:
    entries = checker.sequence(("outcomes",), raw, "a list of metrics with a direction")
    if entries is not None and not entries:
        checker.error(("outcomes",), "name at least one outcome")
    years = model_years(info)
    out: list[Outcome] = []
    for i, entry in enumerate(entries or []):
        where: YamlPath = ("outcomes", i)
        if not isinstance(entry, dict):
            checker.error(where, f"expected a mapping with 'metric' and 'direction' (max or "
                          f"min), got {what_is(entry)}")
            continue
        direction = entry.get("direction")
        if direction not in DIRECTIONS:
            place = (*where, "direction") if "direction" in entry else where
            checker.error(place, f"expected 'direction: max' or 'direction: min' (which way is "
                          f"better), got {what_is(direction)}")
        threshold = None
        if "threshold" in entry:
            threshold = checker.number((*where, "threshold"), entry["threshold"])
        metric = parse_metric(checker, where, {k: v for k, v in entry.items()
                                               if k not in ("direction", "threshold")},
                              info, years)  # fmt: skip
        if metric is None or direction not in DIRECTIONS:
            continue
        if any(o.name == metric.name for o in out):
            checker.error(where, f"two outcomes are named {metric.name!r}; give one a 'name'")
            continue
        out.append(Outcome(metric, direction, threshold))
    return out


def _surfaces(
    checker: Checker, raw: Any, outcomes: list[Outcome], uncertainties: list[Uncertainty]
) -> list[Surface]:
    names = [u.name for u in uncertainties]
    if raw is None:
        if outcomes and len(names) >= 2:
            return [Surface(outcomes[0].name, names[0], names[1])]
        return []
    out = []
    for i, entry in enumerate(checker.sequence(("surfaces",), raw, "a list of surfaces") or []):
        where: YamlPath = ("surfaces", i)
        given = checker.mapping(where, entry, "a mapping with 'outcome', 'x' and 'y'")
        if given is None or not checker.keys(where, given, ("outcome", "x", "y"),
                                             required=("outcome", "x", "y")):
            continue
        ok = _known(checker, (*where, "outcome"), given["outcome"],
                    [o.name for o in outcomes], "outcome")
        ok = _known(checker, (*where, "x"), given["x"], names, "uncertainty") and ok
        ok = _known(checker, (*where, "y"), given["y"], names, "uncertainty") and ok
        if ok and given["x"] == given["y"]:
            checker.error(where, "x and y must be two different uncertainties")
        elif ok:
            out.append(Surface(given["outcome"], given["x"], given["y"]))
    return out


def _discovery(checker: Checker, raw: Any, outcomes: list[Outcome]) -> list[str]:
    if raw is None:
        return [o.name for o in outcomes if o.threshold is not None]
    out = []
    names = [o.name for o in outcomes]
    for i, name in enumerate(checker.sequence(("discovery",), raw, "a list of outcomes") or []):
        where: YamlPath = ("discovery", i)
        if not _known(checker, where, name, names, "outcome"):
            continue
        outcome = next(o for o in outcomes if o.name == name)
        if outcome.threshold is None:
            checker.error(where, f"PRIM explains where {name!r} fails, which needs a threshold: "
                          f"give the outcome 'threshold: ...'")
        else:
            out.append(name)
    return out


def _known(checker: Checker, where: YamlPath, name: Any, names: list[str], role: str) -> bool:
    if isinstance(name, str) and name in names:
        return True
    hint = suggest(name, names) if isinstance(name, str) else ""
    checker.error(where, f"unknown {role} {what_is(name)}{hint} ({role}s of this study: "
                  f"{', '.join(names) or 'none'})")
    return False
