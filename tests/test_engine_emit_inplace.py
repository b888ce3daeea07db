"""The code generator's expressions compiled in place (:class:`InplaceCompiler`: ufunc calls
into preallocated buffers of shape ``(n,)``), run on small arrays: no model needed. The plain
compiler's tests, and what both share, are in ``test_engine_emit.py`` and ``emit_support.py``.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from emit_support import (
    BINARY,
    DEMAND,
    DISTRICT_Y,
    IR,
    STREAM,
    TABLE,
    N,
    T,
    X,
    Z,
    assert_values,
    in_place,
    interp_each_member,
    make_names,
    namespace_of,
    numpy_value,
    op,
    temporaries,
    uniform_draw,
    where,
    x,
    y,
    z,
)

from chenzhou_water.engine import runtime
from chenzhou_water.engine.emit_expr import (
    InplaceCompiler,
    PlainCompiler,
)
from chenzhou_water.engine.ir import Call, LookupCall, Num, Ref, StateOf

# ---- in place: ufunc calls into (n,) buffers ------------------------------------------------

@pytest.mark.parametrize("sign", list(BINARY))
def test_every_binary_operator_in_place_matches_numpy(sign: str) -> None:
    value, _ = in_place(op(sign, x, z))
    assert_values(value, numpy_value(BINARY[sign], X, Z))
    value, _ = in_place(op(sign, op("*", y, Num(0.75)), x))  # a scalar part, computed plainly
    assert_values(value, numpy_value(BINARY[sign], 1.5, X))


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
                  interp_each_member(2 * X, TABLE[1]))
    assert_values(in_place(LookupCall("table", y))[0], np.full(N, 20.0 - 5.0))
    assert_values(in_place(LookupCall("member_table", y))[0], [4.0, 1.0, 4 / 3, 4.0])
    assert_values(in_place(LookupCall("district_table", x, ("d2",)))[0],
                  interp_each_member(X, DISTRICT_Y[1]))
    assert_values(in_place(op("+", Call("sum", (Ref("demand", ("district!",)),)), x))[0],
                  DEMAND.sum(axis=1) + X)
    assert_values(in_place(Call("vmax", (Ref("demand", ("middle!",)),)))[0],
                  DEMAND[:, 1:3].max(axis=1))
    assert_values(in_place(uniform_draw(5.0))[0],
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
    assert_values(in_place(where(op("-", uniform_draw(3.0), Num(20.0)), x, z))[0], X)
    assert_values(in_place(where(op(">", y, Num(1.0)), x, z))[0], X)  # one condition for all
    assert_values(in_place(where(op("<", y, Num(1.0)), x, z))[0], Z)
    # a sum, a draw and an IF THEN ELSE, each the condition itself
    assert_values(in_place(where(total, x, z))[0], X)  # no member's total is 0
    assert_values(in_place(where(uniform_draw(3.0), x, z))[0], X)
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
            Z <= X, interp_each_member(X - Z, TABLE[1]), Z * Z)
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
    assert_values(value, interp_each_member((X * X + 1) * 0.5, TABLE[1]))
    assert compiler.sizes == {"tf": 1, "tb": 0}
    # a condition that is a number is turned into a boolean, its float temporary released
    value, compiler = in_place(op("+", where(op("*", x, z), x, z), op("*", x, z)))
    assert_values(value, np.where(X * Z != 0, X, Z) + X * Z)
    assert compiler.sizes == {"tf": 2, "tb": 1}


def test_booleans_live_in_boolean_temporaries_and_numbers_in_float_ones() -> None:
    # table(not(x > z) + x * z): x > z and its negation in tb0, x * z in tf0, the sum in tf0
    value, compiler = in_place(LookupCall("table", op("+", op("not", op(">", x, z)),
                                                      op("*", x, z))))
    assert_values(value, interp_each_member(~(X > Z) + X * Z, TABLE[1]))
    assert compiler.sizes == {"tf": 1, "tb": 1}
    # table((x > z) - x * z): the comparison in tb0 while x * z takes tf0
    value, compiler = in_place(LookupCall("table", op("-", op(">", x, z), op("*", x, z))))
    assert_values(value, interp_each_member((X > Z) - X * Z, TABLE[1]))
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
    branch_value = np.where(X < Z, X, interp_each_member(2 * Z, TABLE[1]))
    assert_values(value, branch_value * X + (X + Z) * (X - Z))
    assert compiler.sizes == {"tf": 3, "tb": 1}


def test_the_pools_are_shared_by_the_equations_of_a_step() -> None:
    names = make_names()
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
    space = namespace_of(names, **outs, **temporaries(compiler.sizes))
    exec("\n".join(first + second + third), space)
    assert_values(outs["out1"], interp_each_member(2 * X, TABLE[1]))
    assert_values(outs["out2"], np.where(X < Z, interp_each_member(X + 1, TABLE[1]),
                                         interp_each_member(Z - 1, TABLE[1])))
    assert_values(outs["out3"], np.where(X > 0, -X, 0.0))


def test_which_expressions_vary_by_member() -> None:
    names = make_names()
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
    names = make_names()
    compiler = InplaceCompiler(PlainCompiler(IR, names), names)
    lines = compiler.compile_into(expr, "out")
    out = np.empty(members)
    space = namespace_of(names, v_x=big_x, v_z=big_z, out=out,
                       **temporaries(compiler.sizes, members))
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
