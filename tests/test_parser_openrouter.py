"""OpenRouter parser: exact per-1M prices from per-token strings, dynamic prices skipped, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from parsers import openrouter, registry
from parsers.quote import ParseError, quotes_to_json

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
def test_real_snapshot_spot_values():
    late = prices(openrouter.parse((REAL / "2026-05-01-6f92690-gptel-openrouter-models-data.json").read_text()))
    assert late[("x-ai/grok-4.20", "input")] == Decimal("1.25")
    assert late[("x-ai/grok-4.20", "output")] == Decimal("2.5")
    assert late[("deepseek/deepseek-v4-pro", "input")] == Decimal("0.435")
    assert late[("deepseek/deepseek-v4-pro", "output")] == Decimal("0.87")
    early = prices(openrouter.parse((REAL / "2026-02-27-eda7195-gptel-openrouter-models-data.json").read_text()))
    assert early[("google/gemini-3.1-flash-image-preview", "input")] == Decimal("0.25")
    assert early[("google/gemini-3.1-flash-image-preview", "output")] == Decimal("1.5")
