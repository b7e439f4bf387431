"""Anthropic (Claude): the docs pricing page, as HTML or as Markdown.

Source: ``SOURCES`` fetches the HTML of https://docs.claude.com/en/docs/about-claude/pricing (a
1.7 MB Mintlify/Next.js page whose prices are six plain ``<table>``\\ s; the reader cuts the
scripts out first).  The page also has a Markdown form (the same URL plus ``.md``); it is not
fetched, because the HTML is what the docs site serves by default, but Markdown copies of the page
(``.md`` exports, crawler and Jina copies, including the models overview page, which repeats the
model pricing table) are read with the same code, so a saved copy can be checked with
``ratecard parse``.

What becomes quotes (all USD, per 1M tokens, "MTok" on the page):

* the model pricing table (``Model | Base Input Tokens | 5m Cache Writes | 1h Cache Writes |
  Cache Hits & Refreshes | Output Tokens``), tier ``standard``: ``input``,
  ``input_cache_write`` (5-minute writes; pages from before 1-hour caching call the column just
  "Cache Writes"), ``input_cache_write_1h``, ``input_cache_hit`` and ``output``;
* the batch table (``Model | Batch input | Batch output``), tier ``batch``;
* the long-context table (``≤ 200K input tokens | > 200K input tokens``, cells such as
  ``Input: $6 / MTok``), tier ``context>200k``, for the models the paragraph above the table names
  ("When using Claude Sonnet 4 or Sonnet 4.5 ...").  The page says batch and caching multipliers
  "stack" on these rates but prints no numbers for them, so no such quotes are derived.

A page that has a "Batch processing" or "Long context pricing" heading but no table of that kind
raises :class:`ParseError`, as does a page without the model pricing table, a price column the
parser does not know, or a price not written per MTok: a moved or changed table is an error, never
a quietly shorter list.

Model ids: the page names models by display name ("Claude Sonnet 4.5").  :data:`MODEL_IDS` is the
one place they become API ids.  Names it does not hold are never turned into guessed ids: the page
raises :class:`ParseError` listing every unmapped name, so a new model is added to the table by a
person (the models overview page lists the ids) before its prices are recorded.  A status note
after a name ("Claude Opus 3 (deprecated)") is removed before the lookup and kept in ``note``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from parsers.document import Cell, Heading, Paragraph, Table, read_provider_page
from parsers.money import find_money
from parsers.quote import ParseError, Quote
from parsers.registry import Source

PROVIDER = "anthropic"
PARSER_VERSION = 1
PRICING_URL = "https://docs.claude.com/en/docs/about-claude/pricing"
SOURCES = [Source(id="anthropic-pricing", provider=PROVIDER, url=PRICING_URL, currencies=("USD",))]

#: Display name as the pricing page writes it -> API model id without its snapshot date
#: (``claude-sonnet-4-20250514`` -> ``claude-sonnet-4``), so usage records map by dropping the
#: date suffix.  Ids are the ones the models overview page lists (docs.claude.com/en/docs/
#: about-claude/models); Claude 3 models use the older family-last order of their ids.
MODEL_IDS: dict[str, str] = {
    "Claude Opus 4.5": "claude-opus-4-5",
    "Claude Opus 4.1": "claude-opus-4-1",
    "Claude Opus 4": "claude-opus-4",
    "Claude Sonnet 4.5": "claude-sonnet-4-5",
    "Claude Sonnet 4": "claude-sonnet-4",
    "Claude Haiku 4.5": "claude-haiku-4-5",
    "Claude Sonnet 3.7": "claude-3-7-sonnet",
    "Claude Sonnet 3.5": "claude-3-5-sonnet",
    "Claude Haiku 3.5": "claude-3-5-haiku",
    "Claude Opus 3": "claude-3-opus",
    "Claude Sonnet 3": "claude-3-sonnet",
    "Claude Haiku 3": "claude-3-haiku",
}

#: Model pricing table column (start of its header, lower case) -> component.
STANDARD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("base input", "input"),
    ("5m cache write", "input_cache_write"),
    ("cache write", "input_cache_write"),
    ("1h cache write", "input_cache_write_1h"),
    ("cache hit", "input_cache_hit"),
    ("output", "output"),
)
BATCH_COLUMNS: tuple[tuple[str, str], ...] = (("batch input", "input"), ("batch output", "output"))
#: Row label in a long-context cell (``Input: $6 / MTok``) -> component.
LONG_CONTEXT_LABELS = {"input": "input", "output": "output"}

_STATUS_RE = re.compile(r"\s*\((deprecated|retired|legacy)\)", re.I)
_MODEL_MENTION_RE = re.compile(r"\b(?:Claude\s+)?(Opus|Sonnet|Haiku)\s+(\d+(?:\.\d+)?)\b")
_THRESHOLD_RE = re.compile(r"^>\s*(\d+(?:\.\d+)?)\s*([KM])\b", re.I)
_PER_MTOK_RE = re.compile(r"/\s*MTok\b", re.I)


@dataclass
class _Page:
    """What a walk over the document collects: quotes by series, and names without an id."""

    url: str
    quotes: dict[tuple[str, str, str], Quote]
    unmapped: set[str]


def parse(text: str, source_url: str = "") -> list[Quote]:
    """Every quote on an Anthropic pricing page; :class:`ParseError` if a price table is missing."""
    url = source_url
    doc = read_provider_page(PROVIDER, text, source_url)
    page = _Page(url=url, quotes={}, unmapped=set())
    found: set[str] = set()
    prose: list[str] = []  # paragraphs since the last heading: the long-context table's model list
    for block in doc.blocks:
        if isinstance(block, Heading):
            prose = []
        elif isinstance(block, Paragraph):
            prose.append(block.text)
        elif isinstance(block, Table):
            kind = _table_kind(block)
            if kind == "standard":
                _read_model_table(page, block, STANDARD_COLUMNS, "standard")
            elif kind == "batch":
                _read_model_table(page, block, BATCH_COLUMNS, "batch")
            elif kind == "long context":
                _read_long_context(page, block, prose)
            if kind:
                found.add(kind)
    _check_complete(doc.blocks, found, url)
    if page.unmapped:
        names = ", ".join(sorted(page.unmapped))
        raise ParseError(PROVIDER, f"no API id for {names}: add them to MODEL_IDS in parsers/anthropic.py",
                         url or None)
    return list(page.quotes.values())


def _table_kind(table: Table) -> str | None:
    """``standard``, ``batch``, ``long context`` or None (tool token counts and the like)."""
    headers = [_header(c) for c in table.header]
    if any(h.startswith("base input") for h in headers[1:]):
        return "standard"
    if any(h.startswith("batch input") for h in headers[1:]):
        return "batch"
    if any(_THRESHOLD_RE.match(h) for h in headers):
        return "long context"
    return None


def _header(cell: Cell) -> str:
    return " ".join(cell.text.split()).lower()


def _check_complete(blocks: Iterable[object], found: set[str], url: str) -> None:
    """The model table must be there, and a batch or long-context section must hold its table."""
    if "standard" not in found:
        raise ParseError(PROVIDER, "no model pricing table (Model | Base Input Tokens | ... | Output Tokens)",
                         url or None)
    headings = " / ".join(b.text.lower() for b in blocks if isinstance(b, Heading))
    for kind, heading in (("batch", "batch processing"), ("long context", "long context pricing")):
        if heading in headings and kind not in found:
            raise ParseError(PROVIDER, f"the {heading!r} section has no {kind} price table", url or None)


def _read_model_table(page: _Page, table: Table, columns: tuple[tuple[str, str], ...], tier: str) -> None:
    """A table with one model per row and one component per price column."""
    components = [_column_component(_header(c), columns, page.url) for c in table.header[1:]]
    for row in table.body:
        model, note = _model_id(row[0].text, page)
        for cell, component in zip(row[1:], components):
            text = _first_line(cell)
            _add(page, _quote(model, component, tier, text, note, page.url))


def _column_component(header: str, columns: tuple[tuple[str, str], ...], url: str) -> str:
    for prefix, component in columns:
        if header.startswith(prefix):
            return component
    raise ParseError(PROVIDER, f"unknown price column {header!r}", url or None)


def _read_long_context(page: _Page, table: Table, prose: list[str]) -> None:
    """The ``> 200K input tokens`` column, for the models the paragraph above the table names."""
    models = _models_named(prose, page)
    if not models:
        raise ParseError(PROVIDER, "long context table without the models it applies to", page.url or None)
    for col, header in enumerate(table.header):
        m = _THRESHOLD_RE.match(_header(header))
        if not m:
            continue
        tier = f"context>{m.group(1)}{m.group(2).lower()}"
        for row in table.body:
            text = _first_line(row[col])
            label, sep, _ = text.partition(":")
            component = LONG_CONTEXT_LABELS.get(label.strip().lower()) if sep else None
            if component is None:
                raise ParseError(PROVIDER, f"long context cell {text!r} is not 'Input: ...' or 'Output: ...'",
                                 page.url or None)
            for model in models:
                _add(page, _quote(model, component, tier, text, "", page.url))


def _models_named(prose: list[str], page: _Page) -> list[str]:
    """Model ids in the first paragraph above the table that names models ("Sonnet 4 or Sonnet 4.5")."""
    for text in prose:
        names = [f"Claude {family} {version}" for family, version in _MODEL_MENTION_RE.findall(text)]
        if names:
            return list(dict.fromkeys(_model_id(name, page)[0] for name in names))
    return []


def _model_id(cell_text: str, page: _Page) -> tuple[str, str]:
    """The API id and status note of a display name; unknown names are collected, not guessed."""
    name = " ".join(cell_text.split("\n")[0].split())
    status = _STATUS_RE.search(name)
    name = _STATUS_RE.sub("", name).strip()
    model = MODEL_IDS.get(name)
    if model is None:
        page.unmapped.add(repr(name))
        model = name
    return model, status.group(1).lower() if status else ""


def _first_line(cell: Cell) -> str:
    """The price line of a cell: Markdown copies run the prose after a table into its last cell."""
    lines = cell.kept.split("\n")
    return lines[0].strip()


def _quote(model: str, component: str, tier: str, text: str, note: str, url: str) -> Quote:
    money = find_money(text)
    if len(money) != 1 or not _PER_MTOK_RE.search(text):
        raise ParseError(PROVIDER, f"{model} {tier} {component}: {text!r} is not one price per MTok", url or None)
    return Quote(provider=PROVIDER, model=model, component=component, currency=money[0].currency,
                 price=money[0].amount, price_text=text, tier=tier, source_url=url, note=note)


def _add(page: _Page, quote: Quote) -> None:
    """One quote per series; a model shown twice must show the same price."""
    slot = (quote.model, quote.component, quote.tier)
    seen = page.quotes.get(slot)
    if seen is None:
        page.quotes[slot] = quote
    elif seen.price != quote.price:
        raise ParseError(PROVIDER, f"{quote.model} {quote.tier} {quote.component} is listed twice with different "
                                   f"prices ({seen.price_text} vs {quote.price_text})", page.url or None)
