"""Distributions of the uncertain model constants of a sweep, as maps from the unit interval.

A sampler (:mod:`.samplers`) draws points of the unit hypercube; each uncertain constant turns
its coordinate ``u`` in [0, 1) into a value with its distribution's inverse CDF (``ppf``), so a
Latin hypercube or Sobol design keeps its stratification in every marginal. Normal and
lognormal distributions are truncated to the constant's declared model range (the model says
no other value is meaningful), by inverting the CDF between the range's probabilities.

In a sweep file (``parameters:``)::

    background_leakage_rate: range                        # uniform over the model's [min, max]
    unmetered_loss_rate: {range: [0.08, 0.14]}            # uniform over [low, high]
    public_use_per_capita: {uniform: {low: 35, high: 50}}
    industrial_intensity_decline: {triangular: {low: 0.01, mode: 0.02, high: 0.04}}
    peak_day_factor: {normal: {mean: 1.2, sd: 0.05}}      # truncated to the model's range
    leakage_per_old_main_km: {lognormal: {median: 0.0025, sigma: 0.3}}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from chenzhou_water._typing import FloatArray
from chenzhou_water.model.metadata import Variable
from chenzhou_water.schema.checker import Checker, YamlPath, format_number, format_range, what_is

__all__ = [
    "DISTRIBUTIONS",
    "MODEL_RANGE",
    "Distribution",
    "parse_bounded_distribution",
    "parse_distribution",
    "parse_range",
]

#: Distribution name -> its parameters, in the order they are stored.
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "normal": ("mean", "sd"),
    "lognormal": ("median", "sigma"),
    "range": ("low", "high"),
}

#: How messages name the limits of an uncertain constant.
MODEL_RANGE = "the model's range"

# Keeps the inverse CDF of an unbounded side finite when a sampler returns exactly 0.
_U_EDGE = 2.0**-53


@dataclass(frozen=True)
class Distribution:
    """The distribution of one uncertain constant.

    Attributes
    ----------
    kind : str
        ``uniform``, ``triangular``, ``normal`` or ``lognormal`` (``range`` is stored as
        ``uniform``).
    params : tuple of float
        The parameters named in :data:`DISTRIBUTIONS`, in the constant's units (``sigma`` of a
        lognormal is in log space, dimensionless).
    bounds : tuple of (float or None)
        Truncation of normal and lognormal distributions: the constant's declared range; None
        is an open end.
    """

    kind: str
    params: tuple[float, ...]
    bounds: tuple[float | None, float | None] = (None, None)

    def ppf(self, u: FloatArray) -> FloatArray:
        """The values at probabilities ``u`` (array of any shape, in [0, 1))."""
        u = np.asarray(u, dtype=np.float64)
        if self.kind == "uniform":
            low, high = self.params
            return low + u * (high - low)
        if self.kind == "triangular":
            low, mode, high = self.params
            c = (mode - low) / (high - low)
            # scipy.stats.triang's ppf, without importing scipy.stats (a second per command)
            x = np.where(u < c, np.sqrt(c * u), 1.0 - np.sqrt((1.0 - c) * (1.0 - u)))
            return x * (high - low) + low
        lo, hi = self.bounds
        p_lo = self._cdf(lo) if lo is not None else 0.0
        p_hi = self._cdf(hi) if hi is not None else 1.0
        p = np.clip(p_lo + u * (p_hi - p_lo), _U_EDGE, 1.0 - _U_EDGE)
        values = self._ppf(p)
        return np.clip(values, -np.inf if lo is None else lo, np.inf if hi is None else hi)

    # The normal and lognormal distributions as scipy.stats computes them (norm: ndtr and ndtri
    # of the standardised value; lognorm: of log(x / median) / sigma), from scipy.special,
    # which imports in a fraction of the time scipy.stats takes.

    def _cdf(self, x: float) -> float:
        from scipy.special import ndtr

        if self.kind == "normal":
            mean, sd = self.params
            return float(ndtr((x - mean) / sd))
        median, sigma = self.params
        return float(ndtr(np.log(x / median) / sigma)) if x > 0 else 0.0

    def _ppf(self, p: FloatArray) -> FloatArray:
        from scipy.special import ndtri

        if self.kind == "normal":
            mean, sd = self.params
            return ndtri(p) * sd + mean
        median, sigma = self.params
        return np.exp(sigma * ndtri(p)) * median

    def to_dict(self) -> dict[str, Any]:
        """Plain data for provenance and fingerprints."""
        names = DISTRIBUTIONS[self.kind]
        out: dict[str, Any] = {self.kind: dict(zip(names, self.params, strict=True))}
        if self.kind in ("normal", "lognormal"):
            out["truncated_to"] = list(self.bounds)
        return out


def parse_distribution(
    checker: Checker, path: YamlPath, raw: Any, var: Variable | None
) -> Distribution | None:
    """A distribution from its YAML form, checked against ``var``'s declared range.

    Records every problem on ``checker`` and returns None if there is any.
    """
    if raw == "range" and var is None:  # without the model there is no range to check
        return None
    limits = var.limits if var is not None else (None, None)
    return parse_bounded_distribution(checker, path, raw, limits)


def parse_bounded_distribution(
    checker: Checker,
    path: YamlPath,
    raw: Any,
    limits: tuple[float | None, float | None],
    what: str = MODEL_RANGE,
) -> Distribution | None:
    """A distribution from its YAML form, inside ``limits`` (called ``what`` in messages).

    ``'range'`` is uniform over ``limits``; normal and lognormal are truncated to them.
    Records every problem on ``checker`` and returns None if there is any.
    """
    if raw == "range":
        return _declared_range(checker, path, limits, what)
    given = checker.mapping(path, raw, _WHAT)
    if given is None:
        return None
    if not checker.keys(path, given, list(DISTRIBUTIONS)):
        return None
    if len(given) != 1:
        checker.error(path, f"give exactly one distribution, got {len(given)}: expected {_WHAT}")
        return None
    ((kind, body),) = given.items()
    where = (*path, kind)
    if kind == "range":
        return parse_range(checker, where, body, limits, what)
    return _parametric(checker, where, kind, body, limits, what)


_WHAT = (
    "'range' or a mapping with one of " + ", ".join(DISTRIBUTIONS) + " (e.g. {uniform: {low: "
    "0.02, high: 0.05}})"
)


def _declared_range(
    checker: Checker, path: YamlPath, limits: tuple[float | None, float | None], what: str
) -> Distribution | None:
    lo, hi = limits
    if lo is None or hi is None or not lo < hi:
        declared = "the model's declared range" if what == MODEL_RANGE else what
        checker.error(
            path,
            f"'range' needs {declared}, which is {format_range(lo, hi)}; give "
            "{range: [low, high]} instead",
        )
        return None
    return Distribution("uniform", (float(lo), float(hi)))


def parse_range(
    checker: Checker,
    path: YamlPath,
    body: Any,
    limits: tuple[float | None, float | None],
    what: str = MODEL_RANGE,
) -> Distribution | None:
    """``[low, high]`` (written at ``path``) as a uniform distribution inside ``limits``.

    The body of ``{range: [low, high]}``; an SA file also takes the list alone.
    """
    if not isinstance(body, list | tuple) or len(body) != 2:
        checker.error(path, f"expected [low, high], got {what_is(body)}")
        return None
    values = [checker.number((*path, i), v) for i, v in enumerate(body)]
    if any(v is None for v in values):
        return None
    ok = all(checker.in_range((*path, i), v, *limits, what) for i, v in enumerate(values))
    if ok and not values[0] < values[1]:  # type: ignore[operator]
        checker.error(
            path, f"low {format_number(values[0])} must be below high {format_number(values[1])}"
        )
        return None
    return Distribution("uniform", (values[0], values[1])) if ok else None  # type: ignore[arg-type]


def _parametric(
    checker: Checker,
    path: YamlPath,
    kind: str,
    body: Any,
    limits: tuple[float | None, float | None],
    what: str,
) -> Distribution | None:
    names = DISTRIBUTIONS[kind]
    given = checker.mapping(path, body, f"a mapping of {', '.join(names)}")
    if given is None or not checker.keys(path, given, names, required=names):
        return None
    values = {n: checker.number((*path, n), given[n]) for n in names}
    if any(v is None for v in values.values()):
        return None
    in_model_range = ("low", "high", "mode", "mean", "median")
    ok = all(
        checker.in_range((*path, n), values[n], *limits, what)  # type: ignore[arg-type]
        for n in names
        if n in in_model_range
    )
    ok = _shape_rules(checker, path, kind, values) and ok  # type: ignore[arg-type]
    if not ok:
        return None
    params = tuple(values[n] for n in names)
    bounds = limits if kind in ("normal", "lognormal") else (None, None)
    return Distribution(kind, params, bounds)  # type: ignore[arg-type]


def _shape_rules(checker: Checker, path: YamlPath, kind: str, v: dict[str, float]) -> bool:
    """Orderings and positivity that each distribution needs."""
    if kind == "uniform" and not v["low"] < v["high"]:
        checker.error(
            path, f"low {format_number(v['low'])} must be below high {format_number(v['high'])}"
        )
        return False
    if kind == "triangular" and not (v["low"] <= v["mode"] <= v["high"] and v["low"] < v["high"]):
        checker.error(
            path,
            "expected low <= mode <= high with low < high, got "
            f"{format_number(v['low'])}, {format_number(v['mode'])}, "
            f"{format_number(v['high'])}",
        )
        return False
    for name in ("sd", "sigma"):
        if name in v and not v[name] > 0:
            checker.error((*path, name), f"{format_number(v[name])} must be above 0")
            return False
    if kind == "lognormal" and not v["median"] > 0:
        checker.error((*path, "median"), f"{format_number(v['median'])} must be above 0")
        return False
    return True
