"""Results as labelled data: Datasets from arrays, annual indicators, and atomic file writing.

The kernels return plain arrays; this module gives them names, units, a calendar and
provenance, and writes them to files that open in xarray, pandas and Excel.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from chenzhou_water.model.contract import HEADLINE_INDICATORS, Indicator
from chenzhou_water.model.metadata import ModelInfo


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
) -> xr.Dataset:
    """Label result arrays of shape ``(member, time)`` as a Dataset.

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
    """
    coords = time_coordinates(model_times, info)
    data_vars = {}
    for name, values in arrays.items():
        values = np.asarray(values, dtype=float)
        if values.ndim == 1:
            values = values[np.newaxis, :]
        data_vars[name] = (("member", "time"), values, variable_attrs(info, name))
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


def provenance(**extra: Any) -> dict[str, str]:
    """Global attributes recording who made a result and when."""
    from chenzhou_water import __version__

    out = {
        "package": "chenzhou-water",
        "package_version": __version__,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "conventions": "CF-1.8 (time, units); chenzhou-water results contract",
    }
    out.update({k: str(v) for k, v in extra.items()})
    return out


def _annual(da: xr.DataArray, how: str) -> xr.DataArray:
    years = da["time"].dt.year
    grouped = da.groupby(years)
    return getattr(grouped, how)()


def annual_indicators(
    ds: xr.Dataset,
    indicators: Sequence[Indicator] = HEADLINE_INDICATORS,
    member_stat: str = "median",
) -> pd.DataFrame:
    """Headline indicators by calendar year.

    With several members, each member's annual value is computed first and the members are
    then combined by ``member_stat`` (``median`` or ``mean``).

    Returns
    -------
    DataFrame
        Index ``year``; one column per indicator present in ``ds`` (``key``).
    """
    columns = {}
    for ind in indicators:
        if ind.variable not in ds:
            continue
        per_member = _annual(ds[ind.variable], ind.reduce) * ind.scale
        columns[ind.key] = getattr(per_member, member_stat)("member").to_series()
    frame = pd.DataFrame(columns)
    frame.index.name = "year"
    return frame


def indicator_columns(indicators: Sequence[Indicator] = HEADLINE_INDICATORS) -> dict[str, str]:
    """Column key -> ``"label [units]"`` for tables."""
    return {i.key: f"{i.label_en} [{i.units}]" for i in indicators}


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` only on success.

    An interrupted writer leaves no half-written file under the final name.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes the file private (0600); results are for sharing: honour the umask.
        tmp_path.chmod(0o666 & ~_umask())
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once, at import: changing the umask later, even briefly, races with threads that create
# files (Dask workers) and could give them the wrong permissions.
_UMASK = _read_umask()


def _umask() -> int:
    return _UMASK


def write_netcdf(ds: xr.Dataset, target: str | Path) -> Path:
    """Write a Dataset to NetCDF atomically, with compression."""
    encoding = {name: {"zlib": True, "complevel": 4} for name in ds.data_vars}
    with atomic_path(target) as tmp:
        ds.to_netcdf(tmp, engine="netcdf4", encoding=encoding)
    return Path(target)


def write_csv(frame: pd.DataFrame, target: str | Path) -> Path:
    """Write a DataFrame to CSV atomically (UTF-8 with BOM, so Excel reads Chinese labels)."""
    with atomic_path(target) as tmp:
        frame.to_csv(tmp, encoding="utf-8-sig", float_format="%.6g")
    return Path(target)
