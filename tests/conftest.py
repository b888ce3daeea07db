"""Shared fixtures: one cache folder for the whole session, the project's paths."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "chenzhou_water.mdl"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="session", autouse=True)
def _cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Compiled models and PySD translations go to a per-session folder, not the user's cache."""
    folder = tmp_path_factory.mktemp("cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("CHENZHOU_WATER_CACHE", str(folder))
    yield folder
    mp.undo()


@pytest.fixture(scope="session")
def compiled_model(_cache_dir: Path):
    from chenzhou_water.engine import compile_model

    return compile_model(MODEL)
