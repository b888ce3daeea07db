"""The scenario-comparison report (``chenzhou-water report``) and attribution of differences.

- :func:`write_report` / :func:`build_report`: one self-contained HTML page comparing result
  files, in English or Chinese.
- :func:`attribute`: the difference in a headline indicator between two scenarios, split by
  input (one-at-a-time and exact Shapley values).
"""

from __future__ import annotations

from chenzhou_water.report.attribution import Attribution, attribute, shapley_values
from chenzhou_water.report.differences import InputDifference, differing_inputs
from chenzhou_water.report.page import build_report, write_report
from chenzhou_water.report.sources import ScenarioResult, load_result, scenario_of

__all__ = [
    "Attribution",
    "InputDifference",
    "ScenarioResult",
    "attribute",
    "build_report",
    "differing_inputs",
    "load_result",
    "scenario_of",
    "shapley_values",
    "write_report",
]
