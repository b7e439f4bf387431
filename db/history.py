"""The derived history tables: rebuilding them from the observation log, and reading them.

``rebuild`` and ``update`` are the only writers of ``prices``, ``changes``, ``announcements`` and
``disagreements``: ``rebuild`` loads a provider's healthy observations, runs
``db.derive.derive_history`` and replaces that provider's rows; ``update`` (what a scrape runs)
re-derives only the series the new observations touched, to the same rows.  Readers (``prices_at``, ``changes``) return table rows as
dicts: money as exact decimal text, instants as ISO 8601 UTC text with a Z.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlite_utils

from db.derive import (Announcement, Change, Disagreement, Key, Observation, SourceInfo,
                       Terms, Version, _group, derive_history, ownership)
from db.guard import Suspect, screen
from db.observe import load_quote_sets
from db.schema import DERIVED_TABLES
from parsers.quote import decimal_text, iso_utc, parse_utc


def rebuild(db: sqlite_utils.Database, providers: Iterable[str] | None = None) -> None:
    """Re-derive the history of ``providers`` (default: every provider with a stored source).

    Runs in one transaction (a savepoint when the caller already holds one): a failure leaves
    the previous rows in place.
    """
    with db.atomic():
        for provider in sorted(set(providers) if providers is not None else stored_providers(db)):
            observations = screen(_load_observations(db, provider)).accepted  # suspects held back
            history = derive_history(_load_sources(db, provider), observations)
            for table in DERIVED_TABLES:
                db.execute(f"DELETE FROM {table} WHERE provider = ?", [provider])
            _insert(db, "prices", [_version_row(v) for v in history.versions])
            _insert(db, "changes", [_change_row(c) for c in history.changes])
            _insert(db, "announcements", [_announcement_row(a) for a in history.announcements])
            _insert(db, "disagreements", [_disagreement_row(d) for d in history.disagreements])


def update(db: sqlite_utils.Database, providers: Iterable[str], new_ids: Iterable[int]) -> None:
    """Bring the history of ``providers`` up to date after the observations ``new_ids`` were
    appended, re-deriving only the price series they touched; the rows are exactly those a full
    ``rebuild`` gives (tests/test_incremental.py).

    A nightly scrape appends one observation per source, newer than any before.  The guard may
    settle series held on earlier nights, so the observations from the oldest one still held
    before this scrape onwards are compared with the last accepted page before it: a series
    whose terms differ on any of them (or that is announced, on a promo, or shown in another
    page's currency tab) is *touched* and re-derived whole (its group with it); every other
    series only was seen again, so its open version's ``last_observed_at`` moves to the new
    observation.  An observation that is not its source's newest (a backfill) re-derives the
    provider in full.  Runs in one transaction, like ``rebuild``.
    """
    fresh = set(new_ids)
    with db.atomic():
        for provider in sorted(set(providers)):
            log = _load_observations(db, provider)
            new = [o for o in log if o.id in fresh]
            if not new:
                continue  # every fetch failed: a failure changes no derived row
            newest = {}
            for o in log:
                newest[o.source_id] = o
            if any(newest[o.source_id].id != o.id for o in new):
                rebuild(db, [provider])
                continue
            _update_provider(db, provider, log, new)


def _update_provider(db: sqlite_utils.Database, provider: str, log: list[Observation],
                     new: list[Observation]) -> None:
    sources = _load_sources(db, provider)
    new_ids = {o.id for o in new}
    screened = screen(log)
    since = min([o.observed_at for o in new] + _held_before(log, new, screened.suspects))
    accepted = screened.accepted
    touched = _touched(sources, accepted, since)
    touched |= {h.key for s in screened.suspects if s.observation.observed_at >= since for h in s.series}
    touched |= {k for k in _all_keys(log, since) if _group(k) in {_group(t) for t in touched}}
    history = derive_history(sources, accepted, only=touched)
    keys = [(provider, model, component, tier, currency)
            for (_p, model, component, tier, currency) in sorted(touched)]
    for table in DERIVED_TABLES:
        db.conn.executemany(f"DELETE FROM {table} WHERE provider = ? AND model = ? AND component = ?"
                       " AND tier = ? AND currency = ?", keys)
    _insert(db, "prices", [_version_row(v) for v in history.versions])
    _insert(db, "changes", [_change_row(c) for c in history.changes])
    _insert(db, "announcements", [_announcement_row(a) for a in history.announcements])
    _insert(db, "disagreements", [_disagreement_row(d) for d in history.disagreements])
    owns = ownership(sources)
    seen_again = []
    for obs in accepted:
        if obs.id not in new_ids:
            continue
        for q in obs.quotes:
            if (q.key not in touched and owns(obs.source_id, q)
                    and (q.effective_from is None or q.effective_from <= obs.observed_at)):
                seen_again.append([iso_utc(obs.observed_at), *q.key, obs.source_id])
    db.conn.executemany("UPDATE prices SET last_observed_at = ? WHERE provider = ? AND model = ? AND component = ?"
                   " AND tier = ? AND currency = ? AND source_id = ? AND valid_to IS NULL", seen_again)


def _held_before(log: list[Observation], new: list[Observation], suspects: list[Suspect]) -> list[datetime]:
    """When the observations still held before ``new`` came were made: per source, those back to
    (and including) the last one not held whole, which the new observation now decides."""
    held = {s.observation.id: s for s in suspects}
    out = []
    for obs in new:
        earlier = [o for o in log if o.source_id == obs.source_id and o.id != obs.id]
        for before in reversed(earlier):
            suspect = held.get(before.id)
            if suspect is not None:
                out.append(before.observed_at)
            if suspect is None or not all(h.whole_page for h in suspect.series):
                break
    return out


def _touched(sources: list[SourceInfo], accepted: list[Observation], since: datetime) -> set[Key]:
    """The series whose rows can differ from those derived before ``since`` was reached again:
    see ``update``.  Closed under ``Group``."""
    touched: set[Key] = set()
    seen: set[Key] = set()
    owns = ownership(sources)
    by_source: dict[str, list[Observation]] = {}
    for obs in accepted:
        by_source.setdefault(obs.source_id, []).append(obs)
    for source_id, observations in by_source.items():
        before = [o for o in observations if o.observed_at < since]
        after = [o for o in observations if o.observed_at >= since]
        if not after:
            continue
        pages = ([before[-1]] if before else []) + after
        reference = _terms(pages[0])
        if not before:
            touched |= reference.keys()
        for obs in pages:
            now = _terms(obs)
            touched |= {k for k in reference.keys() | now.keys() if reference.get(k) != now.get(k)}
            for q in obs.quotes:
                seen.add(q.key)
                if (q.effective_from is not None or q.promo_until is not None or q.list_price is not None
                        or not owns(source_id, q)):
                    touched.add(q.key)
    groups = {_group(k) for k in touched}
    return touched | {k for k in seen if _group(k) in groups}


def _all_keys(log: list[Observation], since: datetime) -> set[Key]:
    return {q.key for obs in log if obs.observed_at >= since for q in obs.quotes}


def _terms(obs: Observation) -> dict[Key, Terms]:
    """The terms in force per series on ``obs`` (the first quote of a series, as derive reads it)."""
    out: dict[Key, Terms] = {}
    for q in obs.quotes:
        if q.effective_from is None or q.effective_from <= obs.observed_at:
            out.setdefault(q.key, Terms.of(q))
    return out


def stored_providers(db: sqlite_utils.Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT DISTINCT provider FROM sources ORDER BY provider")]


def prices_at(db: sqlite_utils.Database, at: datetime, provider: str | None = None,
              model: str | None = None) -> list[dict[str, Any]]:
    """The price versions in force at ``at``, scheduled (announced) ones included.

    One row per (provider, model, component, tier, currency): ``valid_from <= at < valid_to``.
    Uses the ``prices_lookup`` index (provider, model, valid_from).
    """
    where, params = ["valid_from <= :at", "(valid_to IS NULL OR valid_to > :at)"], {"at": iso_utc(at)}
    if provider:
        where.append("provider = :provider")
        params["provider"] = provider
    if model:
        where.append("model = :model")
        params["model"] = model
    return list(db.query(
        f"SELECT * FROM prices WHERE {' AND '.join(where)}"
        " ORDER BY provider, model, component, tier, currency", params))


def changes(db: sqlite_utils.Database, provider: str | None = None,
            since: datetime | None = None) -> list[dict[str, Any]]:
    """Change events, newest ``effective_at`` first; ``since`` keeps those effective at or after it."""
    where, params = ["1 = 1"], {}
    if provider:
        where.append("provider = :provider")
        params["provider"] = provider
    if since:
        where.append("effective_at >= :since")
        params["since"] = iso_utc(since)
    return list(db.query(
        f"SELECT * FROM changes WHERE {' AND '.join(where)}"
        " ORDER BY effective_at DESC, provider, model, component, tier, currency", params))


def disagreements(db: sqlite_utils.Database, provider: str | None = None) -> list[dict[str, Any]]:
    where = "WHERE provider = ?" if provider else ""
    return list(db.query(f"SELECT * FROM disagreements {where}"
                         " ORDER BY last_observed_at DESC, model, component, tier, currency",
                         [provider] if provider else []))


def _load_sources(db: sqlite_utils.Database, provider: str) -> list[SourceInfo]:
    return [SourceInfo(r["id"], r["provider"], tuple(c for c in r["currencies"].split(",") if c))
            for r in db.query("SELECT * FROM sources WHERE provider = ? ORDER BY id", [provider])]


def _load_observations(db: sqlite_utils.Database, provider: str) -> list[Observation]:
    """Healthy observations of the provider's sources; quote sets parsed once each
    (``db.observe.load_quote_sets``: stored compressed, as deltas)."""
    rows = list(db.query(
        "SELECT o.id, o.source_id, o.observed_at, o.quote_set_id AS qid FROM observations o"
        " JOIN sources s ON s.id = o.source_id"
        " WHERE s.provider = ? AND o.outcome = 'ok' AND o.quote_set_id IS NOT NULL"
        " ORDER BY o.observed_at, o.id", [provider]))
    parsed = load_quote_sets(db, {r["qid"] for r in rows})
    return [Observation(r["id"], r["source_id"], parse_utc(r["observed_at"]), parsed[r["qid"]]) for r in rows]


def _insert(db: sqlite_utils.Database, table: str, rows: list[dict[str, Any]]) -> None:
    if rows:
        db[table].insert_all(rows)


def _money(value: Decimal | None) -> str | None:
    return decimal_text(value) if value is not None else None


def _num(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _time(value: datetime | None) -> str | None:
    return iso_utc(value) if value is not None else None


def _key_fields(key: tuple[str, str, str, str, str]) -> dict[str, str]:
    provider, model, component, tier, currency = key
    return {"provider": provider, "model": model, "component": component, "tier": tier,
            "currency": currency}


def _version_row(v: Version) -> dict[str, Any]:
    return {
        **_key_fields(v.key), "window": v.terms.window,
        "price": _money(v.terms.price), "price_num": _num(v.terms.price),
        "list_price": _money(v.terms.list_price), "list_price_num": _num(v.terms.list_price),
        "promo_until": _time(v.terms.promo_until),
        "valid_from": _time(v.valid_from), "valid_to": _time(v.valid_to),
        "from_basis": v.from_basis, "to_basis": v.to_basis,
        "valid_from_after": _time(v.valid_from_after),
        "first_observed_at": _time(v.first_observed_at), "last_observed_at": _time(v.last_observed_at),
        "status": v.status, "source_id": v.source_id,
    }


def _side(terms: Terms | None, attr: str) -> Any:
    return getattr(terms, attr) if terms is not None else None


def _change_row(c: Change) -> dict[str, Any]:
    percent = c.percent_change
    return {
        **_key_fields(c.key), "kind": c.kind,
        "old_price": _money(_side(c.old, "price")), "new_price": _money(_side(c.new, "price")),
        "old_price_num": _num(_side(c.old, "price")), "new_price_num": _num(_side(c.new, "price")),
        "old_list_price": _money(_side(c.old, "list_price")),
        "new_list_price": _money(_side(c.new, "list_price")),
        "old_window": _side(c.old, "window"), "new_window": _side(c.new, "window"),
        "percent_change": format(percent, "f") if percent is not None else None,
        "effective_at": _time(c.effective_at), "basis": c.basis,
        "observed_after": _time(c.observed_after), "observed_at": _time(c.observed_at),
        "status": c.status, "source_id": c.source_id,
    }


def _announcement_row(a: Announcement) -> dict[str, Any]:
    return {
        **_key_fields(a.key), "window": _side(a.terms, "window"),
        "price": _money(_side(a.terms, "price")), "list_price": _money(_side(a.terms, "list_price")),
        "effective_at": _time(a.effective_at), "announced_at": _time(a.announced_at),
        "last_announced_at": _time(a.last_announced_at), "status": a.status,
        "resolved_at": _time(a.resolved_at), "source_id": a.source_id,
    }


def _disagreement_row(d: Disagreement) -> dict[str, Any]:
    return {
        **_key_fields(d.key), "source_id": d.source_id, "authority_id": d.authority_id,
        "shown_price": _money(d.shown.price), "shown_list_price": _money(d.shown.list_price),
        "expected_price": _money(_side(d.expected, "price")),
        "expected_list_price": _money(_side(d.expected, "list_price")),
        "first_observed_at": _time(d.first_observed_at), "last_observed_at": _time(d.last_observed_at),
    }


__all__ = ["changes", "disagreements", "prices_at", "rebuild", "stored_providers", "update"]
