"""``compile_model``: a model file → a :class:`~.model.Model`, cached by SHA-256."""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

from chenzhou_water.engine import cache
from chenzhou_water.engine.ir import IR_VERSION, ModelIR
from chenzhou_water.engine.model import Model
from chenzhou_water.engine.translate import translate
from chenzhou_water.errors import ModelError
from chenzhou_water.model.metadata import file_sha256, model_info, read_abstract_model


def compile_model(path: str | Path, *, use_cache: bool = True) -> Model:
    """Compile a Vensim ``.mdl`` file for ensemble runs.

    The translation (PySD's parser, then the engine's IR) is cached on disk by the file's
    SHA-256 (see :mod:`chenzhou_water.engine.cache`): another process compiling the same file
    skips it, and a changed file is never served from the cache.

    Parameters
    ----------
    path : str or Path
        The model file.
    use_cache : bool
        Read and write the on-disk cache (default True).

    Returns
    -------
    Model

    Raises
    ------
    ModelError
        If the file is missing or cannot be parsed.
    UnsupportedConstructError
        If the model uses a construct the engine does not implement; the message names the
        file, the variable and the construct.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: model file not found")
    sha = file_sha256(path)
    if use_cache:
        cached = cache.load(sha)
        if _valid(cached, sha):
            ir, info = cached
            return Model(replace(ir, file_name=path.name), replace(info, path=path))
    abstract = read_abstract_model(path)  # parsed once: the metadata reads the same tree
    info = model_info(path, abstract)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ir = translate(abstract, path, sha)
    model = Model(ir, info)
    if use_cache:
        cache.store(sha, (ir, info), model.source())
    return model


def _valid(cached: object, sha: str) -> bool:
    if not isinstance(cached, tuple) or len(cached) != 2:
        return False
    ir = cached[0]
    return isinstance(ir, ModelIR) and ir.sha256 == sha and ir.version == IR_VERSION
