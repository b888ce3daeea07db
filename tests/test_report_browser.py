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
    REQUIRE_FONT,
    english_runs,
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


# --- languages and widths: the README's command, on a desktop and on a 390 px phone ------------

WIDTHS = {"desktop": 1280, "phone": 390}


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory, results) -> dict[str, Path]:
    """``report baseline.nc leakage_target.nc`` in both languages, with a calibration fit."""
    from chenzhou_water.fonts import cjk_family

    folder = tmp_path_factory.mktemp("pages")
    (folder / "calibration").mkdir()
    (folder / "calibration" / "fit.csv").write_text(CALIBRATION_CSV, encoding="utf-8")
    out = {}
    for lang in ("en", "zh"):
        if lang == "zh" and cjk_family() is None:
            continue
        out[lang] = write_report([results["baseline"], results["leakage_target"]],
                                 folder / f"report_{lang}.html", lang=lang,
                                 calibration=folder / "calibration")
    return out


@pytest.mark.browser
@pytest.mark.parametrize("width", sorted(WIDTHS))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_page_fits_the_screen_and_speaks_one_language(browser, pages, lang, width):
    if lang not in pages:
        skip_or_fail("no CJK font installed (apt-get install fonts-wqy-microhei)", REQUIRE_FONT)
    page = browser.new_page(viewport={"width": WIDTHS[width], "height": 900})
    try:
        page.goto(pages[lang].as_uri(), wait_until="load")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page is {overflow} px wider than the {width} screen"
        messages = page.locator("#key-messages ul.messages li")
        assert messages.count() >= 3
        assert messages.first.is_visible()
        assert page.locator("#targets-table").is_visible()
        if width == "desktop":  # the provenance table fits: nothing clipped
            clipped = page.eval_on_selector(
                "#provenance-table", "t => t.scrollWidth - t.clientWidth")
            assert clipped <= 1, f"the provenance table is clipped by {clipped} px"
        shown = page.evaluate(
            "() => { document.querySelectorAll('code').forEach(c => c.remove());"
            " return document.body.innerText; }")
        if lang == "zh":
            assert english_runs(shown) == [], "English text on the Chinese page"
            assert "主要结论" in shown
        else:
            assert "leakage_target meets it in 2025" in shown
    finally:
        page.close()
