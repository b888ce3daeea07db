"""Designs over the unit hypercube: which point of [0, 1)^d each ensemble member gets.

Every design gives member ``i`` a point that depends only on the sampler, the seed, the number of
members and ``i`` — never on how the ensemble is cut into chunks or spread over workers:

- ``latin_hypercube``, ``sobol`` and ``halton`` (``scipy.stats.qmc``, scrambled) build the
  whole design once from the seed, in the process that drives the sweep, and hand out rows;
- ``monte_carlo`` draws member ``i``'s coordinates from its own counter block of a Philox
  generator keyed by the seed, so any range of members is drawn directly;
- ``grid`` is the full factorial: member ``i``'s digits in a mixed radix (the first dimension
  varies slowest), each at the middle of its equal-probability stratum ``(k + 0.5) / levels``.

The Philox key is derived from the seed with a spawn key of its own, so the sampled constants
are independent of the stochastic inflow drawn from the same seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from chenzhou_water._typing import FloatArray

__all__ = ["SAMPLERS", "UnitDesign", "grid_members", "unit_design"]

#: The samplers a sweep file may name.
SAMPLERS: tuple[str, ...] = ("monte_carlo", "latin_hypercube", "sobol", "halton", "grid")

_SAMPLER_STREAM = 0x5357_4550  # spawn key of the sampler's random stream ("SWEP")


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
    _whole: FloatArray | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler {self.sampler!r}; choose one of {SAMPLERS}")
        if self.sampler in ("latin_hypercube", "sobol", "halton") and self.dims > 0:
            object.__setattr__(self, "_whole", _qmc_design(self))

    def rows(self, start: int, stop: int) -> FloatArray:
        """Unit-hypercube points of members ``[start, stop)``, shape ``(stop - start, dims)``."""
        if not 0 <= start <= stop <= self.members:
            raise ValueError(f"members [{start}, {stop}) outside [0, {self.members})")
        if self.dims == 0:
            return np.empty((stop - start, 0))
        if self._whole is not None:
            return self._whole[start:stop].copy()
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
    return UnitDesign(sampler, int(members), int(dims), int(seed), tuple(int(k) for k in levels))


def grid_members(levels: Sequence[int]) -> int:
    """Members of a full-factorial grid with these levels per dimension."""
    return int(np.prod(levels, dtype=np.int64)) if levels else 1


def _generator(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_SAMPLER_STREAM,)))


def _qmc_design(design: UnitDesign) -> FloatArray:
    """The whole scrambled design, built once from the seed."""
    from scipy.stats import qmc  # here, not at import: workers never sample (seconds saved)

    rng = _generator(design.seed)
    n, d = design.members, design.dims
    if design.sampler == "latin_hypercube":
        return qmc.LatinHypercube(d, rng=rng).random(n)
    if design.sampler == "halton":
        return qmc.Halton(d, rng=rng).random(n)
    sobol = qmc.Sobol(d, rng=rng)
    m = int(np.ceil(np.log2(max(n, 1))))
    return sobol.random_base2(m)[:n]  # the first n points of the 2**m net: no warning


def _grid_rows(levels: tuple[int, ...], start: int, stop: int) -> FloatArray:
    index = np.arange(start, stop, dtype=np.int64)
    out = np.empty((stop - start, len(levels)))
    for j in range(len(levels) - 1, -1, -1):
        index, digit = np.divmod(index, levels[j])
        out[:, j] = (digit + 0.5) / levels[j]
    return out


def _philox_rows(seed: int, start: int, stop: int, dims: int) -> FloatArray:
    """Uniforms on (0, 1): member ``i`` owns the counter blocks ``[i * b, (i + 1) * b)``.

    One 64-bit output makes one uniform (its top 53 bits, centred in their interval, so 0 is
    never drawn), so a member's coordinates do not depend on the other members drawn with it.
    """
    blocks = -(-dims // 4)
    key = np.random.SeedSequence(seed, spawn_key=(_SAMPLER_STREAM,)).generate_state(2, np.uint64)
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
