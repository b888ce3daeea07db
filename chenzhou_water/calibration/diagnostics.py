"""Convergence of the posterior sampler, through ArviZ: R-hat, bulk and tail ESS, a verdict.

The chains are the sampler's independent ensembles (see :mod:`.uncertainty`). The verdict
follows Vehtari et al. (2021, "Rank-normalization, folding, and localization"): the sample is
called converged when every free parameter has rank-normalised split R-hat below
:data:`RHAT_MAX` and bulk and tail effective sample sizes of at least :data:`ESS_MIN`.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from chenzhou_water.calibration.uncertainty import PosteriorSample

#: Largest acceptable rank-normalised split R-hat.
RHAT_MAX = 1.01
#: Smallest acceptable bulk and tail effective sample size (100 per chain for 4 chains).
ESS_MIN = 400


def arviz() -> Any:
    """ArviZ, imported without its announcement of a coming refactor (a FutureWarning)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module="arviz")
        import arviz

    return arviz


def inference_data(posterior: PosteriorSample) -> Any:
    """The draws as an ``arviz.InferenceData`` (dims ``chain``, ``draw``)."""
    az = arviz()
    return az.from_dict(posterior={name: posterior.draws[:, :, i]
                                   for i, name in enumerate(posterior.names)})


@dataclass(frozen=True)
class Convergence:
    """Per-parameter diagnostics and the verdict.

    Attributes
    ----------
    table : DataFrame
        Index ``parameter``; columns ``r_hat, ess_bulk, ess_tail, mcse_mean,
        autocorrelation_time, converged``.
    converged : bool
        Every parameter passes (:data:`RHAT_MAX`, :data:`ESS_MIN`).
    verdict : str
        One line: converged or not, why, and what to do.
    """

    table: pd.DataFrame
    converged: bool
    verdict: str


def convergence(posterior: PosteriorSample) -> Convergence:
    """R-hat, bulk/tail ESS and MCSE of every parameter, and the verdict line."""
    az = arviz()
    idata = inference_data(posterior)
    summary = az.summary(idata, kind="diagnostics", round_to="none")
    table = pd.DataFrame({
        "r_hat": summary["r_hat"], "ess_bulk": summary["ess_bulk"],
        "ess_tail": summary["ess_tail"], "mcse_mean": summary["mcse_mean"],
        "autocorrelation_time": posterior.autocorrelation_time,
    }, index=pd.Index(posterior.names, name="parameter"))
    ok = ((table["r_hat"] < RHAT_MAX) & (table["ess_bulk"] >= ESS_MIN)
          & (table["ess_tail"] >= ESS_MIN))
    table["converged"] = ok.to_numpy()
    return Convergence(table, bool(ok.all()), _verdict(table, posterior))


def _verdict(table: pd.DataFrame, posterior: PosteriorSample) -> str:
    worst_rhat = table["r_hat"].idxmax()
    worst_ess = table[["ess_bulk", "ess_tail"]].min(axis=1).idxmin()
    figures = (f"max R-hat {table['r_hat'].max():.4f} ({worst_rhat}), min ESS "
               f"{table[['ess_bulk', 'ess_tail']].min().min():.0f} ({worst_ess}); "
               f"{posterior.chains} independent ensembles x {posterior.walkers} walkers, "
               f"{posterior.steps} steps ({posterior.burn_in} burn-in), thinned by "
               f"{posterior.thin}; longest autocorrelation time "
               f"{np.nanmax(posterior.autocorrelation_time):.0f} steps")
    if table["converged"].all():
        return (f"converged: every parameter has R-hat < {RHAT_MAX} and bulk and tail ESS >= "
                f"{ESS_MIN} ({figures})")
    failing = ", ".join(table.index[~table["converged"]])
    return (f"NOT converged: {failing} fail R-hat < {RHAT_MAX} or ESS >= {ESS_MIN} ({figures}); "
            f"the intervals are not yet trustworthy: rerun with more --steps (about "
            f"{_steps_needed(table, posterior)}) and look at trace.png and rank.png")


def _steps_needed(table: pd.DataFrame, posterior: PosteriorSample) -> int:
    """A rough step count for the worst ESS to reach :data:`ESS_MIN` (ESS grows with steps)."""
    kept = posterior.steps - posterior.burn_in
    worst = max(float(table[["ess_bulk", "ess_tail"]].min().min()), 1.0)
    factor = max(ESS_MIN / worst, 2.0)
    return int(np.ceil((posterior.burn_in + kept * factor) / 100) * 100)


@contextlib.contextmanager
def _quiet_arviz() -> Iterator[None]:
    """ArviZ 0.2x's plots warn about Matplotlib APIs it uses and about large grids; neither
    says anything about the calibration."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module="arviz")
        warnings.filterwarnings("ignore", category=UserWarning, message=".*variables.*")
        yield


def plot_trace(posterior: PosteriorSample) -> Any:
    """ArviZ's trace plot (density and trace per chain); returns the Figure."""
    with _quiet_arviz():
        axes = arviz().plot_trace(inference_data(posterior), compact=False,
                                  backend_kwargs={"layout": "constrained"})
    return np.ravel(axes)[0].figure


def plot_rank(posterior: PosteriorSample) -> Any:
    """ArviZ's rank plot (uniform ranks per chain when they mix); returns the Figure."""
    with _quiet_arviz():
        axes = arviz().plot_rank(inference_data(posterior), kind="vlines",
                                 backend_kwargs={"layout": "constrained"})
    return np.ravel(axes)[0].figure


def plot_pair(posterior: PosteriorSample, names: list[str] | None = None) -> Any:
    """ArviZ's pair plot (scatter of every pair, marginals on the diagonal); returns the Figure.

    ``names`` picks parameters (default: all).
    """
    az = arviz()
    with _quiet_arviz():
        axes = az.plot_pair(inference_data(posterior), var_names=names, kind="scatter",
                            marginals=True, scatter_kwargs={"alpha": 0.1, "s": 1},
                            textsize=8)
    return np.ravel(axes)[0].figure
