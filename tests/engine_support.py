"""Helpers shared by the engine tests: PySD reference runs and comparisons."""

from __future__ import annotations

import itertools
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np

MODELS = Path(__file__).parent / "models"
PROJECT_MODEL = Path(__file__).parent.parent / "models" / "chenzhou_water.mdl"
RTOL = 1e-9


def compile_text(text: str, directory: Path, name: str = "model.mdl") -> Any:
    """Write a model's text into ``directory`` and compile it (the session's cache folder, set
    by ``conftest.py``, keeps it apart from the user's)."""
    from chenzhou_water.engine import compile_model

    path = directory / name
    path.write_text(text, encoding="utf-8")
    return compile_model(path)


def copy_model(src: Path, directory: Path) -> Path:
    """Copy a model into ``directory`` (PySD writes its translation next to the .mdl).

    PySD 3.14 gives a SMOOTHI/SMOOTH3I whose initial value is an integer literal an integer
    state array, which truncates the first input it receives (``targets[0] = input`` into an
    int array). The engine deliberately does not reproduce that bug, so the copy writes such
    literals as floats (``1`` → ``1.0``), which is what the modeller meant.
    """
    dst = directory / src.name
    text = src.read_text(encoding="utf-8")
    dst.write_text(_INTEGER_INITIAL.sub(r"\1\2.0\3", text), encoding="utf-8")
    return dst


_INTEGER_INITIAL = re.compile(r"(SMOOTH3?I\s*\([^()]*,\s*)(-?\d+)(\s*\))", re.IGNORECASE)


def pysd_model(path: Path) -> Any:
    """PySD's own translation of a model (warnings about lookups etc. silenced)."""
    import pysd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pysd.read_vensim(str(path))


def pysd_run(model: Any, params: dict[str, Any] | None = None) -> Any:
    """One PySD run as a DataFrame indexed by time."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.run(params=params or {})


def ranged_constants(engine_model: Any) -> dict[str, tuple[float, float]]:
    """Scalar constants with a declared [min, max] range, by normalised name."""
    out = {}
    for name, var in engine_model.variables.items():
        lo, hi = var.limits
        node = engine_model.ir.nodes[name]
        if var.kind == "constant" and lo is not None and hi is not None and not node.dims:
            out[name] = (float(lo), float(hi))
    return out


def assert_matches_pysd(dataset: Any, member: int, frame: Any, engine_model: Any,
                        rtol: float = RTOL) -> int:
    """Compare every saved value of one member with a PySD run; return the count compared."""
    columns = {c.lower().replace(" ", "_"): c for c in frame.columns}
    np.testing.assert_allclose(dataset["model_time"].values if "model_time" in dataset.coords
                               else dataset["time"].values, frame.index.to_numpy(dtype=float))
    compared = 0
    for name in dataset.data_vars:
        node = engine_model.ir.nodes[name]
        elements = [list(enumerate(engine_model.ir.ranges[d])) for d in node.dims]
        for combo in itertools.product(*elements):
            label = name + ("[" + ",".join(e for _, e in combo) + "]" if combo else "")
            reference = frame[columns[label.lower().replace(" ", "_")]].to_numpy(dtype=float)
            index = (member, slice(None), *(i for i, _ in combo))
            np.testing.assert_allclose(dataset[name].values[index], reference, rtol=rtol,
                                       atol=0, err_msg=label)
            compared += 1
    return compared


def random_members(ranges: dict[str, tuple[float, float]], members: int,
                   seed: int) -> dict[str, np.ndarray]:
    """One uniform draw per member of each ranged constant."""
    rng = np.random.default_rng(seed)
    return {name: rng.uniform(lo, hi, members) for name, (lo, hi) in ranges.items()}


def check_ensemble(path: Path, members: int, seed: int) -> None:
    """Run ``members`` random members of the ranged constants; compare each with PySD."""
    from chenzhou_water.engine import compile_model

    engine = compile_model(path)
    draws = random_members(ranged_constants(engine), members, seed)
    assert draws, "the model declares no ranged constants"
    dataset = engine.run(params=draws, members=members)
    reference = pysd_model(path)
    for member in range(members):
        params = {name: float(values[member]) for name, values in draws.items()}
        frame = pysd_run(reference, params)
        assert assert_matches_pysd(dataset, member, frame, engine) >= len(dataset.data_vars)


def fast_scalar_lookup_call() -> Any:
    """PySD's ``Lookups._call``, with the one-dimensional, scalar case done by ``np.interp``.

    PySD interpolates every call of a lookup table with ``xarray.DataArray.interp``, about
    6 ms a call, and the Chenzhou model calls its tables about 9,000 times a run: 95 % of a
    PySD run's 30 s. For a table without subscripts, called with a number, PySD's rule is
    Vensim's: the value at a point, linear interpolation between points, and the end value held
    outside the table. ``np.interp`` applies exactly that rule. Every other case (subscripted
    tables, array arguments, ``extrapolate`` and ``hold_backward`` tables) goes to PySD's own code.
    ``test_engine_equivalence.py`` checks the replacement against PySD's own call on every
    table of every model the tests use, inside and outside each table's range.
    """
    from pysd.py_backend.lookups import Lookups

    original = Lookups._call

    def call(self: Any, data: Any, x: Any, final_subs: Any = None) -> Any:
        if (getattr(self, "is_float", False) and self.interp not in ("extrapolate", "hold_backward")
                and isinstance(x, (float, int, np.floating, np.integer))):
            return float(np.interp(float(x), data["lookup_dim"].values, data.values))
        return original(self, data, x, final_subs)

    call.original = original  # type: ignore[attr-defined]
    return call
