"""On-disk cache of compiled models, keyed by the SHA-256 of the model file.

An entry holds the engine's IR and the model's metadata (pickled) and, for reading, the
generated kernel of the default configuration. It lives in the model file's cache folder
(:func:`chenzhou_water.model.metadata.cache_entry`), beside the cached metadata; files are
written atomically, so concurrent processes never see half a file, and the name includes the
IR version, so a newer engine never reads an older entry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chenzhou_water.engine.ir import IR_VERSION
from chenzhou_water.model.metadata import cache_entry, load_cached, store_cached


def _name(suffix: str) -> str:
    return f"engine-v{IR_VERSION}{suffix}"


def entry_path(sha256: str, suffix: str) -> Path:
    """Where the cache entry of a model with this SHA-256 lives."""
    return cache_entry(sha256, _name(suffix))


def load(sha256: str) -> Any | None:
    """The cached object for this SHA-256, or None (missing or unreadable entry)."""
    return load_cached(sha256, _name(".pkl"))


def store(sha256: str, payload: Any, source: str | None = None) -> None:
    """Cache ``payload`` (and the generated ``source``, for reading) under this SHA-256.

    A cache directory that cannot be written is not an error: the model is simply not cached.
    """
    store_cached(sha256, _name(".pkl"), payload,
                 None if source is None else {_name(".py"): source})
