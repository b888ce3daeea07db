"""Run a study: every policy over the same futures, then robustness and scenario discovery.

:func:`run_study` validates the study file, runs each policy as an ensemble through the sweep's
runner (:func:`~chenzhou_water.sweep.run_ensemble`: chunks, Dask, ``--resume``, results identical
to the bit whatever the chunk size and number of workers) in ``OUT/<name>.runs/``, gathers the
outcomes into one ``(policy, member, outcome)`` Dataset (:func:`study_dataset`), analyses it
(:func:`analyse`) and writes every file (:mod:`.writing`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from chenzhou_water.execution import SERIAL, ExecutionOptions
from chenzhou_water.files import moved, result_place
from chenzhou_water.results import provenance, resolved_text
from chenzhou_water.stress.discovery import Discovery, discover, feature_scores
from chenzhou_water.stress.futures import StudyFutures
from chenzhou_water.stress.robustness import robustness_table
from chenzhou_water.stress.spec import Policy, StudySpec, load_study
from chenzhou_water.sweep.cluster import open_session
from chenzhou_water.sweep.execute import (
    Ensemble,
    EnsembleProgress,
    ProgressCallback,
    check_ensemble_memory,
    run_ensemble,
)

__all__ = ["StudyAnalysis", "StudyResult", "analyse", "run_study", "study_dataset"]


@dataclass(frozen=True)
class StudyAnalysis:
    """What the futures say about the policies.

    Attributes
    ----------
    robustness : DataFrame
        The ranking table (:func:`~chenzhou_water.stress.robustness.robustness_table`).
    discoveries : mapping
        ``(policy, outcome)`` -> :class:`~chenzhou_water.stress.discovery.Discovery`.
    scores : DataFrame
        Feature scores of the uncertainties (rows) for each ``policy/outcome`` failure.
    """

    robustness: pd.DataFrame
    discoveries: dict[tuple[str, str], Discovery]
    scores: pd.DataFrame


@dataclass(frozen=True)
class StudyResult:
    """What :func:`run_study` did: the study, its analysis, the files, the time taken."""

    spec: StudySpec
    dataset: xr.Dataset
    analysis: StudyAnalysis
    files: tuple[Path, ...]
    seconds: float
    members_computed: int

    @property
    def evaluations_per_second(self) -> float:
        """Policy x future evaluations computed now per second of wall time."""
        return self.members_computed / self.seconds if self.seconds > 0 else float("nan")


def run_study(
    path: str | Path,
    out_dir: str | Path,
    options: ExecutionOptions = SERIAL,
    *,
    progress: ProgressCallback | None = None,
    plots: bool = True,
    overwrite: bool = False,
) -> StudyResult:
    """Validate a study file, run it and write its results into ``out_dir``.

    Parameters
    ----------
    path : str or Path
        The study file.
    out_dir : str or Path
        Output folder: ``OUT/<name>.nc``, CSV tables and PNG plots; the policies' ensembles
        (resumable chunks) in ``OUT/<name>.runs/``.
    options : ExecutionOptions
        Serial or Dask, chunk size, resume; as for the sweep.
    progress : callable, optional
        Called with an :class:`~chenzhou_water.sweep.EnsembleProgress` counting policy x future
        evaluations over the whole study.
    plots : bool
        Write the PNG plots.
    overwrite : bool
        Replace an earlier result of this study in ``out_dir`` (it stays as it was until the
        new one is complete); without it, or ``options.resume``, an earlier result is refused.

    Raises
    ------
    ValidationError
        If the study file (or a policy's scenario) has problems, all of them, located; if
        ``out_dir`` holds a result of this study and neither ``overwrite`` nor
        ``options.resume`` is set, or if both are.
    SweepFolderError
        If ``OUT/<name>.runs/`` cannot hold or continue this study.
    """
    started = time.perf_counter()
    spec = load_study(path)
    out_dir = Path(out_dir)
    existing = [out_dir / f"{spec.name}{end}" for end in (".nc", ".runs", "_outcomes.csv")]
    with result_place(out_dir, spec.name, existing, overwrite=overwrite,
                      resume=options.resume) as place:
        dataset, analysis, files, computed = _run(spec, place, options, progress, plots)
    moved_files = tuple(moved(f, place, out_dir) for f in files)
    seconds = time.perf_counter() - started
    return StudyResult(spec, dataset, analysis, moved_files, seconds, computed)


def _run(
    spec: StudySpec,
    out_dir: Path,
    options: ExecutionOptions,
    progress: ProgressCallback | None,
    plots: bool,
) -> tuple[xr.Dataset, StudyAnalysis, list[Path], int]:
    """Every policy over the study's futures, analysed and written into ``out_dir``."""
    from chenzhou_water.stress.writing import write_study

    futures = StudyFutures(spec)
    runs = out_dir / f"{spec.name}.runs"
    outcomes, computed = [], 0
    for policy in spec.policies:  # before a cluster of that many workers is started
        check_ensemble_memory(_ensemble(spec, policy, futures), options)
    # One Dask cluster (or connection) serves every policy: started and stopped once.
    with open_session(options) as dask:
        for k, policy in enumerate(spec.policies):
            result = run_ensemble(_ensemble(spec, policy, futures), runs, options, dask=dask,
                                  progress=_offset_progress(progress, k, len(spec.policies),
                                                            spec.futures))  # fmt: skip
            computed += result.members_computed
            with xr.open_dataset(result.path) as ds:
                outcomes.append(ds["metrics"].transpose("member", "metric").values.copy())
    dataset = study_dataset(spec, futures.values(0, spec.futures), np.stack(outcomes))
    analysis = analyse(spec, dataset)
    files = write_study(spec, dataset, analysis, out_dir, plots=plots)
    return dataset, analysis, list(files), computed


def _ensemble(spec: StudySpec, policy: Policy, futures: StudyFutures) -> Ensemble:
    """The ensemble of one policy over the study's futures."""
    return Ensemble(
        name=policy.name, scenario=policy.scenario, members=spec.futures, sample=futures,
        fingerprint=spec.fingerprint(policy.name), levers=policy.levers, inflow=spec.inflow,
        seed=spec.seed, metrics=tuple(o.metric for o in spec.outcomes),
        attrs={"study_file": spec.path.name, "policy": policy.name},
    )  # fmt: skip


def _offset_progress(
    progress: ProgressCallback | None, k: int, policies: int, futures: int
) -> ProgressCallback | None:
    """Progress of policy ``k``'s ensemble as progress of the whole study."""
    if progress is None:
        return None

    def report(p: EnsembleProgress) -> None:
        progress(replace(p, members_done=k * futures + p.members_done,
                         members_total=policies * futures))  # fmt: skip

    return report


def study_dataset(
    spec: StudySpec, uncertainties: dict[str, np.ndarray], outcomes: np.ndarray
) -> xr.Dataset:
    """The study's results as one labelled Dataset.

    Parameters
    ----------
    spec : StudySpec
    uncertainties : mapping
        Uncertainty -> its value in each future, shape ``(member,)``.
    outcomes : ndarray, shape (policy, member, outcome)
    """
    thresholds = [np.nan if o.threshold is None else o.threshold for o in spec.outcomes]
    coords = {
        "policy": ("policy", [p.name for p in spec.policies]),
        "member": ("member", np.arange(spec.futures, dtype=np.int64)),
        "outcome": ("outcome", [o.name for o in spec.outcomes]),
        "outcome_units": ("outcome", [o.metric.units for o in spec.outcomes]),
        "outcome_description": ("outcome", [o.metric.description for o in spec.outcomes]),
        "outcome_direction": ("outcome", [o.direction for o in spec.outcomes]),
        "outcome_threshold": ("outcome", np.asarray(thresholds, dtype=np.float64)),
        "uncertainty": ("uncertainty", [u.name for u in spec.uncertainties]),
    }
    data = {
        u.name: ("member", np.asarray(uncertainties[u.name], dtype=np.float64),
                 {"units": u.units, "description": u.description, "uncertainty_kind": u.kind})
        for u in spec.uncertainties
    }  # fmt: skip
    data["outcomes"] = (("policy", "member", "outcome"), outcomes,
                        {"description": "each policy's outcome in each future (units: "
                         "outcome_units)"})  # fmt: skip
    for u in spec.uncertainties:
        low, high = u.plausible if u.plausible is not None else (np.nan, np.nan)
        data[u.name][2].update(plausible_low=low, plausible_high=high)  # type: ignore[index]
    attrs = provenance(
        study_name=spec.name, study_file=spec.path.name, futures=spec.futures, seed=spec.seed,
        sampler=spec.sampler, study_resolved=resolved_text(spec.to_dict()),
        kind="chenzhou-water stress study",
    )  # fmt: skip
    return xr.Dataset(data, coords=coords, attrs=attrs)


def analyse(spec: StudySpec, ds: xr.Dataset) -> StudyAnalysis:
    """Robustness across policies, PRIM boxes and feature scores of a study's Dataset."""
    values = ds["outcomes"].transpose("outcome", "policy", "member").values
    meets = np.stack([o.meets(values[k]) for k, o in enumerate(spec.outcomes)])
    policies = [str(p) for p in ds["policy"].values]
    table = robustness_table(policies, [o.name for o in spec.outcomes], values,
                             [o.direction for o in spec.outcomes], meets)  # fmt: skip
    x = pd.DataFrame({u.name: ds[u.name].values for u in spec.uncertainties})
    discoveries: dict[tuple[str, str], Discovery] = {}
    scores: dict[str, pd.Series] = {}
    names = [o.name for o in spec.outcomes]
    for outcome in spec.discovery:
        k = names.index(outcome)
        for j, policy in enumerate(policies):
            fails = ~meets[k, j]
            discoveries[(policy, outcome)] = discover(x, fails)
            scores[f"{policy}/{outcome}"] = feature_scores(x, fails, spec.seed)
    frame = pd.DataFrame(scores, index=pd.Index(list(x.columns), name="uncertainty"))
    return StudyAnalysis(table, discoveries, frame)
