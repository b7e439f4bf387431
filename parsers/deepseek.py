"""DeepSeek's "Models & Pricing" page, in every era it has had, English (USD) and Chinese (CNY).

The page changed shape several times, and all of them are read by one set of rules:

* 2024-12 to 2025-01: one row per model, one column per component; a promo cell holds the struck
  list price, a footnote marker and the promo price; a footnote gives the promo end
  ("From now until 2025-02-08 16:00 (UTC)"); USD and CNY tables sit in tabs.
* 2025-02 on: models as columns; STANDARD PRICE / DISCOUNT PRICE row groups whose label carries
  the UTC window (00:30-16:30, 16:30-00:30); later single prices (V3.2) with cells spanning both
  model columns.
* 2026-04/05: V4 flash/pro; a promo cell ``$0.003625 (75% off(3))<del>$0.0145</del>`` whose
  footnote says "extended until 2026/05/31 15:59 UTC" (``promo_until``).
* 2026-08: PRICING rows split into OFF-PEAK / PEAK sub-rows, peak hours in a footnote (in UTC on
  the English page, in Beijing time on the Chinese one, later "Monday through Friday"); before the
  switch a footnote announced the new prices in a table of its own: *future* prices
  (``effective_from``), not the prices in force.

The same page reaches ratecard through many converters, all read here: raw Docusaurus HTML, the
docs repo's clean GFM with front matter, html2text (bare pipes, ``**`` around the table,
mojibake), Jina reader copies whose table is *flattened* into one line per row with the cells
glued together (``PRICING 1M INPUT TOKENS (CACHE HIT)$0.0028$0.003625``), and Markdown clips
that embed the page's raw ``<table>`` HTML.

Which model a price belongs to is read from the model ids (``deepseek-...``) in the table, which
also survives copies that lost their row and column spans.

**Announcements are recognised by meaning**: a price table whose introducing paragraph (the
prose between it and the previous table or heading, footnotes included) speaks of future prices
("take(s) effect", "will apply from", "starting ...", "from ... onwards", "effective", "new
prices", 生效 / 起 / 开始执行 / 调整) holds prices from the start instant that paragraph states
(``effective_from``); when no start instant can be read there, the page fails (ParseError) rather
than let future prices pass for current ones.

**Dates.**  English pages state UTC, Chinese pages Beijing time; a day or time without a zone is
taken in Beijing time (UTC+8), the zone DeepSeek counts its days in (its English page writes
"2026/07/24 15:59 UTC", i.e. the end of a Beijing day).  A footnote on a price or its label that
says when that price takes effect ("This price adjustment takes effect from 2026/4/26 12:15 UTC")
is judged against the page's own date (front matter ``fetched:``/``date:``, Jina ``Published
Time``, HTML ``article:modified_time``/``<time datetime>``): later than the page date, the price
is scheduled (``effective_from``); otherwise, or when the page carries no date, the price shown
in the main table is the price in force (the statement is kept in the quote's note).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from email.utils import parsedate_to_datetime

from parsers import window as windows
from parsers.document import (
    Cell, Document, Heading, Paragraph, Table, detect_format, read_provider_page,
)
from parsers.markdown_reader import _inline_cell
from parsers.money import Money, find_money, first_money
from parsers.quote import ParseError, Quote, Reading, Skipped
from parsers.registry import Source
from parsers.when import Dated, find_dated

PROVIDER = "deepseek"
PARSER_VERSION = "3"
SOURCES = (
    Source("deepseek-en", PROVIDER, "https://api-docs.deepseek.com/quick_start/pricing", ("USD",)),
    Source("deepseek-zh-cn", PROVIDER, "https://api-docs.deepseek.com/zh-cn/quick_start/pricing", ("CNY",)),
)
#: DeepSeek's own zone: days and zone-less times on its pages are Beijing time.
ZONE_HOURS = 8

_MODEL_RE = re.compile(r"^deepseek-[a-z0-9][a-z0-9.\-]*$")
_MODEL_IN_TEXT_RE = re.compile(r"deepseek-[a-z0-9][a-z0-9.\-]*?(?=deepseek-|[(（\s*|]|$)")
_RANGE_RE = r"\d{1,2}:\d{2}\s*[-–~～]\s*\d{1,2}:\d{2}"
_RANGES_RE = re.compile(rf"{_RANGE_RE}(?:\s*(?:,|，|、|和|and)\s*{_RANGE_RE})*")
_PEAK_HOURS_RE = re.compile(r"(?:Peak hours|高峰时段(?:定义)?)[^.。]*?(?:为|are|:|：)?\s*(?P<zone>北京时间|Beijing [Tt]ime)?[^\d]{0,20}"
                            rf"(?P<ranges>{_RANGES_RE.pattern})\s*(?P<zone2>UTC|\(Beijing|（北京)?")
#: The hours first, then what they are: ``北京时间周一至周五（不含中国法定节假日）9:00 - 12:00、14:00 - 18:00
#: 为高峰时段`` / ``... are peak hours``.
_HOURS_THEN_PEAK_RE = re.compile(r"(?P<zone>北京时间|Beijing [Tt]ime)?[^\d。.]{0,40}?"
                                 rf"(?P<ranges>{_RANGES_RE.pattern})\s*(?:UTC\s*)?(?:为高峰时段|are (?:the )?peak hours)")
_OFF_PEAK_HOURS_RE = re.compile(rf"off-peak[^.。]*?(?:during\s*)?(?P<ranges>{_RANGES_RE.pattern})\s*UTC", re.I)
_WEEKDAYS_RE = re.compile(r"Monday\s*(?:through|to|-|–)\s*Friday|Mon(?:day)?\s*[-–]\s*Fri(?:day)?|weekdays|"
                          r"周一至周五|周一到周五|工作日|星期一至星期五", re.I)
_HOLIDAYS_RE = re.compile(r"public holidays?|法定节假日|节假日", re.I)
#: Prose that speaks of prices to come (see the module docstring).
_ANNOUNCE_RE = re.compile(
    r"take[sn]?\s+effect|taking\s+effect|will\s+(?:apply|be\s+(?:applied|charged|billed|updated|adjusted|changed|raised)"
    r"|take\s+effect|change|increase|rise|switch)|appl(?:y|ies)\s+from|\bstarting\b|\bonwards?\b|\beffective\b"
    r"|new\s+(?:prices?|pricing|rates?)|prices?\s+(?:will|shall)|\bfrom\s+(?:\d|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d)"
    r"|生效|开始执行|起执行|调整为|新价格|将于|(?:\d|日|号|[)）])\s*起", re.I)

#: Words that put a change in force now rather than later.
_NOW_RE = re.compile(r"\b(?:immediately|effective\s+(?:now|today)|from\s+(?:now|today)|as\s+of\s+(?:now|today))\b"
                     r"|立即|即日起|即刻|现已", re.I)
#: A paragraph after a table that speaks of that table.
_AFTER_TABLE_RE = re.compile(r"\W*(?:the\s+)?(?:above|these|those)\b|\W*(?:以上|上述|上表)", re.I)
_PAGE_DATE_KEYS = ("fetched", "date", "published_time", "captured_at", "created", "last_modified", "updated")
_HTML_DATE_RE = re.compile(
    r"""<meta[^>]+(?:article:modified_time|og:updated_time|article:published_time)["'][^>]*content=["']([^"']+)"""
    r"""|<time[^>]*datetime=["']([^"']+)["']|"dateModified"\s*:\s*"([^"]+)\"""", re.I)
_EMBEDDED_TABLE_RE = re.compile(r"<table\b.*?</table\s*>", re.I | re.S)


def parse(text: str, source_url: str = "") -> list[Quote]:
    return read(text, source_url).quotes


def read(text: str, source_url: str = "") -> Reading:
    """Every certain price on the page, and what was skipped and why (see the module docstring)."""
    doc = _document(text, source_url)
    tables = [t for t in doc.tables if _is_price_table(t)]
    if not tables:
        raise ParseError(PROVIDER, "no pricing table found (no table with DeepSeek model ids and prices)",
                         source_url or None)
    page_date = _page_date(doc, text)
    notes = _footnotes(doc)
    skipped: list[Skipped] = []
    quotes: list[Quote] = []
    announced = [_announcement_for(doc, table, source_url) for table in tables]
    # a footnote that introduces a table of announced prices speaks of that table, not of the
    # cells that point to it: it never schedules them
    own_notes = {number: note for number, note in notes.items()
                 if not any(note and note in announcement for _, announcement in announced)}
    for table, (effective_from, announcement) in zip(tables, announced):
        context = "\n".join(filter(None, [announcement, *notes.values()]))
        for cell_quote in _read_table(table, skipped):
            if _ambiguous(cell_quote.cell) and (said := _original_then_discounted(cell_quote.cell, notes)):
                cell_quote.cell = said  # the page's own footnote says which price is which
            if _ambiguous(cell_quote.cell):
                skipped.append(Skipped(f"{cell_quote.model} {cell_quote.component} {cell_quote.tier}",
                                       cell_quote.cell.text, "two prices in one cell and neither struck through: "
                                       "which one is charged is not certain"))
                continue
            quote = _quote(cell_quote, notes, own_notes, context, effective_from, page_date, source_url)
            if quote is not None:
                quotes.append(quote)
    skipped += _window_caveats(quotes, notes)
    quotes = _dedupe(quotes, skipped)
    if not quotes:
        first = f": {skipped[0]}" if skipped else ""
        raise ParseError(PROVIDER, f"a pricing table, but no price could be attributed with certainty{first}",
                         source_url or None)
    return Reading(quotes, skipped)


# --- the page as a document, whatever converter produced it ------------------------------------


def _document(text: str, source_url: str) -> Document:
    """The page as one Document; Markdown with embedded ``<table>`` HTML or Jina-flattened tables
    is read piece by piece, in order, so every table keeps the prose that introduces it."""
    if detect_format(text) != "markdown":
        return read_provider_page(PROVIDER, text, source_url)
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # the line rules below work on \n
    pieces: list[tuple[str, str]] = []
    pos = 0
    for m in _EMBEDDED_TABLE_RE.finditer(text):
        pieces.append(("markdown", text[pos:m.start()]))
        pieces.append(("html", m.group(0)))
        pos = m.end()
    pieces.append(("markdown", text[pos:]))
    doc: Document | None = None
    for kind, piece in pieces:
        if kind == "html":
            part = read_provider_page(PROVIDER, f"<html><body>{piece}</body></html>", source_url)
        else:
            part = _markdown_with_flat_tables(_clean_markdown(_pipe_copy_tables(_tab_copy_tables(piece))),
                                              source_url)
        if doc is None:
            doc = part
        else:
            doc.blocks.extend(part.blocks)
            for key, value in part.meta.items():
                doc.meta.setdefault(key, value)
    assert doc is not None
    return doc


_HTML2TEXT_SEPARATOR_RE = re.compile(r"^\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?\s*$")
_BOLD_AROUND_PIPES_RE = re.compile(r"^([ \t]*)\*\*(?=[ \t]*\|)|(?<=\|)([ \t]*)\*\*[ \t]*$", re.M)


_PIPE_COPY_ROW_RE = re.compile(r"^\| \S")
_SEPARATOR_LINE_RE = re.compile(r"^\s*\|?\s*:?-{2,}")


def _pipe_copy_tables(text: str) -> str:
    """A browser copy of the page's table made a GitHub table again.

    Copying the rendered page writes each row as ``| cell | cell`` (no closing pipe, no separator
    line), a cell with a line break goes on at the start of the next line (``| 价格(3) |
    百万tokens输入`` / ``（缓存命中） | 空闲时段 | 0.02元 | 0.15元``), and a row-spanned cell is not
    repeated (``| 高峰时段 | 0.04元 | 0.30元``).  The rows are joined back and written under a
    blank header as wide as the widest row: the reader then fills each short row from the row
    above on its left, as the page's row spans do, so prices stay under the models (the last
    columns, where the page puts them).  Only a run of three or more such rows, none closed by
    a pipe and with no separator line, is taken: a GitHub table is left to the reader.
    """
    if "| " not in text:
        return text
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if not _PIPE_COPY_ROW_RE.match(lines[i]):
            out.append(lines[i])
            i += 1
            continue
        rows: list[list[str]] = []
        j = i
        while j < len(lines):
            line = lines[j].rstrip()
            if _SEPARATOR_LINE_RE.match(line):
                # a GitHub table (``| --- | ---``), whatever its rows end with: left to the reader
                while j < len(lines) and lines[j].lstrip().startswith("|"):
                    j += 1
                rows = []
                break
            if _PIPE_COPY_ROW_RE.match(line) and not line.endswith("|"):
                rows.append([c.strip() for c in line[1:].split(" | ")])
            elif rows and line.strip() and not line.startswith("|") and (
                    " | " in line or (j + 1 < len(lines) and _PIPE_COPY_ROW_RE.match(lines[j + 1]))
                    or _price_line(line)):
                # a cell broken by a line break (then the row's next cells, if any): a line with
                # cells of its own, a line of words between two rows, or a price (taken apart, the
                # cell above would show only a list price whose strike-through the copy lost)
                _carry_on(rows[-1], [c.strip() for c in line.split(" | ")])
            else:
                break
            j += 1
        closed = j < len(lines) and lines[j].rstrip().endswith("|")
        if len(rows) < 3 or closed:
            out.extend(lines[i:j] if j > i else lines[i:i + 1])
            i = max(j, i + 1)
            continue
        out += _github_table([""] * max(len(row) for row in rows), rows)
        i = j
    return "\n".join(out)


def _carry_on(row: list[str], cells: list[str]) -> None:
    """A copied row's next line: its first cell goes on with the row's last (a line break in that
    cell), the others are the row's next cells."""
    first, *rest = cells
    row[-1] += "<br>" + first
    row += rest


def _price_line(line: str) -> bool:
    """A line of a copied table that holds a price and is no footnote (``(1) ...``)."""
    return bool(find_money(line)) and not re.match(r"\s*[(（]\d", line)


def _github_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """The lines of a GitHub table (set apart by blank lines) that the Markdown reader reads."""
    return ["", "| " + " | ".join(c.strip() for c in header) + " |", "|" + " --- |" * len(header),
            *("| " + " | ".join(c.strip() for c in row) + " |" for row in rows), ""]


_TAB_HEADER_RE = re.compile(r"^(?:MODEL|模型)(?:\(\d\)|（\d）)?\t", re.I)


def _tab_copy_tables(text: str) -> str:
    """A copy of the page's table as tab-separated text, made a GitHub table again.

    Copying the rendered table of one model per row (2025-01) writes cells apart with tabs, and a
    cell with line breaks over several lines: ``MODEL(1)<tab>CONTEXT LENGTH<tab>...<tab>1M TOKENS``
    / ``INPUT PRICE`` / ``(CACHE HIT) (4)<tab>1M TOKENS`` ... then ``deepseek-chat<tab>64K<tab>...<tab>
    $0.07(5)`` / ``$0.014<tab>$0.27(5)`` ...  A line without a tab goes on with the cell before it;
    each row starts at a model id and has the header's number of cells.  Once a row has them all,
    only a line with a price still belongs to its last cell (``$0.28``): a footnote (``(1) The
    deepseek-chat model ...``) or a line without a price ends the table.  Anything that does not
    come out as whole rows of the header's width is left as it was.
    """
    if "\t" not in text:
        return text
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if not _TAB_HEADER_RE.match(lines[i]):
            out.append(lines[i])
            i += 1
            continue
        header = lines[i].split("\t")
        j = i + 1
        while j < len(lines) and not _MODEL_RE.match(lines[j].split("\t")[0].strip()) and lines[j].strip():
            _carry_on(header, lines[j].split("\t"))
            j += 1
        rows: list[list[str]] = []
        while j < len(lines) and lines[j].strip():
            line = lines[j]
            if _MODEL_RE.match(line.split("\t")[0].strip()):
                rows.append(line.split("\t"))
            elif rows and len(rows[-1]) < len(header):
                _carry_on(rows[-1], line.split("\t"))
            elif rows and "\t" not in line and _price_line(line):
                # a price after a full row is its last cell's (``$0.28``, ``0.28 USD``): taken apart,
                # the cell would show only the list price; a sentence wrongly kept here only makes
                # that cell hold two prices, which is then skipped, never misread
                rows[-1][-1] += "<br>" + line
            else:
                break
            j += 1
        if not rows or any(len(row) != len(header) for row in rows):
            out.append(lines[i])
            i += 1
            continue
        out += _github_table(header, rows)
        i = j
    return "\n".join(out)


def _clean_markdown(text: str) -> str:
    """Undo two converter habits around tables, line by line (linear).

    * ``**`` glued to a table's first or last pipe (the page wraps its table in ``<b>``):
      ``**| |`` / ``| $0.42 | |**`` lose the ``**``, so the last cell is not ``**``.
    * html2text writes rows without outer pipes and a separator without a leading pipe
      (``---|---|---``); a blank first row still comes out as ``| |``, which would make the
      reader expect GitHub rows and stop at the first bare one.  That header line is made bare.
    """
    if "|" not in text:
        return text
    text = _BOLD_AROUND_PIPES_RE.sub(lambda m: m.group(1) or m.group(2) or "", text)
    lines = text.split("\n")
    for i in range(1, len(lines)):
        if not _HTML2TEXT_SEPARATOR_RE.match(lines[i]) or lines[i].lstrip().startswith("|"):
            continue
        # a header cell with <br> comes out over several lines: join them back (up to 6)
        first = i - 1
        while first > 0 and i - first < 6 and lines[first - 1].strip():
            first -= 1
        while first < i - 1 and "|" not in lines[first]:
            first += 1
        if first < i - 1:
            lines[first:i] = ["<br>".join(line.strip() for line in lines[first:i])]
            return _clean_markdown("\n".join(lines))
        if lines[i - 1].lstrip().startswith("|"):
            header = lines[i - 1].lstrip()[1:]
            # a zero-width space (blank once read) keeps a blank header from starting with a pipe
            lines[i - 1] = header if header.strip(" |") else "\u200b" + header
    return "\n".join(lines)


_FLAT_START_RE = re.compile(r"^\s*(?:\*\*)?\s*(?:MODEL|模型)(?:\(\d\))?\s*\S*deepseek-", re.I)
_LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_SOFT_BREAK_RE = re.compile(r" {2,}$|\\$|<br\s*/?>$", re.I)


def _markdown_with_flat_tables(text: str, source_url: str) -> Document:
    """Markdown where a reader flattened the pricing table into one glued line per row."""
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if _FLAT_START_RE.match(line) and line.count("|") < 2]
    if not starts:
        return read_provider_page(PROVIDER, text, source_url)
    found: list[tuple[int, int, Table]] = []  # flattened tables that held prices; other lines stay prose
    for start in starts:
        if found and start < found[-1][1]:
            continue
        end = _flat_end(lines, start)
        table = _flat_table(lines[start:end])
        if table is not None:
            found.append((start, end, table))
    if not found:
        return read_provider_page(PROVIDER, text, source_url)
    doc: Document | None = None
    pos = 0
    for start, end, table in found:
        before = read_provider_page(PROVIDER, "\n".join(lines[pos:start]), source_url)
        if doc is None:
            doc = before
        else:
            doc.blocks.extend(before.blocks)
        table.section = next((b.text for b in reversed(doc.blocks) if isinstance(b, Heading)), "")
        doc.blocks.append(table)
        pos = end
    rest = read_provider_page(PROVIDER, "\n".join(lines[pos:]), source_url)
    assert doc is not None
    doc.blocks.extend(rest.blocks)
    return doc


def _flat_end(lines: list[str], start: int) -> int:
    """The line after a flattened table: its closing ``**``, or a footnote/heading, or a gap."""
    bold = lines[start].lstrip().startswith("**")
    for i in range(start, min(len(lines), start + 80)):
        stripped = lines[i].strip()
        if bold and i > start and stripped.endswith("**"):
            return i + 1
        if i > start and (stripped.startswith("#") or re.match(r"^[(（]\d{1,2}[)）]", stripped)):
            return i
        if not bold and not stripped and i > start:
            return i
    return min(len(lines), start + 80)


def _flat_table(lines: list[str]) -> Table | None:
    """Rebuild a flattened table: the model row, then one row per price line.

    Each row becomes ``[component, row label, price cells...]``; a line without its own
    component (``PEAK$0.006$0.044`` under the OFF-PEAK line) takes the one above, as a rowspan.
    A line ending in a Markdown soft break (two spaces) or a line opening with ``(`` continues
    the row above (``1M INPUT TOKENS  `` / ``(CACHE HIT)OFF-PEAK$0.003$0.022``).
    """
    rows_text: list[str] = []
    soft = False
    for raw in lines:
        has_soft = bool(_SOFT_BREAK_RE.search(raw.rstrip("\n")))
        line = raw.strip()
        line = line[2:] if line.startswith("**") else line
        line = line[:-2] if line.endswith("**") else line
        line = _LINK_RE.sub(r"\1", line).strip()
        if not line:
            soft = False
            continue
        if rows_text and (soft or line.startswith(("(", "（"))):
            rows_text[-1] += " " + line
        else:
            rows_text.append(line)
        soft = has_soft
    models: list[Cell] = []
    rows: list[list[Cell]] = []
    component: str | None = None
    group = ""  # a row group's tier label (``DISCOUNT PRICE (UTC 16:30-00:30)``), for the rows under it
    for text in rows_text:
        if not models:
            for m in _MODEL_IN_TEXT_RE.finditer(text):
                marker = re.match(r"[(（](\d{1,2})[)）]", text[m.end():])
                models.append(Cell(m.group(0), m.group(0), (), (marker.group(1),) if marker else ()))
            continue
        tokens = _price_tokens(text)
        head = _inline_cell(text[:tokens[0][0]] if tokens else text)
        own_group = _COMPONENT_WORDS_RE.split(head.text, maxsplit=1)[0]
        if _tier(own_group):
            group = own_group
        if not tokens:
            continue
        component = _component(head.text) or component
        cells = [_inline_cell(chunk) for chunk in _price_chunks(text, tokens)]
        rows.append([head, Cell.plain(_COMPONENT_LABELS.get(component or "", "")), Cell.plain(group), *cells])
    if not models or not rows:
        return None
    width = 3 + max(len(models), max(len(r) - 3 for r in rows))
    grid = [[Cell.plain("MODEL"), Cell.plain(""), Cell.plain(""), *models]]
    grid += [row for row in rows]
    return Table(rows=[row + [Cell.plain("")] * (width - len(row)) for row in grid], header_rows=1)


_COMPONENT_WORDS_RE = re.compile(r"1M\b|百万|INPUT|OUTPUT|输入|输出", re.I)
_COMPONENT_LABELS = {"input_cache_hit": "INPUT (CACHE HIT)", "input": "INPUT (CACHE MISS)", "output": "OUTPUT"}
_STRUCK_SPAN_RE = re.compile(r"~~.+?~~|<(del|s|strike)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_MONEY_START_RE = re.compile(r"(?:US\$|\$|¥|￥)\s?\d|\d+(?:\.\d+)?\s?元")


def _price_tokens(text: str) -> list[tuple[int, bool]]:
    """Where each price starts in a glued line, and whether it is struck (a list price)."""
    struck = [m.span() for m in _STRUCK_SPAN_RE.finditer(text)]
    tokens = [(a, True) for a, b in struck if _MONEY_START_RE.search(text, a, b)]
    tokens += [(m.start(), False) for m in _MONEY_START_RE.finditer(text)
               if not any(a <= m.start() < b for a, b in struck)]
    return sorted(tokens)


def _price_chunks(text: str, tokens: list[tuple[int, bool]]) -> list[str]:
    """One chunk per model: a price in force plus the struck list price beside it, if any;
    whether list prices come before or after their price is read from the first one."""
    starts = [a for a, _ in tokens] + [len(text)]
    pieces = [(text[starts[i]:starts[i + 1]], tokens[i][1]) for i in range(len(tokens))]
    struck_first = pieces[0][1]
    chunks: list[str] = []
    i = 0
    while i < len(pieces):
        if i + 1 < len(pieces) and pieces[i][1] == struck_first and pieces[i + 1][1] != struck_first:
            chunks.append(pieces[i][0] + pieces[i + 1][0])
            i += 2
        else:
            chunks.append(pieces[i][0])
            i += 1
    return chunks


_NEXT_NOTE_RE = re.compile(r"(?<=\s)[(（](\d{1,2})[)）]\s*")


def _footnotes(doc: Document) -> dict[str, str]:
    """Footnote number -> text; footnotes the page ran together in one paragraph (``<br>``
    between them) are split where the next number in sequence opens."""
    notes: dict[str, str] = {}
    for block in doc.blocks:
        if not isinstance(block, Paragraph) or not block.marker:
            continue
        number, text, pos = block.marker, block.text, 0
        for m in _NEXT_NOTE_RE.finditer(text):
            if m.group(1) == str(int(number) + 1):
                notes.setdefault(number, text[pos:m.start()].strip())
                number, pos = m.group(1), m.end()
        notes.setdefault(number, text[pos:].strip())
    return notes


def _page_date(doc: Document, text: str) -> datetime | None:
    """The page's own date (see the module docstring), or None."""
    for key in _PAGE_DATE_KEYS:
        value = doc.meta.get(key)
        if value and (instant := _read_date(value)) is not None:
            return instant
    if doc.format == "html":
        m = _HTML_DATE_RE.search(text[:200_000])
        if m and (instant := _read_date(next(g for g in m.groups() if g))) is not None:
            return instant
    return None


def _read_date(value: str) -> datetime | None:
    value = value.strip().strip("'\"")
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            instant = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if instant.tzinfo is None:  # a bare date or time: DeepSeek's zone
        instant = instant.replace(tzinfo=timezone.utc) - timedelta(hours=ZONE_HOURS)
    return instant.astimezone(timezone.utc)


# --- tables -------------------------------------------------------------------------------------


class _CellQuote:
    """A price cell with what the table says about it, before windows and dates are applied."""

    def __init__(self, model: str, component: str, tier: str, cell: Cell, labels: list[Cell],
                 model_cell: Cell | None = None) -> None:
        self.model, self.component, self.tier, self.cell, self.labels = model, component, tier, cell, labels
        self.model_cell = model_cell


def _is_price_table(table: Table) -> bool:
    has_model = any(_MODEL_RE.match(c.text) for row in table.rows for c in row)
    has_money = any(_money(c) for row in table.rows for c in row)
    return has_model and has_money


def _money(cell: Cell) -> Money | None:
    return first_money(cell.kept) if cell.text else None


def _component(text: str) -> str | None:
    """The price component a label names, in English or Chinese; None for non-price labels."""
    upper = text.upper()
    if "CACHE HIT" in upper or "缓存命中" in text:
        return "input_cache_hit"
    if "CACHE MISS" in upper or "缓存未命中" in text:
        return "input"
    if "MAX" in upper or "长度" in text or "最大" in text:
        return None
    if "OUTPUT" in upper or "输出" in text:
        return "output"
    if "INPUT" in upper or "输入" in text:
        return "input"
    return None


def _tier(text: str) -> str | None:
    upper = text.upper()
    if re.search(r"OFF-?\s?PEAK|DISCOUNT PRICE", upper) or "空闲" in text or "优惠时段" in text or "低谷" in text:
        return "off_peak"
    if re.search(r"\bPEAK\b", upper) or "高峰" in text:
        return "peak"
    if "STANDARD" in upper or "标准时段" in text:
        return "standard"
    return None


def _read_table(table: Table, skipped: list[Skipped]) -> list[_CellQuote]:
    """Find every price cell and what it is: row-per-model tables or column-per-model tables."""
    header = _component_header(table)
    if header is not None:
        return _read_rows_per_model(table, header, skipped)
    return _read_columns_per_model(table, skipped)


def _component_header(table: Table) -> tuple[int, dict[int, str]] | None:
    """A row without prices that names two or more components: models are then one per row."""
    for r, row in enumerate(table.rows):
        if any(_money(c) for c in row):
            return None
        components = {c: comp for c, cell in enumerate(row) if (comp := _component(cell.text))}
        if len(set(components.values())) >= 2:
            return r, components
    return None


def _read_rows_per_model(table: Table, header: tuple[int, dict[int, str]],
                         skipped: list[Skipped]) -> list[_CellQuote]:
    start, components = header
    found: list[_CellQuote] = []
    previous: list[Cell] | None = None
    for row in table.rows[start + 1:]:
        row = previous = _realigned(row, previous, components)
        model = next((c.text for c in row if _MODEL_RE.match(c.text)), None)
        if model is None:
            if any(_money(c) for c in row):  # rowspans are already expanded: a copy broke this row
                skipped.append(Skipped(f"{table.section or 'pricing table'}: row without a model id",
                                       " | ".join(c.text for c in row), "prices in a row that names no model"))
            continue
        labels = [c for c in row if not _money(c)]
        tier = next((t for c in labels if (t := _tier(c.text))), "standard")
        for col, component in components.items():
            if col < len(row) and _money(row[col]):
                found.append(_CellQuote(model, component, tier, row[col], labels))
    return found


def _read_columns_per_model(table: Table, skipped: list[Skipped]) -> list[_CellQuote]:
    model_row = next((row for row in table.rows if any(_MODEL_RE.match(c.text) for c in row)), None)
    if model_row is None:
        raise ParseError(PROVIDER, "pricing table has no row of model ids")
    models = {c: cell.text for c, cell in enumerate(model_row) if _MODEL_RE.match(cell.text)}
    model_cells = {cell.text: cell for cell in model_row if _MODEL_RE.match(cell.text)}
    distinct_models = list(dict.fromkeys(models.values()))
    # do other rows price the models apart? then a lone price is no colspan by default
    mixed = len(distinct_models) > 1 and any(sum(1 for c in row if _money(c)) > 1 for row in table.rows)
    # a table with time-of-day rows (peak / off-peak): a price row without its period label lost it
    # to a broken copy (the row span was not carried down); "standard" would price it all day
    timed = any(_tier(cell.text) in ("peak", "off_peak") for row in table.rows for cell in row)
    found: list[_CellQuote] = []
    previous: list[Cell] | None = None
    for row in table.rows:
        row = previous = _realigned(row, previous, models)
        priced = [(c, cell) for c, cell in enumerate(row) if _money(cell)]
        if not priced:
            continue
        labels = [cell for cell in row if not _money(cell)]
        component = next((comp for cell in reversed(labels) if (comp := _component(cell.text))), None)
        where = f"{table.section or 'pricing table'}: row {' | '.join(c.text for c in labels if c.text)[:60]!r}"
        if component is None:
            skipped.append(Skipped(where, " | ".join(c.text for c in row), "price row without a component label"))
            continue
        tier = next((t for cell in labels if (t := _tier(cell.text))), None)
        # in a table priced by time of day, a row needs its period; a STANDARD PRICE label
        # carried down without the hours it had on its own row would be read as the price of
        # the whole day, wrong at night
        if timed and (tier is None or tier == "standard" and not any(_RANGES_RE.search(c.text) for c in labels)):
            skipped.append(Skipped(where, " | ".join(c.text for c in row),
                                   "price row without its time period in a table priced by time of day"))
            continue
        tier = tier or "standard"
        pairs = _assign_models(priced, models, distinct_models, row, mixed)
        if pairs is None:
            skipped.append(Skipped(where, " | ".join(c.text for c in row),
                                   "cannot tell which model each price belongs to"))
            continue
        for model, cell in pairs:
            found.append(_CellQuote(model, component, tier, cell, labels, model_cells.get(model)))
    return found


def _realigned(row: list[Cell], previous: list[Cell] | None, columns: dict[int, str]) -> list[Cell]:
    """``row`` as the page laid it out, when a renderer padded a row-spanned row on the right.

    ``columns`` are where prices belong: the model columns of a table with a column per model,
    the component columns of one with a row per model.

    GitHub's and Python-Markdown's table renderers pad a short row with empty cells at its end, so
    ``| PEAK | $0.014 | $0.044 |`` under a five-column header becomes ``PEAK | $0.014 | $0.044 |
    | `` in the HTML: the cells the row shared with the row above (the component, ``PRICING``) were
    on its left.  The row is moved right by its empty cells, and the row above fills them, only
    when read in place it cannot be right (a price outside ``columns``) and moved it fits the
    table exactly: every price in ``columns``, every period and component label in a column where
    the row above has a label of the same kind, the row above itself a price row.  Anything else
    is left as it is (and skipped later if it cannot be attributed): a row whose last model simply
    has no price keeps its prices where they are.
    """
    width = len(row)
    empty = 0
    while empty < width and not row[width - 1 - empty].text.strip():
        empty += 1
    if previous is None or empty == 0 or empty == width or len(previous) != width:
        return row
    if all(c in columns for c, cell in enumerate(row) if _money(cell)):
        return row  # read in place it is consistent: nothing to mend
    if not any(_money(cell) for cell in previous):
        return row
    moved = previous[:empty] + row[:width - empty]
    for c, cell in enumerate(moved[empty:], start=empty):
        if _money(cell):
            if c not in columns:
                return row
        elif cell.text.strip():
            above = previous[c].text
            same_tier = _tier(cell.text) is not None and _tier(above) is not None
            same_component = _component(cell.text) is not None and _component(above) is not None
            if not (same_tier or same_component) or _money(previous[c]):
                return row
    return moved


def _assign_models(priced: list[tuple[int, Cell]], models: dict[int, str], distinct: list[str],
                   row: list[Cell], mixed: bool) -> list[tuple[str, Cell]] | None:
    """Prices to models by column; None when that is not certain.

    A lone price whose row holds nothing else under the other models (blank, or a label a copy
    shifted there when it lost the MODEL cell's colspan) spans every model: the page wrote one
    cell across all model columns (V3.2: ``<td colspan="2">$0.28</td>``).  In a table whose other
    rows price the models apart (``mixed``), a lone price spans them only from the first model
    column with blanks after it (a lost colspan); anywhere else a copy dropped or shifted cells
    (Python-Markdown cuts rows to the header's width), and guessing would misattribute it.
    """
    if len(priced) == 1:
        col, cell = priced[0]
        others = [row[c] if c < len(row) else Cell.plain("") for c in models if c != col]
        if all(_is_label(other) for other in others):
            lost_colspan = col <= min(models) and not any(other.text.strip() for other in others)
            if not mixed or lost_colspan:
                return [(model, cell) for model in distinct]
            return None
    if all(c in models for c, _ in priced):
        pairs = [(models[c], cell) for c, cell in priced]
        return list(dict.fromkeys(pairs))
    if len(priced) == 1 and not mixed:
        return [(model, priced[0][1]) for model in distinct]
    if len(priced) == len(distinct):
        return [(model, cell) for model, (_, cell) in zip(distinct, priced)]
    return None


def _ambiguous(cell: Cell) -> bool:
    """A cell showing two different amounts in force (a copy lost the strike-through of a list
    price, e.g. an inline ``text-decoration: line-through``): the charged price is not certain."""
    amounts = {(m.currency, m.amount) for m in find_money(cell.kept)}
    return len(amounts) > 1


#: A footnote that says a cell shows the list price, then the discounted one (2024-12 to 2025-02).
_ORIGINAL_THEN_DISCOUNTED_RE = re.compile(r"original price and the discounted price|原价(?:和|与|及)优惠价", re.I)


def _original_then_discounted(cell: Cell, notes: dict[str, str]) -> Cell | None:
    """The cell read as its footnote says, when a copy lost the strike-through of its list price.

    ``$0.07(5)`` / ``$0.014`` with footnote (5) "The form shows the original price and the
    discounted price": the first is the list price, the second the price in force (the promo).
    Taken only when the footnote says so, the cell holds exactly two prices in one currency, and
    the second is the lower (a discount never costs more): otherwise the cell stays uncertain."""
    if not any(_ORIGINAL_THEN_DISCOUNTED_RE.search(notes.get(m, "")) for m in cell.markers):
        return None
    found = find_money(cell.kept)
    if len(found) != 2 or found[0].currency != found[1].currency or not found[1].amount < found[0].amount:
        return None
    return Cell(text=cell.text, kept=found[1].text, struck=(found[0].text, *cell.struck), markers=cell.markers)


def _is_label(cell: Cell) -> bool:
    text = cell.text.strip()
    return not text or bool(_component(text) or _tier(text) or re.fullmatch(r"(?i)pricing|prices?|价格", text))


# --- dates, announcements, windows ----------------------------------------------------------------


def _announcement_for(doc: Document, table: Table, source_url: str) -> tuple[datetime | None, str]:
    """The start instant of a table the prose around it announces as prices to come.

    Read: the paragraphs between the table and the previous table or heading (footnotes
    included), that heading itself ("New prices from September 1, 2026"), and a paragraph right
    after the table that speaks of it ("The above prices take effect ...", 以上价格).
    """
    index = next(i for i, block in enumerate(doc.blocks) if block is table)
    prose: list[str] = []
    for block in reversed(doc.blocks[max(0, index - 4):index]):
        if isinstance(block, Heading):
            if _ANNOUNCE_RE.search(block.text):
                prose.insert(0, block.text)
            break
        if not isinstance(block, Paragraph):
            break
        prose.insert(0, block.text)
    after = doc.blocks[index + 1] if index + 1 < len(doc.blocks) else None
    if isinstance(after, Paragraph) and _AFTER_TABLE_RE.match(after.text) and _ANNOUNCE_RE.search(after.text):
        prose.append(after.text)
    text = " ".join(prose)
    if not text or not _ANNOUNCE_RE.search(text):
        return None, ""
    dated = find_dated(text, ZONE_HOURS)
    starts = [d.instant for d in dated if d.kind == "start"] or [d.instant for d in dated if d.kind == ""]
    if not starts and _NOW_RE.search(text):
        return None, ""  # "effective immediately": in force, not announced
    if not starts:
        raise ParseError(PROVIDER, f"a table of announced prices without a readable start date: {text[:200]!r}",
                         source_url or None)
    return starts[0], text


@lru_cache(maxsize=256)
def _dated(text: str) -> tuple[Dated, ...]:
    """Dates in a footnote, read once per page rather than once per price cell."""
    return tuple(find_dated(text, ZONE_HOURS))


@lru_cache(maxsize=256)
def _peak_window(context: str) -> tuple[windows.Window, bool] | None:
    """The peak window a page's footnotes state (and whether it was found), read once."""
    peak = _PEAK_HOURS_RE.search(context) or _HOURS_THEN_PEAK_RE.search(context)
    if not peak:
        return None
    beijing = bool(peak.group("zone")) or "北京" in peak.group(0) or "Beijing" in peak.group(0)
    sentence = _sentence_around(context, peak.start(), peak.end())
    days = "Mon-Fri" if _WEEKDAYS_RE.search(sentence) else ""
    return windows.from_local(peak.group("ranges"), ZONE_HOURS if beijing else 0, days), True


def _quote(cq: _CellQuote, notes: dict[str, str], own_notes: dict[str, str], context: str,
           effective_from: datetime | None, page_date: datetime | None, source_url: str) -> Quote | None:
    money = _money(cq.cell)
    assert money is not None
    struck = first_money(" ".join(cq.cell.struck)) if cq.cell.struck else None
    marker_notes = [notes[m] for m in cq.cell.markers if m in notes]
    promo_until = None
    if struck is not None:
        ends = [d.instant for note in (marker_notes or [context]) for d in _dated(note)
                if d.kind == "end"]
        promo_until = ends[0] if ends else None
    label_notes = [notes[m] for cell in cq.labels for m in cell.markers if m in notes]
    if effective_from is None and page_date is not None:
        # a footnote on this price saying it takes effect after the page's date: scheduled
        own = [own_notes[m] for cell in [cq.cell, *cq.labels] for m in cell.markers if m in own_notes]
        later = [d.instant for note in own if _ANNOUNCE_RE.search(note)
                 for d in _dated(note) if d.kind == "start" and d.instant > page_date]
        effective_from = later[0] if later else None
    return Quote(
        provider=PROVIDER,
        model=cq.model,
        component=cq.component,
        currency=money.currency,
        price=money.amount,
        price_text=money.text,
        tier=cq.tier,
        window=_window(cq, context, source_url),
        list_price=struck.amount if struck else None,
        list_price_text=struck.text if struck else None,
        promo_until=promo_until,
        effective_from=effective_from,
        source_url=source_url,
        note=" ".join(dict.fromkeys(marker_notes + label_notes)),
    )


def _window(cq: _CellQuote, context: str, source_url: str) -> str:
    """The UTC window of a tier: from its own label, else from the page's footnotes."""
    if cq.tier == "standard" and not any(_RANGES_RE.search(c.text) for c in cq.labels):
        return ""
    for cell in cq.labels:
        if _tier(cell.text) and (m := _RANGES_RE.search(cell.text)):
            return _to_utc(m.group(0), cell.text).format()
    found = _peak_window(context)
    if found:
        peak_window = found[0]
        return (peak_window if cq.tier == "peak" else peak_window.complement()).format()
    off_peak = _OFF_PEAK_HOURS_RE.search(context)
    if off_peak:
        off = windows.from_local(off_peak.group("ranges"), 0)
        return (off if cq.tier == "off_peak" else off.complement()).format()
    raise ParseError(PROVIDER, f"{cq.tier} prices but no hours for them on the page", source_url or None)


def _sentence_around(text: str, start: int, end: int) -> str:
    """The peak-hours statement with the sentence after it ("..., Monday through Friday")."""
    head = max(text.rfind(".", 0, start), text.rfind("。", 0, start)) + 1
    return text[head:end + 120]


def _to_utc(ranges: str, label: str) -> windows.Window:
    beijing = "北京" in label or "Beijing" in label
    return windows.from_local(ranges, ZONE_HOURS if beijing else 0)


def _window_caveats(quotes: list[Quote], notes: dict[str, str]) -> list[Skipped]:
    """Peak hours that skip public holidays: a weekly window cannot say so; report it."""
    if not any(q.tier == "peak" for q in quotes):
        return []
    out = []
    for number, note in notes.items():
        if (_PEAK_HOURS_RE.search(note) or _HOURS_THEN_PEAK_RE.search(note)) and _HOLIDAYS_RE.search(note):
            out.append(Skipped(f"footnote ({number})", note,
                               "peak hours exclude public holidays: a weekly UTC window cannot express "
                               "holidays, so usage on a holiday is priced at the peak rate"))
    return out


def _dedupe(quotes: list[Quote], skipped: list[Skipped]) -> list[Quote]:
    """One quote per series and start; the same price twice (a tab and a copy) is kept once, two
    different prices for one series are both dropped and reported: neither is certain."""
    seen: dict[tuple, Quote] = {}
    clash: set[tuple] = set()
    for q in quotes:
        slot = (*q.key, q.effective_from)
        other = seen.get(slot)
        if other is None:
            seen[slot] = q
        elif (other.price, other.window) != (q.price, q.window):
            clash.add(slot)
    for slot in sorted(clash, key=str):
        skipped.append(Skipped(f"{slot[1]} {slot[2]} {slot[3]} {slot[4]}", "",
                               "two different prices on the page for one series: neither recorded"))
    return [q for slot, q in seen.items() if slot not in clash]


__all__ = ["PROVIDER", "PARSER_VERSION", "SOURCES", "ZONE_HOURS", "parse", "read"]
