"""xAI parser: every form of the models page, exact per-1M prices, tiers, and clear failures."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from parsers import registry, xai
from parsers.quote import ParseError

FIXTURES = Path(__file__).parent / "fixtures" / "xai"
REAL = Path(__file__).resolve().parents[2] / "shared" / "real-pages" / "xai"
URL = "https://docs.x.ai/developers/models"
D = Decimal


def page(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def prices(quotes) -> dict[tuple[str, str, str], Decimal]:
    """(model, component, tier) -> price; asserts no series is quoted twice."""
    out = {(q.model, q.component, q.tier): q.price for q in quotes}
    assert len(out) == len(quotes)
    return out


def test_embedded_json_gives_every_tier_exactly():
    assert prices(xai.parse(page("models-page.html"), URL)) == {
        ("grok-4.3", "input", "standard"): D("1.25"),
        ("grok-4.3", "input_cache_hit", "standard"): D("0.2"),
        ("grok-4.3", "output", "standard"): D("2.5"),
        ("grok-4.3", "input", "context>200k"): D("2.5"),
        ("grok-4.3", "input_cache_hit", "context>200k"): D("0.4"),
        ("grok-4.3", "output", "context>200k"): D("5"),
        ("grok-4.3", "input", "batch"): D("0.625"),
        ("grok-4.3", "input_cache_hit", "batch"): D("0.1"),
        ("grok-4.3", "output", "batch"): D("1.25"),
        ("grok-4.3", "input", "batch context>200k"): D("1.25"),
        ("grok-4.3", "input_cache_hit", "batch context>200k"): D("0.2"),
        ("grok-4.3", "output", "batch context>200k"): D("2.5"),
        ("grok-4-1-fast-reasoning", "input", "standard"): D("0.2"),
        ("grok-4-1-fast-reasoning", "input_cache_hit", "standard"): D("0.05"),
        ("grok-4-1-fast-reasoning", "output", "standard"): D("0.5"),
        ("grok-4-1-fast-reasoning", "input", "context>128k"): D("0.4"),
        ("grok-4-1-fast-reasoning", "input_cache_hit", "context>128k"): D("0.1"),
        ("grok-4-1-fast-reasoning", "output", "context>128k"): D("1"),
        # 25% batch discount; no long-context prices ("0") and so no context tier.
        ("grok-code-fast-1", "input", "standard"): D("0.2"),
        ("grok-code-fast-1", "input_cache_hit", "standard"): D("0.02"),
        ("grok-code-fast-1", "output", "standard"): D("1.5"),
        ("grok-code-fast-1", "input", "batch"): D("0.15"),
        ("grok-code-fast-1", "input_cache_hit", "batch"): D("0.015"),
        ("grok-code-fast-1", "output", "batch"): D("1.125"),
        # cachedPromptTokenPrice "0": no cached price, not a free one.
        ("grok-3-mini", "input", "standard"): D("0.3"),
        ("grok-3-mini", "output", "standard"): D("0.5"),
    }


def test_embedded_quote_keeps_the_data_text_and_says_what_the_tier_means():
    quotes = xai.parse(page("models-page.html"), URL)
    long = next(q for q in quotes if q.key == ("xai", "grok-4.3", "output", "batch context>200k", "USD"))
    assert long.to_dict() == {
        "provider": "xai", "model": "grok-4.3", "component": "output", "currency": "USD",
        "price": "2.5", "price_text": "50000", "tier": "batch context>200k", "window": "",
        "list_price": None, "list_price_text": None, "promo_until": None, "effective_from": None,
        "source_url": URL,
        "note": "prompts of 200000 tokens or more; batch API, 50% off; aliases: grok-4.3-latest, grok-latest",
    }


def test_visible_table_of_the_same_page_agrees_with_its_data():
    without_data = re.sub(r"<script>globalThis\.__XAI_PUBLIC_MODELS__=.*?</script>", "",
                          page("models-page.html"))
    table = prices(xai.parse(without_data, URL))
    data = prices(xai.parse(page("models-page.html"), URL))
    assert table == {key: data[key] for key in table}
    assert sorted(table) == sorted(
        (m, c, "standard") for m in ("grok-4.3", "grok-4-1-fast-reasoning", "grok-code-fast-1", "grok-3-mini")
        for c in ("input", "output"))


def test_view_as_markdown_in_cached_out_cells():
    quotes = xai.parse(page("models.md"), URL)
    assert prices(quotes) == {
        ("grok-4.3", "input", "standard"): D("1.25"),
        ("grok-4.3", "input_cache_hit", "standard"): D("0.20"),
        ("grok-4.3", "output", "standard"): D("2.50"),
        ("grok-4-1-fast-reasoning", "input", "standard"): D("0.20"),
        ("grok-4-1-fast-reasoning", "input_cache_hit", "standard"): D("0.05"),
        ("grok-4-1-fast-reasoning", "output", "standard"): D("0.50"),
        ("grok-code-fast-1", "input", "standard"): D("0.20"),
        ("grok-code-fast-1", "input_cache_hit", "standard"): D("0.02"),
        ("grok-code-fast-1", "output", "standard"): D("1.50"),
    }
    assert [q.price_text for q in quotes[:3]] == ["$1.25", "$0.20", "$2.50"]


def test_crawled_table_with_glued_prices_and_group_rows():
    assert prices(xai.parse(page("models-crawl.md"), URL)) == {
        ("grok-4.3", "input", "standard"): D("1.25"),
        ("grok-4.3", "output", "standard"): D("2.50"),
        ("grok-4-1-fast-reasoning", "input", "standard"): D("0.20"),
        ("grok-4-1-fast-reasoning", "output", "standard"): D("0.50"),
        ("grok-code-fast-1", "input", "standard"): D("0.20"),
        ("grok-code-fast-1", "output", "standard"): D("1.50"),
        ("grok-2-vision-1212", "input", "standard"): D("2.00"),
        ("grok-2-vision-1212", "output", "standard"): D("10.00"),
    }


def test_flattened_crawl_one_cell_per_line():
    # grok-2-vision-1212 is listed for two regions at the same price: one quote each.
    assert prices(xai.parse(page("models-flat.md"), URL)) == {
        ("grok-4-0709", "input", "standard"): D("3.00"),
        ("grok-4-0709", "output", "standard"): D("15.00"),
        ("grok-3-mini", "input", "standard"): D("0.30"),
        ("grok-3-mini", "output", "standard"): D("0.50"),
        ("grok-2-vision-1212", "input", "standard"): D("2.00"),
        ("grok-2-vision-1212", "output", "standard"): D("10.00"),
    }


def test_model_page():
    quotes = xai.parse(page("model-page.md"), URL)
    assert prices(quotes) == {
        ("grok-4-1-fast-reasoning", "input", "standard"): D("0.20"),
        ("grok-4-1-fast-reasoning", "input_cache_hit", "standard"): D("0.05"),
        ("grok-4-1-fast-reasoning", "output", "standard"): D("0.50"),
    }
    assert {q.note for q in quotes} == {"higher rates above 128K context are not shown on this page"}
    assert quotes[0].price_text == "$0.20/ 1M tokens"


def test_language_models_api_response():
    assert prices(xai.parse(page("language-models.json"))) == {
        ("grok-4.3", "input", "standard"): D("1.25"),
        ("grok-4.3", "input_cache_hit", "standard"): D("0.2"),
        ("grok-4.3", "output", "standard"): D("2.5"),
        # cached long-context price 0: the standard cached price applies, no context quote.
        ("grok-4.3", "input", "context>200k"): D("2.5"),
        ("grok-4.3", "output", "context>200k"): D("5"),
        ("grok-3-mini", "input", "standard"): D("0.3"),
        ("grok-3-mini", "input_cache_hit", "standard"): D("0.075"),
        ("grok-3-mini", "output", "standard"): D("0.5"),
    }


def test_api_reference_example_skips_image_models_and_says_it_is_an_example():
    quotes = xai.parse(page("api-reference.md"))
    assert prices(quotes) == {
        ("grok-3", "input", "standard"): D("3"),
        ("grok-3", "input_cache_hit", "standard"): D("0.75"),
        ("grok-3", "output", "standard"): D("15"),
        ("grok-2-vision-1212", "input", "standard"): D("2"),
        ("grok-2-vision-1212", "output", "standard"): D("10"),
    }
    assert quotes[0].note == ("example response in xAI's API reference; "
                              "aliases: grok-3-latest, grok-3-beta")


def test_page_whose_table_moved_away_raises():
    with pytest.raises(ParseError, match="no xAI price list found"):
        xai.parse(page("models-cards.md"), URL)


EMBED = '<html><body><script>globalThis.__XAI_PUBLIC_MODELS__={};</script></body></html>'
LM = ('"name":"grok-9","promptTextTokenPrice":"20000","completionTextTokenPrice":"60000",'
      '"cachedPromptTokenPrice":"3000"')


def embedded(clusters: str) -> str:
    return EMBED.replace("{}", '{"clusterConfigs":' + clusters + "}")


@pytest.mark.parametrize("text, message", [
    (EMBED.replace("{}", "{broken"), "is not JSON"),
    (embedded("[]"), "has no clusterConfigs"),
    (embedded('[{"clusterName":"us-east-1","imageGenerationModels":[]}]'), "lists no language model prices"),
    (embedded('[{"clusterName":"us-east-1","languageModels":{"grok-9":{}}}]'), "languageModels list"),
    (embedded('[{"languageModels":[]}]'), "lists no language model prices"),
    (embedded('[{"languageModels":[{"name":"grok-9","promptTextTokenPrice":"20000"}]}]'),
     "grok-9: no output price"),
    (embedded('[{"languageModels":[{"name":"grok-9","promptTextTokenPrice":"2.0e4x",'
              '"completionTextTokenPrice":"1"}]}]'), "promptTextTokenPrice is not a number"),
    (embedded('[{"languageModels":[{' + LM + '}]},'
              '{"languageModels":[{' + LM.replace('"60000"', '"70000"') + '}]}]'),
     r"grok-9 output \(standard\) is priced both 60000 and 70000"),
    (embedded('[{"languageModels":[{' + LM + ',"batchDiscountPercent":100}]}]'), "not a percentage"),
    ('{"models":[]}', "expected an API response"),
    ('{"error":"Incorrect API key provided"}', "expected an API response"),
    ("| Model | Context | Pricing |\n| --- | --- | --- |\n| Language models | | Per million tokens |\n"
     "| grok-9 | 256,000 | $2.00 per 1M input, $6.00 per 1M output |\n", "grok-9: cannot read price cell"),
    ("| Model | Pricing |\n| --- | --- |\n| Image generation models | Per image output |\n"
     "| grok-imagine-image | $0.02 |\n", "holds no per-token prices"),
    ("## Pricing\n\n#### Input\n\nTokens\n\n$0.20/ 1M tokens\n\n## Details\n\nModel name\n\n"
     "grok-9\n", "no input and output token price"),
    ("## Model Pricing\n\nLanguage models\n\nPer million tokens\n\ngrok-9\n\n$2.00$6.00\n\n"
     "Grok Nine Mini\n\n$0.20$0.60\n", "has no model id beside it"),
    ("<html><body><h1>Just a moment...</h1><p>Checking your browser</p></body></html>",
     "no xAI price list found"),
])
def test_unusable_pages_raise(text, message):
    with pytest.raises(ParseError, match=message):
        xai.parse(text, URL)


def test_same_model_in_two_clusters_is_quoted_once():
    quotes = xai.parse(embedded('[{"languageModels":[{' + LM + '}]},{"languageModels":[{' + LM + '}]}]'))
    assert prices(quotes) == {("grok-9", "input", "standard"): D("2"),
                              ("grok-9", "input_cache_hit", "standard"): D("0.3"),
                              ("grok-9", "output", "standard"): D("6")}


def test_sources_and_cli():
    assert registry.parser_module("xai") is xai
    assert [s.url for s in xai.SOURCES] == ["https://docs.x.ai/developers/models"]
    out = subprocess.run(
        [sys.executable, "-m", "scraper", "parse", "--provider", "xai",
         str(FIXTURES / "models-page.html"), "--json"],
        capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[1]).stdout
    rows = json.loads(out)
    assert len(rows) == 26
    assert {(r["model"], r["tier"], r["component"], r["price"]) for r in rows} >= {
        ("grok-4.3", "context>200k", "output", "5"), ("grok-code-fast-1", "batch", "output", "1.125")}


REAL_EXPECTED = {
    # capture -> spot values (model, component, tier) -> USD per 1M
    "2025-11-03-b9d2de6-Kull-docs-models.md": (14, {
        ("grok-code-fast-1", "output", "standard"): D("1.50"),
        ("grok-4-0709", "input", "standard"): D("3.00"),
        ("grok-2-vision-1212", "output", "standard"): D("10.00")}),
    "2025-11-03-b9d2de6-Kull-docs-models-grok-4-fast-reasoning.md": (3, {
        ("grok-4-fast-reasoning", "input_cache_hit", "standard"): D("0.05")}),
    "2025-11-03-b9d2de6-Kull-docs-api-reference.md": (8, {
        ("grok-3", "input", "standard"): D("3"),
        ("grok-3-mini", "input_cache_hit", "standard"): D("0.075"),
        ("grok-2-vision-1212", "output", "standard"): D("10")}),
    "2025-12-31-294d2e0-engineering-tools-docs-models.md": (18, {
        ("grok-4-1-fast-reasoning", "output", "standard"): D("0.50"),
        ("grok-3", "output", "standard"): D("15.00")}),
    "2025-12-31-294d2e0-engineering-tools-docs-api-reference.md": (8, {
        ("grok-3", "output", "standard"): D("15")}),
    "2026-07-22-58b738c-kmodels-fixture-language-models-trimmed.json": (6, {
        ("grok-4.5", "output", "context>200k"): D("12")}),
    "2026-07-23-f6069eb-kmodels-fixture-docs-models-embedded-json-trimmed.html": (18, {
        ("grok-4.20-multi-agent-0309", "input", "batch"): D("1"),
        ("grok-4.5", "input_cache_hit", "standard"): D("0.3")}),
}


@pytest.mark.skipif(not REAL.is_dir(), reason="real captures ../shared/real-pages/xai absent")
@pytest.mark.parametrize("name", sorted(REAL_EXPECTED))
def test_real_captures(name):
    count, spots = REAL_EXPECTED[name]
    found = prices(xai.parse((REAL / name).read_text(encoding="utf-8")))
    assert len(found) == count
    assert {key: found[key] for key in spots} == spots


@pytest.mark.skipif(not REAL.is_dir(), reason="real captures ../shared/real-pages/xai absent")
def test_every_real_capture_is_covered():
    assert sorted(p.name for p in REAL.iterdir()) == sorted(REAL_EXPECTED)
