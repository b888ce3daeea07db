"""The engine's intermediate representation: a Vensim model as plain, picklable dataclasses.

The translator (:mod:`chenzhou_water.engine.translate`) builds a :class:`ModelIR` from PySD's
``AbstractModel``; the planner and the code generator read it. Nothing here imports PySD, so a
cached IR can be loaded and compiled without translating the model again.

Every value in the ensemble engine is an array whose first axis is the member axis, followed by
the variable's subscript dimensions (in the order of :attr:`Node.dims`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Bump when the IR or the generated code changes shape: it is part of the cache key.
IR_VERSION = 11


@dataclass(frozen=True)
class Num:
    """A numeric literal (or a constant array over ``dims``)."""

    value: object  # float, or a numpy array over dims
    dims: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ref:
    """A reference to a variable, a stateful value or ``time``.

    ``subs`` holds one token per dimension of the referenced variable (a dimension name, a
    dimension name followed by ``!``, a sub-range name or an element name), or None for the
    variable as a whole.
    """

    name: str
    subs: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Op:
    """An operator: binary ``+ - * / ** == != < <= > >= and or`` or unary ``neg not``."""

    op: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Call:
    """A built-in function call (``if_then_else``, ``xidz``, ``step``, ``sum``...)."""

    fn: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class LookupCall:
    """Interpolation of the named lookup table at ``arg``.

    ``subs`` selects from a subscripted lookup (one token per dimension), as in :class:`Ref`.
    """

    table: str
    arg: Expr
    subs: tuple[str, ...] | None = None


@dataclass(frozen=True)
class StateOf:
    """The internal state of a stateful element (used in the stateful's value expression)."""

    name: str


Expr = Num | Ref | Op | Call | LookupCall | StateOf


@dataclass(frozen=True)
class Component:
    """One equation of an auxiliary: ``target`` selects the part of the variable it defines.

    ``target`` has one token per dimension of the variable: a dimension name (all of it), a
    sub-range name or an element name. ``expr_dims`` are the dimensions of the expression's
    result, in the order the target leaves them.
    """

    target: tuple[str, ...]
    expr: Expr
    expr_dims: tuple[str, ...] = ()
    #: ``:EXCEPT:`` lists (one token per dimension each): the parts the component leaves out.
    #: Only with a target of whole dimensions.
    exclude: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Node:
    """A model variable (or an internal one the translator created).

    kind is one of ``constant``, ``lookup``, ``data``, ``auxiliary``, ``stateful``.
    For ``constant`` nodes ``value`` is the default value (float or array over dims).
    For ``lookup`` nodes ``value`` is the table ``(x, y)``; for a subscripted lookup, a tuple
    of such tables, one per element of ``dims`` in C order.
    For ``stateful`` nodes ``stateful`` describes the internal stocks.
    """

    name: str
    kind: str
    dims: tuple[str, ...] = ()
    components: tuple[Component, ...] = ()
    value: object = None
    stateful: Stateful | None = None
    public: bool = True


@dataclass(frozen=True)
class Stateful:
    """An element with internal state: INTEG, SMOOTH, DELAY, DELAY FIXED, TREND, ...

    ``args`` maps argument names (``flow``, ``initial``, ``input``, ``delay_time``...) to
    expressions over ``dims``; ``order`` is the nominal order of SMOOTH and DELAY chains.
    """

    kind: str
    args: dict[str, Expr] = field(default_factory=dict)
    order: int = 1
    non_negative: bool = False


@dataclass(frozen=True)
class ModelIR:
    """A whole model: its nodes, subscript ranges and time controls."""

    file_name: str
    sha256: str
    nodes: dict[str, Node]
    ranges: dict[str, tuple[str, ...]]
    initial_time: float
    final_time: float
    time_step: float
    saveper: float
    version: int = IR_VERSION
    #: External data files read at translation (GET XLS / GET DIRECT): (name, SHA-256).
    external_files: tuple[tuple[str, str], ...] = ()
    #: Subscript mappings: range → the ranges it maps onto (see :class:`.subscripts.Subscripts`).
    mappings: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def dim_size(self, dim: str) -> int:
        """Number of elements of a subscript range (``!`` suffix ignored)."""
        return len(self.ranges[dim.rstrip("!")])

    def shape(self, dims: tuple[str, ...]) -> tuple[int, ...]:
        """The shape of an array over ``dims`` (member axis excluded)."""
        return tuple(self.dim_size(d) for d in dims)
