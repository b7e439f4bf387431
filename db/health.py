"""How the scraping is going, from the observation log: last run, failure streaks, held suspects.

Nothing here is stored: it is read from ``observations`` (and, for suspects, the same
``db.guard.screen`` that ``rebuild`` applies), so it can never disagree with the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from db.guard import WAITING, screen
from db.history import _load_observations, stored_providers
from db.observe import read_body
from db.schema import open_db
from parsers.quote import iso_utc


@dataclass(frozen=True)
class SourceHealth:
    source_id: str
    provider: str
    last_run_at: str | None       # newest observation, ISO 8601 UTC
    last_outcome: str | None      # ok | error
    last_error: str | None
    last_success_at: str | None   # newest ok observation
    failures_in_a_row: int        # error observations since the last ok one

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class HeldSuspect:
    provider: str
    source_id: str
    observed_at: str
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "reasons": list(self.reasons)}


def source_health(db: sqlite_utils.Database) -> list[SourceHealth]:
    """One row per stored source, in source id order."""
    out = []
    for s in db.query("SELECT id, provider FROM sources ORDER BY id"):
        runs = list(db.query(
            "SELECT observed_at, outcome, error FROM observations WHERE source_id = ?"
            " ORDER BY observed_at DESC, id DESC", [s["id"]]))
        streak = next((i for i, r in enumerate(runs) if r["outcome"] == "ok"), len(runs))
        last = runs[0] if runs else {}
        out.append(SourceHealth(
            s["id"], s["provider"], last.get("observed_at"), last.get("outcome"), last.get("error"),
            runs[streak]["observed_at"] if streak < len(runs) else None, streak))
    return out


def reference_bodies(db: sqlite_utils.Database, source_id: str) -> tuple[bytes | None, bytes | None]:
    """The body of the source's last healthy observation and of its last observation of any
    outcome (None when there is none): what a new body is judged against for completeness."""
    def newest(where: str) -> bytes | None:
        rows = list(db.query(
            f"SELECT body_id FROM observations WHERE source_id = ? AND body_id IS NOT NULL{where}"
            " ORDER BY observed_at DESC, id DESC LIMIT 1", [source_id]))
        return read_body(db, rows[0]["body_id"]) if rows else None

    return newest(" AND outcome = 'ok'"), newest("")


def waiting_suspects(db: sqlite_utils.Database) -> list[HeldSuspect]:
    """Observations the guard holds back until the next run repeats them, oldest first."""
    held = []
    for provider in stored_providers(db):
        for s in screen(_load_observations(db, provider)).suspects:
            if s.status == WAITING:
                held.append(HeldSuspect(provider, s.observation.source_id,
                                        iso_utc(s.observation.observed_at), s.reasons))
    return held


def held_in_run(db_path: str | Path, observed_at: datetime) -> list[HeldSuspect]:
    """The suspects a run at ``observed_at`` left waiting (for the run's own report)."""
    db = open_db(db_path)
    try:
        return [s for s in waiting_suspects(db) if s.observed_at == iso_utc(observed_at)]
    finally:
        db.close()
