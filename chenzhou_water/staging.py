"""Staging folders for a run's set of files, and the cleaning of those a killed run left.

A run writes its files into a hidden staging folder inside the output folder and moves them into
place once all exist. A run killed before it finished leaves that folder behind; the next run of
the same scenario into the same folder removes it. The folder's name records the process that
made it (``.<name>.<pid>.<random>.partial``), so a run never removes the folder of another run of
the same scenario that is still going.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def make_staging_folder(out_dir: Path, name: str) -> Path:
    """A fresh hidden folder in ``out_dir`` for the files of the run ``name``."""
    return Path(tempfile.mkdtemp(prefix=f".{name}.{os.getpid()}.", suffix=".partial",
                                 dir=out_dir))


def remove_stale_staging(out_dir: Path, name: str) -> list[Path]:
    """Remove the staging folders of runs of ``name`` whose process has ended.

    Folders of the older form ``.<name>.<random>.partial`` (no process recorded) are removed
    too: no run makes them any more. Returns the folders removed.
    """
    removed = []
    for folder in out_dir.glob(f".{name}.*.partial"):
        parts = folder.name[len(name) + 2:].split(".")
        owner = int(parts[0]) if len(parts) == 3 and parts[0].isdigit() else None
        if folder.is_dir() and not folder.is_symlink() and not _alive(owner):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return pid < 2**31  # another user's live process; an impossible id is not alive
    return True
