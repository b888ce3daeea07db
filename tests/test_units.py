"""Tests of the dimensional-consistency check (``chenzhou_water.model.units``)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chenzhou_water.errors import ModelError, UnitsError, UnitsSyntaxError
from chenzhou_water.model.units import (
    Unit,
    UnitIssue,
    UnitsReport,
    check_units,
    format_report,
    format_units,
    parse_units,
)

MODELS = Path(__file__).parent / "models"
OK_MODEL = MODELS / "units_ok.mdl"
WRONG_MODEL = MODELS / "units_wrong.mdl"

F = Fraction


def u(scale: int | Fraction = 1, **powers: int | Fraction) -> Unit:
    """A unit from keyword exponents: ``u(m3=1, Day=-1)``."""
    return Unit.of({k: F(v) for k, v in powers.items()}, F(scale))


# --- the unit algebra and its parser ----------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("m3", u(m3=1)),
        ("m3/Month", u(m3=1, Month=-1)),
        ("m3/(person*Day)", u(m3=1, person=-1, Day=-1)),
        ("m3/person/Day", u(m3=1, person=-1, Day=-1)),
        ("1/Month", u(Month=-1)),
        ("kWh/Month", u(kWh=1, Month=-1)),
        ("t/kWh", u(t=1, kWh=-1)),
        ("Day/Month", u(Day=1, Month=-1)),
        ("10000*CNY", u(10000, CNY=1)),
        ("10000*CNY/Month", u(10000, CNY=1, Month=-1)),
        ("0.001*m3", u(F(1, 1000), m3=1)),
        ("1e4*CNY", u(10000, CNY=1)),
        ("km2", u(km2=1)),
        ("mm/Month", u(mm=1, Month=-1)),
        ("degC", u(degC=1)),
        ("m^2", u(m=2)),
        ("m^-1", u(m=-1)),
        ("m^(1/2)", u(m=F(1, 2))),
        ("(m/s)^2", u(m=2, s=-2)),
        ("m3 [0, 1e10]", u(m3=1)),
        ("1/Month [0, 1, 0.01]", u(Month=-1)),
        ("Months", u(Month=1)),
        ("m3/Days", u(m3=1, Day=-1)),
        ("Dmnl", u()),
        ("dmnl", u()),
        ("1", u()),
        ("dimensionless", u()),
        ("fraction", u()),
        ("", u()),
        ("  ", u()),
        ("Thousand person", u(**{"Thousand person": 1})),
        ("m3/m3", u()),
    ],
)
def test_parse_units_table(text: str, expected: Unit) -> None:
    assert parse_units(text) == expected


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("m3//Month", "unexpected '/'"),
        ("m3/(Day", "ends too early"),
        ("m3)", r"unexpected '\)'"),
        ("m^x", "exponent must be a number"),
        ("m3 & Day", "unexpected '&"),
        ("(10*CNY)^(1/2)", "no exact 2th root"),
    ],
)
def test_parse_units_rejects_bad_strings(text: str, match: str) -> None:
    with pytest.raises(UnitsSyntaxError, match=match):
        parse_units(text)


def test_units_syntax_error_is_a_units_error() -> None:
    assert issubclass(UnitsSyntaxError, UnitsError)


def test_month_and_day_are_different_units() -> None:
    assert parse_units("m3/Day") != parse_units("m3/Month")
    converted = parse_units("m3/Day") * parse_units("Day/Month")
    assert converted == parse_units("m3/Month")


def test_scale_is_part_of_the_unit() -> None:
    assert parse_units("10000*CNY") != parse_units("CNY")
    assert parse_units("10000*CNY") / parse_units("CNY") == parse_units("10000")


@pytest.mark.parametrize(
    ("unit", "text"),
    [
        (u(m3=1, person=-1, Day=-1), "m3/(Day*person)"),
        (u(Month=-1), "1/Month"),
        (u(), "Dmnl"),
        (u(10000, CNY=1), "10000*CNY"),
        (u(F(1, 1000), m3=1), "0.001*m3"),
        (u(F(1, 3), m=1), "(1/3)*m"),
        (u(m=F(1, 2)), "m^(1/2)"),
        (u(s=-2), "1/s^2"),
    ],
)
def test_format_units(unit: Unit, text: str) -> None:
    assert format_units(unit) == text
    assert str(unit) == text


SYMBOLS = ["m3", "Month", "Day", "person", "L", "km", "MW", "kWh", "t", "degC", "CNY", "m",
           "km2", "mm", "year", "Thousand person"]
exponents = st.fractions(min_value=F(-4), max_value=F(4), max_denominator=3).filter(bool)
scales = st.one_of(
    st.just(F(1)),
    st.integers(min_value=1, max_value=10**9).map(F),
    st.fractions(min_value=F(1, 10**4), max_value=F(10**6), max_denominator=10**4).filter(
        lambda f: f > 0),
)


@given(powers=st.dictionaries(st.sampled_from(SYMBOLS), exponents, max_size=5), scale=scales)
def test_parse_format_round_trip(powers: dict[str, Fraction], scale: Fraction) -> None:
    unit = Unit.of(powers, scale)
    assert parse_units(format_units(unit)) == unit


# --- the model check --------------------------------------------------------------------------

def test_consistent_model_passes() -> None:
    report = check_units(OK_MODEL)
    assert report.ok, format_report(report)
    assert report.issues == ()
    assert report.checked == 35
    assert format_report(report).endswith("35 equations checked, units are consistent")


WRONG = [
    ("reservoir storage", "INTEG: flow vs stock/time", "m3/Day", "m3/Month"),
    ("total supply", "left and right of '+'", "m3/Month", "m3/Day"),
    ("city demand", "declared vs computed", "m3/Month", "L/Day"),
    ("chosen supply", "IF THEN ELSE branches", "m3/Month", "m3/Day"),
    ("limited supply", "MIN/MAX arguments", "m3/Month", "m3"),
    ("growth", "argument of EXP", "person", "Dmnl"),
    ("leakage fraction", "declared units", "", ""),
    ("backup storage", "INTEG: initial value vs stock", "m3", "person"),
    ("supply ratio", "XIDZ fallback", "Dmnl", "m3/Month"),
    ("shortage", "left and right of '<'", "m3", "m3/Month"),
    ("smoothed demand", "SMOOTH time vs model time", "Day", "Month"),
    ("investment yuan", "declared vs computed", "CNY", "10000*CNY"),
    ("river stage", "declared units", "m//s", ""),
    ("FINAL TIME", "control vs TIME STEP", "Year", "Month"),
]


@pytest.fixture(scope="module")
def wrong_report() -> UnitsReport:
    return check_units(WRONG_MODEL)


def test_wrong_model_reports_every_issue_and_nothing_else(wrong_report: UnitsReport) -> None:
    assert not wrong_report.ok
    found = [(i.variable, i.where, i.left, i.right) for i in wrong_report.issues]
    assert found == WRONG


@pytest.mark.parametrize(("variable", "where", "left", "right"), WRONG)
def test_message_names_the_variable_and_both_units(
    wrong_report: UnitsReport, variable: str, where: str, left: str, right: str
) -> None:
    issue = next(i for i in wrong_report.issues if i.variable == variable and i.where == where)
    prefix = f"  - {variable}: {where}: "
    line = next(x for x in format_report(wrong_report).splitlines() if x.startswith(prefix))
    for units in (left, right):
        if units and units != "Dmnl":
            assert units in issue.message
            assert units in line


def test_flow_in_days_into_a_monthly_stock(wrong_report: UnitsReport) -> None:
    issue = wrong_report.issues[0]
    assert issue == UnitIssue(
        "reservoir storage", "INTEG: flow vs stock/time", "m3/Day", "m3/Month",
        "the flow is in m3/Day but a stock in m3 with time in Month needs m3/Month")


def test_format_report_lists_every_issue(wrong_report: UnitsReport) -> None:
    lines = format_report(wrong_report).splitlines()
    assert lines[0] == f"{WRONG_MODEL}: 26 equations checked, 14 units issues"
    assert len(lines) == 1 + len(WRONG)
    expected = "total supply: left and right of '+': cannot add different units: m3/Month vs m3/Day"
    assert lines[2] == f"  - {expected}"


def _write_model(tmp_path: Path, equations: str) -> Path:
    control = ("INITIAL TIME = 0 ~ Month ~ |\nFINAL TIME = 12 ~ Month ~ |\n"
               "TIME STEP = 1 ~ Month ~ |\nSAVEPER = TIME STEP ~ Month ~ |\n")
    path = tmp_path / "model.mdl"
    path.write_text("{UTF-8}\n" + equations + control, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("equation", "where"),
    [
        ("y = x ^ k ~ m3 ~ |\nk = 2 ~ Dmnl ~ |", "base of '^'"),
        ("y = SQRT(x) ~ m3 ~ |", "declared vs computed"),
        ("y = LN(x) ~ Dmnl ~ |", "argument of LN"),
        ("y = STEP(x, d) ~ m3 ~ |\nd = 3 ~ Day ~ |", "STEP time vs model time"),
        ("y = DELAY1I(x, 2, k) ~ m3 ~ |\nk = 2 ~ Dmnl ~ |", "DELAY input vs initial value"),
        ("y = x * TIME ~ m3 ~ |", "declared vs computed"),
        ("y = RAMP(x, 1, 5) ~ m3 ~ |", "declared vs computed"),
        ("y = MODULO(x, 2 * k) ~ m3 ~ |\nk = 2 ~ Dmnl ~ |", "MODULO arguments"),
        ("y = lk(x) ~ m3 ~ |\nlk([(0,0)-(1,1)],(0,0),(1,1)) ~ Dmnl ~ |", "declared vs computed"),
        ("y = x * (x / x) ^ x ~ m3 ~ |", "exponent of '^'"),
        ("y = x ~ m3*m3 ~ |", "declared vs computed"),
        ("y = TREND(x, 2, 0) ~ m3 ~ |", "declared vs computed"),
        ("y = SAMPLE IF TRUE(Time > 2, x, k) ~ m3 ~ |\nk = 2 ~ Dmnl ~ |",
         "SAMPLE IF TRUE input vs initial value"),
    ],
)
def test_rules_on_small_models(tmp_path: Path, equation: str, where: str) -> None:
    path = _write_model(tmp_path, f"x = 3 ~ m3 ~ |\n{equation}\n")
    report = check_units(path)
    assert [i.where for i in report.issues] == [where], format_report(report)
    assert report.issues[0].variable == "y"


@pytest.mark.parametrize(
    "equation",
    [
        "y = 0.5 * x + 1 ~ m3 ~ |",
        "y = x ^ 2 / x ~ m3 ~ |",
        "y = SQRT(x * x) ~ m3 ~ |",
        "y = RAMP(x / TIME STEP, 1, 5) ~ m3 ~ |",
        "y = STEP(x, 3) + PULSE(2, 1) * x ~ m3 ~ |",
        "y = ABS(-x) + INTEGER(x) + QUANTUM(x, x) ~ m3 ~ |",
        "y = IF THEN ELSE(x > 1 :AND: x < 5, x, 0) ~ m3 ~ |",
        "y = ZIDZ(x, x) * EXP(x / x) ~ Dmnl ~ |",
        "y = INITIAL(x) + SMOOTH3(x, 2) + DELAY FIXED(x, 2, x) ~ m3 ~ |",
        "y = lk(x / x) * x ~ m3 ~ |\nlk([(0,0)-(1,1)],(0,0),(1,1)) ~ Dmnl ~ |",
        "y = RAMP(2, 1, 5) + x ~ m3 ~ |",
        "y = x * (x / x) ^ k + x ^ (1 / 2) * x ^ 0.5 ~ m3 ~ |\nk = 2 ~ Dmnl ~ |",
        "y = TREND(x, 2, 0) * x * TIME STEP ~ m3 ~ |",
        "y = MIN(x, MAX(x, 0)) - XIDZ(x * x, x, x) + SAMPLE IF TRUE(Time > 2, x, x) ~ m3 ~ |",
    ],
)
def test_consistent_equations_pass(tmp_path: Path, equation: str) -> None:
    report = check_units(_write_model(tmp_path, f"x = 3 ~ m3 ~ |\n{equation}\n"))
    assert report.ok, format_report(report)


def test_undeclared_control_is_not_reported(tmp_path: Path) -> None:
    path = tmp_path / "model.mdl"
    path.write_text("{UTF-8}\nx = 1 ~ m3 ~ |\nINITIAL TIME = 0 ~ ~ |\nFINAL TIME = 2 ~ Month ~ |\n"
                    "TIME STEP = 1 ~ Month ~ |\nSAVEPER = 1 ~ Month ~ |\n", encoding="utf-8")
    assert check_units(path).ok


def test_missing_model_raises(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        check_units(tmp_path / "absent.mdl")
