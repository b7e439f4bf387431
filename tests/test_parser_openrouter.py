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

from parsers import openrouter, registry, window
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
    ('{"data":[{"id":"a/b","pricing":{"prompt":"-0.5","completion":"0"}}]}', "negative pricing.prompt price"),
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
def test_the_largest_real_snapshot_parses_within_a_few_json_decodes():
    # Measured against its peer in the same run (json.loads of the same text, the least any reader
    # of this API must spend), best of 5 each, so a loaded machine slows both alike: about 3x.
    text = max(REAL_FILES, key=lambda p: p.stat().st_size).read_text()

    def best(fn) -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times)

    peer = best(lambda: json.loads(text))
    ours = best(lambda: openrouter.parse(text))
    assert ours < 8 * peer, (ours, peer)


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


#: Spot values per real snapshot, read off the files (and SOURCES.md's notes on each day).
REAL_SPOTS = {
    "2026-02-27": {("google/gemini-3.1-flash-image-preview", "input"): "0.25", ("qwen/qwen-max", "input"): "1.6"},
    "2026-03-04": {("qwen/qwen-max", "input"): "1.04", ("google/gemini-3.1-flash-image-preview", "input"): "0.5"},
    "2026-03-07": {("z-ai/glm-4.7", "input"): "0.38", ("z-ai/glm-4.7", "output"): "1.98",
                   ("qwen/qwen3-235b-a22b-thinking-2507", "input"): "0.11"},
    "2026-03-21": {("mistralai/mistral-small-3.1-24b-instruct", "input"): "0.03"},
    "2026-03-27": {("reka/reka-edge", "input"): "0.1"},
    "2026-04-12": {("mistralai/mistral-small-3.1-24b-instruct", "input"): "0.35"},
    "2026-04-18": {("moonshotai/kimi-k2.5", "input"): "0"},
    "2026-04-26": {("deepseek/deepseek-v4-pro", "input"): "0.435", ("deepseek/deepseek-v4-pro", "output"): "0.87",
                   ("qwen/qwen3-coder", "output"): "1.8"},
    "2026-04-30": {("x-ai/grok-4.20", "input"): "2", ("x-ai/grok-4.20", "output"): "6"},
    "2026-05-01": {("x-ai/grok-4.20", "input"): "1.25", ("x-ai/grok-4.20", "output"): "2.5"},
}


@pytest.mark.skipif(not REAL_FILES, reason="real captures ../shared/real-pages/openrouter absent")
@pytest.mark.parametrize("day", sorted(REAL_SPOTS))
def test_real_snapshot_spot_values_per_day(day):
    path = next(p for p in REAL_FILES if p.name.startswith(day))
    got = {(q.model, q.component): format(q.price, "f") for q in openrouter.parse(path.read_text())
           if q.tier == "standard"}
    assert {key: got.get(key) for key in REAL_SPOTS[day]} == REAL_SPOTS[day]


# --- 2026 API: overrides, 1h cache writes, :batch ids, float noise --------------------------------

OVERRIDES = FIXTURES / "models-2026-overrides.json"
PEAK = "01:00-04:00,06:00-10:00 UTC"
OFF_PEAK = "04:00-06:00,10:00-01:00 UTC"


def tiered(quotes) -> dict[tuple[str, str, str, str], str]:
    """(model, component, tier, window) -> exact price text; fails on a duplicate series."""
    out: dict[tuple[str, str, str, str], str] = {}
    for q in quotes:
        key = (q.model, q.component, q.tier, q.window)
        assert key not in out, key
        out[key] = format(q.price, "f")
    return out


def test_overrides_become_context_and_time_of_day_tiers():
    reading = openrouter.read(OVERRIDES.read_text(), URL)
    got = tiered(reading.quotes)
    lyric = {(c, t): got[("anthropic/claude-lyric-4.5", c, t, "")] for c in (
        "input", "output", "input_cache_hit", "input_cache_write", "input_cache_write_1h")
        for t in ("standard", "context>200k")}
    assert lyric == {
        ("input", "standard"): "3", ("output", "standard"): "15", ("input_cache_hit", "standard"): "0.3",
        ("input_cache_write", "standard"): "3.75", ("input_cache_write_1h", "standard"): "6",
        ("input", "context>200k"): "6", ("output", "context>200k"): "22.5",
        ("input_cache_hit", "context>200k"): "0.6", ("input_cache_write", "context>200k"): "7.5",
        ("input_cache_write_1h", "context>200k"): "12"}
    # the :batch id is a model of its own; its override names only two components
    assert {k[1:3]: v for k, v in got.items() if k[0] == "anthropic/claude-lyric-4.5:batch"} == {
        ("input", "standard"): "1.5", ("output", "standard"): "7.5", ("input_cache_hit", "standard"): "0.15",
        ("input_cache_write", "standard"): "1.875", ("input_cache_write_1h", "standard"): "3",
        ("input", "context>200k"): "3", ("output", "context>200k"): "11.25"}
    assert {k[1:3]: v for k, v in got.items() if k[0] == "qwen/qwen-tide-max"} == {
        ("input", "standard"): "0.78", ("output", "standard"): "3.9", ("input_cache_hit", "standard"): "0.156",
        ("input", "context>32k"): "1.56", ("output", "context>32k"): "7.8",
        ("input", "context>128k"): "1.95", ("output", "context>128k"): "9.75"}
    # four UTC windows with two price sets: off-peak and peak, and no standard price left over
    assert {k[1:]: v for k, v in got.items() if k[0] == "deepseek/deepseek-v9-pro"} == {
        ("input", "off_peak", OFF_PEAK): "0.66", ("output", "off_peak", OFF_PEAK): "1.98",
        ("input_cache_hit", "off_peak", OFF_PEAK): "0.022",
        ("input", "peak", PEAK): "1.32", ("output", "peak", PEAK): "3.96", ("input_cache_hit", "peak", PEAK): "0.044"}
    # one window given: the hours it does not cover keep the base price
    assert {k[1:]: v for k, v in got.items() if k[0] == "acme/dusk-1"} == {
        ("input", "off_peak", "17:30-13:30 UTC"): "1", ("output", "off_peak", "17:30-13:30 UTC"): "2",
        ("input", "peak", "13:30-17:30 UTC"): "1.5", ("output", "peak", "13:30-17:30 UTC"): "3"}
    # float noise rounded to 12 significant digits; a price already exact is untouched
    assert got[("google/gemini-4-flash", "input", "standard", "")] == "0.2"
    assert got[("google/gemini-4-flash", "input_cache_write", "standard", "")] == "0.0833333333333"
    assert got[("google/gemini-4-flash:batch", "input_cache_write", "standard", "")] == "0.0208333333333"
    assert got[("openai/gpt-3.5-turbo:batch", "input", "standard", "")] == "0.25"
    # an override no tier can express leaves the base price and is reported; so is a model whose
    # time-of-day prices are three bands (the whole model: its base price is not always in force)
    assert got[("acme/odd-threshold", "input", "standard", "")] == "1"
    assert not [k for k in got if k[0] == "acme/odd-threshold" and k[2] != "standard"]
    assert not [k for k in got if k[0] in ("acme/three-bands", "openrouter/auto")]
    assert len(got) == 49
    reasons = {(s.where, s.reason.split(":")[0]) for s in reading.skipped}
    assert reasons == {
        ("acme/odd-threshold pricing.overrides.min_prompt_tokens",
         "threshold is not a whole number of thousands of tokens"),
        ("acme/both-keys pricing.overrides",
         "override is neither a prompt-size threshold nor a UTC time of day alone"),
        ("acme/three-bands pricing.overrides",
         "3 time-of-day price sets that are not one lower (off-peak) and one higher (peak)"),
        ("openrouter/auto pricing.prompt", "-1"), ("openrouter/auto pricing.completion", "-1"),
        ("pricing.audio", "a charge per image, request, search or audio/reasoning token class"),
        ("pricing.image", "a charge per image, request, search or audio/reasoning token class"),
        ("pricing.internal_reasoning", "a charge per image, request, search or audio/reasoning token class"),
        ("pricing.web_search", "a charge per image, request, search or audio/reasoning token class"),
        ("pricing.video_second", "unknown pricing key"),
    }
    web = next(s for s in reading.skipped if s.where == "pricing.web_search")
    assert web.text == "3 models: anthropic/claude-lyric-4.5, anthropic/claude-lyric-4.5:batch, openai/gpt-3.5-turbo:batch"


@pytest.mark.parametrize("a, b", [
    ("0.0000000833333333333333", "0.00000008333333333333334"),   # two spellings OpenRouter used
    ("0.0000002", "0.00000020000000000000002"),
    ("0.00000015", "0.000000150"),
])
def test_equal_prices_in_other_spellings_give_identical_quotes(a, b):
    def one(value: str) -> str:
        return quotes_to_json(openrouter.parse(f'[{{"id":"g/f","pricing":{{"prompt":"{value}","completion":"0"}}}}]', URL))
    assert one(a) == one(b)


def test_a_real_price_difference_is_kept():
    def price(value: str) -> Decimal:
        return openrouter.parse(f'[{{"id":"g/f","pricing":{{"prompt":"{value}","completion":"0"}}}}]')[0].price
    # 0.0833 is a price OpenRouter rounded, one part in 2500 away from 1/12: a different price
    assert price("0.0000000833") == Decimal("0.0833")
    assert price("0.0000000833333333333333") == Decimal("0.0833333333333")
    assert price("0.000000000123456789012") == Decimal("0.000123456789012")  # 15 digits, exact
    assert price("0.0000001234567890123456") == Decimal("0.123456789012")
    assert str(price("0.0833")) == "83300"


def test_one_unreadable_model_is_skipped_not_the_page():
    text = ('[{"id":"a/b","pricing":{"prompt":"free","completion":"0"}},'
            '{"id":"a/c","pricing":{"prompt":"0.000001","completion":"0.000002",'
            '"overrides":[{"min_prompt_tokens":1000,"prompt":"-0.5","completion":"0"}]}},'
            '{"id":"a/d","pricing":{"prompt":"0.000001","completion":"0.000003"}}]')
    reading = openrouter.read(text, URL)
    assert tiered(reading.quotes) == {("a/d", "input", "standard", ""): "1", ("a/d", "output", "standard", ""): "3"}
    assert [(s.where, s.text) for s in reading.skipped] == [("a/b", "free"), ("a/c", "-0.5")]
    assert "price is not a number" in reading.skipped[0].reason
    assert "negative" in reading.skipped[1].reason


def _pricer(quotes):
    from db.reprice.pricer import Pricer, PriceVersion
    since = parse_utc("2026-08-19T06:00:00Z")
    return Pricer([PriceVersion(q.provider, q.model, q.component, q.tier, q.window, q.currency, q.price, since)
                   for q in quotes], "USD")


def _row(model: str, at: str, **tokens: int):
    from db.reprice.usage import TOKEN_COMPONENTS, UsageRow
    return UsageRow("usage.csv", 2, parse_utc(at), False, "openrouter", model,
                    tuple(tokens.get(c, 0) for c in TOKEN_COMPONENTS))


@pytest.mark.skipif(not REAL_FILES, reason="real captures ../shared/real-pages/openrouter absent")
def test_usage_on_the_2026_08_19_snapshot_is_priced_with_its_tiers():
    pricer = _pricer(openrouter.parse(REAL_FILES[-1].read_text()))
    # the :batch id, as a usage row names it: 1M in at 0.25 + 1M out at 0.75
    batch = pricer.price(_row("openai/gpt-3.5-turbo:batch", "2026-08-20T12:00:00Z", input=10**6, output=10**6))
    assert pricer.money(batch.units) == Decimal("1")
    # deepseek-v4-pro: 0.66/1.98 off-peak, twice that from 01:00 to 04:00 and 06:00 to 10:00 UTC
    off = pricer.price(_row("deepseek/deepseek-v4-pro", "2026-08-20T05:00:00Z", input=10**6, output=10**6))
    peak = pricer.price(_row("deepseek/deepseek-v4-pro", "2026-08-20T02:00:00Z", input=10**6, output=10**6))
    assert (pricer.money(off.units), pricer.money(peak.units)) == (Decimal("2.64"), Decimal("5.28"))
    # claude-sonnet-4.5: a prompt over 200k tokens pays 6/22.5 for all of it
    short = pricer.price(_row("anthropic/claude-sonnet-4.5", "2026-08-20T12:00:00Z", input=200_000, output=10_000))
    long = pricer.price(_row("anthropic/claude-sonnet-4.5", "2026-08-20T12:00:00Z", input=200_001, output=10_000))
    assert pricer.money(short.units) == Decimal("0.75")      # 0.2 x 3 + 0.01 x 15
    assert pricer.money(long.units) == Decimal("1.425006")  # 0.200001 x 6 + 0.01 x 22.5


@pytest.mark.skipif(not REAL_FILES, reason="real captures ../shared/real-pages/openrouter absent")
def test_2026_08_19_snapshot_spot_values():
    reading = openrouter.read(REAL_FILES[-1].read_text(), URL)
    got = tiered(reading.quotes)
    assert REAL_FILES[-1].name.startswith("2026-08-19")
    sonnet = "anthropic/claude-sonnet-4.5"
    assert got[(sonnet, "input", "standard", "")] == "3"
    assert got[(sonnet, "output", "standard", "")] == "15"
    assert got[(sonnet, "input_cache_write_1h", "standard", "")] == "6"
    assert got[(sonnet, "input", "context>200k", "")] == "6"
    assert got[(sonnet, "output", "context>200k", "")] == "22.5"
    assert got[(sonnet, "input_cache_write_1h", "context>200k", "")] == "12"
    pro = "deepseek/deepseek-v4-pro"
    assert {k[1:]: v for k, v in got.items() if k[0] == pro} == {
        ("input", "off_peak", OFF_PEAK): "0.66", ("output", "off_peak", OFF_PEAK): "1.98",
        ("input_cache_hit", "off_peak", OFF_PEAK): "0.022",
        ("input", "peak", PEAK): "1.32", ("output", "peak", PEAK): "3.96", ("input_cache_hit", "peak", PEAK): "0.044"}
    assert got[("google/gemini-3.7-flash", "input_cache_write", "standard", "")] == "0.0208333333333"
    assert got[("google/gemini-3.7-flash", "input", "standard", "")] == "0.375"
    assert got[("openai/gpt-3.5-turbo:batch", "input", "standard", "")] == "0.25"
    assert got[("openai/gpt-3.5-turbo:batch", "output", "standard", "")] == "0.75"
    assert got[("anthropic/claude-opus-5:batch", "input_cache_write_1h", "standard", "")] == "5"
    assert got[("qwen/qwen3-max", "input_cache_write", "context>128k", "")] == "2.4375"
    assert got[("openai/gpt-5.5", "output", "context>272k", "")] == "45"
    assert got[("x-ai/grok-4.20", "input", "standard", "")] == "1.25"
    # gemini-2.5-pro's override has no input_cache_write: the long-context tier does not invent one
    assert ("google/gemini-2.5-pro", "input_cache_write", "context>200k", "") not in got
    assert got[("google/gemini-2.5-pro", "input_cache_hit", "context>200k", "")] == "0.25"
    assert len(reading.quotes) == 1374
    assert {s.where.split()[0] for s in reading.skipped if s.reason.startswith("-1")} == {
        "openrouter/auto", "openrouter/auto-beta", "openrouter/fusion", "openrouter/pareto-code",
        "openrouter/bodybuilder"}
    # no quote names a tier the pricer does not know, nor a window on a tier without one
    assert {q.tier for q in reading.quotes} == {
        "standard", "off_peak", "peak", "context>32k", "context>128k", "context>200k", "context>256k", "context>272k"}
    assert all(bool(q.window) == (q.tier in ("off_peak", "peak")) for q in reading.quotes)


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


def events_of(changes: list[dict], tiers: bool = False) -> set[tuple]:
    return {(e["model"], e["component"], *((e["tier"],) if tiers else ()), e["kind"], e["old_price"],
             e["new_price"], e["observed_after"], e["observed_at"]) for e in changes}


def test_scraped_snapshots_record_each_change_at_its_observation(tmp_path):
    snapshots = [(f"{p.stem}T06:00:00Z", p) for p in sorted(HISTORY.glob("*.json"))]
    assert [at[:10] for at, _ in snapshots] == ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"]
    d1, d2, d3, d4 = (at for at, _ in snapshots)
    # A series gone from an otherwise whole page is held until the next night shows it gone
    # again (issue #12); that night repeats the last file, and changes nothing else.
    snapshots.append(("2026-03-05T06:00:00Z", snapshots[-1][1]))
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


def series_prices(quotes) -> dict[tuple[str, str, str], Decimal]:
    return {(q.model, q.component, q.tier): q.price for q in quotes}


def _suspicious(old: Decimal | None, new: Decimal | None) -> bool:
    """The guard's rule (issue #12) for one series of an otherwise whole page: gone, cut to 0, or
    moved more than 10x.  Such a move counts only if the next observation does not go back."""
    if old is None:
        return False
    return new is None or (old > 0 and new == 0) or (old > 0 and new > 0 and max(old, new) > 10 * min(old, new))


def expected_events(snapshots: list[tuple[str, Path]]) -> set[tuple]:
    """Every difference between consecutive parsed snapshots (per model, component and tier), read
    from the files alone; a suspicious move the very next snapshot reverts is a fault, not a change."""
    parsed = [(at, series_prices(openrouter.parse(path.read_text()))) for at, path in snapshots]
    out: set[tuple] = set()
    for key in set().union(*(prices for _, prices in parsed)):
        values = [prices.get(key) for _, prices in parsed]
        base = values[0]
        for i in range(1, len(values)):
            new = values[i]
            if new == base:
                continue
            if _suspicious(base, new) and i + 1 < len(values) and values[i + 1] == base:
                continue  # back to the old price at once: the guard drops it
            kind = ("added" if base is None else "removed" if new is None
                    else "cut" if new < base else "increase")
            text = [None if v is None else format(v.normalize(), "f") for v in (base, new)]
            out.add((*key, kind, *text, parsed[i - 1][0], parsed[i][0]))
            base = new
    return out


@pytest.mark.skipif(not REAL_FILES, reason="real captures ../shared/real-pages/openrouter absent")
def test_real_snapshots_scraped_in_date_order_give_exactly_the_real_changes(tmp_path):
    # The last real snapshot comes 110 days after the one before: a quarter of the models are gone
    # and some prices moved past the guard's threshold, so the guard holds those series until the
    # next night shows them again.  The nightly run sees that next night; here it is the same file
    # a day later, which must confirm every held series at its first observation and add nothing.
    snapshots = [(f"{p.name[:10]}T06:00:00Z", p) for p in REAL_FILES]
    snapshots.append(("2026-08-20T06:00:00Z", REAL_FILES[-1]))
    events = events_of(scrape_in_order(snapshots, tmp_path / "prices.db", cli=False), tiers=True)
    assert events == expected_events(snapshots)
    assert ("x-ai/grok-4.20", "input", "standard", "cut", "2", "1.25",
            "2026-04-30T06:00:00Z", "2026-05-01T06:00:00Z") in events
    # deepseek-v4-pro moves from one price to off-peak/peak prices with the 2026-08-19 snapshot.
    late = ("2026-05-01T06:00:00Z", "2026-08-19T06:00:00Z")
    assert ("deepseek/deepseek-v4-pro", "input", "standard", "removed", "0.435", None, *late) in events
    assert ("deepseek/deepseek-v4-pro", "input", "peak", "added", None, "1.32", *late) in events
    assert ("deepseek/deepseek-v4-pro", "input", "off_peak", "added", None, "0.66", *late) in events
    assert ("anthropic/claude-sonnet-4.5", "output", "context>200k", "added", None, "22.5", *late) in events


def test_a_time_override_missing_its_end_skips_the_model_only():
    text = ('[{"id":"a/b","pricing":{"prompt":"0.000001","completion":"0.000002",'
            '"overrides":[{"utc_start":100,"prompt":"0.000002","completion":"0.000004"}]}},'
            '{"id":"a/c","pricing":{"prompt":"0.000001","completion":"0.000002"}}]')
    reading = openrouter.read(text, URL)
    assert {q.model for q in reading.quotes} == {"a/c"}
    assert [s.where for s in reading.skipped] == ["a/b pricing.overrides"]
    assert "unreadable UTC time of day" in reading.skipped[0].reason


def test_time_overrides_keep_the_days_they_are_limited_to():
    """``utc_days`` limits an override to those UTC days: the weekday peak is charged Monday to
    Friday only, and a weekend-long override is off-peak all day (read without the days, a
    Saturday 02:00 request would be charged the peak price)."""
    weekday = ["monday", "tuesday", "wednesday", "thursday", "friday"]
    low = {"prompt": "0.00000015", "completion": "0.0000006"}
    high = {"prompt": "0.0000003", "completion": "0.0000012"}
    overrides = [{"utc_days": ["saturday", "sunday"], **low},
                 {"utc_days": weekday, "utc_start": 0, "utc_end": 100, **low},
                 {"utc_days": weekday, "utc_start": 100, "utc_end": 400, **high},
                 {"utc_days": weekday, "utc_start": 400, "utc_end": 0, **low}]
    text = json.dumps([{"id": "d/flash", "pricing": {**high, "overrides": overrides}},
                       {"id": "d/bad", "pricing": {**high, "overrides": [{"utc_days": ["someday"], **low}]}}])
    reading = openrouter.read(text, URL)
    assert {(q.component, q.tier, q.window): q.price for q in reading.quotes if q.model == "d/flash"} == {
        ("input", "off_peak", "Mon-Fri 00:00-01:00,04:00-24:00 UTC; Sat,Sun 00:00-24:00 UTC"): Decimal("0.15"),
        ("output", "off_peak", "Mon-Fri 00:00-01:00,04:00-24:00 UTC; Sat,Sun 00:00-24:00 UTC"): Decimal("0.6"),
        ("input", "peak", "Mon-Fri 01:00-04:00 UTC"): Decimal("0.3"),
        ("output", "peak", "Mon-Fri 01:00-04:00 UTC"): Decimal("1.2")}
    peak = window.parse("Mon-Fri 01:00-04:00 UTC")
    assert peak.contains(parse_utc("2026-09-18T02:00:00Z")) and not peak.contains(parse_utc("2026-09-19T02:00:00Z"))
    assert not any(q.model == "d/bad" for q in reading.quotes)
    assert [(s.where, s.reason) for s in reading.skipped] == [
        ("d/bad pricing.overrides", "unreadable UTC time of day or days (utc_days ['someday'] is not a list of day"
                                    " names): model skipped")]


def test_an_override_with_a_condition_ratecard_does_not_read_skips_the_model():
    """A new condition (here a region) says where the override applies; ignored, its price or the
    base price would be charged where the other applies.  The model is skipped, the rest kept."""
    text = json.dumps([
        {"id": "a/b", "pricing": {"prompt": "0.000001", "completion": "0.000002",
                                  "overrides": [{"region": "eu", "prompt": "0.0000011", "completion": "0.0000022"}]}},
        {"id": "a/c", "pricing": {"prompt": "0.000001", "completion": "0.000002",
                                  "overrides": [{"min_prompt_tokens": 200000, "prompt": "0.000002",
                                                 "completion": "0.000004", "audio": "0.00001"}]}}])
    reading = openrouter.read(text, URL)
    assert {(q.model, q.component, q.tier): q.price for q in reading.quotes} == {
        ("a/c", "input", "standard"): Decimal("1"), ("a/c", "output", "standard"): Decimal("2"),
        ("a/c", "input", "context>200k"): Decimal("2"), ("a/c", "output", "context>200k"): Decimal("4")}
    assert [(s.where, s.reason) for s in reading.skipped if s.where.startswith("a/b")] == [
        ("a/b pricing.overrides", "override with a condition ratecard does not read (region): model skipped")]
