"""chenzhou-water: a system-dynamics simulator of the water system of Chenzhou (郴州), Hunan.

The most used entry points are importable from here:

- :func:`compile_model` — compile a Vensim model into the vectorised ensemble engine;
- :func:`load_scenario` — read and validate a scenario file;
- :func:`run_scenario` — run a scenario and get an ``xarray.Dataset``.

They are imported on first use, so ``import chenzhou_water`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("chenzhou-water")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

_LAZY = {
    "compile_model": "chenzhou_water.engine",
    "load_scenario": "chenzhou_water.scenario",
    "run_scenario": "chenzhou_water.scenario.run",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'chenzhou_water' has no attribute {name!r}")
