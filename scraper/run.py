"""One scrape run: fetch every source concurrently, parse, record, rebuild — all or nothing.

``run_scrape`` is what ``ratecard scrape`` and the nightly scheduler call.  Every source is
fetched (each through its ways in order until one yields prices, see ``scraper.fetch.ways``,
within the time limits) and parsed before anything is written (a 304 re-reads the stored body);
then the observations, with their outcome and the way that served them, and the rebuilt history
are written in one SQLite transaction, so a crash half-way leaves the database as it was.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

from db.history import changes as read_changes
from db.history import disagreements as read_disagreements
from db.health import reference_bodies
from db.history import update
from db.observe import read_body, record_observation
from db.schema import open_db
from parsers import registry
from parsers.quote import ParseError, Quote, Skipped, iso_utc
from parsers.registry import Source
from scraper.completeness import incomplete
from scraper.fetch.http import FetchPolicy, async_client
from scraper.fetch.ways import Fetcher, SourceFetch, Stored


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
    #: ok | blocked | layout_changed | fetch_failed | too_large | too_slow | error
    outcome: str = "ok"
    #: the way that served the page (or, on failure, the way that got furthest)
    way: str | None = None
    #: ways that failed before the one that served the page, as "way: outcome: why"
    fallbacks: list[str] = field(default_factory=list)

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


#: The fetch policy of a run when the caller gives none (and ``fetch_policy`` set none).
DEFAULT_POLICY = FetchPolicy()
_POLICY: ContextVar[FetchPolicy | None] = ContextVar("ratecard_fetch_policy", default=None)


@contextmanager
def fetch_policy(policy: FetchPolicy) -> Iterator[None]:
    """Runs started inside use ``policy`` (limits, robots, ways, browser): how the command line's
    flags reach ``run_scrape`` through callers that do not pass a policy (the run lock, nightly)."""
    token = _POLICY.set(policy)
    try:
        yield
    finally:
        _POLICY.reset(token)


def parse_body(source: Source, body: bytes, url: str | None = None) -> Parsed:
    """Decode and parse a stored or fetched body; a parser crash is an error, not an abort.

    ``url`` is the page the body came from when it is not the source's own (its Markdown twin)."""
    module = registry.parser_module(source.provider)
    version = str(getattr(module, "PARSER_VERSION", "")) or None
    text = body.decode("utf-8", errors="replace")
    try:
        reading = registry.read(source.provider, text, url or source.url)
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
        policy = policy or _POLICY.get() or DEFAULT_POLICY
        fetched = asyncio.run(_fetch_all(db, sources, mirror, client, policy))
        with db.atomic():
            before = {_row_key(row) for row in _changes_of(db, provider_ids)}
            results = [_record(db, src, got, observed_at) for src, got in zip(sources, fetched)]
            update(db, provider_ids, [r.observation_id for r in results])  # the series touched
            after = _changes_of(db, provider_ids)
        new = [row for row in after if _row_key(row) not in before]
        seen = [d for pid in provider_ids for d in read_disagreements(db, pid)
                if d["last_observed_at"] == iso_utc(observed_at)]
        return RunResult(observed_at, results, new, seen)
    finally:
        db.close()


async def _fetch_all(db: Any, sources: Sequence[Source], mirror: str | None,
                     client: httpx.AsyncClient | None, policy: FetchPolicy) -> list[SourceFetch]:
    def stored(src: Source, way: str) -> Stored | None:
        """The newest body this way got for ``src`` (an observation before ways were recorded was http)."""
        rows = list(db.query(
            "SELECT body_id, etag, last_modified FROM observations WHERE source_id = ? AND body_id IS NOT NULL"
            " AND archive = 0 AND COALESCE(way, 'http') = ? ORDER BY observed_at DESC, id DESC LIMIT 1",
            [src.id, way]))
        if not rows:
            return None
        row = rows[0]
        return Stored(lambda: read_body(db, row["body_id"]), row["etag"], row["last_modified"])

    async def with_client(c: httpx.AsyncClient) -> list[SourceFetch]:
        fetcher = Fetcher(c, policy, mirror, parse_body, stored)
        try:
            return await fetcher.fetch_all(sources)
        finally:
            await fetcher.close()

    if client is not None:
        return await with_client(client)
    async with async_client() as own:
        return await with_client(own)


def _record(db: Any, src: Source, got: SourceFetch, observed_at: datetime) -> SourceResult:
    """Append the observation of what the source's ways got: the serving way's, or the furthest failure."""
    chosen, error, outcome = got.chosen, got.error, got.outcome
    if chosen.body is not None and outcome in ("ok", "layout_changed"):  # a body cut short is
        cut = incomplete(chosen.body, *reference_bodies(db, src.id))  # neither prices nor a new layout
        if cut:
            error, outcome = f"incomplete body: {cut}", "fetch_failed"
    parsed: Parsed | None = chosen.reading
    way = chosen.way if chosen.url else None  # no request made (robots.txt, browser missing): no way
    quotes = parsed.quotes if parsed is not None and error is None else None
    skipped = parsed.skipped if parsed is not None and error is None else []
    obs_id = record_observation(
        db, src, observed_at, chosen.status, chosen.body, quotes, error,
        parsed.parser_version if parsed else None, url=chosen.url, etag=chosen.etag,
        last_modified=chosen.last_modified, warnings=skipped or None, outcome=outcome, way=way)
    return SourceResult(src.id, chosen.url or src.url, chosen.status, error, len(quotes or ()), obs_id,
                        skipped, outcome, way, [a.story() for a in got.fallbacks])


def _changes_of(db: Any, provider_ids: Sequence[str]) -> list[dict[str, Any]]:
    return [row for pid in provider_ids for row in read_changes(db, pid)]


def _row_key(row: dict[str, Any]) -> tuple:
    return tuple(sorted(row.items()))
