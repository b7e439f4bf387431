"""Options shared by the history commands: ``--db`` and ISO 8601 instants."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

import sqlite_utils

from db.reprice.pricer import When, parse_when
from db.schema import default_db_path, open_db
from parsers.quote import parse_utc
from scraper.cli import CommandError


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None, metavar="PATH",
                        help="history database (default: $RATECARD_DB, else ./prices.db)")


def db_path(args: argparse.Namespace) -> Path:
    return args.db or default_db_path()


def open_existing(args: argparse.Namespace) -> sqlite_utils.Database:
    """The database named by ``--db``; a missing file is an error, never a new empty database."""
    try:
        return open_db(db_path(args), create=False)
    except FileNotFoundError as exc:
        raise CommandError(str(exc)) from None


def instant(text: str) -> datetime:
    """argparse type for ISO 8601 instants; a naive one is UTC.  Bad text exits with code 2."""
    try:
        return parse_utc(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 instant (e.g. 2025-02-20T00:00:00Z)") from None


def moment(text: str) -> When:
    """argparse type for ``--at``/``--before``/``--after`` of the pricing commands: a date alone
    (``2025-09-01``) is that whole UTC day, anything with a time an instant (see
    ``db.reprice.pricer``: one meaning everywhere).  Bad text exits with code 2."""
    try:
        return parse_when(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 date or instant (e.g. 2025-09-01 or 2025-09-01T18:00:00Z)") from None


#: Help text shared by every option that takes a :func:`moment`.
MOMENT_HELP = ("a date (2025-09-01: the whole UTC day; usage rows keep their own time of day, rows with"
               " a date only are priced at the day's highest rate with the lowest beside it) or an"
               " instant (2025-09-01T18:00:00Z: every row at that instant)")
