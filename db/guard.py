"""Holding suspect price series back from the history, so a broken read never becomes a price change.

The guard judges *price series*, not pages (issue 12).  A catalogue such as OpenRouter changes
somewhere on almost every night; holding a whole page because one series looks odd would delay or
lose every real change beside it.  So, per source, in ``observed_at`` order (ties by id):

* A series is **suspect** on its own when, against the price the history holds for it, it moves
  by more than ``MAX_FACTOR`` either way (a per-1K price read as per-1M), falls to 0 from a
  non-zero price, or is gone while the page is otherwise whole (its model's component no longer
  priced at all: a tier replaced by other tiers is a new structure, not a loss).  Only that series is held; the
  rest of the observation goes in.  (A new series, or a free one becoming paid, is not suspect.)
* A page is held **whole** when it shows every price at 0 while the history had a non-zero one
  (a template rendered without its data), or when it lost most (more than half) of the prices
  the previous observation of the source showed (a cut-short or half-rendered page), counted per
  (model, component, currency) so that a tier restructure is not a loss.  Every
  series it shows differently from the history is held.
* The next **healthy** observation (one not held whole) decides every held series: it is dropped
  only when that observation shows the old price again (by value, ``db.derive.same_price``);
  otherwise it is confirmed, a third price confirming the move too (that price is then judged and
  recorded in turn).  A page held whole is decided as a page: confirmed (every series it held)
  when the next healthy observation repeats what made it suspect (most of the series it lost are
  still gone; the prices it showed at 0 still read 0), otherwise dropped whole, since a broken
  page says nothing about any one series.  (So a page that really turned every price to 0 is
  never confirmed: that is a broken page far more often than a real price list.)  A held
  observation that is never decided stays *waiting*.
* A confirmed series counts from the observation that first showed it, with that observation's
  window (``observed_after``, ``observed_at``): a real change is never recorded late, and nothing
  a later observation confirms is lost.

``screen`` is a pure function of the observation log, so ``rebuild`` gives exactly the history
the nightly runs gave.  It returns the observations as the history must see them: a held (not
confirmed) series shows the price last accepted for it instead of what the page said, and a page
held whole with nothing confirmed is left out.  Announced (future) prices are not judged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from db.derive import Group, Key, Observation, _group, same_price
from parsers.quote import Quote, decimal_text

#: A price moving by more than this factor either way is suspect (1000x is per-1K vs per-1M).
MAX_FACTOR = Decimal(10)

WAITING, CONFIRMED, DISCARDED = "waiting", "confirmed", "discarded"


@dataclass
class HeldSeries:
    """One series held on one observation: ``old`` the history's quote (None: the series was not
    there), ``new`` the observation's (None: gone)."""

    key: Key
    old: Quote | None
    new: Quote | None
    reason: str
    whole_page: bool
    status: str = WAITING


@dataclass(frozen=True)
class Suspect:
    """An observation with held series; ``status`` is ``waiting`` while any series waits, else
    ``confirmed`` when any was confirmed, else ``discarded``."""

    observation: Observation
    reasons: tuple[str, ...]
    series: tuple[HeldSeries, ...]

    @property
    def status(self) -> str:
        statuses = {s.status for s in self.series}
        if WAITING in statuses:
            return WAITING
        return CONFIRMED if CONFIRMED in statuses else DISCARDED


@dataclass(frozen=True)
class Screened:
    #: the observations the history uses, held series replaced by their accepted price
    accepted: list[Observation]
    #: every observation that held a series, oldest first
    suspects: list[Suspect]


@dataclass
class _Seen:
    """One observation as the guard judged it."""

    observation: Observation
    now: dict[Key, Quote]
    held: list[HeldSeries] = field(default_factory=list)
    page_reasons: tuple[str, ...] = ()
    gone: set[Group] = field(default_factory=set)  # held whole for losing these prices

    @property
    def all_zero(self) -> bool:
        return any(r.startswith("every price reads 0") for r in self.page_reasons)


def screen(observations: Iterable[Observation]) -> Screened:
    """Judge every observation of every source (see the module docstring)."""
    by_source: dict[str, list[Observation]] = {}
    for obs in sorted(observations, key=lambda o: (o.observed_at, o.id)):
        by_source.setdefault(obs.source_id, []).append(obs)
    accepted: list[Observation] = []
    suspects: list[Suspect] = []
    for source in sorted(by_source):
        seen = _judge(by_source[source])
        accepted += _as_accepted(seen)
        suspects += [Suspect(s.observation, s.page_reasons + tuple(h.reason for h in s.held
                                                                     if not s.page_reasons),
                             tuple(s.held)) for s in seen if s.held]
    accepted.sort(key=lambda o: (o.observed_at, o.id))
    suspects.sort(key=lambda s: (s.observation.observed_at, s.observation.id))
    return Screened(accepted, suspects)


def _judge(ordered: Sequence[Observation]) -> list[_Seen]:
    """Pass 1: which series of which observation are held, and how each hold was decided."""
    base: dict[Key, Quote] = {}          # the price the history holds per series
    pending: list[_Seen] = []
    previous_keys: set[Key] | None = None
    out: list[_Seen] = []
    for obs in ordered:
        if (previous_keys is not None and obs.quotes is out[-1].observation.quotes and not pending
                and _timeless(obs.quotes)):
            out.append(_Seen(obs, out[-1].now))  # the same stored quote set as the night before:
            continue                              # the same prices in force, nothing to judge
        seen = _Seen(obs, in_force(obs))
        now = seen.now
        seen.page_reasons, seen.gone = _page_findings(base, previous_keys, now)
        if not seen.page_reasons:
            for earlier in pending:
                _decide(earlier, now, base)
            pending = []
        priced = {_group(key) for key in now}
        for key in sorted(base.keys() | now.keys()):
            old, new = base.get(key), now.get(key)
            reason = (_whole_page_difference(key, old, new) if seen.page_reasons
                      else _series_reason(key, old, new, _group(key) in priced))
            if reason:
                seen.held.append(HeldSeries(key, old, new, reason, bool(seen.page_reasons)))
            elif new is not None:
                base[key] = new
            else:
                base.pop(key, None)  # gone, and not suspect (its tier replaced by others)
        if seen.held:
            pending.append(seen)
        previous_keys = set(now)
        out.append(seen)
    return out


_TIMELESS: dict[int, tuple[Sequence[Quote], bool]] = {}


def _timeless(quotes: Sequence[Quote]) -> bool:
    """Whether no quote of the set is announced for a later instant (so the prices in force do
    not depend on when the set was seen); remembered per stored set."""
    found = _TIMELESS.get(id(quotes))
    if found is None or found[0] is not quotes:
        if len(_TIMELESS) > 4096:
            _TIMELESS.clear()
        found = _TIMELESS[id(quotes)] = (quotes, all(q.effective_from is None for q in quotes))
    return found[1]


def _decide(seen: _Seen, now: dict[Key, Quote], base: dict[Key, Quote]) -> None:
    """Settle the series ``seen`` held, by the next healthy observation (which shows ``now``)."""
    page_real = not seen.page_reasons or _page_repeats(seen, now)
    for held in seen.held:
        shown = now.get(held.key)
        back = (shown is None if held.old is None
                else shown is not None and same_price(shown.price, held.old.price))
        if (seen.page_reasons and not page_real) or (not seen.page_reasons and back):
            held.status = DISCARDED
            continue
        held.status = CONFIRMED
        if held.new is None:
            base.pop(held.key, None)
        else:
            base[held.key] = held.new


def _page_repeats(seen: _Seen, now: dict[Key, Quote]) -> bool:
    """Whether a healthy observation showing ``now`` repeats what held ``seen`` whole: most of
    the series it lost are still gone, and the prices it showed at 0 still read 0."""
    if seen.gone and 2 * len(seen.gone - {_group(key) for key in now}) <= len(seen.gone):
        return False
    zeros = [key for key, q in seen.now.items() if q.price == 0 and key in now]
    return not seen.all_zero or all(now[key].price == 0 for key in zeros) and bool(zeros)


def _page_findings(base: dict[Key, Quote], previous_keys: set[Key] | None,
                   now: dict[Key, Quote]) -> tuple[tuple[str, ...], set[Group]]:
    """Why the whole observation is held (empty: it is healthy), and the prices it lost."""
    reasons = []
    if now and all(q.price == 0 for q in now.values()) and any(q.price > 0 for q in base.values()):
        reasons.append(f"every price reads 0 ({len(now)} prices)")
    before = {_group(key) for key in previous_keys or ()}
    gone = before - {_group(key) for key in now}
    if before and 2 * len(gone) > len(before):
        models = sorted({group[1] for group in gone})
        shown = ", ".join(models[:5]) + (f" and {len(models) - 5} more" if len(models) > 5 else "")
        reasons.append(f"shows {len(before) - len(gone)} of the {len(before)} prices"
                       f" seen before (gone: {shown})")
    else:
        gone = set()
    return tuple(reasons), gone


def _series_reason(key: Key, old: Quote | None, new: Quote | None, group_priced: bool) -> str | None:
    """Why one series of a healthy page is held, or None.  A tier gone while the page still
    prices its model's component (flat prices become peak / off-peak) is a new structure, not a
    lost price."""
    if old is None:
        return None
    name = series_name(key)
    if new is None:
        return None if group_priced else f"{name} gone while the page is otherwise whole"
    if old.price > 0 and new.price == 0:
        return f"{name} moves {decimal_text(old.price)} -> 0"
    if old.price > 0 and new.price > 0 and (new.price > old.price * MAX_FACTOR or old.price > new.price * MAX_FACTOR):
        return f"{name} moves {decimal_text(old.price)} -> {decimal_text(new.price)} (more than {MAX_FACTOR}x)"
    return None


def _whole_page_difference(key: Key, old: Quote | None, new: Quote | None) -> str | None:
    """On a page held whole, every series shown differently from the history is held."""
    if old is None and new is None:
        return None
    if old is not None and new is not None and same_price(old.price, new.price):
        return None
    before = decimal_text(old.price) if old is not None else "none"
    after = decimal_text(new.price) if new is not None else "none"
    return f"{series_name(key)} {before} -> {after} on a page held whole"


def _as_accepted(seen: Sequence[_Seen]) -> list[Observation]:
    """Pass 2: each observation as the history sees it.  A series not accepted shows the quote
    last accepted for it (none: left out); a page held whole with nothing confirmed is left out."""
    shown: dict[Key, Quote] = {}
    out: list[Observation] = []
    last_now: dict[Key, Quote] | None = None
    for s in seen:
        rejected = {h.key for h in s.held if h.status != CONFIRMED}
        if not (s.now is last_now and not rejected):  # the same prices as the night before: shown as is
            for key in [k for k in shown if k not in s.now and k not in rejected]:
                del shown[key]  # gone from the history with this page
            for key, quote in s.now.items():
                if key not in rejected:
                    shown[key] = quote
        last_now = s.now if not rejected else None
        for h in s.held:
            if h.status == CONFIRMED and h.new is None:
                shown.pop(h.key, None)
        if s.page_reasons and not any(h.status == CONFIRMED for h in s.held):
            continue
        if not rejected:
            out.append(s.observation)
            continue
        quotes: list[Quote] = []
        placed: set[Key] = set()
        for q in s.observation.quotes:
            if not _is_in_force(q, s.observation):
                quotes.append(q)
            elif q.key not in rejected:
                quotes.append(q)
            elif q.key not in placed and q.key in shown:
                quotes.append(shown[q.key])
                placed.add(q.key)
        quotes += [shown[key] for key in sorted(rejected - s.now.keys()) if key in shown]
        out.append(replace(s.observation, quotes=quotes))
    return out


def _is_in_force(q: Quote, obs: Observation) -> bool:
    return q.effective_from is None or q.effective_from <= obs.observed_at


def in_force(obs: Observation) -> dict[Key, Quote]:
    """The quote in force per series when ``obs`` was made (announced future prices left out)."""
    prices: dict[Key, Quote] = {}
    for q in obs.quotes:
        if _is_in_force(q, obs):
            prices.setdefault(q.key, q)
    return prices


def series_name(key: Key) -> str:
    _provider, model, component, tier, currency = key
    return f"{model} {component} {tier} {currency}"


__all__ = ["CONFIRMED", "DISCARDED", "MAX_FACTOR", "WAITING", "HeldSeries", "Screened", "Suspect",
           "in_force", "screen", "series_name"]
