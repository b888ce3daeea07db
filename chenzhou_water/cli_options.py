"""The options the command line's commands share, and their checks before any work starts.

Paths are checked by Click before the command runs (a bad one is exit status 2); the execution
options of the commands that run ensembles (sweep, stress, sensitivity) make one
:class:`~chenzhou_water.execution.ExecutionOptions`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from chenzhou_water.files import check_output_folder

__all__ = ["EXISTING_FILE", "ChunkSize", "Dashboard", "ModelArg", "OutDir", "Overwrite",
           "Resume", "ScenarioArg", "Scheduler", "Workers", "check_before_work",
           "ensemble_progress", "execution_options", "suffix_callback"]

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
