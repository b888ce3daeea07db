"""Dimensional consistency of a Vensim model, with Vensim's own units semantics.

``check_units(path)`` walks every equation of the model (PySD's ``AbstractModel``, read through
:mod:`chenzhou_water.model.metadata`) and reports *every* place where units do not agree: the
two sides of ``+``, ``-`` and comparisons, the branches of IF THEN ELSE, the arguments of MIN/MAX,
the flow of an INTEG against stock/time, and the declared units of each variable against the units
its equation computes.

Semantics (Vensim's): every unit name is its own symbol, compared by its exact spelling, so
``Month`` and ``Day`` differ and mixing them needs an explicit conversion constant (``days per
month ~ Day/Month``). The only synonyms are Vensim's default ones for plural time units
(``Months`` is ``Month``). ``Dmnl``, ``1``, ``dimensionless``, ``fraction`` and an empty string are
dimensionless. A leading number is a scale that must match too (``10000*CNY`` is not ``CNY``).
A bare number in an equation is a wildcard: ``x + 1`` and ``0.5 * x`` keep the units of ``x``.

Why not pint: pint's value is its registry of physical conversions, and those are exactly what
this check must *not* do (it turns ``Day`` into ``Month`` silently). Used with every Vensim name
as an independent base dimension it would reduce to a symbol → exponent map behind a global
registry that must be taught every new name before parsing, with float exponents and the scale
folded into magnitudes. Vensim's rules need only an exact map from symbol to rational exponent
plus a rational scale (:class:`Unit` and its parser, a small module of their own), and pint is
not a declared dependency of the package.

Limits, as in Vensim: an equation is checked from the inside out and, once an inconsistency is
found inside it, its result is not also compared with the declared units (one mistake, one
report). A lookup's argument is not checked (a Vensim lookup declares no x units). Functions this
check does not know (vector and allocation functions, most RANDOM ones) are walked for issues
inside their arguments, and their result counts as unknown, like a number. Macros are not
checked.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from chenzhou_water.errors import UnitsSyntaxError
from chenzhou_water.model.metadata import ModelInfo, model_info, py_name, read_abstract_model
from chenzhou_water.model.unit_algebra import DMNL, Unit, format_units, parse_units

__all__ = ["Unit", "UnitIssue", "UnitsReport", "check_units", "format_report",
           "format_units", "parse_units"]


@dataclass(frozen=True)
class UnitIssue:
    """One dimensional inconsistency.

    Attributes
    ----------
    variable : str
        The Vensim name (with ``[subscripts]`` for one equation of a subscripted variable).
    where : str
        The place in the equation, e.g. ``left and right of '+'`` or ``declared vs computed``.
    left, right : str
        The units on the two sides ("" where a side does not apply).
    message : str
        One line saying what is wrong.
    """

    variable: str
    where: str
    left: str
    right: str
    message: str

    def __str__(self) -> str:
        return f"{self.variable}: {self.where}: {self.message}"


@dataclass(frozen=True)
class UnitsReport:
    """The result of :func:`check_units`.

    Attributes
    ----------
    model_file : str
        The model file, as given.
    checked : int
        The number of equations checked.
    issues : tuple of UnitIssue
        Every inconsistency found, in model order.
    """

    model_file: str
    checked: int
    issues: tuple[UnitIssue, ...]

    @property
    def ok(self) -> bool:
        """True when no issue was found."""
        return not self.issues


# None stands for a bare number (a wildcard) or for units that are unknown.
Units = Unit | None


def _numeric(node: Any) -> float | None:
    """The value of an expression made only of numbers, else None."""
    from pysd.translators.structures import abstract_expressions as ae

    if isinstance(node, int | float | np.integer | np.floating) and not isinstance(node, bool):
        return float(node)
    if not isinstance(node, ae.ArithmeticStructure):
        return None
    values = [_numeric(arg) for arg in node.arguments]
    if any(v is None for v in values):
        return None
    if node.operators == ["negative"]:
        return -values[0]  # type: ignore[operator]
    ops = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
           "^": operator.pow}
    try:
        return float(functools.reduce(lambda acc, pair: ops[pair[0]](acc, pair[1]),
                                      zip(node.operators, values[1:], strict=True), values[0]))
    except (ArithmeticError, TypeError, ValueError):  # e.g. a complex power
        return None


def _combine(left: Units, right: Units, op: str) -> Units:
    """``*`` and ``/``: numbers are dimensionless factors, but two numbers stay a number."""
    if left is None and right is None:
        return None
    left = DMNL if left is None else left
    right = DMNL if right is None else right
    return left * right if op == "*" else left / right


class _EquationWalker:
    """Computes the units of expressions, one equation at a time, and collects the issues."""

    _DIMENSIONLESS_FUNCTIONS = ("exp", "ln", "sin", "cos", "tan", "arcsin", "arccos", "arctan",
                                "sinh", "cosh", "tanh", "log")

    def __init__(self, declared: dict[str, Unit | None], lookups: set[str], time: Unit | None):
        from pysd.translators.structures import abstract_expressions as ae

        self.declared, self.lookups, self.time = declared, lookups, time
        self.variable: str = ""
        self.own: Units = None  # the declared units of the variable being checked
        self.issues: list[UnitIssue] = []
        lag = self._lagged
        self.nodes: dict[type, Callable[[Any], Units]] = {
            ae.ArithmeticStructure: self._arithmetic,
            ae.LogicStructure: self._logic,
            ae.ReferenceStructure: self._reference,
            ae.CallStructure: self._call,
            ae.IntegStructure: self._integ,
            ae.InitialStructure: lambda n: self.units(n.initial),
            ae.SmoothStructure: lambda n: lag("SMOOTH", n.input, n.smooth_time, n.initial),
            ae.SmoothNStructure: lambda n: lag("SMOOTH", n.input, n.smooth_time, n.initial),
            ae.DelayStructure: lambda n: lag("DELAY", n.input, n.delay_time, n.initial),
            ae.DelayNStructure: lambda n: lag("DELAY", n.input, n.delay_time, n.initial),
            ae.DelayFixedStructure: lambda n: lag("DELAY", n.input, n.delay_time, n.initial),
            ae.SampleIfTrueStructure: self._sample_if_true,
            ae.TrendStructure: self._trend,
            ae.ForecastStructure: self._forecast,
            ae.InlineLookupsStructure: lambda n: self._all(n.argument) and None,
            ae.GameStructure: lambda n: self.units(n.expression),
        }
        self.functions = self._function_table()

    def _function_table(self) -> dict[str, Callable[..., Units]]:
        """The units rule of each Vensim built-in, by PySD's name; each takes the AST args."""
        table: dict[str, Callable[..., Units]] = {
            "if_then_else": lambda c, a, b: self._all(c) and self._equal(
                "IF THEN ELSE branches", "the two branches must have the same units", a, b),
            "min": lambda *a: self._equal("MIN/MAX arguments", "MIN needs equal units", *a),
            "max": lambda *a: self._equal("MIN/MAX arguments", "MAX needs equal units", *a),
            "xidz": self._xidz,
            "zidz": lambda a, b: _combine(self.units(a), self.units(b), "/"),
            "sqrt": lambda a: self._power(a, 0.5),
            "power": self._power,
            "abs": self.units, "integer": self.units, "sum": self.units,
            "vmin": self.units, "vmax": self.units,
            "quantum": lambda *a: self._equal(
                "QUANTUM arguments", "QUANTUM needs equal units", *a),
            "modulo": lambda *a: self._equal("MODULO arguments", "MODULO needs equal units", *a),
            "active_initial": lambda *a: self._equal(
                "ACTIVE INITIAL arguments", "both values must have the same units", *a),
            "step": lambda height, at: self._times("STEP", at) and self.units(height),
            "ramp": self._ramp,
            "pulse": lambda *times: self._times("PULSE", *times) and DMNL,
            "pulse_train": lambda *times: self._times("PULSE TRAIN", *times) and DMNL,
            "random_uniform": lambda lo, hi, *seed: self._equal(
                "RANDOM UNIFORM bounds", "the bounds must have the same units", lo, hi),
            "get_time_value": lambda *args: self._all(*args) and self.time,
        }
        for name in self._DIMENSIONLESS_FUNCTIONS:
            table[name] = functools.partial(self._dimensionless_function, name)
        return table

    def check_equation(self, label: str, name: str, ast: Any) -> list[UnitIssue]:
        """The issues in one equation of the variable ``name`` (shown as ``label``)."""
        self.variable, self.own, self.issues = label, self.declared.get(name), []
        computed = self.units(ast)
        if not self.issues and None not in (self.own, computed) and computed != self.own:
            self._issue("declared vs computed", self.own, computed,
                        f"declared as {self.own} but the equation computes {computed}")
        return self.issues

    def units(self, node: Any) -> Units:
        """The units of an expression node; None for a number or unknown units."""
        handler = self.nodes.get(type(node))
        return handler(node) if handler is not None else None

    def _issue(self, where: str, left: Units | str, right: Units | str, message: str) -> None:
        self.issues.append(UnitIssue(self.variable, where, str(left or ""), str(right or ""),
                                     message))

    def _all(self, *nodes: Any) -> bool:
        """Walk nodes whose units do not matter (to find issues inside them); always True."""
        for node in nodes:
            self.units(node)
        return True

    def _same(self, where: str, why: str, left: Units, right: Units) -> Units:
        if left is None or right is None or left == right:
            return right if left is None else left
        self._issue(where, left, right, f"{why}: {left} vs {right}")
        return None

    def _equal(self, where: str, why: str, *nodes: Any) -> Units:
        result = self.units(nodes[0])
        for node in nodes[1:]:
            result = self._same(where, why, result, self.units(node))
        return result

    def _times(self, function: str, *nodes: Any) -> bool:
        for node in nodes:
            self._same(f"{function} time vs model time", "a time argument must be in the "
                       "model's time units", self.units(node), self.time)
        return True

    def _dimensionless_function(self, name: str, *args: Any) -> Units:
        for arg in args:
            units = self.units(arg)
            if units is not None and units != DMNL:
                self._issue(f"argument of {name.upper()}", units, DMNL,
                            f"{name.upper()} needs a dimensionless argument, not {units}")
        return DMNL

    def _arithmetic(self, node: Any) -> Units:
        ops, args = node.operators, node.arguments
        if ops == ["negative"]:
            return self.units(args[0])
        if ops[0] == "^":
            return functools.reduce(self._power, args)  # type: ignore[arg-type]
        result = self.units(args[0])
        for op, arg in zip(ops, args[1:], strict=True):
            right = self.units(arg)
            if op in "+-":
                verb = "add" if op == "+" else "subtract"
                result = self._same(f"left and right of '{op}'",
                                    f"cannot {verb} different units", result, right)
            else:
                result = _combine(result, right, op)
        return result

    def _power(self, base: Any, exponent: Any) -> Units:
        units = base if isinstance(base, Unit) else self.units(base)
        value = _numeric(exponent)
        if value is None:
            power = self.units(exponent)
            if power is not None and power != DMNL:
                self._issue("exponent of '^'", power, DMNL,
                            f"an exponent must be dimensionless, not {power}")
            if units is not None and units != DMNL:
                self._issue("base of '^'", units, DMNL,
                            f"a non-numeric exponent needs a dimensionless base, not {units}")
            return units
        if units is None:
            return None
        try:
            return units ** Fraction(value).limit_denominator(1000)
        except UnitsSyntaxError as exc:
            self._issue("'^'", units, "", str(exc))
            return None

    def _logic(self, node: Any) -> Units:
        ops, args = node.operators, node.arguments
        if ops[0] in (":AND:", ":OR:", ":NOT:"):
            self._all(*args)
            return DMNL
        left = self.units(args[0])
        for op, arg in zip(ops, args[1:], strict=True):
            left = self._same(f"left and right of '{op}'", f"'{op}' compares different units",
                              left, self.units(arg))
        return DMNL

    def _reference(self, node: Any) -> Units:
        return self.time if node.reference == "time" else self.declared.get(node.reference)

    def _call(self, node: Any) -> Units:
        name, args = node.function.reference, node.arguments
        if name in self.lookups:  # a lookup returns its declared units
            return self._all(*args) and self.declared.get(name)
        handler = self.functions.get(name)
        if handler is None:  # a function this check does not know: walk inside it only
            return self._all(*args) and None
        return handler(*args)

    def _integ(self, node: Any) -> Units:
        flow, own, time = self.units(node.flow), self.own, self.time
        if None not in (flow, own, time) and flow * time != own:  # type: ignore[operator]
            expected = own / time  # type: ignore[operator]
            self._issue("INTEG: flow vs stock/time", flow, expected,
                        f"the flow is in {flow} but a stock in {own} with time in {time} "
                        f"needs {expected}")
        self._same("INTEG: initial value vs stock", "the initial value must have the stock's "
                   "units", own, self.units(node.initial))
        return own

    def _lagged(self, function: str, source: Any, lag_time: Any, initial: Any) -> Units:
        self._times(function, lag_time)
        return self._same(f"{function} input vs initial value", "the initial value must have "
                          "the units of the input", self.units(source), self.units(initial))

    def _sample_if_true(self, node: Any) -> Units:
        self._all(node.condition)
        return self._same("SAMPLE IF TRUE input vs initial value", "the initial value must "
                          "have the units of the input", self.units(node.input),
                          self.units(node.initial))

    def _trend(self, node: Any) -> Units:
        self._all(node.input)
        self._times("TREND", node.average_time)
        rate = None if self.time is None else DMNL / self.time
        return self._same("TREND initial trend vs 1/time", "TREND is a fractional rate per "
                          "unit of time", rate, self.units(node.initial_trend))

    def _forecast(self, node: Any) -> Units:
        self._times("FORECAST", node.average_time, node.horizon)
        self._all(node.initial_trend)
        return self.units(node.input)

    def _ramp(self, slope: Any, *times: Any) -> Units:
        self._times("RAMP", *times)
        rate = self.units(slope)  # a RAMP's height is its slope times time
        return None if rate is None else _combine(rate, self.time, "*")

    def _xidz(self, numerator: Any, denominator: Any, fallback: Any) -> Units:
        quotient = _combine(self.units(numerator), self.units(denominator), "/")
        return self._same("XIDZ fallback", "the fallback must have the units of the quotient",
                          quotient, self.units(fallback))


def check_units(path: str | Path) -> UnitsReport:
    """Check the dimensional consistency of every equation of a Vensim model.

    Parameters
    ----------
    path : str or Path
        The ``.mdl`` file.

    Returns
    -------
    UnitsReport
        The number of equations checked and every issue found (the check does not stop at the
        first one).

    Raises
    ------
    ModelError
        If the model file is missing or PySD cannot parse it.
    """
    info = model_info(path)
    abstract = read_abstract_model(path)
    declared, notes = _declared_units(info)
    walker = _EquationWalker(declared, set(info.names("lookup")), declared.get("time_step"))
    issues: list[UnitIssue] = []
    checked = 0
    for element in abstract.sections[0].elements:
        name = py_name(element.name)
        issues.extend(notes.get(name, ()))
        for component in element.components:
            if not _is_table(component):
                label = _label(element, component)
                issues.extend(walker.check_equation(label, name, component.ast))
                checked += 1
    return UnitsReport(str(path), checked, tuple(issues))


def _declared_units(
    info: ModelInfo,
) -> tuple[dict[str, Units], dict[str, list[UnitIssue]]]:
    """Every variable's declared units (None when missing or unreadable) and the issues found."""
    declared: dict[str, Unit | None] = {}
    notes: dict[str, list[UnitIssue]] = {}
    for name, var in info.variables.items():
        notes[name] = []
        try:
            declared[name] = parse_units(var.units) if var.units.strip() else None
        except UnitsSyntaxError as exc:
            declared[name] = None
            notes[name].append(UnitIssue(var.name, "declared units", var.units, "", str(exc)))
        if not var.units.strip() and var.kind != "control":
            notes[name].append(UnitIssue(var.name, "declared units", "", "", "no units declared"))
    time = declared.get("time_step")
    for name in info.names("control"):
        units = declared[name]
        if None not in (time, units) and units != time:
            notes[name].append(UnitIssue(
                info.variables[name].name, "control vs TIME STEP", str(units), str(time),
                f"the time controls must share the units of TIME STEP: {units} vs {time}"))
    return declared, notes


def _is_table(component: Any) -> bool:
    from pysd.translators.structures import abstract_model as am

    return isinstance(component, am.AbstractLookup | am.AbstractData)


def _label(element: Any, component: Any) -> str:
    subscripts = component.subscripts[0] if component.subscripts else []
    if len(element.components) > 1 and subscripts:
        return f"{element.name}[{', '.join(subscripts)}]"
    return str(element.name)


def format_report(report: UnitsReport) -> str:
    """The listing the CLI prints: a summary line, then one line per issue with both units."""
    n = len(report.issues)
    head = (f"{report.model_file}: {report.checked} equations checked, "
            + ("units are consistent" if report.ok
               else f"{n} units issue{'s' if n != 1 else ''}"))
    lines = [head]
    lines.extend(f"  - {issue}" for issue in report.issues)
    return "\n".join(lines)
