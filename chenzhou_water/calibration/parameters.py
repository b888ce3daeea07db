"""The free parameters of a calibration: model constants with bounds and priors.

A parameters file (YAML, safe loader)::

    model: ../models/chenzhou_water.mdl    # optional; default: the project's model
    parameters:
      background_leakage_rate:             # a scalar model constant (any spelling)
        bounds: [0.01, 0.08]               # inside the model's declared [min, max]
        prior: {distribution: normal, mean: 0.035, sd: 0.015}
        note: why these bounds             # optional
      peak_day_factor:
        bounds: [1.05, 1.5]
        prior: uniform                     # uniform on the bounds (the default)
      industrial_gross_water_use_2020:
        bounds: [200000, 800000]
        prior: {distribution: lognormal, median: 500000, sigma: 0.3}

Every prior is truncated to the bounds. Every problem is reported at once with its line and
YAML path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from chenzhou_water._typing import FloatArray
from chenzhou_water.errors import ModelError
from chenzhou_water.model.metadata import ModelInfo, model_info
from chenzhou_water.scenario.spec import default_model_path
from chenzhou_water.schema.checker import Checker, YamlPath, excerpt, load_yaml, what_is
from chenzhou_water.schema.model_rules import resolve_constant

__all__ = ["FreeParameter", "ParameterSet", "Prior", "load_parameters"]

DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "uniform": (),
    "normal": ("mean", "sd"),
    "lognormal": ("median", "sigma"),
}


@dataclass(frozen=True)
class Prior:
    """A prior distribution, truncated to the parameter's bounds.

    Attributes
    ----------
    distribution : {"uniform", "normal", "lognormal"}
    mean, sd : float
        For ``normal``.
    median, sigma : float
        For ``lognormal`` (``sigma`` is the standard deviation of the logarithm).
    """

    distribution: str = "uniform"
    mean: float = 0.0
    sd: float = 1.0
    median: float = 1.0
    sigma: float = 1.0

    def _frozen(self) -> Any:
        if self.distribution == "normal":
            return stats.norm(self.mean, self.sd)
        if self.distribution == "lognormal":
            return stats.lognorm(self.sigma, scale=self.median)
        return None

    def neg2_log_density(self, x: FloatArray, lo: float, hi: float) -> FloatArray:
        """``-2 log p(x)`` up to a constant; ``inf`` outside ``[lo, hi]``."""
        x = np.asarray(x, dtype=float)
        inside = (x >= lo) & (x <= hi)
        if self.distribution == "normal":
            value = ((x - self.mean) / self.sd) ** 2
        elif self.distribution == "lognormal":
            safe = np.where(x > 0, x, 1.0)
            value = ((np.log(safe) - np.log(self.median)) / self.sigma) ** 2 + 2 * np.log(safe)
        else:
            value = np.zeros_like(x)
        return np.where(inside, value, np.inf)

    def sample(self, rng: np.random.Generator, n: int, lo: float, hi: float) -> FloatArray:
        """``n`` draws from the prior truncated to ``[lo, hi]`` (inverse CDF)."""
        dist = self._frozen()
        if dist is None:
            return rng.uniform(lo, hi, n)
        u = rng.uniform(dist.cdf(lo), dist.cdf(hi), n)
        return np.clip(dist.ppf(u), lo, hi)

    def label(self) -> str:
        """``normal(mean=0.035, sd=0.015)``, ``uniform``."""
        names = DISTRIBUTIONS[self.distribution]
        args = ", ".join(f"{k}={getattr(self, k):g}" for k in names)
        return f"{self.distribution}({args})" if args else self.distribution


@dataclass(frozen=True)
class FreeParameter:
    """A model constant the calibration may change."""

    name: str
    lower: float
    upper: float
    prior: Prior
    units: str
    default: float | None
    note: str = ""
    line: int | None = None


@dataclass(frozen=True)
class ParameterSet:
    """The free parameters of one file, in file order."""

    path: Path
    parameters: tuple[FreeParameter, ...]

    def __len__(self) -> int:
        return len(self.parameters)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.parameters)

    @property
    def names(self) -> tuple[str, ...]:
        """Normalised constant names."""
        return tuple(p.name for p in self.parameters)

    @property
    def bounds(self) -> list[tuple[float, float]]:
        """``[(lower, upper), ...]`` in parameter order (SciPy's form)."""
        return [(p.lower, p.upper) for p in self.parameters]

    def neg2_log_prior(self, x: FloatArray) -> FloatArray:
        """``-2 log prior`` of parameter vectors ``x``, shape (n_param, n) → (n,)."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        return sum((p.prior.neg2_log_density(x[i], p.lower, p.upper)
                    for i, p in enumerate(self.parameters)), np.zeros(x.shape[1]))

    def sample_prior(self, rng: np.random.Generator, n: int) -> FloatArray:
        """``n`` draws from the (truncated) priors, shape (n_param, n)."""
        return np.stack([p.prior.sample(rng, n, p.lower, p.upper) for p in self.parameters])


def load_parameters(path: str | Path, model: str | Path | None = None) -> ParameterSet:
    """Read and check a parameters file.

    Parameters
    ----------
    path : str or Path
        The parameters YAML file.
    model : str or Path, optional
        The model to check against; default: the file's ``model`` key, else the project's.

    Raises
    ------
    ValidationError
        Every problem, each with line and YAML path.
    """
    document = load_yaml(path)
    checker = Checker(document)
    data = document.data if isinstance(document.data, Mapping) else {}
    if not isinstance(document.data, Mapping):
        checker.error((), f"expected a mapping with a 'parameters' key, got "
                      f"{what_is(document.data)}")
    checker.keys((), data, ("model", "parameters"), required=("parameters",))
    info = file_model(checker, Path(path), data, model)
    entries = checker.mapping(("parameters",), data.get("parameters"),
                              "a mapping of model constant to bounds and prior") or {}
    if "parameters" in data and not entries:
        checker.error(("parameters",), "no parameters given")
    out: list[FreeParameter] = []
    for name, raw in entries.items():
        param = _parameter(checker, ("parameters", name), name, raw, info)
        if param is not None:
            if param.name in [p.name for p in out]:
                checker.error(("parameters", name), f"{param.name!r} is given twice")
            out.append(param)
    checker.raise_if_problems()
    return ParameterSet(Path(path), tuple(out))


def file_model(checker: Checker, path: Path, data: Mapping[str, Any],
               model: str | Path | None) -> ModelInfo | None:
    """The model a targets or parameters file is checked against: ``model`` (the scenario's,
    when calibrating), else the file's ``model`` key (relative to the file), else the project's.

    A ``model`` key naming a file other than ``model`` is an error (the fit would check one
    model's names and run another); the file it names is never read, so never echoed.
    """
    given = checker.string(("model",), data["model"]) if "model" in data else None
    own = path.parent / given if given is not None else None
    model_path = Path(model) if model is not None else own or default_model_path()
    if own is not None and model is not None and not _same_file(own, model_path):
        checker.error(("model",), f"{excerpt(str(given))} is not the model the scenario runs "
                      f"({model_path.name}): remove the key, or give the scenario's model")
        return None
    try:
        return model_info(model_path)
    except ModelError as exc:
        checker.error(("model",), str(exc))
        return None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def _parameter(checker: Checker, where: YamlPath, name: Any, raw: Any,
               info: ModelInfo | None) -> FreeParameter | None:
    entry = checker.mapping(where, raw, "a mapping with 'bounds' and 'prior'")
    if entry is None or info is None:
        return None
    checker.keys(where, entry, ("bounds", "prior", "note"), required=("bounds",))
    var = resolve_constant(checker, where, name, info)
    bounds = _bounds(checker, (*where, "bounds"), entry.get("bounds"), var)
    prior = _prior(checker, (*where, "prior"), entry.get("prior", "uniform"))
    note = entry.get("note", "")
    if not isinstance(note, str):
        checker.error((*where, "note"), f"expected a string, got {what_is(note)}")
    if var is None or bounds is None or prior is None:
        return None
    return FreeParameter(var.py_name, bounds[0], bounds[1], prior, var.units, var.value,
                         note if isinstance(note, str) else "", checker.document.line(where))


def _bounds(checker: Checker, where: YamlPath, raw: Any, var: Any) -> tuple[float, float] | None:
    if raw is None:
        return None
    pair = checker.sequence(where, raw, "[lower, upper]")
    if pair is None:
        return None
    if len(pair) != 2:
        checker.error(where, f"expected [lower, upper], got {len(pair)} values")
        return None
    lo, hi = (checker.number((*where, i), v) for i, v in enumerate(pair))
    if lo is None or hi is None:
        return None
    if lo >= hi:
        checker.error(where, f"lower bound {lo:g} must be below upper bound {hi:g}")
        return None
    if var is not None:
        ok = checker.in_range((*where, 0), lo, *var.limits)
        ok &= checker.in_range((*where, 1), hi, *var.limits)
        if not ok:
            return None
    return lo, hi


def _prior(checker: Checker, where: YamlPath, raw: Any) -> Prior | None:
    if raw == "uniform":
        return Prior()
    entry = checker.mapping(where, raw, "'uniform' or {distribution: ..., ...}")
    if entry is None:
        return None
    dist = entry.get("distribution")
    if dist not in DISTRIBUTIONS:
        checker.error((*where, "distribution"),
                      f"expected one of {', '.join(DISTRIBUTIONS)}, got {what_is(dist)}")
        return None
    names = DISTRIBUTIONS[dist]
    checker.keys(where, entry, ("distribution", *names), required=names)
    values = {k: checker.number((*where, k), entry[k]) for k in names if k in entry}
    if len(values) != len(names) or any(v is None for v in values.values()):
        return None
    for key in ("sd", "sigma", "median"):
        if key in values and values[key] <= 0:  # type: ignore[operator]
            checker.error((*where, key), f"{key} must be positive")
            return None
    return Prior(dist, **values)  # type: ignore[arg-type]
