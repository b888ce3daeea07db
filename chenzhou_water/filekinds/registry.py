"""The registry of input-file kinds: kind -> detector (by top-level keys) -> checker.

Each :class:`FileKind` says how to recognise a file from its top-level keys and which loader
checks it; the first kind whose detector matches wins, and the scenario, the most common
file, is the fallback. To add a kind (the study files of the stress studies, for example),
write its loader (``load_study(path) -> Study``, raising
:class:`~chenzhou_water.errors.ValidationError` with every located problem) and insert a
``FileKind("study file", _has("study"), _check_study)`` before the scenario.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chenzhou_water.errors import ValidationError
from chenzhou_water.schema.checker import load_yaml

__all__ = ["FILE_KINDS", "FileKind", "FileKindError", "Validated", "detect_kind",
           "validate_file"]


@dataclass(frozen=True)
class Validated:
    """A file that passed its kind's checks.

    Attributes
    ----------
    path : Path
        The file.
    kind : str
        Its kind (``scenario file``, ``sweep file`` ...).
    summary : str
        One line on what it holds.
    """

    path: Path
    kind: str
    summary: str


Detector = Callable[[Mapping[str, Any]], str | None]
"""``detector(top_level_mapping)`` -> why the file is of this kind (e.g. ``key 'members'``),
or None if it is not."""


@dataclass(frozen=True)
class FileKind:
    """One kind of input file.

    Attributes
    ----------
    name : str
        As messages say it: ``sweep file``.
    detect : Detector
        Recognises the kind from the file's top-level mapping.
    check : callable
        ``check(path) -> summary``: reads the file with the kind's own loader (which raises
        a ValidationError listing every problem) and describes it in one line.
    """

    name: str
    detect: Detector
    check: Callable[[Path], str]


class FileKindError(ValidationError):
    """The problems of a file, with the kind it was read as and why."""

    def __init__(self, kind: str, reason: str, problems: list[Any]):
        self.kind, self.reason = kind, reason
        super().__init__(problems)

    def __str__(self) -> str:
        return f"checked as a {self.kind} ({self.reason}): {super().__str__()}"


def _has(*keys: str) -> Detector:
    def detect(data: Mapping[str, Any]) -> str | None:
        found = [k for k in keys if k in data]
        return f"key {found[0]!r}" if found else None
    return detect


def _only_parameters(data: Mapping[str, Any]) -> str | None:
    """A calibration parameters file: ``parameters`` (and ``model``), nothing a scenario has."""
    if "parameters" in data and set(data) <= {"parameters", "model"}:
        return "only 'parameters'" + (" and 'model'" if "model" in data else "")
    return None


def _always(data: Mapping[str, Any]) -> str | None:
    return "no key of another kind of file"


# --- the checkers: each its kind's own loader --------------------------------------------------


def _check_scenario(path: Path) -> str:
    from chenzhou_water.scenario.spec import load_scenario

    scen = load_scenario(path)
    files = " <- ".join(p.name for p in scen.files)
    return (f"{files}; {len(scen.parameters)} parameters, {len(scen.levers)} levers, "
            f"{len(scen.outputs)} outputs")


def _check_sweep(path: Path) -> str:
    from chenzhou_water.sweep.spec import load_sweep

    spec = load_sweep(path)
    return (f"sweep {spec.name!r} of {spec.scenario.name!r}: {spec.members:,} members "
            f"({spec.sampler}), {spec.dims} uncertain inputs, {len(spec.metrics)} metrics, "
            f"{len(spec.series)} series")


def _check_sensitivity(path: Path) -> str:
    from chenzhou_water.sensitivity.spec import load_sensitivity

    spec = load_sensitivity(path)
    return (f"sensitivity analysis {spec.name!r} of {spec.scenario.name!r}: {spec.method}, "
            f"{len(spec.parameters)} parameters, {len(spec.metrics)} metrics, "
            f"{len(spec.yearly)} yearly outputs")


def _check_study(path: Path) -> str:
    from chenzhou_water.stress.spec import load_study

    spec = load_study(path)
    return (f"stress study {spec.name!r}: {len(spec.policies)} policies on {spec.futures:,} "
            f"futures ({spec.sampler}), {len(spec.uncertainties)} uncertainties, "
            f"{len(spec.outcomes)} outcomes")


def _check_targets(path: Path) -> str:
    from chenzhou_water.calibration.targets import load_targets

    targets = load_targets(path)
    return f"{len(targets)} calibration targets on {len(targets.variables)} model variables"


def _check_parameters(path: Path) -> str:
    from chenzhou_water.calibration.parameters import load_parameters

    parameters = load_parameters(path)
    return f"{len(parameters)} free parameters with bounds and priors"


#: The kinds, most specific first; the scenario (no distinctive key) last.
FILE_KINDS: tuple[FileKind, ...] = (
    FileKind("calibration targets file", _has("targets"), _check_targets),
    FileKind("stress study file", _has("policies", "futures"), _check_study),
    FileKind("sensitivity-analysis file", _has("method"), _check_sensitivity),
    FileKind("sweep file", _has("members", "sampler"), _check_sweep),
    FileKind("calibration parameters file", _only_parameters, _check_parameters),
    FileKind("scenario file", _always, _check_scenario),
)


def detect_kind(path: str | Path) -> tuple[FileKind, str]:
    """The kind of the YAML file at ``path`` and why (read under the safe YAML limits).

    Raises
    ------
    ValidationError
        If the file cannot be read as YAML.
    """
    data = load_yaml(path, str(path)).data
    mapping = data if isinstance(data, Mapping) else {}
    for kind in FILE_KINDS[:-1]:
        reason = kind.detect(mapping)
        if reason is not None:
            return kind, reason
    return FILE_KINDS[-1], "no key of another kind of file"


def validate_file(path: str | Path) -> Validated:
    """Recognise an input file's kind by its keys and check it by that kind's rules.

    Returns
    -------
    Validated

    Raises
    ------
    FileKindError
        With every problem, each located, and the kind the file was checked as.
    ValidationError
        If the file cannot be read as YAML at all.
    """
    path = Path(path)
    kind, reason = detect_kind(path)
    try:
        summary = kind.check(path)
    except ValidationError as exc:
        raise FileKindError(kind.name, reason, exc.problems) from None
    return Validated(path, kind.name, summary)
