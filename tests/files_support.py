"""Helpers of the tests of results landing (``test_files_landing.py``,
``test_files_leftovers.py``): files and the folders a landing leaves, made by hand."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

from chenzhou_water.files import LANDING_NOTE

DEAD = 2**31 - 2  # a process id no system gives out: its process "has ended"


def write_file(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative name -> content), links and hidden ones included."""
    return {str(p.relative_to(folder)): (f"-> {os.readlink(p)}" if p.is_symlink()
                                         else p.read_text(encoding="utf-8"))
            for p in sorted(folder.rglob("*")) if p.is_symlink() or p.is_file()}


def interrupted(parent: Path, name: str, pid: int, note, contents: dict[str, str],
                tag: str = "k2j4h5g6") -> Path:
    """A staging folder a landing left, as ``staged_set`` names it: ``note`` (the landing
    note's value, or text written as it is) and the files not yet moved."""
    folder = parent / f".{name}.{pid}.{tag}.partial"
    folder.mkdir(parents=True)
    text = note if isinstance(note, str) else json.dumps(note)
    write_file(folder / LANDING_NOTE, text)
    for file, content in contents.items():
        write_file(folder / file, content)
    return folder


def busy(monkeypatch, name: str) -> None:
    """Removing a file called ``name`` fails, as on a network file system while a reader holds
    it open (EBUSY)."""
    real_unlink = os.unlink

    def unlink(path, *args, **kwargs):
        if os.path.basename(path) == name:
            raise OSError(errno.EBUSY, "Device or resource busy", str(path))
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", unlink)


def landings_among_other_folders(out: Path, pids: list[int]) -> dict[str, str]:
    """Interrupted landings of set ``x`` (one per process id in ``pids``, moving ``x<i>.csv``
    over an old one) among ``x``'s staging folders without a note and a link named like one:
    whatever order the folder lists them in, some come before a landing. Returns what the
    visible files of ``out`` are once every landing is finished."""
    finished = {}
    for i, pid in enumerate(pids):
        write_file(out / f"x{i}.csv", "old")
        interrupted(out, "x", pid, [f"x{i}.csv"], {f"x{i}.csv": "new"}, tag=f"n{i}")
        (out / f".x.{DEAD}.e{i}.partial").mkdir()
        finished[f"x{i}.csv"] = "new"
    (out / f".x.{DEAD}.link.partial").symlink_to(out / f".x.{DEAD}.e0.partial")
    return finished
