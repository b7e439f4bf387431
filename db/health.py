"""How the scraping is going, from the observation log: last run, failure streaks, held suspects.

Nothing here is stored: it is read from ``observations`` (and, for suspects, the same
``db.guard.screen`` that ``rebuild`` applies), so it can never disagree with the history.
Only fetched observations count here: a page loaded from an archive (backfill) says how a site
looked then, not that scraping it works now.
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
from parsers.safetext import one_line

#: What a held suspect waits for (db.guard): said the same way by scrape, status and nightly.
HELD_UNTIL = "held until the next healthy run confirms it (dropped only if the old price returns)"


@dataclass(frozen=True)
class SourceHealth:
    source_id: str
    provider: str
    last_run_at: str | None       # newest fetched observation, ISO 8601 UTC
    last_outcome: str | None      # ok | blocked | layout_changed | fetch_failed | too_large | too_slow | error
    last_error: str | None
    last_success_at: str | None   # newest ok fetched observation
    failures_in_a_row: int        # failed fetched observations since the last ok one
    failing_since: str | None = None  # the first failure of the current streak (None when ok)
    last_way: str | None = None   # how the newest observation got its page (http, markdown, browser)

    @property
    def failing(self) -> bool:
        return self.last_outcome not in (None, "ok")

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def describe(self) -> str:
        """One line for people (a commit message, a log): what is wrong, since when, last success.

        Page-derived text is made visible, never acted on (``one_line``)."""
        if not self.failing:
            return f"{self.source_id}: ok via {self.last_way or 'http'} at {self.last_run_at}"
        return one_line(f"{self.source_id}: {self.streak()}: {self.last_error or self.last_outcome}")

    def streak(self) -> str:
        """``blocked since 2026-09-02T03:00:00Z (2 runs; last success 2026-09-01T03:00:00Z)``."""
        runs = "1 run" if self.failures_in_a_row == 1 else f"{self.failures_in_a_row} runs"
        success = f"last success {self.last_success_at}" if self.last_success_at else "never succeeded"
        return f"{self.last_outcome} since {self.failing_since} ({runs}; {success})"


@dataclass(frozen=True)
class HeldSuspect:
    provider: str
    source_id: str
    observed_at: str
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "reasons": list(self.reasons)}


def source_health(db: sqlite_utils.Database) -> list[SourceHealth]:
    """One row per stored source, in source id order, from its fetched observations only."""
    out = []
    for s in db.query("SELECT id, provider FROM sources ORDER BY id"):
        runs = list(db.query(
            "SELECT observed_at, outcome, error, way FROM observations WHERE source_id = ? AND archive = 0"
            " ORDER BY observed_at DESC, id DESC", [s["id"]]))
        streak = next((i for i, r in enumerate(runs) if r["outcome"] == "ok"), len(runs))
        last = runs[0] if runs else {}
        out.append(SourceHealth(
            s["id"], s["provider"], last.get("observed_at"), last.get("outcome"), last.get("error"),
            runs[streak]["observed_at"] if streak < len(runs) else None, streak,
            runs[streak - 1]["observed_at"] if streak else None, last.get("way")))
    return out


def all_failing(health: list[SourceHealth]) -> bool:
    """Every source that has been fetched is failing now (and at least one has been fetched)."""
    fetched = [h for h in health if h.last_outcome is not None]
    return bool(fetched) and all(h.failing for h in fetched)


def failures_of_run(db_path: str | Path, observed_at: datetime) -> list[SourceHealth]:
    """The sources a run at ``observed_at`` left failing, each with since when and its last
    success (for the nightly commit message: ``[h.describe() for h in ...]``)."""
    db = open_db(db_path)
    try:
        return [h for h in source_health(db) if h.failing and h.last_run_at == iso_utc(observed_at)]
    finally:
        db.close()


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
