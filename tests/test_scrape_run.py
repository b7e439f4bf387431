"""``ratecard scrape`` end to end against mocked DeepSeek pages (respx): history, failures, 304s.

Fixture pages are the DeepSeek captures in tests/fixtures/deepseek.  For eras with no zh-cn
capture the zh-cn route serves the English page: its CNY tab is the same table.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import respx

from db.history import prices_at, rebuild
from db.schema import open_db
from parsers.quote import parse_utc
from scraper import run as run_module
from scraper.cli import main
from scraper.fetch.http import USER_AGENT, FetchPolicy
from scraper.run import run_scrape

FIXTURES = Path(__file__).parent / "fixtures" / "deepseek"
EN = "https://api-docs.deepseek.com/quick_start/pricing"
ZH = "https://api-docs.deepseek.com/zh-cn/quick_start/pricing"
FAST = FetchPolicy(timeout=1, attempts=2, backoff=0)


@pytest.fixture(autouse=True)
def fast_fetches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_module, "DEFAULT_POLICY", FAST)


@contextmanager
def mocked(assert_all_called: bool = True) -> Iterator[respx.MockRouter]:
    """respx with every robots.txt missing (404: everything allowed), as most hosts answer."""
    with respx.mock(assert_all_called=assert_all_called) as mock:
        mock.get(url__regex=r"/robots\.txt$").respond(404)
        yield mock


def page(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def scrape(db: Path, at: str, en: bytes | Exception | int, zh: bytes | Exception | int) -> int:
    """Run ``ratecard scrape`` with the two DeepSeek pages mocked; returns the exit code."""
    with mocked(assert_all_called=False) as mock:
        for url, answer in ((EN, en), (ZH, zh)):
            route = mock.get(url)
            if isinstance(answer, bytes):
                route.respond(200, content=answer, headers={"Content-Type": "text/html; charset=utf-8"})
            elif isinstance(answer, int):
                route.respond(answer)
            else:
                route.side_effect = answer
        return main(["scrape", "--db", str(db), "--provider", "deepseek", "--at", at])


def rows(db_path: Path, sql: str, params: list | None = None) -> list[dict]:
    db = open_db(db_path, create=False)
    try:
        return list(db.query(sql, params or []))
    finally:
        db.close()


def history(db_path: Path) -> tuple[list[dict], list[dict]]:
    return (rows(db_path, "SELECT * FROM prices ORDER BY provider, model, component, tier, currency, valid_from"),
            rows(db_path, "SELECT * FROM changes ORDER BY provider, model, component, tier, currency, effective_at"))


def without_last_seen(tables: tuple[list[dict], list[dict]]) -> tuple[list[dict], list[dict]]:
    prices, changes = tables
    return [{k: v for k, v in r.items() if k != "last_observed_at"} for r in prices], changes


def in_force(db_path: Path, at: str, model: str, component: str = "input", currency: str = "USD") -> list[tuple]:
    db = open_db(db_path, create=False)
    try:
        return [(r["tier"], r["price"], r["list_price"], r["valid_from"], r["from_basis"], r["status"])
                for r in prices_at(db, parse_utc(at), "deepseek", model)
                if r["component"] == component and r["currency"] == currency]
    finally:
        db.close()


def test_promo_page_then_full_price_page_ends_the_promo_at_its_announced_instant(tmp_path: Path, capsys):
    db = tmp_path / "prices.db"
    promo = page("2024-12-28-promo.en.html")
    assert scrape(db, "2024-12-28T12:00:00Z", promo, promo) == 0
    full = page("2025-02-20-full-price.en.md")
    assert scrape(db, "2025-02-20T12:00:00Z", full, full) == 0
    assert "2 sources ok, 0 failed" in capsys.readouterr().out

    change = rows(db, "SELECT * FROM changes WHERE model = 'deepseek-chat' AND component = 'input'"
                      " AND currency = 'USD'")
    assert [(c["kind"], c["old_price"], c["new_price"], c["percent_change"], c["effective_at"], c["basis"],
             c["observed_after"], c["observed_at"], c["status"]) for c in change] == [
        ("promo_end", "0.14", "0.27", "92.86", "2025-02-08T16:00:00Z", "announced",
         "2024-12-28T12:00:00Z", "2025-02-20T12:00:00Z", "confirmed")]
    assert in_force(db, "2025-02-08T15:59:59Z", "deepseek-chat") == [
        ("standard", "0.14", "0.27", "2024-12-28T12:00:00Z", "first_observed", "confirmed")]
    assert in_force(db, "2025-02-08T16:00:00Z", "deepseek-chat") == [
        ("standard", "0.27", None, "2025-02-08T16:00:00Z", "announced", "confirmed")]
    assert in_force(db, "2025-02-10T00:00:00Z", "deepseek-chat", currency="CNY") == [
        ("standard", "2", None, "2025-02-08T16:00:00Z", "announced", "confirmed")]


def test_off_peak_tier_appearing_between_two_scrapes_is_an_observed_change_with_both_bounds(tmp_path: Path):
    db = tmp_path / "prices.db"
    full = page("2025-02-20-full-price.en.md")
    assert scrape(db, "2025-02-20T12:00:00Z", full, full) == 0
    assert scrape(db, "2025-02-27T06:00:00Z", page("2025-02-26-off-peak.en.html"),
                  page("2025-02-26-off-peak.zh-cn.md")) == 0
    added = rows(db, "SELECT * FROM changes WHERE model = 'deepseek-chat' AND component = 'input'"
                     " AND tier = 'off_peak' ORDER BY currency")
    assert [(c["currency"], c["kind"], c["new_price"], c["new_window"], c["effective_at"], c["basis"],
             c["observed_after"], c["observed_at"]) for c in added] == [
        ("CNY", "added", "1", "16:30-00:30 UTC", "2025-02-27T06:00:00Z", "observed",
         "2025-02-20T12:00:00Z", "2025-02-27T06:00:00Z"),
        ("USD", "added", "0.135", "16:30-00:30 UTC", "2025-02-27T06:00:00Z", "observed",
         "2025-02-20T12:00:00Z", "2025-02-27T06:00:00Z"),
    ]
    price = rows(db, "SELECT valid_from_after, valid_from FROM prices WHERE model = 'deepseek-chat'"
                     " AND component = 'input' AND tier = 'off_peak' AND currency = 'USD'")
    assert price == [{"valid_from_after": "2025-02-20T12:00:00Z", "valid_from": "2025-02-27T06:00:00Z"}]


def test_announced_peak_prices_take_effect_at_the_announced_instant(tmp_path: Path):
    db = tmp_path / "prices.db"
    assert scrape(db, "2026-08-14T12:00:00Z", page("2026-08-14-announced.en.md"),
                  page("2026-08-14-announced.zh-cn.md")) == 0
    # scheduled before any scrape after the instant: exactly one price applies to any time
    assert in_force(db, "2026-08-16T15:59:59Z", "deepseek-v4-flash") == [
        ("standard", "0.14", None, "2026-08-14T12:00:00Z", "first_observed", "confirmed")]
    assert in_force(db, "2026-08-16T16:00:00Z", "deepseek-v4-flash") == [
        ("off_peak", "0.22", None, "2026-08-16T16:00:00Z", "announced", "scheduled"),
        ("peak", "0.44", None, "2026-08-16T16:00:00Z", "announced", "scheduled")]

    assert scrape(db, "2026-08-17T12:00:00Z", page("2026-08-17-peak.en.html"),
                  page("2026-08-17-peak.zh-cn.md")) == 0
    assert in_force(db, "2026-08-16T16:00:00Z", "deepseek-v4-flash") == [
        ("off_peak", "0.22", None, "2026-08-16T16:00:00Z", "announced", "confirmed"),
        ("peak", "0.44", None, "2026-08-16T16:00:00Z", "announced", "confirmed")]
    assert in_force(db, "2026-08-20T00:00:00Z", "deepseek-v4-pro", currency="CNY") == [
        ("off_peak", "4.5", None, "2026-08-16T16:00:00Z", "announced", "confirmed"),
        ("peak", "9", None, "2026-08-16T16:00:00Z", "announced", "confirmed")]
    ended = rows(db, "SELECT valid_to, to_basis FROM prices WHERE model = 'deepseek-v4-flash'"
                     " AND component = 'input' AND tier = 'standard' AND currency = 'USD'")
    assert ended == [{"valid_to": "2026-08-16T16:00:00Z", "to_basis": "announced"}]
    assert rows(db, "SELECT DISTINCT status FROM announcements") == [{"status": "confirmed"}]


@pytest.mark.parametrize("failure, reported, outcome", [
    (500, "HTTP 500", "fetch_failed"),  # an answered request is not repeated
    (httpx.ReadTimeout("read timed out"), "timeout after 1s (ReadTimeout) (after 2 attempts)", "fetch_failed"),
    (page("no-table.en.html"), "deepseek: no pricing table found", "layout_changed"),
    (page("2024-12-28-promo.en.html")[:1500],
     "truncated body: HTML without </html> (after 2 attempts)", "fetch_failed"),
])
def test_a_failing_source_is_recorded_and_changes_nothing(tmp_path: Path, capsys, failure, reported, outcome):
    db = tmp_path / "prices.db"
    full = page("2025-02-20-full-price.en.md")
    assert scrape(db, "2025-02-20T12:00:00Z", full, full) == 0
    before = history(db)
    assert scrape(db, "2025-02-21T12:00:00Z", failure, full) == 1
    after = history(db)
    # no model "removed", no price moved; only the healthy zh-cn page's last sighting advances
    assert [r for r in after[0] if r["source_id"] == "deepseek-en"] == [
        r for r in before[0] if r["source_id"] == "deepseek-en"]
    assert without_last_seen(after) == without_last_seen(before)
    err = capsys.readouterr().err
    assert f"deepseek-en ({EN}): " in err and reported in err
    logged = rows(db, "SELECT source_id, outcome, error, body_id FROM observations"
                      " WHERE observed_at = '2025-02-21T12:00:00Z' ORDER BY source_id")
    assert [(r["source_id"], r["outcome"]) for r in logged] == [("deepseek-en", outcome), ("deepseek-zh-cn", "ok")]
    assert reported in logged[0]["error"]


def test_unchanged_page_is_fetched_conditionally_and_a_304_reuses_the_stored_body(tmp_path: Path):
    db = tmp_path / "prices.db"
    full = page("2025-02-20-full-price.en.md")
    with mocked() as mock:
        mock.get(EN).respond(200, content=full, headers={"ETag": '"v1"', "Last-Modified": "Thu, 20 Feb 2025 00:00:00 GMT"})
        mock.get(ZH).respond(200, content=full)
        assert run_scrape(db, ["deepseek"], at=parse_utc("2025-02-20T12:00:00Z")).ok
    with mocked() as mock:
        en = mock.get(EN).respond(304)
        mock.get(ZH).respond(200, content=full)
        result = run_scrape(db, ["deepseek"], at=parse_utc("2025-02-21T12:00:00Z"))
    assert result.ok and result.new_changes == []
    sent = en.calls.last.request.headers
    assert (sent["If-None-Match"], sent["If-Modified-Since"], sent["User-Agent"]) == (
        '"v1"', "Thu, 20 Feb 2025 00:00:00 GMT", USER_AGENT)
    logged = rows(db, "SELECT status, body_id, quote_set_id, etag FROM observations WHERE source_id = 'deepseek-en'"
                      " ORDER BY observed_at")
    assert [r["status"] for r in logged] == [200, 304]
    assert logged[0]["body_id"] == logged[1]["body_id"] and logged[0]["quote_set_id"] == logged[1]["quote_set_id"]
    assert logged[1]["etag"] == '"v1"'
    assert rows(db, "SELECT count(*) AS n FROM bodies") == [{"n": 1}]


def test_mirror_maps_host_and_path_under_the_mirror_url(tmp_path: Path):
    full = page("2025-02-20-full-price.en.md")
    with mocked() as mock:
        en = mock.get("http://cache.local/m/api-docs.deepseek.com/quick_start/pricing").respond(200, content=full)
        zh = mock.get("http://cache.local/m/api-docs.deepseek.com/zh-cn/quick_start/pricing").respond(200, content=full)
        result = run_scrape(tmp_path / "p.db", ["deepseek"], mirror="http://cache.local/m/",
                            at=parse_utc("2025-02-20T12:00:00Z"))
    assert result.ok and en.called and zh.called
    assert rows(tmp_path / "p.db", "SELECT url FROM observations ORDER BY source_id") == [
        {"url": "http://cache.local/m/api-docs.deepseek.com/quick_start/pricing"},
        {"url": "http://cache.local/m/api-docs.deepseek.com/zh-cn/quick_start/pricing"}]


def test_a_crash_half_way_leaves_the_database_as_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    db = tmp_path / "prices.db"
    full = page("2025-02-20-full-price.en.md")
    assert scrape(db, "2025-02-20T12:00:00Z", full, full) == 0
    before = rows(db, "SELECT * FROM observations"), history(db)

    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(run_module, "update", crash)
    with pytest.raises(RuntimeError):
        scrape(db, "2025-02-26T12:00:00Z", page("2025-02-26-off-peak.en.html"), page("2025-02-26-off-peak.zh-cn.md"))
    assert (rows(db, "SELECT * FROM observations"), history(db)) == before


def test_rebuild_twice_gives_identical_tables_and_late_arrivals_are_ordered_by_time(tmp_path: Path):
    in_order, late = tmp_path / "a.db", tmp_path / "b.db"
    promo, full = page("2024-12-28-promo.en.html"), page("2025-02-20-full-price.en.md")
    scrape(in_order, "2024-12-28T12:00:00Z", promo, promo)
    scrape(in_order, "2025-02-20T12:00:00Z", full, full)
    scrape(late, "2025-02-20T12:00:00Z", full, full)
    scrape(late, "2024-12-28T12:00:00Z", promo, promo)  # an import of an older capture
    assert history(late) == history(in_order)
    db = open_db(late)
    rebuild(db)
    rebuild(db)
    db.close()
    assert history(late) == history(in_order)


def test_reparse_rereads_stored_pages_after_a_parser_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import parsers.deepseek as deepseek
    from parsers.quote import ParseError

    db = tmp_path / "prices.db"
    full = page("2025-02-20-full-price.en.md")
    real_parse, real_read = deepseek.parse, deepseek.read

    def broken(text: str, source_url: str = ""):
        raise ParseError("deepseek", "regression")

    monkeypatch.setattr(deepseek, "parse", broken)
    monkeypatch.setattr(deepseek, "read", broken)  # the registry calls read() when a module has one
    assert scrape(db, "2025-02-20T12:00:00Z", full, full) == 1
    assert history(db) == ([], [])
    monkeypatch.setattr(deepseek, "parse", real_parse)
    monkeypatch.setattr(deepseek, "read", real_read)
    assert main(["reparse", "--db", str(db)]) == 0
    assert in_force(db, "2025-02-21T00:00:00Z", "deepseek-chat") == [
        ("standard", "0.27", None, "2025-02-20T12:00:00Z", "first_observed", "confirmed")]
    assert rows(db, "SELECT DISTINCT outcome FROM observations") == [{"outcome": "ok"}]


def test_prices_and_changes_commands_print_exact_json(tmp_path: Path, capsys):
    db = tmp_path / "prices.db"
    promo, full = page("2024-12-28-promo.en.html"), page("2025-02-20-full-price.en.md")
    scrape(db, "2024-12-28T12:00:00Z", promo, promo)
    scrape(db, "2025-02-20T12:00:00Z", full, full)
    capsys.readouterr()
    assert main(["prices", "--db", str(db), "--at", "2025-01-01T00:00:00Z", "--model", "deepseek-chat", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    hit = [r for r in out if r["component"] == "input_cache_hit" and r["currency"] == "USD"]
    assert hit == [{"provider": "deepseek", "model": "deepseek-chat", "component": "input_cache_hit",
                    "tier": "standard", "window": "", "currency": "USD", "price": "0.014", "list_price": "0.07",
                    "promo_until": "2025-02-08T16:00:00Z", "valid_from": "2024-12-28T12:00:00Z",
                    "valid_to": "2025-02-08T16:00:00Z", "from_basis": "first_observed", "valid_from_after": None,
                    "to_basis": "announced", "status": "confirmed", "source_id": "deepseek-en", "in_force": "yes"}]
    assert main(["changes", "--db", str(db), "--since", "2025-01-01", "--json"]) == 0
    changes = json.loads(capsys.readouterr().out)
    # newest first: deepseek-reasoner first listed on the full-price page, then the promo end
    assert [(c["effective_at"], c["model"], c["kind"], c["basis"]) for c in changes] == (
        [("2025-02-20T12:00:00Z", "deepseek-reasoner", "added", "observed")] * 6
        + [("2025-02-08T16:00:00Z", "deepseek-chat", "promo_end", "announced")] * 6)
    assert changes[-1] == {
        "provider": "deepseek", "model": "deepseek-chat", "component": "output", "tier": "standard",
        "currency": "USD", "kind": "promo_end", "old_price": "0.28", "new_price": "1.1",
        "percent_change": "292.86", "old_list_price": "1.1", "new_list_price": None, "old_window": "",
        "new_window": "", "effective_at": "2025-02-08T16:00:00Z", "basis": "announced",
        "observed_after": "2024-12-28T12:00:00Z", "observed_at": "2025-02-20T12:00:00Z",
        "status": "confirmed", "source_id": "deepseek-en"}
    assert main(["changes", "--db", str(db), "--since", "2025-02-20T12:00:01Z", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_bad_usage_exits_2_and_a_missing_database_exits_1(tmp_path: Path, capsys):
    for argv in (["scrape", "--db", str(tmp_path / "x.db"), "--at", "yesterday"],
                 ["scrape", "--db", str(tmp_path / "x.db"), "--mirror", "cache.local"],
                 ["scrape", "--db", str(tmp_path / "x.db"), "--provider", "nosuch"],
                 ["prices", "--at", "2025-13-01"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
    assert not (tmp_path / "x.db").exists()
    assert main(["prices", "--db", str(tmp_path / "missing.db")]) == 1
    assert f"{tmp_path / 'missing.db'}: no such database" in capsys.readouterr().err
    assert not (tmp_path / "missing.db").exists()


def test_default_database_is_ratecard_db_or_prices_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from db.readonly import default_db_path
    monkeypatch.delenv("RATECARD_DB", raising=False)
    assert default_db_path() == Path("prices.db")
    monkeypatch.setenv("RATECARD_DB", str(tmp_path / "elsewhere.db"))
    assert default_db_path() == tmp_path / "elsewhere.db"


def test_a_hundred_unchanged_nightly_scrapes_grow_the_database_by_less_than_50_kb(tmp_path: Path):
    db = tmp_path / "prices.db"
    en, zh = page("2026-08-17-peak.en.html"), page("2026-08-17-peak.zh-cn.md")
    with mocked() as mock:
        mock.get(EN).respond(200, content=en, headers={"ETag": '"abc123"'})
        mock.get(ZH).respond(200, content=zh)
        run_scrape(db, ["deepseek"], at=parse_utc("2026-08-17T03:00:00Z"))
        size_after_first = db.stat().st_size
        for night in range(100):
            at = datetime.fromtimestamp(parse_utc("2026-08-18T03:00:00Z").timestamp() + night * 86400).astimezone()
            assert run_scrape(db, ["deepseek"], at=at).ok
    growth = db.stat().st_size - size_after_first
    print(f"100 unchanged nightly scrapes (2 sources) grew the database by {growth} bytes")
    assert growth < 50 * 1024, growth
    assert rows(db, "SELECT count(*) AS n FROM observations") == [{"n": 202}]
    assert rows(db, "SELECT count(*) AS n FROM bodies") == [{"n": 2}]
    assert rows(db, "SELECT count(*) AS n FROM quote_sets") == [{"n": 2}]


def test_a_currency_tab_that_disagrees_with_its_authoritative_page_is_reported_not_merged(tmp_path: Path, capsys):
    db = tmp_path / "prices.db"
    # the English page's CNY tab still shows the promo; the zh-cn page (authoritative for CNY) does not
    assert scrape(db, "2025-01-10T12:00:00Z", page("2024-12-28-promo.en.html"),
                  page("2025-02-20-full-price.en.md")) == 0
    out = capsys.readouterr().out
    assert ("disagreement  deepseek-en shows deepseek-chat input standard CNY at 1, deepseek-zh-cn has 2"
            in out)
    assert in_force(db, "2025-01-10T12:00:00Z", "deepseek-chat", currency="CNY") == [
        ("standard", "2", None, "2025-01-10T12:00:00Z", "first_observed", "confirmed")]
    assert in_force(db, "2025-01-10T12:00:00Z", "deepseek-chat") == [
        ("standard", "0.14", "0.27", "2025-01-10T12:00:00Z", "first_observed", "confirmed")]
    found = rows(db, "SELECT source_id, authority_id, model, component, currency, shown_price, expected_price"
                     " FROM disagreements WHERE model = 'deepseek-chat' AND component = 'input'"
                     " ORDER BY source_id")
    assert [tuple(r.values()) for r in found] == [
        ("deepseek-en", "deepseek-zh-cn", "deepseek-chat", "input", "CNY", "1", "2"),
        ("deepseek-zh-cn", "deepseek-en", "deepseek-chat", "input", "USD", "0.27", "0.14")]


def test_certificates_are_loaded_once_per_process_and_still_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Each scrape makes an HTTP client; the certificate store behind it is loaded once per
    process (httpx would load it for every client: 20-40 ms a scrape), and it still checks
    every HTTPS certificate and host name."""
    import ssl

    from scraper.fetch import http as http_module

    made = []
    real = httpx.create_ssl_context
    monkeypatch.setattr(httpx, "create_ssl_context", lambda *a, **k: made.append(1) or real(*a, **k))
    http_module.tls_context.cache_clear()
    try:
        en, zh = page("2026-08-17-peak.en.html"), page("2026-08-17-peak.zh-cn.md")
        for night in ("2026-08-17T03:00:00Z", "2026-08-18T03:00:00Z", "2026-08-19T03:00:00Z"):
            assert scrape(tmp_path / "prices.db", night, en, zh) == 0
        assert len(made) == 1
        context = http_module.tls_context()
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
        assert context.cert_store_stats()["x509_ca"] > 0
    finally:
        http_module.tls_context.cache_clear()
