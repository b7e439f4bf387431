"""Mistral: the mistral.ai/pricing page, and the 2024 docs pricing page for history.

Provider id ``mistral``.  Both currencies Mistral prints (EUR and USD) become quotes; they are two
price series, never converted into each other.  Five page forms are read; the page data (1) is
read first, and the rendered forms only when a page carries no such data:

1. **mistral.ai/pricing as a Next.js page** (2026).  The API prices are not in the HTML at all, only
   in the page data: the React Server Components payload, pushed by scripts as JavaScript strings
   (``self.__next_f.push([1,"36:[\\"$\\",...{\\"apis\\":[...]}]"])``), or, for a build that ships
   classic page props, the JSON of ``<script id="__NEXT_DATA__">``.  The strings are joined and
   decoded as JSON, never executed.  Each model is an object with a ``name``, its API id in
   ``api_endpoint`` (``api`` in the featured-models strip) and a ``price`` list of
   ``{"value": "Input (/M tokens)", "price_dollar": "<p>$0.5</p>", "price_euro": "<p>0.5&euro;</p>"}``
   (HTML fragments; the RSC escape ``$$0.5`` is a literal ``$0.5``).  Objects whose ``status`` is
   not ``published`` are drafts and are skipped.
2. **mistral.ai/pricing as an Astro page** (2024-2025).  Each model is a ``<mistral-block-card-model>``
   card: an ``<h2>`` display name, a ``<p>`` label per price (``Input (/M tokens)``), the price in
   the ``data-prices`` attribute of an empty ``<mistral-atom-text-price>``
   (``{"priceEur":1.25,"priceUsd":1.5,"prefix":null,"suffix":null}``) and the API id in the
   ``data-text`` of ``<mistral-atom-button-copy-clipboard>``.  The page reader turns those
   attributes into :class:`~parsers.document.Data` blocks, so this module never sees HTML.
3. **mistral.ai/pricing as rendered text** (reader and crawler copies of the API tab): per card a
   heading, ``Input (/M tokens)`` / ``$1.5`` lines (or glued, ``Output (/M tokens)$0.4``) and the id
   on a line of its own (``mistral-medium-latest``).  Cards are cut at headings, and prices are
   attributed only when their card prints exactly one id.
4. **docs.mistral.ai/platform/pricing/** (January to April 2024; Markdown in the docs repository,
   HTML when rendered).  Pipe tables with the currency after the number: ``0.14€ / 1M tokens``,
   ``0.25$ / 1M tokens``; EUR only at first, then ``Input (USD)`` ... ``Output (EUR)`` columns.
   The API id is the ``Endpoint`` column, or the ``Model`` column when there is no ``Endpoint``.
5. **A plain-text copy of that docs page** (html-to-text, as archived by third parties), whose table
   cells are glued together: ``Mistral Largemistral-large-latest8$ / 1M tokens24$ / 1M tokens...``.
   The glued header names the price columns; a row's display name and API id are told apart because
   the id starts with a word of the display name (``Large|mistral-large-latest``) or with ``open-``
   (``Mistral 7B|open-mistral-7b``), which holds for every model that page ever listed.

What is a price: only a price labelled per million tokens (``Input (/M tokens)``, ``Cached input
(/M tokens)``, ``Output (/M tokens)``) whose cell holds exactly one amount in the column's currency
and nothing else.  OCR (``$2 / 1000 pages``), speech (``per 1k characters``), audio per minute,
tool calls (``$30 / 1000 calls``), training and storage fees, ``Free`` and mixed cells
(``$0.004 (audio) / $0.1 (text)``) are reported as skipped, with the reason.

Model ids come from the page only (``api_endpoint``, the copy button, the ``Endpoint`` column); a
model shown without one is skipped, never named by guess.  **One id, two models**: the 2026 page
lists both Mistral Small 4 ($0.15/$0.6) and Mistral Small 3.2 ($0.1/$0.3) under
``mistral-small-latest`` and gives no version id that would tell them apart.  The rule: when two
entries with the same id disagree on any price, no price of that id is recorded and a warning names
both entries and their prices; entries that agree (a model repeated in the featured strip) are one
quote.  The same rule holds for repeated cards and table rows.

The card page also says ``Batch processing -50%`` and ``Cached input tokens -90%``; those derived
prices are not quoted, because the page never states them as numbers.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from parsers.document import Data, Document, Heading, Paragraph, Table, read_provider_page
from parsers.money import find_money
from parsers.quote import ParseError, Quote, Reading, Skipped
from parsers.registry import Source

PROVIDER = "mistral"
PARSER_VERSION = 2
PRICING_URL = "https://mistral.ai/pricing"
SOURCES = [Source(id="mistral-pricing", provider=PROVIDER, url=PRICING_URL, currencies=("EUR", "USD"),
                  ways=("http", "browser"))]  # prices in the Next.js page data; the browser if that goes

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
#: Docs table headers naming the API id column, most specific first.
ID_HEADERS = ("endpoint", "api endpoint", "api endpoints", "api name", "model id", "model")
#: Page-data price fields -> currency (the 2026 Next.js data, and spellings a rebuild may use).
DATA_PRICE_KEYS: dict[str, str] = {
    "price_dollar": "USD", "price_euro": "EUR", "price_usd": "USD", "price_eur": "EUR",
    "priceDollar": "USD", "priceEuro": "EUR", **PRICE_KEYS,
}
#: Page-data fields holding a model's API id, most specific first.
DATA_ID_KEYS = ("api_endpoint", "apiEndpoint", "api")
#: Fields holding a model's list of labelled prices.
DATA_PRICE_LISTS = ("price", "prices", "pricing")
NEXT_PUSH = "self.__next_f.push("

_GLUED_HEADER_RE = re.compile(r"^Model(?:Endpoint)?((?:(?:Input|Output)(?: \((?:USD|EUR)\))?)+)")
_GLUED_COLUMN_RE = re.compile(r"(Input|Output)(?: \((USD|EUR)\))?")
_GLUED_PRICE_RE = re.compile(r"\s*(\d+(?:\.\d+)?\s?[$€]\s*/\s*1M tokens)")
_RSC_ROW_RE = re.compile(rb"([0-9a-fA-F]{1,8}):")
_TAG_RE = re.compile(r"<[^>]*>")
_BARE_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?")
_SCRIPT_RE = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.I | re.S)


def parse(text: str, source_url: str = "") -> list[Quote]:
    """Quotes of every model on a Mistral pricing page (see :func:`read`)."""
    return read(text, source_url).quotes


def read(text: str, source_url: str = "") -> Reading:
    """Read any of the five forms; raise :class:`ParseError` when none holds a price."""
    out = _Quotes(source_url)
    entries: list[_Entry] = []
    if NEXT_PUSH in text or "__NEXT_DATA__" in text:
        # The page data is all a Next.js page holds: read its scripts without building the
        # document (the 459 KB page then parses in a quarter of the time).
        entries = list(_data_entries(_SCRIPT_RE.findall(text), out))
    if entries:
        for entry in entries:
            _entry_quotes(entry, out)
    else:
        doc = read_provider_page(PROVIDER, text, source_url)
        _read_cards(doc, out)
        _read_text_cards(doc, out)
        for table in doc.tables:
            _read_table(table, out)
        for block in doc.blocks:
            if isinstance(block, Paragraph):
                _read_glued(block.text, out)
    quotes = out.settle()
    if not quotes:
        detail = f" ({'; '.join(map(str, out.skipped[:5]))})" if out.skipped else ""
        raise ParseError(PROVIDER, "no token prices found: expected mistral.ai model data or cards, or a "
                                   f"docs pricing table with Input/Output per 1M tokens{detail}",
                         source_url or None)
    return Reading(quotes, out.skipped)


class _Quotes:
    """Candidate quotes by model, settled once the whole page is read.

    A model whose entries disagree on any price (two models under one id, a repeated card with
    another price) yields no quote at all, and a warning naming every entry: picking one would be
    a guess.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.by_model: dict[str, list[tuple[str, Quote]]] = {}
        self.skipped: list[Skipped] = []

    def add(self, model: str, component: str, currency: str, price: Decimal, price_text: str,
            origin: str = "") -> None:
        quote = Quote(provider=PROVIDER, model=model, component=component, currency=currency,
                      price=price, price_text=price_text, source_url=self.url)
        self.by_model.setdefault(model, []).append((origin or model, quote))

    def skip(self, where: str, text: str, reason: str) -> None:
        self.skipped.append(Skipped(where=where, text=_clip(text), reason=reason))

    def settle(self) -> list[Quote]:
        quotes: list[Quote] = []
        for model, found in self.by_model.items():
            series: dict[tuple[str, ...], set[Decimal]] = {}
            for _, quote in found:
                series.setdefault(quote.key, set()).add(quote.price)
            if all(len(p) == 1 for p in series.values()):
                first: dict[tuple[str, ...], Quote] = {}
                for _, quote in found:
                    first.setdefault(quote.key, quote)
                quotes.extend(first.values())
                continue
            listed: dict[str, list[str]] = {}
            for origin, q in found:
                listed.setdefault(origin, []).append(f"{q.component} {q.currency} {q.price_text}")
            text = "; ".join(f"{origin}: {', '.join(dict.fromkeys(parts))}" for origin, parts in listed.items())
            if len(listed) == 1:
                reason = f"{next(iter(listed))} is listed more than once with different prices; none is recorded"
            else:
                reason = (f"{' and '.join(listed)} give different prices under this one id and the page has "
                          "no version id to tell them apart; none is recorded")
            self.skip(f"model {model}", text, reason)
        return quotes

    def error(self, message: str) -> ParseError:
        return ParseError(PROVIDER, message, self.url or None)


def _component(label: str) -> str | None:
    for pattern, component in LABEL_COMPONENTS:
        if pattern.search(label):
            return component
    return None


def _clip(text: str, width: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


# --- mistral.ai/pricing as a Next.js page: the page data ------------------------------------------

@dataclass(frozen=True)
class _Entry:
    """One model object of the page data, with the RSC ``$$`` escape already undone."""

    name: str
    model: str | None
    status: str | None
    prices: list[dict[str, Any]]


def _data_entries(scripts: list[str], out: _Quotes) -> Iterator[_Entry]:
    """Model objects with a ``price`` list, from the RSC payload and from JSON page data."""
    chunks: list[str] = []
    for script in scripts:
        body = script.strip()
        if NEXT_PUSH in body:
            chunk = _push_string(body, out)
            if chunk is not None:
                chunks.append(chunk)
        elif body.startswith("{") and '"price' in body:
            try:
                data = json.loads(body, parse_float=Decimal)
            except json.JSONDecodeError:
                out.skip("page data", body[:80], "a JSON script that mentions prices is not valid JSON")
                continue
            yield from _walk(data, rsc=False)
    if chunks:
        for row in _rsc_rows("".join(chunks), out):
            yield from _walk(row, rsc=True)


def _push_string(script: str, out: _Quotes) -> str | None:
    """The string of ``self.__next_f.push([1, "..."])``; other pushes (bootstrap, form state) are None."""
    start = script.index(NEXT_PUSH) + len(NEXT_PUSH)
    end = script.rfind(")")
    try:
        value = json.loads(script[start:end])
    except json.JSONDecodeError:
        out.skip("page data", script[:80], "a Next.js data script is not a JSON array")
        return None
    if isinstance(value, list) and len(value) == 2 and value[0] == 1 and isinstance(value[1], str):
        return value[1]
    return None


def _rsc_rows(payload: str, out: _Quotes) -> Iterator[Any]:
    """The JSON rows of an RSC payload: ``id:JSON``, one per line; ``id:T<hex>,`` text rows are
    skipped by their byte length (they may hold newlines); tagged rows (``I``, ``HL``) hold no data."""
    raw = payload.encode("utf-8")
    pos = 0
    while pos < len(raw):
        m = _RSC_ROW_RE.match(raw, pos)
        if m is None:  # not at a row start: resynchronise at the next line
            nl = raw.find(b"\n", pos)
            pos = len(raw) if nl < 0 else nl + 1
            continue
        pos = m.end()
        if raw[pos:pos + 1] == b"T":
            comma = raw.find(b",", pos)
            try:
                pos = comma + 1 + int(raw[pos + 1:comma], 16)
            except ValueError:
                pos = comma + 1
            continue
        nl = raw.find(b"\n", pos)
        end = len(raw) if nl < 0 else nl
        body = raw[pos:end]
        pos = end + 1
        if body[:1] in (b"[", b"{") and b'"price' in body:
            try:
                yield json.loads(body, parse_float=Decimal)
            except json.JSONDecodeError:
                out.skip(f"page data row {m.group(1).decode()}", body[:80].decode("utf-8", "replace"),
                         "an RSC row that mentions prices is not valid JSON")


def _walk(node: Any, rsc: bool) -> Iterator[_Entry]:
    """Every object holding a ``price`` list of labelled prices, in document order."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            prices = next((item[k] for k in DATA_PRICE_LISTS if isinstance(item.get(k), list)), None)
            if isinstance(prices, list) and prices and all(
                    isinstance(p, dict) and ("value" in p or "label" in p) for p in prices):
                yield _entry(item, prices, rsc)
                continue
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def _entry(item: dict[str, Any], prices: list[dict[str, Any]], rsc: bool) -> _Entry:
    def text(value: Any) -> Any:
        if rsc and isinstance(value, str) and value.startswith("$$"):
            return value[1:]
        return value

    model = next((text(item[k]) for k in DATA_ID_KEYS if isinstance(item.get(k), str) and item[k].strip()), None)
    name = text(item.get("name") or item.get("title") or model or "?")
    status = item.get("status")
    return _Entry(name=str(name), model=model.strip() if model else None,
                  status=status if isinstance(status, str) else None,
                  prices=[{k: text(v) for k, v in p.items()} for p in prices])


def _fragment_text(value: Any) -> str:
    """An HTML fragment of the page data as its text: ``<p>0.5&euro;</p>`` -> ``0.5€``."""
    return " ".join(html.unescape(_TAG_RE.sub(" ", str(value))).split()) if value is not None else ""


def _entry_quotes(entry: _Entry, out: _Quotes) -> None:
    where = f"model data {entry.name!r}" + (f" ({entry.model})" if entry.model else "")
    if entry.status not in (None, "published"):
        out.skip(where, entry.status, "entry is not published (draft or archived); not on the page")
        return
    priced: list[tuple[str, str, str, Any]] = []
    for price in entry.prices:
        label = _fragment_text(price.get("value") or price.get("label"))
        cells = [(key, currency, price[key]) for key, currency in DATA_PRICE_KEYS.items() if price.get(key) is not None]
        if not cells:
            continue
        shown = " | ".join(_fragment_text(raw) for _, _, raw in cells)
        component = _component(label)
        numbers = any(_BARE_NUMBER_RE.fullmatch(_fragment_text(raw)) for _, _, raw in cells)
        if not find_money(shown) and not numbers and "free" not in shown.lower():
            continue  # not a price at all ("Available on /v1/chat/completions")
        if not TOKEN_UNIT_RE.search(label):
            out.skip(f"{where} / {label}", shown, "not a price per million tokens")
        elif component is None:
            out.skip(f"{where} / {label}", shown, "label names no input or output token price")
        else:
            priced.extend((label, key, currency, raw) for key, currency, raw in cells)
    if priced and entry.model is None:
        out.skip(where, "; ".join(f"{label} {_fragment_text(raw)}" for label, _, _, raw in priced),
                 "token prices without an API model id; not attributed")
        return
    if priced and not MODEL_ID_RE.fullmatch(entry.model or ""):
        out.skip(where, entry.model or "", "API id is not a model id")
        return
    for label, key, currency, raw in priced:
        cell = _fragment_text(raw)
        if _BARE_NUMBER_RE.fullmatch(cell):  # a number under a currency key: {"price_usd": 0.5}
            out.add(entry.model or "", _component(label) or "", currency, Decimal(cell), f"{key}: {cell}",
                    repr(entry.name))
            continue
        money = find_money(cell)
        rest = cell
        for m in money:
            rest = rest.replace(m.text, "", 1)
        if len(money) != 1 or rest.strip():
            out.skip(f"{where} / {label} / {key}", cell, "cell does not hold exactly one plain price")
        elif money[0].currency != currency:
            out.skip(f"{where} / {label} / {key}", cell, f"{key} cell holds {money[0].currency}, not {currency}")
        else:
            out.add(entry.model or "", _component(label) or "", currency, money[0].amount, cell, repr(entry.name))


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
    """The ``data-prices`` object, numbers kept as the page's own digits (never floats); an
    unreadable one is reported and read as no price."""
    try:
        value = json.loads(raw, parse_float=str, parse_int=str)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        out.skip(f"card {card!r}", raw, "data-prices is not a JSON object")
        return {}
    return value


def _card_quotes(card: _Card, out: _Quotes) -> None:
    token_prices = [(label, prices) for label, prices in card.prices if TOKEN_UNIT_RE.search(label)]
    if not token_prices:
        return
    ids = list(dict.fromkeys(card.ids))
    for bad in [i for i in ids if not MODEL_ID_RE.fullmatch(i)]:
        out.skip(f"card {card.name!r}", bad, "copy button text is not a model id; not used as one")
        ids.remove(bad)
    if not ids:
        out.skip(f"card {card.name!r}", "; ".join(f"{label} {prices}" for label, prices in token_prices),
                 "token prices without an API model id; not attributed")
        return
    for label, prices in token_prices:
        component = _component(label)
        if component is None or prices.get("prefix") or prices.get("suffix"):
            out.skip(f"card {card.name!r} / {label}", str(prices), "not a plain input/output token price")
            continue
        found = False
        for key, currency in PRICE_KEYS.items():
            raw = prices.get(key)
            if raw is None:
                continue
            try:
                amount = Decimal(raw)
            except (InvalidOperation, TypeError):
                amount = Decimal("NaN")
            found = True
            if not amount.is_finite() or amount < 0:
                out.skip(f"card {card.name!r} / {label}", f"{key}: {raw}", "not a number")
                continue
            for model in ids:
                out.add(model, component, currency, amount, f"{key}: {raw}", f"card {card.name!r}")
        if not found:
            out.skip(f"card {card.name!r} / {label}", str(prices), "has neither priceEur nor priceUsd")


# --- mistral.ai/pricing as rendered text (reader and crawler copies of the API tab) ---------------

#: An API id printed as a line of its own on a rendered card (``mistral-medium-latest``).
TEXT_ID_RE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9.]+)+")
_GLUED_LABEL_RE = re.compile(r"^([A-Za-z ]+\((?:/|per )\s*(?:1\s*)?M tokens\))\s*(\S.*)$")


def _read_text_cards(doc: Document, out: _Quotes) -> None:
    """Cards as a browser renders them: ``Input (/M tokens)`` / ``$1.5`` / ... / ``mistral-medium-latest``.

    The id line and the prices must share one card, so cards are cut at headings, and a card must
    print exactly one id: prices in a card with none, or with two, are reported, never attributed
    across a card boundary.
    """
    name = ""
    label = other = ""
    pairs: list[tuple[str, str]] = []
    ids: list[str] = []

    def close() -> None:
        if not pairs:
            return
        where = f"card {name!r}"
        found = list(dict.fromkeys(ids))
        series = [(_component(lab), find_money(price)[0].currency) for lab, price in pairs]
        if len(set(series)) != len(series):
            out.skip(where, "; ".join(f"{lab} {price}" for lab, price in pairs),
                     "the same price twice in one card (cards whose headings were lost?); not attributed")
            return
        if len(found) != 1:
            out.skip(where, "; ".join(f"{lab} {price}" for lab, price in pairs),
                     "token prices in a card that prints " + ("no API id" if not found else
                                                               f"several ids ({', '.join(found)})"))
            return
        for lab, price in pairs:
            money = find_money(price)[0]
            out.add(found[0], _component(lab) or "", money.currency, money.amount, price, where)

    for block in doc.blocks:
        if isinstance(block, Heading):
            close()
            name, label, other, pairs, ids = block.text.strip(), "", "", [], []
        elif isinstance(block, Paragraph):
            text = block.text.strip()
            money = find_money(text)
            glued = _GLUED_LABEL_RE.match(text)
            if glued and len(money) == 1 and glued.group(2) == money[0].text and _component(glued.group(1)):
                pairs.append((glued.group(1), money[0].text))  # "Input (/M tokens)$1.5" on one line
                label = other = ""
                continue
            if label and len(money) == 1 and text == money[0].text:
                pairs.append((label, text))
            elif label and money:
                out.skip(f"card {name!r} / {label}", text, "cell does not hold exactly one plain price")
            elif other and money:
                out.skip(f"card {name!r} / {other}", text, "not a price per million tokens")
            elif TEXT_ID_RE.fullmatch(text):
                ids.append(text)
            is_label = not money and len(text) <= 40
            label = text if is_label and TOKEN_UNIT_RE.search(text) and _component(text) else ""
            other = text if is_label and not label and name else ""
    close()


# --- docs.mistral.ai (2024): pipe tables ----------------------------------------------------------

def _read_table(table: Table, out: _Quotes) -> None:
    """A docs table: an id column and Input/Output columns with ``0.14€ / 1M tokens`` cells.

    A column without a currency in its header may hold one price per currency in a cell
    (``0.25$ / 1M tokens<br>0.23€ / 1M tokens``): each becomes its own quote.
    """
    header = [cell.text.strip().lower() for cell in table.header]
    id_col = next((header.index(h) for h in ID_HEADERS if h in header), None)
    columns = [(i, _component(h), _header_currency(h)) for i, h in enumerate(header)]
    columns = [(i, comp, cur) for i, comp, cur in columns if comp]
    body_text = " ".join(c.text for row in table.body for c in row)
    if id_col is None or not columns or "1m tokens" not in body_text.lower():
        return
    for row in table.body:
        model = row[id_col].text.strip()
        where = f"docs table {table.section!r} row {model!r}"
        if not MODEL_ID_RE.fullmatch(model):
            out.skip(where, " | ".join(c.text for c in row), "no model id in the id column")
            continue
        for i, component, currency in columns:
            cell = row[i].text.strip()
            money = find_money(cell)
            by_currency = {m.currency: m for m in money}
            if not money:
                if cell and cell not in ("-", "—", "N/A"):
                    out.skip(f"{where} / {header[i]}", cell, "cell does not hold a price")
                continue
            if len(by_currency) != len(money) or (currency and len(money) != 1):
                out.skip(f"{where} / {header[i]}", cell, "cell does not hold one price per currency")
                continue
            if currency and money[0].currency != currency:
                out.skip(f"{where} / {header[i]}", cell, f"column is {currency} but the cell holds "
                                                         f"{money[0].currency}")
                continue
            for m in money:
                out.add(model, component, m.currency, m.amount, cell if len(money) == 1 else m.text,
                        f"docs table {table.section!r} row {model}")


def _header_currency(header: str) -> str | None:
    m = re.search(r"\((usd|eur)\)", header)
    return m.group(1).upper() if m else None


# --- a plain-text copy of the docs page: glued cells ----------------------------------------------

def _read_glued(text: str, out: _Quotes) -> None:
    """``ModelEndpointInput (USD)...Mistral 7Bopen-mistral-7b0.25$ / 1M tokens...`` rows.

    The rows are read in order; where one cannot be read, the rest of the table is reported
    (past a broken row the columns can no longer be trusted) and the rows before it are kept."""
    try:
        _read_glued_rows(text, out)
    except ParseError as exc:
        out.skip("glued docs table", text[:200], str(exc).removeprefix(f"{PROVIDER}: ") + "; rest not read")


def _read_glued_rows(text: str, out: _Quotes) -> None:
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
