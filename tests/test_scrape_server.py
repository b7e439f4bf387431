"""``ratecard scrape --mirror`` against a real HTTP server on 127.0.0.1 serving fixture pages.

Exercises what a mock cannot: real sockets, a server that stalls, one that closes the
connection before the declared Content-Length, and conditional requests answered with 304.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from db.schema import open_db
from scraper import run as run_module
from scraper.cli import main
from scraper.fetch.http import USER_AGENT, FetchPolicy

FIXTURES = Path(__file__).parent / "fixtures" / "deepseek"
EN_PATH = "/api-docs.deepseek.com/quick_start/pricing"
ZH_PATH = "/api-docs.deepseek.com/zh-cn/quick_start/pricing"

Behaviour = Callable[[BaseHTTPRequestHandler], None]


def serve(body: bytes, etag: str | None = None) -> Behaviour:
    def answer(h: BaseHTTPRequestHandler) -> None:
        if etag and h.headers.get("If-None-Match") == etag:
            h.send_response(304)
            h.end_headers()
            return
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(len(body)))
        if etag:
            h.send_header("ETag", etag)
        h.end_headers()
        h.wfile.write(body)
    return answer


def status(code: int) -> Behaviour:
    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(code)
        h.send_header("Content-Length", "0")
        h.end_headers()
    return answer


def stall(seconds: float) -> Behaviour:
    def answer(h: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
    return answer


def cut_short(body: bytes) -> Behaviour:
    """Declare the whole body, send half of it, close the connection."""
    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body[: len(body) // 2])
        h.wfile.flush()
        h.close_connection = True
    return answer


class Site:
    """What the server answers per path, and the requests it saw."""

    def __init__(self) -> None:
        self.routes: dict[str, Behaviour] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []


@pytest.fixture
def site() -> Iterator[tuple[Site, str]]:
    state = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server naming)
            state.requests.append((self.path, dict(self.headers)))
            state.routes.get(self.path, status(404))(self)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def fast_fetches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_module, "DEFAULT_POLICY", FetchPolicy(timeout=0.5, attempts=2, backoff=0))


def page(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def scrape(db: Path, mirror: str, at: str) -> int:
    return main(["scrape", "--db", str(db), "--provider", "deepseek", "--mirror", mirror, "--at", at])


def table(db_path: Path, sql: str) -> list[dict]:
    db = open_db(db_path, create=False)
    try:
        return list(db.query(sql))
    finally:
        db.close()


def history(db_path: Path) -> list[dict]:
    return table(db_path, "SELECT provider, model, component, tier, currency, price, valid_from, valid_to"
                          " FROM prices ORDER BY provider, model, component, tier, currency, valid_from")


def test_fixture_pages_through_the_mirror_build_the_peak_history(site, tmp_path: Path):
    state, base = site
    db = tmp_path / "prices.db"
    state.routes = {EN_PATH: serve(page("2026-08-14-announced.en.md")),
                    ZH_PATH: serve(page("2026-08-14-announced.zh-cn.md"))}
    assert scrape(db, base, "2026-08-14T12:00:00Z") == 0
    state.routes = {EN_PATH: serve(page("2026-08-17-peak.en.html"), etag='"peak"'),
                    ZH_PATH: serve(page("2026-08-17-peak.zh-cn.md"), etag='"peak-zh"')}
    assert scrape(db, base, "2026-08-17T12:00:00Z") == 0
    assert scrape(db, base, "2026-08-18T12:00:00Z") == 0  # unchanged: answered 304

    assert {headers["User-Agent"] for _, headers in state.requests} == {USER_AGENT}
    assert [h.get("If-None-Match") for p, h in state.requests if p == EN_PATH] == [None, None, '"peak"']
    assert table(db, "SELECT observed_at, status FROM observations WHERE source_id = 'deepseek-en'"
                     " ORDER BY observed_at") == [
        {"observed_at": "2026-08-14T12:00:00Z", "status": 200},
        {"observed_at": "2026-08-17T12:00:00Z", "status": 200},
        {"observed_at": "2026-08-18T12:00:00Z", "status": 304}]
    assert table(db, "SELECT tier, price, valid_from, from_basis, status FROM prices"
                     " WHERE model = 'deepseek-v4-pro' AND component = 'output' AND currency = 'USD'"
                     " ORDER BY valid_from, tier") == [
        {"tier": "standard", "price": "0.87", "valid_from": "2026-08-14T12:00:00Z",
         "from_basis": "first_observed", "status": "confirmed"},
        {"tier": "off_peak", "price": "1.98", "valid_from": "2026-08-16T16:00:00Z",
         "from_basis": "announced", "status": "confirmed"},
        {"tier": "peak", "price": "3.96", "valid_from": "2026-08-16T16:00:00Z",
         "from_basis": "announced", "status": "confirmed"}]


@pytest.mark.parametrize("failure, reported, outcome", [
    (status(500), "HTTP 500", "fetch_failed"),  # answered: not asked again
    (stall(2.0), "timeout after 0.5s (ReadTimeout) (after 2 attempts)", "fetch_failed"),
    (serve(page("no-table.en.html")), "deepseek: no pricing table found", "layout_changed"),
    (cut_short(page("2026-08-17-peak.en.html")), "RemoteProtocolError", "fetch_failed"),
], ids=["http-500", "timeout", "table-removed", "truncated-body"])
def test_a_failing_page_is_reported_and_leaves_the_history_untouched(site, tmp_path: Path, capsys,
                                                                    failure: Behaviour, reported: str,
                                                                    outcome: str):
    state, base = site
    db = tmp_path / "prices.db"
    state.routes = {EN_PATH: serve(page("2026-08-17-peak.en.html")), ZH_PATH: serve(page("2026-08-17-peak.zh-cn.md"))}
    assert scrape(db, base, "2026-08-17T12:00:00Z") == 0
    before = history(db)
    state.routes[EN_PATH] = failure
    assert scrape(db, base, "2026-08-18T12:00:00Z") == 1
    assert history(db) == before
    captured = capsys.readouterr()
    assert "1 sources ok, 1 failed; 0 changes found" in captured.out
    assert reported in captured.err
    failed = table(db, "SELECT outcome, error FROM observations"
                       " WHERE source_id = 'deepseek-en' AND observed_at = '2026-08-18T12:00:00Z'")
    assert len(failed) == 1 and failed[0]["outcome"] == outcome and reported in failed[0]["error"]
    assert table(db, "SELECT count(*) AS n FROM changes WHERE kind = 'removed'") == [{"n": 0}]
