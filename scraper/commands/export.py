"""``ratecard export DIR``: current prices and the change log as CSV and JSON, one file per provider."""

from __future__ import annotations

import argparse
from pathlib import Path

from db.export import export
from scraper.cli import CommandError
from scraper.options import add_db_argument, open_existing


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="write prices and changes as CSV and JSON files, one per provider")
    add_db_argument(p)
    p.add_argument("dir", type=Path, metavar="DIR", nargs="?", help="folder to write into (created if missing)")
    p.add_argument("--rates", type=Path, metavar="FILE.parquet|.csv",
                   help="write the rate table the pricing query joins (see `ratecard sql`) instead")
    p.add_argument("--currency", default="USD", help="with --rates: the currency (default USD)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.rates is not None:
        return run_rates(args)
    if args.dir is None:
        raise CommandError("give a folder DIR, or --rates FILE")
    db = open_existing(args)
    try:
        written = export(db, args.dir)
    finally:
        db.close()
    print(f"wrote {len(written)} files to {args.dir}")
    return 0


def run_rates(args: argparse.Namespace) -> int:
    """The compiled history as one flat table (``db.reprice.rates``), for Spark or a warehouse."""
    from db.reprice.rates import compile_rates, write_rates
    from scraper.commands.reprice import open_pricer

    if args.rates.suffix.lower() not in (".parquet", ".csv"):
        raise CommandError(f"{args.rates}: --rates writes a .parquet or .csv file")
    table = compile_rates(open_pricer(args))
    write_rates(table, args.rates)
    print(f"wrote {len(table.rows)} rate rows ({table.currency}, scale {table.scale}) to {args.rates}")
    return 0
