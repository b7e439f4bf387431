"""``ratecard nightly``: one unattended night — scrape, export, feed, and a commit message.

This is what ``scraper/nightly.sh`` (and so the GitHub Actions workflow) runs.  It holds the
database's lock for the whole night, so the exports always match the database they came from.
The commit message lists the change events of the night (``deepseek-v4-pro output 3.96 → 1.98
USD``), then the sources that failed and the observations held as suspect.  Exit code 1 when a
source failed or a suspect is waiting, so the job fails and the owner hears of it; whatever did
succeed is already recorded and exported.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from db.export import export, write_atomic
from db.feed import build_feed, change_line
from db.health import HeldSuspect, held_in_run
from db.schema import open_db
from parsers import registry
from parsers.quote import iso_utc
from scraper.cli import CommandError
from scraper.commands.scrape import mirror_base
from scraper.options import add_db_argument, db_path, instant
from scraper.run import RunResult
from scraper.runlock import RunRefused, run_lock, scrape_locked

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
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = db_path(args)
    try:
        result, held = night(path, args.out or path.parent, args.provider, args.mirror, args.at,
                             args.wait, args.feed_link)
    except (KeyError, RunRefused) as exc:
        raise CommandError(str(exc)) from None
    message = commit_message(result, held)
    if args.message:
        write_atomic(args.message, message.encode())
    print(message, end="")
    return 0 if result.ok and not held else 1


def night(path: Path, out: Path, providers: Sequence[str] | None = None, mirror: str | None = None,
          at: datetime | None = None, wait: float = 0.0, feed_link: str | None = None
          ) -> tuple[RunResult, list[HeldSuspect]]:
    """Scrape, then write the exports and the feed into ``out``, all under the database's lock.

    Returns the run and the suspects it left waiting.  Raises ``RunRefused`` (busy, or this
    instant already recorded) and ``KeyError`` (unknown provider) before anything is written.
    """
    with run_lock(path, wait):
        result = scrape_locked(path, providers, mirror, at)
        db = open_db(path)
        try:
            export(db, out)
            write_atomic(out / FEED_NAME, build_feed(db, link=feed_link))
        finally:
            db.close()
        return result, held_in_run(path, result.observed_at)


def commit_message(result: RunResult, held: list[HeldSuspect]) -> str:
    """Subject: the night's changes (or that there were none); body: every change, failure, suspect."""
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
        body += ["", "Failed (kept the previous prices):"] + [f"- {s.source_id}: {s.error}" for s in failed]
    if held:
        body += ["", "Held as suspect until the next run repeats it:"]
        body += [f"- {s.source_id}: {'; '.join(s.reasons)}" for s in held]
    return "\n".join([subject, "", *body]) + "\n"


def _ordered(changes: list[dict]) -> list[dict]:
    return sorted(changes, key=lambda c: (c["provider"], c["model"], c["component"], c["tier"],
                                          c["currency"], c["effective_at"]))
