"""Stochastic sweeps: ensembles of up to millions of members, chunked, resumable, distributed.

- :mod:`.spec` reads and checks a sweep file (:func:`load_sweep`);
- :mod:`.distributions`, :mod:`.levers` and :mod:`.samplers` turn its uncertain inputs into
  per-member values that depend only on the seed and the member's index;
- :mod:`.metrics` reduces each member's series to the numbers a planner compares;
- :mod:`.execute` (with :mod:`.chunk` and :mod:`.store`) runs any :class:`Ensemble` chunk by chunk,
  serially or on Dask as :class:`ExecutionOptions` say, and writes resumable chunk files
  and one combined NetCDF file;
- :mod:`.run` ties them together: :func:`run_sweep`.
"""

from __future__ import annotations

from chenzhou_water.execution import ExecutionOptions
from chenzhou_water.sweep.execute import (
    DEFAULT_CHUNK_SIZE,
    Ensemble,
    EnsembleProgress,
    EnsembleResult,
    MemberSample,
    SampleSource,
    matrix_sample,
    run_ensemble,
)
from chenzhou_water.sweep.metrics import METRICS, Metric
from chenzhou_water.sweep.run import SweepResult, ensemble_from_spec, run_sweep
from chenzhou_water.sweep.spec import SweepSpec, load_sweep
from chenzhou_water.sweep.store import SweepFolderError, open_sweep

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "METRICS",
    "Ensemble",
    "EnsembleProgress",
    "EnsembleResult",
    "ExecutionOptions",
    "MemberSample",
    "Metric",
    "SampleSource",
    "SweepFolderError",
    "SweepResult",
    "SweepSpec",
    "ensemble_from_spec",
    "load_sweep",
    "matrix_sample",
    "open_sweep",
    "run_ensemble",
    "run_sweep",
]
