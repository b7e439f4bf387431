"""OpenRouter: the public model list API, read as a reseller's price list.

OpenRouter is tracked as its own provider (``openrouter``) because its prices are resale prices:
``x-ai/grok-4`` on OpenRouter is a separate price series from ``grok-4`` at xAI, and the two can
differ or change on different days.  Model ids are kept exactly as OpenRouter writes them,
including variant suffixes (``qwen/qwen3-coder:free`` is its own model with its own price).

The source is ``GET https://openrouter.ai/api/v1/models`` (no key needed).  The live API wraps the
list as ``{"data": [...]}``; mirrors that post-process it with ``jq .data`` store the bare array,
so both are read.  Prices are decimal strings in USD per *token* (``"0.00000015"``); they become
per-1M prices by an exact decimal shift, never through a float.

Which pricing keys become quotes, and why:

* ``prompt`` -> ``input``, ``completion`` -> ``output``,
  ``input_cache_read`` -> ``input_cache_hit``, ``input_cache_write`` -> ``input_cache_write``;
* ``"0"`` is a real price (free models) and is kept;
* ``"-1"`` means the price is decided per request (routers such as ``openrouter/auto``); it is not
  a price, so it is skipped and counted in :attr:`ModelList.dynamic`;
* ``image``, ``audio``, ``web_search``, ``request`` and ``internal_reasoning`` are per-item or
  per-request charges that a per-1M-token quote cannot express; they are ignored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from parsers.quote import ParseError, Quote
from parsers.registry import Source

PROVIDER = "openrouter"
PARSER_VERSION = "1"
MODELS_URL = "https://openrouter.ai/api/v1/models"
SOURCES = [Source(id="openrouter-models", provider=PROVIDER, url=MODELS_URL, currencies=("USD",))]

#: OpenRouter pricing key -> ratecard component.
COMPONENT_KEYS: dict[str, str] = {
    "prompt": "input",
    "completion": "output",
    "input_cache_read": "input_cache_hit",
    "input_cache_write": "input_cache_write",
}
#: Every model must carry these; a model without them means the schema changed under us.
REQUIRED_KEYS = ("prompt", "completion")
DYNAMIC_PRICE = Decimal(-1)


@dataclass(frozen=True)
class ModelList:
    """What one models response yields: the quotes, and the prices skipped as dynamic.

    ``dynamic`` holds ``(model id, pricing key)`` pairs, so a run can report how many prices it
    could not record rather than dropping them silently.
    """

    quotes: list[Quote]
    dynamic: list[tuple[str, str]]


def parse(text: str, source_url: str = "") -> list[Quote]:
    """Quotes of every model in an OpenRouter models response (see :func:`read_models`)."""
    return read_models(text, source_url).quotes


def read_models(text: str, source_url: str = "") -> ModelList:
    """Read a models response; raise :class:`ParseError` when it is not one."""
    url = source_url
    models = _model_entries(text, url)
    quotes: dict[tuple[str, str], Quote] = {}
    dynamic: list[tuple[str, str]] = []
    for entry in models:
        model, pricing = _model_and_pricing(entry, url)
        for key, component in COMPONENT_KEYS.items():
            if key not in pricing:
                continue
            raw = pricing[key]
            per_token = _decimal(raw, model, key, url)
            if per_token == DYNAMIC_PRICE:
                dynamic.append((model, key))
                continue
            if per_token < 0:
                raise ParseError(PROVIDER, f"{model}: negative {key} price {raw!r}", url)
            quote = Quote(
                provider=PROVIDER, model=model, component=component, currency="USD",
                price=per_token.scaleb(6), price_text=str(raw), source_url=url,
            )
            _add(quotes, quote, url)
    if not quotes:
        raise ParseError(PROVIDER, "models response holds no token prices", url)
    return ModelList(quotes=list(quotes.values()), dynamic=dynamic)


def _model_entries(text: str, url: str) -> list[Any]:
    """The model list, whether wrapped as ``{"data": [...]}`` or stored as the bare array."""
    try:
        # parse_float keeps any numeric (non-string) price exact should the API ever send one.
        doc = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise ParseError(PROVIDER, f"not a JSON models response ({exc.msg} at char {exc.pos})",
                         url) from None
    models = doc.get("data") if isinstance(doc, dict) else doc
    if not isinstance(models, list):
        raise ParseError(PROVIDER, 'expected {"data": [...]} or a JSON array of models', url)
    if not models:
        raise ParseError(PROVIDER, "models response lists no models", url)
    return models


def _model_and_pricing(entry: Any, url: str) -> tuple[str, dict[str, Any]]:
    """A model's id and pricing object; the required keys must be there."""
    model = entry.get("id") if isinstance(entry, dict) else None
    if not isinstance(model, str) or not model:
        raise ParseError(PROVIDER, f"model entry without an id: {str(entry)[:80]}", url)
    pricing = entry.get("pricing")
    if not isinstance(pricing, dict):
        raise ParseError(PROVIDER, f"{model}: no pricing object", url)
    missing = [key for key in REQUIRED_KEYS if key not in pricing]
    if missing:
        raise ParseError(PROVIDER, f"{model}: pricing lacks {', '.join(missing)}", url)
    return model, pricing


def _decimal(raw: Any, model: str, key: str, url: str) -> Decimal:
    """A price value as an exact Decimal: strings as written, integers, or JSON decimals."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, Decimal)):
        raise ParseError(PROVIDER, f"{model}: {key} price is not a number: {raw!r}", url)
    try:
        value = Decimal(raw.strip()) if isinstance(raw, str) else Decimal(raw)
    except InvalidOperation:
        raise ParseError(PROVIDER, f"{model}: {key} price is not a number: {raw!r}", url) from None
    if not value.is_finite():
        raise ParseError(PROVIDER, f"{model}: {key} price is not finite: {raw!r}", url)
    return value


def _add(quotes: dict[tuple[str, str], Quote], quote: Quote, url: str) -> None:
    """Keep one quote per (model, component); a repeated model must repeat the same price."""
    slot = (quote.model, quote.component)
    seen = quotes.get(slot)
    if seen is None:
        quotes[slot] = quote
    elif seen.price != quote.price:
        raise ParseError(PROVIDER, f"{quote.model} is listed twice with different "
                                   f"{quote.component} prices ({seen.price_text} vs {quote.price_text})", url)
