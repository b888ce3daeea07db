"""A scenario: its file (:mod:`~chenzhou_water.scenario.spec`), its run on either engine
(:mod:`~chenzhou_water.scenario.run`, :mod:`~chenzhou_water.scenario.reference`) and its plots.

``load_scenario``, ``scenario_from_mapping``, ``validate_scenario``, ``Scenario`` and
``default_model_path`` are importable from here; ``run_scenario`` too, imported on first use so
reading a scenario stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from chenzhou_water.scenario.spec import (
    Scenario,
    default_model_path,
    load_scenario,
    scenario_from_mapping,
    validate_scenario,
)

_LAZY = {"run_scenario": "chenzhou_water.scenario.run"}

__all__ = [
    "Scenario",
    "default_model_path",
    "load_scenario",
    "run_scenario",
    "scenario_from_mapping",
    "validate_scenario",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'chenzhou_water.scenario' has no attribute {name!r}")
