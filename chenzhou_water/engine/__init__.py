"""The vectorised ensemble engine: Vensim models compiled to numpy kernels over a member axis.

``compile_model(path)`` translates a model with PySD's parser into the engine's IR
(:mod:`.translate`), schedules it (:mod:`.plan`), generates a kernel (:mod:`.codegen`) and
returns a :class:`Model` whose :meth:`Model.run` simulates N members at once and reproduces
PySD's Euler integration.
"""

from __future__ import annotations

from chenzhou_water.engine.compiler import compile_model
from chenzhou_water.engine.model import Model

__all__ = ["Model", "compile_model"]
