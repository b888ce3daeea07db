"""The one progress display of every long command: bars on a terminal, plain lines elsewhere.

The library reports progress through a plain callback, ``progress(stage, done, total)`` (a
``total`` of 0: the size of the stage is unknown). :class:`ProgressDisplay` is such a callback:

- on a terminal it draws a Rich bar per stage, with the elapsed time;
- when the stream is not a terminal (a log file, CI, a pipe) it writes plain lines such as
  ``progress: fit 40/200 (20 %), 0:00:12 elapsed`` — when a stage starts and ends, at every
  tenth of a stage, and at least every ``interval`` seconds while a stage runs, even one that
  reports nothing (a single model run), so logs show that the work goes on.

``CHENZHOU_WATER_PROGRESS_INTERVAL`` sets that interval in seconds (default 5).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

__all__ = ["INTERVAL_ENV", "Progress", "ProgressDisplay", "plain_interval"]

#: ``progress(stage, done, total)``; ``total`` 0 when the stage's size is unknown.
Progress = Callable[[str, int, int], None]

INTERVAL_ENV = "CHENZHOU_WATER_PROGRESS_INTERVAL"
DEFAULT_INTERVAL = 5.0


def plain_interval() -> float:
    """Seconds between plain progress lines (``$CHENZHOU_WATER_PROGRESS_INTERVAL``, else 5)."""
    try:
        value = float(os.environ.get(INTERVAL_ENV, DEFAULT_INTERVAL))
    except ValueError:
        return DEFAULT_INTERVAL
    return value if value > 0 else DEFAULT_INTERVAL


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


class ProgressDisplay:
    """A progress callback that draws bars on a terminal and writes plain lines elsewhere.

    Parameters
    ----------
    console : rich.console.Console
        Where progress goes (the command's standard error).
    unit : str
        What ``done`` counts, shown after the numbers (``members``, ``steps``).

    Use it as a context manager; call it as ``display(stage, done, total)`` or announce a
    step of unknown length with ``display.stage(name)``.
    """

    def __init__(self, console: Any, unit: str = ""):
        self.console = console
        self.unit = f" {unit}" if unit else ""
        self.terminal = bool(console.is_terminal)
        self.interval = plain_interval()
        self._lock = threading.Lock()
        self._state: dict[str, tuple[int, int]] = {}
        self._current = ""
        self._started = time.monotonic()
        self._last_line = 0.0
        self._tenths: dict[str, int] = {}
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}

    # --- the context: start and stop the bar or the ticker ---------------------------------

    def __enter__(self) -> ProgressDisplay:
        self._started = time.monotonic()
        if self.terminal:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._bar = Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False),
                                 BarColumn(), MofNCompleteColumn(), TextColumn(self.unit.strip()),
                                 TimeElapsedColumn(), console=self.console, transient=True)
            self._bar.__enter__()
        else:
            self._ticker = threading.Thread(target=self._tick, name="progress", daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self._bar is not None:
            self._bar.__exit__(kind, value, traceback)
        elif kind is None and self._current:
            self._line(self._current, "done")

    # --- what the library calls ------------------------------------------------------------

    def __call__(self, stage: str, done: int, total: int) -> None:
        with self._lock:
            new = stage != self._current
            if new and self._current and not self.terminal:
                self._line(self._current, "done")
            self._current = stage
            self._state[stage] = (done, total)
        if self.terminal:
            self._draw(stage, done, total)
            return
        tenth = int(10 * done / total) if total else -1
        if new or (tenth > self._tenths.get(stage, -1) and tenth > 0):
            self._tenths[stage] = tenth
            self._line(stage, self._numbers(done, total))

    def note(self, text: str) -> None:
        """Show a message once (where the Dask dashboard is), above the bar on a terminal."""
        self.console.print(text, highlight=False, markup=False, soft_wrap=True)

    def stage(self, name: str) -> None:
        """Announce a step whose length is unknown (a model run, writing the files)."""
        self(name, 0, 0)

    # --- drawing ---------------------------------------------------------------------------

    def _draw(self, stage: str, done: int, total: int) -> None:
        if stage not in self._tasks:
            self._tasks[stage] = self._bar.add_task(stage, total=total or None)
        self._bar.update(self._tasks[stage], completed=done, total=total or None)

    def _numbers(self, done: int, total: int) -> str:
        if total:
            return f"{done:,}/{total:,}{self.unit} ({100 * done / total:.0f} %)"
        return f"{done:,}{self.unit}" if done else "started"

    def _line(self, stage: str, what: str) -> None:
        elapsed = _clock(time.monotonic() - self._started)
        self._last_line = time.monotonic()
        self.console.print(f"progress: {stage}: {what}, {elapsed} elapsed", highlight=False,
                           markup=False, soft_wrap=True)

    def _tick(self) -> None:
        while not self._stop.wait(min(self.interval, 1.0)):
            with self._lock:
                stage = self._current
                done, total = self._state.get(stage, (0, 0))
                due = time.monotonic() - self._last_line >= self.interval
            if stage and due:
                self._line(stage, self._numbers(done, total) if done else "working")
