"""The scenario file: its schema, the ``extends`` chain, and validation against the model.

A scenario is a YAML file (read with the safe loader)::

    name: leakage-push            # required unless inherited; letters, digits, _ and -
    description: Faster leakage reduction after 2025.   # or {zh: 2025年后加快降漏, en: ...}
    extends: baseline.yaml        # optional; relative to this file; chains allowed
    model: ../models/chenzhou_water.mdl   # optional; relative to this file
    parameters:                   # model constant -> number
      leakage rate initial: 0.21  # Vensim or normalised spelling
    levers:                       # model lookup -> {year: value}
      leakage_target: {2015: 0.2, 2025: 0.12, 2035: 0.09}
    outputs: [reservoir_storage, leakage_rate]   # default: DEFAULT_OUTPUTS
    inflow_file: inflows/designed_drought.csv    # optional; relative to this file

Format rules
------------
- Top-level keys are exactly those above; ``name`` must be given in the file or inherited.
- ``name`` and ``description`` are one string or ``{zh: ..., en: ...}`` (both languages); the
  English name is the identifier that names output files, the Chinese one is shown on Chinese
  pages.
- ``model`` defaults to the project's model (:func:`default_model_path`). In a chain, the nearest
  file that names a model wins, and *every* file of the chain is checked against that model.
- ``parameters``: each key is a scalar model constant; each value a finite number (not a YAML
  boolean, not ``.nan``/``.inf``) inside the constant's declared ``[min, max]`` range.
- ``levers``: each key is a model lookup; each value a mapping of year to value. The table
  replaces the lookup's points. Years are numbers (int or float, decimal years: 2015.0 is
  January 2015) inside the lookup's declared x range, values are numbers inside its declared y
  range; undeclared ranges are not checked. One point means a constant (lookups hold their end
  values outside their points); an empty table is an error. Points are stored sorted by year.
- ``outputs``: a non-empty list of distinct model variable names (constants, stocks,
  auxiliaries or data; not lookups or control variables). Omitted: :data:`DEFAULT_OUTPUTS`,
  which must then all exist in the model.
- ``inflow_file``: a CSV table of the reservoir's monthly natural inflow (header
  ``year,month,inflow_m3``; m³ in the month; every month of the run exactly once) that replaces
  the model's ``reservoir inflow`` in both engines: an observed or designed series. Read and
  checked with :func:`chenzhou_water.schema.monthly_table.read_monthly_table` (each problem with
  the CSV file and line). Since the file replaces the inflow whole, the chain must leave the
  inflow levers (``inflow multiplier schedule``, ``climate runoff multiplier``) at 1.
- ``extends``: the child overrides its parent: ``parameters`` merged by key, ``levers`` merged
  by lever (a lever's table is replaced whole), ``outputs`` replaced if given, ``name``,
  ``description``, ``model`` and ``inflow_file`` from the nearest file that gives them. Missing
  files and circular chains are errors.
- Numbers follow YAML 1.2 (``1e9`` is a number). Duplicate keys are errors, as are two
  spellings of one model name in the same mapping.

Every problem of every file in the chain is collected and raised in one
:class:`~chenzhou_water.errors.ValidationError` before anything runs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import chenzhou_water
from chenzhou_water.errors import ChenzhouWaterError, ModelError, Problem, ValidationError
from chenzhou_water.model.contract import DEFAULT_OUTPUTS as _CONTRACT_DEFAULT_OUTPUTS
from chenzhou_water.model.metadata import ModelInfo, model_info, py_name
from chenzhou_water.schema.checker import Checker, YamlDocument, load_yaml, raise_problems, what_is
from chenzhou_water.schema.model_rules import (
    LeverTable,
    check_levers,
    check_outputs,
    check_parameters,
)
from chenzhou_water.schema.monthly_table import read_monthly_table

__all__ = [
    "DEFAULT_OUTPUTS",
    "TOP_LEVEL_KEYS",
    "Scenario",
    "default_model_path",
    "load_scenario",
    "scenario_from_mapping",
    "validate_scenario",
]

#: The variables kept when a scenario does not list ``outputs``: what the results contract needs.
DEFAULT_OUTPUTS: list[str] = list(_CONTRACT_DEFAULT_OUTPUTS)

TOP_LEVEL_KEYS = ("name", "description", "extends", "model", "parameters", "levers", "outputs",
                  "inflow_file")  # fmt: skip

#: The model variable an ``inflow_file`` replaces, and the table's value column (m³ per month).
INFLOW_VARIABLE = "reservoir_inflow"
INFLOW_COLUMN = "inflow_m3"
#: Lookups that shape the model's own inflow; an inflow file replaces that inflow whole.
INFLOW_LEVERS = ("inflow_multiplier_schedule", "climate_runoff_multiplier")

NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]+")
_NAME_RULE = "use only ASCII letters, digits, '_' and '-' (it names output files)"


class FrozenMapping(Mapping[str, Any]):
    """A read-only, hashable, picklable mapping (``MappingProxyType`` does not pickle)."""

    def __init__(self, data: Mapping[str, Any]):
        self._data = dict(data)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __repr__(self) -> str:
        return repr(self._data)


def default_model_path() -> Path:
    """The project's model, ``models/chenzhou_water.mdl`` next to the package."""
    return Path(chenzhou_water.__file__).resolve().parents[1] / "models" / "chenzhou_water.mdl"


@dataclass(frozen=True)
class Scenario:
    """A resolved, validated scenario.

    Attributes
    ----------
    name : str
        Short identifier used in output file names (the English name).
    description : str
        Free text in English, or the one text given ("" if none was given).
    path : Path
        The scenario file that was loaded (resolved).
    model_path : Path
        The Vensim model the scenario runs (resolved).
    parameters : Mapping[str, float]
        Normalised constant name → value, in the constant's units.
    levers : Mapping[str, tuple]
        Normalised lookup name → ``(years, values)``, sorted by year.
    outputs : tuple of str
        Normalised names of the variables to keep.
    files : tuple of Path
        The ``extends`` chain, resolved: the loaded file first, its root ancestor last.
    inflow_file : Path or None
        The reservoir inflow table (resolved), if the chain names one.
    inflow : tuple of float or None
        Its values, m³/month, one per month of the run (first month first).
    name_zh, description_zh : str
        The Chinese name and description ("" when the file gives one text for both).
    """

    name: str
    description: str
    path: Path
    model_path: Path
    parameters: Mapping[str, float] = field(default_factory=dict)
    levers: Mapping[str, LeverTable] = field(default_factory=dict)
    outputs: tuple[str, ...] = ()
    files: tuple[Path, ...] = ()
    inflow_file: Path | None = None
    inflow: tuple[float, ...] | None = None
    name_zh: str = ""
    description_zh: str = ""

    def __post_init__(self) -> None:
        # Read-only copies, so a frozen Scenario cannot be changed through its mappings.
        object.__setattr__(self, "parameters", FrozenMapping(self.parameters))
        object.__setattr__(self, "levers", FrozenMapping(self.levers))

    def portable_dict(self) -> dict[str, Any]:
        """:meth:`to_dict` with the model named by file name only: what a result records as
        the scenario it ran, free of this machine's paths."""
        out = self.to_dict()
        out["model"] = Path(out["model"]).name
        if "inflow_file" in out:
            out["inflow_file"] = Path(out["inflow_file"]).name
        return out

    def to_dict(self) -> dict[str, Any]:
        """The resolved scenario as plain YAML-able data (for provenance).

        The result is itself a valid scenario: ``extends`` is resolved away, ``model`` is an
        absolute path, and years that are whole numbers are written as integers.
        """
        out: dict[str, Any] = {
            "name": {"zh": self.name_zh, "en": self.name} if self.name_zh else self.name,
            "description": ({"zh": self.description_zh, "en": self.description}
                            if self.description_zh else self.description),
            "model": str(self.model_path),
            "parameters": dict(self.parameters),
            "levers": {
                lever: {_plain_year(x): y for x, y in zip(*table, strict=True)}
                for lever, table in self.levers.items()
            },
            "outputs": list(self.outputs),
        }
        if self.inflow_file is not None:
            out["inflow_file"] = str(self.inflow_file)
        return out

    def with_overrides(
        self,
        parameters: Mapping[str, Any] | None = None,
        levers: Mapping[str, Any] | None = None,
    ) -> Scenario:
        """A new validated scenario with some parameters and levers replaced.

        Parameters
        ----------
        parameters : Mapping, optional
            Constant name → number; merged by key into this scenario's parameters.
        levers : Mapping, optional
            Lookup name → table, either ``{year: value}`` or ``(years, values)``; each given
            lever's table replaces the current one whole.

        Raises
        ------
        ValidationError
            With every problem found (file ``<overrides>``), checked by the same rules as a
            scenario file.
        """
        info = _read_model_info(self.model_path)
        given = {"parameters": dict(parameters or {}), "levers": _lever_mappings(levers or {})}
        checker = Checker(YamlDocument("<overrides>", given))
        new_parameters = check_parameters(checker, given["parameters"], info)
        new_levers = check_levers(checker, given["levers"], info)
        checker.raise_if_problems()
        return replace(
            self,
            parameters={**self.parameters, **new_parameters},
            levers={**self.levers, **new_levers},
        )


def _plain_year(x: float) -> float | int:
    return int(x) if float(x).is_integer() else float(x)


def _lever_mappings(levers: Mapping[str, Any]) -> dict[str, Any]:
    """Turn ``(years, values)`` pairs into ``{year: value}`` mappings (others pass through)."""
    return {name: _as_table(table) for name, table in levers.items()}


def _as_table(table: Any) -> Any:
    if isinstance(table, list | tuple) and len(table) == 2:
        years, values = table
        if all(hasattr(t, "__len__") and not isinstance(t, str | Mapping) for t in table) and len(
            years
        ) == len(values):
            return dict(zip(years, values, strict=True))
    return table


def _read_model_info(path: Path) -> ModelInfo:
    try:
        return model_info(path)
    except ModelError as exc:
        raise ValidationError([Problem(str(path), "", str(exc))]) from exc


# --- loading ---------------------------------------------------------------------------------


@dataclass
class _Layer:
    """What one file of the chain says, after checks that need no model."""

    path: Path
    checker: Checker
    data: dict[str, Any]
    model: Path | None = None
    model_problem: bool = False
    parameters: dict[str, float] = field(default_factory=dict)
    levers: dict[str, LeverTable] = field(default_factory=dict)
    outputs: tuple[str, ...] | None = None
    inflow_file: Path | None = None
    inflow: tuple[float, ...] | None = None
    table_problems: list[Problem] = field(default_factory=list)
    #: ``name`` and ``description`` as ``{"en": ..., "zh": ...}`` (None where invalid).
    texts: dict[str, dict[str, str] | None] = field(default_factory=dict)


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file, resolve its ``extends`` chain and validate it against the model.

    Parameters
    ----------
    path : str or Path
        The scenario file.

    Returns
    -------
    Scenario
        The resolved scenario.

    Raises
    ------
    ValidationError
        With every problem of every file in the chain, each with file, line and YAML path.
    """
    return _resolve(*_read_chain(Path(path)), str(path))


def scenario_from_mapping(
    data: Mapping[str, Any], *, source: str, relative_to: str | Path
) -> Scenario:
    """Validate a scenario given as a mapping (scenario file keys) instead of a file.

    Parameters
    ----------
    data : mapping
        What a scenario file would hold; ``extends`` and ``model`` are relative to
        ``relative_to``.
    source : str
        Where the mapping comes from, shown in place of a file name in messages.
    relative_to : str or Path
        The folder that relative ``extends`` and ``model`` paths start from.

    Raises
    ------
    ValidationError
        As :func:`load_scenario` (without line numbers for the mapping itself).
    """
    document = YamlDocument(file=source, data=dict(data))
    return _resolve(*_read_chain(Path(relative_to) / f"{source}.yaml", document), source)


def _resolve(layers: list[_Layer], problems: list[Problem], shown: str) -> Scenario:
    """Check a read chain against its model, merge it, and raise every problem found."""
    info = _chain_model(layers, problems)
    for layer in layers:
        _check_sections(layer, info)
    for layer in layers:
        problems.extend(sorted(layer.checker.problems, key=lambda p: p.line or 0))
        problems.extend(layer.table_problems)
    scenario = _merge(layers, info, problems)
    raise_problems(problems)
    if scenario is None:  # every path that yields no scenario records a problem first
        raise ChenzhouWaterError(f"{shown}: scenario could not be resolved")
    return scenario


def validate_scenario(path: str | Path) -> Scenario:
    """Validate a scenario file (the ``validate`` command); same as :func:`load_scenario`."""
    return load_scenario(path)


def _read_chain(
    path: Path, first: YamlDocument | None = None
) -> tuple[list[_Layer], list[Problem]]:
    """Read the file (or take ``first``, standing for it) and its ``extends`` ancestors, child
    first; report missing files and cycles."""
    layers: list[_Layer] = []
    problems: list[Problem] = []
    display = str(path)
    while True:
        try:
            document = first if first is not None else load_yaml(path, display)
        except ValidationError as exc:
            problems.extend(exc.problems)
            break
        first = None
        layer = _check_structure(path, Checker(document))
        layers.append(layer)
        extends = layer.data.get("extends")
        if not isinstance(extends, str) or not extends.strip():
            break
        parent = path.parent / extends
        seen = [lay.path.resolve() for lay in layers]
        if parent.resolve() in seen:
            start = seen.index(parent.resolve())
            chain = [lay.checker.file for lay in layers[start:]]
            text = " -> ".join([*chain, layers[start].checker.file])
            layer.checker.error(("extends",), f"circular extends: {text}")
            break
        if not parent.is_file():
            layer.checker.error(("extends",), f"{extends!r}: file not found (looked for {parent})")
            break
        path, display = parent, os.path.normpath(Path(layer.checker.file).parent / extends)
    return layers, problems


def _check_structure(path: Path, checker: Checker) -> _Layer:
    """Check the top level and the scalar keys of one file."""
    data = checker.document.data
    if data is None and not checker.document.problems:
        checker.error((), "the file is empty (or only comments); a scenario needs at least "
                      "'name', or 'extends' naming a scenario that has one")
        return _Layer(path=path, checker=checker, data={})
    if data is None:
        data = {}
    elif not isinstance(data, Mapping):
        checker.error(
            (), f"expected a mapping of scenario keys at the top level, got {what_is(data)}"
        )
        data = {}
    data = dict(data)
    checker.keys((), data, TOP_LEVEL_KEYS)
    layer = _Layer(path=path, checker=checker, data=data)
    for key in ("name", "description"):
        if key in data:
            text = (checker.bilingual((key,), data[key], NAME_PATTERN, _NAME_RULE) if key == "name"
                    else checker.bilingual((key,), data[key]))
            layer.texts[key] = text
    if "extends" in data:
        checker.string(("extends",), data["extends"])
    if "model" in data:
        model = checker.string(("model",), data["model"])
        layer.model_problem = model is None
        if model is not None:
            layer.model = path.parent / model
            if not layer.model.is_file():
                checker.error(
                    ("model",), f"{model!r}: model file not found (looked for {layer.model})"
                )
                layer.model_problem = True
    if "inflow_file" in data:
        given = checker.string(("inflow_file",), data["inflow_file"])
        if given is not None:
            layer.inflow_file = path.parent / given
            if not layer.inflow_file.is_file():
                checker.error(("inflow_file",), f"{given!r}: inflow table not found (looked "
                              f"for {layer.inflow_file}); give a CSV path relative to this file")
                layer.inflow_file = None
    return layer


def _chain_model(layers: list[_Layer], problems: list[Problem]) -> ModelInfo | None:
    """The model of the nearest file that names one (or the default), read once."""
    for layer in layers:
        if "model" in layer.data:
            if layer.model_problem or layer.model is None:
                return None
            try:
                return model_info(layer.model)
            except ModelError as exc:
                layer.checker.error(("model",), str(exc))
                return None
    if not layers:
        return None
    default = default_model_path()
    if not default.is_file():
        where = layers[0].checker.file
        msg = f"no 'model' given and the project's model is missing (looked for {default})"
        problems.append(Problem(where, "model", msg))
        return None
    try:
        return model_info(default)
    except ModelError as exc:
        problems.append(Problem(layers[0].checker.file, "model", str(exc)))
        return None


def _check_sections(layer: _Layer, info: ModelInfo | None) -> None:
    """Check ``parameters``, ``levers`` and ``outputs`` of one file against the model."""
    checker, data = layer.checker, layer.data
    if "parameters" in data:
        given = checker.mapping(
            ("parameters",), data["parameters"], "a mapping of model constant to number"
        )
        layer.parameters = check_parameters(checker, given or {}, info)
    if "levers" in data:
        given = checker.mapping(
            ("levers",), data["levers"], "a mapping of model lookup to {year: value} table"
        )
        layer.levers = check_levers(checker, given or {}, info)
    if "outputs" in data:
        given_list = checker.sequence(("outputs",), data["outputs"], "a list of variable names")
        if given_list is not None:
            layer.outputs = check_outputs(checker, ("outputs",), given_list, info)
    if layer.inflow_file is not None and info is not None:
        _read_inflow_table(layer, layer.inflow_file, info)


def _read_inflow_table(layer: _Layer, table_path: Path, info: ModelInfo) -> None:
    """Read the layer's inflow table on the model's monthly grid, its problems kept apart."""
    start = info.get("start_year")
    if info.time_step != 1 or start is None or start.value is None:
        layer.checker.error(("inflow_file",), "this model has no monthly time axis with a "
                            "'start year'; an inflow table cannot be placed on it")
        return
    shown = os.path.normpath(Path(layer.checker.file).parent / layer.data["inflow_file"])
    months = round((info.final_time - info.initial_time) / info.time_step) + 1
    table = read_monthly_table(table_path, shown, column=INFLOW_COLUMN,
                               unit="m³ of natural inflow in the month",
                               first_year=int(start.value), months=months)  # fmt: skip
    layer.table_problems.extend(table.problems)
    if not table.problems:
        layer.inflow = tuple(float(v) for v in table.values)


def _merge(
    layers: list[_Layer], info: ModelInfo | None, problems: list[Problem]
) -> Scenario | None:
    """Merge the chain root first; check what only the merged scenario can show."""
    if not layers:
        return None
    merged: dict[str, Any] = {"parameters": {}, "levers": {}, "outputs": None}
    inflow_layer: _Layer | None = None
    for layer in reversed(layers):
        if "inflow_file" in layer.data:
            inflow_layer = layer
        for key in ("name", "description"):
            if layer.texts.get(key) is not None:
                merged[key] = layer.texts[key]
        merged["parameters"].update(layer.parameters)
        merged["levers"].update(layer.levers)
        if layer.outputs is not None:
            merged["outputs"] = layer.outputs
    child = layers[0]
    empty = child.checker.document.data is None  # already reported as an empty file
    if not empty and not any("name" in layer.data for layer in layers):
        msg = "missing required key 'name' (give it here or in a file this one extends)"
        problems.append(Problem(child.checker.file, "name", msg, 1))
    outputs = merged["outputs"]
    given = any("outputs" in layer.data for layer in layers)  # if invalid, already reported
    if outputs is None and info is not None and not given:
        outputs = _default_outputs(child.checker.file, info, problems)
    if inflow_layer is not None:
        _inflow_levers_at_one(inflow_layer, merged["levers"], problems)
    if problems or info is None:
        return None
    name, description = merged["name"], merged.get("description", {"en": "", "zh": ""})
    return Scenario(
        name=name["en"],
        description=description["en"],
        name_zh=name["zh"] if name["zh"] != name["en"] else "",
        description_zh=description["zh"] if description["zh"] != description["en"] else "",
        path=child.path.resolve(),
        model_path=info.path.resolve(),
        parameters=merged["parameters"],
        levers=merged["levers"],
        outputs=tuple(outputs),
        files=tuple(layer.path.resolve() for layer in layers),
        inflow_file=None if inflow_layer is None or inflow_layer.inflow_file is None
        else inflow_layer.inflow_file.resolve(),
        inflow=None if inflow_layer is None else inflow_layer.inflow,
    )


def _inflow_levers_at_one(
    layer: _Layer, levers: Mapping[str, LeverTable], problems: list[Problem]
) -> None:
    """An inflow file replaces the model's inflow whole: levers shaping that inflow would be
    silently ignored, so they must be absent or 1."""
    for name in INFLOW_LEVERS:
        if name in levers and any(float(y) != 1.0 for y in levers[name][1]):
            line = layer.checker.document.line(("inflow_file",))
            problems.append(Problem(
                layer.checker.file, "inflow_file",
                f"the inflow table replaces the model's reservoir inflow, so the lever {name!r} "
                "set in this scenario chain would have no effect; put that change into the "
                "table instead, or remove the lever", line,
            ))  # fmt: skip


def _default_outputs(file: str, info: ModelInfo, problems: list[Problem]) -> tuple[str, ...]:
    names = tuple(py_name(n) for n in DEFAULT_OUTPUTS)
    missing = [n for n in names if info.get(n) is None]
    if missing:
        msg = (
            f"no 'outputs' given, and the model lacks these default outputs: "
            f"{', '.join(missing)}; list the outputs explicitly"
        )
        problems.append(Problem(file, "outputs", msg))
    return names
