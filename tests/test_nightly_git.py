"""The nightly's database is a cache of the committed history, never the history itself: throw-away
git repositories, the workflow's script steps, a mirror on 127.0.0.1.

* a 0-byte, unreadable or missing database is rebuilt from the committed pages (an unusable file
  is set aside, never deleted), and the rebuilt history gives the same exports;
* with no committed pages to rebuild from, an unusable database stops the night in one line;
* a database carried from an older night gains the nights committed since;
* pages are committed only when their bytes change; no database file is ever committed, and an
  old checkout's committed database is untracked; the push step refuses any other commit.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from mirror import Mirror, page, ratecard
from test_workflow_nightly import PUSH_STEP, checkout, clone, committed_files, git, night, pushed, run_step

FULL = "deepseek/2025-02-20-full-price.en.md"
V32 = "deepseek/2025-09-29-v32.en.md"


def observations(db: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT source_id, observed_at FROM observations WHERE outcome = 'ok'"
                            " ORDER BY observed_at, source_id").fetchall()
    finally:
        conn.close()


def two_committed_nights(tmp: Path, mirror: Mirror) -> Path:
    work = checkout(tmp)
    mirror.deepseek(page(FULL))
    assert night(work, mirror, "2025-02-21T03:17:00Z").returncode == 0
    mirror.deepseek(page(V32))
    night(work, mirror, "2025-09-30T03:17:00Z")
    assert len(pushed(tmp)) == 3
    return work


def exports(work: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((work / "data").glob("deepseek.*"))}


def test_an_empty_database_is_set_aside_and_rebuilt_from_the_committed_pages(tmp_path):
    with Mirror() as mirror:
        work = two_committed_nights(tmp_path, mirror)
        before, written = observations(work / "data" / "prices.db"), exports(work)
        (work / "data" / "prices.db").write_bytes(b"")
        again = night(work, mirror, "2025-10-01T03:17:00Z")
    assert again.stderr.startswith(f"nightly: {Path('data/prices.db')} is empty (0 bytes): set aside as prices.db.unusable-")
    assert again.stderr.splitlines()[0].endswith("; rebuilt it from 4 committed snapshots")
    aside = [p for p in (work / "data").iterdir() if p.name.startswith("prices.db.unusable-")]
    assert len(aside) == 1 and aside[0].stat().st_size == 0
    # The committed nights are back at their instants, then tonight's; the exports did not move.
    assert observations(work / "data" / "prices.db") == [
        *before, ("deepseek-en", "2025-10-01T03:17:00Z"), ("deepseek-zh-cn", "2025-10-01T03:17:00Z")]
    assert exports(work) == written
    assert again.stdout.endswith("nightly: no page or export changed; nothing to commit\n")
    assert not [f for f in committed_files(tmp_path) if ".db" in f]


def test_a_lost_cache_is_rebuilt_from_the_committed_pages_in_a_fresh_checkout(tmp_path):
    with Mirror() as mirror:
        work = two_committed_nights(tmp_path, mirror)
        before, written = observations(work / "data" / "prices.db"), exports(work)
        fresh = clone(tmp_path, "fresh")
        assert not (fresh / "data" / "prices.db").exists()
        again = night(fresh, mirror, "2025-10-01T03:17:00Z")
    assert again.returncode == 0, again.stderr
    assert again.stderr == "nightly: data/prices.db is missing; rebuilt it from 4 committed snapshots\n"
    assert observations(fresh / "data" / "prices.db")[:4] == before
    assert exports(fresh) == written


def test_an_unreadable_database_with_nothing_to_rebuild_from_stops_the_night_in_one_line(tmp_path):
    work = checkout(tmp_path)
    (work / "data").mkdir()
    garbage = b"this is not a SQLite file" * 100
    (work / "data" / "prices.db").write_bytes(garbage)
    with Mirror() as mirror:
        mirror.deepseek(page(FULL))
        done = night(work, mirror, "2025-02-21T03:17:00Z")
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        "ratecard nightly: data/prices.db is unreadable (file is not a database); no snapshots committed"
        " under data/pages in .: restore the database (nothing was fetched or written)")
    assert mirror.requests == 0
    assert (work / "data" / "prices.db").read_bytes() == garbage
    assert pushed(tmp_path) == ["seed"]


def test_a_database_saved_before_the_last_push_gains_the_committed_nights(tmp_path):
    with Mirror() as mirror:
        work = checkout(tmp_path)
        mirror.deepseek(page(FULL))
        night(work, mirror, "2025-02-21T03:17:00Z")
        old_copy = (work / "data" / "prices.db").read_bytes()
        mirror.deepseek(page(V32))
        night(work, mirror, "2025-09-30T03:17:00Z")
        # The cache held the first night's database only (the second night's save failed).
        (work / "data" / "prices.db").write_bytes(old_copy)
        done = night(work, mirror, "2025-10-01T03:17:00Z")
    assert done.stderr.splitlines()[0] == "nightly: added committed snapshots the database lacked (deepseek)"
    got = observations(work / "data" / "prices.db")
    assert ("deepseek-en", "2025-09-30T03:17:00Z") in got and len(got) == 6
    assert done.stdout.endswith("nothing to commit\n")


def test_pages_are_committed_only_when_their_bytes_change(tmp_path):
    with Mirror() as mirror:
        work = checkout(tmp_path)
        mirror.deepseek(page(FULL))
        night(work, mirror, "2025-02-21T03:17:00Z")
        night(work, mirror, "2025-02-22T03:17:00Z")
        assert len(pushed(tmp_path)) == 2
        mirror.deepseek(page(FULL) + b"\n<!-- the footer changed -->\n", page(FULL))
        night(work, mirror, "2025-02-23T03:17:00Z")
    assert len(pushed(tmp_path)) == 3
    assert git(tmp_path / "origin.git", "show", "--name-only", "--format=%aI", "main").splitlines() == [
        "2025-02-23T03:17:00+00:00", "", "data/pages/deepseek-en.md"]
    assert git(tmp_path / "origin.git", "log", "--format=%aI", "main", "--", "data/pages/deepseek-zh-cn.md"
               ).splitlines() == ["2025-02-21T03:17:00+00:00"]


def test_an_old_checkout_stops_tracking_its_committed_database(tmp_path):
    work = checkout(tmp_path)
    with Mirror() as mirror:
        mirror.deepseek(page(FULL))
        night(work, mirror, "2025-02-21T03:17:00Z")
        # A checkout from before: the database was committed (forced past .gitignore).
        seed = clone(tmp_path, "old-style")
        (seed / "data" / "prices.db").write_bytes((work / "data" / "prices.db").read_bytes())
        git(seed, "add", "--force", "data/prices.db")
        git(seed, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "old nightly")
        git(seed, "push", "--quiet", "origin", "main")
        assert "data/prices.db" in committed_files(tmp_path)
        old = clone(tmp_path, "old-checkout")
        mirror.deepseek(page(V32))
        done = night(old, mirror, "2025-09-30T03:17:00Z")
    assert "nightly: committed" in done.stdout
    assert "data/prices.db" not in committed_files(tmp_path)
    assert (old / "data" / "prices.db").stat().st_size > 0  # kept on disk, as the cache
    assert git(tmp_path / "origin.git", "show", "--name-status", "--format=", "main").splitlines()[-1] == (
        "D\tdata/prices.db")


def test_the_push_step_refuses_a_commit_outside_data_or_with_a_database(tmp_path):
    work = checkout(tmp_path)
    bundle = tmp_path / "runner-temp" / "nightly.bundle"
    bundle.parent.mkdir()
    for path, content in (("scraper/nightly.sh", b"echo pwned\n"), ("data/history.db", b"SQLite format 3\0")):
        git(work, "reset", "--quiet", "--hard", "origin/main")
        target = work / path
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(content)
        git(work, "add", "--force", path)
        git(work, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "evil")
        git(work, "bundle", "create", "--quiet", str(bundle), "origin/main..HEAD")
        pusher = clone(tmp_path, "push-checkout")
        done = run_step("push", PUSH_STEP, pusher, tmp_path, env_extra={"BUNDLE": str(bundle)})
        assert done.returncode == 1
        assert done.stderr == f"push: the nightly commit touches more than the text under data/; not pushed:\n{path}\n"
        assert pushed(tmp_path) == ["seed"]


def test_a_database_with_a_leftover_journal_is_not_taken_for_damage(tmp_path):
    """A run killed mid-transaction leaves a hot journal: the next night rolls it back, no rebuild."""
    with Mirror() as mirror:
        work = two_committed_nights(tmp_path, mirror)
        db = work / "data" / "prices.db"
        before = observations(db)
        writer = subprocess.Popen(
            [sys.executable, "-c", "import sqlite3, os, sys; c = sqlite3.connect(sys.argv[1]); c.execute('BEGIN');"
             " c.execute(\"DELETE FROM observations\"); c.execute('PRAGMA cache_size=1');"
             " [c.execute('INSERT INTO sources VALUES (?, ?, ?, ?)', (str(i), 'x' * 2000, 'u', '')) for i in range(3000)];"
             " os._exit(9)", str(db)])
        writer.wait()
        assert (db.parent / "prices.db-journal").exists()
        done = night(work, mirror, "2025-10-01T03:17:00Z")
    assert "rebuilt" not in done.stderr and "set aside" not in done.stderr
    assert observations(db)[:4] == before


def test_rebuild_from_git_makes_the_database_from_the_repository_alone(tmp_path):
    with Mirror() as mirror:
        work = two_committed_nights(tmp_path, mirror)
    fresh = clone(tmp_path, "fresh")
    db = tmp_path / "from-git.db"
    done = ratecard("rebuild", "--db", str(db), "--from-git", str(fresh))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "from git: 4 of 4 committed pages recorded"
    assert observations(db) == observations(work / "data" / "prices.db")
    conn, original = sqlite3.connect(db), sqlite3.connect(work / "data" / "prices.db")
    query = "SELECT * FROM changes ORDER BY effective_at, model, component, tier, currency"
    assert conn.execute(query).fetchall() == original.execute(query).fetchall()
    assert len(conn.execute(query).fetchall()) == 6
    again = ratecard("rebuild", "--db", str(db), "--from-git", str(fresh))
    assert again.stdout.splitlines()[0] == "from git: 0 of 4 committed pages recorded"
    nowhere = ratecard("rebuild", "--db", str(tmp_path / "x.db"), "--from-git", str(tmp_path))
    assert (nowhere.returncode, nowhere.stdout) == (1, "")
    assert nowhere.stderr.startswith(f"ratecard rebuild: {tmp_path}: git ")
    assert not (tmp_path / "x.db").exists()
