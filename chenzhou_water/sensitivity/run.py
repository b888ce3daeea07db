"""Run an SA file: sample, evaluate through the sweep's execution core, analyse, write.

Files written under ``OUT`` for an SA file named ``NAME`` (each atomically)::

    NAME.chunks/, NAME.nc           the model runs (the sweep's chunk folder and combined file)
    NAME_indices.nc                 indices of the scalar metrics, dims (output, parameter)
    NAME_yearly_indices.nc          indices of the yearly outputs, dims (output, year, parameter)
    NAME_indices.csv                every index in long format (output, year, parameter, index,
                                    value, conf)
    NAME_convergence.txt            whether the intervals separate the leading parameters
    NAME_<plot>_<output>.png        Morris mu*-sigma plots, index bars, heat-maps over years
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import xarray as xr
import yaml
from matplotlib.axes import Axes

from chenzhou_water.execution import SERIAL, ExecutionOptions
from chenzhou_water.files import (
    atomic_path,
    moved,
    result_place,
    staged_set,
    write_csv,
    write_netcdf,
)
from chenzhou_water.results import provenance
from chenzhou_water.sensitivity.analysis import design, indices_dataset, tidy_table
from chenzhou_water.sensitivity.convergence import ConvergenceReport, check_convergence
from chenzhou_water.sensitivity.evaluate import evaluate_design
from chenzhou_water.sensitivity.plots import plot_index_heatmap, plot_indices, plot_morris
from chenzhou_water.sensitivity.spec import SensitivitySpec, load_sensitivity
from chenzhou_water.sweep.execute import EnsembleProgress, EnsembleResult

__all__ = ["SensitivityResult", "ranking", "run_sensitivity", "summary_tables"]


@dataclass(frozen=True)
class SensitivityResult:
    """What :func:`run_sensitivity` computed and wrote.

    Attributes
    ----------
    spec : SensitivitySpec
        The validated SA file.
    indices : xarray.Dataset or None
        Indices of the scalar metrics, dims ``(output, parameter)``.
    yearly : xarray.Dataset or None
        Indices of the yearly outputs, dims ``(output, year, parameter)``.
    convergence : ConvergenceReport
        Whether the intervals separate the leading parameters, and what sample would.
    run : EnsembleResult
        The model runs: file, chunks computed and resumed, executor, wall time.
    files : tuple of Path
        The files written (indices, table, convergence report, plots).
    """

    spec: SensitivitySpec
    indices: xr.Dataset | None
    yearly: xr.Dataset | None
    convergence: ConvergenceReport
    run: EnsembleResult
    files: tuple[Path, ...]

    @property
    def runs(self) -> int:
        """Model runs of the design."""
        return self.run.members


def run_sensitivity(
    path: str | Path,
    out_dir: str | Path,
    options: ExecutionOptions = SERIAL,
    *,
    progress: Callable[[EnsembleProgress], None] | None = None,
    plots: bool = True,
    overwrite: bool = False,
) -> SensitivityResult:
    """Run the global sensitivity analysis an SA file describes.

    Parameters
    ----------
    path : str or Path
        The SA file (see :mod:`chenzhou_water.sensitivity.spec`).
    out_dir : str or Path
        Output folder.
    options : ExecutionOptions
        Serial or Dask, model runs per chunk, and whether to continue an interrupted analysis
        in ``out_dir`` (finished chunks are kept).
    progress : callable, optional
        Called with an :class:`~chenzhou_water.sweep.execute.EnsembleProgress` as chunks finish.
    plots : bool
        Write PNG plots.
    overwrite : bool
        Replace an earlier result of this analysis in ``out_dir``; the new set replaces it
        only once it is complete.

    Returns
    -------
    SensitivityResult

    Raises
    ------
    ValidationError
        If the SA file or its scenario has problems (all reported together).
    SweepFolderError
        If ``out_dir`` holds this analysis's runs and ``resume`` is False, or another one's.
    """
    spec = load_sensitivity(path)
    plan = design(spec)
    out_dir = Path(out_dir)
    existing = [out_dir / f"{spec.name}{end}" for end in (".nc", ".chunks", "_indices.csv")]
    with result_place(out_dir, spec.name, existing, overwrite=overwrite,
                      resume=options.resume) as place:
        evaluation = evaluate_design(spec, plan.values, place, options, progress=progress)
        scalar, yearly = indices_dataset(spec, plan, evaluation.values)
        size = int(spec.options[spec.method_def.size_option])
        report = check_convergence((scalar, yearly), spec.method_def, spec.convergence, size)
        attrs = _attrs(spec, evaluation.run, report)
        for ds in (scalar, yearly):
            if ds is not None:
                ds.attrs.update(attrs)
        with staged_set(Path(place), spec.name) as staging:
            staged = _write(spec, staging, scalar, yearly, report, plots)
        files = [Path(place) / path.name for path in staged]
    run = replace(evaluation.run, path=moved(evaluation.run.path, place, out_dir),
                  out_dir=out_dir)
    files = tuple(moved(f, place, out_dir) for f in files)
    return SensitivityResult(spec, scalar, yearly, report, run, files)


def _attrs(spec: SensitivitySpec, run: EnsembleResult, report: ConvergenceReport) -> dict:
    return provenance(
        sensitivity_name=spec.name, sensitivity_file=spec.path.name,
        description=spec.description, method=spec.method,
        options=yaml.safe_dump(dict(spec.options), sort_keys=False).strip(), seed=spec.seed,
        runs=run.members, runs_file=run.path.name, runs_fingerprint=run.fingerprint,
        scenario_name=spec.scenario.name, model_file=spec.scenario.model_path.name,
        ranking_index=report.index, converged="yes" if report.converged else "no",
        recommended_size="" if report.recommended_size is None else
        f"{report.size_option} = {report.recommended_size}",
        convergence=report.text(),
    )  # fmt: skip


def _write(spec: SensitivitySpec, out: Path, scalar: xr.Dataset | None,
           yearly: xr.Dataset | None, report: ConvergenceReport, plots: bool) -> tuple[Path, ...]:
    files = []
    if scalar is not None:
        files.append(write_netcdf(scalar, out / f"{spec.name}_indices.nc"))
    if yearly is not None:
        files.append(write_netcdf(yearly, out / f"{spec.name}_yearly_indices.nc"))
    files.append(write_csv(tidy_table(scalar, yearly).set_index("output"),
                           out / f"{spec.name}_indices.csv"))
    text_path = out / f"{spec.name}_convergence.txt"
    with atomic_path(text_path) as tmp:
        tmp.write_text(report.text() + "\n", encoding="utf-8")
    files.append(text_path)
    if plots:
        files.extend(_plots(spec, out, scalar, yearly))
    return tuple(files)


def _plots(spec: SensitivitySpec, out: Path, scalar: xr.Dataset | None,
           yearly: xr.Dataset | None) -> list[Path]:
    method = spec.method_def
    written = []
    if scalar is not None:
        for output in scalar["output"].values:
            if method.name == "morris":
                ax = plot_morris(scalar, str(output))
                kind = "morris"
            else:
                ax = plot_indices(scalar, str(output), indices=_bar_indices(method.indices))
                kind = "indices"
            written.append(_save(ax, out / f"{spec.name}_{kind}_{_slug(output)}.png"))
    if yearly is not None:
        for output in yearly["output"].values:
            ax = plot_index_heatmap(yearly, str(output), index=method.rank_by)
            written.append(_save(ax, out / f"{spec.name}_{method.rank_by}_years_"
                                      f"{_slug(output)}.png"))
    return written


def _bar_indices(indices: tuple[str, ...]) -> tuple[str, ...]:
    """Bars in reading order: ``S1`` before ``ST`` (the ranking index goes last)."""
    return tuple(reversed(indices[:2]))


def _slug(name: object) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", str(name))


def _save(ax: Axes, target: Path) -> Path:
    with atomic_path(target) as tmp:
        ax.figure.savefig(tmp, format="png", dpi=120, bbox_inches="tight")  # keys beside axes
    plt.close(ax.figure)
    return target


def ranking(ds: xr.Dataset, output: str, year: int | None = None,
            index: str | None = None) -> pd.DataFrame:
    """The parameters of one output ranked by an index, with every index and interval.

    Parameters
    ----------
    ds : xarray.Dataset
        ``SensitivityResult.indices`` or ``.yearly``.
    output : str
        The output.
    year : int, optional
        For a yearly Dataset, the year.
    index : str, optional
        The ranking index (default: the first data variable, the method's ranking index).

    Returns
    -------
    DataFrame
        Index ``parameter`` (rank order); one column per index and interval (``S2`` left out).
    """
    sub = ds.sel(output=output)
    if year is not None:
        sub = sub.sel(year=year)
    columns = {name: sub[name].values for name in sub.data_vars if "parameter_2" not in
               sub[name].dims}
    frame = pd.DataFrame(columns, index=pd.Index(sub["parameter"].values, name="parameter"))
    key = index or next(iter(columns))
    return frame.sort_values(key, ascending=False, na_position="last")


def summary_tables(result: SensitivityResult, top: int = 10) -> list[tuple[str, pd.DataFrame]]:
    """Titled tables for the terminal: the leading parameters of each output.

    Scalar metrics: the ``top`` parameters ranked by the method's ranking index, with every
    index and interval. Yearly outputs: the ranking index by year, the ``top`` parameters with
    the largest value in any year first.
    """
    index = result.spec.method_def.rank_by
    tables = []
    if result.indices is not None:
        ds = result.indices
        for output in ds["output"].values:
            note = str(ds["note"].sel(output=output).values)
            title = f"{_title(ds, output)}: parameters ranked by {index}"
            frame = ranking(ds, str(output), index=index).head(top)
            tables.append((title + (f" ({note})" if note else ""), frame))
    if result.yearly is not None:
        ds = result.yearly
        for output in ds["output"].values:
            sub = ds[index].sel(output=output)
            asked = [str(n) != "year not asked" for n in ds["note"].sel(output=output).values]
            frame = sub.isel(year=[i for i, a in enumerate(asked) if a]).to_pandas()
            frame = frame.T if frame.index.name == "year" else frame
            frame = frame.loc[frame.max(axis=1).sort_values(ascending=False).index].head(top)
            frame.columns = [str(c) for c in frame.columns]
            tables.append((f"{_title(ds, output)}: {index} by year", frame))
    return tables


def _title(ds: xr.Dataset, output: object) -> str:
    units = str(ds["output_units"].sel(output=output).values)
    return f"{output} [{units}]" if units else str(output)
