"""Subscript ranges: which dimension a variable has, and how a reference selects from it.

Dimension names are normalised (``py_name``); element names keep their spelling (they become
coordinate labels) but are matched case-insensitively. A token is the text between brackets in
an equation: a dimension, a dimension followed by ``!`` (an axis a SUM/PROD/VMIN/VMAX runs
over), a sub-range or an element.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chenzhou_water.errors import UnsupportedConstructError
from chenzhou_water.model.metadata import py_name

Fail = Callable[[str], UnsupportedConstructError]
Index = tuple[Any, ...]


@dataclass(frozen=True)
class Subscripts:
    """The subscript ranges of a model.

    Attributes
    ----------
    ranges : dict
        Normalised range name → element names (as spelled), in declaration order.
    """

    ranges: dict[str, tuple[str, ...]]
    #: Subscript mappings (``city: c1, c2 -> plant``): range → the ranges it maps onto,
    #: element by element in order.
    mappings: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_ranges(cls, abstract_ranges: Any, file_name: str) -> Subscripts:
        """Read PySD's ``AbstractSubscriptRange`` list."""
        ranges: dict[str, tuple[str, ...]] = {}
        mappings: dict[str, tuple[str, ...]] = {}
        for rng in abstract_ranges:
            copy = isinstance(rng.subscripts, str) and py_name(rng.subscripts) in ranges
            if not (copy or isinstance(rng.subscripts, list)):
                raise UnsupportedConstructError(
                    f"{file_name}: subscript range '{rng.name}': GET definitions of subscript "
                    "ranges are not supported by the ensemble engine"
                )
            # a copy (new <-> old) is a range of its own with the same elements
            name = py_name(rng.name)
            ranges[name] = (ranges[py_name(rng.subscripts)] if copy
                            else tuple(str(s) for s in rng.subscripts))
            targets = [] if copy else list(rng.mapping or [])
            for target in targets:
                key = py_name(target) if isinstance(target, str) else None
                if key not in ranges or len(ranges[key]) != len(ranges[name]):
                    raise UnsupportedConstructError(
                        f"{file_name}: subscript range '{rng.name}': a mapping onto "
                        f"{target!r} (only onto a whole range of as many elements) is not "
                        "supported by the ensemble engine"
                    )
            if targets:
                mappings[name] = tuple(py_name(t) for t in targets)
        return cls(ranges, mappings)

    def maps(self, source: str, target: str) -> bool:
        """True if range ``source`` is mapped onto range ``target``."""
        return py_name(target) in self.mappings.get(py_name(source.rstrip("!")), ())

    def shape(self, dims: tuple[str, ...]) -> tuple[int, ...]:
        """Shape of an array over ``dims`` (member axis excluded)."""
        return tuple(len(self.ranges[d.rstrip("!")]) for d in dims)

    def elements(self, token: str) -> tuple[str, ...] | None:
        """The normalised elements a token covers, or None if it names nothing."""
        key = py_name(token.rstrip("!"))
        if key in self.ranges:
            return tuple(py_name(e) for e in self.ranges[key])
        for elements in self.ranges.values():
            if key in (py_name(e) for e in elements):
                return (key,)
        return None

    def is_range(self, token: str) -> bool:
        """True if the token names a range (or sub-range), not an element."""
        return py_name(token.rstrip("!")) in self.ranges

    def main_range(self, name: str) -> str:
        """The range whose positions number ``name``'s elements: the last range declared that
        contains them all and is not a strict part of another range (as PySD numbers them)."""
        key = py_name(name)
        covered = set(self.elements(key) or ())
        mains = [r for r, els in self.ranges.items()
                 if not any(set(map(py_name, els)) < set(map(py_name, other))
                            for other in self.ranges.values())]
        found = [r for r in mains if covered <= {py_name(e) for e in self.ranges[r]}]
        return found[-1] if found else key

    def as_value(self, name: str) -> tuple[Any, tuple[str, ...]] | None:
        """A subscript used as a value: its 1-based position(s) in its main range.

        A range gives the positions of its elements over its own dimension; an element gives
        one number. None when ``name`` is no subscript.
        """
        key = py_name(name)
        elements = self.elements(key)
        if elements is None:
            return None
        main = [py_name(e) for e in self.ranges[self.main_range(key)]]
        positions = [float(main.index(e) + 1) for e in elements]
        if self.is_range(key):
            return np.array(positions), (key,)
        return positions[0], ()

    def except_mask(self, dims: tuple[str, ...], exclude: tuple[tuple[str, ...], ...],
                    fail: Fail) -> np.ndarray:
        """Where a component over whole ``dims`` applies, given its ``:EXCEPT:`` lists."""
        mask = np.ones(self.shape(dims), dtype=bool)
        for tokens in exclude:
            if len(tokens) != len(dims):
                raise fail(f"an EXCEPT list {list(tokens)} of the wrong length")
            index = []
            for dim, token in zip(dims, tokens, strict=True):
                members = {py_name(e) for e in self.ranges[dim]}
                if self.maps(token, dim) and not set(self.elements(token) or ()) <= members:
                    # a mapped range stands for the whole of dim in a reference, not here
                    raise fail(f"an EXCEPT list naming '{token}', a range mapped onto '{dim}' "
                               f"(it must name elements or sub-ranges of '{dim}')")
                pos = self.positions(dim, token, fail)
                index.append([pos] if isinstance(pos, int) else list(pos))
            mask[np.ix_(*index)] = False
        return mask

    def variable_dims(self, targets: list[tuple[str, ...]], fail: Fail) -> tuple[str, ...]:
        """The dimensions of a variable defined by components with these targets."""
        if not targets or not targets[0]:
            return ()
        if any(len(t) != len(targets[0]) for t in targets):
            raise fail("components with different numbers of subscripts")
        dims = []
        for position in range(len(targets[0])):
            tokens = [t[position] for t in targets]
            dims.append(self._dimension_of(tokens, fail))
        return tuple(dims)

    def _dimension_of(self, tokens: list[str], fail: Fail) -> str:
        covered: set[str] = set()
        for token in tokens:
            elements = self.elements(token)
            if elements is None:
                raise fail(f"the unknown subscript '{token}'")
            covered.update(elements)
        candidates = [
            name for name, elements in self.ranges.items()
            if covered <= {py_name(e) for e in elements}
        ]
        if not candidates:
            raise fail(f"subscripts {tokens} that no single range contains")
        named = [py_name(t) for t in tokens if py_name(t) in candidates]
        candidates.sort(key=lambda n: (len(self.ranges[n]), n not in named))
        return candidates[0]

    def positions(self, dim: str, token: str, fail: Fail) -> tuple[int, ...] | int:
        """Positions of a token's elements in ``dim``: an int for an element, else a tuple."""
        members = [py_name(e) for e in self.ranges[dim]]
        if self.maps(token, dim):  # a mapped range selects the whole of dim, in order
            return tuple(range(len(members)))
        elements = self.elements(token)
        if elements is None or any(e not in members for e in elements):
            raise fail(f"the subscript '{token}' used on dimension '{dim}' (subscript mapping)")
        if not self.is_range(token):
            return members.index(elements[0])
        return tuple(members.index(e) for e in elements)

    def target_index(self, dims: tuple[str, ...], target: tuple[str, ...],
                     fail: Fail | None = None) -> tuple[Index, tuple[str, ...]]:
        """Numpy index (member axis excluded) and dimensions of a component's target."""
        fail = fail or (lambda what: UnsupportedConstructError(what))
        index: list[Any] = []
        expr_dims: list[str] = []
        for dim, token in zip(dims, target, strict=True):
            pos = self.positions(dim, token, fail)
            if isinstance(pos, int):
                index.append(pos)
                continue
            index.append(_as_slice(pos))
            expr_dims.append(py_name(token))
        return tuple(index), tuple(expr_dims)

    def selection(self, dims: tuple[str, ...], tokens: tuple[str, ...] | None,
                  fail: Fail) -> tuple[Index, tuple[str, ...]]:
        """Index and resulting axis names of a reference ``var[tokens]`` to a variable."""
        if tokens is None:
            return tuple(slice(None) for _ in dims), dims
        if len(tokens) != len(dims):
            raise fail(f"a reference with {len(tokens)} subscripts to a variable with {len(dims)}")
        index: list[Any] = []
        axes: list[str] = []
        for dim, token in zip(dims, tokens, strict=True):
            pos = self.positions(dim, token, fail)
            if isinstance(pos, int):
                index.append(pos)
                continue
            index.append(_as_slice(pos))
            axes.append(py_name(token.rstrip("!")) + ("!" if token.endswith("!") else ""))
        return tuple(index), tuple(axes)


def _as_slice(positions: tuple[int, ...]) -> Any:
    """A slice when positions are contiguous and increasing, else an index list."""
    if positions and all(b - a == 1 for a, b in itertools.pairwise(positions)):
        return slice(positions[0], positions[-1] + 1)
    return np.array(positions)
