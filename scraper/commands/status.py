"""``ratecard status``: per source the last run's outcome, since when it fails, the last success and
the failure streak, then the suspect observations waiting for a second run to confirm them.

Only fetched observations count (a backfill from an archive proves nothing about scraping today).
Exit 1 when every fetched source is failing: a cron job or CI step then fails loudly.
"""

from __future__ import annotations

import argparse
import sys

from db.display import print_table
from db.health import HELD_UNTIL, all_failing, source_health, waiting_suspects
from parsers.safetext import one_line
from scraper.options import add_db_argument, open_existing
from scraper.output import print_json

COLUMNS = ("source_id", "last_run_at", "last_outcome", "last_way", "failing_since", "last_success_at",
           "failures_in_a_row", "last_error")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help="last outcome per source, since when it fails, suspects waiting")
    add_db_argument(p)
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    db = open_existing(args)
    try:
        sources, suspects = source_health(db), waiting_suspects(db)
    finally:
        db.close()
    down = all_failing(sources)
    if args.json:
        print_json({"sources": [s.to_dict() for s in sources], "all_failing": down,
                    "suspects_waiting": [s.to_dict() for s in suspects]})
        return 1 if down else 0
    rows = [{**s.to_dict(), "last_error": s.last_error if s.failing else None} for s in sources]
    print_table(rows, COLUMNS)
    failing = [s for s in sources if s.failing]
    print(f"failing: {len(failing)} of {len(sources)} sources")
    for s in failing:
        print(f"failing  {s.describe()}")
    if not any(s.last_run_at for s in sources):
        print("no source has been fetched yet (only archive observations): run `ratecard scrape`")
    print(f"suspects waiting: {len(suspects)}")
    for s in suspects:
        print(f"suspect  {s.source_id} observed {s.observed_at}, {HELD_UNTIL}:"
              f" {one_line('; '.join(s.reasons))}")
    if down:
        print("ratecard status: every source is failing (see last_outcome and last_error)", file=sys.stderr)
        return 1
    return 0
