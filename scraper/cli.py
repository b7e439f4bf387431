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

from db.errors import DatabaseUnusable, describe_sqlite_error
from parsers.safetext import one_line

#: Each module exposes ``register(subparsers)``, which adds its sub-command and sets ``func``
#: (``func(args) -> int`` returns the exit code).
COMMAND_MODULES = (
    "scraper.commands.parse",
    "scraper.commands.scrape",
    "scraper.commands.mirror",
    "scraper.commands.prices",
    "scraper.commands.changes",
    "scraper.commands.rebuild",
    "scraper.commands.status",
    "scraper.commands.export",
    "scraper.commands.feed",
    "scraper.commands.nightly",
    "scraper.commands.schedule",
    "scraper.commands.reprice",
    "scraper.commands.explain",
    "scraper.commands.sql",
    "scraper.commands.backfill",
    "scraper.commands.serve",
)


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ratecard",
        description="Track LLM API prices over time and reprice usage at the rates in force.",
    )
    parser.add_argument("--version", action="version", version=f"ratecard {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (CommandError, DatabaseUnusable) as exc:
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
