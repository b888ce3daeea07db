"""Are the confidence intervals narrow enough for the ranking to hold?

For each output (and year), the parameters are ranked by the method's ranking index
(``mu_star``, ``ST``, ...). The ranking *holds* when each of the first ``top`` parameters is
separated from the next one: their intervals ``index ± conf`` do not overlap. Two indices
closer than ``tolerance`` times the larger are *tied*: no sample size worth running would order
them, and their order does not matter at that tolerance, so they need not be separated. The
indices are *precise* when each of the first ``top`` has ``conf <= tolerance * index``.
Parameters whose index is below ``negligible`` times the largest are not ranked among
themselves (their order is noise and does not matter).

When either fails, the sample size that would likely pass follows from the intervals' width
shrinking like ``1 / sqrt(size)`` (bootstrap intervals of means of independent terms): two
indices ``d`` apart with half-widths ``c_a + c_b`` separate at ``size * ((c_a + c_b) / d)^2``;
a half-width ``c`` reaches ``tolerance * index`` at ``size * (c / (tolerance * index))^2``.
``size`` is the method's size option (Morris trajectories, Sobol' ``N``, ...), rounded up to a
valid value. Only an estimate: the indices themselves move as the sample grows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from chenzhou_water.sensitivity.methods import Method
from chenzhou_water.sensitivity.spec import ConvergenceRule

__all__ = ["ConvergenceCheck", "ConvergenceReport", "check_convergence"]


@dataclass(frozen=True)
class ConvergenceCheck:
    """The verdict for one output (and year).

    Attributes
    ----------
    output : str
        The output's name.
    year : int or None
        The year of a yearly output.
    ranking_holds, precise : bool
        See the module's description.
    overlapping : tuple of (str, str)
        Adjacent pairs among the leading parameters whose intervals overlap.
    imprecise : tuple of str
        Leading parameters whose interval is wider than the tolerance allows.
    needed_size : float
        Sample size (method's size option) that would likely pass; the current size if it
        passes, ``nan`` if it cannot be judged.
    note : str
        Why it cannot be judged (no intervals, output does not vary), or "".
    """

    output: str
    year: int | None
    ranking_holds: bool
    precise: bool
    overlapping: tuple[tuple[str, str], ...] = ()
    imprecise: tuple[str, ...] = ()
    needed_size: float = math.nan
    note: str = ""

    @property
    def converged(self) -> bool:
        """The ranking holds and the intervals are narrow enough."""
        return self.ranking_holds and self.precise and not self.note

    @property
    def label(self) -> str:
        return self.output if self.year is None else f"{self.output} {self.year}"


@dataclass(frozen=True)
class ConvergenceReport:
    """The verdicts of every output.

    Attributes
    ----------
    checks : tuple of ConvergenceCheck
    index : str
        The index that ranks (``mu_star``, ``ST``, ...).
    size_option : str
        The method's size option (``trajectories``, ``N``).
    size : int
        Its current value.
    rule : ConvergenceRule
    recommended_size : int or None
        The size that would likely make every judged output pass; None if all pass or none
        can be estimated.
    """

    checks: tuple[ConvergenceCheck, ...]
    index: str
    size_option: str
    size: int
    rule: ConvergenceRule
    recommended_size: int | None

    @property
    def converged(self) -> bool:
        """Every output that can be judged passes."""
        return all(c.converged for c in self.checks if not c.note)

    def text(self) -> str:
        """The report as plain text (``DIR/convergence.txt`` and the terminal)."""
        rule = self.rule
        lines = [f"Convergence of the ranking by {self.index} ({self.size_option} = {self.size}; "
                 f"top {rule.top}, interval half-width <= {rule.tolerance:.0%} of the index, "
                 f"indices below {rule.negligible:.0%} of the largest not ranked):"]
        lines += [f"  {c.label}: {_verdict(c, self.size_option)}" for c in self.checks]
        if self.converged:
            lines.append("Overall: converged: the intervals separate the leading parameters.")
        elif self.recommended_size is not None:
            lines.append(f"Overall: not converged. {self.size_option} = {self.recommended_size} "
                         "would likely separate them (interval width ~ 1/sqrt(sample size)).")
        else:
            lines.append("Overall: not converged.")
        return "\n".join(lines)


def _verdict(check: ConvergenceCheck, size_option: str) -> str:
    if check.note:
        return f"not judged: {check.note}"
    if check.converged:
        return "converged"
    parts = []
    if check.overlapping:
        parts.append(f"intervals overlap ({_some(f'{a} / {b}' for a, b in check.overlapping)})")
    if check.imprecise:
        parts.append(f"intervals too wide ({_some(check.imprecise)})")
    return "; ".join(parts) + f"; needs {size_option} ~ {math.ceil(check.needed_size)}"


def _some(items: Iterable[str], shown: int = 3) -> str:
    items = list(items)
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


def check_one(index: np.ndarray, conf: np.ndarray | None, names: Sequence[str],
              rule: ConvergenceRule, size: int) -> tuple[bool, bool, list, list, float, str]:
    """The verdict on one ranking: ``(holds, precise, overlapping, imprecise, needed, note)``."""
    if conf is None:
        return False, False, [], [], math.nan, "the method gives no confidence intervals"
    if not np.all(np.isfinite(index)) or not np.all(np.isfinite(conf)):
        return False, False, [], [], math.nan, "the output does not vary (no indices)"
    order = np.argsort(-index, kind="stable")
    floor = rule.negligible * max(float(index[order[0]]), 0.0)
    factors, overlapping, imprecise = [1.0], [], []
    for rank in range(min(rule.top, len(order))):
        a = order[rank]
        if index[a] <= floor:
            break
        if conf[a] > rule.tolerance * index[a]:
            imprecise.append(names[a])
            factors.append((conf[a] / (rule.tolerance * index[a])) ** 2)
        if rank + 1 < len(order):
            b = order[rank + 1]
            gap, width = index[a] - index[b], conf[a] + conf[b]
            if gap <= width and gap >= rule.tolerance * index[a]:
                overlapping.append((names[a], names[b]))
                factors.append((width / gap) ** 2)
    needed = size * max(factors)
    return not overlapping, not imprecise, overlapping, imprecise, needed, ""


def check_convergence(
    datasets: Sequence[xr.Dataset | None], method: Method, rule: ConvergenceRule, size: int
) -> ConvergenceReport:
    """Judge every output of the index Datasets (scalar and yearly).

    Parameters
    ----------
    datasets : sequence of xarray.Dataset or None
        From :func:`~chenzhou_water.sensitivity.analysis.indices_dataset`.
    method : Method
        The method (its ranking index, size option and size rounding).
    rule : ConvergenceRule
        From the SA file.
    size : int
        The current value of the method's size option.
    """
    index = method.rank_by
    checks = []
    for ds in datasets:
        if ds is None:
            continue
        for label, sub in _rankings(ds):
            conf = sub[f"{index}_conf"].values if f"{index}_conf" in ds else None
            note = str(sub["note"].values) if "note" in sub.coords else ""
            if note:
                checks.append(ConvergenceCheck(label[0], label[1], False, False, note=note))
                continue
            verdict = check_one(sub[index].values, conf, list(ds["parameter"].values), rule,
                                size)
            holds, precise, overlapping, imprecise, needed, note = verdict
            checks.append(ConvergenceCheck(label[0], label[1], holds, precise,
                                           tuple(overlapping), tuple(imprecise), needed, note))
    finite = [c.needed_size for c in checks if not c.note and math.isfinite(c.needed_size)]
    failing = [c for c in checks if not c.note and not c.converged]
    recommended = None
    if failing and finite and max(finite) > size:
        recommended = method.round_size(max(finite))
    return ConvergenceReport(tuple(checks), index, method.size_option, size, rule, recommended)


def _rankings(ds: xr.Dataset) -> list[tuple[tuple[str, int | None], xr.Dataset]]:
    """Each output's (and year's) slice of the Dataset; years not asked are skipped."""
    out = []
    for output in ds["output"].values:
        sub = ds.sel(output=output)
        if "year" not in ds.dims:
            out.append(((str(output), None), sub))
            continue
        for year in ds["year"].values:
            one = sub.sel(year=year)
            if str(one["note"].values) != "year not asked":
                out.append(((str(output), int(year)), one))
    return out
