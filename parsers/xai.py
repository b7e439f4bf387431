"""xAI (Grok): the docs models page, in every form it reaches ratecard.

Which source is fetched, and why: ``SOURCES`` holds one page, https://docs.x.ai/developers/models.
Its HTML embeds the whole public price list as data
(``<script>globalThis.__XAI_PUBLIC_MODELS__={"clusterConfigs": [...]}</script>``), the only public
form that states cached-input prices, the higher rates above a long-context threshold and the
batch discount for every model and serving cluster.  The page's visible table, its "View as
Markdown" twin (``/developers/models.md``) and crawler copies show less, so they are not fetched;
they are still read, so a saved copy of any of them can be checked with ``ratecard parse``.

Forms read (the first one a page holds wins):

1. the embedded ``__XAI_PUBLIC_MODELS__`` JSON (prices are strings in USD cents per 100M tokens);
2. a ``/v1/language-models`` API response, raw or as the example in the API reference (integers in
   the same unit, snake_case names);
3. the pricing table: ``Pricing [in (cached in) / out]`` cells such as ``$2.00 ($0.20) / $6.00``
   (the ``.md`` page), or input and output glued together as ``$0.20$1.50`` under group rows such
   as ``Language models | Per million tokens`` (the rendered page and its crawls), including crawls
   that flattened the table into one cell per line;
4. a per-model page (``Model name`` / ``#### Input`` / ``Cached tokens`` / ``$0.05/ 1M tokens``).

Units: 1 USD cent per 100M tokens is 0.0001 USD per 1M tokens, so a data price becomes a per-1M
price by an exact decimal shift (``30000`` -> ``3``), never through a float.

Tiers: ``standard``; ``context>200k`` for the long-context prices (named from
``longContextThreshold``, which xAI defines as "at or above"; a zero long-context price means the
standard one applies, so it yields no quote); ``batch`` and ``batch context>200k`` when
``batchDiscountPercent`` is above 0 (xAI applies the batch discount to every token type).  A zero
cached-input price is read as "no cached price", not "caching is free": the API reference's own
example gives grok-4-0709 a cached price of 0, and recording that as free would under-price every
cached token.

Per-image, per-second and per-source prices (image and video generation, voice, live search) are
not token prices and are left out.  A model listed for several clusters (or twice in a table)
must show the same prices each time; if regions ever differ the page raises, rather than one
region silently winning.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from parsers.document import Block, Document, Heading, Paragraph, Table, detect_format, read_provider_page
from parsers.money import Money, find_money
from parsers.quote import ParseError, Quote
from parsers.registry import Source

PROVIDER = "xai"
PARSER_VERSION = "1"
MODELS_URL = "https://docs.x.ai/developers/models"
SOURCES = [Source(id="xai-models", provider=PROVIDER, url=MODELS_URL, currencies=("USD",))]

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


def parse(text: str, source_url: str = "") -> list[Quote]:
    """Quotes of every token-priced xAI model the page shows; :class:`ParseError` otherwise."""
    if detect_format(text) == "json":
        return _collect(_api_response(_load_json(text, source_url), source_url, ""), source_url)
    doc = read_provider_page(PROVIDER, text, source_url)
    for reader in (_embedded, _api_examples, _pricing_table, _flat_pricing, _model_page):
        quotes = reader(doc, source_url)
        if quotes is not None:
            return _collect(quotes, source_url)
    raise ParseError(PROVIDER, f"no xAI price list found (looked for the embedded {EMBED_MARKER} "
                               "data, a 'Model Pricing' table and a model page's pricing)",
                     source_url or None)


# --- data forms: the embedded page JSON and API responses ---------------------------------------

def _embedded(doc: Document, url: str) -> list[Quote] | None:
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
            quotes.extend(_model_quotes(entry, url, ""))
    if not quotes:
        raise ParseError(PROVIDER, f"embedded {EMBED_MARKER} lists no language model prices", url)
    return quotes


def _api_examples(doc: Document, url: str) -> list[Quote] | None:
    """Language-model list responses shown as code on a page (the API reference's example)."""
    quotes: list[Quote] = []
    for block in doc.blocks:
        if not (isinstance(block, Paragraph) and block.text.startswith("{")
                and '"prompt_text_token_price"' in block.text):
            continue
        try:
            data = json.loads(block.text, parse_float=Decimal)
        except json.JSONDecodeError:
            continue
        quotes += [q for entry in _api_models(data) if _has_token_prices(entry)
                   for q in _model_quotes(entry, url, "example response in xAI's API reference")]
    return quotes or None


def _load_json(text: str, url: str) -> Any:
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise ParseError(PROVIDER, f"not JSON ({exc.msg} at char {exc.pos})", url) from None


def _api_response(data: Any, url: str, note: str) -> list[Quote]:
    """``{"models": [...]}`` (``/v1/language-models``) or ``{"data": [...]}`` (``/v1/models``).

    ``/v1/models`` also lists image models, which carry no token price; they are passed over.
    """
    models = _api_models(data)
    if not models:
        raise ParseError(PROVIDER, 'expected an API response {"models": [...]} with models', url)
    quotes = [q for entry in models if _has_token_prices(entry)
              for q in _model_quotes(entry, url, note)]
    if not quotes:
        raise ParseError(PROVIDER, "API response lists no token-priced models", url)
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


# --- page forms: the pricing table, its flattened crawl, a model page --------------------------

def _pricing_table(doc: Document, url: str) -> list[Quote] | None:
    """The models table: a ``Model`` column and a ``Pricing`` column, one row per model."""
    quotes: list[Quote] | None = None
    for table in doc.tables:
        columns = _pricing_columns(table)
        if columns is None:
            continue
        model_col, price_col = columns
        rows = ((row[model_col].text, row[price_col].text) for row in table.body)
        quotes = (quotes or []) + _row_quotes(rows, url, f"table under {table.section!r}")
    return quotes


def _pricing_columns(table: Table) -> tuple[int, int] | None:
    header = [cell.text.strip().lower() for cell in table.header]
    model = next((i for i, h in enumerate(header) if h == "model"), None)
    price = next((i for i, h in enumerate(header) if h.startswith("pricing")), None)
    return None if model is None or price is None else (model, price)


def _flat_pricing(doc: Document, url: str) -> list[Quote] | None:
    """The table as a crawler flattened it: under "Model Pricing", one paragraph per cell.

    A row starts at a model id (``grok-3``) and ends at its price paragraph; group labels
    (``Per million tokens``) come as paragraphs of their own, as in the table.
    """
    section = _section(doc, "model pricing")
    if section is None:
        return None
    rows: list[tuple[str, str]] = []
    model = ""
    for block in section:
        if not isinstance(block, Paragraph):
            continue
        text = block.text.strip()
        if _MODEL_ID_RE.match(text):
            model = text
        elif find_money(text):
            rows.append((model, text))
            model = ""  # each price needs its own id: never lend one to the next row
        elif text.lower().startswith("per "):
            rows.append(("", text))
    return _row_quotes(rows, url, "section 'Model Pricing'") if rows else None


def _row_quotes(rows: Iterable[tuple[str, str]], url: str, where: str) -> list[Quote]:
    """Quotes from (model, price cell) rows, following the table's group rows.

    A group row has no money in its price cell: ``Per million tokens`` opens token-priced rows,
    any other ``Per ...`` (image output, second) opens rows this parser leaves out.  Inside a
    token group every price cell must read as token prices, so a changed format raises.
    """
    quotes: list[Quote] = []
    group: str | None = None
    for model, cell in rows:
        if not find_money(cell):
            if cell.strip().lower().startswith("per "):
                group = "tokens" if _TOKEN_GROUP_RE.search(cell) else "other"
            continue
        if group == "other":
            continue
        prices = _token_cell(cell)
        if prices is None:
            if group == "tokens":
                raise ParseError(PROVIDER, f"{model or '?'}: cannot read price cell {cell!r} in {where}", url)
            continue
        if not _MODEL_ID_RE.match(model):
            raise ParseError(PROVIDER, f"price {cell!r} in {where} has no model id beside it", url)
        quotes += [Quote(provider=PROVIDER, model=model, component=component, currency=money.currency,
                         price=money.amount, price_text=money.text, source_url=url)
                   for component, money in prices]
    if not quotes:
        raise ParseError(PROVIDER, f"{where} holds no per-token prices", url)
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
    section = _section(doc, "pricing")
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
        if isinstance(block, Heading):
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


_MODEL_PAGE_COMPONENTS = {
    ("input", "tokens"): "input",
    ("input", "cached tokens"): "input_cache_hit",
    ("output", "tokens"): "output",
}


def _section(doc: Document, title: str) -> list[Block] | None:
    """The blocks under the first heading called ``title``, up to the next heading as high."""
    blocks = doc.blocks
    start = next((i for i, b in enumerate(blocks)
                  if isinstance(b, Heading) and b.text.strip().lower() == title), None)
    if start is None:
        return None
    level = blocks[start].level
    out: list[Block] = []
    for block in blocks[start + 1:]:
        if isinstance(block, Heading) and block.level <= level:
            break
        out.append(block)
    return out


# --- one quote per series ------------------------------------------------------------------------

def _collect(quotes: Iterable[Quote], url: str) -> list[Quote]:
    """Drop repeats (a model per cluster, duplicated rows); differing repeats are an error."""
    seen: dict[tuple[str, ...], Quote] = {}
    for quote in quotes:
        first = seen.setdefault(quote.key, quote)
        if first.price != quote.price:
            raise ParseError(PROVIDER, f"{quote.model} {quote.component} ({quote.tier}) is priced both "
                                       f"{first.price_text} and {quote.price_text}", url)
    return list(seen.values())
