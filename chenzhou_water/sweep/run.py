"""Run a sweep file: validate it, build its ensemble, run it, return what was written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chenzhou_water.execution import SERIAL, ExecutionOptions
from chenzhou_water.results import resolved_text
from chenzhou_water.sweep.execute import (
    Ensemble,
    EnsembleResult,
    MemberSample,
    ProgressCallback,
    run_ensemble,
)
from chenzhou_water.sweep.samplers import UnitDesign, unit_design
from chenzhou_water.sweep.spec import SweepSpec, load_sweep

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
    """

    spec: SweepSpec
    run: EnsembleResult

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
    )  # fmt: skip


def run_sweep(
    path: str | Path,
    out_dir: str | Path,
    options: ExecutionOptions = SERIAL,
    *,
    progress: ProgressCallback | None = None,
) -> SweepResult:
    """Validate a sweep file and run it; see :func:`~chenzhou_water.sweep.run_ensemble`.

    Parameters
    ----------
    path : str or Path
        The sweep file.
    out_dir : str or Path
        Output folder: ``OUT/<name>.nc`` and the chunks in ``OUT/<name>.chunks/``.
    options, progress
        As for :func:`~chenzhou_water.sweep.execute.run_ensemble`.

    Returns
    -------
    SweepResult

    Raises
    ------
    ValidationError
        If the sweep file or its scenario has problems (all of them, located).
    SweepFolderError
        If the folder cannot hold or continue this sweep.
    """
    spec = load_sweep(path)
    result = run_ensemble(ensemble_from_spec(spec), out_dir, options, progress=progress)
    return SweepResult(spec, result)
