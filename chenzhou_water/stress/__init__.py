"""Stress testing: policies across the same futures, robustness and scenario discovery.

- :mod:`.spec` reads a study file (:func:`load_study`): uncertainties (climate stressors,
  demand growth, model parameters), policies and outcomes, in the EMA Workbench's vocabulary;
- :mod:`.futures` samples the futures every policy runs (common random numbers);
- :mod:`.run` runs each policy on the sweep's ensemble runner and analyses the results
  (:func:`run_study`);
- :mod:`.robustness` (satisficing, regret, percentiles) and :mod:`.discovery` (PRIM boxes and
  feature scores, from the EMA Workbench) are the analyses; :mod:`.plots` and :mod:`.writing`
  make the files.
"""

from __future__ import annotations

from chenzhou_water.stress.run import StudyAnalysis, StudyResult, run_study
from chenzhou_water.stress.spec import StudySpec, load_study

__all__ = ["StudyAnalysis", "StudyResult", "StudySpec", "load_study", "run_study"]
