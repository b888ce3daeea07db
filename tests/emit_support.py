"""What the tests of the code generator's expressions share (``test_engine_emit.py``, plain
numpy expressions; ``test_engine_emit_inplace.py``, ufunc calls into buffers): a small model
built by hand, the values bound to its variables, and helpers that compile an expression and
run the generated code.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import numpy as np

from chenzhou_water.engine import runtime
from chenzhou_water.engine.emit_expr import (
    InplaceCompiler,
    Names,
    Operand,
    PlainCompiler,
)
from chenzhou_water.engine.ir import Call, Expr, ModelIR, Node, Num, Op, Ref

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


def make_node(name: str, dims: tuple[str, ...] = (), kind: str = "constant") -> Node:
    return Node(name, kind, dims)


IR = ModelIR(
    file_name="toy.mdl", sha256="0" * 64, ranges=RANGES, mappings={"city": ("district",)},
    initial_time=0.0, final_time=1.0, time_step=1.0, saveper=1.0,
    nodes={n.name: n for n in (
        make_node("x"), make_node("y"), make_node("z"), make_node("demand", ("district",)),
        make_node("by_city", ("city",)), make_node("grid", ("district", "season")),
        make_node("weight", ("season",)), make_node("matrix", ("row", "col")),
        make_node("table", kind="lookup"), make_node("member_table", kind="lookup"),
        make_node("district_table", ("district",), kind="lookup"),
        make_node("grid_table", ("district", "season"), kind="lookup"),
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


def make_names() -> Names:
    # identifiers unlike the variables' names: the generated code must go through them; the
    # time controls have identifiers but no node
    idents = {name: f"v_{name}" for name in IR.nodes} | {"time_step": "c_time_step"}
    return Names(idents, VARYING)


def namespace_of(names: Names, **extra: object) -> dict[str, object]:
    space: dict[str, object] = {"np": np, "_rt": runtime, "K": names.literals, "t": T, "n": N,
                                "_random": STREAM}
    space.update({names.idents[name]: value for name, value in VALUES.items()})
    space.update(extra)
    return space


def plain(expr: Expr, target: tuple[str, ...] = (), **extra: object) -> tuple[Operand, object]:
    """The operand ``expr`` compiles to, and its value."""
    names = make_names()
    compiler = PlainCompiler(IR, names, state_axes=("district",))
    compiler.target_dims = target
    operand = compiler.compile(expr)
    with np.errstate(all="ignore"):
        return operand, eval(operand.code, namespace_of(names, **extra))


def temporaries(sizes: dict[str, int], n: int = N) -> dict[str, np.ndarray]:
    """The temporaries a kernel allocates, filled with values no expression gives."""
    buffers = {f"tf{i}": np.full(n, -999.0) for i in range(sizes["tf"])}
    buffers.update({f"tb{i}": np.ones(n, dtype=bool) for i in range(sizes["tb"])})
    return buffers


def in_place(expr: Expr, **extra: object) -> tuple[np.ndarray, InplaceCompiler]:
    """The value ``expr`` leaves in a buffer ``out``, and the compiler (its pool sizes)."""
    names = make_names()
    compiler = InplaceCompiler(PlainCompiler(IR, names), names)
    lines = compiler.compile_into(expr, "out")
    out = np.full(N, -999.0)
    space = namespace_of(names, out=out, **temporaries(compiler.sizes), **extra)
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


def numpy_value(fn: Callable, *args: object) -> object:
    with np.errstate(all="ignore"):
        return fn(*args)


def uniform_draw(site: float) -> Call:
    return Call("random_uniform", (Num(site), Ref("time"), Num(-1.0), op("*", y, Num(5.0)),
                                   Num(7.0)))


def interp_each_member(arg: np.ndarray, ys: np.ndarray) -> np.ndarray:
    return np.interp(arg, TABLE_X, ys)
