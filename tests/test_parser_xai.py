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


def test_flattened_crawl_whose_headings_are_plain_lines_reads_the_same_rows():
    """Without heading marks the flattened table is the short lines after a ``Model Pricing``
    line, up to the first sentence of prose; a menu that names the section first (its run holds
    no row) does not stand in for it."""
    headed = prices(xai.parse(page("models-flat.md"), URL))
    flat = re.sub(r"^#{1,6}[ \t]+", "", page("models-flat.md"), flags=re.M)
    assert "\n## " not in flat and "\n[Model Pricing](#model-pricing)\n" in flat
    assert prices(xai.parse(flat, URL)) == headed
    menu = "[Model Pricing](#model-pricing)\n\n[Live Search Pricing](#live-search-pricing)\n\n"
    assert prices(xai.parse(menu + flat, URL)) == headed


def test_model_page():
    quotes = xai.parse(page("model-page.md"), URL)
    assert prices(quotes) == {
        ("grok-4-1-fast-reasoning", "input", "standard"): D("0.20"),
        ("grok-4-1-fast-reasoning", "input_cache_hit", "standard"): D("0.05"),
        ("grok-4-1-fast-reasoning", "output", "standard"): D("0.50"),
    }
    assert {q.note for q in quotes} == {"higher rates above 128K context are not shown on this page"}
    assert quotes[0].price_text == "$0.20/ 1M tokens"



def test_model_page_whose_headings_a_converter_wrote_as_plain_lines():
    """``Pricing`` / ``Input`` / ``Output`` as plain lines: the price list is the short lines after
    the ``Pricing`` line an ``Input`` line follows (the glance's ``Pricing`` line is followed by a
    price, not read); the first sentence of prose ends it, so regional prices further down (here
    another cluster's, higher) are never read as the page's."""
    flat = re.sub(r"^#{1,6}[ \t]+", "", page("model-page.md"), flags=re.M)
    assert "\n#" not in flat and "\nInput\n" in flat
    assert prices(xai.parse(flat, URL)) == prices(xai.parse(page("model-page.md"), URL))
    regional = flat.replace("\nDetails\n", "\neu-west-1\n\nPricing\n\nInput\n\nTokens\n\n$0.30/ 1M tokens\n\n"
                            "Output\n\nTokens\n\n$0.75/ 1M tokens\n\nDetails\n")
    assert "$0.30/ 1M tokens" in regional
    assert prices(xai.parse(regional, URL)) == prices(xai.parse(page("model-page.md"), URL))
    # without any prose between them the regional block runs on into the list: two prices for one
    # model, and neither is recorded
    run_on = regional.replace("You are charged for each token used when making calls to our API.\n", "").replace(
        "This model is available on multiple clusters, you can find full regional based pricing below.\n", "")
    with pytest.raises(ParseError, match="prices this model differently in two places"):
        xai.parse(run_on, URL)

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


def test_cards_page_with_the_id_printed_on_the_card():
    """The table moved to another page; the card shows the id line and per-1M prices."""
    result = xai.read(page("models-cards.md"), URL)
    assert prices(result.quotes) == {("grok-4.7", "input", "standard"): D("1.50"),
                                     ("grok-4.7", "output", "standard"): D("5.00")}
    assert result.quotes[0].price_text == "Input$1.50 / 1M tokens"
    assert [(s.where, s.text, s.reason) for s in result.skipped] == [
        ("card 'Imagine API' / Image · 1K / 2K", "Image · 1K / 2KStarting at $0.02 / image",
         "not a price per million tokens")]


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
     r"no xAI price list found.*model grok-9: the page prices this model differently in two places; "
     r"none is recorded: 'output \(standard\) 60000 and 70000'"),
    (embedded('[{"languageModels":[{' + LM + ',"batchDiscountPercent":100}]}]'), "not a percentage"),
    ('{"models":[]}', "expected an API response"),
    ('{"error":"Incorrect API key provided"}', "expected an API response"),
    ("| Model | Context | Pricing |\n| --- | --- | --- |\n| Language models | | Per million tokens |\n"
     "| grok-9 | 256,000 | $2.00 per 1M input, $6.00 per 1M output |\n",
     r"row 'grok-9': cannot read this price cell: '\$2.00 per 1M input"),
    ("| Model | Pricing |\n| --- | --- |\n| Image generation models | Per image output |\n"
     "| grok-imagine-image | $0.02 |\n", r"row 'grok-imagine-image': priced per image output, not per token"),
    ("## Pricing\n\n#### Input\n\nTokens\n\n$0.20/ 1M tokens\n\n## Details\n\nModel name\n\n"
     "grok-9\n", "no input and output token price"),
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
    "2026-05-08-618e39f-quill-router-docs-models-jina.md": (12, {
        ("grok-4.3", "input", "standard"): D("1.25"),
        ("grok-4.3", "output", "standard"): D("2.50"),
        ("grok-4.20-0309-reasoning", "input", "standard"): D("1.25"),
        ("grok-4.20-0309-non-reasoning", "output", "standard"): D("2.50"),
        ("grok-4.20-multi-agent-0309", "output", "standard"): D("2.50"),
        ("grok-4-1-fast-reasoning", "input", "standard"): D("0.20"),
        ("grok-4-1-fast-non-reasoning", "output", "standard"): D("0.50")}),
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


JINA_2026 = "2026-05-08-618e39f-quill-router-docs-models-jina.md"


@pytest.mark.skipif(not REAL.is_dir(), reason="real captures ../shared/real-pages/xai absent")
def test_real_2026_jina_page_every_price_and_nothing_else():
    """Read off the page by hand: the Chat API table (no cached column, so no cached price) and the
    Grok 4.3 card, which agrees with its row; batch, image, voice, tools and storage are skipped."""
    result = xai.read((REAL / JINA_2026).read_text(encoding="utf-8"), URL)
    expected = {}
    for model, (inp, out) in {"grok-4.3": ("1.25", "2.50"), "grok-4.20-multi-agent-0309": ("1.25", "2.50"),
                              "grok-4.20-0309-reasoning": ("1.25", "2.50"),
                              "grok-4.20-0309-non-reasoning": ("1.25", "2.50"),
                              "grok-4-1-fast-reasoning": ("0.20", "0.50"),
                              "grok-4-1-fast-non-reasoning": ("0.20", "0.50")}.items():
        expected[(model, "input", "standard")] = D(inp)
        expected[(model, "output", "standard")] = D(out)
    assert prices(result.quotes) == expected
    reasons = {(s.where, s.reason) for s in result.skipped}
    assert ("table under 'Batch API Pricing' row 'Token pricing'",
            "a discount stated as a percentage without prices; no price is computed from it") in reasons
    assert ("table under 'Imagine API' row 'grok-imagine-image'", "not a price per million tokens") in reasons
    assert ("table under 'Voice API' row 'Realtime'", "not a price per million tokens") in reasons
    assert ("card 'Voice API' / Agent", "not a price per million tokens") in reasons
    assert not [s for s in result.skipped if "derived" in s.reason]  # grok-4.3 is in the table


def test_2026_jina_table_and_cards():
    result = xai.read(page("models-2026-jina.md"), URL)
    assert prices(result.quotes) == {
        ("grok-4.5", "input", "standard"): D("2.00"),
        ("grok-4.5", "output", "standard"): D("6.00"),
        ("grok-4.3", "input", "standard"): D("1.25"),
        ("grok-4.3", "output", "standard"): D("2.50"),
        ("grok-4-1-fast-reasoning", "input", "standard"): D("0.20"),
        ("grok-4-1-fast-reasoning", "output", "standard"): D("0.50"),
        ("grok-4-1-fast-non-reasoning", "input", "standard"): D("0.20"),
        ("grok-4-1-fast-non-reasoning", "output", "standard"): D("0.50"),
        # its output cell says "Contact sales": the input price is still certain
        ("grok-code-fast-2", "input", "standard"): D("0.30"),
        # a card only: the id is derived from "Grok Nano 1" and recorded with a warning
        ("grok-nano-1", "input", "standard"): D("0.05"),
        ("grok-nano-1", "output", "standard"): D("0.10"),
    }
    assert {q.component for q in result.quotes} == {"input", "output"}  # no cached column, no cached price
    assert [(s.where, s.text, s.reason) for s in result.skipped] == [
        ("table under 'Chat API' row 'grok-code-fast-2' / output", "Contact sales",
         "cell is not one price per million tokens"),
        ("table under 'Chat API' row 'Grok Legacy'", "$5.00; $15.00", "price without a model id beside it"),
        ("card 'Grok Nano 1'", "Grok Nano 1", "model id 'grok-nano-1' derived by rule from display name 'Grok Nano 1'"),
        ("card 'Voice API' / Agent", "Agent$3.00 / hour", "not a price per million tokens"),
        ("card 'Voice API' / TTS", "TTS$4.20 / 1M characters", "not a price per million tokens"),
        ("card 'Imagine API' / Image", "Image$0.02 / image", "not a price per million tokens"),
        ("card 'Imagine API' / Video", "Video$0.05 / second", "not a price per million tokens"),
        ("table under 'Imagine API' row 'grok-imagine-image'", "grok-imagine-image | $0.02 / image",
         "not a price per million tokens"),
        ("table under 'Imagine API' row 'grok-imagine-video'", "grok-imagine-video | $0.05 / sec",
         "not a price per million tokens"),
        ("table under 'Voice API' row 'Realtime'", "Realtime | $0.05 / min ($3.00 / hr)",
         "not a price per million tokens"),
        ("table under 'Voice API' row 'Text to Speech'", "Text to Speech | $4.20 / 1M characters",
         "not a price per million tokens"),
        ("table under 'Batch API Pricing' row 'Token pricing'", "Token pricing | Standard rates | 20%-50% off standard rates",
         "a discount stated as a percentage without prices; no price is computed from it"),
        ("table under 'Files and Collections Pricing' row 'File storage'", "File storage | $0.025 / GiB / day",
         "not a price per million tokens"),
    ]


def test_io_table_without_a_stated_unit_is_not_read():
    text = ("### Chat API\n\n| Model | Input | Output |\n| --- | --- | --- |\n| grok-9 | $2.00 | $6.00 |\n\n"
            "### Other\n\n| Model | Pricing |\n| --- | --- |\n| Language models | Per million tokens |\n"
            "| grok-8 | $1.00$3.00 |\n")
    result = xai.read(text, URL)
    assert prices(result.quotes) == {("grok-8", "input", "standard"): D("1.00"),
                                     ("grok-8", "output", "standard"): D("3.00")}
    assert [(s.where, s.reason) for s in result.skipped] == [
        ("table under 'Chat API'", "table does not say its prices are per million tokens; not read")]


def test_io_table_with_cached_column_and_units_in_cells():
    text = ("| Model | Input | Cached input | Output |\n|---|---|---|---|\n"
            "| `grok-9` | $2.00 / 1M tokens | $0.50 / 1M tokens | $6.00 / 1M tokens |\n"
            "| grok-9-mini | $0.30 / 1M tokens | - | $0.50 / 1M tokens |\n")
    assert prices(xai.parse(text, URL)) == {
        ("grok-9", "input", "standard"): D("2.00"), ("grok-9", "input_cache_hit", "standard"): D("0.50"),
        ("grok-9", "output", "standard"): D("6.00"),
        ("grok-9-mini", "input", "standard"): D("0.30"), ("grok-9-mini", "output", "standard"): D("0.50")}


def test_card_that_disagrees_with_its_table_row_records_neither():
    text = ("### Grok 9\n\nInput$2.50 / 1M tokens\n\nOutput$6.00 / 1M tokens\n\n### Chat API\n\n"
            "| Model | Context | Input | Output |\n| --- | --- | --- | --- |\n| grok-9 | 1M | $2.00 | $6.00 |\n"
            "| grok-8 | 1M | $1.00 | $3.00 |\n\nPrices shown per million tokens\n")
    result = xai.read(text, URL)
    assert prices(result.quotes) == {("grok-8", "input", "standard"): D("1.00"),
                                     ("grok-8", "output", "standard"): D("3.00")}
    assert [(s.where, s.text, s.reason) for s in result.skipped] == [
        ("model grok-9", "input (standard) $2.00 and Input$2.50 / 1M tokens",
         "the page prices this model differently in two places; none is recorded")]


def test_firecrawl_grok_4_20_table_with_group_rows_and_links():
    result = xai.read(page("models-2026-firecrawl.md"), URL)
    assert prices(result.quotes) == {
        ("grok-4.20-0309-reasoning", "input", "standard"): D("2.00"),
        ("grok-4.20-0309-reasoning", "output", "standard"): D("6.00"),
        ("grok-4.20-multi-agent-0309", "input", "standard"): D("2.00"),
        ("grok-4.20-multi-agent-0309", "output", "standard"): D("6.00"),
        ("grok-4-1-fast-reasoning", "input", "standard"): D("0.20"),
        ("grok-4-1-fast-reasoning", "output", "standard"): D("0.50"),
    }
    assert [(s.where, s.reason) for s in result.skipped] == [
        ("table under 'Model Pricing' row 'grok-imagine-image-pro'", "priced per image output, not per token"),
        ("table under 'Model Pricing' row 'grok-imagine-video'", "priced per second, not per token"),
        ("table under 'Model Pricing' row 'Voice Agent API'",
         "in group 'Voice & Audio', which names no per-token unit"),
        ("table under 'Model Pricing' row 'Text to Speech'", "in group 'Voice & Audio', which names no per-token unit"),
        ("table under 'Batch API Pricing' row 'Token pricing'",
         "a discount stated as a percentage without prices; no price is computed from it"),
        ("table under 'Voice API Pricing' row 'Pricing'", "not a price per million tokens"),
    ]
    assert not [q for q in result.quotes if q.tier != "standard"]  # "50% off" is never turned into prices


def test_view_as_markdown_export_reports_image_rows():
    result = xai.read(page("models.md"), URL)
    image = [(s.where, s.text, s.reason) for s in result.skipped if "grok-imagine" in s.where]
    assert image == [
        ("table under 'Models and Pricing' row 'grok-imagine-image'", "$0.02/image", "not a price per million tokens"),
        ("table under 'Models and Pricing' row 'grok-imagine-video'", "$0.050/sec", "not a price per million tokens"),
    ]


def test_rest_reference_fenced_examples_skip_placeholder_ids():
    result = xai.read(page("api-reference-2026.md"))
    assert prices(result.quotes) == {
        ("grok-5-reasoning", "input", "standard"): D("3"),
        ("grok-5-reasoning", "input_cache_hit", "standard"): D("0.5"),
        ("grok-5-reasoning", "output", "standard"): D("12"),
        ("grok-5-reasoning", "input", "context>128k"): D("6"),
        ("grok-5-reasoning", "output", "context>128k"): D("24"),
    }
    assert [(s.where, s.text, s.reason) for s in result.skipped] == [
        ("API reference example", "latest", "placeholder id, not a model id")]


def test_registry_read_carries_the_skipped_rows():
    reading = registry.read("xai", page("models-2026-firecrawl.md"), URL)
    assert len(reading.quotes) == 6 and len(reading.skipped) == 6


def test_rendered_html_table_and_card_with_label_and_price_in_two_elements():
    result = xai.read(page("models-2026-rendered.html"), URL)
    assert prices(result.quotes) == {
        ("grok-4.3", "input", "standard"): D("1.25"), ("grok-4.3", "output", "standard"): D("2.50"),
        ("grok-4-1-fast-reasoning", "input", "standard"): D("0.20"),
        ("grok-4-1-fast-reasoning", "output", "standard"): D("0.50")}
    assert [(s.where, s.reason) for s in result.skipped] == [
        ("table under 'Batch API Pricing' row 'Token pricing'",
         "a discount stated as a percentage without prices; no price is computed from it")]


def test_html_card_alone_is_read_and_agrees_with_nothing_else():
    card = ('<html><body><main><h3>Grok 4.3</h3><dl><dt>Input</dt><dd>$1.25 / 1M tokens</dd>'
            '<dt>Output</dt><dd>$2.50 / 1M tokens</dd></dl>'
            '<a href="/developers/models/grok-4.3">View model</a></main></body></html>')
    result = xai.read(card, URL)
    assert prices(result.quotes) == {("grok-4.3", "input", "standard"): D("1.25"),
                                     ("grok-4.3", "output", "standard"): D("2.50")}
    assert result.quotes[0].price_text == "Input$1.25 / 1M tokens"
    assert result.skipped == []  # the id is linked on the page: not a guess


@pytest.mark.skipif(not REAL.is_dir(), reason="real captures ../shared/real-pages/xai absent")
def test_real_embedded_data_reports_image_and_video_models():
    name = "2026-07-23-f6069eb-kmodels-fixture-docs-models-embedded-json-trimmed.html"
    result = xai.read((REAL / name).read_text(encoding="utf-8"), URL)
    assert [(s.where, s.reason) for s in result.skipped] == [
        ("embedded imageGenerationModels grok-imagine-image-quality",
         "priced per image or per second of video, not per token"),
        ("embedded videoGenerationModels grok-imagine-video", "priced per image or per second of video, not per token"),
        ("embedded videoGenerationModels grok-imagine-video-1.5",
         "priced per image or per second of video, not per token"),
    ]
    assert not {q.model for q in result.quotes} & {"grok-imagine-image-quality", "grok-imagine-video"}


def test_api_models_list_reports_the_image_model():
    data = {"data": [{"id": "grok-9", "prompt_text_token_price": 20000, "completion_text_token_price": 60000},
                     {"id": "grok-imagine-image", "image_price": 200000000}], "object": "list"}
    result = xai.read(json.dumps(data))
    assert prices(result.quotes) == {("grok-9", "input", "standard"): D("2"), ("grok-9", "output", "standard"): D("6")}
    assert [(s.where, s.text) for s in result.skipped] == [("API model grok-imagine-image", "image_price 200000000")]


def test_io_table_without_outer_pipes_and_with_notes_around_ids():
    text = ("Models\n\nModel | Context | Input | Output\n---|---|---|---\n"
            "**grok-4.3** (new) | 1M | $1.25 | $2.50\n"
            "`grok-4.20-0309-reasoning`* | 2M | $1.25 | $2.50\n"
            "grok-3 / grok-3-latest | 131K | $3.00 | $15.00\n"
            "[grok-4-1-fast-reasoning](https://docs.x.ai/developers/models/grok-4-1-fast-reasoning) Beta | 2M | "
            "$0.20<br>per 1M tokens | $0.50\n\n*Prices shown per million tokens.*\n")
    result = xai.read(text, URL)
    assert prices(result.quotes) == {
        ("grok-4.3", "input", "standard"): D("1.25"), ("grok-4.3", "output", "standard"): D("2.50"),
        ("grok-4.20-0309-reasoning", "input", "standard"): D("1.25"),
        ("grok-4.20-0309-reasoning", "output", "standard"): D("2.50"),
        ("grok-4-1-fast-reasoning", "input", "standard"): D("0.20"),
        ("grok-4-1-fast-reasoning", "output", "standard"): D("0.50")}
    # two ids in one cell: the prices are reported, never split or given to one of them
    assert [(s.where, s.text, s.reason) for s in result.skipped] == [
        ("table under '' row 'grok-3 / grok-3-latest'", "$3.00; $15.00", "price without a model id beside it")]


def test_2026_table_with_a_cached_input_column_and_the_unit_above_it():
    result = xai.read(page("models-2026-cached-column.md"), URL)
    expected = {("grok-build-0.1", "input", "standard"): D("1.00"),
                ("grok-build-0.1", "input_cache_hit", "standard"): D("0.20"),
                ("grok-build-0.1", "output", "standard"): D("2.00")}
    for model in ("grok-4.3", "grok-4.20-multi-agent-0309", "grok-4.20-0309-reasoning", "grok-4.20-0309-non-reasoning"):
        expected.update({(model, "input", "standard"): D("1.25"), (model, "input_cache_hit", "standard"): D("0.20"),
                         (model, "output", "standard"): D("2.50")})
    assert prices(result.quotes) == expected
    assert [(s.where, s.reason) for s in result.skipped] == [
        ("table under 'Imagine API' row 'grok-imagine-image'", "not a price per million tokens")]


def test_a_context_size_near_a_table_is_not_its_unit():
    text = ("### Grok 9\n\nContext 1M tokens\n\n| Model | Context | Input | Output |\n| --- | --- | --- | --- |\n"
            "| grok-9 | 1M | $2.00 | $6.00 |\n")
    with pytest.raises(ParseError, match="table does not say its prices are per million tokens"):
        xai.parse(text, URL)


@pytest.mark.skipif(not REAL.is_dir(), reason="real captures ../shared/real-pages/xai absent")
@pytest.mark.parametrize("name, column", [
    (JINA_2026, {"input": 3, "output": 4}),
    # "$0.20$0.50" glued in the last cell: input first, then output
    ("2025-12-31-294d2e0-engineering-tools-docs-models.md", {"input": 6, "output": 6}),
])
def test_real_table_pages_attribute_each_price_to_its_own_row(name, column):
    """Independent of the parser: each quote's price is in its own model's row, in its column."""
    text = (REAL / name).read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 2 and cells[1].startswith("grok-"):
            rows.setdefault(cells[1], cells)
    quotes = xai.parse(text, URL)
    assert {q.model for q in quotes} == {m for m in rows if "image" not in m and "video" not in m}
    for q in quotes:
        cell = rows[q.model][column[q.component]]
        if column["input"] == column["output"]:
            cell = cell.split("$")[1 if q.component == "input" else 2]
            assert "$" + cell == q.price_text, (q.model, q.component)
        else:
            assert cell == q.price_text, (q.model, q.component)


def test_card_heading_with_a_glued_badge_derives_the_id_without_it():
    text = ("### Grok 4.3New\n\nInput$1.25 / 1M tokens\n\nOutput$2.50 / 1M tokens\n\n"
            "[View model](https://docs.x.ai/developers/models/grok-4.3)\n")
    result = xai.read(text, URL)
    assert prices(result.quotes) == {("grok-4.3", "input", "standard"): D("1.25"),
                                     ("grok-4.3", "output", "standard"): D("2.50")}
    assert result.skipped == []


def test_two_cards_under_one_heading_are_not_merged():
    """A converter dropped the second card's heading: its prices must not go to the first model."""
    text = ("### Grok 4.3\n\nInput$1.25 / 1M tokens\n\nOutput$2.50 / 1M tokens\n\nGrok Nano\n\n"
            "Input$0.05 / 1M tokens\n\nOutput$0.10 / 1M tokens\n")
    with pytest.raises(ParseError, match=r"card 'Grok 4.3': the same price twice under one heading"):
        xai.parse(text, URL)


def test_one_unreadable_model_record_does_not_fail_the_others():
    page_text = embedded('[{"languageModels":[{' + LM + '},{"name":"grok-8","promptTextTokenPrice":"20000"}]}]')
    result = xai.read(page_text, URL)
    assert prices(result.quotes) == {("grok-9", "input", "standard"): D("2"),
                                     ("grok-9", "input_cache_hit", "standard"): D("0.3"),
                                     ("grok-9", "output", "standard"): D("6")}
    assert [(s.where, s.reason) for s in result.skipped] == [("embedded languageModels grok-8", "grok-8: no output price")]


def test_the_2026_pricing_page_with_short_and_long_context_column_groups() -> None:
    """docs.x.ai/docs/pricing through Jina (2026-09): ``Short context`` / ``Long context`` over
    ``Input | Cached | Output`` twice, the second header row below the separator, and each model
    cell saying where its long context starts (``grok-4.7 Long context ≥ 200k tokens``).  A row
    without that note has no threshold: its long prices are skipped, never given a guessed one.
    The Cursor-only fast table has no model column and is not read."""
    reading = xai.read((FIXTURES / "pricing-2026-09-jina.md").read_text(encoding="utf-8"))
    got = {(q.model, q.component, q.tier): q.price for q in reading.quotes}
    expected = {}
    for model, short, long in (("grok-4.7", ("2.00", "0.50", "6.00"), ("4.00", "1.00", "12.00")),
                               ("grok-4.3", ("1.25", "0.20", "2.50"), ("2.50", "0.40", "5.00")),
                               ("grok-code-fast-2", ("0.20", "0.02", "1.50"), None),
                               ("grok-4.1-mini", ("0.30", "0.05", "0.50"), None)):
        for component, price in zip(("input", "input_cache_hit", "output"), short):
            expected[(model, component, "standard")] = Decimal(price)
        for component, price in zip(("input", "input_cache_hit", "output"), long or ()):
            expected[(model, component, "context>200k")] = Decimal(price)
    assert got == expected
    assert [(s.where, s.text) for s in reading.skipped
            if s.reason == "long-context price without the prompt size it starts at"] == [
        ("table under 'Text API' row 'grok-4.1-mini' / long context input", "$0.60"),
        ("table under 'Text API' row 'grok-4.1-mini' / long context cached", "$0.10"),
        ("table under 'Text API' row 'grok-4.1-mini' / long context output", "$1.00")]
