"""Scenario names and descriptions in Chinese and English; Chinese names of inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from chenzhou_water.display import NAMES_ZH, display_name
from chenzhou_water.errors import ValidationError
from chenzhou_water.model.metadata import model_info
from chenzhou_water.scenario.spec import default_model_path, load_scenario

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
BASELINE = (ROOT / "scenarios" / "baseline.yaml").as_posix()


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_scenario_has_chinese_name_and_description(path):
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    assert any("\u4e00" <= ch <= "\u9fff" for ch in scenario.name_zh)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in scenario.description_zh)
    assert scenario.description


def test_bilingual_text_round_trips_through_the_resolved_scenario(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(f"name: {{zh: 测试情景, en: test}}\ndescription: {{zh: 说明。, en: Text.}}\n"
                    f"extends: {BASELINE}\n", encoding="utf-8")
    scenario = load_scenario(path)
    assert (scenario.name, scenario.name_zh) == ("test", "测试情景")
    assert (scenario.description, scenario.description_zh) == ("Text.", "说明。")
    assert scenario.to_dict()["name"] == {"zh": "测试情景", "en": "test"}


@pytest.mark.parametrize(("text", "message"), [
    ("name: {zh: 测试, en: 'a b'}", "name.en: 'a b' is not valid"),
    ("name: x\ndescription: {zh: 说明, fr: x}", "description.fr: unknown key 'fr'"),
    ("name: x\ndescription: {zh: 说明}", "description: missing required key 'en'"),
    ("name: x\ndescription: [1]", "description: expected a string or a mapping {zh: ..., en: ...}"),
    ("name: {zh: '', en: x}", "name.zh: must not be empty"),
])
def test_broken_bilingual_text_is_located(tmp_path, text, message):
    path = tmp_path / "s.yaml"
    path.write_text(f"{text}\nextends: {BASELINE}\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_scenario(path)
    assert message in str(info.value)
    assert "s.yaml:" in str(info.value)


def test_every_lever_of_the_model_has_a_chinese_name():
    info = model_info(default_model_path())
    levers = [v.py_name for v in info.variables.values()
              if v.documentation.startswith("Lever")]
    assert levers
    assert [n for n in levers if n not in NAMES_ZH] == []
    assert [n for n in NAMES_ZH if info.get(n) is None] == []
    assert display_name("renewal_programme", "en") == "renewal_programme"
    assert display_name("leakage_rate_pct", "zh") == "供水漏损率"
