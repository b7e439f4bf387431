"""The document model every provider parser reads: headings, paragraphs and rectangular tables.

Pricing pages reach ratecard as live HTML (rowspans, ``<del>`` list prices, ``<sup>`` footnote
markers, tab panels) or as Markdown from mirrors and ``.md`` endpoints (``~~struck~~``, rows that
lost their rowspans, cells broken over several lines).  Both become the same :class:`Document`, so
a provider parser is written once against meaning, never against markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: A footnote marker written right after a word, as DeepSeek does: ``MODEL(1)``, ``~~$0.07~~(4)``.
MARKER_RE = re.compile(r"(?<=[^\s(（])[(（](\d{1,2})[)）]")
_LEADING_MARKER_RE = re.compile(r"^\s*[(（]\d{1,2}[)）]")


@dataclass(frozen=True)
class Cell:
    """One table cell.

    ``text`` is everything the cell shows (struck parts included, footnote markers removed, lines
    joined with ``\\n``); ``kept`` is the same without the struck parts, i.e. what is in force;
    ``struck`` holds the struck-through parts (list prices) in order; ``markers`` the footnote
    numbers the cell points to.
    """

    text: str
    kept: str
    struck: tuple[str, ...] = ()
    markers: tuple[str, ...] = ()

    @classmethod
    def plain(cls, text: str) -> "Cell":
        return cls(text=text, kept=text)


EMPTY_CELL = Cell.plain("")


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    """A paragraph or list item; footnotes are paragraphs whose ``marker`` is set."""

    text: str
    marker: str | None = None


@dataclass
class Table:
    """A rectangular grid: spans expanded, ragged rows re-aligned; header rows come first.

    ``section`` is the nearest heading above the table, ``tab`` the label of the tab panel that
    holds it (``USD``/``CNY``), when the page has tabs.
    """

    rows: list[list[Cell]]
    header_rows: int = 1
    section: str = ""
    tab: str | None = None

    @property
    def width(self) -> int:
        return len(self.rows[0]) if self.rows else 0

    @property
    def header(self) -> list[Cell]:
        return self.rows[0] if self.rows else []

    @property
    def body(self) -> list[list[Cell]]:
        return self.rows[self.header_rows:]

    def texts(self) -> list[list[str]]:
        """The grid as plain strings: handy for parsers and for reading test failures."""
        return [[c.text for c in row] for row in self.rows]


@dataclass(frozen=True)
class Data:
    """Values a page keeps in a custom element's ``data-*`` attributes rather than in its text.

    Script-rendered pages (mistral.ai/pricing) show a price through an empty web component such as
    ``<x-price data-prices='{"priceUsd":2}'>``; without this block the price would vanish from the
    document.  ``element`` is the tag name, ``values`` the attributes without their ``data-``
    prefix, ``section`` the nearest heading above.  Only HTML has attributes, so only the HTML
    reader emits these, in reading order among the other blocks.
    """

    element: str
    values: dict[str, str]
    section: str = ""


Block = Heading | Paragraph | Table | Data


@dataclass
class Document:
    """A page as an ordered list of blocks, plus what does not fit in prose.

    ``meta`` holds Markdown front matter (``source``, ``fetched``); ``scripts`` the contents of
    HTML ``<script>`` elements, for pages that embed their price list as data.
    """

    blocks: list[Block]
    format: str
    meta: dict[str, str] = field(default_factory=dict)
    scripts: list[str] = field(default_factory=list)

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def footnotes(self) -> dict[str, str]:
        """Footnote number -> text, for the first footnote with each number."""
        notes: dict[str, str] = {}
        for block in self.blocks:
            if isinstance(block, Paragraph) and block.marker and block.marker not in notes:
                notes[block.marker] = block.text
        return notes

    def text(self) -> str:
        """All prose (headings and paragraphs), for page-wide statements such as promo ends."""
        return "\n".join(b.text for b in self.blocks if isinstance(b, (Heading, Paragraph)))


def detect_format(text: str) -> str:
    """``html``, ``json`` or ``markdown``, from the content itself (never a name or a header)."""
    head = text.lstrip("\ufeff \t\r\n")[:2048].lower()
    if re.match(r"\{|\[\s*[\[{\"\]\d-]", head):
        return "json"
    if head.startswith(("<!doctype", "<html", "<?xml", "<head", "<body", "<main", "<div", "<table",
                        "<meta", "<script")):
        return "html"
    if re.search(r"<(html|body|table|div)\b", head) and not re.search(r"^\s*[#|]", head, re.M):
        return "html"
    return "markdown"


_READER_PREAMBLE_RE = re.compile(
    r"\A\ufeff?\s*Title:[^\n]*\n(?:\s*\n|(?:URL Source|Published Time|Warning):[^\n]*\n){0,12}?"
    r"\s*Markdown Content:[ \t]*\n")


def unwrap_reader_json(text: str) -> str:
    """A JSON body that a reader service (Jina ``r.jina.ai``) wrapped in its Markdown preamble.

    ``Title: ...`` / ``URL Source: ...`` / ``Markdown Content:`` followed by the API's JSON is the
    JSON: the preamble is cut so a JSON reader sees the document it fetched.  Anything else is
    returned unchanged (a Markdown page keeps its preamble, which the Markdown reader reads).
    """
    if not text.lstrip("\ufeff \t\r\n").startswith("Title:"):
        return text
    head = text[:4096].replace("\r\n", "\n")
    m = _READER_PREAMBLE_RE.match(head)
    if m is None or detect_format(head[m.end():]) != "json":
        return text
    return text.replace("\r\n", "\n")[m.end():]


def read_document(text: str) -> Document:
    """Read a page in whichever format it is in; JSON is not a document and is refused."""
    fmt = detect_format(text)
    if fmt == "json":
        raise ValueError("JSON is data, not a page: read it with json, not read_document")
    if fmt == "html":
        from parsers.html_reader import read_html

        return read_html(text)
    from parsers.markdown_reader import read_markdown

    return read_markdown(text)


def read_provider_page(provider: str, text: str, source_url: str = "") -> Document:
    """:func:`read_document` for a provider parser: a body that is not a page is a ParseError."""
    from parsers.quote import ParseError

    try:
        return read_document(text)
    except ValueError as exc:
        raise ParseError(provider, str(exc), source_url or None) from None


#: The most a bold line that stands for a heading holds; longer bold lines are emphasised prose.
BOLD_HEADING_MAX = 60
#: Bold-line headings get this level: below a page's real section headings, so a parser that
#: nests by level still nests them under the last real heading.
BOLD_HEADING_LEVEL = 4
_BOLD_HEADING_END_RE = re.compile(r"[.,;:!?。，；：！？]\s*$")


def bold_heading(text: str) -> str | None:
    """The heading text of a line that is bold and nothing else, or None.

    Converters and crawlers that lose heading tags often keep them as a bold line of their own
    (``**Batch pricing**``, ``<p><strong>Gemini 2.5 Pro</strong></p>``); read as prose, every
    table under them would lose its section.  Only a short line with no price and no closing
    punctuation counts: a bold sentence (``**From now until ... full price.**``) stays prose.
    """
    text = clean_space(text)
    if not text or len(text) > BOLD_HEADING_MAX or "\n" in text or _BOLD_HEADING_END_RE.search(text):
        return None
    if re.search(r"[$€£¥￥元]|\d\s*(?:USD|EUR|CNY)\b", text) or FOOTNOTE_START_RE.match(text):
        return None
    return text


FOOTNOTE_START_RE = re.compile(r"^\s*[(（](\d{1,2})[)）]\s*")


def paragraph(text: str) -> Paragraph | None:
    """A paragraph from reader text; one that opens with ``(n)`` is footnote ``n``; None if blank."""
    text = clean_space(text)
    if not text:
        return None
    m = FOOTNOTE_START_RE.match(text)
    if m:
        return Paragraph(text[m.end():].strip(), marker=m.group(1))
    return Paragraph(text)


def split_markers(text: str) -> tuple[str, tuple[str, ...]]:
    """Remove ``(n)`` footnote markers glued to a word; return the text and the numbers."""
    markers = tuple(MARKER_RE.findall(text))
    if not markers:
        return text, ()
    return MARKER_RE.sub("", text), markers


_SPACES_RE = re.compile(r"[ \t\u00a0\u2002\u2003\u2009\u200b]+")


def clean_space(text: str) -> str:
    """Collapse runs of spaces (no-break ones too) inside lines; keep line breaks.

    The pattern is compiled once: ``re.sub`` with a pattern string looks it up in re's cache on
    every call, which was a tenth of the walk over a large page.
    """
    lines = (_SPACES_RE.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def make_cell(parts: list[tuple[str, bool]], extra_markers: tuple[str, ...] = ()) -> Cell:
    """Build a cell from (text, struck?) runs as a reader met them."""
    text, markers = split_markers("".join(t for t, _ in parts))
    kept_parts: list[str] = []
    after_struck = False
    for t, s in parts:
        if not s:
            # A marker glued to struck text (``~~$0.07~~(4)``) starts the kept text: drop it too.
            kept_parts.append(_LEADING_MARKER_RE.sub("", t) if after_struck else t)
        after_struck = s or (after_struck and not t.strip())
    kept, _ = split_markers("".join(kept_parts))
    struck = tuple(s for s in (clean_space(split_markers(t)[0]) for t, s in parts if s) if s)
    return Cell(
        text=clean_space(text),
        kept=clean_space(kept),
        struck=struck,
        markers=tuple(dict.fromkeys(markers + extra_markers)),
    )


def fill_ragged(rows: list[list[Cell]]) -> list[list[Cell]]:
    """Make rows rectangular: a short row lost its leading cells to rowspans of the row above.

    Markdown cannot span rows, so converters drop the spanned cells; the cells a short row is
    missing are the leading cells of the row above it (``| PEAK | $0.014 |`` under
    ``| PRICING | CACHE HIT | OFF-PEAK | $0.007 |``).
    """
    width = max((len(r) for r in rows), default=0)
    out: list[list[Cell]] = []
    for i, row in enumerate(rows):
        missing = width - len(row)
        if missing > 0 and i > 0 and out and _lost_last_cells(row, out[-1], missing):
            row = row + [EMPTY_CELL] * missing
        elif missing > 0 and i > 0 and out:
            row = out[-1][:missing] + row
        elif missing > 0:
            row = row + [EMPTY_CELL] * missing
        out.append(row)
    return out


def _lost_last_cells(row: list[Cell], above: list[Cell], missing: int) -> bool:
    """Did a short row lose its last cells (a GitHub table row that omits an empty Notes cell)?

    GitHub tables pad a short row on the right; converters of row-spanning HTML drop leading
    cells instead.  The prices decide: when every price of the row sits under a price of the row
    above as it stands, and would not if it were shifted right, the row kept its first cells.
    Shifting it anyway would put each price under the next column (input read as output).
    """
    from parsers.money import find_money

    priced = [k for k, cell in enumerate(row) if find_money(cell.text)]
    if not priced:
        return False
    above_priced = [bool(find_money(cell.text)) for cell in above]
    as_is = all(above_priced[k] for k in priced)
    shifted = all(above_priced[k + missing] for k in priced if k + missing < len(above_priced))
    return as_is and not shifted
