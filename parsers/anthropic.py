"""Anthropic (Claude): the docs pricing page and its copies, as HTML or as Markdown.

Source: ``SOURCES`` fetches the HTML of https://docs.claude.com/en/docs/about-claude/pricing (a
1.7 MB Mintlify/Next.js page; its prices are plain ``<table>``\\ s, the page data only repeats them
as compiled JSX, so the rendered tables are read), or its other ways (the ``URL.md`` twin, a
browser).  The same code reads every form of the page:
the docs site's own ``.md`` export (fetch front matter, very wide padded pipe tables, rows with or
without leading pipes), crawler Markdown with the site navigation, and Jina reader copies of the
models overview page, which repeats the model pricing table and prints the API ids.

What becomes quotes (USD per 1M tokens, "MTok" on the page):

* the model pricing table (``Model | Base Input Tokens | 5m Cache Writes | 1h Cache Writes |
  Cache Hits & Refreshes | Output Tokens``; older pages have one "Cache Writes" column, the
  5-minute write), tier ``standard``: ``input``, ``input_cache_write``, ``input_cache_write_1h``,
  ``input_cache_hit``, ``output``;
* the batch table (``Model | Batch input | Batch output``), tier ``batch``;
* long-context prices, tier ``context>200k`` (the threshold the page prints), in each layout the
  page has used: one table without a model column for the models the prose above it names
  ("When using Claude Sonnet 4 or Sonnet 4.5 ..."); a per-model table whose cells read
  ``Input: $10 / MTok`` (the output on the next row or line), where ``Claude Sonnet 4.5 / 4`` is
  two models; split ``Input (> 200K)`` columns; cells such as ``$6/MTok input, $22.50/MTok
  output``.  Prose saying models "include the full 1M token context window at standard pricing"
  means those models have no such tier: nothing is recorded for them, and a long-context price
  is never attributed to a model the section's prose excludes (such a row is skipped);
* the fast mode table, tier ``fast`` (``Model | Input | Output``; a table without a model
  column takes the models the fast-mode prose names, minus those it says fast mode is not
  available on).  A fast-mode or batch price above a context threshold is its tier's own for
  that size (``fast context>200k``, ``batch context>200k``): what the pricer bills a fast or batch
  request with a prompt that long.

Model ids: ids the page prints win (a ``claude-...`` id in the name cell, or the models overview
page's "Claude API" column / "API model name" row, snapshot date removed).  Otherwise ONE rule:
``Claude <Family> <version>`` -> ``claude-<family>-<version with dots as hyphens>``
(``Claude Opus 4.6`` -> ``claude-opus-4-6``), except that Claude 3 and earlier models put the
version first, as their real ids do (``Claude Haiku 3.5`` and ``Claude 3.5 Haiku`` ->
``claude-3-5-haiku``, ``Claude Opus 3`` -> ``claude-3-opus``).  :data:`ID_EXCEPTIONS` holds the
names that break the rule (Claude 2 and Instant ids keep their dots).  A name whose id is not in
:data:`KNOWN_MODEL_IDS` (ids confirmed on the models overview page) is still recorded, with a
warning.  Status notes in a name cell (``(deprecated)``, ``(retired, except on Bedrock and Google
Cloud)``, ``(limited availability)``), links and footnote markers are removed; the note is kept
in ``Quote.note``.

Scheduled changes: a model listed twice, ``Claude Sonnet 5 through August 31, 2026`` and
``Claude Sonnet 5 starting September 1, 2026``: the first row is the price in force (its note
says until when), the second gets ``effective_from``.  Anthropic's pages give days without a
time zone; the rule applied here: a day starts at 00:00 UTC, so "starting September 1, 2026"
is 2026-09-01T00:00:00Z (a time and zone the page does state, "at 16:00 UTC", is used; one that
cannot be read is reported).  Dates inside a status note ("(retired from October 28, 2025)")
schedule nothing.  Prose never creates a price ("the scheduled $3/$15 increase will not occur"
is reported as not recorded, never a schedule).  A model listed twice with different prices and no dates is
skipped (both rows), with a warning: the parser never picks one.

Skipped (reported, never recorded): data-residency multipliers (1.1x), price-looking prose in
the long-context and fast-mode sections, dated prices in prose, cells without one price per MTok,
unknown price columns, rows that are not model names.  A page without the model pricing table
raises :class:`ParseError`: that is a page that lost its pricing structure (or is not the page).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone

from parsers.document import Cell, Heading, Paragraph, Table, read_provider_page
from parsers.money import Money, find_money
from parsers.quote import ParseError, Quote, Reading, Skipped
from parsers.registry import Source
from parsers.when import find_days, find_instants

PROVIDER = "anthropic"
PARSER_VERSION = 2
PRICING_URL = "https://docs.claude.com/en/docs/about-claude/pricing"
SOURCES = [Source(id="anthropic-pricing", provider=PROVIDER, url=PRICING_URL, currencies=("USD",),
                  ways=("http", "markdown", "browser"))]  # the docs site serves each page as URL.md too

#: API ids (without snapshot date) confirmed on the models overview page.  A derived id outside
#: this set is recorded with a warning, so a person can check the rule held for a new model.
KNOWN_MODEL_IDS = frozenset({
    "claude-opus-4-5", "claude-opus-4-1", "claude-opus-4", "claude-sonnet-4-5", "claude-sonnet-4",
    "claude-haiku-4-5", "claude-3-7-sonnet", "claude-3-5-sonnet", "claude-3-5-haiku", "claude-3-opus",
    "claude-3-sonnet", "claude-3-haiku", "claude-2.1", "claude-2.0", "claude-instant-1.2",
})
#: Display names whose id breaks the rule: Claude 2 era ids keep the dot in the version.
ID_EXCEPTIONS: dict[str, str] = {
    "Claude 2.1": "claude-2.1",
    "Claude 2.0": "claude-2.0",
    "Claude 2": "claude-2.0",
    "Claude Instant 1.2": "claude-instant-1.2",
    "Claude Instant": "claude-instant-1.2",
}

#: Price table column (normalised header) -> component; first matching pattern wins.
COLUMN_COMPONENTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(1h|1-hour|1 hour|60m)\b.*cache write|cache write.*\b(1h|1-hour|1 hour)\b"), "input_cache_write_1h"),
    (re.compile(r"cache write"), "input_cache_write"),
    (re.compile(r"cache (hit|read)"), "input_cache_hit"),
    (re.compile(r"\binput\b"), "input"),
    (re.compile(r"\boutput\b"), "output"),
)

_FAMILY = r"[A-Z][a-z]+"
_VERSION = r"\d+(?:\.\d+)?"
_NAME_RE = re.compile(
    rf"^Claude\s+(?:(?P<fam>{_FAMILY}(?:\s+{_FAMILY})*)\s+(?P<ver>{_VERSION})"
    rf"|(?P<ver2>{_VERSION})\s+(?P<fam2>{_FAMILY})|(?P<ver3>{_VERSION})|(?P<fam3>{_FAMILY}(?:\s+{_FAMILY})*))$")
_SHORT_NAME_RE = re.compile(rf"^(?P<fam>{_FAMILY})\s+(?P<ver>{_VERSION})$")
_BARE_VERSION_RE = re.compile(rf"^{_VERSION}$")
_PRINTED_ID_RE = re.compile(r"\bclaude-[a-z0-9][a-z0-9.-]*[a-z0-9]\b")
_SNAPSHOT_RE = re.compile(r"-(?:\d{8}|v\d+:\d+)$")
_DATE_WORDS = r"through|thru|until|till|starting|starts|from|beginning|effective|as of|on and after"
_DATED_RE = re.compile(
    rf"(?i)(?<![a-z])(?P<word>{_DATE_WORDS})\s+(?:on\s+)?(?P<day>[A-Z][a-z]+\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}\s+[A-Z][a-z]+\.?,?\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})"
    rf"(?P<clock>,?\s*(?:at\s+)?\d{{1,2}}:\d{{2}}(?:\s*[AaPp]\.?[Mm]\.?)?\s*\(?[A-Z]{{2,5}}(?:\s*[+-]\s*\d{{1,2}})?\)?)?")
_UNTIL_WORDS = {"through", "thru", "until", "till"}
_PAREN_RE = re.compile(r"[(\[]([^()\[\]]*)[)\]]")
_MARKS_RE = re.compile(r"[*†‡§¹²³⁴⁵⁶⁷⁸⁹⁰]+|\[\^?\d+\]")
_THRESHOLD_RE = re.compile(r"(?P<op>>=?|≥|over|above|more than|exceed\w*)\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>[KkMm])\b")
_THRESHOLD_PHRASE_RE = re.compile(
    r"[(]?\s*(?:>=?|≥|<=?|≤|over|above|up to|under|below)\s*\d+(?:\.\d+)?\s*[km]\b(?:\s*input)?(?:\s*tokens)?\s*[)]?")
_AT_MOST_RE = re.compile(r"(?:<=?|≤|up to|under|below)\s*\d+(?:\.\d+)?\s*[KkMm]\b")
_PER_MTOK_RE = re.compile(r"/\s*MTok|per\s+(?:MTok|million\s+tokens|1M\s+tokens)|/\s*1?M\s+tokens", re.I)
_LABEL_RE = re.compile(r"^\s*(?P<label>input|output|prompt|completion)\s*[:：]|\b(?P<after>input|output)\s*$", re.I)
_MULTIPLIER_RE = re.compile(r"\b\d+(?:\.\d+)?\s*[x×]\s+(?:the\s+)?(?:pricing\s+)?(?:multiplier|standard|base|rates?)"
                            r"|\bmultiplier of \d+(?:\.\d+)?\s*[x×]?", re.I)
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?:])\s+(?=[A-Z(\[])|\n")
_NEGATIVE_RE = re.compile(
    r"\bnot\b|n't\b|\bexcept\b|\bexclud\w*|\bat standard (?:pricing|rates?|prices?)\b|\bbilled at standard\b"
    r"|\bcharged at standard\b|\bsame per-token rate\b|\bno (?:long[- ]context )?premium\b", re.I)
_MENTION_RE = re.compile(
    rf"\b(?:Claude\s+)?(?P<fam>{_FAMILY})\s+(?P<ver>{_VERSION})(?P<more>(?:\s*/\s*{_VERSION})*)"
    rf"(?P<later>\s*\+|\s+and\s+(?:later|newer|above|beyond)(?:\s+models)?)?")
_GENERATION_RE = re.compile(rf"\bClaude\s+(?P<ver>{_VERSION})(?:\s*\+|\s+and\s+(?:later|newer|above|beyond))")

TABLE_STANDARD, TABLE_BATCH, TABLE_LONG, TABLE_FAST, TABLE_IDS = "standard", "batch", "long context", "fast", "ids"


@dataclass(frozen=True)
class _Model:
    """One model a name cell or a sentence names: display name, id, and whether the id is the page's."""

    name: str
    model_id: str
    family: str = ""
    version: tuple[int, ...] = ()
    printed: bool = False


@dataclass
class _RowName:
    """What a name cell says: the models, a status note, and the day a scheduled price starts."""

    models: list[_Model]
    note: str = ""
    starting: datetime | None = None
    until: date | None = None
    clock_unread: str = ""  # a time of day and zone given with the start that could not be read
    threshold: str | None = None  # a "(> 200K tokens)" note: the row is that context tier


@dataclass
class _Section:
    """The blocks between two headings: tables in order, and the prose before/after each."""

    title: str
    items: list[Table | str] = field(default_factory=list)


@dataclass
class _Page:
    url: str
    candidates: dict[tuple[str, str, str, datetime | None], list[tuple[Quote, str]]] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    printed_ids: dict[str, str] = field(default_factory=dict)
    page_models: dict[str, _Model] = field(default_factory=dict)
    warned: set[str] = field(default_factory=set)
    names: dict[str, _RowName | str] = field(default_factory=dict)

    def skip(self, where: str, text: str, reason: str) -> None:
        self.skipped.append(Skipped(where=where, text=" ".join(text.split()), reason=reason))


def parse(text: str, source_url: str = "") -> list[Quote]:
    """Every certain quote on an Anthropic pricing page (see :func:`read`)."""
    return read(text, source_url).quotes


def read(text: str, source_url: str = "") -> Reading:
    """Quotes and what was skipped; :class:`ParseError` when the model pricing table is missing."""
    doc = read_provider_page(PROVIDER, text, source_url)
    page = _Page(url=source_url)
    blocks = doc.blocks
    if doc.format == "markdown" and not any(isinstance(b, Table) for b in blocks) and (
            _TAB_HEADER_RE.search(text) or _FLAT_HEADER_RE.search(text)):
        blocks = _text_copy_blocks(text)  # a text copy: tables as tab-separated or glued lines
    sections = _sections(blocks)
    kinds = [[(_table_kind(item, section), item) for item in section.items if isinstance(item, Table)]
             for section in sections]
    for section_kinds in kinds:  # ids the page prints, and the models of the price tables, first
        for kind, table in section_kinds:
            if kind == TABLE_IDS:
                _read_printed_ids(page, table)
    found: set[str] = set()
    for section, section_kinds in zip(sections, kinds):
        for kind, table in section_kinds:
            if kind in (TABLE_STANDARD, TABLE_BATCH):
                _note_models(page, table)
        for kind, table in section_kinds:
            if kind in (TABLE_STANDARD, TABLE_BATCH):
                _read_model_table(page, section, table, "standard" if kind == TABLE_STANDARD else "batch")
                found.add(kind)
    for section, section_kinds in zip(sections, kinds):
        for kind, table in section_kinds:
            if kind == TABLE_LONG:
                _read_long_context(page, section, table)
                found.add(kind)
            elif kind == TABLE_FAST:
                _read_fast(page, section, table)
                found.add(kind)
            elif kind is None and any(_PER_MTOK_RE.search(c.text) for row in table.body for c in row):
                # per-token prices in a table the page does not say the kind of (a fast-mode table
                # whose heading and prose a copy dropped): reported, never given a tier by guess
                page.skip(_where(section, "unnamed"), " | ".join(c.text for c in table.header),
                          "a table of per-token prices whose kind (fast mode, long context, ...) the page"
                          " does not say: not recorded")
        _report_prose(page, section, {k for k, _ in section_kinds})
    if TABLE_STANDARD not in found:
        raise ParseError(PROVIDER, "no model pricing table (Model | Base Input Tokens | ... | Output Tokens): "
                                   "not an Anthropic pricing page, or its layout changed", source_url or None)
    quotes = _settle(page)
    if not any(q.tier == "standard" and q.effective_from is None for q in quotes):
        raise ParseError(PROVIDER, "the model pricing table holds no price in force", source_url or None)
    return Reading(quotes=quotes, skipped=page.skipped)


# --- page structure ------------------------------------------------------------------------

def _sections(blocks: list[object]) -> list[_Section]:
    """Blocks grouped by heading; converters that lost headings leave one larger section."""
    sections = [_Section(title="")]
    prose: list[str] = []  # the paragraphs since the last table or heading, joined once (linear)

    def flush() -> None:
        if prose:
            sections[-1].items.append("".join(prose))
            prose.clear()

    for block in blocks:
        if isinstance(block, Heading):
            flush()
            sections.append(_Section(title=block.text))
        elif isinstance(block, Table):
            flush()
            sections[-1].items.append(block)
        elif isinstance(block, Paragraph):
            if prose:
                # The HTML reader cuts a sentence around its links; a finished sentence ends a line.
                prose.append("\n" if prose[-1].rstrip().endswith((".", "!", "?", ":")) else " ")
            prose.append(block.text)
    flush()
    return sections


def _header(cell: Cell) -> str:
    return " ".join(cell.text.split()).lower()


def _table_kind(table: Table, section: _Section) -> str | None:
    """Which price table this is, from its header (and, for fast mode, its section's words)."""
    headers = [_header(c) for c in table.header]
    if any(h.startswith("base input") for h in headers[1:]):
        return TABLE_STANDARD
    if any(h.startswith("batch input") or h == "batch input" for h in headers[1:]):
        return TABLE_BATCH
    if any(h in ("claude api", "api model name", "model id", "claude api model id") for h in headers[1:]):
        return TABLE_IDS
    if any(_header(row[0]) == "api model name" for row in table.body if row):
        return TABLE_IDS
    title = section.title.lower()
    thresholds = any(_THRESHOLD_RE.search(h) for h in headers)
    fast = "fast mode" in title or (
        "long context" not in title and not thresholds and "fast mode" in _prose_before(section, table).lower())
    if fast and any(re.search(r"\b(input|output)\b", h) for h in headers):
        return TABLE_FAST
    if thresholds:
        return TABLE_LONG
    if "long context" in section.title.lower() and any(
            _THRESHOLD_RE.search(_header(row[0])) for row in table.body if row):
        return TABLE_LONG
    return None


def _prose_before(section: _Section, table: Table) -> str:
    """The prose between the previous table (or the heading) and this table."""
    index = next(i for i, item in enumerate(section.items) if item is table)
    texts: list[str] = []
    for item in reversed(section.items[:index]):
        if isinstance(item, Table):
            break
        texts.append(item)
    return "\n".join(reversed(texts))


def _section_prose(section: _Section) -> str:
    return "\n".join(item for item in section.items if isinstance(item, str))


def _where(section: _Section, kind: str, row: str = "", column: str = "") -> str:
    parts = [section.title or "page", f"{kind} table"]
    row = " ".join(row.split())
    if row:
        parts.append(f"row {row!r}")
    if column:
        parts.append(f"column {column!r}")
    return " / ".join(parts)


_TAB_HEADER_RE = re.compile(r"^[^\n]*\t\s*Base Input Tokens\s*\t", re.I | re.M)
#: An html-to-text copy glues a table's cells: ``Model Base Input Tokens 5m Cache Writes ...`` and
#: rows ``Claude Opus 4.8$5 / MTok$6.25 / MTok$10 / MTok$0.50 / MTok$25 / MTok``.
_FLAT_COLUMN_RE = re.compile(
    r"Base Input Tokens|5m Cache Writes|1h Cache Writes|Cache Writes|Cache Hits (?:&|and) Refreshes|Output Tokens"
    r"|Batch input|Batch output", re.I)
_FLAT_HEADER_RE = re.compile(r"^\s*Model\s+(?:Base Input Tokens|Batch input)\b", re.I | re.M)
_FLAT_ROW_RE = re.compile(r"^(?P<name>Claude\b.*?)\s*(?P<prices>(?:\$\d[\d,]*(?:\.\d+)?\s*/\s*MTok\s*)+)$")
_FLAT_PRICE_RE = re.compile(r"\$\d[\d,]*(?:\.\d+)?\s*/\s*MTok")


def _text_copy_blocks(text: str) -> list[object]:
    """Blocks of a select-all text copy: runs of tab-separated lines are tables.

    Such a copy keeps no markup: a short line without final punctuation (``Batch processing``)
    is taken as a heading, so sections and their prose still tell fast mode and long context
    apart; everything else is a paragraph.
    """
    blocks: list[object] = []
    run: list[list[str]] = []

    def end_run() -> None:
        if len(run) >= 2:
            width = max(len(r) for r in run)
            rows = [[Cell.plain(" ".join(c.split())) for c in r + [""] * (width - len(r))] for r in run]
            blocks.append(Table(rows=rows, header_rows=1))
        elif run:
            blocks.append(Paragraph(" ".join(" ".join(run[0]).split())))
        run.clear()

    flat: list[str] = []  # the column names of a glued table being read
    for line in text.replace("\r\n", "\n").split("\n"):
        if "\t" in line and line.strip():
            run.append(line.split("\t"))
            continue
        line = " ".join(line.split())
        if _FLAT_HEADER_RE.match(line):
            end_run()
            flat = _FLAT_COLUMN_RE.findall(line)
            run.append(["Model", *flat])
            continue
        row = _FLAT_ROW_RE.match(line) if flat else None
        if row and len(_FLAT_PRICE_RE.findall(row.group("prices"))) == len(flat):
            run.append([row.group("name"), *_FLAT_PRICE_RE.findall(row.group("prices"))])
            continue
        flat = []
        end_run()
        if not line:
            continue
        if len(line.split()) <= 6 and line[0].isupper() and not line.endswith((".", ":", "!", "?", ")")) \
                and "$" not in line:
            blocks.append(Heading(3, line))
        else:
            blocks.append(Paragraph(line))
    end_run()
    return blocks


# --- model names and ids -------------------------------------------------------------------

def _read_printed_ids(page: _Page, table: Table) -> None:
    """The models overview page: ``Model | Claude API | ...`` columns or an "API model name" row."""
    headers = [_header(c) for c in table.header]
    for col, header in enumerate(headers):
        if col and header in ("claude api", "api model name", "model id", "claude api model id"):
            for row in table.body:
                _remember_id(page, row[0].text, row[col].text)
    for row in table.body:
        if row and _header(row[0]) == "api model name":
            for col in range(1, min(len(row), len(table.header))):
                _remember_id(page, table.header[col].text, row[col].text)


def _remember_id(page: _Page, name_text: str, id_text: str) -> None:
    printed = _PRINTED_ID_RE.search(id_text)
    name = _clean_name(name_text)
    if printed and name:
        page.printed_ids[name] = _SNAPSHOT_RE.sub("", printed.group(0))


def _clean_name(text: str) -> str:
    text = _MARKS_RE.sub("", " ".join(text.replace("*", " ").split()))
    return _PAREN_RE.sub("", text).strip(" .,:;")


def _model(page: _Page, name: str) -> _Model:
    """A display name's model: the page's printed id, an exception, or the id by rule."""
    m = _NAME_RE.match(name)
    family, version = "", ()
    if m:
        family = (m.group("fam") or m.group("fam2") or m.group("fam3") or "").lower().replace(" ", "-")
        ver = m.group("ver") or m.group("ver2") or m.group("ver3") or ""
        version = tuple(int(p) for p in ver.split(".")) if ver else ()
    if name in page.printed_ids:
        return _Model(name, page.printed_ids[name], family, version, printed=True)
    if name in ID_EXCEPTIONS:
        return _Model(name, ID_EXCEPTIONS[name], family, version)
    ver_id = "-".join(str(p) for p in version)
    if family and version and version[0] <= 3:
        model_id = f"claude-{ver_id}-{family}"
    elif family and version:
        model_id = f"claude-{family}-{ver_id}"
    elif family:
        model_id = f"claude-{family}"
    else:
        model_id = f"claude-{ver_id}"
    return _Model(name, model_id, family, version)


def _row_name(page: _Page, text: str) -> _RowName | str:
    """Parse a name cell (once per page: every price table repeats the model names)."""
    found = page.names.get(text)
    if found is None:
        found = page.names[text] = _parse_row_name(page, text)
    return found


def _parse_row_name(page: _Page, text: str) -> _RowName | str:
    """Parse a name cell; a string is the reason it is not a model name."""
    raw = " ".join(text.replace("*", " ").split())
    printed = _PRINTED_ID_RE.search(raw)
    notes: list[str] = []
    starting: datetime | None = None
    until: date | None = None
    clock_unread = ""
    threshold = None
    # Parenthesised notes first: a status note keeps its own dates ("(retired from October 28,
    # 2025)" is no price schedule); only a note that is nothing but a dated phrase dates the row.
    outside: list[str] = []
    pos = 0
    for m in _PAREN_RE.finditer(raw):
        outside.append(raw[pos:m.start()])
        pos = m.end()
        inner = " ".join(m.group(1).split())
        if not inner or _PRINTED_ID_RE.fullmatch(inner.strip("` ")):
            continue
        t = _THRESHOLD_RE.search(inner)
        if _DATED_RE.fullmatch(inner):
            outside.append(" " + inner + " ")
        elif t and not _AT_MOST_RE.search(inner):
            threshold = _tier_of(t)
        elif _AT_MOST_RE.search(inner):
            threshold = "standard"
        else:
            notes.append(inner)
    outside.append(raw[pos:])
    raw = " ".join(outside)
    for m in _DATED_RE.finditer(raw):
        days = find_days(m.group("day"))
        if not days:
            continue
        phrase = " ".join(m.group(0).split())
        if m.group("word").lower() in _UNTIL_WORDS:
            until = days[0]
        else:
            # A stated time and zone wins; a bare day starts at 00:00 UTC (the documented rule).
            instants = find_instants(phrase) if m.group("clock") else []
            starting = instants[0] if instants else datetime.combine(days[0], time(0), tzinfo=timezone.utc)
            if m.group("clock") and not instants:
                clock_unread = phrase
        notes.insert(0, phrase[0].lower() + phrase[1:])
    raw = _DATED_RE.sub(" ", raw)
    raw = _PAREN_RE.sub(" ", raw)
    raw = _PRINTED_ID_RE.sub(" ", raw)
    raw = _MARKS_RE.sub("", raw)
    raw = " ".join(raw.split()).strip(" .,:;-–—")
    models: list[_Model] = []
    parts = [p.strip() for p in re.split(r"\s*(?:/|,|&|\band\b|\bor\b)\s*", raw) if p.strip()]
    if not parts and printed:  # the cell is the API id itself (`claude-...`)
        model_id = _SNAPSHOT_RE.sub("", printed.group(0))
        return _RowName(models=[_Model(model_id, model_id, printed=True)], note="; ".join(notes),
                        starting=starting, until=until, threshold=threshold, clock_unread=clock_unread)
    if not parts:
        return "no model name in the cell"
    for part in parts:
        if _NAME_RE.match(part) and not _BARE_VERSION_RE.match(part):
            name = part
        elif (short := _SHORT_NAME_RE.match(part)) and short.group("fam") != "Claude":
            name = f"Claude {part}"
        elif _BARE_VERSION_RE.match(part) and models and models[-1].family:
            previous = models[-1].name
            m = _NAME_RE.match(previous)
            if m and m.group("fam"):
                name = f"Claude {m.group('fam')} {part}"
            elif m and m.group("fam2"):
                name = f"Claude {part} {m.group('fam2')}"
            else:
                return f"{part!r} is not a model name"
        else:
            return f"{part!r} is not a model name"
        models.append(_model(page, name))
    if printed and len(models) == 1:
        models = [_Model(models[0].name, _SNAPSHOT_RE.sub("", printed.group(0)), models[0].family,
                         models[0].version, printed=True)]
    return _RowName(models=models, note="; ".join(notes), starting=starting, until=until, threshold=threshold,
                    clock_unread=clock_unread)


def _note_models(page: _Page, table: Table) -> None:
    """Models of the price tables, for resolving "Claude 4.6 and later models" in prose."""
    for row in table.body:
        name = _row_name(page, row[0].text)
        if isinstance(name, _RowName):
            for model in name.models:
                page.page_models.setdefault(model.model_id, model)


def _warn_derived(page: _Page, model: _Model, where: str) -> None:
    if model.printed or model.model_id in KNOWN_MODEL_IDS or model.model_id in page.warned:
        return
    page.warned.add(model.model_id)
    page.skip(where, model.name, f"model id {model.model_id!r} derived by rule from display name "
                                 f"{model.name!r}, a model not seen before: prices recorded")


def _mentions(page: _Page, sentence: str) -> list[_Model]:
    """Models a sentence names: "Claude Sonnet 4 or Sonnet 4.5", "Sonnet 4.6/4.5/4", "Claude 4.6 and later"."""
    found: list[_Model] = []
    families = {m.family for m in page.page_models.values() if m.family} | {"opus", "sonnet", "haiku"}
    for m in _MENTION_RE.finditer(sentence):
        family = m.group("fam")
        if family.lower() not in families:
            continue
        versions = [m.group("ver"), *re.findall(_VERSION, m.group("more") or "")]
        for ver in versions:
            found.append(_model(page, f"Claude {family} {ver}"))
        if m.group("later"):  # "Opus 4.6 and later": later Opus models ("Claude 4.6 and later": all)
            floor = tuple(int(p) for p in m.group("ver").split("."))
            found.extend(x for x in page.page_models.values()
                         if x.family == family.lower() and x.version and x.version >= floor)
    for m in _GENERATION_RE.finditer(sentence):
        floor = tuple(int(p) for p in m.group("ver").split("."))
        found.extend(x for x in page.page_models.values() if x.version and x.version >= floor)
    return list({x.model_id: x for x in found}.values())


def _named_models(page: _Page, prose: str, topic: str) -> tuple[list[_Model], set[str]]:
    """(models the topic's sentences include, ids they exclude) in a stretch of prose.

    A sentence counts only when it speaks of the topic ("context", "fast"); one with a negation or
    "at standard pricing" excludes the models it names, any other includes them.
    """
    included: dict[str, _Model] = {}
    excluded: set[str] = set()
    for sentence in _SENTENCE_SPLIT_RE.split(prose):
        if topic not in sentence.lower():
            continue
        models = _mentions(page, sentence)
        if _NEGATIVE_RE.search(sentence):
            excluded.update(m.model_id for m in models)
        else:
            for m in models:
                included.setdefault(m.model_id, m)
    return [m for mid, m in included.items() if mid not in excluded], excluded


# --- prices --------------------------------------------------------------------------------

def _tier_of(m: re.Match[str]) -> str:
    n = float(m.group("n")) * (1000 if m.group("unit").lower() == "m" else 1)
    return f"context>{int(n) if n == int(n) else n}k"


def _column_component(header: str) -> str | None:
    for pattern, component in COLUMN_COMPONENTS:
        if pattern.search(header):
            return component
    return None


def _one_price(text: str) -> Money | str:
    """The one per-MTok price of a cell line, or why there is none."""
    money = find_money(text)
    if not money:
        return "no price"
    if len(money) > 1:
        return "several prices in one cell"
    if not _PER_MTOK_RE.search(text):
        return "not a price per MTok"
    return money[0]


def _first_line(cell: Cell) -> str:
    """The price line of a cell: Markdown copies run the prose after a table into its last cell."""
    return cell.kept.split("\n")[0].strip()


def _add(page: _Page, model: _Model, component: str, tier: str, money: Money, text: str, note: str,
         effective: datetime | None, where: str) -> None:
    quote = Quote(provider=PROVIDER, model=model.model_id, component=component, currency=money.currency,
                  price=money.amount, price_text=text, tier=tier, source_url=page.url, note=note,
                  effective_from=effective)
    page.candidates.setdefault((model.model_id, component, tier, effective), []).append((quote, where))


def _read_model_table(page: _Page, section: _Section, table: Table, tier: str) -> None:
    """One model per row, one component per price column (standard or batch)."""
    kind = "model pricing" if tier == "standard" else "batch"
    columns: list[tuple[int, str, str | None]] = []  # (column, component, its context tier or None)
    for col, cell in enumerate(table.header[1:], start=1):
        header = _header(cell)
        component = _column_component(_THRESHOLD_PHRASE_RE.sub(" ", header))
        over = None if _AT_MOST_RE.search(header) else _THRESHOLD_RE.search(header)
        if component is None:
            if any(find_money(row[col].text) for row in table.body if col < len(row)):
                page.skip(_where(section, kind, column=cell.text), cell.text,
                          "price column the parser does not know: not recorded")
            continue
        # over a threshold: the long-context tier, or (batch) the batch tier's own for that size
        columns.append((col, component, (_tier_of(over) if tier == "standard" else f"{tier} {_tier_of(over)}")
                        if over else None))
    for row in table.body:
        if not row or not row[0].text.strip():
            continue
        name = _row_name(page, row[0].text)
        if isinstance(name, str):
            if any(find_money(c.text) for c in row[1:]):
                page.skip(_where(section, kind, row=row[0].text), " | ".join(c.text for c in row), name)
            continue
        row_tier = tier if name.threshold in (None, "standard") else (
            name.threshold if tier == "standard" else f"{tier} {name.threshold}")
        for model in name.models:
            _warn_derived(page, model, _where(section, kind, row=row[0].text))
        if name.clock_unread and name.clock_unread not in page.warned:
            page.warned.add(name.clock_unread)
            page.skip(_where(section, kind, row=row[0].text), name.clock_unread,
                      "time of day or zone not read: effective_from taken as 00:00 UTC of that day")
        for col, component, column_tier in columns:
            text = _first_line(row[col])
            where = _where(section, kind, row=row[0].text, column=table.header[col].text)
            price = _one_price(text)
            if isinstance(price, str):
                if text and text not in "-–—":
                    page.skip(where, text, price)
                continue
            for model in name.models:
                _add(page, model, component, column_tier or row_tier, price, text, name.note, name.starting, where)


#: Where a cell's labelled prices part: lines, ``;``, a comma before the next price or label, and
#: a space between one price's ``MTok`` and the next label (markdownify writes a cell's ``<br>``
#: as a space: ``Input: $8 / MTok Output: $30 / MTok``).
_CELL_LINES_RE = re.compile(r"\n|;|,\s+(?=\$)|,\s+(?=[A-Za-z]+\s*:)"
                            r"|(?<=MTok)\s+(?=(?:input|output|prompt|completion)\s*[:：])", re.I)


def _cell_prices(cell: Cell, default: str | None) -> tuple[list[tuple[str, Money, str]], list[tuple[str, str]]]:
    """(component, price, text) per labelled line of a cell (``Input: $6 / MTok``), and the odd lines."""
    prices: list[tuple[str, Money, str]] = []
    odd: list[tuple[str, str]] = []
    for line in _CELL_LINES_RE.split(cell.kept):
        line = line.strip()
        if not line or not find_money(line):
            continue
        price = _one_price(line)
        if isinstance(price, str):
            odd.append((line, price))
            continue
        m = _LABEL_RE.search(line)
        label = (m.group("label") or m.group("after")).lower() if m else None
        component = {"input": "input", "prompt": "input", "output": "output", "completion": "output"}.get(
            label or "", default)
        if component is None:
            odd.append((line, "price without input/output label"))
            continue
        prices.append((component, price, line))
    return prices, odd


def _read_long_context(page: _Page, section: _Section, table: Table) -> None:
    """Long-context rates, only for models the page names for them and never for excluded ones."""
    kind = "long context"
    prose_before = _prose_before(section, table)
    included, excluded = _named_models(page, prose_before, "context")
    _, excluded_anywhere = _named_models(page, _section_prose(section), "context")
    excluded |= excluded_anywhere
    headers = [_header(c) for c in table.header]
    # A "≤ 200K" column repeats the standard prices, even when a converter ran the prose above
    # ("... requests that exceed 200K input tokens ...: ≤ 200K input tokens") into its header.
    threshold_cols = [(col, None if _AT_MOST_RE.search(h) else _THRESHOLD_RE.search(h))
                      for col, h in enumerate(headers)]
    over_cols = [(col, _tier_of(m), _column_component(_THRESHOLD_PHRASE_RE.sub(" ", headers[col])))
                 for col, m in threshold_cols if m]
    has_model_column = bool(headers) and not _THRESHOLD_RE.search(headers[0]) and not _AT_MOST_RE.search(headers[0])
    if not has_model_column and headers:
        more, _ = _named_models(page, table.header[0].text, "context")
        included += [m for m in more if m.model_id not in {x.model_id for x in included}]
    if not over_cols:  # thresholds are row labels: "> 200K input tokens | $6 | $22.50"
        _read_threshold_rows(page, section, table, kind, included, excluded)
        return
    row_models: list[_Model] = []
    row_label = ""
    for row in table.body:
        if has_model_column:
            if row[0].text.strip():
                name = _row_name(page, row[0].text)
                row_label = row[0].text
                if isinstance(name, str):
                    row_models = []
                    if any(find_money(c.text) for c in row[1:]):
                        page.skip(_where(section, kind, row=row[0].text), row[0].text, name)
                    continue
                row_models = name.models
            models = row_models
        else:
            models = included
            if not models:
                page.skip(_where(section, kind), " | ".join(c.text for c in row),
                          "long-context rates without the models they apply to: not attributed")
                continue
        for col, tier, column_component in over_cols:
            prices, odd = _cell_prices(row[col], column_component)
            where = _where(section, kind, row=row_label, column=table.header[col].text)
            for text, reason in odd:
                page.skip(where, text, reason)
            for model in models:
                if model.model_id in excluded:
                    page.skip(where, f"{model.name}: {row[col].kept}",
                              "the page says this model has no long-context premium (standard pricing or "
                              "excluded): not attributed")
                    continue
                _warn_derived(page, model, where)
                for component, price, text in prices:
                    _add(page, model, component, tier, price, text, "", None, where)


def _read_threshold_rows(page: _Page, section: _Section, table: Table, kind: str, models: list[_Model],
                         excluded: set[str]) -> None:
    """``Context window | Input | Output`` with rows ``<= 200K`` / ``> 200K``, models from prose."""
    headers = [_header(c) for c in table.header]
    columns = [(col, _column_component(h)) for col, h in enumerate(headers) if col and _column_component(h)]
    for row in table.body:
        label = _header(row[0])
        over = _THRESHOLD_RE.search(label)
        tier = "fast" if kind == "fast" else None
        if over:  # fast mode over the threshold: its own tier for that size (``fast context>200k``)
            tier = f"fast {_tier_of(over)}" if kind == "fast" else _tier_of(over)
        if tier is None:
            continue  # the "<= 200K" row of a long-context table repeats the standard prices
        usable = [m for m in models if m.model_id not in excluded]
        if not usable:
            page.skip(_where(section, kind, row=row[0].text), " | ".join(c.text for c in row),
                      f"{kind} rates without the models they apply to: not attributed")
            continue
        for col, component in columns:
            where = _where(section, kind, row=row[0].text, column=table.header[col].text)
            text = _first_line(row[col])
            price = _one_price(text)
            if isinstance(price, str):
                if text:
                    page.skip(where, text, price)
                continue
            for model in usable:
                _warn_derived(page, model, where)
                _add(page, model, component or "input", tier, price, text, "", None, where)


def _read_fast(page: _Page, section: _Section, table: Table) -> None:
    """Fast mode: tier ``fast`` for the models its rows (or, without a model column, its prose) name."""
    kind = "fast"
    included, excluded = _named_models(page, _prose_before(section, table), "fast")
    _, excluded_anywhere = _named_models(page, _section_prose(section), "fast")
    excluded |= excluded_anywhere
    headers = [_header(c) for c in table.header]
    first = headers[0] if headers else ""
    if any(_THRESHOLD_RE.search(h) for h in headers):
        page.skip(_where(section, "fast mode"), " | ".join(c.text for c in table.header),
                  "fast-mode prices by context-threshold columns: no tier combines both, not read")
        return
    if any(_THRESHOLD_RE.search(_header(row[0])) or _AT_MOST_RE.search(_header(row[0])) for row in table.body):
        _read_threshold_rows(page, section, table, kind, included, excluded)
        return
    columns = [(col, _column_component(h)) for col, h in enumerate(headers)]
    has_model_column = _column_component(first) is None
    for row in table.body:
        if has_model_column:
            name = _row_name(page, row[0].text)
            if isinstance(name, str):
                if any(find_money(c.text) for c in row[1:]):
                    page.skip(_where(section, kind, row=row[0].text), row[0].text, name)
                continue
            models, note, label = name.models, name.note, row[0].text
        else:
            models, note, label = included, "", ""
        for col, component in columns:
            if component is None or (has_model_column and col == 0):
                continue
            where = _where(section, "fast mode", row=label, column=table.header[col].text)
            text = _first_line(row[col])
            price = _one_price(text)
            if isinstance(price, str):
                if text:
                    page.skip(where, text, price)
                continue
            if not models:
                page.skip(where, text, "fast-mode price without the models it applies to: not attributed")
                continue
            for model in models:
                if model.model_id in excluded:
                    page.skip(where, f"{model.name}: {text}", "the page says fast mode is not available on this "
                                                              "model: not attributed")
                    continue
                _warn_derived(page, model, where)
                _add(page, model, component, "fast", price, text, note, None, where)


def _report_prose(page: _Page, section: _Section, kinds: set[str | None]) -> None:
    """Multipliers and price-looking prose in pricing sections: reported, never prices."""
    title = section.title.lower()
    pricing_prose = ("long context" in title or "fast mode" in title)
    for sentence in _SENTENCE_SPLIT_RE.split(_section_prose(section)):
        if _MULTIPLIER_RE.search(sentence) and re.search(r"residency|inference_geo|us-only|data zone", sentence, re.I):
            page.skip(section.title or "page", sentence,
                      "a price multiplier (data residency), not a price: not recorded")
        elif pricing_prose and find_money(sentence) and _PER_MTOK_RE.search(sentence):
            page.skip(section.title or "page", sentence, "a price in prose, not in a price table: not recorded")
        elif find_money(sentence) and find_days(sentence) and re.search(r"MTok|per million", sentence, re.I):
            page.skip(section.title or "page", sentence,
                      "prices with a date in prose (an announcement or its cancellation): not recorded; "
                      "only price table rows become quotes")
    if "long context" in title and TABLE_LONG not in kinds:
        prose = _section_prose(section)
        if not re.search(r"standard pric|standard rate|same per-token rate", prose, re.I):
            page.skip(section.title, prose[:200], "long-context section without a price table or a statement "
                                                  "that standard pricing applies")
    if "batch processing" in title and TABLE_BATCH not in kinds:
        page.skip(section.title, _section_prose(section)[:200], "batch section without a batch price table")


def _settle(page: _Page) -> list[Quote]:
    """One quote per series and start; a series shown with different prices is skipped whole."""
    quotes: list[Quote] = []
    for (model, component, tier, effective), found in page.candidates.items():
        prices = {q.price for q, _ in found}
        if len(prices) == 1:
            quotes.append(found[0][0])
            continue
        shown = ", ".join(f"{q.price_text} ({where})" for q, where in found)
        page.skip(f"{model} {tier} {component}", shown,
                  "listed more than once with different prices and no date to tell them apart: neither recorded")
    return quotes


__all__ = ["ID_EXCEPTIONS", "KNOWN_MODEL_IDS", "PARSER_VERSION", "PROVIDER", "SOURCES", "parse", "read"]
