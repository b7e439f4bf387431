"""Markdown pages (mirrors, ``.md`` endpoints, crawler output) into the document model.

Three table dialects reach ratecard: GitHub pipe tables (``| a | b |``), html2text tables without
outer pipes whose ``<br>`` became a real line break (a promo cell ``~~$0.07/ 1M tokens~~(4)`` on one
line, ``$0.014 / 1M tokens| ...`` on the next), and either kind with rows that lost their rowspans.
They are all re-assembled here into rectangular grids.
"""

from __future__ import annotations

import re

from parsers import mojibake
from parsers.money import find_money
from parsers.document import (
    BOLD_HEADING_LEVEL, FOOTNOTE_START_RE, bold_heading, Block, Cell, Document, Heading, Table, fill_ragged, make_cell, paragraph,
)

_SEPARATOR_RE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)+\|?\s*$|^\s*\|\s*:?-{2,}:?\s*\|\s*$")
_HEADING_RE = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST_RE = re.compile(r"^\s*(?:[*+-]|\d{1,3}[.)])\s+")
_RULE_RE = re.compile(r"^\s*(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,})$")
_STRUCK_RE = re.compile(r"~~(.+?)~~|<(del|s|strike)\b[^>]*>(.*?)</\2\s*>", re.S | re.I)
_SUP_RE = re.compile(r"<sup\b[^>]*>\s*[(\[]?(\d{1,2})[)\]]?\s*</sup\s*>", re.I)
_BR_RE = re.compile(r"<br\s*/?>", re.I)
_IMAGE_RE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK_RE = re.compile(r"\[([^\]]*)\]\((?:<[^>]*>|[^)\s]*)(?:\s+\"[^\"]*\")?\)")
_AUTOLINK_RE = re.compile(r"<(https?://[^>\s]+)>")
_TAG_RE = re.compile(r"</?[a-zA-Z][^>]*>")
_ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~<>$])")
_STRUCK_TAIL_RE = re.compile(r"(~~|</(?:del|s|strike)>)\s*(?:[(（]\d{1,2}[)）])?\s*(?:\*\*|__|[*_])?\s*$", re.I)
#: A line that opens with a price (what follows a struck list price in the same cell), not a label:
#: a row that merely *ends* with a struck price (``$0.87 (75% off)~~$3.48~~``) is followed by a new row.
_PRICE_LEAD_RE = re.compile(r"\s*(?:\*\*|__|[*_])?\s*(?:~~|<(?:del|s|strike)\b[^>]*>)?\s*(?:US\$|\$|€|¥|￥|£|\d+(?:\.\d+)?\s?(?:元|€|\$|¥|(?:USD|EUR|CNY|RMB)\b))")
#: Single-character emphasis (``*text*``, ``_text_``): only around whole words, so an id such as
#: ``text_embedding_3`` or a footnote star (``$5.00*``) is left as it is.
_EMPHASIS_RE = re.compile(r"(?<![\w*\\])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])")
#: A footnote number glued after a code span or a link (html2text writes ``<sup>1</sup>`` as a bare
#: ``1``: ``[`gpt-5.4-nano`](/docs/models/gpt-5.4-nano)1``): the digits are a marker, not part of
#: the id the span prints.
_GLUED_MARKER_RE = re.compile(r"(`[^`\n]+`\]?(?:\([^)\s]*\))?|\[[^\]\n]*\]\([^)\s]*\))(\d{1,2})(?=\s|$)")
#: A line that is one bold run and nothing else (``**Batch pricing**``, ``__Pricing__``).
_BOLD_LINE_RE = re.compile(r"^\s*(\*\*|__)(?=\S)((?:(?!\1).)+?)(?<=\S)\1\s*$")
_JINA_META_RE = re.compile(r"^(Title|URL Source|Published Time|Markdown Content):\s*(.*)$")


def read_markdown(text: str) -> Document:
    text = mojibake.repair(text)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    meta, start = _front_matter(lines)
    return Document(blocks=_Reader(lines[start:]).read(), format="markdown", meta=meta)


def _front_matter(lines: list[str]) -> tuple[dict[str, str], int]:
    """YAML front matter (``source:``, ``fetched:``) or a Jina reader preamble."""
    meta: dict[str, str] = {}
    if lines and lines[0].strip() == "---":
        for i in range(1, min(len(lines), 200)):
            if lines[i].strip() == "---":
                for line in lines[1:i]:
                    key, sep, value = line.partition(":")
                    if sep and not line.startswith((" ", "\t")):
                        meta[key.strip()] = value.strip().strip('"')
                return meta, i + 1
    i = end = 0
    while i < len(lines) and i < 16:  # Jina writes a blank line between its preamble lines
        if not lines[i].strip() and end:
            i += 1
            continue
        m = _JINA_META_RE.match(lines[i])
        if not m:
            break
        if m.group(1) != "Markdown Content":
            meta[m.group(1).lower().replace(" ", "_")] = m.group(2).strip()
        i += 1
        end = i
        if m.group(1) == "Markdown Content":
            break
    return meta, end


class _Reader:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.blocks: list[Block] = []
        self.buffer: list[str] = []
        self.section = ""

    def read(self) -> list[Block]:
        i = 0
        lines = self.lines
        while i < len(lines):
            line = lines[i]
            if self._starts_table(i):
                self.flush()
                i = self.table(i)
                continue
            if not line.strip() or _RULE_RE.match(line) and not self.buffer:
                self.flush()
            elif m := _HEADING_RE.match(line):
                self.flush()
                self.heading(len(m.group(1)), m.group(2))
            elif self.buffer and len(self.buffer) == 1 and re.match(r"^\s*(=+|-+)\s*$", line):
                level = 1 if "=" in line else 2
                text, self.buffer = self.buffer[0], []
                self.heading(level, text)
            elif _LIST_RE.match(line) or FOOTNOTE_START_RE.match(line):
                self.flush()
                self.buffer.append(_LIST_RE.sub("", line, count=1))
            else:
                self.buffer.append(line)
            i += 1
        self.flush()
        return self.blocks

    def heading(self, level: int, raw: str) -> None:
        text = _inline_cell(raw).text.replace("\n", " ")
        if text:
            self.section = text
            self.blocks.append(Heading(level, text))

    def flush(self) -> None:
        if not self.buffer:
            return
        # A bold line of its own opens the paragraph: a heading a converter kept as bold, with
        # or without a blank line after it (``**Flagship models**`` / ``Our latest models``).
        if (m := _BOLD_LINE_RE.match(self.buffer[0])) is not None:
            if (text := bold_heading(_inline_cell(m.group(2)).text)) is not None:
                rest = self.buffer[1:]
                self.buffer = []
                self.heading(BOLD_HEADING_LEVEL, text)
                if not rest:
                    return
                self.buffer = rest
        block = paragraph(" ".join(_inline_cell(line).text for line in self.buffer).replace("\n", " "))
        self.buffer = []
        if block is not None:
            self.blocks.append(block)

    def _starts_table(self, i: int) -> bool:
        """Is line ``i`` a table header (a row with a separator line under it)?"""
        if i + 1 >= len(self.lines) or "|" not in self.lines[i]:
            return False
        return bool(_SEPARATOR_RE.match(self.lines[i + 1])) or self._wrapped_header(i) is not None

    def _wrapped_header(self, i: int) -> tuple[list[str], int] | None:
        """(header cells, separator line) of an html2text header broken over several lines.

        html2text writes a ``<br>`` inside a header cell as a line break, so a header such as
        ``MODEL| ...| 1M TOKENS<br>INPUT PRICE<br>(CACHE HIT)| ...`` spans several lines above the
        ``---|---`` line; each further line goes on with the last cell.  Only a bare header after a
        blank line, whose re-joined cells are as many as the separator's columns, is taken.
        """
        line = self.lines[i].strip()
        if line.startswith("|") or (i > 0 and self.lines[i - 1].strip()):
            return None
        cells = _split_row(line, True)
        for k in range(i + 1, min(i + 12, len(self.lines))):
            nxt = self.lines[k]
            if not nxt.strip() or _HEADING_RE.match(nxt):
                return None
            if _SEPARATOR_RE.match(nxt):
                columns = nxt.strip().strip("|").count("|") + 1
                return (cells, k) if k > i + 1 and len(cells) == columns else None
            first, *rest = _split_row(nxt.strip(), True)
            cells[-1] += "\n" + first
            cells.extend(rest)
        return None

    def table(self, i: int) -> int:
        """Read the table whose header is line ``i``; return the index after it."""
        header_line = self.lines[i].strip()
        bare = not header_line.startswith("|") and not header_line.startswith("**|")
        separator = self.lines[i + 1].strip()
        if not bare and separator and not separator.startswith("|") and _SEPARATOR_RE.match(separator) and (
                len(_split_row(header_line, True)) == separator.strip("|").count("|") + 1):
            bare = True  # html2text: ``| Real-time API| Batch API`` is a header whose first cell is empty
        header = _split_row(header_line.lstrip("*"), bare)
        if bare and header and (glued := _GLUED_PROSE_RE.match(header[0].strip())):
            # html2text glued the text before the table onto its header line
            # (``... (6x standard rates): Context window| Input| Output``): the prose is a
            # paragraph of its own (it may name the models the table is for), the cell its label
            if (block := paragraph(_inline_cell(glued.group(1)).text.replace("\n", " "))) is not None:
                self.blocks.append(block)
            header[0] = glued.group(2)
        j = i + 2
        if not _SEPARATOR_RE.match(self.lines[i + 1]) and (wrapped := self._wrapped_header(i)) is not None:
            header, j = wrapped[0], wrapped[1] + 1
        # html2text writes no outer pipes, so a row ending in ``|`` may have an empty last cell
        # (a button column): see _empty_last_cells.
        columns = self.lines[j - 1].strip().strip("|").count("|") + 1 if bare else 0
        open_ended: list[list[str]] = []

        def cells_of(text: str) -> list[str]:
            row = _split_row(text, bare)
            if bare and len(row) == columns - 1 and text.rstrip().endswith("|"):
                open_ended.append(row)
            return row

        if bare and len(header) == columns - 1 and header_line.endswith("|"):
            open_ended.append(header)
        raw_rows: list[list[str]] = [header]
        while j < len(self.lines):
            line = self.lines[j]
            stripped = line.strip()
            if not stripped or stripped.strip("*") == "":
                break
            if _HEADING_RE.match(line) or self._starts_table(j):
                break  # a heading, or the header row of the next table, ends this one
            if "|" not in stripped:
                if not bare:
                    break
                if _opens_next_row(self.lines, raw_rows, stripped, j, bare):
                    first, *rest = _split_row(self.lines[j + 1].strip(), bare)
                    raw_rows.append([stripped + "\n" + first, *rest])
                    j += 2
                    continue
                raw_rows[-1][-1] += "\n" + stripped
            elif bare and len(raw_rows) > 1 and (_continues(raw_rows[-1], stripped)
                                                 or _completes_first_row(raw_rows, stripped, bare)
                                                 or _completes_broken_row(raw_rows, stripped, bare)
                                                 or _continues_labelled_prices(raw_rows, stripped, bare)):
                first, *rest = _split_row(stripped, bare)
                raw_rows[-1][-1] += "\n" + first
                raw_rows[-1].extend(rest)
            else:
                raw_rows.append(cells_of(stripped))
            j += 1
        _empty_last_cells(raw_rows, open_ended, columns)
        grid = fill_ragged([[_inline_cell(c) for c in row] for row in raw_rows])
        self.blocks.append(Table(rows=grid, header_rows=1, section=self.section))
        return j


def _continues(previous: list[str], line: str) -> bool:
    """Does an html2text line carry on the previous row's last cell (a ``<br>`` inside it)?

    html2text writes a ``<br>`` as a line break, so a promo cell ``~~$0.07~~(4)<br>$0.014`` ends
    one line with the struck list price, and a cell ``DeepSeek-V3.2<br>(Thinking Mode)`` goes on
    with a parenthesis.  A line that starts a new row starts with its own label instead.
    """
    after_struck = bool(_STRUCK_TAIL_RE.search(previous[-1])) and bool(_PRICE_LEAD_RE.match(line))
    return after_struck or line.startswith(("(", "（"))


def _opens_next_row(lines: list[str], raw_rows: list[list[str]], line: str, j: int, bare: bool) -> bool:
    """Is a pipe-less html2text line the first line of the next row's first cell?

    ``Claude Sonnet 5<br>through August 31, 2026`` in a row's first cell is written as the
    line ``Claude Sonnet 5`` then ``through August 31, 2026| $1.60 / MTok| ...``; glued to the
    row above, the model name would be lost and the date taken for the row's label.  It opens
    the next row only when the row above is already full, the line holds no price and no note
    in parentheses, and the next line is a whole row by itself, or wider (a header that lost a
    colspan is narrower than its rows: DeepSeek's ``STANDARD PRICE<br>（UTC 00:30-16:30）``
    opens a row one cell wider than ``MODEL| deepseek-chat| deepseek-reasoner``).
    """
    width = len(raw_rows[0])
    if len(raw_rows) < 2 or len(raw_rows[-1]) < width or j + 1 >= len(lines):
        return False
    if line.startswith(("(", "（")) or find_money(line):
        return False
    following = lines[j + 1].strip()
    return "|" in following and len(_split_row(following, bare)) >= width


def _empty_last_cells(raw_rows: list[list[str]], open_ended: list[list[str]], columns: int) -> None:
    """Give the rows that ended in ``|`` their empty last cell, when the last column holds no price.

    html2text ends a row whose last cell is empty (a Copy button column) with ``|``; without that
    cell the row is one short, and :func:`fill_ragged` re-aligns it as if it had lost its first
    cell to a row span (a model under the row above's model).  But a table that already lost its
    alignment upstream (short rows padded on the right) ends its short rows with ``|`` too, and
    there the last column holds prices: those rows keep the row-span reading, unless they hold no
    price at all (a group row such as ``Language models| | Per million tokens| | | `` names the
    unit of the rows below it in its own columns; no price can move with it).
    """
    if not open_ended:
        return
    last = columns - 1
    priced_last = any(len(row) == columns and find_money(row[last]) for row in raw_rows)
    for row in open_ended:
        if not priced_last or not any(find_money(cell) for cell in row):
            row.append("")


def _completes_first_row(raw_rows: list[list[str]], line: str, bare: bool) -> bool:
    """Does an html2text line finish a first body row cut short by a ``<br>`` in one of its cells?

    A cell ``$0.07<sup>5</sup><br>$0.014`` whose strike-through was a CSS style (which html2text
    drops) ends its line with a plain price, so :func:`_continues` cannot see it.  The first body
    row cannot have lost cells to a row span (nothing above it but the header), so when it is
    shorter than the header and the next line opens with a price and fits in what is missing, the
    line goes on with that row.  Taken as a new row instead, the short row would be re-aligned by
    :func:`fill_ragged` and its prices shifted under other columns.
    """
    if len(raw_rows) != 2 or not _PRICE_LEAD_RE.match(line):
        return False
    width, have = len(raw_rows[0]), len(raw_rows[1])
    return have < width and have - 1 + len(_split_row(line, bare)) <= width


def _completes_broken_row(raw_rows: list[list[str]], line: str, bare: bool) -> bool:
    """Does an html2text line finish a body row broken by a ``<br>`` in a middle cell?

    ``4Mtpm<br>600rpm`` in a rate-limits cell is written ``...| 1,000,000| 4Mtpm`` then
    ``600rpm| $1.25$2.50``: two short rows that, joined at the break, have exactly the header's
    cells.  Taken apart, :func:`fill_ragged` would read both as rows that lost cells to a row span
    and shift the price under another column.  A row span leaves a row short too, so the join is
    only made when the cells meet exactly and the break falls between two cells of words (a row
    span's short row ends with a price, and the next row opens with its own label or price).
    """
    width, have = len(raw_rows[0]), len(raw_rows[-1])
    if have >= width:
        return False
    cells = _split_row(line, bare)
    if have - 1 + len(cells) != width or len(cells) < 2:
        return False
    before, after = raw_rows[-1][-1].strip(), cells[0].strip()
    return bool(before and after) and not find_money(before) and not find_money(after)


#: A header line's first cell that is a sentence or more of prose, then the column's own label.
_GLUED_PROSE_RE = re.compile(r"(.{40,}[.:])\s+([A-Z][A-Za-z ]{0,30})$", re.S)
#: A cell line that names what its price is for: ``Input: $4 / MTok``, ``**Output:** $20``.
_LABELLED_PRICE_RE = re.compile(r"\s*(?:\*\*|__)?([A-Za-z][A-Za-z ]{0,30}?)\s*:\s*(?:\*\*|__)?\s*(?:US\$|\$|€|£|¥)\s?\d")


def _continues_labelled_prices(raw_rows: list[list[str]], line: str, bare: bool) -> bool:
    """Does an html2text line carry on a cell that lists labelled prices, one per ``<br>``?

    ``Input: $4 / MTok<br>Output: $20 / MTok`` in a long-context cell is written as two lines:
    ``Claude Opus 4.6| Input: $4 / MTok`` then ``Output: $20 / MTok| Input: $8 / MTok``.  A new
    row would open with its own label (a model, a context band), never with another labelled
    price of the cell above; so when the previous row's last cell ends with one labelled price,
    this line opens with another under a different label, and the cells still fit the header,
    the line goes on with that cell.
    """
    width, have = len(raw_rows[0]), len(raw_rows[-1])
    cells = _split_row(line, bare)
    if have - 1 + len(cells) > width:
        return False
    before = _LABELLED_PRICE_RE.match(raw_rows[-1][-1].split("\n")[-1])
    after = _LABELLED_PRICE_RE.match(cells[0])
    return bool(before and after) and before.group(1).strip().lower() != after.group(1).strip().lower()


def _split_row(line: str, bare: bool) -> list[str]:
    """Split on pipes outside code spans and escapes; drop the outer pipes of GitHub tables."""
    if "`" in line or "\\" in line:
        cells = _split_escaped(line)
    else:  # nothing to protect: str.split gives the same cells (docs exports pad rows very wide)
        cells = line.split("|")
    if not bare and cells and not cells[0].strip():
        cells = cells[1:]
    if cells and not cells[-1].strip() and line.rstrip().endswith("|"):
        cells = cells[:-1]
    return cells


def _split_escaped(line: str) -> list[str]:
    """Cells of a row with code spans or ``\\|`` escapes, whose pipes are not separators."""
    cells: list[str] = []
    current: list[str] = []
    in_code = False
    k = 0
    while k < len(line):
        ch = line[k]
        if ch == "\\" and k + 1 < len(line) and line[k + 1] == "|":
            current.append("|")
            k += 2
            continue
        if ch == "`":
            in_code = not in_code
        if ch == "|" and not in_code:
            cells.append("".join(current))
            current = []
        else:
            current.append(ch)
        k += 1
    cells.append("".join(current))
    return cells


def _inline_cell(raw: str) -> Cell:
    """Markdown inline syntax into a cell: struck runs, footnote markers, links as their text."""
    markers = tuple(_SUP_RE.findall(raw))
    text = _SUP_RE.sub("", raw)
    if "`" in text or "](" in text:
        glued = _GLUED_MARKER_RE.findall(text)
        if glued:
            markers += tuple(number for _, number in glued)
            text = _GLUED_MARKER_RE.sub(r"\1", text)
    text = _BR_RE.sub("\n", text)
    parts: list[tuple[str, bool]] = []
    pos = 0
    for m in _STRUCK_RE.finditer(text):
        parts.append((_plain(text[pos:m.start()]), False))
        parts.append((_plain(m.group(1) if m.group(1) is not None else m.group(3)), True))
        pos = m.end()
    parts.append((_plain(text[pos:]), False))
    return make_cell(parts, markers)


def _plain(text: str) -> str:
    text = _IMAGE_RE.sub(r"\1", text)
    text = _LINK_RE.sub(r"\1", text)
    text = _AUTOLINK_RE.sub(r"\1", text)
    text = _TAG_RE.sub("", text)
    text = text.replace("**", "").replace("__", "")
    if "*" in text or "_" in text:
        text = _EMPHASIS_RE.sub(r"\2", text)
    text = text.replace("`", "")
    return _ESCAPE_RE.sub(r"\1", text)
