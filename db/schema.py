"""Opening the ratecard history database: where it lives and the tables every module relies on.

The schema is plain SQL in ``schema.sql`` beside this file, so it can be read (and queried in
Datasette) without reading Python.  Tables are created if missing; opening never deletes data.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from db.errors import DatabaseUnusable, describe_sqlite_error
from db.readonly import check_path
from db.migrate import migrate
from db.views import ensure_views

SCHEMA_PATH = Path(__file__).with_name("schema.sql")

#: Derived tables, rebuilt from the observation log by ``db.history.rebuild``.
DERIVED_TABLES = ("prices", "changes", "announcements", "disagreements")


def open_db(path: str | Path, create: bool = True) -> sqlite_utils.Database:
    """Open (and with ``create``, create) a history database with every table in place.

    ``create=False`` refuses a missing file instead of silently making an empty database,
    so a mistyped ``--db`` is reported rather than answered with "no prices".  Whatever the
    path holds, a problem is a :class:`DatabaseUnusable` with one line, never a traceback: a
    directory, a missing folder, a 0-byte file (refused, not taken for a new database: the nightly
    job once committed an empty history over the old one), a file that is not SQLite, a corrupt
    or read-only one that needs writing.
    """
    path = Path(path)
    check_path(path, create)
    try:
        db = sqlite_utils.Database(path)
        db.execute("PRAGMA foreign_keys = ON")
        ensure_schema(db)
    except sqlite3.Error as exc:
        raise DatabaseUnusable(f"{path}: {describe_sqlite_error(exc)}") from None
    return db


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create missing tables and indexes (idempotent; ``IF NOT EXISTS`` throughout), after
    bringing an older database up to date (``db.migrate``).

    Run when the database is opened, outside any transaction: ``executescript`` commits.
    """
    migrate(db.conn)
    db.conn.executescript(SCHEMA_PATH.read_text(encoding="utf-8"))
    ensure_views(db)
