"""Calibration of the model to the figures Chenzhou reported (targets file + free parameters).

::

    from chenzhou_water.calibration import calibrate, load_parameters, load_targets
    targets = load_targets("calibration/targets.yaml")
    parameters = load_parameters("calibration/parameters.yaml")
    result = calibrate(targets, parameters, scenario, seed=0)
    result.fit            # reported against simulated, one row per target
    result.uncertainty    # posterior against prior, one row per parameter

Modules: :mod:`.targets` and :mod:`.parameters` read and check the files, :mod:`.expressions`
evaluates a target's arithmetic safely, :mod:`.objective` scores a population of parameter
vectors in one engine pass, :mod:`.fit` runs differential evolution, a polish and
:mod:`.uncertainty` (random-walk Metropolis), :mod:`.report`, :mod:`.plots` and
:mod:`.writing` turn the result into tables, text, pictures and files.
"""

from __future__ import annotations

from chenzhou_water.calibration.fit import CalibrationResult, build_objective, calibrate
from chenzhou_water.calibration.objective import Evaluation, Objective, evaluate_targets
from chenzhou_water.calibration.parameters import FreeParameter, ParameterSet, load_parameters
from chenzhou_water.calibration.report import Conflict, fit_table, format_report
from chenzhou_water.calibration.targets import REDUCTIONS, Target, TargetSet, load_targets
from chenzhou_water.calibration.writing import (
    CalibrationOutputs,
    overlay_text,
    write_calibration_outputs,
)

__all__ = [
    "REDUCTIONS",
    "CalibrationOutputs",
    "CalibrationResult",
    "Conflict",
    "Evaluation",
    "FreeParameter",
    "Objective",
    "ParameterSet",
    "Target",
    "TargetSet",
    "build_objective",
    "calibrate",
    "evaluate_targets",
    "fit_table",
    "format_report",
    "load_parameters",
    "load_targets",
    "overlay_text",
    "write_calibration_outputs",
]
