"""The design and the indices as labelled data.

:func:`design` draws the method's sample with SALib on the unit hypercube (every parameter's
probability scale) and maps each column to the parameter's values with its distribution's
inverse CDF, the way a sweep maps its designs; for a uniform range this is the plain affine map,
so Morris elementary effects keep SALib's convention (output change per whole range).

:func:`indices_dataset` runs the method's ``analyze`` on every output and labels the result:
dims ``(output, parameter)`` for scalar metrics, ``(output, year, parameter)`` for yearly
outputs, one variable per index (``mu_star``, ``mu_star_conf``, ``sigma``, ``S1``, ``S1_conf``,
``ST``, ``ST_conf``, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from chenzhou_water._typing import FloatArray
from chenzhou_water.model.metadata import model_info
from chenzhou_water.sensitivity.methods.base import SALibProblem
from chenzhou_water.sensitivity.spec import SensitivitySpec

__all__ = ["Design", "design", "indices_dataset", "tidy_table"]

_SPREAD_NOTE = "does not vary across the runs: its indices are undefined (NaN)"


@dataclass(frozen=True)
class Design:
    """An SA design.

    Attributes
    ----------
    problem : dict
        SALib's problem, on the unit hypercube (bounds ``[0, 1]``).
    unit : ndarray, shape (run, parameter)
        The SALib sample, in probability units.
    values : ndarray, shape (run, parameter)
        The constants' values of each run, in their own units.
    """

    problem: SALibProblem
    unit: FloatArray
    values: FloatArray


def design(spec: SensitivitySpec) -> Design:
    """Draw the method's sample and map it to the parameters' values."""
    names = spec.names
    problem: SALibProblem = {"num_vars": len(names), "names": list(names),
                        "bounds": [[0.0, 1.0]] * len(names)}
    unit = np.asarray(spec.method_def.sample(problem, spec.options, spec.seed), dtype=np.float64)
    values = np.column_stack([dist.ppf(unit[:, j]) for j, (_, dist) in
                              enumerate(spec.parameters)])
    return Design(problem, unit, values)


def _analyze_one(spec: SensitivitySpec, plan: Design, y: FloatArray) -> tuple[dict, str]:
    """The indices of one output, or all-NaN ones with a note if it cannot be analysed."""
    method, k = spec.method_def, len(spec.parameters)
    bad = int(np.count_nonzero(~np.isfinite(y)))
    if bad or np.ptp(y) <= 1e-12 * max(1.0, float(np.abs(y).max())):
        note = f"{bad} runs gave non-finite values" if bad else _SPREAD_NOTE
        names = [n for i in method.indices for n in (i, f"{i}_conf")]
        return {n: np.full(k, np.nan) for n in names}, note
    return dict(method.analyze(plan.problem, plan.unit, y, spec.options, spec.seed)), ""


def _stack(results: Sequence[dict], k: int) -> dict[str, FloatArray]:
    """``[{index: (k,)}, ...]`` -> ``{index: (len, k)}`` (missing ones as NaN)."""
    names = list(dict.fromkeys(n for r in results for n in r))
    out = {}
    for name in names:
        shape = next(np.shape(r[name]) for r in results if name in r)
        out[name] = np.stack([np.asarray(r.get(name, np.full(shape, np.nan)), dtype=float)
                              for r in results])
    return out


def _data_vars(stacked: Mapping[str, FloatArray], dims: tuple[str, ...]) -> dict:
    data = {}
    for name, values in stacked.items():
        extra = ("parameter_2",) if values.ndim == len(dims) + 1 else ()
        data[name] = ((*dims, *extra), values, _index_attrs(name))
    return data


def _index_attrs(name: str) -> dict[str, str]:
    base = name.removesuffix("_conf")
    text = _INDEX_TEXT.get(base, base)
    if name.endswith("_conf"):
        return {"description": f"half-width of the bootstrap confidence interval of {base}"}
    return {"description": text}


_INDEX_TEXT = {
    "mu_star": "Morris mean absolute elementary effect (output units per whole range)",
    "mu": "Morris mean elementary effect (signed)",
    "sigma": "Morris standard deviation of the elementary effects",
    "S1": "first-order Sobol' index (share of output variance)",
    "ST": "total-effect Sobol' index (share of output variance)",
    "S2": "second-order Sobol' index of the parameter pair",
    "delta": "Borgonovo's moment-independent delta",
    "pawn_median": "PAWN index: median KS distance over the slides",
    "pawn_mean": "PAWN index: mean KS distance over the slides",
    "pawn_max": "PAWN index: largest KS distance over the slides",
}


def _parameter_coords(spec: SensitivitySpec) -> dict:
    info = model_info(spec.scenario.model_path)
    units = [(info.get(n).units if info.get(n) else "") for n in spec.names]  # type: ignore[union-attr]
    dist = [str(d.to_dict()) for _, d in spec.parameters]
    return {"parameter": ("parameter", spec.names),
            "parameter_units": ("parameter", units),
            "parameter_distribution": ("parameter", dist)}


def indices_dataset(
    spec: SensitivitySpec, plan: Design, values: Mapping[str, FloatArray]
) -> tuple[xr.Dataset | None, xr.Dataset | None]:
    """The indices of the scalar metrics and of the yearly outputs.

    Parameters
    ----------
    spec : SensitivitySpec
        The SA file.
    plan : Design
        The design that was run.
    values : mapping
        Metric name -> per-run values, shape ``(run,)``.

    Returns
    -------
    (xarray.Dataset or None, xarray.Dataset or None)
        Dims ``(output, parameter)`` and ``(output, year, parameter)``; None when the file has
        no such outputs. Coordinates ``output_units``, ``output_mean``, ``output_std`` and
        ``note`` (why an output has no indices) describe each output.
    """
    k = len(spec.parameters)
    pcoords = _parameter_coords(spec)
    scalar = None
    if spec.metrics:
        pairs = [_analyze_one(spec, plan, values[m.name]) for m in spec.metrics]
        ys = [values[m.name] for m in spec.metrics]
        scalar = xr.Dataset(_data_vars(_stack([p[0] for p in pairs], k), ("output", "parameter")),
                            coords={**pcoords, "output": ("output", [m.name for m in spec.metrics]),
                                    "output_units": ("output", [m.units for m in spec.metrics]),
                                    **_stats(ys, [p[1] for p in pairs], ("output",))})
    yearly = _yearly_dataset(spec, plan, values, pcoords) if spec.yearly else None
    for ds in (scalar, yearly):
        if ds is not None and "S2" in ds:
            ds.coords["parameter_2"] = ("parameter_2", spec.names)
    return scalar, yearly


def _yearly_dataset(spec: SensitivitySpec, plan: Design, values: Mapping[str, FloatArray],
                    pcoords: dict) -> xr.Dataset:
    k = len(spec.parameters)
    years = sorted({y for output in spec.yearly for y in output.years})
    per_output, ys, notes = [], [], []
    for output in spec.yearly:
        rows, y_rows, n_rows = [], [], []
        for year in years:
            name = f"{output.name}_{year}"
            y = values.get(name) if year in output.years else None
            y = np.full(1, np.nan) if y is None else y
            result, note = _analyze_one(spec, plan, y) if y.size > 1 else ({}, "year not asked")
            rows.append(result)
            y_rows.append(y)
            n_rows.append(note)
        per_output.append(_stack(rows, k))
        ys.append(y_rows)
        notes.append(n_rows)
    stacked = {name: np.stack([p[name] for p in per_output]) for name in per_output[0]}
    stats = _stats(ys, notes, ("output", "year"))
    return xr.Dataset(_data_vars(stacked, ("output", "year", "parameter")),
                      coords={**pcoords, "output": ("output", [o.name for o in spec.yearly]),
                              "year": ("year", np.asarray(years, dtype=np.int64)),
                              "output_units": ("output", [o.units for o in spec.yearly]),
                              "output_variable": ("output", [o.variable for o in spec.yearly]),
                              "output_reduce": ("output", [o.reduce for o in spec.yearly]),
                              **stats})


def _stats(ys: list, notes: list, dims: tuple[str, ...]) -> dict:
    """Mean and standard deviation of each output over the runs, and the notes."""
    def over_runs(fn: Callable[[FloatArray], float]) -> FloatArray:
        return np.asarray(_map(ys, lambda y: float(fn(y)) if np.size(y) > 1 else np.nan),
                          dtype=float)

    return {"output_mean": (dims, over_runs(np.nanmean)),
            "output_std": (dims, over_runs(np.nanstd)),
            "note": (dims, np.asarray(notes, dtype=object).astype(str))}


def _map(nested: list, fn: Callable[[FloatArray], float]) -> list:
    return [_map(x, fn) if isinstance(x, list) else fn(x) for x in nested]


def tidy_table(scalar: xr.Dataset | None, yearly: xr.Dataset | None) -> pd.DataFrame:
    """The indices in long format: one row per output, year, parameter and index.

    Columns ``output``, ``year`` (empty for scalar metrics), ``parameter``, ``parameter_2``
    (only for ``S2``), ``index``, ``value`` and ``conf`` (the interval's half-width).
    """
    frames = []
    for ds in (scalar, yearly):
        if ds is None:
            continue
        for name in ds.data_vars:
            if name.endswith("_conf"):
                continue
            frame = ds[name].to_dataframe(name="value")[["value"]].reset_index()
            conf = f"{name}_conf"
            frame["conf"] = ds[conf].values.reshape(-1) if conf in ds else np.nan
            frame["index"] = name
            frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["output", "year", "parameter", "parameter_2", "index",
                                     "value", "conf"])
    table = pd.concat(frames, ignore_index=True)
    for column in ("year", "parameter_2"):
        if column not in table:
            table[column] = pd.NA
    table["year"] = table["year"].astype("Int64")
    return table[["output", "year", "parameter", "parameter_2", "index", "value", "conf"]]
