"""Anthropic's pricing page in every form it reaches ratecard: exact quotes, skipped parts, no misattribution."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from parsers import anthropic, registry
from parsers.quote import ParseError, Quote, Reading, quotes_to_json

FIXTURES = Path(__file__).parent / "fixtures" / "anthropic"
REAL_PAGES = Path(__file__).resolve().parents[2] / "shared" / "real-pages" / "anthropic"
URL = "https://docs.claude.com/en/docs/about-claude/pricing"
SEPT_1_2026 = datetime(2026, 9, 1, tzinfo=timezone.utc)


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def prices(quotes: list[Quote]) -> dict[tuple[str, str, str], Decimal]:
    """(model, component, tier) -> price of the quotes in force; every one unique and in USD."""
    out: dict[tuple[str, str, str], Decimal] = {}
    for q in quotes:
        assert q.currency == "USD"
        if q.effective_from is not None:
            continue
        key = (q.model, q.component, q.tier)
        assert key not in out, f"duplicate quote {key}"
        out[key] = q.price
    return out


def scheduled(quotes: list[Quote]) -> dict[tuple[str, str, str, datetime], Decimal]:
    return {(q.model, q.component, q.tier, q.effective_from): q.price for q in quotes if q.effective_from}


def standard(model: str, *values: str) -> dict[tuple[str, str, str], Decimal]:
    components = ("input", "input_cache_write", "input_cache_write_1h", "input_cache_hit", "output")
    return {(model, c, "standard"): Decimal(v) for c, v in zip(components, values, strict=True)}


def pair(model: str, tier: str, input_price: str, output_price: str) -> dict[tuple[str, str, str], Decimal]:
    return {(model, "input", tier): Decimal(input_price), (model, "output", tier): Decimal(output_price)}


def batch(model: str, input_price: str, output_price: str) -> dict[tuple[str, str, str], Decimal]:
    return pair(model, "batch", input_price, output_price)


def tiers_of(quotes: list[Quote], tier: str) -> set[str]:
    return {q.model for q in quotes if q.tier == tier}


def reasons(reading: Reading) -> list[str]:
    return [f"{s.where} :: {s.reason} :: {s.text}" for s in reading.skipped]


# --- the October 2025 layout (fixtures written from the real page's structure) ----------------

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
    **pair("claude-sonnet-4", "context>200k", "5", "18.75"),
    **pair("claude-sonnet-4-5", "context>200k", "5", "18.75"),
}


@pytest.mark.parametrize("name", ["pricing.html", "pricing.md"])
def test_pricing_page_gives_every_table_exactly(name: str) -> None:
    reading = anthropic.read(fixture(name), URL)
    assert prices(reading.quotes) == PAGE_2025_10
    assert {q.source_url for q in reading.quotes} == {URL}
    assert {q.window for q in reading.quotes} == {""}
    assert reading.skipped == []  # every model id is a known one, nothing odd on the page


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


# --- model ids ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "model_id"), [
    ("Claude Opus 4.6", "claude-opus-4-6"),
    ("Claude Sonnet 4.5", "claude-sonnet-4-5"),
    ("Claude Opus 4", "claude-opus-4"),
    ("Claude Opus 5", "claude-opus-5"),
    ("Claude Fable 5", "claude-fable-5"),
    ("Claude Mythos 5.1", "claude-mythos-5-1"),
    ("Claude 3.5 Haiku", "claude-3-5-haiku"),
    ("Claude Haiku 3.5", "claude-3-5-haiku"),
    ("Claude Sonnet 3.7", "claude-3-7-sonnet"),
    ("Claude 3.7 Sonnet", "claude-3-7-sonnet"),
    ("Claude 3 Opus", "claude-3-opus"),
    ("Claude Opus 3", "claude-3-opus"),
    ("Claude 2.1", "claude-2.1"),
    ("Claude Instant 1.2", "claude-instant-1.2"),
])
def test_one_rule_gives_the_ids_anthropic_uses(name: str, model_id: str) -> None:
    row = (f"| Model | Base Input Tokens | Output Tokens |\n|---|---|---|\n"
           f"| {name} | $3 / MTok | $15 / MTok |\n")
    assert prices(anthropic.parse(row)) == pair(model_id, "standard", "3", "15")


@pytest.mark.parametrize(("cell", "model_id", "note"), [
    ("Claude Opus 4.1 ([retired, except on Bedrock and Google Cloud](https://x.test/deprecations))",
     "claude-opus-4-1", "retired, except on Bedrock and Google Cloud"),
    ("Claude Mythos 5 ([limited availability](https://anthropic.com/glasswing))", "claude-mythos-5",
     "limited availability"),
    ("Claude Sonnet 3.5 \\([deprecated](/en/docs/about-claude/model-deprecations)\\)", "claude-3-5-sonnet",
     "deprecated"),
    ("**[Claude Opus 4.5](https://x.test/opus)**<sup>2</sup>", "claude-opus-4-5", ""),
    ("Claude Haiku 4.5 (`claude-haiku-4-5-20251001`)", "claude-haiku-4-5", ""),
])
def test_status_notes_links_markup_and_footnotes_leave_the_name(cell: str, model_id: str, note: str) -> None:
    row = f"| Model | Base Input Tokens | Output Tokens |\n|---|---|---|\n| {cell} | $3 / MTok | $15 / MTok |\n"
    quotes = anthropic.parse(row)
    assert prices(quotes) == pair(model_id, "standard", "3", "15")
    assert {q.note for q in quotes} == {note}


def test_printed_id_beats_the_rule() -> None:
    row = ("| Model | Base Input Tokens | Output Tokens |\n|---|---|---|\n"
           "| Claude Opus 4 (`claude-opus-4-0`) | $15 / MTok | $75 / MTok |\n")
    reading = anthropic.read(row)
    assert prices(reading.quotes) == pair("claude-opus-4-0", "standard", "15", "75")
    assert reading.skipped == []


def test_a_name_cell_that_is_the_api_id_itself() -> None:
    row = ("| Model | Base Input Tokens | 1h Cache Writes | Output Tokens |\n|---|---|---|---|\n"
           "| `claude-test-9-20261001` | $3 / MTok | Not available | $15 / MTok |\n")
    reading = anthropic.read(row)
    assert prices(reading.quotes) == pair("claude-test-9", "standard", "3", "15")
    assert [(s.reason, s.text) for s in reading.skipped] == [("no price", "Not available")]


def test_a_new_model_is_recorded_with_a_warning_not_a_failure() -> None:
    page = fixture("pricing.html").replace("Claude Haiku 3.5", "Claude Haiku 9").replace(
        "<td>Claude Opus 4.1</td><td>$12", "<td>Claude Nova 7.2</td><td>$12")
    reading = anthropic.read(page, URL)
    got = prices(reading.quotes)
    assert {k: got[k] for k in standard("claude-haiku-9", "0.60", "0.75", "1.2", "0.06", "3")} == \
        standard("claude-haiku-9", "0.60", "0.75", "1.2", "0.06", "3")
    assert got[("claude-nova-7-2", "input", "standard")] == Decimal("12")
    assert "claude-3-5-haiku" not in {q.model for q in reading.quotes}
    warned = sorted(s.text for s in reading.skipped if "derived by rule" in s.reason)
    assert warned == ["Claude Haiku 9", "Claude Nova 7.2"]  # once per model, not per table


# --- 2026 layouts (fixtures) ----------------------------------------------------------------

def test_2026_per_model_long_context_table_two_rows_per_model() -> None:
    reading = anthropic.read(fixture("2026-02-long-context-table.md"), URL)
    got = prices(reading.quotes)
    context = {k: v for k, v in got.items() if k[2] == "context>200k"}
    assert context == {
        **pair("claude-opus-4-6", "context>200k", "8", "30"),
        **pair("claude-sonnet-4-5", "context>200k", "4.80", "18"),  # "Claude Sonnet 4.5 / 4": two models
        **pair("claude-sonnet-4", "context>200k", "4.80", "18"),
    }
    assert {k: got[k] for k in standard("claude-opus-4-6", "4", "5", "8", "0.40", "20")} == \
        standard("claude-opus-4-6", "4", "5", "8", "0.40", "20")
    assert got[("claude-3-7-sonnet", "output", "batch")] == Decimal("6")
    assert len(got) == 6 * 5 + 6 * 2 + 6
    # The 1.1x data-residency multiplier is reported, never a price.
    assert any("multiplier (data residency)" in r and "1.1x" in r for r in reasons(reading))
    assert [s.text for s in reading.skipped if "derived by rule" in s.reason] == ["Claude Opus 4.6"]


def test_2026_long_context_cells_with_breaks_and_slash_shorthand_fast_mode_by_context() -> None:
    reading = anthropic.read(fixture("2026-05-scheduled-fast-long-context.html"), URL)
    got = prices(reading.quotes)
    context = {k: v for k, v in got.items() if k[2] == "context>200k"}
    assert context == {
        **pair("claude-opus-4-6", "context>200k", "8", "30"),
        **pair("claude-sonnet-4-6", "context>200k", "4.80", "18"),  # "Claude Sonnet 4.6/4.5/4"
        **pair("claude-sonnet-4-5", "context>200k", "4.80", "18"),
        **pair("claude-sonnet-4", "context>200k", "4.80", "18"),
    }
    # "Fast mode for Claude Opus 4.6": the <= 200K row is the fast tier; the > 200K row is fast
    # mode's own for that size (what a fast request with a longer prompt is billed).
    assert {k: v for k, v in got.items() if k[2].startswith("fast")} == {
        **pair("claude-opus-4-6", "fast", "24", "120"), **pair("claude-opus-4-6", "fast context>200k", "48", "180")}
    assert not any("$48 / MTok" in r for r in reasons(reading))
    # The MDX payload in the page's scripts ($99 / $999) is never read.
    assert Decimal("99") not in got.values()


def test_scheduled_change_later_price_gets_effective_from_current_stays() -> None:
    quotes = anthropic.parse(fixture("2026-05-scheduled-fast-long-context.html"), URL)
    got = prices(quotes)
    assert {k: got[k] for k in standard("claude-sonnet-5", "1.60", "2", "3.20", "0.16", "8")} == \
        standard("claude-sonnet-5", "1.60", "2", "3.20", "0.16", "8")
    assert got[("claude-sonnet-5", "input", "batch")] == Decimal("0.80")
    assert scheduled(quotes) == {
        **{(m, c, t, SEPT_1_2026): v for (m, c, t), v in
           standard("claude-sonnet-5", "2.40", "3", "4.80", "0.24", "12").items()},
        ("claude-sonnet-5", "input", "batch", SEPT_1_2026): Decimal("1.20"),
        ("claude-sonnet-5", "output", "batch", SEPT_1_2026): Decimal("6"),
    }
    notes = {(q.tier, q.effective_from): q.note for q in quotes if q.model == "claude-sonnet-5"}
    assert notes == {("standard", None): "through August 31, 2026", ("batch", None): "through August 31, 2026",
                     ("standard", SEPT_1_2026): "starting September 1, 2026",
                     ("batch", SEPT_1_2026): "starting September 1, 2026"}
    assert scheduled(quotes)[("claude-sonnet-5", "output", "standard", SEPT_1_2026)] == Decimal("12")
    assert json.loads(quotes_to_json(quotes))  # serialisable with the instant
    assert {q.to_dict()["effective_from"] for q in quotes if q.effective_from} == {"2026-09-01T00:00:00Z"}


def test_scheduled_change_glued_markdown_form() -> None:
    page = ("| Model | Base Input Tokens | Output Tokens |\n|---|---|---|\n"
            "| Claude Sonnet 5  through August 31, 2026 | $2 / MTok | $10 / MTok |\n"
            "| Claude Sonnet 5starting September 1, 2026 | $3 / MTok | $15 / MTok |\n")
    quotes = anthropic.parse(page)
    assert prices(quotes) == pair("claude-sonnet-5", "standard", "2", "10")
    assert scheduled(quotes) == {("claude-sonnet-5", "input", "standard", SEPT_1_2026): Decimal("3"),
                                 ("claude-sonnet-5", "output", "standard", SEPT_1_2026): Decimal("15")}


def test_2026_standard_pricing_prose_status_notes_fast_mode_and_no_scheduled_price() -> None:
    reading = anthropic.read(fixture("2026-08-standard-pricing-prose.md"), URL)
    quotes = reading.quotes
    got = prices(quotes)
    assert {k: got[k] for k in standard("claude-fable-5", "8", "10", "16", "0.20", "40")} == \
        standard("claude-fable-5", "8", "10", "16", "0.20", "40")  # "$0.20 / MTok1": footnote 1
    assert {k: got[k] for k in standard("claude-sonnet-5", "1.60", "2", "3.20", "0.16", "8")} == \
        standard("claude-sonnet-5", "1.60", "2", "3.20", "0.16", "8")
    assert got[("claude-haiku-4-5", "output", "standard")] == Decimal("4")  # printed id, date dropped
    assert got[("claude-opus-4-1", "output", "batch")] == Decimal("30")
    # "... increase to $2.40/$12 ... on September 1, 2026 will not occur": no scheduled price,
    # and the note is reported as prose that was not recorded.
    assert scheduled(quotes) == {}
    assert any("prices with a date in prose" in r and "will not occur" in r for r in reasons(reading))
    # Full 1M context at standard pricing: no long-context tier at all.
    assert not [q for q in quotes if q.tier.startswith("context>")]
    # Fast mode: the row names two models; Opus 4.7 is excluded by the prose.
    assert {k: v for k, v in got.items() if k[2] == "fast"} == {
        **pair("claude-opus-5", "fast", "8", "40"), **pair("claude-opus-4-8", "fast", "8", "40")}
    assert {q.note for q in quotes if q.model == "claude-opus-4-1"} == {"retired, except on Bedrock and Google Cloud"}
    assert {q.note for q in quotes if q.model == "claude-mythos-5"} == {"limited availability"}
    assert len(got) == 9 * 5 + 9 * 2 + 4
    assert sorted(s.text for s in reading.skipped if "derived by rule" in s.reason) == sorted(
        ["Claude Fable 5", "Claude Mythos 5", "Claude Opus 5", "Claude Opus 4.8", "Claude Opus 4.7", "Claude Sonnet 5"])
    assert any("1.1x" in r and "multiplier" in r for r in reasons(reading))


def test_fast_mode_table_without_a_model_column_takes_the_prose_models_minus_the_excluded() -> None:
    page = fixture("2026-08-standard-pricing-prose.md").replace(
        "| Model                           | Input      | Output     |\n"
        "| ------------------------------- | ---------- | ---------- |\n"
        "| Claude Opus 5 / Claude Opus 4.8 | $8 / MTok  | $40 / MTok |",
        "| Input      | Output     |\n| ---------- | ---------- |\n| $8 / MTok  | $40 / MTok |").replace(
        "for Claude Opus 5 and Claude Opus 4.8 at", "for Claude Opus 5, Claude Opus 4.8 and Claude Opus 4.7 at")
    got = prices(anthropic.parse(page))
    assert {k: v for k, v in got.items() if k[2] == "fast"} == {
        **pair("claude-opus-5", "fast", "8", "40"), **pair("claude-opus-4-8", "fast", "8", "40")}


# --- never a wrong attribution ----------------------------------------------------------------

def test_long_context_price_never_goes_to_a_model_the_prose_excludes() -> None:
    # The paragraph that names the long-context models also names two it excludes; a reader that
    # takes every model the paragraph mentions would give Opus 4.1 and Haiku 3.5 the $4.80 rate.
    reading = anthropic.read(fixture("long-context-excluded.md"), URL)
    assert tiers_of(reading.quotes, "context>200k") == {"claude-sonnet-4", "claude-sonnet-4-5"}
    assert {k: v for k, v in prices(reading.quotes).items() if k[2] == "context>200k"} == {
        **pair("claude-sonnet-4", "context>200k", "4.80", "18"),
        **pair("claude-sonnet-4-5", "context>200k", "4.80", "18")}


def test_a_table_row_for_a_model_the_page_says_is_at_standard_pricing_is_skipped() -> None:
    page = fixture("2026-02-long-context-table.md").replace(
        "### Long context pricing\n",
        "### Long context pricing\n\nClaude Opus 4.6 includes the full 1M token context window at standard pricing.\n")
    reading = anthropic.read(page, URL)
    assert tiers_of(reading.quotes, "context>200k") == {"claude-sonnet-4", "claude-sonnet-4-5"}
    assert any("no long-context premium" in r and "Claude Opus 4.6" in r for r in reasons(reading))


def test_long_context_rates_without_named_models_are_skipped_not_attributed() -> None:
    page = fixture("pricing.html").replace("Claude Sonnet 4 or Sonnet 4.5", "a model").replace(
        "Claude Sonnet 4 and Sonnet 4.5", "some models")
    reading = anthropic.read(page, URL)
    assert tiers_of(reading.quotes, "context>200k") == set()
    assert prices(reading.quotes) == {k: v for k, v in PAGE_2025_10.items() if k[2] != "context>200k"}
    assert sum("without the models they apply to" in r for r in reasons(reading)) == 2


def test_long_context_models_come_from_every_sentence_naming_them() -> None:
    # The callout below the first paragraph names Sonnet 4.5 too: it is still a named model.
    page = fixture("pricing.html").replace("Claude Sonnet 4 or Sonnet 4.5", "Claude Sonnet 4")
    assert tiers_of(anthropic.parse(page, URL), "context>200k") == {"claude-sonnet-4", "claude-sonnet-4-5"}
    page = page.replace("Claude Sonnet 4 and Sonnet 4.5", "Claude Sonnet 4")
    assert tiers_of(anthropic.parse(page, URL), "context>200k") == {"claude-sonnet-4"}


def test_same_model_twice_with_different_prices_and_no_date_skips_both() -> None:
    page = fixture("pricing.html").replace("<td>Claude Sonnet 4</td><td>$2.50", "<td>Claude Sonnet 4.5</td><td>$2.60")
    reading = anthropic.read(page, URL)
    got = prices(reading.quotes)
    assert ("claude-sonnet-4-5", "input", "standard") not in got
    assert got[("claude-sonnet-4-5", "output", "standard")] == Decimal("12.50")  # same on both rows: kept
    assert any("claude-sonnet-4-5 standard input" in r and "different prices" in r and "$2.60" in r
               for r in reasons(reading))


@pytest.mark.parametrize(("old", "new", "lost", "reason"), [
    ("1h Cache Writes", "30s Cache Stores", (None, "input_cache_write_1h", "standard"),
     "price column the parser does not know"),
    ("$24 / MTok", "$0.024 / KTok", ("claude-opus-4-1", "input_cache_write_1h", "standard"),
     "not a price per MTok"),
    ("Input: $5 / MTok", "Prompt tokens $5", (None, "input", "context>200k"), "not a price per MTok"),
    ("<td>$1.20 / MTok</td>", "<td>$1.20 / MTok or $1.40 / MTok</td>",
     ("claude-opus-4-1", "input_cache_hit", "standard"), "several prices in one cell"),
])
def test_an_odd_cell_or_column_is_skipped_and_reported_the_rest_recorded(
        old: str, new: str, lost: tuple[str | None, str, str], reason: str) -> None:
    # ``lost``: the series the odd cell (model) or column (None: every model) held.
    page = fixture("pricing.html")
    assert old in page
    reading = anthropic.read(page.replace(old, new, 1), URL)
    model, component, tier = lost
    gone = {k for k in PAGE_2025_10 if k[1:] == (component, tier) and model in (None, k[0])}
    assert gone
    assert prices(reading.quotes) == {k: v for k, v in PAGE_2025_10.items() if k not in gone}
    assert any(reason in r for r in reasons(reading))


def test_a_page_without_the_model_pricing_table_fails_with_why() -> None:
    with pytest.raises(ParseError, match="no model pricing table"):
        anthropic.parse("<html><body><h1>Pricing</h1><p>See claude.com/pricing.</p></body></html>")
    with pytest.raises(ParseError, match="no model pricing table"):
        anthropic.parse(fixture("pricing.html").replace("Base Input Tokens", "Input"), URL)
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


# --- real captures (../shared/real-pages/anthropic) ------------------------------------------

REAL_FILES = sorted(REAL_PAGES.glob("*")) if REAL_PAGES.is_dir() else []
needs_real = pytest.mark.skipif(not REAL_FILES, reason="real captures ../shared/real-pages/anthropic absent")

#: capture -> (quotes in force, spot values read off the page, tiers expected per model set).
REAL_EXPECTED: dict[str, tuple[int, dict[tuple[str, str, str], Decimal]]] = {
    # Claude 4 launch, crawler Markdown with nav: 7 models x 5 + 7 x 2 batch.
    "2025-05-24-DocScraper-en_docs_about-claude_pricing.md": (49, {
        **standard("claude-opus-4", "15", "18.75", "30", "1.50", "75"),
        **standard("claude-3-haiku", "0.25", "0.30", "0.50", "0.03", "1.25"),
        **batch("claude-3-5-sonnet", "1.50", "7.50"),
    }),
    # 9 models x 5 + 9 x 2 batch + 2 x 2 long context (Sonnet 4 and 4.5 only).
    "2025-10-08-020d012-anagri-docs-claude-pricing.html": (67, {
        **standard("claude-opus-4-1", "15", "18.75", "30", "1.50", "75"),
        **standard("claude-3-5-haiku", "0.80", "1", "1.6", "0.08", "4"),
        **batch("claude-opus-4-1", "7.50", "37.50"),
        **pair("claude-sonnet-4-5", "context>200k", "6", "22.50"),
        **pair("claude-sonnet-4", "context>200k", "6", "22.50"),
    }),
    "2025-10-08-020d012-anagri-docs-claude-pricing.md": (67, {
        **standard("claude-3-opus", "15", "18.75", "30", "1.50", "75"),
        **batch("claude-3-haiku", "0.125", "0.625"),
        **pair("claude-sonnet-4", "context>200k", "6", "22.50"),
    }),
    # Models overview (Jina): the pricing table only, ids from its "Claude API" column.
    "2025-10-15-token-tally-docs-models-jina.md": (45, {
        **standard("claude-3-7-sonnet", "3", "3.75", "6", "0.30", "15"),
        **standard("claude-sonnet-4-5", "3", "3.75", "6", "0.30", "15"),
    }),
    # 11 models x 5 + 11 x 2 batch + long context for Opus 4.6, Sonnet 4.5, Sonnet 4 ("Sonnet 4.5 / 4").
    "2026-02-06-4797bfb-JokerRun-claude-docs-sitemap-pricing.md": (83, {
        **standard("claude-opus-4-6", "5", "6.25", "10", "0.50", "25"),
        **standard("claude-3-7-sonnet", "3", "3.75", "6", "0.30", "15"),
        **batch("claude-opus-4-6", "2.50", "12.50"),
        **pair("claude-opus-4-6", "context>200k", "10", "37.50"),
        **pair("claude-sonnet-4-5", "context>200k", "6", "22.50"),
        **pair("claude-sonnet-4", "context>200k", "6", "22.50"),
    }),
    # 15 models x 5 + 15 x 2 batch + fast mode for Opus 5 and 4.8; long context is prose (standard pricing).
    "2026-08-21-30e477c-JokerRun-claude-docs-sitemap-pricing.md": (109, {
        **standard("claude-fable-5", "10", "12.50", "20", "1", "50"),
        **standard("claude-mythos-5", "10", "12.50", "20", "1", "50"),
        **standard("claude-opus-5", "5", "6.25", "10", "0.50", "25"),
        **standard("claude-opus-4-8", "5", "6.25", "10", "0.50", "25"),
        **standard("claude-sonnet-5", "2", "2.50", "4", "0.20", "10"),
        **standard("claude-opus-4-1", "15", "18.75", "30", "1.50", "75"),
        **standard("claude-3-5-haiku", "0.80", "1", "1.60", "0.08", "4"),
        **batch("claude-sonnet-5", "1", "5"),
        **pair("claude-opus-5", "fast", "10", "50"),
        **pair("claude-opus-4-8", "fast", "10", "50"),
    }),
}

#: Which models each tier beyond standard and batch may name, per capture: nothing else is allowed.
REAL_TIERS: dict[str, dict[str, set[str]]] = {
    "2025-05-24-DocScraper-en_docs_about-claude_pricing.md": {},
    "2025-10-08-020d012-anagri-docs-claude-pricing.html": {"context>200k": {"claude-sonnet-4", "claude-sonnet-4-5"}},
    "2025-10-08-020d012-anagri-docs-claude-pricing.md": {"context>200k": {"claude-sonnet-4", "claude-sonnet-4-5"}},
    "2025-10-15-token-tally-docs-models-jina.md": {},
    "2026-02-06-4797bfb-JokerRun-claude-docs-sitemap-pricing.md": {
        "context>200k": {"claude-opus-4-6", "claude-sonnet-4-5", "claude-sonnet-4"}},
    "2026-08-21-30e477c-JokerRun-claude-docs-sitemap-pricing.md": {"fast": {"claude-opus-5", "claude-opus-4-8"}},
}


@needs_real
def test_every_real_capture_is_covered() -> None:
    assert sorted(p.name for p in REAL_FILES) == sorted(REAL_EXPECTED)


@needs_real
@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name[:32])
def test_real_captures_parse_with_spot_values(path: Path) -> None:
    count, spots = REAL_EXPECTED[path.name]
    reading = anthropic.read(path.read_text(encoding="utf-8"))
    got = prices(reading.quotes)
    assert len(got) == count
    assert {k: got.get(k) for k in spots} == spots
    extra = {tier: {q.model for q in reading.quotes if q.tier == tier}
             for tier in {q.tier for q in reading.quotes} - {"standard", "batch"}}
    assert extra == REAL_TIERS[path.name]
    # Batch is half the standard price on every page: a row shifted onto the wrong model would break it.
    for (model, component, tier), price in got.items():
        if tier == "batch":
            assert price * 2 == got[(model, component, "standard")], (model, component)
    assert scheduled(reading.quotes) == {}


@needs_real
def test_real_august_2026_page_reports_what_it_did_not_record() -> None:
    text = (REAL_PAGES / "2026-08-21-30e477c-JokerRun-claude-docs-sitemap-pricing.md").read_text(encoding="utf-8")
    reading = anthropic.read(text)
    derived = sorted(s.text for s in reading.skipped if "derived by rule" in s.reason)
    assert derived == sorted(["Claude Fable 5", "Claude Mythos 5", "Claude Opus 5", "Claude Opus 4.8",
                              "Claude Opus 4.7", "Claude Opus 4.6", "Claude Sonnet 5", "Claude Sonnet 4.6"])
    assert sum("multiplier (data residency)" in s.reason for s in reading.skipped) >= 2
    notes = {q.model: q.note for q in reading.quotes}
    assert notes["claude-opus-4"] == "retired, except on Google Cloud"
    assert notes["claude-mythos-5"] == "limited availability"
    # "Claude 4.6 and later models ... at standard pricing", fast mode not on Opus 4.7 / 4.6.
    assert not {q.model for q in reading.quotes if q.tier != "standard" and q.tier != "batch"} & {
        "claude-opus-4-7", "claude-opus-4-6", "claude-sonnet-4-6", "claude-sonnet-5"}


@needs_real
def test_real_october_2025_page_parses_within_budget() -> None:
    text = (REAL_PAGES / "2025-10-08-020d012-anagri-docs-claude-pricing.html").read_text(encoding="utf-8")
    anthropic.parse(text)  # warm imports
    start = time.perf_counter()
    anthropic.parse(text)
    elapsed = time.perf_counter() - start
    assert elapsed < 0.5, f"1.7 MB page took {elapsed:.3f} s (budget: 0.5 s for all pages of a run)"


# --- mirror and converter variants (fixtures) -------------------------------------------------

def test_condensed_mirror_cells_with_trailing_labels_and_fast_mode_by_context_rows() -> None:
    reading = anthropic.read(fixture("2026-03-condensed-mirror.md"), URL)
    got = prices(reading.quotes)
    assert {k: v for k, v in got.items() if k[2] == "context>200k"} == {
        **pair("claude-opus-4-6", "context>200k", "8", "30"),
        **pair("claude-sonnet-4-6", "context>200k", "4.80", "18"),
        **pair("claude-sonnet-4-5", "context>200k", "4.80", "18"),
        **pair("claude-sonnet-4", "context>200k", "4.80", "18"),
    }
    assert {k: v for k, v in got.items() if k[2].startswith("fast")} == {
        **pair("claude-opus-4-6", "fast", "24", "120"), **pair("claude-opus-4-6", "fast context>200k", "48", "180")}
    assert {k: got[k] for k in standard("claude-haiku-4-5", "0.80", "1", "1.60", "0.08", "4")} == \
        standard("claude-haiku-4-5", "0.80", "1", "1.60", "0.08", "4")
    assert len(got) == 3 * 5 + 3 * 2 + 8 + 2 + 2
    assert any("1.1x" in r for r in reasons(reading))


def test_split_threshold_columns_reordered_columns_and_an_unknown_price_column() -> None:
    reading = anthropic.read(fixture("split-columns-reordered.md"), URL)
    assert prices(reading.quotes) == {
        **standard("claude-opus-5-5", "4", "5", "8", "0.20", "20"),
        **standard("claude-sonnet-5", "2", "2.50", "4", "0.20", "10"),
        **pair("claude-opus-5-5", "context>200k", "8", "30"),
        **pair("claude-opus-5-5", "fast", "24", "120"),
    }
    got = reasons(reading)
    assert any("column 'Notes'" in r and "price column the parser does not know" in r for r in got)
    assert any("a price in prose" in r and "$8 / MTok input" in r for r in got)


def test_a_start_with_a_stated_time_and_zone_uses_it_and_an_unread_zone_says_so() -> None:
    page = ("| Model | Base Input Tokens | Output Tokens |\n|---|---|---|\n"
            "| Claude Sonnet 5 | $2 / MTok | $10 / MTok |\n"
            "| Claude Sonnet 5 starting September 1, 2026 at 16:00 UTC | $3 / MTok | $15 / MTok |\n"
            "| Claude Opus 5 | $5 / MTok | $25 / MTok |\n"
            "| Claude Opus 5 starting October 1, 2026 at 09:00 PT | $6 / MTok | $30 / MTok |\n")
    reading = anthropic.read(page)
    assert scheduled(reading.quotes) == {
        ("claude-sonnet-5", "input", "standard", datetime(2026, 9, 1, 16, tzinfo=timezone.utc)): Decimal("3"),
        ("claude-sonnet-5", "output", "standard", datetime(2026, 9, 1, 16, tzinfo=timezone.utc)): Decimal("15"),
        ("claude-opus-5", "input", "standard", datetime(2026, 10, 1, tzinfo=timezone.utc)): Decimal("6"),
        ("claude-opus-5", "output", "standard", datetime(2026, 10, 1, tzinfo=timezone.utc)): Decimal("30"),
    }
    assert [s.text for s in reading.skipped if "zone not read" in s.reason] == ["starting October 1, 2026 at 09:00 PT"]


def test_a_model_without_a_version_and_rows_split_by_context_in_the_model_table() -> None:
    page = ("| Model | Base Input Tokens | Output Tokens |\n|---|---|---|\n"
            "| Claude Mythos Preview (limited availability) | $25 / MTok | $125 / MTok |\n"
            "| Claude Sonnet 4.5 (≤ 200K input tokens) | $3 / MTok | $15 / MTok |\n"
            "| Claude Sonnet 4.5 (> 200K input tokens) | $6 / MTok | $22.50 / MTok |\n")
    reading = anthropic.read(page)
    assert prices(reading.quotes) == {
        **pair("claude-mythos-preview", "standard", "25", "125"),
        **pair("claude-sonnet-4-5", "standard", "3", "15"),
        **pair("claude-sonnet-4-5", "context>200k", "6", "22.50"),
    }
    assert [s.text for s in reading.skipped if "derived by rule" in s.reason] == ["Claude Mythos Preview"]


def test_html2text_prose_run_into_the_long_context_header_still_names_the_models() -> None:
    # html2text glues the paragraph above a table to its header row ("...rates: ≤ 200K ...| > 200K").
    page = fixture("pricing.md")
    header = "≤ 200K input tokens| > 200K input tokens"
    assert header in page
    start = page.index("When using Claude Sonnet 4 or Sonnet 4.5")
    prose_end = page.index("\n", start)
    glued = page[:prose_end] + " " + page[page.index(header):]
    glued = glued.replace("The 1M token context window is only available for Claude Sonnet 4 and Sonnet 4.5.", "")
    got = prices(anthropic.parse(glued, URL))
    assert {k: v for k, v in got.items() if k[2] == "context>200k"} == {
        **pair("claude-sonnet-4", "context>200k", "5", "18.75"), **pair("claude-sonnet-4-5", "context>200k", "5", "18.75")}


def test_dates_inside_a_status_note_never_schedule_a_price() -> None:
    page = ("| Model | Base Input Tokens | Output Tokens |\n|---|---|---|\n"
            "| Claude Opus 4 ([retired from October 28, 2025, except on Google Cloud](https://x.test)) "
            "| $15 / MTok | $75 / MTok |\n"
            "| Claude Sonnet 5 (starting September 1, 2026) | $3 / MTok | $15 / MTok |\n")
    quotes = anthropic.parse(page)
    assert prices(quotes) == pair("claude-opus-4", "standard", "15", "75")
    assert {q.note for q in quotes if q.model == "claude-opus-4"} == {
        "retired from October 28, 2025, except on Google Cloud"}
    assert scheduled(quotes) == {("claude-sonnet-5", "input", "standard", SEPT_1_2026): Decimal("3"),
                                 ("claude-sonnet-5", "output", "standard", SEPT_1_2026): Decimal("15")}


def test_a_context_threshold_column_in_the_model_table_is_its_own_tier() -> None:
    page = ("| Model | Base Input Tokens | Input (> 200K tokens) | Output Tokens | Output (> 200K tokens) |\n"
            "|---|---|---|---|---|\n| Claude Sonnet 4.5 | $3 / MTok | $6 / MTok | $15 / MTok | $22.50 / MTok |\n"
            "\n| Model | Batch input | Batch input (> 200K) |\n|---|---|---|\n| Claude Sonnet 4.5 | $1.50 / MTok | $3 / MTok |\n")
    reading = anthropic.read(page)
    assert prices(reading.quotes) == {
        **pair("claude-sonnet-4-5", "standard", "3", "15"), **pair("claude-sonnet-4-5", "context>200k", "6", "22.50"),
        ("claude-sonnet-4-5", "input", "batch"): Decimal("1.50"),
        ("claude-sonnet-4-5", "input", "batch context>200k"): Decimal("3")}  # the batch tier's own over 200K
    assert not any("context threshold" in r for r in reasons(reading))


def test_opus_and_later_names_later_opus_models_only() -> None:
    page = fixture("2026-08-standard-pricing-prose.md").replace(
        "| Model                           | Input      | Output     |\n"
        "| ------------------------------- | ---------- | ---------- |\n"
        "| Claude Opus 5 / Claude Opus 4.8 | $8 / MTok  | $40 / MTok |",
        "| Input      | Output     |\n| ---------- | ---------- |\n| $8 / MTok  | $40 / MTok |").replace(
        "for Claude Opus 5 and Claude Opus 4.8 at", "for Claude Opus 4.8 and later models at")
    fast = {q.model for q in anthropic.parse(page) if q.tier == "fast"}
    assert fast == {"claude-opus-5", "claude-opus-4-8"}  # not Sonnet 5 nor Fable 5, though newer


def test_select_all_text_copy_tab_separated_tables() -> None:
    reading = anthropic.read(fixture("2026-02-select-all-textcopy.txt"))
    assert prices(reading.quotes) == {
        **standard("claude-opus-4-6", "4", "5", "8", "0.40", "20"),
        **standard("claude-sonnet-4-5", "2.40", "3", "4.80", "0.24", "12"),
        **standard("claude-3-5-haiku", "0.64", "0.80", "1.28", "0.064", "3.20"),
        **batch("claude-opus-4-6", "2", "10"), **batch("claude-sonnet-4-5", "1.20", "6"),
        **batch("claude-3-5-haiku", "0.32", "1.60"),
        **pair("claude-opus-4-6", "fast", "24", "120"),
        **pair("claude-opus-4-6", "context>200k", "8", "30"), **pair("claude-sonnet-4-5", "context>200k", "4.80", "18"),
    }
    assert {q.note for q in reading.quotes if q.model == "claude-3-5-haiku"} == {"deprecated"}


def test_html_to_text_copy_with_glued_cells() -> None:
    quotes = anthropic.parse(fixture("html-to-text-glued.txt"))
    assert prices(quotes) == {
        **standard("claude-opus-4-8", "4", "5", "8", "0.40", "20"),
        **standard("claude-opus-4-1", "12", "15", "24", "1.20", "60"),
        **standard("claude-sonnet-5", "1.60", "2", "3.20", "0.16", "8"),
        **standard("claude-haiku-4-5", "0.80", "1", "1.60", "0.08", "4"),
        **batch("claude-opus-4-8", "2", "10"), **batch("claude-haiku-4-5", "0.40", "2"),
    }
    assert scheduled(quotes) == {(m, c, t, SEPT_1_2026): v for (m, c, t), v in
                                 standard("claude-sonnet-5", "2.40", "3", "4.80", "0.24", "12").items()}


def test_a_price_table_whose_kind_the_page_does_not_say_is_reported_not_read() -> None:
    """A copy kept the fast-mode table but dropped its heading and prose: ``Model | Input | Output``
    with ``Claude Opus 4.8 / Claude Opus 4.7 | $10 / MTok | $50 / MTok``.  It is not standard
    (those are in the model table), and fast mode is a guess: skipped, and said so."""
    page = ("| Model | Base Input Tokens | 5m Cache Writes | 1h Cache Writes | Cache Hits & Refreshes | Output Tokens |\n"
            "|---|---|---|---|---|---|\n| Claude Opus 4.8 | $5 / MTok | $6.25 / MTok | $10 / MTok | $0.50 / MTok |"
            " $25 / MTok |\n\n| Model | Input | Output |\n|---|---|---|\n"
            "| Claude Opus 4.8 / Claude Opus 4.7 | $10 / MTok | $50 / MTok |\n")
    reading = anthropic.read(page)
    assert {tier for _, _, tier in prices(reading.quotes)} == {"standard"}
    assert prices(reading.quotes)[("claude-opus-4-8", "output", "standard")] == Decimal("25")
    assert "page / unnamed table :: a table of per-token prices whose kind (fast mode, long context, ...) the page" \
           " does not say: not recorded :: Model | Input | Output" in reasons(reading)
