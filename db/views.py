"""Views and browsing indexes over the derived history (``views.sql`` beside this file).

The tables say exactly what was observed and derived; the views say it the way people ask:
prices in force now, cuts and increases with a numeric percent, step-chart points, and one JSON
array of versions per model for exact pricing in SQL.  They are plain SQL so they work in the
sqlite3 shell as well as in Datasette.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import sqlite_utils

VIEWS_PATH = Path(__file__).with_name("views.sql")

#: The views ``views.sql`` defines, in the order it defines them.
VIEWS = ("current_prices", "price_changes", "price_steps", "price_versions_json")


def ensure_views(db: sqlite_utils.Database) -> None:
    """(Re)create the views and add missing browsing indexes; table rows are never touched.

    Views are dropped and created again only when ``views.sql`` differs from the one that made
    them (its checksum is kept in ``PRAGMA user_version``): rewriting the schema on every open made
    each scrape ten times slower.  ``executescript`` commits, so call this outside a transaction.
    """
    script = VIEWS_PATH.read_text(encoding="utf-8")
    version = zlib.crc32(script.encode("utf-8")) & 0x7FFFFFFF
    if db.execute("PRAGMA user_version").fetchone()[0] == version:
        return
    db.conn.executescript(script + f"\nPRAGMA user_version = {version};")
