"""Views and browsing indexes over the derived history (``views.sql`` beside this file).

The tables say exactly what was observed and derived; the views say it the way people ask:
prices in force now, cuts and increases with a numeric percent, step-chart points, and one JSON
array of versions per model for exact pricing in SQL.  They are plain SQL so they work in the
sqlite3 shell as well as in Datasette.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import sqlite_utils

VIEWS_PATH = Path(__file__).with_name("views.sql")

_CREATE = re.compile(r"^CREATE (VIEW|INDEX IF NOT EXISTS) (\w+)")


def ensure_views(db: sqlite_utils.Database) -> None:
    """Create or replace the views and add missing browsing indexes; rows are never touched.

    Runs on every open, so it writes only when something is missing or a view's definition
    changed (an upgraded ratecard): opening a current database stays a pure read, and works on a
    read-only file.  ``executescript`` commits, so call this outside a transaction.
    """
    script = VIEWS_PATH.read_text(encoding="utf-8")
    if not _up_to_date(db.conn, script):
        db.conn.executescript(script)


def _up_to_date(conn: sqlite3.Connection, script: str) -> bool:
    """Every view stored with exactly the script's text, and every index present."""
    stored = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type IN ('view', 'index')"))
    for statement in _statements(script):
        match = _CREATE.match(statement)
        if match is None:
            continue  # the DROP VIEW before each CREATE VIEW
        kind, name = match.groups()
        if name not in stored or (kind == "VIEW" and stored[name] != statement):
            return False
    return True


def _statements(script: str) -> list[str]:
    """The script's statements as SQLite stores them: from the keyword to before the ';'."""
    out, pending = [], ""
    for line in script.splitlines(keepends=True):
        if not pending and (not line.strip() or line.lstrip().startswith("--")):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            out.append(pending.strip().rstrip(";").rstrip())
            pending = ""
    return out
