"""The model's stock-and-flow diagram as a Vensim sketch section, written into the ``.mdl``.

The sketch is generated from the equations (:mod:`chenzhou_water.explore.structure`) and the
automatic layout (:mod:`chenzhou_water.explore.layout`), so Vensim opens the model with a
diagram and the explorer draws the same one. Regenerate it after changing the equations::

    python -m chenzhou_water.explore.sketch            # rewrite models/chenzhou_water.mdl
    python -m chenzhou_water.explore.sketch --check    # exit 1 if the file's sketch is stale

Records follow Vensim's sketch format (``V300``): ``10`` variables (stock shape 3, auxiliary 8,
flow 40 attached to its valve), ``11`` valves, ``12`` clouds (48) and comments (the sector
titles), ``1`` arrows (influences; pipes with shape 4 into a stock, 100 at the pipe's tail).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chenzhou_water.explore.layout import Layout, layout
from chenzhou_water.explore.structure import SKETCH_MARKER, ModelStructure, read_structure
from chenzhou_water.files import atomic_path

HEADER = (
    f"{SKETCH_MARKER} Sketch information - do not modify anything except names\n"
    "V300  Do not put anything below this section - it will be ignored\n"
    "*View 1\n"
    "$192-192-192,0,Times New Roman|12||0-0-0|0-0-0|0-0-255|-1--1--1|-1--1--1|96,96,100,0\n"
)
FOOTER = "///---\\\\\\\n:L<%^E!@\n9:Current\n15:0,0,0,0,0,0\n19:100,0\n5:reservoir storage\n"


def _size(name: str) -> tuple[int, int]:
    """Half-width and half-height of a name's box, in sketch pixels."""
    return max(20, min(60, 3 * len(name) // 2 + 6)), 11


class _Sketch:
    """Sketch records with running ids."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.ids: dict[str, int] = {}
        self.next_id = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def variable(self, key: str, name: str, x: int, y: int, shape: int) -> None:
        w, h = (40, 20) if shape == 3 else _size(name)
        self.ids[key] = i = self.new_id()
        position = "-1" if shape == 40 else "0"
        self.lines.append(f"10,{i},{name},{x},{y},{w},{h},{shape},3,0,0,{position},0,0,0")

    def arrow(self, source: int, target: int, shape: int, x: int, y: int) -> None:
        style = "0,0,22,0,0,0" if shape in (4, 100) else "0,0,0,0,64,0"
        self.lines.append(f"1,{self.new_id()},{source},{target},{shape},{style},"
                          f"-1--1--1,,1|({x},{y})|")


def _flow(sketch: _Sketch, structure: ModelStructure, where: Layout, key: str,
          ends: dict[str, tuple[str | None, str | None]]) -> None:
    """A flow: its valve, the pipes to the stocks (or clouds) at both ends, its name below."""
    place = where.positions[key]
    source, target = ends.get(key, (None, None))
    end_ids = []
    for stock, dx in ((source, -45), (target, 45)):
        if stock is None:
            cloud = sketch.new_id()
            sketch.lines.append(f"12,{cloud},48,{place.x + dx},{place.y},10,8,0,3,0,0,-1,0,0,0")
            end_ids.append(cloud)
        else:
            end_ids.append(sketch.ids[stock])
    valve = sketch.next_id + 2
    sketch.arrow(valve, end_ids[1], 4, place.x + 25, place.y)
    sketch.arrow(valve, end_ids[0], 100, place.x - 25, place.y)
    sketch.new_id()
    sketch.lines.append(f"11,{valve},48,{place.x},{place.y},6,8,34,3,0,0,1,0,0,0")
    sketch.variable(key, structure.elements[key].name, place.x, place.y + 22, 40)


def sketch_text(structure: ModelStructure, where: Layout | None = None) -> str:
    """The sketch section of the model (from the ``\\\\\\---///`` line to the end)."""
    where = layout(structure) if where is None else where
    sketch = _Sketch()
    for sector, top, _ in where.bands:
        sketch.lines.append(f"12,{sketch.new_id()},0,{len(sector) * 4 + 40},{top + 10},"
                            f"{len(sector) * 4 + 20},10,8,7,0,0,-1,0,0,0")
        sketch.lines.append(sector)
    ends: dict[str, tuple[str | None, str | None]] = {}
    for key, element in structure.elements.items():
        for flow in element.inflows:
            ends[flow] = (ends.get(flow, (None, None))[0], key)
        for flow in element.outflows:
            ends[flow] = (key, ends.get(flow, (None, None))[1])
    for key, element in structure.elements.items():
        if element.role == "stock":
            place = where.positions[key]
            sketch.variable(key, element.name, place.x, place.y, 3)
    for key, element in structure.elements.items():
        if element.role == "flow" and key in ends:
            _flow(sketch, structure, where, key, ends)
        elif element.role != "stock":
            place = where.positions[key]
            sketch.variable(key, element.name, place.x, place.y, 8)
    for key, element in structure.elements.items():
        if element.role == "stock":
            continue  # a stock's equation reads its flows: the pipes draw that
        for dep in element.depends_on:
            a, b = where.positions[dep], where.positions[key]
            sketch.arrow(sketch.ids[dep], sketch.ids[key], 1, (a.x + b.x) // 2, (a.y + b.y) // 2)
    return HEADER + "\n".join(sketch.lines) + "\n" + FOOTER


def model_with_sketch(path: str | Path) -> str:
    """The model file's text with its sketch section replaced by the generated one."""
    text = Path(path).read_text(encoding="utf-8")
    equations = text.split(SKETCH_MARKER, 1)[0].rstrip("\n") + "\n\n"
    return equations + sketch_text(read_structure(path))


def write_sketch(path: str | Path) -> bool:
    """Write the generated sketch into the model file; True if the file changed."""
    path = Path(path)
    new = model_with_sketch(path)
    if new == path.read_text(encoding="utf-8"):
        return False
    with atomic_path(path) as tmp:
        tmp.write_text(new, encoding="utf-8", newline="")
    return True


def main(argv: list[str] | None = None) -> int:
    from chenzhou_water.scenario.spec import default_model_path

    parser = argparse.ArgumentParser(prog="python -m chenzhou_water.explore.sketch",
                                     description="Write the generated stock-and-flow diagram "
                                     "into the model file as its Vensim sketch.")
    parser.add_argument("model", nargs="?", type=Path, default=default_model_path())
    parser.add_argument("--check", action="store_true",
                        help="only check that the file's sketch is the generated one")
    args = parser.parse_args(argv)
    if args.check:
        stale = model_with_sketch(args.model) != args.model.read_text(encoding="utf-8")
        print(f"{args.model.name}: sketch is {'stale' if stale else 'up to date'}")
        return 1 if stale else 0
    changed = write_sketch(args.model)
    print(f"{args.model.name}: sketch {'written' if changed else 'already up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
