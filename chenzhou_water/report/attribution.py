"""Attribution: how much of the difference between two scenarios each differing input makes.

For ``k`` differing inputs the model is run for all ``2^k`` subsets of them (the subset's inputs
take the alternative's values, the others the reference's). A subset's parameters are member
parameters of one ensemble pass; lookups are shared by the members of a pass, so there is one
pass per combination of differing levers. From the ``2^k`` outcomes come:

- one-at-a-time effects: ``f({i}) - f({})``;
- exact Shapley values: ``phi_i = sum over S not containing i of |S|! (k-|S|-1)! / k!
  (f(S + i) - f(S))``, which add up to ``f(all) - f({})``, the total difference.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from math import factorial

import numpy as np
import pandas as pd
import xarray as xr

from chenzhou_water.errors import Problem, ReportError, ValidationError
from chenzhou_water.model.contract import HEADLINE_INDICATORS, Indicator
from chenzhou_water.report.differences import InputDifference, differing_inputs
from chenzhou_water.scenario.run import run_scenario
from chenzhou_water.scenario.spec import Scenario

#: Most differing inputs attributed exactly (2^12 = 4,096 runs).
MAX_INPUTS = 12
DEFAULT_INDICATOR = "unmet_demand_kt_d"
DEFAULT_YEAR = 2030


@dataclass(frozen=True)
class Attribution:
    """The difference in one headline outcome between two scenarios, split by input.

    Attributes
    ----------
    indicator : Indicator
        The headline indicator attributed.
    year : int
        Its calendar year.
    reference_name, alternative_name : str
        The two scenarios.
    reference_value, alternative_value : float
        The indicator in each, in ``indicator.units``.
    inputs : tuple of InputDifference
        The differing inputs, in the order of the contributions.
    shapley : tuple of float
        Shapley contribution of each input; they sum to ``total``.
    one_at_a_time : tuple of float
        Effect of switching each input alone.
    subset_values : tuple of float
        The indicator for each subset of inputs (bit ``i`` of the index set: input ``i`` takes
        the alternative's value).
    engine_passes : int
        Engine passes made (one per combination of differing levers).
    """

    indicator: Indicator
    year: int
    reference_name: str
    alternative_name: str
    reference_value: float
    alternative_value: float
    inputs: tuple[InputDifference, ...]
    shapley: tuple[float, ...]
    one_at_a_time: tuple[float, ...]
    subset_values: tuple[float, ...]
    engine_passes: int

    @property
    def total(self) -> float:
        """Alternative minus reference value."""
        return self.alternative_value - self.reference_value

    @property
    def interaction(self) -> float:
        """The part of the total the one-at-a-time effects leave unexplained."""
        return self.total - float(np.sum(self.one_at_a_time))

    @property
    def runs(self) -> int:
        """Model runs (subsets of the differing inputs)."""
        return len(self.subset_values)


def find_indicator(key: str | Indicator) -> Indicator:
    """The headline indicator with this key.

    Raises
    ------
    ValidationError
        For an unknown key, listing the valid ones.
    """
    if isinstance(key, Indicator):
        return key
    for indicator in HEADLINE_INDICATORS:
        if indicator.key == key:
            return indicator
    keys = ", ".join(i.key for i in HEADLINE_INDICATORS)
    raise ValidationError([Problem("indicator", "", f"unknown indicator key {key!r}; "
                                   f"choose one of {keys}")])


def parse_target(spec: str) -> tuple[Indicator, int]:
    """Read ``KEY:YEAR`` (``leakage_volume_kt_d:2030``); ``KEY`` alone means the default year.

    Raises
    ------
    ValidationError
        For an unknown key or a year that is not a whole number.
    """
    key, _, year = spec.partition(":")
    indicator = find_indicator(key.strip())
    if not year.strip():
        return indicator, DEFAULT_YEAR
    try:
        return indicator, int(year)
    except ValueError:
        raise ValidationError([Problem("indicator", "", f"{spec!r}: the year {year!r} is not "
                                       "a whole number (write KEY:YEAR, e.g. "
                                       f"{DEFAULT_INDICATOR}:{DEFAULT_YEAR})")]) from None


def shapley_values(subset_values: np.ndarray, k: int) -> np.ndarray:
    """Exact Shapley values from the outcome of every subset.

    Parameters
    ----------
    subset_values : ndarray, shape (2**k,)
        Outcome for each subset; bit ``i`` of the index says input ``i`` is switched.
    k : int
        Number of inputs.

    Returns
    -------
    ndarray, shape (k,)
        Contributions; their sum is ``subset_values[-1] - subset_values[0]``.
    """
    values = np.asarray(subset_values, dtype=float)
    if values.shape != (2**k,):
        raise ValueError(f"expected {2**k} subset values for {k} inputs, got {values.shape}")
    masks = np.arange(2**k)
    sizes = np.array([bin(m).count("1") for m in masks])
    weights = np.array([factorial(s) * factorial(k - s - 1) / factorial(k) if s < k else 0.0
                        for s in range(k + 1)])
    phi = np.empty(k)
    for i in range(k):
        without = masks[(masks >> i) & 1 == 0]
        phi[i] = np.sum(weights[sizes[without]] * (values[without | (1 << i)] - values[without]))
    return phi


def indicator_by_member(ds: xr.Dataset, indicator: Indicator, year: int) -> np.ndarray:
    """The indicator in one calendar year for each member, shape (member,).

    Raises
    ------
    ValidationError
        If the results do not cover the year.
    """
    da = ds[indicator.variable]
    in_year = da.isel(time=np.flatnonzero(da["time"].dt.year.values == year))
    if in_year.sizes["time"] == 0:
        years = da["time"].dt.year.values
        raise ValidationError([Problem("indicator", "", f"year {year} is outside the results "
                                       f"({years.min()} to {years.max()})")])
    return np.asarray(getattr(in_year, indicator.reduce)("time").values) * indicator.scale


def _lever_series(table: tuple) -> pd.Series:
    xs, ys = table
    return pd.Series(np.asarray(ys, dtype=float), index=np.asarray(xs, dtype=float))


def _subset_values(base: Scenario, inputs: tuple[InputDifference, ...], indicator: Indicator,
                   year: int) -> tuple[np.ndarray, int]:
    """The indicator for every subset of ``inputs`` switched to the alternative's values."""
    k = len(inputs)
    param_bits = [i for i, d in enumerate(inputs) if d.kind == "parameter"]
    lever_bits = [i for i, d in enumerate(inputs) if d.kind == "lever"]
    members = 2 ** len(param_bits)
    member_masks = np.zeros(members, dtype=int)
    params_in_pass: dict[str, object] = {}
    for j, bit in enumerate(param_bits):
        switched = (np.arange(members) >> j) & 1 == 1
        member_masks |= np.where(switched, 1 << bit, 0)
        ref, alt = float(inputs[bit].reference), float(inputs[bit].alternative)  # type: ignore[arg-type]
        params_in_pass[inputs[bit].name] = np.where(switched, alt, ref)
    values = np.full(2**k, np.nan)
    for combination in range(2 ** len(lever_bits)):
        params = dict(params_in_pass)
        lever_mask = 0
        for j, bit in enumerate(lever_bits):
            use_alt = (combination >> j) & 1 == 1
            lever_mask |= (1 << bit) if use_alt else 0
            diff = inputs[bit]
            params[diff.name] = _lever_series(diff.alternative if use_alt else diff.reference)
        ds = run_scenario(base, members=members, params=params)
        values[member_masks | lever_mask] = indicator_by_member(ds, indicator, year)
    return values, 2 ** len(lever_bits)


def attribute(reference: Scenario, alternative: Scenario,
              indicator: str | Indicator = DEFAULT_INDICATOR, year: int = DEFAULT_YEAR, *,
              max_inputs: int = MAX_INPUTS) -> Attribution:
    """Split the difference in a headline indicator between two scenarios by input.

    Parameters
    ----------
    reference, alternative : Scenario
        The two scenarios (of one model).
    indicator : str or Indicator
        A key of :data:`~chenzhou_water.model.contract.HEADLINE_INDICATORS`.
    year : int
        Calendar year of the indicator.
    max_inputs : int
        Most differing inputs to attribute (the model runs ``2**k`` times).

    Returns
    -------
    Attribution
        One-at-a-time effects and exact Shapley values of each differing input.

    Raises
    ------
    ValidationError
        For an unknown indicator or a year outside the results.
    ReportError
        If more than ``max_inputs`` inputs differ or the scenarios run different models.
    """
    ind = find_indicator(indicator)
    inputs = differing_inputs(reference, alternative)
    k = len(inputs)
    if k > max_inputs:
        raise ReportError(
            f"{k} inputs differ between {reference.name!r} and {alternative.name!r}; an exact "
            f"attribution runs the model 2^k = {2**k:,} times and is limited to {max_inputs} "
            "inputs. Compare scenarios that differ in fewer parameters and levers."
        )
    base = dataclasses.replace(reference, outputs=(ind.variable,))
    values, passes = _subset_values(base, inputs, ind, int(year))
    one_at_a_time = tuple(float(values[1 << i] - values[0]) for i in range(k))
    return Attribution(
        indicator=ind, year=int(year), reference_name=reference.name,
        alternative_name=alternative.name, reference_value=float(values[0]),
        alternative_value=float(values[-1]), inputs=inputs,
        shapley=tuple(float(v) for v in shapley_values(values, k)),
        one_at_a_time=one_at_a_time, subset_values=tuple(float(v) for v in values),
        engine_passes=passes,
    )
