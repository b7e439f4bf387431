"""OpenAI: the API pricing page (platform.openai.com/docs/pricing, openai.com/api/pricing).

Read as raw HTML or through a reader/converter (Jina ``Title:/URL Source:/Markdown Content:``,
the docs site's own Markdown export, crawler Markdown).  The page has changed shape several times;
every shape seen is read by the same walk over the document (headings, paragraphs, tables):

* **2025**: ``### Text tokens`` / ``Legacy models`` / ``Embeddings`` sections, each service tier a
  table of its own under a bare label paragraph (``Batch``, ``Flex``, ``Standard``, ``Priority``)
  or, in HTML, an ARIA tab panel; columns ``Model | Input | Cached input | Output``; ``-`` for
  "no price" (never zero); embeddings ``Model | Cost | Batch cost``.
* **2026**: ``## Flagship models`` with a tab bar paragraph (``Standard Batch Flex Priority``), then
  per tier a label and a 7-column table whose first header row groups the columns
  (``|  | Short context | Long context |``) over ``Model | Input | Cached input | Output`` twice.
  Markdown loses the colspans; the group labels are spread over the sub-columns only when the
  sub-columns split evenly between them.  A flattened header (``Short context input``,
  ``Long context cached input``, ``... cache writes``) is read the same way.
* Modality tables (``Model | Modality | Input | Cached input | Output``, realtime and image
  generation models): only the ``Text`` rows are token prices of a known component; audio and
  image token rows are reported as skipped (a quote has no modality).
* ``Category | Model | ...`` tables (specialized models): the Model column is found by its header.
* openai.com/api/pricing cards (``GPT-5.5`` / ``Input: $5.00 / 1M tokens`` / ``Cached input: ...`` /
  ``Output: ...``, label and price on one line or two): standard prices; the id is derived from
  the display name by one rule (lower case, spaces to hyphens: ``GPT-5.4 mini`` -> ``gpt-5.4-mini``),
  with a warning for an id not in :data:`KNOWN_IDS`; cards in a section with tier tabs are skipped.

Tiers: a table's tier is its tab label (ARIA tab, or a label paragraph since the previous table);
without labels, a section's tab bar gives the tier of each table by position only when the
number of unlabelled tables equals the number of tabs; a lone unlabelled table is ``standard``.
Anything else is skipped with a warning, never guessed.

Long context: a price in a "Long context" column gets tier ``context>NNNk`` (``batch
context>NNNk`` on other tiers) only when the page states the threshold: in the model cell
(``gpt-5.5-pro (<272K context length)``), in the table header (``Long context (>272K)``), or once
in the page prose ("prompts > 272K tokens"; two different page-wide thresholds are ambiguous).
The 2026-05-08 capture states none, so its long-context prices are skipped with that reason.
``<272K`` (short) and ``>272K`` (long) both become ``context>272k``: the pricer applies it to a
prompt of more than 272,000 tokens, which is OpenAI's documented boundary.

Left out, with a warning where the page shows a price: fine-tuning (a ``Training`` column:
prices of fine-tuned models, not of the base id), transcription tables (``Use case`` /
``Estimated cost``: the page does not say whether a price is for text or audio tokens), the
2025 ``Image tokens`` / ``Audio tokens`` sections, video, image generation per image, tools,
and any section that does not say its prices are "per 1M tokens".

Model ids are the ids the page prints (``gpt-5.5``); a note after the id (``(<272K context
length)``, a footnote marker) is dropped; a cell that is not an id (``GPT Image 1``, ``... with
data sharing``) skips its row with a warning.  The same (model, component, tier) shown twice
with different prices is dropped and reported: a wrong price is worse than a missing one.

A bot-challenge page (:mod:`parsers.challenge`) raises ``ParseError`` whose message starts with
``blocked:``; a page with no per-1M-token model price table raises ``ParseError``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from parsers.challenge import blocked_message, is_challenge_page
from parsers.document import Cell, Heading, Paragraph, Table, read_provider_page
from parsers.money import find_money
from parsers.quote import ParseError, Quote, Reading, Skipped
from parsers.registry import Source
from parsers.tabs import OPENAI_TIERS, label_of, read_labels, strip_of

PROVIDER = "openai"
PARSER_VERSION = 3
PRICING_URL = "https://platform.openai.com/docs/pricing"
# A plain fetch of the page can get a bot challenge: then the docs export (.md), then a browser.
SOURCES = [Source(id="openai-pricing", provider=PROVIDER, url=PRICING_URL, currencies=("USD",),
                  ways=("http", "markdown", "browser"),
                  markdown_url="https://developers.openai.com/api/docs/pricing.md")]

#: Price column name (lower case, spaces collapsed) -> (component, tier the column itself fixes).
COLUMNS: dict[str, tuple[str, str | None]] = {
    "input": ("input", None),
    "cached input": ("input_cache_hit", None),
    "cache hits": ("input_cache_hit", None),
    "cache writes": ("input_cache_write", None),
    "cache write": ("input_cache_write", None),
    "output": ("output", None),
    "output / cost": ("output", None),
    "cost": ("input", None),
    "batch cost": ("input", "batch"),
}
#: A column group (the row above the column names, or a prefix of the name): long or short context.
CONTEXT_GROUPS = {"short context": "short", "long context": "long"}
#: Headings whose sections are not token prices of the model id (path words, lower case).
EXCLUDED_SECTIONS: tuple[tuple[str, str], ...] = (
    ("fine-tuning", "fine-tuning prices are for fine-tuned models, not the base model id"),
    ("finetuning", "fine-tuning prices are for fine-tuned models, not the base model id"),
    ("fine tuning", "fine-tuning prices are for fine-tuned models, not the base model id"),
    ("transcription", "transcription prices do not say whether they are text or audio tokens"),
    ("speech", "speech prices do not say whether they are text or audio tokens"),
    ("image tokens", "image token prices: a quote has no modality (only text tokens are recorded)"),
    ("audio tokens", "audio token prices: a quote has no modality (only text tokens are recorded)"),
)
#: Columns that make a whole table something other than per-token prices of a model id.
EXCLUDED_COLUMNS: dict[str, str] = {
    "training": "fine-tuning table: prices of fine-tuned models, not of the base model id",
    "use case": "transcription table: the page does not say whether prices are text or audio tokens",
    "estimated cost": "transcription table: the page does not say whether prices are text or audio tokens",
}
NO_PRICE = {"-", "–", "—", ""}

_MODEL_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._\-:]*[a-z0-9]$")
_PER_1M_RE = re.compile(r"\bper\s+(?:1M|1\s*million|one\s+million)\s+tokens\b", re.I)
#: A stated long-context threshold: "> 272K", "over 272K tokens", "<272K context length", "272,000".
_THRESHOLD_RE = re.compile(
    r"(?P<op>>=|≥|>|<=|≤|<|\bover|\babove|\bmore than|\bexceeding|\bbeyond|\bunder|\bbelow|\bup to)\s*"
    r"(?P<num>\d{1,4}(?:,000)?)\s*(?P<k>k\b|K\b|,000\b)?", re.I)
_CONTEXT_WORD_RE = re.compile(r"context|prompt|input tokens", re.I)
_NOTE_RE = re.compile(r"\s*(?:\([^)]*\)|\[[^\]]*\]|\*+|†|‡)\s*$")


def parse(text: str, source_url: str = "") -> list[Quote]:
    """Every certain token price on the page (see :func:`read`)."""
    return read(text, source_url).quotes


def read(text: str, source_url: str = "") -> Reading:
    """The page's certain quotes and what was skipped; ParseError for a page without prices."""
    url = source_url
    marker = is_challenge_page(text)
    if marker:
        raise ParseError(PROVIDER, blocked_message(marker), url or None)
    doc = read_provider_page(PROVIDER, text, source_url)
    reader = _Reader(url, _page_threshold(doc.blocks))
    reader.walk(doc.blocks)
    _Cards(reader).read(doc.blocks)
    if not reader.quotes:
        raise ParseError(PROVIDER, "no per-1M-token model price table (Model | Input | Cached input | Output) "
                                   f"with a price{_skip_detail(reader.skipped)}", url or None)
    return Reading(list(reader.quotes.values()), reader.skipped)


@dataclass
class _Section:
    """One heading's section: its path, unit statement, tab strips, labels and collected tables."""

    name: str
    level: int
    per_1m: bool = False
    labels: list[str] = field(default_factory=list)
    tables: list[tuple[Table, str | None, bool]] = field(default_factory=list)  # table, label, ambiguous
    #: Each tab strip with its tables (by their place in ``tables``): those after it up to the
    #: next strip, or a unit line ("Prices per 1M tokens") after a table.
    strips: list[tuple[list[str], list[int]]] = field(default_factory=list)
    in_strip: bool = False


class _Reader:
    """One pass over the blocks; tables are resolved when their section ends."""

    def __init__(self, url: str, page_threshold: int | None) -> None:
        self.url = url
        self.page_threshold = page_threshold
        self.quotes: dict[tuple[str, str, str], Quote] = {}
        self.conflicted: set[tuple[str, str, str]] = set()
        self.skipped: list[Skipped] = []

    def walk(self, blocks: list) -> None:
        stack: list[_Section] = [_Section("", 0)]
        for block in blocks:
            if isinstance(block, Heading) and (label := label_of(block.text, OPENAI_TIERS)):
                stack[-1].labels.append(label)  # a tab rendered as a heading
            elif isinstance(block, Heading):
                self._close(stack[-1])
                while len(stack) > 1 and stack[-1].level >= block.level:
                    stack.pop()
                path = [s.name for s in stack[1:] if s.level > 1] + ([block.text] if block.level > 1 else [])
                name = " / ".join(p for p in path if p.strip().lower() != "pricing")
                stack.append(_Section(name, block.level, per_1m=any(s.per_1m for s in stack)))
            elif isinstance(block, Paragraph):
                section = stack[-1]
                text = " ".join(block.text.split())
                if label := label_of(text, OPENAI_TIERS):
                    section.labels.append(label)
                elif tabs := strip_of(text, OPENAI_TIERS):
                    # a tab strip starts the tabs of the tables after it: labels met before it
                    # (a docs menu's "Batch", "Flex processing" on a page whose headings a
                    # converter dropped) name none of them
                    section.labels = []
                    section.strips.append((tabs, []))
                    section.in_strip = True
                elif _PER_1M_RE.search(text):
                    section.per_1m = True
                    # the unit line that opens a price section: after a table, the strip's
                    # tables have ended (a page whose headings a converter dropped goes on
                    # into the next section); a note between a strip's tables does not end them
                    if section.tables:
                        section.in_strip = False
            elif isinstance(block, Table):
                section = stack[-1]
                tab = (block.tab or "").strip().lower()
                strip, label, ambiguous = read_labels(section.labels)
                section.labels = []
                if strip and not section.strips:
                    section.strips.append((strip, []))
                    section.in_strip = True
                known = tab in OPENAI_TIERS
                if section.in_strip:
                    section.strips[-1][1].append(len(section.tables))
                section.tables.append((block, tab if known else label, ambiguous and not known))
        self._close(stack[-1])

    # --- a section's tables -------------------------------------------------------------------

    def _close(self, section: _Section) -> None:
        tables, section.tables = section.tables, []
        by_position: dict[int, str] = {}
        if len(tables) == 1 and not section.strips and tables[0][1] is None:
            by_position = {id(tables[0][0]): "standard"}
        # A strip's tabs are its tables (those after it, up to the next strip or unit line), in
        # order, when there are as many: a page whose headings a converter dropped is one
        # section, and counting every table of it would give the next section's tables the
        # strip's last tabs.
        for tabs, places in section.strips:
            run = [tables[i] for i in places]
            if len(run) == len(tabs) and all(label in (None, tab) for (_, label, _), tab in zip(run, tabs)):
                by_position.update({id(t): tab for (t, _, _), tab in zip(run, tabs)})  # one tab per table
        section.strips, section.in_strip = [], False
        for table, label, ambiguous in tables:
            where = f"{section.name or 'page top'!r}"
            tier = label or by_position.get(id(table))
            self._table(table, section, tier, where, ambiguous)

    def _skip(self, where: str, text: str, reason: str) -> None:
        self.skipped.append(Skipped(where, " ".join(text.split())[:200], reason))

    def _table(self, table: Table, section: _Section, tier: str | None, where: str, ambiguous: bool) -> None:
        rows = table.rows
        sample = " | ".join(c.text for c in rows[0]) if rows else ""
        has_money = any(find_money(c.text) for row in table.body for c in row)
        head = _header_row(rows)
        if head is None:
            if has_money:
                self._skip(f"{where} table", sample, "no Model column: not per-model token prices")
            return
        names = [" ".join(c.text.split()).lower() for c in rows[head]]
        for needle, reason in EXCLUDED_SECTIONS:
            if needle in section.name.lower():
                if has_money:
                    self._skip(f"{where} table", sample, reason)
                return
        for name in names:
            if name in EXCLUDED_COLUMNS:
                self._skip(f"{where} table", sample, EXCLUDED_COLUMNS[name])
                return
        if not section.per_1m:
            if has_money:
                self._skip(f"{where} table", sample, "the section does not say its prices are per 1M tokens")
            return
        columns = self._columns(rows, head, names, where)
        if columns is None:
            return
        if not any(c for c in columns):
            if has_money:
                self._skip(f"{where} table", sample, "no Input/Cached input/Output price column")
            return
        if tier is None and not ambiguous and any(c and c[1] for c in columns):
            # ``Model | Cost | Batch cost``: the table names its tiers in its own columns, so it is
            # no tab's table, and its plain column is the standard price
            tier = "standard"
        if tier is None:
            reason = ("several tier labels above one table" if ambiguous else
                      "the table's service tier is not labelled and the tabs do not say which it is")
            self._skip(f"{where} table", sample, reason)
            return
        where = f"{where} {tier} table"
        model_col = names.index("model")
        modality_col = names.index("modality") if "modality" in names else None
        table_threshold = _threshold_in(" ".join(c.text for r in rows[:head + 1] for c in r))
        long_skipped: list[str] = []
        for row in rows[head + 1:]:
            model, row_threshold = _model_id(row[model_col])
            priced = [(cell, col) for cell, col in zip(row, columns) if col and cell.kept.strip() not in NO_PRICE]
            if not priced:
                continue
            if model is None:
                self._skip(f"{where}, row {row[model_col].text!r}", " | ".join(c.text for c in row),
                           "the Model cell is not a model id")
                continue
            if modality_col is not None:
                modality = " ".join(row[modality_col].text.split()).lower()
                if modality != "text":
                    self._skip(f"{where}, {model} {modality or 'unnamed'} row", " | ".join(c.text for c in row),
                               f"{modality or 'unnamed modality'} token prices: a quote has no modality "
                               "(only text token prices are recorded)")
                    continue
            threshold = row_threshold or table_threshold or self.page_threshold
            for cell, (component, column_tier, context) in priced:
                text = cell.kept.split("\n")[0].strip()
                if context == "long" and threshold is None:
                    long_skipped.append(f"{model} {component} {text}")
                    continue
                money = find_money(text)
                if len(money) != 1 or money[0].text != text.rstrip("*† "):
                    self._skip(f"{where}, {model} {component}", text, "not one price per 1M tokens")
                    continue
                base = column_tier or tier
                if context == "long":
                    long_tier = f"context>{threshold}k"
                    base = long_tier if base == "standard" else f"{base} {long_tier}"
                self._add(Quote(provider=PROVIDER, model=model, component=component, currency=money[0].currency,
                                price=money[0].amount, price_text=text, tier=base, source_url=self.url))
        if long_skipped:
            self._skip(f"{where}, Long context columns", "; ".join(long_skipped),
                       "long-context prices: the page does not state the context length they start at")

    def _columns(self, rows: list[list[Cell]], head: int, names: list[str],
                 where: str) -> list[tuple[str, str | None, str] | None] | None:
        """Per column: (component, fixed tier, "short"/"long"/"") or None for a non-price column."""
        groups = _groups(rows, head, names)
        if groups is None:
            self._skip(f"{where} table", " | ".join(c.text for c in rows[head - 1]),
                       "column groups (Short/Long context) cannot be matched to their columns")
            return None
        out: list[tuple[str, str | None, str] | None] = []
        for name, group in zip(names, groups):
            context = ""
            for label, kind in CONTEXT_GROUPS.items():
                if name.startswith(label + " "):
                    name, context = name[len(label) + 1:], kind
            if group:
                kind = next((k for label, k in CONTEXT_GROUPS.items() if group.startswith(label)), None)
                if kind is None or context:
                    out.append(None)  # a group this parser does not know: not read
                    continue
                context = kind
            known = COLUMNS.get(name)
            out.append((known[0], known[1], context) if known else None)
        return out

    def _add(self, quote: Quote) -> None:
        """One quote per series; the same series at two prices is dropped and reported."""
        slot = (quote.model, quote.component, quote.tier)
        if slot in self.conflicted:
            return
        seen = self.quotes.get(slot)
        if seen is None:
            self.quotes[slot] = quote
        elif seen.price != quote.price:
            del self.quotes[slot]
            self.conflicted.add(slot)
            self._skip(f"{quote.model} {quote.tier} {quote.component}", f"{seen.price_text} vs {quote.price_text}",
                       "listed twice with different prices: neither is recorded")


def _header_row(rows: list[list[Cell]]) -> int | None:
    """Index of the row holding the column names: the last of the first three with a Model cell."""
    found = None
    for i, row in enumerate(rows[:3]):
        names = [" ".join(c.text.split()).lower() for c in row]
        if "model" in names and (found is None or any(n in COLUMNS or _strip_group(n) in COLUMNS for n in names)):
            found = i
    return found


def _strip_group(name: str) -> str:
    for label in CONTEXT_GROUPS:
        if name.startswith(label + " "):
            return name[len(label) + 1:]
    return name


def _skip_detail(skipped: list[Skipped]) -> str:
    """The first few skipped pieces, for the message of a page that gave no price: what the
    user needs to see whether the layout changed (xAI's parser says the same)."""
    if not skipped:
        return " (nothing skipped)"
    more = f"; and {len(skipped) - 3} more" if len(skipped) > 3 else ""
    return f" (skipped: {'; '.join(map(str, skipped[:3]))}{more})"


def _colspans_as_blanks(at: list[int], above: list[str], names: list[str], price_cols: list[int],
                        width: int) -> list[str] | None:
    """Groups written as a label over a group's first column and blanks over the rest (how
    markdownify writes ``<th colspan="3">Short context</th>``), when each label opens a run of
    the same columns in the same order (Input, Cached input, Output under each): else None."""
    out = [""] * width
    current = ""
    for j in range(width):
        if j in at:
            current = above[j]
        if j in price_cols:
            out[j] = current
    runs: dict[str, list[str]] = {}
    for j in price_cols:
        runs.setdefault(out[j], []).append(names[j])
    if len(runs) != len(at) or len({tuple(run) for run in runs.values()}) != 1:
        return None
    return out


def _groups(rows: list[list[Cell]], head: int, names: list[str]) -> list[str] | None:
    """The column group of each column ("" for none), from the header row above the names.

    HTML expands a ``colspan`` so every column has its group; Markdown keeps the group labels only
    in the first cells (``|  | Short context | Long context |``).  Those are spread over the price
    columns in order only when the price columns split evenly between them.
    """
    width = len(names)
    if head == 0:
        return [""] * width
    above = [" ".join(c.text.split()).lower() for c in rows[head - 1]]
    if above == names:
        return [""] * width
    price_cols = [j for j, n in enumerate(names) if n and n != "model" and n in COLUMNS]
    if all(above[j] for j in price_cols):
        groups = [above[j] if above[j] != names[j] else "" for j in range(width)]
        # Each group must hold the same kind of columns (one may lack some: no cached long-context
        # price).  A table cut to its first row's width (Python-Markdown drops the cells past the
        # header's) puts ``Input`` under Short and ``Cached input`` under Long: not groups.
        runs: dict[str, set[str]] = {}
        for j in price_cols:
            runs.setdefault(groups[j], set()).add(names[j])
        sets = list(runs.values())
        if any(not (a <= b or b <= a) for a in sets for b in sets):
            return None
        return groups
    # A cell above that repeats the name under it (``Model`` over ``Model``: html2text writes the
    # first header row short, and the reader fills it from the row below) is no group label.
    at = [j for j in range(width) if above[j] and above[j] != names[j]]
    labels = [above[j] for j in at]
    if labels and len(labels) > 1 and price_cols and at[0] == price_cols[0] and set(at) <= set(price_cols):
        spread = _colspans_as_blanks(at, above, names, price_cols, width)
        if spread is not None:
            return spread
    if not labels or at != list(range(at[0], at[0] + len(at))) or at[0] > 1:
        return None
    if not price_cols or len(price_cols) % len(labels):
        return None
    size = len(price_cols) // len(labels)
    # Spread evenly only when every group holds the same columns in the same order (Input, Cached
    # input, Output under each): otherwise which price belongs to which group is a guess.
    runs = {tuple(names[j] for j in price_cols[k:k + size]) for k in range(0, len(price_cols), size)}
    if len(runs) != 1:
        return None
    out = [""] * width
    for k, j in enumerate(price_cols):
        out[j] = labels[k // size]
    return out


def _model_id(cell: Cell) -> tuple[str | None, int | None]:
    """The model id a Model cell prints, and a context threshold its note states, if any."""
    text = cell.text.split("\n")[0].strip()
    threshold = _threshold_in(text)
    while True:
        stripped = _NOTE_RE.sub("", text)
        if stripped == text:
            break
        text = stripped
    text = text.strip().strip("`*_").strip()
    return (text if _MODEL_ID_RE.match(text) else None), threshold


def _threshold_in(text: str) -> int | None:
    """A long-context threshold (thousands of tokens) stated in ``text``, if exactly one is."""
    if not _CONTEXT_WORD_RE.search(text):
        return None
    found = set()
    for m in _THRESHOLD_RE.finditer(text):
        num = m.group("num").replace(",", "")
        unit = (m.group("k") or "").lower()
        if unit == "k":
            found.add(int(num))
        elif unit == ",000" or m.group("num").endswith(",000"):
            value = int(num) * (1000 if unit == ",000" else 1)
            if value % 1000 == 0:
                found.add(value // 1000)
    return found.pop() if len(found) == 1 else None


def _page_threshold(blocks: list) -> int | None:
    """The one long-context threshold the page's prose states ("prompts > 272K tokens"), if one."""
    found = set()
    for block in blocks:
        if isinstance(block, (Paragraph, Heading)) and re.search(r"long[- ]context|prompt", block.text, re.I):
            value = _threshold_in(block.text)
            if value is not None:
                found.add(value)
    return found.pop() if len(found) == 1 else None


# --- openai.com/api/pricing: price cards -------------------------------------------------------------

#: Model ids OpenAI has priced; an id derived from a card's display name outside this list is still
#: recorded, with a warning that it was derived.
KNOWN_IDS = frozenset({
    "gpt-5.5", "gpt-5.5-pro", "gpt-5.4", "gpt-5.4-mini", "gpt-5.4-nano", "gpt-5.4-pro", "gpt-5.3-codex",
    "gpt-5.2", "gpt-5.1", "gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-5-pro", "gpt-5-codex", "gpt-4.1",
    "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o", "gpt-4o-mini", "o1", "o1-pro", "o3", "o3-pro", "o3-mini",
    "o4-mini", "o3-deep-research", "o4-mini-deep-research", "gpt-realtime", "gpt-realtime-mini",
    "gpt-realtime-2", "gpt-realtime-1.5", "gpt-audio", "gpt-audio-mini", "gpt-image-1", "gpt-image-1-mini",
    "gpt-image-1.5", "gpt-image-2", "chat-latest", "codex-mini-latest", "computer-use-preview",
})
#: One priced line of a card: ``Input: $1.250 / 1M tokens`` (label and price may be separate lines).
_CARD_PRICE_RE = re.compile(r"(cached input|input|output)\s*:?\s*(\$\s?\d[\d,]*(?:\.\d+)?)\s*/\s*1M\s+tokens", re.I)
_CARD_LABEL_RE = re.compile(r"^(cached input|input|output)\s*:?$", re.I)
_CARD_MONEY_RE = re.compile(r"^\$\s?\d[\d,]*(?:\.\d+)?$")
_CARD_UNIT_RE = re.compile(r"^(?:/|per)\s*1M\s+tokens$", re.I)
_CARD_BARE_PRICE_RE = re.compile(r"^(\$\s?\d[\d,]*(?:\.\d+)?)\s*/\s*1M\s+tokens$", re.I)
#: A display name on a card: ``GPT-5 mini``, ``o4-mini``, ``GPT Realtime``.
_DISPLAY_NAME_RE = re.compile(r"^(?:gpt|o\d|chatgpt|codex|computer)[\w.\-]*(?: [\w.\-]+){0,3}$", re.I)
_CARD_COMPONENTS = {"input": "input", "cached input": "input_cache_hit", "output": "output"}


class _Cards:
    """Cards such as ``GPT-5 / Input: $1.250 / 1M tokens / Cached input: ... / Output: ...``.

    The marketing page shows one card per model with display names only.  The id is derived by one
    rule: lower case, spaces to hyphens (``GPT-5 mini`` -> ``gpt-5-mini``, ``GPT Image 1`` ->
    ``gpt-image-1``).  Cards are standard prices; a section that also shows tier labels or a tab
    strip is skipped, since its cards could be any tab.
    """

    def __init__(self, reader: _Reader) -> None:
        self.reader = reader
        self.name: str | None = None
        self.card: dict[str, str] = {}
        self.pending: str | None = None
        self.pending_price: str | None = None
        self.section = ""
        self.tabbed = False
        self.cards: list[tuple[str, str, dict[str, str], bool]] = []

    def read(self, blocks: list) -> None:
        for block in blocks:
            if isinstance(block, Heading):
                if label_of(block.text, OPENAI_TIERS):
                    self.tabbed = True
                    continue
                if block.text.strip().lower() in ("price", "prices", "pricing") and self.name and not self.card:
                    continue  # the card's own "### Price" under its model heading: still that card
                self._flush()
                self._end_section()
                self.section, self.name, self.tabbed = block.text, None, False
                if _DISPLAY_NAME_RE.match(block.text.strip()):
                    self.name = block.text.strip()
            elif isinstance(block, Paragraph):
                self._paragraph(" ".join(block.text.split()))
        self._flush()
        self._end_section()

    def _paragraph(self, text: str) -> None:
        if label_of(text, OPENAI_TIERS) or strip_of(text, OPENAI_TIERS):
            self.tabbed = True
            return
        found = list(_CARD_PRICE_RE.finditer(text))
        if found:
            before = text[:found[0].start()].strip(" :-–")
            if before and "$" not in before and _DISPLAY_NAME_RE.match(before):
                self._flush()
                self.name = before
            for m in found:
                self._price(m.group(1).lower(), m.group(2))
            return
        if (m := _CARD_LABEL_RE.match(text)):
            self.pending, self.pending_price = m.group(1).lower(), None
        elif self.pending and (m := _CARD_BARE_PRICE_RE.match(text)):
            self._price(self.pending, m.group(1))
            self.pending = None
        elif self.pending and _CARD_MONEY_RE.match(text):
            self.pending_price = text  # "$5.00" with its unit in the next element
        elif self.pending and self.pending_price and _CARD_UNIT_RE.match(text):
            self._price(self.pending, self.pending_price)
            self.pending, self.pending_price = None, None
        elif _DISPLAY_NAME_RE.match(text) and not _CARD_BARE_PRICE_RE.match(text):
            self._flush()
            self.name = text

    def _price(self, label: str, price: str) -> None:
        if label in self.card:
            self._flush()
        self.card[label] = price

    def _flush(self) -> None:
        if self.card:
            self.cards.append((self.section, self.name or "", self.card, self.tabbed))
            self.name = None
        self.card, self.pending, self.pending_price = {}, None, None

    def _end_section(self) -> None:
        cards, self.cards = self.cards, []
        for section, name, card, _ in cards:
            where = f"{section or 'page top'!r} card {name!r}"
            text = "; ".join(f"{k}: {v}" for k, v in card.items())
            if self.tabbed:
                self.reader._skip(where, text, "the section has tier tabs: a card's tier is not known")
                continue
            model = "-".join(name.lower().split())
            if not model or not _MODEL_ID_RE.match(model):
                self.reader._skip(where, text, "no model name above the card's prices")
                continue
            if model not in KNOWN_IDS:
                self.reader._skip(where, name, f"model id {model!r} derived by rule from display name "
                                               "(lower case, spaces to hyphens); its prices are recorded")
            for label, price_text in card.items():
                money = find_money(price_text)[0]
                self.reader._add(Quote(provider=PROVIDER, model=model, component=_CARD_COMPONENTS[label],
                                       currency=money.currency, price=money.amount, price_text=price_text,
                                       tier="standard", source_url=self.reader.url, note=name))
