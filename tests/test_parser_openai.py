"""OpenAI's platform pricing page: tier tables, cached input, '-' as no price, HTML and Jina Markdown."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from parsers import openai, registry
from parsers.quote import ParseError, Quote, Reading, quotes_to_json

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


def test_registered_and_cli_prints_json() -> None:
    assert registry.parser_module("openai") is openai
    out = subprocess.run(
        [sys.executable, "-m", "scraper", "parse", "--provider", "openai", str(FIXTURES / "pricing.html"), "--json"],
        capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[1]).stdout
    rows = json.loads(out)
    assert len(rows) == len(PAGE)
    assert {"model": "o3", "component": "input_cache_hit", "tier": "flex", "price": "0.225"}.items() <= next(
        r for r in rows if (r["model"], r["component"], r["tier"]) == ("o3", "input_cache_hit", "flex")).items()


def reasons(reading: Reading) -> list[str]:
    return [f"{s.where}: {s.reason}" for s in reading.skipped]


# --- the 2025 fixtures, changed: odd cells and tables are skipped with a reason, never fatal -------

MD = "pricing-jina.md"


@pytest.mark.parametrize(("old", "new", "gone", "reason"), [
    ("| gpt-5 | $1.20 |", "| gpt-5 | $1.20 / 1K tokens |", {("gpt-5", "input", "standard")},
     "'Text tokens' standard table, gpt-5 input: not one price per 1M tokens"),
    ("| gpt-5-mini | $0.24 | $0.024 |", "| gpt-5-mini | $0.24 | 20% off |",
     {("gpt-5-mini", "input_cache_hit", "standard")},
     "'Text tokens' standard table, gpt-5-mini input_cache_hit: not one price per 1M tokens"),
    ("| gpt-4o-2024-05-13 |", "| GPT-4o (May 2024) |",
     {("gpt-4o-2024-05-13", "input", "standard"), ("gpt-4o-2024-05-13", "output", "standard")},
     "'Text tokens' standard table, row 'GPT-4o (May 2024)': the Model cell is not a model id"),
    ("| gpt-3.5-turbo | $0.48 |", "| gpt-4o | $2.50 | $10.00 |\n| gpt-3.5-turbo | $0.48 |",
     {("gpt-4o", "input", "standard"), ("gpt-4o", "output", "standard")},
     "gpt-4o standard input: listed twice with different prices: neither is recorded"),
])
def test_an_odd_cell_or_row_is_skipped_and_the_rest_is_read(old: str, new: str, gone: set, reason: str) -> None:
    page = fixture(MD)
    assert old in page
    reading = openai.read(page.replace(old, new, 1), URL)
    assert prices(reading.quotes) == {k: v for k, v in PAGE.items() if k not in gone}
    assert reason in reasons(reading)


def test_a_tab_strip_written_one_tab_per_line_is_not_taken_for_the_label() -> None:
    """``Batch / Flex / Priority / Batch``: a strip, then the active tab's own label."""
    strip = "Prices per 1M tokens.\n\nBatch\n\nFlex\n\nStandard\n\nPriority\n\nBatch"
    page = fixture(MD).replace("Prices per 1M tokens.\n\nBatch", strip, 1)
    assert prices(openai.parse(page, URL)) == PAGE
    # a strip with no label after it: the first table's tab is unknown (the strip order is not the
    # table order on every date), so it is skipped; the labelled tables are still read
    page = fixture(MD).replace("Prices per 1M tokens.\n\nBatch", "Prices per 1M tokens.\n\nFlex\n\nBatch", 1)
    reading = openai.read(page, URL)
    assert prices(reading.quotes) == {k: v for k, v in PAGE.items()
                                      if not (k[2] == "batch" and not k[0].startswith(("gpt-4-", "gpt-3", "text-")))}
    assert "'Text tokens' table: the table's service tier is not labelled and the tabs do not say which it is" \
        in reasons(reading)


def test_labels_that_are_neither_a_label_nor_a_strip_are_not_guessed() -> None:
    page = fixture(MD).replace("Prices per 1M tokens.\n\nBatch", "Prices per 1M tokens.\n\nFlex\n\nFlex\n\nBatch", 1)
    reading = openai.read(page, URL)
    got = prices(reading.quotes)
    assert ("gpt-5-mini", "input", "batch") not in got and ("gpt-5-mini", "input", "flex") not in got
    assert got[("gpt-5", "input", "flex")] == Decimal("0.60")
    assert "'Text tokens' table: several tier labels above one table" in reasons(reading)


def test_a_section_that_does_not_say_per_1m_tokens_is_skipped() -> None:
    page = fixture(MD).replace("### Legacy models\n\nPrices per 1M tokens.",
                               "### Legacy models\n\nPrices per 1K tokens.")
    reading = openai.read(page, URL)
    assert not any(m.startswith("gpt-4-turbo") for m, _, _ in prices(reading.quotes))
    assert reasons(reading).count("'Legacy models' table: the section does not say its prices are per 1M tokens") == 2


def test_a_page_without_a_price_table_raises() -> None:
    with pytest.raises(ParseError, match=r"^openai: no per-1M-token model price table"):
        openai.parse("<html><body><h1>Pricing</h1><p>Log in to see pricing.</p></body></html>")
    with pytest.raises(ParseError, match="JSON is data"):
        openai.parse('[{"id": "gpt-5"}]')


# --- 2026 layouts: Short/Long context tables, tab bars, modality rows --------------------------------

def short_long(model: str, tier: str, short: tuple, long: tuple | None, threshold: str = "272") -> dict:
    out = row(model, tier, *short)
    if long:
        ctx = f"context>{threshold}k" if tier == "standard" else f"{tier} context>{threshold}k"
        out.update(row(model, ctx, *long))
    return out


JINA_2026 = {
    **row("gpt-5.5", "standard", "5.00", "0.50", "30.00"),
    **row("gpt-5.5-pro", "standard", "30.00", None, "180.00"),
    **row("gpt-5.4-mini", "standard", "0.75", "0.075", "4.50"),
    **row("gpt-5.5", "batch", "2.51", "0.251", "15.01"),
    **row("gpt-5.5-pro", "batch", "15.01", None, "90.01"),
    **row("gpt-5.4-mini", "batch", "0.376", "0.0376", "2.251"),
    **row("gpt-5.5", "flex", "2.52", "0.252", "15.02"),
    **row("gpt-5.5", "priority", "12.50", "1.25", "75.00"),
    **row("gpt-5.4-mini", "priority", "1.50", "0.15", "9.00"),
    **row("gpt-realtime-2", "standard", "4.00", "0.40", "24.00"),
    **row("gpt-image-2", "standard", "5.00", "1.25", None),
    **row("gpt-image-2", "batch", "2.50", "0.625", None),
    **row("chat-latest", "standard", "5.00", "0.50", "30.00"),
    **row("gpt-5.3-codex", "standard", "1.75", "0.175", "14.00"),
    **row("o3-deep-research", "batch", "5.00", None, "20.00"),
    **row("o4-mini-deep-research", "batch", "1.00", None, "4.00"),
    **row("gpt-5.3-codex", "priority", "3.50", "0.35", "28.00"),
}


def test_2026_jina_layout_every_tier_from_its_label_and_no_invented_threshold() -> None:
    reading = openai.read(fixture("2026-jina.md"), URL)
    assert prices(reading.quotes) == JINA_2026
    why = reasons(reading)
    for tier in ("standard", "batch", "flex"):
        assert (f"'Flagship models' {tier} table, Long context columns: long-context prices: the page does not "
                "state the context length they start at") in why
    assert ("'Multimodal models / Realtime and audio generation models' standard table, gpt-realtime-2 audio row: "
            "audio token prices: a quote has no modality (only text token prices are recorded)") in why
    assert "'Multimodal models / Transcription models' table: transcription prices do not say whether they are " \
           "text or audio tokens" in why
    assert "'Finetuning' table: fine-tuning prices are for fine-tuned models, not the base model id" in why
    assert "'Multimodal models / Video generation models' table: the section does not say its prices are per 1M " \
           "tokens" in why


def test_2026_jina_a_threshold_stated_in_the_prose_makes_long_context_tiers() -> None:
    page = fixture("2026-jina.md").replace(
        "Our latest models", "Our latest models. Long context pricing applies to prompts > 272K tokens.")
    got = prices(openai.parse(page, URL))
    assert {k: v for k, v in got.items() if "context>" in k[2]} == {
        **row("gpt-5.5", "context>272k", "10.00", "1.00", "45.00"),
        **row("gpt-5.5-pro", "context>272k", "60.00", None, "270.00"),
        **row("gpt-5.5", "batch context>272k", "5.01", "0.501", "22.51"),
        **row("gpt-5.5", "flex context>272k", "5.02", "0.502", "22.52"),
    }
    assert {k: v for k, v in got.items() if "context>" not in k[2]} == JINA_2026


def test_2026_two_different_thresholds_in_the_prose_are_not_used() -> None:
    page = fixture("2026-jina.md").replace(
        "Our latest models", "Long context applies to prompts > 272K tokens (> 128K tokens for mini models).")
    reading = openai.read(page, URL)
    assert prices(reading.quotes) == JINA_2026


def test_2026_tabs_without_labels_are_read_by_position_only_when_the_counts_match() -> None:
    flagship = fixture("2026-jina.md").split("## Multimodal models")[0]
    unlabelled = flagship.replace("\nStandard\n\n|", "\n|").replace("\nBatch\n\n|", "\n|") \
        .replace("\nFlex\n\n|", "\n|").replace("\nPriority\n\n|", "\n|")
    assert unlabelled.count("|  | Short context |") == 4 and "\nBatch\n" not in unlabelled
    assert prices(openai.parse(unlabelled, URL)) == {k: v for k, v in JINA_2026.items() if k[0].startswith("gpt-5.")
                                                     and k[0] != "gpt-5.3-codex"}
    # the converter also lost the Flex table: 3 tables under 4 tabs cannot be attributed
    flex_start = unlabelled.index("|  | Short context |", unlabelled.index("$90.01"))
    flex_end = unlabelled.index("All models", flex_start)
    three = unlabelled[:flex_start] + unlabelled[flex_end:]
    with pytest.raises(ParseError, match="no per-1M-token model price table"):
        openai.parse(three, URL)
    embeddings = ("\n## Embeddings\n\nPrices per 1M tokens.\n\n| Model | Cost |\n| --- | --- |\n"
                  "| text-embedding-3-small | $0.02 |\n")
    reading_reasons = reasons(openai.read(three + embeddings, URL))
    assert reading_reasons.count("'Flagship models' table: the table's service tier is not labelled and the tabs "
                                 "do not say which it is") == 3


HTML_2026 = {
    **short_long("gpt-5.5", "standard", ("5.00", "0.50", "30.00"), ("10.00", "1.00", "45.00")),
    **short_long("gpt-5.4", "standard", ("2.50", "0.25", "15.00"), ("5.00", "0.50", "22.50")),
    **row("gpt-5.4-nano", "standard", "0.20", "0.02", "1.25"),
    **short_long("gpt-5.5", "batch", ("2.50", "0.25", "15.00"), ("5.00", "0.50", "22.50")),
    **short_long("gpt-5.4", "batch", ("1.25", "0.13", "7.50"), ("2.50", "0.25", "11.25")),
    **row("gpt-5.4", "flex", "1.26", "0.126", "7.56"),
    **row("gpt-5.5", "priority", "12.50", "1.25", "75.00"),
    **row("gpt-realtime-2", "standard", "4.00", "0.40", "24.00"),
    **row("gpt-realtime-mini", "standard", "0.60", "0.06", "2.40"),
}


def test_2026_raw_html_aria_tabs_colspan_groups_and_rowspan_modalities() -> None:
    reading = openai.read(fixture("2026-pricing.html"), URL)
    assert prices(reading.quotes) == HTML_2026
    assert len([s for s in reading.skipped if "audio row" in s.where or "image row" in s.where]) == 3


DOCS_EXPORT = {
    **short_long("gpt-6-luna", "standard", ("0.10", "0.01", "0.50"), ("0.20", "0.02", "0.75")),
    ("gpt-6-luna", "input_cache_write", "standard"): Decimal("0.125"),
    ("gpt-6-luna", "input_cache_write", "context>272k"): Decimal("0.25"),
    **short_long("gpt-5.5-pro", "standard", ("30.00", None, "180.00"), ("60.00", None, "270.00")),
    **row("gpt-5.1", "standard", "1.25", "0.125", "10.00"),
    **short_long("gpt-6-luna", "batch", ("0.05", "0.005", "0.25"), ("0.10", "0.01", "0.375")),
    ("gpt-6-luna", "input_cache_write", "batch"): Decimal("0.0625"),
    ("gpt-6-luna", "input_cache_write", "batch context>272k"): Decimal("0.125"),
    **row("gpt-5.1", "batch", "0.625", "0.0625", "5.00"),
    ("text-embedding-3-small", "input", "standard"): Decimal("0.02"),
    ("text-embedding-3-small", "input", "batch"): Decimal("0.01"),
    ("text-embedding-3-large", "input", "standard"): Decimal("0.13"),
    ("text-embedding-3-large", "input", "batch"): Decimal("0.065"),
}


def test_2026_docs_markdown_export_flat_headers_cache_writes_and_tier_headings() -> None:
    reading = openai.read(fixture("2026-docs-export.md"), URL)
    assert prices(reading.quotes) == DOCS_EXPORT
    assert reasons(reading) == ["'Flagship models' standard table, row 'GPT-6 Sol': the Model cell is not a model id"]


def test_2026_docs_export_a_threshold_in_the_model_cell_is_that_rows_own() -> None:
    page = fixture("2026-docs-export.md").replace(" Long context rates apply to the whole request when the prompt "
                                                  "has more than 272K input tokens.", "")
    page = page.replace("| gpt-5.5-pro (<272K context length) |", "| gpt-5.5-pro (<128K context length) |")
    got = prices(openai.parse(page, URL))
    assert {k for k in got if "context>" in k[2]} == {("gpt-5.5-pro", "input", "context>128k"),
                                                      ("gpt-5.5-pro", "output", "context>128k")}


# --- the real captures --------------------------------------------------------------------------------

REAL_2025 = REAL_PAGES / "2025-10-15-token-tally-platform-pricing-jina.md"
REAL_2026 = REAL_PAGES / "2026-05-08-96a8198-quill-router-pricing-jina.md"
REAL_CHALLENGE = REAL_PAGES / "2026-05-08-d1507e1-quill-router-pricing-botchallenge.html"
needs_real = pytest.mark.skipif(not REAL_PAGES.is_dir(), reason=f"{REAL_PAGES} not present")


@needs_real
def test_every_real_capture_is_covered() -> None:
    names = {p.name for p in REAL_PAGES.iterdir() if "textcopy" not in p.name}
    assert names == {REAL_2025.name, REAL_2026.name, REAL_CHALLENGE.name}


@needs_real
def test_real_2025_jina_capture_spot_values_and_parse_time() -> None:
    text = REAL_2025.read_text(encoding="utf-8")
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


@needs_real
def test_real_2026_jina_capture_spot_values_tiers_and_skips() -> None:
    reading = openai.read(REAL_2026.read_text(encoding="utf-8"), URL)
    got = prices(reading.quotes)
    assert len(got) == 95
    expected = {
        **row("gpt-5.5", "standard", "5.00", "0.50", "30.00"),
        **row("gpt-5.4", "batch", "1.25", "0.13", "7.50"),
        **row("gpt-5.5", "priority", "12.50", "1.25", "75.00"),
        **row("gpt-5.4-mini", "flex", "0.375", "0.0375", "2.25"),
        **row("gpt-5.5-pro", "standard", "30.00", None, "180.00"),
        **row("gpt-realtime-2", "standard", "4.00", "0.40", "24.00"),
        **row("gpt-image-1.5", "batch", "2.50", "0.63", "5.00"),
        **row("o4-mini-deep-research", "batch", "1.00", None, "4.00"),
        **row("gpt-5.3-codex", "priority", "3.50", "0.35", "28.00"),
    }
    assert {k: got[k] for k in expected} == expected
    # the page states no long-context threshold: no long-context tier, a warning per table instead
    assert not any("context" in tier for _, _, tier in got)
    assert sum("Long context columns" in s.where for s in reading.skipped) == 3
    # audio/image token rows, fine-tuning, transcription and per-second video stay out
    assert ("gpt-realtime-2", "input", "standard") in got and got[("gpt-realtime-2", "input", "standard")] != \
        Decimal("32.00")
    assert not any(m.startswith(("o4-mini-2025", "sora", "gpt-4o-transcribe")) for m, _, _ in got)


@needs_real
def test_real_2026_no_price_of_one_tab_lands_in_another() -> None:
    """On this page batch and flex are half of standard, and priority costs more than standard: a
    misattributed table breaks one of these relations (read off the page, model by model)."""
    got = prices(openai.parse(REAL_2026.read_text(encoding="utf-8"), URL))
    flagship = ["gpt-5.5", "gpt-5.5-pro", "gpt-5.4", "gpt-5.4-mini", "gpt-5.4-nano", "gpt-5.4-pro"]
    for model in flagship:
        for component in ("input", "output"):
            standard = got[(model, component, "standard")]
            assert got[(model, component, "batch")] * 2 == standard
            assert got[(model, component, "flex")] == got[(model, component, "batch")]
            if (model, component, "priority") in got:
                assert got[(model, component, "priority")] >= standard * 2
    assert {m for m, _, t in got if t == "priority"} == {"gpt-5.5", "gpt-5.4", "gpt-5.4-mini", "gpt-5.3-codex"}
    assert {m for m, _, t in got if t == "flex"} == set(flagship)


@needs_real
def test_real_bot_challenge_capture_is_reported_as_blocked() -> None:
    with pytest.raises(ParseError) as err:
        openai.read(REAL_CHALLENGE.read_text(encoding="utf-8"), URL)
    assert str(err.value).startswith("openai: blocked: the body is a bot-challenge/interstitial page "
                                     "(Cloudflare challenge (_cf_chl_opt))")
    assert "no prices" in str(err.value)


# --- openai.com/api/pricing: price cards with display names ------------------------------------------

def test_price_cards_ids_by_rule_unknown_names_warned_and_tabbed_sections_skipped() -> None:
    reading = openai.read(fixture("api-pricing-cards.md"), "https://openai.com/api/pricing/")
    assert prices(reading.quotes) == {
        **row("gpt-5.5", "standard", "5.00", "0.50", "30.00"),
        **row("gpt-5.4-mini", "standard", "0.75", "0.075", "4.50"),
        **row("gpt-nova-1", "standard", "9.00", None, "90.00"),
    }
    assert reasons(reading) == [
        "'Fine-tuning' table: fine-tuning prices are for fine-tuned models, not the base model id",
        "'GPT Nova 1' card 'GPT Nova 1': model id 'gpt-nova-1' derived by rule from display name (lower case, "
        "spaces to hyphens); its prices are recorded",
        "'Realtime API' card 'GPT Realtime': the section has tier tabs: a card's tier is not known",
    ]


def test_cards_written_on_one_line_each() -> None:
    page = ("# API Pricing\n\n## Models\n\nGPT-5 Input: $1.250 / 1M tokens Cached input: $0.125 / 1M tokens "
            "Output: $10.000 / 1M tokens\n\nGPT-5 mini Input: $0.250 / 1M tokens Output: $2.000 / 1M tokens\n")
    assert prices(openai.parse(page)) == {**row("gpt-5", "standard", "1.250", "0.125", "10.000"),
                                          **row("gpt-5-mini", "standard", "0.250", None, "2.000")}


def test_2026_tables_without_outer_pipes_keep_their_column_groups() -> None:
    page = "\n".join(line.strip()[1:-1].strip() if line.startswith("|") and line.rstrip().endswith("|") else line
                     for line in fixture("2026-jina.md").split("\n"))
    assert "\nShort context | Long context\n" not in page and "| Short context | Long context\n" in page
    assert prices(openai.parse(page, URL)) == JINA_2026
    with_threshold = page.replace("Our latest models", "Our latest models. Long context: prompts > 272K tokens.")
    got = prices(openai.parse(with_threshold, URL))
    assert got[("gpt-5.5", "output", "context>272k")] == Decimal("45.00")
    assert got[("gpt-5.5", "output", "flex context>272k")] == Decimal("22.52")


def test_price_cards_in_raw_html_with_the_unit_in_its_own_element() -> None:
    assert prices(openai.parse(fixture("api-pricing-cards.html"), "https://openai.com/api/pricing/")) == {
        **row("gpt-5.5", "standard", "5.00", "0.50", "30.00"),
        **row("gpt-5.4-nano", "standard", "0.20", None, "1.25"),
    }


def test_html2text_grouped_header_short_first_row_and_glued_footnote() -> None:
    """html2text drops colspans: the group row is short (``Model| Short context| Long context``),
    the names row lacks the Model cell, and a ``<sup>1</sup>`` after a linked id becomes a bare ``1``.
    The groups are spread over the repeated Input/Cached input/Output runs, never misread."""
    reading = openai.read(fixture("2026-html2text-grouped.md"), URL)
    long = "context>272k"
    expected = {
        **row("gpt-5.5", "standard", "5.00", "0.50", "30.00"),
        **row("gpt-5.5", long, "10.00", "1.00", "45.00"),
        **row("gpt-5.4-mini", "standard", "0.75", "0.075", "4.50"),
        **row("gpt-5.5", "batch", "2.50", "0.25", "15.00"),
        **row("gpt-5.5", f"batch {long}", "5.00", "0.50", "22.50"),
        **row("gpt-5.5", "flex", "2.50", "0.25", "15.00"),
        **row("gpt-5.5", "priority", "12.50", "1.25", "75.00"),
    }
    assert prices(reading.quotes) == expected


def test_group_row_over_unequal_runs_is_not_spread() -> None:
    """Two groups over columns that are not the same run twice: which price is long context is a
    guess, so the table is skipped with the reason rather than read."""
    page = ("## Models\n\nPrices per 1M tokens.\n\n"
            "|  | Short context | Long context |  |  |\n| --- | --- | --- | --- | --- |\n"
            "| Model | Input | Output | Output | Input |\n"
            "| `gpt-5.5` | $5.00 | $30.00 | $45.00 | $10.00 |\n")
    with pytest.raises(ParseError):
        openai.read(page, URL)


def test_group_row_over_a_table_cut_to_its_header_width_is_not_read() -> None:
    """Python-Markdown cuts rows to the first header row's width: ``Input`` lands under Short
    context and ``Cached input`` under Long; read as groups, $0.50 would be a long-context price."""
    page = ("<html><body><h2>Models</h2><p>Prices per 1M tokens. Long context applies to prompts over"
            " 272K tokens.</p><table><thead><tr><th></th><th>Short context</th><th>Long context</th></tr>"
            "</thead><tbody><tr><td>Model</td><td>Input</td><td>Cached input</td></tr>"
            "<tr><td>gpt-5.5</td><td>$5.00</td><td>$0.50</td></tr></tbody></table>"
            "<h2>Other models</h2><p>Prices per 1M tokens.</p>"
            "<table><tr><th>Model</th><th>Input</th><th>Output</th></tr>"
            "<tr><td>gpt-4.1</td><td>$2.00</td><td>$8.00</td></tr></table></body></html>")
    reading = openai.read(page, URL)
    assert prices(reading.quotes) == row("gpt-4.1", "standard", "2.00", None, "8.00")
    assert any("column groups" in s.reason for s in reading.skipped)


def test_an_embeddings_table_that_names_its_tiers_in_its_columns_needs_no_tab() -> None:
    """``Model | Cost | Batch cost`` shows the standard and the batch price side by side: it is no
    tab's table, so a page whose tabs cannot say which table is which (a crawl that turned the
    headings into empty ``###`` lines) still gives both prices."""
    page = ("Pricing OpenAI\n=======\n\n### \n\nImage generation\n\nPrices per image.\n\n"
            "|Model|Quality|1024 x 1024|1024 x 1536|\n|---|---|---|---|\n|DALL·E 3|Standard|$0.04|$0.08|\n"
            "|HD|$0.08|$0.12|\n\n### \n\nEmbeddings\n\nPrices per 1M tokens.\n\n"
            "|Model|Cost|Batch cost|\n|---|---|---|\n|text-embedding-3-small|$0.02|$0.01|\n"
            "|text-embedding-3-large|$0.13|$0.065|\n")
    reading = openai.read(page)
    assert {(q.model, q.component, q.tier): q.price for q in reading.quotes} == {
        ("text-embedding-3-small", "input", "standard"): Decimal("0.02"),
        ("text-embedding-3-small", "input", "batch"): Decimal("0.01"),
        ("text-embedding-3-large", "input", "standard"): Decimal("0.13"),
        ("text-embedding-3-large", "input", "batch"): Decimal("0.065")}


def test_price_cards_whose_price_block_is_a_heading_under_the_model_heading() -> None:
    """A Jina copy of openai.com/api/pricing (2025-12) gives each card's model as a heading and its
    ``### Price`` as a heading under it: still that model's card.  A ``### Fine-tuning price``
    under ``GPT-4.1`` is a fine-tuned model's price, never the base model's: no card is read."""
    page = ("Title: Pricing\n\nURL Source: http://openai.com/api/pricing/\n\nMarkdown Content:\n"
            "Flagship models\n---------------\n\nOur frontier models.\n\n"
            "GPT-5.2\n-------\n\nThe best model for coding\n\n### Price\n\nInput:\n\n$1.750 / 1M tokens\n\n"
            "Cached input:\n\n$0.175 / 1M tokens\n\nOutput:\n\n$14.000 / 1M tokens\n\n"
            "GPT-5 mini\n----------\n\nA faster, cheaper version\n\n### Price\n\nInput:\n\n$0.250 / 1M tokens\n\n"
            "Cached input:\n\n$0.025 / 1M tokens\n\nOutput:\n\n$2.000 / 1M tokens\n\n"
            "### Fine-tuning our models\n\nGPT-4.1\n-------\n\n### Fine-tuning price\n\nInput:\n\n$3.00 / 1M tokens\n\n"
            "Output:\n\n$12.00 / 1M tokens\n\nTraining:\n\n$25.00 / 1M tokens\n")
    reading = openai.read(page)
    assert {(q.model, q.component, q.tier): q.price for q in reading.quotes} == {
        ("gpt-5.2", "input", "standard"): Decimal("1.750"), ("gpt-5.2", "input_cache_hit", "standard"): Decimal("0.175"),
        ("gpt-5.2", "output", "standard"): Decimal("14.000"), ("gpt-5-mini", "input", "standard"): Decimal("0.250"),
        ("gpt-5-mini", "input_cache_hit", "standard"): Decimal("0.025"),
        ("gpt-5-mini", "output", "standard"): Decimal("2.000")}
    assert ("'Fine-tuning price' card ''", "no model name above the card's prices") in [
        (s.where, s.reason) for s in reading.skipped]


def test_the_2026_fast_and_ultrafast_tabs_are_their_own_tiers() -> None:
    """OpenAI renamed Priority processing to Fast mode (2026-07-30) and added Ultrafast: a table
    under a ``Fast`` or ``Ultrafast`` label is that tier's, as ``Batch`` is batch.  The strip names a
    Flex tab the copy has no table for: the tables' own labels decide."""
    reading = openai.read((Path(__file__).parent / "fixtures" / "openai" / "2026-10-fast-tabs-jina.md")
                          .read_text(encoding="utf-8"))
    got = {(q.model, q.component, q.tier): q.price for q in reading.quotes}
    assert {k: v for k, v in got.items() if k[2] in ("fast", "ultrafast")} == {
        ("gpt-6-luna", "input", "fast"): Decimal("0.20"), ("gpt-6-luna", "input_cache_hit", "fast"): Decimal("0.02"),
        ("gpt-6-luna", "output", "fast"): Decimal("1.00"), ("gpt-6-astra", "input", "fast"): Decimal("20.00"),
        ("gpt-6-astra", "input_cache_hit", "fast"): Decimal("2.00"), ("gpt-6-astra", "output", "fast"): Decimal("100.00"),
        ("gpt-6-astra", "input", "ultrafast"): Decimal("60.00"),
        ("gpt-6-astra", "input_cache_hit", "ultrafast"): Decimal("6.00"),
        ("gpt-6-astra", "output", "ultrafast"): Decimal("300.00")}
    assert got[("gpt-6-luna", "input", "batch")] == Decimal("0.05") and len(got) == 18
    assert reading.skipped == []


def test_2026_jina_page_whose_headings_a_converter_dropped_keeps_each_tab_from_its_label() -> None:
    """A converter that writes headings as plain lines leaves one section: the docs menu's
    "Priority processing", "Batch" and "Flex processing" links are then tab labels met before the
    first tab strip.  The strip starts the tabs of the tables after it, so the menu names none of
    them; the realtime table, alone in its section with the headings, is now one unlabelled table
    among many: skipped, never given a tier."""
    menu = "*   [Embeddings](https://platform.openai.com/api/docs/guides/embeddings)"
    page = fixture("2026-jina.md").replace(menu, menu + "\n"
        "*   [Priority processing](https://platform.openai.com/api/docs/guides/priority-processing)\n"
        "*   [Batch](https://platform.openai.com/api/docs/guides/batch)\n"
        "*   [Flex processing](https://platform.openai.com/api/docs/guides/flex-processing)")
    flat = re.sub(r"^#{1,6}[ \t]+", "", page, flags=re.M)
    assert "\n## " not in flat and "\nBatch\n" in flat
    reading = openai.read(flat, URL)
    assert prices(reading.quotes) == {k: v for k, v in JINA_2026.items() if k[0] != "gpt-realtime-2"}
    assert "'page top' table: the table's service tier is not labelled and the tabs do not say which it is" \
        in reasons(reading)


def test_html2text_page_without_heading_marks_reads_a_strips_own_run_of_tables_by_position() -> None:
    """One section once the headings are plain lines: the four unlabelled tables right after the
    four-tab strip are its tabs, in order, though the Fine-tuning table (after the next section's
    unit line) is in the section too.  A converter that also lost the Batch table leaves three:
    counted with the Fine-tuning table they were four, and the Flex prices read as Batch's."""
    page = fixture("2026-html2text-grouped.md")
    flat = re.sub(r"^#{1,6}[ \t]+", "", page, flags=re.M)
    assert "\n## " not in flat and "\nFine-tuning\n" in flat
    assert prices(openai.parse(flat, URL)) == prices(openai.parse(page, URL))
    assert {k[2] for k in prices(openai.parse(flat, URL))} >= {"standard", "batch", "flex", "priority"}
    second = flat.index("Model| Short context", flat.index("Model| Short context") + 1)
    third = flat.index("Model| Short context", second + 1)
    three = flat[:second] + flat[third:]
    assert three.count("Model| Short context") == 3 and "$12.50" in three and "$15.00| $5.00" not in three
    with pytest.raises(ParseError, match="the tabs do not say which it is"):
        openai.parse(three, URL)
