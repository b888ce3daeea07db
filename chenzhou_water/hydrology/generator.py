"""Stochastic monthly natural inflow to the Dongjiang reservoir (东江水库).

One inflow series per ensemble member, in m³/month, on the model's grid: 432 months from
January 2015 (month index 0) to December 2050.

The generator
-------------
Monthly inflow is lognormal with month-to-month persistence: a Thomas-Fiering (periodic lag-1
autoregressive) process in log space. With ``m`` the calendar month of month index ``t``,

    x[t] = rho[m] * x[t-1] + sqrt(1 - rho[m]**2) * eps[t],      x[0] = eps[0],  eps ~ N(0, 1)
    Q[t] = exp(mu[m] + sigma[m] * x[t]) * drought[t] * trend[t]

``x`` is the standardised log anomaly; it has unit variance in every month, so ``rho[m]`` is the
correlation of log inflow in month ``m`` with log inflow in the month before. The log-space
parameters are chosen so that the *real-space* monthly mean is exactly the seasonal share times
the mean annual runoff (the lognormal bias correction)::

    sigma[m]**2 = log(1 + cv[m]**2)
    mu[m]       = log(share[m] * mean_annual_runoff) - sigma[m]**2 / 2

Figures and assumptions
-----------------------
Mean annual runoff: 4.54 billion m³/yr (docs/sources.md, public, confidence H). It is used
rather than the other published 4.48 billion m³ because it agrees with the published mean flow
of 144 m³/s (144 m³/s x 365.25 d = 4.544 billion m³); 4.48 is probably a different period of
record.

The monthly shares, monthly coefficients of variation and lag-1 correlations are **not published**
(docs/sources.md, "Not found anywhere"). They are assumptions for a Nanling / southern-Hunan
subtropical monsoon regime (basin precipitation 1,645 mm/yr; wet season April-September,
docs/sources.md):

* Shares (``DEFAULT_SEASONAL_SHARES``) are the Vensim model's lookup ``inflow seasonal share``,
  which the model uses for its deterministic inflow; ``InflowConfig.from_model`` reads them from
  the model file and a test checks that this module's copy agrees. Spring and "dragon-boat"
  rains give the peak in May-June; the July-September typhoon rains are erratic and the
  summer-autumn dry spell (伏秋干旱) lowers August-September; December-February are baseflow
  months. April-September carries 71 % of the year and the wettest four months (April-July)
  55.5 %, close to the 54 % published for April-July in the neighbouring Zi River (资水) basin
  of Hunan (https://zhongguodreams.com/FengShuiMetaphysics/ztnnykdrsl.html; an analogue, not a
  Dongjiang figure, confidence L).
* Monthly CV (``DEFAULT_MONTHLY_CV``) 0.40-0.65: lowest in the reliable May rains, highest in
  the typhoon- and drought-dependent months August-October.
* Lag-1 log correlations (``DEFAULT_LAG1_CORRELATION``) 0.40-0.75: high in the recession
  months (November-February, baseflow-dominated), low in the storm-driven wet season.
  Together these give a coefficient of variation of the calendar-year runoff of about 0.25,
  typical of humid southern-China basins of this size.

Droughts and climate trend (all off by default; see ``DroughtEvent``, ``MultiYearDrought``). They
are the stochastic counterparts of the model's lookups ``inflow multiplier schedule`` and
``climate runoff multiplier``:

* A 2022-type event multiplies the inflow from July to December of the chosen years by 0.3
  (docs/sources.md: rainfall after 8 July 2022 more than 70 % below normal in Chenzhou).
* A multi-year drought multiplies a run of years by one factor.
* Where drought events overlap, the lower multiplier applies: both describe the same rainfall
  deficit relative to normal, so they are not compounded.
* ``trend_by_2050`` changes the mean linearly, from zero at the start of ``trend_start_year``
  to the given fraction in December 2050 (e.g. -0.10, a drier climate).

Reproducibility
---------------
Every member draws from counter blocks of one Philox generator keyed by the seed, at positions
fixed by its global index ``member_offset + i``: its 432 weather normals from the blocks with
counter ``[*, 0, member, 0]``, its random-drought uniforms from a fixed range of the blocks
``[*, 0, 0, 1]``. A member's series therefore depends only on the seed and its global index,
never on how the ensemble is chunked or distributed, and turning random droughts on or off
leaves the weather of each member unchanged (common random numbers across scenarios).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chenzhou_water._typing import BoolArray, FloatArray, IntArray, UInt64Array
from chenzhou_water.hydrology.config import (
    DEFAULT_LAG1_CORRELATION,
    DEFAULT_MEAN_ANNUAL_RUNOFF,
    DEFAULT_MONTHLY_CV,
    DEFAULT_SEASONAL_SHARES,
    END_YEAR,
    MEAN_ANNUAL_RUNOFF_CONSTANT,
    MONTHS,
    SEASONAL_SHARE_LOOKUP,
    START_YEAR,
    DroughtEvent,
    InflowConfig,
    MultiYearDrought,
    mean_annual_runoff_from_model,
    seasonal_shares_from_model,
)

__all__ = [
    "DEFAULT_LAG1_CORRELATION",
    "DEFAULT_MEAN_ANNUAL_RUNOFF",
    "DEFAULT_MONTHLY_CV",
    "DEFAULT_SEASONAL_SHARES",
    "END_YEAR",
    "MEAN_ANNUAL_RUNOFF_CONSTANT",
    "MONTHS",
    "SEASONAL_SHARE_LOOKUP",
    "START_YEAR",
    "DroughtEvent",
    "InflowConfig",
    "MemberClimate",
    "MultiYearDrought",
    "SeedLike",
    "generate_inflows",
    "lognormal_parameters",
    "mean_annual_runoff_from_model",
    "mean_inflow",
    "seasonal_shares_from_model",
    "trend_multiplier",
]

SeedLike = int | np.integer | np.random.SeedSequence | np.random.Generator | None


@dataclass(frozen=True)
class MemberClimate:
    """Climate stressors that differ between members (a stress test's futures).

    Each attribute is None (every member takes the config's value) or one value per member.

    Attributes
    ----------
    variability : ndarray or None
        Factor on every monthly coefficient of variation (1: the config's ``monthly_cv``).
    drought_probability : ndarray or None
        Annual probability that a multi-year drought run starts, in [0, 1].
    drought_length : ndarray or None
        Length of each multi-year drought run, whole years >= 1.
    """

    variability: FloatArray | None = None
    drought_probability: FloatArray | None = None
    drought_length: IntArray | None = None

YEARS = END_YEAR - START_YEAR + 1
_CALENDAR_MONTH = np.arange(MONTHS) % 12  # of each month of the grid; 0 = January
_DROUGHT_STREAM = 1


def lognormal_parameters(config: InflowConfig) -> tuple[FloatArray, FloatArray]:
    """Log-space mean and standard deviation of each calendar month's inflow.

    Chosen so that the real-space mean of month ``m`` is exactly
    ``seasonal_shares[m] * mean_annual_runoff`` and its coefficient of variation is
    ``monthly_cv[m]``.

    Parameters
    ----------
    config : InflowConfig
        The inflow assumptions.

    Returns
    -------
    mu, sigma : ndarray, shape (12,)
        Mean and standard deviation of ``log(inflow / (1 m³/month))``, January first.
    """
    shares = np.asarray(config.seasonal_shares, dtype=np.float64)
    shares = shares / shares.sum()  # remove rounding in a table that sums to 1 within tolerance
    cv = np.asarray(config.monthly_cv, dtype=np.float64)
    variance = np.log1p(cv**2)
    mu = np.log(shares * config.mean_annual_runoff) - variance / 2
    return mu, np.sqrt(variance)


def trend_multiplier(config: InflowConfig) -> FloatArray:
    """Climate-trend multiplier of the mean inflow, per month of the grid.

    Returns
    -------
    ndarray, shape (432,)
        1 before ``trend_start_year``, then rising (or falling) linearly to
        ``1 + trend_by_2050`` in December 2050.
    """
    first = 12 * (config.trend_start_year - START_YEAR)
    ramp = np.clip((np.arange(MONTHS) - first) / max(MONTHS - 1 - first, 1), 0.0, 1.0)
    return 1.0 + config.trend_by_2050 * ramp


def mean_inflow(config: InflowConfig | None = None) -> FloatArray:
    """Expected inflow without droughts: seasonal share x annual runoff x trend.

    Returns
    -------
    ndarray, shape (432,)
        m³/month, January 2015 first.
    """
    config = InflowConfig() if config is None else config
    mu, sigma = lognormal_parameters(config)
    return np.exp(mu + sigma**2 / 2)[_CALENDAR_MONTH] * trend_multiplier(config)


def generate_inflows(
    members: int,
    *,
    seed: SeedLike,
    member_offset: int = 0,
    config: InflowConfig | None = None,
    climate: MemberClimate | None = None,
) -> FloatArray:
    """Draw stochastic monthly Dongjiang natural inflow series.

    Parameters
    ----------
    members : int
        Number of series to draw (ensemble members), >= 0.
    seed : int, SeedSequence, Generator or None
        Source of randomness (SciPy SPEC 7). With an int or ``SeedSequence``, member ``i``'s
        series depends only on the seed and its global index ``member_offset + i``. A
        ``Generator`` is consumed to derive a key, so repeated calls with it differ; ``None``
        takes fresh entropy from the operating system.
    member_offset : int, optional
        Global index of the first member of this call, for drawing an ensemble in chunks.
    config : InflowConfig, optional
        The inflow assumptions; default ``InflowConfig()``.
    climate : MemberClimate, optional
        Per-member variability and multi-year drought frequency and length, arrays of shape
        ``(members,)``, in place of the config's. The weather normals and drought uniforms stay
        those of the member's index (common random numbers across futures).

    Returns
    -------
    ndarray, shape (members, 432)
        Natural inflow, m³/month, January 2015 first; positive and finite.
    """
    if members < 0 or member_offset < 0:
        raise ValueError(f"members and member_offset must be >= 0, got {members}, {member_offset}")
    config = InflowConfig() if config is None else config
    key = _philox_key(seed)
    eps = _member_normals(key, member_offset, members, MONTHS)
    log_inflow = _periodic_ar1(eps, np.asarray(config.lag1_correlation, dtype=np.float64))
    if climate is not None and climate.variability is not None:
        mu, sigma = _member_lognormal(config, np.asarray(climate.variability, dtype=np.float64))
        log_inflow *= sigma[:, _CALENDAR_MONTH]
        log_inflow += mu[:, _CALENDAR_MONTH]
    else:
        mu, sigma = lognormal_parameters(config)
        log_inflow *= sigma[_CALENDAR_MONTH]
        log_inflow += mu[_CALENDAR_MONTH]
    inflow = np.exp(log_inflow, out=log_inflow)
    inflow *= trend_multiplier(config)
    probability, length = _multiyear_settings(config, climate, members)
    if config.has_droughts or np.any(probability > 0):
        _apply_droughts(inflow, config, key, member_offset, probability, length)
    return inflow


def _member_lognormal(
    config: InflowConfig, variability: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Log-space mean and deviation, shape (member, 12), with each member's CV factor."""
    shares = np.asarray(config.seasonal_shares, dtype=np.float64)
    shares = shares / shares.sum()
    cv = np.asarray(config.monthly_cv, dtype=np.float64)[None, :] * variability[:, None]
    variance = np.log1p(cv**2)
    mu = np.log(shares * config.mean_annual_runoff)[None, :] - variance / 2
    return mu, np.sqrt(variance)


def _multiyear_settings(
    config: InflowConfig, climate: MemberClimate | None, members: int
) -> tuple[FloatArray, IntArray]:
    """Each member's multi-year drought start probability and run length."""
    event = config.multiyear_drought
    probability = np.full(members, event.annual_probability)
    length = np.full(members, event.length_years, dtype=np.int64)
    if climate is not None and climate.drought_probability is not None:
        probability = np.asarray(climate.drought_probability, dtype=np.float64)
    if climate is not None and climate.drought_length is not None:
        length = np.asarray(climate.drought_length, dtype=np.int64)
    return probability, length


def _apply_droughts(
    inflow: FloatArray,
    config: InflowConfig,
    key: UInt64Array,
    first: int,
    probability: FloatArray,
    length: IntArray,
) -> None:
    """Multiply ``inflow`` (member, month), time-major in memory, in place by the drought
    multipliers.

    A multi-year run multiplies every month of its years; a 2022-type event multiplies its
    season. Where both apply, the lower multiplier wins. ``probability`` and ``length`` are each
    member's multi-year run start probability and length in years.
    """
    members = inflow.shape[0]
    event, multiyear = config.drought_2022, config.multiyear_drought
    uniforms = np.ones((members, 2 * YEARS))  # 1 is never below a probability
    if event.annual_probability > 0 or np.any(probability > 0):
        uniforms = _member_uniforms(key, first, members, 2 * YEARS)
    starts = uniforms[:, YEARS:] < probability[:, None]
    for year in multiyear.years:
        starts[:, year - START_YEAR] = True
    run_years = _run_years(starts, length)
    whole_year = np.where(run_years, multiyear.multiplier, 1.0)
    in_season = np.where(_event_years(event, uniforms[:, :YEARS]), event.multiplier, 1.0)
    np.minimum(in_season, whole_year, out=in_season)
    by_year = inflow.T.reshape(YEARS, 12, members)  # a view: inflow is time-major in memory
    season = slice(event.first_month - 1, event.last_month)
    by_year[:, : season.start] *= whole_year.T[:, None, :]
    by_year[:, season] *= in_season.T[:, None, :]
    by_year[:, season.stop :] *= whole_year.T[:, None, :]


def _event_years(event: DroughtEvent | MultiYearDrought, uniforms: FloatArray) -> BoolArray:
    """Shape (members, years): whether an event happens (a run starts) in that year."""
    happens = uniforms < event.annual_probability
    for year in event.years:
        happens[:, year - START_YEAR] = True
    return happens


def _run_years(starts: BoolArray, length_years: IntArray) -> BoolArray:
    """Shape (members, years): the years covered by runs of ``length_years`` (per member)."""
    covered = starts.copy()
    for lag in range(1, min(int(length_years.max(initial=1)), YEARS)):
        covered[:, lag:] |= starts[:, : YEARS - lag] & (lag < length_years)[:, None]
    return covered


def _periodic_ar1(eps: FloatArray, rho: FloatArray) -> FloatArray:
    """Standardised periodic lag-1 autoregression along axis 1 of ``eps`` (member, month).

    Month 0 keeps its unit-normal draw (the stationary distribution), so every month has unit
    variance and correlation ``rho[calendar month]`` with the month before. Runs time-major,
    where each step is one contiguous row, and returns the (member, month) view of that
    time-major array: the engine reads the series time-major, so no copy is made back.
    """
    innovation = np.sqrt(1.0 - rho**2)
    anomaly = np.ascontiguousarray(eps.T)
    for t in range(1, anomaly.shape[0]):
        m = t % 12
        anomaly[t] *= innovation[m]
        anomaly[t] += rho[m] * anomaly[t - 1]
    return anomaly.T


def _philox_key(seed: SeedLike) -> UInt64Array:
    """A 128-bit Philox key (two uint64) from any SPEC 7 seed."""
    if isinstance(seed, np.random.Generator):
        seed = np.random.SeedSequence(seed.integers(0, 2**63, size=4))
    elif not isinstance(seed, np.random.SeedSequence):
        seed = np.random.SeedSequence(seed)
    key: UInt64Array = seed.generate_state(2, np.uint64).astype(np.uint64, copy=False)
    return key


def _member_normals(key: UInt64Array, first_member: int, members: int, count: int) -> FloatArray:
    """``count`` standard normals per member, each member from its own Philox counter block.

    The counter ``[0, 0, member, 0]`` leaves the two low words for the draws themselves
    (2**128 blocks of four 64-bit outputs), so blocks of different members never overlap. The
    ziggurat consumes a variable number of outputs, so each member needs its own counter reset.
    """
    out = np.empty((members, count))
    bit_generator = np.random.Philox(key=key)
    generator = np.random.Generator(bit_generator)
    state = bit_generator.state
    counter = state["state"]["counter"]
    counter[:] = 0
    state["buffer_pos"] = 4  # empty output buffer: the next draw starts at the new counter
    state["has_uint32"] = 0
    for row in range(members):
        counter[2] = first_member + row
        bit_generator.state = state
        generator.standard_normal(out=out[row])
    return out


def _member_uniforms(key: UInt64Array, first_member: int, members: int, count: int) -> FloatArray:
    """``count`` uniforms on [0, 1) per member, drawn for all members in one call.

    One uniform uses exactly one 64-bit Philox output, so member ``i`` can own the fixed
    counter range ``[i * count / 4, (i + 1) * count / 4)`` in the low word; the top word
    ``_DROUGHT_STREAM`` keeps these counters apart from the weather's.
    """
    blocks = -(-count // 4)
    bit_generator = np.random.Philox(key=key)
    state = bit_generator.state
    state["state"]["counter"] = np.array(
        [first_member * blocks, 0, 0, _DROUGHT_STREAM], dtype=np.uint64
    )
    state["buffer_pos"] = 4
    bit_generator.state = state
    raw = bit_generator.random_raw(members * blocks * 4).reshape(members, blocks * 4)
    uniforms: FloatArray = (raw[:, :count] >> np.uint64(11)).astype(np.float64)
    uniforms *= 2.0**-53  # the top 53 bits, as numpy's own Generator.random
    return uniforms
