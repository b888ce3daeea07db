"""The explorer's page (Panel): controls by sector, live plots, the headline table, the diagram.

:func:`explorer_app` builds the page of one :class:`~chenzhou_water.explore.session.Session`;
it works in a server (:mod:`chenzhou_water.explore.serve`) and in a Jupyter notebook alike.
Every change of a control builds the scenario from all controls, checks it with the scenario
loader (its message is shown under the controls, never a traceback), reruns the compiled
kernel and replaces the plots' data.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import panel as pn

from chenzhou_water.errors import ChenzhouWaterError, ValidationError
from chenzhou_water.explore.controls import (
    Control,
    controls,
    format_table,
    parse_table,
    sector_label,
    text,
)
from chenzhou_water.explore.diagram import Diagram, details_markdown
from chenzhou_water.explore.layout import layout
from chenzhou_water.explore.plots import HeadlinePlots
from chenzhou_water.explore.session import (
    ENSEMBLE_MEMBERS,
    SOURCE,
    Run,
    Session,
    headline_rows,
)
from chenzhou_water.explore.structure import read_structure
from chenzhou_water.model.contract import HEADLINE_YEARS

DIAGRAM_YEAR = 2030


class Explorer:
    """The page's widgets and what they do; ``layout`` is the Panel object to show."""

    def __init__(self, session: Session, lang: str = "en",
                 ensemble_members: int = ENSEMBLE_MEMBERS) -> None:
        self.session = session
        self.lang = lang
        self.ensemble_members = ensemble_members
        self.structure = read_structure(session.start.model_path)
        start = session.start.to_dict()
        self.controls = controls(self.structure, start["parameters"], start["levers"])
        self.widgets: dict[str, Any] = {}
        self.start_runs: dict[int, Run] = {}
        self.last_run: Run | None = None
        self.plots = HeadlinePlots(lang)
        self.diagram = Diagram(self.structure, layout(self.structure), lang)
        self._build()
        self.refresh()

    # ---- widgets -----------------------------------------------------------------------
    def _widget(self, control: Control) -> Any:
        if control.key in self.widgets:
            return self.widgets[control.key]
        label = control.label(self.lang)
        if control.kind == "lever":
            widget = pn.widgets.TextInput(label=label, value=format_table(control.value),
                                          sizing_mode="stretch_width")
        elif control.low is not None and control.high is not None:
            step = (control.high - control.low) / 100 or 1.0
            widget = pn.widgets.EditableFloatSlider(
                label=label, start=control.low, end=control.high, value=control.value,
                step=step, format="0[.]0000a", sizing_mode="stretch_width")
        else:
            widget = pn.widgets.FloatInput(label=label, value=control.value,
                                           sizing_mode="stretch_width")
        widget.css_classes = [f"control-{control.key}"]
        widget.param.watch(lambda _event: self.refresh(), "value")
        self.widgets[control.key] = widget
        return widget

    def control(self, key: str) -> Any:
        """The widget of a lever or constant (normalised name), made if not shown yet."""
        by_key = {c.key: c for items in self.controls.values() for c in items}
        return self._widget(by_key[key])

    def _build(self) -> None:
        sectors = list(self.controls)
        self.sector = pn.widgets.Select(label=text("sector", self.lang), options={
            sector_label(s, self.lang): s for s in sectors}, value=sectors[0],
            css_classes=["sector-select"])
        self.sector.param.watch(lambda _e: self._show_sector(), "value")
        self.control_column = pn.Column(sizing_mode="stretch_width", css_classes=["controls"])
        self.language = pn.widgets.RadioButtonGroup(
            options={"English": "en", "中文": "zh"}, value=self.lang, css_classes=["lang"])
        self.language.param.watch(lambda e: self.set_language(e.new), "value")
        self.ensemble = pn.widgets.Checkbox(
            label=text("ensemble", self.lang, n=self.ensemble_members), css_classes=["ensemble"])
        self.ensemble.param.watch(lambda _e: self.refresh(), "value")
        self.message = pn.pane.Str("", css_classes=["problems"], styles={"color": "#b00020"})
        self.status = pn.pane.Str("", css_classes=["status"])
        self.name_input = pn.widgets.TextInput(label=text("save_name", self.lang),
                                               value=f"{self.session.start.name}_explored",
                                               css_classes=["save-name"])
        self.save_button = pn.widgets.Button(label=text("save", self.lang), color="primary",
                                             css_classes=["save"])
        self.save_button.on_click(lambda _e: self._save())
        self.report_button = pn.widgets.Button(label=text("report", self.lang),
                                               css_classes=["report"])
        self.report_button.on_click(lambda _e: self._report())
        self.saved = pn.pane.Str("", css_classes=["saved"])
        self.table = pn.pane.HTML("", css_classes=["headline"], sizing_mode="stretch_width")
        self.variable = pn.widgets.AutocompleteInput(
            label=text("variable", self.lang), options=list(self.structure.elements),
            case_sensitive=False, search_strategy="includes", css_classes=["variable"])
        self.variable.param.watch(lambda _e: self._show_details(self.variable.value), "value")
        self.details = pn.pane.Markdown(text("click", self.lang), css_classes=["details"],
                                        sizing_mode="stretch_width")
        self.diagram.nodes.selected.on_change("indices", lambda _a, _o, _n: self._on_tap())
        self._show_sector()
        figures = [pn.pane.Bokeh(f) for f in self.plots.figures.values()]
        results = pn.Column(self.status, pn.GridBox(*figures, ncols=2), self.table,
                            name="results-tab")
        diagram = pn.Row(pn.pane.Bokeh(self.diagram.figure),
                         pn.Column(self.variable, self.details, width=300), name="diagram-tab")
        self.tabs = pn.Tabs((text("results", self.lang), results),
                            (text("diagram", self.lang), diagram), dynamic=False)
        sidebar = pn.Column(self.language, self.ensemble, self.sector, self.message,
                            self.control_column, self.name_input,
                            pn.Row(self.save_button, self.report_button), self.saved,
                            width=380)
        self.title = pn.pane.Markdown(f"## {text('title', self.lang)}", css_classes=["title"])
        self.layout = pn.Column(self.title, pn.Row(sidebar, self.tabs,
                                                   sizing_mode="stretch_width"),
                                sizing_mode="stretch_width")

    def _show_sector(self) -> None:
        self.control_column.objects = [self._widget(c) for c in self.controls[self.sector.value]]

    def set_language(self, lang: str) -> None:
        """Switch every label, title and table to ``lang`` (``en`` or ``zh``)."""
        self.lang = lang
        by_key = {c.key: c for items in self.controls.values() for c in items}
        for key, widget in self.widgets.items():
            widget.label = by_key[key].label(lang)
        sector = self.sector.value
        self.sector.label = text("sector", lang)
        self.sector.options = {sector_label(s, lang): s for s in self.controls}
        self.sector.value = sector
        self.ensemble.label = text("ensemble", lang, n=self.ensemble_members)
        self.name_input.label = text("save_name", lang)
        self.save_button.label = text("save", lang)
        self.report_button.label = text("report", lang)
        self.variable.label = text("variable", lang)
        self.title.object = f"## {text('title', lang)}"
        active = self.tabs.active
        self.tabs[:] = [(text("results", lang), self.tabs[0]),
                        (text("diagram", lang), self.tabs[1])]
        self.tabs.active = active
        self.plots.relabel(lang)
        self.diagram.relabel(lang)
        if self.last_run is not None:
            self._draw_table(self.last_run)

    # ---- running -----------------------------------------------------------------------
    def settings(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The controls' values: constants and lever tables (as typed, not yet checked)."""
        by_key = {c.key: c for items in self.controls.values() for c in items}
        parameters, levers = {}, {}
        for key, widget in self.widgets.items():
            if by_key[key].kind == "lever":
                levers[key] = parse_table(key, widget.value, SOURCE)
            else:
                parameters[key] = widget.value
        return parameters, levers

    def refresh(self) -> float | None:
        """Check the controls, rerun, redraw; returns the seconds from change to redrawn
        (None when the settings have a problem: its message is shown instead)."""
        began = time.perf_counter()
        try:
            parameters, levers = self.settings()
            scenario = self.session.update(parameters, levers)
        except ValidationError as exc:
            self.message.object = str(exc)
            return None
        self.message.object = ""
        members = self.ensemble_members if self.ensemble.value else 1
        try:
            run = self.session.run(scenario, members)
            if members not in self.start_runs:
                self.start_runs[members] = self.session.run(self.session.start, members)
        except ChenzhouWaterError as exc:
            self.message.object = str(exc)
            return None
        self.last_run = run
        self.plots.update(run, self.start_runs[members])
        self._draw_table(run)
        self.diagram.update_values(self._values(run))
        seconds = time.perf_counter() - began
        self.status.object = text("redrawn", self.lang, members=members, run=run.seconds,
                                  total=seconds)
        return seconds

    def _values(self, run: Run) -> dict[str, float | None]:
        """Each variable's value in the diagram: the current setting of a constant, the
        members' median in January of :data:`DIAGRAM_YEAR` for a computed variable."""
        index = int(np.searchsorted(run.years, DIAGRAM_YEAR))
        values: dict[str, float | None] = {}
        current = self.session.current or self.session.start
        for key in self.structure.elements:
            if key in run.values:
                values[key] = float(np.median(run.values[key][:, index]))
            elif key in current.parameters:
                values[key] = float(current.parameters[key])
            else:
                var = self.structure.info.variables.get(key)
                values[key] = var.value if var is not None else None
        return values

    def _draw_table(self, run: Run) -> None:
        rows = headline_rows(run, self.start_runs[run.members], lang=self.lang)
        head = "".join(f"<th>{y}</th>" for y in HEADLINE_YEARS)
        body = "".join(
            f"<tr><td>{r['indicator']}</td><td>{r['units']}</td>" + "".join(
                f"<td>{r[str(y)]:,.4g} / {r[f'start {y}']:,.4g}</td>" for y in HEADLINE_YEARS)
            + "</tr>" for r in rows)
        self.table.object = (f"<h4>{text('headline', self.lang)}</h4><table class='headline'>"
                             f"<thead><tr><th></th><th>{text('units', self.lang)}</th>{head}"
                             f"</tr></thead><tbody>{body}</tbody></table>")

    # ---- details, saving, report ---------------------------------------------------------
    def _on_tap(self) -> None:
        key = self.diagram.selected()
        if key is not None:
            self.variable.value = key

    def _show_details(self, key: str) -> None:
        if key not in self.structure.elements:
            return
        value = self._values(self.last_run).get(key) if self.last_run else None
        self.details.object = details_markdown(self.structure, key, value, self.lang)

    def _save(self) -> None:
        try:
            target = self.session.save(self.name_input.value)
        except ValidationError as exc:
            self.saved.object = str(exc)
            return
        self.saved.object = text("saved", self.lang, file=target.name)

    def _report(self) -> None:
        try:
            target = self.session.report(self.name_input.value, self.lang)
        except ChenzhouWaterError as exc:
            self.saved.object = str(exc)
            return
        self.saved.object = text("reported", self.lang, file=target.name)


def explorer_app(session: Session, lang: str = "en") -> pn.viewable.Viewable:
    """The explorer's page for ``session``: show it in a notebook or serve it."""
    pn.extension()
    return Explorer(session, lang).layout
