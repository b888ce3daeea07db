"""What the targets tell about each parameter: posterior against prior, and one rule for
"not constrained by the targets".

**The rule** (:func:`constrained`; the CLI, the notebook and the report all use it): a
parameter is *not constrained by the targets* when its posterior standard deviation is more
than :data:`UNCONSTRAINED_SD_RATIO` of its prior's (both within the bounds) **and** its
posterior mean moved less than :data:`UNCONSTRAINED_SHIFT` prior standard deviations. Its
value then comes from its prior, not from the reported figures. A parameter that passes the
rule only jointly with another (posterior correlation beyond :data:`STRONG_CORRELATION`) is
named with its partner: the targets fix a combination of the two, not each one.

The reported point estimate is the MAP (the fit's optimum, misfit plus prior); its interval
is the 95 % highest-density interval of the posterior draws, which holds the mode of any
one-peaked posterior; one piled against a bound reaches the bound. Where the MAP still falls
outside, the table says so and why (``map_note``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chenzhou_water._typing import FloatArray
from chenzhou_water.calibration.parameters import ParameterSet
from chenzhou_water.calibration.uncertainty import PosteriorSample

#: Posterior sd / prior sd above which (with a small shift) a parameter is unconstrained.
UNCONSTRAINED_SD_RATIO = 0.8
#: ... and the largest move of the mean, in prior standard deviations.
UNCONSTRAINED_SHIFT = 0.5
#: Posterior correlations beyond this (in absolute value) are reported as joint constraints.
STRONG_CORRELATION = 0.8
#: Probability of the reported interval.
INTERVAL = 0.95

RULE = (f"a parameter is 'not constrained by the targets' when its posterior sd exceeds "
        f"{UNCONSTRAINED_SD_RATIO:g} x its prior sd and its mean moved less than "
        f"{UNCONSTRAINED_SHIFT:g} prior sd: its value then comes from its prior, not from the "
        f"reported figures")


def constrained(sd_ratio: FloatArray, shift: FloatArray) -> FloatArray:
    """The rule, vectorised: True where the targets constrain the parameter."""
    return ~((np.asarray(sd_ratio) > UNCONSTRAINED_SD_RATIO)
             & (np.asarray(shift) < UNCONSTRAINED_SHIFT))


def summarise(parameters: ParameterSet, fitted: FloatArray, posterior: PosteriorSample,
              rng: np.random.Generator, n_prior: int = 20_000) -> pd.DataFrame:
    """One row per parameter: MAP, posterior and prior summaries, constrained or not.

    Columns: ``units, lower, upper, fitted, posterior_mean, posterior_sd, q2.5, q50, q97.5,
    hdi_low, hdi_high, map_in_interval, map_note, prior, prior_mean, prior_sd, sd_ratio,
    shift, constrained, correlated_with``.
    """
    from chenzhou_water.calibration.diagnostics import arviz

    prior = parameters.sample_prior(rng, n_prior)
    draws = posterior.samples
    hdi = arviz().hdi(posterior.draws, hdi_prob=INTERVAL)  # (n_param, 2)
    corr = np.corrcoef(draws) if draws.shape[1] > 1 else np.eye(len(draws))
    rows = []
    for i, p in enumerate(parameters):
        prior_sd = float(prior[i].std())
        sd, mean = float(draws[i].std()), float(draws[i].mean())
        q = np.quantile(draws[i], [0.025, 0.5, 0.975])
        hdi[i] = _closed_to_bound(hdi[i], draws[i], fitted[i], p.lower, p.upper)
        inside = bool(hdi[i, 0] <= fitted[i] <= hdi[i, 1])
        rows.append({
            "parameter": p.name, "units": p.units, "lower": p.lower, "upper": p.upper,
            "fitted": float(fitted[i]), "posterior_mean": mean, "posterior_sd": sd,
            "q2.5": q[0], "q50": q[1], "q97.5": q[2],
            "hdi_low": float(hdi[i, 0]), "hdi_high": float(hdi[i, 1]),
            "map_in_interval": inside, "map_note": "" if inside else _map_note(i, fitted, hdi),
            "prior": p.prior.label(), "prior_mean": float(prior[i].mean()),
            "prior_sd": prior_sd, "sd_ratio": sd / prior_sd,
            "shift": abs(mean - float(prior[i].mean())) / prior_sd,
            "correlated_with": _partners(corr, i, parameters.names),
        })
    table = pd.DataFrame(rows).set_index("parameter")
    table.insert(table.columns.get_loc("correlated_with"), "constrained",
                 constrained(table["sd_ratio"].to_numpy(), table["shift"].to_numpy()))
    return table


def _closed_to_bound(interval: FloatArray, draws: FloatArray, fitted: float, lower: float,
                     upper: float) -> FloatArray:
    """An interval that starts at the lowest draw (ends at the highest) reaches the bound
    when the MAP sits on it: the posterior piles up against the bound, and no finite sample
    draws the bound itself."""
    interval = interval.copy()
    at = 1e-9 * (upper - lower)
    if fitted <= lower + at and interval[0] <= draws.min():
        interval[0] = lower
    if fitted >= upper - at and interval[1] >= draws.max():
        interval[1] = upper
    return interval


def _partners(corr: FloatArray, i: int, names: tuple[str, ...]) -> str:
    pairs = [f"{names[j]} ({corr[i, j]:+.2f})" for j in np.argsort(-np.abs(corr[i]))
             if j != i and abs(corr[i, j]) > STRONG_CORRELATION]
    return ", ".join(pairs)


def _map_note(i: int, fitted: FloatArray, hdi: FloatArray) -> str:
    side = "below" if fitted[i] < hdi[i, 0] else "above"
    return (f"the MAP lies {side} the 95 % highest-density interval: the optimum is a narrow "
            f"peak that holds little posterior mass, or the posterior has several peaks; see "
            f"pair.png")


def unconstrained_lines(summary: pd.DataFrame) -> tuple[str, ...]:
    """One line per parameter the rule flags, with its figures."""
    return tuple(
        f"{name}: the targets do not constrain it (posterior sd {row['sd_ratio']:.2f} of the "
        f"prior's, mean moved {row['shift']:.2f} prior sd); its value comes from its prior, "
        f"not from the reported figures"
        for name, row in summary[~summary["constrained"]].iterrows())


def joint_lines(summary: pd.DataFrame) -> tuple[str, ...]:
    """One line per strongly correlated pair (each pair once)."""
    seen, lines = set(), []
    names = list(summary.index)
    for name, partners in summary["correlated_with"].items():
        for part in filter(None, partners.split(", ")):
            other = part.split(" (")[0]
            pair = tuple(sorted((name, other), key=names.index))
            if pair not in seen:
                seen.add(pair)
                lines.append(f"{pair[0]} and {pair[1]}: posterior correlation "
                             f"{part.split(' (')[1].rstrip(')')}; the targets constrain a "
                             f"combination of the two more than either alone")
    return tuple(lines)
