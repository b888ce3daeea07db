"""One explorer session: the starting scenario, the current settings, runs, saving and reports.

Nothing here knows about the web page. The model is compiled once (:func:`open_session`); each
change of the settings builds the scenario mapping a file would hold, checks it with the
scenario loader's own checker (:func:`chenzhou_water.scenario.spec.scenario_from_mapping`), and
runs only the compiled kernel. Files are written only into the session's save folder, under
names the session makes from the (checked) scenario name.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
import yaml

from chenzhou_water.engine import compile_model
from chenzhou_water.engine.model import Model
from chenzhou_water.errors import Problem, ValidationError
from chenzhou_water.files import atomic_path, write_netcdf
from chenzhou_water.hydrology.generator import generate_inflows
from chenzhou_water.model.contract import HEADLINE_INDICATORS, HEADLINE_YEARS
from chenzhou_water.scenario.run import run_scenario, scenario_params
from chenzhou_water.scenario.spec import (
    INFLOW_VARIABLE,
    Scenario,
    default_model_path,
    load_scenario,
    scenario_from_mapping,
)

#: The variables the explorer's plots and headline table read.
EXPLORER_OUTPUTS: tuple[str, ...] = tuple(dict.fromkeys((
    "reservoir_storage", "reservoir_level", "urban_water_demand", "urban_water_production",
    "unmet_demand", "leakage_rate", "reuse_rate", "dc_electricity_saved",
    "hydropower_generation", *(i.variable for i in HEADLINE_INDICATORS))))
ENSEMBLE_MEMBERS = 300
ENSEMBLE_SEED = 20261126
SOURCE = "explorer"


@dataclass(frozen=True)
class Run:
    """One run of the current settings: ``(member, month)`` arrays and the time it took.

    Attributes
    ----------
    values : mapping
        Variable name → array, shape (member, 432), in the model's units.
    years : ndarray
        Decimal calendar year of each saved month.
    seconds : float
        Wall time of the kernel run, s.
    """

    values: Mapping[str, np.ndarray]
    years: np.ndarray
    seconds: float

    @property
    def members(self) -> int:
        return next(iter(self.values.values())).shape[0]


@dataclass
class Session:
    """The state of one explorer: see :func:`open_session`."""

    start: Scenario
    model: Model
    save_dir: Path
    parameters: dict[str, float] = field(default_factory=dict)
    levers: dict[str, dict[float, float]] = field(default_factory=dict)
    current: Scenario | None = None

    def mapping(self, name: str | None = None) -> dict[str, Any]:
        """The current settings as a complete, self-contained scenario mapping."""
        base = self.start.to_dict()
        out: dict[str, Any] = {
            "name": name or f"{self.start.name}_explored",
            "description": f"Settings explored from {self.start.path.name}.",
            "parameters": {**base["parameters"], **self.parameters},
            "levers": {**base["levers"], **self.levers},
            "outputs": base["outputs"],
        }
        if self.start.model_path != default_model_path():
            out["model"] = _relative(self.start.model_path, self.save_dir)
        if self.start.inflow_file is not None:
            out["inflow_file"] = _relative(self.start.inflow_file, self.save_dir)
        return out

    def update(self, parameters: Mapping[str, Any] | None = None,
               levers: Mapping[str, Any] | None = None, name: str | None = None) -> Scenario:
        """Take new settings (a constant's value, a lever's ``{year: value}`` table) and check
        them with the scenario loader; on a problem nothing changes.

        Raises
        ------
        ValidationError
            With the loader's messages, located at ``explorer: parameters.<name>`` etc.
        """
        trial = Session(self.start, self.model, self.save_dir,
                        {**self.parameters, **(parameters or {})},
                        {**self.levers, **(levers or {})})
        scenario = scenario_from_mapping(trial.mapping(name), source=SOURCE,
                                         relative_to=self.save_dir)
        self.parameters, self.levers, self.current = trial.parameters, trial.levers, scenario
        return scenario

    def run(self, scenario: Scenario | None = None, members: int = 1) -> Run:
        """Run a scenario (default: the current settings) on the compiled kernel; with more
        than one member, over stochastic inflows from the hydrology generator."""
        scenario = scenario or self.current or self.start
        series = None
        if members > 1:
            series = {INFLOW_VARIABLE: generate_inflows(members, seed=ENSEMBLE_SEED)}
        elif scenario.inflow is not None:
            series = {INFLOW_VARIABLE: np.asarray(scenario.inflow, dtype=float)}
        began = time.perf_counter()
        arrays = self.model.run_arrays(scenario_params(scenario), members, series,
                                       return_columns=EXPLORER_OUTPUTS)
        seconds = time.perf_counter() - began
        times = arrays.pop("time")
        years = self.start_year + times / 12.0
        return Run(arrays, years, seconds)

    @property
    def start_year(self) -> float:
        return float(self.model.info.start_date[:4]) if self.model.info.start_date else 2015.0

    def save(self, name: str) -> Path:
        """Write the current settings as ``<name>.yaml`` into the save folder (checked first
        with the loader; the name must be a valid scenario name)."""
        scenario = self.update(name=name)
        target = self.save_dir / f"{scenario.name}.yaml"
        text = (f"# Saved by `chenzhou-water explore` from {self.start.path.name}.\n"
                + yaml.safe_dump(self.mapping(scenario.name), allow_unicode=True,
                                 sort_keys=False, width=100))
        with atomic_path(target) as tmp:
            tmp.write_text(text, encoding="utf-8")
        load_scenario(target)  # what `validate` does: a file that fails it is a bug here
        return target

    def report(self, name: str, lang: str = "en") -> Path:
        """The ``report`` command's page of the current settings against the starting
        scenario, as ``<name>_report.html`` in the save folder."""
        from chenzhou_water.report import write_report

        current = self.update(name=name)
        with tempfile.TemporaryDirectory(prefix=".explore-", dir=self.save_dir) as tmp:
            files = []
            for scenario in (self.start, current):
                ds = run_scenario(scenario)
                files.append(Path(tmp) / f"{scenario.name}.nc")
                write_netcdf(ds, files[-1])
            return write_report(files, self.save_dir / f"{current.name}_report.html", lang=lang)


def _relative(path: Path, folder: Path) -> str:
    try:
        return os.path.relpath(path, folder)
    except ValueError:  # another drive (Windows)
        return str(path)


def open_session(scenario: str | Path | None, save_dir: str | Path) -> Session:
    """Load the starting scenario (default: ``scenarios/baseline.yaml``), compile its model
    once and check the save folder.

    Raises
    ------
    ValidationError
        For an invalid scenario or a save folder that is not a writable folder.
    """
    save_dir = Path(save_dir).resolve()
    if not save_dir.is_dir() or not os.access(save_dir, os.W_OK):
        raise ValidationError([Problem(str(save_dir), "", "--save-dir must be an existing "
                                       "folder this user can write into")])
    if scenario is None:
        scenario = default_model_path().parents[1] / "scenarios" / "baseline.yaml"
    start = load_scenario(scenario)
    session = Session(start, compile_model(start.model_path), save_dir)
    session.current = start
    return session


def annual(values: np.ndarray, how: str) -> np.ndarray:
    """Monthly ``(member, 12 * years)`` values reduced to ``(member, years)``."""
    per_year = values.reshape(values.shape[0], -1, 12)
    return getattr(np, how)(per_year, axis=2)


def headline_rows(run: Run, start: Run, years: tuple[int, ...] = HEADLINE_YEARS,
                  lang: str = "en") -> list[dict[str, Any]]:
    """The headline table: every indicator in the headline years, current and starting values
    (the members' median)."""
    first = int(run.years[0])
    rows = []
    for indicator in HEADLINE_INDICATORS:
        row: dict[str, Any] = {
            "indicator": indicator.label_zh if lang == "zh" else indicator.label_en,
            "units": indicator.units}
        for label, result in (("", run), ("start ", start)):
            per_year = annual(result.values[indicator.variable], indicator.reduce)
            median = np.median(per_year, axis=0) * indicator.scale
            for year in years:
                row[f"{label}{year}"] = float(median[year - first])
        rows.append(row)
    return rows


def as_dataset(run: Run) -> xr.Dataset:
    """A run as a plain Dataset (for notebooks)."""
    return xr.Dataset({k: (("member", "year_decimal"), v) for k, v in run.values.items()},
                      coords={"year_decimal": run.years})
