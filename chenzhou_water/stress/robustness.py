"""Robustness of policies across the same futures: satisficing, regret and percentiles.

Pure functions of a ``(policy, future)`` table per outcome (plain arrays in, pandas tables out),
so a test can check them against values worked out by hand.

- **Satisficing**: the share of futures in which a policy meets every threshold (Starr's
  domain criterion, as in the EMA Workbench and Rhodium).
- **Regret** of a policy in a future, per outcome: how far it is from the best policy in that
  future (Savage's minimax regret), in the outcome's units, never negative; reported as its
  maximum and 90th percentile over the futures.
- **Percentiles**: the 10th, 50th and 90th percentile of each outcome over the futures.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from chenzhou_water._typing import BoolArray, FloatArray

__all__ = ["regret", "robustness_table", "satisficing"]

PERCENTILES = (10, 50, 90)


def regret(values: FloatArray, direction: str) -> FloatArray:
    """Each policy's regret in each future against the best policy of that future.

    Parameters
    ----------
    values : ndarray, shape (policy, future)
        One outcome.
    direction : str
        ``max`` (more is better) or ``min``.

    Returns
    -------
    ndarray, shape (policy, future)
        ``best - value`` (``max``) or ``value - best`` (``min``): zero for the best policy.
    """
    values = np.asarray(values, dtype=np.float64)
    if direction == "max":
        return values.max(axis=0, keepdims=True) - values
    return values - values.min(axis=0, keepdims=True)


def satisficing(meets: BoolArray) -> FloatArray:
    """Share of futures in which each policy meets every threshold.

    Parameters
    ----------
    meets : ndarray of bool, shape (outcome, policy, future)
        Whether each outcome meets its threshold (True where it has none).

    Returns
    -------
    ndarray, shape (policy,)
    """
    return np.asarray(meets, dtype=bool).all(axis=0).mean(axis=1)


def robustness_table(
    policies: Sequence[str],
    outcomes: Sequence[str],
    values: FloatArray,
    directions: Sequence[str],
    meets: BoolArray,
) -> pd.DataFrame:
    """The ranking table: one row per policy, best satisficing score first.

    Parameters
    ----------
    policies, outcomes : sequence of str
        Names, in the order of ``values``' first two axes.
    values : ndarray, shape (outcome, policy, future)
    directions : sequence of str
        ``max`` or ``min`` per outcome.
    meets : ndarray of bool, shape (outcome, policy, future)

    Returns
    -------
    DataFrame
        Index ``policy``; columns ``rank``, ``satisficing``, then per outcome ``<o>_meets``
        (share of futures meeting that outcome's threshold), ``<o>_max_regret``,
        ``<o>_p90_regret`` and ``<o>_p10``, ``<o>_p50``, ``<o>_p90``. Ranked by satisficing,
        ties broken by the smaller sum of maximum regrets scaled by each outcome's range.
    """
    values = np.asarray(values, dtype=np.float64)
    columns: dict[str, FloatArray] = {"satisficing": satisficing(meets)}
    scaled = np.zeros(len(policies))
    for k, (name, direction) in enumerate(zip(outcomes, directions, strict=True)):
        r = regret(values[k], direction)
        columns[f"{name}_meets"] = np.asarray(meets[k], dtype=bool).mean(axis=1)
        columns[f"{name}_max_regret"] = r.max(axis=1)
        columns[f"{name}_p90_regret"] = np.percentile(r, 90, axis=1)
        for q in PERCENTILES:
            columns[f"{name}_p{q}"] = np.percentile(values[k], q, axis=1)
        spread = float(np.ptp(values[k]))
        scaled += r.max(axis=1) / spread if spread > 0 else 0.0
    table = pd.DataFrame(columns, index=pd.Index(list(policies), name="policy"))
    order = np.lexsort((scaled, -table["satisficing"].to_numpy()))
    table = table.iloc[order]
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table
