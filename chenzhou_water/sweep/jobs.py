"""What runs on a worker: one chunk of an ensemble computed, labelled and written.

:func:`run_chunk_job` computes a chunk (:func:`~chenzhou_water.sweep.chunk.compute_chunk`),
labels it as the chunk file's Dataset (:func:`chunk_dataset`) and, where the worker shares the
output folder, writes it (:func:`write_chunk_files`); it sends back a small
:class:`ChunkRecord`. The driving process (:func:`~chenzhou_water.sweep.execute.run_ensemble`)
ships a :class:`ChunkJob` to every worker once; on Dask each task then carries only its chunk's
bounds, and the worker draws the chunk's members (:func:`run_chunk_bounds`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from chenzhou_water._typing import FloatArray
from chenzhou_water.engine.dataset import time_coordinates, variable_attrs
from chenzhou_water.files import atomic_path
from chenzhou_water.model.metadata import ModelInfo
from chenzhou_water.sweep import chunk as _chunk
from chenzhou_water.sweep.chunk import ChunkPlan, ChunkResult
from chenzhou_water.sweep.store import SweepFolder, member_coordinate

if TYPE_CHECKING:
    from chenzhou_water.sweep.execute import Ensemble, MemberSample

__all__ = ["ChunkJob", "ChunkRecord", "chunk_dataset", "run_chunk_bounds", "run_chunk_job",
           "write_chunk_files"]


@dataclass(frozen=True)
class ChunkJob:
    """What a worker needs to run, label and write any chunk: shipped to each worker once.

    Attributes
    ----------
    plan : ChunkPlan
        The compiled model and what every chunk keeps.
    folder : SweepFolder
        Where the chunk files go.
    ensemble : Ensemble
        The ensemble, its sample source included: a worker draws its chunks' members.
    info : ModelInfo
        Units and descriptions of the kept variables.
    model_times : ndarray
        The saved model times (for kept series).
    write_here : bool
        The process that computes a chunk writes its file (else the driving process does).
    keep : bool
        Send the labelled chunk back for the combined file (small: metrics and inputs only).
    """

    plan: ChunkPlan
    folder: SweepFolder
    ensemble: Ensemble
    info: ModelInfo
    model_times: FloatArray
    write_here: bool
    keep: bool


@dataclass(frozen=True)
class ChunkRecord:
    """What a finished chunk sends back: its index, its cost and, if asked, its content.

    Attributes
    ----------
    index, members : int
        The chunk and its number of members.
    engine_seconds, seconds : float
        CPU seconds of the computing thread in the model (inflows, kernel, metrics) and in
        all (labelling and writing included).
    dataset : Dataset or None
        The labelled chunk, when the driving process writes it or keeps it for combining.
    rows : bytes or None
        The chunk's rows of the metrics table, formatted, when the driving process writes the
        chunk and the ensemble asks for them.
    """

    index: int
    members: int
    engine_seconds: float
    seconds: float
    dataset: xr.Dataset | None
    rows: bytes | None = None


def run_chunk_job(job: ChunkJob, sample: MemberSample) -> ChunkRecord:
    """Compute one chunk, label it and (where ``job.write_here``) write its file.

    Runs on a worker (or in the serial loop); touches only its own chunk file.
    """
    started = time.thread_time()
    result = _chunk.compute_chunk(job.plan, sample)
    engine = time.thread_time() - started
    ds = chunk_dataset(job.ensemble, job.info, sample, result, job.model_times)
    index = sample.start // job.folder.chunk_size
    rows = None
    if job.ensemble.table_fragments:  # formatted here, on the worker, wherever it is written
        from chenzhou_water.sweep.tables import table_rows

        rows = table_rows(ds)
    if job.write_here:
        write_chunk_files(job.folder, index, ds, rows)
    back = ds if job.keep or not job.write_here else None
    return ChunkRecord(index, sample.stop - sample.start, engine, time.thread_time() - started,
                       back, None if job.write_here else rows)  # fmt: skip


def run_chunk_bounds(job: ChunkJob, bounds: tuple[int, int]) -> ChunkRecord:
    """:func:`run_chunk_job` for members ``[start, stop)``, drawn here (on the worker): a
    member's inputs depend only on the seed and its index, so they are the same wherever they
    are drawn, and the driving process does not draw every chunk's sample in turn (5 ms a
    10,000-member chunk of a million-member Latin hypercube, and 23 ms of one of 300,000: work
    that would make it the bottleneck of a large cluster)."""
    started = time.thread_time()
    sample = job.ensemble.sample(*bounds)
    drawn = time.thread_time() - started
    record = run_chunk_job(job, sample)
    return replace(record, seconds=record.seconds + drawn)


def write_chunk_files(folder: SweepFolder, index: int, ds: xr.Dataset, rows: bytes | None) -> None:
    """Write a chunk's file, after its rows of the metrics table if it has them: a chunk file
    on disk (what marks a chunk finished) always has its rows beside it."""
    if rows is not None:
        with atomic_path(folder.fragment_path(index)) as tmp:
            tmp.write_bytes(rows)
    folder.write_chunk(index, ds)


def chunk_dataset(
    ensemble: Ensemble,
    info: ModelInfo,
    sample: MemberSample,
    result: ChunkResult,
    model_times: FloatArray,
) -> xr.Dataset:
    """The labelled content of one chunk file: inputs, metrics and kept series by member."""
    coords: dict[str, Any] = member_coordinate(result.start, result.stop)
    data: dict[str, Any] = {}
    for name, values in sample.constants.items():
        data[name] = ("member", np.asarray(values, dtype=np.float64), variable_attrs(info, name))
    if sample.runoff_change is not None:
        data["runoff_change"] = ("member", np.asarray(sample.runoff_change, dtype=np.float64),
                                 {"units": "1", "description": "fractional change of the mean "
                                  "runoff applied to the member's stochastic inflow"})
    for lever in ensemble.levers:
        if lever.continuous:
            data[f"{lever.name}_scale"] = (
                "member",
                np.asarray(sample.lever_scales[lever.name], dtype=np.float64),
                _SCALE_ATTRS | {"description": f"scale factor applied to the lever {lever.name}"},
            )
            continue
        choice = np.asarray(sample.lever_choices[lever.name], dtype=np.int64)
        meanings = " ".join(label.replace(" ", "_") for label in lever.labels)
        data[f"{lever.name}_choice"] = (
            "member",
            choice,
            {
                "flag_values": np.arange(len(lever.labels)),
                "flag_meanings": meanings,
                "description": f"alternative of the uncertain lever {lever.name} each member ran",
            },
        )
        if lever.factors is not None:
            data[f"{lever.name}_scale"] = (
                "member",
                np.asarray(lever.factors)[choice],
                _SCALE_ATTRS | {"description": f"scale factor applied to the lever {lever.name}"},
            )
    if ensemble.metrics:
        coords["metric"] = ("metric", [m.name for m in ensemble.metrics])
        coords["metric_units"] = ("metric", [m.units for m in ensemble.metrics])
        coords["metric_description"] = ("metric", [m.description for m in ensemble.metrics])
        data["metrics"] = (
            ("member", "metric"),
            result.metrics,
            {"description": "per-member metrics (units: metric_units)"},
        )
    if ensemble.series:
        coords.update(time_coordinates(model_times, info))
        for name in ensemble.series:
            data[name] = (("member", "time"), result.series[name], variable_attrs(info, name))
    return xr.Dataset(data, coords=coords)


_SCALE_ATTRS = {"units": "1"}
