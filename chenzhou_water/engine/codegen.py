"""Generate the Python/numpy source of a simulation kernel for one run configuration.

The generated module defines ``simulate(P, S, L, K, n, times, saves, O)``:

P : dict
    Constant values by node name (float, or array of shape ``(1 | n, *dims)``) and the four
    time controls.
S : dict
    Exogenous series by node name, arrays of shape ``(T,)`` or ``(T, n)`` on the time grid.
L : dict
    Lookup tables by node name, pairs ``(x, y)``: x of shape ``(k,)``, y of shape ``(k,)`` or,
    for the lookups of ``config.member_lookups``, ``(n, k)`` (one table per member).
K : list
    Array literals of the model.
n : int
    Number of members.
times : list of float
    The integration time grid (built by repeated addition of the time step, as PySD does).
saves : list of bool
    Whether each grid point is a save point.
O : dict
    Output arrays by node name, shape ``(n, n_saved, *dims)``, filled in place.
"""

from __future__ import annotations

import re

from chenzhou_water.engine.cse import common_subexpressions
from chenzhou_water.engine.emit_expr import (
    InplaceCompiler,
    Names,
    Operand,
    PlainCompiler,
    _index_text,
    align,
)
from chenzhou_water.engine.functions import desugar
from chenzhou_water.engine.hoist import Hoister
from chenzhou_water.engine.ir import Call, Expr, ModelIR, Node, Num, Op, StateOf
from chenzhou_water.engine.plan import Plan, RunConfig, expr_refs
from chenzhou_water.engine.subscripts import Subscripts
from chenzhou_water.engine.translate import CONTROL_VARS
from chenzhou_water.errors import ModelError, UnsupportedConstructError

INDENT = "    "


def header(ir: ModelIR) -> str:
    """The first line of every generated file."""
    return f"# generated from {ir.file_name} {ir.sha256} — do not edit\n"


def _identifiers(ir: ModelIR) -> dict[str, str]:
    idents = {name: f"c_{name}" for name in CONTROL_VARS}
    for i, name in enumerate(ir.nodes):
        safe = re.sub(r"\W", "_", name.strip("_"))[:40]
        idents[name] = f"v{i}_{safe}"
    return idents


class KernelWriter:
    """Assemble the kernel source of one (model, configuration, plan)."""

    def __init__(self, ir: ModelIR, config: RunConfig, plan: Plan):
        self.ir, self.config, self.plan = ir, config, plan
        self.subs = Subscripts(ir.ranges, ir.mappings)
        self.names = Names(_identifiers(ir), plan.member_varying)
        self.plain = PlainCompiler(ir, self.names)
        self.inplace = InplaceCompiler(self.plain, self.names)
        self.hoister = Hoister(ir, config, plan, self.ident, self.plain)
        # the loop's in-place equations, with their repeated sub-expressions named
        in_place = {name: desugar(ir.nodes[name].components[0].expr)
                    for name in plan.loop_order if self.in_place(name)}  # fmt: skip
        self.loop_exprs, self.shared = common_subexpressions(in_place, self.inplace.varies, "_cse_")
        for i, name in enumerate(self.shared):
            self.names.idents[name] = f"vcse{i}"
        self.names.member_varying = self.names.member_varying | frozenset(self.shared)
        self._shared_done: set[str] = set()

    # ---- helpers -------------------------------------------------------------------------
    def ident(self, name: str) -> str:
        return self.names.idents[name]

    def _suffix(self, name: str, prefix: str) -> str:
        return prefix + self.ident(name)[1:]

    def shape(self, node: Node) -> str:
        return repr(self.subs.shape(node.dims))

    def members(self, name: str) -> str:
        return "n" if name in self.plan.member_varying else "1"

    def arg(self, node: Node, key: str) -> Expr:
        assert node.stateful is not None
        return node.stateful.args[key]

    def plain_code(self, expr: Expr, axes: tuple[str, ...],
                   state_axes: tuple[str, ...] = ()) -> str:
        self.plain.state_axes = state_axes
        self.plain.target_dims = axes
        operand: Operand = self.plain.compile(desugar(expr))
        return align(operand, axes)

    # ---- auxiliaries ---------------------------------------------------------------------
    def aux_lines(self, node: Node, allocate: bool) -> list[str]:
        v = self.ident(node.name)
        if not node.dims:
            return [f"{v} = {self.plain_code(node.components[0].expr, ())}"]
        members = self.members(node.name)
        lines = [f"{v} = np.empty(({members},) + {self.shape(node)})"] if allocate else []
        for comp in node.components:
            index, expr_dims = self.subs.target_index(node.dims, comp.target)
            if comp.exclude:  # a target of whole dimensions, minus the :EXCEPT: lists
                mask = self.subs.except_mask(node.dims, comp.exclude, UnsupportedConstructError)
                where = self.names.literal(mask)
                value = self.plain_code(comp.expr, expr_dims)
                lines.append(f"np.copyto({v}, np.broadcast_to({value}, {v}.shape), "
                             f"where={where} != 0.0)")
                continue
            text = ", ".join(_index_text(i) for i in index)
            lines.append(f"{v}[:, {text}] = {self.plain_code(comp.expr, expr_dims)}")
        return lines

    def inplace_lines(self, expr: Expr, dest: str) -> list[str]:
        return self.inplace.compile_into(desugar(expr), dest)

    def in_place(self, name: str) -> bool:
        """True for the auxiliaries the loop computes into their own buffer, in place."""
        node = self.ir.nodes[name]
        return (node.kind == "auxiliary" and name not in self.config.series and not node.dims
                and name in self.plan.member_varying)

    def shared_lines(self, expr: Expr) -> list[str]:
        """The shared sub-expressions ``expr`` reads that this step has not computed yet."""
        lines: list[str] = []
        for name in sorted(expr_refs(expr) & self.shared.keys() - self._shared_done):
            self._shared_done.add(name)
            lines += self.shared_lines(self.shared[name])
            lines += self.inplace.compile_into(self.shared[name], self._suffix(name, "b"))
        return lines

    # ---- stateful elements ---------------------------------------------------------------
    def _where(self, node: Node, construct: str) -> str:
        """Text naming a stateful in runtime error messages: file, variable, construct."""
        owner = node.name
        prefix = f"_{node.stateful.kind}_" if node.stateful is not None else ""
        if not node.public and owner.startswith(prefix):  # internal: _<kind>_<variable>_<k>
            owner = owner[len(prefix):].rsplit("_", 1)[0]
        return repr(f"{self.ir.file_name}: variable '{owner}': {construct}")

    def value_expr(self, node: Node) -> Expr | None:
        """The expression of a stateful's value in terms of its state, or None for an alias."""
        sf = node.stateful
        assert sf is not None
        s = StateOf(self._suffix(node.name, "s"))
        args = sf.args
        if sf.kind == "delay":
            k = self._suffix(node.name, "k")
            return Op("/", (StateOf(f"_rt.last_stage({s.name}, {k})"), args["delay_time"]))
        if sf.kind == "trend":
            return Call("zidz", (Op("-", (args["input"], s)),
                                 Op("*", (args["average_time"], Call("abs", (s,))))))
        if sf.kind == "forecast":
            zidz = Call("zidz", (Op("-", (args["input"], s)), Op("*", (args["average_time"], s))))
            return Op("*", (args["input"], Op("+", (Num(1.0), Op("*", (zidz, args["horizon"]))))))
        if sf.kind == "sample_if_true":
            return Call("if_then_else", (args["condition"], args["input"], s))
        if sf.kind == "active_initial":
            return args["expression"]
        return None

    def stateful_init(self, node: Node) -> list[str]:
        sf = node.stateful
        assert sf is not None
        v, s = self.ident(node.name), self._suffix(node.name, "s")
        shape, d, n = self.shape(node), node.dims, self.members(node.name)

        def code(key: str) -> str:
            return self.plain_code(sf.args[key], d)

        kind = sf.kind
        if kind == "initial":
            return [f"{v} = _rt.full({self.members(node.name)}, {shape}, {code('initial')})"]
        if kind == "active_initial":
            # during initialisation its value is the initial value; in the loop, the expression
            return [f"{v} = _rt.full({self.members(node.name)}, {shape}, {code('initial')})"]
        if kind in ("integ", "sample_if_true"):
            lines = [f"{s} = _rt.full({n}, {shape}, {code('initial')})"]
        elif kind == "smooth":
            lines = [f"{s} = _rt.chain({sf.order}, {n}, {shape}, {code('initial')})"]
        elif kind == "delay":
            lines = [f"{s}, {self._suffix(node.name, 'k')} = _rt.delay_init({sf.order}, dt, "
                     f"{code('delay_time')}, {code('initial')}, {n}, {shape})"]
        elif kind == "delay_n":
            lines = [f"{s} = _rt.DelayN({code('order')}, dt, {code('delay_time')}, "
                     f"{code('initial')}, {n}, {shape}, {self._where(node, 'DELAY N')})"]
        elif kind == "smooth_n":
            lines = [f"{s} = _rt.SmoothN({code('order')}, {code('initial')}, {n}, {shape}, "
                     f"{self._where(node, 'SMOOTH N')})"]
        elif kind == "delay_fixed":
            lines = [f"{s} = _rt.DelayFixed({code('initial')}, {code('delay_time')}, dt, {n}, "
                     f"{shape}, {node.name!r})"]
        elif kind == "trend":
            init = Op("/", (sf.args["input"], Op("+", (Num(1.0), Op("*", (
                sf.args["initial_trend"], sf.args["average_time"]))))))
            lines = [f"{s} = _rt.full({n}, {shape}, {self.plain_code(init, d)})"]
        else:  # forecast
            init = Op("/", (sf.args["input"], Op("+", (Num(1.0), sf.args["initial_trend"]))))
            lines = [f"{s} = _rt.full({n}, {shape}, {self.plain_code(init, d)})"]
        return lines + self.stateful_value_plain(node)

    def stateful_value_plain(self, node: Node) -> list[str]:
        v, s = self.ident(node.name), self._suffix(node.name, "s")
        kind = node.stateful.kind if node.stateful else ""
        if kind == "integ":
            return [f"{v} = {s}"]
        if kind == "smooth":
            return [f"{v} = {s}[-1]"]
        if kind in ("delay_fixed", "delay_n", "smooth_n"):
            return [f"{v} = {s}.value()"]
        expr = self.value_expr(node)
        assert expr is not None
        return [f"{v} = {self.plain_code(expr, node.dims, node.dims)}"]

    def stateful_value_loop(self, node: Node) -> list[str]:
        v, b = self.ident(node.name), self._suffix(node.name, "b")
        kind = node.stateful.kind if node.stateful else ""
        if kind in ("integ", "smooth"):
            return []
        if kind in ("delay_fixed", "delay_n", "smooth_n"):
            return [f"{v} = {self._suffix(node.name, 's')}.value()"]
        expr = self.value_expr(node)
        assert expr is not None
        if node.dims or node.name not in self.plan.member_varying:
            return [f"{v} = {self.plain_code(expr, node.dims, node.dims)}"]
        return self.inplace_lines(expr, b)

    def derivative_lines(self, node: Node) -> list[str]:
        sf = node.stateful
        assert sf is not None
        s, d = self._suffix(node.name, "s"), self._suffix(node.name, "d")

        def code(key: str) -> str:
            return self.plain_code(sf.args[key], node.dims)

        if sf.kind == "integ":
            return [f"np.multiply({code('flow')}, dt, out={d})"]
        if sf.kind == "smooth":
            return [f"_rt.smooth_ddt({s}, {code('input')}, {code('smooth_time')}, {sf.order}, "
                    f"{d}, dt)"]
        if sf.kind == "delay_n":
            return [f"{s}.ddt({code('input')}, {code('delay_time')}, dt)"]
        if sf.kind == "smooth_n":
            return [f"{s}.ddt({code('input')}, {code('smooth_time')}, dt)"]
        if sf.kind == "delay":
            k = self._suffix(node.name, "k")
            return [f"_rt.delay_ddt({s}, {code('input')}, {code('delay_time')}, {k}, {d}, dt)"]
        if sf.kind in ("trend", "forecast"):
            ddt = Op("/", (Op("-", (sf.args["input"], StateOf(s))), sf.args["average_time"]))
            if node.dims or node.name not in self.plan.member_varying:
                lines = [f"{d}[...] = {self.plain_code(ddt, node.dims, node.dims)}"]
            else:
                lines = self.inplace_lines(ddt, d)
            return [*lines, f"np.multiply({d}, dt, out={d})"]
        return []

    def commit_lines(self, node: Node, first: bool) -> list[str]:
        sf = node.stateful
        assert sf is not None
        s, d, v = self._suffix(node.name, "s"), self._suffix(node.name, "d"), self.ident(node.name)
        if first:
            if sf.kind == "delay_fixed":
                return [f"{s}.push({self.plain_code(sf.args['input'], node.dims)})"]
            if sf.kind == "sample_if_true":
                return [f"np.multiply({s}, 0.0, out={s})", f"np.add({s}, {v}, out={s})"]
            return []
        if sf.kind in ("delay_n", "smooth_n"):
            return [f"{s}.commit()"]
        if sf.kind in ("integ", "smooth", "delay", "trend", "forecast"):
            lines = [f"np.add({s}, {d}, out={s})"]
            if sf.non_negative:
                lines.append(f"np.maximum({s}, 0.0, out={s})")
            return lines
        return []

    # ---- assembly ------------------------------------------------------------------------
    def init_lines(self) -> list[str]:
        lines = [f"{self.ident(c)} = P[{c!r}]" for c in CONTROL_VARS]
        lines += ["dt = c_time_step", "t = times[0]", "_random = P['__random__']"]
        for name in self.plan.init_order:
            try:
                lines += self._init_node(name)
            except ModelError as exc:
                if str(exc).startswith(f"{self.ir.file_name}: variable "):
                    raise
                owner = self.owner(name)
                text = str(exc).removeprefix(f"{self.ir.file_name}: ")
                raise type(exc)(f"{self.ir.file_name}: variable '{owner}': {text}") from exc
        return lines

    def owner(self, name: str) -> str:
        """The model variable a node belongs to (internal nodes carry their variable's name)."""
        if self.ir.nodes[name].public:
            return name
        owners = [p for p, n in self.ir.nodes.items() if n.public and f"_{p}_" in name]
        return max(owners, key=len) if owners else name

    def _init_node(self, name: str) -> list[str]:
        node = self.ir.nodes[name]
        v = self.ident(name)
        if name in self.config.series or node.kind == "data":
            return [f"{v} = S[{name!r}][0]"]
        if node.kind == "constant":
            return [f"{v} = P[{name!r}]"]
        if node.kind == "lookup" and node.dims:
            return [f"{v} = _rt.tables(L[{name!r}], {self.shape(node)})"]
        if node.kind == "lookup" and name in self.config.member_lookups:
            return [f"{v} = _rt.MemberTable(L[{name!r}])"]
        if node.kind == "lookup":
            return [f"{v} = L[{name!r}]"]
        if node.kind == "auxiliary":
            return self.aux_lines(node, allocate=True)
        return self.stateful_init(node)

    def buffer_lines(self) -> list[str]:
        lines = []
        for name in self.plan.statefuls:
            node = self.ir.nodes[name]
            if node.stateful is not None and node.stateful.kind in (
                    "integ", "smooth", "delay", "trend", "forecast"):
                lines.append(f"{self._suffix(name, 'd')} = np.zeros_like("
                             f"{self._suffix(name, 's')})")
        for name in self.plan.loop_order:
            node = self.ir.nodes[name]
            if name in self.config.series or node.dims or name not in self.plan.member_varying:
                continue
            if node.kind == "auxiliary" or self.value_expr_needed(node):
                b = self._suffix(name, "b")
                lines += [f"{b} = np.empty(n)", f"{self.ident(name)} = {b}"]
        for name in self.shared:
            b = self._suffix(name, "b")
            lines += [f"{b} = np.empty(n)", f"{self.ident(name)} = {b}"]
        return lines

    def value_expr_needed(self, node: Node) -> bool:
        return node.kind == "stateful" and node.stateful is not None and (
            node.stateful.kind in ("delay", "trend", "forecast", "sample_if_true",
                                   "active_initial"))

    def step_lines(self) -> list[str]:
        lines = []
        for name in self.plan.loop_order:
            node = self.ir.nodes[name]
            v = self.ident(name)
            if name in self.config.series or node.kind == "data":
                lines.append(f"{v} = S[{name!r}][k]")
            elif name in self.hoister.nodes:
                lines += self.hoister.node_lines(name)
            elif node.kind == "stateful":
                lines += self.stateful_value_loop(node)
            elif node.kind == "auxiliary":
                if node.dims or name not in self.plan.member_varying:
                    lines += self.aux_lines(node, allocate=False)
                else:
                    expr = self.loop_exprs[name]
                    lines += self.shared_lines(expr)
                    lines += self.inplace.compile_into(expr, self._suffix(name, "b"))
        return lines

    def save_lines(self) -> list[str]:
        loop = set(self.plan.loop_order)
        # the output buffers are time-major (saved time, member, *dims): each save writes one
        # contiguous row (a column of a member-major array would touch a cache line a member)
        return [f"O[{name!r}][j] = {self.ident(name)}"
                for name in self.config.outputs if name in loop]

    def update_lines(self) -> list[str]:
        nodes = [self.ir.nodes[n] for n in self.plan.statefuls]
        lines = [line for node in nodes for line in self.derivative_lines(node)]
        lines += [line for node in nodes for line in self.commit_lines(node, first=True)]
        lines += [line for node in nodes for line in self.commit_lines(node, first=False)]
        return lines

    def source(self) -> str:
        init = self.init_lines()
        buffers = self.buffer_lines()
        self.plain.hoist = self.hoister.operand  # the loop: move out what it can
        step = self.step_lines()
        update = self.update_lines()
        self.plain.hoist = None
        temps = [f"tf{i} = np.empty(n)" for i in range(self.inplace.sizes["tf"])]
        temps += [f"tb{i} = np.empty(n, dtype=bool)" for i in range(self.inplace.sizes["tb"])]
        loop = set(self.plan.loop_order)
        constant_out = [f"_rt.store_constant(O[{name!r}], {self.ident(name)})"
                        for name in self.config.outputs if name not in loop]
        body = [*init, *buffers, *temps, *self.hoister.preamble(), "last = len(times) - 1", "j = 0",
                "for k in range(last + 1):"]
        inner = ["t = times[k]", *step, "if saves[k]:",
                 *[INDENT + line for line in [*self.save_lines(), "j += 1"]],
                 "if k == last:", INDENT + "break", *update]
        body += [INDENT + line for line in inner]
        body += constant_out
        text = header(self.ir)
        text += f"# chenzhou_water.engine kernel, IR version {self.ir.version}\n"
        text += "import numpy as np\n\nfrom chenzhou_water.engine import runtime as _rt\n\n\n"
        text += "def simulate(P, S, L, K, n, times, saves, O):\n"
        text += "".join(INDENT + line + "\n" for line in body)
        return text


def generate(ir: ModelIR, config: RunConfig, plan: Plan) -> tuple[str, list]:
    """Source text of the kernel and the array literals it reads (``K``)."""
    writer = KernelWriter(ir, config, plan)
    return writer.source(), writer.names.literals
