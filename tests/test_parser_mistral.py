"""Mistral parser: mistral.ai/pricing cards, the 2024 docs tables (Markdown and HTML) and the glued
plain-text copy, all to exact EUR and USD quotes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from parsers import mistral, registry
from parsers.document import read_document
from parsers.quote import ParseError, Quote, Skipped

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
    result = mistral.read(page)
    assert sorted((q.model, q.currency, q.price) for q in result.quotes) == [
        ("known-1", "EUR", Decimal("1")), ("known-1", "USD", Decimal("2"))]
    assert result.skipped == [Skipped("card 'Mystery'", "Input (/M tokens) {'priceEur': '1', 'priceUsd': '2'}",
                                      "token prices without an API model id; not attributed")]


def test_repeated_card_with_a_different_price_records_neither() -> None:
    card = ("<mistral-block-card-model><h2>A</h2><p>Output (/M tokens)</p>"
            "<mistral-atom-text-price data-prices='{{\"priceUsd\":{usd}}}'></mistral-atom-text-price>"
            "<mistral-atom-button-copy-clipboard data-text=\"a-1\"></mistral-atom-button-copy-clipboard>"
            "</mistral-block-card-model>")
    other = card.replace("<h2>A</h2>", "<h2>B</h2>").replace('"a-1"', '"b-1"')
    result = mistral.read("<main>" + card.format(usd=6) + card.format(usd=7) + other.format(usd=3) + "</main>")
    assert [(q.model, q.price) for q in result.quotes] == [("b-1", Decimal("3"))]
    assert [(s.where, s.reason) for s in result.skipped] == [
        ("model a-1", "card 'A' is listed more than once with different prices; none is recorded")]
    assert result.skipped[0].text == "card 'A': output USD priceUsd: 6, output USD priceUsd: 7"


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


def test_a_usd_column_holding_euros_is_skipped_not_recorded() -> None:
    page = ("| Model | Endpoint | Input (USD) |\n|---|---|---|\n| M | `m-1` | 0.2€ / 1M tokens |\n"
            "| N | `n-1` | 0.3$ / 1M tokens |\n")
    result = mistral.read(page)
    assert [(q.model, q.currency, q.price) for q in result.quotes] == [("n-1", "USD", Decimal("0.3"))]
    assert result.skipped == [Skipped("docs table '' row 'm-1' / input (usd)", "0.2€ / 1M tokens",
                                      "column is USD but the cell holds EUR")]
    with pytest.raises(ParseError, match=r"no token prices found.*column is USD but the cell holds EUR"):
        mistral.parse(page.split("| N |")[0])


@pytest.mark.parametrize(
    ("page", "message"),
    [
        ("<main><h2>Pricing</h2><p>Contact sales.</p></main>", "no token prices found"),
        ("# Pricing\n\n| Model | Plan |\n|---|---|\n| a | Pro |\n", "no token prices found"),
        ('{"data": []}', "JSON is data, not a page"),
        ("<main><mistral-block-card-model><h2>X</h2><p>Input (/M tokens)</p><mistral-atom-text-price "
         "data-prices='{\"priceUsd\":1}'></mistral-atom-text-price></mistral-block-card-model></main>",
         r"no token prices found.*card 'X': token prices without an API model id"),
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
    assert counts == {
        "2024-01-03-55483de4-platform-docs-05-pricing.md": 7,
        "2024-02-23-3b05a736-platform-docs-05-pricing.md": 11,
        "2024-02-23-a8bb4ae8-platform-docs-05-pricing.md": 11,
        "2024-02-23-ed0f9ea9-platform-docs-05-pricing.md": 21,
        "2024-02-25-819c9bb2-platform-docs-05-pricing.md": 21,
        "2024-02-26-c61c0b4e-platform-docs-05-pricing.md": 22,
        "2024-03-07-48a40c62-platform-docs-05-pricing.md": 22,
        "2024-04-01-96fba9b-llm-prices-docs-platform-pricing-text.txt": 22,
        "2026-05-08-d1507e1-quill-router-mistral-ai-pricing.html": 73,
        "7efcc21-kmodels-fixture-pricing-trimmed.html": 8,
    }


@needs_real_pages
def test_real_captures_spot_values() -> None:
    docs = prices(mistral.parse((REAL_PAGES / "2024-03-07-48a40c62-platform-docs-05-pricing.md").read_text()))
    text = prices(mistral.parse((REAL_PAGES / "2024-04-01-96fba9b-llm-prices-docs-platform-pricing-text.txt")
                                .read_text()))
    assert docs == text
    assert docs[("mistral-large-latest", "output", "EUR")] == Decimal("22")
    assert docs[("open-mixtral-8x7b", "input", "USD")] == Decimal("0.7")
    first = prices(mistral.parse((REAL_PAGES / "2024-01-03-55483de4-platform-docs-05-pricing.md").read_text()))
    assert first[("mistral-medium", "output", "EUR")] == Decimal("7.5")
    assert first[("mistral-tiny", "input", "EUR")] == Decimal("0.14")
    usd = prices(mistral.parse((REAL_PAGES / "2024-02-23-ed0f9ea9-platform-docs-05-pricing.md").read_text()))
    assert usd[("mistral-large-latest", "input", "USD")] == Decimal("8")
    assert usd[("mistral-large-latest", "input", "EUR")] == Decimal("7.3")
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
    result = mistral.read(page)
    assert {(q.component, q.price) for q in result.quotes} == {
        ("input", Decimal("1")), ("input_cache_hit", Decimal("0.1")), ("output", Decimal("3"))}
    assert result.skipped == [
        Skipped("card 'M' / Audio input (/M tokens)", "{'priceUsd': '5'}", "not a plain input/output token price"),
        Skipped("card 'M' / Input (/M tokens)", "{'priceUsd': '9', 'prefix': 'from'}",
                "not a plain input/output token price"),
    ]


# --- mistral.ai/pricing as a Next.js page (2026): prices only in the page data ----------------------

def _four(quotes: list[Quote]) -> dict[str, tuple[str | None, ...]]:
    """model -> (input USD, output USD, input EUR, output EUR) as text, None where not quoted."""
    p = prices(quotes)
    return {model: tuple(str(p[(model, c, cur)]) if (model, c, cur) in p else None
                         for c, cur in (("input", "USD"), ("output", "USD"), ("input", "EUR"), ("output", "EUR")))
            for model in {m for m, _, _ in p}}


def test_rsc_payload_in_script_strings_gives_both_currencies() -> None:
    """The payload is split over three pushes (one cut inside a model object), has a text row whose
    svg spans lines, and a featured strip whose prices carry the RSC ``$$`` escape."""
    result = mistral.read(read("pricing-2026-05-rsc.html"), mistral.PRICING_URL)
    assert _four(result.quotes) == {
        "mistral-large-latest": ("0.5", "1.5", "0.5", "1.5"),
        "mistral-medium-latest": ("1.5", "7.5", "1.25", "6.4"),
        "codestral-latest": ("0.3", "0.9", "0.3", "0.9"),
        "mistral-embed": ("0.1", None, "0.09", None),
        "open-mixtral-8x22b": ("2", "6", "1.9", "5.6"),
        # the EUR input cell repeats its label instead of a price: USD only, EUR skipped
        "pixtral-large-latest": ("2", "6", None, "5.4"),
        # audio per minute and a mixed audio/text cell are not token prices; the output is
        "voxtral-mini-latest": (None, "0.04", None, "0.04"),
    }
    medium = next(q for q in result.quotes if q.key == ("mistral", "mistral-medium-latest", "input", "standard", "USD"))
    assert (medium.price_text, medium.source_url) == ("$1.5", mistral.PRICING_URL)
    skipped = {(s.where, s.reason) for s in result.skipped}
    assert skipped == {
        ("model data 'OCR 3' (mistral-ocr-latest) / OCR", "not a price per million tokens"),
        ("model data 'Voxtral Mini Transcribe 2' (voxtral-mini-latest) / Audio Input/min",
         "not a price per million tokens"),
        ("model data 'Voxtral Mini' (voxtral-mini-latest) / Input (per min / per M tok)",
         "not a price per million tokens"),
        ("model data 'Classifier API model 8B' / Training Cost (/M tokens)",
         "label names no input or output token price"),
        ("model data 'Classifier API model 8B'", "token prices without an API model id; not attributed"),
        ("model data 'Web search' / Price", "not a price per million tokens"),
        ("model data 'Pixtral Large' (pixtral-large-latest) / Input (/M tokens) / price_euro",
         "cell does not hold exactly one plain price"),
        ("model data 'Mistral Large 4 (preview)' (mistral-large-2609)",
         "entry is not published (draft or archived); not on the page"),
        ("model mistral-small-latest",
         "'Mistral Small 4' and 'Mistral Small 3.2' give different prices under this one id and the page "
         "has no version id to tell them apart; none is recorded"),
    }
    web = next(s for s in result.skipped if s.where.startswith("model data 'Web search'"))
    assert web.text == "$30 / 1000 calls | 30€ / 1000 calls"


def test_two_models_under_one_id_are_never_picked() -> None:
    result = mistral.read(read("pricing-2026-05-rsc.html"))
    assert not [q for q in result.quotes if q.model == "mistral-small-latest"]
    (warning,) = [s for s in result.skipped if s.where == "model mistral-small-latest"]
    assert warning.text == ("'Mistral Small 4': input USD $0.15, input EUR 0.1275€, output USD $0.6, "
                            "output EUR 0.51€; 'Mistral Small 3.2': input USD $0.1, input EUR 0.1€, "
                            "output USD $0.3, output EUR 0.3€")


def test_same_model_in_the_featured_strip_and_the_grid_is_one_quote_each() -> None:
    """Medium is in both lists with the same prices: one quote per series, no warning."""
    result = mistral.read(read("pricing-2026-05-rsc.html"))
    assert sum(q.model == "mistral-medium-latest" for q in result.quotes) == 4
    assert not [s for s in result.skipped if "mistral-medium-latest" in s.where]


def test_plain_json_next_data_variant() -> None:
    result = mistral.read(read("pricing-2026-next-data.html"))
    assert prices(result.quotes) == {
        ("mistral-large-latest", "input", "USD"): Decimal("0.5"),
        ("mistral-large-latest", "input", "EUR"): Decimal("0.5"),
        ("mistral-large-latest", "input_cache_hit", "USD"): Decimal("0.05"),
        ("mistral-large-latest", "input_cache_hit", "EUR"): Decimal("0.05"),
        ("mistral-large-latest", "output", "USD"): Decimal("1.5"),
        ("mistral-large-latest", "output", "EUR"): Decimal("1.5"),
        ("ministral-8b-latest", "input", "USD"): Decimal("0.15"),
        ("ministral-8b-latest", "input", "EUR"): Decimal("0.15"),
        ("ministral-8b-latest", "output", "USD"): Decimal("0.15"),
        ("ministral-8b-latest", "output", "EUR"): Decimal("0.15"),
    }
    assert [(s.where, s.text, s.reason) for s in result.skipped] == [
        ("model data 'Document AI & OCR' (mistral-ocr-latest) / OCR (per 1,000 pages)", "$1 | 1€",
         "not a price per million tokens")]


def test_page_data_without_token_prices_fails_with_what_was_skipped() -> None:
    push = json.dumps('5:{"apis":[{"name":"OCR 3","api_endpoint":"mistral-ocr-latest","price":'
                      '[{"value":"OCR","price_dollar":"$$2 / 1000 pages","price_euro":"2€ / 1000 pages"}]}]}\n')
    page = f"<html><body><main><h1>Pricing</h1></main><script>self.__next_f.push([1,{push}])</script></body></html>"
    with pytest.raises(ParseError, match=r"no token prices found.*OCR 3.*not a price per million tokens"):
        mistral.parse(page)


def test_rsc_rows_that_are_not_json_are_reported() -> None:
    rows = ('1:{"apis":[{"name":"M","api_endpoint":"m-1","price":[{"value":"Input (/M tokens)",'
            '"price_dollar":"$$1","price_euro":"1€"}]}]}\n2:{"price":[broken\n')
    page = f"<html><body><script>self.__next_f.push([1,{json.dumps(rows)}])</script></body></html>"
    result = mistral.read(page)
    assert [(q.model, q.currency, q.price) for q in result.quotes] == [
        ("m-1", "USD", Decimal("1")), ("m-1", "EUR", Decimal("1"))]
    assert [(s.where, s.reason) for s in result.skipped] == [
        ("page data row 2", "an RSC row that mentions prices is not valid JSON")]


REAL_2026 = "2026-05-08-d1507e1-quill-router-mistral-ai-pricing.html"


@needs_real_pages
def test_real_nextjs_page_every_price_read_off_the_page() -> None:
    """Every token price of the real 459 KB page, read off its data by hand (USD in, out, EUR in, out)."""
    result = mistral.read((REAL_PAGES / REAL_2026).read_text(encoding="utf-8"), mistral.PRICING_URL)
    assert _four(result.quotes) == {
        "mistral-large-latest": ("0.5", "1.5", "0.5", "1.5"),       # Mistral Large 3
        "mistral-medium-latest": ("1.5", "7.5", "1.25", "6.4"),     # Mistral Medium 3.5
        "open-mixtral-8x22b": ("2", "6", "1.9", "5.6"),             # Mixtral 8x22B
        "open-mixtral-8x7b": ("0.7", "0.7", "0.65", "0.65"),
        "open-mistral-7b": ("0.25", "0.25", "0.2", "0.2"),
        "open-mistral-nemo": ("0.15", "0.15", "0.13", "0.13"),
        "pixtral-12b": ("0.15", "0.15", "0.13", "0.13"),
        "pixtral-large-latest": ("2", "6", None, "5.4"),            # its EUR input cell holds a label
        "codestral-latest": ("0.3", "0.9", "0.3", "0.9"),
        "codestral-embed-2505": ("0.15", None, "0.15", None),
        "devstral-medium-latest": ("0.4", "2", "0.4", "2"),         # Devstral 2
        "devstral-small-latest": ("0.1", "0.3", "0.1", "0.3"),
        "magistral-medium-latest": ("2", "5", "2", "5"),
        "magistral-small-latest": ("0.5", "1.5", "0.5", "1.5"),
        "ministral-3b-latest": ("0.1", "0.1", "0.1", "0.1"),
        "ministral-8b-latest": ("0.15", "0.15", "0.15", "0.15"),
        "ministral-14b-latest": ("0.2", "0.2", "0.2", "0.2"),
        "mistral-embed": ("0.1", None, "0.09", None),
        "mistral-moderation-2603": ("0.1", None, "0.09", None),
        "voxtral-mini-latest": (None, "0.04", None, "0.04"),        # Voxtral Mini
        "voxtral-small-latest": (None, "0.3", None, "0.3"),
    }
    assert len(result.quotes) == 73
    reasons = {s.where: s.reason for s in result.skipped}
    assert reasons["model mistral-small-latest"].startswith("'Mistral Small 4' and 'Mistral Small 3.2' give different")
    assert reasons["model data 'OCR 3' (mistral-ocr-latest) / OCR"] == "not a price per million tokens"
    assert reasons["model data 'Code execution' / Price"] == "not a price per million tokens"
    assert reasons["model data 'Voxtral Realtime' (voxtral-mini-latest) / Audio Input/min"] == \
        "not a price per million tokens"
    assert reasons["model data 'Leanstral' (labs-leanstral-2603) / API endpoint"] == "not a price per million tokens"
    assert len(result.skipped) == 25


@needs_real_pages
def test_real_nextjs_page_attributes_no_price_to_another_model() -> None:
    """Independent check: each quote's amount is in the price list right after its own api_endpoint."""
    text = (REAL_PAGES / REAL_2026).read_text(encoding="utf-8")
    labels = {"input": "Input (/M tokens)", "output": "Output (/M tokens)"}
    for quote in mistral.parse(text):
        shown = f"${quote.price}" if quote.currency == "USD" else f"{quote.price}\\u0026euro;"
        key = "price_dollar" if quote.currency == "USD" else "price_euro"
        cells = []
        for own in re.finditer(f'api_endpoint\\\\":\\\\"{re.escape(quote.model)}\\\\",\\\\"price\\\\":\\[', text):
            own_prices = text[own.end():text.index('\\"api_model_id\\"', own.end())]
            at = own_prices.find(f'\\"value\\":\\"{labels[quote.component]}\\"')
            if at >= 0:
                cells.append(own_prices[at:own_prices.index("}", at)].split(f'{key}\\":')[1].split(",")[0])
        assert len(cells) == 1 and shown in cells[0], (quote.model, quote.component, quote.currency, cells)


def test_page_data_with_a_prices_list_and_plain_strings() -> None:
    """A rebuild may rename the list (``prices``) and drop the HTML around amounts."""
    data = {"props": {"pageProps": {"models": [
        {"name": "Mistral Large 3", "api_endpoint": "mistral-large-latest",
         "prices": [{"label": "Input (/M tokens)", "price_usd": "$0.5", "price_eur": "0.5€"},
                    {"label": "Output (/M tokens)", "price_usd": "$1.5", "price_eur": "1.5€"}]}]}}}
    page = ('<html><body><main><h1>Pricing</h1></main><script id="__NEXT_DATA__" type="application/json">'
            + json.dumps(data, ensure_ascii=False) + "</script></body></html>")
    assert prices(mistral.parse(page)) == {
        ("mistral-large-latest", "input", "USD"): Decimal("0.5"),
        ("mistral-large-latest", "input", "EUR"): Decimal("0.5"),
        ("mistral-large-latest", "output", "USD"): Decimal("1.5"),
        ("mistral-large-latest", "output", "EUR"): Decimal("1.5"),
    }


def test_rendered_api_tab_cards_need_exactly_one_id_per_card() -> None:
    """A reader copy of the rendered API tab: label, price and id lines per card (headings cut cards)."""
    result = mistral.read(read("pricing-2026-api-tab-jina.md"), mistral.PRICING_URL)
    assert prices(result.quotes) == {
        ("mistral-medium-latest", "input", "USD"): Decimal("1.5"),
        ("mistral-medium-latest", "output", "USD"): Decimal("7.5"),
        ("voxtral-small-latest", "output", "USD"): Decimal("0.4"),  # "Output (/M tokens)$0.4" on one line
    }
    assert [(s.where, s.reason) for s in result.skipped] == [
        ("card 'Voxtral Small' / Audio Input (per min / per M tok)", "not a price per million tokens"),
        ("card 'Voxtral Small' / Text Input (per min / per M tok)", "not a price per million tokens"),
        ("card 'OCR 3' / OCR", "not a price per million tokens"),
        ("card 'Codestral'", "token prices in a card that prints no API id"),
        ("card 'Magistral Medium' / Pro", "not a price per million tokens"),
        ("card 'Magistral Medium'",
         "token prices in a card that prints several ids (magistral-medium-latest, magistral-medium-2509)"),
        ("model mistral-small-latest",
         "card 'Mistral Small 4' and card 'Mistral Small 3.2' give different prices under this one id and the "
         "page has no version id to tell them apart; none is recorded"),
    ]


def test_docs_table_with_both_currencies_in_one_cell_and_a_cached_column() -> None:
    page = ("| Model | API endpoint | Input | Cached input | Output |\n|---|---|---|---|---|\n"
            "| Mistral Large | `mistral-large-2411` | 2$ / 1M tokens<br>1.8€ / 1M tokens | 0.2$ / 1M tokens | "
            "6$ / 1M tokens<br>5.4€ / 1M tokens |\n"
            "| Mistral Small | `mistral-small-2409` | 0.2$ / 1M tokens<br>0.3$ / 1M tokens | - | 0.6$ / 1M tokens |\n")
    result = mistral.read(page)
    assert prices(result.quotes) == {
        ("mistral-large-2411", "input", "USD"): Decimal("2"),
        ("mistral-large-2411", "input", "EUR"): Decimal("1.8"),
        ("mistral-large-2411", "input_cache_hit", "USD"): Decimal("0.2"),
        ("mistral-large-2411", "output", "USD"): Decimal("6"),
        ("mistral-large-2411", "output", "EUR"): Decimal("5.4"),
        ("mistral-small-2409", "output", "USD"): Decimal("0.6"),
    }
    assert [(s.where, s.reason) for s in result.skipped] == [
        ("docs table '' row 'mistral-small-2409' / input", "cell does not hold one price per currency")]


def test_rendered_cards_whose_headings_were_lost_are_not_merged() -> None:
    page = ("## API\n\nMistral Large 3\n\nInput (/M tokens)\n\n$0.5\n\nOutput (/M tokens)\n\n$1.5\n\n"
            "Mistral Medium 3.5\n\nInput (/M tokens)\n\n$1.5\n\nOutput (/M tokens)\n\n$7.5\n\nmistral-medium-latest\n")
    with pytest.raises(ParseError, match=r"card 'API': the same price twice in one card"):
        mistral.parse(page)


def test_page_data_numbers_under_currency_keys_keep_their_digits() -> None:
    rows = ('7:{"apis":[{"name":"M","api_endpoint":"m-1","price":[{"value":"Input (/M tokens)",'
            '"price_dollar":0.1275,"price_euro":"0.11"},{"value":"Output (/M tokens)","price_dollar":2,'
            '"price_euro":null}]}]}\n')
    page = f"<html><body><script>self.__next_f.push([1,{json.dumps(rows)}])</script></body></html>"
    quotes = mistral.parse(page)
    assert prices(quotes) == {("m-1", "input", "USD"): Decimal("0.1275"), ("m-1", "input", "EUR"): Decimal("0.11"),
                              ("m-1", "output", "USD"): Decimal("2")}
    assert quotes[0].price_text == "price_dollar: 0.1275"


def test_broken_glued_row_keeps_the_rows_before_it_and_reports_the_rest() -> None:
    text = ("ModelEndpointInput (USD)Output (USD)"
            "Mistral 7Bopen-mistral-7b0.25$ / 1M tokens0.25$ / 1M tokens"
            "Mistral Smallmistral-small-latest2$ / 1M tokens")
    result = mistral.read(text)
    assert prices(result.quotes) == {("open-mistral-7b", "input", "USD"): Decimal("0.25"),
                                     ("open-mistral-7b", "output", "USD"): Decimal("0.25"),
                                     ("mistral-small-latest", "input", "USD"): Decimal("2")}
    assert [(s.where, s.reason) for s in result.skipped] == [
        ("glued docs table", "glued docs table: mistral-small-latest has fewer than 2 prices; rest not read")]


def test_card_with_unreadable_data_prices_is_reported() -> None:
    page = ("<main><mistral-block-card-model><h2>A</h2><p>Input (/M tokens)</p>"
            "<mistral-atom-text-price data-prices='{priceUsd:2'></mistral-atom-text-price>"
            "<p>Output (/M tokens)</p><mistral-atom-text-price data-prices='{\"priceUsd\":6}'></mistral-atom-text-price>"
            "<mistral-atom-button-copy-clipboard data-text=\"a-1\"></mistral-atom-button-copy-clipboard>"
            "</mistral-block-card-model></main>")
    result = mistral.read(page)
    assert [(q.model, q.component, q.price) for q in result.quotes] == [("a-1", "output", Decimal("6"))]
    assert [(s.where, s.text, s.reason) for s in result.skipped] == [
        ("card 'A'", "{priceUsd:2", "data-prices is not a JSON object"),
        ("card 'A' / Input (/M tokens)", "{}", "has neither priceEur nor priceUsd")]
