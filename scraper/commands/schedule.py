"""``ratecard schedule``: run the nightly scrape (with exports and feed) on a cron schedule."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from parsers import registry
from parsers.quote import iso_utc
from scraper.commands.nightly import night
from scraper.commands.scrape import mirror_base
from scraper.options import add_db_argument, db_path, whole_seconds
from scraper.runlock import RunRefused
from scraper.schedule import (DEFAULT_CRON, DEFAULT_GRACE_SECONDS, build_scheduler, cron_trigger,
                              log, next_fire, run_forever, timed)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("schedule", help="scrape on a cron schedule (UTC) until stopped")
    add_db_argument(p)
    p.add_argument("--cron", type=trigger_arg, default=DEFAULT_CRON, metavar="EXPR",
                   help=f"crontab line in UTC, 5 fields, or 6 with seconds first (default: {DEFAULT_CRON!r})")
    p.add_argument("--grace", type=whole_seconds, default=DEFAULT_GRACE_SECONDS, metavar="SECONDS",
                   help="a run missed by at most this long still happens (default: %(default)s)")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="where exports and changes.atom go (default: the database's folder)")
    p.add_argument("--provider", action="append", choices=registry.providers(), metavar="ID",
                   help="only this provider (repeatable; default: all)")
    p.add_argument("--mirror", type=mirror_base, metavar="URL",
                   help="fetch https://HOST/PATH from URL/HOST/PATH instead")
    p.set_defaults(func=run)


def trigger_arg(text: str) -> str:
    """argparse type: the expression must make a valid trigger (exit 2 otherwise)."""
    try:
        cron_trigger(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"bad cron expression: {exc}") from None
    return text


def run(args: argparse.Namespace) -> int:
    path = db_path(args)
    out = args.out or path.parent
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)

    def one_run() -> str:
        try:
            result, held = night(path, out, args.provider, args.mirror)
        except RunRefused as exc:
            return f"skipped: {exc}"
        ok = sum(s.ok for s in result.sources)
        failed = "".join(f"; {s.source_id} failed: {s.error}" for s in result.sources if not s.ok)
        return (f"run {iso_utc(result.observed_at)}: {ok}/{len(result.sources)} sources ok,"
                f" {len(result.new_changes)} changes, {len(held)} suspects held{failed}")

    trigger = cron_trigger(args.cron)
    log.info("ratecard schedule: %s (UTC) on %s; next run %s; SIGINT or SIGTERM stops",
             args.cron, path, next_fire(trigger))
    run_forever(build_scheduler(timed(one_run), trigger, args.grace))
    return 0
