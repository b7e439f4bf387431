"""Google Gemini API: the ai.google.dev pricing page, as served (HTML) or through a Markdown reader.

Provider id ``google`` (the company that bills, as ``openai`` or ``anthropic``; OpenRouter also lists
these models as ``google/...``); the module is named after the page, ``gemini``.

What the page holds, per model: a heading (``Gemini 2.5 Pro``), the API ids in code right under it
(``gemini-2.5-pro``; several ids share one price list), prose, then one price table per billing
mode in ``Standard`` / ``Batch`` tabs.  Each table reads
``| | Free Tier | Paid Tier, per 1M tokens in USD |``.  Only the paid column is a price: the free
tier is a quota, not a rate.  Rows become components:

* ``Input price...`` -> ``input``, ``Output price...`` -> ``output``,
  ``Context caching price`` -> ``input_cache_hit``;
* storage (``$4.50 / 1,000,000 tokens per hour``), per-image and per-request prices, grounding and
  Live API rows are not per-token prices and are left out.

A paid cell may hold several prices; each becomes its own tier:

* ``$1.25, prompts <= 200k tokens`` / ``$2.50, prompts > 200k tokens``: the first is the base tier,
  the second ``context>200k`` (the same name the xAI parser uses for long-context prices);
* ``$0.30 (text / image / video)`` / ``$1.00 (audio)``: the text price is the base tier, a price for
  non-text input only gets the modality as its tier (``audio``, ``audio/video``);
* the ``Batch`` tab prefixes them: ``batch``, ``batch context>200k``, ``batch audio``.

Inferred, not seen in a raw capture (only a Jina Markdown rendering of the page was available): the
live HTML is taken to be Google's devsite markup, ``<h2 id=... data-text=...>`` plus
``<em><code>model-id</code></em>`` in a ``div.heading-group``, then ``div.ds-selector-tabs`` with one
``<section><h3>Standard</h3><table class="pricing-table">`` per tab.  The Jina rendering drops most
model headings and every tab label, so there: the tables right after a heading with ids belong to
that model, the first unlabelled one is ``Standard`` and the second ``Batch`` (the live tab order);
a table after further prose belongs to a model whose heading was lost, and is reported in
:attr:`PriceList.skipped` rather than given to the wrong model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from parsers.document import Document, Heading, Paragraph, Table, read_provider_page
from parsers.money import Money, find_money
from parsers.quote import ParseError, Quote
from parsers.registry import Source

PROVIDER = "google"
PARSER_VERSION = 1
PRICING_URL = "https://ai.google.dev/gemini-api/docs/pricing"
SOURCES = [Source(id="google-gemini-pricing", provider=PROVIDER, url=PRICING_URL, currencies=("USD",))]

#: The price tabs (billing modes) in the live page's order, which is also how unlabelled tables
#: after one model heading are read.  A heading with any other text starts a new section.
TABS = ("standard", "batch")
#: Row label start -> component.
ROW_COMPONENTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^input price\b", re.I), "input"),
    (re.compile(r"^output price\b", re.I), "output"),
    (re.compile(r"^context caching price\b", re.I), "input_cache_hit"),
)
#: The paid column of a per-token table: ``Paid Tier, per 1M tokens in USD``.
PAID_TOKEN_HEADER_RE = re.compile(r"^paid tier\b.*\bper 1M tokens\b.*\bin ([A-Z]{3})\b", re.I)
PAID_HEADER_RE = re.compile(r"^paid tier\b", re.I)
#: A line of API ids under a model heading: ``gemini-2.5-pro`` or ``_veo-3.0-x, veo-3.0-y_``.
MODEL_ID_RE = re.compile(r"[a-z][a-z0-9.\-]*[a-z0-9]")
#: A price qualifier that makes it something other than a price per 1M tokens.
NOT_PER_TOKEN_RE = re.compile(r"\bper\s+(?!1M\b|million\b)[a-z]|/\s*(?!1,000,000\s+tokens\b)[\d,]+\s*[a-z]|storage",
                              re.I)
CONTEXT_RE = re.compile(r"prompts?\s*(<=|≤|>=|≥|>)\s*(\d+)\s*k\b", re.I)
LONGER = (">", ">=", "≥")
MODALITY_RE = re.compile(r"\(([^)]*)\)")


@dataclass(frozen=True)
class PriceList:
    """What one page yields: the quotes, and the paid price tables no model could be named for."""

    quotes: list[Quote]
    skipped: list[str] = field(default_factory=list)


def parse(text: str, source_url: str = "") -> list[Quote]:
    """Paid-tier quotes of every model the page names (see :func:`read_page`)."""
    return read_page(text, source_url).quotes


def read_page(text: str, source_url: str = "") -> PriceList:
    """Read the pricing page; raise :class:`ParseError` when no model's token prices are found."""
    url = source_url or None
    doc = read_provider_page(PROVIDER, text, source_url)
    reader = _Reader(source_url)
    reader.read(doc)
    if not reader.quotes:
        found = f"{reader.priced_tables} paid per-1M-token price tables, none under a model id" \
            if reader.priced_tables else "no 'Paid Tier, per 1M tokens' table with a price"
        raise ParseError(PROVIDER, f"no Gemini token prices: {found}", url)
    return PriceList(list(reader.quotes.values()), reader.skipped)


@dataclass
class _Section:
    """A model section: its heading, API ids, and how its tables are to be attributed.

    ``mode`` is the current tab label, if the page has labels; ``unlabelled`` counts the tables
    read without one; ``closed`` is set by prose after a table, which in a copy without labels is
    where a model whose heading was lost begins.
    """

    name: str
    ids: list[str] = field(default_factory=list)
    mode: str | None = None
    unlabelled: int = 0
    tables_seen: bool = False
    closed: bool = False


class _Reader:
    """Walks the blocks once, keeping the current model section, and collects quotes."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.quotes: dict[tuple[str, ...], Quote] = {}
        self.skipped: list[str] = []
        self.priced_tables = 0

    def error(self, message: str) -> ParseError:
        return ParseError(PROVIDER, message, self.url or None)

    def read(self, doc: Document) -> None:
        section = _Section("")
        last_prose = ""
        for block in doc.blocks:
            if isinstance(block, Heading):
                label = block.text.strip().lower()
                if label in TABS:
                    section.mode = label
                else:
                    section = _Section(block.text)
            elif isinstance(block, Paragraph):
                ids = _id_line(block.text)
                if ids and not section.tables_seen:
                    section.ids += [i for i in ids if i not in section.ids]
                elif section.tables_seen:
                    section.closed = True
                last_prose = block.text
            elif isinstance(block, Table):
                self._table(block, section, last_prose)

    def _table(self, table: Table, section: _Section, last_prose: str) -> None:
        section.tables_seen = True
        header = [c.text.strip() for c in table.header]
        paid = next((i for i, h in enumerate(header) if PAID_HEADER_RE.search(h)), None)
        if paid is None:
            return
        m = PAID_TOKEN_HEADER_RE.search(header[paid])
        if m is None:
            return  # per image, per second: not token prices
        currency = m.group(1).upper()
        mode = section.mode
        if mode is None:
            mode = TABS[section.unlabelled] if section.unlabelled < len(TABS) else None
            section.unlabelled += 1
        rows = [(row[0].text.strip(), row[paid].text) for row in table.body]
        if not any(find_money(cell) for _, cell in rows):
            return  # "Not available" throughout: no paid price
        self.priced_tables += 1
        where = f"'{section.name}'" if section.name else "the page top"
        if not section.ids or (section.closed and section.mode is None):
            self.skipped.append(f"price table after {_clip(last_prose)!r} (under {where}) has no model id")
            return
        if mode is None:
            self.skipped.append(f"price table {section.unlabelled} under {where} has no tab label")
            return
        for label, cell in rows:
            component = next((c for pattern, c in ROW_COMPONENTS if pattern.search(label)), None)
            if component is None:
                continue
            for tier, price_text, money in _cell_prices(cell, mode, self, section.name, label):
                if money.currency != currency:
                    raise self.error(f"{section.name}: {label!r} price {money.text} is not in {currency}")
                for model in section.ids:
                    self._add(Quote(provider=PROVIDER, model=model, component=component, currency=currency,
                                    price=money.amount, price_text=price_text, tier=tier,
                                    source_url=self.url, note=label))

    def _add(self, quote: Quote) -> None:
        seen = self.quotes.setdefault(quote.key, quote)
        if seen.price != quote.price:
            raise self.error(f"{quote.model} {quote.component} ({quote.tier}) is priced twice: "
                             f"{seen.price_text!r} and {quote.price_text!r}")


def _cell_prices(cell: str, mode: str, reader: _Reader, name: str, label: str) -> list[tuple[str, str, Money]]:
    """(tier, page text, money) for each per-token price in a paid cell."""
    found = find_money(cell)
    parts = []
    pos = 0
    for i, money in enumerate(found):
        start = cell.index(money.text, pos)
        end = cell.index(found[i + 1].text, start + len(money.text)) if i + 1 < len(found) else len(cell)
        parts.append((money, " ".join(cell[start:end].split()).rstrip(" ,;")))
        pos = end
    per_token = [(money, text) for money, text in parts if not NOT_PER_TOKEN_RE.search(text[len(money.text):])]
    out: list[tuple[str, str, Money]] = []
    tiers: set[str] = set()
    for money, text in per_token:
        qualifier = text[len(money.text):]
        context = CONTEXT_RE.search(qualifier)
        long_context = f"context>{context.group(2)}k" if context and context.group(1) in LONGER else ""
        modality = MODALITY_RE.search(qualifier)
        words = re.findall(r"[a-z]+", modality.group(1).lower()) if modality else []
        other_modality = "/".join(words) if len(per_token) > 1 and words and "text" not in words else ""
        tier = " ".join(p for p in ("" if mode == "standard" else mode, long_context, other_modality) if p) \
            or "standard"
        if tier in tiers:
            raise reader.error(f"{name}: {label!r} cell {cell!r} has two prices for tier {tier!r}")
        tiers.add(tier)
        out.append((tier, text, money))
    return out


def _id_line(text: str) -> list[str]:
    """The API ids of a paragraph that holds nothing else (``_a-1, b-2_``), else []."""
    items = [t.strip(" _*`") for t in text.strip(" _*").split(",")]
    if items and all(MODEL_ID_RE.fullmatch(t) and "-" in t for t in items):
        return items
    return []


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"
