"""Take docs/dashboard.png: the price-history dashboard on the fixture history, in headless Chromium.

The same history and browser set-up as tests/test_browser.py, so the README shows what the test
checks.  Run: ``python docs/screenshot.py`` (needs /usr/bin/chromium and Playwright's package).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT / "tests")  # the fixture history builder lives with the tests

from datasette_history import build_history  # noqa: E402

OUT = ROOT / "docs" / "dashboard.png"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = build_history(Path(tmp) / "history.db")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen([sys.executable, "-m", "scraper", "serve", "--db", str(db),
                                   "--port", str(port)], cwd=ROOT)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(base + "/-/versions.json", timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(base + "/-/dashboards/price-history?provider=deepseek&currency=USD")
                for chart in ("input", "input_cache_hit", "output"):
                    page.wait_for_selector(f"#chart-{chart} svg .mark-line path", state="attached")
                page.screenshot(path=str(OUT), full_page=True)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
