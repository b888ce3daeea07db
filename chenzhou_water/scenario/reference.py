"""PySD as the reference engine: one run of a scenario, labelled like the ensemble engine's.

PySD translates the Vensim file into Python next to the file it reads, so the model is copied
into the cache, under its SHA-256, and translated there once.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from chenzhou_water.engine.dataset import dataset_from_arrays
from chenzhou_water.errors import ModelError
from chenzhou_water.files import staged_folder
from chenzhou_water.model.metadata import ModelInfo, cache_entry, model_info


def load_pysd_model(path: str | Path) -> Any:
    """Translate (once, cached by SHA-256) and load a Vensim model with PySD."""
    import pysd

    info = model_info(path)
    folder = cache_entry(info.sha256, "pysd")
    py_file = folder / Path(path).with_suffix(".py").name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not py_file.is_file():
            _translate_into(Path(path), folder)
        return pysd.load(str(py_file))


def _translate_into(path: Path, folder: Path) -> None:
    """Translate with PySD in a private folder, then rename it to ``folder`` in one step.

    An interrupted translation leaves no partial ``.py`` under the cache's name, and of two
    processes translating at once, the second simply discards its copy.
    """
    import pysd

    with staged_folder(folder.parent, folder.name) as work:
        shutil.copyfile(path, work / path.name)
        try:
            pysd.read_vensim(str(work / path.name))
        except Exception as exc:
            raise ModelError(f"{path}: PySD could not translate the model: {exc}") from exc
        try:
            os.replace(work, folder)
        except OSError:  # another process finished first; its translation is the same
            pass


def _vensim_name(info: ModelInfo, name: str) -> str:
    var = info.get(name)
    if var is None:
        raise ModelError(f"{info.path}: no variable named {name!r}")
    return var.name


def run_pysd(
    path: str | Path,
    params: Mapping[str, float | pd.Series] | None = None,
    outputs: Sequence[str] = (),
) -> xr.Dataset:
    """Run the model once with PySD and return a ``(member=1, time)`` Dataset.

    Parameters
    ----------
    path : path
        The Vensim model.
    params : mapping, optional
        PySD's own form, keyed by normalised or Vensim names: a number replaces a constant; a
        ``pandas.Series`` indexed by x replaces a lookup's table, and one indexed by model time
        replaces any other variable with that series.
    outputs : sequence of str
        Variables to return (normalised or Vensim names).
    """
    info = model_info(path)
    model = load_pysd_model(path)
    params = {_vensim_name(info, name): value for name, value in (params or {}).items()}
    columns = [_vensim_name(info, n) for n in outputs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = model.run(params=params, return_columns=columns or None)
    arrays = {info.get(c).py_name: frame[c].to_numpy(dtype=float)[np.newaxis, :]
              for c in frame.columns if info.get(c) is not None}
    return dataset_from_arrays(arrays, frame.index.to_numpy(dtype=float), info,
                               attrs={"engine": "pysd"})
