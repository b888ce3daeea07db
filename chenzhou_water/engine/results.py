"""The time grid of a run and the labelled (xarray) view of its outputs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import xarray as xr

from chenzhou_water._typing import BoolArray, FloatArray
from chenzhou_water.engine.ir import ModelIR
from chenzhou_water.model.metadata import ModelInfo
from chenzhou_water.results import time_coordinates, variable_attrs

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


def to_dataset(ir: ModelIR, info: ModelInfo, arrays: Mapping[str, np.ndarray],
               model_time: FloatArray, initial: float) -> xr.Dataset:
    """Label the kernel's output arrays: dims ``(member, time, *subscripts)``."""
    coords: dict[str, object] = time_coordinates(model_time, replace(info, initial_time=initial))
    n = next(iter(arrays.values())).shape[0] if arrays else 0
    coords["member"] = ("member", np.arange(n))
    data_vars = {}
    for name, values in arrays.items():
        node = ir.nodes[name]
        for dim in node.dims:
            coords[dim] = (dim, list(ir.ranges[dim]))
        data_vars[name] = xr.Variable(("member", "time", *node.dims), values,
                                      variable_attrs(info, name))
    return xr.Dataset(data_vars, coords=coords, attrs={
        "model_file": ir.file_name, "model_sha256": ir.sha256, "engine": "chenzhou_water.engine",
    })
