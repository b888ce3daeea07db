"""One chunk of an ensemble: simulate its members and reduce them to what is kept.

:func:`compute_chunk` is what runs on a worker. It needs only a :class:`ChunkPlan` (shipped to
every worker once) and a :class:`~chenzhou_water.sweep.execute.MemberSample`; it returns plain
arrays (:class:`ChunkResult`) and touches no file, so it runs the same in the driving process, in
a local cluster or on a remote one. Members that share their discrete lever alternatives run
together in one pass of the kernel, with one table per member for the continuous levers; metrics
are computed per pass, and only the kept series are gathered. A metrics-only chunk runs in
blocks of :data:`BLOCK_MEMBERS`, each reduced to its metrics as soon as it is simulated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from chenzhou_water._typing import FloatArray, IntArray
from chenzhou_water.engine.model import Model
from chenzhou_water.hydrology.config import InflowConfig
from chenzhou_water.hydrology.generator import MemberClimate, generate_inflows
from chenzhou_water.sweep.levers import UncertainLever
from chenzhou_water.sweep.metrics import Metric

if TYPE_CHECKING:
    from chenzhou_water.sweep.execute import MemberSample

__all__ = ["BLOCK_MEMBERS", "INFLOW_VARIABLE", "ChunkPlan", "ChunkResult", "compute_chunk",
           "prepare_kernels"]

#: The model variable a stochastic inflow replaces, m³/month.
INFLOW_VARIABLE = "reservoir_inflow"

#: Members simulated at once when only metrics are kept: a block's ``(member, time)`` arrays
#: are reduced to its metrics and dropped before the next block runs, so a worker's memory
#: does not grow with the chunk size (the kernel is as fast per member from about 5,000 up).
BLOCK_MEMBERS = 5_000


@dataclass(frozen=True)
class ChunkPlan:
    """What every chunk of an ensemble shares.

    Attributes
    ----------
    model : Model
        The compiled model (pickled with its kernels for the workers).
    params : mapping
        The scenario's constants and lever tables in engine form.
    levers : tuple of UncertainLever
        Alternatives of the uncertain levers (base tables of the continuous ones).
    inflow : InflowConfig or None
        Stochastic inflow settings; None keeps the model's inflow.
    seed : int
        Seed of the stochastic inflow.
    series : tuple of str
        Variables kept as ``(member, time)``.
    metrics : tuple of Metric
        Per-member metrics.
    columns : tuple of str
        Variables the kernel must return (kept series and what the metrics read).
    month_years : ndarray of int, shape (time,)
        Calendar year of each saved time.
    constants : mapping
        Value of each constant a metric reads, unless it is sampled per member.
    """

    model: Model
    params: Mapping[str, Any]
    levers: tuple[UncertainLever, ...]
    inflow: InflowConfig | None
    seed: int
    series: tuple[str, ...]
    metrics: tuple[Metric, ...]
    columns: tuple[str, ...]
    month_years: IntArray
    constants: Mapping[str, float]


@dataclass(frozen=True)
class ChunkResult:
    """The kept results of members ``[start, stop)``.

    Attributes
    ----------
    start, stop : int
        Global member indices.
    metrics : ndarray, shape (members, n_metrics)
        One column per metric of the plan, in order.
    series : mapping
        Kept variable -> array ``(members, time)``.
    """

    start: int
    stop: int
    metrics: FloatArray
    series: Mapping[str, FloatArray]


def compute_chunk(plan: ChunkPlan, sample: MemberSample) -> ChunkResult:
    """Simulate the members of ``sample`` and keep what ``plan`` asks for.

    Parameters
    ----------
    plan : ChunkPlan
        Shared by all chunks.
    sample : MemberSample
        The chunk's members and their sampled inputs.

    Returns
    -------
    ChunkResult
    """
    n = sample.stop - sample.start
    if not plan.series and n > BLOCK_MEMBERS:  # metrics only: one block of members at a time
        # the blocks share the engine's output buffers (Model.run_arrays' workspace): each
        # block's arrays are reduced to its metrics before the next block overwrites them
        workspace: dict[str, FloatArray] = {}
        parts = [_compute(plan, _members(sample, lo, min(n, lo + BLOCK_MEMBERS)), workspace)
                 for lo in range(0, n, BLOCK_MEMBERS)]  # fmt: skip
        return ChunkResult(sample.start, sample.stop,
                           np.concatenate([part.metrics for part in parts]), {})  # fmt: skip
    return _compute(plan, sample, None)


def _compute(plan: ChunkPlan, sample: MemberSample,
             workspace: dict[str, FloatArray] | None) -> ChunkResult:
    """Simulate ``sample``'s members in one pass a group of lever alternatives."""
    n = sample.stop - sample.start
    inflow = _inflow(plan, sample)
    metrics = np.empty((n, len(plan.metrics)))
    series: dict[str, FloatArray] = {}
    discrete = tuple(lever for lever in plan.levers if not lever.continuous)
    for tables, rows in _groups(discrete, sample.lever_choices):
        params, members, group_series = _group_inputs(plan, sample, tables, rows, inflow)
        arrays = plan.model.run_arrays(params, members=members, series=group_series,
                                       return_columns=plan.columns,
                                       workspace=workspace)  # fmt: skip
        constants = _constants(plan, sample, rows)
        for j, metric in enumerate(plan.metrics):
            metrics[rows, j] = metric.compute(arrays, constants, plan.month_years)
        for name in plan.series:
            if isinstance(rows, slice):
                series[name] = arrays[name]
            else:
                series.setdefault(name, np.empty((n, arrays[name].shape[1])))[rows] = arrays[name]
        del arrays
    return ChunkResult(sample.start, sample.stop, metrics, series)


def prepare_kernels(plan: ChunkPlan, sample: MemberSample) -> None:
    """Generate the kernels :func:`compute_chunk` would run for ``sample``, without running
    them: the plan's model then carries them ready to the workers."""
    inflow = _inflow(plan, sample)
    discrete = tuple(lever for lever in plan.levers if not lever.continuous)
    for tables, rows in _groups(discrete, sample.lever_choices):
        params, members, series = _group_inputs(plan, sample, tables, rows, inflow)
        plan.model.prepare(params, members, series, plan.columns)


def _inflow(plan: ChunkPlan, sample: MemberSample) -> FloatArray | None:
    """The members' stochastic inflow, with their runoff change; None for the model's own."""
    if plan.inflow is None:
        return None
    inflow = generate_inflows(sample.stop - sample.start, seed=plan.seed,
                              member_offset=sample.start, config=plan.inflow,
                              climate=sample.climate)  # fmt: skip
    if sample.runoff_change is not None:
        inflow *= 1.0 + np.asarray(sample.runoff_change, dtype=np.float64)[:, None]
    return inflow


def _members(sample: MemberSample, lo: int, hi: int) -> MemberSample:
    """Members ``[sample.start + lo, sample.start + hi)`` of a sample, with their inputs."""
    climate = sample.climate
    return replace(
        sample, start=sample.start + lo, stop=sample.start + hi,
        constants={k: np.asarray(v)[lo:hi] for k, v in sample.constants.items()},
        lever_choices={k: np.asarray(v)[lo:hi] for k, v in sample.lever_choices.items()},
        lever_scales={k: np.asarray(v)[lo:hi] for k, v in sample.lever_scales.items()},
        runoff_change=_rows(sample.runoff_change, lo, hi),
        climate=None if climate is None else MemberClimate(
            _rows(climate.variability, lo, hi), _rows(climate.drought_probability, lo, hi),
            _rows(climate.drought_length, lo, hi)),
    )  # fmt: skip


def _rows(values: Any, lo: int, hi: int) -> Any:
    """Rows ``[lo, hi)`` of a per-member input; None (not given) stays None."""
    return None if values is None else np.asarray(values)[lo:hi]


def _groups(
    levers: tuple[UncertainLever, ...], choices: Mapping[str, IntArray]
) -> list[tuple[dict[str, Any], slice | IntArray]]:
    """Members sharing their lever alternatives: (lever tables, member rows) per group."""
    if not levers:
        return [({}, slice(None))]
    stacked = np.stack([np.asarray(choices[lever.name]) for lever in levers], axis=1)
    combos, inverse = np.unique(stacked, axis=0, return_inverse=True)
    groups: list[tuple[dict[str, Any], slice | IntArray]] = []
    for g, combo in enumerate(combos):
        tables = {
            lever.name: tuple(np.asarray(t, dtype=np.float64) for t in lever.tables[int(k)])
            for lever, k in zip(levers, combo, strict=True)
        }
        rows = np.flatnonzero(inverse == g)  # flat whatever inverse's shape (numpy 2.0.0's)
        groups.append((tables, slice(None) if len(combos) == 1 else rows))
    return groups


def _group_inputs(
    plan: ChunkPlan,
    sample: MemberSample,
    tables: Mapping[str, Any],
    rows: slice | IntArray,
    inflow: FloatArray | None,
) -> tuple[dict[str, Any], int, dict[str, FloatArray] | None]:
    """The model inputs of a group of members: parameters, member count, inflow series."""
    params: dict[str, Any] = {**plan.params, **tables}
    params.update({name: np.asarray(v)[rows] for name, v in sample.constants.items()})
    for lever in plan.levers:
        if lever.continuous:
            factors = np.asarray(sample.lever_scales[lever.name])[rows]
            params[lever.name] = lever.member_tables(factors)
    series = None if inflow is None else {INFLOW_VARIABLE: inflow[rows]}
    members = sample.stop - sample.start if isinstance(rows, slice) else len(rows)
    return params, members, series


def _constants(plan: ChunkPlan, sample: MemberSample, rows: slice | IntArray) -> dict[str, Any]:
    out: dict[str, Any] = dict(plan.constants)
    for name in plan.constants:
        if name in sample.constants:
            out[name] = np.asarray(sample.constants[name])[rows]
    return out
