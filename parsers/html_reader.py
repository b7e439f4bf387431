"""HTML pages into the document model, with beautifulsoup4 on the lxml parser.

Real docs pages are 1–2 MB, nearly all of it scripts, styles and navigation; those are cut out with
regular expressions before parsing (script bodies are kept in ``Document.scripts``), which is what
makes a 2 MB page parse in tens of milliseconds instead of a fifth of a second.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag

from parsers import mojibake
from parsers.document import (
    BOLD_HEADING_LEVEL, EMPTY_CELL, Block, Cell, Data, Document, Heading, Table, bold_heading, clean_space, make_cell, paragraph, split_markers,
)

_SCRIPT_RE = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.I | re.S)
_SCRIPT_OPEN_RE = re.compile(r"<script\b[^>]*>", re.I)
_SCRIPT_CLOSE_RE = re.compile(r"</script\s*>", re.I)
# Page chrome never holds prices: styles, icons, and the site's navigation, sidebar and footer.
_NOISE_RE = re.compile(r"<(style|svg|noscript|template|nav|aside|footer)\b.*?</\1\s*>", re.I | re.S)
#: Chrome that docs sites (Mintlify) build from <div>s rather than <nav>/<aside>: site navigation,
#: the sidebar and the "On this page" list.  A third of the elements of the Anthropic page.
CHROME_IDS = ("navbar", "sidebar", "table-of-contents")
_CHROME_OPEN_RE = re.compile(
    r"""<(?P<tag>div|section|ul)\b[^>]*?\sid=["'](?:%s)["'][^>]*>""" % "|".join(CHROME_IDS), re.I)
_HEAD_RE = re.compile(r"<head\b.*?</head\s*>", re.I | re.S)
_CLASS_ATTR_RE = re.compile(r"""\sclass=(?:"[^"<>]*"|'[^'<>]*')""")
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_TEXT_BLOCKS = {"p", "li", "dt", "dd", "blockquote", "figcaption", "caption", "pre", "summary"}
_CONTAINERS = frozenset({"p", "li", "ul", "ol", "div", "section", "article", "table", "dl", "blockquote",
                         "main", "aside", "details", "figure", "header", "footer", "nav", "form", *_HEADINGS})
_STRIKE_TAGS = {"del", "s", "strike"}


def read_html(text: str) -> Document:
    without_scripts, scripts = split_scripts(text)
    body = _NOISE_RE.sub("", without_scripts)
    # Only <body> is walked, and class attributes are never read: cutting both before bs4 builds
    # its tree (and keeping other attributes' values plain strings) halves the build on a
    # Mintlify page, whose elements carry long utility-class lists.  (A code sample's literal
    # ` class="..."` text is cut too: no page writes a price that way.)
    body = _cut_chrome(_CLASS_ATTR_RE.sub("", _HEAD_RE.sub("", body, count=1)))
    soup = BeautifulSoup(body, "lxml", multi_valued_attributes=None)
    root = soup.body or soup
    walker = _Walker()
    walker.walk(root)
    return Document(blocks=walker.blocks, format="html", scripts=scripts)


def split_scripts(text: str) -> tuple[str, list[str]]:
    """The page without its ``<script>`` elements, and their non-blank bodies, in one pass.

    Same result as ``_SCRIPT_RE.sub`` plus ``_SCRIPT_RE.findall``, but a lazy ``(.*?)`` under
    ``re.S`` crawls through megabytes of inline scripts one character at a time (about 20 ms per
    pass on the 1.7 MB Anthropic page, and it took two passes); finding each opening tag and the
    next closing tag with plain searches takes about 1 ms.  An opening tag without a closing tag
    is left in place, as the regular expression leaves it.
    """
    parts: list[str] = []
    scripts: list[str] = []
    pos = 0
    while (opening := _SCRIPT_OPEN_RE.search(text, pos)) is not None:
        closing = _SCRIPT_CLOSE_RE.search(text, opening.end())
        if closing is None:
            break
        parts.append(text[pos:opening.start()])
        body = text[opening.end():closing.start()]
        if body.strip():
            scripts.append(body)
        pos = closing.end()
    if not parts:
        return text, scripts
    parts.append(text[pos:])
    return "".join(parts), scripts


def _cut_chrome(body: str) -> str:
    """``body`` without the elements whose id is in :data:`CHROME_IDS` (balanced by tag name).

    One forward scan of the tags of the element's own name per element; an element whose end is
    not found is kept, so a malformed page loses nothing.
    """
    parts: list[str] = []
    pos = 0
    while (opening := _CHROME_OPEN_RE.search(body, pos)) is not None:
        tag = opening.group("tag").lower()
        depth = 1
        end = None
        for m in re.finditer(rf"<(/?){tag}\b[^>]*>", body[opening.end():], re.I):
            depth += -1 if m.group(1) else 1
            if depth == 0:
                end = opening.end() + m.end()
                break
        if end is None:
            break
        parts.append(body[pos:opening.start()])
        pos = end
    if not parts:
        return body
    parts.append(body[pos:])
    return "".join(parts)


class _Walker:
    """Walks the tree in reading order, emitting blocks; remembers headings and tab labels."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.section = ""
        self.tab: str | None = None

    def walk(self, node: Tag) -> None:
        labels: list[str] | None = None  # the tab labels, looked up at the first tab panel
        panel_index = 0
        for child in node.children:
            if isinstance(child, NavigableString):
                if child.__class__ is NavigableString:  # not a comment, CDATA or doctype
                    text = clean_space(_fix(str(child)))
                    if text:
                        self._paragraph(text)
                continue
            if not isinstance(child, Tag) or child.get("hidden") == "until-found":
                continue
            role = child.get("role")
            if role == "tablist":
                continue
            if role == "tabpanel" and labels is None:
                labels = _tab_labels(node)
            if role == "tabpanel" and labels:
                outer = self.tab
                self.tab = labels[panel_index] if panel_index < len(labels) else None
                panel_index += 1
                self.walk(child)
                self.tab = outer
                continue
            self._element(child)

    def _element(self, el: Tag) -> None:
        name = el.name
        if "-" in name:
            self._data(el)
        if name in _HEADINGS:
            text = clean_space(split_markers(_fix(el.get_text(" ")))[0])
            if text:
                self.section = text
                self.blocks.append(Heading(_HEADINGS[name], text))
        elif name == "table":
            table = _read_table(el)
            if table.rows:
                table.section, table.tab = self.section, self.tab
                self.blocks.append(table)
        elif name in _TEXT_BLOCKS and not _has_container(el):
            if name == "p" and (text := _bold_only(el)) is not None:
                self.section = text
                self.blocks.append(Heading(BOLD_HEADING_LEVEL, text))
                return
            self._paragraph(_text_with_breaks(el))
        else:
            self.walk(el)

    def _data(self, el: Tag) -> None:
        """A custom element's ``data-*`` attributes (web components take their values there)."""
        values = {k[5:]: _fix(str(v)) for k, v in el.attrs.items() if k.startswith("data-") and len(k) > 5}
        if values:
            self.blocks.append(Data(el.name, values, self.section))

    def _paragraph(self, text: str) -> None:
        if (block := paragraph(text)) is not None:
            self.blocks.append(block)


def _bold_only(el: Tag) -> str | None:
    """The heading text of a ``<p>`` that holds one ``<strong>``/``<b>`` and nothing else."""
    children = [c for c in el.children if not (isinstance(c, NavigableString) and not str(c).strip())]
    if len(children) != 1 or not isinstance(children[0], Tag) or children[0].name not in ("strong", "b"):
        return None
    return bold_heading(split_markers(_fix(children[0].get_text(" ")))[0])


def _fix(text: str) -> str:
    """Repair mojibake (UTF-8 read as Latin-1: ``Â¥`` for ``¥``) only where it shows."""
    return mojibake.repair(text)


def _has_container(el: Tag) -> bool:
    # A plain loop: bs4's find() builds a matcher per call, which dominated a 2 MB page's parse.
    return any(isinstance(d, Tag) and d.name in _CONTAINERS for d in el.descendants)


def _tab_labels(node: Tag) -> list[str]:
    tablist = next((c for c in node.children if isinstance(c, Tag) and c.get("role") == "tablist"), None)
    if tablist is None:
        return []
    return [clean_space(t.get_text(" ")) for t in tablist.find_all(attrs={"role": "tab"})]


def _text_with_breaks(el: Tag) -> str:
    parts: list[str] = []
    for node in el.descendants:
        if isinstance(node, NavigableString) and node.__class__ is NavigableString:
            parts.append(str(node))
        elif isinstance(node, Tag) and node.name == "br":
            parts.append("\n")
    return _fix("".join(parts))


def _read_table(table: Tag) -> Table:
    """Expand rowspan/colspan into a rectangular grid of cells."""
    grid: dict[tuple[int, int], Cell] = {}
    header_rows = 0
    rows = [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]
    for r, tr in enumerate(rows):
        cells = tr.find_all(("td", "th"), recursive=False)
        if cells and all(c.name == "th" for c in cells) and header_rows == r:
            header_rows += 1
        elif tr.parent is not None and tr.parent.name == "thead" and header_rows == r:
            header_rows += 1
        c = 0
        for td in cells:
            while (r, c) in grid:
                c += 1
            cell = _read_cell(td)
            rowspan = _span(td.get("rowspan"))
            colspan = _span(td.get("colspan"))
            for dr in range(rowspan):
                for dc in range(colspan):
                    grid[(r + dr, c + dc)] = cell
            c += colspan
    if not grid:
        return Table(rows=[])
    height = max(r for r, _ in grid) + 1
    width = max(c for _, c in grid) + 1
    out = [[grid.get((r, c), EMPTY_CELL) for c in range(width)] for r in range(min(height, len(rows)))]
    return Table(rows=out, header_rows=max(header_rows, 1))


def _span(value: object) -> int:
    try:
        return max(1, min(int(str(value)), 1000))
    except (TypeError, ValueError):
        return 1


def _read_cell(td: Tag) -> Cell:
    parts: list[tuple[str, bool]] = []
    markers: list[str] = []
    _collect(td, False, parts, markers)
    fixed = [(_fix(t), s) for t, s in parts]
    if any(not s and "~~" in t for t, s in fixed):
        fixed = _literal_struck(fixed)
    return make_cell(fixed, tuple(markers))


_LITERAL_STRUCK_RE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~", re.S)


def _literal_struck(parts: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """Markdown strikethrough left as text (``~~$0.07~~``) by a renderer without the extension.

    A Markdown page turned into HTML by Python-Markdown (no ``~~`` syntax) keeps the list price's
    tildes as text; read as plain text, the struck list price would be taken for the price.
    """
    out: list[tuple[str, bool]] = []
    for text, struck in parts:
        if struck or "~~" not in text:
            out.append((text, struck))
            continue
        pos = 0
        for m in _LITERAL_STRUCK_RE.finditer(text):
            out.append((text[pos:m.start()], False))
            out.append((m.group(1), True))
            pos = m.end()
        out.append((text[pos:], False))
    return out


def _collect(node: Tag, struck: bool, parts: list[tuple[str, bool]], markers: list[str]) -> None:
    for child in node.children:
        if isinstance(child, NavigableString):
            if child.__class__ is NavigableString:
                parts.append((str(child), struck))
            continue
        if not isinstance(child, Tag):
            continue
        if child.name == "br":
            parts.append(("\n", False))
        elif child.name == "sup":
            text = child.get_text("").strip().strip("()[]（）")
            if text.isdigit():
                markers.append(text)
            else:
                parts.append((child.get_text(""), struck))
        else:
            is_struck = struck or child.name in _STRIKE_TAGS or "line-through" in str(child.get("style", ""))
            if child.name in ("p", "div", "li") and parts and not parts[-1][0].endswith("\n"):
                parts.append(("\n", False))
            _collect(child, is_struck, parts, markers)
