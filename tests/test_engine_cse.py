"""Which sub-expressions the code generator shares, worked out by hand on small expressions.

Sharing never changes a result (the kernel tests check that); these tests check what is
shared: only member-varying, non-boolean, repeated sub-expressions, the largest first, each
given a name where it was repeated, inside lookups too, and none of a literal array.
"""

from __future__ import annotations

import numpy as np

from chenzhou_water.engine.cse import common_subexpressions
from chenzhou_water.engine.ir import Call, Expr, LookupCall, Num, Op, Ref

X, Y, Z, W, V = (Ref(n) for n in "xyzwv")


def _varies(expr: Expr) -> bool:
    """Only ``x`` varies by member, and what reads it."""
    if isinstance(expr, Ref):
        return expr.name == "x"
    if isinstance(expr, LookupCall):
        return _varies(expr.arg)
    if isinstance(expr, (Op, Call)):
        return any(_varies(a) for a in expr.args)
    return False


def op(sign: str, *args: Expr) -> Op:
    return Op(sign, tuple(args))


def test_the_largest_repetition_is_shared_first_and_what_it_swallowed_is_not() -> None:
    x_y_z = op("-", op("-", X, Y), Z)
    exprs = {
        "b": op("/", x_y_z, Num(3.0)),
        "c": op("+", x_y_z, Num(1.0)),
        "a": op("+", op("*", X, W), Num(1.0)),
        "d": op("-", op("*", X, W), Num(2.0)),
    }
    out, shared = common_subexpressions(exprs, _varies, "s")
    # x - y occurs only inside (x - y) - z: once that is shared, x - y is used once
    assert shared == {"s0": x_y_z, "s1": op("*", X, W)}
    assert out == {
        "b": op("/", Ref("s0"), Num(3.0)),
        "c": op("+", Ref("s0"), Num(1.0)),
        "a": op("+", Ref("s1"), Num(1.0)),
        "d": op("-", Ref("s1"), Num(2.0)),
    }


def test_a_shared_value_reads_a_smaller_shared_value() -> None:
    x_y = op("-", X, Y)
    x_y_z = op("-", x_y, Z)
    # the smaller repetition is met first: sharing still starts from the larger one
    exprs = {"c": op("+", x_y, Num(1.0)), "a": op("*", x_y_z, Num(2.0)),
             "b": op("/", x_y_z, Num(3.0))}
    out, shared = common_subexpressions(exprs, _varies, "s")
    assert shared == {"s0": op("-", Ref("s1"), Z), "s1": x_y}
    assert out == {"c": op("+", Ref("s1"), Num(1.0)), "a": op("*", Ref("s0"), Num(2.0)),
                   "b": op("/", Ref("s0"), Num(3.0))}


def test_repetitions_that_do_not_vary_or_are_booleans_are_left_alone() -> None:
    y_z = op("-", Y, Z)  # one value for all members: computed elsewhere, not shared here
    above = op(">", X, Num(1.0))  # a boolean: its buffer would have to be a float one
    exprs = {"a": op("+", X, y_z), "b": op("-", X, y_z),
             "c": Call("where", (above, X, Num(0.0))), "d": Call("where", (above, Num(1.0), X))}
    out, shared = common_subexpressions(exprs, _varies, "s")
    assert shared == {}
    assert out == exprs


def test_a_repetition_inside_a_lookup_is_shared_and_the_lookup_keeps_its_subscripts() -> None:
    x_v = op("*", X, V)
    exprs = {"m": LookupCall("table", x_v, ("north",)), "n": op("+", x_v, Num(1.0))}
    out, shared = common_subexpressions(exprs, _varies, "s")
    assert shared == {"s0": x_v}
    assert out["m"] == LookupCall("table", Ref("s0"), ("north",))


def test_an_expression_holding_a_literal_array_is_not_shared() -> None:
    weights = Num(np.array([1.0, 2.0]), ("d",))
    exprs = {"p": op("*", X, weights), "q": op("*", X, weights)}
    out, shared = common_subexpressions(exprs, _varies, "s")
    assert shared == {}
    assert out == exprs


def test_one_occurrence_is_not_shared() -> None:
    exprs = {"a": op("-", X, Y), "b": op("-", X, Z)}
    assert common_subexpressions(exprs, _varies, "s") == (exprs, {})
