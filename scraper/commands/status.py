"""``ratecard status``: per source the last run, the last success and the failure streak, then the
suspect observations waiting for a second run to confirm them."""

from __future__ import annotations

import argparse

from db.health import source_health, waiting_suspects
from scraper.options import add_db_argument, open_existing
from scraper.output import print_json, print_table

COLUMNS = ("source_id", "last_run_at", "last_outcome", "last_success_at", "failures_in_a_row", "last_error")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help="last run per source, failure streaks, suspects waiting")
    add_db_argument(p)
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    db = open_existing(args)
    try:
        sources, suspects = source_health(db), waiting_suspects(db)
    finally:
        db.close()
    if args.json:
        print_json({"sources": [s.to_dict() for s in sources],
                    "suspects_waiting": [s.to_dict() for s in suspects]})
        return 0
    rows = [{**s.to_dict(), "last_error": s.last_error if s.last_outcome == "error" else None} for s in sources]
    print_table(rows, COLUMNS)
    print(f"suspects waiting: {len(suspects)}")
    for s in suspects:
        print(f"suspect  {s.source_id} observed {s.observed_at}, held until the next run repeats it:"
              f" {'; '.join(s.reasons)}")
    return 0
