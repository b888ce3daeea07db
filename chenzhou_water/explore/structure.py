"""The model's structure as a graph: sectors, stocks, flows, auxiliaries and their links.

Read from the ``.mdl`` text itself (its groups are the sectors; each equation's right-hand
side names what the variable depends on) and from :func:`chenzhou_water.model.metadata.model_info`
(kinds, units, documentation, ranges). The diagram in the explorer and the Vensim sketch
written into the model file are both drawn from this one graph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from chenzhou_water.model.metadata import CONTROL_NAMES, ModelInfo, model_info, py_name

SKETCH_MARKER = "\\\\\\---///"

_GROUP = re.compile(r"^\*{10,}\s*\n\s*\.(?P<name>[^\n]+)\n(?:[^\n]*\n)*?\*{10,}~", re.MULTILINE)
_LOOKUP = re.compile(r"^([^=(]+?)\s*\(\s*\[")
_INTEG = re.compile(r"^\s*INTEG\s*\(", re.IGNORECASE)


@dataclass(frozen=True)
class Element:
    """One variable as the diagram sees it.

    Attributes
    ----------
    name : str
        The Vensim name, as spelled in the model file.
    sector : str
        The model group (``.Dongjiang reservoir``) the equation sits in.
    role : str
        ``stock``, ``flow`` (a rate in some stock's INTEG), ``constant``, ``lookup`` or
        ``auxiliary``.
    equation : str
        The right-hand side, as written in the model file (whitespace collapsed).
    depends_on : tuple of str
        The normalised names of the variables the equation reads, in order of first use.
    inflows, outflows : tuple of str
        For a stock, the flows added to and taken from it.
    """

    name: str
    sector: str
    role: str
    equation: str
    depends_on: tuple[str, ...]
    inflows: tuple[str, ...] = ()
    outflows: tuple[str, ...] = ()

    @property
    def py_name(self) -> str:
        return py_name(self.name)


@dataclass(frozen=True)
class ModelStructure:
    """Every model variable (controls aside) by sector, in file order."""

    info: ModelInfo
    sectors: tuple[str, ...]
    elements: dict[str, Element]

    def in_sector(self, sector: str) -> list[Element]:
        return [e for e in self.elements.values() if e.sector == sector]


def equations_text(path: str | Path) -> str:
    """The equations part of a ``.mdl`` (everything before any sketch section)."""
    text = Path(path).read_text(encoding="utf-8")
    return text.split(SKETCH_MARKER, 1)[0]


def _equations(text: str) -> list[tuple[str, str, str]]:
    """``(sector, name, right-hand side)`` for every equation, in file order."""
    groups = [(m.start(), m.group("name").strip()) for m in _GROUP.finditer(text)]
    out: list[tuple[str, str, str]] = []
    position = 0
    for block in text.split("|"):
        start = position
        position += len(block) + 1
        body = block.split("~", 1)[0]
        # A group banner may precede the equation inside the same block.
        body = body.rsplit("*~", 1)[-1].strip()
        if body.startswith("{"):
            continue
        lookup = _LOOKUP.match(body)
        if lookup:  # a lookup table: name( [(x0,y0)-(x1,y1)], (x,y)... )
            name, rhs = lookup.group(1), body[lookup.end(1):]
        elif "=" in body:
            name, rhs = body.split("=", 1)
        else:
            continue
        name = name.strip()
        if ":" in name or not name:  # subscript ranges, macros
            continue
        sector = next((g for s, g in reversed(groups) if s <= start), "")
        out.append((sector, name, " ".join(rhs.split())))
    return out


def _reference_pattern(names: list[str]) -> re.Pattern[str]:
    spelled = sorted(names, key=len, reverse=True)
    words = (r"[\s_]+".join(re.escape(w) for w in n.split()) for n in spelled)
    return re.compile(r"(?<![\w])(" + "|".join(words) + r")(?![\w])", re.IGNORECASE)


def _normal(match: str) -> str:
    return py_name(" ".join(match.replace("_", " ").split()))


def _integ_terms(rhs: str) -> tuple[list[str], list[str]]:
    """The inflow and outflow terms of ``INTEG(rate, initial)`` as written (signed sums)."""
    inner = rhs[_INTEG.match(rhs).end():]  # type: ignore[union-attr]
    depth, rate = 0, ""
    for ch in inner:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            break
        rate += ch
    inflows, outflows, sign, term, depth = [], [], "+", "", 0
    for ch in rate + "+":
        if ch in "+-" and depth == 0 and term.strip():
            (inflows if sign == "+" else outflows).append(term.strip())
            sign, term = ch, ""
            continue
        if ch in "+-" and depth == 0:
            sign = ch
            continue
        depth += (ch == "(") - (ch == ")")
        term += ch
    return inflows, outflows


def read_structure(path: str | Path) -> ModelStructure:
    """The structure of the model at ``path`` (see :class:`ModelStructure`)."""
    info = model_info(path)
    equations = _equations(equations_text(path))
    controls = {py_name(n) for n in CONTROL_NAMES}
    known = {py_name(n) for _, n, _ in equations} - controls
    pattern = _reference_pattern([n for _, n, _ in equations])
    flows: dict[str, tuple[list[str], list[str]]] = {}
    for _, name, rhs in equations:
        if _INTEG.match(rhs):
            ins, outs = _integ_terms(rhs)
            flows[py_name(name)] = (
                [py_name(t) for t in ins if py_name(t) in known],
                [py_name(t) for t in outs if py_name(t) in known],
            )
    rates = {f for ins, outs in flows.values() for f in (*ins, *outs)}
    elements: dict[str, Element] = {}
    sectors: list[str] = []
    for sector, name, rhs in equations:
        key = py_name(name)
        if key in controls or key in elements:
            continue
        deps = list(dict.fromkeys(_normal(m) for m in pattern.findall(rhs)))
        deps = [d for d in deps if d != key and d in known]
        var = info.get(name)
        kind = var.kind if var else "auxiliary"
        role = "stock" if key in flows else "flow" if key in rates else kind
        ins, outs = flows.get(key, ([], []))
        elements[key] = Element(name, sector, role, rhs, tuple(deps), tuple(ins), tuple(outs))
        if sector not in sectors:
            sectors.append(sector)
    return ModelStructure(info, tuple(sectors), elements)
