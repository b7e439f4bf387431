"""The curated history: known past price changes, shipped as data and loaded into the observation log.

A tracker that starts today knows nothing about last year, and neither archives nor mirrors
cover every change.  ``db/curated/<provider>.json`` records what each provider published, one
*entry* per documented state of its prices, with the public URL that states it.

Design: an entry is fed to the same observation log as a live fetch, never written to the
derived tables directly, so the derive rules (promo ends, announced instants, removals) apply
unchanged and a curated fact and a scraped page of the same instant agree by construction.

* An entry is a **snapshot**: every price the provider charged from ``at`` on (a model it no
  longer lists is removed).  Each price is recorded against the source authoritative for its
  currency (``deepseek-en`` for USD, ``deepseek-zh-cn`` for CNY), so archives and live pages of
  that source continue the same series.
* ``exact: true`` means the source gives the instant (``2025-02-08T16:00:00Z``): the prices carry
  it as ``effective_from`` and the derived change has basis ``announced``.  ``exact: false``
  means only the day is known; the observation is taken at ``at`` and the change has basis
  ``observed`` (it happened after the previous entry, no later than ``at``).  Such entries put
  ``at`` at the start of the day for a launch (no usage can precede it) and at the end of the
  day for a change to an existing price (the old price is kept until the change is certain).
  Such an entry may say ``changed_after``: an instant at which the previous entry's prices were
  still in force (the start of the day the source dates the change, in the provider's time zone).
  It is recorded as an observation of the previous entry's prices at that instant, so the change
  is known to lie in (``changed_after``, ``at``): ``prices.valid_from_after`` .. ``valid_from``,
  the window the pricer prices on both sides.  Without it the window runs from the previous entry.
* A file may say ``"each_entry": "changes"``: then an entry lists only the prices that are new
  or changed from ``at`` (a row replaces the previous entry's row of the same model, tier and
  currency), plus ``removed``: models the provider stopped pricing.  Every other price of the
  previous entry carries over, so each entry still stands for the provider's whole price list (a
  snapshot, as above) while a file of forty models and thirty changes stays readable.  The
  default, ``"snapshot"``, lists every price in each entry.
* Curated observations are ``archive`` observations with no body, ``parser_version`` ``curated``
  and ``url`` the entry's public source.  ``reparse`` leaves them alone (no body to re-read).

Loading is a sync: observations of entries no longer in the data are deleted, missing ones
inserted, unchanged ones kept, so loading twice adds nothing and a corrected file replaces the
old facts.  Money is JSON strings (exact); a bad file is rejected whole, naming file and field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import sqlite_utils

from db.errors import DataError
from db.jsonfields import FieldReader, read_json
from db.observe import record_observation, store_quote_set
from parsers import registry
from parsers import window as windows
from parsers.quote import COMPONENTS, Quote, decimal_text, iso_utc, parse_utc
from parsers.registry import Source

CURATED_DIR = Path(__file__).with_name("curated")
PARSER_VERSION = "curated"
_ENTRY_KEYS = {"at", "exact", "source_url", "note", "prices", "changed_after", "removed"}
_ROW_KEYS = {"model", "currency", "tier", "window", "list", "promo_until", *COMPONENTS}
_FILE_KEYS = {"provider", "description", "entries", "each_entry"}
#: How an entry relates to the previous one (see the module docstring).
_EACH_ENTRY = ("snapshot", "changes")


class CuratedError(DataError):
    """A curated file that does not follow the format; the message names file and field."""


@dataclass(frozen=True)
class Entry:
    """One documented state of a provider's prices, as quotes ready to record."""

    at: datetime
    exact: bool
    source_url: str
    note: str
    quotes: tuple[Quote, ...]
    changed_after: datetime | None = None  # the previous entry's prices were still in force then


@dataclass(frozen=True)
class CuratedHistory:
    provider: str
    sources: tuple[Source, ...]
    entries: tuple[Entry, ...]
    path: Path

    def source_for(self, currency: str) -> Source:
        """The source authoritative for ``currency`` (validated to exist when the file is read)."""
        return next(s for s in self.sources if currency in s.currencies)


@dataclass(frozen=True)
class LoadResult:
    inserted: int
    deleted: int
    kept: int


def curated_files(directory: Path | None = None) -> list[Path]:
    return sorted((directory or CURATED_DIR).glob("*.json"))


def read_all(directory: Path | None = None) -> list[CuratedHistory]:
    """Every curated file (default: the shipped ones), validated; a bad one raises :class:`CuratedError`."""
    return [read_file(path) for path in curated_files(directory)]


def read_file(path: Path) -> CuratedHistory:
    """Read and validate one curated file."""
    return _History(path).read(read_json(path, CuratedError))


class _History(FieldReader):
    """Validation of one file; every error says ``file: field path: problem``."""

    error = CuratedError

    def read(self, data: Any) -> CuratedHistory:
        self.object(data, "(top level)", _FILE_KEYS, {"provider", "entries"})
        provider = self.text(data["provider"], "provider")
        sources = self.sources(provider)
        mode = data.get("each_entry", "snapshot")
        if mode not in _EACH_ENTRY:
            raise self.fail("each_entry", f"{mode!r} is not one of {', '.join(_EACH_ENTRY)}")
        entries: list[Entry] = []
        raw_entries = data["entries"]
        if not isinstance(raw_entries, list) or not raw_entries:
            raise self.fail("entries", "must be a non-empty list")
        for i, raw in enumerate(raw_entries):
            entry = self.entry(provider, sources, raw, f"entries[{i}]", mode == "changes")
            if mode == "changes":
                entry = self.carried(entry, entries[-1] if entries else None, raw, f"entries[{i}]")
            if entries and entry.at <= entries[-1].at:
                raise self.fail(f"entries[{i}].at", f"{iso_utc(entry.at)} is not after the previous entry"
                                f" ({iso_utc(entries[-1].at)}); entries must be in time order")
            if entry.changed_after is not None and (
                    not entries or not entries[-1].at < entry.changed_after < entry.at or entry.exact):
                raise self.fail(f"entries[{i}].changed_after", "must lie between the previous entry's at and"
                                " this entry's at, on an entry with exact false")
            entries.append(entry)
        return CuratedHistory(provider, sources, tuple(entries), self.path)

    def sources(self, provider: str) -> tuple[Source, ...]:
        if provider not in registry.PROVIDER_MODULES:
            raise self.fail("provider", f"unknown provider {provider!r} (known: {', '.join(registry.providers())})")
        return tuple(registry.sources(provider))

    def carried(self, entry: Entry, previous: Entry | None, raw: dict, where: str) -> Entry:
        """A ``changes`` entry made whole: the previous entry's prices it neither restates nor
        removes carry over (stamped with this entry's instant when it is exact)."""
        removed = raw.get("removed", [])
        if not isinstance(removed, list) or not all(isinstance(m, str) and m for m in removed):
            raise self.fail(f"{where}.removed", "must be a list of model ids")
        before = previous.quotes if previous is not None else ()
        unknown = sorted(set(removed) - {q.model for q in before})
        if unknown:
            raise self.fail(f"{where}.removed", f"{unknown[0]!r} has no price before this entry")
        restated = {(q.model, q.tier, q.currency) for q in entry.quotes}
        kept = tuple(dataclasses.replace(q, effective_from=entry.at if entry.exact else None)
                     for q in before if q.model not in removed and (q.model, q.tier, q.currency) not in restated)
        if not kept and not entry.quotes:
            raise self.fail(where, "an entry must leave at least one price")
        return dataclasses.replace(entry, quotes=kept + entry.quotes)

    def entry(self, provider: str, sources: tuple[Source, ...], raw: Any, where: str,
              changes: bool = False) -> Entry:
        self.object(raw, where, _ENTRY_KEYS, {"at", "exact", "source_url", "prices"})
        at = self.instant(raw["at"], f"{where}.at")
        exact = raw["exact"]
        if not isinstance(exact, bool):
            raise self.fail(f"{where}.exact", "must be true (the source gives the instant) or false")
        source_url = self.url(raw["source_url"], f"{where}.source_url")
        note = self.text(raw.get("note", ""), f"{where}.note", allow_empty=True)
        rows = raw["prices"]
        if "removed" in raw and not changes:
            raise self.fail(f"{where}.removed", "goes with \"each_entry\": \"changes\" (a snapshot lists what is left)")
        if not isinstance(rows, list) or not (rows or changes and raw.get("removed")):
            raise self.fail(f"{where}.prices", "must be a non-empty list")
        quotes: list[Quote] = []
        for j, row in enumerate(rows):
            quotes += self.row(provider, sources, row, at if exact else None, source_url, note,
                               f"{where}.prices[{j}]")
        keys = [q.key for q in quotes]
        duplicate = next((k for k in keys if keys.count(k) > 1), None)
        if duplicate:
            raise self.fail(f"{where}.prices", f"price {'/'.join(duplicate)} is given twice")
        changed_after = (self.instant(raw["changed_after"], f"{where}.changed_after")
                         if "changed_after" in raw else None)
        return Entry(at, exact, source_url, note, tuple(quotes), changed_after)

    def row(self, provider: str, sources: tuple[Source, ...], raw: Any, effective_from: datetime | None,
            source_url: str, note: str, where: str) -> list[Quote]:
        self.object(raw, where, _ROW_KEYS, {"model", "currency"})
        model = self.text(raw["model"], f"{where}.model")
        currency = self.text(raw["currency"], f"{where}.currency")
        if not any(currency in s.currencies for s in sources):
            raise self.fail(f"{where}.currency", f"{currency!r} is not published by any {provider} source")
        tier = self.text(raw.get("tier", "standard"), f"{where}.tier")
        window = self.text(raw.get("window", ""), f"{where}.window", allow_empty=True)
        try:
            canonical = windows.parse(window).format()
        except windows.WindowError as exc:
            raise self.fail(f"{where}.window", str(exc)) from None
        if canonical != window:
            raise self.fail(f"{where}.window", f"{window!r} is not canonical; write {canonical!r}")
        promo_until = (self.instant(raw["promo_until"], f"{where}.promo_until")
                       if "promo_until" in raw else None)
        lists = raw.get("list", {})
        self.object(lists, f"{where}.list", set(COMPONENTS), set())
        components = [c for c in COMPONENTS if c in raw]
        if not components:
            raise self.fail(where, f"no price: give at least one of {', '.join(COMPONENTS)}")
        stray = set(lists) - set(components)
        if stray:
            raise self.fail(f"{where}.list", f"list price without a price: {', '.join(sorted(stray))}")
        if promo_until is not None and not lists:
            raise self.fail(f"{where}.promo_until", "a promo needs its list prices (\"list\")")
        quotes = []
        for component in components:
            price = self.money(raw[component], f"{where}.{component}")
            list_price = (self.money(lists[component], f"{where}.list.{component}")
                          if component in lists else None)
            quotes.append(Quote(
                provider=provider, model=model, component=component, currency=currency,
                price=price, price_text=raw[component], tier=tier, window=window,
                list_price=list_price, list_price_text=lists.get(component),
                promo_until=promo_until, effective_from=effective_from, source_url=source_url,
                note=note))
        return quotes

    def money(self, value: Any, where: str) -> Decimal:
        if not isinstance(value, str):
            raise self.fail(where, f"{value!r} must be a decimal string (\"0.14\"), not a JSON number")
        try:
            amount = Decimal(value)
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or amount < 0 or decimal_text(amount) != value:
            raise self.fail(where, f"{value!r} is not a plain non-negative decimal like \"0.14\"")
        return amount


def load(db: sqlite_utils.Database, histories: Iterable[CuratedHistory]) -> LoadResult:
    """Sync the curated observations of ``histories`` into ``db`` (one transaction, no rebuild)."""
    inserted = deleted = kept = 0
    with db.atomic():
        for history in histories:
            wanted = _wanted(db, history)
            stored = _stored(db, history)
            for ident, obs_id in stored.items():
                if ident in wanted:
                    kept += 1
                else:
                    db.execute("DELETE FROM observations WHERE id = ?", [obs_id])
                    deleted += 1
            for ident, (source, at, url, quotes) in sorted(wanted.items()):
                if ident not in stored:
                    record_observation(db, source, at, None, None, quotes, None, PARSER_VERSION,
                                       archive=True, url=url)
                    inserted += 1
    return LoadResult(inserted, deleted, kept)


#: (source id, observed_at, url, quote set id): what makes a curated observation the same one.
_Ident = tuple[str, str, str, int]


def _wanted(db: sqlite_utils.Database, history: CuratedHistory
            ) -> dict[_Ident, tuple[Source, datetime, str, list[Quote]]]:
    """Every observation the history stands for: one per (entry, source), plus the previous
    entry's prices at ``changed_after`` where an entry bounds its change."""
    out: dict[_Ident, tuple[Source, datetime, str, list[Quote]]] = {}
    previous: Entry | None = None
    for entry in history.entries:
        states = [(entry.at, entry.quotes)]
        if entry.changed_after is not None and previous is not None:
            states.insert(0, (entry.changed_after, previous.quotes))  # the old prices, still in force
        for at, entry_quotes in states:
            by_source: dict[str, list[Quote]] = {}
            for quote in entry_quotes:
                by_source.setdefault(history.source_for(quote.currency).id, []).append(quote)
            for source in history.sources:
                quotes = by_source.get(source.id)
                if quotes:
                    ident = (source.id, iso_utc(at), entry.source_url, store_quote_set(db, quotes))
                    out[ident] = (source, at, entry.source_url, quotes)
        previous = entry
    return out


def _stored(db: sqlite_utils.Database, history: CuratedHistory) -> dict[_Ident, int]:
    ids = [s.id for s in history.sources]
    marks = ",".join("?" for _ in ids)
    return {(r["source_id"], r["observed_at"], r["url"], r["quote_set_id"]): r["id"] for r in db.query(
        f"SELECT id, source_id, observed_at, url, quote_set_id FROM observations"
        f" WHERE archive = 1 AND parser_version = ? AND source_id IN ({marks})",
        [PARSER_VERSION, *ids])}


def state_at(history: CuratedHistory, instant: datetime) -> dict[tuple[str, str, str, str, str], Quote]:
    """Every price the history says was listed at ``instant`` (its latest entry at or before it),
    by (provider, model, component, tier, currency); empty before the first entry."""
    current: tuple[Quote, ...] = ()
    for entry in history.entries:
        if entry.at > instant:
            break
        current = entry.quotes
    return {q.key: q for q in current}


def coherence(db: sqlite_utils.Database, providers: Iterable[str] | None = None) -> list[str]:
    """What is wrong with a derived history (empty: coherent), one line per problem.

    Run on a database holding only the curated history (``ratecard backfill --curated --check``
    builds one), it checks what the file format alone cannot: the versions of each price series
    (one model, component, tier, time window and currency) never overlap and never end before they
    start, at most one of them is open-ended, every instant is stored as UTC ISO 8601, and every
    curated observation carries its https:// source.  The files' own rules (sources, UTC instants,
    entries in time order) are checked on reading.
    """
    marks = ",".join("?" for _ in providers) if providers is not None else ""
    where = f" WHERE provider IN ({marks})" if providers is not None else ""
    rows = list(db.query(
        'SELECT provider, model, component, tier, "window", currency, price, valid_from, valid_to'
        f" FROM prices{where} ORDER BY provider, model, component, tier, \"window\", currency,"
        " valid_from", list(providers or ())))
    problems: list[str] = []
    previous: dict | None = None
    for row in rows:
        name = "/".join(str(row[k]) for k in ("provider", "model", "component", "tier", "currency")) + (
            f" [{row['window']}]" if row["window"] else "")
        for column in ("valid_from", "valid_to"):
            value = row[column]
            if value is not None and (parse_utc(value) is None or iso_utc(parse_utc(value)) != value):
                problems.append(f"{name}: {column} {value!r} is not a UTC instant like 2025-02-08T16:00:00Z")
        if row["valid_to"] is not None and row["valid_to"] <= row["valid_from"]:
            problems.append(f"{name}: the version of {row['price']} ends ({row['valid_to']}) before it starts"
                            f" ({row['valid_from']})")
        same = previous is not None and all(previous[k] == row[k] for k in (
            "provider", "model", "component", "tier", "window", "currency"))
        if same and (previous["valid_to"] is None or previous["valid_to"] > row["valid_from"]):
            problems.append(f"{name}: {previous['price']} (from {previous['valid_from']} to"
                            f" {previous['valid_to'] or 'open'}) overlaps {row['price']} (from {row['valid_from']})")
        previous = row
    for obs in db.query("SELECT source_id, observed_at, url FROM observations WHERE parser_version = ?"
                        " AND (url IS NULL OR url NOT LIKE 'https://%')", [PARSER_VERSION]):
        problems.append(f"{obs['source_id']}: the curated observation at {obs['observed_at']} has no https://"
                        f" source ({obs['url']!r})")
    return problems


__all__ = ["CURATED_DIR", "CuratedError", "CuratedHistory", "Entry", "LoadResult", "coherence", "curated_files",
           "load", "read_all", "read_file", "state_at"]
