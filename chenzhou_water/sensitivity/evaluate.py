"""Evaluation of an SA design through the sweep's execution core.

The design (one row of constant values per model run) becomes an
:class:`~chenzhou_water.sweep.execute.Ensemble` whose members are the rows
(:func:`~chenzhou_water.sweep.execute.matrix_sample`) and whose metrics are the SA file's
metrics and yearly values; :func:`~chenzhou_water.sweep.execute.run_ensemble` runs it serially
or on Dask, in chunks written with a manifest, so ``workers``, ``scheduler``, ``chunk_size`` and
``resume`` behave exactly as for a sweep, and the values do not depend on them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from chenzhou_water._typing import FloatArray
from chenzhou_water.execution import SERIAL, ExecutionOptions
from chenzhou_water.results import resolved_text
from chenzhou_water.sensitivity.spec import SensitivitySpec
from chenzhou_water.sweep.execute import (
    Ensemble,
    EnsembleProgress,
    EnsembleResult,
    matrix_sample,
    run_ensemble,
)
from chenzhou_water.sweep.metrics import Metric

__all__ = ["Evaluation", "evaluate_design"]


@dataclass(frozen=True)
class Evaluation:
    """The outputs of every run of the design.

    Attributes
    ----------
    values : dict of str to ndarray
        Metric name (a sweep metric, or ``<yearly output>_<year>``) -> shape ``(run,)``.
    run : EnsembleResult
        What the execution core did: the runs file ``OUT/<name>.nc``, chunks computed and
        resumed, executor, wall time.
    """

    values: dict[str, FloatArray]
    run: EnsembleResult


def all_metrics(spec: SensitivitySpec) -> tuple[Metric, ...]:
    """The SA file's metrics, then one metric per yearly output and year."""
    return (*spec.metrics, *(m for output in spec.yearly for m in output.metrics()))


def ensemble(spec: SensitivitySpec, design: FloatArray) -> Ensemble:
    """The ensemble whose member ``i`` runs row ``i`` of ``design`` (model units)."""
    digest = hashlib.sha256(np.ascontiguousarray(design, dtype=np.float64).tobytes())
    digest.update(spec.fingerprint().encode())
    resolved = resolved_text(spec.to_dict())
    return Ensemble(
        name=spec.name, scenario=spec.scenario, members=int(design.shape[0]),
        sample=matrix_sample(spec.names, design), fingerprint=digest.hexdigest(),
        metrics=all_metrics(spec),
        attrs={"sensitivity_method": spec.method, "sensitivity_resolved": resolved},
    )  # fmt: skip


def evaluate_design(
    spec: SensitivitySpec,
    design: FloatArray,
    out_dir: str | Path,
    options: ExecutionOptions = SERIAL,
    *,
    progress: Callable[[EnsembleProgress], None] | None = None,
) -> Evaluation:
    """Run every row of ``design`` and return the per-run metric values.

    Parameters
    ----------
    spec : SensitivitySpec
        The SA file.
    design : ndarray, shape (run, parameter)
        Constant values of each run, in the constants' units, columns in ``spec.names`` order.
    out_dir : str or Path
        Output folder: the runs go to ``OUT/<name>.chunks/`` and ``OUT/<name>.nc``.
    options, progress
        As for :func:`~chenzhou_water.sweep.execute.run_ensemble`.

    Raises
    ------
    SweepFolderError
        If the folder holds this analysis and ``resume`` is False, or another one.
    """
    ens = ensemble(spec, design)
    result = run_ensemble(ens, out_dir, options, progress=progress)
    with xr.open_dataset(result.path) as ds:
        table = ds["metrics"].transpose("member", "metric").values
        names = [str(n) for n in ds["metric"].values]
    return Evaluation({n: np.asarray(table[:, j], dtype=np.float64)
                       for j, n in enumerate(names)}, result)
