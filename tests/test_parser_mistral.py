"""Mistral parser: mistral.ai/pricing cards, the 2024 docs tables (Markdown and HTML) and the glued
plain-text copy, all to exact EUR and USD quotes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from parsers import mistral, registry
from parsers.document import read_document
from parsers.quote import ParseError, Quote

FIXTURES = Path(__file__).parent / "fixtures" / "mistral"
REAL_PAGES = Path(__file__).resolve().parents[2] / "shared" / "real-pages" / "mistral"


def prices(quotes: list[Quote]) -> dict[tuple[str, str, str], Decimal]:
    """(model, component, currency) -> price; every Mistral quote is the standard tier."""
    assert {q.tier for q in quotes} == {"standard"}
    out = {(q.model, q.component, q.currency): q.price for q in quotes}
    assert len(out) == len(quotes), "one quote per series"
    return out


def read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_pricing_cards_give_both_currencies_from_data_attributes() -> None:
    quotes = mistral.parse(read("pricing-2024-11.html"), mistral.PRICING_URL)
    assert prices(quotes) == {
        ("mistral-large-2411", "input", "USD"): Decimal("2"),
        ("mistral-large-2411", "output", "USD"): Decimal("6"),
        ("mistral-large-2411", "input", "EUR"): Decimal("1.8"),
        ("mistral-large-2411", "output", "EUR"): Decimal("5.4"),
        ("mistral-small-latest", "input", "USD"): Decimal("0.2"),
        ("mistral-small-latest", "output", "USD"): Decimal("0.6"),
        ("mistral-small-latest", "input", "EUR"): Decimal("0.18"),
        ("mistral-small-latest", "output", "EUR"): Decimal("0.54"),
        ("codestral-2501", "input", "USD"): Decimal("0.3"),
        ("codestral-2501", "output", "USD"): Decimal("0.9"),
        ("codestral-2501", "input", "EUR"): Decimal("0.27"),
        ("codestral-2501", "output", "EUR"): Decimal("0.81"),
    }
    large_in = next(q for q in quotes if q.key == ("mistral", "mistral-large-2411", "input", "standard", "USD"))
    assert (large_in.price_text, large_in.source_url) == ("priceUsd: 2", mistral.PRICING_URL)


def test_seed_day_reprices_at_the_fixture_rates() -> None:
    """The Mistral seed day: 297,429 in + 474,855 out on mistral-large-2411 is $3.443988."""
    p = prices(mistral.parse(read("pricing-2024-11.html")))
    cost = (Decimal(297_429) * p[("mistral-large-2411", "input", "USD")]
            + Decimal(474_855) * p[("mistral-large-2411", "output", "USD")]) / Decimal(1_000_000)
    assert cost == Decimal("3.443988")


def test_card_prices_keep_the_pages_digits_exactly() -> None:
    page = ("<main><mistral-block-card-model><h2>M</h2><p>Input (/M tokens)</p>"
            "<mistral-atom-text-price data-prices='{\"priceEur\":0.1,\"priceUsd\":0.30000000000000004}'>"
            "</mistral-atom-text-price><p>Output (/M tokens)</p>"
            "<mistral-atom-text-price data-prices='{\"priceEur\":null,\"priceUsd\":1E+1}'></mistral-atom-text-price>"
            "<mistral-atom-button-copy-clipboard data-text=\"m-1\"></mistral-atom-button-copy-clipboard>"
            "</mistral-block-card-model></main>")
    assert prices(mistral.parse(page)) == {
        ("m-1", "input", "EUR"): Decimal("0.1"),
        ("m-1", "input", "USD"): Decimal("0.30000000000000004"),
        ("m-1", "output", "USD"): Decimal("10"),
    }


def test_card_without_an_api_id_is_reported_not_guessed() -> None:
    card = ("<mistral-block-card-model><h2>{name}</h2><p>Input (/M tokens)</p>"
            "<mistral-atom-text-price data-prices='{{\"priceEur\":1,\"priceUsd\":2}}'></mistral-atom-text-price>"
            "{button}</mistral-block-card-model>")
    button = '<mistral-atom-button-copy-clipboard data-text="known-1"></mistral-atom-button-copy-clipboard>'
    page = "<main>" + card.format(name="Known", button=button) + card.format(name="Mystery", button="") + "</main>"
    result = mistral.read_page(page)
    assert sorted((q.model, q.currency, q.price) for q in result.quotes) == [
        ("known-1", "EUR", Decimal("1")), ("known-1", "USD", Decimal("2"))]
    assert result.skipped == ["card 'Mystery' has token prices but no API id"]


def test_repeated_card_with_a_different_price_is_an_error() -> None:
    card = ("<mistral-block-card-model><h2>A</h2><p>Output (/M tokens)</p>"
            "<mistral-atom-text-price data-prices='{{\"priceUsd\":{usd}}}'></mistral-atom-text-price>"
            "<mistral-atom-button-copy-clipboard data-text=\"a-1\"></mistral-atom-button-copy-clipboard>"
            "</mistral-block-card-model>")
    with pytest.raises(ParseError, match=r"a-1 output USD is listed twice with different prices "
                                         r"\(priceUsd: 6 vs priceUsd: 7\)"):
        mistral.parse("<main>" + card.format(usd=6) + card.format(usd=7) + "</main>")


DOCS_2024_03 = {
    ("open-mistral-7b", "input", "USD"): Decimal("0.3"),
    ("open-mistral-7b", "output", "USD"): Decimal("0.3"),
    ("open-mistral-7b", "input", "EUR"): Decimal("0.28"),
    ("open-mistral-7b", "output", "EUR"): Decimal("0.28"),
    ("open-mixtral-8x7b", "input", "USD"): Decimal("0.75"),
    ("open-mixtral-8x7b", "output", "USD"): Decimal("0.75"),
    ("open-mixtral-8x7b", "input", "EUR"): Decimal("0.69"),
    ("open-mixtral-8x7b", "output", "EUR"): Decimal("0.69"),
    ("mistral-small-latest", "input", "USD"): Decimal("2.1"),
    ("mistral-small-latest", "output", "USD"): Decimal("6.3"),
    ("mistral-small-latest", "input", "EUR"): Decimal("1.95"),
    ("mistral-small-latest", "output", "EUR"): Decimal("5.85"),
    ("mistral-large-latest", "input", "USD"): Decimal("8.5"),
    ("mistral-large-latest", "output", "USD"): Decimal("25.5"),
    ("mistral-large-latest", "input", "EUR"): Decimal("7.8"),
    ("mistral-large-latest", "output", "EUR"): Decimal("23.4"),
    ("mistral-embed", "input", "USD"): Decimal("0.12"),
    ("mistral-embed", "input", "EUR"): Decimal("0.11"),
}


@pytest.mark.parametrize("name", ["docs-2024-03.md", "docs-2024-03.html"])
def test_docs_tables_with_currency_after_the_number(name: str) -> None:
    quotes = mistral.parse(read(name))
    assert prices(quotes) == DOCS_2024_03
    embed_usd = next(q for q in quotes if q.key == ("mistral", "mistral-embed", "input", "standard", "USD"))
    assert embed_usd.price_text == "0.12$ / 1M tokens"


def test_glued_text_copy_of_the_docs_page() -> None:
    expected = {k: v for k, v in DOCS_2024_03.items() if k[0] != "open-mixtral-8x7b"}
    assert prices(mistral.parse(read("docs-2024-04.txt"))) == expected


def test_first_docs_page_is_euro_only_with_ids_in_the_model_column() -> None:
    assert prices(mistral.parse(read("docs-2024-01.md"))) == {
        ("mistral-tiny", "input", "EUR"): Decimal("0.15"),
        ("mistral-tiny", "output", "EUR"): Decimal("0.45"),
        ("mistral-small", "input", "EUR"): Decimal("0.65"),
        ("mistral-small", "output", "EUR"): Decimal("1.95"),
        ("mistral-medium", "input", "EUR"): Decimal("2.6"),
        ("mistral-medium", "output", "EUR"): Decimal("7.8"),
        ("mistral-embed", "input", "EUR"): Decimal("0.11"),
    }


def test_a_usd_column_holding_euros_is_an_error() -> None:
    page = "| Model | Endpoint | Input (USD) |\n|---|---|---|\n| M | `m-1` | 0.2€ / 1M tokens |\n"
    with pytest.raises(ParseError, match=r"m-1 'input \(usd\)' holds EUR"):
        mistral.parse(page)


@pytest.mark.parametrize(
    ("page", "message"),
    [
        ("<main><h2>Pricing</h2><p>Contact sales.</p></main>", "no token prices found"),
        ("# Pricing\n\n| Model | Plan |\n|---|---|\n| a | Pro |\n", "no token prices found"),
        ('{"data": []}', "JSON is data, not a page"),
        ("<main><mistral-block-card-model><h2>X</h2><p>Input (/M tokens)</p><mistral-atom-text-price "
         "data-prices='{\"priceUsd\":1}'></mistral-atom-text-price></mistral-block-card-model></main>",
         r"no token prices found.*card 'X' has token prices but no API id"),
    ],
)
def test_pages_without_prices_raise_a_clear_error(page: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        mistral.parse(page, "https://example.test/pricing")


def test_cli_prints_the_fixture_quotes_as_json() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "scraper", "parse", "--provider", "mistral", "--json",
         str(FIXTURES / "pricing-2024-11.html")], capture_output=True, text=True, check=True,
    ).stdout
    rows = {(r["model"], r["component"], r["currency"]): r["price"] for r in json.loads(out)}
    assert rows[("mistral-large-2411", "input", "USD")] == "2"
    assert rows[("mistral-large-2411", "output", "USD")] == "6"
    assert len(rows) == 12
    assert "mistral" in registry.providers()


# --- the real captures, when the shared folder is there --------------------------------------------

needs_real_pages = pytest.mark.skipif(not REAL_PAGES.is_dir(), reason=f"{REAL_PAGES} not present")


@needs_real_pages
def test_every_real_capture_parses_within_the_time_budget() -> None:
    pages = sorted(REAL_PAGES.iterdir())
    assert len(pages) >= 9
    read_document("<html><body></body></html>")  # the HTML reader's one-time import is not parsing
    start = time.perf_counter()
    counts = {p.name: len(mistral.parse(p.read_text(encoding="utf-8"), str(p))) for p in pages}
    assert time.perf_counter() - start < 0.5
    assert counts["2024-01-03-55483de4-platform-docs-05-pricing.md"] == 7
    assert counts["2024-03-07-48a40c62-platform-docs-05-pricing.md"] == 22
    assert counts["2024-04-01-96fba9b-llm-prices-docs-platform-pricing-text.txt"] == 22


@needs_real_pages
def test_real_captures_spot_values() -> None:
    docs = prices(mistral.parse((REAL_PAGES / "2024-03-07-48a40c62-platform-docs-05-pricing.md").read_text()))
    text = prices(mistral.parse((REAL_PAGES / "2024-04-01-96fba9b-llm-prices-docs-platform-pricing-text.txt")
                                .read_text()))
    assert docs == text
    assert docs[("mistral-large-latest", "output", "EUR")] == Decimal("22")
    assert docs[("open-mixtral-8x7b", "input", "USD")] == Decimal("0.7")
    cards = prices(mistral.parse((REAL_PAGES / "7efcc21-kmodels-fixture-pricing-trimmed.html").read_text()))
    assert cards == {
        ("mistral-medium-latest", "input", "EUR"): Decimal("1.25"),
        ("mistral-medium-latest", "input", "USD"): Decimal("1.5"),
        ("mistral-medium-latest", "output", "EUR"): Decimal("6.4"),
        ("mistral-medium-latest", "output", "USD"): Decimal("7.5"),
        ("mistral-large-2407", "input", "EUR"): Decimal("2.6"),
        ("mistral-large-2407", "input", "USD"): Decimal("3"),
        ("mistral-large-2407", "output", "EUR"): Decimal("7.9"),
        ("mistral-large-2407", "output", "USD"): Decimal("9"),
    }


def test_card_labels_name_the_component_and_other_units_are_left_out() -> None:
    def price(label: str, prices: str) -> str:
        return f"<p>{label}</p><mistral-atom-text-price data-prices='{prices}'></mistral-atom-text-price>"

    page = ("<main><mistral-block-card-model><h2>M</h2>"
            + price("Input (/M tokens)", '{"priceUsd":1}')
            + price("Cached input (/M tokens)", '{"priceUsd":0.1}')
            + price("Output (/M tokens)", '{"priceUsd":3}')
            + price("Audio input (/M tokens)", '{"priceUsd":5}')
            + price("Input (/M tokens)", '{"priceUsd":9,"prefix":"from"}')
            + price("Audio (/min)", '{"priceUsd":0.01}')
            + '<mistral-atom-button-copy-clipboard data-text="m-2"></mistral-atom-button-copy-clipboard>'
            "</mistral-block-card-model></main>")
    result = mistral.read_page(page)
    assert {(q.component, q.price) for q in result.quotes} == {
        ("input", Decimal("1")), ("input_cache_hit", Decimal("0.1")), ("output", Decimal("3"))}
    assert result.skipped == [
        "card 'M': price 'Audio input (/M tokens)' {'priceUsd': '5'} is not a plain token price",
        "card 'M': price 'Input (/M tokens)' {'priceUsd': '9', 'prefix': 'from'} is not a plain token price",
    ]
