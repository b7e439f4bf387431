"""``ratecard feed FILE``: an Atom feed of the price change events."""

from __future__ import annotations

import argparse
from pathlib import Path

from db.export import write_atomic
from db.feed import build_feed
from scraper.options import add_db_argument, open_existing


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("feed", help="write an Atom feed of price changes")
    add_db_argument(p)
    p.add_argument("file", type=Path, metavar="FILE", help="the .atom file to write")
    p.add_argument("--link", metavar="URL", help="the page the feed belongs to (its alternate link)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    db = open_existing(args)
    try:
        document = build_feed(db, link=args.link)
    finally:
        db.close()
    write_atomic(args.file, document)
    print(f"wrote {args.file}")
    return 0
