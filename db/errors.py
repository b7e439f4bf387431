"""The one error every command shows for a database it cannot use, and SQLite's errors in words.

Kept apart from ``db.schema`` (which imports sqlite-utils) so that the command line can catch these
without paying for that import on every start.
"""

from __future__ import annotations

import sqlite3


class DataError(ValueError):
    """Data ratecard reads (a shipped or user file) that does not follow its format: the message
    is one line naming the file and field, and every command prints it as such, never a traceback."""


class DatabaseUnusable(Exception):
    """The path does not hold a usable ratecard database; the message is one line naming it."""


def describe_sqlite_error(exc: sqlite3.Error) -> str:
    """SQLite's message, with what it means for the user where that is not obvious."""
    text = str(exc)
    if "file is not a database" in text:
        return "not a SQLite database (or encrypted, or its header is damaged)"
    if "malformed" in text:
        return "the database file is corrupt (database disk image is malformed); restore it from a backup" \
               " or rebuild it (the nightly snapshots can be backfilled with `ratecard backfill --git`)"
    if "readonly" in text or "read-only" in text:
        return "the database is read-only and this command needs to write to it"
    if "disk is full" in text or "database or disk is full" in text:
        return "the disk is full; nothing was written"
    if "unable to open" in text:
        return "cannot open the database file (permissions, or the folder is not writable)"
    return text
