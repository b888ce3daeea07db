"""Scenario discovery: where does a policy fail? PRIM boxes and feature scores.

Uses the EMA Workbench's implementations (``ema_workbench.analysis.prim`` and
``feature_scoring``) rather than our own: PRIM's peeling and pasting, its coverage-density
trajectory and the quasi-p-values of each restricted dimension (a one-sided binomial test of
whether the restriction raises the density, Bryant and Lempert 2010) are theirs, as are the
extra-trees feature scores.

The box chosen from the peeling trajectory is the one with the highest coverage among those
whose density reaches ``density_target``; if none does, the densest that still covers half the
failures. Its restrictions whose quasi-p-values are not below 0.05 are then dropped (the
workbench's ``drop_restriction``, which adds the resulting box to the trajectory), again
until every remaining restriction is significant.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from chenzhou_water._typing import BoolArray

__all__ = ["DENSITY_TARGET", "Discovery", "discover", "feature_scores"]

#: Density (share of the futures in the box that fail) the chosen box should reach.
DENSITY_TARGET = 0.8
#: Restrictions of the chosen box whose quasi-p-values are all at least this are dropped.
SIGNIFICANCE = 0.05
#: Where no box reaches the target density, the densest box covering this share of failures.
MIN_COVERAGE = 0.5


def _workbench() -> tuple[Any, Any]:
    """The workbench's analysis modules (imported late: they take seconds to load)."""
    with warnings.catch_warnings():
        # The workbench warns on import about optional parallel back-ends we do not use.
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import feature_scoring, prim
    return prim, feature_scoring


@dataclass(frozen=True)
class Discovery:
    """The PRIM result for one policy and one failure.

    Attributes
    ----------
    failures : int
        Futures in which the policy fails (of ``futures``).
    futures : int
    trajectory : DataFrame
        The peeling trajectory: ``coverage``, ``density``, ``mass``, ``res_dim`` per box.
    chosen : int or None
        Index of the chosen box in ``trajectory`` (None: the policy never or always fails).
    limits : DataFrame
        The chosen box's restricted dimensions: ``low``, ``high`` (in the uncertainties' own
        units), ``qp_low``, ``qp_high`` (quasi-p-values of the lower and upper restriction;
        NaN where that side is not restricted).
    """

    failures: int
    futures: int
    trajectory: pd.DataFrame
    chosen: int | None
    limits: pd.DataFrame

    @property
    def coverage(self) -> float:
        return float(self.trajectory["coverage"].iloc[self.chosen]) if self.chosen is not None \
            else float("nan")

    @property
    def density(self) -> float:
        return float(self.trajectory["density"].iloc[self.chosen]) if self.chosen is not None \
            else float("nan")


def discover(
    x: pd.DataFrame, fails: BoolArray, density_target: float = DENSITY_TARGET
) -> Discovery:
    """PRIM on ``x`` (futures x uncertainties) for the futures where ``fails`` is True."""
    fails = np.asarray(fails, dtype=bool)
    empty = pd.DataFrame(columns=["low", "high", "qp_low", "qp_high"],
                         index=pd.Index([], name="uncertainty"))
    n = int(fails.sum())
    if n == 0 or n == len(fails):
        return Discovery(n, len(fails), pd.DataFrame(), None, empty)
    prim, _ = _workbench()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the workbench's own logging of each peel
        # The threshold at the base rate keeps the peeling trajectory where no box reaches the
        # target density (the workbench would return the unrestricted box); we choose below.
        box = prim.Prim(x, fails, threshold=float(fails.mean())).find_box()
    peeled = box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]]
    reached = peeled.index[peeled["density"] >= density_target]
    broad = peeled.index[peeled["coverage"] >= MIN_COVERAGE]
    chosen = int(peeled.loc[reached, "coverage"].idxmax()) if len(reached) \
        else int(peeled.loc[broad, "density"].idxmax())
    limits = _limits(box, chosen)
    # Dropping a restriction changes the others' quasi-p-values (the box grows), so drop until
    # every remaining restriction is significant; each drop adds the box without that
    # restriction to the end of the trajectory.
    while len(weak := limits.index[limits[["qp_low", "qp_high"]].min(axis=1) >= SIGNIFICANCE]):
        for name in weak:
            box.drop_restriction(name, i=chosen)
            chosen = len(box.peeling_trajectory) - 1
        limits = _limits(box, chosen)
    trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]]
    return Discovery(n, len(fails), trajectory.reset_index(drop=True), chosen, limits)


def _limits(box: Any, i: int) -> pd.DataFrame:
    """Box ``i``'s restricted dimensions with their quasi-p-values."""
    _, limits = box.inspect(i, style="data")[0]
    limits.columns = ["low", "high", "qp_low", "qp_high"]
    limits.index.name = "uncertainty"
    return limits.astype(float)


def feature_scores(x: pd.DataFrame, fails: BoolArray, seed: int) -> pd.Series:
    """Extra-trees feature scores of the uncertainties for ``fails`` (sum to 1)."""
    fails = np.asarray(fails, dtype=bool)
    if fails.all() or not fails.any():
        return pd.Series(np.nan, index=x.columns)
    _, scoring = _workbench()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores, _ = scoring.get_ex_feature_scores(x, fails, random_state=seed % 2**32)
    return scores.iloc[:, 0].reindex(x.columns)
