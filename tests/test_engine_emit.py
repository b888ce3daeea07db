"""The code generator's expressions, compiled by hand and run on small arrays: no model needed.

Each test builds IR expressions by hand on a small model (a few subscript ranges, variables
and lookups), compiles them with :class:`PlainCompiler` (one numpy expression, operands
aligned over their subscript axes) or :class:`InplaceCompiler` (ufunc calls into preallocated
buffers of shape ``(n,)``), runs the generated source on arrays bound to the variables'
identifiers, and compares the values with the same expression written directly in numpy, or
with figures worked out by hand.
"""

from __future__ import annotations

import operator
import tracemalloc
from collections.abc import Callable

import numpy as np
import pytest

from chenzhou_water.engine import runtime
from chenzhou_water.engine.emit_expr import (
    BOOL_OPS,
    InplaceCompiler,
    Names,
    Operand,
    PlainCompiler,
    align,
)
from chenzhou_water.engine.ir import Call, Expr, LookupCall, ModelIR, Node, Num, Op, Ref, StateOf
from chenzhou_water.errors import ModelError, UnsupportedConstructError

N = 4
RANGES = {
    "district": ("d1", "d2", "d3", "d4"),
    "north": ("d1", "d2"),
    "middle": ("d2", "d3"),
    "ends": ("d1", "d4"),
    "season": ("wet", "dry"),
    "city": ("c1", "c2", "c3", "c4"),
    "row": ("r1", "r2"),
    "col": ("k1", "k2"),
}
TABLE_X = np.array([0.0, 1.0, 4.0])
TABLE = (TABLE_X, np.array([10.0, 20.0, 5.0]))
#: each district's own table (a subscripted lookup), on the same x
DISTRICT_Y = np.array([[0.0, 1.0, 4.0], [10.0, 0.0, 10.0], [5.0, 5.0, 5.0], [-1.0, 1.0, 0.0]])
#: each member's own table (a lookup given per member)
MEMBER_Y = np.array([[0.0, 2.0, 8.0], [1.0, 1.0, 1.0], [4.0, 0.0, 4.0], [3.0, 6.0, 0.0]])
#: a table for each district and season: y = (d + 1, s - d, 2 s) at x = 0, 1, 4
GRID_Y = np.array([[[d + 1.0, s - d, 2.0 * s] for s in range(2)] for d in range(4)])


def _node(name: str, dims: tuple[str, ...] = (), kind: str = "constant") -> Node:
    return Node(name, kind, dims)


IR = ModelIR(
    file_name="toy.mdl", sha256="0" * 64, ranges=RANGES, mappings={"city": ("district",)},
    initial_time=0.0, final_time=1.0, time_step=1.0, saveper=1.0,
    nodes={n.name: n for n in (
        _node("x"), _node("y"), _node("z"), _node("demand", ("district",)),
        _node("by_city", ("city",)), _node("grid", ("district", "season")),
        _node("weight", ("season",)), _node("matrix", ("row", "col")),
        _node("table", kind="lookup"), _node("member_table", kind="lookup"),
        _node("district_table", ("district",), kind="lookup"),
        _node("grid_table", ("district", "season"), kind="lookup"),
    )},
)
VARYING = frozenset({"x", "z", "demand", "by_city", "grid", "matrix", "member_table"})

X = np.array([-1.5, 0.5, 2.0, 3.5])
Y = 2.0  # one value for all members
Z = np.array([0.0, 1.0, -2.0, 4.0])
DEMAND = np.array([[-1.5, 3.0, -1.0, 2.0], [1.0, 2.0, 0.5, -3.0],
                   [2.0, 1.5, 4.0, 0.25], [2.5, 3.5, -0.5, 1.0]])  # column 0 is X
BY_CITY = np.array([[1.0, 2.0, 3.0, 4.0], [0.5, 0.5, 0.5, 0.5],
                    [-1.0, 0.0, 1.0, 2.0], [8.0, 4.0, 2.0, 1.0]])
GRID = np.arange(N * 4 * 2, dtype=float).reshape(N, 4, 2) - 10.0
WEIGHT = np.array([[0.25, 4.0]])  # one row: the same for every member
MATRIX = np.array([[[2.0, 0.0], [0.0, 4.0]], [[1.0, 1.0], [0.0, 1.0]],
                   [[0.0, 1.0], [1.0, 0.0]], [[3.0, 1.0], [2.0, 1.0]]])
T = 7.0
STREAM = (11, 3)
VALUES = {"x": X, "y": Y, "z": Z, "demand": DEMAND, "by_city": BY_CITY, "grid": GRID,
          "weight": WEIGHT, "matrix": MATRIX, "table": TABLE,
          "member_table": runtime.MemberTable((TABLE_X, MEMBER_Y)),
          "district_table": runtime.tables([(TABLE_X, y) for y in DISTRICT_Y], (4,)),
          "grid_table": runtime.tables([(TABLE_X, y) for y in GRID_Y.reshape(8, 3)], (4, 2)),
          "time_step": 0.25}

x, y, z = Ref("x"), Ref("y"), Ref("z")
demand, grid, weight = Ref("demand"), Ref("grid"), Ref("weight")


def op(sign: str, *args: Expr) -> Op:
    return Op(sign, tuple(args))


def where(cond: Expr, true: Expr, false: Expr) -> Call:
    return Call("where", (cond, true, false))


def _names() -> Names:
    # identifiers unlike the variables' names: the generated code must go through them; the
    # time controls have identifiers but no node
    idents = {name: f"v_{name}" for name in IR.nodes} | {"time_step": "c_time_step"}
    return Names(idents, VARYING)


def _namespace(names: Names, **extra: object) -> dict[str, object]:
    space: dict[str, object] = {"np": np, "_rt": runtime, "K": names.literals, "t": T, "n": N,
                                "_random": STREAM}
    space.update({names.idents[name]: value for name, value in VALUES.items()})
    space.update(extra)
    return space


def plain(expr: Expr, target: tuple[str, ...] = (), **extra: object) -> tuple[Operand, object]:
    """The operand ``expr`` compiles to, and its value."""
    names = _names()
    compiler = PlainCompiler(IR, names, state_axes=("district",))
    compiler.target_dims = target
    operand = compiler.compile(expr)
    with np.errstate(all="ignore"):
        return operand, eval(operand.code, _namespace(names, **extra))


def _buffers(sizes: dict[str, int], n: int = N) -> dict[str, np.ndarray]:
    """The temporaries a kernel allocates, filled with values no expression gives."""
    buffers = {f"tf{i}": np.full(n, -999.0) for i in range(sizes["tf"])}
    buffers.update({f"tb{i}": np.ones(n, dtype=bool) for i in range(sizes["tb"])})
    return buffers


def in_place(expr: Expr, **extra: object) -> tuple[np.ndarray, InplaceCompiler]:
    """The value ``expr`` leaves in a buffer ``out``, and the compiler (its pool sizes)."""
    names = _names()
    compiler = InplaceCompiler(PlainCompiler(IR, names), names)
    lines = compiler.compile_into(expr, "out")
    out = np.full(N, -999.0)
    space = _namespace(names, out=out, **_buffers(compiler.sizes), **extra)
    with np.errstate(all="ignore"):
        exec("\n".join(lines), space)
    return out, compiler


def assert_values(actual: object, expected: object) -> None:
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual.astype(float), expected.astype(float), rtol=1e-12,
                               atol=0, equal_nan=True)


BINARY: dict[str, Callable[[object, object], object]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "**": operator.pow, "%": np.remainder, "==": operator.eq, "!=": operator.ne,
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "and": np.logical_and, "or": np.logical_or,
}


def _expected(fn: Callable, *args: object) -> object:
    with np.errstate(all="ignore"):
        return fn(*args)


# ---- plain: one numpy expression -----------------------------------------------------------

@pytest.mark.parametrize("sign", list(BINARY))
def test_every_binary_operator_over_a_subscript_matches_numpy(sign: str) -> None:
    # x (one value per member) against demand (per member and district): x is broadcast
    operand, value = plain(op(sign, x, demand))
    assert operand.axes == ("district",)
    assert operand.boolean == (sign in BOOL_OPS)
    assert_values(value, _expected(BINARY[sign], X[:, None], DEMAND))


@pytest.mark.parametrize("sign", list(BINARY))
def test_every_binary_operator_on_scalars_matches_python(sign: str) -> None:
    operand, value = plain(op(sign, y, op("-", Num(0.5), Num(-1.0))))
    assert operand.axes == ()
    assert_values(value, _expected(BINARY[sign], Y, 1.5))


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
    assert_values(value, _expected(BINARY[sign], above_value, wet_value))
    # (x > 1) and (z > 0): [0, 0, 1, 1] and [0, 1, 0, 1], in place and plainly
    expected = _expected(BINARY[sign], np.array([0.0, 0.0, 1.0, 1.0]),
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


def _uniform(site: float) -> Call:
    return Call("random_uniform", (Num(site), Ref("time"), Num(-1.0), op("*", y, Num(5.0)),
                                   Num(7.0)))


def test_random_draws_one_value_per_member() -> None:
    operand, value = plain(_uniform(3.0))
    assert operand.axes == ()
    assert_values(value, runtime.random_uniform(STREAM, N, 3.0, T, -1.0, 10.0, 7.0))
    assert np.all((value >= -1.0) & (value < 10.0))
    with pytest.raises(UnsupportedConstructError,
                       match=r"^toy\.mdl: RANDOM_UNIFORM with subscripted arguments$"):
        plain(Call("random_uniform", (Num(3.0), Ref("time"), Num(0.0), demand, Num(7.0))))


def _interp(arg: np.ndarray, ys: np.ndarray) -> np.ndarray:
    return np.interp(arg, TABLE_X, ys)


def test_lookups_shared_and_per_member() -> None:
    # by hand: held at 10 below 0, 15 half way to 1, then down to 5 at 4
    operand, value = plain(LookupCall("table", x))
    assert operand.axes == ()
    assert_values(value, [10.0, 15.0, 15.0, 7.5])
    operand, value = plain(LookupCall("table", demand))
    assert operand.axes == ("district",)
    assert_values(value, _interp(DEMAND, TABLE[1]))
    # member i reads its own table: [0, 2, 8] held at 0 below x = 0, [1, 1, 1] is 1,
    # [4, 0, 4] at 2 is a third of the way up from 0 to 4, [3, 6, 0] at 3.5 is 6 - 2.5 * 2
    assert_values(plain(LookupCall("member_table", x))[1], [0.0, 1.0, 4 / 3, 1.0])


def test_subscripted_lookups_each_element_its_own_table() -> None:
    each = np.stack([_interp(X, DISTRICT_Y[i]) for i in range(4)], axis=1)
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
    assert_values(value, np.stack([_interp(DEMAND[:, 0], DISTRICT_Y[0]),
                                   _interp(DEMAND[:, 3], DISTRICT_Y[3])], axis=1))


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
    names = _names()
    compiler = PlainCompiler(IR, names)
    moved = op("*", y, Num(3.0))
    compiler.hoist = lambda expr: Operand("h0") if expr == moved else None
    operand = compiler.compile(op("+", x, moved))
    # h0 holds what the loop's preamble computed (not y * 3, to tell the two apart)
    assert_values(eval(operand.code, _namespace(names, h0=100.0)), X + 100.0)


def test_an_unknown_expression_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="unknown expression"):
        PlainCompiler(IR, _names()).compile("x")  # type: ignore[arg-type]


# ---- in place: ufunc calls into (n,) buffers ------------------------------------------------

@pytest.mark.parametrize("sign", list(BINARY))
def test_every_binary_operator_in_place_matches_numpy(sign: str) -> None:
    value, _ = in_place(op(sign, x, z))
    assert_values(value, _expected(BINARY[sign], X, Z))
    value, _ = in_place(op(sign, op("*", y, Num(0.75)), x))  # a scalar part, computed plainly
    assert_values(value, _expected(BINARY[sign], 1.5, X))


def test_negation_not_and_boolean_subtraction_in_place() -> None:
    above, positive = op(">", x, Num(1.0)), op(">", z, Num(0.0))
    assert_values(in_place(op("neg", x))[0], -X)
    assert_values(in_place(op("not", above))[0], [1.0, 1.0, 0.0, 0.0])
    assert_values(in_place(op("neg", above))[0], [0.0, 0.0, -1.0, -1.0])
    assert_values(in_place(op("-", above, positive))[0], [0.0, -1.0, 1.0, 0.0])
    assert_values(in_place(op("-", above, z))[0], [0.0, -1.0, 3.0, -3.0])
    assert_values(in_place(op("+", op("neg", above), op("not", positive)))[0],
                  [1.0, 0.0, 0.0, -1.0])
    assert_values(in_place(op("*", above, op("and", positive, above)))[0], [0.0, 0.0, 0.0, 1.0])


def test_values_read_whole_are_copied_into_the_target() -> None:
    assert_values(in_place(x)[0], X)
    assert_values(in_place(op("+", y, Num(1.0)))[0], np.full(N, 3.0))
    assert_values(in_place(StateOf("s_stock"), s_stock=Z)[0], Z)
    assert_values(in_place(op("*", StateOf("s_stock"), Num(2.0)), s_stock=Z)[0], 2 * Z)


def test_lookups_reductions_and_draws_in_place() -> None:
    assert_values(in_place(LookupCall("table", op("*", x, Num(2.0))))[0],
                  _interp(2 * X, TABLE[1]))
    assert_values(in_place(LookupCall("table", y))[0], np.full(N, 20.0 - 5.0))
    assert_values(in_place(LookupCall("member_table", y))[0], [4.0, 1.0, 4 / 3, 4.0])
    assert_values(in_place(LookupCall("district_table", x, ("d2",)))[0],
                  _interp(X, DISTRICT_Y[1]))
    assert_values(in_place(op("+", Call("sum", (Ref("demand", ("district!",)),)), x))[0],
                  DEMAND.sum(axis=1) + X)
    assert_values(in_place(Call("vmax", (Ref("demand", ("middle!",)),)))[0],
                  DEMAND[:, 1:3].max(axis=1))
    assert_values(in_place(_uniform(5.0))[0],
                  runtime.random_uniform(STREAM, N, 5.0, T, -1.0, 10.0, 7.0))
    assert_values(in_place(Call("max", (x, op("neg", z))))[0], np.maximum(X, -Z))
    assert_values(in_place(Call("abs", (op("-", x, z),)))[0], np.abs(X - Z))


def test_if_then_else_of_numbers_lookups_sums_and_draws_as_conditions() -> None:
    # Vensim's IF THEN ELSE takes any number as its condition: true where it is not 0
    assert_values(in_place(where(z, x, op("neg", x)))[0], np.where(Z != 0, X, -X))
    looked_up = LookupCall("district_table", x, ("d4",))  # -1, 0, 2/3, 1/6 at x
    assert_values(in_place(where(looked_up, Num(1.0), Num(2.0)))[0], [1.0, 2.0, 1.0, 1.0])
    assert_values(in_place(where(LookupCall("member_table", z), x, Num(0.0)))[0],
                  np.where(np.array([0.0, 1.0, 4.0, 0.0]) != 0, X, 0.0))
    total = Call("sum", (Ref("demand", ("district!",)),))
    assert_values(in_place(where(op("-", total, Num(2.5)), x, z))[0],
                  np.where(DEMAND.sum(axis=1) != 2.5, X, Z))
    assert_values(in_place(where(op("-", _uniform(3.0), Num(20.0)), x, z))[0], X)
    assert_values(in_place(where(op(">", y, Num(1.0)), x, z))[0], X)  # one condition for all
    assert_values(in_place(where(op("<", y, Num(1.0)), x, z))[0], Z)
    # a sum, a draw and an IF THEN ELSE, each the condition itself
    assert_values(in_place(where(total, x, z))[0], X)  # no member's total is 0
    assert_values(in_place(where(_uniform(3.0), x, z))[0], X)
    assert_values(in_place(where(where(op(">", x, Num(1.0)), z, Num(0.0)), x, op("neg", x)))[0],
                  [1.5, -0.5, 2.0, 3.5])  # z where x > 1, else 0: [0, 0, -2, 4]


def test_nested_if_then_else_keeps_every_live_temporary() -> None:
    # both branches nested, conditions computed from IF THEN ELSE, temporaries live across
    # a whole branch: each value is checked against numpy's where written out
    inner_true = where(op(">", z, Num(0.0)), op("+", op("*", x, z), Num(1.0)),
                       where(op(">", x, Num(3.0)), Call("abs", (x,)), op("neg", x)))
    inner_false = where(op("<", z, Num(0.0)), op("-", Call("min", (x, z)), Num(1.0)),
                        where(op("not", op("<", x, Num(-1.0))), op("**", x, Num(2.0)),
                              op("/", z, Num(2.0))))
    cond = op(">", where(x, op("+", x, z), z), Num(0.0))
    expr = op("+", where(cond, inner_true, inner_false),
              where(op("<=", z, x), LookupCall("table", op("-", x, z)), op("*", z, z)))
    with np.errstate(all="ignore"):
        t_true = np.where(Z > 0, X * Z + 1, np.where(X > 3, np.abs(X), -X))
        t_false = np.where(Z < 0, np.minimum(X, Z) - 1,
                           np.where(~(X < -1), X**2.0, Z / 2))
        c = np.where(X != 0, X + Z, Z) > 0
        expected = np.where(c, t_true, t_false) + np.where(
            Z <= X, _interp(X - Z, TABLE[1]), Z * Z)
    assert_values(in_place(expr)[0], expected)


def test_temporaries_are_reused_once_released() -> None:
    # where(x > 0, x * 2, z): the condition in tb0, x * 2 in tf0, the where in tf1;
    # both released, the second where takes tb0, tf0 again: two float and one bool in all
    first = where(op(">", x, Num(0.0)), op("*", x, Num(2.0)), z)
    second = where(op(">", z, Num(1.0)), x, op("*", z, Num(3.0)))
    value, compiler = in_place(op("+", first, second))
    assert_values(value, np.where(X > 0, 2 * X, Z) + np.where(Z > 1, X, 3 * Z))
    assert compiler.sizes == {"tf": 2, "tb": 1}
    # ((x * x) + 1) * 2 looked up: each step writes over the temporary it read
    value, compiler = in_place(LookupCall("table", op("*", op("+", op("*", x, x), Num(1.0)),
                                                      Num(0.5))))
    assert_values(value, _interp((X * X + 1) * 0.5, TABLE[1]))
    assert compiler.sizes == {"tf": 1, "tb": 0}
    # a condition that is a number is turned into a boolean, its float temporary released
    value, compiler = in_place(op("+", where(op("*", x, z), x, z), op("*", x, z)))
    assert_values(value, np.where(X * Z != 0, X, Z) + X * Z)
    assert compiler.sizes == {"tf": 2, "tb": 1}


def test_booleans_live_in_boolean_temporaries_and_numbers_in_float_ones() -> None:
    # table(not(x > z) + x * z): x > z and its negation in tb0, x * z in tf0, the sum in tf0
    value, compiler = in_place(LookupCall("table", op("+", op("not", op(">", x, z)),
                                                      op("*", x, z))))
    assert_values(value, _interp(~(X > Z) + X * Z, TABLE[1]))
    assert compiler.sizes == {"tf": 1, "tb": 1}
    # table((x > z) - x * z): the comparison in tb0 while x * z takes tf0
    value, compiler = in_place(LookupCall("table", op("-", op(">", x, z), op("*", x, z))))
    assert_values(value, _interp((X > Z) - X * Z, TABLE[1]))
    assert compiler.sizes == {"tf": 1, "tb": 1}
    # one operation straight into the target needs no temporary
    for expr, expected in ((op("neg", x), -X), (op("not", z), Z == 0),
                           (op("*", x, z), X * Z), (Call("max", (x, z)), np.maximum(X, Z))):
        value, compiler = in_place(expr)
        assert_values(value, expected)
        assert compiler.sizes == {"tf": 0, "tb": 0}


def test_temporaries_of_a_branch_are_released_after_the_if_then_else() -> None:
    # where(x < z, x, table(z * 2)) * x + (x + z) * (x - z): the condition in tb0, the where
    # in tf0, the lookup's argument in tf1 (released with the where); the product over tf0;
    # then x + z in tf1 and x - z in tf2
    branch = where(op("<", x, z), x, LookupCall("table", op("*", z, Num(2.0))))
    value, compiler = in_place(op("+", op("*", branch, x),
                                  op("*", op("+", x, z), op("-", x, z))))
    assert_values(value, np.where(X < Z, X, _interp(2 * Z, TABLE[1])) * X + (X + Z) * (X - Z))
    assert compiler.sizes == {"tf": 3, "tb": 1}


def test_the_pools_are_shared_by_the_equations_of_a_step() -> None:
    names = _names()
    compiler = InplaceCompiler(PlainCompiler(IR, names), names)
    first = compiler.compile_into(LookupCall("table", op("*", x, Num(2.0))), "out1")
    assert compiler.sizes == {"tf": 1, "tb": 0}
    second = compiler.compile_into(
        where(op("<", x, z), LookupCall("table", op("+", x, Num(1.0))),
              LookupCall("table", op("-", z, Num(1.0)))), "out2")
    assert compiler.sizes == {"tf": 2, "tb": 1}  # tf0 again, and one more for the other arm
    third = compiler.compile_into(where(op(">", x, Num(0.0)), op("neg", x), Num(0.0)), "out3")
    assert compiler.sizes == {"tf": 2, "tb": 1}
    outs = {f"out{i}": np.full(N, -999.0) for i in (1, 2, 3)}
    space = _namespace(names, **outs, **_buffers(compiler.sizes))
    exec("\n".join(first + second + third), space)
    assert_values(outs["out1"], _interp(2 * X, TABLE[1]))
    assert_values(outs["out2"], np.where(X < Z, _interp(X + 1, TABLE[1]),
                                         _interp(Z - 1, TABLE[1])))
    assert_values(outs["out3"], np.where(X > 0, -X, 0.0))


def test_which_expressions_vary_by_member() -> None:
    names = _names()
    varies = InplaceCompiler(PlainCompiler(IR, names), names).varies
    draw = Call("random_uniform", (Num(1.0), Ref("time"), Num(0.0), Num(1.0), Num(7.0)))
    varying = [x, StateOf("s"), op("+", y, x), LookupCall("member_table", y),
               LookupCall("table", x), draw, Call("abs", (x,))]
    invariant = [y, Num(1.0), op("*", y, Num(2.0)), LookupCall("table", y), Call("abs", (y,))]
    assert [varies(e) for e in varying] == [True] * len(varying)
    assert [varies(e) for e in invariant] == [False] * len(invariant)


def test_the_loop_code_allocates_no_member_sized_array() -> None:
    # the point of the in-place style: with 200,000 members, the step's arithmetic writes
    # into the preallocated buffers only (one float64 array would be 1.6 MB)
    members = 200_000
    rng = np.random.default_rng(0)
    big_x, big_z = rng.normal(size=members), rng.normal(size=members)
    expr = op("+", where(op(">", x, Num(0.0)), op("*", x, z), op("neg", op("-", z, x))),
              where(op("not", op("<", z, x)), Call("max", (x, z)),
                    op("-", op(">", x, z), op("<", z, Num(0.5)))))
    names = _names()
    compiler = InplaceCompiler(PlainCompiler(IR, names), names)
    lines = compiler.compile_into(expr, "out")
    out = np.empty(members)
    space = _namespace(names, v_x=big_x, v_z=big_z, out=out,
                       **_buffers(compiler.sizes, members))
    code = compile("\n".join(lines), "<step>", "exec")
    tracemalloc.start()
    exec(code, space)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < members * 8 / 4
    expected = np.where(big_x > 0, big_x * big_z, -(big_z - big_x)) + np.where(
        ~(big_z < big_x), np.maximum(big_x, big_z),
        (big_x > big_z).astype(float) - (big_z < 0.5))
    assert_values(out, expected)
