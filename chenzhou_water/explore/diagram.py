"""The stock-and-flow diagram in the explorer: the layout the Vensim sketch uses, drawn with
Bokeh, with each variable's current value; a click selects a variable for its details."""

from __future__ import annotations

from collections.abc import Mapping

from bokeh.models import ColumnDataSource, HoverTool, TapTool
from bokeh.plotting import figure

from chenzhou_water.explore.controls import sector_label, text
from chenzhou_water.explore.layout import Layout
from chenzhou_water.explore.names_zh import name_zh
from chenzhou_water.explore.structure import ModelStructure
from chenzhou_water.model.catalogue import source_kinds

ROLE_STYLE: dict[str, tuple[str, str]] = {  # role -> (marker, colour)
    "stock": ("square", "#1f77b4"),
    "flow": ("diamond", "#2ca02c"),
    "constant": ("circle", "#bbbbbb"),
    "lookup": ("triangle", "#ff7f0e"),
    "auxiliary": ("circle", "#9467bd"),
}


CALENDAR = "Calendar"


def shown_name(structure: ModelStructure, key: str, lang: str) -> str:
    """A variable's name on the diagram: its Chinese name in Chinese (the model's own name
    where it has none), the model's name in English."""
    return (lang == "zh" and name_zh(key)) or structure.elements[key].name


def _value_text(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


class Diagram:
    """The diagram's figure and its node data (positions, names, roles, values)."""

    def __init__(self, structure: ModelStructure, where: Layout, lang: str) -> None:
        self.structure = structure
        keys = list(structure.elements)
        place = where.positions
        self.nodes = ColumnDataSource({
            "key": keys,
            "name": [shown_name(structure, k, lang) for k in keys],
            "role": [structure.elements[k].role for k in keys],
            "x": [place[k].x for k in keys],
            "y": [-place[k].y for k in keys],
            "marker": [ROLE_STYLE[structure.elements[k].role][0] for k in keys],
            "colour": [ROLE_STYLE[structure.elements[k].role][1] for k in keys],
            "value": [""] * len(keys),
        })
        links: dict[bool, tuple[list, list]] = {True: ([], []), False: ([], [])}
        for key, element in structure.elements.items():
            for dep in (*element.depends_on, *element.inflows, *element.outflows):
                source = structure.elements[dep]
                if source.sector == CALENDAR:
                    continue  # the calendar feeds everything: its links would hide the rest
                xs, ys = links[source.sector == element.sector]
                xs.append([place[dep].x, place[key].x])
                ys.append([-place[dep].y, -place[key].y])
        # The first view opens on the first sector after the calendar.
        first_top = next((top - 20 for sector, top, _ in where.bands if sector != CALENDAR), 0)
        fig = figure(width=700, height=760, match_aspect=True, name="diagram_figure",
                     css_classes=["diagram-figure"],
                     tools="pan,wheel_zoom,box_zoom,reset,tap,save", active_scroll="wheel_zoom",
                     x_range=(0, min(where.width, 820)),
                     y_range=(-first_top - 880, -first_top))
        fig.multi_line(*links[True], line_color="#999999", line_width=1, line_alpha=0.6)
        fig.multi_line(*links[False], line_color="#cccccc", line_width=1, line_alpha=0.25)
        bands = where.bands
        self.bands = ColumnDataSource({
            "x": [20] * len(bands), "y": [-top for _, top, _ in bands],
            "label": [sector_label(s, lang) for s, _, _ in bands]})
        fig.text(x="x", y="y", text="label", source=self.bands, text_font_size="13pt",
                 text_font_style="bold", text_baseline="top")
        glyph = fig.scatter(x="x", y="y", marker="marker", fill_color="colour",
                            line_color="#333333", size=14, source=self.nodes,
                            nonselection_fill_alpha=1.0, selection_line_width=3)
        fig.text(x="x", y="y", text="name", source=self.nodes, text_font_size="8pt",
                 text_align="center", y_offset=10, text_baseline="top",
                 nonselection_text_alpha=1.0)
        fig.text(x="x", y="y", text="value", source=self.nodes, text_font_size="7pt",
                 text_align="center", y_offset=-9, text_color="#1f4e79",
                 nonselection_text_alpha=1.0)
        fig.add_tools(HoverTool(renderers=[glyph], tooltips=[("", "@name"), ("", "@value")]))
        fig.select_one(TapTool).renderers = [glyph]
        fig.axis.visible = False
        fig.grid.visible = False
        self.figure = fig

    def relabel(self, lang: str) -> None:
        self.bands.data = {**self.bands.data, "label": [
            sector_label(s, lang) for s, _, _ in
            ((s, 0, 0) for s in self.structure.sectors)]}
        self.nodes.data = {**self.nodes.data, "name": [
            shown_name(self.structure, k, lang) for k in self.nodes.data["key"]]}

    def update_values(self, values: Mapping[str, float | None]) -> None:
        self.nodes.data = {**self.nodes.data,
                           "value": [_value_text(values.get(k)) for k in self.nodes.data["key"]]}

    def selected(self) -> str | None:
        chosen = self.nodes.selected.indices
        return self.nodes.data["key"][chosen[0]] if chosen else None


def details_markdown(structure: ModelStructure, key: str, value: float | None, lang: str) -> str:
    """What a click on a variable shows: equation, units, range, documentation, source."""
    element = structure.elements[key]
    var = structure.info.variables.get(key)
    units = var.units if var else ""
    low, high = var.limits if var else (None, None)
    declared = "" if low is None and high is None else f"[{low}, {high}]"
    documentation = var.documentation if var else ""
    title = shown_name(structure, key, lang)
    rows = [
        f"### {title}" if title == element.name else f"### {title}（{element.name}）",
        f"*{sector_label(element.sector, lang)} · {element.role}*",
        f"**{text('equation', lang)}:** `{element.equation}`",
        f"**{text('units', lang)}:** {units or '–'}  ",
        f"**{text('range', lang)}:** {declared or '–'}  ",
        f"**{text('value_2030', lang)}:** {_value_text(value) or '–'}  ",
        f"**{text('source', lang)}:** {source_kinds(documentation) or '–'}",
        f"**{text('documentation', lang)}:** {documentation or '–'}",
    ]
    return "\n\n".join(rows)
