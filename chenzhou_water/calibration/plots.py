"""Plots of a calibration. Each takes a table and an optional ``Axes`` and returns the ``Axes``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def _axes(ax: Any) -> Any:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(layout="constrained")
    return ax


def plot_fit(fit: pd.DataFrame, ax: Any = None) -> Any:
    """Each target's error in tolerances (``z``), hard targets dark, soft ones light.

    The band from -1 to 1 is "within tolerance"; bars are clipped at ±5 (the value is written
    where a bar is clipped).
    """
    ax = _axes(ax)
    z = fit["z"].to_numpy(dtype=float)
    shown = np.clip(z, -5, 5)
    y = np.arange(len(fit))[::-1]
    colours = ["#1f4e79" if h == "hard" else "#9dc3e6" for h in fit["hard/soft"]]
    ax.axvspan(-1, 1, color="#e2f0d9", zorder=0, label="within tolerance")
    ax.barh(y, shown, color=colours, zorder=2)
    for yi, zi, si in zip(y, z, shown, strict=True):
        if zi != si:
            ax.text(si, yi, f" {zi:+.1f} ", va="center", ha="right" if si < 0 else "left",
                    fontsize=7)
    ax.set_yticks(y, list(fit.index), fontsize=8)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlim(-6, 6)
    ax.set_xlabel("simulated - reported, in tolerances (dark: hard, light: soft)")
    ax.set_title("Calibration: fit to the reported figures")
    return ax


def plot_uncertainty(uncertainty: pd.DataFrame, ax: Any = None) -> Any:
    """Prior (grey) and posterior 95 % interval (blue) of each parameter, within its bounds.

    The axis is each parameter's bounds mapped to [0, 1]; the dot is the fitted value.
    Parameters the targets do not constrain are labelled "(unconstrained)".
    """
    ax = _axes(ax)
    span = (uncertainty["upper"] - uncertainty["lower"]).to_numpy(dtype=float)
    lo = uncertainty["lower"].to_numpy(dtype=float)

    def scaled(col: str) -> np.ndarray:
        return (uncertainty[col].to_numpy(dtype=float) - lo) / span

    y = np.arange(len(uncertainty))[::-1]
    prior_lo = np.clip(scaled("prior_mean") - 2 * uncertainty["prior_sd"].to_numpy() / span, 0, 1)
    prior_hi = np.clip(scaled("prior_mean") + 2 * uncertainty["prior_sd"].to_numpy() / span, 0, 1)
    ax.hlines(y, prior_lo, prior_hi, color="#bfbfbf", lw=8, label="prior, mean ± 2 sd")
    ax.hlines(y, scaled("q2.5"), scaled("q97.5"), color="#2e75b6", lw=3,
              label="posterior 95 %")
    ax.plot(scaled("fitted"), y, "o", color="black", ms=4, label="fitted")
    labels = [f"{n}{'' if c else ' (unconstrained)'}"
              for n, c in zip(uncertainty.index, uncertainty["constrained"], strict=True)]
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel("position within the calibration bounds")
    ax.set_title("Parameter uncertainty")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=3, fontsize=7)
    return ax
