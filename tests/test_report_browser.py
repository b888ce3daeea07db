"""The report as a planner sees it: opened in headless Chromium, checked, photographed.

Skipped outside CI when playwright or Chromium is missing; in CI (``CI`` set) or where
``CHENZHOU_WATER_REQUIRE_BROWSER`` is set (``.ci/run`` sets it) that is a failure, so the test
cannot silently stop running.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from report_support import (  # noqa: F401  (results_fixture: the `results` fixture)
    CALIBRATION_CSV,
    REQUIRE_BROWSER,
    results_fixture,
    skip_or_fail,
)

from chenzhou_water.model.contract import HEADLINE_INDICATORS
from chenzhou_water.report import write_report

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

SECTIONS = ("#scenarios", "#headline-table", "#fig-storage", "#fig-supply", "#fig-leakage",
            "#fig-reuse", "#fig-datacentre", "#fig-hydropower", "#attribution img.waterfall",
            "#calibration-table", "#provenance-table")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of Chromium, after checking playwright is importable; skip or fail if missing."""
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (pip install playwright)")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        missing.append("Chromium (apt-get install chromium)")
    if missing:
        skip_or_fail("the browser test needs " + " and ".join(missing), REQUIRE_BROWSER)
    return str(executable)


@pytest.mark.browser
def test_report_renders_in_chromium(chromium, tmp_path, results):
    from playwright.sync_api import sync_playwright

    (tmp_path / "calibration").mkdir()
    (tmp_path / "calibration" / "fit.csv").write_text(CALIBRATION_CSV, encoding="utf-8")
    page_file = write_report(
        [results["baseline_ensemble"], results["leakage_target"], results["reuse_25"]],
        tmp_path / "report.html", calibration=tmp_path / "calibration",
        attribute_target="leakage_volume_kt_d:2030",
    )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            _check_page(browser, page_file, tmp_path / "report.png")
        finally:
            browser.close()
    assert (tmp_path / "report.png").stat().st_size > 50_000


def _check_page(browser, page_file: Path, screenshot: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    fetched: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda req: fetched.append(req.url)
            if not req.url.startswith(("file:", "data:")) else None)
    page.goto(page_file.as_uri(), wait_until="load")
    for selector in SECTIONS:
        assert page.locator(selector).count() >= 1, f"{selector} is missing"
        assert page.locator(selector).first.is_visible(), f"{selector} is not visible"
    widths = page.eval_on_selector_all(
        "img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
    assert len(widths) >= 8, widths  # six figures, two waterfalls
    assert all(w > 0 for w in widths), widths
    assert page.locator("#attribution img.waterfall").count() == 2
    rows = page.locator("#headline-table tbody tr").count()
    assert rows == len(HEADLINE_INDICATORS) * 3  # every headline indicator, three scenarios
    page.screenshot(path=str(screenshot), full_page=True)
    assert errors == [], errors
    assert fetched == [], f"the page fetched {fetched}"
