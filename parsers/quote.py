"""The price quote: the one typed record every provider parser produces.

A quote is one price for one (provider, model, component, tier, currency) as one page showed it.
It keeps the page's own text beside the exact number, so a stored history can always be checked
against what the provider actually wrote.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

#: What a price is charged for. ``input`` is uncached / cache-miss input.
COMPONENTS = (
    "input",
    "input_cache_hit",
    "input_cache_write",
    "input_cache_write_1h",
    "output",
)


class ParseError(ValueError):
    """A page did not hold what its provider's parser needs; never an empty success."""

    def __init__(self, provider: str, message: str, source: str | None = None) -> None:
        self.provider = provider
        self.source = source
        where = f" in {source}" if source else ""
        super().__init__(f"{provider}: {message}{where}")


@dataclass(frozen=True)
class Quote:
    """One price per 1M tokens, as a page stated it.

    ``price`` is what is charged (the promo price during a promo); ``list_price`` is the struck
    list price shown beside it, or None.  ``window`` says when a time-of-day tier applies, in UTC
    (empty: always).  ``effective_from`` is set only for prices the page announced for a future
    instant; such a quote is not in force when the page is read.
    """

    provider: str
    model: str
    component: str
    currency: str
    price: Decimal
    price_text: str
    tier: str = "standard"
    window: str = ""
    list_price: Decimal | None = None
    list_price_text: str | None = None
    promo_until: datetime | None = None
    effective_from: datetime | None = None
    source_url: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if self.component not in COMPONENTS:
            raise ValueError(f"unknown component {self.component!r} for {self.provider}/{self.model}")
        if not isinstance(self.price, Decimal) or self.price < 0:
            raise ValueError(f"price must be a non-negative Decimal, got {self.price!r}")
        if len(self.currency) != 3 or not self.currency.isupper():
            raise ValueError(f"currency must be an ISO 4217 code, got {self.currency!r}")
        for name in ("promo_until", "effective_from"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() != timezone.utc.utcoffset(None):
                raise ValueError(f"{name} must be a UTC datetime, got {value!r}")

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """The identity of the price series this quote belongs to."""
        return (self.provider, self.model, self.component, self.tier, self.currency)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: decimals as strings (exact), instants as ISO 8601 UTC with a Z."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Decimal):
                value = decimal_text(value)
            elif isinstance(value, datetime):
                value = iso_utc(value)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Quote":
        """Inverse of :meth:`to_dict`, used when stored quote sets are read back."""
        values = dict(data)
        for name in ("price", "list_price"):
            if values.get(name) is not None:
                values[name] = Decimal(values[name])
        for name in ("promo_until", "effective_from"):
            if values.get(name):
                values[name] = parse_utc(values[name])
        return cls(**values)


@dataclass(frozen=True)
class Skipped:
    """A piece of a page that looked like pricing but gave no certain price, and why.

    Pages grow new rows, columns and odd cells all the time; a parser records every price it is
    sure of and reports the rest here instead of failing the page (or, worse, guessing).
    ``where`` locates the piece (section heading, table, row, column), ``text`` is the page's own
    text (shortened), ``reason`` says why no price was taken from it.
    """

    where: str
    text: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"where": self.where, "text": self.text[:200], "reason": self.reason}

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}: {self.text[:80]!r}"


@dataclass
class Reading:
    """What a parser read from one page: the certain quotes, and what it skipped (warnings)."""

    quotes: list[Quote]
    skipped: list[Skipped] = field(default_factory=list)


def skipped_to_json(skipped: list[Skipped]) -> str | None:
    """Stored with the observation; None when nothing was skipped."""
    if not skipped:
        return None
    return json.dumps([s.to_dict() for s in skipped], ensure_ascii=False, separators=(",", ":"))


def decimal_text(value: Decimal) -> str:
    """A decimal as plain text without exponent or trailing zeros (``0.0140`` -> ``0.014``)."""
    return format(value.normalize(), "f")


def iso_utc(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, seconds precision: the one time format ratecard writes."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: str) -> datetime:
    """Read an ISO 8601 instant; a naive one is taken as UTC (all ratecard storage is UTC)."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def quotes_to_json(quotes: list[Quote]) -> str:
    """The canonical JSON of a quote set: sorted, so equal sets give equal bytes (and hashes)."""
    rows = sorted((q.to_dict() for q in quotes), key=_sort_key)
    return json.dumps(rows, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _sort_key(row: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(row[name] or "") for name in (
        "provider", "model", "component", "tier", "currency", "effective_from", "window", "price"))


__all__ = [
    "COMPONENTS", "ParseError", "Quote", "Reading", "Skipped", "decimal_text", "skipped_to_json", "iso_utc", "parse_utc", "quotes_to_json",
]
