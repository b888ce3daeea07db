"""The execution core: run an ensemble in chunks along the member axis, resumably.

:func:`run_ensemble` takes a resolved :class:`Ensemble` — a scenario, the inputs that vary per
member (a :data:`SampleSource` giving the values of members ``[start, stop)``), the stochastic
inflow's settings and seed, and what to keep (full series and per-member metrics) — and runs it
chunk by chunk, serially, on a local Dask cluster (``workers=N``) or on an existing one
(``scheduler=ADDRESS``), through Dask's futures API. Each finished chunk is written atomically
(:mod:`.store`); with ``resume=True`` the chunks already on disk are kept and only the missing
ones run, after checking that the folder was made by the same ensemble (its fingerprint).

Member ``i``'s inputs and inflow depend only on the sample source, the seed and ``i``, and the
kernel treats members independently, so results are identical to the bit whatever the chunk
size and the number of workers. The sensitivity-analysis feature builds an :class:`Ensemble`
from a SALib sample with :func:`matrix_sample` and calls :func:`run_ensemble` unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from chenzhou_water._typing import FloatArray, IntArray
from chenzhou_water.engine import compile_model
from chenzhou_water.engine.dataset import calendar_times
from chenzhou_water.errors import ChenzhouWaterError, Problem, ValidationError
from chenzhou_water.execution import SERIAL, ExecutionOptions
from chenzhou_water.hydrology.config import InflowConfig
from chenzhou_water.hydrology.generator import MemberClimate
from chenzhou_water.model.metadata import ModelInfo, model_info
from chenzhou_water.resources import FLOAT_BYTES, check_memory, memory_problem
from chenzhou_water.results import provenance, resolved_text
from chenzhou_water.scenario.run import scenario_params
from chenzhou_water.scenario.spec import Scenario
from chenzhou_water.sweep import chunk as _chunk
from chenzhou_water.sweep.chunk import INFLOW_VARIABLE, ChunkPlan, ChunkResult
from chenzhou_water.sweep.cluster import DaskSession, run_on_dask
from chenzhou_water.sweep.jobs import (
    ChunkJob,
    ChunkRecord,
    run_chunk_bounds,
    run_chunk_job,
    write_chunk_files,
)
from chenzhou_water.sweep.levers import UncertainLever
from chenzhou_water.sweep.metrics import Metric
from chenzhou_water.sweep.store import SweepFolder, prepare_folder

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "INFLOW_VARIABLE",
    "ChunkJob",
    "ChunkPlan",
    "ChunkRecord",
    "ChunkResult",
    "Ensemble",
    "EnsembleProgress",
    "EnsembleResult",
    "MemberSample",
    "SampleSource",
    "check_ensemble_memory",
    "matrix_sample",
    "run_chunk_job",
    "run_ensemble",
]

#: Members per chunk unless told otherwise: bounded memory (about 35 MB per kept variable).
DEFAULT_CHUNK_SIZE = 10_000


@dataclass(frozen=True)
class MemberSample:
    """The inputs that differ between members, for members ``[start, stop)``.

    Attributes
    ----------
    start, stop : int
        Global member indices.
    constants : mapping
        Model constant (normalised name) -> values, shape ``(stop - start,)``, in its units.
    lever_choices : mapping
        Uncertain lever name -> index of each member's alternative, shape ``(stop - start,)``.
    lever_scales : mapping
        Continuous lever name -> each member's scale factor, shape ``(stop - start,)``.
    runoff_change : ndarray or None
        Each member's fractional change of the stochastic inflow's mean, shape
        ``(stop - start,)``; None leaves the inflow as drawn.
    climate : MemberClimate or None
        Each member's inflow variability and multi-year drought frequency and length (a stress
        test's futures); None draws every member with the ensemble's inflow settings.
    """

    start: int
    stop: int
    constants: Mapping[str, FloatArray] = field(default_factory=dict)
    lever_choices: Mapping[str, IntArray] = field(default_factory=dict)
    lever_scales: Mapping[str, FloatArray] = field(default_factory=dict)
    runoff_change: FloatArray | None = None
    climate: MemberClimate | None = None


SampleSource = Callable[[int, int], MemberSample]
"""``source(start, stop)`` -> the :class:`MemberSample` of members ``[start, stop)``."""


def matrix_sample(names: Sequence[str], values: Any) -> SampleSource:
    """A sample source over a plain matrix of constant values (e.g. a SALib sample).

    Parameters
    ----------
    names : sequence of str
        Normalised model constant names, one per column.
    values : array_like, shape (members, len(names))
        Member ``i``'s values in row ``i``.
    """
    matrix = np.asarray(values, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[1] != len(names):
        raise ChenzhouWaterError(
            f"expected a matrix of shape (members, {len(names)}), got {matrix.shape}"
        )

    def source(start: int, stop: int) -> MemberSample:
        rows = matrix[start:stop]
        return MemberSample(start, stop, {n: rows[:, j].copy() for j, n in enumerate(names)})

    return source


@dataclass(frozen=True)
class Ensemble:
    """A resolved ensemble: everything :func:`run_ensemble` needs.

    Attributes
    ----------
    name : str
        Names the output files (``OUT/<name>.nc``, ``OUT/<name>.chunks/``).
    scenario : Scenario
        The scenario every member starts from.
    members : int
        Ensemble size.
    sample : SampleSource
        The per-member constants and lever choices; called by whichever process computes a
        chunk (on Dask, the worker: so it must pickle, and give the same members wherever it
        is called).
    fingerprint : str
        Identifies everything that decides the results (a resumed folder must match it).
    levers : tuple of UncertainLever
        The alternatives behind ``MemberSample.lever_choices`` (and the continuous levers
        behind ``MemberSample.lever_scales``).
    inflow : InflowConfig or None
        Stochastic inflow settings (None: the scenario's deterministic inflow).
    seed : int
        Seed of the stochastic inflow (member ``i`` draws with global index ``i``).
    series : tuple of str
        Variables kept as ``(member, time)``.
    metrics : tuple of Metric
        Per-member metrics, computed inside each chunk.
    attrs : mapping
        Extra global attributes of the combined file (provenance).
    table_fragments : bool
        Each chunk also writes its rows of the sweep's metrics table, formatted by the process
        that computed it (:func:`~chenzhou_water.sweep.tables.table_rows`), so that the driving
        process only joins them: formatting a million rows is parallel work, not serial.
    """

    name: str
    scenario: Scenario
    members: int
    sample: SampleSource
    fingerprint: str
    levers: tuple[UncertainLever, ...] = ()
    inflow: InflowConfig | None = None
    seed: int = 0
    series: tuple[str, ...] = ()
    metrics: tuple[Metric, ...] = ()
    attrs: Mapping[str, str] = field(default_factory=dict)
    table_fragments: bool = False


@dataclass(frozen=True)
class EnsembleProgress:
    """Reported to the progress callback at the start and after every chunk written.

    ``note`` is a message to show once (where the Dask dashboard is), else empty.
    """

    chunks_done: int
    chunks_total: int
    members_done: int
    members_total: int
    chunks_resumed: int
    note: str = ""


@dataclass(frozen=True)
class EnsembleResult:
    """What a finished run wrote and how long it took.

    Attributes
    ----------
    path : Path
        The combined file ``OUT/<name>.nc`` (open it with ``open_sweep(out_dir)``).
    out_dir : Path
        The output folder.
    name : str
        The ensemble's name.
    members, members_computed : int
        Ensemble size; members simulated by this call (the rest were on disk).
    chunks, chunks_computed, chunks_resumed : int
        Chunks in all, chunks run now, chunks found finished on disk.
    seconds : float
        Wall time of this call.
    fingerprint : str
        The ensemble's fingerprint.
    executor : str
        ``serial``, ``local cluster (N workers)`` or the scheduler's address.
    timings : mapping
        Where the time went, in seconds: ``plan`` (compiling and planning), ``start`` and
        ``stop`` (of a Dask cluster or client), ``combine`` (the combined file),
        ``driver_per_chunk`` and ``driver_cpu_per_chunk`` (the driving process's own work per
        chunk computed: drawing its sample, submitting it and collecting its record; wall
        time, and CPU time of the driving thread),
        ``worker_cpu`` and ``engine_cpu`` (CPU seconds of the computing threads in all and in
        the model alone, summed over chunks); a sweep adds what
        :func:`~chenzhou_water.sweep.outputs.write_sweep_outputs` measures (its tables and
        figures, after the run).
    table_fragments : tuple of Path
        Every chunk's rows of the metrics table, in member order, where the ensemble asked for
        them (:attr:`Ensemble.table_fragments`); chunks resumed from a folder written before
        fragments existed have none.
    """

    path: Path
    out_dir: Path
    name: str
    members: int
    members_computed: int
    chunks: int
    chunks_computed: int
    chunks_resumed: int
    seconds: float
    fingerprint: str
    executor: str
    timings: Mapping[str, float] = field(default_factory=dict)
    table_fragments: tuple[Path, ...] = ()

    @property
    def members_per_second(self) -> float:
        """Members computed now per second of wall time."""
        return self.members_computed / self.seconds if self.seconds > 0 else float("nan")


ProgressCallback = Callable[[EnsembleProgress], None]


def run_ensemble(
    ensemble: Ensemble,
    out_dir: str | Path,
    options: ExecutionOptions = SERIAL,
    *,
    progress: ProgressCallback | None = None,
    dask: DaskSession | None = None,
) -> EnsembleResult:
    """Run an ensemble chunk by chunk and write ``OUT/<name>.nc``.

    Parameters
    ----------
    ensemble : Ensemble
        What to run.
    out_dir : str or Path
        Output folder; chunks go to ``OUT/<name>.chunks/``.
    options : ExecutionOptions
        Serial or Dask, chunk size (default :data:`DEFAULT_CHUNK_SIZE`; a resumed folder keeps
        its own) and whether to resume the run whose chunks are in the folder.
    progress : callable, optional
        Called with an :class:`EnsembleProgress` at the start and after each chunk is written;
        an exception it raises stops the run (finished chunks stay on disk).
    dask : DaskSession, optional
        An open Dask session (:func:`~chenzhou_water.sweep.cluster.open_dask`, opened for
        ``options``) to run on, instead of starting and stopping one for this ensemble.

    Returns
    -------
    EnsembleResult

    Raises
    ------
    SweepFolderError
        If the folder holds this ensemble and ``resume`` is False, or another ensemble.
    ChenzhouWaterError
        On bad options or if the model fails.
    """
    started = time.perf_counter()
    info = model_info(ensemble.scenario.model_path)
    _check_memory(ensemble, info, options)
    folder = prepare_folder(
        out_dir,
        ensemble.name,
        ensemble.members,
        ensemble.fingerprint,
        options.chunk_size,
        options.resume,
        DEFAULT_CHUNK_SIZE,
    )
    done = set(folder.finished())
    todo = [i for i in range(folder.n_chunks) if i not in done]
    plan, model_times = _plan(ensemble, info)
    # Workers of a local cluster (and the serial loop) write their own chunk files: the
    # driver only counts them. Workers of a remote scheduler may not share this file
    # system, so their chunks come back and the driver writes them.
    job = ChunkJob(plan, folder, ensemble, info, model_times,
                   write_here=options.scheduler is None, keep=not ensemble.series)  # fmt: skip
    timings: dict[str, float] = {"plan": time.perf_counter() - started}
    collector = _Collector(job, progress, done)
    collector.report()
    if todo and options.serial:
        executor = "serial"
        for sample in _drawn(ensemble, folder, todo, collector):
            collector(run_chunk_job(job, sample))
    elif todo:  # each worker draws its chunks' members: the tasks carry only their bounds
        bounds = (folder.bounds(i) for i in todo)
        executor = run_on_dask(job, bounds, run_chunk_bounds, collector, options.workers,
                               options.scheduler, timings, note=collector.report,
                               session=dask, dashboard=options.dashboard)  # fmt: skip
    else:
        executor = "none (every chunk was on disk)"
    combining = time.perf_counter()
    path = folder.combine(_attrs(ensemble, info), collector.kept if job.keep else None)
    timings["combine"] = time.perf_counter() - combining
    # drawing each chunk's sample, submitting it (on Dask) and collecting its record: in wall
    # time, and in CPU time of the driving thread (a busy machine stretches the former)
    chunks = max(1, len(todo))
    wall, cpu = collector.driver_seconds, collector.driver_cpu
    timings["driver_per_chunk"] = (wall + timings.pop("submit", 0.0)) / chunks
    timings["driver_cpu_per_chunk"] = (cpu + timings.pop("submit_cpu", 0.0)) / chunks
    timings["worker_cpu"] = collector.worker_seconds
    timings["engine_cpu"] = collector.engine_seconds
    computed = sum(folder.bounds(i)[1] - folder.bounds(i)[0] for i in todo)
    return EnsembleResult(
        path=path, out_dir=Path(out_dir), name=ensemble.name, members=ensemble.members,
        members_computed=computed, chunks=folder.n_chunks, chunks_computed=len(todo),
        chunks_resumed=len(done), seconds=time.perf_counter() - started,
        fingerprint=ensemble.fingerprint, executor=executor, timings=timings,
        table_fragments=tuple(folder.fragment_path(i) for i in range(folder.n_chunks))
        if ensemble.table_fragments else (),
    )  # fmt: skip


def _drawn(ensemble: Ensemble, folder: SweepFolder, todo: list[int],
           collector: _Collector) -> Iterator[MemberSample]:
    """The samples of the chunks ``todo``, drawn lazily in this process (the serial loop's
    own work, counted as the driver's)."""
    for index in todo:
        started, cpu = time.perf_counter(), time.thread_time()
        sample = ensemble.sample(*folder.bounds(index))
        collector.driver_seconds += time.perf_counter() - started
        collector.driver_cpu += time.thread_time() - cpu
        yield sample


def _plan(ensemble: Ensemble, info: ModelInfo) -> tuple[ChunkPlan, FloatArray]:
    """The shared plan, with the kernel compiled here so workers receive it ready."""
    model = compile_model(ensemble.scenario.model_path)
    columns = _columns(ensemble)
    params = scenario_params(ensemble.scenario)
    constants = {
        c: _constant_value(c, params, info)
        for m in ensemble.metrics
        for c in m.definition.constants
    }
    times = model.saved_times()
    stamps = calendar_times(times, info)
    if stamps is None:
        raise ChenzhouWaterError(
            f"{info.path.name}: sweep metrics are computed by calendar year, but the model has "
            "no calendar (monthly time units and 'start date YYYY-MM-DD' in the documentation "
            "of INITIAL TIME)"
        )
    years = np.asarray(stamps.year, dtype=np.int64)
    plan = ChunkPlan(
        model,
        params,
        ensemble.levers,
        ensemble.inflow,
        ensemble.seed,
        ensemble.series,
        ensemble.metrics,
        columns,
        years,
        constants,
    )
    _chunk.prepare_kernels(plan, ensemble.sample(0, min(2, ensemble.members)))
    return plan, times


def _columns(ensemble: Ensemble) -> tuple[str, ...]:
    """The model variables a chunk returns: the series kept and those the metrics read."""
    return tuple(dict.fromkeys(
        [*ensemble.series, *(v for m in ensemble.metrics for v in m.definition.variables)]
    ))  # fmt: skip


def check_ensemble_memory(ensemble: Ensemble, options: ExecutionOptions) -> None:
    """Refuse, before anything is written or started, chunks (times local workers) that do not
    fit in memory; :func:`run_ensemble` checks it too (a caller starting a Dask cluster for the
    ensemble checks first: a cluster of too many workers would not start at all)."""
    _check_memory(ensemble, model_info(ensemble.scenario.model_path), options)


def _check_memory(ensemble: Ensemble, info: ModelInfo, options: ExecutionOptions) -> None:
    """Refuse, before anything is written, a chunk size (times local workers) whose chunks do
    not fit in memory: each member holds its returned series, the inflow and the sampled
    inputs over every saved time, and a chunk is copied once when it is labelled."""
    steps = round((info.final_time - info.initial_time) / info.time_step) + 1
    per_member = 2 * FLOAT_BYTES * steps * (len(_columns(ensemble)) + 2)
    chunk = min(options.chunk_size or DEFAULT_CHUNK_SIZE, ensemble.members)
    processes = options.workers or 1
    message = memory_problem(chunk, per_member, "members", per="per chunk")
    if message is not None:
        raise ValidationError([Problem("--chunk-size", "", message)])
    if processes > 1:
        check_memory("--workers", processes, chunk * per_member, "workers",
                     per=f"with {chunk:,} members per chunk each")


def _constant_value(name: str, params: Mapping[str, Any], info: ModelInfo) -> float:
    if name in params:
        return float(params[name])
    var = info.get(name)
    if var is None or var.value is None:
        raise ChenzhouWaterError(f"the model has no scalar constant {name!r}")
    return float(var.value)


class _Collector:
    """Receives finished chunks in the driving process: writes those not yet written, keeps
    the small ones for combining, reports progress and counts its own time."""

    def __init__(self, job: ChunkJob, progress: ProgressCallback | None, done: set[int]):
        self.job, self.progress = job, progress
        folder = job.folder
        self.resumed = len(done)
        self.chunks_done = len(done)
        self.members_done = sum(folder.bounds(i)[1] - folder.bounds(i)[0] for i in done)
        self.kept: dict[int, xr.Dataset] = {}
        self.driver_seconds = self.driver_cpu = self.worker_seconds = self.engine_seconds = 0.0

    def __call__(self, record: ChunkRecord) -> None:
        started, cpu = time.perf_counter(), time.thread_time()
        if not self.job.write_here and record.dataset is not None:
            write_chunk_files(self.job.folder, record.index, record.dataset, record.rows)
        if self.job.keep and record.dataset is not None:
            self.kept[record.index] = record.dataset
        self.chunks_done += 1
        self.members_done += record.members
        self.worker_seconds += record.seconds
        self.engine_seconds += record.engine_seconds
        self.driver_seconds += time.perf_counter() - started
        self.driver_cpu += time.thread_time() - cpu
        self.report()

    def report(self, note: str = "") -> None:
        if self.progress is None:
            return
        folder = self.job.folder
        self.progress(
            EnsembleProgress(self.chunks_done, folder.n_chunks, self.members_done,
                             folder.members, self.resumed, note)
        )  # fmt: skip


def _attrs(ensemble: Ensemble, info: ModelInfo) -> dict[str, str]:
    return provenance(
        ensemble_name=ensemble.name,
        ensemble_fingerprint=ensemble.fingerprint,
        scenario_name=ensemble.scenario.name,
        scenario_resolved=resolved_text(ensemble.scenario.portable_dict()),
        model_file=info.path.name,
        model_sha256=info.sha256,
        members=ensemble.members,
        inflow_seed=ensemble.seed,
        stochastic_inflow="yes" if ensemble.inflow is not None else "no",
        **ensemble.attrs,
    )
