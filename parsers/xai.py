"""xAI (Grok): the docs models page, in every form it reaches ratecard.

Which source is fetched, and why: ``SOURCES`` holds one page, https://docs.x.ai/developers/models.
Its HTML embeds the whole public price list as data
(``<script>globalThis.__XAI_PUBLIC_MODELS__={"clusterConfigs": [...]}</script>``), the only public
form that states cached-input prices, the higher rates above a long-context threshold and the
batch discount for every model and serving cluster.  The page's visible table, its "View as
Markdown" twin (``/developers/models.md``) and crawler copies show less, so they are not fetched;
they are still read, so a saved copy of any of them can be checked with ``ratecard parse``.

Forms read.  The data forms come first, and the first one a page holds wins:

1. the embedded ``__XAI_PUBLIC_MODELS__`` JSON (prices are strings in USD cents per 100M tokens);
2. a ``/v1/language-models`` (or ``/v1/models``) API response, raw or as the example in the API
   reference, fenced or not (integers in the same unit, snake_case names; placeholder ids such as
   ``"latest"`` in the reference's examples are skipped).

A page without data is read in all its rendered forms together, because a 2026 page shows the same
prices twice (a table and a card), and the two must agree:

3. the pricing table: ``Pricing [in (cached in) / out]`` cells such as ``$2.00 ($0.20) / $6.00``
   (xAI's own ``.md`` export), or input and output glued together as ``$0.20$1.50`` under group
   rows such as ``Language models | Per million tokens`` (the rendered page, its crawls and
   firecrawl copies with ``4Mtpm<br>607rpm`` cells);
4. the 2026 table ``| Model | Context | Input | Output |`` (one bare amount per cell, the unit in
   the line "Prices shown per million tokens" under it; no cached-input column, so no cached
   price), and an optional ``Cached input`` column;
5. model cards: a heading (``### Grok 4.3``), optionally the id line (``grok-4.6``), then
   ``Input$1.25 / 1M tokens`` and ``Output$2.50 / 1M tokens``.  Without an id line the id is
   derived by one rule, ``Grok 4.3`` -> ``grok-4.3`` (lower case, spaces to hyphens); a derived id
   that the page prints nowhere else (table row, model link) is recorded with a warning;
6. only when none of these holds a price: a crawl that flattened the pricing table into one cell
   per line, then a per-model page (``Model name`` / ``#### Input`` / ``Cached tokens`` /
   ``$0.05/ 1M tokens``).

Units: 1 USD cent per 100M tokens is 0.0001 USD per 1M tokens, so a data price becomes a per-1M
price by an exact decimal shift (``30000`` -> ``3``), never through a float.

Tiers: ``standard``; ``context>200k`` for the long-context prices (named from
``longContextThreshold``, which xAI defines as "at or above"; a zero long-context price means the
standard one applies, so it yields no quote); ``batch`` and ``batch context>200k`` when
``batchDiscountPercent`` is above 0 (xAI applies the batch discount to every token type).  A zero
cached-input price is read as "no cached price", not "caching is free": the API reference's own
example gives grok-4-0709 a cached price of 0, and recording that as free would under-price every
cached token.

Skipped, with the reason, never priced: per-image, per-second, per-minute, per-character and
per-call prices (image and video generation, voice, tools, storage), cells that are not one token
price, rows without a model id, and the batch discount when a page states it only as a percentage
("20%-50% off standard rates"): a discount range gives no price, so none is computed.  A model
shown twice (two clusters, a duplicated row, a card beside its table row) must show the same
prices; when the two disagree, no price of that model is recorded and a warning shows both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from parsers.document import Block, Cell, Document, Heading, Paragraph, Table, detect_format, read_provider_page
from parsers.money import Money, find_money
from parsers.quote import ParseError, Quote, Reading, Skipped
from parsers.registry import Source

PROVIDER = "xai"
PARSER_VERSION = "3"
MODELS_URL = "https://docs.x.ai/developers/models"
SOURCES = [Source(id="xai-models", provider=PROVIDER, url=MODELS_URL, currencies=("USD",),
                  ways=("http", "markdown", "browser"))]  # docs.x.ai serves "View as Markdown" at URL.md

EMBED_MARKER = "__XAI_PUBLIC_MODELS__"
#: Data prices are USD cents per 100M tokens; shifting by this power of ten gives USD per 1M.
CENTS_PER_100M_TO_USD_PER_1M = -4

#: component -> names of its standard price (embedded page, then API).
PRICE_FIELDS: dict[str, tuple[str, ...]] = {
    "input": ("promptTextTokenPrice", "prompt_text_token_price"),
    "input_cache_hit": ("cachedPromptTokenPrice", "cached_prompt_text_token_price"),
    "output": ("completionTextTokenPrice", "completion_text_token_price"),
}
#: component -> names of its long-context price (the page drops "Text" from the completion one).
LONG_FIELDS: dict[str, tuple[str, ...]] = {
    "input": ("promptTextTokenPriceLongContext", "prompt_text_token_price_long_context"),
    "input_cache_hit": ("cachedPromptTokenPriceLongContext",
                        "cached_prompt_text_token_price_long_context"),
    "output": ("completionTokenPriceLongContext", "completionTextTokenPriceLongContext",
               "completion_text_token_price_long_context"),
}
THRESHOLD_FIELDS = ("longContextThreshold", "long_context_threshold")
BATCH_FIELDS = ("batchDiscountPercent", "batch_discount_percent")
NAME_FIELDS = ("name", "id")
IMAGE_PRICE_FIELDS = ("image_price", "generated_image_token_price", "imagePrice")

_MODEL_ID_RE = re.compile(r"^grok-[a-z0-9][a-z0-9.\-]*$")
_TOKEN_GROUP_RE = re.compile(r"per (million|1m) tokens", re.I)
_HIGHER_CONTEXT_RE = re.compile(r"exceed the (\S+) context window", re.I)
#: A code fence or its leftover language tag (readers drop the backticks: ``json { ... }``).
_FENCE_RE = re.compile(r"^\s*(?:```)?\s*(?:json)?\s*(?=[{\[])|\s*```\s*$", re.I)

_MODEL_HEADERS = {"model", "model name", "model id", "models"}
_IO_HEADERS = {"input": "input", "input price": "input", "output": "output", "output price": "output",
               "cached input": "input_cache_hit", "cached": "input_cache_hit",
               "cached input price": "input_cache_hit"}
_EMPTY_CELLS = {"", "-", "—", "–", "n/a"}
_TOKEN_UNIT_TAILS = {"", "/1mtokens", "per1mtokens", "/mtok", "/1m", "/milliontokens", "permilliontokens"}
_PER_MILLION_RE = re.compile(r"per (million|1m)\b|/\s*1?m(illion)? tok|\b1m tokens\b|\bper mtok", re.I)
#: A line near a table that states its unit ("Prices shown per million tokens", "Prices per 1M
#: tokens"); a bare "1M tokens" (a context size) is not one.
_UNIT_LINE_RE = re.compile(r"\bper\s+(?:1\s?m|million)\b", re.I)
_CARD_LINE_RE = re.compile(r"^(?P<label>[A-Za-z][A-Za-z0-9 ()·/&.,-]{0,40}?)\s*(?P<price>(?:starting at\s*)?\$\s?\d[\d,]*(?:\.\d+)?)"
                           r"\s*(?P<unit>/\s*1M tokens)?(?P<rest>.*)$", re.I)
_CARD_COMPONENTS = {"input": "input", "output": "output", "cached input": "input_cache_hit",
                    "cached": "input_cache_hit"}
_ID_IN_CELL_RE = re.compile(r"^(grok-[a-z0-9][a-z0-9.\-]*[a-z0-9])(?:[*†‡¹²³⁴]+|\s*\[\d+\])?(?=\s|$)")
_ID_ANYWHERE_RE = re.compile(r"\bgrok-[a-z0-9]")
_BADGE_RE = re.compile(r"\s*(?:\b|(?<=\d))(?:New|Beta|Preview|Updated|Latest)\s*$")
_BARE_PRICE_RE = re.compile(r"^\$\s?\d[\d,]*(?:\.\d+)?\s*/\s*1M tokens$", re.I)
_PERCENT_OFF_RE = re.compile(r"\d+\s*%(?:\s*[-–]\s*\d+\s*%)?\s*off\b", re.I)
#: Model links in the raw page (``](https://docs.x.ai/developers/models/grok-4.3)``): ids the page prints.
_LINKED_ID_RE = re.compile(r"/models/(grok-[a-z0-9][a-z0-9.\-]*[a-z0-9])")


def parse(text: str, source_url: str = "") -> list[Quote]:
    """Quotes of every token-priced xAI model the page shows; :class:`ParseError` otherwise."""
    return read(text, source_url).quotes


def read(text: str, source_url: str = "") -> Reading:
    """The certain quotes of a page, plus what was skipped and why (see the module docstring)."""
    skips: list[Skipped] = []
    if detect_format(text) == "json":
        return _finish(_api_response(_load_json(text, source_url), source_url, "", skips), skips, source_url)
    doc = read_provider_page(PROVIDER, text, source_url)
    for reader in (_embedded, _api_examples):
        found = reader(doc, source_url, skips)
        if found is not None:
            return _finish(found, skips, source_url)
    return _finish(_page_prices(doc, text, source_url, skips), skips, source_url)


def _finish(found: list[Quote], skips: list[Skipped], url: str) -> Reading:
    quotes = _settle(found, skips)
    if quotes:
        return Reading(quotes, skips)
    raise ParseError(PROVIDER, f"no xAI price list found (looked for the embedded {EMBED_MARKER} "
                               "data, a models table with Pricing or Input/Output columns, model cards "
                               f"and a model page's pricing){_skip_detail(skips)}", url or None)


def _skip_detail(skips: list[Skipped]) -> str:
    """The first few skipped items, for the message of a page that gave no price at all."""
    return f" (skipped: {'; '.join(map(str, skips[:4]))})" if skips else ""


# --- data forms: the embedded page JSON and API responses ---------------------------------------

def _embedded(doc: Document, url: str, skips: list[Skipped]) -> list[Quote] | None:
    """``globalThis.__XAI_PUBLIC_MODELS__={...}`` from the page's scripts, read as JSON (never run)."""
    script = next((s for s in doc.scripts if EMBED_MARKER in s), None)
    if script is None:
        return None
    start = script.find("=", script.index(EMBED_MARKER)) + 1
    while start < len(script) and script[start].isspace():
        start += 1
    try:
        data, _ = json.JSONDecoder(parse_float=Decimal).raw_decode(script, start)
    except json.JSONDecodeError as exc:
        raise ParseError(PROVIDER, f"embedded {EMBED_MARKER} is not JSON ({exc.msg})", url) from None
    clusters = data.get("clusterConfigs") if isinstance(data, dict) else None
    if not isinstance(clusters, list) or not clusters:
        raise ParseError(PROVIDER, f"embedded {EMBED_MARKER} has no clusterConfigs", url)
    quotes: list[Quote] = []
    for cluster in clusters:
        # A cluster may serve only image or video models; the page as a whole must list some.
        models = cluster.get("languageModels", []) if isinstance(cluster, dict) else None
        if not isinstance(models, list):
            raise ParseError(PROVIDER, "a cluster of the embedded data is not an object with a "
                                       "languageModels list", url)
        for entry in models:
            quotes.extend(_entry_quotes(entry, url, "", "embedded languageModels", skips))
        for kind in ("imageGenerationModels", "videoGenerationModels"):
            for entry in cluster.get(kind) or []:
                _skip_unit_priced(entry, f"embedded {kind}", skips)
    if not quotes:
        raise ParseError(PROVIDER, f"embedded {EMBED_MARKER} lists no language model prices"
                                   f"{_skip_detail(skips)}", url)
    return quotes


def _entry_quotes(entry: Any, url: str, note: str, where: str, skips: list[Skipped]) -> list[Quote]:
    """One model record's quotes; a record that cannot be read is reported, and the others kept."""
    try:
        return _model_quotes(entry, url, note)
    except ParseError as exc:
        name = _field(entry, NAME_FIELDS) if isinstance(entry, dict) else None
        skips.append(Skipped(f"{where} {name or '?'}", str(entry)[:200],
                             str(exc).removeprefix(f"{PROVIDER}: ").removesuffix(f" in {url}")))
        return []


def _skip_unit_priced(entry: Any, where: str, skips: list[Skipped]) -> None:
    """Report an image or video model once (it is listed per cluster): priced per unit, not token."""
    name = _field(entry, NAME_FIELDS) if isinstance(entry, dict) else None
    fields = {k: v for k, v in entry.items() if "price" in k.lower() and not isinstance(v, (list, dict))} \
        if isinstance(entry, dict) else {}
    item = Skipped(f"{where} {name}", ", ".join(f"{k} {v}" for k, v in fields.items()),
                   "priced per image or per second of video, not per token")
    if item not in skips:
        skips.append(item)


def _api_examples(doc: Document, url: str, skips: list[Skipped]) -> list[Quote] | None:
    """Language-model list responses shown as code on a page (the API reference's example).

    Reference pages also use placeholder ids (``"id": "latest"``); only ``grok-...`` ids are read.
    """
    quotes: list[Quote] = []
    for block in doc.blocks:
        if not (isinstance(block, Paragraph) and '"prompt_text_token_price"' in block.text):
            continue
        code = _FENCE_RE.sub("", block.text).strip()
        if not code.startswith("{"):
            continue
        try:
            data = json.loads(code, parse_float=Decimal)
        except json.JSONDecodeError:
            continue
        for entry in _api_models(data):
            if not _has_token_prices(entry):
                continue
            name = _field(entry, NAME_FIELDS)
            if not (isinstance(name, str) and _MODEL_ID_RE.match(name)):
                skips.append(Skipped("API reference example", str(name), "placeholder id, not a model id"))
                continue
            quotes += _model_quotes(entry, url, "example response in xAI's API reference")
    return quotes or None


def _load_json(text: str, url: str) -> Any:
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise ParseError(PROVIDER, f"not JSON ({exc.msg} at char {exc.pos})", url) from None


def _api_response(data: Any, url: str, note: str, skips: list[Skipped]) -> list[Quote]:
    """``{"models": [...]}`` (``/v1/language-models``) or ``{"data": [...]}`` (``/v1/models``).

    ``/v1/models`` also lists image models, which carry no token price; they are reported.
    """
    models = _api_models(data)
    if not models:
        raise ParseError(PROVIDER, 'expected an API response {"models": [...]} with models', url)
    quotes: list[Quote] = []
    for entry in models:
        if _has_token_prices(entry):
            quotes += _entry_quotes(entry, url, note, "API model", skips)
        else:
            _skip_unit_priced(entry, "API model", skips)
    if not quotes:
        raise ParseError(PROVIDER, f"API response lists no token-priced models{_skip_detail(skips)}", url)
    return quotes


def _api_models(data: Any) -> list[Any]:
    models = data.get("models", data.get("data")) if isinstance(data, dict) else None
    return models if isinstance(models, list) else []


def _has_token_prices(entry: Any) -> bool:
    """A language model's record; image-generation records price their output per image."""
    if not isinstance(entry, dict) or any(name in entry for name in IMAGE_PRICE_FIELDS):
        return False
    outputs = entry.get("output_modalities", entry.get("outputModalities"))
    if isinstance(outputs, list) and "text" not in [str(m).lower() for m in outputs]:
        return False
    return any(name in entry for names in PRICE_FIELDS.values() for name in names)


def _model_quotes(entry: Any, url: str, note: str) -> list[Quote]:
    """Every quote of one model record: standard, long-context and batch tiers."""
    model = _field(entry, NAME_FIELDS) if isinstance(entry, dict) else None
    if not isinstance(model, str) or not model:
        raise ParseError(PROVIDER, f"model record without a name: {str(entry)[:80]}", url)
    standard = _prices(entry, PRICE_FIELDS, model, url, free_ok=("input", "output"))
    missing = [c for c in ("input", "output") if c not in standard]
    if missing:
        raise ParseError(PROVIDER, f"{model}: no {' or '.join(missing)} price", url)
    tiers = [("standard", standard, note)]
    threshold = _number(_field(entry, THRESHOLD_FIELDS), model, "longContextThreshold", url)
    if threshold:
        long = _prices(entry, LONG_FIELDS, model, url)
        if long:
            tokens = int(threshold)
            tiers.append((_context_tier(tokens), long,
                          _join(note, f"prompts of {tokens} tokens or more", sep="; ")))
    discount = _number(_field(entry, BATCH_FIELDS), model, "batchDiscountPercent", url)
    if discount:
        if not 0 < discount < 100:
            raise ParseError(PROVIDER, f"{model}: batch discount {discount}% is not a percentage", url)
        factor = (100 - discount) / 100
        tiers += [(_join("batch", "" if tier == "standard" else tier, sep=" "),
                   {c: (price * factor, text) for c, (price, text) in prices.items()},
                   _join(why, f"batch API, {discount}% off", sep="; "))
                  for tier, prices, why in list(tiers)]
    aliases = entry.get("aliases")
    alias_note = f"aliases: {', '.join(aliases)}" if isinstance(aliases, list) and aliases else ""
    return [
        Quote(provider=PROVIDER, model=model, component=component, currency="USD", price=price,
              price_text=text, tier=tier, source_url=url, note=_join(why, alias_note, sep="; "))
        for tier, prices, why in tiers
        for component, (price, text) in prices.items()
    ]


def _prices(entry: dict[str, Any], fields: dict[str, tuple[str, ...]], model: str, url: str,
            free_ok: tuple[str, ...] = ()) -> dict[str, tuple[Decimal, str]]:
    """component -> (USD per 1M, the value as written).

    A zero means "no such price" (see the module docstring), except for the components in
    ``free_ok``: a standard input or output price of 0 is a real, free price.
    """
    out: dict[str, tuple[Decimal, str]] = {}
    for component, names in fields.items():
        raw = _field(entry, names)
        value = _number(raw, model, names[0], url)
        if value is None or (value == 0 and component not in free_ok):
            continue
        out[component] = (value.scaleb(CENTS_PER_100M_TO_USD_PER_1M), str(raw))
    return out


def _field(entry: dict[str, Any], names: tuple[str, ...]) -> Any:
    return next((entry[n] for n in names if entry.get(n) is not None), None)


def _number(raw: Any, model: str, name: str, url: str) -> Decimal | None:
    """A data value as an exact Decimal (strings and integers as written); None when absent."""
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (str, int, Decimal)):
        raise ParseError(PROVIDER, f"{model}: {name} is not a number: {raw!r}", url)
    try:
        value = Decimal(raw.strip() if isinstance(raw, str) else raw)
    except InvalidOperation:
        raise ParseError(PROVIDER, f"{model}: {name} is not a number: {raw!r}", url) from None
    if not value.is_finite() or value < 0:
        raise ParseError(PROVIDER, f"{model}: {name} is not a price: {raw!r}", url)
    return value


def _context_tier(tokens: int) -> str:
    """``200000`` -> ``context>200k``; a threshold that is no whole thousand stays exact."""
    return f"context>{tokens // 1000}k" if tokens % 1000 == 0 else f"context>{tokens}"


def _join(*parts: str, sep: str) -> str:
    return sep.join(p for p in parts if p)


# --- page forms: tables, cards, a flattened crawl, a model page ---------------------------------

def _page_prices(doc: Document, text: str, url: str, skips: list[Skipped]) -> list[Quote]:
    """Every rendered form a page holds, together: a 2026 page shows both a table and cards.

    The flattened crawl and the model page are read only when no table or card holds a price,
    as before.  Tables no reader used that still show money (tools, images, storage, the batch
    discount) are reported, row by row, as skipped.
    """
    used: set[int] = set()
    quotes = _pricing_table(doc, url, skips, used) + _io_tables(doc, url, skips, used)
    known = {q.model for q in quotes} | set(_LINKED_ID_RE.findall(text))
    quotes += _cards(doc, url, skips, known)
    if not quotes:
        quotes = _flat_pricing(doc, url, skips) or _model_page(doc, url) or []
    _leftover_tables(doc, used, skips)
    return quotes


def _pricing_table(doc: Document, url: str, skips: list[Skipped], used: set[int]) -> list[Quote]:
    """The models table: a ``Model`` column and a ``Pricing`` column, one row per model."""
    quotes: list[Quote] = []
    for table in doc.tables:
        columns = _pricing_columns(table)
        if columns is None:
            continue
        used.add(id(table))
        model_col, price_col = columns
        rows = ((row[model_col].text, row[price_col].text, _row_label(row, model_col, price_col))
                for row in table.body)
        quotes += _row_quotes(rows, url, f"table under {table.section!r}", skips)
    return quotes


def _row_label(row: list[Cell], model_col: int, price_col: int) -> str:
    """A group row's label.  Markdown group rows are short (``| Voice & Audio |  |  |``) and the
    reader right-aligns them under the row above, so the label sits in a middle column while the
    model column repeats the previous model: take the first wordy cell between the two."""
    between = [c.text.strip() for c in row[model_col + 1:price_col] if c.text.strip()]
    return next((t for t in between if t[0].isalpha()), row[model_col].text.strip())


def _pricing_columns(table: Table) -> tuple[int, int] | None:
    header = [cell.text.strip().lower() for cell in table.header]
    model = next((i for i, h in enumerate(header) if h == "model"), None)
    price = next((i for i, h in enumerate(header) if h.startswith("pricing")), None)
    return None if model is None or price is None else (model, price)


def _io_tables(doc: Document, url: str, skips: list[Skipped], used: set[int]) -> list[Quote]:
    """The 2026 table ``| Model | Context | Input | Output |``: one price per cell.

    Its cells are bare amounts (``$1.25``); the unit is in a line under the table ("Prices shown
    per million tokens").  A table whose unit is stated nowhere (header, cells, or the paragraphs
    just before or after it) is not read: its rows are reported instead.  The pricing page's form
    (2026-09) groups the columns under ``Short context`` / ``Long context`` (see
    :func:`_column_groups`); a long-context price needs its row's ``Long context ≥ 200k tokens``.
    """
    quotes: list[Quote] = []
    blocks = doc.blocks
    for index, table in enumerate(blocks):
        if not isinstance(table, Table):
            continue
        header = [cell.text.strip().lower() for cell in table.header]
        body = table.body
        groups = [""] * len(header)
        second = [cell.text.strip().lower() for cell in body[0]] if body else []
        if ({"input", "output"} <= {_io_component(n) for n in second} and not any(_io_component(h) for h in header)
                and any(h in ("short context", "long context") for h in header)):
            # two header rows (2026-09: ``Short context`` / ``Long context`` over ``Input | Cached |
            # Output`` twice), the second below the separator as a converter wrote it
            groups = _column_groups(header, second)
            if groups is None:
                if any(find_money(c.text) for row in body for c in row):
                    skips.append(Skipped(f"table under {table.section!r}", " | ".join(table.texts()[0]),
                                         "column groups that cannot be matched to their columns; not read"))
                continue
            header, body = second, body[1:]
        model_col = next((i for i, h in enumerate(header) if h in _MODEL_HEADERS), None)
        columns = [(i, comp, groups[i]) for i, h in enumerate(header) for comp in [_io_component(h)] if comp]
        if model_col is None or not {"input", "output"} <= {comp for _, comp, _ in columns}:
            continue
        used.add(id(table))
        where = f"table under {table.section!r}"
        nearby = [b.text for b in blocks[max(0, index - 2):index + 3] if isinstance(b, Paragraph)]
        cells = [row[i].text for row in body for i, _, _ in columns]
        if not (any(_PER_MILLION_RE.search(t) for t in (*header, *cells))
                or any(_UNIT_LINE_RE.search(t) for t in nearby)):
            skips.append(Skipped(where, " | ".join(table.texts()[0]),
                                 "table does not say its prices are per million tokens; not read"))
            continue
        for row in body:
            model = _model_cell(row[model_col].text)
            priced = [(i, comp, group, row[i].text.strip()) for i, comp, group in columns
                      if row[i].text.strip() not in _EMPTY_CELLS]
            if not priced:
                continue
            if not _MODEL_ID_RE.match(model):
                skips.append(Skipped(f"{where} row {model!r}", "; ".join(c for *_, c in priced),
                                     "price without a model id beside it"))
                continue
            threshold = _LONG_THRESHOLD_RE.search(row[model_col].text)
            for i, component, group, cell in priced:
                tier = "standard"
                if group == "long":
                    if threshold is None:
                        skips.append(Skipped(f"{where} row {model!r} / long context {header[i]}", cell,
                                             "long-context price without the prompt size it starts at"))
                        continue
                    tier = _context_tier(int(Decimal(threshold.group(1)) * (1000 if threshold.group(2).lower() == "k"
                                                                           else 1_000_000)))
                money = _plain_token_price(cell)
                if money is None:
                    skips.append(Skipped(f"{where} row {model!r} / {header[i]}", cell,
                                         "cell is not one price per million tokens"))
                    continue
                quotes.append(Quote(provider=PROVIDER, model=model, component=component,
                                    currency=money.currency, price=money.amount, price_text=money.text,
                                    tier=tier, source_url=url,
                                    note=f"long context: {threshold.group(0)}" if tier != "standard" else ""))
    return quotes


#: The long-context threshold a model cell states (``grok-4.7 Long context ≥ 200k tokens``).  The
#: page bills long-context rates once the prompt *reaches* it; the tier ``context>200k`` is the
#: pricer's "over", so a prompt of exactly that many tokens is the one-token edge (as OpenRouter's).
_LONG_THRESHOLD_RE = re.compile(r"long context\s*(?:≥|>=|>|over|above|from)\s*(\d+(?:\.\d+)?)\s*([km])\b", re.I)


def _column_groups(groups_row: list[str], names: list[str]) -> list[str] | None:
    """Per column: ``short``, ``long`` or "" from a row of group labels over ``names``.

    The labels stand in the first cells after the leading names (one cell per group, a colspan
    lost: ``Model | Context | Short context | Long context``), or over the first column of their
    group with blanks after (markdownify).  They are spread over the price columns in order only
    when every group holds the same columns in the same order (Input, Cached, Output under each);
    otherwise which price belongs to which group is a guess, and None is returned."""
    kinds = {"short context": "short", "long context": "long"}
    price_cols = [i for i, n in enumerate(names) if _io_component(n)]
    labelled = [(i, kinds[g]) for i, g in enumerate(groups_row) if g in kinds]
    if not price_cols or not labelled or len(price_cols) % len(labelled):
        return None
    size = len(price_cols) // len(labelled)
    runs = [tuple(names[j] for j in price_cols[k:k + size]) for k in range(0, len(price_cols), size)]
    if len(set(runs)) != 1 or any(g and g not in kinds and n and _io_component(n)
                                  for g, n in zip(groups_row, names)):
        return None
    out = [""] * len(names)
    for k, j in enumerate(price_cols):
        out[j] = labelled[k // size][1]
    return out


def _model_cell(text: str) -> str:
    """The id in a model cell, without the notes converters and pages add around it:
    ``grok-4.3 (new)``, ``grok-4.3*``, ``grok-4.3 Beta``.  A cell naming two ids is left whole
    (it is then no id, and its prices are reported, not split between them)."""
    text = text.strip()
    m = _ID_IN_CELL_RE.match(text)
    if m is None or _ID_ANYWHERE_RE.search(text, m.end()):
        return text
    return m.group(1)


def _io_component(header: str) -> str | None:
    header = re.sub(r"\s*\(.*?\)|\s*per .*|\s*/.*", "", header).strip()
    return _IO_HEADERS.get(header)


def _plain_token_price(cell: str) -> Money | None:
    """``$1.25``, ``$1.25 / 1M tokens``: one amount and nothing but a per-million unit."""
    money = find_money(cell)
    if len(money) != 1:
        return None
    rest = re.sub(r"\s+", "", cell.replace(money[0].text, "", 1)).lower()
    return money[0] if rest in _TOKEN_UNIT_TAILS else None


def _cards(doc: Document, url: str, skips: list[Skipped], known: set[str]) -> list[Quote]:
    """Model cards: a heading, then ``Input$1.25 / 1M tokens`` and ``Output$2.50 / 1M tokens``.

    The id is the card's own id line (``grok-4.6``) when it prints one; otherwise it is derived
    from the heading by the one rule ``Grok 4.3`` -> ``grok-4.3`` (lower case, spaces to hyphens),
    and when that id is not also printed elsewhere on the page (a table row or a model link), it
    is still recorded, with a warning.  Priced lines of other cards (``Agent$3.00 / hour``,
    ``Image$0.02 / image``) are reported as skipped.
    """
    quotes: list[Quote] = []
    heading = ""
    card_id: str | None = None
    pending: list[tuple[str, Money, str]] = []

    def close() -> None:
        if not pending:
            return
        model = card_id or _derive_id(heading)
        components = [component for component, _, _ in pending]
        if len(set(components)) != len(components):
            skips.append(Skipped(f"card {heading!r}", "; ".join(t for _, _, t in pending),
                                 "the same price twice under one heading (cards whose headings were "
                                 "lost?); not attributed"))
            return
        if model is None:
            skips.append(Skipped(f"card {heading!r}", "; ".join(t for _, _, t in pending),
                                 "token prices without a model id; not attributed"))
            return
        if card_id is None and model not in known:
            skips.append(Skipped(f"card {heading!r}", heading,
                                 f"model id {model!r} derived by rule from display name {heading!r}"))
        quotes.extend(Quote(provider=PROVIDER, model=model, component=component, currency=money.currency,
                            price=money.amount, price_text=text, source_url=url)
                      for component, money, text in pending)

    label_line = ""
    for block in doc.blocks:
        if isinstance(block, Heading):
            close()
            heading, card_id, pending, label_line = block.text.strip(), None, [], ""
            continue
        if not isinstance(block, Paragraph):
            continue
        text = block.text.strip()
        if _MODEL_ID_RE.match(text) and " " not in text and card_id is None and not pending:
            card_id = text
            continue
        if label_line and _BARE_PRICE_RE.match(text):
            text = f"{label_line}{text}"  # HTML cards put label and price in two elements
        label_line = text if text.lower() in _CARD_COMPONENTS else ""
        m = _CARD_LINE_RE.match(text)
        if m is None:
            continue
        label = m.group("label").strip()
        component = _CARD_COMPONENTS.get(label.lower())
        money = find_money(m.group("price"))
        if component and m.group("unit") and len(money) == 1 and not m.group("rest").strip():
            pending.append((component, money[0], text))
        else:
            skips.append(Skipped(f"card {heading!r} / {label}", text, "not a price per million tokens"))
    close()
    return quotes


def _derive_id(heading: str) -> str | None:
    """The display-name rule for cards: ``Grok 4.3`` -> ``grok-4.3``; None if that is no grok id.

    A status badge a converter glued to the name (``Grok 4.3 New``, ``Grok 4.3Beta``) is no part
    of it."""
    name = _BADGE_RE.sub("", heading.strip())
    candidate = re.sub(r"\s+", "-", name.strip().lower())
    return candidate if _MODEL_ID_RE.match(candidate) else None


def _leftover_tables(doc: Document, used: set[int], skips: list[Skipped]) -> None:
    """Rows of other tables that show money or a discount: reported, never priced."""
    for table in doc.tables:
        if id(table) in used:
            continue
        for row in table.body:
            cells = [c.text.strip() for c in row]
            text = " | ".join(c for c in cells if c)
            where = f"table under {table.section!r} row {cells[0]!r}"
            if _PERCENT_OFF_RE.search(text):
                skips.append(Skipped(where, text, "a discount stated as a percentage without prices; "
                                                  "no price is computed from it"))
            elif find_money(text):
                skips.append(Skipped(where, text, "not a price per million tokens"))


def _flat_pricing(doc: Document, url: str, skips: list[Skipped]) -> list[Quote] | None:
    """The table as a crawler flattened it: under "Model Pricing", one paragraph per cell.

    A row starts at a model id (``grok-3``) and ends at its price paragraph; group labels
    (``Per million tokens``) come as paragraphs of their own, as in the table.
    """
    section = _section(doc, "model pricing")
    if section is None:  # headings written as plain lines: the first such run that holds rows
        return next((quotes for run in _unheaded_runs(doc.blocks, "model pricing")
                     if (quotes := _flat_rows(run, url, skips)) is not None), None)
    return _flat_rows(section, url, skips)


def _flat_rows(section: list[Block], url: str, skips: list[Skipped]) -> list[Quote] | None:
    """The quotes of a flattened table's paragraphs (:func:`_flat_pricing`), None without a row."""
    rows: list[tuple[str, str, str]] = []
    model = ""
    for block in section:
        if not isinstance(block, Paragraph):
            continue
        text = block.text.strip()
        if _MODEL_ID_RE.match(text):
            model = text
        elif find_money(text):
            rows.append((model, text, model))
            model = ""  # each price needs its own id: never lend one to the next row
        elif text.lower().startswith("per "):
            rows.append(("", text, ""))
    return _row_quotes(rows, url, "section 'Model Pricing'", skips) if rows else None


def _row_quotes(rows: Iterable[tuple[str, str, str]], url: str, where: str,
                skips: list[Skipped]) -> list[Quote]:
    """Quotes from (model, price cell) rows, following the table's group rows.

    A group row has no money in its price cell: ``Per million tokens`` opens token-priced rows,
    any other ``Per ...`` (image output, second) opens rows that are reported, not priced.  A
    price cell that is not a token price (``$0.02/image``), or a row without a model id, is
    reported too; the rest of the table is still read.
    """
    quotes: list[Quote] = []
    group: str | None = None
    for model, cell, label in rows:
        model = _model_cell(model)
        if not find_money(cell):
            # The unit sits in the price column, or (a short group row that a renderer padded on
            # the right: ``| Language models |  | Per million tokens |``) in the row's label.
            unit = next((t for t in (cell, label) if t.strip().lower().startswith("per ")), None)
            if unit is not None:
                group = "tokens" if _TOKEN_GROUP_RE.search(unit) else f"priced {unit.strip().lower()}, not per token"
            elif label and not _MODEL_ID_RE.match(label):
                group = f"in group {label!r}, which names no per-token unit"
            continue
        row = f"{where} row {model or '?'!r}"
        if group not in (None, "tokens"):
            skips.append(Skipped(row, cell, group))
            continue
        prices = _token_cell(cell)
        if prices is None:
            skips.append(Skipped(row, cell, "not a price per million tokens" if group is None
                                 else "cannot read this price cell"))
            continue
        if not _MODEL_ID_RE.match(model):
            skips.append(Skipped(row, cell, "price without a model id beside it"))
            continue
        quotes += [Quote(provider=PROVIDER, model=model, component=component, currency=money.currency,
                         price=money.amount, price_text=money.text, source_url=url)
                   for component, money in prices]
    return quotes


def _token_cell(cell: str) -> list[tuple[str, Money]] | None:
    """``$0.20$1.50`` / ``$2 / $6`` (input, output) or ``$2.00 ($0.20) / $6.00`` (cached between).

    Anything else (``$0.02/image``, ``$0.05/ min ($3.00 / hr)``) is not a token price: None.
    """
    found = find_money(cell)
    shape = cell
    for money in found:
        shape = shape.replace(money.text, "M", 1)
    shape = re.sub(r"\s+", "", shape)
    if shape in ("MM", "M/M") and len(found) == 2:
        return [("input", found[0]), ("output", found[1])]
    if shape == "M(M)/M" and len(found) == 3:
        return [("input", found[0]), ("input_cache_hit", found[1]), ("output", found[2])]
    return None


def _model_page(doc: Document, url: str) -> list[Quote] | None:
    """A per-model page: ``Model name`` then the id; prices under ``Pricing`` > ``Input``/``Output``."""
    blocks = doc.blocks
    model = next((b.text.strip() for a, b in zip(blocks, blocks[1:])
                  if isinstance(a, Paragraph) and a.text.strip().lower() == "model name"
                  and isinstance(b, Paragraph)), None)
    section = _section(doc, "pricing", within=_SIDES)
    unheaded = section is None
    if unheaded:  # headings written as plain lines: the Pricing line an Input line follows
        section = next(_unheaded_runs(blocks, "pricing", then="input"), None)  # (not the glance's)
    if model is None or section is None:
        return None
    if not _MODEL_ID_RE.match(model):
        raise ParseError(PROVIDER, f"model page names an unexpected model id {model!r}", url)
    # The page says higher rates apply above a context size but does not show them.
    higher = _HIGHER_CONTEXT_RE.search(doc.text())
    note = f"higher rates above {higher.group(1)} context are not shown on this page" if higher else ""
    quotes: list[Quote] = []
    side, label = "", ""
    for block in section:
        if not isinstance(block, (Heading, Paragraph)):
            continue
        text = block.text.strip()
        if isinstance(block, Heading) or unheaded and text.lower() in _SIDES:
            side, label = text.lower(), ""
        elif not find_money(text):
            label = text.lower()
        elif "1m tokens" in text.lower():
            component = _MODEL_PAGE_COMPONENTS.get((side, label))
            if component:
                money = find_money(text)[0]
                quotes.append(Quote(provider=PROVIDER, model=model, component=component,
                                    currency=money.currency, price=money.amount,
                                    price_text=text, source_url=url, note=note))
    if not {q.component for q in quotes} >= {"input", "output"}:
        raise ParseError(PROVIDER, f"{model}: model page pricing has no input and output token price", url)
    return quotes


def _unheaded_runs(blocks: list[Block], title: str, then: str | None = None) -> Iterator[list[Block]]:
    """Where a converter wrote the page's headings as plain lines: after each line that reads
    ``title`` (and, with ``then``, whose next line reads ``then``), the lines that follow while
    they stay short (a cell, a label, a price); the first sentence of prose ends them, as the next
    heading would, so what follows (another section, other clusters' prices) is not read."""
    for i, block in enumerate(blocks):
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if not (isinstance(block, Paragraph) and block.text.strip().lower() == title):
            continue
        if then is not None and not (isinstance(nxt, Paragraph) and nxt.text.strip().lower() == then):
            continue
        run: list[Block] = []
        for following in blocks[i + 1:]:
            if not isinstance(following, Paragraph) or len(following.text.split()) > _SHORT_LINE_WORDS:
                break
            run.append(following)
        yield run


#: The most words a line of a price list or a flattened table holds (``$25.00/ 1K sources``,
#: ``Image generation models``); a longer paragraph is prose.
_SHORT_LINE_WORDS = 4

#: The two sides of a model page's price list, each a heading over its lines.
_SIDES = ("input", "output")

_MODEL_PAGE_COMPONENTS = {
    ("input", "tokens"): "input",
    ("input", "cached tokens"): "input_cache_hit",
    ("output", "tokens"): "output",
}


def _section(doc: Document, title: str, within: tuple[str, ...] = ()) -> list[Block] | None:
    """The blocks under the first heading called ``title``, up to the next heading as high.

    Headings named in ``within`` are the section's own even at its level: a converter that wrote
    every heading as a bold line (one level for all) made ``Pricing`` > ``Input`` siblings."""
    blocks = doc.blocks
    start = next((i for i, b in enumerate(blocks)
                  if isinstance(b, Heading) and b.text.strip().lower() == title), None)
    if start is None:
        return None
    level = blocks[start].level
    out: list[Block] = []
    for block in blocks[start + 1:]:
        if isinstance(block, Heading) and block.level <= level and not (
                block.level == level and block.text.strip().lower() in within):
            break
        out.append(block)
    return out


# --- one quote per series ------------------------------------------------------------------------

def _settle(quotes: Iterable[Quote], skips: list[Skipped]) -> list[Quote]:
    """One quote per series.  Repeats (a model per cluster, a duplicated row, a card beside its
    table row) must agree; a model whose repeats disagree gets no quote at all and a warning that
    shows both prices, rather than one of them winning silently."""
    seen: dict[tuple[str, ...], Quote] = {}
    clashes: dict[str, list[str]] = {}
    for quote in quotes:
        first = seen.setdefault(quote.key, quote)
        if first.price != quote.price:
            clashes.setdefault(quote.model, []).append(
                f"{quote.component} ({quote.tier}) {first.price_text} and {quote.price_text}")
    for model, clash in clashes.items():
        skips.append(Skipped(f"model {model}", "; ".join(clash),
                             "the page prices this model differently in two places; none is recorded"))
    return [q for q in seen.values() if q.model not in clashes]
