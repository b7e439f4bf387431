"""Opening the ratecard history database: where it lives and the tables every module relies on.

The schema is plain SQL in ``schema.sql`` beside this file, so it can be read (and queried in
Datasette) without reading Python.  Tables are created if missing; opening never deletes data.
"""

from __future__ import annotations

import os
from pathlib import Path

import sqlite_utils

from db.migrate import migrate
from db.views import ensure_views

SCHEMA_PATH = Path(__file__).with_name("schema.sql")

#: Derived tables, rebuilt from the observation log by ``db.history.rebuild``.
DERIVED_TABLES = ("prices", "changes", "announcements", "disagreements")


def default_db_path() -> Path:
    """``$RATECARD_DB`` if set, else ``prices.db`` in the current folder."""
    return Path(os.environ.get("RATECARD_DB") or "prices.db")


def open_db(path: str | Path, create: bool = True) -> sqlite_utils.Database:
    """Open (and with ``create``, create) a history database with every table in place.

    ``create=False`` refuses a missing file instead of silently making an empty database,
    so a mistyped ``--db`` is reported rather than answered with "no prices".
    """
    path = Path(path)
    if not create and not path.exists():
        raise FileNotFoundError(f"{path}: no such database (run `ratecard scrape` first)")
    db = sqlite_utils.Database(path)
    db.execute("PRAGMA foreign_keys = ON")
    ensure_schema(db)
    return db


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create missing tables and indexes (idempotent; ``IF NOT EXISTS`` throughout).

    Run when the database is opened, outside any transaction: ``executescript`` commits.
    """
    migrate(db.conn)
    db.conn.executescript(SCHEMA_PATH.read_text(encoding="utf-8"))
    ensure_views(db)
