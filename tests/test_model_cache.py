"""The model file is parsed at most once: its metadata is cached on disk beside the kernel."""

from __future__ import annotations

import shutil

import pytest

from chenzhou_water.engine import compile_model
from chenzhou_water.model import metadata
from tests.conftest import MODEL


@pytest.fixture
def fresh_model(tmp_path, monkeypatch):
    """A copy of the model with an empty cache, and a counter of PySD parses."""
    monkeypatch.setenv("CHENZHOU_WATER_CACHE", str(tmp_path / "cache"))
    metadata._model_info_cached.cache_clear()
    copy = tmp_path / MODEL.name
    shutil.copyfile(MODEL, copy)
    calls: list[str] = []
    parse = metadata.read_abstract_model

    def counting(path):
        calls.append(str(path))
        return parse(path)

    monkeypatch.setattr(metadata, "read_abstract_model", counting)
    monkeypatch.setattr("chenzhou_water.engine.compiler.read_abstract_model", counting)
    yield copy, calls
    metadata._model_info_cached.cache_clear()


@pytest.mark.slow
def test_compiling_parses_the_model_once_and_caches_its_metadata(fresh_model):
    path, calls = fresh_model
    model = compile_model(path)
    assert len(calls) == 1
    sha = metadata.file_sha256(path)
    assert metadata.cache_entry(sha, f"metadata-v{metadata.METADATA_VERSION}.pkl").is_file()
    metadata._model_info_cached.cache_clear()
    info = metadata.model_info(path)  # from the disk cache, in a "new process"
    assert len(calls) == 1
    assert info.variables == model.info.variables
    assert info.path == path.resolve()


def test_the_metadata_is_read_from_disk_without_parsing(fresh_model):
    path, calls = fresh_model
    first = metadata.model_info(path)
    assert len(calls) == 1
    metadata._model_info_cached.cache_clear()
    again = metadata.model_info(path)
    assert len(calls) == 1
    assert again == first
