"""Run a sweep file: validate it, build its ensemble, run it, return what was written."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from chenzhou_water.execution import SERIAL, ExecutionOptions
from chenzhou_water.files import moved, result_place
from chenzhou_water.results import resolved_text
from chenzhou_water.sweep.cluster import open_session
from chenzhou_water.sweep.execute import (
    Ensemble,
    EnsembleResult,
    MemberSample,
    ProgressCallback,
    check_ensemble_memory,
    run_ensemble,
)
from chenzhou_water.sweep.outputs import warm_up_workers, write_sweep_outputs
from chenzhou_water.sweep.samplers import UnitDesign, unit_design
from chenzhou_water.sweep.spec import SweepSpec, load_sweep
from chenzhou_water.sweep.store import open_sweep

__all__ = ["SweepResult", "SweepSample", "ensemble_from_spec", "run_sweep"]


@dataclass(frozen=True)
class SweepResult:
    """What :func:`run_sweep` did.

    Attributes
    ----------
    spec : SweepSpec
        The validated sweep file.
    run : EnsembleResult
        The run: combined file, chunks computed and resumed, wall time, executor.
    files : tuple of Path
        The tables and plots written beside the combined file (:mod:`.tables`).
    """

    spec: SweepSpec
    run: EnsembleResult
    files: tuple[Path, ...] = ()

    @property
    def path(self) -> Path:
        """The combined results file, ``OUT/<name>.nc``."""
        return self.run.path


class SweepSample:
    """The sample source of a sweep: unit design -> constants, lever choices and scales.

    Parameters
    ----------
    spec : SweepSpec
        The sweep; its constants take the first dimensions of the design, its levers the rest
        (a continuous lever's factor is one dimension, like a constant; on a grid it takes as
        many levels as each constant); the runoff change, if any, takes the last dimension.
    """

    def __init__(self, spec: SweepSpec):
        self.spec = spec
        levels: tuple[int, ...] = ()
        if spec.sampler == "grid":
            discrete = [len(lv.labels) for lv in spec.levers if not lv.continuous]
            combos = int(np.prod(discrete, dtype=np.int64))
            n = spec.dims - len(discrete)
            k = round((spec.members / combos) ** (1 / n)) if n else 1
            levels = (k,) * len(spec.parameters) + tuple(
                k if lv.continuous else len(lv.labels) for lv in spec.levers
            ) + (k,) * (spec.runoff_change is not None)
        self.design: UnitDesign = unit_design(
            spec.sampler, spec.members, spec.dims, spec.seed, levels
        )

    def __call__(self, start: int, stop: int) -> MemberSample:
        """The sampled inputs of members ``[start, stop)``."""
        unit = self.design.rows(start, stop)
        k = len(self.spec.parameters)
        constants = {
            name: dist.ppf(unit[:, j]) for j, (name, dist) in enumerate(self.spec.parameters)
        }
        levers = list(enumerate(self.spec.levers, start=k))
        choices = {lv.name: lv.choose(unit[:, j]) for j, lv in levers if not lv.continuous}
        scales = {lv.name: lv.scale(unit[:, j]) for j, lv in levers if lv.continuous}
        change = self.spec.runoff_change
        runoff = None if change is None else change.ppf(unit[:, k + len(self.spec.levers)])
        return MemberSample(start, stop, constants, choices, scales, runoff)


def ensemble_from_spec(spec: SweepSpec) -> Ensemble:
    """The ensemble a sweep file describes."""
    resolved = resolved_text(spec.to_dict())
    return Ensemble(
        name=spec.name, scenario=spec.scenario, members=spec.members, sample=SweepSample(spec),
        fingerprint=spec.fingerprint(), levers=spec.levers, inflow=spec.inflow, seed=spec.seed,
        series=spec.series, metrics=spec.metrics,
        attrs={"sweep_file": spec.path.name, "sweep_resolved": resolved,
               "sampler": spec.sampler, "seed": str(spec.seed)},
        table_fragments=True,
    )  # fmt: skip


def run_sweep(
    path: str | Path,
    out_dir: str | Path,
    options: ExecutionOptions = SERIAL,
    *,
    progress: ProgressCallback | None = None,
    members: int | None = None,
    overwrite: bool = False,
    plots: bool = True,
) -> SweepResult:
    """Validate a sweep file and run it; see :func:`~chenzhou_water.sweep.run_ensemble`.

    Parameters
    ----------
    path : str or Path
        The sweep file.
    out_dir : str or Path
        Output folder: ``OUT/<name>.nc``, the chunks in ``OUT/<name>.chunks/``, and the tables
        and plots of :mod:`.tables` (``OUT/<name>_metrics.csv`` ...).
    options, progress
        As for :func:`~chenzhou_water.sweep.execute.run_ensemble`.
    members : int, optional
        Run this many members instead of the file's ``members``.
    overwrite : bool
        Replace an earlier result of this sweep in ``out_dir``; the new set replaces it only
        once it is complete.
    plots : bool
        Write the PNG plots.

    Returns
    -------
    SweepResult

    Raises
    ------
    ValidationError
        If the sweep file or its scenario has problems (all of them, located), if ``out_dir``
        holds a result of this sweep and neither ``overwrite`` nor ``options.resume`` is set,
        or if both are.
    SweepFolderError
        If the folder cannot continue this sweep.
    """
    started = time.perf_counter()
    spec = load_sweep(path, members=members)
    ensemble = ensemble_from_spec(spec)
    check_ensemble_memory(ensemble, options)  # before a cluster of that many workers is started
    cluster = {"load": time.perf_counter() - started}  # reading the files, in the driver
    out_dir = Path(out_dir)
    existing = [out_dir / f"{spec.name}{end}" for end in (".nc", ".chunks", "_metrics.csv")]
    with result_place(out_dir, spec.name, existing, overwrite=overwrite,
                      resume=options.resume) as place:
        # one Dask session for the run and the per-metric tables and figures after it
        with open_session(options, cluster) as session:
            client = None if session is None else session.client
            ready = warm_up_workers(client) if client is not None and plots else []
            result = run_ensemble(ensemble, place, options, progress=progress, dask=session)
            with open_sweep(place, spec.name) as ds:
                files, written = write_sweep_outputs(
                    ds, place, spec.name, result.table_fragments, plots=plots, client=client)
            if ready:  # the longest of the workers' readying, which ran beside the planning
                written["warm_up"] = max(seconds for _, seconds in client.gather(ready))
    timings = {**result.timings, **cluster, **written}
    run = replace(result, path=moved(result.path, place, out_dir), out_dir=out_dir,
                  timings=timings, seconds=time.perf_counter() - started)  # all of it
    return SweepResult(spec, run, tuple(moved(f, place, out_dir) for f in files))
