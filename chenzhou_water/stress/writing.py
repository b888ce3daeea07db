"""The files of a study, written into a staging folder and moved into place together.

- ``<name>.nc``: the ``(policy, member, outcome)`` outcomes with the sampled uncertainties, plus
  the ranking table and the chosen PRIM boxes (for ``chenzhou-water report``);
- ``<name>_outcomes.csv``: one row per policy and future, the uncertainties then the outcomes,
  with ``scenario`` (the future) and ``policy`` columns: the EMA Workbench's experiments and
  outcomes side by side, so ``pandas.read_csv`` hands it to its analysis functions as it is;
- ``<name>_robustness.csv``, ``<name>_prim_boxes.csv``, ``<name>_prim_trajectories.csv``,
  ``<name>_feature_scores.csv``;
- PNG plots: ``<name>_surface_<k>.png`` (one panel per policy), ``<name>_robustness.png``,
  ``<name>_prim_<policy>_<outcome>.png``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes

from chenzhou_water.files import atomic_path, staged_set, write_csv, write_netcdf
from chenzhou_water.stress.plots import plot_robustness, plot_surface, plot_trajectory
from chenzhou_water.stress.spec import StudySpec, Surface

if TYPE_CHECKING:
    from chenzhou_water.stress.run import StudyAnalysis

__all__ = ["boxes_table", "outcomes_table", "with_analysis", "write_study"]


def write_study(
    spec: StudySpec, ds: xr.Dataset, analysis: StudyAnalysis, out: Path, *, plots: bool = True
) -> tuple[Path, ...]:
    """Write every file of a study into ``out`` as one set (:func:`files.staged_set
    <chenzhou_water.files.staged_set>`): none appears before all are written, and a kill while
    moving them is finished by the next landing."""
    with staged_set(out, spec.name) as stage:
        names = [
            write_netcdf(with_analysis(ds, analysis), stage / f"{spec.name}.nc"),
            write_csv(outcomes_table(ds), stage / f"{spec.name}_outcomes.csv"),
            write_csv(analysis.robustness, stage / f"{spec.name}_robustness.csv"),
            write_csv(boxes_table(spec, analysis), stage / f"{spec.name}_prim_boxes.csv"),
            write_csv(_trajectories(analysis), stage / f"{spec.name}_prim_trajectories.csv"),
            write_csv(analysis.scores, stage / f"{spec.name}_feature_scores.csv"),
        ]
        if plots:
            names += _plots(spec, ds, analysis, stage)
    return tuple(out / path.name for path in names)


def outcomes_table(ds: xr.Dataset) -> pd.DataFrame:
    """One row per (policy, future): uncertainties, ``scenario``, ``policy``, outcomes."""
    rows = []
    uncertainties = {str(u): ds[str(u)].values for u in ds["uncertainty"].values}
    for j, policy in enumerate(ds["policy"].values):
        frame = pd.DataFrame(uncertainties)
        frame["scenario"] = ds["member"].values
        frame["policy"] = str(policy)
        for k, outcome in enumerate(ds["outcome"].values):
            frame[str(outcome)] = ds["outcomes"].values[j, :, k]
        rows.append(frame)
    table = pd.concat(rows, ignore_index=True)
    table.index.name = "experiment"
    return table


def boxes_table(spec: StudySpec, analysis: StudyAnalysis) -> pd.DataFrame:
    """The chosen PRIM box of every policy and failure, one row per restricted dimension."""
    units = {u.name: u.units for u in spec.uncertainties}
    rows = []
    for (policy, outcome), found in analysis.discoveries.items():
        base = {"policy": policy, "outcome": outcome, "failures": found.failures,
                "futures": found.futures, "coverage": found.coverage, "density": found.density}
        if found.limits.empty:
            rows.append(base | {"uncertainty": "", "low": np.nan, "high": np.nan,
                                "units": "", "qp_low": np.nan, "qp_high": np.nan})
        for name, limit in found.limits.iterrows():
            rows.append(base | {"uncertainty": name, "low": limit["low"], "high": limit["high"],
                                "units": units.get(str(name), ""), "qp_low": limit["qp_low"],
                                "qp_high": limit["qp_high"]})
    return pd.DataFrame(rows).set_index(["policy", "outcome"])


def _trajectories(analysis: StudyAnalysis) -> pd.DataFrame:
    frames = [found.trajectory.assign(policy=policy, outcome=outcome, box=found.trajectory.index,
                                      chosen=found.trajectory.index == found.chosen)
              for (policy, outcome), found in analysis.discoveries.items()
              if not found.trajectory.empty]  # fmt: skip
    if not frames:
        return pd.DataFrame(columns=["policy", "outcome", "box"]).set_index("policy")
    return pd.concat(frames).set_index(["policy", "outcome", "box"])


def with_analysis(ds: xr.Dataset, analysis: StudyAnalysis) -> xr.Dataset:
    """``ds`` with the ranking table and the chosen boxes, which the report shows."""
    out = ds.copy()
    table = analysis.robustness
    out = out.assign_coords(robustness_measure=("robustness_measure", list(table.columns)))
    out["robustness"] = (("policy", "robustness_measure"),
                         table.reindex(out["policy"].values).to_numpy(dtype=np.float64),
                         {"description": "the ranking table (rank, satisficing, regret, "
                          "percentiles) by policy"})  # fmt: skip
    outcomes = sorted({o for _, o in analysis.discoveries}, key=list(ds["outcome"].values).index)
    if not outcomes:
        return out
    shape = (ds.sizes["policy"], len(outcomes), ds.sizes["uncertainty"])
    low, high = np.full(shape, np.nan), np.full(shape, np.nan)
    stats = np.full((*shape[:2], 4), np.nan)
    names = list(ds["uncertainty"].values)
    for j, policy in enumerate(ds["policy"].values):
        for k, outcome in enumerate(outcomes):
            found = analysis.discoveries[(str(policy), outcome)]
            stats[j, k] = (found.failures, found.futures, found.coverage, found.density)
            for name, limit in found.limits.iterrows():
                low[j, k, names.index(name)] = limit["low"]
                high[j, k, names.index(name)] = limit["high"]
    dims = ("policy", "discovery", "uncertainty")
    out = out.assign_coords(discovery=("discovery", outcomes),
                            box_statistic=("box_statistic",
                                           ["failures", "futures", "coverage", "density"]))
    out["box_low"] = (dims, low, {"description": "lower limit of the chosen PRIM box of the "
                                  "futures where the policy fails (NaN: not restricted)"})
    out["box_high"] = (dims, high, {"description": "upper limit of the chosen PRIM box"})
    out["box_stats"] = (("policy", "discovery", "box_statistic"), stats,
                        {"description": "failures, futures, coverage and density of the box"})
    return out


def _plots(spec: StudySpec, ds: xr.Dataset, analysis: StudyAnalysis, stage: Path) -> list[Path]:
    from chenzhou_water.fonts import use_cjk_font

    use_cjk_font()
    written = [_save(plot_robustness(analysis.robustness), stage / f"{spec.name}_robustness.png")]
    for k, surface in enumerate(spec.surfaces, start=1):
        written.append(_save(_surface_panels(spec, ds, surface),
                             stage / f"{spec.name}_surface_{k}.png"))
    for (policy, outcome), found in analysis.discoveries.items():
        ax = plot_trajectory(found.trajectory, found.chosen,
                             title=f"{policy}: {outcome} fails ({found.failures}/{found.futures})")
        written.append(_save(ax, stage / f"{spec.name}_prim_{policy}_{outcome}.png"))
    return written


def _surface_panels(spec: StudySpec, ds: xr.Dataset, surface: Surface) -> Axes:
    policies = list(ds["policy"].values)
    columns = min(3, len(policies))
    rows = -(-len(policies) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(5 * columns, 4 * rows), layout="constrained",
                             squeeze=False)
    outcome = spec.outcome(surface.outcome)
    by_name = {u.name: u for u in spec.uncertainties}
    values = ds["outcomes"].sel(outcome=surface.outcome)
    for ax, policy in zip(axes.flat, policies, strict=False):
        plot_surface(ds[surface.x].values, ds[surface.y].values, values.sel(policy=policy).values,
                     labels=(f"{surface.x} [{by_name[surface.x].units}]",
                             f"{surface.y} [{by_name[surface.y].units}]",
                             f"{surface.outcome} [{outcome.metric.units}]"),
                     threshold=outcome.threshold,
                     plausible=(by_name[surface.x].plausible, by_name[surface.y].plausible),
                     title=str(policy), ax=ax)  # fmt: skip
    for ax in axes.flat[len(policies):]:
        ax.set_axis_off()
    fig.suptitle(f"{spec.name}: {surface.outcome} over {surface.x} and {surface.y}")
    return axes.flat[0]


def _save(ax: Axes, target: Path) -> Path:
    with atomic_path(target) as tmp:
        ax.figure.savefig(tmp, format="png", dpi=100)
    plt.close(ax.figure)
    return target
