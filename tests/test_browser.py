"""`ratecard serve` in a real browser: headless Debian Chromium driven by Playwright.

The server is the real command on 127.0.0.1; the browser may only talk to it (any other request
is aborted and fails the test), so the dashboard must render with the JavaScript the Python
packages ship.  Skips, saying why, where Chromium or Playwright is not installed (.ci/run tries
to install both).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from datasette_history import build_history

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright's Python package is not installed (pip install playwright)")
if not Path(CHROMIUM).is_file():
    pytest.skip("Chromium is not installed (apt-get install chromium); browser test skipped",
                allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``ratecard serve`` on a free 127.0.0.1 port, stopped after the module."""
    db = build_history(tmp_path_factory.mktemp("browser") / "history.db")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "scraper", "serve", "--db", str(db),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(base + "/-/versions.json", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    output = proc.stdout.read().decode() if proc.stdout else ""
                    pytest.fail(f"ratecard serve did not start: {output}")
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        try:
            chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except playwright_api.Error as exc:
            pytest.skip(f"{CHROMIUM} is installed but does not start here: {exc.message.splitlines()[0]}")
        yield chromium
        chromium.close()


class Page:
    """A page that records JavaScript errors and aborts every request not to 127.0.0.1."""

    def __init__(self, browser, base: str) -> None:
        self.base = base
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.route("**/*", self._route)

    def _route(self, route) -> None:
        if route.request.url.startswith(self.base):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def open(self, path: str):
        response = self.page.goto(self.base + path)
        assert response is not None and response.status == 200
        return self.page

    def close(self) -> None:
        self.page.close()
        assert (self.errors, self.outside) == ([], [])


@pytest.fixture
def page(browser, server: str) -> Iterator[Page]:
    p = Page(browser, server)
    yield p
    p.close()


def test_home_page_lists_the_history_with_its_description(page: Page):
    p = page.open("/")
    assert p.title() == "ratecard price history: ratecard"
    assert "per 1M tokens" in p.inner_text("body")
    assert p.locator("a[href='/ratecard']").count() >= 1


def test_canned_query_shows_exact_costs(page: Page):
    p = page.open("/ratecard/token_mix_cost?provider=deepseek&model=deepseek-chat&currency=USD"
                  "&at=2025-03-01T18:00:00Z&cache_hit_tokens=1000000&cache_miss_tokens=2000000"
                  "&output_tokens=3000000")
    cells = p.locator("table.rows-and-columns tbody tr").all_inner_texts()
    assert [" ".join(c.split()) for c in cells] == [
        "1 input 2000000 off_peak 0.135 0.27",
        "2 input_cache_hit 1000000 off_peak 0.035 0.035",
        "3 output 3000000 off_peak 0.55 1.65",
        "total 1.955",
    ]


def test_dashboard_draws_step_charts_with_promo_spans(page: Page):
    p = page.open("/-/dashboards/price-history?provider=deepseek&currency=USD")
    for chart in ("input", "input_cache_hit", "output"):
        p.wait_for_selector(f"#chart-{chart} svg .mark-line path", state="attached", timeout=15000)
    # One line per (model, tier) with USD prices: chat, reasoner (standard, off_peak),
    # v4-flash and v4-pro (standard, peak, off_peak).
    assert p.locator("#chart-output svg .mark-line path").count() == 10
    assert p.locator("#chart-output svg .mark-rect path").count() == 1  # the 2025 promo
    line = p.locator("#chart-output svg .mark-line path").first.get_attribute("d")
    assert line and line.count("L") >= 2
