"""One writer at a time per database, whatever path names it: an ``flock`` on the file itself.

SQLite alone would let two overlapping runs both fetch and then both append their nights (the
second one's fetches started before the first committed, so it could not know), and a rebuild
running beside a scrape made the scrape fail with "database is locked".  Every command that
writes the history (scrape, nightly, schedule, rebuild, reparse, backfill) holds this lock.

The lock is an ``flock`` on the database file itself, opened through the path given: a symlink,
a relative path or a hard link all reach the same inode, so they share one lock (a lock keyed by
the path's text let a symlinked path record the same instant twice).  ``flock`` locks are apart
from SQLite's own POSIX byte-range locks on the same file, so the two never interfere.  The
kernel drops the lock when its process dies, even by ``kill -9``, so a crashed run never blocks
the next night.  A side file ``<real path>.lock`` holds the holder's pid and start time, only to
make the "busy" message useful.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from db.readonly import check_path
from db.schema import open_db
from parsers import registry
from parsers.quote import iso_utc
from scraper.run import RunResult, now_utc, run_scrape

POLL_SECONDS = 0.2


class RunRefused(Exception):
    """The run did not start; nothing was fetched or written."""


class Busy(RunRefused):
    """Another run holds the database's lock (and did not release it within the wait)."""


class AlreadyObserved(RunRefused):
    """A run at this exact instant is already recorded: running it again would duplicate it."""


def holder_path(db_path: str | Path) -> Path:
    """Where the holder's pid is written: beside the real file, so every alias finds it."""
    real = Path(os.path.realpath(db_path))
    return real.with_name(real.name + ".lock")


@contextmanager
def run_lock(db_path: str | Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the write lock of ``db_path``; wait up to ``wait`` seconds for it, then raise ``Busy``.

    A missing database is created (with its schema) first, so that there is a file to lock; a
    path that cannot be a database is refused in one line (``DatabaseUnusable``).
    """
    path = Path(db_path)
    check_path(path, create=True)
    if not path.exists():
        _create(path)
    try:
        fd = os.open(path, os.O_RDONLY)
        info = os.open(holder_path(path), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise RunRefused(f"cannot open {exc.filename or path} to lock it: {exc.strerror}") from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(info, 200, 0).decode("utf-8", "replace").strip() or "unknown"
                    waited = f" after waiting {wait:g}s" if wait else ""
                    raise Busy(f"another ratecard run is using {db_path} ({holder}){waited};"
                               f" nothing was fetched or written (use --wait SECONDS to queue)") from None
                time.sleep(POLL_SECONDS)
        os.ftruncate(info, 0)
        os.pwrite(info, f"pid {os.getpid()}, started {iso_utc(now_utc())}".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(info, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
        os.close(info)


def _create(path: Path) -> None:
    """Create a new database whole, then give it its name: two runs starting on a new path at
    once must not see each other's half-made (0-byte) file, which is refused as a database."""
    fresh = path.with_name(f".{path.name}.{os.getpid()}.new")
    try:
        open_db(fresh).close()
        os.link(fresh, path)
    except FileExistsError:
        pass  # another run made it first: lock that one
    finally:
        fresh.unlink(missing_ok=True)


def scrape_exclusively(db_path: str | Path, providers: Sequence[str] | None = None,
                       mirror: str | None = None, at: datetime | None = None,
                       wait: float = 0.0) -> RunResult:
    """``run_scrape`` under the database's lock; the run's time is taken once the lock is held.

    Raises ``Busy`` when another run holds the lock, ``AlreadyObserved`` when this instant is
    already recorded for one of the sources (two runs given the same ``--at``).
    """
    with run_lock(db_path, wait):
        return scrape_locked(db_path, providers, mirror, at)


def scrape_locked(db_path: str | Path, providers: Sequence[str] | None = None,
                  mirror: str | None = None, at: datetime | None = None) -> RunResult:
    """The body of ``scrape_exclusively``, for callers that hold ``run_lock`` for longer (the
    nightly run keeps it while it writes the exports)."""
    observed_at = at or now_utc()
    _refuse_duplicate(db_path, providers, observed_at)
    return run_scrape(db_path, providers, mirror, observed_at)


def _refuse_duplicate(db_path: str | Path, providers: Sequence[str] | None, at: datetime) -> None:
    if not Path(db_path).exists():
        return
    ids = [s.id for pid in (sorted(set(providers)) if providers else registry.providers())
           for s in registry.sources(pid)]
    db = open_db(db_path)
    try:
        marks = ",".join("?" * len(ids))
        found = [r[0] for r in db.execute(
            f"SELECT DISTINCT source_id FROM observations WHERE observed_at = ? AND source_id IN ({marks})"
            " ORDER BY source_id", [iso_utc(at), *ids])]
    finally:
        db.close()
    if found:
        raise AlreadyObserved(f"a run at {iso_utc(at)} is already recorded for {', '.join(found)};"
                              " nothing was fetched or written")
