"""Readable text exports of the history, one file per provider, for ``git diff`` to read.

The nightly run commits these next to the database, so a commit's diff *is* the price change:
rows in a stable order (changes oldest first, so new ones append), exact decimal text, UTC
instants, and no field that moves on a night when nothing changed (``last_observed_at`` is left
out, and a scheduled change's ``observed_after`` — the last night that still showed the old
price, which advances every night until the change happens — is left empty).

Files are written whole or not at all: each goes to a temporary file that replaces the old one.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlite_utils

from db.history import prices_at, stored_providers
from parsers.quote import parse_utc

PRICE_FIELDS = ("model", "component", "tier", "window", "currency", "price", "list_price",
                "promo_until", "valid_from", "valid_to", "from_basis", "valid_from_after", "status",
                "source_id")
CHANGE_FIELDS = ("effective_at", "model", "component", "tier", "currency", "kind", "old_price",
                 "new_price", "percent_change", "old_list_price", "new_list_price", "old_window",
                 "new_window", "basis", "observed_after", "observed_at", "status", "source_id")


def current_prices(db: sqlite_utils.Database, provider: str) -> list[dict[str, Any]]:
    """Prices in force at the provider's newest observation, then those scheduled after it.

    "Current" is pinned to the log, not the clock, so exporting twice gives the same bytes.
    """
    newest = db.execute(
        "SELECT MAX(o.observed_at) FROM observations o JOIN sources s ON s.id = o.source_id"
        " WHERE s.provider = ? AND o.outcome = 'ok'", [provider]).fetchone()[0]
    if newest is None:
        return []
    in_force = prices_at(db, parse_utc(newest), provider)
    later = db.query("SELECT * FROM prices WHERE provider = ? AND valid_from > ?", [provider, newest])
    rows = [{f: r[f] for f in PRICE_FIELDS} for r in [*in_force, *later]]
    return sorted(rows, key=lambda r: tuple(r[f] or "" for f in (
        "model", "component", "tier", "currency", "valid_from")))


def change_log(db: sqlite_utils.Database, provider: str) -> list[dict[str, Any]]:
    """Every change event of the provider, oldest first."""
    rows = []
    for r in db.query("SELECT * FROM changes WHERE provider = ?", [provider]):
        row = {f: r[f] for f in CHANGE_FIELDS}
        if row["status"] == "scheduled":
            row["observed_after"] = None
        rows.append(row)
    return sorted(rows, key=lambda r: tuple(r[f] or "" for f in (
        "effective_at", "model", "component", "tier", "currency", "observed_at")))


def export(db: sqlite_utils.Database, out_dir: Path) -> list[Path]:
    """Write ``PROVIDER.prices.{csv,json}`` and ``PROVIDER.changes.{csv,json}``; the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for provider in stored_providers(db):
        for name, rows, fields in (("prices", current_prices(db, provider), PRICE_FIELDS),
                                   ("changes", change_log(db, provider), CHANGE_FIELDS)):
            written.append(write_atomic(out_dir / f"{provider}.{name}.csv", to_csv(rows, fields).encode()))
            written.append(write_atomic(out_dir / f"{provider}.{name}.json", to_json(rows).encode()))
    return written


def to_csv(rows: list[dict[str, Any]], fields: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def to_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=1) + "\n"


def write_atomic(path: Path, data: bytes) -> Path:
    """Replace ``path`` with ``data`` in one step: readers see the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            os.fchmod(f.fileno(), 0o644)  # mkstemp's 0600 would hide the exports from other users
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
