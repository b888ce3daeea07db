"""The sensitivity methods, one module per family, each a :class:`~.base.Method` with the same
``sample()`` and ``analyze()``; :data:`METHODS` finds them by the name used in SA files."""

from __future__ import annotations

from chenzhou_water.sensitivity.methods.base import COMMON_OPTIONS, Method, Option
from chenzhou_water.sensitivity.methods.fast import FAST, RBD_FAST
from chenzhou_water.sensitivity.methods.given_data import DELTA, PAWN
from chenzhou_water.sensitivity.methods.morris import MORRIS
from chenzhou_water.sensitivity.methods.sobol import SOBOL

METHODS: dict[str, Method] = {m.name: m for m in (MORRIS, SOBOL, FAST, RBD_FAST, DELTA, PAWN)}

__all__ = ["COMMON_OPTIONS", "METHODS", "Method", "Option"]
