"""The web page in headless Chromium (Debian's `chromium`, driven by
Playwright's Python client with that executable): upload a workbook, see
what GridFlow found, run a simulation with live progress, and check the
charts were drawn.  Screenshots go to tests/server/artifacts/."""
from __future__ import annotations

import os
import shutil
import time

import pytest

from .helpers import ARTIFACTS

CHROMIUM = os.environ.get("GRIDFLOW_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (Debian package 'chromium'); the browser test needs it")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="the 'playwright' Python package is missing (pip install '.[test]')")
    with sync_api.sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        except Exception as exc:  # a Chromium too old or too new for this Playwright
            pytest.skip(f"Chromium at {CHROMIUM} could not be started by Playwright: {exc}")
        yield b
        b.close()


def _canvas_has_ink(page, selector: str) -> bool:
    """True when the canvas holds pixels other than the white background."""
    return page.evaluate("""(sel) => {
        const c = document.querySelector(sel);
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let ink = 0;
        for (let i = 0; i < d.length; i += 4) {
            if (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200) ink++;
        }
        return ink > 200;
    }""", selector)


def test_upload_run_and_charts(browser, server, dcf_path):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1200, "height": 1600})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    requests_elsewhere: list[str] = []
    page.on("request", lambda r: requests_elsewhere.append(r.url)
            if not r.url.startswith(server.url) and not r.url.startswith("data:") else None)
    try:
        page.goto(server.url + "/")
        page.wait_for_selector("body[data-ready='1']")
        page.wait_for_selector("#server-status.ok", timeout=15_000)
        # upload: what GridFlow found
        page.set_input_files("#file", str(dcf_path))
        page.wait_for_selector("body[data-state='inspected']", timeout=60_000)
        assert page.locator("#inputs-table tbody tr").count() == 5
        assert page.locator("#outputs-table tbody tr").count() == 3
        assert "Rent growth" in page.inner_text("#inputs-table")
        # run with live progress
        page.fill("#iterations", "60000")
        page.fill("#seed", "3")
        page.click("#run")
        seen = set()                    # live progress texts (the page's CSP forbids eval-based waits)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            seen.add(page.inner_text("#progress-text"))
            if page.get_attribute("body", "data-state") == "done":
                break
            time.sleep(0.02)
        page.wait_for_selector("body[data-state='done']", timeout=5_000)
        assert any("it/s" in t or "Queued" in t for t in seen), seen
        for sel in ("#hist-canvas", "#cum-canvas", "#tornado-canvas"):
            page.wait_for_selector(f"{sel}[data-rendered='1']")
            assert _canvas_has_ink(page, sel), sel
        stats = page.inner_text("#stats-table")
        assert "Mean" in stats and "P95" in stats
        assert "60,000 iterations" in page.inner_text("#run-info")
        href = page.get_attribute("#dl-report", "href")
        assert href and href.endswith("/results/report.xlsx")
        # switch output: charts redraw for it
        page.select_option("#output-select", "1")
        page.wait_for_selector("#hist-canvas[data-rendered='1']")
        page.screenshot(path=str(ARTIFACTS / "webpage.png"), full_page=True)
        assert not errors, errors
        assert not requests_elsewhere, requests_elsewhere   # works without a network
    finally:
        context.close()
