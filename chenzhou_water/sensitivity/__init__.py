"""Global sensitivity analysis with SALib, evaluated in batch through the sweep's execution core.

- :mod:`.spec` reads and checks an SA file (:func:`load_sensitivity`);
- :mod:`.parameters` and :mod:`.output_spec` read what varies and what is analysed;
- :mod:`.methods` has one module per method family (Morris, Sobol', FAST, given-data), each
  with the same ``sample()`` and ``analyze()``;
- :mod:`.evaluate` runs the design as an ensemble (chunked, resumable, serial or on Dask);
- :mod:`.analysis` labels the indices, :mod:`.convergence` judges their intervals,
  :mod:`.plots` draws them;
- :mod:`.run` ties them together: :func:`run_sensitivity`.
"""

from __future__ import annotations

from chenzhou_water.sensitivity.convergence import ConvergenceReport
from chenzhou_water.sensitivity.methods import METHODS
from chenzhou_water.sensitivity.run import (
    SensitivityResult,
    ranking,
    run_sensitivity,
    summary_tables,
)
from chenzhou_water.sensitivity.spec import SensitivitySpec, load_sensitivity

__all__ = [
    "METHODS",
    "ConvergenceReport",
    "SensitivityResult",
    "SensitivitySpec",
    "load_sensitivity",
    "ranking",
    "run_sensitivity",
    "summary_tables",
]
