"""Bringing a database written by an older ratecard up to today's ``schema.sql``, in place.

``CREATE TABLE IF NOT EXISTS`` creates what is missing but never changes a table that exists, so
each change to an existing table is one step here.  Every step checks the stored schema itself
(no version counter to drift), runs in one transaction, and keeps every row: opening an old
history with a new ratecard never loses an observation.
"""

from __future__ import annotations

import sqlite3

#: The outcome check of the first schema, which allowed only these two.
_OLD_OUTCOME_CHECK = "CHECK (outcome IN ('ok', 'error'))"


def migrate(conn: sqlite3.Connection) -> None:
    """Apply every step the stored schema still needs; a no-op on a current or new database."""
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'observations'").fetchone()
    if row is None:
        return
    if _OLD_OUTCOME_CHECK in row[0]:
        _widen_outcomes(conn, row[0])
    columns = {r[1] for r in conn.execute("PRAGMA table_info(observations)")}
    for name in ("warnings", "way"):
        if name not in columns:
            with conn:
                conn.execute(f"ALTER TABLE observations ADD COLUMN {name} TEXT")
    for table, legacy_codec in (("bodies", "zlib"), ("quote_sets", "json")):
        _add_delta_columns(conn, table, legacy_codec)


def _add_delta_columns(conn: sqlite3.Connection, table: str, legacy_codec: str) -> None:
    """Compact storage: how each row is stored.  Existing rows keep their format, named by the
    column's default, and stay readable as they are (``db.observe`` reads both)."""
    columns = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
    if not columns or "codec" in columns:
        return
    with conn:
        conn.execute(f"ALTER TABLE {table} ADD COLUMN codec TEXT NOT NULL DEFAULT '{legacy_codec}'")
        conn.execute(f"ALTER TABLE {table} ADD COLUMN base_id INTEGER REFERENCES {table}(id)")
        conn.execute(f"ALTER TABLE {table} ADD COLUMN depth INTEGER NOT NULL DEFAULT 0")


def _widen_outcomes(conn: sqlite3.Connection, sql: str) -> None:
    """Rebuild ``observations`` with the wider outcome check (SQLite cannot alter a CHECK)."""
    new_sql = sql.replace(_OLD_OUTCOME_CHECK, "CHECK (outcome IN ('ok', 'blocked', 'layout_changed', "
                                              "'fetch_failed', 'too_large', 'too_slow', 'error'))")
    new_sql = new_sql.replace("CREATE TABLE observations", "CREATE TABLE observations_migrated", 1)
    new_sql = new_sql.replace('CREATE TABLE "observations"', "CREATE TABLE observations_migrated", 1)
    indexes = [r[0] for r in conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'observations' AND sql IS NOT NULL")]
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        with conn:
            conn.execute(new_sql)
            conn.execute("INSERT INTO observations_migrated SELECT * FROM observations")
            conn.execute("DROP TABLE observations")
            conn.execute("ALTER TABLE observations_migrated RENAME TO observations")
            for index in indexes:
                conn.execute(index)
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
