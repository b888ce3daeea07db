"""Writing files so no reader ever sees half of one, and the one rule for the cache folder.

Every file the package writes goes through :func:`atomic_path` (a temporary file beside the
target, renamed onto it on success) or :func:`staged_folder` (a set of files, or a folder,
that appears whole). Everything cached between runs lives under :func:`cache_root`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

CACHE_ENV = "CHENZHOU_WATER_CACHE"
APP_NAME = "chenzhou-water"


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
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
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
    an interruption leaves nothing under a final name.
    """
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".partial", dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def write_netcdf(ds: xr.Dataset, target: str | Path) -> Path:
    """Write a Dataset to NetCDF atomically, with compression."""
    encoding = {name: {"zlib": True, "complevel": 4} for name in ds.data_vars}
    with atomic_path(target) as tmp:
        ds.to_netcdf(tmp, engine="netcdf4", encoding=encoding)
    return Path(target)


def write_csv(frame: pd.DataFrame, target: str | Path) -> Path:
    """Write a DataFrame to CSV atomically (UTF-8 with BOM, so Excel reads Chinese labels)."""
    with atomic_path(target) as tmp:
        frame.to_csv(tmp, encoding="utf-8-sig", float_format="%.6g")
    return Path(target)
