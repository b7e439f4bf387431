"""Gemini parser (provider ``google``): paid-tier prices from the ai.google.dev pricing page, as
HTML and as Jina Markdown, with context, modality and batch tiers."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from parsers import gemini, registry
from parsers.document import read_document
from parsers.quote import ParseError, Quote

FIXTURES = Path(__file__).parent / "fixtures" / "gemini"
REAL_PAGES = Path(__file__).resolve().parents[2] / "shared" / "real-pages" / "gemini"

D = Decimal


def prices(quotes: list[Quote]) -> dict[tuple[str, str, str], Decimal]:
    """(model, component, tier) -> price; every Gemini quote is in USD."""
    assert {q.currency for q in quotes} == {"USD"}
    out = {(q.model, q.component, q.tier): q.price for q in quotes}
    assert len(out) == len(quotes), "one quote per series"
    return out


def read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


FLASH = {
    ("gemini-2.5-flash", "input", "standard"): D("0.32"),
    ("gemini-2.5-flash", "input", "audio"): D("1.10"),
    ("gemini-2.5-flash", "output", "standard"): D("2.60"),
    ("gemini-2.5-flash", "input_cache_hit", "standard"): D("0.032"),
    ("gemini-2.5-flash", "input_cache_hit", "audio"): D("0.11"),
    ("gemini-2.5-flash", "input", "batch"): D("0.16"),
    ("gemini-2.5-flash", "input", "batch audio"): D("0.55"),
    ("gemini-2.5-flash", "output", "batch"): D("1.30"),
    ("gemini-2.5-flash", "input_cache_hit", "batch"): D("0.032"),
    ("gemini-2.5-flash", "input_cache_hit", "batch audio"): D("0.11"),
}


def test_html_page_gives_every_paid_token_price_with_its_tier() -> None:
    quotes = gemini.parse(read("pricing.html"), gemini.PRICING_URL)
    native_audio = {
        ("input", "standard"): D("0.55"), ("input", "audio/video"): D("3.20"),
        ("output", "standard"): D("2.10"), ("output", "audio"): D("12.50"),
    }
    assert prices(quotes) == {
        ("gemini-2.5-pro", "input", "standard"): D("1.30"),
        ("gemini-2.5-pro", "input", "context>200k"): D("2.60"),
        ("gemini-2.5-pro", "output", "standard"): D("10.50"),
        ("gemini-2.5-pro", "output", "context>200k"): D("15.50"),
        ("gemini-2.5-pro", "input_cache_hit", "standard"): D("0.13"),
        ("gemini-2.5-pro", "input_cache_hit", "context>200k"): D("0.26"),
        ("gemini-2.5-pro", "input", "batch"): D("0.65"),
        ("gemini-2.5-pro", "input", "batch context>200k"): D("1.30"),
        ("gemini-2.5-pro", "output", "batch"): D("5.25"),
        ("gemini-2.5-pro", "output", "batch context>200k"): D("7.75"),
        ("gemini-2.5-pro", "input_cache_hit", "batch"): D("0.13"),
        ("gemini-2.5-pro", "input_cache_hit", "batch context>200k"): D("0.26"),
        **FLASH,
        **{("gemini-2.5-flash-native-audio-preview-09-2025", c, t): p for (c, t), p in native_audio.items()},
        **{("gemini-live-2.5-flash-preview", c, t): p for (c, t), p in native_audio.items()},
        ("gemini-2.5-flash-image-preview", "input", "standard"): D("0.32"),
        ("gemini-2.5-flash-image-preview", "input", "batch"): D("0.16"),
        ("gemini-2.0-flash", "input", "standard"): D("0.11"),
        ("gemini-2.0-flash", "input", "audio"): D("0.72"),
        ("gemini-2.0-flash", "output", "standard"): D("0.42"),
        ("gemini-2.0-flash", "input_cache_hit", "standard"): D("0.027"),
        ("gemini-2.0-flash", "input_cache_hit", "audio"): D("0.18"),
        ("gemini-embedding-001", "input", "standard"): D("0.16"),
        ("gemini-embedding-001", "input", "batch"): D("0.08"),
    }
    pro_long = next(q for q in quotes if q.key == ("google", "gemini-2.5-pro", "output", "context>200k", "USD"))
    assert (pro_long.price_text, pro_long.note, pro_long.source_url) == (
        "$15.50, prompts > 200k", "Output price (including thinking tokens)", gemini.PRICING_URL)


def test_jina_markdown_names_only_models_whose_heading_survived() -> None:
    result = gemini.read(read("pricing-jina.md"))
    assert prices(result.quotes) == {
        **FLASH,
        ("gemini-2.5-computer-use-preview-10-2025", "input", "standard"): D("1.30"),
        ("gemini-2.5-computer-use-preview-10-2025", "input", "context>200k"): D("2.60"),
        ("gemini-2.5-computer-use-preview-10-2025", "output", "standard"): D("10.50"),
        ("gemini-2.5-computer-use-preview-10-2025", "output", "context>200k"): D("15.50"),
    }
    assert [f"{x.where}: {x.reason}" for x in gemini.read(read("pricing-jina.md")).skipped] == [
        "'Paid' table: price table with no model id above it",
        "'Paid' table: price table with no model id above it",
        "'Gemini 2.5 Flash' standard table, 'Context caching price': not a price per 1M tokens "
        "(per image, minute, hour or request, or storage)",
        "'Gemini 2.5 Flash' standard table, row 'Live API': not a per-token price of input, output or cache",
        "'Gemini 2.5 Flash' batch table, 'Context caching price': not a price per 1M tokens "
        "(per image, minute, hour or request, or storage)",
        "'Gemini 2.5 Flash' table after prose: price table after another model's prose: its model heading is missing",
        "'Veo 3' table: not priced per 1M tokens (per image, second or request)",
        "'Veo 3' table after prose: price table after another model's prose: its model heading is missing",
    ]
    assert len(result.skipped) == 8


def test_html_and_markdown_agree_on_the_same_model() -> None:
    html = {k: v for k, v in prices(gemini.parse(read("pricing.html"))).items() if k[0] == "gemini-2.5-flash"}
    markdown = {k: v for k, v in prices(gemini.parse(read("pricing-jina.md"))).items()
                if k[0] == "gemini-2.5-flash"}
    assert html == markdown == FLASH


def table(*rows: str, header: str = "Paid Tier, per 1M tokens in USD") -> str:
    body = "".join(f"<tr><td>{label}</td><td>Free of charge</td><td>{cell}</td></tr>"
                   for label, cell in (r.split("|") for r in rows))
    return (f"<table><thead><tr><th></th><th>Free Tier</th><th>{header}</th></tr></thead>"
            f"<tbody>{body}</tbody></table>")


def page(*parts: str) -> str:
    return "<html><body><main>" + "".join(parts) + "</main></body></html>"


MODEL = '<h2 id="m">Model M</h2><em><code>model-m</code></em>'


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("$2.00, prompts &gt;= 128k tokens", {"context>128k": D("2.00")}),
        ("$1, prompts &lt;= 128k tokens<br>$2, prompts &gt; 128k tokens", {"standard": D("1"), "context>128k": D("2")}),
        ("$0.50 (text)", {"standard": D("0.50")}),
        ("$3.00 (audio)", {"standard": D("3.00")}),
        ("$0.039 per image*", {}),
        ("$4.50 / 1,000,000 tokens per hour (storage price)<br>$0.20", {"standard": D("0.20")}),
        ("$0.025 / 1,000,000 tokens (text)<br>$0.175 / 1,000,000 tokens (audio)",
         {"standard": D("0.025"), "audio": D("0.175")}),
    ],
)
def test_paid_cell_prices_become_tiers(cell: str, expected: dict[str, Decimal]) -> None:
    result = {q.tier: q.price for q in gemini.parse(page(MODEL, table(f"Input price|{cell}", "Output price|$9")))
              if q.component == "input"}
    assert result == expected


def test_free_tier_and_non_token_tables_are_not_prices() -> None:
    quotes = gemini.parse(page(
        MODEL, table("Input price|Not available", "Output price|$5"),
        "<h2>Video</h2><em><code>video-1</code></em>",
        table("Video price|$0.40", header="Paid Tier, per second in USD"),
    ))
    assert [(q.model, q.component, q.tier, q.price) for q in quotes] == [("model-m", "output", "standard", D("5"))]


def test_two_prices_for_one_tier_skip_the_cell_and_keep_the_rest() -> None:
    reading = gemini.read(page(MODEL, table("Input price|$1 (text)<br>$2 (text / image)", "Output price|$9")))
    assert [(q.component, q.tier, q.price) for q in reading.quotes] == [("output", "standard", D("9"))]
    assert [(s.text, s.reason) for s in reading.skipped] == [
        ("$1 (text) $2 (text / image)", "two prices for tier 'standard' in one cell")]


def test_a_price_in_another_currency_than_the_header_is_skipped() -> None:
    reading = gemini.read(page(MODEL, table("Input price|€1", "Output price|$9")))
    assert [(q.component, q.price) for q in reading.quotes] == [("output", D("9"))]
    assert [(s.where, s.reason) for s in reading.skipped] == [
        ("'Model M' standard table, 'Input price'", "not in USD, the table's currency")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (page(MODEL, "<p>Pricing moved to the Cloud console.</p>"), "no 'Paid Tier, per 1M tokens' table with a price"),
        (page("<h2>Model M</h2>", table("Input price|$1")), "1 paid per-1M-token price tables, none under a model id"),
        (page(MODEL, table("Input price|Not available")), "no 'Paid Tier, per 1M tokens' table with a price"),
        ("[]", "JSON is data, not a page"),
    ],
)
def test_pages_without_model_prices_raise_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        gemini.parse(text, gemini.PRICING_URL)


def test_cli_prints_the_fixture_quotes_as_json() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "scraper", "parse", "--provider", "google", "--json", str(FIXTURES / "pricing.html")],
        capture_output=True, text=True, check=True,
    ).stdout
    rows = {(r["model"], r["component"], r["tier"]): r["price"] for r in json.loads(out)}
    assert rows[("gemini-2.5-pro", "input", "context>200k")] == "2.6"
    assert rows[("gemini-2.5-pro", "output", "batch")] == "5.25"
    assert "google" in registry.providers()


# --- the real capture, when the shared folder is there ---------------------------------------------

@pytest.mark.skipif(not REAL_PAGES.is_dir(), reason=f"{REAL_PAGES} not present")
def test_real_jina_capture() -> None:
    text = (REAL_PAGES / "2025-10-08-token-tally-ai-google-dev-pricing-jina.md").read_text(encoding="utf-8")
    read_document("# warm-up\n")  # the reader's one-time import is not parsing
    start = time.perf_counter()
    result = gemini.read(text)
    assert time.perf_counter() - start < 0.5
    # Jina dropped all model headings but two (Veo 3, per second; Computer Use): only one model is named.
    assert prices(result.quotes) == {
        ("gemini-2.5-computer-use-preview-10-2025", "input", "standard"): D("1.25"),
        ("gemini-2.5-computer-use-preview-10-2025", "input", "context>200k"): D("2.50"),
        ("gemini-2.5-computer-use-preview-10-2025", "output", "standard"): D("10.00"),
        ("gemini-2.5-computer-use-preview-10-2025", "output", "context>200k"): D("15.00"),
    }
    assert len(result.skipped) == 28


# --- 2026 layouts: four tabs per model, tab bars, "a and b" ids, odd cells ---------------------------

def tiers_of(model: str, pairs: dict[tuple[str, str], str]) -> dict[tuple[str, str, str], Decimal]:
    return {(model, component, tier): D(price) for (component, tier), price in pairs.items()}


PRO_31 = {
    ("input", "standard"): "2.00", ("input", "context>200k"): "4.00",
    ("output", "standard"): "12.00", ("output", "context>200k"): "18.00",
    ("input_cache_hit", "standard"): "0.20", ("input_cache_hit", "context>200k"): "0.40",
    ("input", "batch"): "1.01", ("input", "batch context>200k"): "2.01",
    ("output", "batch"): "6.01", ("output", "batch context>200k"): "9.01",
    ("input", "flex"): "1.02", ("input", "flex context>200k"): "2.02",
    ("output", "flex"): "6.02", ("output", "flex context>200k"): "9.02",
    ("input", "priority"): "3.60", ("input", "priority context>200k"): "7.20",
    ("output", "priority"): "21.60", ("output", "priority context>200k"): "32.40",
}
JINA_2026 = {
    **tiers_of("gemini-3.1-pro-preview", {**PRO_31, ("input_cache_hit", "batch"): "0.201",
                                          ("input_cache_hit", "batch context>200k"): "0.401"}),
    **tiers_of("gemini-3.1-pro-preview-customtools", {**PRO_31, ("input_cache_hit", "batch"): "0.201",
                                                      ("input_cache_hit", "batch context>200k"): "0.401"}),
    **tiers_of("gemini-3.1-flash-live-preview", {
        ("input", "standard"): "0.75", ("input", "audio"): "3.00", ("input", "image/video"): "1.00",
        ("output", "standard"): "4.50", ("output", "audio"): "12.00"}),
    **tiers_of("gemini-3-pro-image-preview", {
        ("input", "standard"): "2.00", ("output", "standard"): "12.00", ("output", "image"): "120.00",
        ("input", "batch"): "1.00", ("output", "batch"): "6.00"}),
    **tiers_of("gemini-2.5-flash", {
        ("input", "standard"): "0.30", ("input", "audio"): "1.00", ("output", "standard"): "2.50",
        ("input_cache_hit", "standard"): "0.03", ("input_cache_hit", "audio"): "0.1",
        ("input", "batch"): "0.15", ("input", "batch audio"): "0.50", ("output", "batch"): "1.25",
        ("input", "flex"): "0.16", ("input", "flex audio"): "0.51", ("output", "flex"): "1.26",
        ("input", "priority"): "0.54", ("input", "priority audio"): "1.80", ("output", "priority"): "4.50"}),
    **tiers_of("gemini-embedding-2", {
        ("input", "standard"): "0.20", ("input", "image"): "0.45", ("input", "audio"): "6.50"}),
}


def test_2026_jina_layout_tab_bars_give_the_tab_of_each_table() -> None:
    reading = gemini.read(read("2026-jina.md"), gemini.PRICING_URL)
    assert prices(reading.quotes) == JINA_2026
    why = [f"{s.where}: {s.reason}: {s.text}" for s in reading.skipped]
    expected = [
        "'Gemini 2.5 Flash' standard table, row 'Live API': not a per-token price of input, output or cache: "
        "Input: $0.50 (text), $3.00 (audio / image [video]) Output: $2.00 (text), $12.00 (audio)",
        "'Gemini 2.5 Flash' batch table, 'Context caching price': a note before the prices: the cell does not "
        "plainly state a per-token price: Same as Standard, Batch pricing not yet implemented $0.03 "
        "(text / image / video) $0.1 (audio)",
        "'Gemini 3 Pro Image Preview 🍌' batch table, 'Input price': the price carries a footnote marker: the "
        "footnote gives its unit: $0.0006 (image)*",
        "'Gemini 3 Pro Image Preview 🍌' standard table, 'Output price': not a price per 1M tokens (per image, "
        "minute, hour or request, or storage): $0.24 per 4K image",
        "'Veo 3' table: not priced per 1M tokens (per image, second or request): Paid Tier, per second in USD",
        "'Pricing for tools' table: price table with no model id above it: File search: Charged for embeddings "
        "at $0.15 / 1M tokens.",
    ]
    assert [w for w in expected if w not in why] == []
    # 3 tables under a 4-tab bar: which tab is missing is unknown, so none of the three is read
    assert why.count("'Gemini 2.0 Flash-Lite' table: cannot tell which tab (Standard/Batch/Flex/Priority) the "
                     "table is: " + "Input price: $0.075; Output price: $0.30") == 1
    assert not any(m == "gemini-2.0-flash-lite" for m, _, _ in prices(reading.quotes))
    quote = next(q for q in reading.quotes if q.key == ("google", "gemini-3.1-flash-live-preview", "input",
                                                         "audio", "USD"))
    assert quote.price_text == "$3.00 or $0.005/min (audio)"


def test_2026_four_unlabelled_tables_without_a_tab_bar_follow_the_page_order() -> None:
    """A converter that drops the tab bar leaves four bare tables: read as Standard, Batch, Flex, Priority."""
    section = read("2026-jina.md").split("## Gemini 3.1 Flash Live Preview")[0]
    bar = ("[Standard](https://ai.google.dev/gemini-api/docs/pricing#standard)[Batch](https://ai.google.dev/"
           "gemini-api/docs/pricing#batch)[Flex](https://ai.google.dev/gemini-api/docs/pricing#flex)[Priority]"
           "(https://ai.google.dev/gemini-api/docs/pricing#priority)More\n")
    assert bar in section
    without_bar = prices(gemini.parse(section.replace(bar, "")))
    assert without_bar == {k: v for k, v in JINA_2026.items() if k[0].startswith("gemini-3.1-pro-preview")}
    # three bare tables: not a layout the page has used, so none is attributed
    tables = section.replace(bar, "").split("\n\n|  | Free Tier |")
    three = "\n\n|  | Free Tier |".join(tables[:3] + tables[4:])
    with pytest.raises(ParseError, match="no Gemini token prices: 3 paid per-1M-token price tables"):
        gemini.parse(three)


HTML_2026 = {
    **tiers_of("gemini-3.1-pro-preview", PRO_31),
    **tiers_of("gemini-3.1-pro-preview-customtools", PRO_31),
    **tiers_of("gemini-2.5-flash-native-audio-preview-12-2025", {
        ("input", "standard"): "0.50", ("input", "audio/video"): "3.00",
        ("output", "standard"): "2.00", ("output", "audio"): "12.00"}),
    **tiers_of("gemini-2.5-flash-image", {("input", "standard"): "0.30", ("input", "batch"): "0.15"}),
}


def test_2026_devsite_html_section_labels_and_two_ids_under_one_heading() -> None:
    reading = gemini.read(read("2026-pricing.html"), gemini.PRICING_URL)
    assert prices(reading.quotes) == HTML_2026
    assert [(s.where, s.text) for s in reading.skipped if "image" in s.text] == [
        ("'Gemini 2.5 Flash Image 🍌' standard table, 'Output price'", "$0.039 per image*"),
        ("'Gemini 2.5 Flash Image 🍌' batch table, 'Output price'", "$0.0195 per image*"),
    ]


def test_2026_html_and_jina_agree_on_the_shared_model() -> None:
    html = {k: v for k, v in prices(gemini.parse(read("2026-pricing.html"))).items()
            if k[0] == "gemini-3.1-pro-preview" and k[1] != "input_cache_hit"}
    jina = {k: v for k, v in prices(gemini.parse(read("2026-jina.md"))).items()
            if k[0] == "gemini-3.1-pro-preview" and k[1] != "input_cache_hit"}
    assert html == jina


REAL_2026 = REAL_PAGES / "2026-05-07-96a8198-quill-router-pricing-jina.md"
REAL_2025 = REAL_PAGES / "2025-10-08-token-tally-ai-google-dev-pricing-jina.md"
needs_real = pytest.mark.skipif(not REAL_PAGES.is_dir(), reason=f"{REAL_PAGES} not present")


@needs_real
def test_every_real_capture_is_covered() -> None:
    assert {p.name for p in REAL_PAGES.iterdir() if "textcopy" not in p.name} == {REAL_2025.name, REAL_2026.name}


@needs_real
def test_real_2026_capture_spot_values() -> None:
    reading = gemini.read(REAL_2026.read_text(encoding="utf-8"), gemini.PRICING_URL)
    got = prices(reading.quotes)
    assert len(got) == 249
    pro_25 = tiers_of("gemini-2.5-pro", {
        ("input", "standard"): "1.25", ("input", "context>200k"): "2.50",
        ("output", "standard"): "10.00", ("output", "context>200k"): "15.00",
        ("input_cache_hit", "standard"): "0.125", ("input_cache_hit", "context>200k"): "0.25",
        ("input", "batch"): "0.625", ("input", "batch context>200k"): "1.25",
        ("output", "batch"): "5.00", ("output", "batch context>200k"): "7.50",
        ("input", "flex"): "0.625", ("input", "priority"): "2.25", ("input", "priority context>200k"): "4.50",
        ("output", "priority"): "18.00", ("output", "priority context>200k"): "27.00",
    })
    assert {k: got.get(k) for k in pro_25} == pro_25
    for model in ("gemini-3.1-pro-preview", "gemini-3.1-pro-preview-customtools"):
        pro_31 = tiers_of(model, {("input", "standard"): "2.00", ("input", "context>200k"): "4.00",
                                  ("output", "standard"): "12.00", ("output", "context>200k"): "18.00"})
        assert {k: got.get(k) for k in pro_31} == pro_31
    assert got[("gemini-2.5-flash", "input", "audio")] == D("1.00")
    assert got[("gemini-3.1-flash-lite", "output", "priority")] == D("2.70")
    assert got[("gemini-embedding-001", "input", "batch")] == D("0.075")
    assert got[("gemini-2.0-flash-lite", "output", "batch")] == D("0.15")
    assert got[("gemini-2.5-computer-use-preview-10-2025", "input", "context>200k")] == D("2.50")
    # no model of the page is left without prices, and none outside the page's ids appears
    assert {m for m, _, _ in got} == {
        "gemini-3.1-flash-lite", "gemini-3.1-pro-preview", "gemini-3.1-pro-preview-customtools",
        "gemini-3.1-flash-lite-preview", "gemini-3.1-flash-live-preview", "gemini-3.1-flash-image-preview",
        "gemini-3.1-flash-tts-preview", "gemini-3-flash-preview", "gemini-3-pro-image-preview", "gemini-2.5-pro",
        "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-flash-lite-preview-09-2025",
        "gemini-2.5-flash-native-audio-preview-12-2025", "gemini-2.5-flash-image", "gemini-2.5-flash-preview-tts",
        "gemini-2.5-pro-preview-tts", "gemini-2.0-flash", "gemini-2.0-flash-lite", "gemini-embedding-2",
        "gemini-embedding-001", "gemini-robotics-er-1.6-preview", "gemini-2.5-computer-use-preview-10-2025"}
    # the "Same as Standard, Batch pricing not yet implemented" cache cells are reported, not priced
    assert ("gemini-3-flash-preview", "input_cache_hit", "batch") not in got
    assert sum("a note before the prices" in s.reason for s in reading.skipped) == 2


@needs_real
def test_real_2026_no_price_of_one_tab_lands_in_another() -> None:
    """On this page Batch and Flex are half of Standard and Priority is 1.8x, model by model (read
    off the page): a table given to the wrong tab breaks one of these relations."""
    got = prices(gemini.parse(REAL_2026.read_text(encoding="utf-8")))
    four_tabs = {"gemini-3.1-flash-lite", "gemini-3.1-pro-preview", "gemini-3.1-flash-lite-preview",
                 "gemini-3-flash-preview", "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite"}
    checked = 0
    for (model, component, tier), standard in got.items():
        if model not in four_tabs or tier != "standard" or component == "input_cache_hit":
            continue
        assert got[(model, component, "batch")] * 2 == standard, (model, component)
        assert got[(model, component, "flex")] == got[(model, component, "batch")], (model, component)
        assert got[(model, component, "priority")] == standard * D("1.8"), (model, component)
        checked += 1
    assert checked == 14
    assert {t for m, _, t in got if m == "gemini-2.5-flash-preview-tts"} == {"standard", "batch"}


def test_a_tab_strip_written_one_tab_per_line_is_not_the_label_of_the_first_table() -> None:
    section = read("2026-jina.md").split("## Gemini 3.1 Flash Live Preview")[0]
    bar = next(line for line in section.splitlines() if line.startswith("[Standard]("))
    lines = section.replace(bar, "Standard\n\nBatch\n\nFlex\n\nPriority\n\nMore")
    expected = {k: v for k, v in JINA_2026.items() if k[0].startswith("gemini-3.1-pro-preview")}
    assert prices(gemini.parse(lines)) == expected
    # a strip with the active tab's label after it, as some readers write it
    active = section.replace(bar, "Standard\n\nBatch\n\nFlex\n\nPriority\n\nStandard")
    assert prices(gemini.parse(active)) == expected


def test_aria_tab_panels_label_their_tables() -> None:
    panels = "".join(f'<div role="tabpanel">{table(f"Input price|${p}")}</div>' for p in ("4", "2", "8"))
    html = page(MODEL, '<div><div role="tablist"><button role="tab">Standard</button><button role="tab">Batch</button>'
                       f'<button role="tab">Priority</button></div>{panels}</div>')
    assert {q.tier: q.price for q in gemini.parse(html)} == {"standard": D("4"), "batch": D("2"), "priority": D("8")}


def without_outer_pipes(text: str) -> str:
    """Tables as html2text writes them: no outer pipes, so a blank first header cell vanishes."""
    return "\n".join(line.strip()[1:-1].strip() if line.startswith("|") and line.rstrip().endswith("|") else line
                     for line in text.split("\n"))


def test_2026_converter_variants_give_the_same_quotes() -> None:
    """Headings dropped (the id line then starts each model) and tables without outer pipes."""
    page = read("2026-jina.md")
    no_headings = re.sub(r"(?m)^#{1,6} ", "", page)
    assert "\n## " not in no_headings
    assert prices(gemini.parse(no_headings)) == JINA_2026
    assert prices(gemini.parse(without_outer_pipes(page))) == JINA_2026


@needs_real
def test_real_2026_capture_through_other_converters_loses_nothing_and_misplaces_nothing() -> None:
    text = REAL_2026.read_text(encoding="utf-8")
    base = prices(gemini.parse(text))
    assert prices(gemini.parse(re.sub(r"(?m)^#{1,6} ", "", text))) == base
    assert prices(gemini.parse(without_outer_pipes(text))) == base


@pytest.mark.parametrize("header", ["Paid Tier, per 1M tokens in USD", "Paid Tier, per 1M tokens (USD)",
                                    "Paid Tier, per 1M tokens", "Paid tier, per 1,000,000 tokens"])
def test_paid_header_wordings(header: str) -> None:
    quotes = gemini.parse(page(MODEL, table("Input price|$1.50", "Output price|$6", header=header)))
    assert {(q.component, q.currency, q.price) for q in quotes} == {("input", "USD", D("1.50")),
                                                                     ("output", "USD", D("6"))}


def test_a_copy_that_flattened_each_cell_into_a_paragraph_is_read_row_by_row() -> None:
    """A devsite copy writes every table cell as a paragraph (``Free Tier`` / ``Paid Tier, per 1M
    tokens in USD`` / ``Input price`` / ``Free of charge`` / ``$1.25, prompts <= 200k tokens  $2.50,
    prompts > 200k tokens`` ...).  Three paragraphs a row, the tables are read again, the tab bar
    giving Standard and Batch.  A flattened table that loses the shape (a cell missing, so a price
    where a row label should be) is reported and not read at all, its rows before the loss included;
    a per-image table is not a token price."""
    reading = gemini.read(read("2025-10-devsite-flattened.md"))
    assert prices(reading.quotes) == {
        ("gemini-2.5-pro", "input", "standard"): Decimal("1.25"),
        ("gemini-2.5-pro", "input", "context>200k"): Decimal("2.50"),
        ("gemini-2.5-pro", "output", "standard"): Decimal("10.00"),
        ("gemini-2.5-pro", "output", "context>200k"): Decimal("15.00"),
        ("gemini-2.5-pro", "input_cache_hit", "standard"): Decimal("0.125"),
        ("gemini-2.5-pro", "input_cache_hit", "context>200k"): Decimal("0.25"),
        ("gemini-2.5-pro", "input", "batch"): Decimal("0.625"),
        ("gemini-2.5-pro", "input", "batch context>200k"): Decimal("1.25"),
        ("gemini-2.5-pro", "output", "batch"): Decimal("5.00"),
        ("gemini-2.5-pro", "output", "batch context>200k"): Decimal("7.50"),
        ("gemini-2.0-flash", "input", "standard"): Decimal("0.10"),
        ("gemini-2.0-flash", "input", "audio"): Decimal("0.70"),
        ("gemini-2.0-flash", "output", "standard"): Decimal("0.40"),
    }
    flattened = [(s.where, s.reason, s.text[:60]) for s in reading.skipped if "flattened" in s.where]
    assert flattened == [
        ("'Gemini 2.0 Flash-Lite' flattened table",
         "a table written one cell per paragraph whose rows cannot be told apart: not read",
         "Free Tier Paid Tier, per 1M tokens in USD Input price $0.075"),
        ("'Imagen 4' flattened table", "not priced per 1M tokens (per image, second or request)",
         "Paid Tier, per Image in USD"),
        ("'Gemini 1.5 Flash' flattened table",
         "a table written one cell per paragraph whose rows cannot be told apart: not read",
         "Free Tier Paid Tier, per 1M tokens in USD Input price Free o"),
    ]
    assert not any(q.model.startswith(("gemini-2.0-flash-lite", "gemini-1.5", "imagen")) for q in reading.quotes)


def test_a_page_without_ids_names_stable_models_by_their_heading_only() -> None:
    """A 2025 copy prints no ids line.  A stable model's id is its name as the API spells it
    (``Gemini 2.0 Flash-Lite`` -> ``gemini-2.0-flash-lite``), reported as derived; a Preview model's
    id carries a date the heading does not give, so its table stays unread."""
    reading = gemini.read(page(
        "<h2>Gemini 2.5 Pro Preview</h2><p>Our state-of-the-art model.</p>",
        table("Input price|$1.25, prompts &lt;= 200k tokens<br>$2.50, prompts &gt; 200k tokens",
              "Output price|$10.00"),
        "<h2>Gemini 2.0 Flash-Lite</h2><p>Our smallest model.</p>",
        table("Input price|$0.075", "Output price|$0.30"),
        "<h2>Gemini 1.5 Flash-8B</h2>", table("Input price|$0.0375", "Output price|$0.15")))
    assert prices(reading.quotes) == {
        ("gemini-2.0-flash-lite", "input", "standard"): D("0.075"),
        ("gemini-2.0-flash-lite", "output", "standard"): D("0.30"),
        ("gemini-1.5-flash-8b", "input", "standard"): D("0.0375"),
        ("gemini-1.5-flash-8b", "output", "standard"): D("0.15")}
    assert [(s.where, s.reason) for s in reading.skipped] == [
        ("'Gemini 2.5 Pro Preview' table", "price table with no model id above it"),
        ("'Gemini 2.0 Flash-Lite'", "model id 'gemini-2.0-flash-lite' derived from the heading: the page prints no id"
                                    " (a stable model's id is its name)"),
        ("'Gemini 1.5 Flash-8B'", "model id 'gemini-1.5-flash-8b' derived from the heading: the page prints no id"
                                  " (a stable model's id is its name)")]
