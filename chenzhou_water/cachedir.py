"""Where translated and compiled models are cached."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "CHENZHOU_WATER_CACHE"


def cache_root() -> Path:
    """The cache folder: ``$CHENZHOU_WATER_CACHE``, else ``$XDG_CACHE_HOME/chenzhou-water``,
    else ``~/.cache/chenzhou-water``. Created on demand by its users."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "chenzhou-water"
