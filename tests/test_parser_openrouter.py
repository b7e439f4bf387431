"""OpenRouter parser: exact per-1M prices from per-token strings, dynamic prices skipped, errors."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest

from parsers import openrouter, registry
from parsers.quote import ParseError, parse_utc, quotes_to_json
from scraper.run import run_scrape

FIXTURES = Path(__file__).parent / "fixtures" / "openrouter"
REAL = Path(__file__).resolve().parents[2] / "shared" / "real-pages" / "openrouter"
URL = "https://openrouter.ai/api/v1/models"


def prices(quotes) -> dict[tuple[str, str], Decimal]:
    return {(q.model, q.component): q.price for q in quotes}


@pytest.fixture(scope="module")
def models() -> openrouter.ModelList:
    return openrouter.read_models((FIXTURES / "models.json").read_text(), URL)


def test_every_token_price_exactly_per_1m(models):
    assert prices(models.quotes) == {
        ("acme/lumen-2", "input"): Decimal("0.15"),
        ("acme/lumen-2", "output"): Decimal("0.6"),
        ("acme/lumen-2:free", "input"): Decimal("0"),
        ("acme/lumen-2:free", "output"): Decimal("0"),
        ("x-ai/grok-4", "input"): Decimal("3"),
        ("x-ai/grok-4", "output"): Decimal("15"),
        ("x-ai/grok-4", "input_cache_hit"): Decimal("0.75"),
        ("anthropic/claude-sonnet-4", "input"): Decimal("3"),
        ("anthropic/claude-sonnet-4", "output"): Decimal("15"),
        ("anthropic/claude-sonnet-4", "input_cache_hit"): Decimal("0.3"),
        ("anthropic/claude-sonnet-4", "input_cache_write"): Decimal("3.75"),
        ("tinyco/nano-1", "input"): Decimal("0.0375"),
        ("tinyco/nano-1", "output"): Decimal("0.123456789"),
        ("google/gemini-2.5-flash", "input"): Decimal("0.3"),
        ("google/gemini-2.5-flash", "output"): Decimal("2.5"),
        ("google/gemini-2.5-flash", "input_cache_hit"): Decimal("0.03"),
        ("google/gemini-2.5-flash", "input_cache_write"): Decimal("0.0833333333"),
    }


def test_quote_keeps_source_text_and_metadata(models):
    quote = next(q for q in models.quotes if (q.model, q.component) == ("tinyco/nano-1", "output"))
    assert quote.to_dict() == {
        "provider": "openrouter", "model": "tinyco/nano-1", "component": "output", "currency": "USD",
        "price": "0.123456789", "price_text": "0.000000123456789", "tier": "standard", "window": "",
        "list_price": None, "list_price_text": None, "promo_until": None, "effective_from": None,
        "source_url": URL, "note": "",
    }


def test_dynamic_prices_are_skipped_and_counted(models):
    assert models.dynamic == [("openrouter/auto", "prompt"), ("openrouter/auto", "completion")]
    assert not [q for q in models.quotes if q.model == "openrouter/auto"]


def test_bare_array_form_reads_the_same(models):
    other = openrouter.read_models((FIXTURES / "models-array.json").read_text(), URL)
    assert quotes_to_json(other.quotes) == quotes_to_json(models.quotes)
    assert other.dynamic == models.dynamic


def test_numeric_prices_stay_exact():
    text = '{"data":[{"id":"a/b","pricing":{"prompt":0.0000001,"completion":2e-6}}]}'
    assert prices(openrouter.parse(text)) == {("a/b", "input"): Decimal("0.1"),
                                              ("a/b", "output"): Decimal("2")}


@pytest.mark.parametrize("text, message", [
    ('{"error":{"message":"Service unavailable","code":503}}', "expected"),
    ("<!DOCTYPE html><html><title>Just a moment...</title></html>", "not a JSON models response"),
    ('{"data":[]}', "lists no models"),
    ('{"data":[{"id":"a/b","name":"B"}]}', "a/b: no pricing object"),
    ('{"data":[{"id":"a/b","pricing":{"prompt":"0.000001"}}]}', "a/b: pricing lacks completion"),
    ('{"data":[{"id":"a/b","pricing":{"prompt":"free","completion":"0"}}]}', "prompt price is not a number"),
    ('{"data":[{"id":"a/b","pricing":{"prompt":"-0.5","completion":"0"}}]}', "negative prompt price"),
    ('{"data":[{"id":"a/b","pricing":{"prompt":"-1","completion":"-1"}}]}', "no token prices"),
    ('[{"id":"a/b","pricing":{"prompt":"1","completion":"1"}},'
     '{"id":"a/b","pricing":{"prompt":"2","completion":"1"}}]', "listed twice"),
])
def test_unusable_responses_raise(text, message):
    with pytest.raises(ParseError, match=message):
        openrouter.parse(text, URL)


def test_a_model_repeated_with_the_same_prices_is_quoted_once():
    entry = '{"id":"a/b","pricing":{"prompt":"0.000001","completion":"0.000002"}}'
    quotes = openrouter.parse(f"[{entry},{entry}]")
    assert [(q.model, q.component, q.price) for q in quotes] == [
        ("a/b", "input", Decimal("1")), ("a/b", "output", Decimal("2"))]


def test_registered_and_cli_prints_json():
    assert registry.parser_module("openrouter") is openrouter
    out = subprocess.run(
        [sys.executable, "-m", "scraper", "parse", "--provider", "openrouter",
         str(FIXTURES / "models.json"), "--json"],
        capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[1]).stdout
    rows = json.loads(out)
    assert len(rows) == 17
    assert {"model": "x-ai/grok-4", "component": "input_cache_hit", "price": "0.75"}.items() <= \
        next(r for r in rows if r["model"] == "x-ai/grok-4" and r["component"] == "input_cache_hit").items()


REAL_FILES = sorted(REAL.glob("*.json")) if REAL.is_dir() else []


@pytest.mark.skipif(not REAL_FILES, reason="real captures ../shared/real-pages/openrouter absent")
@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name[:10])
def test_real_snapshots_parse(path):
    result = openrouter.read_models(path.read_text(), URL)
    assert len(result.quotes) > 800
    assert ("openrouter/auto", "prompt") in result.dynamic
    assert all(q.price >= 0 and q.currency == "USD" for q in result.quotes)


@pytest.mark.skipif(not REAL_FILES, reason="real captures ../shared/real-pages/openrouter absent")
def test_the_largest_real_snapshot_parses_well_inside_the_run_budget():
    # ~6 ms measured for 485 KB; the whole run's pages share 0.5 s, so allow a loaded machine 20x.
    text = max(REAL_FILES, key=lambda p: p.stat().st_size).read_text()
    start = time.perf_counter()
    openrouter.parse(text)
    assert time.perf_counter() - start < 0.12


@pytest.mark.skipif(not REAL_FILES, reason="real captures ../shared/real-pages/openrouter absent")
def test_real_snapshot_spot_values():
    late = prices(openrouter.parse((REAL / "2026-05-01-6f92690-gptel-openrouter-models-data.json").read_text()))
    assert late[("x-ai/grok-4.20", "input")] == Decimal("1.25")
    assert late[("x-ai/grok-4.20", "output")] == Decimal("2.5")
    assert late[("deepseek/deepseek-v4-pro", "input")] == Decimal("0.435")
    assert late[("deepseek/deepseek-v4-pro", "output")] == Decimal("0.87")
    early = prices(openrouter.parse((REAL / "2026-02-27-eda7195-gptel-openrouter-models-data.json").read_text()))
    assert early[("google/gemini-3.1-flash-image-preview", "input")] == Decimal("0.25")
    assert early[("google/gemini-3.1-flash-image-preview", "output")] == Decimal("1.5")


# --- scraping snapshots in date order: change events land at the right observation ---------------

HISTORY = FIXTURES / "history"


class _Snapshot(http.server.BaseHTTPRequestHandler):
    """Serves the current snapshot at the mirror path of the models URL; no validators, so every
    scrape gets a fresh 200 (a conditional 304 would hide the file swap)."""

    body = b""
    path_served = "/openrouter.ai/api/v1/models"

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        ok = self.path == self.path_served
        payload = self.body if ok else b"not found"
        self.send_response(200 if ok else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


def _ratecard(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "scraper", *args], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    return done.stdout


def scrape_in_order(snapshots: list[tuple[str, Path]], db: Path, cli: bool = True) -> list[dict]:
    """Scrape each (instant, file) at that instant through a local mirror; the change events.

    ``cli`` runs ``ratecard scrape --at``; otherwise the same run in-process (``run_scrape`` with
    ``at``), which spares a long series the start-up of one process per snapshot.
    """
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Snapshot)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        mirror = f"http://127.0.0.1:{server.server_address[1]}"
        for at, path in snapshots:
            _Snapshot.body = path.read_bytes()
            if cli:
                _ratecard("scrape", "--db", str(db), "--provider", "openrouter", "--mirror", mirror, "--at", at)
            else:
                assert run_scrape(db, ["openrouter"], mirror, parse_utc(at)).ok
    finally:
        server.shutdown()
        server.server_close()
    return json.loads(_ratecard("changes", "--db", str(db), "--provider", "openrouter", "--json"))


def events_of(changes: list[dict]) -> set[tuple]:
    return {(e["model"], e["component"], e["kind"], e["old_price"], e["new_price"],
             e["observed_after"], e["observed_at"]) for e in changes}


def test_scraped_snapshots_record_each_change_at_its_observation(tmp_path):
    snapshots = [(f"{p.stem}T06:00:00Z", p) for p in sorted(HISTORY.glob("*.json"))]
    assert [at[:10] for at, _ in snapshots] == ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"]
    d1, d2, d3, d4 = (at for at, _ in snapshots)
    # The first observation opens every series without an event; acme/steady-1 never changes and
    # openrouter/auto is dynamic throughout, so neither has any event.
    assert events_of(scrape_in_order(snapshots, tmp_path / "prices.db")) == {
        ("acme/cutter-2", "input", "cut", "1", "0.8", d1, d2),
        ("qwen/flip-3", "input", "increase", "0", "0.11", d2, d3),
        ("qwen/flip-3", "output", "increase", "0", "0.6", d2, d3),
        ("acme/newcomer-1", "input", "added", None, "2", d2, d3),
        ("acme/newcomer-1", "output", "added", None, "8", d2, d3),
        ("acme/cutter-2", "input_cache_hit", "removed", "0.1", None, d3, d4),
        ("acme/newcomer-1", "output", "cut", "8", "7.5", d3, d4),
    }


def expected_events(snapshots: list[tuple[str, Path]]) -> set[tuple]:
    """Every difference between consecutive parsed snapshots, as the event it must become."""
    out: set[tuple] = set()
    before: dict[tuple[str, str], Decimal] | None = None
    at_before = ""
    for at, path in snapshots:
        now = prices(openrouter.parse(path.read_text()))
        for key in (before.keys() | now.keys()) if before is not None else ():
            old, new = before.get(key), now.get(key)
            if old != new:
                kind = ("added" if old is None else "removed" if new is None
                        else "cut" if new < old else "increase")
                text = [None if v is None else format(v.normalize(), "f") for v in (old, new)]
                out.add((*key, kind, *text, at_before, at))
        before, at_before = now, at
    return out


@pytest.mark.skipif(not REAL_FILES, reason="real captures ../shared/real-pages/openrouter absent")
def test_real_snapshots_scraped_in_date_order_give_exactly_the_real_changes(tmp_path):
    snapshots = [(f"{p.name[:10]}T06:00:00Z", p) for p in REAL_FILES]
    events = events_of(scrape_in_order(snapshots, tmp_path / "prices.db", cli=False))
    assert events == expected_events(snapshots)
    assert ("x-ai/grok-4.20", "input", "cut", "2", "1.25",
            "2026-04-30T06:00:00Z", "2026-05-01T06:00:00Z") in events
