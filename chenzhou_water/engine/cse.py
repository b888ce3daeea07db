"""Common sub-expressions of the time loop, computed once a step instead of once per use.

Vensim equations repeat themselves: the Chenzhou model writes "inflow - evaporation -
withdrawal" in four flows of the reservoir, "available water - evaporation" in three. In the
loop of an ensemble kernel each repetition is a numpy call on ``(n,)`` arrays. This module
finds the member-varying sub-expressions that occur more than once in the loop's equations and
gives each a name; the kernel computes the named value once a step, into its own buffer, before
its first use. The arithmetic is unchanged: the same operations on the same operands in the
same order, so the results are the same to the bit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping

from chenzhou_water.engine.emit_expr import BOOL_OPS
from chenzhou_water.engine.ir import Call, Expr, LookupCall, Op, Ref

__all__ = ["common_subexpressions"]


def _children(expr: Expr) -> tuple[Expr, ...]:
    if isinstance(expr, (Op, Call)):
        return expr.args
    if isinstance(expr, LookupCall):
        return (expr.arg,)
    return ()


def _subtrees(expr: Expr) -> Iterator[Expr]:
    yield expr
    for child in _children(expr):
        yield from _subtrees(child)


def _size(expr: Expr) -> int:
    return sum(1 for _ in _subtrees(expr))


def _hashable(expr: Expr) -> bool:
    try:
        hash(expr)
    except TypeError:  # a literal array
        return False
    return True


def _count(expr: Expr, target: Expr) -> int:
    """Occurrences of ``target`` in ``expr``, not counting those inside an occurrence."""
    if expr == target:
        return 1
    return sum(_count(child, target) for child in _children(expr))


def _replace(expr: Expr, target: Expr, name: str) -> Expr:
    if expr == target:
        return Ref(name)
    if isinstance(expr, Op):
        return Op(expr.op, tuple(_replace(a, target, name) for a in expr.args))
    if isinstance(expr, Call):
        return Call(expr.fn, tuple(_replace(a, target, name) for a in expr.args))
    if isinstance(expr, LookupCall):
        return LookupCall(expr.table, _replace(expr.arg, target, name), expr.subs)
    return expr


def common_subexpressions(
    exprs: Mapping[str, Expr], varies: Callable[[Expr], bool], prefix: str
) -> tuple[dict[str, Expr], dict[str, Expr]]:
    """Name the repeated member-varying sub-expressions of ``exprs``.

    Parameters
    ----------
    exprs : mapping
        Node name -> its (desugared) expression, for the nodes the loop computes in place.
    varies : callable
        Whether a sub-expression varies by member (only those are worth a buffer).
    prefix : str
        Names of the new values: ``prefix + "0"``, ``prefix + "1"``...

    Returns
    -------
    exprs : dict
        The expressions, each repeated sub-expression replaced by a reference to its name.
    shared : dict
        Name -> definition, largest first; a definition may refer to later (smaller) names.
        Booleans (comparisons) are left alone: their buffers would be floats.
    """
    out = dict(exprs)
    counts = Counter(
        sub for expr in out.values() for sub in _subtrees(expr)
        if isinstance(sub, (Op, Call, LookupCall)) and _hashable(sub) and varies(sub)
        and not (isinstance(sub, Op) and sub.op in BOOL_OPS)
    )  # fmt: skip
    candidates = sorted((sub for sub, c in counts.items() if c > 1), key=_size, reverse=True)
    shared: dict[str, Expr] = {}
    for sub in candidates:
        uses = sum(_count(e, sub) for e in [*out.values(), *shared.values()])
        if uses < 2:  # its repetitions were inside a larger shared expression
            continue
        name = f"{prefix}{len(shared)}"
        out = {k: _replace(e, sub, name) for k, e in out.items()}
        shared = {k: _replace(e, sub, name) for k, e in shared.items()}
        shared[name] = sub
    return out, shared
