"""Which nodes a run needs, in which order, and which of them vary in time or by member.

Following SDEverywhere, the run is split into an initialisation phase (constants, lookups,
stateful initial values and every time-invariant auxiliary, in dependency order) and a time
loop (time-varying auxiliaries in dependency order, then the derivatives, then the updates of
every internal stock at once). Nodes nothing requested depends on are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter

from chenzhou_water.engine.functions import RANDOM, desugar
from chenzhou_water.engine.ir import Call, Expr, LookupCall, ModelIR, Node, Op, Ref
from chenzhou_water.errors import ModelError

#: Per stateful kind: the arguments its value reads every step, its derivative or update
#: reads, and its initialisation reads.
STATEFUL_ARGS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "integ": ((), ("flow",), ("initial",)),
    "smooth": ((), ("input", "smooth_time"), ("initial",)),
    "delay": (("delay_time",), ("input", "delay_time"), ("initial", "delay_time")),
    "delay_n": ((), ("input", "delay_time"), ("initial", "delay_time", "order")),
    "smooth_n": ((), ("input", "smooth_time"), ("initial", "order")),
    "delay_fixed": ((), ("input",), ("initial", "delay_time")),
    "trend": (("input", "average_time"), ("input", "average_time"),
              ("input", "average_time", "initial_trend")),
    "forecast": (("input", "average_time", "horizon"), ("input", "average_time"),
                 ("input", "initial_trend")),
    "sample_if_true": (("condition", "input"), ("condition", "input"), ("initial",)),
    "initial": ((), (), ("initial",)),
    "active_initial": (("expression",), (), ("initial",)),
}


@dataclass(frozen=True)
class RunConfig:
    """What changes the generated code: the inputs given and the outputs wanted.

    Attributes
    ----------
    series : frozenset of str
        Nodes replaced by an exogenous series (time-varying).
    member_series : frozenset of str
        Of those, the ones with one series per member.
    member_params : frozenset of str
        Constants given one value per member.
    outputs : tuple of str
        Nodes whose values are stored at every save point.
    member_lookups : frozenset of str
        Lookups given one table per member.
    """

    series: frozenset[str]
    member_series: frozenset[str]
    member_params: frozenset[str]
    outputs: tuple[str, ...]
    member_lookups: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Plan:
    """The schedule of one configuration."""

    init_order: tuple[str, ...]
    loop_order: tuple[str, ...]
    statefuls: tuple[str, ...]
    time_varying: frozenset[str]
    member_varying: frozenset[str]


def expr_refs(expr: Expr) -> set[str]:
    """Names read by an expression (variables, lookups, ``time`` and control variables)."""
    out: set[str] = set()
    stack = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, Ref):
            out.add(e.name)
        elif isinstance(e, LookupCall):
            out.add(e.table)
            stack.append(e.arg)
        elif isinstance(e, (Op, Call)):
            stack.extend(e.args)
    return out


def node_exprs(node: Node) -> list[Expr]:
    """The expressions of an auxiliary's components."""
    return [c.expr for c in node.components]


def stateful_refs(node: Node, part: int) -> set[str]:
    """Names read by a stateful's value (0), derivative (1) or initialisation (2)."""
    assert node.stateful is not None
    names = STATEFUL_ARGS[node.stateful.kind][part]
    return set().union(*(expr_refs(node.stateful.args[n]) for n in names)) if names else set()


def _value_deps(ir: ModelIR, name: str, config: RunConfig) -> set[str]:
    node = ir.nodes[name]
    if name in config.series or node.kind in ("constant", "lookup", "data"):
        return set()
    if node.kind == "stateful":
        return stateful_refs(node, 0)
    return set().union(*(expr_refs(e) for e in node_exprs(node)))


def _known(ir: ModelIR, names: Iterable[str]) -> set[str]:
    return {n for n in names if n in ir.nodes}


def build_plan(ir: ModelIR, config: RunConfig) -> Plan:
    """Schedule a run of ``ir`` for ``config``.

    Raises
    ------
    ModelError
        If the model has an algebraic loop (a cycle not broken by a stock).
    """
    run_deps: dict[str, set[str]] = {}
    init_deps: dict[str, set[str]] = {}
    pending = list(config.outputs)
    while pending:
        name = pending.pop()
        if name in run_deps:
            continue
        node = ir.nodes[name]
        deps = _known(ir, _value_deps(ir, name, config))
        run_deps[name] = deps
        extra: set[str] = set()
        if node.kind == "stateful" and name not in config.series:
            extra = _known(ir, stateful_refs(node, 1) | stateful_refs(node, 2))
            init_deps[name] = _known(ir, stateful_refs(node, 2))
            if node.stateful is not None and node.stateful.kind != "active_initial":
                # ACTIVE INITIAL's value during initialisation is its initial value alone
                init_deps[name] |= deps
        pending.extend(deps | extra)
    for name, deps in run_deps.items():
        init_deps.setdefault(name, deps)
    run_graph = {n: deps - {n} for n, deps in run_deps.items()}
    time_varying = _time_varying(ir, run_deps, config)
    member_varying = _member_varying(ir, run_deps, config)
    init_order = _toposort(ir, {n: init_deps[n] - {n} for n in run_deps})
    loop_order = [n for n in _toposort(ir, run_graph) if n in time_varying]
    statefuls = tuple(n for n in init_order if _is_state(ir, n, config))
    return Plan(tuple(init_order), tuple(loop_order), statefuls,
                frozenset(time_varying), frozenset(member_varying))


def _is_state(ir: ModelIR, name: str, config: RunConfig) -> bool:
    return ir.nodes[name].kind == "stateful" and name not in config.series


def _toposort(ir: ModelIR, graph: dict[str, set[str]]) -> list[str]:
    sorter = TopologicalSorter({n: {d for d in deps if d in graph} for n, deps in graph.items()})
    try:
        return list(sorter.static_order())
    except CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        raise ModelError(
            f"{ir.file_name}: algebraic loop (no stock on the cycle): {cycle}"
        ) from exc


def _fixpoint(run_deps: dict[str, set[str]], seeds: set[str]) -> set[str]:
    varying = set(seeds)
    changed = True
    while changed:
        changed = False
        for name, deps in run_deps.items():
            if name not in varying and deps & varying:
                varying.add(name)
                changed = True
    return varying


def _time_varying(ir: ModelIR, run_deps: dict[str, set[str]], config: RunConfig) -> set[str]:
    seeds = {"time"} | set(config.series)
    for name in run_deps:
        node = ir.nodes[name]
        if node.kind == "data" or (node.kind == "stateful" and node.stateful is not None
                                   and node.stateful.kind != "initial"):
            seeds.add(name)
    deps = {n: d | ({"time"} if "time" in _raw_refs(ir, n) else set()) for n, d in run_deps.items()}
    return _fixpoint(deps, seeds) & set(run_deps)


def _raw_refs(ir: ModelIR, name: str) -> set[str]:
    node = ir.nodes[name]
    if node.kind == "auxiliary":
        return set().union(*(expr_refs(desugar(e)) for e in node_exprs(node)))
    if node.kind == "stateful":
        return stateful_refs(node, 0)
    return set()


def _draws(expr: Expr) -> bool:
    """True if the expression calls a random function (a different value for each member)."""
    if isinstance(expr, Call):
        return expr.fn in RANDOM or any(_draws(a) for a in expr.args)
    if isinstance(expr, Op):
        return any(_draws(a) for a in expr.args)
    if isinstance(expr, LookupCall):
        return _draws(expr.arg)
    return False


def _member_varying(ir: ModelIR, run_deps: dict[str, set[str]], config: RunConfig) -> set[str]:
    """Nodes whose value can differ between members; the others are computed once.

    A stock varies only if its initial value, its inflows or its value expression read
    something that varies: a stock fed by member-invariant flows (population, capacities
    built to a schedule) is one value for all members, which is the same number in each
    member's lane, so simulating it once changes no result.
    """
    seeds = set(config.member_params) | set(config.member_series) | set(config.member_lookups)
    seeds |= {n for n in run_deps if ir.nodes[n].kind == "auxiliary" and n not in config.series
              and any(_draws(e) for e in node_exprs(ir.nodes[n]))}
    deps = dict(run_deps)
    for name in run_deps:
        node = ir.nodes[name]
        if not _is_state(ir, name, config) or node.stateful is None:
            continue
        if any(_draws(e) for e in node.stateful.args.values()):
            seeds.add(name)
        deps[name] = run_deps[name] | _known(ir, stateful_refs(node, 1) | stateful_refs(node, 2))
    return _fixpoint(deps, seeds) & set(run_deps)
