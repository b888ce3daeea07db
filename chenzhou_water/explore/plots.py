"""The explorer's headline plots as Bokeh figures whose data are replaced after every run.

Each figure draws the starting scenario (grey) and the current settings (coloured); with an
ensemble, the members' median and a 5-95 % band. A redraw only replaces the data sources.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure

from chenzhou_water.explore.controls import text
from chenzhou_water.explore.session import Run, annual


@dataclass(frozen=True)
class Series:
    """One line: a variable, reduced to years (``reduce``) or monthly (None), times ``scale``."""

    variable: str
    reduce: str | None
    scale: float
    label: str  # a key of controls.TEXTS, or "" for the figure's own title
    colour: str


PLOTS: dict[str, tuple[Series, ...]] = {
    "fig_storage": (Series("reservoir_storage", None, 1e-9, "", "#1f77b4"),),
    "fig_level": (Series("reservoir_level", None, 1.0, "", "#1f77b4"),),
    "fig_supply": (Series("urban_water_demand", "mean", 1e-3, "demand", "#ff7f0e"),
                   Series("urban_water_production", "mean", 1e-3, "supply", "#2ca02c"),
                   Series("unmet_demand", "mean", 1e-3, "shortage", "#d62728")),
    "fig_leakage": (Series("leakage_rate", "mean", 100.0, "", "#9467bd"),),
    "fig_reuse": (Series("reuse_rate", "mean", 100.0, "", "#17becf"),),
    "fig_datacentre": (Series("dc_electricity_saved", "sum", 1e-6, "", "#8c564b"),),
    "fig_hydropower": (Series("hydropower_generation", "sum", 1e-6, "", "#e377c2"),),
}


def series_values(run: Run, series: Series) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                      np.ndarray]:
    """x (decimal year), and the median, 5 % and 95 % of the members."""
    values = run.values[series.variable] * series.scale
    x = run.years
    if series.reduce is not None:
        values = annual(values, series.reduce)
        x = np.floor(run.years[::12]) + 0.5
    if values.shape[0] == 1:
        return x, values[0], values[0], values[0]
    lo, med, hi = np.percentile(values, [5, 50, 95], axis=0)
    return x, med, lo, hi


class HeadlinePlots:
    """The figures and their data sources."""

    def __init__(self, lang: str) -> None:
        self.figures: dict[str, figure] = {}
        self.current: dict[tuple[str, int], ColumnDataSource] = {}
        self.start: dict[tuple[str, int], ColumnDataSource] = {}
        for key, lines in PLOTS.items():
            fig = figure(width=470, height=230, title=text(key, lang),
                         tools="pan,wheel_zoom,box_zoom,reset,save", toolbar_location="right",
                         name=key)
            for i, series in enumerate(lines):
                empty = {"x": [], "y": [], "lo": [], "hi": []}
                cur = self.current[key, i] = ColumnDataSource(dict(empty))
                sta = self.start[key, i] = ColumnDataSource(dict(empty))
                fig.varea(x="x", y1="lo", y2="hi", source=cur, fill_color=series.colour,
                          fill_alpha=0.2)
                fig.line(x="x", y="y", source=sta, line_color="#7f7f7f", line_width=2,
                         line_dash="dashed")
                legend = {"legend_label": text(series.label, lang)} if series.label else {}
                fig.line(x="x", y="y", source=cur, line_color=series.colour, line_width=2,
                         **legend)
            if len(fig.legend):
                fig.legend.location = "top_left"
                fig.legend.label_text_font_size = "8pt"
            fig.xaxis.axis_label = None
            self.figures[key] = fig

    def relabel(self, lang: str) -> None:
        for key, fig in self.figures.items():
            fig.title.text = text(key, lang)
            labelled = [s for s in PLOTS[key] if s.label]
            if len(fig.legend):
                for item, series in zip(fig.legend[0].items, labelled, strict=True):
                    item.label = {"value": text(series.label, lang)}

    def update(self, run: Run, start: Run) -> None:
        """Replace every figure's data with ``run`` (current) and ``start``."""
        for key, lines in PLOTS.items():
            for i, series in enumerate(lines):
                x, y, lo, hi = series_values(run, series)
                self.current[key, i].data = {"x": x, "y": y, "lo": lo, "hi": hi}
                x, y, lo, hi = series_values(start, series)
                self.start[key, i].data = {"x": x, "y": y, "lo": lo, "hi": hi}
