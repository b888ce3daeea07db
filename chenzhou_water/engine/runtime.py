"""Helpers the generated kernels call: stateful chains, lookups and array shaping.

Each helper reproduces the arithmetic of the corresponding PySD object in
``pysd.py_backend.statefuls`` (same operations in the same order) over a member axis.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chenzhou_water._typing import FloatArray
from chenzhou_water.errors import ModelError

SMALL_VENSIM = 1e-6


def col(value: Any, naxes: int) -> FloatArray:
    """A scalar or per-member value shaped to broadcast against ``(member, *naxes axes)``."""
    return np.reshape(value, (-1,) + (1,) * naxes)


def interp(x: Any, table: tuple[FloatArray, FloatArray]) -> Any:
    """Vensim lookup: linear interpolation, held constant beyond the table ends."""
    return np.interp(x, table[0], table[1])


def tables(flat: tuple[Any, ...], shape: tuple[int, ...]) -> np.ndarray:
    """The tables of a subscripted lookup as an object array over its dimensions."""
    out = np.empty(len(flat), dtype=object)
    out[:] = [tuple(t) for t in flat]
    return out.reshape(shape)


def interp_each(x: Any, table_array: Any) -> FloatArray:
    """Each element's own lookup at ``x`` (shape ``(1 | n, *dims)`` with dims those of the
    selected tables, or a scalar)."""
    if not isinstance(table_array, np.ndarray):  # one element selected: a single table
        return interp(x, table_array)
    x = np.asarray(x, dtype=float)
    shape = table_array.shape
    x = np.broadcast_to(x.reshape(x.shape + (1,) * (1 + len(shape) - x.ndim)) if x.ndim
                        else x, (x.shape[0] if x.ndim else 1, *shape))
    out = np.empty(x.shape)
    for index in np.ndindex(*shape):
        out[(slice(None), *index)] = interp(x[(slice(None), *index)], table_array[index])
    return out


class MemberTable:
    """A lookup with one table per member, sharing its x: ``y`` of shape ``(member, k)``.

    The slopes are computed once, as ``np.interp`` computes them, so that each member's value
    is the one ``np.interp`` gives with that member's table.
    """

    def __init__(self, table: tuple[FloatArray, FloatArray]):
        x, y = table
        self.x = np.asarray(x, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self.members = self.y.shape[0]
        if len(self.x) > 1:
            self.slopes = np.diff(self.y, axis=1) / np.diff(self.x)
        else:  # one point: a constant, like np.interp
            self.slopes = np.zeros((self.members, 1))
            self.x = np.repeat(self.x, 2)
            self.y = np.repeat(self.y, 2, axis=1)


def interp_members(x: Any, table: MemberTable) -> FloatArray:
    """Vensim lookup of each member's own table at ``x`` (shape ``()`` or ``(1 | n, *dims)``).

    Same arithmetic as ``np.interp`` per member: ``slope * (x - x[j]) + y[j]`` on the segment
    ``x[j] <= x < x[j + 1]``, the end values at and beyond the ends. Returns ``(n, *dims)``.
    """
    n, xp = table.members, table.x
    x = np.asarray(x, dtype=float)
    if x.ndim:
        x = np.broadcast_to(x, (n, *x.shape[1:]))
    j = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, len(xp) - 2)
    if x.ndim:
        flat = j.reshape(n, -1)
        y0 = np.take_along_axis(table.y, flat, axis=1).reshape(x.shape)
        slope = np.take_along_axis(table.slopes, flat, axis=1).reshape(x.shape)
    else:
        y0, slope = table.y[:, j], table.slopes[:, j]
    out = slope * (x - xp[j]) + y0
    naxes = out.ndim - 1
    below, above = x < xp[0], x >= xp[-1]
    if np.any(below):
        np.copyto(out, col(table.y[:, 0], naxes), where=below)
    if np.any(above):
        np.copyto(out, col(table.y[:, -1], naxes), where=above)
    return out


def full(n: int | str, shape: tuple[int, ...], value: Any) -> FloatArray:
    """A new array of shape ``(n, *shape)`` filled with ``value`` (broadcast)."""
    out = np.empty((int(n), *shape))
    out[...] = value
    return out


def chain(order: int, n: int, shape: tuple[int, ...], value: Any) -> FloatArray:
    """The state of an ``order``-stage chain, every stage starting at ``value``."""
    out = np.empty((order, n, *shape))
    out[...] = value
    return out


def store_constant(out: FloatArray, value: Any) -> None:
    """Fill a time-major output array ``(time, member, *dims)`` with a time-invariant value:
    a number, one value per member ``(member, *dims)``, or one shared by all ``(1, *dims)``."""
    out[...] = np.asarray(value, dtype=float)


def smooth_ddt(state: FloatArray, value: Any, smooth_time: Any, order: int,
               out: FloatArray, dt: float) -> None:
    """Increment of a SMOOTH chain over one step, written into ``out``.

    PySD: ``(roll(state) with input at [0] - state) * order / smooth_time``, times dt.
    """
    out[0] = value
    out[1:] = state[:-1]
    np.subtract(out, state, out=out)
    np.multiply(out, order, out=out)
    np.divide(out, smooth_time, out=out)
    np.multiply(out, dt, out=out)


def _per_member_min(value: Any, n: int) -> FloatArray:
    v = np.asarray(value, dtype=float)
    if v.ndim == 0:
        return np.full(n, float(v))
    flat = v.reshape(v.shape[0], -1).min(axis=1)
    return np.broadcast_to(flat, (n,)) if flat.shape[0] == 1 else flat


def delay_init(order: int, dt: float, delay_time: Any, initial: Any, n: int,
               shape: tuple[int, ...]) -> tuple[FloatArray, int]:
    """Initial state of a DELAY1/DELAY3 chain and its order.

    Unlike PySD, the order is kept even where ``order * dt`` exceeds the delay time: Vensim
    lowers the order of ``DELAY N`` only (see :class:`DelayN`), never of DELAY1/DELAY3.
    """
    del dt  # kept in the signature: DELAY N's order depends on it, DELAY1/DELAY3's does not
    return chain(order, n, shape, np.multiply(initial, delay_time)), order


def member_orders(order: Any, n: int, name: str) -> FloatArray:
    """The integer order of each member (``int()`` of the value, as PySD casts it)."""
    value = np.asarray(order, dtype=float)
    if value.ndim:
        flat = value.reshape(value.shape[0], -1)
        if not np.all(flat == flat[:, :1]):
            raise ModelError(f"{name}: the order must be the same for every subscript element")
        value = flat[:, 0]
    orders = np.broadcast_to(np.trunc(value).astype(np.int64), (n,)).copy()
    if np.any(orders < 1):
        raise ModelError(f"{name}: the order must be at least 1, got {order!r}")
    return orders


def _orders_or_int(orders: FloatArray) -> Any:
    return int(orders[0]) if np.all(orders == orders[0]) else orders


def _stage_mask(out: FloatArray, order: Any) -> None:
    """Multiply each member's stages by its order; zero the stages beyond it."""
    if isinstance(order, int):
        np.multiply(out, order, out=out)
        return
    per_member = order.reshape((1, -1) + (1,) * (out.ndim - 2))
    np.multiply(out, per_member, out=out)
    stage = np.arange(out.shape[0]).reshape((-1,) + (1,) * (out.ndim - 1))
    np.multiply(out, stage < per_member, out=out)


class DelayN:
    """DELAY N: PySD's ``DelayN``, a chain whose stages carry the delay time they entered with.

    The order is evaluated once, at initialisation, and lowered (per member) while
    ``order * dt`` exceeds the smallest delay time, as Vensim and PySD do for DELAY N. The
    output is ``state[order - 1] / times[0]``.
    """

    def __init__(self, order: Any, dt: float, delay_time: Any, initial: Any, n: int,
                 shape: tuple[int, ...], name: str):
        orders = member_orders(order, n, name)
        minimum = _per_member_min(delay_time, n)
        while np.any(too_high := orders * dt > minimum):
            orders[too_high] -= 1
        if np.any(orders < 1):
            raise ModelError(f"{name}: the delay time is shorter than TIME STEP")
        stages = int(orders.max())
        self.order = _orders_or_int(orders)
        self.state = chain(stages, n, shape, np.multiply(initial, delay_time))
        self.times = chain(stages, n, shape, delay_time)
        self.delta = np.zeros_like(self.state)

    def value(self) -> FloatArray:
        return last_stage(self.state, self.order) / self.times[0]

    def ddt(self, value: Any, delay_time: Any, dt: float) -> None:
        """This step's increment (kept until :meth:`commit`)."""
        self.times = np.roll(self.times, 1, axis=0)
        self.times[0] = delay_time
        outflows = self.state / self.times
        out = self.delta
        out[0] = value
        out[1:] = outflows[:-1]
        np.subtract(out, outflows, out=out)
        _stage_mask(out, self.order)
        np.multiply(out, dt, out=out)

    def commit(self) -> None:
        np.add(self.state, self.delta, out=self.state)


class SmoothN:
    """SMOOTH N with an order given by an expression (evaluated once, at initialisation)."""

    def __init__(self, order: Any, initial: Any, n: int, shape: tuple[int, ...], name: str):
        orders = member_orders(order, n, name)
        self.order = _orders_or_int(orders)
        self.state = chain(int(orders.max()), n, shape, initial)
        self.delta = np.zeros_like(self.state)

    def value(self) -> FloatArray:
        return last_stage(self.state, self.order)

    def ddt(self, value: Any, smooth_time: Any, dt: float) -> None:
        out = self.delta
        out[0] = value
        out[1:] = self.state[:-1]
        np.subtract(out, self.state, out=out)
        _stage_mask(out, self.order)
        np.divide(out, smooth_time, out=out)
        np.multiply(out, dt, out=out)

    def commit(self) -> None:
        np.add(self.state, self.delta, out=self.state)


def last_stage(state: FloatArray, order: Any) -> FloatArray:
    """The last stage of each member's chain (``state[order - 1]``)."""
    if isinstance(order, int):
        return state[-1]
    return state[order - 1, np.arange(state.shape[1])]


def delay_ddt(state: FloatArray, value: Any, delay_time: Any, order: Any,
              out: FloatArray, dt: float) -> None:
    """Increment of a DELAY chain over one step, written into ``out``.

    PySD: outflows = state / delay_time; inflows = roll(outflows) with input at [0];
    ``(inflows - outflows) * order``, times dt. Stages beyond a member's order stay put.
    """
    outflows = np.divide(state, delay_time)
    out[0] = value
    out[1:] = outflows[:-1]
    np.subtract(out, outflows, out=out)
    _stage_mask(out, order)
    np.multiply(out, dt, out=out)


class DelayFixed:
    """DELAY FIXED: a ring buffer of ``round(max(delay_time/dt, 1))`` slots per member.

    The number of slots is fixed at initialisation, like PySD's; members may differ.
    """

    def __init__(self, initial: Any, delay_time: Any, dt: float, n: int,
                 shape: tuple[int, ...], name: str):
        dtime = np.asarray(delay_time, dtype=float)
        if dtime.ndim > 1:
            # a scalar delay time aligned to the variable's subscripts: one value per member
            flat = dtime.reshape(dtime.shape[0], -1)
            if not np.all(flat == flat[:, :1]):
                raise ModelError(f"{name}: DELAY FIXED needs one delay time per member (the "
                                 "same for every subscript element), as in PySD")
            dtime = flat[:, 0]
        elif dtime.ndim == 1 and shape:
            raise ModelError(f"{name}: DELAY FIXED needs one delay time per member")
        slots = np.round(np.maximum(dtime / dt, 1.0) + SMALL_VENSIM).astype(np.int64)
        slots = np.broadcast_to(slots.reshape(-1), (n,)) if slots.ndim else np.full(n, slots)
        self.uniform = bool(np.all(slots == slots[0]))
        self.slots = int(slots[0]) if self.uniform else slots
        self.pipe = chain(int(slots.max()), n, shape, initial)
        self.members = np.arange(n)
        self.pointer: Any = 0 if self.uniform else np.zeros(n, dtype=np.int64)

    def value(self) -> FloatArray:
        """The current output (a copy: the ring buffer is overwritten by :meth:`push`)."""
        if self.uniform:
            return self.pipe[self.pointer].copy()
        return self.pipe[self.pointer, self.members]

    def push(self, value: Any) -> None:
        """Store this step's input and advance the pointer."""
        if self.uniform:
            self.pipe[self.pointer] = value
        else:
            target = np.broadcast_to(value, self.pipe.shape[1:])
            self.pipe[self.pointer, self.members] = target
        self.pointer = (self.pointer + 1) % self.slots


# ---- random functions ---------------------------------------------------------------------
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(z: FloatArray) -> FloatArray:
    """SplitMix64's finaliser on uint64 arrays (wrapping arithmetic)."""
    z = z + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def uniform01(stream: tuple[int, int], n: int, site: float, t: float, seed: Any) -> FloatArray:
    """One draw in [0, 1) per member: a hash of (run seed, member index, call site, time,
    the call's own seed argument). Reproducible, independent of how members are chunked."""
    run_seed, first = stream
    with np.errstate(over="ignore"):
        member = np.arange(first, first + n, dtype=np.uint64)
        key = _mix(np.full(n, run_seed, dtype=np.uint64) ^ _mix(member))
        key = _mix(key ^ np.uint64(int(site)))
        key = _mix(key ^ np.asarray([t], dtype=np.float64).view(np.uint64))
        call_seed = np.broadcast_to(np.asarray(seed, dtype=np.float64).reshape(-1), (n,))
        key = _mix(key ^ call_seed.view(np.uint64))
    return (key >> np.uint64(11)).astype(np.float64) * 2.0**-53


def random_uniform(stream: tuple[int, int], n: int, site: float, t: float, low: Any,
                   high: Any, seed: Any) -> FloatArray:
    """RANDOM UNIFORM(min, max, seed), one value per member."""
    u = uniform01(stream, n, site, t, seed)
    low, high = (np.reshape(v, -1) if np.ndim(v) else v for v in (low, high))
    return low + (high - low) * u


def random_normal(stream: tuple[int, int], n: int, site: float, t: float, low: Any, high: Any,
                  mean: Any, sd: Any, seed: Any) -> FloatArray:
    """RANDOM NORMAL(min, max, mean, sd, seed): a normal draw truncated to [min, max]
    (inverse of the normal CDF over the truncated range), one value per member."""
    from scipy.special import ndtr, ndtri

    u = uniform01(stream, n, site, t, seed)
    low, high, mean, sd = (np.reshape(v, -1) if np.ndim(v) else v
                           for v in (low, high, mean, sd))
    a, b = ndtr((low - mean) / sd), ndtr((high - mean) / sd)
    return np.clip(mean + sd * ndtri(a + (b - a) * u), low, high)
