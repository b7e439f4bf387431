"""Re-reading stored pages with today's parsers (after a parser fix), then rebuilding.

Only observations that stored a body are re-read; fetch failures (HTTP errors, timeouts,
truncated bodies) stay failures, since there is no complete page to read.  Everything happens in
one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlite_utils

from db.history import rebuild
from db.observe import VersionReader, drop_unused_quote_sets, store_quote_set
from parsers.registry import Source
from scraper.run import parse_body


@dataclass(frozen=True)
class ReparseResult:
    observations: int  # observations re-read
    changed: int       # whose outcome or quote set changed
    errors: int        # that the parser now rejects


def reparse(db: sqlite_utils.Database, providers: Iterable[str] | None = None) -> ReparseResult:
    """Re-parse every stored body of ``providers`` (default all) and rebuild their history."""
    wanted = set(providers) if providers is not None else None
    rows = [r for r in db.query(
        "SELECT o.id, o.body_id, o.outcome, o.error, o.quote_set_id, o.parser_version,"
        " s.id AS source_id, s.provider, s.url, s.currencies"
        " FROM observations o JOIN sources s ON s.id = o.source_id"
        " WHERE o.body_id IS NOT NULL AND o.outcome != 'fetch_failed' ORDER BY o.id")  # a cut-short body stays failed
        if wanted is None or r["provider"] in wanted]
    changed = errors = 0
    touched: set[str] = set()
    bodies = VersionReader(db, "bodies")
    newest_set: dict[str, int] = {}  # per source: new quote sets are stored as deltas of the last one
    with db.atomic():
        for r in rows:
            source = Source(r["source_id"], r["provider"], r["url"],
                            tuple(c for c in r["currencies"].split(",") if c))
            parsed = parse_body(source, bodies.read(r["body_id"]))
            quote_set_id = None
            if parsed.quotes:
                quote_set_id = store_quote_set(db, parsed.quotes, source.id, newest_set.get(source.id))
                newest_set[source.id] = quote_set_id
            update = {
                "parser_version": parsed.parser_version,
                "outcome": "ok" if parsed.error is None else "error",
                "error": parsed.error,
                "quote_set_id": quote_set_id,
            }
            errors += parsed.error is not None
            if any(update[k] != r[k] for k in ("outcome", "error", "quote_set_id")):
                changed += 1
            db["observations"].update(r["id"], update)
            touched.add(r["provider"])
        drop_unused_quote_sets(db)
        rebuild(db, sorted(touched | (wanted or set())))
    return ReparseResult(len(rows), changed, errors)
