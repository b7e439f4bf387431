"""``ratecard scrape``: fetch every source, record the observations, rebuild the history.

Each source line says the outcome (ok, blocked, layout_changed, fetch_failed, too_large,
too_slow, error) and the way that served the page (http, markdown, browser), so the person
running it knows what to do: another way for ``blocked``, a parser fix for ``layout_changed``,
usually nothing but the next night for ``fetch_failed``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from db.health import HELD_UNTIL, failures_of_run, held_in_run
from parsers import registry
from parsers.safetext import one_line
from scraper.cli import CommandError
from scraper.fetch.http import FetchPolicy
from scraper.fetch.limits import MIB, FetchLimits
from scraper.fetch.ways import BROWSER, WAYS
from scraper.options import add_db_argument, db_path, instant, positive_float, positive_int
from scraper import run as run_module
from scraper.run import fetch_policy
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
    add_fetch_arguments(p)
    p.set_defaults(func=run)


def add_fetch_arguments(p: argparse.ArgumentParser) -> None:
    """The politeness and limit flags of a scrape (``scrape`` and ``nightly`` share them)."""
    limits = FetchLimits()
    g = p.add_argument_group("ways and limits")
    g.add_argument("--ignore-robots", action="store_true",
                   help="fetch pages even where the site's robots.txt disallows them (default: obey robots.txt)")
    g.add_argument("--way", action="append", choices=WAYS, dest="ways", metavar="WAY",
                   help=f"only these ways to get a page ({', '.join(WAYS)}; repeatable; default: each source's own)")
    g.add_argument("--no-browser", action="store_true",
                   help="never start the headless browser (the browser way is skipped)")
    g.add_argument("--browser", metavar="PATH",
                   help="the Chromium/Chrome to drive (default: $RATECARD_BROWSER, else chromium, google-chrome on PATH)")
    g.add_argument("--max-bytes", type=positive_int, default=limits.max_bytes, metavar="N",
                   help=f"largest decoded page in bytes (default {limits.max_bytes // MIB} MiB)")
    g.add_argument("--max-ratio", type=positive_int, default=limits.max_ratio, metavar="N",
                   help=f"largest decompression ratio, decoded bytes per byte received (default {limits.max_ratio})")
    g.add_argument("--source-timeout", type=positive_float, default=limits.source_seconds, metavar="SECONDS",
                   help=f"most time for all the ways of one source (default {limits.source_seconds:g})")
    g.add_argument("--run-timeout", type=positive_float, default=limits.run_seconds, metavar="SECONDS",
                   help=f"most time for fetching every source (default {limits.run_seconds:g})")


def policy_of(args: argparse.Namespace) -> FetchPolicy:
    """The fetch policy the flags of ``add_fetch_arguments`` ask for (timeouts and retries as the default's)."""
    ways = tuple(args.ways) if args.ways else None
    if args.no_browser:
        ways = tuple(w for w in (ways or WAYS) if w != BROWSER)
    return replace(run_module.DEFAULT_POLICY,
                   limits=FetchLimits(args.max_bytes, args.max_ratio, args.source_timeout, args.run_timeout),
                   honour_robots=not args.ignore_robots, ways=ways, browser=args.browser)


def mirror_base(text: str) -> str:
    """argparse type: a mirror must be an http(s) URL (bad usage otherwise, exit 2)."""
    if not text.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"{text!r} is not an http:// or https:// URL")
    return text


def run(args: argparse.Namespace) -> int:
    """Exit 0 when every source succeeded, 1 when any failed (the others are still stored)."""
    try:
        with fetch_policy(policy_of(args)):
            result = scrape_exclusively(db_path(args), args.provider, args.mirror, args.at, args.wait)
    except (KeyError, ImportError, RunRefused) as exc:
        raise CommandError(str(exc)) from None
    for s in result.sources:
        status = s.status if s.status is not None else "-"
        way = f"via {s.way}" if s.way else "no way"
        detail = f"{s.quote_count} quotes" if s.ok else one_line(s.error or "")
        print(f"{s.source_id}  {s.outcome if s.ok else s.outcome.upper()}  {way}  HTTP {status}  {detail}")
        if not s.ok:
            print(f"ratecard scrape: {s.source_id} ({s.url}): {s.outcome}: {one_line(s.error or '')}",
                  file=sys.stderr)
        for fallback in s.fallbacks:
            print(f"note  {s.source_id}: served by the {s.way} way after {one_line(fallback)}")
        for skipped in s.skipped:
            print(f"warning  {s.source_id}: skipped {one_line(str(skipped))}")
    for h in failures_of_run(db_path(args), result.observed_at):
        print(f"failing  {h.source_id}: {h.streak()}")
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
        print(f"suspect  {held.source_id}: {HELD_UNTIL}: {'; '.join(held.reasons)}")
    ok = sum(s.ok for s in result.sources)
    print(f"observed at {result.observed_at:%Y-%m-%dT%H:%M:%SZ}: {ok} sources ok,"
          f" {len(result.sources) - ok} failed; {len(result.new_changes)} changes found")
    if result.sources and not ok:
        print(OFFLINE_HINT, file=sys.stderr)
    return 0 if result.ok else 1


#: What to do when nothing could be fetched (no network, every site refusing): two ways to start.
OFFLINE_HINT = (
    "ratecard scrape: no source could be read. Without network you can still start:\n"
    "  ratecard backfill --curated            # load the curated price history shipped with ratecard\n"
    "  ratecard mirror DIR & ratecard scrape --mirror http://127.0.0.1:8002   # scrape saved pages (DIR/HOST/PATH)")
