"""Parameter uncertainty carried into a scenario: the scenario run over posterior draws.

``chenzhou-water calibrate`` writes ``posterior.csv`` (one row per posterior draw, one column
per free parameter, in the parameters' own units). :func:`run_posterior` picks ``draws`` of
those rows (evenly spaced through the thinned, pooled sample; every row when ``draws`` is at
least their number), runs the scenario once on the ensemble engine with one member per draw
(the draw's values override the scenario's), and :func:`quantile_table` gives each headline
indicator's 5 %, 50 % and 95 % quantiles by year. The run's plots and the report draw such a
multi-member result as fan charts (median and 5-95 % band).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from chenzhou_water.errors import Problem, ValidationError
from chenzhou_water.model.contract import HEADLINE_INDICATORS
from chenzhou_water.scenario.spec import Scenario

if TYPE_CHECKING:
    from chenzhou_water.scenario.run import RunOutputs

POSTERIOR_FILE = "posterior.csv"
#: Quantiles written by :func:`quantile_table`.
QUANTILES = (0.05, 0.5, 0.95)


def write_posterior_csv(draws: pd.DataFrame, path: Path) -> Path:
    """``posterior.csv``: the posterior draws (rows) of every free parameter (columns)."""
    from chenzhou_water.files import write_csv

    return write_csv(draws, path)


def read_posterior(folder: str | Path, model_constants: set[str]) -> pd.DataFrame:
    """The posterior draws of a calibration folder; a located error when they cannot be used."""
    path = Path(folder) / POSTERIOR_FILE
    shown = path.as_posix()
    if not path.is_file():
        raise ValidationError([Problem(shown, "", f"no {POSTERIOR_FILE}: give a folder written "
                                       f"by 'chenzhou-water calibrate'")])
    try:
        draws = pd.read_csv(path, encoding="utf-8-sig", index_col=0)
    except (ValueError, pd.errors.ParserError) as exc:
        raise ValidationError([Problem(shown, "", f"cannot read the draws: {exc}")]) from exc
    problems = [Problem(shown, f"column {name!r}", "not a constant of the scenario's model", 1)
                for name in draws.columns if name not in model_constants]
    numeric = draws.apply(pd.to_numeric, errors="coerce")
    for name in draws.columns:
        bad = numeric[name].isna() | ~np.isfinite(numeric[name])
        if bad.any():
            row = int(np.argmax(bad.to_numpy()))
            problems.append(Problem(shown, f"column {name!r}", f"{draws[name].iloc[row]!r} is "
                                    f"not a finite number", row + 2))
    if draws.empty:
        problems.append(Problem(shown, "", "no draws"))
    if problems:
        raise ValidationError(problems)
    return numeric


def pick_draws(draws: pd.DataFrame, n: int) -> pd.DataFrame:
    """``n`` rows evenly spaced through the draws (all of them when ``n >= len(draws)``)."""
    if n >= len(draws):
        return draws
    return draws.iloc[np.linspace(0, len(draws) - 1, n).round().astype(int)]


def run_posterior(scenario: Scenario, folder: str | Path, draws: int = 200) -> xr.Dataset:
    """Run ``scenario`` with one ensemble member per posterior draw of ``folder``.

    The Dataset's attributes record the calibration folder's name and the number of draws.
    """
    from chenzhou_water.model.metadata import model_info
    from chenzhou_water.scenario.run import run_scenario

    info = model_info(scenario.model_path)
    constants = set(info.names("constant"))
    picked = pick_draws(read_posterior(folder, constants), draws)
    params = {name: picked[name].to_numpy(dtype=float) for name in picked.columns}
    ds = run_scenario(scenario, members=len(picked), params=params)
    ds.attrs["posterior_calibration"] = Path(folder).name
    ds.attrs["posterior_draws"] = len(picked)
    return ds


def run_posterior_file(path: str | Path, folder: str | Path, out_dir: str | Path, *,
                       draws: int = 200, plots: bool = True,
                       overwrite: bool = True) -> tuple[RunOutputs, Path]:
    """The ``run --posterior`` command: load the scenario, run it over the posterior draws of
    ``folder``, write the run's files (fan-chart plots) and ``<name>_quantiles.csv``.

    Raises
    ------
    ValidationError
        If the scenario or the posterior draws have problems; nothing is written.
    """
    from chenzhou_water.files import refuse_existing
    from chenzhou_water.scenario.run import run_files, write_run_outputs
    from chenzhou_water.scenario.spec import load_scenario

    scenario = load_scenario(path)
    quantiles_csv = Path(out_dir) / f"{scenario.name}_quantiles.csv"
    refuse_existing([*run_files(out_dir, scenario.name), quantiles_csv], overwrite)
    ds = run_posterior(scenario, folder, draws)
    outputs = write_run_outputs(ds, scenario.name, out_dir, plots=plots,
                                tables={quantiles_csv.name: quantile_table(ds)})
    return outputs, quantiles_csv


def quantile_table(ds: xr.Dataset, quantiles: tuple[float, ...] = QUANTILES) -> pd.DataFrame:
    """Each headline indicator's quantiles over the members, by year.

    Index ``year``; columns ``<indicator key> q05``, ``q50``, ``q95`` (for the default
    quantiles).
    """
    columns = {}
    for ind in HEADLINE_INDICATORS:
        if ind.variable not in ds:
            continue
        da = ds[ind.variable]
        per_member = getattr(da.groupby(da["time"].dt.year), ind.reduce)() * ind.scale
        values = per_member.quantile(list(quantiles), dim="member")
        for q in quantiles:
            columns[f"{ind.key} q{round(q * 100):02d}"] = values.sel(quantile=q).to_series()
    frame = pd.DataFrame(columns)
    frame.index.name = "year"
    return frame
