"""What every sensitivity method provides: its options, ``sample()`` and ``analyze()``.

Each method family has one module (:mod:`.morris`, :mod:`.sobol`, :mod:`.fast`,
:mod:`.given_data`) and each method in it is a :class:`Method` value with the same shape, the
way SALib gives every method a ``sample()`` and an ``analyze()`` with the same signature:

- ``sample(problem, options, seed)`` returns the design, an array of shape ``(run, parameter)``
  in the parameters' own units;
- ``analyze(problem, X, Y, options, seed)`` returns the indices of one output, a mapping
  ``index name -> array of shape (parameter,)`` (``S2`` and its interval: ``(parameter,
  parameter)``).

Both are pure: arrays in, arrays out; randomness comes from ``seed``.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chenzhou_water._typing import FloatArray

SALibProblem = dict[str, Any]
"""SALib's problem: ``{"num_vars": k, "names": [...], "bounds": [[lo, hi], ...]}``."""

Indices = dict[str, FloatArray]


@dataclass(frozen=True)
class Option:
    """One option of a method, as written in the ``options`` section of an SA file.

    Attributes
    ----------
    kind : type
        ``int``, ``float`` or ``bool``.
    default : Any
        The value when the option is not given (``None``: the option is required).
    minimum, maximum : float or None
        Allowed range (inclusive); ``None`` is open.
    doc : str
        What the option means, for messages and docs.
    rule : callable, optional
        Extra check ``rule(value) -> message or None``.
    """

    kind: type
    default: Any
    doc: str
    minimum: float | None = None
    maximum: float | None = None
    rule: Callable[[Any], str | None] | None = None


#: Options every method takes: the bootstrap of the confidence intervals.
COMMON_OPTIONS: dict[str, Option] = {
    "num_resamples": Option(int, 100, "bootstrap resamples for the confidence intervals", 10),
    "conf_level": Option(float, 0.95, "confidence level of the intervals", 0.5, 0.999),
}


@dataclass(frozen=True)
class Method:
    """A sensitivity method: its options, its sampler and its analysis.

    Attributes
    ----------
    name : str
        The name used in SA files (``morris``, ``sobol``, ...).
    title : str
        A human name for reports.
    options : mapping of str to Option
        The method's own options (the :data:`COMMON_OPTIONS` are added).
    size_option : str
        The option that sets the sample size (``trajectories``, ``N``).
    sample : callable
        ``sample(problem, options, seed) -> ndarray (run, parameter)``.
    analyze : callable
        ``analyze(problem, X, Y, options, seed) -> {index: ndarray (parameter,)}``.
    indices : tuple of str
        The indices ``analyze`` returns (without ``_conf``), first the one that ranks.
    runs : callable
        ``runs(options, k) -> int``: model runs the design needs for ``k`` parameters.
    round_size : callable
        Rounds a wanted sample size up to a valid one (Sobol: a power of 2).
    constraints : callable
        ``constraints(options) -> [(option, message), ...]``: rules between options.
    """

    name: str
    title: str
    options: Mapping[str, Option]
    size_option: str
    sample: Callable[[SALibProblem, Mapping[str, Any], int], FloatArray]
    analyze: Callable[[SALibProblem, FloatArray, FloatArray, Mapping[str, Any], int], Indices]
    indices: tuple[str, ...]
    runs: Callable[[Mapping[str, Any], int], int]
    round_size: Callable[[float], int] = field(default=lambda n: math.ceil(n))
    constraints: Callable[[Mapping[str, Any]], list[tuple[str, str]]] = field(
        default=lambda options: [])

    @property
    def rank_by(self) -> str:
        """The index that ranks the parameters (``mu_star``, ``ST``, ...)."""
        return self.indices[0]

    def all_options(self) -> dict[str, Option]:
        """The method's options and the common ones."""
        return {**self.options, **COMMON_OPTIONS}


def n_runs(options: Mapping[str, Any], k: int) -> int:
    """Model runs of a design of ``N`` runs, whatever the number of parameters ``k``."""
    return int(options["N"])


def power_of_two(n: float) -> int:
    """The smallest power of 2 that is at least ``n`` (and at least 2)."""
    return 2 ** max(1, math.ceil(math.log2(max(n, 2.0))))


def not_power_of_two(value: Any) -> str | None:
    """A message if ``value`` is not a power of 2 (Sobol sequences need one)."""
    n = int(value)
    if n >= 1 and n & (n - 1) == 0:
        return None
    lower = 2 ** int(math.log2(n)) if n >= 1 else 1
    return f"{n} is not a power of 2 (Sobol' sequences need one): use {lower} or {lower * 2}"


@contextlib.contextmanager
def quiet_salib() -> Iterator[None]:
    """Silence what SALib prints or warns about by itself (the library never prints).

    SALib's delta method prints bias notes and FAST warns that its bootstrap intervals are
    indicative only; the method's documentation here says so instead.
    """
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.filterwarnings("ignore", message="FAST confidence intervals")
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        yield


def as_indices(raw: Mapping[str, Any], keys: Mapping[str, str]) -> Indices:
    """Pick SALib's result keys (``{our name: SALib's name}``) as float arrays."""
    return {ours: np.asarray(raw[theirs], dtype=float) for ours, theirs in keys.items()}


def bootstrap_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The common options as SALib's keyword arguments."""
    return {"num_resamples": int(options["num_resamples"]),
            "conf_level": float(options["conf_level"])}
