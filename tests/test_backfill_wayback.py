"""``ratecard backfill --wayback`` against a mocked Internet Archive (respx; nothing leaves the machine).

The CDX listing and the raw (``id_``) captures use the archive's own formats; the captured pages
are the DeepSeek fixtures.  One capture is an error page, one redirects to a neighbouring capture,
two share a digest (fetched once).
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import respx

from db.history import changes
from db.schema import open_db
from scraper.backfill import backfill_wayback
from scraper.cli import main
from scraper.fetch.wayback import ArchiveClient, Politeness

FIXTURES = Path(__file__).parent / "fixtures" / "deepseek"
EN = "https://api-docs.deepseek.com/quick_start/pricing"
ZH = "https://api-docs.deepseek.com/zh-cn/quick_start/pricing"
CDX = "https://web.archive.org/cdx/search/cdx"
HEADER = ["timestamp", "original", "statuscode", "digest", "mimetype"]


def raw(timestamp: str, url: str = EN) -> str:
    return f"https://web.archive.org/web/{timestamp}id_/{url}"


def page(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


LISTING = [
    ["20241228093000", EN, "200", "DIGESTPROMO", "text/html"],
    ["20250105120000", EN, "200", "DIGESTPROMO", "text/html"],      # unchanged: not fetched again
    ["20250123100000", EN, "200", "DIGESTREASONER", "text/html"],
    ["20250130000000", EN, "200", "DIGESTERROR", "text/html"],      # a page without a price table
    ["20250215000000", EN, "200", "DIGESTGONE", "text/html"],       # archive redirects to 20250220083000
]


@pytest.fixture
def archive(monkeypatch: pytest.MonkeyPatch):
    """The archive's routes; sleeping is recorded, not done."""
    slept: list[float] = []
    monkeypatch.setattr("time.sleep", slept.append)
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        cdx = mock.get(CDX).mock(side_effect=lambda request: httpx.Response(
            200, json=[HEADER, *LISTING] if request.url.params["url"] == EN else []))
        routes = {
            "promo": mock.get(raw("20241228093000")).respond(200, content=page("2024-12-28-promo.en.html")),
            "promo-again": mock.get(raw("20250105120000")).respond(200, content=page("2024-12-28-promo.en.html")),
            "reasoner": mock.get(raw("20250123100000")).respond(200, content=page("2025-01-23-reasoner.en.html")),
            "error": mock.get(raw("20250130000000")).respond(200, content=page("no-table.en.html")),
            "gone": mock.get(raw("20250215000000")).respond(
                302, headers={"Location": f"/web/20250220083000id_/{EN}"}),
            "neighbour": mock.get(raw("20250220083000")).respond(200, content=page("2025-02-20-full-price.en.md")),
        }
        yield cdx, routes, slept


def backfill(db_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    code = main(["backfill", "--db", str(db_path), "--provider", "deepseek", "--wayback", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def observations(db_path: Path) -> list[tuple]:
    db = open_db(db_path)
    return [(r["source_id"], r["observed_at"], r["url"], r["status"], r["outcome"], r["error"], r["archive"])
            for r in db.query("SELECT * FROM observations ORDER BY observed_at, id")]


def test_captures_become_archive_observations_at_capture_time(tmp_path, archive, capsys):
    cdx, routes, slept = archive
    code, out, err = backfill(tmp_path / "h.db", capsys)
    assert code == 0
    assert out == "backfill: 6 copies recorded (4 parsed, 2 unreadable), 0 already stored, 0 left for the next run\n"
    no_table = "deepseek: no pricing table found (no table with DeepSeek model ids and prices) in " + EN
    assert observations(tmp_path / "h.db") == [
        ("deepseek-en", "2024-12-28T09:30:00Z", raw("20241228093000"), 200, "ok", None, 1),
        ("deepseek-en", "2025-01-05T12:00:00Z", raw("20250105120000"), 200, "ok", None, 1),
        ("deepseek-en", "2025-01-23T10:00:00Z", raw("20250123100000"), 200, "ok", None, 1),
        ("deepseek-en", "2025-01-30T00:00:00Z", raw("20250130000000"), 200, "error", no_table, 1),
        ("deepseek-en", "2025-02-15T00:00:00Z", raw("20250215000000"), 302, "error",
         f"archive redirected to /web/20250220083000id_/{EN}", 1),
        ("deepseek-en", "2025-02-20T08:30:00Z", raw("20250220083000"), 200, "ok", None, 1),
    ]
    # the listing asked for 200 captures in the archive's JSON, for both DeepSeek pages
    assert [dict(c.request.url.params) for c in cdx.calls] == [
        {"url": EN, "output": "json", "fl": "timestamp,original,statuscode,digest,mimetype",
         "filter": "statuscode:200"},
        {"url": ZH, "output": "json", "fl": "timestamp,original,statuscode,digest,mimetype",
         "filter": "statuscode:200"},
    ]
    assert routes["promo-again"].call_count == 0  # same digest: the body was reused
    assert all(c.request.headers["User-Agent"].startswith("ratecard/") for c in cdx.calls)
    # one request at a time, paced: a pause before every request but the first
    assert len(slept) == cdx.call_count + sum(r.call_count for r in routes.values()) - 1
    assert all(0 < s <= Politeness().delay for s in slept)
    # Piped (not a terminal): each copy that went well is only counted in the summary; what went
    # wrong is still a line of its own (scraper.output.Progress shows every copy on a terminal).
    assert not [line for line in err.splitlines() if line.endswith(" ok")]
    assert [line for line in err.splitlines() if line.startswith("[4/5] deepseek-en ")]


def test_backfilled_captures_give_the_history(tmp_path, archive, capsys):
    backfill(tmp_path / "h.db", capsys)
    rows = [(c["effective_at"], c["basis"], c["model"], c["component"], c["kind"], c["old_price"],
             c["new_price"], c["observed_after"]) for c in changes(open_db(tmp_path / "h.db"), "deepseek")
            if c["currency"] == "USD"]
    assert rows == [
        # the promo ended when its footnote said, not when the next capture saw it
        ("2025-02-08T16:00:00Z", "announced", "deepseek-chat", "input", "promo_end", "0.14", "0.27", "2025-01-23T10:00:00Z"),
        ("2025-02-08T16:00:00Z", "announced", "deepseek-chat", "input_cache_hit", "promo_end", "0.014", "0.07", "2025-01-23T10:00:00Z"),
        ("2025-02-08T16:00:00Z", "announced", "deepseek-chat", "output", "promo_end", "0.28", "1.1", "2025-01-23T10:00:00Z"),
        # the error page and the redirect are no observations of prices: the bounds skip them
        ("2025-01-23T10:00:00Z", "observed", "deepseek-reasoner", "input", "added", None, "0.55", "2025-01-05T12:00:00Z"),
        ("2025-01-23T10:00:00Z", "observed", "deepseek-reasoner", "input_cache_hit", "added", None, "0.14", "2025-01-05T12:00:00Z"),
        ("2025-01-23T10:00:00Z", "observed", "deepseek-reasoner", "output", "added", None, "2.19", "2025-01-05T12:00:00Z"),
    ]


def test_running_twice_adds_nothing_and_fetches_no_capture(tmp_path, archive, capsys):
    cdx, routes, _ = archive
    backfill(tmp_path / "h.db", capsys)
    before = observations(tmp_path / "h.db")
    fetched = {name: r.call_count for name, r in routes.items()}
    code, out, _ = backfill(tmp_path / "h.db", capsys)
    assert code == 0
    assert out == "backfill: 0 copies recorded (0 parsed, 0 unreadable), 5 already stored, 0 left for the next run\n"
    assert observations(tmp_path / "h.db") == before
    assert {name: r.call_count for name, r in routes.items()} == fetched


def test_from_and_to_narrow_the_listing(tmp_path, archive, capsys):
    cdx, _, _ = archive
    backfill(tmp_path / "h.db", capsys, "--from", "2025-01-01", "--to", "2025-01-31T23:59:59Z", "--source", "deepseek-en")
    assert dict(cdx.calls[0].request.url.params)["from"] == "20250101000000"
    assert dict(cdx.calls[0].request.url.params)["to"] == "20250131235959"
    assert cdx.call_count == 1


def client(slept: list[float]) -> ArchiveClient:
    return ArchiveClient(httpx.Client(), Politeness(delay=0, attempts=3, backoff=2), sleep=slept.append)


def test_server_errors_are_retried_with_backoff(tmp_path):
    slept: list[float] = []
    with respx.mock(assert_all_mocked=True) as mock:
        mock.get(CDX).respond(200, json=[HEADER, LISTING[0], ["2024", EN, "200", "X", "text/html"], ["20250101000000"]])
        capture = mock.get(raw("20241228093000")).mock(side_effect=[
            httpx.Response(503), httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(200, content=page("2024-12-28-promo.en.html"))])
        db = open_db(tmp_path / "h.db")
        from parsers.registry import sources
        tally = backfill_wayback(db, sources("deepseek")[:1], client(slept), None, None, lambda line: None)
    assert (tally.ok, tally.errors, tally.failed) == (1, 0, [])
    assert capture.call_count == 3
    assert slept == [2, 7]  # backoff 2, then Retry-After 7 instead of backoff 4


def test_a_capture_the_archive_cannot_serve_now_is_left_for_the_next_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    with respx.mock(assert_all_mocked=True) as mock:
        mock.get(CDX).mock(side_effect=lambda request: httpx.Response(
            200, json=[HEADER, LISTING[0]] if request.url.params["url"] == EN else []))
        mock.get(raw("20241228093000")).respond(503)
        code, out, err = backfill(tmp_path / "h.db", capsys)
        assert code == 1
        assert out == "backfill: 0 copies recorded (0 parsed, 0 unreadable), 0 already stored, 1 left for the next run\n"
        assert err.splitlines()[-1] == (f"ratecard backfill: deepseek-en 20241228093000: {raw('20241228093000')}:"
                                        " HTTP 503 (after 4 attempts)")
        assert observations(tmp_path / "h.db") == []
        mock.get(raw("20241228093000")).respond(200, content=page("2024-12-28-promo.en.html"))
        code, out, _ = backfill(tmp_path / "h.db", capsys)
    assert code == 0
    assert [o[1:5] for o in observations(tmp_path / "h.db")] == [
        ("2024-12-28T09:30:00Z", raw("20241228093000"), 200, "ok")]


def test_a_truncated_capture_is_not_recorded(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    cut = page("2024-12-28-promo.en.html")[:2000]
    with respx.mock(assert_all_mocked=True) as mock:
        mock.get(CDX).mock(side_effect=lambda request: httpx.Response(
            200, json=[HEADER, LISTING[0]] if request.url.params["url"] == EN else []))
        mock.get(raw("20241228093000")).respond(200, content=cut)
        code, _, err = backfill(tmp_path / "h.db", capsys)
    assert code == 1
    assert "truncated body (HTML without </html>)" in err
    assert observations(tmp_path / "h.db") == []


def test_listing_failure_is_reported_and_other_sources_continue(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    with respx.mock(assert_all_mocked=True) as mock:
        mock.get(CDX).mock(side_effect=lambda request: httpx.Response(
            503) if request.url.params["url"] == EN else httpx.Response(200, json=[]))
        code, out, err = backfill(tmp_path / "h.db", capsys)
    assert code == 1
    assert out == "backfill: 0 copies recorded (0 parsed, 0 unreadable), 0 already stored, 1 left for the next run\n"
    assert f"deepseek-zh-cn: 0 captures of {ZH}, 0 already stored" in err.splitlines()
    assert json.dumps(err).count("HTTP 503 (after 4 attempts)") == 2  # progress line and summary line


OLD = "https://platform.deepseek.com/api-docs/pricing"


def test_url_reads_captures_of_the_page_s_former_address(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    with respx.mock(assert_all_mocked=True) as mock:
        cdx = mock.get(CDX).respond(200, json=[HEADER, ["20241228093000", OLD, "200", "D", "text/html"]])
        mock.get(raw("20241228093000", OLD)).respond(200, content=page("2024-12-28-promo.en.html"))
        code, out, err = backfill(tmp_path / "h.db", capsys, "--url", OLD, "--source", "deepseek-en")
    assert code == 0, err
    assert dict(cdx.calls[0].request.url.params)["url"] == OLD
    assert [o[:5] for o in observations(tmp_path / "h.db")] == [
        ("deepseek-en", "2024-12-28T09:30:00Z", raw("20241228093000", OLD), 200, "ok")]


def test_url_needs_the_source_it_mirrors(tmp_path, capsys):
    with respx.mock(assert_all_mocked=True):
        code, _, err = backfill(tmp_path / "h.db", capsys, "--url", OLD)
    assert code == 1
    assert err == ("ratecard backfill: deepseek has several pages: say which one --url mirrors with --source"
                   " (deepseek-en, deepseek-zh-cn)\n")
