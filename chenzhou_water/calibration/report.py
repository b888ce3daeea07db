"""The calibration's tables and text: reported against simulated, conflicts, the report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from chenzhou_water.calibration.series import SERIES_STATISTICS, statistics
from chenzhou_water.calibration.targets import Target, TargetSet

if TYPE_CHECKING:
    from chenzhou_water.calibration.fit import CalibrationResult
    from chenzhou_water.calibration.objective import Evaluation


def fit_table(targets: TargetSet, evaluation: Evaluation, member: int = 0) -> pd.DataFrame:
    """One row per target (index ``target``): reported against simulated for one member.

    Columns: ``source, period, reduce, unit, reported, simulated, error, tolerance,
    within tolerance, hard/soft, weight, z, contribution, conflict, note`` and, filled for
    time-series targets only, ``n_obs, NSE, KGE, PBIAS, RMSE`` (:mod:`.series`). ``error`` is
    simulated minus reported (for a bound, the violation; 0 inside), in the target's unit;
    ``z`` is error over tolerance.
    """
    rows = []
    for i, target in enumerate(targets):
        z = float(evaluation.z[i, member])
        rows.append({
            "target": target.name, "source": target.source, "period": target.period.label,
            "reduce": target.reduce, "unit": target.unit, "reported": target.reported,
            "simulated": float(evaluation.simulated[i, member]),
            "error": float(evaluation.error[i, member]), "tolerance": target.tolerance,
            "within tolerance": bool(abs(z) <= 1.0),
            "hard/soft": "hard" if target.hard else "soft", "weight": target.weight, "z": z,
            "contribution": float(evaluation.contribution[i, member]),
            "conflict": target.conflict, "note": target.note,
            **_series_statistics(target, evaluation, member),
        })
    return pd.DataFrame(rows).set_index("target")


def _series_statistics(target: Target, evaluation: Evaluation, member: int) -> dict[str, float]:
    """NSE, KGE, PBIAS, RMSE of a time-series target; NaN for the others."""
    if target.observations is None:
        return dict.fromkeys(SERIES_STATISTICS, float("nan"))
    return statistics(evaluation.series[target.name][member], target.observations.values)


@dataclass(frozen=True)
class Conflict:
    """A group of targets known to disagree, and how the fit settled it.

    Attributes
    ----------
    group : str
        The ``conflict`` name shared by the targets.
    targets : tuple of str
        The targets of the group.
    z : tuple of float
        Their errors in tolerances at the fit.
    followed : str
        The target the fit followed (the smallest |z|).
    all_met : bool
        True when every target of the group ended within tolerance (no conflict in fact).
    text : str
        One paragraph for the report.
    """

    group: str
    targets: tuple[str, ...]
    z: tuple[float, ...]
    followed: str
    all_met: bool
    text: str


def conflicts(targets: TargetSet, table: pd.DataFrame) -> tuple[Conflict, ...]:
    """The conflict groups of ``targets`` as settled in the fit ``table``."""
    groups: dict[str, list[str]] = {}
    for target in targets:
        if target.conflict:
            groups.setdefault(target.conflict, []).append(target.name)
    return tuple(_conflict(group, names, table) for group, names in groups.items())


def _conflict(group: str, names: list[str], table: pd.DataFrame) -> Conflict:
    rows = table.loc[names]
    z = tuple(float(v) for v in rows["z"])
    followed = names[int(np.argmin(np.abs(z)))]
    all_met = bool(rows["within tolerance"].all())
    parts = [f"{name} (reported {row['reported']} {row['unit']}, simulated "
             f"{row['simulated']:.4g}, {abs(row['z']):.2f} tolerances off, weight "
             f"{row['weight']:g}, {row['hard/soft']})" for name, row in rows.iterrows()]
    if all_met:
        verdict = "all within tolerance: no conflict at these tolerances"
    else:
        missed = [n for n, ok in zip(names, rows["within tolerance"], strict=True) if not ok]
        verdict = (f"not all can be met; the weights and tolerances settled it in favour of "
                   f"{followed}, and {', '.join(missed)} "
                   f"{'is' if len(missed) == 1 else 'are'} missed")
    text = f"conflict '{group}': " + " vs ".join(parts) + f": {verdict}."
    return Conflict(group, tuple(names), z, followed, all_met, text)


def format_report(result: CalibrationResult) -> list[str]:
    """The report's lines: targets, optimiser, sampler verdict, parameters, conflicts, warnings.

    The first line says whether the hard targets are met; the optimiser's line says whether
    differential evolution and the polish converged (never "success" when a limit was hit).
    """
    from chenzhou_water.calibration.identifiability import RULE, joint_lines

    table = result.fit
    hard = table[table["hard/soft"] == "hard"]
    soft = table[table["hard/soft"] == "soft"]
    lines = [
        f"{'targets met' if result.success else 'FAILED'}: {result.message}",
        f"optimiser: {result.optimiser.text}" if result.optimiser is not None else "",
        f"objective {result.objective:.6g} (misfit {result.misfit:.6g}); {result.nfev} "
        f"parameter vectors evaluated; seed {result.seed}",
        f"hard targets within tolerance: {int(hard['within tolerance'].sum())}/{len(hard)}; "
        f"soft: {int(soft['within tolerance'].sum())}/{len(soft)}",
    ]
    if result.convergence is not None:
        lines.append(f"posterior sampler: {result.convergence.verdict}")
    for name, row in table[~table["within tolerance"]].iterrows():
        lines.append(f"missed ({row['hard/soft']}): {name}: reported {row['reported']} "
                     f"{row['unit']}, simulated {row['simulated']:.4g} ({row['z']:+.2f} tol)")
    lines += [c.text for c in result.conflicts]
    if result.uncertainty is not None:
        for name, row in result.uncertainty[~result.uncertainty["map_in_interval"]].iterrows():
            lines.append(f"note: {name}: {row['map_note']}")
        lines.append(f"identifiability rule: {RULE}")
        lines += [f"joint: {line}" for line in joint_lines(result.uncertainty)]
    lines += [f"warning: {w}" for w in result.warnings]
    return [line for line in lines if line]


def parameter_table(result: CalibrationResult) -> pd.DataFrame:
    """MAP values with their 95 % highest-density interval and median (when sampled)."""
    frame = pd.DataFrame({"MAP": result.x}, index=pd.Index(result.names, name="parameter"))
    if result.uncertainty is not None:
        frame = frame.join(result.uncertainty[["hdi_low", "q50", "hdi_high", "constrained"]]
                           .rename(columns={"hdi_low": "95 % HDI low", "q50": "median",
                                            "hdi_high": "95 % HDI high"}))
    if result.convergence is not None:
        frame = frame.join(result.convergence.table[["r_hat", "ess_bulk", "ess_tail"]])
    return frame
