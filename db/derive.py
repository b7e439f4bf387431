"""The one deterministic function from the observation log to price versions and change events.

``derive_history(sources, observations)`` is pure: it reads healthy observations (in
``observed_at`` order, ties by id, so arrival order does not matter) and returns every price
version, change event, announcement and cross-page disagreement.  ``db.history`` stores the
result; running it twice over the same log gives the same rows.

When a change took effect (issue 3):

1. a price the page announced for a future instant takes effect at that instant (basis
   ``announced``); it stays a *scheduled* version until an observation after the instant
   confirms it, or contradicts it (the announcement is then marked ``did_not_happen``).  When an
   announcement covers a (model, component, currency) group, it is that group's whole future
   structure: prices of the group it does not list (flat prices replaced by peak / off-peak
   tiers) end at the same instant, so exactly one price applies to any usage time;
2. a promo shown with an end (``promo_until``) and a struck list price ends at that instant and
   the list price is in force from then (basis ``announced``);
3. otherwise a change happened somewhere in (last observation with the old price, first with
   the new]: it takes effect at the later bound (basis ``observed``) and both bounds are kept.

The first healthy observation of a source opens its prices with basis ``first_observed``: the
price was in force from then on, and nothing is known about earlier.  Each price series is
driven by the one source authoritative for its currency; a page that also shows another
currency (a tab) is only compared with the authoritative history (see ``Disagreement``).  An
observation that shows none of its source's own currencies is ignored: a page that lost its
table is broken, and must not read as "every price removed".

Prices are compared as values, never as text (issue 12).  Two prices are the same price when
they are equal decimals (``0.10`` and ``0.1``), or when they differ by less than one part in a
billion of the larger (``PRICE_NOISE``): providers that publish JSON write a price through a
binary float now and then, so the same $1/12 per 1M comes as ``0.08333333333333333`` one night
and ``0.08333333333333334`` the next.  No real price list moves by a billionth, so such a
difference is noise, not a change: the version in force keeps its first spelling.  A price of 0
equals only 0.  ``same_price`` is the one place this rule lives; ``Terms`` equality and the
guard (``db.guard``) use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from parsers.quote import Quote

#: (provider, model, component, tier, currency): one price series.
Key = tuple[str, str, str, str, str]
#: (provider, model, component, currency): the series an announcement restructures together.
Group = tuple[str, str, str, str]

ANNOUNCED, OBSERVED, FIRST_OBSERVED = "announced", "observed", "first_observed"
CONFIRMED, SCHEDULED = "confirmed", "scheduled"

#: Prices closer than this fraction of the larger one are the same price (float noise).
PRICE_NOISE = Decimal("1e-9")


def same_price(a: Decimal | None, b: Decimal | None) -> bool:
    """Whether ``a`` and ``b`` are the same price by value (see the module docstring)."""
    if a is None or b is None:
        return a is b
    if a == b:
        return True
    if a == 0 or b == 0:
        return False
    return abs(a - b) < PRICE_NOISE * max(abs(a), abs(b))


@dataclass(frozen=True)
class SourceInfo:
    """A stored source: ``currencies`` are those it is authoritative for (empty: any unclaimed)."""

    id: str
    provider: str
    currencies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Observation:
    """One healthy observation: the quotes a source's page showed at ``observed_at``."""

    id: int
    source_id: str
    observed_at: datetime
    quotes: Sequence[Quote]


@dataclass(frozen=True, eq=False)
class Terms:
    """What a series charges during one version; any difference starts a new version.

    Equality compares prices by value (``same_price``), so float noise is not a difference.
    """

    price: Decimal
    list_price: Decimal | None = None
    window: str = ""
    promo_until: datetime | None = None

    @classmethod
    def of(cls, quote: Quote) -> "Terms":
        return cls(quote.price, quote.list_price, quote.window, quote.promo_until)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Terms):
            return NotImplemented
        return (same_price(self.price, other.price) and same_price(self.list_price, other.list_price)
                and self.window == other.window and self.promo_until == other.promo_until)

    __hash__ = None  # type: ignore[assignment]  # equality with a tolerance has no hash

    @property
    def is_promo(self) -> bool:
        return self.promo_until is not None or self.list_price is not None

    def after_promo(self) -> "Terms | None":
        """The terms once the promo ends, when the page said both when and at what list price."""
        if self.promo_until is None or self.list_price is None:
            return None
        return Terms(self.list_price, None, self.window, None)


@dataclass
class Version:
    """One period during which a series had the same terms; ``valid_to`` None: still in force."""

    key: Key
    terms: Terms
    valid_from: datetime
    from_basis: str
    source_id: str
    status: str = CONFIRMED
    valid_from_after: datetime | None = None
    first_observed_at: datetime | None = None
    last_observed_at: datetime | None = None
    valid_to: datetime | None = None
    to_basis: str | None = None


@dataclass(frozen=True)
class Change:
    """A change event between two versions of a series (``old`` / ``new`` None: added / removed)."""

    key: Key
    old: Terms | None
    new: Terms | None
    effective_at: datetime
    basis: str
    observed_after: datetime | None
    observed_at: datetime | None
    status: str
    source_id: str

    @property
    def kind(self) -> str:
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        if self.new.is_promo and not self.old.is_promo:
            return "promo_start"
        if self.old.is_promo and not self.new.is_promo:
            return "promo_end"
        if self.new.price < self.old.price:
            return "cut"
        if self.new.price > self.old.price:
            return "increase"
        return "terms"  # same price, other window, list price or promo end date

    @property
    def percent_change(self) -> Decimal | None:
        if self.old is None or self.new is None or self.old.price == 0:
            return None
        ratio = (self.new.price - self.old.price) / self.old.price * 100
        return ratio.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


@dataclass
class Announcement:
    """A future price (``terms`` None: the series ends) a page announced for ``effective_at``."""

    key: Key
    effective_at: datetime
    terms: Terms | None
    source_id: str
    announced_at: datetime
    last_announced_at: datetime
    status: str = SCHEDULED  # scheduled | confirmed | did_not_happen | withdrawn
    resolved_at: datetime | None = None


@dataclass
class Disagreement:
    """A non-authoritative page showing other terms than the authoritative history, over a run
    of consecutive observations."""

    key: Key
    source_id: str
    authority_id: str
    shown: Terms
    expected: Terms | None
    first_observed_at: datetime
    last_observed_at: datetime


@dataclass
class History:
    versions: list[Version] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    announcements: list[Announcement] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)


def derive_history(sources: Iterable[SourceInfo], observations: Iterable[Observation],
                   only: Set[Key] | None = None) -> History:
    """Every version, change, announcement and disagreement implied by ``observations``.

    ``only`` restricts the result to those series (closed under ``Group``: an announcement
    restructures a group together), which is exactly what the full derivation gives for them:
    series are derived independently but for their group and the instants the source was seen.
    """
    by_id = {s.id: s for s in sources}
    ordered = sorted((o for o in observations if o.source_id in by_id),
                     key=lambda o: (o.observed_at, o.id))
    authority = _Authority(by_id.values())
    history = History()
    for source in sorted(by_id.values(), key=lambda s: s.id):
        timeline = _Timeline(source.id)
        last_quotes: Sequence[Quote] | None = None
        for obs in ordered:
            if obs.source_id != source.id:
                continue
            if obs.quotes is last_quotes and timeline.repeat(obs.observed_at):
                continue  # the same stored page as the source's previous observation
            owned = [q for q in obs.quotes if authority.owns(source, q)]
            if owned:  # a page with none of its own currencies left is broken, not emptied
                timeline.observe(obs.observed_at, owned if only is None else [q for q in owned if q.key in only])
                last_quotes = obs.quotes
        timeline.finish()
        history.versions += [v for v in timeline.all_versions() if v.valid_to != v.valid_from]
        history.changes += timeline.changes
        history.announcements += timeline.announcements
    history.versions.sort(key=lambda v: (v.key, v.valid_from))
    history.changes.sort(key=lambda c: (c.key, c.effective_at, c.observed_at or c.effective_at))
    history.announcements.sort(key=lambda a: (a.key, a.effective_at, a.announced_at))
    history.disagreements = _disagreements(by_id, authority, ordered, history.versions, only)
    return history


def ownership(sources: Iterable[SourceInfo]) -> Callable[[str, Quote], bool]:
    """``owns(source_id, quote)``: whether that source drives the quote's series (``_Authority``)."""
    by_id = {s.id: s for s in sources}
    authority = _Authority(by_id.values())
    return lambda source_id, quote: authority.owns(by_id[source_id], quote)


class _Authority:
    """Which source drives which currency of a provider: the one that claims it, or, for a
    currency nobody claims, any source that claims none."""

    def __init__(self, sources: Iterable[SourceInfo]) -> None:
        self.claims: dict[tuple[str, str], str] = {}
        for s in sorted(sources, key=lambda s: s.id):
            for currency in s.currencies:
                self.claims.setdefault((s.provider, currency), s.id)

    def owner(self, provider: str, currency: str) -> str | None:
        return self.claims.get((provider, currency))

    def owns(self, source: SourceInfo, quote: Quote) -> bool:
        owner = self.owner(quote.provider, quote.currency)
        return owner == source.id if owner else not source.currencies


def _group(key: Key) -> Group:
    provider, model, component, _tier, currency = key
    return (provider, model, component, currency)


class _Timeline:
    """The history of the series one source drives, built observation by observation."""

    def __init__(self, source_id: str) -> None:
        self.source_id = source_id
        self.versions: dict[Key, list[Version]] = {}
        self.pending: dict[tuple[Key, datetime], Announcement] = {}
        self.announcements: list[Announcement] = []
        self.changes: list[Change] = []
        self.last_t: datetime | None = None
        self.last_current: list[Key] = []  # the series in force on the last page observed

    def all_versions(self) -> list[Version]:
        return [v for versions in self.versions.values() for v in versions]

    def open(self, key: Key) -> Version | None:
        versions = self.versions.get(key)
        return versions[-1] if versions and versions[-1].valid_to is None else None

    def open_keys(self) -> set[Key]:
        return {k for k in self.versions if self.open(k) is not None}

    def repeat(self, t: datetime) -> bool:
        """Record at ``t`` the same page as the previous observation, cheaply, when nothing can
        come of it but "still seen" (no announced instant has come due); False: observe it fully.

        This is what ``observe`` does with an identical page, without re-reading every quote:
        the open versions it showed and the announcements it still makes were seen again."""
        if self.last_t is None or any(effective_at <= t for _key, effective_at in self.pending):
            return False
        for key in self.last_current:
            version = self.open(key)
            if version is not None:
                version.last_observed_at = t
        for ann in self.pending.values():
            ann.last_announced_at = t
        self.last_t = t
        return True

    def observe(self, t: datetime, quotes: Sequence[Quote]) -> None:
        current: dict[Key, tuple[Terms, datetime | None]] = {}
        announced: dict[tuple[Key, datetime], Terms] = {}
        for q in quotes:
            if q.effective_from is None or q.effective_from <= t:
                current.setdefault(q.key, (Terms.of(q), q.effective_from))
            else:
                announced.setdefault((q.key, q.effective_from), Terms.of(q))
        confirmed = self._resolve_due(t, current)
        if self.last_t is None:
            for key, (terms, started) in sorted(current.items()):
                basis = ANNOUNCED if started is not None else FIRST_OBSERVED
                self._open(key, terms, started or t, basis, t, CONFIRMED)
        else:
            group_starts = self._group_starts(current)
            for key in sorted(self.open_keys() | current.keys()):
                self._step(key, t, current.get(key), confirmed.get(key), group_starts.get(_group(key)))
        self._announce(t, current, announced)
        self.last_t = t
        self.last_current = list(current)

    def _resolve_due(self, t: datetime, current: dict[Key, tuple[Terms, datetime | None]]
                     ) -> dict[Key, Announcement]:
        """Settle announcements whose instant has passed: confirmed or did_not_happen."""
        confirmed: dict[Key, Announcement] = {}
        for ident in sorted(self.pending, key=lambda i: (i[1], i[0])):
            key, effective_at = ident
            if effective_at > t:
                continue
            ann = self.pending.pop(ident)
            now = current.get(key)
            happened = (now[0] if now else None) == ann.terms
            ann.status, ann.resolved_at = ("confirmed" if happened else "did_not_happen"), t
            if happened:
                confirmed[key] = ann
        return confirmed

    def _group_starts(self, current: dict[Key, tuple[Terms, datetime | None]]) -> dict[Group, datetime]:
        """Per group, the announced start a page shows on prices already in force."""
        starts: dict[Group, datetime] = {}
        for key, (_terms, started) in current.items():
            if started is not None:
                group = _group(key)
                starts[group] = max(started, starts.get(group, started))
        return starts

    def _step(self, key: Key, t: datetime, now: tuple[Terms, datetime | None] | None,
              confirmed: Announcement | None, group_start: datetime | None) -> None:
        old = self.open(key)
        new = now[0] if now else None
        if old is not None and old.terms == new:
            old.last_observed_at = t
            return
        assert self.last_t is not None
        last_t = self.last_t

        def announced_in_gap(instant: datetime | None) -> bool:
            return instant is not None and last_t < instant <= t

        if confirmed is not None:
            when, basis = confirmed.effective_at, ANNOUNCED
        elif (old is not None and new is not None and new == old.terms.after_promo()
              and old.terms.promo_until is not None and old.valid_from < old.terms.promo_until <= t):
            when, basis = old.terms.promo_until, ANNOUNCED
        elif new is not None and now is not None and announced_in_gap(now[1]):
            when, basis = now[1], ANNOUNCED
        elif new is None and announced_in_gap(group_start):
            when, basis = group_start, ANNOUNCED
        else:
            when, basis = t, OBSERVED
        self.changes.append(Change(key, old.terms if old else None, new, when, basis,
                                   observed_after=last_t, observed_at=t, status=CONFIRMED,
                                   source_id=self.source_id))
        if old is not None:
            old.valid_to, old.to_basis = when, basis
        if new is not None:
            version = self._open(key, new, when, basis, t, CONFIRMED)
            version.valid_from_after = last_t if basis == OBSERVED else None

    def _open(self, key: Key, terms: Terms, start: datetime, basis: str,
              observed_at: datetime | None, status: str) -> Version:
        version = Version(key, terms, start, basis, self.source_id, status,
                          first_observed_at=observed_at, last_observed_at=observed_at)
        self.versions.setdefault(key, []).append(version)
        return version

    def _announce(self, t: datetime, current: dict[Key, tuple[Terms, datetime | None]],
                  announced: dict[tuple[Key, datetime], Terms]) -> None:
        """Track what the page now announces; announcements it no longer shows are withdrawn."""
        wanted: dict[tuple[Key, datetime], Terms | None] = dict(announced)
        covered: dict[tuple[Group, datetime], set[Key]] = {}
        for key, effective_at in announced:
            covered.setdefault((_group(key), effective_at), set()).add(key)
        for (group, effective_at), keys in covered.items():
            for key in current:
                if _group(key) == group and key not in keys:
                    wanted[(key, effective_at)] = None  # replaced by the announced structure
        for ident, ann in sorted(self.pending.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            if ident not in wanted or wanted[ident] != ann.terms:
                ann.status, ann.resolved_at = "withdrawn", t
                del self.pending[ident]
        for ident in sorted(wanted, key=lambda i: (i[1], i[0])):
            if ident in self.pending:
                self.pending[ident].last_announced_at = t
            else:
                ann = Announcement(ident[0], ident[1], wanted[ident], self.source_id, t, t)
                self.pending[ident] = ann
                self.announcements.append(ann)

    def finish(self) -> None:
        """Lay out what is scheduled after the last observation: promo ends and announcements."""
        for key in sorted(self.open_keys() | {k for k, _ in self.pending}):
            cur = self.open(key)
            queue = sorted((a for (k, _), a in self.pending.items() if k == key),
                           key=lambda a: a.effective_at)
            while True:
                promo_end = cur.terms.after_promo() if cur else None
                promo_at = cur.terms.promo_until if cur and promo_end else None
                if promo_at is not None and cur is not None and promo_at <= cur.valid_from:
                    promo_at = None
                if promo_at is not None and (not queue or promo_at < queue[0].effective_at):
                    when, terms = promo_at, promo_end
                elif queue:
                    ann = queue.pop(0)
                    when, terms = ann.effective_at, ann.terms
                else:
                    break
                if (cur.terms if cur else None) == terms:
                    continue
                self.changes.append(Change(
                    key, cur.terms if cur else None, terms, when, ANNOUNCED,
                    observed_after=cur.last_observed_at if cur else self.last_t, observed_at=None,
                    status=SCHEDULED, source_id=self.source_id))
                if cur is not None:
                    cur.valid_to, cur.to_basis = when, ANNOUNCED
                cur = self._open(key, terms, when, ANNOUNCED, None, SCHEDULED) if terms else None


def _in_force(versions: Sequence[Version], key: Key, at: datetime) -> Version | None:
    for v in versions:
        if v.key == key and v.valid_from <= at and (v.valid_to is None or at < v.valid_to):
            return v
    return None


def _disagreements(sources: dict[str, SourceInfo], authority: _Authority,
                   observations: Sequence[Observation], versions: Sequence[Version],
                   only: Set[Key] | None = None) -> list[Disagreement]:
    """Prices a page shows for a currency another page is authoritative for, when they differ
    from that page's history at the same instant; consecutive repeats are one row."""
    by_key: dict[Key, list[Version]] = {}
    for v in versions:
        by_key.setdefault(v.key, []).append(v)
    first_seen: dict[str, datetime] = {}
    for obs in observations:
        first_seen.setdefault(obs.source_id, obs.observed_at)
    found: list[Disagreement] = []
    running: dict[tuple[str, Key], Disagreement] = {}
    others: dict[tuple[str, int], tuple[Sequence[Quote], list[Quote]]] = {}
    for obs in observations:
        source = sources[obs.source_id]
        t = obs.observed_at
        page = (source.id, id(obs.quotes))
        if page not in others or others[page][0] is not obs.quotes:  # once per stored page
            others[page] = (obs.quotes, [q for q in obs.quotes if authority.owner(q.provider, q.currency)
                                         not in (None, source.id) and (only is None or q.key in only)])
        for q in others[page][1]:
            owner = authority.owner(q.provider, q.currency)
            if (owner is None or owner == source.id or q.effective_from is not None and q.effective_from > t
                    or owner not in first_seen or first_seen[owner] > t):
                continue
            version = _in_force(by_key.get(q.key, ()), q.key, t)
            shown, expected = Terms.of(q), version.terms if version else None
            ident = (source.id, q.key)
            if (expected is not None and same_price(shown.price, expected.price)
                    and same_price(shown.list_price, expected.list_price)):
                running.pop(ident, None)
                continue
            last = running.get(ident)
            if last is not None and last.shown == shown and last.expected == expected:
                last.last_observed_at = t
            else:
                running[ident] = Disagreement(q.key, source.id, owner, shown, expected, t, t)
                found.append(running[ident])
    return found
