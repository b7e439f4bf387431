"""OpenAI: the platform docs pricing page, as HTML or as a Jina reader Markdown copy.

Source: ``SOURCES`` fetches https://platform.openai.com/docs/pricing.  The only captures of this
page available when the parser was written are Jina reader Markdown (``Title:`` / ``URL Source:``
/ ``Markdown Content:``), so that form is read exactly as it is.  The HTML form is inferred from
it, not copied from a capture: each section is a heading (``<h3>Text tokens</h3>``) with a
"Prices per 1M tokens." line, and each service tier is a panel whose label ("Batch", "Flex",
"Standard", "Priority") comes just before its ``<table>`` -- the order the Jina copy shows them
in.  If the live page instead uses ARIA tabs (``role="tablist"`` / ``role="tabpanel"``), the
reader's tab label gives the tier; either way the tier comes from the page, never from position.

What becomes quotes (USD per 1M tokens, the model column as the API id):

* "Text tokens": one table per tier -> tiers ``standard``, ``batch``, ``flex``, ``priority``;
  columns Input -> ``input``, Cached input -> ``input_cache_hit``, Output -> ``output``;
* "Legacy models": the same columns, Batch and Standard tables;
* "Embeddings": Cost -> ``input`` (``standard``), Batch cost -> ``input`` (``batch``).

A ``-`` cell means the page gives no price (gpt-5-pro has no cached input): no quote, never zero.

Left out, because a quote has no modality or unit to say what they price: image and audio token
prices (the same model ids as the text rows, e.g. gpt-realtime, at other prices), transcription
and speech, fine-tuning (training per hour, and inference of fine-tuned models, not of the base
id), image generation, video and built-in tools (per image, second, call or GB).

Strictness: the page must hold a Standard "Text tokens" table; a section read here must say its
prices are per 1M tokens; a column, model cell or price cell this parser does not understand, or
the same tier twice in one section, raises :class:`ParseError` instead of yielding fewer quotes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from parsers.document import Heading, Paragraph, Table, read_provider_page
from parsers.money import find_money
from parsers.quote import ParseError, Quote
from parsers.registry import Source

PROVIDER = "openai"
PARSER_VERSION = 1
PRICING_URL = "https://platform.openai.com/docs/pricing"
SOURCES = [Source(id="openai-pricing", provider=PROVIDER, url=PRICING_URL, currencies=("USD",))]

TIERS = ("standard", "batch", "flex", "priority")
#: Column header (lower case) -> (component, tier the column itself fixes, or None: the table's).
TOKEN_COLUMNS: dict[str, tuple[str, str | None]] = {
    "input": ("input", None),
    "cached input": ("input_cache_hit", None),
    "output": ("output", None),
}
EMBEDDING_COLUMNS: dict[str, tuple[str, str | None]] = {
    "cost": ("input", None),
    "batch cost": ("input", "batch"),
}
#: Section heading (lower case) -> its columns.  Other sections are not token prices per model.
SECTIONS: dict[str, dict[str, tuple[str, str | None]]] = {
    "text tokens": TOKEN_COLUMNS,
    "legacy models": TOKEN_COLUMNS,
    "embeddings": EMBEDDING_COLUMNS,
}
REQUIRED = ("text tokens", "standard")
NO_PRICE = {"-", "–", "—"}

_MODEL_ID_RE = re.compile(r"^[a-z0-9][a-z0-9.\-:]*$")
_PER_1M_RE = re.compile(r"\bper\s+1M\s+tokens\b", re.I)


@dataclass
class _Section:
    """The section a walk is in: its heading path, prose and the tier labels since the last table."""

    name: str = ""
    per_1m: bool = False
    labels: list[str] = field(default_factory=list)
    tiers: set[str] = field(default_factory=set)


def parse(text: str, source_url: str = "") -> list[Quote]:
    """Every token price in the Text tokens, Legacy models and Embeddings sections."""
    url = source_url
    doc = read_provider_page(PROVIDER, text, source_url)
    quotes: dict[tuple[str, str, str], Quote] = {}
    seen: set[tuple[str, str]] = set()
    headings: list[Heading] = []
    section = _Section()
    for block in doc.blocks:
        if isinstance(block, Heading):
            while headings and headings[-1].level >= block.level:
                headings.pop()
            headings.append(block)
            section = _Section(name=_section_name(headings))
        elif isinstance(block, Paragraph):
            if block.text.strip().lower() in TIERS:
                section.labels.append(block.text.strip().lower())
            section.per_1m = section.per_1m or bool(_PER_1M_RE.search(block.text))
        elif isinstance(block, Table) and section.name in SECTIONS:
            tier = _tier(block, section, url)
            _read_table(block, section, tier, quotes, url)
            seen.add((section.name, tier))
    if REQUIRED not in seen:
        raise ParseError(PROVIDER, "no Standard table under 'Text tokens' (Model | Input | Cached input | Output)",
                         url or None)
    return list(quotes.values())


def _tier(table: Table, section: _Section, url: str) -> str:
    """The tier a table prices: its tab label, else the one label above it, else ``standard``.

    Several different labels since the previous table (a tier switcher rendered as plain text with
    only one table under it) cannot say which tier the table is: that raises rather than guess.
    A section with one unlabelled table (Embeddings) is standard; a second unlabelled table in the
    same section is caught as a repeated tier.
    """
    tab = (table.tab or "").strip().lower()
    labels, section.labels = set(section.labels), []
    if tab in TIERS:
        return tab
    if len(labels) > 1:
        raise ParseError(PROVIDER, f"{section.name!r}: a table under several tier labels "
                                   f"({', '.join(sorted(labels))})", url or None)
    return labels.pop() if labels else "standard"


def _section_name(headings: list[Heading]) -> str:
    """The heading path below the page title, e.g. ``text tokens`` or ``transcription ... / text tokens``.

    A level-1 heading or one reading "Pricing" is the page title, not a section; keeping the rest of
    the path apart is what keeps "Transcription and speech generation / Text tokens" out.
    """
    path = [h.text.strip().lower() for h in headings if h.level > 1]
    while path and path[0] == "pricing":
        path.pop(0)
    return " / ".join(path)


def _read_table(table: Table, section: _Section, tier: str,
                quotes: dict[tuple[str, str, str], Quote], url: str) -> None:
    where = f"{section.name!r} {tier} table"
    if not section.per_1m:
        raise ParseError(PROVIDER, f"{where}: the section does not say its prices are per 1M tokens", url or None)
    if tier in section.tiers:
        raise ParseError(PROVIDER, f"{where} appears twice", url or None)
    section.tiers.add(tier)
    known = SECTIONS[section.name]
    columns = []
    for cell in table.header[1:]:
        header = " ".join(cell.text.split()).lower()
        if header not in known:
            raise ParseError(PROVIDER, f"{where}: unknown column {cell.text!r}", url or None)
        columns.append(known[header])
    for row in table.body:
        model = row[0].text.split("\n")[0].strip()
        if not _MODEL_ID_RE.match(model):
            raise ParseError(PROVIDER, f"{where}: {row[0].text!r} is not a model id", url or None)
        for cell, (component, column_tier) in zip(row[1:], columns):
            text = cell.kept.split("\n")[0].strip()
            if text in NO_PRICE:
                continue
            money = find_money(text)
            if len(money) != 1 or money[0].text != text:
                raise ParseError(PROVIDER, f"{where}: {model} {component} {text!r} is not one price", url or None)
            quote = Quote(provider=PROVIDER, model=model, component=component, currency=money[0].currency,
                          price=money[0].amount, price_text=text, tier=column_tier or tier, source_url=url)
            _add(quotes, quote, url)


def _add(quotes: dict[tuple[str, str, str], Quote], quote: Quote, url: str) -> None:
    """One quote per series; a model in two sections must show the same price in both."""
    slot = (quote.model, quote.component, quote.tier)
    seen = quotes.get(slot)
    if seen is None:
        quotes[slot] = quote
    elif seen.price != quote.price:
        raise ParseError(PROVIDER, f"{quote.model} {quote.tier} {quote.component} is listed twice with different "
                                   f"prices ({seen.price_text} vs {quote.price_text})", url or None)
