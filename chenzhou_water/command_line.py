"""What the command line's commands share (``cli.py`` holds the commands themselves).

- What it prints, and how the library's errors become exit statuses: each command runs inside
  :func:`project_errors` and prints through the two consoles, results on stdout, errors,
  warnings and progress on stderr.
- The options several commands take, and their checks before any work starts. Paths are
  checked by Click before the command runs (a bad one is exit status 2); the execution options
  of the commands that run ensembles (sweep, stress, sensitivity) make one
  :class:`~chenzhou_water.execution.ExecutionOptions`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from chenzhou_water.errors import (
    ChenzhouWaterError,
    ChenzhouWaterWarning,
    ModelFileError,
    ValidationError,
)
from chenzhou_water.files import check_output_folder

__all__ = [
    "EXISTING_FILE",
    "EXIT_BAD_INPUT",
    "EXIT_FAILED",
    "ChunkSize",
    "Dashboard",
    "ModelArg",
    "OutDir",
    "Overwrite",
    "Resume",
    "ScenarioArg",
    "Scheduler",
    "Workers",
    "check_before_work",
    "console",
    "ensemble_progress",
    "err_console",
    "execution_options",
    "print_error",
    "print_frame",
    "progress_display",
    "project_errors",
    "suffix_callback",
]

# Nothing printed is read as Rich markup or emoji codes: messages quote values, file names and
# YAML text ("[low, high]", ":x:", "a[/x]b") that must show as written. The one styled piece,
# the "error:" prefix, asks for markup explicitly.
console = Console(soft_wrap=True, markup=False, emoji=False)
err_console = Console(stderr=True, soft_wrap=True, markup=False, emoji=False)

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def progress_display(unit: str = "") -> Any:
    """The one progress display: bars on a terminal, plain lines on stderr otherwise."""
    from chenzhou_water.progress import ProgressDisplay

    return ProgressDisplay(err_console, unit)


@contextmanager
def project_errors() -> Iterator[None]:
    """Turn the library's errors into a message on stderr and an exit status, and its
    warnings (a cap that binds, a parameter the data do not constrain) into warning lines."""
    try:
        with _project_warnings():
            yield
    except (ValidationError, ModelFileError) as exc:
        print_error(exc)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except ChenzhouWaterError as exc:
        print_error(exc)
        raise typer.Exit(EXIT_FAILED) from None
    except KeyboardInterrupt:
        err_console.print("interrupted: finished files are kept, nothing half-written remains")
        raise typer.Exit(130) from None


@contextmanager
def _project_warnings() -> Iterator[None]:
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:  # type: ignore[assignment]
            warnings.simplefilter("always", ChenzhouWaterWarning)
            yield
    finally:  # outside the recording: others' warnings go where Python would have sent them
        for warning in caught:
            if issubclass(warning.category, ChenzhouWaterWarning):
                err_console.print(f"[bold yellow]warning:[/] {escape(str(warning.message))}",
                                  markup=True, highlight=False)
            else:
                warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                       warning.lineno)


def print_error(exc: Exception) -> None:
    err_console.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, highlight=False)


def print_frame(frame: Any, title: str) -> None:
    if not console.is_terminal:  # a file or a pipe: whole names and numbers, no separators
        plain = frame.map(lambda v: f"{v:.6g}" if isinstance(v, float) else str(v))
        console.print(f"{title}\n{plain.to_string()}", highlight=False, soft_wrap=True)
        return
    table = Table(title=title, show_lines=False, header_style="bold")
    table.add_column(frame.index.name or "", overflow="fold")
    for col in frame.columns:
        table.add_column(str(col), justify="right")
    for idx, row in frame.iterrows():
        cells = (f"{v:,.4g}" if isinstance(v, float) else str(v) for v in row)
        table.add_row(str(idx), *cells)
    console.print(table)


# ---- options shared by several commands ---------------------------------------------------
#: What Click checks of an input file, before any work starts (a bad path: exit status 2).
EXISTING_FILE = {"exists": True, "dir_okay": False, "readable": True}
ScenarioArg = Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False,
                                             **EXISTING_FILE)]
ModelArg = Annotated[Path | None, typer.Argument(
    help="Vensim model file (.mdl); default: the project's models/chenzhou_water.mdl, wherever "
    "the command is run from.", show_default=False, **EXISTING_FILE)]
OutDir = Annotated[Path, typer.Option("--out", "-o", help="Folder for the results (created if "
                                      "missing).", file_okay=False)]

# The execution options of the commands that run ensembles (sweep, stress, sensitivity); one
# ExecutionOptions is built from them by execution_options.
Workers = Annotated[int | None, typer.Option(
    help="Run the model on a local Dask cluster of N worker processes (default: serially).",
    min=1, show_default=False)]
Scheduler = Annotated[str | None, typer.Option(
    help="Address of a running Dask scheduler, e.g. `tcp://10.0.0.5:8786`.",
    show_default=False)]
ChunkSize = Annotated[int | None, typer.Option(
    "--chunk-size", help="Members (model runs) per chunk (default 10,000).", min=1,
    show_default=False)]
Resume = Annotated[bool, typer.Option(
    "--resume", help="Continue an interrupted run in OUT, keeping its finished chunks.")]
Dashboard = Annotated[bool, typer.Option(
    "--dashboard", help="Serve the Dask dashboard of the local cluster (--workers; needs "
    "bokeh) and print its address; it adds 1-2 s to the cluster's start.")]
Overwrite = Annotated[bool, typer.Option(
    "--overwrite", help="Replace an earlier result of the same name (without it, an existing "
    "result is an error and nothing is touched).")]


def suffix_callback(allowed: tuple[str, ...]) -> Callable[[Path | None], Path | None]:
    def check(path: Path | None) -> Path | None:
        if path is not None and path.suffix.lower() not in allowed:
            raise typer.BadParameter(f"{path}: use a file ending in {', '.join(allowed)}")
        return path
    return check


def ensemble_progress(display: Any) -> Callable[[Any], None]:
    """The sweep's progress reports (members done of all) fed to the progress display."""

    def report(state: Any) -> None:
        if state.note:
            display.note(state.note)
        display("members", state.members_done, state.members_total)

    return report


def execution_options(workers: int | None, scheduler: str | None, chunk_size: int | None,
                       resume: bool, dashboard: bool) -> Any:
    """The one :class:`~chenzhou_water.execution.ExecutionOptions` of a command (its checks are
    the library's); a bad combination is a usage error (exit status 2)."""
    from chenzhou_water.execution import ExecutionOptions

    try:
        return ExecutionOptions(workers=workers, scheduler=scheduler, chunk_size=chunk_size,
                                resume=resume, dashboard=dashboard)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--workers/--scheduler") from None


def check_before_work(out: Path, options: Any) -> None:
    """What every chunked command checks before any work: the output folder can be written and
    the scheduler (if one is named) answers."""
    from chenzhou_water.sweep.address import check_scheduler_address

    check_output_folder(out)
    if options.scheduler is not None:
        check_scheduler_address(options.scheduler)
