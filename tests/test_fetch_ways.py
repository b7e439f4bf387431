"""The ways to get a page and the outcomes, against the mirror server on 127.0.0.1 (no browser here:
tests/test_browser_ways.py drives Chromium).

A source's ways are tried in order until one yields prices; the observation records which way
served it.  When none does, the outcome says what kind of trouble it was: ``blocked`` (a
challenge page or a refusal with one, or robots.txt), ``layout_changed`` (the page came, its
pricing structure is gone), ``fetch_failed`` (network, 5xx, ...).  None of them moves a price.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from db.schema import open_db
from mirror import DEEPSEEK_EN, DEEPSEEK_ZH, FIXTURES, Mirror, page, ratecard, run_in_process
from scraper.cli import main
from scraper.fetch.ways import Attempt, SourceFetch, twin_url

ANTHROPIC = "https://docs.claude.com/en/docs/about-claude/pricing"
OPENAI = "https://platform.openai.com/docs/pricing"
OPENAI_MD = "https://developers.openai.com/api/docs/pricing.md"
XAI = "https://docs.x.ai/developers/models"
#: A docs page that still loads, whole and as large as before (its navigation), but no longer
#: holds the pricing tables.
MOVED = (b"<html><head><title>Pricing - Claude Docs</title></head><body><nav><ul>"
         + b"".join(b'<li><a href="/en/docs/guide-%d">Guide %d</a></li>' % (i, i) for i in range(400))
         + b"</ul></nav><main><h1>Pricing</h1><p>Prices now live in the Console.</p></main></body></html>")
#: What a JavaScript app serves before its script runs: a shell with no prices.
SHELL = b"<html><head><title>Models</title></head><body><div id=\"root\">Loading...</div></body></html>"
CHALLENGE = (FIXTURES / "challenge" / "cloudflare-managed.html").read_bytes()


def refuse_with_challenge(status: int = 403):
    """What Cloudflare answers plain clients: a challenge page with a 403."""
    def answer(h) -> None:
        h.send_response(status)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(len(CHALLENGE)))
        h.end_headers()
        h.wfile.write(CHALLENGE)
    return answer


def scrape(db: Path, mirror: Mirror, at: str, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["scrape", "--db", str(db), "--mirror", mirror.url, "--at", at, *args])
    return code, out.getvalue(), err.getvalue()


def observed(db: Path, at: str) -> dict[str, tuple]:
    conn = open_db(db, create=False)
    try:
        return {r["source_id"]: (r["outcome"], r["way"], r["status"], r["error"]) for r in conn.query(
            "SELECT source_id, outcome, way, status, error FROM observations WHERE observed_at = ?", [at])}
    finally:
        conn.close()


def count(db: Path, sql: str) -> int:
    conn = open_db(db, create=False)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def test_the_markdown_twin_serves_when_the_html_has_no_prices(tmp_path: Path):
    db = tmp_path / "prices.db"
    pages = {XAI: SHELL, XAI + ".md": page("xai/models.md")}
    with Mirror(pages) as mirror:
        code, out, _ = scrape(db, mirror, "2026-09-01T03:00:00Z", "--provider", "xai", "--no-browser")
    assert code == 0
    assert observed(db, "2026-09-01T03:00:00Z") == {"xai-models": ("ok", "markdown", 200, None)}
    assert "xai-models  ok  via markdown  HTTP 200  9 quotes" in out
    assert ("note  xai-models: served by the markdown way after http: layout_changed: xai:" in out)
    # one request per way: the page, then its twin (robots.txt aside)
    assert mirror.paths == ["/docs.x.ai/robots.txt", "/docs.x.ai/developers/models", "/docs.x.ai/developers/models.md"]


def test_a_twin_on_another_host_and_a_304_per_way(tmp_path: Path):
    """OpenAI's docs export lives on developers.openai.com; validators are kept per way, so the
    next night's conditional request for the twin re-reads the twin's stored body."""
    db = tmp_path / "prices.db"
    md = page("openai/2026-docs-export.md")
    state = {"etag": '"md-1"'}

    def twin(h) -> None:
        if h.headers.get("If-None-Match") == state["etag"]:
            h.send_response(304)
            h.end_headers()
            return
        h.send_response(200)
        h.send_header("Content-Type", "text/markdown; charset=utf-8")
        h.send_header("ETag", state["etag"])
        h.send_header("Content-Length", str(len(md)))
        h.end_headers()
        h.wfile.write(md)

    with Mirror({OPENAI: refuse_with_challenge(), OPENAI_MD: twin}) as mirror:
        first = scrape(db, mirror, "2026-09-01T03:00:00Z", "--provider", "openai", "--no-browser")
        second = scrape(db, mirror, "2026-09-02T03:00:00Z", "--provider", "openai", "--no-browser")
    assert first[0] == second[0] == 0, (first, second)
    assert observed(db, "2026-09-01T03:00:00Z")["openai-pricing"][:3] == ("ok", "markdown", 200)
    assert observed(db, "2026-09-02T03:00:00Z")["openai-pricing"][:3] == ("ok", "markdown", 304)
    assert "note  openai-pricing: served by the markdown way after http: blocked: HTTP 403 with a bot-challenge page" in first[1]
    assert count(db, "SELECT count(DISTINCT body_id) FROM observations") == 1
    assert count(db, "SELECT count(*) FROM changes WHERE observed_at = '2026-09-02T03:00:00Z'") == 0


def test_blocked_layout_changed_and_fetch_failed_are_told_apart_and_move_no_price(tmp_path: Path):
    db = tmp_path / "prices.db"
    night1, night2 = "2026-09-01T03:00:00Z", "2026-09-02T03:00:00Z"
    pages = {DEEPSEEK_EN: page("deepseek/2026-08-17-peak.en.html"), DEEPSEEK_ZH: page("deepseek/2026-08-17-peak.zh-cn.md"),
             OPENAI: page("openai/pricing.html"), ANTHROPIC: page("anthropic/pricing.html")}
    providers = ("--provider", "deepseek", "--provider", "openai", "--provider", "anthropic", "--no-browser")
    with Mirror(pages) as mirror:
        assert scrape(db, mirror, night1, *providers)[0] == 0
        changes_before = count(db, "SELECT count(*) FROM changes")
        prices_before = run_in_process("prices", "--db", str(db), "--json")
        mirror.pages.update({DEEPSEEK_EN: 500, OPENAI: refuse_with_challenge(), ANTHROPIC: MOVED})
        code, out, err = scrape(db, mirror, night2, *providers)
    assert code == 1
    seen = observed(db, night2)
    assert {k: v[:3] for k, v in seen.items()} == {
        "deepseek-en": ("fetch_failed", "http", 500),
        "deepseek-zh-cn": ("ok", "http", 200),
        "openai-pricing": ("blocked", "http", 403),
        "anthropic-pricing": ("layout_changed", "http", 200)}
    assert seen["deepseek-en"][3] == "HTTP 500"
    assert seen["openai-pricing"][3] == (
        "http: blocked: HTTP 403 with a bot-challenge page (Cloudflare challenge (_cf_chl_opt)); "
        "markdown: fetch_failed: HTTP 404")
    assert seen["anthropic-pricing"][3].startswith("http: layout_changed: anthropic: no model pricing table")
    assert seen["anthropic-pricing"][3].endswith("; markdown: fetch_failed: HTTP 404")
    assert "deepseek-en  FETCH_FAILED  via http  HTTP 500  HTTP 500" in out
    assert "openai-pricing  BLOCKED  via http  HTTP 403  http: blocked: HTTP 403 with a bot-challenge page" in out
    assert "anthropic-pricing  LAYOUT_CHANGED  via http  HTTP 200  http: layout_changed: anthropic:" in out
    assert "1 sources ok, 3 failed; 0 changes found" in out
    assert [line for line in out.splitlines() if line.startswith("failing")] == [
        f"failing  {sid}: {kind} since {night2} (1 run; last success {night1})"
        for sid, kind in (("anthropic-pricing", "layout_changed"), ("deepseek-en", "fetch_failed"),
                          ("openai-pricing", "blocked"))]
    assert ": blocked: " in err and ": layout_changed: " in err and ": fetch_failed: " in err
    # nothing recorded as a price change; the history is as before
    assert count(db, "SELECT count(*) FROM changes") == changes_before
    assert run_in_process("prices", "--db", str(db), "--json") == prices_before
    status = ratecard("status", "--db", str(db))
    assert status.returncode == 0  # one source still works
    assert [line for line in status.stdout.splitlines() if line.startswith("failing")] == [
        "failing: 3 of 4 sources",
        f"failing  anthropic-pricing: layout_changed since {night2} (1 run; last success {night1}):"
        " http: layout_changed: anthropic: no model pricing table (Model | Base Input Tokens | ... | Output Tokens):"
        " not an Anthropic pricing page, or its layout changed in https://docs.claude.com/en/docs/about-claude/pricing;"
        " markdown: fetch_failed: HTTP 404",
        f"failing  deepseek-en: fetch_failed since {night2} (1 run; last success {night1}): HTTP 500",
        f"failing  openai-pricing: blocked since {night2} (1 run; last success {night1}): http: blocked:"
        " HTTP 403 with a bot-challenge page (Cloudflare challenge (_cf_chl_opt)); markdown: fetch_failed: HTTP 404"]
    rows = {r["source_id"]: r for r in json.loads(ratecard("status", "--db", str(db), "--json").stdout)["sources"]}
    assert {k: (r["last_outcome"], r["failing_since"], r["last_success_at"]) for k, r in rows.items()} == {
        "anthropic-pricing": ("layout_changed", night2, night1), "deepseek-en": ("fetch_failed", night2, night1),
        "deepseek-zh-cn": ("ok", None, night2), "openai-pricing": ("blocked", night2, night1)}


def test_a_challenge_page_served_with_200_is_blocked_not_a_layout_change(tmp_path: Path):
    db = tmp_path / "prices.db"
    with Mirror({OPENAI: CHALLENGE}) as mirror:
        code, out, _ = scrape(db, mirror, "2026-09-01T03:00:00Z", "--provider", "openai", "--way", "http")
    assert code == 1
    outcome, way, status, error = observed(db, "2026-09-01T03:00:00Z")["openai-pricing"]
    assert (outcome, way, status) == ("blocked", "http", 200)
    assert error.startswith("openai: blocked: the body is a bot-challenge/interstitial page")


def test_the_browser_way_is_skipped_with_a_reason_where_no_browser_is_installed(tmp_path: Path):
    db = tmp_path / "prices.db"
    with Mirror({OPENAI: refuse_with_challenge()}) as mirror:
        code, _, _ = scrape(db, mirror, "2026-09-01T03:00:00Z", "--provider", "openai",
                            "--browser", str(tmp_path / "no-chromium-here"))
    assert code == 1
    outcome, way, _, error = observed(db, "2026-09-01T03:00:00Z")["openai-pricing"]
    assert (outcome, way) == ("blocked", "http")
    assert error.endswith(f"; markdown: fetch_failed: HTTP 404; browser: skipped: no browser at {tmp_path / 'no-chromium-here'}")


def test_robots_txt_is_read_once_per_host_and_obeyed_unless_ignored(tmp_path: Path):
    db = tmp_path / "prices.db"
    robots = b"User-agent: *\nDisallow: /private\n\nUser-agent: ratecard\nDisallow: /zh-cn/\n"
    pages = {DEEPSEEK_EN: page("deepseek/2026-08-17-peak.en.html"), DEEPSEEK_ZH: page("deepseek/2026-08-17-peak.zh-cn.md"),
             "https://api-docs.deepseek.com/robots.txt": robots}
    with Mirror(pages) as mirror:
        code, out, _ = scrape(db, mirror, "2026-09-01T03:00:00Z", "--provider", "deepseek")
        assert (mirror.robots_requests, mirror.requests) == (1, 1)  # two sources, one host: one robots.txt
        assert code == 1
        assert observed(db, "2026-09-01T03:00:00Z")["deepseek-zh-cn"] == (
            "blocked", None, None,
            "https://api-docs.deepseek.com/robots.txt disallows /zh-cn/quick_start/pricing; --ignore-robots overrides")
        assert "deepseek-zh-cn  BLOCKED  no way  HTTP -  https://api-docs.deepseek.com/robots.txt disallows" in out
        code, _, _ = scrape(db, mirror, "2026-09-02T03:00:00Z", "--provider", "deepseek", "--ignore-robots")
        assert code == 0 and mirror.robots_requests == 1 and mirror.requests == 3
    assert observed(db, "2026-09-02T03:00:00Z")["deepseek-zh-cn"][:2] == ("ok", "http")


def test_an_unreadable_robots_txt_stops_the_host_for_the_run(tmp_path: Path):
    db = tmp_path / "prices.db"
    pages = {DEEPSEEK_EN: page("deepseek/2026-08-17-peak.en.html"), DEEPSEEK_ZH: page("deepseek/2026-08-17-peak.zh-cn.md"),
             "https://api-docs.deepseek.com/robots.txt": 503}
    with Mirror(pages) as mirror:
        code, _, _ = scrape(db, mirror, "2026-09-01T03:00:00Z", "--provider", "deepseek")
        assert mirror.requests == 0  # RFC 9309: an unreachable robots.txt means stay away
    assert code == 1
    outcome, way, _, error = observed(db, "2026-09-01T03:00:00Z")["deepseek-en"]
    assert (outcome, way) == ("fetch_failed", None)
    assert error == ("https://api-docs.deepseek.com/robots.txt could not be read (HTTP 503), so the site is treated"
                     " as disallowing everything this run (RFC 9309); --ignore-robots overrides")


def test_the_user_agent_names_ratecard_and_its_project(tmp_path: Path):
    seen: list[str] = []
    body = page("deepseek/2026-08-17-peak.en.html")

    def record(h) -> None:
        seen.append(h.headers.get("User-Agent"))
        h.send_response(200)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    with Mirror({DEEPSEEK_EN: record, DEEPSEEK_ZH: page("deepseek/2026-08-17-peak.zh-cn.md")}) as mirror:
        assert scrape(tmp_path / "p.db", mirror, "2026-09-01T03:00:00Z", "--provider", "deepseek")[0] == 0
    assert seen == ["ratecard/0.1 (+https://github.com/ratecard/ratecard; LLM price history; one request per page per night)"]


REAL_CHALLENGE = Path(__file__).resolve().parents[2] / "shared" / "real-pages" / "openai" / \
    "2026-05-08-d1507e1-quill-router-pricing-botchallenge.html"


@pytest.mark.skipif(not REAL_CHALLENGE.is_file(), reason="../shared/real-pages is not beside the checkout")
def test_the_real_challenge_page_openai_served_a_plain_fetch_is_blocked(tmp_path: Path):
    db = tmp_path / "prices.db"
    with Mirror({OPENAI: REAL_CHALLENGE.read_bytes()}) as mirror:
        code, out, _ = scrape(db, mirror, "2026-09-01T03:00:00Z", "--provider", "openai", "--no-browser")
    assert code == 1
    outcome, way, status, error = observed(db, "2026-09-01T03:00:00Z")["openai-pricing"]
    assert (outcome, way, status) == ("blocked", "http", 200)
    assert error.startswith("http: blocked: openai: blocked: the body is a bot-challenge/interstitial page"
                            " (Cloudflare challenge (_cf_chl_opt))")
    assert error.endswith("; markdown: fetch_failed: HTTP 404")
    assert count(db, "SELECT count(*) FROM changes") == 0


def test_when_every_way_fails_the_one_that_got_furthest_is_recorded():
    http = Attempt("http", "fetch_failed", "HTTP 503", "u")
    md = Attempt("markdown", "layout_changed", "no table", "u.md")
    browser = Attempt("browser", "skipped", "no Chromium")
    got = SourceFetch([http, md, browser])
    assert (got.chosen, got.outcome) == (md, "layout_changed")
    assert got.error == "http: fetch_failed: HTTP 503; markdown: layout_changed: no table; browser: skipped: no Chromium"
    assert SourceFetch([Attempt("http", "too_slow", "late", "u"), Attempt("browser", "blocked", "403", "u")]).outcome == "blocked"
    assert SourceFetch([Attempt("browser", "skipped", "no Chromium")]).outcome == "fetch_failed"
    ok = Attempt("browser", "ok", None, "u")
    served = SourceFetch([Attempt("http", "blocked", "challenge", "u"), ok])
    assert (served.chosen, served.error, served.fallbacks) == (ok, None, [served.attempts[0]])


def test_twin_urls():
    assert twin_url("https://docs.x.ai/developers/models") == "https://docs.x.ai/developers/models.md"
    assert twin_url("https://example.com/docs/pricing/") == "https://example.com/docs/pricing.md"
    assert twin_url("https://example.com/p?lang=en") == "https://example.com/p.md?lang=en"
