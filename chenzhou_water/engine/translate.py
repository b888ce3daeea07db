"""Translate PySD's ``AbstractModel`` into the engine's IR (:mod:`chenzhou_water.engine.ir`).

Stateful built-ins (INTEG, SMOOTH, DELAY, DELAY FIXED, TREND, FORECAST, SAMPLE IF TRUE, INITIAL)
become nodes of kind ``stateful``; inline lookups become lookup nodes; anything the engine cannot
reproduce exactly raises :class:`~chenzhou_water.errors.UnsupportedConstructError` naming the
file, the variable and the construct.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chenzhou_water.engine.ir import (
    Call,
    Component,
    Expr,
    LookupCall,
    ModelIR,
    Node,
    Num,
    Op,
    Ref,
    Stateful,
)
from chenzhou_water.engine.subscripts import Subscripts
from chenzhou_water.errors import ModelError, UnsupportedConstructError
from chenzhou_water.model.metadata import py_name

#: Names of the time-control variables, usable in equations like constants.
CONTROL_VARS = ("initial_time", "final_time", "time_step", "saveper")

#: Built-in functions the code generator implements, with their accepted argument counts.
FUNCTIONS: dict[str, tuple[int, ...]] = {
    "if_then_else": (3,), "min": (2,), "max": (2,), "abs": (1,), "exp": (1,), "ln": (1,),
    "log": (2,), "sqrt": (1,), "sin": (1,), "cos": (1,), "tan": (1,), "arcsin": (1,),
    "arccos": (1,), "arctan": (1,), "sinh": (1,), "cosh": (1,), "tanh": (1,), "power": (2,),
    "integer": (1,), "modulo": (2,), "quantum": (2,), "xidz": (3,), "zidz": (2,),
    "step": (2,), "ramp": (3,), "pulse": (2,), "pulse_train": (4,), "pi": (0,),
    "sum": (1,), "prod": (1,), "vmin": (1,), "vmax": (1,),
}

_BINARY = {
    "+": "+", "-": "-", "*": "*", "/": "/", "^": "**",
    "=": "==", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">=",
    ":AND:": "and", ":OR:": "or",
}
# Python precedence of the operators PySD writes into its generated source.
_PRECEDENCE = {"**": 4, "*": 3, "/": 3, "+": 2, "-": 2}
_COMPARISONS = {"==", "!=", "<", "<=", ">", ">="}


@dataclass
class _Context:
    """Where a translation happens, for synthetic names and error messages."""

    file_name: str
    element: str
    expr_dims: tuple[str, ...]
    lookups: set[str]
    nodes: dict[str, Node]
    counter: dict[str, int] = field(default_factory=dict)

    def fail(self, construct: str) -> UnsupportedConstructError:
        return UnsupportedConstructError(
            f"{self.file_name}: variable '{self.element}': {construct} is not supported by "
            "the ensemble engine"
        )

    def new_name(self, kind: str) -> str:
        base = f"_{kind}_{py_name(self.element)}"
        k = self.counter.get(base, 0)
        self.counter[base] = k + 1
        return f"{base}_{k}"


def translate(abstract: Any, path: str | Path, sha256: str) -> ModelIR:
    """Build the IR of a parsed model.

    Parameters
    ----------
    abstract : pysd AbstractModel
        The model as returned by :func:`chenzhou_water.model.metadata.read_abstract_model`.
    path : str or Path
        The model file (only its name is used, in messages and the generated header).
    sha256 : str
        SHA-256 of the model file.

    Raises
    ------
    UnsupportedConstructError
        If the model uses a construct the engine does not implement.
    """
    file_name = Path(path).name
    section = abstract.sections[0]
    if len(abstract.sections) > 1:
        raise UnsupportedConstructError(f"{file_name}: macros are not supported by the engine")
    subs = Subscripts.from_ranges(section.subscripts, file_name)
    controls: dict[str, Any] = {}
    lookups = {py_name(e.name) for e in section.elements if _is_lookup(e)}
    nodes: dict[str, Node] = {}
    for element in section.elements:
        if type(element).__name__ == "AbstractControlElement":
            controls[py_name(element.name)] = element.components[0].ast
            continue
        _translate_element(element, subs, lookups, nodes, file_name)
    times = _control_values(controls, file_name)
    return ModelIR(
        file_name=file_name, sha256=sha256, nodes=nodes, ranges=subs.ranges, **times
    )


def _control_values(controls: dict[str, Any], file_name: str) -> dict[str, float]:
    values: dict[str, float] = {}
    for name in CONTROL_VARS:
        ast = controls.get(name)
        if isinstance(ast, (int, float, np.number)):
            values[name] = float(ast)
        elif name == "saveper" and (ast is None or getattr(ast, "reference", "") == "time_step"):
            values[name] = values["time_step"]
        else:
            raise ModelError(f"{file_name}: {name.upper()} must be a number, found {ast!r}")
    return values


def _is_lookup(element: Any) -> bool:
    return any(type(c).__name__ == "AbstractLookup" for c in element.components)


def _translate_element(
    element: Any, subs: Subscripts, lookups: set[str], nodes: dict[str, Node], file_name: str
) -> None:
    name = py_name(element.name)
    comps = element.components
    ctx = _Context(file_name, element.name, (), lookups, nodes)
    for comp in comps:
        if comp.subscripts[1]:
            raise ctx.fail("a subscript EXCEPT clause")
    targets = [tuple(c.subscripts[0]) for c in comps]
    dims = subs.variable_dims(targets, ctx.fail)
    kind = type(comps[0]).__name__
    if kind == "AbstractLookup":
        nodes[name] = _lookup_node(name, comps, dims, ctx)
    elif kind == "AbstractData" and type(comps[0].ast).__name__ == "DataStructure":
        if dims:
            raise ctx.fail("a subscripted data variable")
        nodes[name] = Node(name, "data")
    elif all(_is_number(c.ast) for c in comps):
        nodes[name] = Node(name, "constant", dims, value=_constant_value(comps, dims, subs))
    else:
        _auxiliary_node(name, comps, dims, subs, ctx)


def _is_number(ast: Any) -> bool:
    return isinstance(ast, (int, float, np.number, np.ndarray))


def _constant_value(comps: list[Any], dims: tuple[str, ...], subs: Subscripts) -> Any:
    if not dims:
        return float(comps[0].ast)
    value = np.full(subs.shape(dims), np.nan)
    for comp in comps:
        index, _ = subs.target_index(dims, tuple(comp.subscripts[0]))
        part = np.asarray(comp.ast, dtype=float)
        value[index] = np.broadcast_to(part, value[index].shape)
    return value


def _lookup_node(name: str, comps: list[Any], dims: tuple[str, ...], ctx: _Context) -> Node:
    if dims or len(comps) != 1:
        raise ctx.fail("a subscripted lookup")
    ast = comps[0].ast
    if type(ast).__name__ != "LookupsStructure":
        raise ctx.fail(f"a lookup defined by {type(ast).__name__}")
    return Node(name, "lookup", value=_table(ast, ctx))


def _table(ast: Any, ctx: _Context) -> tuple[tuple[float, ...], tuple[float, ...]]:
    if ast.type != "interpolate":
        raise ctx.fail(f"a lookup of type '{ast.type}'")
    x = tuple(float(v) for v in ast.x)
    y = tuple(float(v) for v in ast.y)
    order = np.argsort(x, kind="stable")
    return tuple(x[i] for i in order), tuple(y[i] for i in order)


def _auxiliary_node(
    name: str, comps: list[Any], dims: tuple[str, ...], subs: Subscripts, ctx: _Context
) -> None:
    components = []
    for comp in comps:
        target = tuple(comp.subscripts[0])
        _, expr_dims = subs.target_index(dims, target)
        ctx.expr_dims = expr_dims
        whole = target == dims or not dims
        if len(comps) == 1 and whole and type(comp.ast).__name__ == "IntegStructure":
            # A plain stock: the stateful node carries the variable's own name.
            ctx.nodes[name] = Node(name, "stateful", dims, stateful=_integ(comp.ast, ctx))
            return
        expr = _expr(comp.ast, ctx) if not _is_number(comp.ast) else _number(comp.ast, expr_dims)
        components.append(Component(target, expr, expr_dims))
    ctx.nodes[name] = Node(name, "auxiliary", dims, components=tuple(components))


def _number(value: Any, dims: tuple[str, ...]) -> Num:
    if isinstance(value, np.ndarray):
        return Num(np.asarray(value, dtype=float), dims)
    return Num(float(value))


def _integ(ast: Any, ctx: _Context) -> Stateful:
    return Stateful(
        "integ",
        {"flow": _argument(_expr(ast.flow, ctx), ctx),
         "initial": _argument(_expr(ast.initial, ctx), ctx)},
        non_negative=bool(ast.non_negative),
    )


def _expr(ast: Any, ctx: _Context) -> Expr:
    """Translate one abstract-syntax node."""
    if isinstance(ast, (bool, np.bool_)):
        return Num(float(ast))
    if isinstance(ast, (int, float, np.number)):
        return Num(float(ast))
    kind = type(ast).__name__
    handler = _HANDLERS.get(kind)
    if handler is None:
        raise ctx.fail(_construct_name(kind))
    return handler(ast, ctx)


def _construct_name(kind: str) -> str:
    names = {
        "DelayNStructure": "DELAY N", "SmoothNStructure": "SMOOTH N",
        "GetDataStructure": "GET DATA", "GetLookupsStructure": "GET LOOKUPS",
        "GetConstantsStructure": "GET CONSTANTS", "GameStructure": "GAME",
        "AllocateAvailableStructure": "ALLOCATE AVAILABLE",
        "AllocateByPriorityStructure": "ALLOCATE BY PRIORITY",
    }
    return names.get(kind, kind)


def _operation(ast: Any, ctx: _Context) -> Expr:
    ops, args = list(ast.operators), [_expr(a, ctx) for a in ast.arguments]
    if len(args) == 1:
        unary = {"negative": "neg", ":NOT:": "not", "-": "neg"}
        if ops[0] == "+":
            return args[0]
        if ops[0] not in unary:
            raise ctx.fail(f"the unary operator {ops[0]}")
        return Op(unary[ops[0]], (args[0],))
    if len(ops) != len(args) - 1 or any(op not in _BINARY for op in ops):
        raise ctx.fail(f"the operator sequence {ops}")
    py_ops = [_BINARY[op] for op in ops]
    if all(op in ("and", "or") for op in py_ops):
        # PySD nests logical functions from the right: a AND (b OR c).
        result = args[-1]
        for op, left in zip(reversed(py_ops), reversed(args[:-1]), strict=True):
            result = Op(op, (left, result))
        return result
    if any(op in ("and", "or") for op in py_ops) or sum(o in _COMPARISONS for o in py_ops) > 1:
        raise ctx.fail(f"the mixed operator sequence {ops}")
    return _precedence(py_ops, args)


def _precedence(ops: list[str], args: list[Expr]) -> Expr:
    """Group a flat operator sequence as Python parses the string PySD writes."""
    if len(ops) == 0:
        return args[0]
    # Split at the loosest operator; the last one for left-associative operators,
    # the first one for the right-associative power.
    level = min(_PRECEDENCE.get(op, 0) for op in ops)
    positions = [i for i, op in enumerate(ops) if _PRECEDENCE.get(op, 0) == level]
    i = positions[0] if ops[positions[0]] == "**" else positions[-1]
    left = _precedence(ops[:i], args[: i + 1])
    right = _precedence(ops[i + 1 :], args[i + 1 :])
    return Op(ops[i], (left, right))


def _reference(ast: Any, ctx: _Context) -> Expr:
    name = py_name(ast.reference)
    subs = tuple(ast.subscripts.subscripts) if ast.subscripts is not None else None
    return Ref(name, subs)


def _call(ast: Any, ctx: _Context) -> Expr:
    fn = py_name(ast.function.reference)
    args = tuple(ast.arguments)
    if fn in ctx.lookups:
        if len(args) != 1:
            raise ctx.fail(f"lookup '{fn}' called with {len(args)} arguments")
        return LookupCall(fn, _expr(args[0], ctx))
    if fn not in FUNCTIONS:
        raise ctx.fail(f"the function {fn.upper()}")
    if len(args) not in FUNCTIONS[fn]:
        raise ctx.fail(f"{fn.upper()} with {len(args)} arguments")
    return Call(fn, tuple(_expr(a, ctx) for a in args))


def _inline_lookup(ast: Any, ctx: _Context) -> Expr:
    name = ctx.new_name("lookup")
    ctx.nodes[name] = Node(name, "lookup", value=_table(ast.lookups, ctx), public=False)
    return LookupCall(name, _expr(ast.argument, ctx))


def _stateful(kind: str, ctx: _Context, args: dict[str, Any], **extra: Any) -> Ref:
    name = ctx.new_name(kind)
    exprs = {k: _argument(_expr(v, ctx), ctx) for k, v in args.items()}
    node = Node(name, "stateful", ctx.expr_dims, public=False,
                stateful=Stateful(kind, exprs, **extra))
    ctx.nodes[name] = node
    return Ref(name)


def _argument(expr: Expr, ctx: _Context) -> Expr:
    """A stateful's argument as a number or a whole-variable reference.

    Other expressions become internal auxiliaries over the stateful's dimensions, so that the
    value, derivative and initialisation code read one computed array.
    """
    if isinstance(expr, Num) or (isinstance(expr, Ref) and expr.subs is None):
        return expr
    name = ctx.new_name("arg")
    dims = ctx.expr_dims
    ctx.nodes[name] = Node(name, "auxiliary", dims, components=(Component(dims, expr, dims),),
                           public=False)
    return Ref(name)


def _order(value: Any, ctx: _Context, what: str) -> int:
    if not isinstance(value, (int, float, np.number)) or int(value) != value:
        raise ctx.fail(f"{what} with a non-integer order {value!r}")
    return int(value)


def _smooth(ast: Any, ctx: _Context) -> Expr:
    args = {"input": ast.input, "smooth_time": ast.smooth_time, "initial": ast.initial}
    return _stateful("smooth", ctx, args, order=_order(ast.order, ctx, "SMOOTH"))


def _delay(ast: Any, ctx: _Context) -> Expr:
    args = {"input": ast.input, "delay_time": ast.delay_time, "initial": ast.initial}
    return _stateful("delay", ctx, args, order=_order(ast.order, ctx, "DELAY"))


def _delay_fixed(ast: Any, ctx: _Context) -> Expr:
    args = {"input": ast.input, "delay_time": ast.delay_time, "initial": ast.initial}
    return _stateful("delay_fixed", ctx, args)


def _trend(ast: Any, ctx: _Context) -> Expr:
    args = {"input": ast.input, "average_time": ast.average_time,
            "initial_trend": ast.initial_trend}
    return _stateful("trend", ctx, args)


def _forecast(ast: Any, ctx: _Context) -> Expr:
    args = {"input": ast.input, "average_time": ast.average_time, "horizon": ast.horizon,
            "initial_trend": ast.initial_trend}
    return _stateful("forecast", ctx, args)


def _sample_if_true(ast: Any, ctx: _Context) -> Expr:
    args = {"condition": ast.condition, "input": ast.input, "initial": ast.initial}
    return _stateful("sample_if_true", ctx, args)


def _initial(ast: Any, ctx: _Context) -> Expr:
    return _stateful("initial", ctx, {"initial": ast.initial})


def _integ_inside(ast: Any, ctx: _Context) -> Expr:
    name = ctx.new_name("integ")
    ctx.nodes[name] = Node(name, "stateful", ctx.expr_dims, public=False,
                           stateful=_integ(ast, ctx))
    return Ref(name)


_HANDLERS = {
    "ArithmeticStructure": _operation,
    "LogicStructure": _operation,
    "ReferenceStructure": _reference,
    "CallStructure": _call,
    "InlineLookupsStructure": _inline_lookup,
    "IntegStructure": _integ_inside,
    "SmoothStructure": _smooth,
    "DelayStructure": _delay,
    "DelayFixedStructure": _delay_fixed,
    "TrendStructure": _trend,
    "ForecastStructure": _forecast,
    "SampleIfTrueStructure": _sample_if_true,
    "InitialStructure": _initial,
}
