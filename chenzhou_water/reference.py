"""PySD as the reference engine: one run of a scenario, labelled like the ensemble engine's.

PySD translates the Vensim file into Python next to the file it reads, so the model is copied
into the cache, under its SHA-256, and translated there once.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from chenzhou_water.cachedir import cache_root
from chenzhou_water.errors import ModelError
from chenzhou_water.modelinfo import ModelInfo, model_info
from chenzhou_water.results import dataset_from_arrays


def load_pysd_model(path: str | Path) -> Any:
    """Translate (once, cached by SHA-256) and load a Vensim model with PySD."""
    import pysd

    info = model_info(path)
    folder = cache_root() / "pysd" / info.sha256[:16]
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

    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        shutil.copyfile(path, work / path.name)
        try:
            pysd.read_vensim(str(work / path.name))
        except Exception as exc:
            raise ModelError(f"{path}: PySD could not translate the model: {exc}") from exc
        try:
            os.replace(work, folder)
        except OSError:  # another process finished first; its translation is the same
            pass
    finally:
        shutil.rmtree(work, ignore_errors=True)


def pysd_params(
    info: ModelInfo,
    parameters: Mapping[str, float],
    levers: Mapping[str, tuple[Sequence[float], Sequence[float]]],
) -> dict[str, Any]:
    """Scenario values in the form ``pysd.Model.run(params=...)`` takes."""
    params: dict[str, Any] = {}
    for name, value in parameters.items():
        params[_vensim_name(info, name)] = float(value)
    for name, (xs, ys) in levers.items():
        params[_vensim_name(info, name)] = pd.Series(
            np.asarray(ys, dtype=float), index=np.asarray(xs, dtype=float)
        )
    return params


def _vensim_name(info: ModelInfo, name: str) -> str:
    var = info.get(name)
    if var is None:
        raise ModelError(f"{info.path}: no variable named {name!r}")
    return var.name


def run_pysd(
    path: str | Path,
    parameters: Mapping[str, float] | None = None,
    levers: Mapping[str, tuple[Sequence[float], Sequence[float]]] | None = None,
    outputs: Sequence[str] = (),
    series: Mapping[str, pd.Series] | None = None,
) -> xr.Dataset:
    """Run the model once with PySD and return a ``(member=1, time)`` Dataset.

    Parameters
    ----------
    path : path
        The Vensim model.
    parameters : mapping, optional
        Constant name -> value.
    levers : mapping, optional
        Lookup name -> ``(x, y)`` table replacing the lookup.
    outputs : sequence of str
        Variables to return (normalised or Vensim names).
    series : mapping, optional
        Variable name -> ``pandas.Series`` indexed by model time, replacing the variable.
    """
    info = model_info(path)
    model = load_pysd_model(path)
    params = pysd_params(info, parameters or {}, levers or {})
    for name, values in (series or {}).items():
        params[_vensim_name(info, name)] = values
    columns = [_vensim_name(info, n) for n in outputs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = model.run(params=params, return_columns=columns or None)
    arrays = {info.get(c).py_name: frame[c].to_numpy(dtype=float)[np.newaxis, :]
              for c in frame.columns if info.get(c) is not None}
    return dataset_from_arrays(arrays, frame.index.to_numpy(dtype=float), info,
                               attrs={"engine": "pysd"})
