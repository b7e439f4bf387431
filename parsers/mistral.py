"""Mistral: the mistral.ai/pricing page, and the 2024 docs pricing page for history.

Provider id ``mistral``.  Both currencies Mistral prints (EUR and USD) become quotes; they are two
price series, never converted into each other.  Three page formats are read:

* **mistral.ai/pricing** (current, HTML only).  Each model is a ``<mistral-block-card-model>`` card:
  an ``<h2>`` display name, a ``<p>`` label per price (``Input (/M tokens)``), the price in the
  ``data-prices`` attribute of an empty ``<mistral-atom-text-price>``
  (``{"priceEur":1.25,"priceUsd":1.5,"prefix":null,"suffix":null}``) and the API id in the
  ``data-text`` of ``<mistral-atom-button-copy-clipboard>``.  The page reader turns those
  attributes into :class:`~parsers.document.Data` blocks, so this module never sees HTML.  Only
  prices labelled per million tokens with no prefix/suffix are token prices; OCR (``/ 1000 pages``),
  speech (``per 1k characters``) and tool calls (``Price (per 1K calls)``) are not, and are left out.
* **docs.mistral.ai/platform/pricing/** (January to April 2024; Markdown in the docs repository,
  HTML when rendered).  Pipe tables with the currency after the number: ``0.14€ / 1M tokens``,
  ``0.25$ / 1M tokens``; EUR only at first, then ``Input (USD)`` ... ``Output (EUR)`` columns.
  The API id is the ``Endpoint`` column, or the ``Model`` column when there is no ``Endpoint``.
* **A plain-text copy of that docs page** (html-to-text, as archived by third parties), whose table
  cells are glued together: ``Mistral Largemistral-large-latest8$ / 1M tokens24$ / 1M tokens...``.
  The glued header names the price columns; a row's display name and API id are told apart because
  the id starts with a word of the display name (``Large|mistral-large-latest``) or with ``open-``
  (``Mistral 7B|open-mistral-7b``), which holds for every model that page ever listed.

The card page also says ``Batch processing -50%`` and ``Cached input tokens -90%`` and tags each price
with the discounts that apply; those derived prices are not quoted, because the page never states
them as numbers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from parsers.document import Data, Document, Heading, Paragraph, Table, read_provider_page
from parsers.money import find_money
from parsers.quote import ParseError, Quote
from parsers.registry import Source

PROVIDER = "mistral"
PARSER_VERSION = 1
PRICING_URL = "https://mistral.ai/pricing"
SOURCES = [Source(id="mistral-pricing", provider=PROVIDER, url=PRICING_URL, currencies=("EUR", "USD"))]

PRICE_ELEMENT = "mistral-atom-text-price"
ID_ELEMENT = "mistral-atom-button-copy-clipboard"
#: An API model id as Mistral writes them (``mistral-large-2411``, ``open-mixtral-8x7b``).
MODEL_ID_RE = re.compile(r"[a-z0-9][a-z0-9.\-]*[a-z0-9]")
#: A card label that prices tokens: ``Input (/M tokens)``, ``Output per 1M tokens``.
TOKEN_UNIT_RE = re.compile(r"(?:/|\bper)\s*(?:1\s*)?(?:M|million)\s+tokens\b", re.I)
#: Label or column header start -> component; first match wins, so cached input precedes input.
LABEL_COMPONENTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^cach(?:ed|e)\s+(?:input|read|hit)", re.I), "input_cache_hit"),
    (re.compile(r"^input\b", re.I), "input"),
    (re.compile(r"^output\b", re.I), "output"),
)
#: ``data-prices`` key -> currency.
PRICE_KEYS: dict[str, str] = {"priceEur": "EUR", "priceUsd": "USD"}

_GLUED_HEADER_RE = re.compile(r"^Model(?:Endpoint)?((?:(?:Input|Output)(?: \((?:USD|EUR)\))?)+)")
_GLUED_COLUMN_RE = re.compile(r"(Input|Output)(?: \((USD|EUR)\))?")
_GLUED_PRICE_RE = re.compile(r"\s*(\d+(?:\.\d+)?\s?[$€]\s*/\s*1M tokens)")


@dataclass(frozen=True)
class PriceList:
    """What one page yields: the quotes, and the token prices that could not be attributed.

    ``skipped`` says why a price that looked like a token price was not quoted (a card without an
    API id, a prefixed price), so a run can report it instead of losing it silently.
    """

    quotes: list[Quote]
    skipped: list[str] = field(default_factory=list)


def parse(text: str, source_url: str = "") -> list[Quote]:
    """Quotes of every model on a Mistral pricing page (see :func:`read_page`)."""
    return read_page(text, source_url).quotes


def read_page(text: str, source_url: str = "") -> PriceList:
    """Read any of the three formats; raise :class:`ParseError` when none holds a price."""
    doc = read_provider_page(PROVIDER, text, source_url)
    out = _Quotes(source_url)
    _read_cards(doc, out)
    for table in doc.tables:
        _read_table(table, out)
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            _read_glued(block.text, out)
    if not out.quotes:
        detail = f" ({'; '.join(out.skipped)})" if out.skipped else ""
        raise ParseError(PROVIDER, "no token prices found: expected mistral.ai model cards or a docs "
                                   f"pricing table with Input/Output per 1M tokens{detail}", source_url or None)
    return PriceList(list(out.quotes.values()), out.skipped)


class _Quotes:
    """Quotes by series key; the same series twice (a repeated card) must repeat the same price."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.quotes: dict[tuple[str, ...], Quote] = {}
        self.skipped: list[str] = []

    def add(self, model: str, component: str, currency: str, price: Decimal, price_text: str) -> None:
        quote = Quote(provider=PROVIDER, model=model, component=component, currency=currency,
                      price=price, price_text=price_text, source_url=self.url)
        seen = self.quotes.setdefault(quote.key, quote)
        if seen.price != quote.price:
            raise ParseError(PROVIDER, f"{model} {component} {currency} is listed twice with different "
                                       f"prices ({seen.price_text} vs {price_text})", self.url or None)

    def error(self, message: str) -> ParseError:
        return ParseError(PROVIDER, message, self.url or None)


def _component(label: str) -> str | None:
    for pattern, component in LABEL_COMPONENTS:
        if pattern.search(label):
            return component
    return None


# --- mistral.ai/pricing: model cards -------------------------------------------------------------

@dataclass
class _Card:
    name: str
    label: str = ""
    prices: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)


def _read_cards(doc: Document, out: _Quotes) -> None:
    """Cards are delimited by their headings; labels, prices and the id follow in reading order."""
    card: _Card | None = None
    for block in doc.blocks:
        if isinstance(block, Heading):
            if card:
                _card_quotes(card, out)
            card = _Card(block.text)
        elif card is None:
            continue
        elif isinstance(block, Paragraph):
            card.label = block.text
        elif isinstance(block, Data) and block.element == PRICE_ELEMENT and "prices" in block.values:
            card.prices.append((card.label, _json_prices(block.values["prices"], card.name, out)))
        elif isinstance(block, Data) and block.element == ID_ELEMENT and block.values.get("text"):
            card.ids.append(block.values["text"].strip())
    if card:
        _card_quotes(card, out)


def _json_prices(raw: str, card: str, out: _Quotes) -> dict[str, Any]:
    """The ``data-prices`` object, numbers kept as the page's own digits (never floats)."""
    try:
        value = json.loads(raw, parse_float=str, parse_int=str)
    except json.JSONDecodeError:
        raise out.error(f"card {card!r}: data-prices is not JSON: {raw[:80]!r}") from None
    if not isinstance(value, dict):
        raise out.error(f"card {card!r}: data-prices is not an object: {raw[:80]!r}")
    return value


def _card_quotes(card: _Card, out: _Quotes) -> None:
    token_prices = [(label, prices) for label, prices in card.prices if TOKEN_UNIT_RE.search(label)]
    if not token_prices:
        return
    ids = list(dict.fromkeys(card.ids))
    bad = [i for i in ids if not MODEL_ID_RE.fullmatch(i)]
    if bad:
        raise out.error(f"card {card.name!r}: {bad[0]!r} is not a model id")
    if not ids:
        out.skipped.append(f"card {card.name!r} has token prices but no API id")
        return
    for label, prices in token_prices:
        component = _component(label)
        if component is None or prices.get("prefix") or prices.get("suffix"):
            out.skipped.append(f"card {card.name!r}: price {label!r} {prices} is not a plain token price")
            continue
        found = False
        for key, currency in PRICE_KEYS.items():
            raw = prices.get(key)
            if raw is None:
                continue
            try:
                amount = Decimal(raw)
            except (InvalidOperation, TypeError):
                raise out.error(f"card {card.name!r}: {key} is not a number: {raw!r}") from None
            found = True
            for model in ids:
                out.add(model, component, currency, amount, f"{key}: {raw}")
        if not found:
            raise out.error(f"card {card.name!r}: {label!r} has neither priceEur nor priceUsd")


# --- docs.mistral.ai (2024): pipe tables ----------------------------------------------------------

def _read_table(table: Table, out: _Quotes) -> None:
    """A docs table: an id column and Input/Output columns with ``0.14€ / 1M tokens`` cells."""
    header = [cell.text.strip().lower() for cell in table.header]
    id_col = header.index("endpoint") if "endpoint" in header else header.index("model") if "model" in header else None
    columns = [(i, _component(h), _header_currency(h)) for i, h in enumerate(header)]
    columns = [(i, comp, cur) for i, comp, cur in columns if comp in ("input", "output")]
    body_text = " ".join(c.text for row in table.body for c in row)
    if id_col is None or not columns or "1m tokens" not in body_text.lower():
        return
    for row in table.body:
        model = row[id_col].text.strip()
        if not MODEL_ID_RE.fullmatch(model):
            raise out.error(f"docs table {table.section!r}: {model!r} is not a model id")
        for i, component, currency in columns:
            cell = row[i].text.strip()
            money = find_money(cell)
            if len(money) != 1:
                raise out.error(f"docs table {table.section!r}: {model} {header[i]!r} cell {cell!r} "
                                f"does not hold one price")
            if currency and money[0].currency != currency:
                raise out.error(f"docs table {table.section!r}: {model} {header[i]!r} holds "
                                f"{money[0].currency} ({cell!r})")
            out.add(model, component, money[0].currency, money[0].amount, cell)


def _header_currency(header: str) -> str | None:
    m = re.search(r"\((usd|eur)\)", header)
    return m.group(1).upper() if m else None


# --- a plain-text copy of the docs page: glued cells ----------------------------------------------

def _read_glued(text: str, out: _Quotes) -> None:
    """``ModelEndpointInput (USD)...Mistral 7Bopen-mistral-7b0.25$ / 1M tokens...`` rows."""
    m = _GLUED_HEADER_RE.match(text)
    if not m:
        return
    columns = _GLUED_COLUMN_RE.findall(m.group(1))
    rest = text[m.end():]
    pos = 0
    while pos < len(rest):
        first = _GLUED_PRICE_RE.search(rest, pos)
        if first is None:
            raise out.error(f"glued docs table: no prices after {rest[pos:pos + 60]!r}")
        model = _split_name_and_id(rest[pos:first.start()], out)
        pos = first.start()
        for kind, currency in columns:
            price = _GLUED_PRICE_RE.match(rest, pos)
            if price is None:
                raise out.error(f"glued docs table: {model} has fewer than {len(columns)} prices")
            (money,) = find_money(price.group(1))
            if currency and money.currency != currency:
                raise out.error(f"glued docs table: {model} {kind} ({currency}) holds {price.group(1)!r}")
            out.add(model, kind.lower(), money.currency, money.amount, price.group(1))
            pos = price.end()


def _split_name_and_id(chunk: str, out: _Quotes) -> str:
    """``Mistral Largemistral-large-latest`` -> ``mistral-large-latest`` (see the module docstring)."""
    words = chunk.split()
    if not words:
        raise out.error("glued docs table: a row has no model")
    glued = words[-1]
    for k in range(len(glued)):
        candidate = glued[k:]
        if not candidate[0].islower() or not MODEL_ID_RE.fullmatch(candidate):
            continue
        name_words = {w.lower() for w in (*words[:-1], glued[:k]) if w}
        if not name_words or candidate.split("-")[0] in name_words | {"open"}:
            return candidate
    raise out.error(f"glued docs table: cannot tell the model id in {chunk.strip()!r}")
