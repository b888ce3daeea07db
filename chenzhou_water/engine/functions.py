"""Vensim built-ins rewritten into primitive operations, exactly as PySD evaluates them.

Each rewrite follows the arithmetic of ``pysd.py_backend.functions`` operation by operation
(same operands, same order), so that the generated kernel rounds like PySD does. The primitive
vocabulary left for the code generator is: the operators of :class:`~.ir.Op` (plus ``%``),
``where`` (IF THEN ELSE), the element-wise numpy functions of :data:`UFUNCS`, ``sum``, ``prod``,
``vmin``, ``vmax`` over ``!`` axes, and lookups.
"""

from __future__ import annotations

import numpy as np

from chenzhou_water.engine.ir import Call, Expr, LookupCall, Num, Op, Ref

SMALL_VENSIM = 1e-6  # what Vensim (and PySD) call zero

#: Element-wise functions: IR name → numpy ufunc name.
UFUNCS = {
    "abs": "absolute", "exp": "exp", "ln": "log", "sqrt": "sqrt", "sin": "sin", "cos": "cos",
    "tan": "tan", "arcsin": "arcsin", "arccos": "arccos", "arctan": "arctan", "sinh": "sinh",
    "cosh": "cosh", "tanh": "tanh", "trunc": "trunc", "min": "minimum", "max": "maximum",
}
REDUCTIONS = {"sum": "sum", "prod": "prod", "vmin": "min", "vmax": "max"}
#: Random functions: IR name → number of Vensim arguments. The IR call carries two more in
#: front: the call site's number and ``Time`` (see :func:`chenzhou_water.engine.runtime.uniform01`).
RANDOM = {"random_uniform": 3, "random_normal": 5}

TIME = Ref("time")
TIME_STEP = Ref("time_step")


def _where(cond: Expr, a: Expr, b: Expr) -> Call:
    return Call("where", (cond, a, b))


def _op(op: str, *args: Expr) -> Op:
    return Op(op, tuple(args))


def _quantum(a: Expr, b: Expr) -> Expr:
    # b*integer(a/b), or a where b < SMALL_VENSIM
    return _where(_op("<", b, Num(SMALL_VENSIM)), a, _op("*", b, Call("trunc", (_op("/", a, b),))))


def _pulse_single(start: Expr, width: Expr) -> Expr:
    # start - SMALL_VENSIM <= t < start + width
    return _op("and", _op("<=", _op("-", start, Num(SMALL_VENSIM)), TIME),
               _op("<", TIME, _op("+", start, width)))


def _pulse_train(start: Expr, repeat: Expr, width: Expr, end: Expr) -> Expr:
    phase = _op("%", _op("+", _op("-", TIME, start), Num(SMALL_VENSIM)), repeat)
    inside = _op("and", _op("<=", start, TIME), _op("<", TIME, end))
    train = _where(inside, _where(_op("<", phase, width), Num(1.0), Num(0.0)), Num(0.0))
    single = _where(_pulse_single(start, width), Num(1.0), Num(0.0))
    return _where(_op("==", repeat, Num(0.0)), single, train)


def _rewrite_call(fn: str, args: tuple[Expr, ...]) -> Expr:
    if fn == "if_then_else":
        return _where(*args)
    if fn == "power":
        return _op("**", *args)
    if fn == "log":
        return _op("/", Call("ln", (args[0],)), Call("ln", (args[1],)))
    if fn == "integer":
        return Call("trunc", args)
    if fn == "quantum":
        return _quantum(*args)
    if fn == "modulo":
        return _op("-", args[0], _quantum(*args))
    if fn == "xidz":
        num, den, x = args
        return _where(_op("<", Call("abs", (den,)), Num(SMALL_VENSIM)), x, _op("/", num, den))
    if fn == "zidz":
        num, den = args
        return _where(_op("<", Call("abs", (den,)), Num(SMALL_VENSIM)), Num(0.0),
                      _op("/", num, den))
    if fn == "step":
        value, tstep = args
        return _op("*", value, _op(">", _op("+", TIME, _op("/", TIME_STEP, Num(2.0))), tstep))
    if fn == "ramp":
        slope, start, finish = args
        started = _op(">", _op("+", TIME, Num(SMALL_VENSIM)), start)
        return _op("*", _op("*", started, slope), _op("-", Call("min", (finish, TIME)), start))
    if fn == "pulse":
        return _where(_pulse_single(*args), Num(1.0), Num(0.0))
    if fn == "pulse_train":
        return _pulse_train(*args)
    if fn == "pi":
        return Num(float(np.pi))
    return Call(fn, args)


def desugar(expr: Expr) -> Expr:
    """Rewrite every Vensim built-in of ``expr`` into primitive operations."""
    if isinstance(expr, Op):
        return Op(expr.op, tuple(desugar(a) for a in expr.args))
    if isinstance(expr, LookupCall):
        return LookupCall(expr.table, desugar(expr.arg), expr.subs)
    if isinstance(expr, Call):
        return _rewrite_call(expr.fn, tuple(desugar(a) for a in expr.args))
    return expr
