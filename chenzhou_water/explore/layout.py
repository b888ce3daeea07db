"""An automatic layout of the stock-and-flow diagram: one band per sector, layered by dependency.

Within a sector, a variable's column is the length of the longest chain of same-sector
variables it depends on (stocks start chains: a stock's own equation reads its flows, which
would make every loop a cycle); variables of one column are stacked in file order, at most
``MAX_ROWS`` high (then the column continues to its right). A sector's stocks come first, in a
row, each between its inflows' and outflows' valves. Sectors are bands from top to bottom in
the model file's order. Coordinates are in Vensim's sketch pixels (x to the right, y
downwards), so the explorer and the sketch share them.
"""

from __future__ import annotations

from dataclasses import dataclass

from chenzhou_water.explore.structure import Element, ModelStructure

COLUMN_WIDTH = 190
ROW_HEIGHT = 46
BAND_GAP = 70
FLOW_GAP = 120
MAX_ROWS = 8
MARGIN = 60


@dataclass(frozen=True)
class Placed:
    """A variable's place in the diagram (its centre)."""

    name: str
    x: int
    y: int


@dataclass(frozen=True)
class Layout:
    """Every variable's position, and the bands of the sectors: (sector, top y, bottom y)."""

    positions: dict[str, Placed]
    bands: tuple[tuple[str, int, int], ...]
    width: int
    height: int


def _columns(elements: list[Element]) -> dict[str, int]:
    """Longest same-sector dependency chain to each variable (stocks are sources)."""
    local = {e.py_name: e for e in elements}
    column: dict[str, int] = {}
    visiting: set[str] = set()

    def depth(name: str) -> int:
        if name in column:
            return column[name]
        element = local[name]
        visiting.add(name)
        parents = [] if element.role == "stock" else [
            d for d in element.depends_on if d in local and d not in visiting]
        value = 1 + max((depth(p) for p in parents), default=-1)
        visiting.discard(name)
        column[name] = value
        return value

    for name in local:
        depth(name)
    return column


def _stock_row(structure: ModelStructure, elements: list[Element], y: int,
               positions: dict[str, Placed]) -> int:
    """Place the sector's stocks in a row, each with its flows' valves on either side (inflows
    left, outflows right); returns the row's right edge."""
    x = MARGIN
    for stock in (e for e in elements if e.role == "stock"):
        flows_in = [f for f in stock.inflows if f not in positions]
        flows_out = [f for f in stock.outflows if f not in positions]
        for i, flow in enumerate(reversed(flows_in)):
            positions[flow] = Placed(structure.elements[flow].name,
                                     x + FLOW_GAP * (len(flows_in) - i) - FLOW_GAP // 2, y)
        x += FLOW_GAP * len(flows_in) + COLUMN_WIDTH // 2
        positions[stock.py_name] = Placed(stock.name, x, y)
        x += COLUMN_WIDTH // 2
        for i, flow in enumerate(flows_out):
            positions[flow] = Placed(structure.elements[flow].name,
                                     x + FLOW_GAP * i + FLOW_GAP // 2, y)
        x += FLOW_GAP * len(flows_out) + MARGIN
    return x


def layout(structure: ModelStructure) -> Layout:
    """Place every variable of ``structure`` (see the module's description)."""
    positions: dict[str, Placed] = {}
    bands: list[tuple[str, int, int]] = []
    top = MARGIN
    width = 0
    for sector in structure.sectors:
        elements = structure.in_sector(sector)
        has_stocks = any(e.role == "stock" for e in elements)
        if has_stocks:
            width = max(width, _stock_row(structure, elements, top + ROW_HEIGHT, positions))
            top += 2 * ROW_HEIGHT
        columns = _columns(elements)
        free = [e for e in elements if e.py_name not in positions]
        by_column: dict[int, list[Element]] = {}
        for element in free:
            by_column.setdefault(columns[element.py_name], []).append(element)
        x = MARGIN + COLUMN_WIDTH // 2
        rows_used = 0
        for col in sorted(by_column):
            members = by_column[col]
            for i, element in enumerate(members):
                sub, row = divmod(i, MAX_ROWS)
                positions[element.py_name] = Placed(
                    element.name, x + sub * COLUMN_WIDTH, top + ROW_HEIGHT + row * ROW_HEIGHT)
                rows_used = max(rows_used, row + 1)
            x += COLUMN_WIDTH * (1 + (len(members) - 1) // MAX_ROWS)
        width = max(width, x - COLUMN_WIDTH // 2 + MARGIN)
        bottom = top + ROW_HEIGHT * (rows_used + 1)
        bands.append((sector, top - (2 * ROW_HEIGHT if has_stocks else 0), bottom))
        top = bottom + BAND_GAP
    return Layout(positions, tuple(bands), width, top)
