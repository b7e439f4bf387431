"""The browser way, with a real headless Chromium, against the mirror server on 127.0.0.1.

Two pages a plain HTTP client cannot read: one whose prices are inserted by JavaScript after the
load (the HTTP way finds no prices, the browser way does), and one behind a challenge that plain
clients get as a 403 while a browser runs its script, gets a cookie and reloads into the real
page.  Each ends ``ok`` with ``browser`` recorded as the way, the earlier ways' failures noted.
Skips, saying why, where Chromium or Playwright is not installed (CI installs both).
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from pathlib import Path

import pytest

from db.schema import open_db
from mirror import FIXTURES, Mirror, page
from scraper.cli import main
from scraper.fetch import browser as browser_module
from scraper.fetch.browser import find_browser, unavailable

GEMINI = "https://ai.google.dev/gemini-api/docs/pricing"
OPENAI = "https://platform.openai.com/docs/pricing"
CHALLENGE = (FIXTURES / "challenge" / "cloudflare-managed.html").read_text()

why = unavailable()
if why:
    pytest.skip(f"browser way not testable here: {why}", allow_module_level=True)


def js_drawn(html: str) -> bytes:
    """The page as a JavaScript app serves it: an empty shell whose script inserts the priced
    content 300 ms after the load (the same markup the server-rendered page has)."""
    payload = json.dumps(html).replace("</", "<\\/")
    return (f"<!doctype html><html><head><title>Gemini Developer API pricing</title></head><body>"
            f"<div id=\"app\">Loading...</div><script>setTimeout(function () {{"
            f" document.getElementById('app').innerHTML = {payload}; }}, 300);</script></body></html>").encode()


def behind_challenge(real: bytes):
    """Cloudflare-like: without the clearance cookie, a 403 challenge page whose script sets the
    cookie and reloads; with it, the real page.  Plain clients never run the script."""
    script = ("<script>document.cookie = 'cf_clearance=passed; path=/';"
              " setTimeout(function () { location.reload(); }, 200);</script>")
    challenge = CHALLENGE.replace("</body>", script + "</body>").encode()

    def answer(h) -> None:
        passed = "cf_clearance=passed" in (h.headers.get("Cookie") or "")
        body = real if passed else challenge
        h.send_response(200 if passed else 403)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
    return answer


def scrape(db: Path, mirror: Mirror, provider: str, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["scrape", "--db", str(db), "--mirror", mirror.url, "--provider", provider,
                     "--at", "2026-09-01T03:00:00Z", *args])
    return code, out.getvalue()


def observation(db: Path) -> dict:
    conn = open_db(db, create=False)
    try:
        return next(conn.query("SELECT o.outcome, o.way, o.status, o.error, q.quote_count FROM observations o"
                               " LEFT JOIN quote_sets q ON q.id = o.quote_set_id"))
    finally:
        conn.close()


def test_a_browser_is_found_where_one_is_installed():
    assert find_browser() is not None and Path(find_browser()).is_file()


def test_prices_drawn_by_javascript_are_read_by_the_browser_way(tmp_path: Path):
    db = tmp_path / "prices.db"
    served = page("gemini/pricing.html")
    with Mirror({GEMINI: js_drawn(served.decode())}) as mirror:
        code, out = scrape(db, mirror, "google")
    assert code == 0, out
    seen = observation(db)
    assert (seen["outcome"], seen["way"], seen["status"], seen["error"]) == ("ok", "browser", 200, None)
    # the same quotes as the server-rendered page gives over HTTP
    with Mirror({GEMINI: served}) as mirror:
        assert scrape(tmp_path / "http.db", mirror, "google", "--no-browser")[0] == 0
    assert seen["quote_count"] == observation(tmp_path / "http.db")["quote_count"] > 0
    assert "google-gemini-pricing  ok  via browser  HTTP 200" in out
    assert "note  google-gemini-pricing: served by the browser way after http: layout_changed: google:" in out
    # without the browser way the same page is a layout change, not a fetch failure
    with Mirror({GEMINI: js_drawn(served.decode())}) as mirror:
        assert scrape(tmp_path / "nobrowser.db", mirror, "google", "--no-browser")[0] == 1
    assert observation(tmp_path / "nobrowser.db")["outcome"] == "layout_changed"


def test_a_challenge_to_plain_clients_is_passed_by_the_browser_way(tmp_path: Path):
    db = tmp_path / "prices.db"
    with Mirror({OPENAI: behind_challenge(page("openai/pricing.html"))}) as mirror:
        code, out = scrape(db, mirror, "openai")
        asked = list(mirror.paths)
    assert code == 0, out
    seen = observation(db)
    assert (seen["outcome"], seen["way"], seen["status"], seen["error"]) == ("ok", "browser", 200, None)
    assert seen["quote_count"] == 62
    assert ("note  openai-pricing: served by the browser way after http: blocked: HTTP 403 with a"
            " bot-challenge page (Cloudflare challenge (_cf_chl_opt))") in out
    assert "note  openai-pricing: served by the browser way after markdown: fetch_failed: HTTP 404" in out
    # http once, the twin once, the browser twice (the challenge, then the reload with the cookie)
    assert asked.count("/platform.openai.com/docs/pricing") == 3
    assert asked.count("/developers.openai.com/api/docs/pricing.md") == 1


def test_a_challenge_the_browser_cannot_pass_is_blocked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    db = tmp_path / "prices.db"
    # a challenge that never moves on is given up after CHALLENGE_SECONDS (6 s): 1.5 s here
    monkeypatch.setattr(browser_module, "CHALLENGE_SECONDS", 1.5)

    def always(h) -> None:
        body = CHALLENGE.encode()
        h.send_response(403)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    with Mirror({OPENAI: always}) as mirror:
        code, out = scrape(db, mirror, "openai")
    assert code == 1
    seen = observation(db)
    assert (seen["outcome"], seen["way"], seen["status"]) == ("blocked", "http", 403)
    assert seen["error"].endswith("; browser: blocked: HTTP 403 with a bot-challenge page"
                                  " (Cloudflare challenge (_cf_chl_opt))")


def test_a_page_that_grows_past_the_size_limit_in_the_browser_is_too_large(tmp_path: Path):
    db = tmp_path / "prices.db"
    grows = (b"<html><body><div id=app></div><script>document.getElementById('app').textContent ="
             b" 'x'.repeat(3000000);</script></body></html>")
    with Mirror({GEMINI: grows}) as mirror:
        code, _ = scrape(db, mirror, "google", "--way", "browser", "--max-bytes", "1000000")
    assert code == 1
    seen = observation(db)
    assert (seen["outcome"], seen["way"], seen["status"], seen["error"]) == (
        "too_large", "browser", 200, "rendered page over the 1000000-byte limit")


def test_a_page_that_never_settles_is_stopped_at_the_source_time_limit(tmp_path: Path):
    db = tmp_path / "prices.db"
    restless = (b"<html><body><div id=app></div><script>setInterval(function () {"
                b" document.getElementById('app').textContent = Date.now(); }, 100);</script></body></html>")
    with Mirror({GEMINI: restless}) as mirror:
        started = time.monotonic()
        code, _ = scrape(db, mirror, "google", "--way", "browser", "--source-timeout", "4")
        elapsed = time.monotonic() - started
    assert code == 1 and elapsed < 12, elapsed
    seen = observation(db)
    assert (seen["outcome"], seen["error"]) == ("too_slow", "stopped at the source's time limit (4s)")
