"""The helpers the generated kernels call (``engine/runtime.py``), each called directly: DELAY
FIXED and the random streams (lookups, SMOOTH and DELAY chains: ``test_engine_runtime.py``).

DELAY FIXED is checked against the input of ``slots`` steps earlier; the random streams against
SplitMix64 as published and scipy's truncated normal. No model is compiled, so the file runs in
about a second (with ``test_engine_runtime.py``, the mutation selection of
``engine/runtime.py``).
"""

from __future__ import annotations

import struct

import numpy as np
import pytest
from scipy import stats

from chenzhou_water.engine import runtime as rt
from chenzhou_water.errors import ModelError


# ---- DELAY FIXED -----------------------------------------------------------------------------
def _run_fixed(delay: rt.DelayFixed, inputs: list[object]) -> np.ndarray:
    outputs = []
    for value in inputs:
        outputs.append(delay.value())
        delay.push(value)
    return np.array(outputs)


def test_delay_fixed_gives_the_input_of_its_delay_earlier() -> None:
    """DELAY FIXED(input, 1.5, 7) with dt = 0.5: three slots, so the first three steps give
    the initial value, then the input of three steps earlier."""
    delay = rt.DelayFixed(7.0, 1.5, 0.5, 2, (), "d")
    inputs = [np.array([float(k), 10.0 * k]) for k in range(8)]
    out = _run_fixed(delay, inputs)
    np.testing.assert_array_equal(out[:3], 7.0)
    np.testing.assert_array_equal(out[3:], inputs[:5])


def test_delay_fixed_value_is_not_overwritten_by_the_next_push() -> None:
    delay = rt.DelayFixed(1.0, 1.0, 1.0, 1, (), "d")
    first = delay.value()
    delay.push(5.0)
    np.testing.assert_array_equal(first, [1.0])
    np.testing.assert_array_equal(delay.value(), [5.0])


def test_delay_fixed_slots_per_member() -> None:
    """round(max(delay / dt, 1)) slots, half rounding up (Vensim's small offset): delays of
    1, 2.5 and 0.2 steps keep 1, 3 and 1 slots."""
    delay = rt.DelayFixed(0.0, np.array([1.0, 2.5, 0.2]), 1.0, 3, (), "d")
    np.testing.assert_array_equal(delay.slots, [1, 3, 1])
    out = _run_fixed(delay, [float(k + 1) for k in range(6)])
    np.testing.assert_array_equal(out[:, 0], [0, 1, 2, 3, 4, 5])
    np.testing.assert_array_equal(out[:, 1], [0, 0, 0, 1, 2, 3])
    np.testing.assert_array_equal(out[:, 2], [0, 1, 2, 3, 4, 5])
    assert rt.DelayFixed(0.0, 4.5, 1.0, 1, (), "d").slots == 5
    assert rt.DelayFixed(0.0, 0.5, 1.0, 1, (), "d").slots == 1


def test_delay_fixed_over_a_subscript_with_one_delay_per_member() -> None:
    delay_time = np.array([[2.0, 2.0], [1.0, 1.0]])  # aligned to the subscript
    delay = rt.DelayFixed(np.array([[0.0, -1.0]]), delay_time, 1.0, 2, (2,), "d")
    np.testing.assert_array_equal(delay.slots, [2, 1])
    inputs = [np.array([[1.0, 2.0], [3.0, 4.0]]) * k for k in range(1, 5)]
    out = _run_fixed(delay, inputs)
    np.testing.assert_array_equal(out[:, 0], [[0, -1], [0, -1], [1, 2], [2, 4]])
    np.testing.assert_array_equal(out[:, 1], [[0, -1], [3, 4], [6, 8], [9, 12]])
    uniform = rt.DelayFixed(5.0, 2.0, 1.0, 2, (2,), "d")
    out = _run_fixed(uniform, [3.0, 4.0, 6.0])
    np.testing.assert_array_equal(out[:, 0], [[5, 5], [5, 5], [3, 3]])


def test_delay_fixed_with_as_many_elements_or_one_as_members() -> None:
    delay_time = np.array([[1.0, 1.0], [3.0, 3.0], [2.0, 2.0]])  # 3 members, 2 elements
    delay = rt.DelayFixed(0.0, delay_time, 1.0, 3, (2,), "d")
    np.testing.assert_array_equal(delay.slots, [1, 3, 2])
    out = _run_fixed(delay, [np.full((3, 2), k + 1.0) for k in range(4)])
    np.testing.assert_array_equal(out[:, :, 0].T, [[0, 1, 2, 3], [0, 0, 0, 1], [0, 0, 1, 2]])
    one = rt.DelayFixed(0.0, np.array([[2.0], [1.0]]), 1.0, 2, (1,), "d")  # one element
    np.testing.assert_array_equal(one.slots, [2, 1])


@pytest.mark.parametrize(
    ("delay_time", "message"),
    [
        (np.array([[2.0, 3.0], [1.0, 1.0]]),
         r"^x: DELAY FIXED needs one delay time per member \(the same for every subscript "
         r"element\), as in PySD$"),
        (np.array([2.0, 3.0]), r"^x: DELAY FIXED needs one delay time per member$"),
    ],
)
def test_delay_fixed_refuses_delay_times_that_differ_by_element(delay_time: np.ndarray,
                                                                message: str) -> None:
    with pytest.raises(ModelError, match=message):
        rt.DelayFixed(0.0, delay_time, 1.0, 2, (2,), "x")


# ---- random streams --------------------------------------------------------------------------
MASK = 2**64 - 1


def _splitmix64(z: int) -> int:
    """SplitMix64's output for the state before its increment (Steele, Lea and Flood 2014)."""
    z = (z + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def _bits(value: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", value))[0]


def _draw(run_seed: int, member: int, site: int, t: float, call_seed: float) -> float:
    """The documented hash of (run seed, member, call site, time, call seed), in [0, 1)."""
    key = _splitmix64(run_seed ^ _splitmix64(member))
    for word in (site, _bits(t), _bits(call_seed)):
        key = _splitmix64(key ^ word)
    return (key >> 11) * 2.0**-53


def test_the_mixer_is_splitmix64() -> None:
    # SplitMix64 seeded with 0 outputs 0xE220A8397B1DCDAF, then 0x6E789E6AA1B965F4
    assert _splitmix64(0) == 0xE220A8397B1DCDAF
    assert _splitmix64(0x9E3779B97F4A7C15) == 0x6E789E6AA1B965F4
    words = np.array([0, 0x9E3779B97F4A7C15, 12345, MASK], dtype=np.uint64)
    with np.errstate(over="ignore"):
        mixed = rt._mix(words)
    assert [int(v) for v in mixed] == [_splitmix64(int(w)) for w in words]


def test_each_members_draw_is_the_hash_of_its_global_index() -> None:
    draws = rt.uniform01((42, 1000), 4, 3.0, 2.5, 0.0)
    np.testing.assert_array_equal(draws, [_draw(42, 1000 + m, 3, 2.5, 0.0) for m in range(4)])
    per_member_seed = rt.uniform01((7, 0), 3, 1.0, 0.0, np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(per_member_seed, [_draw(7, m, 1, 0.0, m + 1.0)
                                                    for m in range(3)])


def test_a_whole_number_seed_or_time_draws_as_its_float() -> None:
    """RANDOM UNIFORM(0, 1, 3) at Time 2: the same draw whether 3 and 2 arrive as integers
    or floats."""
    floats = rt.uniform01((8, 0), 3, 1.0, 2.0, 3.0)
    np.testing.assert_array_equal(rt.uniform01((8, 0), 3, 1.0, 2, 3), floats)
    np.testing.assert_array_equal(rt.uniform01((8, 0), 3, 1.0, 2, np.array([3, 3, 3])), floats)


def test_draws_do_not_depend_on_how_members_are_chunked() -> None:
    whole = rt.uniform01((5, 0), 12, 2.0, 7.0, 3.0)
    for first in (0, 3, 11):
        part = rt.uniform01((5, first), 12 - first, 2.0, 7.0, 3.0)
        np.testing.assert_array_equal(part, whole[first:])
    others = [rt.uniform01((6, 0), 12, 2.0, 7.0, 3.0), rt.uniform01((5, 0), 12, 1.0, 7.0, 3.0),
              rt.uniform01((5, 0), 12, 2.0, 8.0, 3.0), rt.uniform01((5, 0), 12, 2.0, 7.0, 4.0)]
    for other in others:  # run seed, call site, time and the call's seed each give new draws
        assert not np.any(other == whole)
    assert len(set(whole)) == 12


def test_uniform_draws_fill_the_unit_interval_evenly() -> None:
    draws = np.concatenate([rt.uniform01((9, 0), 5000, 1.0, float(t), 0.0) for t in range(4)])
    assert draws.min() >= 0.0
    assert draws.max() < 1.0
    assert stats.kstest(draws, "uniform").pvalue > 1e-4


def test_random_uniform_scales_each_members_draw_to_its_bounds() -> None:
    u = rt.uniform01((3, 10), 4, 5.0, 1.0, 2.0)
    out = rt.random_uniform((3, 10), 4, 5.0, 1.0, -1.0, 3.0, 2.0)
    np.testing.assert_allclose(out, -1.0 + 4.0 * u, rtol=1e-15)
    low, high = np.array([0.0, 10.0, -5.0, 1.0]), np.array([1.0, 20.0, -4.0, 1.0])
    out = rt.random_uniform((3, 10), 4, 5.0, 1.0, low[:, None], high, 2.0)
    np.testing.assert_allclose(out, low + (high - low) * u, rtol=1e-15)
    assert np.all((low <= out) & ((out < high) | (low == high)))


def test_random_normal_is_scipys_truncated_normal_at_each_draw() -> None:
    u = rt.uniform01((4, 0), 200, 6.0, 3.0, 0.0)
    out = rt.random_normal((4, 0), 200, 6.0, 3.0, 0.0, 10.0, 4.0, 2.0, 0.0)
    expected = stats.truncnorm.ppf(u, (0 - 4) / 2, (10 - 4) / 2, loc=4, scale=2)
    np.testing.assert_allclose(out, expected, rtol=1e-9)
    mean = np.linspace(-1.0, 5.0, 200)
    out = rt.random_normal((4, 0), 200, 6.0, 3.0, np.zeros((200, 1)), 10.0, mean, 2.0, 0.0)
    expected = stats.truncnorm.ppf(u, (0 - mean) / 2, (10 - mean) / 2, loc=mean, scale=2)
    np.testing.assert_allclose(out, expected, rtol=1e-9)


def test_random_normal_stays_inside_its_bounds_far_from_the_mean() -> None:
    """A mean 100 standard deviations above the range: the normal's mass there rounds to 0,
    and the draw is still inside [min, max] (at its bound), never infinite."""
    out = rt.random_normal((1, 0), 50, 1.0, 0.0, 0.0, 1.0, 100.0, 1.0, 0.0)
    assert np.all((out >= 0.0) & (out <= 1.0))
    out = rt.random_normal((1, 0), 50, 1.0, 0.0, 0.0, 1.0, -100.0, 1.0, 0.0)
    assert np.all((out >= 0.0) & (out <= 1.0))
