"""What the command line prints, and how the library's errors become exit statuses.

``cli.py`` (the Typer app) runs each command inside :func:`project_errors` and prints through
the two consoles here: results on stdout, errors, warnings and progress on stderr.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "console", "err_console", "print_error",
           "print_frame", "progress_display", "project_errors"]

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
