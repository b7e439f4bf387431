"""Options shared by the history commands: ``--db`` and ISO 8601 instants."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

import sqlite_utils

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
