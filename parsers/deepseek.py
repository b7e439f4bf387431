"""DeepSeek's "Models & Pricing" page, in every era it has had, English (USD) and Chinese (CNY).

The page changed shape several times, and all of them are read by one set of rules:

* 2024-12 to 2025-01: one row per model, one column per component; a promo cell holds the struck
  list price, a footnote marker and the promo price; a footnote gives the promo end
  ("From now until 2025-02-08 16:00 (UTC)"); USD and CNY tables sit in tabs.
* 2025-02 on: models as columns; STANDARD PRICE / DISCOUNT PRICE row groups whose label carries
  the UTC window (00:30-16:30, 16:30-00:30); later single prices (V3.2) with cells spanning both
  model columns.
* 2026-08: PRICING rows split into OFF-PEAK / PEAK sub-rows, peak hours in a footnote (in UTC on
  the English page, in Beijing time on the Chinese one); before the switch a footnote announced
  the new prices in a table of its own, which are *future* prices (``effective_from``), not the
  prices in force.

Which model a price belongs to is read from the model ids (``deepseek-...``) in the table, which
also survives Markdown copies that lost their row and column spans.
"""

from __future__ import annotations

import re
from datetime import datetime

from parsers import window as windows
from parsers.document import Cell, Document, Paragraph, Table, read_provider_page
from parsers.money import Money, first_money
from parsers.quote import ParseError, Quote
from parsers.registry import Source
from parsers.when import find_instants

PROVIDER = "deepseek"
PARSER_VERSION = "1"
SOURCES = (
    Source("deepseek-en", PROVIDER, "https://api-docs.deepseek.com/quick_start/pricing", ("USD",)),
    Source("deepseek-zh-cn", PROVIDER, "https://api-docs.deepseek.com/zh-cn/quick_start/pricing", ("CNY",)),
)

_MODEL_RE = re.compile(r"^deepseek-[a-z0-9][a-z0-9.\-]*$")
_RANGE_RE = r"\d{1,2}:\d{2}\s*[-–~～]\s*\d{1,2}:\d{2}"
_RANGES_RE = re.compile(rf"{_RANGE_RE}(?:\s*(?:,|，|、|和|and)\s*{_RANGE_RE})*")
_PEAK_HOURS_RE = re.compile(r"(?:Peak hours|高峰时段(?:定义)?)[^.。]*?(?:为|are|:|：)?\s*(?P<zone>北京时间|Beijing [Tt]ime)?[^\d]{0,20}"
                            rf"(?P<ranges>{_RANGES_RE.pattern})\s*(?P<zone2>UTC|\(Beijing|（北京)?")
_OFF_PEAK_HOURS_RE = re.compile(rf"off-peak[^.。]*?(?:during\s*)?(?P<ranges>{_RANGES_RE.pattern})\s*UTC", re.I)
_ANNOUNCE_RE = re.compile(r"take effect|takes effect|effective|生效")
_PROMO_END_RE = re.compile(r"until|截至|之前|前|discount|优惠", re.I)


def parse(text: str, source_url: str = "") -> list[Quote]:
    doc = read_provider_page(PROVIDER, text, source_url)
    tables = [t for t in doc.tables if _is_price_table(t)]
    if not tables:
        raise ParseError(PROVIDER, "no pricing table found (no table with DeepSeek model ids and prices)",
                         source_url or None)
    notes = doc.footnotes()
    quotes: list[Quote] = []
    for table in tables:
        effective_from, announcement = _announcement_for(doc, table)
        context = "\n".join(filter(None, [announcement, *notes.values()]))
        for cell_quote in _read_table(table):
            quotes.append(_quote(cell_quote, notes, context, effective_from, source_url))
    return quotes


class _CellQuote:
    """A price cell with what the table says about it, before windows and dates are applied."""

    def __init__(self, model: str, component: str, tier: str, cell: Cell, labels: list[Cell]) -> None:
        self.model, self.component, self.tier, self.cell, self.labels = model, component, tier, cell, labels


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
    if re.search(r"OFF-?\s?PEAK|DISCOUNT PRICE", upper) or "空闲" in text or "优惠时段" in text:
        return "off_peak"
    if re.search(r"\bPEAK\b", upper) or "高峰" in text:
        return "peak"
    if "STANDARD" in upper or "标准时段" in text:
        return "standard"
    return None


def _read_table(table: Table) -> list[_CellQuote]:
    """Find every price cell and what it is: row-per-model tables or column-per-model tables."""
    header = _component_header(table)
    if header is not None:
        return _read_rows_per_model(table, header)
    return _read_columns_per_model(table)


def _component_header(table: Table) -> tuple[int, dict[int, str]] | None:
    """A row without prices that names two or more components: models are then one per row."""
    for r, row in enumerate(table.rows):
        if any(_money(c) for c in row):
            return None
        components = {c: comp for c, cell in enumerate(row) if (comp := _component(cell.text))}
        if len(set(components.values())) >= 2:
            return r, components
    return None


def _read_rows_per_model(table: Table, header: tuple[int, dict[int, str]]) -> list[_CellQuote]:
    start, components = header
    found: list[_CellQuote] = []
    for row in table.rows[start + 1:]:
        model = next((c.text for c in row if _MODEL_RE.match(c.text)), None)
        if model is None:
            continue
        labels = [c for c in row if not _money(c)]
        tier = next((t for c in labels if (t := _tier(c.text))), "standard")
        for col, component in components.items():
            if col < len(row) and _money(row[col]):
                found.append(_CellQuote(model, component, tier, row[col], labels))
    return found


def _read_columns_per_model(table: Table) -> list[_CellQuote]:
    model_row = next((row for row in table.rows if any(_MODEL_RE.match(c.text) for c in row)), None)
    if model_row is None:
        raise ParseError(PROVIDER, "pricing table has no row of model ids")
    models = {c: cell.text for c, cell in enumerate(model_row) if _MODEL_RE.match(cell.text)}
    distinct_models = list(dict.fromkeys(models.values()))
    found: list[_CellQuote] = []
    for row in table.rows:
        priced = [(c, cell) for c, cell in enumerate(row) if _money(cell)]
        if not priced:
            continue
        labels = [cell for cell in row if not _money(cell)]
        component = next((comp for cell in reversed(labels) if (comp := _component(cell.text))), None)
        if component is None:
            raise ParseError(PROVIDER, f"price row without a component label: {[c.text for c in row]}")
        tier = next((t for cell in labels if (t := _tier(cell.text))), "standard")
        for model, cell in _assign_models(priced, models, distinct_models, row):
            found.append(_CellQuote(model, component, tier, cell, labels))
    return found


def _assign_models(priced: list[tuple[int, Cell]], models: dict[int, str], distinct: list[str],
                   row: list[Cell]) -> list[tuple[str, Cell]]:
    """Prices to models by column; a lone price spans every model (a colspan a copy lost)."""
    if all(c in models for c, _ in priced):
        pairs = [(models[c], cell) for c, cell in priced]
        return list(dict.fromkeys(pairs))
    if len(priced) == 1:
        return [(model, priced[0][1]) for model in distinct]
    if len(priced) == len(distinct):
        return [(model, cell) for model, (_, cell) in zip(distinct, priced)]
    raise ParseError(PROVIDER, f"cannot tell which model each price belongs to: {[c.text for c in row]}")


def _announcement_for(doc: Document, table: Table) -> tuple[datetime | None, str]:
    """A table right after a paragraph announcing new prices holds future prices."""
    index = next(i for i, block in enumerate(doc.blocks) if block is table)
    previous = doc.blocks[index - 1] if index > 0 else None
    if isinstance(previous, Paragraph) and _ANNOUNCE_RE.search(previous.text):
        instants = find_instants(previous.text)
        if not instants:
            raise ParseError(PROVIDER, f"announced prices without a readable date: {previous.text!r}")
        return instants[0], previous.text
    return None, ""


def _quote(cq: _CellQuote, notes: dict[str, str], context: str, effective_from: datetime | None,
           source_url: str) -> Quote:
    money = _money(cq.cell)
    assert money is not None
    struck = first_money(" ".join(cq.cell.struck)) if cq.cell.struck else None
    marker_notes = [notes[m] for m in cq.cell.markers if m in notes]
    promo_until = None
    if struck is not None:
        ends = [i for note in (marker_notes or [context]) if _PROMO_END_RE.search(note) for i in find_instants(note)]
        promo_until = ends[0] if ends else None
    label_notes = [notes[m] for cell in cq.labels for m in cell.markers if m in notes]
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
    peak = _PEAK_HOURS_RE.search(context)
    if peak:
        beijing = bool(peak.group("zone")) or "北京" in peak.group(0) or "Beijing" in peak.group(0)
        peak_window = windows.from_local(peak.group("ranges"), 8 if beijing else 0)
        return (peak_window if cq.tier == "peak" else peak_window.complement()).format()
    off_peak = _OFF_PEAK_HOURS_RE.search(context)
    if off_peak:
        off = windows.from_local(off_peak.group("ranges"), 0)
        return (off if cq.tier == "off_peak" else off.complement()).format()
    raise ParseError(PROVIDER, f"{cq.tier} prices but no hours for them on the page", source_url or None)


def _to_utc(ranges: str, label: str) -> windows.Window:
    beijing = "北京" in label or "Beijing" in label
    return windows.from_local(ranges, 8 if beijing else 0)
