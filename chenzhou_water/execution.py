"""How an ensemble is executed: serially, on a local Dask cluster or on a running scheduler,
in chunks of how many members, resuming a folder or not.

One frozen :class:`ExecutionOptions` is built where the options are read (the command line, a
script) and passed unchanged to sweeps, sensitivity analyses and the ensemble runner
(:func:`chenzhou_water.sweep.execute.run_ensemble`), which is the only code that reads it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExecutionOptions:
    """Execution options of an ensemble run; checked on construction.

    Parameters
    ----------
    workers : int, optional
        Run on a local Dask cluster of this many worker processes (one thread each).
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``); its workers need this
        package installed. Exclusive with ``workers``. Neither: run serially in this process.
    chunk_size : int, optional
        Members per chunk (default: the runner's); a resumed folder keeps its own.
    resume : bool
        Continue the run whose chunks are in the output folder (same fingerprint required).
    dashboard : bool
        Serve Dask's dashboard from a local cluster (``workers``); it needs bokeh. An
        existing scheduler serves its own.

    Raises
    ------
    ValueError
        If both ``workers`` and ``scheduler`` are given, or a count is below 1.
    """

    workers: int | None = None
    scheduler: str | None = None
    chunk_size: int | None = None
    resume: bool = False
    dashboard: bool = False

    def __post_init__(self) -> None:
        if self.workers is not None and self.scheduler is not None:
            raise ValueError("give workers or scheduler, not both")
        for name in ("workers", "chunk_size"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")

    @property
    def serial(self) -> bool:
        """True when the ensemble runs in this process, without Dask."""
        return self.workers is None and self.scheduler is None


SERIAL = ExecutionOptions()
"""Run serially in this process, default chunk size, no resume."""
