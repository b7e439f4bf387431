"""Which providers ratecard knows, where their pricing pages live, and which module parses them.

Every provider module under ``parsers/`` has the same small surface:

* ``PROVIDER``: the provider id (``deepseek``),
* ``PARSER_VERSION``: bumped whenever the module's output for the same page can change, so stored
  observations show which parser read them,
* ``SOURCES``: the pages to fetch, as :class:`Source` records,
* ``read(text, source_url) -> Reading``: pure, no I/O; the quotes it is certain of plus what it
  skipped (:class:`~parsers.quote.Skipped`, stored as the observation's warnings); raises
  :class:`ParseError` only when the page does not hold the pricing structure it recognises,
* ``parse(text, source_url) -> list[Quote]``: ``read(...).quotes``.

A module without ``read`` is wrapped: its ``parse`` result with nothing skipped.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from parsers.document import unwrap_reader_json
from parsers.quote import ParseError, Quote, Reading

#: provider id -> module path.  Adding a provider is one line here plus its module.
PROVIDER_MODULES: dict[str, str] = {
    "anthropic": "parsers.anthropic",
    "deepseek": "parsers.deepseek",
    "google": "parsers.gemini",
    "mistral": "parsers.mistral",
    "openai": "parsers.openai",
    "openrouter": "parsers.openrouter",
    "xai": "parsers.xai",
}


@dataclass(frozen=True)
class Source:
    """One page of a provider.

    ``currencies`` are the currencies this page is authoritative for: when another page of the
    same provider also shows them (a CNY tab on the English page), the two must agree.

    ``ways`` are how the page can be got, tried in this order until one yields prices: ``http``
    (the page itself), ``markdown`` (the docs site's Markdown twin, ``URL.md``), ``browser`` (the
    page rendered by an installed headless Chromium; for pages drawn by JavaScript or guarded by
    a bot challenge).  The parser reads what every listed way returns.  ``markdown_url`` is the
    twin's address when it is not ``url`` + ``.md`` (the docs moved to another host).
    """

    id: str
    provider: str
    url: str
    currencies: tuple[str, ...] = ()
    ways: tuple[str, ...] = ("http",)
    markdown_url: str = ""


def providers() -> list[str]:
    """Provider ids in a stable order."""
    return sorted(PROVIDER_MODULES)


def parser_module(provider: str) -> ModuleType:
    """The parser module of ``provider``; a clear error for an unknown id."""
    try:
        path = PROVIDER_MODULES[provider]
    except KeyError:
        known = ", ".join(providers())
        raise KeyError(f"unknown provider {provider!r} (known: {known})") from None
    return importlib.import_module(path)


def sources(provider: str | None = None) -> list[Source]:
    """Every source of one provider, or of all providers."""
    ids = [provider] if provider else providers()
    return [src for pid in ids for src in parser_module(pid).SOURCES]


def read(provider: str, text: str, source_url: str = "") -> Reading:
    """Read a page with its provider's parser; never returns a reading without quotes."""
    module = parser_module(provider)
    text = unwrap_reader_json(text)  # an API's JSON fetched through a reader service
    if hasattr(module, "read"):
        reading = module.read(text, source_url)
    else:
        reading = Reading(module.parse(text, source_url))
    if not reading.quotes:
        raise ParseError(provider, "parser returned no quotes", source_url or None)
    return reading


def parse(provider: str, text: str, source_url: str = "") -> list[Quote]:
    """Parse a page with its provider's parser; never returns an empty list."""
    return read(provider, text, source_url).quotes
