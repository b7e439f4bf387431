"""``ratecard reprice``: cost a usage file at the rates in force when each row ran.

One engine prices every output (``db.reprice.engine``: DuckDB reads and checks the file, one
query prices it, ``db.reprice.writers`` writes table, CSV, JSON, Parquet or the totals); memory holds the
compiled history and, for per-row outputs, the priced rows (spilled to disk past the engine's
limit), never the file's text.  ``--at`` moves every row to one date (each keeps its time of day) or one instant
(before/after a cut), ``--as`` prices the same token mix on another model (a cost benchmark of one
real workload across providers).  What a date or an instant means is the pricer's one rule
(``db.reprice.pricer``); rows inside the window of a change whose instant is unknown carry both
costs in every output.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from db.reprice.pricer import CurrencyNotPublished, Pricer, load_versions, published_currencies
from db.reprice.usage import UsageError
from scraper.cli import CommandError
from scraper.options import MOMENT_HELP, add_db_argument, db_path, moment, open_prices_of


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reprice", help="cost a usage file (CSV or JSONL) at the rates in force")
    add_pricing_args(p)
    p.add_argument("--at", metavar="ISO8601", type=moment,
                   help="price every row as if it ran then: " + MOMENT_HELP)
    p.add_argument("--as", dest="as_model", metavar="PROVIDER/MODEL",
                   help="price the same tokens on another model")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print JSON (costs as decimal strings)")
    fmt.add_argument("--csv", action="store_true", help="print one CSV line per row")
    fmt.add_argument("--summary", action="store_true",
                     help="print the totals only, no per-row lines (fast on large CSV files)")
    fmt.add_argument("--parquet", metavar="FILE", type=Path,
                     help="write one row per usage row to FILE as Parquet (costs DECIMAL, exact), print the totals")
    p.set_defaults(func=run)


def add_pricing_args(p: argparse.ArgumentParser) -> None:
    """The arguments reprice and explain share."""
    p.add_argument("file", help="usage file: CSV or JSONL (see README: usage columns)")
    add_db_argument(p)
    p.add_argument("--provider", default="", metavar="ID",
                   help="the provider of every row, for a file without a provider column")
    p.add_argument("--currency", default="USD", help="ISO code; only currencies the provider published")
    p.add_argument("--exact", action="store_true",
                   help="show the table's costs (and explain's prices) exact (default: rounded with the currency"
                        " code, costs to 6 places and prices per 1M to 4 for USD/EUR/CNY, '~' marking a rounded"
                        " figure); JSON and CSV are always exact")


def open_pricer(args: argparse.Namespace) -> Pricer:
    """The compiled history in the asked currency; errors the user can act on become CommandError."""
    currency = args.currency.upper()
    db = open_prices_of(args)
    try:
        return _compiled(args, db, currency)
    finally:
        db.close()


def _compiled(args: argparse.Namespace, db, currency: str) -> Pricer:
    published = published_currencies(db)
    if not published:
        raise CommandError(f"{db_path(args)}: no prices in the history (run `ratecard scrape`)")
    if not any(currency in currencies for currencies in published.values()):
        known = ", ".join(sorted(set().union(*published.values())))
        raise CommandError(f"no provider publishes prices in {currency} (published: {known}); "
                           "ratecard does not guess exchange rates")
    try:
        return Pricer(load_versions(db, currency), currency, published)
    except ValueError as exc:  # a stored price ratecard cannot read (a bad window): say which
        raise CommandError(f"{db_path(args)}: {exc}") from None


def as_target(pricer: Pricer, as_model: str | None) -> tuple[str, str] | None:
    """``--as PROVIDER/MODEL``: the (provider, model) the history knows it as, or None without
    ``--as``; one the history has no price for is the user's error."""
    if not as_model:
        return None
    provider, slash, model = as_model.partition("/")
    known = pricer.canonical(provider.lower(), model) if slash and model else None
    if known is None:
        raise CommandError(f"--as: {as_model!r} is not a PROVIDER/MODEL with {pricer.currency} prices in the history")
    return provider.lower(), known


def run(args: argparse.Namespace) -> int:
    """Options in, one writer chosen; the engine reads, checks, prices and writes."""
    from db.reprice.engine import Engine

    if args.parquet is not None and not args.parquet.absolute().parent.is_dir():  # said before any pricing
        raise CommandError(f"--parquet: {args.parquet.absolute().parent}: no such directory")
    pricer = open_pricer(args)
    target = as_target(pricer, args.as_model)
    fmt = ("json" if args.json else "csv" if args.csv else "summary" if args.summary
           else "parquet" if args.parquet else "table")
    try:
        with Engine(pricer) as engine:
            engine.load(args.file, args.provider, totals_only=fmt == "summary")
            engine.price(args.at, target, totals_only=fmt == "summary")
            # A bad row stops the command with nothing printed, never half a file: into a pipe
            # or a terminal the engine prints nothing before every run of lines is checked and
            # priced (its rows held in part files until then); into a regular file (> or >>) it
            # copies each run in while the next is priced and cuts the file back to the size it
            # had if a later run fails (db/reprice/rowparts.py).  The output is not held a
            # second time here (10M JSON rows are 5 GB).
            totals = engine.write(fmt, sys.stdout, args.file, args.at, target, rows_to=args.parquet,
                                  exact=args.exact)
    except (UsageError, CurrencyNotPublished) as exc:
        raise CommandError(str(exc)) from None
    if totals.unpriced:  # the total is not the whole bill: say so, and exit 1 like any bad row
        print(f"ratecard reprice: {len(totals.unpriced)} row(s) unpriced, not in the total (listed with the reason)",
              file=sys.stderr)
        return 1
    return 0


__all__ = ["add_pricing_args", "open_pricer", "register", "run"]
