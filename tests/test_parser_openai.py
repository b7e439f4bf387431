"""OpenAI's platform pricing page: tier tables, cached input, '-' as no price, HTML and Jina Markdown."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from parsers import openai, registry
from parsers.quote import ParseError, Quote, quotes_to_json

FIXTURES = Path(__file__).parent / "fixtures" / "openai"
REAL_PAGES = Path(__file__).resolve().parents[2] / "shared" / "real-pages" / "openai"
URL = "https://platform.openai.com/docs/pricing"


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


def row(model: str, tier: str, input_price: str, cached: str | None, output: str | None) -> dict:
    """One table row as quotes; None is a '-' cell, which must give no quote."""
    values = {"input": input_price, "input_cache_hit": cached, "output": output}
    return {(model, c, tier): Decimal(v) for c, v in values.items() if v is not None}


PAGE = {
    **row("gpt-5", "batch", "0.60", "0.06", "4.80"),
    **row("gpt-5-mini", "batch", "0.12", "0.012", "0.96"),
    **row("gpt-5-pro", "batch", "7.20", None, "57.60"),
    **row("gpt-4o", "batch", "1.20", None, "4.80"),
    **row("o3", "batch", "0.90", None, "3.60"),
    **row("gpt-5", "flex", "0.60", "0.06", "4.80"),
    **row("o3", "flex", "0.90", "0.225", "3.60"),
    **row("gpt-5", "standard", "1.20", "0.12", "9.60"),
    **row("gpt-5-mini", "standard", "0.24", "0.024", "1.92"),
    **row("gpt-5-pro", "standard", "14.40", None, "115.20"),
    **row("gpt-4o", "standard", "2.40", "1.20", "9.60"),
    **row("gpt-4o-2024-05-13", "standard", "4.80", None, "14.40"),
    **row("o3", "standard", "1.80", "0.45", "7.20"),
    **row("gpt-realtime", "standard", "3.60", "0.36", "14.40"),
    **row("gpt-image-1", "standard", "4.80", "1.20", None),
    **row("gpt-5", "priority", "2.40", "0.24", "19.20"),
    **row("gpt-4o", "priority", "4.00", "2.00", "16.00"),
    **row("o3", "priority", "3.20", "0.80", "12.80"),
    ("text-embedding-3-small", "input", "standard"): Decimal("0.018"),
    ("text-embedding-3-small", "input", "batch"): Decimal("0.009"),
    ("text-embedding-3-large", "input", "standard"): Decimal("0.12"),
    ("text-embedding-3-large", "input", "batch"): Decimal("0.06"),
    **row("gpt-4-turbo-2024-04-09", "batch", "4.80", None, "14.40"),
    **row("gpt-3.5-turbo-0125", "batch", "0.24", None, "0.72"),
    **row("gpt-4-turbo-2024-04-09", "standard", "9.60", None, "28.80"),
    **row("gpt-3.5-turbo", "standard", "0.48", None, "1.44"),
    **row("gpt-3.5-turbo-0125", "standard", "0.48", None, "1.44"),
}


@pytest.mark.parametrize("name", ["pricing.html", "pricing-jina.md"])
def test_text_legacy_and_embedding_tables_give_exact_quotes(name: str) -> None:
    """Image/audio tokens, fine-tuning and transcription (its own "Text tokens") stay out."""
    quotes = openai.parse(fixture(name), URL)
    assert prices(quotes) == PAGE
    assert {q.source_url for q in quotes} == {URL}
    gpt5 = next(q for q in quotes if (q.model, q.component, q.tier) == ("gpt-5", "output", "standard"))
    assert (gpt5.price_text, gpt5.price) == ("$9.60", Decimal("9.60"))


def test_html_and_jina_markdown_give_identical_quote_sets() -> None:
    assert quotes_to_json(openai.parse(fixture("pricing.html"), URL)) == \
        quotes_to_json(openai.parse(fixture("pricing-jina.md"), URL))


def test_tiers_can_come_from_aria_tabs() -> None:
    page = """<html><body><h1>Pricing</h1><h3>Text tokens</h3><p>Prices per 1M tokens.</p>
    <div><div role="tablist"><button role="tab">Batch</button><button role="tab">Standard</button></div>
    <div role="tabpanel" hidden><table><tr><th>Model</th><th>Input</th><th>Output</th></tr>
    <tr><td>gpt-x</td><td>$0.50</td><td>$2.00</td></tr></table></div>
    <div role="tabpanel"><table><tr><th>Model</th><th>Input</th><th>Output</th></tr>
    <tr><td>gpt-x</td><td>$1.00</td><td>$4.00</td></tr></table></div></div></body></html>"""
    assert prices(openai.parse(page)) == {**row("gpt-x", "batch", "0.50", None, "2.00"),
                                          **row("gpt-x", "standard", "1.00", None, "4.00")}


MD = "pricing-jina.md"


@pytest.mark.parametrize(("old", "new", "message"), [
    ("### Text tokens", "### Text token prices", "no Standard table under 'Text tokens'"),
    ("| Model | Input | Cached input | Output |", "| Model | Input | Cache writes | Output |",
     "'text tokens' batch table: unknown column 'Cache writes'"),
    ("| gpt-5 | $1.20 |", "| gpt-5 | $1.20 / 1K tokens |", "gpt-5 input '$1.20 / 1K tokens' is not one price"),
    ("| gpt-5-mini | $0.24 | $0.024 |", "| gpt-5-mini | $0.24 | |", "gpt-5-mini input_cache_hit '' is not one"),
    ("| gpt-4o-2024-05-13 |", "| GPT-4o (May 2024) |", "'GPT-4o (May 2024)' is not a model id"),
    ("Prices per 1M tokens.\n\nBatch", "Prices per 1K tokens.\n\nBatch",
     "the section does not say its prices are per 1M tokens"),
    ("Flex\n", "Batch\n", "'text tokens' batch table appears twice"),
    ("Prices per 1M tokens.\n\nBatch", "Prices per 1M tokens.\n\nBatch\n\nFlex\n\nStandard\n\nPriority",
     "'text tokens': a table under several tier labels (batch, flex, priority, standard)"),
    ("| gpt-3.5-turbo | $0.48 |", "| gpt-4o | $2.50 | $10.00 |\n| gpt-3.5-turbo | $0.48 |",
     "gpt-4o standard input is listed twice with different prices ($2.40 vs $2.50)"),
])
def test_a_moved_or_changed_table_raises(old: str, new: str, message: str) -> None:
    page = fixture(MD)
    assert old in page
    with pytest.raises(ParseError, match="^openai: ") as err:
        openai.parse(page.replace(old, new, 1), URL)
    assert message in str(err.value)


def test_a_page_without_the_text_tokens_table_raises() -> None:
    with pytest.raises(ParseError, match="no Standard table under 'Text tokens'"):
        openai.parse("<html><body><h1>Pricing</h1><p>Log in to see pricing.</p></body></html>")
    with pytest.raises(ParseError, match="JSON is data"):
        openai.parse('[{"id": "gpt-5"}]')


def test_registered_and_cli_prints_json() -> None:
    assert registry.parser_module("openai") is openai
    out = subprocess.run(
        [sys.executable, "-m", "scraper", "parse", "--provider", "openai", str(FIXTURES / "pricing.html"), "--json"],
        capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[1]).stdout
    rows = json.loads(out)
    assert len(rows) == len(PAGE)
    assert {"model": "o3", "component": "input_cache_hit", "tier": "flex", "price": "0.225"}.items() <= next(
        r for r in rows if (r["model"], r["component"], r["tier"]) == ("o3", "input_cache_hit", "flex")).items()


REAL_FILE = REAL_PAGES / "2025-10-15-token-tally-platform-pricing-jina.md"


@pytest.mark.skipif(not REAL_FILE.is_file(), reason="real capture ../shared/real-pages/openai absent")
def test_real_jina_capture_spot_values_and_parse_time() -> None:
    text = REAL_FILE.read_text(encoding="utf-8")
    start = time.perf_counter()
    got = prices(openai.parse(text))
    elapsed = time.perf_counter() - start
    # 92 text-token standard, 43 batch, 15 flex, 29 priority; 62 legacy; 6 embeddings.
    assert len(got) == 247
    expected = {
        **row("gpt-5", "standard", "1.25", "0.125", "10.00"),
        **row("gpt-5", "batch", "0.625", "0.0625", "5.00"),
        **row("o4-mini", "flex", "0.55", "0.138", "2.20"),
        **row("gpt-4o-2024-05-13", "priority", "8.75", None, "26.25"),
        **row("gpt-3.5-turbo-16k-0613", "standard", "3.00", None, "4.00"),
        ("text-embedding-3-large", "input", "batch"): Decimal("0.065"),
    }
    assert {k: got[k] for k in expected} == expected
    assert ("gpt-4o-2024-05-13", "input_cache_hit", "priority") not in got
    assert ("gpt-image-1", "output", "standard") not in got
    assert ("gpt-4o-transcribe", "input", "standard") not in got
    assert elapsed < 0.25, f"took {elapsed:.3f} s"
