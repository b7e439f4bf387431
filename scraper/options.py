"""Options shared by the history commands: ``--db`` and ISO 8601 instants."""

from __future__ import annotations

import argparse
import difflib
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from db.readonly import default_db_path, open_prices
from db.reprice.pricer import When, parse_when
from parsers.quote import parse_utc
from scraper.cli import CommandError

if TYPE_CHECKING:
    import sqlite3

    import sqlite_utils


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None, metavar="PATH",
                        help="history database (default: $RATECARD_DB, else ./prices.db)")


def db_path(args: argparse.Namespace) -> Path:
    return args.db or default_db_path()


def open_existing(args: argparse.Namespace) -> sqlite_utils.Database:
    """The database named by ``--db``; a missing file is an error, never a new empty database."""
    from db.schema import open_db  # imports sqlite-utils: only for the commands that use it

    try:
        return open_db(db_path(args), create=False)
    except FileNotFoundError as exc:
        raise CommandError(str(exc)) from None


def open_prices_of(args: argparse.Namespace) -> sqlite3.Connection | sqlite_utils.Database:
    """The database named by ``--db``, to read its prices (``db.readonly.open_prices``)."""
    return open_prices(db_path(args))


def port_number(text: str) -> int:
    """argparse type for ``--port``: 0-65535 (bad usage otherwise, exit 2, not a bind() traceback)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)")
    return value


def _whole_above_zero(text: str, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what} above 0")
    return value


def whole_seconds(text: str) -> int:
    """argparse type for a number of seconds that must be a whole number above 0."""
    return _whole_above_zero(text, "a whole number of seconds")


def positive_int(text: str) -> int:
    """argparse type for a count or limit that must be a whole number above 0."""
    return _whole_above_zero(text, "a whole number")


def positive_float(text: str) -> float:
    """argparse type for seconds that may have a fraction, above 0 and finite."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return value


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


def check_known(db: sqlite_utils.Database, field: str, value: str | None, scope: str = "",
                scope_name: str = "") -> str | None:
    """``value`` as the history spells it, when the history knows it (case-insensitively); else a
    :class:`CommandError` naming the closest ids it does know.

    WHY: a typo in ``--provider``/``--model``/``--currency`` used to print an empty table, which
    reads as "no prices" rather than "no such id".  ``field`` is a column of ``prices`` and
    ``changes``; ``scope`` narrows the candidates (``provider = 'x'``) for a better suggestion.
    """
    if value is None:
        return None
    where = f" WHERE {scope}" if scope else ""
    known = sorted({r[0] for table in ("prices", "changes")
                    for r in db.execute(f"SELECT DISTINCT {field} FROM {table}{where}").fetchall() if r[0]})
    by_fold = {k.casefold(): k for k in known}
    if value.casefold() in by_fold:
        return by_fold[value.casefold()]
    option = f"--{field}"
    if not known:
        raise CommandError(f"{option} {value!r}: the history has no prices yet"
                           " (run `ratecard scrape` or `ratecard backfill --curated` first)")
    close = difflib.get_close_matches(value.casefold(), list(by_fold), n=3, cutoff=0.6)
    hint = (f"did you mean {', '.join(by_fold[c] for c in close)}?" if close
            else f"known: {', '.join(known[:12])}{', ...' if len(known) > 12 else ''}")
    among = f" among {scope_name}'s" if scope_name else ""
    raise CommandError(f"{option} {value!r}: not{among} in the history; {hint}")


def check_filters(db: sqlite_utils.Database, args: argparse.Namespace) -> None:
    """Validate (and normalise to the history's spelling) ``--provider``, ``--model``, ``--currency``."""
    args.provider = check_known(db, "provider", args.provider)
    scope = "provider = '" + args.provider.replace("'", "''") + "'" if args.provider else ""
    args.model = check_known(db, "model", args.model, scope, args.provider or "")
    currency = getattr(args, "currency", None)
    args.currency = check_known(db, "currency", currency.upper() if currency else None)


def empty_history_note(db: sqlite_utils.Database) -> str | None:
    """A line for stderr when the history holds no price at all (the first run offline lists nothing)."""
    if db.execute("SELECT 1 FROM prices LIMIT 1").fetchone():
        return None
    return ("note: the history has no prices yet (run `ratecard scrape`, or offline"
            " `ratecard backfill --curated`)")
