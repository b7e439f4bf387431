"""One scrape run: fetch every source concurrently, parse, record, rebuild — all or nothing.

``run_scrape`` is what ``ratecard scrape`` and the nightly scheduler call.  Every source is
fetched before anything is written; then the pages are parsed (a 304 re-reads the stored body),
and the observations and the rebuilt history are written in one SQLite transaction, so a crash
half-way leaves the database as it was.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

from db.history import changes as read_changes
from db.history import disagreements as read_disagreements
from db.history import rebuild
from db.observe import latest_fetch, read_body, record_observation
from db.schema import open_db
from parsers import registry
from parsers.quote import ParseError, Quote, Skipped, iso_utc
from parsers.registry import Source
from scraper.fetch.http import FetchPolicy, Fetched, fetch, mirror_url


@dataclass(frozen=True)
class Parsed:
    """A page read by today's parser: quotes, or the error that stopped it."""

    quotes: list[Quote] | None
    error: str | None
    parser_version: str | None
    skipped: list[Skipped] = field(default_factory=list)


@dataclass(frozen=True)
class SourceResult:
    source_id: str
    url: str
    status: int | None
    error: str | None
    quote_count: int
    observation_id: int
    #: what the parser skipped on this page (stored as the observation's warnings)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class RunResult:
    observed_at: datetime
    sources: list[SourceResult]
    #: change events that are new (or revised) after this run, as ``changes`` rows
    new_changes: list[dict[str, Any]] = field(default_factory=list)
    #: disagreements between pages seen in this run, as ``disagreements`` rows
    disagreements: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.sources)


#: The fetch policy of a run when the caller gives none.
DEFAULT_POLICY = FetchPolicy()


def parse_body(source: Source, body: bytes) -> Parsed:
    """Decode and parse a stored or fetched body; a parser crash is an error, not an abort."""
    module = registry.parser_module(source.provider)
    version = str(getattr(module, "PARSER_VERSION", "")) or None
    text = body.decode("utf-8", errors="replace")
    try:
        reading = registry.read(source.provider, text, source.url)
        return Parsed(reading.quotes, None, version, reading.skipped)
    except ParseError as exc:
        return Parsed(None, str(exc), version)
    except Exception as exc:  # a parser bug must not lose the other sources' observations
        return Parsed(None, f"parser crashed: {type(exc).__name__}: {exc}", version)


def now_utc() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def run_scrape(db_path: str | Path, providers: Sequence[str] | None = None,
               mirror: str | None = None, at: datetime | None = None,
               client: httpx.AsyncClient | None = None,
               policy: FetchPolicy | None = None) -> RunResult:
    """Scrape ``providers`` (default all) into the database at ``db_path``.

    ``at`` is the observation time of every source in the run (default: now; a naive ``at`` is
    UTC).  Raises ``KeyError`` for an unknown provider, before anything is fetched or written.
    """
    at = at or now_utc()
    observed_at = (at if at.tzinfo else at.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    provider_ids = sorted(set(providers)) if providers else registry.providers()
    sources = [s for pid in provider_ids for s in registry.sources(pid)]
    db = open_db(db_path)
    try:
        previous = {s.id: latest_fetch(db, s.id) for s in sources}
        fetched = asyncio.run(_fetch_all(sources, previous, mirror, client, policy or DEFAULT_POLICY))
        with db.atomic():
            before = {_row_key(row) for row in _changes_of(db, provider_ids)}
            results = [_record(db, src, got, previous[src.id], observed_at)
                       for src, got in zip(sources, fetched)]
            rebuild(db, provider_ids)
            after = _changes_of(db, provider_ids)
        new = [row for row in after if _row_key(row) not in before]
        seen = [d for pid in provider_ids for d in read_disagreements(db, pid)
                if d["last_observed_at"] == iso_utc(observed_at)]
        return RunResult(observed_at, results, new, seen)
    finally:
        db.close()


async def _fetch_all(sources: Sequence[Source], previous: dict[str, dict | None], mirror: str | None,
                     client: httpx.AsyncClient | None, policy: FetchPolicy) -> list[Fetched]:
    async def one(c: httpx.AsyncClient, src: Source) -> Fetched:
        prev = previous[src.id] or {}
        return await fetch(c, mirror_url(src.url, mirror), policy, prev.get("etag"), prev.get("last_modified"))

    if client is not None:
        return list(await asyncio.gather(*(one(client, s) for s in sources)))
    async with httpx.AsyncClient() as own:
        return list(await asyncio.gather(*(one(own, s) for s in sources)))


def _record(db: Any, src: Source, got: Fetched, prev: dict | None, observed_at: datetime) -> SourceResult:
    """Parse what a fetch got (re-reading the stored body on a 304) and append the observation."""
    body, etag, last_modified, error = got.body, got.etag, got.last_modified, got.error
    if got.not_modified:
        if prev is None:
            error = "HTTP 304 but no stored body to reuse"
        else:
            body = read_body(db, prev["body_id"])
            etag, last_modified = etag or prev["etag"], last_modified or prev["last_modified"]
    parsed = parse_body(src, body) if error is None and body is not None else None
    if parsed is not None:
        error = parsed.error
    quotes = parsed.quotes if parsed else None
    obs_id = record_observation(
        db, src, observed_at, got.status, body, quotes, error,
        parsed.parser_version if parsed else None, url=got.url, etag=etag, last_modified=last_modified,
        warnings=parsed.skipped if parsed else None)
    return SourceResult(src.id, got.url, got.status, error, len(quotes or ()), obs_id,
                        parsed.skipped if parsed else [])


def _changes_of(db: Any, provider_ids: Sequence[str]) -> list[dict[str, Any]]:
    return [row for pid in provider_ids for row in read_changes(db, pid)]


def _row_key(row: dict[str, Any]) -> tuple:
    return tuple(sorted(row.items()))
