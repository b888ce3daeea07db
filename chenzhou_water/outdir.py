"""Checking, before any work, that a command can write where it was told to.

A command that writes (a run, a sweep, a report, ...) calls :func:`check_output_folder` first, so
that a folder under an existing file or a folder it may not write is a located error at once —
not a traceback after minutes of work. The check leaves nothing behind: it creates no folder
(an input that is then found invalid leaves no empty folder), and its probe file is removed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from chenzhou_water.errors import Problem, ValidationError


def check_output_folder(folder: str | Path, option: str = "--out") -> None:
    """Check that ``folder`` exists as a writable folder or can be made as one.

    Parameters
    ----------
    folder : str or Path
        The output folder (for a single output file, the folder it goes in).
    option : str
        The option that named it, for messages.

    Raises
    ------
    ValidationError
        If a part of the path is a file, or the nearest existing folder cannot be written.
    """
    folder = Path(folder)
    existing = folder
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        if existing == folder:
            message = f"{option}: {folder} is a file, not a folder"
        else:
            message = (f"{option}: {existing} is a file, not a folder: the output folder cannot "
                       "be made under it")
        raise ValidationError([Problem(str(folder), "", message)])
    try:
        handle, probe = tempfile.mkstemp(prefix=".write-probe-", dir=existing)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ValidationError([Problem(str(folder), "", f"{option}: cannot write in "
                                       f"{existing}: {reason}")]) from exc
