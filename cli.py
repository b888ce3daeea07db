"""The ``chenzhou-water`` command line. Each command parses its options and calls one library
function; only this module turns a project error into a message and an exit status.

Exit status: 0 success, 1 the work failed (model error, units issues, failed check), 2 bad input
(an invalid scenario, sweep, sensitivity or targets file, or bad options).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from chenzhou_water.errors import ChenzhouWaterError, ValidationError

app = typer.Typer(
    name="chenzhou-water",
    help="Simulate the water system of Chenzhou (郴州): Dongjiang reservoir, diversion, city "
    "supply, leakage, reuse and the lake-cooled data centre.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


@contextmanager
def project_errors() -> Iterator[None]:
    """Turn the library's errors into a message on stderr and an exit status."""
    try:
        yield
    except ValidationError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except ChenzhouWaterError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
        raise typer.Exit(EXIT_FAILED) from None
    except KeyboardInterrupt:
        err_console.print("interrupted: finished files are kept, nothing half-written remains")
        raise typer.Exit(130) from None


def _print_frame(frame: Any, title: str) -> None:
    table = Table(title=title, show_lines=False, header_style="bold")
    table.add_column(escape(frame.index.name or ""), overflow="fold")
    for col in frame.columns:
        table.add_column(escape(str(col)), justify="right")
    for idx, row in frame.iterrows():
        cells = (f"{v:,.4g}" if isinstance(v, float) else str(v) for v in row)
        table.add_row(escape(str(idx)), *(escape(c) for c in cells))
    console.print(table)


ScenarioArg = Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)]


@app.command()
def run(
    scenario: ScenarioArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the results.")] = Path("out"),
    engine: Annotated[str, typer.Option(help="`numpy` (the ensemble engine) or `pysd` (the "
                                        "reference).")] = "numpy",
    plots: Annotated[bool, typer.Option(help="Write PNG plots.")] = True,
) -> None:
    """Run a scenario and write `OUT/<scenario>.nc`, `OUT/<scenario>_summary.csv` and PNG plots.

    Prints the headline indicators for 2020, 2025, 2030, 2035 and 2050.

    **Example**

        chenzhou-water run scenarios/baseline.yaml --out out

        chenzhou-water run scenarios/leakage_target.yaml --out out --engine pysd
    """
    from chenzhou_water.runner import run_scenario, write_run_outputs
    from chenzhou_water.scenario import load_scenario

    with project_errors():
        scen = load_scenario(scenario)
        with console.status(f"running {scen.name} on the {engine} engine ..."):
            ds = run_scenario(scen, engine=engine)  # type: ignore[arg-type]
            outputs = write_run_outputs(ds, scen.name, out, plots=plots)
        _print_frame(outputs.headline, f"{scen.name}: headline indicators")
        for path in (outputs.netcdf, outputs.summary_csv, *outputs.plots):
            console.print(f"wrote {path}", highlight=False)


@app.command()
def validate(scenario: ScenarioArg) -> None:
    """Check a scenario file (and every file it extends) without running it.

    Reports every problem at once, each with its file, line and YAML path; exits with status 2
    when there is any.

    **Example**

        chenzhou-water validate scenarios/drought_2022.yaml
    """
    from chenzhou_water.scenario import load_scenario

    with project_errors():
        scen = load_scenario(scenario)
        files = " <- ".join(p.name for p in scen.files)
        console.print(
            f"{scenario}: valid ({files}; {len(scen.parameters)} parameters, "
            f"{len(scen.levers)} levers, {len(scen.outputs)} outputs)",
            highlight=False,
        )


@app.command()
def check(
    model: Annotated[Path, typer.Argument(help="Vensim model file (.mdl).")] = Path(
        "models/chenzhou_water.mdl"
    ),
) -> None:
    """Check that every equation of a Vensim model is dimensionally consistent.

    Lists each inconsistency with the variable and the units on both sides; exits with status
    1 when there is any.

    **Example**

        chenzhou-water check models/chenzhou_water.mdl
    """
    from chenzhou_water.units import check_units, format_report

    with project_errors():
        report = check_units(model)
        text = format_report(report)
        if report.ok:
            console.print(text, highlight=False)
            return
        err_console.print(text, highlight=False)
        raise typer.Exit(EXIT_FAILED)


def main(argv: list[str] | None = None) -> Callable[..., Any]:
    """Entry point for ``python -m`` style use."""
    return app(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    app()
