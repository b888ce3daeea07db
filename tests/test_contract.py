"""The model file keeps its promises: the results contract, units, ranges and sources."""

from __future__ import annotations

import re

import pytest

from chenzhou_water.model.contract import CONTRACT_UNITS, DEFAULT_OUTPUTS, HEADLINE_INDICATORS
from chenzhou_water.model.metadata import model_info
from tests.conftest import MODEL

INFO = model_info(MODEL)
SOURCE = re.compile(
    r"seed 00\d|https?://|docs/sources\.md|[Aa]ssumption|Unit conversion|Physics|Lever"
)


@pytest.mark.parametrize("name", sorted(CONTRACT_UNITS))
def test_contract_variable_is_a_model_variable_with_its_units(name):
    var = INFO.get(name)
    assert var is not None, f"the model has no variable that normalises to {name}"
    assert var.kind in ("stock", "auxiliary"), f"{name} is a {var.kind}"
    assert var.units == CONTRACT_UNITS[name]
    assert var.documentation


def test_default_outputs_and_indicators_exist_in_the_model():
    for name in DEFAULT_OUTPUTS:
        assert INFO.get(name) is not None, name
    for ind in HEADLINE_INDICATORS:
        assert INFO.get(ind.variable) is not None, ind.variable


def test_every_variable_has_units_and_documentation():
    for var in INFO.variables.values():
        assert var.units, f"{var.name} has no units"
        assert var.documentation, f"{var.name} has no documentation"


@pytest.mark.parametrize("name", INFO.names("constant") + INFO.names("lookup"))
def test_every_constant_declares_a_range_and_names_its_source(name):
    var = INFO.variables[name]
    if var.kind == "constant":
        lo, hi = var.limits
        assert lo is not None, f"{var.name} declares no minimum"
        assert hi is not None, f"{var.name} declares no maximum"
        assert lo <= var.value <= hi, f"{var.name} = {var.value} is outside [{lo}, {hi}]"
    else:
        assert var.lookup_range is not None, f"lookup {var.name} declares no range"
    assert SOURCE.search(var.documentation), (
        f"{var.name}: the documentation names no source and does not say it is an assumption"
    )


def test_documentation_cites_the_projects_own_sources_file():
    """Sources are cited through docs/sources.md (shipped), not a workplace's notes."""
    for var in INFO.variables.values():
        assert "FACTS.md" not in var.documentation, var.name
        assert "seeds/" not in var.documentation, var.name
    sources = (MODEL.parents[1] / "docs" / "sources.md").read_text(encoding="utf-8")
    for seed in sorted(set(re.findall(r"seed 00\d", " ".join(
            v.documentation for v in INFO.variables.values())))):
        assert seed in sources, f"{seed} is cited by the model but not listed in docs/sources.md"


def test_time_axis_is_monthly_2015_to_2050():
    assert INFO.start_date == "2015-01-01"
    assert INFO.time_units == "Month"
    assert (INFO.initial_time, INFO.final_time, INFO.time_step) == (0.0, 431.0, 1.0)
