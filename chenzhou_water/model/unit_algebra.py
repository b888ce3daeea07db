"""Vensim units as exact algebra: a rational scale times symbols with rational exponents.

Public through :mod:`chenzhou_water.model.units`, which explains why this is not built on pint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from chenzhou_water.errors import UnitsSyntaxError

__all__ = ["DMNL", "Unit", "format_units", "parse_units"]

_DIMENSIONLESS_NAMES = frozenset({"dmnl", "dimensionless", "fraction", "unitless"})
_SYNONYMS = {f"{name}s": name for name in ("Second", "Minute", "Hour", "Day", "Week", "Month",
                                             "Quarter", "Year")}
_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>(?:[^\W\d]|\$)[\w$%']*(?:[ \t]+(?:[^\W\d]|\$)[\w$%']*)*)"
    r"|(?P<op>[*/^()-]))"
)


@dataclass(frozen=True)
class Unit:
    """A unit: a rational scale times a product of symbols with rational exponents.

    Attributes
    ----------
    powers : tuple of (str, Fraction)
        Symbol and non-zero exponent, sorted by symbol; empty when dimensionless.
    scale : Fraction
        A positive numeric factor (``10000*CNY`` has scale 10000).
    """

    powers: tuple[tuple[str, Fraction], ...] = ()
    scale: Fraction = Fraction(1)

    @classmethod
    def of(cls, powers: dict[str, Fraction], scale: Fraction = Fraction(1)) -> Unit:
        """The canonical unit with these exponents (zero exponents dropped) and scale."""
        return cls(tuple(sorted((s, Fraction(e)) for s, e in powers.items() if e != 0)),
                   Fraction(scale))

    @property
    def dimensionless(self) -> bool:
        """True when the unit has no symbols and scale 1."""
        return not self.powers and self.scale == 1

    def __mul__(self, other: Unit) -> Unit:
        powers = dict(self.powers)
        for sym, exp in other.powers:
            powers[sym] = powers.get(sym, Fraction(0)) + exp
        return Unit.of(powers, self.scale * other.scale)

    def __truediv__(self, other: Unit) -> Unit:
        return self * other ** -1

    def __pow__(self, exponent: Fraction | int) -> Unit:
        exponent = Fraction(exponent)
        if self.scale != 1 and abs(exponent.numerator) > 64:  # keep the scale's size sane
            raise UnitsSyntaxError(f"the power {exponent} of a scaled unit is too large")
        scale = _exact_root(self.scale ** exponent.numerator, exponent.denominator)
        return Unit.of({s: e * exponent for s, e in self.powers}, scale)

    def __str__(self) -> str:
        return format_units(self)


DMNL = Unit()


def _integer_root(value: int, n: int) -> int:
    """The floor of the ``n``-th root of a non-negative integer (Newton's method, exact)."""
    if value < 2:
        return value
    root = 1 << -(-value.bit_length() // n)  # a power of two above the root
    while True:
        better = ((n - 1) * root + value // root ** (n - 1)) // n
        if better >= root:
            return root
        root = better


def _exact_root(value: Fraction, n: int) -> Fraction:
    if n == 1:
        return value
    roots = [_integer_root(part, n) for part in (value.numerator, value.denominator)]
    if roots[0] ** n != value.numerator or roots[1] ** n != value.denominator:
        raise UnitsSyntaxError(f"the scale {_format_number(value)} has no exact {n}th root")
    return Fraction(roots[0], roots[1])


def _format_number(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    for digits in range(1, 31):
        if (10**digits) % value.denominator == 0:
            whole, rest = divmod(value.numerator * 10**digits // value.denominator, 10**digits)
            return f"{whole}.{rest:0{digits}d}".rstrip("0")
    return f"({value.numerator}/{value.denominator})"


def _format_factor(symbol: str, exponent: Fraction) -> str:
    if exponent == 1:
        return symbol
    if exponent.denominator == 1:
        return f"{symbol}^{exponent.numerator}"
    return f"{symbol}^({exponent.numerator}/{exponent.denominator})"


def format_units(unit: Unit) -> str:
    """Write a unit the way a modeller would: ``m3/(Day*person)``, ``1/Month``, ``Dmnl``."""
    numerator = [_format_factor(s, e) for s, e in unit.powers if e > 0]
    denominator = [_format_factor(s, -e) for s, e in unit.powers if e < 0]
    if unit.scale != 1:
        numerator.insert(0, _format_number(unit.scale))
    if not numerator and not denominator:
        return "Dmnl"
    text = "*".join(numerator) or "1"
    if denominator:
        below = denominator[0] if len(denominator) == 1 else f"({'*'.join(denominator)})"
        text += f"/{below}"
    return text


class _UnitParser:
    """Recursive descent over ``expr := term (('*'|'/') term)*``, ``term := atom ['^' exp]``."""

    def __init__(self, text: str):
        self.text = text
        self.tokens: list[tuple[str, str]] = []
        pos, body = 0, text.strip()
        while pos < len(body):
            match = _TOKEN.match(body, pos)
            if not match:
                raise self.error(f"unexpected {body[pos:].strip()[:10]!r}")
            kind = match.lastgroup or "op"
            self.tokens.append((kind, match.group(kind)))
            pos = match.end()
        self.pos = 0

    def error(self, why: str) -> UnitsSyntaxError:
        return UnitsSyntaxError(f"cannot parse units {self.text!r}: {why}")

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise self.error("it ends too early")
        token = self.tokens[self.pos]
        if expected is not None and token[1] != expected:
            raise self.error(f"expected {expected!r}, found {token[1]!r}")
        self.pos += 1
        return token

    def parse(self) -> Unit:
        unit = self.expr()
        if self.pos != len(self.tokens):
            raise self.error(f"unexpected {self.peek()!r}")
        return unit

    def expr(self) -> Unit:
        unit = self.term()
        while self.peek() in ("*", "/"):
            op = self.take()[1]
            unit = unit * self.term() if op == "*" else unit / self.term()
        return unit

    def term(self) -> Unit:
        unit = self.atom()
        if self.peek() == "^":
            self.take()
            unit = unit ** self.exponent()
        return unit

    def atom(self) -> Unit:
        kind, text = self.take()
        if kind == "number":
            return Unit(scale=Fraction(text))
        if kind == "name":
            name = " ".join(text.split())
            if name.lower() in _DIMENSIONLESS_NAMES:
                return DMNL
            return Unit.of({_SYNONYMS.get(name, name): Fraction(1)})
        if text == "(":
            unit = self.expr()
            self.take(")")
            return unit
        raise self.error(f"unexpected {text!r}")

    def exponent(self) -> Fraction:
        parens = self.peek() == "("
        if parens:
            self.take()
        sign = 1
        if self.peek() == "-":
            self.take()
            sign = -1
        kind, text = self.take()
        if kind != "number":
            raise self.error(f"the exponent must be a number, found {text!r}")
        value = Fraction(text)
        if parens and self.peek() == "/":
            self.take()
            value /= Fraction(self.take()[1])
        if parens:
            self.take(")")
        return sign * value


def parse_units(text: str) -> Unit:
    """Parse a Vensim units string such as ``m3/(person*Day)`` or ``m3 [0, 1e10]``.

    A trailing range in brackets is ignored; an empty string, ``Dmnl``, ``1``, ``dimensionless``
    and ``fraction`` are dimensionless.

    Raises
    ------
    UnitsSyntaxError
        If the string is not a product/quotient of names, numbers and numeric powers.
    """
    body = text.split("[", 1)[0].strip()
    return _UnitParser(body).parse() if body else DMNL
