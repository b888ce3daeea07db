"""On-disk cache of compiled models, keyed by the SHA-256 of the model file.

A cache entry holds the engine's IR and the model's metadata (pickled) and, for reading, the
generated kernel of the default configuration. Entries are written atomically (temporary file
in the same directory, then ``os.replace``), so concurrent processes never see half a file, and
the key includes the IR version, so a newer engine never reads an older entry.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

from chenzhou_water.engine.ir import IR_VERSION

ENV_VAR = "CHENZHOU_WATER_CACHE"


def cache_dir() -> Path:
    """The cache directory: ``$CHENZHOU_WATER_CACHE``, else the user's cache directory."""
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "chenzhou-water"


def entry_path(sha256: str, suffix: str) -> Path:
    """Where the cache entry of a model with this SHA-256 lives."""
    return cache_dir() / f"engine-v{IR_VERSION}-{sha256}{suffix}"


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either nothing or the whole file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(sha256: str) -> Any | None:
    """The cached object for this SHA-256, or None (missing or unreadable entry)."""
    path = entry_path(sha256, ".pkl")
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None


def store(sha256: str, payload: Any, source: str | None = None) -> None:
    """Cache ``payload`` (and the generated ``source``, for reading) under this SHA-256.

    A cache directory that cannot be written is not an error: the model is simply not cached.
    """
    try:
        if source is not None:
            write_atomic(entry_path(sha256, ".py"), source.encode("utf-8"))
        write_atomic(entry_path(sha256, ".pkl"), pickle.dumps(payload, protocol=4))
    except OSError:
        pass
