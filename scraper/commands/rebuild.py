"""``ratecard rebuild`` and ``ratecard reparse``: re-derive the history from the observation log.

``rebuild`` re-runs the derivation over the stored quote sets (idempotent: twice gives identical
tables); ``reparse`` first re-reads every stored page with today's parsers, for after a parser fix.

``rebuild --from-git REPO`` first records every page version the nightly committed under
REPO/data/pages (at its commit's author date, the night it was seen) that the database lacks: the
way back to a database from the repository alone.  ``rebuild --compact`` first rewrites the rows an
older ratecard stored (zlib bodies, JSON quote sets) as zstd deltas; nothing read changes.
"""

from __future__ import annotations

import argparse
import sqlite3

from pathlib import Path

from db.history import rebuild
from db.observe import repack
from db.schema import open_db
from scraper.cli import CommandError
from scraper.fetch.git import GitError
from scraper.options import add_db_argument, db_path, open_existing
from parsers import registry
from scraper.reparse import reparse
from scraper.snapshots import record_snapshots, snapshot_history


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rebuild", help="re-derive prices and changes from the stored observations")
    add_db_argument(p)
    p.add_argument("--provider", action="append", choices=registry.providers(), metavar="ID",
                   help="only this provider (repeatable)")
    p.add_argument("--from-git", type=Path, metavar="REPO",
                   help="first record the page versions committed by the nightly in REPO (a missing"
                        " database is created)")
    p.add_argument("--pages", default="data/pages", metavar="PATH",
                   help="with --from-git: the pages' folder in REPO (default: data/pages)")
    p.add_argument("--compact", action="store_true",
                   help="first rewrite rows stored by an older ratecard in the compact format")
    p.set_defaults(func=run_rebuild)
    p = sub.add_parser("reparse", help="re-parse stored pages with today's parsers, then rebuild")
    add_db_argument(p)
    p.add_argument("--provider", action="append", metavar="ID", help="only this provider (repeatable)")
    p.set_defaults(func=run_reparse)


def run_rebuild(args: argparse.Namespace) -> int:
    history = None
    if args.from_git:  # read the repository before the database is touched: a bad path writes nothing
        try:
            history = snapshot_history(args.from_git, args.pages.strip("/"))
        except GitError as exc:
            raise CommandError(str(exc)) from None
        if not history:
            raise CommandError(f"{args.from_git}: no page committed under {args.pages}")
    db = open_db(db_path(args)) if history else open_existing(args)
    try:
        with db.atomic():
            if args.compact:
                repacked = repack(db)
                print(f"compacted: {repacked['bodies']} bodies, {repacked['quote_sets']} quote sets")
            if history:
                before = db["observations"].count
                record_snapshots(db, history)
                print(f"from git: {db['observations'].count - before} of {len(history)} committed pages recorded")
            rebuild(db, args.provider)
        counts = {t: db[t].count for t in ("prices", "changes")}
    finally:
        db.close()
    if args.compact:
        _vacuum(db_path(args))
    print(f"rebuilt: {counts['prices']} price versions, {counts['changes']} changes")
    return 0


def _vacuum(path: Path) -> None:
    """Give the space of the rewritten rows back to the file system."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("VACUUM")
    finally:
        conn.close()


def run_reparse(args: argparse.Namespace) -> int:
    db = open_existing(args)
    try:
        result = reparse(db, args.provider)
    finally:
        db.close()
    print(f"reparsed {result.observations} observations: {result.changed} changed,"
          f" {result.errors} rejected by today's parsers")
    return 0
