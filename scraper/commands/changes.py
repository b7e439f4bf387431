"""``ratecard changes``: the price change events, newest first, with when and how we know."""

from __future__ import annotations

import argparse

from db.history import changes
from scraper.options import add_db_argument, instant, open_existing
from scraper.output import print_rows

#: Fields shown (and, with --json, emitted): exact text only, no float copies.
FIELDS = ("provider", "model", "component", "tier", "currency", "kind", "old_price", "new_price",
          "percent_change", "old_list_price", "new_list_price", "old_window", "new_window",
          "effective_at", "basis", "observed_after", "observed_at", "status", "source_id")
TABLE_COLUMNS = ("effective_at", "basis", "provider", "model", "component", "tier", "currency",
                 "kind", "old_price", "new_price", "percent_change", "observed_after", "observed_at",
                 "status")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("changes", help="price change events, newest first")
    add_db_argument(p)
    p.add_argument("--provider", metavar="ID")
    p.add_argument("--since", type=instant, metavar="ISO8601",
                   help="only changes effective at or after this instant")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    db = open_existing(args)
    try:
        rows = [{f: r[f] for f in FIELDS} for r in changes(db, args.provider, args.since)]
    finally:
        db.close()
    print_rows(rows, TABLE_COLUMNS, args.json)
    return 0
