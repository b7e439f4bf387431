"""``ratecard export DIR``: current prices and the change log as CSV and JSON, one file per provider."""

from __future__ import annotations

import argparse
from pathlib import Path

from db.export import export
from scraper.options import add_db_argument, open_existing


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="write prices and changes as CSV and JSON files, one per provider")
    add_db_argument(p)
    p.add_argument("dir", type=Path, metavar="DIR", help="folder to write into (created if missing)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    db = open_existing(args)
    try:
        written = export(db, args.dir)
    finally:
        db.close()
    print(f"wrote {len(written)} files to {args.dir}")
    return 0
