"""The ``ratecard`` command line: one sub-command per module, each registering itself.

Exit codes are the same for every command: 0 success, 1 the work failed (a source, a parse, a bad
row), 2 bad usage.  Errors go to stderr as one line that names the file, line and field concerned.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sqlite3
import sys
from collections.abc import Sequence

from db.errors import DatabaseUnusable, DataError, describe_sqlite_error
from parsers.safetext import one_line

#: Each module exposes ``register(subparsers)``, which adds its sub-command and sets ``func``
#: (``func(args) -> int`` returns the exit code).  Only the module of the command being run is
#: imported (``ratecard --help`` lists the others from the one-line help below), so a command
#: starts without loading what other commands need (httpx, Datasette, DuckDB, the parsers).
COMMANDS: dict[str, tuple[str, str]] = {
    "parse": ("scraper.commands.parse", "parse a saved pricing page and print its quotes"),
    "scrape": ("scraper.commands.scrape", "fetch pricing pages into the history database"),
    "mirror": ("scraper.commands.mirror", "serve a folder of saved pages as a mirror for scrape --mirror"),
    "prices": ("scraper.commands.prices", "prices in force at a time (default now)"),
    "changes": ("scraper.commands.changes", "price change events, newest first"),
    "rebuild": ("scraper.commands.rebuild", "re-derive prices and changes from the stored observations"),
    "reparse": ("scraper.commands.rebuild", "re-parse stored pages with today's parsers, then rebuild"),
    "status": ("scraper.commands.status", "last outcome per source, since when it fails, suspects waiting"),
    "export": ("scraper.commands.export", "write prices and changes as CSV and JSON files, one per provider"),
    "feed": ("scraper.commands.feed", "write an Atom feed of price changes"),
    "nightly": ("scraper.commands.nightly", "scrape, write exports and feed, and a commit message (for CI)"),
    "schedule": ("scraper.commands.schedule", "scrape on a cron schedule (UTC) until stopped"),
    "reprice": ("scraper.commands.reprice", "cost a usage file (CSV or JSONL) at the rates in force"),
    "explain": ("scraper.commands.explain", "why a price change did not change your bill by as much"),
    "sql": ("scraper.commands.sql", "print the pricing query over tables `usage` and `rates` (DuckDB or Spark SQL)"),
    "backfill": ("scraper.commands.backfill", "fill the price history backwards (web archive, git mirror, curated)"),
    "serve": ("scraper.commands.serve", "browse the history in Datasette (read-only)"),
}
COMMAND_MODULES = tuple(dict.fromkeys(module for module, _ in COMMANDS.values()))


class CommandError(Exception):
    """A failure the user can act on: printed as one line, exit code 1."""


def version() -> str:
    """The installed distribution's version (pyproject.toml's, once installed)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("ratecard")
    except PackageNotFoundError:
        return "unknown (not installed: pip install .)"


class _Version(argparse.Action):
    """``--version``, read from the installed metadata only when asked (importlib.metadata is slow)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        sys.stdout.write(f"ratecard {version()}\n")
        parser.exit()


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with ``argv``, only the module of the command it names is imported (the others
    are listed by name and help), without it every command is registered in full."""
    parser = argparse.ArgumentParser(
        prog="ratecard",
        description="Track LLM API prices over time and reprice usage at the rates in force.",
    )
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = next((a for a in argv if not a.startswith("-")), None) if argv is not None else None
    for name, (module, help_text) in COMMANDS.items():
        if name in sub.choices:
            continue
        if argv is None or name == chosen or (chosen in COMMANDS and COMMANDS[chosen][0] == module):
            importlib.import_module(module).register(sub)
        if name not in sub.choices:
            sub.add_parser(name, help=help_text)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (CommandError, DatabaseUnusable, DataError) as exc:
        print(f"ratecard {args.command}: {one_line(str(exc))}", file=sys.stderr)
        return 1
    except sqlite3.Error as exc:  # met after opening: corrupt pages, a full disk, a lost lock
        where = getattr(args, "db", None) or os.environ.get("RATECARD_DB") or "prices.db"
        print(f"ratecard {args.command}: {where}: {describe_sqlite_error(exc)}", file=sys.stderr)
        return 1
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            return 0
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"ratecard {args.command}: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"ratecard {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
