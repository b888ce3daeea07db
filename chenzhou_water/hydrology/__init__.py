"""Stochastic inflow to the Dongjiang reservoir: the generator
(:mod:`~chenzhou_water.hydrology.generator`), its configuration
(:mod:`~chenzhou_water.hydrology.config`) and its plots (:mod:`~chenzhou_water.hydrology.plots`).

Everything in the generator's ``__all__`` is importable from here.
"""

from __future__ import annotations

from chenzhou_water.hydrology.generator import *  # noqa: F403
from chenzhou_water.hydrology.generator import __all__  # noqa: F401
