"""Uncertain levers: each member runs its own table of a model lookup.

In a sweep file (``levers:``), a lever is scaled (by one of a few factors or by a factor drawn
from a distribution) or chosen::

    levers:
      renewal_programme:
        scale: [0.5, 1.0, 1.5]           # multiples of the scenario's table, equally likely
      rack_target:
        scale: {triangular: {low: 0.6, mode: 1.0, high: 1.4}}   # a continuous factor
      metering_programme:
        choice:                           # named tables, as in a scenario's levers
          slow: {2015: 0, 2020: 5, 2050: 5}
          fast: {2015: 0, 2020: 20, 2050: 20}
        weights: [0.7, 0.3]               # optional, in the order written; default equal

A list of factors or a choice is a discrete uncertain input: the sampler's coordinate ``u``
picks alternative ``k`` where the cumulative weights first exceed ``u``; a chunk runs each
combination of alternatives as its own group of members (a handful of kernel passes).

A continuous scale is sampled like an uncertain constant: the factor of member ``i`` is the
distribution's inverse CDF at its coordinate, and member ``i`` runs the base table times that
factor, passed to the engine as one table per member (no extra pass). Every distribution of an
uncertain constant may be used; its bounds must lie in the factors that keep the table inside
the lookup's declared range (``range`` is uniform over those factors), and it takes no
``weights``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from chenzhou_water._typing import FloatArray, IntArray
from chenzhou_water.model.metadata import ModelInfo, Variable
from chenzhou_water.schema.checker import Checker, YamlPath, format_number, format_range, what_is
from chenzhou_water.schema.model_rules import (
    LeverTable,
    check_lever_table,
    lookup_ranges,
    resolve_lookup,
)
from chenzhou_water.sweep.distributions import Distribution, parse_bounded_distribution

__all__ = ["UncertainLever", "parse_lever"]

LEVER_KEYS = ("scale", "choice", "weights")
#: How messages name the scale factors that keep a lever's table inside its declared range.
FACTORS = "the factors the lookup's declared range allows"


@dataclass(frozen=True)
class UncertainLever:
    """One uncertain lookup and its alternative tables.

    Attributes
    ----------
    name : str
        The lookup's normalised name.
    labels : tuple of str
        A label per alternative (``x0.5`` for a scale factor, the table's name for a choice).
    tables : tuple of LeverTable
        ``(years, values)`` of each alternative.
    weights : tuple of float
        Probability of each alternative (they sum to 1).
    factors : tuple of float or None
        The scale factors, for a scaled lever.
    distribution : Distribution or None
        The scale factor's distribution, for a continuous lever; then ``tables`` holds the
        base table alone and ``labels`` and ``weights`` are empty.
    """

    name: str
    labels: tuple[str, ...]
    tables: tuple[LeverTable, ...]
    weights: tuple[float, ...]
    factors: tuple[float, ...] | None = None
    distribution: Distribution | None = None

    @property
    def continuous(self) -> bool:
        """Whether the lever's scale factor is drawn from a distribution."""
        return self.distribution is not None

    def scale(self, u: FloatArray) -> FloatArray:
        """The scale factor of each unit coordinate ``u`` (a continuous lever)."""
        if self.distribution is None:
            raise ValueError(f"lever {self.name!r} has no continuous scale")
        return self.distribution.ppf(u)

    def member_tables(self, factors: FloatArray) -> tuple[FloatArray, FloatArray]:
        """The base table scaled per member: x ``(k,)`` and y ``(members, k)``."""
        xs, ys = self.tables[0]
        y = np.asarray(factors, dtype=np.float64)[:, None] * np.asarray(ys, dtype=np.float64)
        return np.asarray(xs, dtype=np.float64), y

    def choose(self, u: FloatArray) -> IntArray:
        """The alternative of each unit coordinate ``u`` (array in [0, 1))."""
        edges = np.cumsum(self.weights)[:-1]
        return np.searchsorted(edges, u, side="right").astype(np.int64)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for provenance and fingerprints."""
        return {
            "labels": list(self.labels),
            "tables": [[list(x), list(y)] for x, y in self.tables],
            "weights": list(self.weights),
            "factors": None if self.factors is None else list(self.factors),
            "distribution": None if self.distribution is None else self.distribution.to_dict(),
        }


def parse_lever(
    checker: Checker,
    path: YamlPath,
    raw: Any,
    info: ModelInfo,
    base: Mapping[str, LeverTable],
) -> UncertainLever | None:
    """An uncertain lever from its YAML form; None (with problems recorded) if invalid.

    ``base`` holds the scenario's lever tables; a scaled lever without one scales the model's
    own table.
    """
    var = resolve_lookup(checker, path, path[-1], info)
    given = checker.mapping(path, raw, "a mapping with 'scale' or 'choice' (and 'weights')")
    if given is None or not checker.keys(path, given, LEVER_KEYS):
        return None
    if ("scale" in given) == ("choice" in given):
        checker.error(
            path,
            "give either 'scale' (a list of factors) or 'choice' (named "
            "tables), not both or neither",
        )
        return None
    if var is None:
        return None
    if "scale" in given and not isinstance(given["scale"], list):
        return _continuous(checker, path, given, var, base)
    if "scale" in given:
        table = base.get(var.py_name, (var.lookup_x, var.lookup_y))
        alternatives = _scaled(checker, (*path, "scale"), given["scale"], var, table)
    else:
        alternatives = _chosen(checker, (*path, "choice"), given["choice"], var)
    if alternatives is None:
        return None
    labels, tables, factors = alternatives
    weights = _weights(checker, (*path, "weights"), given.get("weights"), len(labels))
    if weights is None:
        return None
    return UncertainLever(var.py_name, labels, tables, weights, factors)


def _scaled(
    checker: Checker, path: YamlPath, raw: Any, var: Variable, table: LeverTable
) -> tuple[tuple[str, ...], tuple[LeverTable, ...], tuple[float, ...]] | None:
    factors = checker.sequence(path, raw, "a list of scale factors, e.g. [0.8, 1.0, 1.2]")
    if factors is None:
        return None
    if not factors:
        checker.error(path, "the list is empty; give at least one factor")
        return None
    (_, _), (y_lo, y_hi) = lookup_ranges(var)
    xs, ys = table
    out: list[float] = []
    for i, raw_factor in enumerate(factors):
        factor = checker.number((*path, i), raw_factor, "a scale factor (a number)")
        if factor is None or not checker.in_range((*path, i), factor, 0, None, "the valid range"):
            continue
        scaled = [factor * y for y in ys]
        low, high = min(scaled), max(scaled)
        if (y_lo is not None and low < y_lo) or (y_hi is not None and high > y_hi):
            checker.error(
                (*path, i),
                f"factor {format_number(factor)} takes the table to "
                f"[{low:.6g}, {high:.6g}], outside the "
                f"model's range {format_range(y_lo, y_hi)}",
            )
            continue
        out.append(factor)
    if len(out) < len(factors):
        return None
    labels = tuple(f"x{format_number(f)}" for f in out)
    tables = tuple((tuple(xs), tuple(f * y for y in ys)) for f in out)
    return labels, tables, tuple(out)


def _continuous(
    checker: Checker,
    path: YamlPath,
    given: dict[str, Any],
    var: Variable,
    base: Mapping[str, LeverTable],
) -> UncertainLever | None:
    """A lever scaled by a factor drawn from a distribution."""
    raw = given["scale"]
    ok = True
    if "weights" in given:
        checker.error(
            (*path, "weights"),
            "weights go with a list of factors or a choice; a continuous scale takes none "
            "(its distribution says how likely each factor is)",
        )
        ok = False
    if not isinstance(raw, dict) and raw != "range":
        checker.error(
            (*path, "scale"),
            f"expected a list of scale factors (e.g. [0.8, 1.0, 1.2]) or a distribution of the "
            f"factor (e.g. {{uniform: {{low: 0.5, high: 1.5}}}}), got {what_is(raw)}",
        )
        return None
    table = base.get(var.py_name, (var.lookup_x, var.lookup_y))
    (_, _), y_range = lookup_ranges(var)
    limits = factor_limits(table[1], y_range)
    distribution = parse_bounded_distribution(checker, (*path, "scale"), raw, limits, FACTORS)
    if distribution is None or not ok:
        return None
    table = (tuple(float(x) for x in table[0]), tuple(float(y) for y in table[1]))
    return UncertainLever(var.py_name, (), (table,), (), None, distribution)


def factor_limits(
    values: tuple[float, ...], y_range: tuple[float | None, float | None]
) -> tuple[float, float | None]:
    """The scale factors ``f >= 0`` keeping ``f * values`` inside ``y_range`` (None: open)."""
    y_lo, y_hi = y_range
    low, high = 0.0, np.inf
    for y in values:
        for bound, upper in ((y_lo, False), (y_hi, True)):
            if bound is None or y == 0:
                continue
            limit = bound / y
            if upper == (y > 0):  # f * y <= bound with y > 0, or f * y >= bound with y < 0
                high = min(high, limit)
            else:
                low = max(low, limit)
    return float(low), None if np.isinf(high) else float(high)


def _chosen(
    checker: Checker, path: YamlPath, raw: Any, var: Variable
) -> tuple[tuple[str, ...], tuple[LeverTable, ...], None] | None:
    given = checker.mapping(path, raw, "a mapping of alternative name to {year: value} table")
    if given is None:
        return None
    if not given:
        checker.error(path, "no alternatives; name at least one table")
        return None
    labels, tables = [], []
    for label, body in given.items():
        if checker.string((*path, label), label) is None:
            continue
        table = check_lever_table(checker, (*path, label), body, var)
        if table is not None:
            labels.append(str(label))
            tables.append(table)
    if len(tables) < len(given):
        return None
    return tuple(labels), tuple(tables), None


def _weights(checker: Checker, path: YamlPath, raw: Any, count: int) -> tuple[float, ...] | None:
    if raw is None:
        return (1.0 / count,) * count
    given = checker.sequence(path, raw, f"a list of {count} weights")
    if given is None:
        return None
    if len(given) != count:
        checker.error(path, f"expected {count} weights (one per alternative), got {len(given)}")
        return None
    values = [checker.number((*path, i), w, "a weight (a number)") for i, w in enumerate(given)]
    if any(v is None for v in values):
        return None
    ok = all(
        checker.in_range((*path, i), v, 0, None, "the valid range")  # type: ignore[arg-type]
        for i, v in enumerate(values)
    )
    total = sum(values)  # type: ignore[arg-type]
    if ok and total <= 0:
        checker.error(path, "the weights sum to 0; give at least one positive weight")
        return None
    return tuple(v / total for v in values) if ok else None  # type: ignore[operator]
