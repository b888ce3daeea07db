"""The time grid of a run and the labelled (xarray) view of result arrays.

:func:`dataset_from_arrays` is the one labeller of both engines (this one and PySD, through
:mod:`chenzhou_water.scenario.reference`) and of sweeps: dims ``(member, time, *subscripts)``,
a calendar ``time`` where the model declares a start date, units and descriptions from the
model file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from chenzhou_water._typing import BoolArray, FloatArray
from chenzhou_water.engine.ir import ModelIR
from chenzhou_water.model.metadata import ModelInfo

RPREC = 1e-5  # PySD's relative precision for the final time and save points


def time_grid(initial: float, final: float, dt: float,
              saveper: float) -> tuple[list[float], BoolArray]:
    """Integration times and save flags, exactly as PySD's ``Time`` walks them.

    Time advances by repeated addition of ``dt`` while ``t + dt*1e-5 < final``; a point is
    saved when ``(t - t0) % saveper`` (or its negative) is below ``dt*1e-5``.
    """
    times = [float(initial)]
    t = float(initial)
    while t + dt * RPREC < final:
        t = t + dt
        times.append(t)
    prec = dt * RPREC
    saves = np.array([(t - initial) % saveper < prec or -(t - initial) % saveper < prec
                      for t in times])
    return times, saves


def saved_times(times: list[float], saves: BoolArray, dt: float) -> FloatArray:
    """The saved model times, rounded the way PySD labels its output rows."""
    digits = -int(np.log10(dt * RPREC))
    return np.round(np.asarray(times)[saves], digits)


def calendar_times(model_times: Sequence[float], info: ModelInfo) -> pd.DatetimeIndex | None:
    """Month-start dates of model times, or None where there is no calendar.

    A calendar exists when the model counts time in months, its INITIAL TIME documentation
    declares ``start date YYYY-MM-DD`` and every time is a whole number of months after the
    initial time; otherwise results keep numeric model time.
    """
    offsets = np.asarray(model_times, dtype=float) - info.initial_time
    monthly = info.time_units.strip().lower().startswith("month")
    if info.start_date is None or not monthly or not np.allclose(offsets, np.round(offsets)):
        return None
    start = pd.Timestamp(info.start_date).to_period("M")
    return pd.DatetimeIndex([(start + int(k)).to_timestamp() for k in np.round(offsets)],
                            name="time")


def time_coordinates(model_times: Sequence[float], info: ModelInfo) -> dict[str, Any]:
    """``time`` (month starts where the model has a calendar, else model time) and, with a
    calendar, ``model_time`` beside it: the coordinates of every result Dataset."""
    model_times = np.asarray(model_times, dtype=float)
    dates = calendar_times(model_times, info)
    if dates is None:
        return {"time": ("time", model_times, {"units": info.time_units})}
    return {"time": ("time", dates.values.astype("datetime64[ns]")),
            "model_time": ("time", model_times, {"units": info.time_units})}


def variable_attrs(info: ModelInfo, name: str) -> dict[str, str]:
    """``units``, ``description`` and ``long_name`` of a model variable, from the model file."""
    var = info.get(name)
    return {
        "units": var.units if var else "",
        "description": var.documentation if var else "",
        "long_name": var.name if var else name,
    }


def dataset_from_arrays(
    arrays: Mapping[str, np.ndarray],
    model_times: Sequence[float],
    info: ModelInfo,
    attrs: Mapping[str, Any] | None = None,
    *,
    dims: Mapping[str, tuple[str, ...]] | None = None,
    ranges: Mapping[str, Sequence[str]] | None = None,
) -> xr.Dataset:
    """Label result arrays of shape ``(member, time, *subscripts)`` as a Dataset.

    Parameters
    ----------
    arrays : mapping of str to ndarray
        Normalised variable name -> array of shape (member, time).
    model_times : sequence of float
        Model time of each saved point, in the model's time units.
    info : ModelInfo
        The model's metadata (units, documentation, start date).
    attrs : mapping, optional
        Extra global attributes (provenance).
    dims, ranges : mapping, optional
        Subscript dimensions of each subscripted variable, and the elements of each dimension.
    """
    coords = time_coordinates(model_times, info)
    data_vars = {}
    for name, values in arrays.items():
        values = np.asarray(values, dtype=float)
        if values.ndim == 1:
            values = values[np.newaxis, :]
        extra = tuple((dims or {}).get(name, ()))
        for dim in extra:
            coords[dim] = (dim, list((ranges or {})[dim]))
        data_vars[name] = (("member", "time", *extra), values, variable_attrs(info, name))
    n_members = next(iter(data_vars.values()))[1].shape[0] if data_vars else 1
    coords["member"] = ("member", np.arange(n_members))
    ds = xr.Dataset(data_vars, coords=coords)
    ds.attrs.update(
        {
            "model_file": info.path.name,
            "model_sha256": info.sha256,
            "time_units": info.time_units,
        }
    )
    if attrs:
        ds.attrs.update(attrs)
    return ds


def to_dataset(ir: ModelIR, info: ModelInfo, arrays: Mapping[str, np.ndarray],
               model_time: FloatArray, initial: float) -> xr.Dataset:
    """Label the kernel's output arrays: dims ``(member, time, *subscripts)``."""
    return dataset_from_arrays(
        arrays, model_time, replace(info, initial_time=initial),
        {"model_file": ir.file_name, "model_sha256": ir.sha256, "engine": "chenzhou_water.engine"},
        dims={name: ir.nodes[name].dims for name in arrays}, ranges=ir.ranges,
    )
