"""Runs that crash or overlap: real ``ratecard`` processes on a real database file.

* ``kill -9`` inside the run's transaction leaves the database exactly as before the run, and the
  lock dies with the process, so the next run goes ahead.
* Two ``ratecard scrape`` processes on one database: the second exits at once with a clear
  message, or with ``--wait`` queues behind the first; nothing is lost or recorded twice.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from mirror import ROOT, Mirror, env, page, ratecard, ratecard_argv

FULL = "deepseek/2025-02-20-full-price.en.md"
OFF_PEAK = "deepseek/2025-02-26-off-peak.en.html"

#: Runs ``ratecard scrape`` with the history's derivation (inside the run's one transaction:
#: ``update`` of the series touched, or ``rebuild`` where a run re-derives all) followed by a
#: signal to the test and a long sleep, so the test can kill the process mid-transaction.
KILLABLE = """
import sys, time
from pathlib import Path
import scraper.run
from scraper.cli import main
name = "update" if hasattr(scraper.run, "update") else "rebuild"
real_derive = getattr(scraper.run, name)
def derive_then_hang(*args, **kwargs):
    real_derive(*args, **kwargs)
    Path(sys.argv[1]).write_text("inside the transaction")
    time.sleep(120)
setattr(scraper.run, name, derive_then_hang)
sys.exit(main(sys.argv[2:]))
"""


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order."""
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: sorted(conn.execute(f"SELECT * FROM [{t}]").fetchall(), key=repr) for t in tables}
    finally:
        conn.close()


def wait_for(predicate, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def scrape_args(db: Path, mirror: Mirror, *extra: str) -> list[str]:
    return ["scrape", "--db", str(db), "--provider", "deepseek", "--mirror", mirror.url, *extra]


def test_kill_9_inside_the_transaction_leaves_the_database_as_it_was(tmp_path):
    db, marker = tmp_path / "prices.db", tmp_path / "marker"
    with Mirror() as mirror:
        mirror.deepseek(page(FULL))
        assert ratecard(*scrape_args(db, mirror, "--at", "2025-02-21T03:00:00Z")).returncode == 0
        before = snapshot(db)
        assert len(before["observations"]) == 2 and len(before["prices"]) == 12 and before["changes"] == []
        mirror.deepseek(page(OFF_PEAK), page("deepseek/2025-02-26-off-peak.zh-cn.md"))
        child = subprocess.Popen(
            [sys.executable, "-c", KILLABLE, str(marker), *scrape_args(db, mirror, "--at", "2025-02-27T03:00:00Z")],
            env=env(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_for(lambda: marker.exists() or child.poll() is not None)
            assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
            os.kill(child.pid, signal.SIGKILL)
            assert child.wait(10) == -signal.SIGKILL
        finally:
            if child.poll() is None:
                child.kill()
        assert (tmp_path / "prices.db-journal").exists()  # the hot journal the next open rolls back
        assert snapshot(db) == before
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.close()
        # The dead process's lock went with it: the same run now goes through, once.
        again = ratecard(*scrape_args(db, mirror, "--at", "2025-02-27T03:00:00Z"))
        assert again.returncode == 0, again.stderr
    after = snapshot(db)
    assert len(after["observations"]) == 4
    assert len(after["changes"]) == 24


def test_a_second_scrape_on_a_busy_database_exits_with_a_clear_message(tmp_path):
    db = tmp_path / "prices.db"
    with Mirror() as mirror:
        mirror.deepseek(page(FULL))
        mirror.gate.clear()
        first = subprocess.Popen(ratecard_argv(*scrape_args(db, mirror)), env=env(), cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: mirror.requests > 0)  # the first run holds the lock while it fetches
        second = ratecard(*scrape_args(db, mirror))
        mirror.gate.set()
        out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert second.returncode == 1
    assert second.stdout == ""
    assert second.stderr.startswith(f"ratecard scrape: another ratecard run is using {db} (pid {first.pid}, started ")
    assert second.stderr.endswith("); nothing was fetched or written (use --wait SECONDS to queue)\n")
    rows = snapshot(db)
    assert len(rows["observations"]) == 2
    assert mirror.requests == 2


def test_with_wait_the_second_scrape_queues_and_a_repeated_instant_is_refused(tmp_path):
    db = tmp_path / "prices.db"
    with Mirror() as mirror:
        mirror.deepseek(page(FULL))
        mirror.delay = 1.0
        procs = [subprocess.Popen(ratecard_argv(*scrape_args(db, mirror, "--wait", "60")), env=env(),
                                  cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        results = [(p.wait(60), p.stderr.read()) for p in procs]
        same = ratecard(*scrape_args(db, mirror, "--wait", "60", "--at", "2025-02-21T03:00:00Z"))
        repeat = ratecard(*scrape_args(db, mirror, "--wait", "60", "--at", "2025-02-21T03:00:00Z"))
    assert results == [(0, ""), (0, "")]
    assert same.returncode == 0
    assert (repeat.returncode, repeat.stderr) == (1, (
        "ratecard scrape: a run at 2025-02-21T03:00:00Z is already recorded for deepseek-en,"
        " deepseek-zh-cn; nothing was fetched or written\n"))
    rows = snapshot(db)
    runs = sorted({r[3] for r in rows["observations"]})
    assert len(rows["observations"]) == 6 and len(runs) == 3  # three runs, two sources each
    assert rows["changes"] == []
    assert len(rows["prices"]) == 12
