"""Translate PySD's ``AbstractModel`` into the engine's IR (:mod:`chenzhou_water.engine.ir`).

Stateful built-ins (INTEG, SMOOTH, SMOOTH N, DELAY, DELAY N, DELAY FIXED, TREND, FORECAST,
SAMPLE IF TRUE, INITIAL, ACTIVE INITIAL) become nodes of kind ``stateful``; inline lookups become
lookup nodes; GAME passes its input through; a subscript used as a value and ELMCOUNT become
numbers. Anything the engine cannot reproduce exactly raises
:class:`~chenzhou_water.errors.UnsupportedConstructError` naming the file,
the variable and the construct.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chenzhou_water.engine import external
from chenzhou_water.engine.functions import RANDOM
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
from chenzhou_water.engine.subscripts import Fail, Subscripts
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
    subs: Subscripts | None = None
    variables: frozenset[str] = frozenset()
    counter: dict[str, int] = field(default_factory=dict)
    macros: dict[str, Any] = field(default_factory=dict)
    #: Inside a macro expansion: the macro's parameters and variables → what they stand for.
    rename: dict[str, Expr] = field(default_factory=dict)
    #: How messages name the place (default: the variable).
    shown: str = ""

    def fail(self, construct: str) -> UnsupportedConstructError:
        return UnsupportedConstructError(
            f"{self.file_name}: variable '{self.shown or self.element}': {construct} is not "
            "supported by the ensemble engine"
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
    macros = {py_name(s.name): s for s in abstract.sections[1:]}
    subs = Subscripts.from_ranges(section.subscripts, file_name)
    controls: dict[str, Any] = {}
    lookups = {py_name(e.name) for e in section.elements if _is_lookup(e)}
    variables = frozenset(py_name(e.name) for e in section.elements) | {"time"}
    nodes: dict[str, Node] = {}
    for element in section.elements:
        if type(element).__name__ == "AbstractControlElement":
            controls[py_name(element.name)] = element.components[0].ast
            continue
        if _external(element, Path(path).parent, nodes, subs, file_name):
            continue
        _translate_element(element, subs, lookups, nodes, file_name, variables, macros)
    times = _control_values(controls, subs, lookups, nodes, file_name, variables)
    return ModelIR(
        file_name=file_name, sha256=sha256, nodes=nodes, ranges=subs.ranges, **times,
        external_files=external.files(section, Path(path).parent), mappings=subs.mappings,
    )


def _control_values(controls: dict[str, Any], subs: Subscripts, lookups: set[str],
                    nodes: dict[str, Node], file_name: str,
                    variables: frozenset[str]) -> dict[str, float]:
    """The time controls: numbers, or expressions of numbers, constants and earlier controls."""
    values: dict[str, float] = {}
    for name in CONTROL_VARS:
        ast = controls.get(name)
        if ast is None and name == "saveper":
            values[name] = values["time_step"]
            continue
        if ast is None:
            raise ModelError(f"{file_name}: the model does not define {name.upper()}")
        ctx = _Context(file_name, name.upper(), (), lookups, {}, subs, variables)
        value = constant_value(_expr(ast, ctx), nodes, values)
        if value is None:
            raise ModelError(f"{file_name}: {name.upper()} must be a number or an expression "
                             f"of numbers, constants and earlier time controls, found {ast!r}")
        values[name] = value
    return values


def _external(element: Any, root: Path, nodes: dict[str, Node], subs: Subscripts,
              file_name: str) -> bool:
    """Translate a variable defined by GET XLS / GET DIRECT; False if it is not one."""
    comps = element.components
    kinds = {type(c.ast).__name__ for c in comps}
    if not kinds & set(external.EXTERNAL):
        return False
    name = py_name(element.name)
    where = f"{file_name}: variable '{element.name}'"
    kind = type(comps[0].ast).__name__
    if len(comps) != 1 or comps[0].subscripts[0] or kind not in external.EXTERNAL:
        raise UnsupportedConstructError(
            f"{where}: a subscripted {external.EXTERNAL.get(kind, 'GET')} is not supported by "
            "the ensemble engine"
        )
    ast = comps[0].ast
    if kind == "GetConstantsStructure":
        nodes[name] = Node(name, "constant", value=external.constant(ast, root, where))
    elif kind == "GetLookupsStructure":
        nodes[name] = Node(name, "lookup", value=external.lookup(ast, root, where))
    else:  # data: linear interpolation on model time, held beyond the ends (as PySD)
        table = f"_data_{name}"
        nodes[table] = Node(table, "lookup", public=False,
                            value=external.data(ast, getattr(comps[0], "keyword", None),
                                                root, where))
        nodes[name] = Node(name, "auxiliary",
                           components=(Component((), LookupCall(table, Ref("time"))),))
    del subs
    return True


def _is_lookup(element: Any) -> bool:
    return any(type(c).__name__ == "AbstractLookup" for c in element.components)


def _translate_element(
    element: Any, subs: Subscripts, lookups: set[str], nodes: dict[str, Node], file_name: str,
    variables: frozenset[str] = frozenset(), macros: dict[str, Any] | None = None,
) -> None:
    name = py_name(element.name)
    comps = element.components
    ctx = _Context(file_name, element.name, (), lookups, nodes, subs, variables,
                   macros=macros or {})
    targets = [tuple(c.subscripts[0]) for c in comps]
    dims = subs.variable_dims(targets, ctx.fail)
    for comp in comps:
        if comp.subscripts[1] and tuple(py_name(t) for t in comp.subscripts[0]) != dims:
            raise ctx.fail("an EXCEPT clause on a target that is not the variable's whole "
                           "dimensions")
    kind = type(comps[0]).__name__
    if kind == "AbstractLookup":
        nodes[name] = _lookup_node(name, comps, dims, ctx)
    elif kind == "AbstractData" and type(comps[0].ast).__name__ == "DataStructure":
        if dims:
            raise ctx.fail("a subscripted data variable")
        nodes[name] = Node(name, "data")
    elif all(_is_number(c.ast) for c in comps):
        value = _constant_value(comps, dims, subs, ctx.fail)
        nodes[name] = Node(name, "constant", dims, value=value)
    else:
        _auxiliary_node(name, comps, dims, subs, ctx)


def _is_number(ast: Any) -> bool:
    return isinstance(ast, (int, float, np.number, np.ndarray))


def _constant_value(comps: list[Any], dims: tuple[str, ...], subs: Subscripts,
                    fail: Fail) -> Any:
    if not dims:
        return float(comps[0].ast)
    value = np.full(subs.shape(dims), np.nan)
    for comp in comps:
        index, _ = subs.target_index(dims, tuple(comp.subscripts[0]), fail)
        part = np.asarray(comp.ast, dtype=float)
        shape = value[index].shape
        if part.shape != shape and part.size == int(np.prod(shape)):
            part = part.reshape(shape)  # TABBED ARRAY values arrive flat, row by row
        exclude = tuple(tuple(e) for e in comp.subscripts[1])
        where = subs.except_mask(dims, exclude, fail) if exclude else True
        value[index] = np.where(where, np.broadcast_to(part, shape), value[index])
    return value


def _lookup_node(name: str, comps: list[Any], dims: tuple[str, ...], ctx: _Context) -> Node:
    for comp in comps:
        if type(comp.ast).__name__ != "LookupsStructure":
            raise ctx.fail(f"a lookup defined by {_construct_name(type(comp.ast).__name__)}")
        if comp.subscripts[1]:
            raise ctx.fail("an EXCEPT clause on a lookup")
    if not dims:
        return Node(name, "lookup", value=_table(comps[0].ast, ctx))
    assert ctx.subs is not None
    tables = np.empty(ctx.subs.shape(dims), dtype=object)
    for comp in comps:
        index, _ = ctx.subs.target_index(dims, tuple(comp.subscripts[0]), ctx.fail)
        region = tables[tuple(slice(i, i + 1) if isinstance(i, int) else i for i in index)]
        table = _table(comp.ast, ctx)
        for position in np.ndindex(*region.shape):
            region[position] = table
        if any(isinstance(i, np.ndarray) for i in index):  # a fancy index copied the region
            tables[index] = region
    if any(t is None for t in tables.flat):
        raise ctx.fail("a subscripted lookup not defined for every element")
    return Node(name, "lookup", dims, value=tuple(tables.flat))


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
        expr = (_expr(comp.ast, ctx) if not _is_number(comp.ast)
                else _number(comp.ast, expr_dims, subs))
        exclude = tuple(tuple(e) for e in comp.subscripts[1])
        components.append(Component(target, expr, expr_dims, exclude))
    ctx.nodes[name] = Node(name, "auxiliary", dims, components=tuple(components))


def _number(value: Any, dims: tuple[str, ...], subs: Subscripts | None = None) -> Num:
    if isinstance(value, np.ndarray):
        array = np.asarray(value, dtype=float)
        if subs is not None and dims:
            shape = subs.shape(dims)
            if array.shape != shape and array.size == int(np.prod(shape)):
                array = array.reshape(shape)  # TABBED ARRAY values arrive flat
        return Num(array, dims)
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
    if name in ctx.rename:
        if subs is not None:
            raise ctx.fail(f"the subscripted macro variable '{ast.reference}'")
        return ctx.rename[name]
    if ctx.variables and name not in ctx.variables and name not in CONTROL_VARS:
        value = ctx.subs.as_value(name) if ctx.subs is not None else None
        if value is None:
            raise ctx.fail(f"a reference to '{ast.reference}', which is neither a variable "
                           "nor a subscript,")
        return Num(*value)
    return Ref(name, subs)


def _expand_macro(section: Any, args: tuple[Any, ...], ctx: _Context) -> Expr:
    """Expand one call of a macro: its variables become internal nodes of this call site.

    Each call gets its own copy of the macro's variables (and so its own stocks), over the
    dimensions of the calling expression; the parameters stand for the call's arguments.
    """
    macro = py_name(section.name)
    if section.returns:
        raise ctx.fail(f"the macro {section.name} with additional outputs")
    if len(args) != len(section.params):
        raise ctx.fail(f"the macro {section.name} called with {len(args)} arguments "
                       f"(it takes {len(section.params)})")
    prefix = ctx.new_name(f"macro_{macro}")
    rename: dict[str, Expr] = {py_name(p): _argument(_expr(a, ctx), ctx)
                               for p, a in zip(section.params, args, strict=True)}
    local = {py_name(e.name): f"{prefix}__{py_name(e.name)}" for e in section.elements}
    rename.update({k: Ref(v) for k, v in local.items()})
    if macro not in local:
        raise ctx.fail(f"the macro {section.name}, which defines no variable of its own name")
    for element in section.elements:
        comps = element.components
        mctx = _Context(ctx.file_name, local[py_name(element.name)], ctx.expr_dims,
                        ctx.lookups, ctx.nodes, ctx.subs, ctx.variables, macros=ctx.macros,
                        rename=rename, shown=f"{ctx.shown or ctx.element}' (macro "
                        f"{section.name}, variable '{element.name}")
        if len(comps) != 1 or comps[0].subscripts[0] or type(comps[0]).__name__ != (
                "AbstractComponent"):
            raise mctx.fail("a subscripted, lookup or data variable inside a macro")
        name, dims, ast = mctx.element, ctx.expr_dims, comps[0].ast
        if type(ast).__name__ == "IntegStructure":
            ctx.nodes[name] = Node(name, "stateful", dims, stateful=_integ(ast, mctx),
                                   public=False)
        else:
            expr = _number(ast, ()) if _is_number(ast) else _expr(ast, mctx)
            ctx.nodes[name] = Node(name, "auxiliary", dims, public=False,
                                   components=(Component(dims, expr, dims),))
    return Ref(local[macro])


def _elmcount(ast: Any, ctx: _Context) -> Expr:
    (arg,) = ast.arguments
    name = py_name(getattr(arg, "reference", ""))
    if ctx.subs is None or not ctx.subs.is_range(name):
        raise ctx.fail("ELMCOUNT of something that is not a subscript range")
    return Num(float(len(ctx.subs.ranges[name])))


def _game(ast: Any, ctx: _Context) -> Expr:
    # GAME only matters in Vensim's gaming mode; in a simulation it passes its input through.
    return _expr(ast.expression, ctx)


def constant_value(expr: Expr, nodes: dict[str, Node], known: dict[str, float]) -> float | None:
    """The value of an expression of numbers, scalar constants and ``known`` names, or None."""
    if isinstance(expr, Num):
        return None if expr.dims else float(expr.value)  # type: ignore[arg-type]
    if isinstance(expr, Ref):
        if expr.name in known:
            return known[expr.name]
        node = nodes.get(expr.name)
        if node is not None and node.kind == "constant" and not node.dims:
            return float(node.value)  # type: ignore[arg-type]
        if node is not None and node.kind == "auxiliary" and not node.dims:
            return constant_value(node.components[0].expr, nodes, known)
        return None
    if isinstance(expr, Op):
        args = [constant_value(a, nodes, known) for a in expr.args]
        if any(a is None for a in args):
            return None
        if len(args) == 1:
            return -args[0] if expr.op == "neg" else float(not args[0])  # type: ignore[operator]
        with np.errstate(all="ignore"):
            return float(_CONSTANT_OPS[expr.op](args[0], args[1]))
    if isinstance(expr, Call) and expr.fn in ("min", "max", "abs", "integer"):
        args = [constant_value(a, nodes, known) for a in expr.args]
        if any(a is None for a in args):
            return None
        return float({"min": min, "max": max, "abs": abs, "integer": np.trunc}[expr.fn](*args))
    return None


_CONSTANT_OPS = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "**": np.power,
    "==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal, ">": np.greater,
    ">=": np.greater_equal, "and": np.logical_and, "or": np.logical_or,
}


def _call(ast: Any, ctx: _Context) -> Expr:
    fn = py_name(ast.function.reference)
    args = tuple(ast.arguments)
    if fn in ctx.macros and fn not in ctx.rename:
        return _expand_macro(ctx.macros[fn], args, ctx)
    if fn == "elmcount":
        return _elmcount(ast, ctx)
    if fn == "active_initial":
        return _active_initial(ast, ctx)
    if fn in ctx.lookups:
        if len(args) != 1:
            raise ctx.fail(f"lookup '{fn}' called with {len(args)} arguments")
        ref = ast.function.subscripts
        return LookupCall(fn, _expr(args[0], ctx),
                          tuple(ref.subscripts) if ref is not None else None)
    if fn in RANDOM:
        return _random(fn, args, ctx)
    if fn == "get_time_value":
        return _get_time_value(args, ctx)
    if fn == "invert_matrix":  # the size argument repeats the matrix's own
        if len(args) != 2:
            raise ctx.fail(f"INVERT MATRIX with {len(args)} arguments")
        return Call("invert_matrix", (_expr(args[0], ctx),))
    if fn not in FUNCTIONS:
        raise ctx.fail(f"the function {fn.upper().replace('_', ' ')}")
    if len(args) not in FUNCTIONS[fn]:
        raise ctx.fail(f"{fn.upper()} with {len(args)} arguments")
    return Call(fn, tuple(_expr(a, ctx) for a in args))


def _get_time_value(args: tuple[Any, ...], ctx: _Context) -> Expr:
    """GET TIME VALUE(relativeto, offset, measure) where it is a model time: measure 0 with
    relativeto 0 (Time + offset) or 1 (INITIAL TIME + offset). Calendar measures and the
    computer clock are refused: they are not model arithmetic."""
    if len(args) != 3:
        raise ctx.fail(f"GET TIME VALUE with {len(args)} arguments")
    relative, offset, measure = args
    if measure != 0 or relative not in (0, 1) or isinstance(relative, bool):
        raise ctx.fail(f"GET TIME VALUE({relative!r}, ..., {measure!r}) (only measure 0 with "
                       "relativeto 0 or 1, as numbers, is a model time)")
    base = Ref("time") if relative == 0 else Ref("initial_time")
    return Op("+", (base, _expr(offset, ctx)))


def _random(fn: str, args: tuple[Any, ...], ctx: _Context) -> Expr:
    """A random draw per member and time step; the call site is numbered for its own stream."""
    construct = fn.upper().replace("_", " ")
    if len(args) != RANDOM[fn]:
        raise ctx.fail(f"{construct} with {len(args)} arguments")
    if ctx.expr_dims:
        raise ctx.fail(f"{construct} in a subscripted equation")
    site = ctx.new_name(fn)
    number = float(zlib.crc32(site.encode("utf-8")))
    return Call(fn, (Num(number), Ref("time"), *(_expr(a, ctx) for a in args)))


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
    if int(value) < 1:
        raise ctx.fail(f"{what} of order {int(value)} (the order must be at least 1)")
    return int(value)


def _smooth(ast: Any, ctx: _Context) -> Expr:
    args = {"input": ast.input, "smooth_time": ast.smooth_time, "initial": ast.initial}
    return _stateful("smooth", ctx, args, order=_order(ast.order, ctx, "SMOOTH"))


def _delay(ast: Any, ctx: _Context) -> Expr:
    args = {"input": ast.input, "delay_time": ast.delay_time, "initial": ast.initial}
    return _stateful("delay", ctx, args, order=_order(ast.order, ctx, "DELAY"))


def _fields(kind: str, *fields: str) -> Any:
    """A handler turning a structure's fields into the arguments of a stateful of ``kind``."""

    def handler(ast: Any, ctx: _Context) -> Expr:
        return _stateful(kind, ctx, {f: getattr(ast, f) for f in fields})

    return handler


def _smooth_n(ast: Any, ctx: _Context) -> Expr:
    args = {"input": ast.input, "smooth_time": ast.smooth_time, "initial": ast.initial}
    order = ast.order
    if isinstance(order, (int, float, np.number)):
        return _stateful("smooth", ctx, args, order=_order(order, ctx, "SMOOTH N"))
    return _stateful("smooth_n", ctx, {**args, "order": order})


def _active_initial(ast: Any, ctx: _Context) -> Expr:
    if len(ast.arguments) != 2:
        raise ctx.fail(f"ACTIVE INITIAL with {len(ast.arguments)} arguments")
    expression, initial = ast.arguments
    return _stateful("active_initial", ctx, {"expression": expression, "initial": initial})


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
    "DelayFixedStructure": _fields("delay_fixed", "input", "delay_time", "initial"),
    # DELAY N is not folded into DELAY: its delay time may vary, and each stage keeps the
    # delay time it was entered with (PySD's pipeline of times); its order is an expression
    # evaluated once, at initialisation.
    "DelayNStructure": _fields("delay_n", "input", "delay_time", "initial", "order"),
    "SmoothNStructure": _smooth_n,
    "GameStructure": _game,
    "TrendStructure": _fields("trend", "input", "average_time", "initial_trend"),
    "ForecastStructure": _fields("forecast", "input", "average_time", "horizon", "initial_trend"),
    "SampleIfTrueStructure": _fields("sample_if_true", "condition", "input", "initial"),
    "InitialStructure": _fields("initial", "initial"),
}
