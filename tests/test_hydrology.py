"""Tests of the stochastic Dongjiang inflow generator (chenzhou_water.hydrology.generator)."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from chenzhou_water.errors import ModelError, ValidationError
from chenzhou_water.hydrology.generator import (
    DEFAULT_SEASONAL_SHARES,
    MONTHS,
    DroughtEvent,
    InflowConfig,
    MultiYearDrought,
    generate_inflows,
    lognormal_parameters,
    mean_inflow,
    seasonal_shares_from_model,
    trend_multiplier,
)
from chenzhou_water.hydrology.plots import hydrology_figure, plot_inflows

matplotlib.use("Agg")

MODEL = Path(__file__).resolve().parents[1] / "models" / "chenzhou_water.mdl"
RUNOFF = 4.54e9
JUL_2022 = 12 * (2022 - 2015) + 6  # month index of July 2022


@pytest.fixture(scope="module")
def large_sample() -> np.ndarray:
    """4,000 members x 36 years of the default generator."""
    return generate_inflows(4000, seed=20240601)


def _monthly_means(series: np.ndarray) -> np.ndarray:
    return series.reshape(len(series), -1, 12).mean(axis=(0, 1))


# --- exact checks ----------------------------------------------------------------------------


def test_lognormal_parameters_give_the_seasonal_means_exactly() -> None:
    config = InflowConfig()
    mu, sigma = lognormal_parameters(config)
    expected = np.asarray(DEFAULT_SEASONAL_SHARES) * RUNOFF
    np.testing.assert_allclose(np.exp(mu + sigma**2 / 2), expected, rtol=1e-12)
    np.testing.assert_allclose(np.sqrt(np.expm1(sigma**2)), config.monthly_cv, rtol=1e-12)


def test_default_shares_are_a_wet_season_regime() -> None:
    shares = np.asarray(DEFAULT_SEASONAL_SHARES)
    assert shares.sum() == pytest.approx(1.0, abs=1e-12)
    assert shares[3:9].sum() > 0.6  # April-September
    assert set(np.argsort(shares)[-2:]) == {4, 5}  # peak in May-June


def test_trend_reaches_its_fraction_in_december_2050() -> None:
    config = InflowConfig(trend_by_2050=-0.1, trend_start_year=2025)
    trend = trend_multiplier(config)
    assert trend[: 12 * 10] == pytest.approx(1.0)
    assert trend[-1] == pytest.approx(0.9)
    assert np.all(np.diff(trend) <= 0)
    base = mean_inflow(InflowConfig())
    np.testing.assert_allclose(mean_inflow(config), base * trend)


# --- statistics of a large sample ------------------------------------------------------------


def test_long_run_mean_is_the_annual_runoff(large_sample: np.ndarray) -> None:
    annual = large_sample.reshape(len(large_sample), -1, 12).sum(axis=2)
    assert annual.mean() == pytest.approx(RUNOFF, rel=0.005)
    assert 0.2 < annual.std() / annual.mean() < 0.3  # the documented ≈ 0.25


def test_seasonal_shares_and_cv(large_sample: np.ndarray) -> None:
    by_month = large_sample.reshape(len(large_sample), -1, 12)
    means = by_month.mean(axis=(0, 1))
    np.testing.assert_allclose(means / RUNOFF, DEFAULT_SEASONAL_SHARES, rtol=0.015)
    cv = by_month.std(axis=(0, 1)) / means
    np.testing.assert_allclose(cv, InflowConfig().monthly_cv, rtol=0.06)


def test_lag1_correlation_in_log_space(large_sample: np.ndarray) -> None:
    log_flow = np.log(large_sample)
    expected = InflowConfig().lag1_correlation
    for month in range(12):
        months = np.arange(month or 12, MONTHS, 12)
        r = np.corrcoef(log_flow[:, months].ravel(), log_flow[:, months - 1].ravel())[0, 1]
        assert r == pytest.approx(expected[month], abs=0.02), f"calendar month {month + 1}"


# --- reproducibility -------------------------------------------------------------------------

RANDOM_DROUGHTS = InflowConfig(
    drought_2022=DroughtEvent(annual_probability=0.2),
    multiyear_drought=MultiYearDrought(annual_probability=0.1, length_years=2),
)


@pytest.mark.parametrize("config", [InflowConfig(), RANDOM_DROUGHTS], ids=["plain", "droughts"])
def test_members_do_not_depend_on_chunking(config: InflowConfig) -> None:
    whole = generate_inflows(100, seed=3, config=config)
    chunks = [(0, 1), (1, 37), (38, 50), (88, 12)]
    pieces = [generate_inflows(n, seed=3, member_offset=o, config=config) for o, n in chunks]
    np.testing.assert_array_equal(np.vstack(pieces), whole)


def test_seed_reproducibility_and_spec7_seeds() -> None:
    a = generate_inflows(5, seed=0)
    np.testing.assert_array_equal(a, generate_inflows(5, seed=0))
    np.testing.assert_array_equal(a, generate_inflows(5, seed=np.random.SeedSequence(0)))
    assert not np.array_equal(a, generate_inflows(5, seed=1))
    rng = np.random.default_rng(9)
    first, second = generate_inflows(2, seed=rng), generate_inflows(2, seed=rng)
    assert not np.array_equal(first, second)  # a Generator is consumed, as SPEC 7 says
    assert generate_inflows(0, seed=0).shape == (0, MONTHS)


def test_global_random_state_is_untouched() -> None:
    before = np.random.get_state()[1].copy()  # noqa: NPY002 (the legacy global state)
    generate_inflows(3, seed=4, config=RANDOM_DROUGHTS)
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # noqa: NPY002


def test_negative_member_count_is_rejected() -> None:
    with pytest.raises(ValueError, match="must be >= 0"):
        generate_inflows(-1, seed=0)


# --- droughts --------------------------------------------------------------------------------


def _ratio_to_plain(config: InflowConfig, members: int = 20) -> np.ndarray:
    """Drought multiplier actually applied: the weather is the same stream with or without."""
    return generate_inflows(members, seed=11, config=config) / generate_inflows(members, seed=11)


def test_2022_type_event_hits_july_to_december_only() -> None:
    ratio = _ratio_to_plain(InflowConfig(drought_2022=DroughtEvent(years=(2022,))))
    expected = np.ones(MONTHS)
    expected[JUL_2022 : JUL_2022 + 6] = 0.3
    np.testing.assert_allclose(ratio, np.broadcast_to(expected, ratio.shape), rtol=1e-12)


def test_multiyear_drought_and_overlap_takes_the_lower_multiplier() -> None:
    config = InflowConfig(
        multiyear_drought=MultiYearDrought(years=(2030,), length_years=3, multiplier=0.8),
        drought_2022=DroughtEvent(years=(2031, 2040), multiplier=0.5, first_month=8),
    )
    expected = np.ones(MONTHS)
    expected[180:216] = 0.8  # 2030-2032
    expected[12 * 16 + 7 : 12 * 17] = 0.5  # August-December 2031, inside the run
    expected[12 * 25 + 7 : 12 * 26] = 0.5  # August-December 2040
    ratio = _ratio_to_plain(config)
    np.testing.assert_allclose(ratio, np.broadcast_to(expected, ratio.shape), rtol=1e-12)


def test_multiyear_run_is_cut_at_2050() -> None:
    config = InflowConfig(multiyear_drought=MultiYearDrought(years=(2049,), length_years=5))
    ratio = _ratio_to_plain(config, members=2)
    assert np.all(ratio[:, -24:] == pytest.approx(0.75))
    assert np.all(ratio[:, :-24] == pytest.approx(1.0))


def test_random_events_happen_at_their_annual_probability() -> None:
    config = InflowConfig(drought_2022=DroughtEvent(annual_probability=0.2))
    ratio = _ratio_to_plain(config, members=2000)
    hit = ratio.reshape(2000, -1, 12)[:, :, 6] < 0.5  # July of each year
    assert hit.mean() == pytest.approx(0.2, abs=0.01)
    assert np.all(ratio.reshape(2000, -1, 12)[:, :, :6] == pytest.approx(1.0))


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "where", "message"),
    [
        ({"mean_annual_runoff": -1.0}, "mean_annual_runoff", r"-1 is outside .*\(0, inf\]"),
        ({"seasonal_shares": (0.1,) * 11}, "seasonal_shares", "expected 12 monthly values"),
        ({"seasonal_shares": (0.1,) * 12}, "seasonal_shares", "sum to 1.2, not 1"),
        ({"monthly_cv": (0.5,) * 11 + (4.0,)}, "monthly_cv[11]", r"4 is outside .*\[0, 3\]"),
        ({"lag1_correlation": (1.0,) + (0.5,) * 11}, "lag1_correlation[0]", r"\(-1, 1\)"),
        ({"trend_by_2050": -1.0}, "trend_by_2050", r"-1 is outside"),
        ({"trend_start_year": 2051}, "trend_start_year", r"2051 is outside .*\[2015, 2050\]"),
        ({"trend_start_year": 2020.5}, "trend_start_year", "expected a whole number"),
        ({"monthly_cv": None}, "monthly_cv", "expected a list of 12 numbers"),
    ],
)
def test_bad_config_values_are_rejected(kwargs: dict, where: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as info:
        InflowConfig(**kwargs)
    assert [p.where for p in info.value.problems] == [where]


@pytest.mark.parametrize(
    ("kind", "kwargs", "where", "message"),
    [
        (DroughtEvent, {"years": (2014,)}, "years[0]", r"2014 is outside .*\[2015, 2050\]"),
        (DroughtEvent, {"years": (2030.0,)}, "years", "expected a list of years"),
        (DroughtEvent, {"multiplier": 0.0}, "multiplier", r"0 is outside .*\(0, 1\]"),
        (DroughtEvent, {"annual_probability": 1.5}, "annual_probability", "1.5 is outside"),
        (DroughtEvent, {"first_month": 9, "last_month": 3}, "last_month", "before first_month"),
        (DroughtEvent, {"first_month": 0}, "first_month", r"0 is outside .*\[1, 12\]"),
        (MultiYearDrought, {"length_years": 0}, "length_years", r"0 is outside .*\[1, 36\]"),
    ],
)
def test_bad_drought_values_are_rejected(
    kind: type, kwargs: dict, where: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message) as info:
        kind(**kwargs)
    assert [p.where for p in info.value.problems] == [where]


def test_from_mapping_builds_a_config() -> None:
    mapping = {
        "mean_annual_runoff": "4.48e9",  # PyYAML reads 4.48e9 as a string
        "monthly_cv": 0.5,
        "trend_by_2050": -0.1,
        "drought_2022": {"years": 2022},
        "multiyear_drought": {"annual_probability": 0.05, "length_years": 2},
    }
    config = InflowConfig.from_mapping(mapping, file="sweep.yaml")
    assert config.mean_annual_runoff == 4.48e9
    assert config.monthly_cv == (0.5,) * 12
    assert config.drought_2022 == DroughtEvent(years=(2022,))
    assert config.multiyear_drought.length_years == 2
    assert InflowConfig.from_mapping(None) == InflowConfig()


def test_from_mapping_collects_every_problem_with_its_path() -> None:
    mapping = {
        "sesonal_shares": [0.1] * 12,
        "monthly_cv": [0.5] * 12 + [0.4],
        "lag1_correlation": "high",
        "trend_by_2050": -2,
        "drought_2022": {"years": [2060], "multiplier": 1.3, "month": 7},
        "multiyear_drought": [2030],
    }
    with pytest.raises(ValidationError) as info:
        InflowConfig.from_mapping(mapping, file="sweep.yaml", where=("inflow",))
    found = {p.where: p.message for p in info.value.problems}
    assert all(p.file == "sweep.yaml" for p in info.value.problems)
    assert "did you mean 'seasonal_shares'" in found["inflow.sesonal_shares"]
    assert "expected 12 monthly values" in found["inflow.monthly_cv"]
    assert "expected a number, got 'high'" in found["inflow.lag1_correlation"]
    assert "-2 is outside" in found["inflow.trend_by_2050"]
    assert "2060 is outside" in found["inflow.drought_2022.years[0]"]
    assert "1.3 is outside" in found["inflow.drought_2022.multiplier"]
    assert "unknown key 'month'" in found["inflow.drought_2022.month"]
    assert "expected a mapping" in found["inflow.multiyear_drought"]
    assert len(found) == 8
    assert "sweep.yaml: inflow.trend_by_2050:" in str(info.value)


def test_from_mapping_rejects_a_non_mapping() -> None:
    with pytest.raises(ValidationError, match=r"inflow: expected a mapping, got \[1, 2\]"):
        InflowConfig.from_mapping([1, 2], file="sweep.yaml")


# --- the Vensim model's shares ---------------------------------------------------------------

_TINY_MODEL = """{{UTF-8}}
inflow seasonal share(
\t[(1,0)-(12,1)],{points})
\t~\tDmnl
\t~\tShare of the annual runoff in each calendar month.
\t|

INITIAL TIME  = 0
\t~\tMonth
\t~\t|

FINAL TIME  = 12
\t~\tMonth
\t~\t|

TIME STEP  = 1
\t~\tMonth
\t~\t|

SAVEPER  = TIME STEP
\t~\tMonth
\t~\t|
"""


def _tiny_model(tmp_path: Path, shares: list[float]) -> Path:
    path = tmp_path / "tiny.mdl"
    points = ",".join(f"({i + 1},{s})" for i, s in enumerate(shares))
    path.write_text(_TINY_MODEL.format(points=points), encoding="utf-8")
    return path


def test_shares_are_read_from_a_model(tmp_path: Path) -> None:
    shares = [0.05] * 10 + [0.25, 0.25]
    model = _tiny_model(tmp_path, shares)
    assert seasonal_shares_from_model(model) == pytest.approx(shares)
    config = InflowConfig.from_model(model)
    assert config.seasonal_shares == pytest.approx(shares)
    assert config.mean_annual_runoff == RUNOFF  # the tiny model has no runoff constant
    from_yaml = InflowConfig.from_mapping({"monthly_cv": 0.3}, model=model)
    assert from_yaml.seasonal_shares == pytest.approx(shares)


def test_a_model_lookup_that_does_not_sum_to_one_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="must sum to 1"):
        seasonal_shares_from_model(_tiny_model(tmp_path, [0.1] * 12))


@pytest.mark.skipif(not MODEL.is_file(), reason="models/chenzhou_water.mdl not written yet")
def test_module_defaults_agree_with_the_project_model() -> None:
    np.testing.assert_allclose(
        seasonal_shares_from_model(MODEL), DEFAULT_SEASONAL_SHARES, atol=1e-9
    )
    assert InflowConfig.from_model(MODEL) == InflowConfig()


# --- properties ------------------------------------------------------------------------------

_monthly = st.lists(st.floats(0.0, 3.0), min_size=12, max_size=12)


@st.composite
def inflow_configs(draw: st.DrawFn) -> InflowConfig:
    weights = np.array(draw(st.lists(st.floats(0.01, 1.0), min_size=12, max_size=12)))
    return InflowConfig(
        mean_annual_runoff=draw(st.floats(1e6, 1e11)),
        seasonal_shares=tuple(weights / weights.sum()),
        monthly_cv=tuple(draw(_monthly)),
        lag1_correlation=tuple(draw(st.lists(st.floats(-0.99, 0.99), min_size=12, max_size=12))),
        trend_by_2050=draw(st.floats(-0.95, 1.0)),
        drought_2022=DroughtEvent(annual_probability=draw(st.floats(0.0, 1.0))),
        multiyear_drought=MultiYearDrought(multiplier=draw(st.floats(0.01, 1.0)), years=(2040,)),
    )


@settings(max_examples=40, deadline=None)
@given(config=inflow_configs(), seed=st.integers(0, 2**64 - 1), offset=st.integers(0, 10**9))
def test_inflows_are_positive_and_finite(config: InflowConfig, seed: int, offset: int) -> None:
    series = generate_inflows(3, seed=seed, member_offset=offset, config=config)
    assert series.shape == (3, MONTHS)
    assert np.all(np.isfinite(series))
    assert np.all(series > 0)


# --- plots -----------------------------------------------------------------------------------


def test_plot_inflows_returns_its_axes() -> None:
    ax = Figure().add_subplot()
    assert plot_inflows(generate_inflows(10, seed=0), ax) is ax
    assert isinstance(plot_inflows(generate_inflows(10, seed=0)), Axes)


def test_hydrology_figure_can_be_saved(tmp_path: Path) -> None:
    fig = hydrology_figure(RANDOM_DROUGHTS, members=50, seed=0)
    assert isinstance(fig, Figure)
    assert len(fig.axes) >= 4
    fig.savefig(tmp_path / "hydrology.png", dpi=50)
    assert (tmp_path / "hydrology.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
