"""The explorer as a planner uses it: served by ``chenzhou-water explore`` in a subprocess,
opened in headless Chromium; a slider moves, the plot changes, a bad value shows the loader's
message, the saved scenario validates, the diagram renders and shows a variable's details.

With ``EXPLORER_SCREENSHOTS=DIR`` set, the test also writes ``DIR/explorer.png`` and
``DIR/explorer_diagram.png`` (the README's pictures: ``EXPLORER_SCREENSHOTS=docs``).
Skipped outside CI when playwright or Chromium is missing, like the report's browser test.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_report_browser import CHROMIUM_ARGS, chromium  # noqa: F401  (the fixture)

from chenzhou_water.scenario.spec import load_scenario
from tests.conftest import ROOT

SLIDER = ".control-initial_active_storage_fraction"
STORAGE_SUM = """() => {
  const fig = Bokeh.documents[0].get_model_by_name('fig_storage');
  const lines = fig.renderers.filter(r => r.glyph.type === 'Line');
  const y = lines[lines.length - 1].data_source.data.y;
  return Array.from(y).reduce((a, b) => a + b, 0);
}"""


def _screenshot(page, path: Path) -> None:
    """A screenshot as a 256-colour PNG (a few hundred kB less than the browser's)."""
    from PIL import Image

    image = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    image.quantize(256).save(path, optimize=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def explorer_url(tmp_path: Path) -> Iterator[str]:
    """``chenzhou-water explore`` serving the baseline on a free port, saving into tmp_path."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "cli.py"), "explore", str(ROOT / "scenarios" / "baseline.yaml"),
         "--no-browser", "--port", str(port), "--save-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 180  # a cold model cache parses the model first
        assert process.stdout is not None
        for line in process.stdout:
            if "serving http://127.0.0.1" in line or time.monotonic() > deadline:
                break
        assert process.poll() is None, "the explorer stopped before serving"
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(timeout=30)


def _status(page) -> str:
    return page.locator(".status pre").first.inner_text()


def _wait_for_new_status(page, old: str) -> str:
    from playwright.sync_api import expect

    expect(page.locator(".status pre").first).not_to_have_text(old, timeout=30_000)
    return _status(page)


def _move_slider(page, key: str) -> float:
    """Press a key on the slider's handle; returns the seconds until the new status shows."""
    old = _status(page)
    began = time.perf_counter()
    page.locator(f"{SLIDER} .noUi-handle").first.press(key)
    _wait_for_new_status(page, old)
    return time.perf_counter() - began


@pytest.mark.slow
@pytest.mark.browser
def test_explorer_in_chromium(chromium, explorer_url, tmp_path):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    shots = Path(os.environ.get("EXPLORER_SCREENSHOTS", tmp_path))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(explorer_url, wait_until="load")
            page.locator(".status pre").first.wait_for(timeout=60_000)
            assert "redrawn" in _status(page)
            before = page.evaluate(STORAGE_SUM)

            times = [_move_slider(page, "ArrowLeft") for _ in range(3)]
            after = page.evaluate(STORAGE_SUM)
            assert after < before  # a smaller starting storage: less water stored
            moved = float(page.locator(f"{SLIDER} input").first.input_value())
            assert moved < 0.6
            print(f"change to redrawn status, one member: {sorted(times)[1]:.3f} s (median)")
            _screenshot(page, shots / "explorer.png")

            page.locator(".sector-select select").select_option(label="Network leakage")
            lever = page.locator(".control-renewal_programme input").first
            lever.fill("2015: 0, 2019: 900")
            lever.press("Enter")
            problems = page.locator(".problems pre").first
            expect(problems).to_contain_text("range", timeout=30_000)
            message = problems.inner_text()
            assert ("explorer: levers.renewal_programme[2019]: 900 is above the model's range "
                    "[0, 50]") in message
            assert "Traceback" not in message
            lever.fill("2015: 0, 2019: 20, 2021: 3, 2050: 3")
            lever.press("Enter")
            expect(problems).to_have_text("", timeout=30_000)

            page.locator(".save-name input").first.fill("browser_test")
            page.locator(".save-name input").first.press("Enter")
            page.locator(".save button").first.click()
            expect(page.locator(".saved pre").first).to_contain_text("Saved", timeout=30_000)
            saved = load_scenario(tmp_path / "browser_test.yaml")  # what `validate` does
            assert saved.parameters["initial_active_storage_fraction"] == pytest.approx(moved)
            assert saved.levers["renewal_programme"] == ((2015, 2019, 2021, 2050),
                                                         (0, 20, 3, 3))

            page.get_by_text("Structure diagram").first.click()
            page.locator(".diagram-figure canvas").first.wait_for(timeout=30_000)
            assert page.evaluate("() => Bokeh.documents[0].get_model_by_name('diagram_figure')"
                                 ".renderers.length") >= 4
            page.evaluate("""() => {
              const fig = Bokeh.documents[0].get_model_by_name('diagram_figure');
              const nodes = fig.renderers.find(r => r.glyph.type === 'Scatter').data_source;
              nodes.selected.indices = [nodes.data.key.indexOf('reservoir_storage')];
            }""")
            expect(page.locator(".details").first).to_contain_text("INTEG", timeout=30_000)
            _screenshot(page, shots / "explorer_diagram.png")
            assert errors == [], errors
        finally:
            browser.close()
