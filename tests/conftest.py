"""Shared fixtures: one cache folder for the whole session, the project's paths."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "chenzhou_water.mdl"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
TEST_TERMINAL_WIDTH = 240


@pytest.fixture(scope="session", autouse=True)
def _cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Compiled models and PySD translations go to a per-session folder, not the user's cache."""
    folder = tmp_path_factory.mktemp("cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("CHENZHOU_WATER_CACHE", str(folder))
    yield folder
    mp.undo()


@pytest.fixture(scope="session", autouse=True)
def _fast_pysd_lookups() -> Iterator[None]:
    """PySD reference runs in seconds instead of half a minute (see ``fast_scalar_lookup_call``)."""
    from engine_support import fast_scalar_lookup_call
    from pysd.py_backend.lookups import Lookups

    mp = pytest.MonkeyPatch()
    mp.setattr(Lookups, "_call", fast_scalar_lookup_call())
    yield
    mp.undo()


@pytest.fixture(autouse=True)
def _fixed_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line's output does not depend on the terminal the tests run in.

    Rich reads the width from ``COLUMNS`` when its console is made, and wraps or shortens
    messages and tables to it; a test that looks for a message must not fail in a narrow
    terminal. The width is fixed wide enough that no message or table is wrapped; typer's help
    pages read ``COLUMNS`` each time and get the same width.
    """
    monkeypatch.setenv("COLUMNS", str(TEST_TERMINAL_WIDTH))
    monkeypatch.delenv("TERMINAL_WIDTH", raising=False)
    import cli

    for console in (cli.console, cli.err_console):
        monkeypatch.setattr(console, "width", TEST_TERMINAL_WIDTH)


@pytest.fixture(scope="session")
def compiled_model(_cache_dir: Path):
    from chenzhou_water.engine import compile_model

    return compile_model(MODEL)
