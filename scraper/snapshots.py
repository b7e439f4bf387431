"""The raw page snapshots the nightly commits, and the history read back from them.

The repository, not a binary database, holds the history: ``data/pages/<source id>.<ext>`` is the
last healthy page of each source, rewritten only when its bytes change, so git stores each
version once as a delta of the one before.  Each nightly commit's *author date* is the instant of
the night's observation (``nightly.sh`` sets it; a rebase keeps it), so every version of every
page can be recorded again at the instant it was seen, read by today's parser.  That is how the
nightly rebuilds a database that is missing or unusable, and how it adds to a database carried
from an older night the nights committed since.

Only ``git`` itself is run, read-only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path

import sqlite_utils

from db.export import write_atomic
from db.observe import read_body
from parsers import registry
from parsers.quote import iso_utc, parse_utc
from parsers.registry import Source
from scraper.backfill import record_copy
from scraper.fetch.git import run_git

#: The snapshots' folder, inside the nightly's data folder.
PAGES = "pages"
EXTENSIONS = ("json", "html", "md")


@dataclass(frozen=True)
class Snapshot:
    """One committed version of one source's page; its bytes are read from git when first asked
    for (a night that lacks no snapshot reads none)."""

    source: Source
    commit: str
    observed_at: datetime  # the commit's author date: the night's observation instant
    path: str              # relative to the repository root
    repo: Path

    @property
    def url(self) -> str:
        return f"git:{self.commit}:{self.path}"

    @cached_property
    def body(self) -> bytes:
        return run_git(self.repo, "show", f"{self.commit}:{self.path}")


def extension(body: bytes) -> str:
    """``json``, ``html`` or ``md``: what the page is, so the file opens as what it is."""
    text = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] in (b"{", b"["):
        try:
            json.loads(body)
            return "json"
        except ValueError:
            pass
    return "html" if text[:1] == b"<" else "md"


def write_snapshots(db: sqlite_utils.Database, observation_ids: Iterable[int], pages: Path) -> list[Path]:
    """Write the page of each healthy observation as ``pages/<source id>.<ext>``; the files changed.

    A file whose bytes are already those of the page is not touched (git sees no change); a
    source whose page changed kind (HTML to Markdown) loses its file of the other kind.
    Failed observations write nothing: the snapshot stays the last healthy page.
    """
    changed = []
    marks = ",".join("?" * len(ids)) if (ids := list(observation_ids)) else ""
    if not ids:
        return changed
    rows = db.execute(f"SELECT source_id, body_id FROM observations WHERE id IN ({marks})"
                      " AND outcome = 'ok' AND body_id IS NOT NULL ORDER BY source_id", ids).fetchall()
    for source_id, body_id in rows:
        body = read_body(db, body_id)
        target = pages / f"{source_id}.{extension(body)}"
        for other in EXTENSIONS:
            stale = pages / f"{source_id}.{other}"
            if stale != target and stale.exists():
                stale.unlink()
                changed.append(stale)
        if not target.exists() or target.read_bytes() != body:
            write_atomic(target, body)
            changed.append(target)
    return changed


def snapshot_history(repo: Path, pages: str) -> list[Snapshot]:
    """Every committed version of every snapshot under ``pages`` (relative to ``repo``), oldest first.

    Files that name no known source are ignored.  Raises ``GitError`` when ``repo`` is not a git
    repository.
    """
    known = {s.id: s for s in registry.sources()}
    if not run_git(repo, "rev-parse", "--git-dir") or run_git(repo, "rev-parse", "--verify", "--quiet", "HEAD",
                                                            check=False) is None:
        return []  # a repository without commits has no snapshots yet
    log = run_git(repo, "log", "--no-renames", "--diff-filter=AM", "--name-only", "--format=%x00%H %aI", "--", pages)
    found = []
    for record in log.decode("utf-8", errors="replace").split("\0")[1:]:
        lines = [line for line in record.splitlines() if line.strip()]
        commit, date = lines[0].split(" ", 1)
        for path in lines[1:]:
            name = Path(path).name
            stem, _, ext = name.rpartition(".")
            if stem in known and ext in EXTENSIONS and Path(path).parent.as_posix() == pages.rstrip("/"):
                found.append((commit, parse_utc(date), path, known[stem]))
    return [Snapshot(source, commit, at, path, repo)
            for commit, at, path, source in sorted(found, key=lambda f: (f[1], f[3].id))]


def record_snapshots(db: sqlite_utils.Database, snapshots: Iterable[Snapshot],
                     report: Callable[[str], None] = lambda line: None) -> set[str]:
    """Record each snapshot not in the database yet; the providers that gained one.

    A snapshot is already there when its source has an observation at its instant (the night
    that committed it) or an archive copy of it (an earlier rebuild), so this is safe to repeat.
    """
    seen = {(r[0], r[1]) for r in db.execute("SELECT source_id, observed_at FROM observations")}
    seen |= {(r[0], r[1]) for r in db.execute("SELECT source_id, url FROM observations WHERE archive = 1")}
    touched = set()
    for snap in snapshots:
        if (snap.source.id, iso_utc(snap.observed_at)) in seen or (snap.source.id, snap.url) in seen:
            continue
        error = record_copy(db, snap.source, snap.observed_at, snap.url, None, snap.body)
        seen.add((snap.source.id, iso_utc(snap.observed_at)))
        touched.add(snap.source.provider)
        report(f"{snap.source.id} {iso_utc(snap.observed_at)} {snap.commit[:12]}"
               + (f" recorded as error: {error}" if error else " recorded"))
    return touched


__all__ = ["PAGES", "Snapshot", "extension", "record_snapshots", "snapshot_history", "write_snapshots"]
