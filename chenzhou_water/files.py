"""Writing files so no reader ever sees half of one, the one rule for the cache folder, and
the check a command makes before any work that it can write where it was told to
(:func:`check_output_folder`).

Every file the package writes goes through :func:`atomic_path` (a temporary file beside the
target, renamed onto it on success), :func:`staged_folder` (a folder that appears whole) or
:func:`staged_set` (a set of files that lands as one: a killed landing is finished by the next
one). Everything cached between runs lives under :func:`cache_root`.

What a killed process leaves is recognised by its name, which records the process:
``.<file>.<pid>.<random>.part`` (a file being written) and ``.<name>.<pid>.<random>.partial``
(a staging folder). Such a thing is removed only when its process no longer runs on this
machine; a staging folder holding a landing note (:data:`LANDING_NOTE`) is a set that was
being moved into place, and is finished instead of removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from glob import escape as glob_escape
from pathlib import Path
from typing import TYPE_CHECKING

from chenzhou_water.errors import Problem, ValidationError

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

CACHE_ENV = "CHENZHOU_WATER_CACHE"
APP_NAME = "chenzhou-water"
# Inside a staging folder: the list of files being moved into place. Written (atomically)
# before the first move and removed after the last, so a folder that holds it is a landing
# that was interrupted, which the next landing into the same folder finishes.
LANDING_NOTE = ".landing"


def cache_root() -> Path:
    """The cache folder: ``$CHENZHOU_WATER_CACHE`` if set, else the user's cache folder for
    ``chenzhou-water`` as :mod:`platformdirs` names it on this system (on Linux
    ``$XDG_CACHE_HOME/chenzhou-water``, else ``~/.cache/chenzhou-water``). Created on demand."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once, at import: changing the umask later, even briefly, races with threads that create
# files (Dask workers) and could give them the wrong permissions.
_UMASK = _read_umask()


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` only on success.

    An interrupted writer leaves no half-written file under the final name; concurrent readers
    see either the old file or the whole new one. The file gets the umask's permissions.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(target.parent, target.name, ".part")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".part",
                               dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes the file private (0600); results are for sharing: honour the umask.
        tmp_path.chmod(0o666 & ~_UMASK)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_bytes(target: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_text(target: str | Path, text: str) -> Path:
    """Write ``text`` to ``target`` atomically, as UTF-8."""
    return write_bytes(target, text.encode("utf-8"))


@contextlib.contextmanager
def staged_folder(parent: str | Path, name: str) -> Iterator[Path]:
    """Yield a private, empty folder inside ``parent`` to fill; it is removed afterwards.

    The caller moves what it wrote into place (``os.replace``) before leaving the block, so
    an interruption leaves nothing under a final name; for a set of files, use
    :func:`staged_set`. The folder is named ``.<name>.<process id>.<random>.partial``; the
    folders of ``name`` that killed processes left in ``parent`` are removed first
    (:func:`remove_stale_staging`).
    """
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(parent, name)
    folder = Path(tempfile.mkdtemp(prefix=f".{name}.{os.getpid()}.", suffix=".partial",
                                   dir=parent))
    try:
        yield folder
    finally:
        if not (folder / LANDING_NOTE).exists():  # else: a landing the next one finishes
            shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def staged_set(parent: str | Path, name: str) -> Iterator[Path]:
    """Yield an empty staging folder for a set of files; on success they land in ``parent``.

    The files written into the folder (names not starting with ``.``) are moved into
    ``parent`` as one set: under a lock on ``parent``, a landing note listing them is written,
    they are moved, and the note is removed. A process killed while moving leaves the note,
    and the next landing into ``parent`` (any set) or :func:`remove_stale_staging` of ``name``
    finishes the move first; so ``parent`` holds the old set or, once finished, the new one,
    and an unfinished landing is visible (:func:`unfinished_landing`). On an exception in the
    block nothing lands.
    """
    parent = Path(parent)
    with staged_folder(parent, name) as staging:
        yield staging
        _land(staging, parent)


def _land(staging: Path, parent: Path) -> None:
    files = sorted(p.name for p in staging.iterdir()
                   if not p.name.startswith(".") and p.is_file() and not p.is_symlink())
    with _folder_lock(parent) as locked:
        _finish_landings(parent, "*", locked)
        write_text(staging / LANDING_NOTE, json.dumps(files))
        for file in files:
            os.replace(staging / file, parent / file)
        (staging / LANDING_NOTE).unlink()


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[bool]:
    """Hold an exclusive lock on ``folder`` (``flock`` on the folder itself, so no lock file
    is left behind); yields whether the lock is held (False where the system has none)."""
    try:
        import fcntl

        handle = os.open(folder, os.O_RDONLY)
    except (ImportError, OSError):
        yield False
        return
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            locked = True
        except OSError:
            locked = False
        yield locked
    finally:
        os.close(handle)  # releases the lock


def _finish_landings(parent: Path, name: str, locked: bool) -> list[Path]:
    """Finish the interrupted landings of ``name`` (``*``: every name) in ``parent``.

    Holding the folder's lock proves that a folder with a landing note is no longer being
    moved (its lander held the lock throughout); without the lock, only a folder whose
    process has ended is finished.
    """
    finished = []
    for folder in parent.glob(f".{name}.*.partial"):
        note = folder / LANDING_NOTE
        if folder.is_symlink() or not note.is_file():
            continue
        if not locked and _alive(_owner(folder.name, None, ".partial")):
            continue
        try:
            files = json.loads(note.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            files = []
        for file in files if isinstance(files, list) else []:
            source = folder / str(file)
            if (isinstance(file, str) and "/" not in file and not file.startswith(".")
                    and source.is_file() and not source.is_symlink()):
                os.replace(source, parent / file)
        shutil.rmtree(folder, ignore_errors=True)
        finished.append(folder)
    return finished


def unfinished_landing(path: str | Path) -> Path | None:
    """The staging folder of an interrupted landing that includes ``path``, or None.

    While one exists, the set ``path`` belongs to is partly old and partly new; the next
    landing into the folder (the next run) finishes it.
    """
    path = Path(path)
    for folder in path.parent.glob(".*.partial"):
        note = folder / LANDING_NOTE
        try:
            files = json.loads(note.read_text(encoding="utf-8")) if note.is_file() else []
        except (OSError, ValueError):
            continue
        if isinstance(files, list) and path.name in files:
            return folder
    return None


def remove_stale_staging(parent: Path, name: str) -> list[Path]:
    """Finish or remove the staging folders of ``name`` in ``parent`` that killed processes left.

    A folder holding a landing note is a set killed while it was moved into place: its
    remaining files are moved (:func:`staged_set`). Any other folder is removed when its
    process has ended; a live process's folder (another run of the same scenario still going)
    is kept. Folders of the older form ``.<name>.<random>.partial`` (no process recorded) are
    removed: nothing makes them any more. The folders of a name that starts with ``<name>.``
    (``.<name>.<more>.<pid>.<random>.partial``) are left to that name's runs. Returns the
    folders finished or removed.
    """
    with _folder_lock(parent) as locked:
        removed = _finish_landings(parent, glob_escape(name), locked)
    for folder in parent.glob(f".{glob_escape(name)}.*.partial"):
        owner = _owner(folder.name, name, ".partial")
        older = "." not in folder.name[len(name) + 2:].removesuffix(".partial")
        if ((owner is not None or older) and folder.is_dir() and not folder.is_symlink()
                and not _alive(owner) and not (folder / LANDING_NOTE).exists()):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _remove_stale(folder: Path, name: str, suffix: str) -> None:
    """Remove ``.<name>.<pid>.<random><suffix>`` files in ``folder`` whose process has ended."""
    with contextlib.suppress(OSError):
        for entry in folder.glob(f".{glob_escape(name)}.*{suffix}"):
            owner = _owner(entry.name, name, suffix)
            if owner is not None and not _alive(owner) and entry.is_file():
                entry.unlink(missing_ok=True)


def _owner(entry: str, name: str | None, suffix: str) -> int | None:
    """The process id in ``.<name>.<pid>.<random><suffix>``, or None (not that form); with
    ``name`` None, read from the right."""
    stem = entry.removesuffix(suffix)
    parts = stem[len(name) + 2:].split(".") if name is not None else stem.split(".")[-2:]
    return int(parts[0]) if len(parts) == 2 and parts[0].isdigit() else None


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


def write_netcdf(ds: xr.Dataset, target: str | Path) -> Path:
    """Write a Dataset to NetCDF atomically, with compression."""
    encoding = {name: {"zlib": True, "complevel": 4} for name in ds.data_vars}
    with atomic_path(target) as tmp:
        ds.to_netcdf(tmp, engine="netcdf4", encoding=encoding)
    return Path(target)


#: How CSV files write floating-point numbers: six significant digits.
CSV_FLOAT_FORMAT = "%.6g"


def write_csv(frame: pd.DataFrame, target: str | Path) -> Path:
    """Write a DataFrame to CSV atomically (UTF-8 with BOM, so Excel reads Chinese labels)."""
    with atomic_path(target) as tmp:
        frame.to_csv(tmp, encoding="utf-8-sig", float_format=CSV_FLOAT_FORMAT)
    return Path(target)


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


def refuse_existing(paths: list[Path], overwrite: bool, option: str = "--out", *,
                    resumable: bool = False) -> None:
    """Refuse to write over earlier results unless told to (``--overwrite``).

    Parameters
    ----------
    paths : list of Path
        The files or folders a command is about to write.
    overwrite : bool
        True lets the command replace them; nothing is checked then.
    option : str
        The option that named where they go, for the message.
    resumable : bool
        The command can continue the earlier run (``--resume``): the message says so.

    Raises
    ------
    ValidationError
        Naming the first existing path and how to go on; nothing has been touched.
    """
    if overwrite:
        return
    found = [p for p in paths if os.path.lexists(p)]
    if found:
        more = f" (and {len(found) - 1} more of its files)" if len(found) > 1 else ""
        resume = "--resume to continue it, " if resumable else ""
        raise ValidationError([Problem(str(found[0]), "", f"{option}: already exists{more}, "
                                       f"from an earlier run; pass {resume}--overwrite to "
                                       "replace it, or choose another place")])


def replace_from_staging(staging: Path, out_dir: Path) -> list[Path]:
    """Move everything in ``staging`` into ``out_dir``, replacing what is there by name.

    A file replaces a file (or a link) in one rename. A folder is swapped whole: the old one
    is renamed aside, the new one renamed into place, then the old one removed, so a reader
    sees either the old folder or the new one; so is whatever a new folder replaces (a file,
    or a link, which is removed, never what it points to), and a folder a file replaces.
    Returns the final paths, in name order.
    """
    final = []
    for source in sorted(staging.iterdir()):
        target = out_dir / source.name
        # os.replace puts a folder only where nothing or an empty folder is, and a file only
        # where no folder is
        if ((target.is_dir() and not target.is_symlink())
                or (source.is_dir() and os.path.lexists(target))):
            aside = Path(tempfile.mkdtemp(prefix=f".{source.name}.{os.getpid()}.",
                                          suffix=".old", dir=out_dir))
            os.replace(target, aside / source.name)
            os.replace(source, target)
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.replace(source, target)
        final.append(target)
    return final


@contextlib.contextmanager
def result_place(out_dir: str | Path, name: str, existing: list[Path], *, overwrite: bool,
                 resume: bool = False) -> Iterator[Path]:
    """The folder a command writes a set of results into, so that a replaced set lands whole.

    Without ``overwrite`` an existing result is refused (:func:`refuse_existing`) unless the
    command resumes it, and the command writes into ``out_dir`` itself. With ``overwrite`` and
    something to replace, it writes into a :func:`staged_folder` whose content replaces the
    old set by name once the block ends without error; an interrupted run leaves the old set
    as it was.

    Raises
    ------
    ValidationError
        If ``overwrite`` and ``resume`` are both asked for, or (without either) if one of
        ``existing`` exists.
    """
    out_dir = Path(out_dir)
    if overwrite and resume:
        raise ValidationError([Problem(str(out_dir), "", "--overwrite and --resume exclude "
                                       "each other: --resume continues the run in the folder, "
                                       "--overwrite replaces it; choose one")])
    if not resume:
        refuse_existing(existing, overwrite, resumable=True)
    if not (overwrite and any(os.path.lexists(p) for p in existing)):
        yield out_dir
        return
    with staged_folder(out_dir, name) as staging:
        yield staging
        replace_from_staging(staging, out_dir)


def moved(path: Path, staging: Path, out_dir: Path) -> Path:
    """Where ``path``, written under ``staging``, lies once :func:`result_place` moved it."""
    try:
        return Path(out_dir) / Path(path).relative_to(staging)
    except ValueError:
        return Path(path)
