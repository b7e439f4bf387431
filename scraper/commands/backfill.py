"""``ratecard backfill``: fill the history backwards from the web archive, a git mirror, or the
curated history shipped with ratecard; then rebuild the affected providers' history.

Progress goes to stderr, one line per copy; the summary to stdout.  Exit 1 when some copies
could not be fetched (run again later: stored copies are skipped) or a curated file is invalid.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from db import curated
from db.history import rebuild
from db.schema import open_db
from parsers import registry
from parsers.registry import Source
from parsers.safetext import one_line
from scraper.backfill import Tally, backfill_git, backfill_wayback
from scraper.cli import CommandError
from scraper.fetch.git import GitError, file_versions
from scraper.fetch.http import client as http_client
from scraper.known_mirrors import MirrorListError, read_mirrors
from scraper.options import add_db_argument, db_path, instant
from scraper.output import Progress
from scraper.fetch.wayback import ArchiveClient
from scraper.runlock import RunRefused, run_lock


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("backfill", help="fill the price history backwards (web archive, git mirror, curated)")
    add_db_argument(p)
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--wayback", action="store_true",
                      help="every Internet Archive capture of the provider's pages")
    mode.add_argument("--git", type=Path, metavar="REPO", help="a local git repository mirroring a page")
    mode.add_argument("--curated", action="store_true", help="the curated history shipped with ratecard")
    p.add_argument("--provider", choices=registry.providers(), metavar="ID",
                   help="the provider (required with --wayback and --git; limits --curated)")
    p.add_argument("--source", metavar="SOURCE_ID", help="only this source of the provider"
                   " (required with --git when the provider has several pages)")
    p.add_argument("--path", metavar="FILE", help="with --git: the page's file, relative to REPO")
    p.add_argument("--check", action="store_true", help="with --curated: derive the curated history in a"
                   " scratch database and report what is incoherent (overlapping versions, unsourced"
                   " facts); --db is not touched")
    p.add_argument("--mirror", metavar="NAME", help="with --git: REPO is a clone of this known public mirror"
                   " (docs/mirrors.md), which says the file, provider and source")
    p.add_argument("--url", type=_http_url, metavar="URL",
                   help="with --wayback: captures of this address instead (where the page lived before)")
    p.add_argument("--from", dest="since", type=instant, metavar="ISO8601", help="with --wayback: earliest capture")
    p.add_argument("--to", dest="until", type=instant, metavar="ISO8601", help="with --wayback: latest capture")
    p.set_defaults(func=run, _parser=p)


@contextmanager
def _locked_db(args: argparse.Namespace) -> Iterator[sqlite_utils.Database]:
    """The database under its write lock (never beside a scrape or a rebuild), taken only once
    the input has been read and checked, so bad input writes nothing, not even a new file."""
    try:
        with run_lock(db_path(args)):
            db = open_db(db_path(args))
            try:
                yield db
            finally:
                db.close()
    except RunRefused as exc:
        raise CommandError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    _apply_mirror(args)
    _check_usage(args)
    if args.curated:
        return _curated(args)
    sources = _sources(args)
    versions = None
    if args.git:  # read the mirror before the database is touched: a bad path writes nothing
        try:
            versions = file_versions(args.git, args.path)
        except GitError as exc:
            raise CommandError(str(exc)) from None
    with _locked_db(args) as db:
        if versions is not None:
            tally = backfill_git(db, sources[0], versions, _progress)
        else:
            with http_client() as http:
                tally = backfill_wayback(db, sources, ArchiveClient(http), args.since, args.until, _progress,
                                         args.url)
        rebuild(db, [args.provider])
    _summary(tally)
    for failure in tally.failed:
        print(f"ratecard backfill: {failure}", file=sys.stderr)
    return 1 if tally.failed else 0


def _apply_mirror(args: argparse.Namespace) -> None:
    """``--mirror NAME``: the file, provider and source of a known mirror; an option given too must agree."""
    if args.mirror is None:
        return
    if not args.git:
        args._parser.error("--mirror goes with --git")
    try:
        mirrors = read_mirrors()
    except MirrorListError as exc:
        raise CommandError(str(exc)) from None
    mirror = mirrors.get(args.mirror)
    if mirror is None:
        raise CommandError(f"unknown mirror {args.mirror!r} (known: {', '.join(sorted(mirrors))})")
    for option, value in (("provider", mirror.provider), ("source", mirror.source), ("path", mirror.path)):
        given = getattr(args, option)
        if given is not None and given != value:
            raise CommandError(f"--{option} {given} contradicts the mirror {mirror.name} ({option} {value})")
        setattr(args, option, value)


def _check_usage(args: argparse.Namespace) -> None:
    """Option combinations argparse cannot express; bad usage exits 2 like argparse's own."""
    p: argparse.ArgumentParser = args._parser
    if (args.wayback or args.git) and not args.provider:
        p.error("--provider is required with --wayback and --git")
    if args.git and not args.path:
        p.error("--path is required with --git")
    if args.path and not args.git:
        p.error("--path goes with --git")
    if (args.since or args.until or args.url) and not args.wayback:
        p.error("--from, --to and --url go with --wayback")
    if args.curated and args.source:
        p.error("--source does not go with --curated")
    if args.check and not args.curated:
        p.error("--check goes with --curated")


def _sources(args: argparse.Namespace) -> list[Source]:
    sources = registry.sources(args.provider)
    if args.source:
        sources = [s for s in sources if s.id == args.source]
        if not sources:
            known = ", ".join(s.id for s in registry.sources(args.provider))
            raise CommandError(f"{args.provider} has no source {args.source!r} (known: {known})")
    if (args.git or args.url) and len(sources) > 1:
        known = ", ".join(s.id for s in sources)
        what = "the file" if args.git else "--url"
        raise CommandError(f"{args.provider} has several pages: say which one {what} mirrors with --source ({known})")
    return sources


def _http_url(text: str) -> str:
    """argparse type: an http(s) URL (bad usage otherwise, exit 2)."""
    if not text.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"{text!r} is not an http:// or https:// URL")
    return text


def _curated(args: argparse.Namespace) -> int:
    try:
        histories = [h for h in curated.read_all() if args.provider in (None, h.provider)]
    except curated.CuratedError as exc:
        raise CommandError(str(exc)) from None
    if not histories:
        raise CommandError(f"no curated history for {args.provider}")
    if args.check:
        return _check(histories)
    with _locked_db(args) as db, db.atomic():
        result = curated.load(db, histories)
        rebuild(db, [h.provider for h in histories])
    providers = ", ".join(h.provider for h in histories)
    print(f"curated history ({providers}): {result.inserted} observations added,"
          f" {result.deleted} removed, {result.kept} unchanged")
    return 0


def _check(histories: list[curated.CuratedHistory]) -> int:
    """Derive the curated history alone in a scratch database and list what is incoherent."""
    with tempfile.TemporaryDirectory() as scratch:
        db = open_db(Path(scratch) / "check.db")
        try:
            curated.load(db, histories)
            rebuild(db, [h.provider for h in histories])
            problems = curated.coherence(db)
            versions = db.execute("SELECT count(*) FROM prices").fetchone()[0]
        finally:
            db.close()
    for problem in problems:
        print(f"ratecard backfill: {one_line(problem)}", file=sys.stderr)
    entries = sum(len(h.entries) for h in histories)
    print(f"curated history ({', '.join(h.provider for h in histories)}): {entries} entries, {versions} price"
          f" versions, {len(problems)} problems")
    return 1 if problems else 0


#: The backfill's status line (``scraper.output.Progress``: only on a terminal).
_STATUS = Progress("backfill", every=0.1)


def _progress(line: str) -> None:
    """Each copy's outcome: a status line on a terminal; piped, only what went wrong (an "ok"
    is counted in the summary), so logs and cron mails stay quiet."""
    if _STATUS.on:
        _STATUS.update(line)
    elif not line.endswith(" ok"):
        print(line, file=sys.stderr, flush=True)


def _summary(tally: Tally) -> None:
    _STATUS.clear()
    print(f"backfill: {tally.recorded} copies recorded ({tally.ok} parsed, {tally.errors} unreadable),"
          f" {tally.skipped} already stored, {len(tally.failed)} left for the next run")
