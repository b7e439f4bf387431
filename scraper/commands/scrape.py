"""``ratecard scrape``: fetch every source, record the observations, rebuild the history."""

from __future__ import annotations

import argparse
import sys

from db.health import held_in_run
from parsers import registry
from scraper.cli import CommandError
from scraper.options import add_db_argument, db_path, instant
from scraper.runlock import RunRefused, scrape_exclusively


#: Change lines printed after a run; the rest are counted (``ratecard changes`` lists them all).
MAX_LISTED = 20


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scrape", help="fetch pricing pages into the history database")
    add_db_argument(p)
    p.add_argument("--provider", action="append", choices=registry.providers(), metavar="ID",
                   help="only this provider (repeatable; default: all)")
    p.add_argument("--mirror", type=mirror_base, metavar="URL",
                   help="fetch https://HOST/PATH from URL/HOST/PATH instead (a local copy or a cache)")
    p.add_argument("--at", type=instant, metavar="ISO8601",
                   help="observation time to record (default: now); for tests and imports")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="when another run holds the database, wait this long for it (default: exit at once)")
    p.set_defaults(func=run)


def mirror_base(text: str) -> str:
    """argparse type: a mirror must be an http(s) URL (bad usage otherwise, exit 2)."""
    if not text.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"{text!r} is not an http:// or https:// URL")
    return text


def run(args: argparse.Namespace) -> int:
    """Exit 0 when every source succeeded, 1 when any failed (the others are still stored)."""
    try:
        result = scrape_exclusively(db_path(args), args.provider, args.mirror, args.at, args.wait)
    except (KeyError, ImportError, RunRefused) as exc:
        raise CommandError(str(exc)) from None
    for s in result.sources:
        detail = f"{s.quote_count} quotes" if s.ok else s.error
        status = s.status if s.status is not None else "-"
        print(f"{s.source_id}  {'ok' if s.ok else 'FAILED'}  HTTP {status}  {detail}")
        if not s.ok:
            print(f"ratecard scrape: {s.source_id} ({s.url}): {s.error}", file=sys.stderr)
        for skipped in s.skipped:
            print(f"warning  {s.source_id}: skipped {skipped}")
    for c in result.new_changes[:MAX_LISTED]:
        print(f"change  {c['provider']}/{c['model']} {c['component']} {c['tier']} {c['currency']}:"
              f" {c['kind']} {c['old_price'] or '-'} -> {c['new_price'] or '-'}"
              f" effective {c['effective_at']} ({c['basis']}, {c['status']})")
    if len(result.new_changes) > MAX_LISTED:
        print(f"... and {len(result.new_changes) - MAX_LISTED} more changes (see `ratecard changes`)")
    for d in result.disagreements:
        print(f"disagreement  {d['source_id']} shows {d['model']} {d['component']} {d['tier']}"
              f" {d['currency']} at {d['shown_price']}, {d['authority_id']} has"
              f" {d['expected_price'] or 'no such price'}")
    for held in held_in_run(db_path(args), result.observed_at):
        print(f"suspect  {held.source_id}: held until the next run repeats it: {'; '.join(held.reasons)}")
    ok = sum(s.ok for s in result.sources)
    print(f"observed at {result.observed_at:%Y-%m-%dT%H:%M:%SZ}: {ok} sources ok,"
          f" {len(result.sources) - ok} failed; {len(result.new_changes)} changes found")
    return 0 if result.ok else 1
