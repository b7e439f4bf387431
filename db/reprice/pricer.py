"""Pricing usage rows at the rates in force: the engine behind ``ratecard reprice`` and ``explain``.

A price history (versions with ``valid_from``/``valid_to``, promo ends, time-of-day windows) is
compiled once per (provider, model) into a timeline: segments between every instant where any
rate can change, and inside each segment the week cut at every window edge.  Every piece holds one
integer rate per component, so pricing a row is two bisects and a few integer products: exact
(integer units of 10^-(6+scale) of the currency, ``scale`` being the most decimals any price has)
and fast enough to stream millions of rows.

A row with only a date covers a whole UTC day: when the rate changes within that day (a time-of-day
tier, a promo end, a new version) it is priced at the highest rate in force that day, and flagged
with the lowest possible cost beside it.  A row no price covers is *unpriced*, with the reason;
nothing is ever priced at zero by default.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from db.reprice.usage import TOKEN_COMPONENTS, UsageRow
from parsers import window as windows
from parsers.quote import iso_utc, parse_utc

if TYPE_CHECKING:
    import sqlite_utils

#: Long-context tiers (``context>200k``): they replace the rates of a request whose prompt (all
#: input, cached or not) has more tokens than the threshold.
_CONTEXT_TIER = re.compile(r"^context>(\d+)k$")
#: A dated snapshot id: the model id, then ``-20250929``, ``-2024-08-06`` or ``-0709``.
_SNAPSHOT_RE = re.compile(r"^(?P<model>.+?)-(?:\d{8}|\d{4}-\d{2}-\d{2}|\d{4})$")

#: Tiers that are a time of day (chosen by their window): the rates of standard service.
TIME_TIERS = ("standard", "off_peak", "peak")
#: Services a usage row may name in its ``service_tier`` column; never picked otherwise.
SERVICE_TIERS = ("batch", "flex", "priority", "fast")
WEEK_SECONDS = 7 * 86400
_EPOCH_MONDAY = datetime(1970, 1, 5, tzinfo=timezone.utc)  # a Monday: second-of-week origin


@dataclass(frozen=True)
class PriceVersion:
    """One stored price and the span it was in force (``valid_to`` None: still in force)."""

    provider: str
    model: str
    component: str
    tier: str
    window: str
    currency: str
    price: Decimal
    valid_from: datetime
    valid_to: datetime | None = None
    list_price: Decimal | None = None
    promo_until: datetime | None = None


class Rate(NamedTuple):
    """What one component costs over one piece of time."""

    units: int      # price per 1M tokens in 10^-scale currency units
    price: Decimal  # the same, as the page gave it
    tier: str
    promo: bool     # a promo price (the list price was higher)


Rates = tuple["Rate | None", ...]  # one per TOKEN_COMPONENTS entry


@dataclass
class _Segment:
    piece_starts: list[int]  # second of week where each piece begins
    pieces: list[Rates]


@dataclass
class _Timeline:
    """The compiled history of one (provider, model): segment i covers [edges[i], edges[i+1])."""

    edges: list[float]
    segments: list[_Segment | None]  # None: no price in force in that segment


class Priced(NamedTuple):
    """One priced row.  ``units`` are exact integer cost units (see :meth:`Pricer.money`)."""

    row: UsageRow
    provider: str           # the provider/model priced (differs from the row's under --as)
    model: str
    units: int              # total cost
    components: tuple[tuple[str, int, Rate, int], ...]  # (component, tokens, rate, cost units)
    lowest_units: int | None  # set when a whole-day row could have cost less
    notes: tuple[str, ...]


class Unpriced(NamedTuple):
    """A row no price covers: ``field`` is the usage column that explains why."""

    row: UsageRow
    field: str
    reason: str


class CurrencyNotPublished(ValueError):
    """The provider never published prices in the asked currency: ratecard does not convert."""


@dataclass
class Totals:
    """Running sums in cost units: overall, and per (provider, model, month)."""

    units: int = 0
    lowest_units: int = 0
    by_model_month: dict[tuple[str, str, str], int] = field(default_factory=dict)
    by_component: dict[str, int] = field(default_factory=dict)
    priced_rows: int = 0

    def add(self, priced: Priced) -> None:
        self.units += priced.units
        self.lowest_units += priced.units if priced.lowest_units is None else priced.lowest_units
        start = priced.row.start
        key = (priced.provider, priced.model, "%04d-%02d" % (start.year, start.month))
        self.by_model_month[key] = self.by_model_month.get(key, 0) + priced.units
        for component, _, _, units in priced.components:
            self.by_component[component] = self.by_component.get(component, 0) + units
        self.priced_rows += 1


class Pricer:
    """Prices usage rows in one currency from a set of price versions."""

    def __init__(self, versions: Iterable[PriceVersion], currency: str,
                 published: dict[str, set[str]] | None = None) -> None:
        self.currency = currency
        self.published = published or {}
        mine = [v for v in versions if v.currency == currency]
        used = [v for v in mine if v.tier in TIME_TIERS or v.tier in SERVICE_TIERS or _CONTEXT_TIER.match(v.tier)]
        self.scale = max([_decimals(v.price) for v in used]
                         + [_decimals(v.list_price) for v in used if v.list_price is not None] + [0])
        self.unit = Decimal(1).scaleb(-(6 + self.scale))
        by_model: dict[tuple[str, str], list[PriceVersion]] = {}
        by_service: dict[tuple[str, str, str], list[PriceVersion]] = {}
        by_context: dict[tuple[str, str, int], list[PriceVersion]] = {}
        for v in used:
            if v.tier in TIME_TIERS:
                by_model.setdefault((v.provider, v.model), []).append(v)
            elif v.tier in SERVICE_TIERS:
                by_service.setdefault((v.provider, v.model, v.tier), []).append(v)
            else:
                threshold = int(_CONTEXT_TIER.match(v.tier).group(1)) * 1000  # type: ignore[union-attr]
                by_context.setdefault((v.provider, v.model, threshold), []).append(v)
        self._timelines = {key: self._compile(vs) for key, vs in by_model.items()}
        self._services = {key: self._compile(vs) for key, vs in by_service.items()}
        self._context: dict[tuple[str, str], list[tuple[int, _Timeline]]] = {}
        for (provider, model, threshold), vs in sorted(by_context.items(), key=lambda kv: -kv[0][2]):
            self._context.setdefault((provider, model), []).append((threshold, self._compile(vs)))
        self._first = {key: min(v.valid_from for v in vs) for key, vs in by_model.items()}
        self.providers = {provider for provider, _ in by_model}

    def money(self, units: int) -> Decimal:
        """Exact currency amount of ``units`` cost units."""
        return (Decimal(units) * self.unit).normalize() if units else Decimal(0)

    def knows(self, provider: str, model: str) -> bool:
        return (provider, model) in self._timelines

    def _resolve(self, provider: str, model: str) -> tuple[str, tuple[str, ...]]:
        """The priced model a usage row's model id stands for, with a note when it is another id.

        APIs report dated snapshot ids (``claude-sonnet-4-5-20250929``, ``gpt-4o-2024-08-06``)
        while pages price the model (``claude-sonnet-4-5``).  A snapshot the history prices itself
        keeps its own price; only one it does not know falls back to its model, and says so.
        """
        if (provider, model) in self._timelines:
            return model, ()
        m = _SNAPSHOT_RE.match(model)
        if m and (provider, m.group("model")) in self._timelines:
            base = m.group("model")
            return base, (f"{model} priced as {base}: the history has no price for the snapshot id itself",)
        return model, ()

    def has_context_tiers(self, provider: str, model: str) -> bool:
        """Whether a row's rates on this model also depend on its prompt length."""
        return (provider, model) in self._context

    def price(self, row: UsageRow, at: datetime | None = None,
              target: tuple[str, str] | None = None) -> Priced | Unpriced:
        """Price ``row`` at its own time (or ``at``), on its own model (or ``target``)."""
        provider, model = target or (row.provider, row.model)
        snapshot_note: tuple[str, ...] = ()
        if target is None:
            model, snapshot_note = self._resolve(provider, model)
        timeline = self._timelines.get((provider, model))
        if timeline is None:
            if provider not in self.providers:
                if self.published.get(provider):
                    raise CurrencyNotPublished(
                        f"{provider} does not publish prices in {self.currency} (it publishes "
                        f"{', '.join(sorted(self.published[provider]))}); ratecard does not guess exchange rates")
                return Unpriced(row, "provider", f"unknown provider {provider!r}: no price in the history")
            return Unpriced(row, "model", f"unknown model {provider}/{model}: no {self.currency} price in the history")
        if row.tier != "standard":
            timeline = self._services.get((provider, model, row.tier))
            if timeline is None:
                return Unpriced(row, "tier", f"{provider}/{model} has no {row.tier} price in {self.currency}"
                                             " in the history")
        if at is not None or not row.whole_day:
            instant = at or row.start
            rates = _rates_at(timeline, instant)
            if rates is None:
                return Unpriced(row, "time", self._no_price_reason(provider, model, instant))
            if row.tier == "standard":
                rates = self._long_context(provider, model, instant, row.tokens, rates)
            return self._cost(row, provider, model, rates, None, target is not None, instant, snapshot_note)
        choices = _rates_during(timeline, row.start, row.end)
        if choices is None:
            return Unpriced(row, "time", f"{provider}/{model} has no price for all of the day "
                                         f"{row.start.date().isoformat()} (history starts "
                                         f"{iso_utc(self._first[(provider, model)])})")
        notes = snapshot_note
        if (provider, model) in self._context and row.tier == "standard":
            notes += ("long-context prices exist for this model, but a daily total cannot say which"
                     " requests had long prompts: priced at the standard rates",)
        return self._cost(row, provider, model, choices[0], choices[1], target is not None, None, notes)

    def _long_context(self, provider: str, model: str, instant: datetime, tokens: tuple[int, ...],
                      rates: Rates) -> Rates:
        """A request whose prompt is over a context threshold pays that tier's rates."""
        prompt = sum(tokens[:4])  # every kind of input: uncached, cache hit, cache writes
        for threshold, timeline in self._context.get((provider, model), ()):
            if prompt > threshold:
                long = _rates_at(timeline, instant)
                if long is not None:
                    return tuple(lr if lr is not None else r for lr, r in zip(long, rates))
        return rates

    def _cost(self, row: UsageRow, provider: str, model: str, rates: Rates, lowest: Rates | None,
              substitute: bool, instant: datetime | None,
              notes_before: tuple[str, ...] = ()) -> Priced | Unpriced:
        """Cost ``row`` at ``rates`` (``lowest``: the cheapest rates of its day; ``instant``: the
        instant priced, None for a whole day)."""
        parts: list[tuple[str, int, Rate, int]] = []
        notes: list[str] = list(notes_before)
        total = low = 0
        for component, tokens, rate, low_rate in zip(TOKEN_COMPONENTS, row.tokens, rates,
                                                      lowest or rates):
            if not tokens:
                continue
            if rate is None and substitute:
                rate, low_rate, note = _substitute(component, rates, lowest or rates)
                if rate is not None:
                    notes.append(note)
            if rate is None or low_rate is None:
                when = row.start.date().isoformat() if instant is None else iso_utc(instant)
                return Unpriced(row, component, f"{provider}/{model} has no {component} price in "
                                                f"{self.currency} at {when} ({tokens} tokens)")
            units = tokens * rate.units
            parts.append((component, tokens, rate, units))
            total += units
            low += tokens * low_rate.units
        lowest_units = None
        if lowest is not None and low != total:
            lowest_units = low
            notes.append("date without time during a day with several rates: priced at the highest"
                         " rate in force that day; lowest possible cost shown beside it")
        return Priced(row, provider, model, total, tuple(parts), lowest_units, tuple(notes))

    def rates_at(self, provider: str, model: str, instant: datetime) -> Rates | None:
        """The rate per component in force at ``instant`` (None: no price at all then)."""
        timeline = self._timelines.get((provider, model))
        return None if timeline is None else _rates_at(timeline, instant)

    def span_rates(self, provider: str, model: str, start: datetime, seconds: int) -> Rates | None | str:
        """The rates for all of ``[start, start + seconds)``, or ``"split"`` if they change inside.

        Lets the batch pricer classify a whole hour (or minute) of rows with one lookup.  The span
        must not cross the end of the week (an hour or a minute aligned on its start never does).
        """
        timeline = self._timelines.get((provider, model))
        if timeline is None:
            return None
        ts = start.timestamp()
        i = bisect_right(timeline.edges, ts)
        if i < len(timeline.edges) and timeline.edges[i] < ts + seconds:
            return "split"
        j = bisect_right(timeline.edges, ts) - 1
        segment = timeline.segments[j] if j >= 0 else None
        if segment is None:
            return None
        first = _second_of_week(start)
        k = bisect_right(segment.piece_starts, first)
        if k < len(segment.piece_starts) and segment.piece_starts[k] < first + seconds:
            return "split"
        return segment.pieces[k - 1]

    def _no_price_reason(self, provider: str, model: str, instant: datetime) -> str:
        first = self._first[(provider, model)]
        if instant < first:
            return f"{iso_utc(instant)} is before the history of {provider}/{model} starts ({iso_utc(first)})"
        return f"no {self.currency} price for {provider}/{model} in force at {iso_utc(instant)}"

    def _compile(self, versions: list[PriceVersion]) -> _Timeline:
        edges = sorted({e for v in versions for e in (v.valid_from, v.valid_to, v.promo_until) if e})
        segments: list[_Segment | None] = []
        for start, end in zip(edges, edges[1:] + [None]):
            active = [v for v in versions if v.valid_from <= start
                      and (v.valid_to is None or (end is not None and v.valid_to >= end))]
            segments.append(self._segment(active, start) if active else None)
        return _Timeline([e.timestamp() for e in edges], segments)

    def _segment(self, active: list[PriceVersion], start: datetime) -> _Segment | None:
        options: list[list[tuple[windows.Window, Rate]]] = [[] for _ in TOKEN_COMPONENTS]
        for v in active:
            if v.component not in TOKEN_COMPONENTS:
                continue
            ended = v.promo_until is not None and start >= v.promo_until and v.list_price is not None
            price = v.list_price if ended else v.price
            assert price is not None
            promo = not ended and v.list_price is not None and v.list_price > v.price
            rate = Rate(int(price.scaleb(self.scale)), price, v.tier, promo)
            try:
                window = windows.parse(v.window)
            except windows.WindowError as exc:
                raise ValueError(f"prices: {v.provider}/{v.model} {v.component} {v.tier}: {exc}") from None
            options[TOKEN_COMPONENTS.index(v.component)].append((window, rate))
        cuts = sorted({edge * 60 for opts in options for w, _ in opts for pair in w.intervals
                       for edge in pair if edge * 60 < WEEK_SECONDS} | {0})
        pieces = [tuple(_pick(opts, cut // 60) for opts in options) for cut in cuts]
        return _Segment(cuts, pieces)


def _pick(options: list[tuple[windows.Window, Rate]], minute: int) -> Rate | None:
    """The rate in force at ``minute`` of the week: a window that holds it beats an always-rate."""
    windowed = [r for w, r in options if not w.always and w.contains_minute(minute)]
    if windowed:
        return min(windowed, key=_tier_order)
    always = [r for w, r in options if w.always]
    return min(always, key=_tier_order) if always else None


def _tier_order(rate: Rate) -> int:
    return TIME_TIERS.index(rate.tier) if rate.tier in TIME_TIERS else len(TIME_TIERS)


def _second_of_week(instant: datetime) -> int:
    return int((instant - _EPOCH_MONDAY).total_seconds()) % WEEK_SECONDS


def _rates_at(timeline: _Timeline, instant: datetime) -> Rates | None:
    i = bisect_right(timeline.edges, instant.timestamp()) - 1
    segment = timeline.segments[i] if i >= 0 else None
    if segment is None:
        return None
    j = bisect_right(segment.piece_starts, _second_of_week(instant)) - 1
    return segment.pieces[j]


def _rates_during(timeline: _Timeline, start: datetime, end: datetime) -> tuple[Rates, Rates] | None:
    """(highest, lowest) rate per component over ``[start, end)``; None if some part has no price."""
    every: list[Rates] = []
    a, b = start.timestamp(), end.timestamp()
    i = bisect_right(timeline.edges, a) - 1
    if i < 0:
        return None
    while i < len(timeline.edges) and timeline.edges[i] < b:
        segment = timeline.segments[i]
        if segment is None:
            return None
        lo = max(a, timeline.edges[i])
        hi = min(b, timeline.edges[i + 1]) if i + 1 < len(timeline.edges) else b
        every.extend(_pieces_between(segment, lo, hi))
        i += 1
    high = tuple(_extreme(rates, max) for rates in zip(*every))
    low = tuple(_extreme(rates, min) for rates in zip(*every))
    return high, low


def _pieces_between(segment: _Segment, a: float, b: float) -> list[Rates]:
    first = _second_of_week(datetime.fromtimestamp(a, timezone.utc))
    span = int(b - a)
    found: list[Rates] = []
    for j, cut in enumerate(segment.piece_starts):
        nxt = segment.piece_starts[j + 1] if j + 1 < len(segment.piece_starts) else WEEK_SECONDS
        for shift in (0, WEEK_SECONDS):  # the span may wrap past the end of the week
            if cut + shift < first + span and nxt + shift > first:
                found.append(segment.pieces[j])
                break
    return found


def _extreme(rates: tuple[Rate | None, ...], pick) -> Rate | None:
    if any(r is None for r in rates):
        return None
    return pick(rates, key=lambda r: r.units)  # type: ignore[arg-type]


def _substitute(component: str, rates: Rates, lowest: Rates) -> tuple[Rate | None, Rate | None, str]:
    """For ``--as``: a model without a cache price bills those tokens at its next rate."""
    order = {"input_cache_write_1h": ("input_cache_write", "input"),
             "input_cache_write": ("input",), "input_cache_hit": ("input",)}.get(component, ())
    for fallback in order:
        i = TOKEN_COMPONENTS.index(fallback)
        if rates[i] is not None:
            return rates[i], lowest[i], f"{component} has no price on this model: billed as {fallback}"
    return None, None, ""


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0




def load_versions(db: "sqlite_utils.Database", currency: str) -> list[PriceVersion]:
    """Every stored price version in ``currency`` (confirmed and scheduled) from the prices table."""
    rows = db.execute(
        'SELECT provider, model, component, tier, "window", currency, price, valid_from, valid_to,'
        " list_price, promo_until FROM prices WHERE currency = ?", [currency]).fetchall()
    return [PriceVersion(p, m, c, t, w or "", cur, Decimal(price), parse_utc(vf),
                         parse_utc(vt) if vt else None, Decimal(lp) if lp else None,
                         parse_utc(pu) if pu else None)
            for p, m, c, t, w, cur, price, vf, vt, lp, pu in rows]


def published_currencies(db: "sqlite_utils.Database") -> dict[str, set[str]]:
    """provider -> the currencies it published prices in (to refuse guessing an exchange rate)."""
    out: dict[str, set[str]] = {}
    for provider, currency in db.execute("SELECT DISTINCT provider, currency FROM prices").fetchall():
        out.setdefault(provider, set()).add(currency)
    return out


__all__ = ["CurrencyNotPublished", "PriceVersion", "Priced", "Pricer", "Rate", "Totals", "Unpriced", "TIME_TIERS",
           "load_versions", "published_currencies"]
