"""One writer at a time, whatever path names the database: the lock is on the file itself."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from db.schema import open_db
from scraper.cli import main
from scraper.runlock import Busy, run_lock

ROOT = Path(__file__).resolve().parents[1]

HOLD = """
import sys, time
from scraper.runlock import run_lock
with run_lock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(30)
"""


@pytest.fixture
def holder(tmp_path):
    """A real process holding the write lock of tmp_path/real.db (through the path it is given)."""
    db = tmp_path / "real.db"
    open_db(db).close()
    procs = []

    def start(path: Path) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        assert proc.stdout.readline() == "held\n"
        return proc

    yield db, start
    for proc in procs:
        proc.kill()
        proc.wait()


def test_a_symlink_and_a_relative_path_share_the_lock(tmp_path, holder, monkeypatch):
    db, start = holder
    link = tmp_path / "link.db"
    link.symlink_to(db)
    start(link)
    with pytest.raises(Busy, match=r"\(pid \d+, started "):
        with run_lock(db):
            pass
    monkeypatch.chdir(tmp_path)
    with pytest.raises(Busy):
        with run_lock(Path("real.db")):
            pass


def test_backfill_is_refused_while_another_writer_holds_the_database(holder, capsys):
    db, start = holder
    start(db)
    before = db.read_bytes()
    assert main(["backfill", "--curated", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"ratecard backfill: another ratecard run is using {db} (pid ")
    assert db.read_bytes() == before


def test_the_lock_is_free_again_when_its_holder_is_killed(holder):
    db, start = holder
    proc = start(db)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 5
    with run_lock(db, wait=5):
        assert time.monotonic() < deadline
