"""``ratecard nightly``: one unattended night — scrape, export, feed, and a commit message.

This is what ``scraper/nightly.sh`` (and so the GitHub Actions workflow) runs.  It holds the
database's lock for the whole night, so the exports always match the database they came from.
The commit message lists the change events of the night (``deepseek-v4-pro output 3.96 → 1.98
USD``), then the sources that failed and the observations held as suspect.  Exit code 1 when a
source failed or a suspect is waiting, so the job fails and the owner hears of it; whatever did
succeed is already recorded and exported.

The repository holds the history as text: the night writes each healthy page to
``OUT/pages/<source id>.<ext>`` (``scraper.snapshots``) and the exports beside it; the database is
never committed (the workflow carries it between nights in its cache).  With ``--repo`` the
committed snapshots back the database up: a missing database is rebuilt from them, an empty
(0-byte) or unreadable one is set aside (never deleted) and rebuilt, and nights committed since
the database was saved are added to it.  With nothing to rebuild from, an unusable database stops
the night with one line, before anything is fetched or written.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from db.export import export, write_atomic
from db.feed import build_feed, change_line
from db.health import HELD_UNTIL, HeldSuspect, SourceHealth, failures_of_run, held_in_run
from db.history import rebuild
from db.schema import open_db
from parsers import registry
from parsers.quote import iso_utc
from parsers.safetext import commit_line, one_line
from scraper.cli import CommandError
from scraper.commands.scrape import mirror_base
from scraper.fetch.git import GitError
from scraper.options import add_db_argument, db_path, instant
from scraper.run import RunResult, now_utc
from scraper.runlock import RunRefused, run_lock, scrape_locked
from scraper.snapshots import PAGES, record_snapshots, snapshot_history, write_snapshots

FEED_NAME = "changes.atom"
#: Change lines named in a commit subject; the body lists them all.
SUBJECT_CHANGES = 2


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("nightly", help="scrape, write exports and feed, and a commit message (for CI)")
    add_db_argument(p)
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="where the exports and changes.atom go (default: the database's folder)")
    p.add_argument("--message", type=Path, metavar="FILE", help="write the commit message here")
    p.add_argument("--provider", action="append", choices=registry.providers(), metavar="ID",
                   help="only this provider (repeatable; default: all)")
    p.add_argument("--mirror", type=mirror_base, metavar="URL",
                   help="fetch https://HOST/PATH from URL/HOST/PATH instead")
    p.add_argument("--at", type=instant, metavar="ISO8601", help="observation time (default: now)")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="when another run holds the database, wait this long for it")
    p.add_argument("--feed-link", metavar="URL", help="the page the Atom feed links to")
    p.add_argument("--repo", type=Path, metavar="DIR",
                   help="the git checkout whose committed snapshots (OUT/pages) rebuild a missing or"
                        " unusable database and add the nights it lacks")
    p.add_argument("--instant", type=Path, metavar="FILE",
                   help="write the night's observation instant here (the commit's author date)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = db_path(args)
    out = args.out or path.parent
    try:
        pages = _pages_in_repo(args.repo, out) if args.repo else None
        prepare_database(path, args.repo, pages, _progress)
        result, held = night(path, out, args.provider, args.mirror, args.at, args.wait, args.feed_link,
                             args.repo, pages)
    except (KeyError, RunRefused, GitError) as exc:
        raise CommandError(str(exc)) from None
    message = commit_message(result, held, failures_of_run(path, result.observed_at))
    if args.message:
        write_atomic(args.message, message.encode())
    if args.instant:
        write_atomic(args.instant, f"{iso_utc(result.observed_at)}\n".encode())
    print(message, end="")
    return 0 if result.ok and not held else 1


def night(path: Path, out: Path, providers: Sequence[str] | None = None, mirror: str | None = None,
          at: datetime | None = None, wait: float = 0.0, feed_link: str | None = None,
          repo: Path | None = None, pages: str | None = None) -> tuple[RunResult, list[HeldSuspect]]:
    """Scrape, then write the exports, the feed and the page snapshots into ``out``, all under the
    database's lock.  With ``repo``, first add the committed snapshots the database lacks.

    Returns the run and the suspects it left waiting.  Raises ``RunRefused`` (busy, or this
    instant already recorded) and ``KeyError`` (unknown provider) before anything is written.
    """
    with run_lock(path, wait):
        if repo is not None and pages is not None:
            _add_committed_nights(path, repo, pages)
        result = scrape_locked(path, providers, mirror, at)
        db = open_db(path)
        try:
            export(db, out)
            write_atomic(out / FEED_NAME, build_feed(db, link=feed_link))
            write_snapshots(db, [s.observation_id for s in result.sources], out / PAGES)
        finally:
            db.close()
        return result, held_in_run(path, result.observed_at)


def unusable(path: Path) -> str | None:
    """Why the file at ``path`` cannot be the history (None: it can, or there is no file).

    Opened read-write on purpose: a hot journal left by a killed run is rolled back, not taken
    for damage.
    """
    if not path.exists():
        return None
    if path.is_dir():
        return "is a directory"
    if path.stat().st_size == 0:
        return "is empty (0 bytes)"
    try:
        conn = sqlite3.connect(path)
        try:
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return f"is unreadable ({exc})"
    if check != "ok":
        return f"is damaged ({check})"
    if "observations" not in tables:
        return "holds no ratecard history (no observations table)"
    return None


def prepare_database(path: Path, repo: Path | None, pages: str | None, report=lambda line: None) -> None:
    """Make sure the night starts from the whole history, or does not start.

    A missing database is rebuilt from the committed snapshots (a new history when there are
    none: the first night).  An empty or unreadable one never becomes the history: it is renamed
    aside and rebuilt from the snapshots, or, with none to rebuild from, the night stops here.
    """
    problem = unusable(path)
    if problem is None and path.exists():
        return
    history = snapshot_history(repo, pages) if repo is not None and pages is not None else []
    if problem is not None and not history:
        where = f"no snapshots committed under {pages} in {repo}" if repo else "no --repo to rebuild it from"
        raise CommandError(f"{path} {problem}; {where}: restore the database (nothing was fetched or written)")
    if not history:
        return  # the first night: a new history
    aside = None
    if problem is not None:
        aside = path.with_name(f"{path.name}.unusable-{iso_utc(now_utc()).replace(':', '')}")
        _move_with_journals(path, aside)
    building = path.with_name(path.name + ".rebuilding")
    for leftover in _with_journals(building):
        leftover.unlink(missing_ok=True)
    db = open_db(building)
    try:
        with db.atomic():
            touched = record_snapshots(db, history)
            rebuild(db, sorted(touched))
    finally:
        db.close()
    if path.exists() or any(p.exists() for p in _with_journals(path)):  # an orphan journal
        _move_with_journals(path, path.with_name(f"{path.name}.orphan-{iso_utc(now_utc()).replace(':', '')}"))
    os.replace(building, path)
    what = f"{path} {problem}: set aside as {aside.name}" if aside else f"{path} is missing"
    report(f"nightly: {what}; rebuilt it from {len(history)} committed snapshots")


def _add_committed_nights(path: Path, repo: Path, pages: str) -> None:
    """Record the committed snapshots the database lacks (it was saved before they were pushed)."""
    history = snapshot_history(repo, pages)
    if not history:
        return
    db = open_db(path)
    try:
        with db.atomic():
            touched = record_snapshots(db, history)
            if touched:
                rebuild(db, sorted(touched))
    finally:
        db.close()
    if touched:
        _progress(f"nightly: added committed snapshots the database lacked ({', '.join(sorted(touched))})")


def _pages_in_repo(repo: Path, out: Path) -> str:
    """``OUT/pages`` relative to the repository root, as git names it."""
    try:
        return (out.resolve() / PAGES).relative_to(repo.resolve()).as_posix()
    except ValueError:
        raise CommandError(f"--out {out} is not inside --repo {repo}") from None


def _with_journals(path: Path) -> list[Path]:
    return [path, *(path.with_name(path.name + suffix) for suffix in ("-journal", "-wal", "-shm"))]


def _move_with_journals(path: Path, aside: Path) -> None:
    """Rename a database and its journals together: a journal left behind would be played into
    the next file of that name."""
    for source, target in zip(_with_journals(path), _with_journals(aside)):
        if source.exists():
            os.replace(source, target)


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def commit_message(result: RunResult, held: list[HeldSuspect],
                   failures: Sequence[SourceHealth] | None = None) -> str:
    """Subject: the night's changes (or that there were none); body: every change, failure, suspect.

    Every line holding page text goes through ``commit_line``: a model id with a newline cannot add
    a line (or a ``Signed-off-by:`` trailer) of its own, nor an escape character act.  ``failures``
    (``db.health.failures_of_run``) say for each failing source its kind (blocked, layout_changed,
    fetch_failed, ...), since when, and its last success."""
    lines = [f"{c['provider']}: {change_line(c)}" for c in _ordered(result.new_changes)]
    failed = [s for s in result.sources if not s.ok]
    if lines:
        subject = "; ".join(change_line(c) for c in _ordered(result.new_changes)[:SUBJECT_CHANGES])
        if len(lines) > SUBJECT_CHANGES:
            subject += f" (+{len(lines) - SUBJECT_CHANGES} more)"
    else:
        subject = "ratecard: no price change"
    body = [f"Observed {iso_utc(result.observed_at)}: {len(result.sources) - len(failed)} sources ok,"
            f" {len(failed)} failed, {len(lines)} changes, {len(held)} held as suspect."]
    if lines:
        body += ["", "Changes:"] + [f"- {line}" for line in lines]
    if failed:
        described = {h.source_id: h.describe() for h in failures or ()}
        body += ["", "Failed (kept the previous prices):"]
        body += [f"- {described.get(s.source_id) or f'{s.source_id}: {s.error}'}" for s in failed]
    if held:
        body += ["", f"Held as suspect, {HELD_UNTIL}:"]
        body += [f"- {s.source_id}: {'; '.join(s.reasons)}" for s in held]
    return "\n".join([one_line(subject), "", *(commit_line(line) for line in body)]) + "\n"


def _ordered(changes: list[dict]) -> list[dict]:
    return sorted(changes, key=lambda c: (c["provider"], c["model"], c["component"], c["tier"],
                                          c["currency"], c["effective_at"]))
