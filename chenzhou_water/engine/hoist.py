"""Move what does not vary by member out of the time loop, computed once over the time grid.

Inside the time loop of an ensemble kernel, every member-varying value is one numpy call on
``(n,)`` arrays, while a value that depends only on time and constants (the calendar year and
month, a lookup of a schedule by year, a seasonal share) is the same for every member. Left in
the loop, each such value costs a numpy call per step of roughly what a call on ``n`` floats
costs; a kernel of the Chenzhou model made about 27 scalar lookups and as many scalar
operations a step this way. This module finds them and evaluates them before the loop, once,
with ``t`` the whole time grid: the same elementwise operations on a vector of times instead of
one time, and the loop reads ``h<i>[k]``.

Two kinds of expression move:

* *time-only nodes*: unsubscripted auxiliaries in the loop that are one value for all members
  and read only time, constants, member-invariant lookups and other time-only nodes;
* *sub-expressions* of the loop's other code (member-varying values, the flows of
  member-invariant stocks) that read only those things: a sub-expression that reads no time at
  all (``normal pool - dead storage``) is computed once, a time-dependent one once per grid
  point. Identical sub-expressions share one array.

Stocks never move: their values depend on the previous step.
"""

from __future__ import annotations

from collections.abc import Callable

from chenzhou_water.engine.emit_expr import Operand, PlainCompiler
from chenzhou_water.engine.functions import RANDOM, REDUCTIONS, desugar
from chenzhou_water.engine.ir import Call, Expr, LookupCall, ModelIR, Num, Op, Ref
from chenzhou_water.engine.plan import Plan, RunConfig
from chenzhou_water.engine.translate import CONTROL_VARS

__all__ = ["Hoister"]


class Hoister:
    """Collect the code computed before the time loop, and tell the loop what to read instead.

    Parameters
    ----------
    ir, config, plan
        The model, run configuration and schedule of the kernel being written.
    ident : callable
        Node name -> identifier in the generated code.
    plain : PlainCompiler
        The compiler of the kernel; :meth:`hoisting` installs :meth:`operand` as its hook.
    """

    def __init__(self, ir: ModelIR, config: RunConfig, plan: Plan,
                 ident: Callable[[str], str], plain: PlainCompiler):
        self.ir, self.plan, self.ident, self.plain = ir, plan, ident, plain
        self.lines: list[str] = []
        self._by_code: dict[str, str] = {}
        self.nodes: set[str] = set()
        for name in plan.loop_order:  # dependency order: a node's inputs are decided first
            node = ir.nodes[name]
            if (node.kind == "auxiliary" and name not in config.series and not node.dims
                    and name not in plan.member_varying and len(node.components) == 1
                    and self.movable(desugar(node.components[0].expr))):
                self.nodes.add(name)

    # ---- what can move -------------------------------------------------------------------
    def movable(self, expr: Expr) -> bool:
        """True if ``expr`` is one unsubscripted value for all members, at each time, that
        reads no stock: time, constants, member-invariant lookups and time-only nodes."""
        if isinstance(expr, Num):
            return not expr.dims
        if isinstance(expr, Ref):
            if expr.name == "time":
                return True
            node = self.ir.nodes.get(expr.name)
            if node is None:  # a control variable (TIME STEP, ...) or a shared value
                return expr.name in CONTROL_VARS
            if node.dims or expr.name in self.plan.member_varying:
                return False
            return expr.name not in self.plan.time_varying or expr.name in self.nodes
        if isinstance(expr, LookupCall):
            table = self.ir.nodes[expr.table]
            return (not table.dims and expr.table not in self.plan.member_varying
                    and self.movable(expr.arg))
        if isinstance(expr, Op):
            return all(self.movable(a) for a in expr.args)
        if isinstance(expr, Call):
            if expr.fn in RANDOM or expr.fn in REDUCTIONS or expr.fn == "invert_matrix":
                return False
            return all(self.movable(a) for a in expr.args)
        return False  # a stock's state

    def _timed(self, expr: Expr) -> bool:
        """True if a movable expression changes with time."""
        if isinstance(expr, Ref):
            return expr.name == "time" or expr.name in self.nodes
        if isinstance(expr, LookupCall):
            return self._timed(expr.arg)
        if isinstance(expr, (Op, Call)):
            return any(self._timed(a) for a in expr.args)
        return False

    # ---- the compiler's hook -------------------------------------------------------------
    def operand(self, expr: Expr) -> Operand | None:
        """What the loop reads for ``expr`` if it moves out of the loop, else None.

        A bare number or name stays (it costs nothing); anything else that :meth:`movable`
        accepts is compiled once, before the loop, into ``h<i>``.
        """
        if isinstance(expr, (Num, Ref)) or not self.movable(expr):
            return None
        hook, self.plain.hoist = self.plain.hoist, None
        try:
            operand = self.plain.compile(expr)
        finally:
            self.plain.hoist = hook
        if operand.axes:
            return None
        name = self._store(operand.code)
        return Operand(f"{name}[k]" if self._timed(expr) else name, (), operand.boolean)

    def _store(self, code: str) -> str:
        name = self._by_code.get(code)
        if name is None:
            name = self._by_code[code] = f"h{len(self._by_code)}"
            self.lines.append(f"{name} = {code}")
        return name

    def node_lines(self, name: str) -> list[str]:
        """The loop's line for a time-only node (its value at step ``k``); its values over
        the grid join the code before the loop, under the node's identifier there, so that
        later moved expressions that read it see the whole series."""
        v = self.ident(name)
        hook, self.plain.hoist = self.plain.hoist, None
        try:
            code = self.plain.compile(desugar(self.ir.nodes[name].components[0].expr)).code
        finally:
            self.plain.hoist = hook
        array = self._store(code)
        self.lines.append(f"{v} = {array}")
        return [f"{v} = {array}[k]"]

    def preamble(self) -> list[str]:
        """The code before the loop: every moved expression over the whole time grid."""
        if not self.lines:
            return []
        return ["t = np.asarray(times)", *self.lines, "t = times[0]"]
