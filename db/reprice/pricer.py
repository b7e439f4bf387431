"""Pricing usage rows at the rates in force: the engine behind ``ratecard reprice``, ``explain`` and
the Datasette cost query.  Any other engine (a columnar one) must keep the meanings below exactly.

Compilation.  A price history (versions with ``valid_from``/``valid_to``, promo ends, time-of-day
windows) is compiled once per (provider, model) into a timeline: segments between every instant
where any rate can change, and inside each segment the week cut at every window edge.  Every
piece holds one integer rate per component, so pricing a row is two bisects and a few integer
products: exact (integer units of 10^-(6+scale) of the currency, ``scale`` being the most
decimals any price has) and fast enough to stream millions of rows.

What a time means (the same for ``reprice --at``, ``explain --before/--after``, ``prices --at``
and the Datasette cost query).  A row or an option value is either an *instant* (it has a time
of day; a naive one is UTC) or a *date* (``2025-09-01``: the whole UTC day [00:00, next 00:00)).

* Where a row is priced (:func:`placed`):

  - no ``at``: an instant row at its instant, a date row over its whole day;
  - ``at`` a date D: an instant row at D plus the row's own UTC time of day (so moving usage to
    another date keeps each request's off-peak share); a date row over the whole day D;
  - ``at`` an instant T: every row at T (a date row too).

* An instant is priced at the rates in force at that instant: a version is in force on
  ``[valid_from, valid_to)``, a promo price on ``[valid_from, promo_until)`` and its list price
  from ``promo_until``, a windowed tier when the instant's minute of the UTC week is inside its
  window (``[start, end)``; a window beats an always-rate).
* A whole day is priced at the *highest* rate of each component in force at any moment of the
  day, and when some moment of the day had a lower rate, the *lowest* possible cost (each
  component at its lowest rate of the day) is kept beside it (``lowest_units``) with a note.
  A day some part of which no price covers is unpriced.
* Tiers: a row naming a service tier (batch, flex, priority, fast, ultrafast) is priced on that tier's
  versions only; an instant one whose prompt is over a long-context threshold in force for the
  model takes its tier's own rates for that size (``batch context>272k``) and, where the history
  has none, is unpriced on ``tier`` (its tier's short-prompt rates would be a guess, and low);
  a standard instant row whose prompt (all input, cached or not) exceeds a ``context>Nk``
  threshold takes that tier's rates where it has them (largest threshold first); a whole-day row
  cannot say, so it takes the standard rates, with a note.  A row whose export names the context
  tier it was billed at (``UsageRow.context``: Anthropic's usage report) takes that tier's rates
  (``standard``: none), instant or whole day; a named tier the history lacks leaves it unpriced.
  A component with tokens and no rate makes the row unpriced (never zero); ``--as`` bills missing cache rates at the next rate.

Uncertain change times.  A change the history only bounds, ``from_basis = 'observed'`` with
``valid_from_after`` A and ``valid_from`` B (the old price was seen at A, the new one at B; a
curated entry known only to the day is such a window), happened at an unknown instant of
(A, B).  The stored history places it at B (the *late* timeline).  The pricer also compiles an
*early* timeline where every such change of the model (the new version's start, and the end of
the version(s) it replaced, ``valid_to = B`` with ``to_basis`` not ``announced``) is placed at A;
all windows of a model move together.  A row whose span meets an open window (A, B) (an instant
s with A < s < B; a day [d, d+1) with d < B and A < d+1) is priced on both timelines, each by
the rules above.  If both give the same cost and lowest cost, the row is exact.  Otherwise
``uncertain`` carries the window (the first one meeting the row) and both costs
(``units_before``: the late timeline, the change not yet made; ``units_after``: the early one);
``units`` and the components are those of the side with the higher cost (the late side on a
tie), and ``lowest_units`` is the lowest of both sides' costs and whole-day lowest costs.  If
the late side cannot price the row, it is unpriced; if only the early side cannot (a component
only one side prices), the row keeps the late cost with a note.  Rows at A or B, and outside every window, are exact.  Additions with no
version before them (a new model) and removals with nothing after them are not windows: usage
before a model's first price is unpriced, usage up to a removal is priced at the last price (with
a note when the removal was only observed and the row falls after the model was last seen).
Totals sum ``units`` and ``lowest_units`` (``units`` where None) over rows, and the bill under
each placement (``if_later_units``: ``units_before`` for uncertain rows, else ``units``;
``if_earlier_units`` likewise); the batch path gives these to the last unit.

Unpriced, never zero.  A row no price covers is *unpriced*, with the field that explains it and
the reason; a retired model's row says when its last price ended.  Model ids are matched as
given, then case-insensitively (``DeepSeek-Chat`` is ``deepseek-chat``), then as a dated snapshot
of a priced model (``-20250929``), which is noted.  An alias the history does not price itself at
the row's time (``mistral-large-latest``) is priced on the snapshot it named then
(:mod:`db.reprice.aliases`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from db.reprice.usage import TOKEN_COMPONENTS, UsageRow
from parsers import window as windows
from parsers.quote import decimal_text, iso_utc, parse_utc

if TYPE_CHECKING:
    import sqlite_utils

#: Long-context tiers (``context>200k``): they replace the rates of a request whose prompt (all
#: input, cached or not) has more tokens than the threshold.
_CONTEXT_TIER = re.compile(r"^context>(\d+)k$")
#: A service tier's own long-context rates (``batch context>272k``: OpenAI prints Batch, Flex and
#: Priority prices for prompts over 272K tokens).
_SERVICE_CONTEXT_TIER = re.compile(r"^(batch|flex|priority|fast|ultrafast) context>(\d+)k$")
#: A dated snapshot id: the model id, then ``-20250929``, ``-2024-08-06`` or ``-0709``.
_SNAPSHOT_RE = re.compile(r"^(?P<model>.+?)-(?:\d{8}|\d{4}-\d{2}-\d{2}|\d{4})$")

#: Tiers that are a time of day (chosen by their window): the rates of standard service.
TIME_TIERS = ("standard", "off_peak", "peak")
#: Services a usage row may name in its ``service_tier`` column; never picked otherwise.
SERVICE_TIERS = ("batch", "flex", "priority", "fast", "ultrafast")
WEEK_SECONDS = 7 * 86400
DAY = timedelta(days=1)
_DATE_ONLY = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")
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
    valid_from_after: datetime | None = None  # an observed start lies in (valid_from_after, valid_from)
    to_basis: str | None = None                # announced | observed | None (unknown or open)
    last_observed_at: datetime | None = None   # the last observation that showed this version


class When(NamedTuple):
    """A time given on the command line (or in the browser): an instant, or a whole UTC day."""

    start: datetime   # the instant, or the day's 00:00 UTC
    whole_day: bool = False

    def text(self) -> str:
        return self.start.date().isoformat() if self.whole_day else iso_utc(self.start)


def parse_when(text: str) -> When:
    """``2025-09-01`` is that whole UTC day; anything with a time is an instant (naive = UTC)."""
    if _DATE_ONLY.match(text):
        day = datetime.fromisoformat(text.strip())
        return When(day.replace(tzinfo=timezone.utc), True)
    return When(parse_utc(text), False)


def placed(row: UsageRow, at: "When | datetime | None") -> tuple[datetime, bool]:
    """Where a row is priced: (start, whole day?) by the table in the module docstring."""
    if at is None:
        return row.start, row.whole_day
    if isinstance(at, datetime):
        return at, False
    if not at.whole_day:
        return at.start, False
    if row.whole_day:
        return at.start, True
    offset = row.start - row.start.replace(hour=0, minute=0, second=0, microsecond=0)
    return at.start + offset, False


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


class Uncertain(NamedTuple):
    """A row inside the window of a change whose instant is unknown: both costs."""

    after: datetime       # the old price was still seen then
    by: datetime          # the new price was seen then
    units_before: int     # the cost if the change came after the row
    units_after: int      # the cost if it came before


class Priced(NamedTuple):
    """One priced row.  ``units`` are exact integer cost units (see :meth:`Pricer.money`)."""

    row: UsageRow
    provider: str           # the provider/model priced (differs from the row's under --as)
    model: str
    units: int              # total cost (the highest possible)
    components: tuple[tuple[str, int, Rate, int], ...]  # (component, tokens, rate, cost units)
    lowest_units: int | None  # set when the row could have cost less (a whole day, an uncertain change)
    notes: tuple[str, ...]
    uncertain: Uncertain | None = None  # set when a change of unknown instant may apply to the row
    start: datetime | None = None       # where the row was priced (its own time, or moved by ``at``)
    whole_day: bool = False


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
    uncertain_rows: int = 0        # rows inside the window of a change of unknown instant
    if_later_units: int = 0        # the total if every such change came after its rows
    if_earlier_units: int = 0      # ... and if it came before them

    def add(self, priced: Priced) -> None:
        if priced.uncertain is not None:
            self.uncertain_rows += 1
            self.if_later_units += priced.uncertain.units_before
            self.if_earlier_units += priced.uncertain.units_after
        else:
            self.if_later_units += priced.units
            self.if_earlier_units += priced.units
        self.units += priced.units
        self.lowest_units += priced.units if priced.lowest_units is None else priced.lowest_units
        start = priced.row.start
        key = (priced.provider, priced.model, "%04d-%02d" % (start.year, start.month))
        self.by_model_month[key] = self.by_model_month.get(key, 0) + priced.units
        for component, _, _, units in priced.components:
            self.by_component[component] = self.by_component.get(component, 0) + units
        self.priced_rows += 1


@dataclass
class _Book:
    """One compiled placement of the history (late: as stored; early: uncertain changes moved)."""

    timelines: dict[tuple[str, str], _Timeline]
    services: dict[tuple[str, str, str], _Timeline]
    context: dict[tuple[str, str], list[tuple[int, _Timeline]]]
    #: (provider, model, service tier) -> that tier's long-context timelines, largest threshold first
    service_context: dict[tuple[str, str, str], list[tuple[int, _Timeline]]]


class Pricer:
    """Prices usage rows in one currency from a set of price versions."""

    def __init__(self, versions: Iterable[PriceVersion], currency: str,
                 published: dict[str, set[str]] | None = None) -> None:
        self.currency = currency
        self.published = published or {}
        mine = [v for v in versions if v.currency == currency]
        used = [v for v in mine if v.tier in TIME_TIERS or v.tier in SERVICE_TIERS or _CONTEXT_TIER.match(v.tier)
                or _SERVICE_CONTEXT_TIER.match(v.tier)]
        self.scale = max([_decimals(v.price) for v in used]
                         + [_decimals(v.list_price) for v in used if v.list_price is not None] + [0])
        self.unit = Decimal(1).scaleb(-(6 + self.scale))
        by_model: dict[tuple[str, str], list[PriceVersion]] = {}
        for v in used:
            by_model.setdefault((v.provider, v.model), []).append(v)
        #: (provider, model) -> sorted windows (A, B) of changes known only to lie between A and B.
        self._windows: dict[tuple[str, str], list[tuple[float, float]]] = {}
        early: list[PriceVersion] = []
        for key, vs in by_model.items():
            moves = _uncertain_moves(vs)
            if moves:
                self._windows[key] = sorted((a.timestamp(), b.timestamp()) for b, a in moves.items())
            early += _moved(vs, moves) if moves else vs
        self._late = self._book(used)
        self._early = self._book(early) if self._windows else self._late
        self._timelines = self._late.timelines
        self._context = self._late.context
        self._first = {key: min(v.valid_from for v in vs) for key, vs in by_model.items()}
        self._removed: dict[tuple[str, str], tuple[datetime, datetime | None]] = {}
        for key, vs in by_model.items():
            if all(v.valid_to is not None for v in vs):
                last = max(vs, key=lambda v: v.valid_to)  # type: ignore[arg-type, return-value]
                seen = last.last_observed_at if last.to_basis == "observed" else None
                self._removed[key] = (last.valid_to, seen)  # type: ignore[assignment]
        self._folded = {(p, m.lower()): m for p, m in self._timelines}
        self.providers = {provider for provider, _ in self._timelines}

    def _book(self, versions: list[PriceVersion]) -> _Book:
        by_model: dict[tuple[str, str], list[PriceVersion]] = {}
        by_service: dict[tuple[str, str, str], list[PriceVersion]] = {}
        by_context: dict[tuple[str, str, int], list[PriceVersion]] = {}
        by_service_context: dict[tuple[str, str, str, int], list[PriceVersion]] = {}
        for v in versions:
            if v.tier in TIME_TIERS:
                by_model.setdefault((v.provider, v.model), []).append(v)
            elif v.tier in SERVICE_TIERS:
                by_service.setdefault((v.provider, v.model, v.tier), []).append(v)
            elif (both := _SERVICE_CONTEXT_TIER.match(v.tier)) is not None:
                by_service_context.setdefault((v.provider, v.model, both.group(1), int(both.group(2)) * 1000),
                                              []).append(v)
            else:
                threshold = int(_CONTEXT_TIER.match(v.tier).group(1)) * 1000  # type: ignore[union-attr]
                by_context.setdefault((v.provider, v.model, threshold), []).append(v)
        context: dict[tuple[str, str], list[tuple[int, _Timeline]]] = {}
        for (provider, model, threshold), vs in sorted(by_context.items(), key=lambda kv: -kv[0][2]):
            context.setdefault((provider, model), []).append((threshold, self._compile(vs)))
        service_context: dict[tuple[str, str, str], list[tuple[int, _Timeline]]] = {}
        for (provider, model, tier, threshold), vs in sorted(by_service_context.items(), key=lambda kv: -kv[0][3]):
            service_context.setdefault((provider, model, tier), []).append((threshold, self._compile(vs)))
        return _Book({key: self._compile(vs) for key, vs in by_model.items()},
                     {key: self._compile(vs) for key, vs in by_service.items()}, context, service_context)

    def money(self, units: int) -> Decimal:
        """Exact currency amount of ``units`` cost units."""
        return (Decimal(units) * self.unit).normalize() if units else Decimal(0)

    def canonical(self, provider: str, model: str) -> str | None:
        """The model id the history prices for ``model`` (exact, else ignoring case), or None."""
        if (provider, model) in self._timelines:
            return model
        return self._folded.get((provider, model.lower()))

    def knows(self, provider: str, model: str) -> bool:
        return self.canonical(provider, model) is not None

    def resolve(self, provider: str, model: str) -> tuple[str, tuple[str, ...]]:
        """The priced model a usage row's model id stands for, with a note when it is another id.

        APIs report dated snapshot ids (``claude-sonnet-4-5-20250929``, ``gpt-4o-2024-08-06``)
        while pages price the model (``claude-sonnet-4-5``).  A snapshot the history prices itself
        keeps its own price; only one it does not know falls back to its model, and says so.
        Case is not significant (``DeepSeek-Chat`` is ``deepseek-chat``).
        """
        known = self.canonical(provider, model)
        if known is not None:
            return known, ()
        m = _SNAPSHOT_RE.match(model)
        base = self.canonical(provider, m.group("model")) if m else None
        if base is not None:
            return base, (f"{model} priced as {base}: the history has no price for the snapshot id itself",)
        return model, ()

    def has_context_tiers(self, provider: str, model: str) -> bool:
        """Whether a row's rates on this model also depend on its prompt length."""
        return (provider, model) in self._context

    def uncertain(self, provider: str, model: str, start: float, end: float) -> tuple[float, float] | None:
        """The first window (A, B) of a change of unknown instant that meets ``[start, end]``
        (timestamps; ``start == end`` for an instant): A < end and start < B, strictly."""
        for a, b in self._windows.get((provider, model), ()):
            if a < end and start < b and (start != end or a < start):
                return a, b
        return None

    def price(self, row: UsageRow, at: When | datetime | None = None,
              target: tuple[str, str] | None = None) -> Priced | Unpriced:
        """Price ``row`` at its own time (or moved by ``at``), on its own model (or ``target``)."""
        provider, model = target or (row.provider, row.model)
        notes: tuple[str, ...] = ()
        if target is None:
            from db.reprice.aliases import price_by_alias  # ids naming other snapshots over time
            aliased = price_by_alias(self, row, at)
            if aliased is not None:
                return aliased
            model, notes = self.resolve(provider, model)
        if (provider, model) not in self._timelines:
            if provider not in self.providers:
                if self.published.get(provider):
                    raise CurrencyNotPublished(
                        f"{provider} does not publish prices in {self.currency} (it publishes "
                        f"{', '.join(sorted(self.published[provider]))}); ratecard does not guess exchange rates")
                return Unpriced(row, "provider", f"unknown provider {provider!r}: no price in the history")
            return Unpriced(row, "model", f"unknown model {provider}/{model}: no {self.currency} price in the history")
        start, whole_day = (row.start, row.whole_day) if at is None else placed(row, at)
        removed = self._removed.get((provider, model))
        if (removed is not None and removed[1] is not None
                and removed[1] < (start + DAY if whole_day else start) and start < removed[0]):
            notes += (f"{provider}/{model} was no longer listed at {iso_utc(removed[0])} (last seen"
                      f" {iso_utc(removed[1])}): priced at its last listed price",)
        late = self._price_in(self._late, row, provider, model, start, whole_day, target is not None, notes)
        if (provider, model) not in self._windows or isinstance(late, Unpriced):
            return late  # the common case: no change of unknown instant on this model
        end = start + DAY if whole_day else start
        window = self.uncertain(provider, model, start.timestamp(), end.timestamp())
        if window is None:
            return late
        early = self._price_in(self._early, row, provider, model, start, whole_day, target is not None, notes)
        a, b = (datetime.fromtimestamp(t, timezone.utc) for t in window)
        if isinstance(early, Priced) and (early.units, early.lowest_units) == (late.units, late.lowest_units):
            return late  # the change does not touch what this row used
        if isinstance(early, Unpriced):
            return late._replace(notes=late.notes + (
                f"the price changed at an unknown instant between {iso_utc(a)} and {iso_utc(b)}, and the"
                f" price after it does not cover this row ({early.reason}): priced at the price before",))
        high = late if late.units >= early.units else early
        low = min(late.units if late.lowest_units is None else late.lowest_units,
                  early.units if early.lowest_units is None else early.lowest_units)
        note = (f"the price changed at an unknown instant between {iso_utc(a)} and {iso_utc(b)}:"
                f" {decimal_text(self.money(late.units))} at the price before,"
                f" {decimal_text(self.money(early.units))} at the price after; the higher is counted")
        notes_out = tuple(n for n in high.notes) + (note,)
        return high._replace(lowest_units=low if low != high.units else None, notes=notes_out,
                             uncertain=Uncertain(a, b, late.units, early.units))

    def _price_in(self, book: _Book, row: UsageRow, provider: str, model: str, start: datetime,
                  whole_day: bool, substitute: bool, notes: tuple[str, ...]) -> Priced | Unpriced:
        """The row priced on one placement of the history (see :class:`_Book`)."""
        timeline = book.timelines.get((provider, model))
        if timeline is None:  # the early placement moved every version of this model away
            return Unpriced(row, "time", self._no_price_reason(provider, model, start))
        if row.tier != "standard":
            timeline = book.services.get((provider, model, row.tier))
            if timeline is None:
                return Unpriced(row, "tier", f"{provider}/{model} has no {row.tier} price in {self.currency}"
                                             " in the history")
        billed = _billed_context(book, provider, model, row.context if row.tier == "standard" else "")
        if row.tier != "standard" and _CONTEXT_TIER.match(row.context):
            # the export says a batch (fast, ...) request was billed at a long-context tier: that
            # service tier's own rates for the size, where the history has them
            billed = _billed_service_context(book, provider, model, row.tier, row.context)
            if billed is None:
                return Unpriced(row, "tier", f"{provider}/{model}: ratecard has no {row.tier} {row.context} rates"
                                             " (the usage export says it was billed so)")
        if isinstance(billed, str):
            return Unpriced(row, "tier", f"{provider}/{model} has no {billed} price in {self.currency}"
                                         " in the history (the usage export says it was billed so)")
        if not whole_day:
            rates = _rates_at(timeline, start)
            if rates is None:
                return Unpriced(row, "time", self._no_price_reason(provider, model, start))
            if billed is not None:  # the export named the context tier it billed: no guessing
                long = _rates_at(billed, start)
                if long is None:
                    return Unpriced(row, "time", f"{provider}/{model} has no {row.context} price at {iso_utc(start)}")
                rates = tuple(lr if lr is not None else r for lr, r in zip(long, rates))
            elif row.tier == "standard" and row.context != "standard":
                rates = self._long_context(book, provider, model, start, row.tokens, rates)
            elif row.context != "standard":
                long = self._service_long_context(book, row, provider, model, start, rates)
                if isinstance(long, Unpriced):
                    return long
                rates = long
            return self._cost(row, provider, model, rates, None, substitute, start, False, notes)
        choices = _rates_during(timeline, start, start + DAY)
        if choices is None:
            return Unpriced(row, "time", self._no_day_reason(provider, model, start))
        if billed is not None:
            long_choices = _rates_during(billed, start, start + DAY)
            if long_choices is None:
                return Unpriced(row, "time", f"{provider}/{model} {row.context}: no price covers all of"
                                             f" {start.date().isoformat()}")
            choices = tuple(tuple(lr if lr is not None else r for lr, r in zip(long, std))
                            for long, std in zip(long_choices, choices))  # type: ignore[assignment]
        elif (provider, model) in book.context and row.tier == "standard" and row.context != "standard":
            notes += ("long-context prices exist for this model, but a daily total cannot say which"
                      " requests had long prompts: priced at the standard rates",)
        return self._cost(row, provider, model, choices[0], choices[1], substitute, start, True, notes)

    def _long_context(self, book: _Book, provider: str, model: str, instant: datetime,
                      tokens: tuple[int, ...], rates: Rates) -> Rates:
        """A request whose prompt is over a context threshold pays that tier's rates."""
        prompt = sum(tokens[:4])  # every kind of input: uncached, cache hit, cache writes
        for threshold, timeline in book.context.get((provider, model), ()):
            if prompt > threshold:
                long = _rates_at(timeline, instant)
                if long is not None:
                    return tuple(lr if lr is not None else r for lr, r in zip(long, rates))
        return rates

    def _service_long_context(self, book: _Book, row: UsageRow, provider: str, model: str,
                              instant: datetime, rates: Rates) -> "Rates | Unpriced":
        """A batch, flex, priority or fast request whose prompt is over a long-context threshold
        in force for the model (its standard tier switches to dearer rates there) pays its own
        tier's rates for that size (``batch context>272k``), largest threshold first.  When the
        history has none for a threshold that large, the tier's usual rates would be a guess
        (Anthropic's fast mode and batch discount both follow the long-context price), so the
        row is unpriced on its tier, never priced low."""
        prompt = sum(row.tokens[:4])
        standard = next((t for t, timeline in book.context.get((provider, model), ())
                         if prompt > t and _rates_at(timeline, instant) is not None), None)
        own = next(((t, long) for t, timeline in book.service_context.get((provider, model, row.tier), ())
                    if prompt > t and (long := _rates_at(timeline, instant)) is not None), None)
        if own is not None and (standard is None or own[0] >= standard):
            return tuple(lr if lr is not None else r for lr, r in zip(own[1], rates))
        if standard is None:
            return rates
        return Unpriced(row, "tier", f"{provider}/{model}: a {prompt}-token prompt is over the {standard // 1000}k"
                                     f" long-context threshold, and the history has no {row.tier} price for"
                                     f" prompts that long at {iso_utc(instant)} (its {row.tier} rates are for"
                                     " shorter prompts)")

    def _cost(self, row: UsageRow, provider: str, model: str, rates: Rates, lowest: Rates | None,
              substitute: bool, start: datetime, whole_day: bool,
              notes_before: tuple[str, ...] = ()) -> Priced | Unpriced:
        """Cost ``row`` at ``rates`` (``lowest``: the cheapest rates of its day, for a whole day)."""
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
                when = start.date().isoformat() if whole_day else iso_utc(start)
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
        return Priced(row, provider, model, total, tuple(parts), lowest_units, tuple(notes),
                      None, start, whole_day)

    def rates_at(self, provider: str, model: str, instant: datetime) -> Rates | None:
        """The rate per component in force at ``instant`` (None: no price at all then)."""
        timeline = self._timelines.get((provider, model))
        return None if timeline is None else _rates_at(timeline, instant)

    def _no_price_reason(self, provider: str, model: str, instant: datetime) -> str:
        first = self._first[(provider, model)]
        if instant < first:
            return f"{iso_utc(instant)} is before the history of {provider}/{model} starts ({iso_utc(first)})"
        removed = self._removed_reason(provider, model, instant)
        return removed or f"no {self.currency} price for {provider}/{model} in force at {iso_utc(instant)}"

    def _no_day_reason(self, provider: str, model: str, day: datetime) -> str:
        removed = self._removed_reason(provider, model, day + DAY - timedelta(microseconds=1))
        if removed:
            return removed
        return (f"{provider}/{model} has no price for all of the day {day.date().isoformat()}"
                f" (history starts {iso_utc(self._first[(provider, model)])})")

    def _removed_reason(self, provider: str, model: str, instant: datetime) -> str | None:
        """A retired model: when its last price ended (and the last time it was seen, when the
        removal was only observed)."""
        removed = self._removed.get((provider, model))
        if removed is None or instant < removed[0]:
            return None
        ended, seen = removed
        when = (f"between {iso_utc(seen)} (last seen) and {iso_utc(ended)}" if seen is not None and seen < ended
                else f"at {iso_utc(ended)}")
        return f"{provider}/{model} was removed from the price list {when}: no {self.currency} price after that"

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


def _uncertain_moves(versions: list[PriceVersion]) -> dict[datetime, datetime]:
    """B -> A for every change of one model known only to lie in (A, B): a version that starts at
    B with ``valid_from_after`` A, replacing a version that ends at B (not at an announced instant)."""
    ends = {v.valid_to for v in versions if v.valid_to is not None and v.to_basis != "announced"}
    return {v.valid_from: v.valid_from_after for v in versions
            if v.valid_from_after is not None and v.valid_from_after < v.valid_from and v.valid_from in ends}


def _moved(versions: list[PriceVersion], moves: dict[datetime, datetime]) -> list[PriceVersion]:
    """The versions with every uncertain change placed at its earliest bound."""
    out = []
    for v in versions:
        start = moves.get(v.valid_from, v.valid_from) if v.valid_from_after is not None else v.valid_from
        end = v.valid_to
        if end is not None and v.to_basis != "announced":
            end = moves.get(end, end)
        if end is None or start < end:
            out.append(replace(v, valid_from=start, valid_to=end))
    return out


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


def _billed_service_context(book: _Book, provider: str, model: str, tier: str, context: str) -> "_Timeline | None":
    """The timeline of a service tier's own long-context rates (``batch context>200k``) that a
    usage export says it billed, or None when the history has none."""
    threshold = int(_CONTEXT_TIER.match(context).group(1)) * 1000  # type: ignore[union-attr]
    return next((timeline for known, timeline in book.service_context.get((provider, model, tier), ())
                 if known == threshold), None)


def _billed_context(book: _Book, provider: str, model: str, context: str) -> "_Timeline | str | None":
    """The timeline of the context tier a usage export says it billed (``UsageRow.context``):
    None for none named ("" or "standard"), the tier's name when the history has no such tier."""
    match = _CONTEXT_TIER.match(context)
    if match is None:
        return None
    threshold = int(match.group(1)) * 1000
    for known, timeline in book.context.get((provider, model), ()):
        if known == threshold:
            return timeline
    return context


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
        " list_price, promo_until, valid_from_after, to_basis, last_observed_at"
        " FROM prices WHERE currency = ?", [currency]).fetchall()
    return [PriceVersion(p, m, c, t, w or "", cur, Decimal(price), parse_utc(vf),
                         parse_utc(vt) if vt else None, Decimal(lp) if lp else None,
                         parse_utc(pu) if pu else None, parse_utc(after) if after else None,
                         to_basis, parse_utc(seen) if seen else None)
            for p, m, c, t, w, cur, price, vf, vt, lp, pu, after, to_basis, seen in rows]


def published_currencies(db: "sqlite_utils.Database") -> dict[str, set[str]]:
    """provider -> the currencies it published prices in (to refuse guessing an exchange rate)."""
    out: dict[str, set[str]] = {}
    for provider, currency in db.execute("SELECT DISTINCT provider, currency FROM prices").fetchall():
        out.setdefault(provider, set()).add(currency)
    return out


__all__ = ["CurrencyNotPublished", "PriceVersion", "Priced", "Pricer", "Rate", "Totals", "Uncertain", "Unpriced",
           "TIME_TIERS", "When", "load_versions", "parse_when", "placed", "published_currencies"]
