"""The ``parameters`` section of an SA file: which constants vary, and over what.

``all`` takes every scalar constant whose declared ``[min, max]`` is finite and wider than one
value; a list takes each named constant over its declared range; a mapping takes for each
constant ``range`` / ``null`` (declared range), ``[low, high]`` or any sweep distribution.
"""

from __future__ import annotations

from typing import Any

from chenzhou_water.model.metadata import ModelInfo, Variable
from chenzhou_water.schema.checker import Checker, YamlPath, what_is
from chenzhou_water.schema.model_rules import resolve_constant
from chenzhou_water.sweep.distributions import Distribution, parse_distribution, parse_range

__all__ = ["declared_ranges", "parse_parameters"]

_WHAT = "'all', a list of model constants, or a mapping of constant to range or distribution"


def declared_ranges(info: ModelInfo) -> list[Variable]:
    """The scalar constants with a finite, non-degenerate declared range, in model order."""
    out = []
    for var in info.variables.values():
        lo, hi = var.limits
        if var.kind == "constant" and not var.subscripts and lo is not None and hi is not None \
                and lo < hi:
            out.append(var)
    return out


def parse_parameters(
    checker: Checker, raw: Any, info: ModelInfo | None
) -> tuple[tuple[str, Distribution], ...]:
    """The varied constants and their distributions (invalid entries left out)."""
    path: YamlPath = ("parameters",)
    if raw == "all":
        if info is None:
            return ()
        return tuple((v.py_name, Distribution("uniform", (float(v.limits[0]),
                                                          float(v.limits[1]))))
                     for v in declared_ranges(info))
    if isinstance(raw, list):
        entries = [((*path, i), name, "range") for i, name in enumerate(raw)]
    elif isinstance(raw, dict):
        entries = [((*path, name), name, body) for name, body in raw.items()]
    else:
        checker.error(path, f"expected {_WHAT}, got {what_is(raw)}")
        return ()
    before = len(checker.problems)
    out: dict[str, Distribution] = {}
    for where, name, body in entries:
        distribution = _one(checker, where, name, body, info, out)
        if distribution is not None:
            out[distribution[0]] = distribution[1]
    if info is not None and len(out) < 2 and len(checker.problems) == before:
        checker.error(path, f"give at least two parameters (got {len(out)}): a sensitivity "
                      "ranking compares parameters")
    return tuple(out.items())


def _one(
    checker: Checker,
    where: YamlPath,
    name: Any,
    body: Any,
    info: ModelInfo | None,
    seen: dict[str, Distribution],
) -> tuple[str, Distribution] | None:
    if info is None:
        return None
    var = resolve_constant(checker, where, name, info)
    if var is None:
        return None
    if var.py_name in seen:
        checker.error(where, f"{var.py_name!r} is given twice")
        return None
    if body is None:
        body = "range"
    if isinstance(body, list):  # [low, high]: the sweep's {range: [low, high]}, written shorter
        distribution = parse_range(checker, where, body, var.limits)
    else:
        distribution = parse_distribution(checker, where, body, var)
    return None if distribution is None else (var.py_name, distribution)
