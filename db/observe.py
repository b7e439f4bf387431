"""Recording observations: the append-only log every price in the history is derived from.

An observation is one look at one source at one instant, by a live fetch or from an archive
(backfill).  Raw bodies and quote sets are stored once per content hash, so a night on which
nothing changed adds one small row that points at the bodies and quotes already stored.
Nothing here fetches or parses: callers hand in what they got.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence
from datetime import datetime

import sqlite_utils

from parsers.quote import Quote, Skipped, iso_utc, quotes_to_json, skipped_to_json
from parsers.registry import Source

#: Every outcome an observation can have (see ``schema.sql``); only ``ok`` makes history.
OUTCOMES = ("ok", "blocked", "layout_changed", "fetch_failed", "too_large", "too_slow", "error")


def upsert_source(db: sqlite_utils.Database, source: Source) -> None:
    """Store (or refresh) a source's URL and the currencies it is authoritative for."""
    db["sources"].upsert(
        {"id": source.id, "provider": source.provider, "url": source.url,
         "currencies": ",".join(source.currencies)},
        pk="id",
    )


def record_observation(
    db: sqlite_utils.Database,
    source: Source,
    observed_at: datetime,
    status: int | None,
    body: bytes | None,
    quotes: Sequence[Quote] | None,
    error: str | None,
    parser_version: str | None,
    archive: bool = False,
    url: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    warnings: Sequence[Skipped] | None = None,
    outcome: str | None = None,
    way: str | None = None,
) -> int:
    """Append one observation and return its id.

    The outcome is ``ok`` only with quotes and no error; anything else is a failed observation
    (``outcome`` says which kind, default ``error``), which the history derivation ignores (a
    broken page changes no price).  ``url`` is the URL actually fetched when it differs from
    ``source.url`` (a mirror); ``warnings`` are what the parser skipped; ``way`` is how the page
    was got (``http``, ``markdown``, ``browser``, ...).
    """
    if error is None and not quotes:
        error = "no quotes"
    if error is None:
        outcome = "ok"
    elif outcome is None or outcome == "ok":
        outcome = "error"
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    upsert_source(db, source)
    row = {
        "source_id": source.id,
        "url": url or source.url,
        "observed_at": iso_utc(observed_at),
        "status": status,
        "body_id": store_body(db, body) if body is not None else None,
        "etag": etag,
        "last_modified": last_modified,
        "parser_version": parser_version,
        "outcome": outcome,
        "error": error,
        "quote_set_id": store_quote_set(db, quotes) if error is None and quotes else None,
        "archive": int(archive),
        "warnings": skipped_to_json(list(warnings or ())),
        "way": way,
    }
    return db["observations"].insert(row).last_pk


def store_body(db: sqlite_utils.Database, body: bytes) -> int:
    """The id of ``body`` in ``bodies``, stored compressed on first sight."""
    digest = hashlib.sha256(body).hexdigest()
    found = db.execute("SELECT id FROM bodies WHERE hash = ?", [digest]).fetchone()
    if found:
        return found[0]
    return db["bodies"].insert(
        {"hash": digest, "size": len(body), "body": zlib.compress(body, 9)}).last_pk


def store_quote_set(db: sqlite_utils.Database, quotes: Sequence[Quote]) -> int:
    """The id of the canonical JSON of ``quotes`` in ``quote_sets``, stored on first sight."""
    text = quotes_to_json(list(quotes))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    found = db.execute("SELECT id FROM quote_sets WHERE hash = ?", [digest]).fetchone()
    if found:
        return found[0]
    return db["quote_sets"].insert(
        {"hash": digest, "quote_count": len(quotes), "quotes": text}).last_pk


def read_body(db: sqlite_utils.Database, body_id: int) -> bytes:
    """The raw bytes of a stored body."""
    row = db.execute("SELECT body FROM bodies WHERE id = ?", [body_id]).fetchone()
    if row is None:
        raise KeyError(f"no body with id {body_id}")
    return zlib.decompress(row[0])


def latest_fetch(db: sqlite_utils.Database, source_id: str) -> dict | None:
    """The newest observation of ``source_id`` that stored a body: its validators and body id.

    Used for conditional requests (ETag / Last-Modified) and to re-read the body on a 304.
    """
    rows = list(db.query(
        "SELECT id, body_id, etag, last_modified FROM observations"
        " WHERE source_id = ? AND body_id IS NOT NULL ORDER BY observed_at DESC, id DESC LIMIT 1",
        [source_id]))
    return rows[0] if rows else None
