"""The calibration from files to files: what ``chenzhou-water calibrate`` runs."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from chenzhou_water.calibration.fit import CalibrationResult, Progress, calibrate
from chenzhou_water.calibration.parameters import load_parameters
from chenzhou_water.calibration.targets import load_targets
from chenzhou_water.calibration.writing import CalibrationOutputs, write_calibration_outputs
from chenzhou_water.errors import ParameterNotConstrainedWarning
from chenzhou_water.scenario.spec import load_scenario

#: The CLI's default budget: about half a minute on two cores.
DEFAULT_BUDGET = {"popsize": 12, "maxiter": 150, "chains": 64, "steps": 400}


@dataclass(frozen=True)
class CalibrationRun:
    """A calibration and the files it wrote."""

    result: CalibrationResult
    outputs: CalibrationOutputs


def default_parameters_path(targets_path: str | Path) -> Path:
    """``parameters.yaml`` beside the targets file."""
    return Path(targets_path).parent / "parameters.yaml"


def run_calibration(targets_path: str | Path, scenario_path: str | Path, out_dir: str | Path,
                    *, parameters_path: str | Path | None = None, seed: int = 0,
                    popsize: int = DEFAULT_BUDGET["popsize"],
                    maxiter: int = DEFAULT_BUDGET["maxiter"],
                    chains: int = DEFAULT_BUDGET["chains"], steps: int = DEFAULT_BUDGET["steps"],
                    plots: bool = True, progress: Progress | None = None) -> CalibrationRun:
    """Load the files, calibrate, and write ``out_dir/calibrated.yaml``, tables and plots.

    Every input file is checked before anything runs (all problems at once). The warnings
    about unconstrained parameters are kept in ``result.warnings`` (and the report) rather
    than issued again here.
    """
    parameters_path = (default_parameters_path(targets_path) if parameters_path is None
                       else Path(parameters_path))
    scenario = load_scenario(scenario_path)
    targets = load_targets(targets_path, model=scenario.model_path)
    parameters = load_parameters(parameters_path, model=scenario.model_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ParameterNotConstrainedWarning)
        result = calibrate(targets, parameters, scenario, seed=seed, popsize=popsize,
                           maxiter=maxiter, chains=chains, steps=steps, progress=progress)
    command = (f"chenzhou-water calibrate {_shown(targets_path)} --scenario "
               f"{_shown(scenario_path)} --parameters {_shown(parameters_path)} --seed {seed} "
               f"--popsize {popsize} --maxiter {maxiter} --chains {chains} --steps {steps}")
    outputs = write_calibration_outputs(result, out_dir, command=command, plots=plots)
    return CalibrationRun(result, outputs)


def _shown(path: str | Path) -> str:
    """A path as it may be written into a file: relative, never this machine's absolute path."""
    path = Path(path)
    if not path.is_absolute():
        return path.as_posix()
    try:
        return Path(os.path.relpath(path)).as_posix() if Path.cwd() in path.parents else path.name
    except ValueError:
        return path.name
