"""Designs over the unit hypercube: which point of [0, 1)^d each ensemble member gets.

Every design gives member ``i`` a point that depends only on the sampler, the seed, the number of
members and ``i`` — never on how the ensemble is cut into chunks or spread over workers:

- ``sobol`` and ``halton`` (``scipy.stats.qmc``, scrambled from the seed) are sequences:
  members ``[start, stop)`` are drawn by fast-forwarding a freshly scrambled engine to
  ``start``, so memory grows with the chunk, not with the members;
- ``latin_hypercube`` is a deterministic function of (seed, member index): in each dimension
  member ``i`` gets stratum ``p(i)`` of ``n``, where ``p`` is a keyed pseudo-random permutation
  of ``0 .. n-1`` evaluated index by index (a Feistel network with cycle-walking), and a
  uniform position inside it from its own Philox counter block. Every stratum of every
  dimension holds exactly one member, as in any Latin hypercube; the design is not SciPy's
  ``LatinHypercube`` (which draws whole permutations at once, so memory grows with members);
- ``monte_carlo`` draws member ``i``'s coordinates from its own counter block of a Philox
  generator keyed by the seed, so any range of members is drawn directly;
- ``grid`` is the full factorial: member ``i``'s digits in a mixed radix (the first dimension
  varies slowest), each at the middle of its equal-probability stratum ``(k + 0.5) / levels``.

The Philox key is derived from the seed with a spawn key of its own, so the sampled constants
are independent of the stochastic inflow drawn from the same seed.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from chenzhou_water._typing import FloatArray

__all__ = ["SAMPLERS", "UnitDesign", "grid_members", "unit_design"]

#: The samplers a sweep file may name.
SAMPLERS: tuple[str, ...] = ("monte_carlo", "latin_hypercube", "sobol", "halton", "grid")

_SAMPLER_STREAM = 0x5357_4550  # spawn key of the sampler's random stream ("SWEP")
_LHS_STREAM = 0x4C48_5300  # spawn key of the Latin hypercube's permutations and positions
_FEISTEL_ROUNDS = 6


@dataclass(frozen=True)
class UnitDesign:
    """Points of the unit hypercube for ``members`` members in ``dims`` dimensions.

    Attributes
    ----------
    sampler : str
        One of :data:`SAMPLERS`.
    members : int
        Ensemble size.
    dims : int
        Number of uncertain inputs.
    seed : int
        The sweep's seed (``0`` is valid).
    levels : tuple of int
        For ``grid``: the number of levels of each dimension (their product is ``members``).
    """

    sampler: str
    members: int
    dims: int
    seed: int
    levels: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler {self.sampler!r}; choose one of {SAMPLERS}")

    def rows(self, start: int, stop: int) -> FloatArray:
        """Unit-hypercube points of members ``[start, stop)``, shape ``(stop - start, dims)``."""
        if not 0 <= start <= stop <= self.members:
            raise ValueError(f"members [{start}, {stop}) outside [0, {self.members})")
        if self.dims == 0:
            return np.empty((stop - start, 0))
        if self.sampler in ("sobol", "halton"):
            return _qmc_rows(self, start, stop)
        if self.sampler == "latin_hypercube":
            return _latin_rows(self, start, stop)
        if self.sampler == "grid":
            return _grid_rows(self.levels, start, stop)
        return _philox_rows(self.seed, start, stop, self.dims)


def unit_design(
    sampler: str, members: int, dims: int, seed: int, levels: Sequence[int] = ()
) -> UnitDesign:
    """The design of a sweep; see :class:`UnitDesign`.

    Parameters
    ----------
    sampler : str
        One of :data:`SAMPLERS`.
    members : int
        Ensemble size (for ``sobol``, a power of 2 keeps its balance properties).
    dims : int
        Number of uncertain inputs (0 is allowed: every member gets the empty point).
    seed : int
        Seed of the scrambling (qmc) or of the per-member streams (``monte_carlo``).
    levels : sequence of int, optional
        For ``grid``: levels of each dimension; default ``members ** (1 / dims)`` each.
    """
    if sampler == "grid" and not levels and dims:
        levels = (round(members ** (1 / dims)),) * dims
    if sampler in ("sobol", "halton"):
        # imported with the design, in the driving process, before a local cluster is forked
        # from it: its workers, which draw their chunks' members, then have it (about a second
        # a process)
        from scipy.stats import qmc  # noqa: F401
    return UnitDesign(sampler, int(members), int(dims), int(seed), tuple(int(k) for k in levels))


def grid_members(levels: Sequence[int]) -> int:
    """Members of a full-factorial grid with these levels per dimension."""
    return int(np.prod(levels, dtype=np.int64)) if levels else 1


def _generator(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_SAMPLER_STREAM,)))


def _qmc_rows(design: UnitDesign, start: int, stop: int) -> FloatArray:
    """Members ``[start, stop)`` of the scrambled Sobol' or Halton sequence of the seed."""
    from scipy.stats import qmc  # here, not at import: a Latin hypercube does without it

    rng = _generator(design.seed)
    engine = (qmc.Halton(design.dims, rng=rng) if design.sampler == "halton"
              else qmc.Sobol(design.dims, rng=rng))
    if start:
        engine.fast_forward(start)
    with warnings.catch_warnings():
        # Sobol' balance asks for a power of 2 *in all*; a chunk of the whole is any size.
        warnings.filterwarnings("ignore", message=".*balance properties of Sobol")
        return engine.random(stop - start)


def _latin_rows(design: UnitDesign, start: int, stop: int) -> FloatArray:
    """Members ``[start, stop)`` of the seed's Latin hypercube (see the module's docstring)."""
    n, dims = design.members, design.dims
    keys = np.random.SeedSequence(design.seed, spawn_key=(_LHS_STREAM,)).generate_state(
        dims * _FEISTEL_ROUNDS, np.uint64).reshape(dims, _FEISTEL_ROUNDS)
    index = np.arange(start, stop, dtype=np.uint64)
    position = _philox_rows(design.seed, start, stop, dims, stream=_LHS_STREAM)
    out = np.empty((stop - start, dims))
    for j in range(dims):
        out[:, j] = (_permute(index, n, keys[j]).astype(np.float64) + position[:, j]) / n
    return out


def _permute(index: np.ndarray, n: int, keys: np.ndarray) -> np.ndarray:
    """A keyed permutation of ``0 .. n-1`` at ``index``: a balanced Feistel network on the
    smallest even number of bits covering ``n``, walked again while it lands at ``n`` or
    above (a permutation of the larger range restricted by cycle-walking stays one)."""
    half = max(1, (max(n - 1, 1).bit_length() + 1) // 2)
    mask = np.uint64((1 << half) - 1)
    out = index.copy()
    todo = np.ones(out.shape, dtype=bool)
    while todo.any():
        out[todo] = _feistel(out[todo], half, mask, keys)
        todo = out >= np.uint64(n)
    return out


def _feistel(x: np.ndarray, half: int, mask: np.uint64, keys: np.ndarray) -> np.ndarray:
    left, right = x >> np.uint64(half), x & mask
    for key in keys:
        left, right = right, left ^ (_mix(right ^ key) & mask)
    return (left << np.uint64(half)) | right


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: a bijective 64-bit mix (arrays wrap around on overflow)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _grid_rows(levels: tuple[int, ...], start: int, stop: int) -> FloatArray:
    index = np.arange(start, stop, dtype=np.int64)
    out = np.empty((stop - start, len(levels)))
    for j in range(len(levels) - 1, -1, -1):
        index, digit = np.divmod(index, levels[j])
        out[:, j] = (digit + 0.5) / levels[j]
    return out


def _philox_rows(seed: int, start: int, stop: int, dims: int,
                 stream: int = _SAMPLER_STREAM) -> FloatArray:
    """Uniforms on (0, 1): member ``i`` owns the counter blocks ``[i * b, (i + 1) * b)``.

    One 64-bit output makes one uniform (its top 53 bits, centred in their interval, so 0 is
    never drawn), so a member's coordinates do not depend on the other members drawn with it.
    """
    blocks = -(-dims // 4)
    key = np.random.SeedSequence(seed, spawn_key=(stream,)).generate_state(2, np.uint64)
    bit_generator = np.random.Philox(key=key)
    state = bit_generator.state
    state["state"]["counter"] = np.array([start * blocks, 0, 0, 0], dtype=np.uint64)
    state["buffer_pos"] = 4
    bit_generator.state = state
    raw = bit_generator.random_raw((stop - start) * blocks * 4).reshape(stop - start, blocks * 4)
    uniforms = (raw[:, :dims] >> np.uint64(11)).astype(np.float64)
    uniforms += 0.5
    uniforms *= 2.0**-53
    return uniforms
