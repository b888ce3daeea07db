"""Compile IR expressions into numpy source text.

Two styles are emitted:

* *plain*: one numpy expression (allocating temporaries); used for the initialisation phase,
  for member-invariant values and for subscripted variables. Operands carry their axis names
  and are aligned by transposing and inserting new axes.
* *in place*: a sequence of ufunc calls writing into preallocated buffers with ``out=``; used
  inside the time loop for scalar (unsubscripted) values that vary by member, which is where
  nearly all the work of a large ensemble is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from chenzhou_water.engine.functions import RANDOM, REDUCTIONS, UFUNCS
from chenzhou_water.engine.ir import Call, Expr, LookupCall, ModelIR, Num, Op, Ref, StateOf
from chenzhou_water.engine.subscripts import Subscripts
from chenzhou_water.errors import ModelError, UnsupportedConstructError

BINARY_UFUNCS = {
    "+": "add", "-": "subtract", "*": "multiply", "/": "divide", "**": "power", "%": "remainder",
    "==": "equal", "!=": "not_equal", "<": "less", "<=": "less_equal", ">": "greater",
    ">=": "greater_equal", "and": "logical_and", "or": "logical_or",
}
BOOL_OPS = {"==", "!=", "<", "<=", ">", ">=", "and", "or", "not"}
# Python's bools count as 1 and 0 (True + True is 2); numpy keeps booleans boolean (True + True
# is True, True * True a boolean) or refuses them (subtraction, negation): arithmetic on
# booleans alone is computed in float64
_ARITHMETIC = {"+", "-", "*", "/", "**", "%"}
_BOOL_UNSAFE = {f"np.{BINARY_UFUNCS[sign]}" for sign in _ARITHMETIC} | {"np.negative"}
_INFIX = {"+", "-", "*", "/", "**", "%", "==", "!=", "<", "<=", ">", ">="}
# Python's float division raises on a zero divisor where numpy's gives inf/nan; np.where(cond,
# a, b) evaluates both branches, so XIDZ/ZIDZ with a zero constant divisor must not raise:
# division always goes through numpy (correctly rounded, so the same bits as Python's).
# ``**`` stays Python's operator: numpy's vectorised power may differ in the last bit.
_PYTHON_RAISES = {"/"}


@dataclass(frozen=True)
class Operand:
    """A compiled sub-expression: source text, axis names after the member axis, boolean-ness."""

    code: str
    axes: tuple[str, ...] = ()
    boolean: bool = False


@dataclass
class Names:
    """Identifiers of the generated code and which nodes vary by member."""

    idents: dict[str, str]
    member_varying: frozenset[str]
    literals: list[np.ndarray] = field(default_factory=list)

    def lookup_call(self, arg: str, table: str) -> str:
        """Source of a lookup call: a shared table, or one table per member."""
        if table in self.member_varying:
            return f"_rt.interp_members({arg}, {self.idents[table]})"
        return f"_rt.interp({arg}, {self.idents[table]})"

    def literal(self, value: np.ndarray) -> str:
        self.literals.append(np.asarray(value, dtype=float)[None, ...])
        return f"K[{len(self.literals) - 1}]"


def align(operand: Operand, axes: tuple[str, ...]) -> str:
    """Source text of ``operand`` rearranged to broadcast against an array over ``axes``."""
    src = operand.axes
    if src == axes or not axes:
        return operand.code
    if not src:
        return f"_rt.col({operand.code}, {len(axes)})"
    missing = [a for a in src if a not in axes]
    if missing:
        raise ModelError(f"dimensions {missing} cannot be combined with {list(axes)}")
    code = operand.code
    order = sorted(range(len(src)), key=lambda i: axes.index(src[i]))
    if order != list(range(len(src))):
        code = f"{code}.transpose(0, {', '.join(str(i + 1) for i in order)})"
    present = [a for a in axes if a in src]
    if present != list(axes):
        index = ", ".join(":" if a in src else "None" for a in axes)
        code = f"{code}[:, {index}]"
    return code


def _union(*operands: Operand) -> tuple[str, ...]:
    axes: list[str] = []
    for op in operands:
        axes.extend(a for a in op.axes if a not in axes)
    return tuple(axes)


class PlainCompiler:
    """Compile an expression to one numpy expression (see module docstring)."""

    def __init__(self, ir: ModelIR, names: Names, state_axes: tuple[str, ...] = ()):
        self.ir = ir
        self.subs = Subscripts(ir.ranges, ir.mappings)
        self.names = names
        self.state_axes = state_axes
        #: Dimensions of the equation being compiled (for subscript mappings).
        self.target_dims: tuple[str, ...] = ()
        #: While the time loop is compiled: gives the operand to read instead of computing an
        #: expression (one computed before the loop, :class:`~.hoist.Hoister`), or None.
        self.hoist: Callable[[Expr], Operand | None] | None = None

    def compile(self, expr: Expr) -> Operand:
        if self.hoist is not None:
            moved = self.hoist(expr)
            if moved is not None:
                return moved
        if isinstance(expr, Num):
            if expr.dims:
                return Operand(self.names.literal(np.asarray(expr.value)), expr.dims)
            return Operand(_float_text(float(expr.value)))
        if isinstance(expr, StateOf):
            return Operand(expr.name, self.state_axes)
        if isinstance(expr, Ref):
            return self._ref(expr)
        if isinstance(expr, Op):
            return self._op(expr)
        if isinstance(expr, LookupCall) and self.ir.nodes[expr.table].dims:
            return self._subscripted_lookup(expr)
        if isinstance(expr, LookupCall):
            arg = self.compile(expr.arg)
            return Operand(self.names.lookup_call(arg.code, expr.table), arg.axes)
        if isinstance(expr, Call):
            return self._call(expr)
        raise TypeError(f"unknown expression {expr!r}")

    def _ref(self, ref: Ref) -> Operand:
        if ref.name == "time":
            return Operand("t")
        ident = self.names.idents.get(ref.name)
        if ident is None:
            raise ModelError(f"{self.ir.file_name}: reference to unknown variable '{ref.name}'")
        node = self.ir.nodes.get(ref.name)
        dims = node.dims if node is not None else ()
        if ref.subs is None or not dims:
            return Operand(ident, dims)

        def fail(what: str) -> UnsupportedConstructError:
            return UnsupportedConstructError(f"{self.ir.file_name}: {what} in '{ref.name}'")

        index, axes = self.subs.selection(dims, ref.subs, fail)
        axes = self._mapped(axes)
        if _selects_all(index) and axes == dims:
            return Operand(ident, axes)
        text = ", ".join(_index_text(i) for i in index)
        return Operand(f"{ident}[:, {text}]", axes)

    def _subscripted_lookup(self, call: LookupCall) -> Operand:
        """``table[subs](arg)``: each selected element interpolates its own table."""
        dims = self.ir.nodes[call.table].dims

        def fail(what: str) -> UnsupportedConstructError:
            return UnsupportedConstructError(f"{self.ir.file_name}: {what} in '{call.table}'")

        index, axes = self.subs.selection(dims, call.subs, fail)
        arg = self.compile(call.arg)
        if any(a not in axes for a in arg.axes):
            raise fail(f"a lookup argument over {list(arg.axes)} (the lookup gives {list(axes)})")
        ident = self.names.idents[call.table]
        tables = ident if _selects_all(index) else (
            f"{ident}[{', '.join(_index_text(i) for i in index)}]")
        return Operand(f"_rt.interp_each({align(arg, axes)}, {tables})", axes)

    def _mapped(self, axes: tuple[str, ...]) -> tuple[str, ...]:
        """Axes of a mapped range renamed to the equation's range they map onto."""
        out = []
        for axis in axes:
            targets = [d for d in self.target_dims if axis not in self.target_dims
                       and self.subs.maps(axis, d)]
            out.append(targets[0] if targets else axis)
        return tuple(out)

    def _op(self, op: Op) -> Operand:
        args = [self.compile(a) for a in op.args]
        if len(args) == 1:
            (arg,) = args
            if op.op == "not":
                return Operand(f"np.logical_not({arg.code})", arg.axes, True)
            if arg.boolean:
                return Operand(f"np.negative({arg.code}, dtype=np.float64)", arg.axes)
            return Operand(f"(-{arg.code})", arg.axes)
        axes = _union(*args)
        left, right = (align(a, axes) for a in args)
        boolean = op.op in BOOL_OPS
        if op.op in _ARITHMETIC and all(a.boolean for a in args):
            return Operand(f"np.{BINARY_UFUNCS[op.op]}({left}, {right}, dtype=np.float64)", axes)
        if op.op in _INFIX and op.op not in _PYTHON_RAISES:
            return Operand(f"({left} {op.op} {right})", axes, boolean)
        return Operand(f"np.{BINARY_UFUNCS[op.op]}({left}, {right})", axes, boolean)

    def _call(self, call: Call) -> Operand:
        args = [self.compile(a) for a in call.args]
        if call.fn in RANDOM:  # one draw per member: (n,) whatever the arguments
            if any(a.axes for a in args):
                raise UnsupportedConstructError(
                    f"{self.ir.file_name}: {call.fn.upper()} with subscripted arguments")
            codes = ", ".join(a.code for a in args)
            return Operand(f"_rt.{call.fn}(_random, n, {codes})")
        if call.fn == "invert_matrix":
            (arg,) = args
            if len(arg.axes) != 2:
                raise UnsupportedConstructError(
                    f"{self.ir.file_name}: INVERT MATRIX of an expression over {list(arg.axes)}"
                    " (it needs two subscripts)")
            return Operand(f"np.linalg.inv({arg.code})", arg.axes)
        if call.fn in REDUCTIONS:
            (arg,) = args
            over = tuple(i + 1 for i, a in enumerate(arg.axes) if a.endswith("!"))
            if not over:
                raise UnsupportedConstructError(
                    f"{self.ir.file_name}: {call.fn.upper()} needs a dimension marked with '!'"
                )
            keep = tuple(a for a in arg.axes if not a.endswith("!"))
            return Operand(f"np.{REDUCTIONS[call.fn]}({arg.code}, axis={over})", keep)
        axes = _union(*args)
        codes = [align(a, axes) for a in args]
        if call.fn == "where":
            return Operand(f"np.where({', '.join(codes)})", axes)
        return Operand(f"np.{UFUNCS[call.fn]}({', '.join(codes)})", axes)


def _float_text(value: float) -> str:
    """Source text of a float literal (``:NA:`` is NaN; infinities are possible too)."""
    if np.isnan(value):
        return "np.nan"
    if np.isinf(value):
        return "np.inf" if value > 0 else "(-np.inf)"
    return repr(value)


def _selects_all(index: tuple[object, ...]) -> bool:
    """True when every axis is selected whole (an index list is never ``== slice(None)``)."""
    return all(isinstance(i, slice) and i == slice(None) for i in index)


def _index_text(index: object) -> str:
    if isinstance(index, slice):
        start = "" if index.start is None else index.start
        stop = "" if index.stop is None else index.stop
        return f"{start}:{stop}"
    if isinstance(index, np.ndarray):
        return repr(index.tolist())
    return str(index)


class InplaceCompiler:
    """Compile a scalar, member-varying expression into ufunc calls with ``out=`` buffers.

    Sub-expressions that do not vary by member are left to :class:`PlainCompiler` (they are
    scalars, cheap to compute). Temporaries come from two pools of preallocated arrays of shape
    ``(n,)``: ``tf<i>`` (float) and ``tb<i>`` (bool); :attr:`sizes` tells how many to allocate.
    """

    def __init__(self, plain: PlainCompiler, names: Names):
        self.plain = plain
        self.names = names
        self.sizes = {"tf": 0, "tb": 0}
        self._free: dict[str, list[str]] = {"tf": [], "tb": []}
        self.lines: list[str] = []

    def compile_into(self, expr: Expr, dest: str) -> list[str]:
        """Statements leaving the value of ``expr`` in the buffer ``dest``."""
        self.lines = []
        code, _, temp = self._emit(expr, dest)
        if code != dest:
            self.lines.append(f"np.copyto({dest}, {code})")
        self._release(temp)
        return self.lines

    def varies(self, expr: Expr) -> bool:
        if isinstance(expr, StateOf):
            return True
        if isinstance(expr, Ref):
            return expr.name in self.names.member_varying
        if isinstance(expr, LookupCall):
            return expr.table in self.names.member_varying or self.varies(expr.arg)
        if isinstance(expr, Call) and expr.fn in RANDOM:
            return True
        if isinstance(expr, (Op, Call)):
            return any(self.varies(a) for a in expr.args)
        return False

    def _take(self, kind: str) -> str:
        if self._free[kind]:
            return self._free[kind].pop()
        name = f"{kind}{self.sizes[kind]}"
        self.sizes[kind] += 1
        return name

    def _release(self, *temps: str | None) -> None:
        for temp in temps:
            if temp is not None:
                self._free[temp[:2]].append(temp)

    def _emit(self, expr: Expr, dest: str | None) -> tuple[str, bool, str | None]:
        """Return (operand code, is boolean, temporary to release once consumed)."""
        if not self.varies(expr) or isinstance(expr, (Ref, StateOf)):
            operand = self.plain.compile(expr)
            return operand.code, operand.boolean, None
        if isinstance(expr, LookupCall) and self.plain.ir.nodes[expr.table].dims:
            return self.plain.compile(expr).code, False, None
        if isinstance(expr, LookupCall):
            arg, _, temp = self._emit(expr.arg, None)
            return self.names.lookup_call(arg, expr.table), False, temp
        if isinstance(expr, Op):
            return self._op(expr, dest)
        assert isinstance(expr, Call)
        if expr.fn == "where":
            return self._where(expr, dest)
        if expr.fn in REDUCTIONS or expr.fn in RANDOM:
            # a reduction over subscripts reads whole arrays: plain style, one allocation
            return self.plain.compile(expr).code, False, None
        return self._ufunc(f"np.{UFUNCS[expr.fn]}", expr.args, dest, False)

    def _op(self, op: Op, dest: str | None) -> tuple[str, bool, str | None]:
        boolean = op.op in BOOL_OPS
        if len(op.args) == 1:
            fn = "np.logical_not" if op.op == "not" else "np.negative"
            return self._ufunc(fn, op.args, dest, boolean)
        return self._ufunc(f"np.{BINARY_UFUNCS[op.op]}", op.args, dest, boolean)

    def _ufunc(self, fn: str, args: tuple[Expr, ...], dest: str | None,
               boolean: bool) -> tuple[str, bool, str | None]:
        emitted = [self._emit(a, None) for a in args]
        self._release(*(temp for _, _, temp in emitted))
        target = dest or self._take("tb" if boolean else "tf")
        all_bool = all(b for _, b, _ in emitted)
        dtype = ", dtype=np.float64" if fn in _BOOL_UNSAFE and all_bool else ""
        codes = ", ".join(code for code, _, _ in emitted)
        self.lines.append(f"{fn}({codes}, out={target}{dtype})")
        return target, boolean, None if dest else target

    def _where(self, call: Call, dest: str | None) -> tuple[str, bool, str | None]:
        cond, cond_bool, cond_temp = self._emit(call.args[0], None)
        if not cond_bool:
            as_bool = self._take("tb")
            self.lines.append(f"np.not_equal({cond}, 0.0, out={as_bool})")
            self._release(cond_temp)
            cond, cond_temp = as_bool, as_bool
        true, _, true_temp = self._emit(call.args[1], None)
        target = dest or self._take("tf")
        # the false branch is computed straight into the target (a nested IF THEN ELSE
        # included), then the true branch copied over it where the condition holds
        false, _, false_temp = self._emit(call.args[2], target)
        if false != target:
            self.lines.append(f"np.copyto({target}, {false})")
        self.lines.append(f"np.copyto({target}, {true}, where={cond})")
        self._release(cond_temp, true_temp, false_temp)
        return target, False, None if dest else target
