"""Google Gemini API: the ai.google.dev pricing page, as served (HTML) or through a Markdown reader.

Provider id ``google`` (the company that bills, as ``openai`` or ``anthropic``; OpenRouter also lists
these models as ``google/...``); the module is named after the page, ``gemini``.

What the page holds, per model: a heading (``Gemini 2.5 Pro``), the API ids right under it
(``_`gemini-2.5-pro`_``; several ids share one price list: ``a, b`` or "``a`` and ``b``"), prose,
then one price table per billing mode in tabs.  Each table reads
``| | Free Tier | Paid Tier, per 1M tokens in USD |``.  Only the paid column is a price: the free
tier is a quota, not a rate.  Rows become components:

* ``Input price...`` -> ``input``, ``Output price...`` -> ``output``,
  ``Context caching price`` -> ``input_cache_hit``; ``Text/Image/Audio/Video input price`` ->
  ``input`` of that modality (embeddings);
* other rows that show a price (storage per hour, grounding per 1,000 requests, Live API, image
  generation per image, tuning) are not per-token prices of a component: each is reported as
  skipped, and the rest of the table is read.

A paid cell may hold several prices; each becomes its own tier:

* ``$1.25, prompts <= 200k tokens`` / ``$2.50, prompts > 200k tokens``: the first is the base tier,
  the second ``context>200k``;
* ``$0.30 (text / image / video)`` / ``$1.00 (audio)``: the text price is the base tier, a price for
  non-text input only gets the modality as its tier (``audio``, ``audio/video``, ``image``) --
  the convention this module has always used; a single price is the base tier;
* ``$3.00 or $0.005/min (audio)``, ``$0.45 ($0.00012 per image)``: the per-token price, the other
  unit being the same price restated;
* a price with a footnote marker (``$0.0006 (image)*``: the footnote makes it per image), per image,
  per minute, per hour or per request, or a cell with a note before its prices
  (``Same as Standard, Batch pricing not yet implemented``) is skipped with the reason;
* the ``Batch`` / ``Flex`` / ``Priority`` tabs prefix them: ``batch``, ``batch context>200k``,
  ``flex audio``, ``priority``.

Which tab a table is (the part a wrong answer would silently misprice):

* a tab label heading or paragraph right before it (devsite HTML: ``<section><h3>Batch</h3>``);
* else the section's tab bar, as a reader renders it (``[Standard](#standard)[Batch](#batch)...More``):
  its tabs in order, only when exactly as many unlabelled tables follow as it names;
* else, without a tab bar, the layouts the page has used: one table (``standard``), two
  (``standard``, ``batch``: 2025) or four (``standard``, ``batch``, ``flex``, ``priority``: 2026);
* anything else (three unlabelled tables, labels on some tables only) is skipped with a warning.

A table that follows prose after another table, with no heading in between, belongs to a model
whose heading a reader dropped (the 2025 Jina copy): it is reported as skipped, never given to the
model above.  A line of ids after tables starts a new model even without a heading (a converter
that turns headings into plain text keeps the ids line).  Tables without outer pipes, whose header
row lost its blank first cell, are aligned on the right.  A bot-challenge page raises a
``blocked:`` ParseError (:mod:`parsers.challenge`); a page with no per-token model price at all
raises ParseError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from parsers.challenge import blocked_message, is_challenge_page
from parsers.document import Cell, Document, Heading, Paragraph, Table, read_provider_page
from parsers.money import Money, find_money
from parsers.quote import ParseError, Quote, Reading, Skipped
from parsers.registry import Source
from parsers.tabs import TIERS, label_of, read_labels, strip_of

PROVIDER = "google"
PARSER_VERSION = 2
PRICING_URL = "https://ai.google.dev/gemini-api/docs/pricing"
SOURCES = [Source(id="google-gemini-pricing", provider=PROVIDER, url=PRICING_URL, currencies=("USD",),
                  ways=("http", "browser"))]

#: The price tabs (billing modes) in the live page's order.
TABS = TIERS
#: Unlabelled tables after one model heading, without a tab bar: the layouts the page has used.
ORDER_BY_COUNT = {1: ("standard",), 2: ("standard", "batch"), 4: TABS}
#: Row label start -> (component, modality the label itself names).
ROW_COMPONENTS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"^input price\b", re.I), "input", ""),
    (re.compile(r"^output price\b", re.I), "output", ""),
    (re.compile(r"^context caching price\b", re.I), "input_cache_hit", ""),
    (re.compile(r"^text input price\b", re.I), "input", ""),
    (re.compile(r"^(image|audio|video) input price\b", re.I), "input", "label"),
)
#: The paid column of a per-token table: ``Paid Tier, per 1M tokens in USD``.
PAID_TOKEN_HEADER_RE = re.compile(r"^paid tier\b.*\bper\s+(?:1M|1,000,000|one million)\s+tokens\b", re.I)
#: The header's currency (``in USD``, ``(USD)``); without one, a price's own symbol says it.
HEADER_CURRENCY_RE = re.compile(r"\b(USD|EUR|GBP|CNY)\b")
PAID_HEADER_RE = re.compile(r"^paid tier\b", re.I)
#: An API id as the page prints it under a model heading.
MODEL_ID_RE = re.compile(r"[a-z][a-z0-9.\-]*[a-z0-9]")
#: A price qualifier that makes it something other than a price per 1M tokens.
#: Looked for in the qualifier with its parenthetical (the modality) taken out.
NOT_PER_TOKEN_RE = re.compile(r"^\s*/(?!\s*1,000,000\s+tokens\b)|\bper\s+(?!1M\b|million\b)[a-z0-9]", re.I)
CONTEXT_RE = re.compile(r",?\s*prompts?\s*(<=|≤|>=|≥|>|<)\s*(\d+)\s*k\b(?:\s*tokens?)?", re.I)
LONGER = (">", ">=", "≥")
MODALITY_RE = re.compile(r"\(([^)]*)\)")
PER_1M_RESTATED_RE = re.compile(r"/\s*1,000,000\s+tokens\b", re.I)
#: What may be left of a qualifier once context, modality and a restated unit are taken out.
LEFTOVER_WORDS_RE = re.compile(r"\bequivalent to\b|\band\b|[,;.:]", re.I)


def parse(text: str, source_url: str = "") -> list[Quote]:
    """Paid-tier quotes of every model the page names (see :func:`read`)."""
    return read(text, source_url).quotes


def read(text: str, source_url: str = "") -> Reading:
    """Read the pricing page; raise :class:`ParseError` when no model's token prices are found."""
    url = source_url or None
    marker = is_challenge_page(text)
    if marker:
        raise ParseError(PROVIDER, blocked_message(marker), url)
    doc = read_provider_page(PROVIDER, text, source_url)
    reader = _Reader(source_url)
    doc = replace(doc, blocks=_unflattened(doc.blocks, reader))
    reader.read(doc)
    if not reader.quotes:
        found = f"{reader.priced_tables} paid per-1M-token price tables, none under a model id" \
            if reader.priced_tables else "no 'Paid Tier, per 1M tokens' table with a price"
        raise ParseError(PROVIDER, f"no Gemini token prices: {found}", url)
    return Reading(list(reader.quotes.values()), reader.skipped)


@dataclass
class _Section:
    """A model section: its heading, API ids, tab bar, and its tables with their labels.

    ``closed`` is set by prose after a table: in a copy that lost headings, the next table belongs
    to a model whose heading was dropped.
    """

    name: str
    ids: list[str] = field(default_factory=list)
    tab_bar: list[str] | None = None
    labels: list[str] = field(default_factory=list)
    tables: list[tuple[Table, str | None, bool]] = field(default_factory=list)  # table, label, orphan
    closed: bool = False


@dataclass
class _PaidTable:
    table: Table
    paid: int
    currency: str | None  # None: not per 1M tokens; "": per 1M tokens, the currency not stated
    has_money: bool


class _Reader:
    """Walks the blocks once, one model section at a time, and collects quotes."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.quotes: dict[tuple[str, ...], Quote] = {}
        self.conflicted: set[tuple[str, ...]] = set()
        self.skipped: list[Skipped] = []
        self.priced_tables = 0

    def skip(self, where: str, text: str, reason: str) -> None:
        self.skipped.append(Skipped(where, " ".join(text.split())[:200], reason))

    def read(self, doc: Document) -> None:
        section = _Section("")
        last_text = ""
        for block in doc.blocks:
            if isinstance(block, Heading):
                label = label_of(block.text)
                if label:
                    section.labels.append(label)
                else:
                    self._close(section)
                    section = _Section(block.text)
            elif isinstance(block, Paragraph):
                text = " ".join(block.text.split())
                label = label_of(text)
                ids = _id_line(text)
                if label:
                    section.labels.append(label)
                elif tabs := strip_of(text):
                    section.tab_bar = tabs
                elif ids and not section.tables:
                    section.ids += [i for i in ids if i not in section.ids]
                elif ids:
                    # a line of ids after tables, with no heading between: a converter dropped the
                    # model heading (kept as plain text just above, if at all); a new model starts
                    self._close(section)
                    section = _Section(last_text if len(last_text) <= 60 else ids[0], ids=ids)
                elif section.tables and text.lower() not in ("and", ",", "more"):
                    section.closed = True
                last_text = text
            elif isinstance(block, Table):
                strip, label, ambiguous = read_labels(section.labels)
                section.labels = []
                if strip and not section.tab_bar:
                    section.tab_bar = strip
                tab = (block.tab or "").strip().lower()
                label = tab if tab in TIERS else label
                orphan = section.closed and label is None
                section.tables.append((block, label, orphan or ambiguous))
        self._close(section)

    # --- a model section ----------------------------------------------------------------------

    def _close(self, section: _Section) -> None:
        where = f"'{section.name}'" if section.name else "the page top"
        paid: list[tuple[_PaidTable, str | None, bool]] = []
        for table, label, orphan in section.tables:
            info = _paid_table(table)
            if info is None:
                continue
            paid.append((info, label, orphan))
            if info.currency is None and info.has_money:
                self.skip(f"{where} table", table.header[info.paid].text,
                          "not priced per 1M tokens (per image, second or request)")
        priced = [(t, label, orphan) for t, label, orphan in paid if t.currency is not None and t.has_money]
        self.priced_tables += len(priced)
        if not priced:
            return
        if not section.ids and (derived := _derived_id(section.name)):
            # a copy without the ids line (2025): a stable model's id is its name, spelled as
            # the API spells it (``Gemini 2.0 Flash-Lite`` -> ``gemini-2.0-flash-lite``)
            section.ids = [derived]
            self.skip(f"{where}", section.name, f"model id {derived!r} derived from the heading: the page"
                                                " prints no id (a stable model's id is its name)")
        if not section.ids:
            for t, _, _ in priced:
                self.skip(f"{where} table", _first_prices(t), "price table with no model id above it")
            return
        tiers = self._attribute(paid, section, where)
        for (info, label, orphan), tier in zip(paid, tiers):
            if info.currency is None or not info.has_money:
                continue
            if orphan:
                self.skip(f"{where} table after prose", _first_prices(info),
                          "price table after another model's prose: its model heading is missing")
            elif tier is None:
                self.skip(f"{where} table", _first_prices(info),
                          "cannot tell which tab (Standard/Batch/Flex/Priority) the table is")
            else:
                self._table(info, tier, section, f"{where} {tier} table")

    def _attribute(self, paid: list[tuple[_PaidTable, str | None, bool]], section: _Section,
                   where: str) -> list[str | None]:
        """The tab of each paid table (None where the page does not say)."""
        tiers: list[str | None] = [label for _, label, _ in paid]
        placed = [i for i, (_, _, orphan) in enumerate(paid) if not orphan]
        strip = section.tab_bar
        if strip:
            # the strip names the tabs in table order: used only when it has one tab per table and
            # agrees with every label the tables do have
            if len(strip) == len(placed) and all(tiers[i] in (None, tab) for i, tab in zip(placed, strip)):
                for i, tab in zip(placed, strip):
                    tiers[i] = tab
            return tiers
        if placed and all(tiers[i] is None for i in placed):
            order = ORDER_BY_COUNT.get(len(placed))
            if order:
                for i, tab in zip(placed, order):
                    tiers[i] = tab
        return tiers

    def _table(self, info: _PaidTable, mode: str, section: _Section, where: str) -> None:
        for row in info.table.body:
            label = " ".join(row[0].text.split())
            cell = row[info.paid].text
            if not find_money(cell):
                continue
            match = next(((c, m, p.match(label)) for p, c, m in ROW_COMPONENTS if p.match(label)), None)
            if match is None:
                self.skip(f"{where}, row {label!r}", cell, "not a per-token price of input, output or cache")
                continue
            component, modality_from, m = match
            label_modality = m.group(1).lower() if modality_from == "label" and m else ""
            prices, problems = _cell_prices(cell, mode, label_modality)
            for text, reason in problems:
                self.skip(f"{where}, {label!r}", text, reason)
            for tier, price_text, money in prices:
                if info.currency and money.currency != info.currency:
                    self.skip(f"{where}, {label!r}", price_text, f"not in {info.currency}, the table's currency")
                    continue
                for model in section.ids:
                    self._add(Quote(provider=PROVIDER, model=model, component=component, currency=money.currency,
                                    price=money.amount, price_text=price_text, tier=tier,
                                    source_url=self.url, note=label), where)

    def _add(self, quote: Quote, where: str) -> None:
        """One quote per series; one series at two prices is dropped and reported, not guessed."""
        if quote.key in self.conflicted:
            return
        seen = self.quotes.setdefault(quote.key, quote)
        if seen.price != quote.price:
            del self.quotes[quote.key]
            self.conflicted.add(quote.key)
            self.skip(f"{where}, {quote.model} {quote.component} ({quote.tier})",
                      f"{seen.price_text} vs {quote.price_text}", "priced twice: neither is recorded")


#: The row labels a Gemini price table has used (the first cell of each row).
FLAT_LABEL_RE = re.compile(r"^(?:input|output|context caching|grounding|used to improve|text|image|audio|video|"
                           r"live api|tuning|storage|embedding)\b", re.I)


def _unflattened(blocks: list, reader: "_Reader") -> list:
    """``blocks`` with each table a converter flattened into paragraphs made a table again.

    Some copies of the devsite page write each table cell as a paragraph of its own: ``Free Tier``,
    ``Paid Tier, per 1M tokens in USD``, then ``Input price`` / ``Free of charge`` / ``$1.25,
    prompts <= 200k tokens $2.50, ...`` and so on, three paragraphs a row.  The rows are rebuilt
    only while every row keeps that shape (a known row label, a free-tier cell without a price, a
    paid cell) up to a heading, the next table or the end of the model's prose; a run that loses
    the shape anywhere is reported and not read at all, since one cell too many or too few would
    put every later price on the wrong row.
    """
    out: list = []
    where = "flattened table"
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if isinstance(block, Heading):
            where = f"'{block.text}' flattened table"
        if not (_is_paragraph(block, lambda t: t.lower() == "free tier") and i + 1 < len(blocks)
                and _is_paragraph(blocks[i + 1], lambda t: bool(PAID_HEADER_RE.search(t)))):
            out.append(block)
            i += 1
            continue
        header = " ".join(blocks[i + 1].text.split())
        if not PAID_TOKEN_HEADER_RE.search(header):  # per image, per second: not token prices
            reader.skip(where, header, "not priced per 1M tokens (per image, second or request)")
            out.append(block)
            i += 1
            continue
        rows: list[list[Cell]] = [[Cell.plain(""), Cell.plain("Free Tier"), Cell.plain(header)]]
        j = i + 2
        while j + 2 < len(blocks) and all(isinstance(b, Paragraph) for b in blocks[j:j + 3]):
            label, free, paid = (" ".join(b.text.split()) for b in blocks[j:j + 3])
            if not _row_label(label) or find_money(free) or _row_label(free) or _row_label(paid):
                break
            rows.append([Cell.plain(label), Cell.plain(free), Cell.plain(paid)])
            j += 3
        # what stopped the rows: a heading, the next table, prose, the end; or a row label whose
        # row does not fit, or a cell where a row label should be (a price, "Free of charge"): the
        # shape was lost there, so no row of the table is certain
        lost = j < len(blocks) and _is_paragraph(
            blocks[j], lambda t: bool(_CELL_NOT_LABEL_RE.match(t)) or _row_label(t))
        if len(rows) > 1 and not lost:
            out.append(Table(rows=rows, header_rows=1))
            i = j
            continue
        reader.skip(where, " ".join(getattr(b, "text", "") for b in blocks[i:j + 3])[:200],
                    "a table written one cell per paragraph whose rows cannot be told apart: not read")
        out.append(block)
        i += 1
    return out


_CELL_NOT_LABEL_RE = re.compile(r"^(?:\$|US\$|free of charge|not available|yes$|no$)", re.I)


def _row_label(text: str) -> bool:
    return bool(FLAT_LABEL_RE.match(text)) and not find_money(text)


def _is_paragraph(block: object, test) -> bool:
    return isinstance(block, Paragraph) and test(" ".join(block.text.split()))


def _paid_table(table: Table) -> _PaidTable | None:
    """The paid column of a ``| | Free Tier | Paid Tier, ... |`` table, or None for another table."""
    header = [c.text.strip() for c in table.header]
    paid = next((i for i, h in enumerate(header) if PAID_HEADER_RE.search(h)), None)
    if paid is None:
        return None
    if paid < len(header) - 1 and not any(header[paid + 1:]):
        # the header row is short by its blank first cell (``  | Free Tier | Paid Tier`` in a table
        # without outer pipes) and was padded on the right: the paid column is the last one
        paid = len(header) - 1
        header = ["", *header[:-1]]
    per_token = PAID_TOKEN_HEADER_RE.search(header[paid])
    currency = HEADER_CURRENCY_RE.search(header[paid])
    has_money = any(find_money(row[paid].text) for row in table.body if len(row) > paid)
    return _PaidTable(table, paid, None if not per_token else currency.group(1) if currency else "", has_money)


def _first_prices(info: _PaidTable) -> str:
    cells = [f"{row[0].text}: {row[info.paid].text}" for row in info.table.body if find_money(row[info.paid].text)]
    return "; ".join(cells)


def _cell_prices(cell: str, mode: str, label_modality: str) -> tuple[list[tuple[str, str, Money]],
                                                                     list[tuple[str, str]]]:
    """(tier, page text, money) for each per-token price in a paid cell, and what was skipped."""
    text = " ".join(cell.split())
    found = find_money(text)
    problems: list[tuple[str, str]] = []
    starts = []
    pos = 0
    for money in found:
        start = text.index(money.text, pos)
        starts.append(start)
        pos = start + len(money.text)
    prefix = text[:starts[0]].strip(" _*,;:")
    if prefix:
        return [], [(text, "a note before the prices: the cell does not plainly state a per-token price")]
    segments = []
    for i, money in enumerate(found):
        end = starts[i + 1] if i + 1 < len(found) else len(text)
        segments.append((money, text[starts[i]:end].strip(), text[starts[i] + len(money.text):end]))
    per_token: list[tuple[Money, str, str]] = []
    i = 0
    while i < len(segments):
        money, seg_text, qualifier = segments[i]
        q = qualifier.strip()
        if (q == "(" or q.endswith(" or") or q == "or") and i + 1 < len(segments):
            # "$3.00 or $0.005/min (audio)", "$0.45 ($0.00012 per image)": the same price in another
            # unit; the modality, if any, is written after the alternative.
            alt_qualifier = segments[i + 1][2]
            modality = MODALITY_RE.search(alt_qualifier)
            end = starts[i + 2] if i + 2 < len(found) else len(text)
            per_token.append((money, _clean_price_text(text[starts[i]:end]),
                              f"({modality.group(1)})" if modality else ""))
            i += 2
            continue
        if "*" in q or "†" in q:
            problems.append((seg_text, "the price carries a footnote marker: the footnote gives its unit"))
        elif NOT_PER_TOKEN_RE.search(MODALITY_RE.sub(" ", q)) or "storage" in q.lower():
            problems.append((seg_text, "not a price per 1M tokens (per image, minute, hour or request, or storage)"))
        else:
            per_token.append((money, _clean_price_text(seg_text), q))
        i += 1
    out: list[tuple[str, str, Money]] = []
    tiers: set[str] = set()
    for money, seg_text, qualifier in per_token:
        context = CONTEXT_RE.search(qualifier)
        rest = CONTEXT_RE.sub(" ", qualifier)
        rest = PER_1M_RESTATED_RE.sub(" ", rest)
        modality = MODALITY_RE.search(rest)
        rest = MODALITY_RE.sub(" ", rest, count=1)
        if LEFTOVER_WORDS_RE.sub(" ", rest).strip():
            problems.append((seg_text, "an unrecognised qualifier: not certainly a per-token price"))
            continue
        long_context = f"context>{context.group(2)}k" if context and context.group(1) in LONGER else ""
        words = [("image" if w == "images" else w) for w in _WORD_RE.findall(modality.group(1).lower())] \
            if modality else []
        other = "/".join(words) if len(per_token) > 1 and words and "text" not in words else ""
        other = other or label_modality
        tier = " ".join(p for p in ("" if mode == "standard" else mode, long_context, other) if p) or "standard"
        if tier in tiers:
            return [], [(text, f"two prices for tier {tier!r} in one cell")]
        tiers.add(tier)
        out.append((tier, seg_text, money))
    return out, problems


_TRAILING_WORDS = ("equivalent to", "and")
_WORD_RE = re.compile(r"[a-z]+")
_ID_LINE_CHARS_RE = re.compile(r"^[a-z0-9.\-_*`, ]+$")
_ID_SPLIT_RE = re.compile(r",\s*(?:and\s+)?|\s+and\s+")


def _clean_price_text(text: str) -> str:
    """A price's own text without the words that lead into the next one (``, equivalent to``)."""
    text = text.strip().rstrip(" ,;.")
    changed = True
    while changed:
        changed = False
        for word in _TRAILING_WORDS:
            if text.lower().endswith(word) and (len(text) == len(word) or not text[-len(word) - 1].isalnum()):
                text = text[:-len(word)].rstrip(" ,;.")
                changed = True
    return text


#: A stable Gemini model's heading, whose API id is the name itself: never a Preview,
#: Experimental, TTS or Live model, whose ids carry dates or other words the heading does not.
STABLE_NAME_RE = re.compile(r"Gemini (\d+(?:\.\d+)?) (Pro|Flash|Flash-Lite|Flash-8B)")


def _derived_id(name: str) -> str | None:
    """The id of a stable model named by ``name`` (the whole heading), else None."""
    m = STABLE_NAME_RE.fullmatch(" ".join(name.split()))
    return f"gemini-{m.group(1)}-{m.group(2).lower()}" if m else None


def _id_line(text: str) -> list[str]:
    """The API ids of a paragraph that holds nothing else (``_a-1, b-2_``, ``a and b``), else []."""
    if not _ID_LINE_CHARS_RE.match(text):
        return []
    items = [t.strip(" _*`") for t in _ID_SPLIT_RE.split(text.strip(" _*"))]
    items = [t for t in items if t]
    if items and all(MODEL_ID_RE.fullmatch(t) and "-" in t for t in items):
        return items
    return []
