"""Anthropic's docs pricing page: HTML, Markdown export and crawler Markdown give exact quotes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from parsers import anthropic, registry
from parsers.quote import ParseError, Quote, quotes_to_json

FIXTURES = Path(__file__).parent / "fixtures" / "anthropic"
REAL_PAGES = Path(__file__).resolve().parents[2] / "shared" / "real-pages" / "anthropic"
URL = "https://docs.claude.com/en/docs/about-claude/pricing"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def prices(quotes: list[Quote]) -> dict[tuple[str, str, str], Decimal]:
    """(model, component, tier) -> price; every quote must be unique and in USD."""
    out: dict[tuple[str, str, str], Decimal] = {}
    for q in quotes:
        assert q.currency == "USD"
        key = (q.model, q.component, q.tier)
        assert key not in out, f"duplicate quote {key}"
        out[key] = q.price
    return out


def standard(model: str, *values: str) -> dict[tuple[str, str, str], Decimal]:
    components = ("input", "input_cache_write", "input_cache_write_1h", "input_cache_hit", "output")
    return {(model, c, "standard"): Decimal(v) for c, v in zip(components, values, strict=True)}


def batch(model: str, input_price: str, output_price: str) -> dict[tuple[str, str, str], Decimal]:
    return {(model, "input", "batch"): Decimal(input_price), (model, "output", "batch"): Decimal(output_price)}


PAGE_2025_10 = {
    **standard("claude-opus-4-1", "12", "15", "24", "1.20", "60"),
    **standard("claude-sonnet-4-5", "2.50", "3.125", "5", "0.25", "12.50"),
    **standard("claude-sonnet-4", "2.50", "3.125", "5", "0.25", "12.50"),
    **standard("claude-3-5-haiku", "0.60", "0.75", "1.2", "0.06", "3"),
    **standard("claude-3-opus", "10", "12.50", "20", "1", "50"),
    **batch("claude-opus-4-1", "6", "30"),
    **batch("claude-sonnet-4-5", "1.25", "6.25"),
    **batch("claude-sonnet-4", "1.25", "6.25"),
    **batch("claude-3-5-haiku", "0.30", "1.50"),
    **batch("claude-3-opus", "5", "25"),
    ("claude-sonnet-4", "input", "context>200k"): Decimal("5"),
    ("claude-sonnet-4", "output", "context>200k"): Decimal("18.75"),
    ("claude-sonnet-4-5", "input", "context>200k"): Decimal("5"),
    ("claude-sonnet-4-5", "output", "context>200k"): Decimal("18.75"),
}


@pytest.mark.parametrize("name", ["pricing.html", "pricing.md"])
def test_pricing_page_gives_every_table_exactly(name: str) -> None:
    quotes = anthropic.parse(fixture(name), URL)
    assert prices(quotes) == PAGE_2025_10
    assert {q.source_url for q in quotes} == {URL}
    assert {q.window for q in quotes} == {""}


def test_html_and_markdown_forms_give_identical_quote_sets() -> None:
    assert quotes_to_json(anthropic.parse(fixture("pricing.html"), URL)) == \
        quotes_to_json(anthropic.parse(fixture("pricing.md"), URL))


def test_price_text_is_the_cells_own_words_and_status_goes_to_note() -> None:
    quotes = {(q.model, q.component, q.tier): q for q in anthropic.parse(fixture("pricing.md"))}
    hit = quotes[("claude-opus-4-1", "input_cache_hit", "standard")]
    assert (hit.price_text, hit.note) == ("$1.20 / MTok", "")
    # The Markdown export runs "For more information ..." into the last batch cell: not in price_text.
    assert quotes[("claude-3-opus", "output", "batch")].price_text == "$25 / MTok"
    assert {q.note for q in quotes.values() if q.model == "claude-3-opus"} == {"deprecated"}
    assert quotes[("claude-sonnet-4-5", "output", "context>200k")].price_text == "Output: $18.75 / MTok"


def test_cache_writes_column_without_a_duration_is_the_5_minute_write() -> None:
    # Before 1-hour caching the page had one "Cache Writes" column (5-minute writes).
    page = fixture("pricing.html").replace("<th>5m Cache Writes</th>", "<th>Cache Writes</th>")
    assert prices(anthropic.parse(page, URL)) == PAGE_2025_10


def test_crawler_markdown_without_blank_lines_keeps_the_two_tables_apart() -> None:
    assert prices(anthropic.parse(fixture("crawler.md"))) == {
        **standard("claude-opus-4", "14", "17.50", "28", "1.40", "70"),
        **standard("claude-sonnet-4", "2.80", "3.50", "5.60", "0.28", "14"),
        **standard("claude-3-7-sonnet", "2.80", "3.50", "5.60", "0.28", "14"),
        **standard("claude-3-haiku", "0.20", "0.25", "0.40", "0.02", "1"),
        **batch("claude-opus-4", "7", "35"),
        **batch("claude-sonnet-4", "1.40", "7"),
        **batch("claude-3-7-sonnet", "1.40", "7"),
        **batch("claude-3-haiku", "0.10", "0.50"),
    }


def test_unmapped_display_names_are_reported_not_guessed() -> None:
    page = fixture("pricing.html").replace("Claude Haiku 3.5", "Claude Haiku 9").replace(
        "<td>Claude Opus 4.1</td><td>$12", "<td>Claude Opus 7</td><td>$12")
    with pytest.raises(ParseError) as err:
        anthropic.parse(page, URL)
    assert "no API id for 'Claude Haiku 9', 'Claude Opus 7': add them to MODEL_IDS" in str(err.value)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("Base Input Tokens", "Input", "no model pricing table"),
    ("<th>Batch input</th>", "<th>Input</th>", "the 'batch processing' section has no batch price table"),
    ("&gt; 200K input tokens", "Over the limit", "the 'long context pricing' section has no long context"),
    ("1h Cache Writes", "30m Cache Writes", "unknown price column '30m cache writes'"),
    ("$24 / MTok", "$0.024 / KTok", "claude-opus-4-1 standard input_cache_write_1h: '$0.024 / KTok' is not one"),
    ("Input: $5 / MTok", "Prompt: $5 / MTok", "long context cell 'Prompt: $5 / MTok'"),
    ("<td>Claude Sonnet 4</td><td>$2.50", "<td>Claude Sonnet 4.5</td><td>$2.60", "listed twice with different"),
])
def test_a_moved_or_changed_table_raises(old: str, new: str, message: str) -> None:
    page = fixture("pricing.html")
    assert old in page
    with pytest.raises(ParseError, match="^anthropic: ") as err:
        anthropic.parse(page.replace(old, new), URL)
    assert message in str(err.value)


def test_long_context_rates_need_the_models_they_apply_to() -> None:
    page = fixture("pricing.html").replace("Claude Sonnet 4 or Sonnet 4.5", "a model").replace(
        "Claude Sonnet 4 and Sonnet 4.5", "some models")
    with pytest.raises(ParseError, match="long context table without the models it applies to"):
        anthropic.parse(page, URL)


def test_long_context_models_come_from_the_first_paragraph_naming_any() -> None:
    # The HTML reader splits "When using ... with the <a>1M ...</a>" around the link; the callout
    # below repeats the names.  Only Sonnet 4 stays named in the first paragraph here.
    page = fixture("pricing.html").replace("Claude Sonnet 4 or Sonnet 4.5", "Claude Sonnet 4")
    tiers = {(q.model, q.component) for q in anthropic.parse(page, URL) if q.tier == "context>200k"}
    assert tiers == {("claude-sonnet-4", "input"), ("claude-sonnet-4", "output")}


def test_a_page_that_is_not_a_pricing_page_raises() -> None:
    with pytest.raises(ParseError, match="no model pricing table"):
        anthropic.parse("<html><body><h1>Pricing</h1><p>See claude.com/pricing.</p></body></html>")
    with pytest.raises(ParseError, match="JSON is data"):
        anthropic.parse('{"data": []}')


def test_registered_and_cli_prints_json() -> None:
    assert registry.parser_module("anthropic") is anthropic
    out = subprocess.run(
        [sys.executable, "-m", "scraper", "parse", "--provider", "anthropic",
         str(FIXTURES / "pricing.html"), "--json"],
        capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[1]).stdout
    rows = json.loads(out)
    assert len(rows) == len(PAGE_2025_10)
    assert {"model": "claude-opus-4-1", "component": "input_cache_write_1h", "tier": "standard",
            "price": "24", "currency": "USD"}.items() <= next(
        r for r in rows if r["model"] == "claude-opus-4-1" and r["component"] == "input_cache_write_1h").items()


REAL_FILES = sorted(REAL_PAGES.glob("*")) if REAL_PAGES.is_dir() else []
#: capture -> number of quotes (9 models x 5 + 9 x 2 batch + 2 x 2 long context on the Oct 2025 page).
REAL_COUNTS = {
    "2025-05-24-DocScraper-en_docs_about-claude_pricing.md": 49,
    "2025-10-08-020d012-anagri-docs-claude-pricing.html": 67,
    "2025-10-08-020d012-anagri-docs-claude-pricing.md": 67,
    "2025-10-15-token-tally-docs-models-jina.md": 45,
}


@pytest.mark.skipif(not REAL_FILES, reason="real captures ../shared/real-pages/anthropic absent")
@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name[:24])
def test_real_captures_parse(path: Path) -> None:
    got = prices(anthropic.parse(path.read_text(encoding="utf-8")))
    assert len(got) == REAL_COUNTS[path.name]
    assert {k: got[k] for k in standard("claude-3-haiku", "0.25", "0.30", "0.50", "0.03", "1.25")} == \
        standard("claude-3-haiku", "0.25", "0.30", "0.50", "0.03", "1.25")


@pytest.mark.skipif(not REAL_FILES, reason="real captures ../shared/real-pages/anthropic absent")
def test_real_october_2025_page_spot_values_and_parse_time() -> None:
    text = (REAL_PAGES / "2025-10-08-020d012-anagri-docs-claude-pricing.html").read_text(encoding="utf-8")
    anthropic.parse(text)  # warm imports
    start = time.perf_counter()
    got = prices(anthropic.parse(text))
    elapsed = time.perf_counter() - start
    expected = {
        **standard("claude-opus-4-1", "15", "18.75", "30", "1.50", "75"),
        **batch("claude-opus-4-1", "7.50", "37.50"),
        ("claude-sonnet-4-5", "input", "context>200k"): Decimal("6"),
        ("claude-sonnet-4-5", "output", "context>200k"): Decimal("22.50"),
    }
    assert {k: got[k] for k in expected} == expected
    assert elapsed < 0.5, f"1.7 MB page took {elapsed:.3f} s (budget: 0.5 s for all pages of a run)"
