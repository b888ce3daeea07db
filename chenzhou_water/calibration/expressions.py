"""Small, safe arithmetic over model results: ``diversion_supply * days_per_year``.

A target may name a model variable or an expression over several. The text is parsed with
Python's :mod:`ast` and only a whitelist is accepted: names of model variables (normalised
spelling), numbers, ``+ - * /``, unary minus and parentheses. Nothing is ever passed to
``eval``: the tree is turned into a closure over the result arrays.

The expression's units follow Vensim's rules (:mod:`chenzhou_water.model.units`): the two sides of
``+`` and ``-`` must agree, ``*`` and ``/`` combine units, and a bare number is a wildcard that
keeps the units of what it multiplies.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from chenzhou_water.errors import UnitsSyntaxError
from chenzhou_water.model.metadata import ModelInfo
from chenzhou_water.model.units import Unit, format_units, parse_units
from chenzhou_water.schema.checker import suggest

#: Model variable kinds an expression may read (time series the engine can return).
READABLE_KINDS = ("constant", "stock", "auxiliary", "data")

_BINARY: dict[type, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}

Evaluator = Callable[[Mapping[str, np.ndarray]], np.ndarray]


class ExpressionError(ValueError):
    """An expression is not allowed or its units do not agree (the message says why)."""


@dataclass(frozen=True)
class Expression:
    """A checked expression over model variables.

    Attributes
    ----------
    text : str
        The expression as written.
    names : tuple of str
        The model variables it reads (normalised names), in order of first use.
    units : Unit or None
        Its units by Vensim's rules; ``None`` only for a bare number (rejected by targets).
    evaluate : callable
        ``evaluate(arrays)`` → ndarray: the expression over arrays of shape (member, time).
    """

    text: str
    names: tuple[str, ...]
    units: Unit | None
    evaluate: Evaluator


def parse_expression(text: str, info: ModelInfo) -> Expression:
    """Parse and check an expression over the variables of the model ``info``.

    Parameters
    ----------
    text : str
        For example ``"reservoir_inflow"`` or ``"dc_cooling_water_flow / hours_per_month"``.
    info : ModelInfo
        The model whose variables the names must be.

    Raises
    ------
    ExpressionError
        For syntax errors, anything outside the whitelist, unknown names (with the nearest
        model name) or disagreeing units (naming both).
    """
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse expression {text!r}: {exc.msg}") from None
    names: list[str] = []
    evaluate, units = _build(tree.body, info, names)
    return Expression(text, tuple(names), units, evaluate)


def _build(node: ast.AST, info: ModelInfo, names: list[str]) -> tuple[Evaluator, Unit | None]:
    if isinstance(node, ast.Constant) and _is_plain_number(node.value):
        value = float(node.value)
        return (lambda arrays: np.asarray(value)), None
    if isinstance(node, ast.Name):
        return _name(node.id, info, names)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner, units = _build(node.operand, info, names)
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        return (lambda arrays: sign * inner(arrays)), units
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _binary(node, info, names)
    raise ExpressionError(
        f"{ast.unparse(node)!r} is not allowed: use model variable names, numbers, "
        "+ - * / and parentheses"
    )


def _is_plain_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _name(name: str, info: ModelInfo, names: list[str]) -> tuple[Evaluator, Unit | None]:
    var = info.get(name)
    if var is None or var.kind not in READABLE_KINDS or var.subscripts:
        options = [n for n, v in info.variables.items() if v.kind in READABLE_KINDS]
        what = "unknown model variable" if var is None else f"{name!r} cannot be read"
        raise ExpressionError(f"{what} {name!r}{suggest(name, options)}")
    if var.py_name not in names:
        names.append(var.py_name)
    try:
        units = parse_units(var.units)
    except UnitsSyntaxError as exc:
        raise ExpressionError(f"{var.py_name}: {exc}") from None
    key = var.py_name
    return (lambda arrays: arrays[key]), units


def _binary(node: ast.BinOp, info: ModelInfo, names: list[str]) -> tuple[Evaluator, Unit | None]:
    left, lu = _build(node.left, info, names)
    right, ru = _build(node.right, info, names)
    op = _BINARY[type(node.op)]
    symbol = _SYMBOL[type(node.op)]
    if symbol in "+-":
        if lu is not None and ru is not None and lu != ru:
            raise ExpressionError(
                f"units disagree across {symbol!r} in {ast.unparse(node)!r}: "
                f"{format_units(lu)!r} and {format_units(ru)!r}"
            )
        units = lu if lu is not None else ru
    elif lu is None and ru is None:
        units = None
    else:
        lu = lu if lu is not None else Unit()
        ru = ru if ru is not None else Unit()
        units = lu * ru if symbol == "*" else lu / ru
    return (lambda arrays: op(left(arrays), right(arrays))), units
