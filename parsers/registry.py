"""Which providers ratecard knows, where their pricing pages live, and which module parses them.

Every provider module under ``parsers/`` has the same small surface:

* ``PROVIDER``: the provider id (``deepseek``),
* ``PARSER_VERSION``: bumped whenever the module's output for the same page can change, so stored
  observations show which parser read them,
* ``SOURCES``: the pages to fetch, as :class:`Source` records,
* ``parse(text, source_url) -> list[Quote]``: pure, no I/O; raises :class:`ParseError` when the page
  does not hold a pricing table it recognises.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from parsers.quote import ParseError, Quote

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
    """

    id: str
    provider: str
    url: str
    currencies: tuple[str, ...] = ()


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


def parse(provider: str, text: str, source_url: str = "") -> list[Quote]:
    """Parse a page with its provider's parser; never returns an empty list."""
    quotes = parser_module(provider).parse(text, source_url)
    if not quotes:
        raise ParseError(provider, "parser returned no quotes", source_url or None)
    return quotes
