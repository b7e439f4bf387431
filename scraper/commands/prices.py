"""``ratecard prices``: the prices in force at an instant, promo and list price side by side."""

from __future__ import annotations

import argparse

from db.history import prices_at
from scraper.options import add_db_argument, instant, open_existing
from scraper.output import print_rows
from scraper.run import now_utc

#: Fields shown (and, with --json, emitted): exact text only, no float copies.
FIELDS = ("provider", "model", "component", "tier", "window", "currency", "price", "list_price",
          "promo_until", "valid_from", "valid_to", "from_basis", "to_basis", "status", "source_id")
TABLE_COLUMNS = ("provider", "model", "component", "tier", "window", "currency", "price",
                 "list_price", "promo_until", "valid_from", "valid_to", "from_basis", "status")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prices", help="prices in force at an instant (default now)")
    add_db_argument(p)
    p.add_argument("--at", type=instant, metavar="ISO8601", help="the instant (default: now)")
    p.add_argument("--provider", metavar="ID")
    p.add_argument("--model", metavar="M")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    db = open_existing(args)
    try:
        rows = [{f: r[f] for f in FIELDS} for r in prices_at(db, args.at or now_utc(), args.provider, args.model)]
    finally:
        db.close()
    print_rows(rows, TABLE_COLUMNS, args.json)
    return 0
