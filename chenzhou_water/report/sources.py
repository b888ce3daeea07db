"""What a report reads: result files of ``chenzhou-water run`` and a calibration folder.

Each input is checked here, at the edge, so a wrong file gives one clear error naming it
before any page is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
import xarray as xr

from chenzhou_water.errors import Problem, ResultFileError, ValidationError
from chenzhou_water.files import unfinished_landing
from chenzhou_water.model.metadata import file_sha256
from chenzhou_water.scenario.spec import Scenario, default_model_path, scenario_from_mapping
from chenzhou_water.schema.checker import parse_yaml

#: Global attributes every result of ``chenzhou-water run`` carries and a report needs.
REQUIRED_ATTRS: tuple[str, ...] = ("scenario_name", "scenario_resolved", "model_sha256")
_NOT_A_RESULT = ("not a chenzhou-water result (give the .nc files `chenzhou-water run` or "
                 "`chenzhou-water sweep` writes)")

#: What a result file is: a scenario run, or a sweep (with or without monthly series).
ResultKind = Literal["run", "sweep"]


@dataclass(frozen=True)
class ScenarioResult:
    """One result file, loaded.

    Attributes
    ----------
    label : str
        The name shown in the report: the scenario name, made unique among the results.
    path : Path
        The file as given.
    dataset : xarray.Dataset
        Its monthly series, in memory, dims ``(member, time)`` (none for a metrics-only sweep).
    kind : {"run", "sweep"}
        A scenario run or a sweep (:func:`result_kind`).
    sweep : xarray.Dataset or None
        A sweep's per-member data: ``metrics`` (member, metric) and the sampled inputs.
    """

    label: str
    path: Path
    dataset: xr.Dataset
    kind: ResultKind = "run"
    sweep: xr.Dataset | None = None

    @property
    def has_series(self) -> bool:
        """Whether the file keeps monthly series (headline table, plots, attribution)."""
        return "time" in self.dataset.dims

    @property
    def members(self) -> int:
        """Number of ensemble members."""
        return int(self.dataset.sizes.get("member", 1))

    @property
    def resolved_yaml(self) -> str:
        """The resolved scenario the result was run from, as YAML text."""
        return str(self.dataset.attrs["scenario_resolved"])


def _problem(path: Path, message: str) -> ResultFileError:
    return ResultFileError([Problem(str(path), "", message)])


def load_result(path: str | Path, label: str | None = None) -> ScenarioResult:
    """Read and check one result file.

    Raises
    ------
    ResultFileError
        If the file is missing, is not NetCDF, or lacks what ``chenzhou-water run`` writes.
    """
    path = Path(path)
    if not path.is_file():
        raise _problem(path, "file not found" if not path.exists() else "not a file")
    if unfinished_landing(path) is not None:
        raise _problem(path, "the run that wrote this file was killed while moving its files "
                       "into place, so the files beside it may be an earlier run's; run the "
                       "scenario into this folder again, which finishes or replaces the set")
    try:
        with xr.open_dataset(path) as opened:
            ds = opened.load()
    except (OSError, ValueError, RuntimeError, TypeError) as exc:
        raise _problem(path, f"cannot be read as NetCDF ({type(exc).__name__}); "
                       + _NOT_A_RESULT) from exc
    missing = [a for a in REQUIRED_ATTRS if a not in ds.attrs]
    if missing:
        raise _problem(path, f"{_NOT_A_RESULT}: attributes {', '.join(missing)} are missing")
    kind = result_kind(ds)
    series = [name for name, da in ds.data_vars.items() if set(da.dims) == {"member", "time"}]
    sweep = _sweep_part(path, ds) if kind == "sweep" else None
    if not series and sweep is None:
        raise _problem(path, f"{_NOT_A_RESULT}: expected variables with dims (member, time), "
                       f"found dims {tuple(ds.dims)}")
    monthly = ds[series]
    if series and not pd.api.types.is_datetime64_any_dtype(monthly["time"].dtype):
        raise _problem(path, f"{_NOT_A_RESULT}: 'time' is not a calendar coordinate")
    name = ds.attrs.get("ensemble_name") or ds.attrs["scenario_name"]
    return ScenarioResult(label or str(name), path, monthly, kind, sweep)


def result_kind(ds: xr.Dataset) -> ResultKind:
    """The one place deciding what a result file is (a stress study would add its kind here).

    A sweep's file records its resolved sweep (``sweep_resolved``); a run's does not.
    """
    return "sweep" if "sweep_resolved" in ds.attrs else "run"


def _sweep_part(path: Path, ds: xr.Dataset) -> xr.Dataset | None:
    """A sweep's per-member metrics and sampled inputs (None if it has neither)."""
    per_member = [name for name, da in ds.data_vars.items() if da.dims
                  and da.dims[0] == "member" and "time" not in da.dims]
    if not per_member:
        return None
    part = ds[per_member]
    if "metrics" in part and ("metric" not in part.coords or "metric_units" not in part.coords):
        raise _problem(path, f"{_NOT_A_RESULT}: 'metrics' lacks its metric names and units")
    return part


def load_results(paths: Sequence[str | Path]) -> tuple[ScenarioResult, ...]:
    """Read several result files; labels made unique (``name (file stem)`` when names repeat).

    Raises
    ------
    ResultFileError
        With a problem for every file that cannot be used (all files are checked).
    """
    if not paths:
        raise ResultFileError([Problem("RESULT", "", "give at least one result file")])
    loaded: list[ScenarioResult] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            loaded.append(load_result(path))
        except ResultFileError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ResultFileError(problems)
    names = [r.label for r in loaded]
    return tuple(
        ScenarioResult(f"{r.label} ({r.path.stem})", r.path, r.dataset) if names.count(r.label) > 1
        else r
        for r in loaded
    )


def sampled_inputs(result: ScenarioResult) -> tuple[str, ...] | None:
    """For an ensemble's result (a sweep's): the parameters and levers its members sample, as
    its recorded sweep file names them (read under the YAML limits, names shortened); None for
    a single scenario run. An ensemble whose sweep file is not recorded gives ``()``."""
    attrs = result.dataset.attrs
    if "ensemble_name" not in attrs:
        return None
    try:
        data = parse_yaml(str(attrs.get("sweep_resolved", "")),
                          f"{result.path.name}:sweep_resolved").data
    except ValidationError:
        data = None
    sections = [data.get(key) for key in ("parameters", "levers")] if isinstance(data, dict) \
        else []
    return tuple(_short(str(name)) for section in sections if isinstance(section, dict)
                 for name in section)


def _short(name: str, limit: int = 60) -> str:
    first = (name.splitlines() or [""])[0]
    return first if len(first) <= limit else first[:limit - 3] + "..."


def year_span(result: ScenarioResult) -> tuple[int, int] | None:
    """The first and last calendar year a result covers (None for a result without monthly
    series, such as a metrics-only sweep: its metrics name their own periods)."""
    if "time" not in result.dataset.variables:
        return None
    years = result.dataset["time"].dt.year
    return int(years.min()), int(years.max())


def scenario_of(result: ScenarioResult) -> Scenario:
    """The scenario a result was run from, reloaded and validated from its resolved YAML.

    The resolved scenario names its model by file name only; it is run with the project's
    model of that name.

    Raises
    ------
    ResultFileError
        If the YAML cannot be read, the model is not the project's, or the scenario no longer
        validates against the model.
    """
    # A result file is untrusted input: its recorded scenario is read under the same limits as
    # any input file, and may not name other files (a resolved scenario never extends one).
    try:
        data = parse_yaml(result.resolved_yaml, f"{result.path.name}:scenario_resolved").data
    except ValidationError as exc:
        raise _problem(result.path, "scenario_resolved: " + "; ".join(
            p.message for p in exc.problems)) from exc
    if not isinstance(data, dict):
        raise _problem(result.path, "scenario_resolved is not a scenario mapping")
    if "extends" in data:
        raise _problem(result.path, "scenario_resolved names a file to extend; a recorded "
                       "scenario is complete and extends nothing")
    model = default_model_path()
    named = Path(str(data.get("model", model.name))).name
    if named != model.name:
        raise _problem(result.path, f"the result was run with model {named!r}; only the "
                       f"project's model {model.name!r} can be rerun")
    data["model"] = str(model)
    try:
        return scenario_from_mapping(data, source=f"{result.path.name}:scenario_resolved",
                                     relative_to=model.parent)
    except ValidationError as exc:
        details = "; ".join(p.message if not p.where else f"{p.where}: {p.message}"
                            for p in exc.problems)
        raise _problem(result.path, f"its scenario no longer validates: {details}") from exc


def current_model_sha() -> str:
    """SHA-256 of the project's model file as it is now."""
    return file_sha256(default_model_path())


@dataclass(frozen=True)
class CalibrationFit:
    """The table of a calibration folder's ``fit.csv`` (columns as written, stripped)."""

    file: Path
    table: pd.DataFrame


#: Column names (lower case) that say whether a target is met.
WITHIN_COLUMNS = ("within_tolerance", "within tolerance", "within", "ok", "met")


def read_calibration(folder: str | Path) -> CalibrationFit:
    """Read ``fit.csv`` of a folder written by ``chenzhou-water calibrate``.

    Any columns are accepted; a column saying whether a target is within tolerance is
    turned into booleans.

    Raises
    ------
    ResultFileError
        If the folder or its ``fit.csv`` is missing or the CSV cannot be read.
    """
    folder = Path(folder)
    fit = folder / "fit.csv"
    if not folder.is_dir():
        raise _problem(folder, "calibration folder not found")
    if not fit.is_file():
        raise _problem(fit, "file not found (write it with `chenzhou-water calibrate`)")
    try:
        table = pd.read_csv(fit, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise _problem(fit, f"cannot be read as CSV: {exc}") from exc
    table.columns = [str(c).strip() for c in table.columns]
    for column in table.columns:
        if column.lower() in WITHIN_COLUMNS:
            table[column] = table[column].map(_truthy)
    return CalibrationFit(fit, table)


def _truthy(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "y", "1.0"):
        return True
    if text in ("false", "0", "no", "n", "0.0"):
        return False
    return None
