"""The derived history tables: rebuilding them from the observation log, and reading them.

``rebuild`` is the only writer of ``prices``, ``changes``, ``announcements`` and
``disagreements``: it loads a provider's healthy observations, runs ``db.derive.derive_history``
and replaces that provider's rows.  Readers (``prices_at``, ``changes``) return table rows as
dicts: money as exact decimal text, instants as ISO 8601 UTC text with a Z.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlite_utils

from db.derive import (Announcement, Change, Disagreement, Observation, SourceInfo,
                       Terms, Version, derive_history)
from db.guard import screen
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


__all__ = ["changes", "disagreements", "prices_at", "rebuild", "stored_providers"]
