"""Vensim's external data (GET XLS / GET DIRECT: DATA, CONSTANTS, LOOKUPS), read at compile time.

The files are read by PySD's own loaders (``pysd.py_backend.external``: CSV and tab-separated
files through pandas, Excel workbooks through openpyxl), so the values are exactly PySD's. The
engine then treats them as what they are in a run: a constant, a lookup table, or a data series
interpolated on model time (a lookup of ``Time``). The values are copied into the IR, which
records each file's SHA-256: the compile cache is not used once a data file has changed.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from chenzhou_water.errors import ModelError

#: Structures of PySD's AbstractModel this module reads, with the Vensim name they stand for.
EXTERNAL = {
    "GetDataStructure": "GET DATA", "GetConstantsStructure": "GET CONSTANTS",
    "GetLookupsStructure": "GET LOOKUPS",
}


def files(abstract_section: Any, root: Path) -> tuple[tuple[str, str], ...]:
    """The external files a model section reads, as the model names them (relative to the
    model's folder), with their SHA-256: part of the compile cache's validity."""
    found = []
    for element in abstract_section.elements:
        for comp in element.components:
            name = getattr(comp.ast, "file", None)
            if type(comp.ast).__name__ in EXTERNAL and isinstance(name, str):
                found.append((name, _sha(root / name)))
    return tuple(sorted(set(found)))


def unchanged(files: tuple[tuple[str, str], ...], root: Path) -> bool:
    """True if every external file, next to the model in ``root``, has the recorded SHA-256."""
    return all(_sha(root / name) == sha for name, sha in files)


def _sha(path: Path) -> str:
    from chenzhou_water.model.metadata import file_sha256

    return file_sha256(path) if path.is_file() else ""


def _load(obj: Any, where: str) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            obj.initialize()
    except Exception as exc:  # PySD raises FileNotFoundError, ValueError, KeyError...
        raise ModelError(f"{where}: cannot read the external data: {exc}") from exc
    return obj.data


def constant(ast: Any, root: Path, where: str) -> float:
    """The value of an unsubscripted GET ... CONSTANTS."""
    from pysd.py_backend.external import ExtConstant

    data = _load(ExtConstant(ast.file, ast.tab, ast.cell, {}, root, {}, "_ext"), where)
    return float(np.asarray(data, dtype=float))


def lookup(ast: Any, root: Path, where: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The table ``(x, y)`` of an unsubscripted GET ... LOOKUPS, sorted by x."""
    from pysd.py_backend.external import ExtLookup

    data = _load(ExtLookup(ast.file, ast.tab, ast.x_row_or_col, ast.cell, {}, root, {},
                           "_ext"), where)
    return _sorted(data.coords["lookup_dim"].values, data.values)


def data(ast: Any, keyword: str | None, root: Path,
         where: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The series ``(time, value)`` of an unsubscripted GET ... DATA, interpolated linearly.

    Raises
    ------
    ModelError
        For the interpolation keywords other than linear interpolation (``:INTERPOLATE:`` or
        none), which the engine does not implement.
    """
    from pysd.py_backend.external import ExtData

    if keyword not in (None, "interpolate"):
        raise ModelError(f"{where}: GET DATA with the keyword :{keyword.upper()}: is not "
                         "supported by the ensemble engine (only linear interpolation)")
    series = _load(ExtData(ast.file, ast.tab, ast.time_row_or_col, ast.cell, keyword, {}, root,
                           {}, "_ext"), where)
    return _sorted(series.coords["time"].values, series.values)


def _sorted(x: Any, y: Any) -> tuple[tuple[float, ...], tuple[float, ...]]:
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float).reshape(-1)
    order = np.argsort(x, kind="stable")
    return tuple(float(v) for v in x[order]), tuple(float(v) for v in y[order])
