"""``ratecard rebuild`` and ``ratecard reparse``: re-derive the history from the observation log.

``rebuild`` re-runs the derivation over the stored quote sets (idempotent: twice gives identical
tables); ``reparse`` first re-reads every stored page with today's parsers, for after a parser fix.
"""

from __future__ import annotations

import argparse

from db.history import rebuild
from scraper.options import add_db_argument, open_existing
from scraper.reparse import reparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rebuild", help="re-derive prices and changes from the stored observations")
    add_db_argument(p)
    p.add_argument("--provider", action="append", metavar="ID", help="only this provider (repeatable)")
    p.set_defaults(func=run_rebuild)
    p = sub.add_parser("reparse", help="re-parse stored pages with today's parsers, then rebuild")
    add_db_argument(p)
    p.add_argument("--provider", action="append", metavar="ID", help="only this provider (repeatable)")
    p.set_defaults(func=run_reparse)


def run_rebuild(args: argparse.Namespace) -> int:
    db = open_existing(args)
    try:
        rebuild(db, args.provider)
        counts = {t: db[t].count for t in ("prices", "changes")}
    finally:
        db.close()
    print(f"rebuilt: {counts['prices']} price versions, {counts['changes']} changes")
    return 0


def run_reparse(args: argparse.Namespace) -> int:
    db = open_existing(args)
    try:
        result = reparse(db, args.provider)
    finally:
        db.close()
    print(f"reparsed {result.observations} observations: {result.changed} changed,"
          f" {result.errors} rejected by today's parsers")
    return 0
