"""``ratecard changes``: the price change events, newest first, with when and how we know.

``--since``/``--until`` bound ``effective_at`` with the one meaning of a time
(``db.reprice.pricer``): a date alone is the whole UTC day, so ``--since 2025-09-01 --until
2025-09-30`` keeps every change effective from 2025-09-01T00:00Z up to 2025-09-30T23:59:59.999Z;
an instant is an inclusive bound.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import sqlite_utils

from db.reprice.pricer import DAY, When
from parsers.quote import iso_utc
from scraper.cli import CommandError
from scraper.options import add_db_argument, check_filters, empty_history_note, moment, open_existing
from scraper.output import print_rows

#: Fields shown (and, with --json, emitted): exact text only, no float copies.
FIELDS = ("provider", "model", "component", "tier", "currency", "kind", "old_price", "new_price",
          "percent_change", "old_list_price", "new_list_price", "old_window", "new_window",
          "effective_at", "basis", "observed_after", "observed_at", "status", "source_id")
#: The table shows money with its currency code (``USD 0.2800``), so no separate currency column.
TABLE_COLUMNS = ("effective_at", "basis", "provider", "model", "component", "tier",
                 "kind", "old_price", "new_price", "percent_change", "observed_after", "observed_at",
                 "status")
#: Money columns of the table and how each is rounded (``db.display.money``).
MONEY = {"old_price": "price", "new_price": "price"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("changes", help="price change events, newest first")
    add_db_argument(p)
    p.add_argument("--provider", metavar="ID", help="only this provider (an unknown one is an error)")
    p.add_argument("--model", metavar="M", help="only this model (any case; an unknown one is an error)")
    p.add_argument("--currency", metavar="CODE", help="only changes in this currency (USD, CNY, EUR)")
    p.add_argument("--since", type=moment, metavar="ISO8601",
                   help="only changes effective at or after this (a date: from the day's 00:00 UTC)")
    p.add_argument("--until", type=moment, metavar="ISO8601",
                   help="only changes effective at or before this (a date: through the whole UTC day)")
    p.add_argument("--json", action="store_true", help="print a JSON array (exact decimal text)")
    p.add_argument("--exact", action="store_true",
                   help="show prices exact in the table (default: rounded to 4 places for USD/EUR/CNY,"
                        " '~' marking a rounded figure)")
    p.set_defaults(func=run)


def changes_between(db: sqlite_utils.Database, provider: str | None = None, model: str | None = None,
                    currency: str | None = None, since: When | None = None,
                    until: When | None = None) -> list[dict[str, Any]]:
    """Change events newest ``effective_at`` first, filtered; a date bound covers its whole day."""
    where, params = ["1 = 1"], {}
    for field, value in (("provider", provider), ("model", model), ("currency", currency)):
        if value:
            where.append(f"{field} = :{field} COLLATE NOCASE")
            params[field] = value
    if since:
        where.append("effective_at >= :since")
        params["since"] = iso_utc(since.start)
    if until:
        if until.whole_day:
            where.append("effective_at < :until")
            params["until"] = iso_utc(until.start + DAY)
        else:
            where.append("effective_at <= :until")
            params["until"] = iso_utc(until.start)
    return list(db.query(
        f"SELECT * FROM changes WHERE {' AND '.join(where)}"
        " ORDER BY effective_at DESC, provider, model, component, tier, currency", params))


def run(args: argparse.Namespace) -> int:
    if args.since and args.until and args.since.start > args.until.start:
        raise CommandError(f"--since {args.since.text()} is after --until {args.until.text()}")
    db = open_existing(args)
    try:
        check_filters(db, args)
        rows = [{f: r[f] for f in FIELDS}
                for r in changes_between(db, args.provider, args.model, args.currency, args.since, args.until)]
        note = empty_history_note(db)
    finally:
        db.close()
    if note:
        print(note, file=sys.stderr)
    print_rows(rows, TABLE_COLUMNS, args.json, MONEY, args.exact)
    return 0
