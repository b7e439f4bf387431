"""Gemini parser (provider ``google``): paid-tier prices from the ai.google.dev pricing page, as
HTML and as Jina Markdown, with context, modality and batch tiers."""

from __future__ import annotations

import json
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
    result = gemini.read_page(read("pricing-jina.md"))
    assert prices(result.quotes) == {
        **FLASH,
        ("gemini-2.5-computer-use-preview-10-2025", "input", "standard"): D("1.30"),
        ("gemini-2.5-computer-use-preview-10-2025", "input", "context>200k"): D("2.60"),
        ("gemini-2.5-computer-use-preview-10-2025", "output", "standard"): D("10.50"),
        ("gemini-2.5-computer-use-preview-10-2025", "output", "context>200k"): D("15.50"),
    }
    assert result.skipped == [
        "price table after 'Our state-of-the-art multipurpose model, which excels at co…' (under 'Paid') "
        "has no model id",
        "price table after 'Our state-of-the-art multipurpose model, which excels at co…' (under 'Paid') "
        "has no model id",
        "price table after 'Our native image generation model, optimized for speed, fle…' "
        "(under 'Gemini 2.5 Flash') has no model id",
        "price table after 'Our newest embeddings model, available to developers on the…' (under 'Veo 3') "
        "has no model id",
    ]


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


def test_two_prices_for_one_tier_is_an_error() -> None:
    with pytest.raises(ParseError, match=r"two prices for tier 'standard'"):
        gemini.parse(page(MODEL, table("Input price|$1 (text)<br>$2 (text / image)")))


def test_a_price_in_another_currency_than_the_header_is_an_error() -> None:
    with pytest.raises(ParseError, match=r"'Input price' price €1 is not in USD"):
        gemini.parse(page(MODEL, table("Input price|€1")))


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
    result = gemini.read_page(text)
    assert time.perf_counter() - start < 0.5
    # Jina dropped all model headings but two (Veo 3, per second; Computer Use): only one model is named.
    assert prices(result.quotes) == {
        ("gemini-2.5-computer-use-preview-10-2025", "input", "standard"): D("1.25"),
        ("gemini-2.5-computer-use-preview-10-2025", "input", "context>200k"): D("2.50"),
        ("gemini-2.5-computer-use-preview-10-2025", "output", "standard"): D("10.00"),
        ("gemini-2.5-computer-use-preview-10-2025", "output", "context>200k"): D("15.00"),
    }
    assert len(result.skipped) == 24
