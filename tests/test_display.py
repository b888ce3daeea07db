"""The one vocabulary of display units: the README's table, CSV headers, Babel numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from chenzhou_water.display import (
    DISPLAY_UNITS,
    csv_header,
    format_delta,
    format_number,
    indicator_unit,
    readme_unit_table,
    significant_format,
    variable_unit,
)
from chenzhou_water.model.contract import CONTRACT_UNITS, HEADLINE_INDICATORS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
VENSIM_ONLY = ("Dmnl", "Month", "Day", "wanCNY", "10^", "m3")


def test_readme_unit_table_is_made_from_the_vocabulary():
    assert readme_unit_table() in README


@pytest.mark.parametrize("name", sorted(CONTRACT_UNITS))
def test_every_contract_variable_has_a_display_unit_without_vensim_spelling(name):
    unit = variable_unit(name)
    assert unit.en in {u.en for u in DISPLAY_UNITS.values()} | {"", "zone 1–4", "0/1"}
    for label in (unit.en, unit.zh):
        assert not any(v in label for v in VENSIM_ONLY), (name, label)


def test_shares_are_percent_and_volumes_use_the_readers_prefix():
    assert variable_unit("leakage_rate").label("en") == "%"
    assert variable_unit("leakage_rate").factor("zh") == 100.0
    storage = variable_unit("reservoir_storage")
    assert (storage.en, storage.zh) == ("million m³", "亿m³")
    assert 6.87e9 * storage.zh_factor == pytest.approx(68.7)
    flow = next(i for i in HEADLINE_INDICATORS if i.key == "urban_demand_kt_d")
    assert indicator_unit(flow).label("zh") == "万m³/日"
    assert 237.0 * indicator_unit(flow).factor("zh") == pytest.approx(23.7)
    pue = next(i for i in HEADLINE_INDICATORS if i.key == "dc_pue")
    assert indicator_unit(pue).label("en") == ""


def test_csv_headers_use_the_vocabulary():
    assert csv_header("reservoir_storage", "m3") == "reservoir_storage [million m³]"
    assert csv_header("leakage_rate", "Dmnl") == "leakage_rate [%]"
    assert csv_header("dc_pue", "Dmnl") == "dc_pue"


def test_numbers_go_through_babel_with_one_precision_per_column():
    pattern = significant_format([5.6, 5.602, 12.0])
    assert [format_number(v, "en", pattern) for v in (5.6, 5.602)] == ["5.60", "5.60"]
    assert format_number(1201.4, "en") == "1,201"
    assert format_number(1201.4, "zh") == "1,201"
    assert format_number(float("nan")) == "–"
    assert format_delta(-0.5, "en") == "−0.500"
    assert significant_format([0.0, 0.0]) == "#,##0"


def test_factors_and_indices_are_numbers_not_percentages():
    from chenzhou_water.display import VARIABLE_UNITS
    from chenzhou_water.model.metadata import model_info
    from chenzhou_water.scenario import default_model_path

    assert csv_header("peak_day_factor", "Dmnl") == "peak_day_factor"
    assert csv_header("local_drought_sensitivity", "Dmnl") == "local_drought_sensitivity"
    assert variable_unit("peak_day_factor").factor("zh") == 1.0
    info = model_info(default_model_path())
    for name in VARIABLE_UNITS:  # every listed name is a dimensionless variable of the model
        assert info.variables[name].units == "Dmnl", name
