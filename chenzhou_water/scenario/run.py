"""Run a scenario on an engine and write its results: NetCDF, summary CSV and plots."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from chenzhou_water.display import csv_header, variable_unit
from chenzhou_water.errors import CapBindingWarning, ChenzhouWaterError
from chenzhou_water.files import refuse_existing, staged_set, write_csv, write_netcdf
from chenzhou_water.model.contract import CAPS, HEADLINE_INDICATORS, HEADLINE_YEARS
from chenzhou_water.model.metadata import model_info
from chenzhou_water.results import (
    annual_indicators,
    binding_caps,
    displayed_indicators,
    provenance,
    resolved_text,
)
from chenzhou_water.scenario.spec import INFLOW_VARIABLE, Scenario, load_scenario

Engine = Literal["numpy", "pysd"]
ENGINES: tuple[str, ...] = ("numpy", "pysd")


def scenario_params(scenario: Scenario) -> dict[str, Any]:
    """The scenario's constants and lever tables in the ensemble engine's ``params`` form:
    a number per constant, an ``(x, y)`` pair of arrays per lever."""
    params: dict[str, Any] = {k: float(v) for k, v in scenario.parameters.items()}
    for name, (xs, ys) in scenario.levers.items():
        params[name] = (np.asarray(xs, dtype=float), np.asarray(ys, dtype=float))
    return params


def run_scenario(
    scenario: Scenario,
    *,
    engine: Engine = "numpy",
    members: int = 1,
    series: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """Run a scenario and return its results as a ``(member, time)`` Dataset.

    Parameters
    ----------
    scenario : Scenario
        A loaded, validated scenario (:func:`chenzhou_water.scenario.spec.load_scenario`).
    engine : {"numpy", "pysd"}
        The vectorised ensemble engine (default) or PySD, the reference.
    members : int
        Ensemble members (numpy engine only; PySD runs one).
    series : mapping, optional
        Exogenous series replacing model variables (for example ``reservoir_inflow``), each of
        shape (time,) or (member, time) on the model's time grid. The scenario's
        ``inflow_file``, if any, gives ``reservoir_inflow`` unless this mapping does.
    params : mapping, optional
        Per-member overrides on top of the scenario (scalars or arrays of shape (member,)).

    Returns
    -------
    xarray.Dataset
        The scenario's outputs with units, descriptions and provenance attributes.
    """
    if engine not in ENGINES:
        raise ChenzhouWaterError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    all_params = scenario_params(scenario)
    all_params.update(params or {})
    if scenario.inflow is not None:
        # The scenario's inflow table replaces the model's inflow unless the caller gives one.
        series = {INFLOW_VARIABLE: np.asarray(scenario.inflow, dtype=float), **(series or {})}
    capped: list[str] = []
    if engine == "pysd":
        if members != 1:
            raise ChenzhouWaterError("the PySD engine runs one member at a time; use --members 1")
        ds = _run_pysd(scenario, all_params, series)
    else:
        from chenzhou_water.engine import compile_model

        model = compile_model(scenario.model_path)
        # The capped variables are computed too, to say whether a cap binds (then dropped).
        capped = [c.variable for c in CAPS if c.variable not in scenario.outputs
                  and model_info(scenario.model_path).get(c.variable) is not None]
        ds = model.run(params=all_params, members=members, series=series,
                       return_columns=[*scenario.outputs, *capped])
    caps = binding_caps(ds)
    ds = ds.drop_vars(capped)
    for sentence in caps:
        warnings.warn(f"{scenario.name}: {sentence}", CapBindingWarning, stacklevel=2)
    ds.attrs.update(
        provenance(
            caps_binding="; ".join(caps) or "none",
            scenario_name=scenario.name,
            scenario_file=scenario.path.name,
            scenario_files=", ".join(p.name for p in scenario.files),
            scenario_resolved=resolved_text(scenario.portable_dict()),
            engine=ds.attrs.get("engine", engine),
        )
    )
    return ds


def _run_pysd(scenario: Scenario, params: Mapping[str, Any], series: Any) -> xr.Dataset:
    from chenzhou_water.scenario.reference import run_pysd

    # PySD's own form: a lookup's table is a pandas Series indexed by x.
    pysd_params = {k: pd.Series(v[1], index=v[0]) if isinstance(v, tuple) else v
                   for k, v in params.items()}
    if series:
        info = model_info(scenario.model_path)
        times = np.arange(info.initial_time, info.final_time + info.time_step / 2, info.time_step)
        pysd_params.update({k: pd.Series(np.asarray(v, dtype=float).reshape(-1), index=times)
                            for k, v in series.items()})
    return run_pysd(scenario.model_path, pysd_params, scenario.outputs)


@dataclass(frozen=True)
class RunOutputs:
    """The files one run wrote."""

    netcdf: Path
    summary_csv: Path
    monthly_csv: Path
    plots: tuple[Path, ...]
    headline: pd.DataFrame


def headline_table(ds: xr.Dataset, years: tuple[int, ...] = HEADLINE_YEARS) -> pd.DataFrame:
    """Headline indicators (rows) in the headline years (columns), labelled with units."""
    frame = annual_indicators(ds)
    frame = frame.loc[[y for y in years if y in frame.index]]
    return displayed_indicators(frame).T


def write_run_outputs(
    ds: xr.Dataset,
    name: str,
    out_dir: str | Path,
    *,
    plots: bool = True,
    on_file: Callable[[Path], None] | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
) -> RunOutputs:
    """Write ``<name>.nc``, ``<name>_summary.csv``, ``<name>_monthly.csv`` and the PNG plots
    (and ``tables``: more CSV files of the same set, by file name).

    The files are written as a set: into a hidden folder inside ``out_dir`` first, then moved
    into place as one set (:func:`chenzhou_water.files.staged_set`), so no file is ever
    half-written and a run killed while moving them is finished by the next. The hidden
    folders that killed runs of ``name`` left in ``out_dir`` are removed first.
    ``on_file`` is called with each final path.
    """
    out_dir = Path(out_dir)
    with staged_set(out_dir, name) as staging:
        staged = [
            write_netcdf(ds, staging / f"{name}.nc"),
            write_csv(displayed_indicators(annual_indicators(ds), HEADLINE_INDICATORS),
                      staging / f"{name}_summary.csv"),
            write_csv(monthly_table(ds), staging / f"{name}_monthly.csv"),
        ]
        extra = [write_csv(frame, staging / file) for file, frame in (tables or {}).items()]
        if plots:
            from chenzhou_water.scenario.plots import save_run_plots

            staged += save_run_plots(ds, staging, name)
    final = [out_dir / path.name for path in staged]
    for target in final + [out_dir / path.name for path in extra] if on_file else ():
        on_file(target)
    return RunOutputs(final[0], final[1], final[2], tuple(final[3:]), headline_table(ds))


def run_files(out_dir: str | Path, name: str) -> list[Path]:
    """The tables a run of scenario ``name`` writes in ``out_dir`` (its plots aside)."""
    return [Path(out_dir) / f"{name}{end}" for end in (".nc", "_summary.csv", "_monthly.csv")]


def run_scenario_file(
    path: str | Path, out_dir: str | Path, *, engine: Engine = "numpy", plots: bool = True,
    progress: Callable[[str, int, int], None] | None = None, overwrite: bool = True,
) -> RunOutputs:
    """Load a scenario file, run it and write its files: the ``run`` command.

    ``progress(stage, done, total)`` is told when each step (check, run, write) starts.
    Without ``overwrite``, an earlier result of the scenario in ``out_dir`` is refused.

    Raises
    ------
    ValidationError
        If the scenario (or a file it extends) has problems, or (without ``overwrite``) its
        result exists in ``out_dir``; nothing is written.
    """
    report = progress or (lambda stage, done, total: None)
    report("checking the scenario", 0, 0)
    scenario = load_scenario(path)
    refuse_existing(run_files(out_dir, scenario.name), overwrite)
    report(f"running {scenario.name} on the {engine} engine", 0, 0)
    ds = run_scenario(scenario, engine=engine)
    report("writing the files", 0, 0)
    return write_run_outputs(ds, scenario.name, out_dir, plots=plots)


def monthly_table(ds: xr.Dataset, member_stat: str = "median") -> pd.DataFrame:
    """Every (member, time) variable by month, one column each headed ``name [unit]`` in the
    display vocabulary (:mod:`chenzhou_water.display`: shares in %, volumes in million m³).

    For spreadsheet users; with several members, their median (or ``member_stat``).
    """
    columns = {}
    for name, da in ds.data_vars.items():
        if set(da.dims) != {"member", "time"}:
            continue
        values = da if da.sizes["member"] == 1 else getattr(da, member_stat)("member")
        values = values.squeeze("member", drop=True) if "member" in values.dims else values
        units = da.attrs.get("units")
        factor = variable_unit(str(name), units).en_factor
        columns[csv_header(str(name), units)] = values.to_series() * factor
    frame = pd.DataFrame(columns)
    frame.index.name = "time"
    return frame
