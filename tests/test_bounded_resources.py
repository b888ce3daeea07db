"""Requests that would exhaust memory are refused before any work, with the memory they need
and the largest that fits; samplers draw chunk by chunk, so memory follows the chunk size."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from chenzhou_water.sweep.samplers import unit_design


@pytest.mark.parametrize("members", [1, 2, 3, 7, 64, 1000, 4097])
def test_the_chunked_latin_hypercube_is_one(members):
    u = unit_design("latin_hypercube", members, 4, seed=11).rows(0, members)
    assert ((u >= 0) & (u < 1)).all()
    for j in range(4):  # exactly one member in each of the n strata of every dimension
        assert sorted(np.floor(u[:, j] * members).astype(int)) == list(range(members))


def _peak_bytes(sampler: str, members: int) -> int:
    """Peak memory of drawing 1,000 rows of a design of ``members`` (near its start)."""
    tracemalloc.start()
    try:
        rows = unit_design(sampler, members, 8, seed=0).rows(1000, 2000)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        assert rows.shape == (1000, 8)


@pytest.mark.parametrize("sampler", ["latin_hypercube", "sobol", "halton"])
def test_memory_does_not_grow_with_members(sampler):
    small, large = (2**12, 2**26) if sampler == "sobol" else (4096, 100_000_000)
    _peak_bytes(sampler, small)  # SciPy loads Sobol's direction numbers once per process
    assert _peak_bytes(sampler, large) < _peak_bytes(sampler, small) + 200_000


def test_the_last_rows_of_a_hundred_million_are_drawn_directly():
    design = unit_design("latin_hypercube", 100_000_000, 8, seed=0)
    rows = design.rows(99_999_000, 100_000_000)
    assert np.array_equal(rows[500:], design.rows(99_999_500, 100_000_000))


def test_latin_hypercube_rows_depend_only_on_seed_and_member():
    a = unit_design("latin_hypercube", 10_000, 3, seed=4)
    b = unit_design("latin_hypercube", 10_000, 3, seed=5)
    assert np.array_equal(a.rows(9_990, 10_000), a.rows(0, 10_000)[9_990:])
    assert not np.array_equal(a.rows(0, 10), b.rows(0, 10))
    corr = np.corrcoef(a.rows(0, 10_000).T)
    assert np.abs(corr[np.triu_indices(3, 1)]).max() < 0.05, "dimensions are independent"
