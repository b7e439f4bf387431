"""``ratecard parse``: read one saved page with a provider's parser and print its quotes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from parsers import registry
from parsers.quote import ParseError
from scraper.cli import CommandError
from scraper.output import print_rows

TABLE_COLUMNS = ("model", "component", "tier", "window", "currency", "price", "list_price",
                 "promo_until", "effective_from")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("parse", help="parse a saved pricing page and print its quotes")
    p.add_argument("--provider", required=True, choices=registry.providers())
    p.add_argument("file", type=Path, help="the page: HTML, Markdown or JSON, as fetched")
    p.add_argument("--source-url", default="", help="the URL the page came from (kept in quotes)")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        text = args.file.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise CommandError(f"{args.file}: cannot read: {exc.strerror}") from None
    try:
        reading = registry.read(args.provider, text, args.source_url)
    except ParseError as exc:
        raise CommandError(f"{args.file}: {exc}") from None
    except RecursionError:  # a JSON or HTML page nested thousands deep: no pricing page is
        raise CommandError(f"{args.file}: nested too deeply to be a pricing page") from None
    rows = [q.to_dict() for q in reading.quotes]
    print_rows(rows, TABLE_COLUMNS, args.json)
    for skipped in reading.skipped:
        print(f"ratecard parse: {args.file}: skipped {skipped}", file=sys.stderr)
    return 0
