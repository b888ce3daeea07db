"""The code generator's expressions, compiled by hand and run on small arrays: no model needed.

Each test builds IR expressions by hand on a small model (a few subscript ranges, variables
and lookups), compiles them with :class:`PlainCompiler` (one numpy expression, operands
aligned over their subscript axes) or :class:`InplaceCompiler` (ufunc calls into preallocated
buffers of shape ``(n,)``), runs the generated source on arrays bound to the variables'
identifiers, and compares the values with the same expression written directly in numpy, or
with figures worked out by hand.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from emit_support import (
    BINARY,
    BY_CITY,
    DEMAND,
    DISTRICT_Y,
    GRID,
    GRID_Y,
    IR,
    STREAM,
    TABLE,
    TABLE_X,
    WEIGHT,
    N,
    T,
    X,
    Y,
    assert_values,
    demand,
    grid,
    in_place,
    interp_each_member,
    make_names,
    namespace_of,
    numpy_value,
    op,
    plain,
    uniform_draw,
    weight,
    where,
    x,
    y,
    z,
)

from chenzhou_water.engine import runtime
from chenzhou_water.engine.emit_expr import (
    BOOL_OPS,
    Operand,
    PlainCompiler,
    align,
)
from chenzhou_water.engine.ir import Call, LookupCall, Num, Ref, StateOf
from chenzhou_water.errors import ModelError, UnsupportedConstructError

# ---- plain: one numpy expression -----------------------------------------------------------

@pytest.mark.parametrize("sign", list(BINARY))
def test_every_binary_operator_over_a_subscript_matches_numpy(sign: str) -> None:
    # x (one value per member) against demand (per member and district): x is broadcast
    operand, value = plain(op(sign, x, demand))
    assert operand.axes == ("district",)
    assert operand.boolean == (sign in BOOL_OPS)
    assert_values(value, numpy_value(BINARY[sign], X[:, None], DEMAND))


@pytest.mark.parametrize("sign", list(BINARY))
def test_every_binary_operator_on_scalars_matches_python(sign: str) -> None:
    operand, value = plain(op(sign, y, op("-", Num(0.5), Num(-1.0))))
    assert operand.axes == ()
    assert_values(value, numpy_value(BINARY[sign], Y, 1.5))


def test_division_by_a_zero_literal_gives_inf_or_nan_and_does_not_raise() -> None:
    # XIDZ and ZIDZ compute both branches (np.where): a zero divisor must not raise
    assert_values(plain(op("/", y, Num(0.0)))[1], np.inf)
    assert_values(plain(op("/", Num(0.0), Num(0.0)))[1], np.nan)
    assert_values(plain(op("/", x, Num(0.0)))[1], [-np.inf, np.inf, np.inf, np.inf])


def test_negation_and_not() -> None:
    operand, value = plain(op("neg", x))
    assert not operand.boolean
    assert_values(value, -X)
    operand, value = plain(op("not", op(">", x, Num(1.0))))
    assert operand.boolean
    assert_values(value, [True, True, False, False])
    # a negated comparison counts as a number, as Python's -True is -1
    operand, value = plain(op("neg", op(">", x, Num(1.0))))
    assert not operand.boolean
    assert_values(value, [0.0, 0.0, -1.0, -1.0])


def test_booleans_subtract_as_numbers_and_compare_as_booleans() -> None:
    above, positive = op(">", x, Num(1.0)), op(">", z, Num(0.0))
    operand, value = plain(op("-", above, positive))  # numpy refuses bool - bool
    assert not operand.boolean
    assert_values(value, [0.0, -1.0, 1.0, 0.0])
    assert_values(plain(op("-", above, z))[1], [0.0, -1.0, 3.0, -3.0])
    operand, value = plain(op("==", above, positive))
    assert operand.boolean
    assert_values(value, [True, False, False, True])


ARITHMETIC = ["+", "-", "*", "/", "**", "%"]


@pytest.mark.parametrize("sign", ARITHMETIC)
def test_arithmetic_on_two_comparisons_counts_them_as_1_and_0(sign: str) -> None:
    # as Python (and PySD) count True and False: (a > 0) + (b > 0) is 2 where both hold;
    # numpy alone would give True (a logical or) for +, a boolean for *, an error for -
    above, wet = op(">", demand, x), op(">", weight, Num(1.0))  # over district; season
    above_value = (DEMAND > X[:, None]).astype(float)[:, :, None]
    wet_value = (WEIGHT > 1.0).astype(float)[:, None, :]
    operand, value = plain(op(sign, above, wet))
    assert operand.axes == ("district", "season")
    assert not operand.boolean
    assert_values(value, numpy_value(BINARY[sign], above_value, wet_value))
    # (x > 1) and (z > 0): [0, 0, 1, 1] and [0, 1, 0, 1], in place and plainly
    expected = numpy_value(BINARY[sign], np.array([0.0, 0.0, 1.0, 1.0]),
                         np.array([0.0, 1.0, 0.0, 1.0]))
    both = op(sign, op(">", x, Num(1.0)), op(">", z, Num(0.0)))
    assert_values(in_place(both)[0], expected)
    assert_values(plain(both)[1], expected)
    # the result is a number: subtracting a comparison from it is arithmetic too
    assert_values(plain(op("-", both, op(">", z, Num(0.0))))[1],
                  expected - np.array([0.0, 1.0, 0.0, 1.0]))


def test_negation_not_and_boolean_subtraction_keep_their_subscripts() -> None:
    above, wet = op(">", demand, x), op(">", weight, Num(1.0))  # over district; season
    above_value, wet_value = DEMAND > X[:, None], WEIGHT > 1.0
    operand, value = plain(op("*", op("not", above), weight))
    assert operand.axes == ("district", "season")
    assert_values(value, ~above_value[:, :, None] * WEIGHT[:, None, :])
    operand, value = plain(op("+", op("neg", above), weight))
    assert operand.axes == ("district", "season")
    assert_values(value, -above_value[:, :, None].astype(float) + WEIGHT[:, None, :])
    operand, value = plain(op("*", op("-", above, wet), weight))
    assert operand.axes == ("district", "season")
    assert_values(value, (above_value[:, :, None].astype(float) - wet_value[:, None, :])
                  * WEIGHT[:, None, :])


def test_operands_over_different_subscripts_are_aligned_in_order_of_appearance() -> None:
    operand, value = plain(op("*", weight, demand))
    assert operand.axes == ("season", "district")
    assert_values(value, WEIGHT[:, :, None] * DEMAND[:, None, :])
    operand, value = plain(op("-", grid, op("+", demand, weight)))
    assert operand.axes == ("district", "season")
    assert_values(value, GRID - (DEMAND[:, :, None] + WEIGHT[:, None, :]))


@pytest.mark.parametrize(("axes", "expected"), [
    (("district", "season"), GRID),
    (("season", "district"), GRID.transpose(0, 2, 1)),
    (("city", "district", "season"), GRID[:, None, :, :]),
    (("season", "city", "district"), GRID.transpose(0, 2, 1)[:, :, None, :]),
    (("district", "row", "season"), GRID[:, :, None, :]),
])
def test_align_transposes_and_inserts_axes(axes: tuple[str, ...], expected: np.ndarray) -> None:
    code = align(Operand("g", ("district", "season")), axes)
    assert_values(eval(code, {"g": GRID}), expected)


def test_align_of_a_scalar_and_to_no_axes() -> None:
    code = align(Operand("s"), ("district", "season"))
    assert_values(eval(code, {"_rt": runtime, "s": X}), X[:, None, None])
    assert align(Operand("g", ("district",)), ()) == "g"


def test_align_refuses_an_axis_the_target_lacks() -> None:
    with pytest.raises(ModelError, match=r"^dimensions \['season'\] cannot be combined with "
                                         r"\['district', 'city'\]$"):
        align(Operand("g", ("district", "season")), ("district", "city"))


@pytest.mark.parametrize(("subs", "axes", "expected"), [
    (("district",), ("district",), DEMAND),
    (("north",), ("north",), DEMAND[:, 0:2]),
    (("middle",), ("middle",), DEMAND[:, 1:3]),
    (("ends",), ("ends",), DEMAND[:, [0, 3]]),
    (("d3",), (), DEMAND[:, 2]),
    (None, ("district",), DEMAND),
])
def test_subscripted_references_select_elements(subs, axes, expected) -> None:
    operand, value = plain(Ref("demand", subs))
    assert operand.axes == axes
    assert_values(value, expected)


def test_references_over_two_subscripts() -> None:
    operand, value = plain(Ref("grid", ("d3", "season")))
    assert operand.axes == ("season",)
    assert_values(value, GRID[:, 2, :])
    operand, value = plain(Ref("grid", ("middle", "dry")))
    assert operand.axes == ("middle",)
    assert_values(value, GRID[:, 1:3, 1])
    operand, value = plain(op("+", x, Ref("x", ("district",))))  # x has no subscript
    assert_values(value, 2 * X)


def test_a_mapped_range_reads_as_the_range_it_maps_onto() -> None:
    # demand[district] = demand[district] + by city[city], with city: c1..c4 -> district
    operand, value = plain(op("+", demand, Ref("by_city", ("city",))), target=("district",))
    assert operand.axes == ("district",)
    assert_values(value, DEMAND + BY_CITY)
    # an equation over both ranges keeps them apart: an outer sum
    operand, value = plain(op("+", demand, Ref("by_city", ("city",))),
                           target=("district", "city"))
    assert operand.axes == ("district", "city")
    assert_values(value, DEMAND[:, :, None] + BY_CITY[:, None, :])
    operand, value = plain(Ref("by_city", ("city",)))  # no target: the range itself
    assert operand.axes == ("city",)


def test_references_that_do_not_fit_are_refused_with_the_variable_named() -> None:
    with pytest.raises(UnsupportedConstructError, match=(
            r"^toy\.mdl: the subscript 'season' used on dimension 'district' \(subscript "
            r"mapping\) in 'demand'$")):
        plain(Ref("demand", ("season",)))
    with pytest.raises(UnsupportedConstructError, match=(
            r"^toy\.mdl: a reference with 2 subscripts to a variable with 1 in 'demand'$")):
        plain(Ref("demand", ("d1", "wet")))
    with pytest.raises(ModelError, match=r"^toy\.mdl: reference to unknown variable 'ghost'$"):
        plain(op("+", x, Ref("ghost")))


def test_time_state_and_array_literals() -> None:
    assert_values(plain(op("*", Ref("time"), Num(2.0)))[1], 2 * T)
    assert_values(plain(op("/", Ref("time"), Ref("time_step")))[1], T / 0.25)
    state = np.array([[1.0, 2.0, 3.0, 4.0]] * N)
    operand, value = plain(op("*", StateOf("s_stock"), weight), s_stock=state)
    assert operand.axes == ("district", "season")
    assert_values(value, state[:, :, None] * WEIGHT[:, None, :])
    literal = Num(np.array([2, 3, 4, 5]), ("district",))  # whole numbers: read as reals
    operand, value = plain(op("**", literal, Num(np.array([-1, -2, 1, 0]), ("district",))))
    assert operand.axes == ("district",)
    assert_values(value, [[0.5, 1 / 9, 4.0, 1.0]])
    assert_values(plain(op("/", Num(7), Num(2)))[1], 3.5)


def test_nan_and_infinite_literals() -> None:
    assert_values(plain(op("+", x, Num(float("nan"))))[1], np.full(N, np.nan))
    assert_values(plain(op("-", Num(float("inf")), x))[1], np.full(N, np.inf))
    # (-inf) ** 2 is +inf: the literal keeps its sign inside the power
    assert_values(plain(op("**", Num(float("-inf")), Num(2.0)))[1], np.inf)
    assert_values(plain(op("+", Num(float("-inf")), Num(1.0)))[1], -np.inf)
    assert_values(plain(op("**", Num(0.1), Num(2.0)))[1], 0.1**2)


@pytest.mark.parametrize(("fn", "reduce"), [("sum", np.sum), ("prod", np.prod),
                                            ("vmin", np.min), ("vmax", np.max)])
def test_reductions_run_over_the_marked_subscripts_only(fn: str, reduce: Callable) -> None:
    operand, value = plain(Call(fn, (Ref("grid", ("district!", "season")),)))
    assert operand.axes == ("season",)
    assert_values(value, reduce(GRID, axis=1))
    operand, value = plain(Call(fn, (Ref("grid", ("district", "season!")),)))
    assert operand.axes == ("district",)
    assert_values(value, reduce(GRID, axis=2))
    operand, value = plain(Call(fn, (Ref("grid", ("north!", "season!")),)))
    assert operand.axes == ()
    assert_values(value, reduce(GRID[:, 0:2, :], axis=(1, 2)))


def test_sum_of_a_product_by_hand() -> None:
    # SUM(demand[district!] * weight[season]): a total per season
    _, value = plain(Call("sum", (op("*", Ref("demand", ("district!",)), weight),)))
    totals = DEMAND.sum(axis=1)
    assert_values(value, np.stack([totals * 0.25, totals * 4.0], axis=1))


def test_a_reduction_without_a_marked_subscript_is_refused() -> None:
    with pytest.raises(UnsupportedConstructError,
                       match=r"^toy\.mdl: SUM needs a dimension marked with '!'$"):
        plain(Call("sum", (demand,)))


def test_element_wise_functions_and_if_then_else_over_subscripts() -> None:
    operand, value = plain(Call("max", (demand, weight)))
    assert operand.axes == ("district", "season")
    assert_values(value, np.maximum(DEMAND[:, :, None], WEIGHT[:, None, :]))
    assert_values(plain(Call("abs", (x,)))[1], np.abs(X))
    operand, value = plain(where(op(">", demand, Num(1.0)), demand, op("neg", weight)))
    assert operand.axes == ("district", "season")
    assert_values(value, np.where(DEMAND[:, :, None] > 1, DEMAND[:, :, None], -WEIGHT[:, None]))


def test_invert_matrix() -> None:
    operand, value = plain(Call("invert_matrix", (Ref("matrix"),)))
    assert operand.axes == ("row", "col")
    expected = [[[0.5, 0.0], [0.0, 0.25]], [[1.0, -1.0], [0.0, 1.0]],
                [[0.0, 1.0], [1.0, 0.0]], [[1.0, -1.0], [-2.0, 3.0]]]
    assert_values(value, expected)
    with pytest.raises(UnsupportedConstructError, match=(
            r"^toy\.mdl: INVERT MATRIX of an expression over \['district'\] \(it needs two "
            r"subscripts\)$")):
        plain(Call("invert_matrix", (demand,)))


def test_random_draws_one_value_per_member() -> None:
    operand, value = plain(uniform_draw(3.0))
    assert operand.axes == ()
    assert_values(value, runtime.random_uniform(STREAM, N, 3.0, T, -1.0, 10.0, 7.0))
    assert np.all((value >= -1.0) & (value < 10.0))
    with pytest.raises(UnsupportedConstructError,
                       match=r"^toy\.mdl: RANDOM_UNIFORM with subscripted arguments$"):
        plain(Call("random_uniform", (Num(3.0), Ref("time"), Num(0.0), demand, Num(7.0))))


def test_lookups_shared_and_per_member() -> None:
    # by hand: held at 10 below 0, 15 half way to 1, then down to 5 at 4
    operand, value = plain(LookupCall("table", x))
    assert operand.axes == ()
    assert_values(value, [10.0, 15.0, 15.0, 7.5])
    operand, value = plain(LookupCall("table", demand))
    assert operand.axes == ("district",)
    assert_values(value, interp_each_member(DEMAND, TABLE[1]))
    # member i reads its own table: [0, 2, 8] held at 0 below x = 0, [1, 1, 1] is 1,
    # [4, 0, 4] at 2 is a third of the way up from 0 to 4, [3, 6, 0] at 3.5 is 6 - 2.5 * 2
    assert_values(plain(LookupCall("member_table", x))[1], [0.0, 1.0, 4 / 3, 1.0])


def test_subscripted_lookups_each_element_its_own_table() -> None:
    each = np.stack([interp_each_member(X, DISTRICT_Y[i]) for i in range(4)], axis=1)
    for subs in (("district",), None):
        operand, value = plain(LookupCall("district_table", x, subs))
        assert operand.axes == ("district",)
        assert_values(value, each)
    operand, value = plain(LookupCall("district_table", x, ("d2",)))
    assert operand.axes == ()
    assert_values(value, each[:, 1])
    operand, value = plain(LookupCall("district_table", x, ("middle",)))
    assert operand.axes == ("middle",)
    assert_values(value, each[:, 1:3])
    operand, value = plain(LookupCall("district_table", Ref("demand", ("ends",)), ("ends",)))
    assert operand.axes == ("ends",)
    assert_values(value, np.stack([interp_each_member(DEMAND[:, 0], DISTRICT_Y[0]),
                                   interp_each_member(DEMAND[:, 3], DISTRICT_Y[3])], axis=1))


def _each_grid_table(arg: np.ndarray) -> np.ndarray:
    """Each (district, season) table at ``arg`` of shape (members, district, season)."""
    out = np.empty(arg.shape)
    for d in range(4):
        for s in range(2):
            out[:, d, s] = np.interp(arg[:, d, s], TABLE_X, GRID_Y[d, s])
    return out


def test_a_lookup_over_two_subscripts_aligns_its_argument() -> None:
    # an argument over season only: the same for every district
    operand, value = plain(LookupCall("grid_table", weight, ("district", "season")))
    assert operand.axes == ("district", "season")
    assert_values(value, _each_grid_table(np.broadcast_to(WEIGHT[:, None, :], (1, 4, 2))))
    # an argument over (season, district): transposed to the lookup's order
    operand, value = plain(LookupCall("grid_table", op("+", weight, demand),
                                      ("district", "season")))
    assert operand.axes == ("district", "season")
    assert_values(value, _each_grid_table(WEIGHT[:, None, :] + DEMAND[:, :, None]))
    # one district's tables, over season
    operand, value = plain(LookupCall("grid_table", x, ("d2", "season")))
    assert operand.axes == ("season",)
    assert_values(value, _each_grid_table(np.broadcast_to(X[:, None, None], (N, 4, 2)))[:, 1])


def test_subscripted_lookups_that_do_not_fit_are_refused() -> None:
    with pytest.raises(UnsupportedConstructError, match=(
            r"^toy\.mdl: a lookup argument over \['season'\] \(the lookup gives "
            r"\['district'\]\) in 'district_table'$")):
        plain(LookupCall("district_table", weight, ("district",)))
    with pytest.raises(UnsupportedConstructError, match=(
            r"^toy\.mdl: the subscript 'wet' used on dimension 'district' \(subscript "
            r"mapping\) in 'district_table'$")):
        plain(LookupCall("district_table", x, ("wet",)))


def test_a_value_computed_before_the_loop_is_read_not_recomputed() -> None:
    names = make_names()
    compiler = PlainCompiler(IR, names)
    moved = op("*", y, Num(3.0))
    compiler.hoist = lambda expr: Operand("h0") if expr == moved else None
    operand = compiler.compile(op("+", x, moved))
    # h0 holds what the loop's preamble computed (not y * 3, to tell the two apart)
    assert_values(eval(operand.code, namespace_of(names, h0=100.0)), X + 100.0)


def test_an_unknown_expression_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="unknown expression"):
        PlainCompiler(IR, make_names()).compile("x")  # type: ignore[arg-type]
