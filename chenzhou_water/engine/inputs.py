"""Check and normalise what a run is given: names, parameter values, series, lookup tables.

Everything here is validation at the edge of the kernel: values come in as floats, arrays,
pandas Series or ``(x, y)`` pairs and leave as arrays of the shapes the kernel expects.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from chenzhou_water._typing import FloatArray
from chenzhou_water.engine.ir import ModelIR
from chenzhou_water.errors import ModelError
from chenzhou_water.model.metadata import py_name


@dataclass
class RunInputs:
    """Normalised inputs of one run (before splitting into chunks of members).

    Attributes
    ----------
    params : dict
        Constant name → float or array ``(1 | N, *dims)``.
    member_params : set
        Constants given one value per member.
    series : dict
        Node name → array ``(T,)`` (shared) or ``(T, N)`` (one series per member).
    lookups : dict
        Lookup name → ``(x, y)``: x of shape ``(k,)``, y of shape ``(k,)`` (one table) or
        ``(N, k)`` (one table per member).
    """

    params: dict[str, Any] = field(default_factory=dict)
    member_params: set[str] = field(default_factory=set)
    series: dict[str, FloatArray] = field(default_factory=dict)
    lookups: dict[str, tuple[FloatArray, FloatArray]] = field(default_factory=dict)

    @property
    def member_series(self) -> set[str]:
        return {k for k, v in self.series.items() if v.ndim == 2}

    @property
    def member_lookups(self) -> set[str]:
        return {k for k, (_, y) in self.lookups.items() if y.ndim == 2}


def resolve_name(ir: ModelIR, name: str, kinds: Iterable[str] | None = None,
                 what: str = "variable") -> str:
    """The node name of a Vensim or normalised name.

    Raises
    ------
    ModelError
        If no public node of the given kinds has that name; the message lists the nearest.
    """
    allowed = kinds if kinds is None else set(kinds)
    valid = [n for n, node in ir.nodes.items()
             if node.public and (allowed is None or node.kind in allowed)]
    key = py_name(str(name))
    if key in valid:
        return key
    close = difflib.get_close_matches(key, valid, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ModelError(f"{ir.file_name}: unknown {what} '{name}'{hint}")


def _constant(ir: ModelIR, name: str, value: Any, n: int) -> tuple[Any, bool]:
    shape = ir.shape(ir.nodes[name].dims)
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return float(arr), False
    if arr.shape == shape:
        return arr[None, ...], False
    if arr.shape == (n, *shape):
        return arr, True
    raise ModelError(
        f"{ir.file_name}: parameter '{name}' has shape {arr.shape}; expected a number, "
        f"{shape or '()'} or one value per member {(n, *shape)}"
    )


def series_on_grid(ir: ModelIR, name: str, value: Any, times: FloatArray, n: int) -> FloatArray:
    """A series as an array ``(T,)`` or ``(T, n)`` on the time grid.

    A pandas Series indexed by model time is interpolated linearly (held at its ends), as
    PySD does with ``params={name: series}``.
    """
    if isinstance(value, pd.Series):
        x = np.asarray(value.index, dtype=float)
        return np.interp(times, x, np.asarray(value.values, dtype=float))
    arr = np.asarray(value, dtype=float)
    t = len(times)
    if arr.ndim == 0:
        return np.full(t, float(arr))
    if arr.shape == (t,):
        return arr
    if arr.shape == (n, t):
        return np.ascontiguousarray(arr.T)
    raise ModelError(
        f"{ir.file_name}: series '{name}' has shape {arr.shape}; expected ({t},) on the time "
        f"grid or ({n}, {t}) with one series per member, or a pandas Series indexed by time"
    )


def _table(ir: ModelIR, name: str, value: Any, n: int) -> tuple[FloatArray, FloatArray]:
    """``(x, y)`` sorted by x; y is ``(k,)`` (shared) or ``(n, k)`` (one row per member)."""
    if isinstance(value, pd.Series):
        x, y = np.asarray(value.index, dtype=float), np.asarray(value.values, dtype=float)
    else:
        try:
            x, y = (np.asarray(v, dtype=float) for v in value)
        except (TypeError, ValueError) as exc:
            raise ModelError(
                f"{ir.file_name}: lookup '{name}' must be given as (x, y) or a pandas Series"
            ) from exc
    k = x.shape[0] if x.ndim == 1 else "k"
    if x.ndim != 1 or len(x) == 0 or y.shape not in ((k,), (n, k)):
        raise ModelError(
            f"{ir.file_name}: lookup '{name}' has x of shape {x.shape} and y of shape "
            f"{y.shape}; expected x of shape (k,) with k >= 1 and y of shape (k,) (one table) "
            f"or ({n}, k) (one table per member), here k = {k}"
        )
    order = np.argsort(x, kind="stable")
    if y.ndim == 2:
        return x[order], (y[0, order] if n == 1 else np.ascontiguousarray(y[:, order]))
    return x[order], y[order]


def normalise(ir: ModelIR, params: Mapping[str, Any] | None, series: Mapping[str, Any] | None,
              times: FloatArray, n: int) -> RunInputs:
    """Check names and shapes of a run's inputs (see :class:`RunInputs`)."""
    inputs = RunInputs()
    for key, value in (params or {}).items():
        name = resolve_name(ir, key, ("constant", "lookup", "auxiliary", "stateful", "data"),
                            "parameter")
        kind = ir.nodes[name].kind
        if kind == "lookup":
            inputs.lookups[name] = _table(ir, name, value, n)
        elif kind == "constant" and not isinstance(value, pd.Series):
            inputs.params[name], per_member = _constant(ir, name, value, n)
            if per_member:
                inputs.member_params.add(name)
        else:
            inputs.series[name] = _override(ir, name, value, times, n)
    for key, value in (series or {}).items():
        name = resolve_name(ir, key, ("constant", "auxiliary", "stateful", "data"), "series")
        inputs.series[name] = _override(ir, name, value, times, n)
    return inputs


def _override(ir: ModelIR, name: str, value: Any, times: FloatArray, n: int) -> FloatArray:
    if ir.nodes[name].dims:
        raise ModelError(f"{ir.file_name}: '{name}' is subscripted; series replace "
                         "unsubscripted variables only")
    arr = value if isinstance(value, pd.Series) else np.asarray(value, dtype=float)
    if not isinstance(arr, pd.Series) and arr.shape == (n,) and n != len(times):
        return np.ascontiguousarray(np.broadcast_to(arr, (len(times), n)))
    return series_on_grid(ir, name, arr, times, n)


def default_params(ir: ModelIR) -> dict[str, Any]:
    """The model's own constant values, shaped for the kernel."""
    out: dict[str, Any] = {}
    for name, node in ir.nodes.items():
        if node.kind == "constant":
            out[name] = (float(node.value) if not node.dims
                         else np.asarray(node.value, dtype=float)[None, ...])
    return out


def default_lookups(ir: ModelIR) -> dict[str, tuple[FloatArray, FloatArray]]:
    """The model's own lookup tables."""
    return {name: (np.asarray(node.value[0], dtype=float), np.asarray(node.value[1], dtype=float))
            for name, node in ir.nodes.items() if node.kind == "lookup"}
