"""Backfilling the observation log with past copies of pricing pages (web archive, git mirrors).

Every past copy becomes one ``archive`` observation of its source at the time it was made
(capture time, commit time), read by today's parser, so the same diff rules turn it into history.
The log is sorted by time when the history is derived, so copies may arrive in any order.

Each copy is recorded in its own transaction as soon as it is read: an interrupted backfill keeps
what it got, and the next run skips copies already stored (matched on the copy's URL: the raw
capture URL, or ``git:<commit>:<path>``) and asks only for the rest.  A copy the archive could not
serve *for now* (timeouts, 5xx after retries) is not recorded, so the next run tries it again; a
definite answer (a page, an error page, a redirect to another capture, a 404) is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlite_utils

from db.observe import record_observation
from parsers.quote import iso_utc
from parsers.registry import Source
from scraper.fetch.git import FileVersion
from scraper.run import parse_body
from scraper.fetch.wayback import (ArchiveClient, ArchiveUnavailable, Body, Capture, Redirect, Refused,
                             fetch_capture, list_captures)

Report = Callable[[str], None]


@dataclass
class Tally:
    """What a backfill did: copies recorded (parsed or not), skipped as stored, or left for later."""

    ok: int = 0
    errors: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)

    @property
    def recorded(self) -> int:
        return self.ok + self.errors


def stored_copies(db: sqlite_utils.Database, source_id: str) -> set[str]:
    """URLs of the archive observations already stored for a source."""
    return {r[0] for r in db.execute(
        "SELECT url FROM observations WHERE source_id = ? AND archive = 1", [source_id])}


def record_copy(db: sqlite_utils.Database, source: Source, observed_at: datetime, url: str,
                status: int | None, body: bytes | None, error: str | None = None) -> str | None:
    """Parse (when there is a body) and record one past copy; returns the error, if any."""
    parsed = parse_body(source, body) if body is not None and error is None else None
    if parsed is not None:
        error = parsed.error
    with db.atomic():
        record_observation(db, source, observed_at, status, body, parsed.quotes if parsed else None,
                           error, parsed.parser_version if parsed else None, archive=True, url=url)
    return error


def backfill_wayback(db: sqlite_utils.Database, sources: Iterable[Source], client: ArchiveClient,
                     since: datetime | None, until: datetime | None, report: Report,
                     url: str | None = None) -> Tally:
    """Record every capture of each source's URL in [since, until] not stored yet.

    ``url`` lists the captures of another address instead (where the page lived before it moved);
    they are recorded as observations of the source all the same.
    """
    tally = Tally()
    for source in sources:
        address = url or source.url
        try:
            captures = list_captures(client, address, since, until)
        except ArchiveUnavailable as exc:
            tally.failed.append(f"{source.id}: {exc}")
            report(f"{source.id}: listing failed: {exc}")
            continue
        _Captures(db, source, client, report, tally).run(captures, address)
    return tally


class _Captures:
    """One source's captures, fetched one by one; bodies reused within the run by CDX digest."""

    def __init__(self, db: sqlite_utils.Database, source: Source, client: ArchiveClient,
                 report: Report, tally: Tally) -> None:
        self.db, self.source, self.client, self.report, self.tally = db, source, client, report, tally
        self.stored = stored_copies(db, source.id)
        self.bodies: dict[str, bytes] = {}

    def run(self, captures: list[Capture], address: str) -> None:
        stored = sum(c.raw_url in self.stored for c in captures)
        self.report(f"{self.source.id}: {len(captures)} captures of {address}, {stored} already stored")
        queue = list(captures)
        queued = {c.raw_url for c in queue}
        for n, capture in enumerate(queue, 1):  # grows when the archive redirects elsewhere
            prefix = f"[{n}/{len(queue)}] {self.source.id} {iso_utc(capture.at)}"
            if capture.raw_url in self.stored:
                self.tally.skipped += 1
                continue
            try:
                got = self._fetch(capture)
            except ArchiveUnavailable as exc:
                self.tally.failed.append(f"{self.source.id} {capture.timestamp}: {exc}")
                self.report(f"{prefix} not fetched, left for the next run: {exc}")
                continue
            if isinstance(got, Redirect):
                error = f"archive redirected to {got.location}"
                if got.capture is not None and got.capture.raw_url not in queued:
                    queue.append(got.capture)
                    queued.add(got.capture.raw_url)
                self._record(prefix, capture, got.status, None, error)
            elif isinstance(got, Refused):
                self._record(prefix, capture, got.status, None, got.error)
            else:
                self._record(prefix, capture, got.status, got.content, None)

    def _fetch(self, capture: Capture) -> Body | Redirect | Refused:
        if capture.digest and capture.digest in self.bodies:
            return Body(200, self.bodies[capture.digest])
        got = fetch_capture(self.client, capture)
        if isinstance(got, Body) and capture.digest:
            self.bodies[capture.digest] = got.content
        return got

    def _record(self, prefix: str, capture: Capture, status: int | None, body: bytes | None,
                error: str | None) -> None:
        error = record_copy(self.db, self.source, capture.at, capture.raw_url, status, body, error)
        self.stored.add(capture.raw_url)
        if error is None:
            self.tally.ok += 1
            self.report(f"{prefix} ok")
        else:
            self.tally.errors += 1
            self.report(f"{prefix} recorded as error: {error}")


def backfill_git(db: sqlite_utils.Database, source: Source, versions: list[FileVersion],
                 report: Report) -> Tally:
    """Record each committed version of a mirrored page at its commit time, unless stored."""
    tally = Tally()
    stored = stored_copies(db, source.id)
    for n, version in enumerate(versions, 1):
        prefix = f"[{n}/{len(versions)}] {source.id} {iso_utc(version.committed_at)} {version.commit[:12]}"
        if version.url in stored:
            tally.skipped += 1
            continue
        error = record_copy(db, source, version.committed_at, version.url, None, version.body)
        if error is None:
            tally.ok += 1
            report(f"{prefix} ok")
        else:
            tally.errors += 1
            report(f"{prefix} recorded as error: {error}")
    return tally


__all__ = ["Tally", "backfill_git", "backfill_wayback", "record_copy", "stored_copies"]
