"""``ratecard prices``: the prices in force at a time, promo and list price side by side.

``--at`` follows the pricer's one meaning of a time (``db.reprice.pricer``): an instant lists the
versions in force then; a date alone (``2025-09-01``) is the whole UTC day and lists every
version in force at some moment of it.  A change known only to lie between two observations
(``valid_from_after`` .. ``valid_from``) is not hidden at either end: at a time inside that
window both the old and the new version are listed, each marked ``maybe``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from typing import Any

import sqlite_utils

from db.reprice.pricer import DAY, When
from parsers.quote import iso_utc, parse_utc
from scraper.options import add_db_argument, check_filters, empty_history_note, moment, open_existing
from scraper.output import print_rows

#: Fields shown (and, with --json, emitted): exact text only, no float copies.
FIELDS = ("provider", "model", "component", "tier", "window", "currency", "price", "list_price",
          "promo_until", "valid_from", "valid_to", "from_basis", "valid_from_after", "to_basis", "status",
          "source_id", "in_force")
#: The table shows money with its currency code (``USD 0.2800``), so no separate currency column.
TABLE_COLUMNS = ("provider", "model", "component", "tier", "window", "price",
                 "list_price", "promo_until", "valid_from", "valid_to", "from_basis", "valid_from_after",
                 "status", "in_force")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prices", help="prices in force at a time (default now)")
    add_db_argument(p)
    p.add_argument("--at", type=moment, metavar="ISO8601",
                   help="when (default: now): a date (2025-09-01: every version in force at some moment of"
                        " that UTC day) or an instant (2025-09-01T18:00:00Z); inside the window of a change"
                        " whose instant is unknown both versions are listed (in_force maybe)")
    p.add_argument("--provider", metavar="ID", help="only this provider (an unknown one is an error)")
    p.add_argument("--model", metavar="M", help="only this model (any case; an unknown one is an error)")
    p.add_argument("--currency", metavar="CODE", help="only prices in this currency (USD, CNY, EUR)")
    p.add_argument("--json", action="store_true", help="print a JSON array (exact decimal text)")
    p.add_argument("--exact", action="store_true",
                   help="show prices exact in the table (default: rounded to 4 places for USD/EUR/CNY,"
                        " '~' marking a rounded figure)")
    p.set_defaults(func=run)

#: Money columns of the table and how each is rounded (``db.display.money``).
MONEY = {"price": "price", "list_price": "price"}


def prices_during(db: sqlite_utils.Database, when: When, provider: str | None = None,
                  model: str | None = None, currency: str | None = None) -> list[dict[str, Any]]:
    """Every version in force at some moment of ``when``, with ``in_force`` saying how.

    ``in_force``: ``yes`` (throughout), ``part`` (a date: from or until a known instant inside
    the day), ``maybe`` (the version starts, or the one it replaced ends, at an unknown instant of
    a window that meets ``when``).  A version starting after ``when`` but with ``valid_from_after``
    before it is listed (``maybe``): the change may already have happened.
    """
    start = when.start
    end = start + DAY if when.whole_day else start
    begun = "valid_from < :end OR valid_from_after < :end" if when.whole_day else \
        "valid_from <= :start OR valid_from_after < :start"
    where = [f"({begun})", "(valid_to IS NULL OR valid_to > :start)"]
    params: dict[str, Any] = {"start": iso_utc(start), "end": iso_utc(end)}
    if provider:
        where.append("provider = :provider COLLATE NOCASE")
        params["provider"] = provider
    if model:
        where.append("model = :model COLLATE NOCASE")
        params["model"] = model
    if currency:
        where.append("currency = :currency COLLATE NOCASE")
        params["currency"] = currency
    rows = list(db.query(
        f"SELECT * FROM prices WHERE {' AND '.join(where)}"
        " ORDER BY provider, model, component, tier, currency, valid_from", params))
    # A version not begun yet is listed only when it replaces one (the pricer's rule: a new model
    # has no window, its price starts where the history saw it).
    ends = {(r["provider"], r["model"], r["currency"], r["valid_to"]) for r in rows
            if r["valid_to"] and r["to_basis"] != "announced"}
    begun = iso_utc(end) if when.whole_day else iso_utc(start)
    rows = [r for r in rows if (r["valid_from"] < begun or (not when.whole_day and r["valid_from"] == begun))
            or (r["provider"], r["model"], r["currency"], r["valid_from"]) in ends]
    # The start of a version the history only bounds: (valid_from_after, valid_from).
    windows = {(r["provider"], r["model"], r["component"], r["currency"], r["valid_from"]): r["valid_from_after"]
               for r in rows if r["valid_from_after"]}
    for r in rows:
        r["in_force"] = _in_force(r, start, end, when.whole_day, windows)
    return rows


def _in_force(r: dict[str, Any], start: datetime, end: datetime, whole_day: bool,
              windows: dict[tuple[str, ...], str]) -> str:
    group = (r["provider"], r["model"], r["component"], r["currency"])

    def meets(after: str | None, by: str) -> bool:
        """Whether the open window (after, by) meets [start, end] (an instant: after < start < by)."""
        if after is None:
            return False
        a, b = parse_utc(after), parse_utc(by)
        return a < end and start < b and (whole_day or a < start)

    if meets(r["valid_from_after"], r["valid_from"]):
        return "maybe"
    if r["valid_to"] and meets(windows.get((*group, r["valid_to"])), r["valid_to"]):
        return "maybe"
    if whole_day and (parse_utc(r["valid_from"]) > start
                      or (r["valid_to"] is not None and parse_utc(r["valid_to"]) < end)):
        return "part"
    return "yes"


def run(args: argparse.Namespace) -> int:
    db = open_existing(args)
    try:
        check_filters(db, args)
        when = args.at or When(datetime.now(timezone.utc).replace(microsecond=0))
        rows = [{f: r[f] for f in FIELDS}
                for r in prices_during(db, when, args.provider, args.model, args.currency)]
        note = empty_history_note(db)
    finally:
        db.close()
    if note:
        print(note, file=sys.stderr)
    print_rows(rows, TABLE_COLUMNS, args.json, MONEY, args.exact)
    return 0
