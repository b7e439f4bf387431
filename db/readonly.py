"""A history opened for reading its prices, with Python's ``sqlite3`` alone.

Why not ``db.schema.open_db``: that brings the schema up to date (it may write) and imports
sqlite-utils, about 60 ms before the first row is priced.  ``reprice`` and ``explain`` read the
``prices`` table and nothing else, so they open the file as it is; a database without that
table (never built, or older than it) is opened by ``open_db``, which says what is wrong or
makes the table, exactly as before.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from db.errors import DatabaseUnusable, describe_sqlite_error


def default_db_path() -> Path:
    """``$RATECARD_DB`` if set, else ``prices.db`` in the current folder."""
    return Path(os.environ.get("RATECARD_DB") or "prices.db")


def check_path(path: Path, create: bool) -> None:
    """Refuse, in one line, a path that cannot be (or become) a ratecard database."""
    if path.is_dir():
        raise DatabaseUnusable(f"{path}: is a directory, not a SQLite database file")
    if not path.exists():
        if not create:
            raise DatabaseUnusable(f"{path}: no such database (run `ratecard scrape` or"
                                   " `ratecard backfill --curated` first)")
        if not path.parent.is_dir():
            raise DatabaseUnusable(f"{path}: the folder {path.parent} does not exist")
        return
    if path.stat().st_size == 0:
        raise DatabaseUnusable(f"{path}: is an empty (0-byte) file, not a ratecard database;"
                               " restore it or remove it to start a new history")


def open_prices(path: str | Path):
    """The existing history at ``path``, to read its ``prices`` table (a ``sqlite3``
    connection, or ``open_db``'s database when the table is not there yet)."""
    path = Path(path)
    check_path(path, create=False)
    try:
        conn = sqlite3.connect(path)
        found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'prices'").fetchone()
    except sqlite3.Error as exc:
        raise DatabaseUnusable(f"{path}: {describe_sqlite_error(exc)}") from None
    if found:
        return conn
    conn.close()
    from db.schema import open_db

    return open_db(path, create=False)


__all__ = ["check_path", "default_db_path", "open_prices"]
