"""A sweep's results for people: the per-member table, the summary of each metric, and plots.

Beside ``OUT/<name>.nc`` a sweep writes

- ``<name>_metrics.csv``: one row per member, the sampled inputs and then the metrics, each
  column headed ``name [units]`` — a table pandas (``index_col="member"``) or the EMA
  Workbench take as it is;
- ``<name>_metrics_summary.csv``: each metric's mean, minimum, 5/25/50/75/95 % quantiles and
  maximum over all members, and over the members of each alternative of a lever with
  alternatives (the sweep's scenarios);
- ``<name>_metric_<metric>.png``: each metric's histogram and empirical distribution (ECDF);
- ``<name>_fan_<variable>.png``: a fan chart of each kept series.

:mod:`.outputs` writes them all (:mod:`.plots` draws the figures).

Everything is computed from arrays (one column of a million members at a time), never by
looping over rows.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from chenzhou_water.display import csv_header, variable_unit
from chenzhou_water.files import CSV_FLOAT_FORMAT, atomic_path, write_csv

__all__ = [
    "QUANTILES",
    "column_header",
    "column_summary",
    "csv_rows",
    "member_groups",
    "metric_columns",
    "metric_plot_path",
    "metrics_table",
    "shown_metrics",
    "summary_frame",
    "summary_table",
    "table_rows",
    "write_metrics_table",
]

#: The quantiles of the summary table.
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
ALL_MEMBERS = "all members"


def column_header(name: str, units: str) -> str:
    """A column's header ``name [unit]`` in the project's display vocabulary (as in a run's
    monthly table: shares in %, flows in 10³ m³/d ...); ``name`` if it has no unit."""
    return csv_header(name, units)


def _factor(name: str, units: str) -> float:
    """What a stored value is multiplied by to be shown in :func:`column_header`'s unit."""
    return variable_unit(name, units).en_factor


def metric_plot_path(out_dir: str | Path, name: str, metric: str) -> Path:
    """Where a sweep's figure of ``metric`` is written: ``<name>_metric_<metric>.png``."""
    return Path(out_dir) / f"{name}_metric_{metric}.png"


def metric_columns(ds: xr.Dataset) -> dict[str, str]:
    """Metric name -> its column header, the units taken from the metric definitions.

    The combined file records each metric's units (``metric_units``), written from
    :attr:`~chenzhou_water.sweep.metrics.MetricDef.units` when the sweep ran.
    """
    if "metric" not in ds.coords:
        return {}
    names = [str(n) for n in ds["metric"].values]
    units = ([str(u) for u in ds["metric_units"].values] if "metric_units" in ds.coords
             else [""] * len(names))
    return {n: column_header(n, u) for n, u in zip(names, units, strict=True)}


def _inputs(ds: xr.Dataset) -> list[str]:
    """The sampled inputs: every variable over ``member`` only, in file order."""
    return [str(n) for n, v in ds.data_vars.items() if v.dims == ("member",)]


def metrics_table(ds: xr.Dataset) -> pd.DataFrame:
    """Members (rows) by sampled inputs, then metrics (columns), headed ``name [units]``."""
    columns: dict[str, np.ndarray] = {}
    for name in _inputs(ds):
        units = str(ds[name].attrs.get("units", ""))
        columns[column_header(name, units)] = ds[name].values * _factor(name, units)
    headers = metric_columns(ds)
    if headers:
        values = shown_metrics(ds)
        for j, header in enumerate(headers.values()):
            columns[header] = values[:, j]
    frame = pd.DataFrame(columns, index=pd.Index(ds["member"].values, name="member"))
    return frame


def shown_metrics(ds: xr.Dataset) -> np.ndarray:
    """The (member, metric) values in the units of their column headers."""
    values = np.asarray(ds["metrics"].transpose("member", "metric").values, dtype=float)
    names = [str(n) for n in ds["metric"].values]
    units = ([str(u) for u in ds["metric_units"].values] if "metric_units" in ds.coords
             else [""] * len(names))
    factors = np.array([_factor(n, u) for n, u in zip(names, units, strict=True)])
    return values * factors if np.any(factors != 1.0) else values


def member_groups(ds: xr.Dataset) -> list[tuple[str, np.ndarray | None]]:
    """The summary's groups: all members (mask None), then the members of each alternative
    of each lever with alternatives (a boolean mask over the members)."""
    groups: list[tuple[str, np.ndarray | None]] = [(ALL_MEMBERS, None)]
    for name in _inputs(ds):
        if not name.endswith("_choice") or "flag_meanings" not in ds[name].attrs:
            continue
        lever = name.removesuffix("_choice")
        choice = ds[name].values
        for i, label in enumerate(str(ds[name].attrs["flag_meanings"]).split()):
            groups.append((f"{lever}={label}", choice == i))
    return groups


def summary_table(ds: xr.Dataset, quantiles: Sequence[float] = QUANTILES) -> pd.DataFrame:
    """Each metric's statistics over the members, by group (all members, lever alternatives).

    Index ``(metric, scenario)``; columns ``members``, ``mean``, ``min``, ``q05`` ... ``q95``,
    ``max``. NaN metrics (a period outside the run) are left out of the statistics.
    """
    headers = metric_columns(ds)
    if not headers:
        return pd.DataFrame()
    values = shown_metrics(ds)
    groups = member_groups(ds)
    return summary_frame(list(headers.values()), [group for group, _ in groups],
                         [column_summary(values[:, j], groups, quantiles)
                          for j in range(len(headers))])  # fmt: skip


def column_summary(
    values: np.ndarray,
    groups: Sequence[tuple[str, np.ndarray | None]],
    quantiles: Sequence[float] = QUANTILES,
) -> list[dict[str, float]]:
    """One metric's statistics (:func:`summary_table`'s columns) in each group of members."""
    rows = []
    for _, mask in groups:
        column = values if mask is None else values[mask]
        column = column[np.isfinite(column)]
        stats: dict[str, float] = {"members": column.size}
        if column.size:
            qs = np.quantile(column, quantiles)
            stats |= {"mean": column.mean(), "min": column.min()}
            stats |= {f"q{round(100 * q):02d}": v for q, v in zip(quantiles, qs, strict=True)}
            stats["max"] = column.max()
        rows.append(stats)
    return rows


def summary_frame(
    headers: Sequence[str], groups: Sequence[str], rows: Sequence[Sequence[dict[str, float]]]
) -> pd.DataFrame:
    """:func:`summary_table` from each metric's :func:`column_summary` (same order)."""
    index = [(header, group) for header in headers for group in groups]
    flat = [stats for metric in rows for stats in metric]
    return pd.DataFrame(flat, index=pd.MultiIndex.from_tuples(index, names=["metric",
                                                                           "scenario"]))


def table_rows(ds: xr.Dataset) -> bytes:
    """A chunk's rows of :func:`metrics_table` (CSV, no header, UTF-8 without byte-order
    mark), formatted as :func:`~chenzhou_water.files.write_csv` formats the whole table."""
    return csv_rows(metrics_table(ds)).encode("utf-8")


def csv_rows(frame: pd.DataFrame) -> str:
    """``frame.to_csv(header=False, float_format=CSV_FLOAT_FORMAT)``, character for character.

    A sweep's table (an integer index, float columns) is formatted a row at a time with one
    format string: pandas formats value by value through its own machinery, about 8 x slower,
    and a million members' rows are a tenth of a sweep's work. NaN is written as an empty
    field, as pandas writes it; integer columns (a lever's alternative) as integers. Any other
    table is left to pandas.
    """
    formats = {"f": CSV_FLOAT_FORMAT, "i": "%d", "u": "%d"}
    if (frame.index.dtype.kind not in "iu" or frame.empty
            or any(dtype.kind not in formats or dtype.itemsize != 8 for dtype in frame.dtypes)):
        return frame.to_csv(header=False, float_format=CSV_FLOAT_FORMAT)
    values = frame.to_numpy(dtype=object if any(d.kind != "f" for d in frame.dtypes) else None)
    row = "%d" + "".join("," + formats[d.kind] for d in frame.dtypes) + os.linesep
    text = "".join([row % (i, *r) for i, r in zip(frame.index.tolist(), values.tolist(),
                                                  strict=True)])
    # every float field follows a comma and is a number, "inf", "-inf" or "nan"
    return text.replace(",nan", ",")


def write_metrics_table(ds: xr.Dataset, target: Path, fragments: Sequence[Path]) -> Path:
    """The metrics table: its header, then the chunks' fragments joined, if every chunk has
    one (byte for byte what formatting the whole table gives); else formatted here."""
    if not fragments or not all(f.is_file() for f in fragments):
        return write_csv(metrics_table(ds), target)
    with atomic_path(target) as tmp, open(tmp, "wb") as out:
        header = metrics_table(ds.isel(member=slice(0, 0))).to_csv(float_format=CSV_FLOAT_FORMAT)
        out.write(header.encode("utf-8-sig"))
        for fragment in fragments:
            with open(fragment, "rb") as part:
                shutil.copyfileobj(part, out, 1 << 20)
    return target
