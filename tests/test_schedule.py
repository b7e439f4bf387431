"""``ratecard schedule``: the APScheduler policy, and a real scheduler process that runs scrapes
against a local mirror, one log line each, and stops cleanly on SIGINT and SIGTERM."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from mirror import ROOT, Mirror, env, page, ratecard, ratecard_argv

from parsers.quote import iso_utc
from scraper.schedule import build_scheduler, cron_trigger


def test_crontab_lines_are_utc_and_six_fields_put_seconds_first():
    after = datetime(2026, 3, 29, 0, 30, tzinfo=timezone.utc)  # the night Europe changes clocks
    assert iso_utc(cron_trigger("17 3 * * *").get_next_fire_time(None, after)) == "2026-03-29T03:17:00Z"
    assert iso_utc(cron_trigger("30 0 3 * * mon").get_next_fire_time(None, after)) == "2026-03-30T03:00:30Z"
    with pytest.raises(ValueError, match="has 3 fields; expected 5"):
        cron_trigger("1 2 3")


def test_the_job_coalesces_missed_runs_has_a_grace_time_and_never_runs_twice_at_once():
    scheduler = build_scheduler(lambda: None, cron_trigger("17 3 * * *"), grace_seconds=600)
    scheduler.start(paused=True)  # the scheduler runs in its own thread; start returns at once
    try:
        (job,) = scheduler.get_jobs()
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 600)
        assert str(scheduler.timezone) == "UTC"
        assert (job.next_run_time.hour, job.next_run_time.minute, job.next_run_time.second) == (3, 17, 0)
    finally:
        scheduler.shutdown(wait=False)


def runs_after_sleeping(grace_seconds: int, late: timedelta) -> int:
    """How often the job runs when the machine wakes ``late`` after a missed run (daily cron).

    The cron's hour is half a day from now, so that no later night of the cron falls inside the
    grace time whatever the hour the test runs at (a fixed 03:00 cron ran between 03:00 and
    04:00 UTC: that night was within the hour's grace)."""
    calls: list[int] = []
    hour = (datetime.now(timezone.utc).hour + 12) % 24
    scheduler = build_scheduler(lambda: calls.append(1), cron_trigger(f"0 {hour} * * *"), grace_seconds)
    scheduler.start(paused=True)
    try:
        scheduler.modify_job("scrape", next_run_time=datetime.now(timezone.utc) - late)
        scheduler.resume()
        time.sleep(0.5)
    finally:
        scheduler.shutdown(wait=True)
    return len(calls)


def test_missed_nights_run_once_within_the_grace_time_and_not_at_all_after_it():
    assert runs_after_sleeping(10 * 86400, timedelta(days=3, hours=1)) == 1  # 4 missed nights, coalesced
    assert runs_after_sleeping(3 * 3600, timedelta(hours=2)) == 1
    assert runs_after_sleeping(3600, timedelta(hours=2)) == 0


def test_a_bad_cron_expression_is_a_usage_error():
    done = ratecard("schedule", "--cron", "61 * * * *")
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        "ratecard schedule: error: argument --cron: bad cron expression: Error validating expression"
        " '61': the last value (61) is higher than the maximum value (59)")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_the_scheduler_process_runs_scrapes_logs_each_and_stops_cleanly(tmp_path, stop):
    db = tmp_path / "prices.db"
    with Mirror() as mirror:
        mirror.deepseek(page("deepseek/2025-02-20-full-price.en.md"))
        proc = subprocess.Popen(
            ratecard_argv("schedule", "--db", str(db), "--cron", "*/2 * * * * *", "--provider", "deepseek",
                          "--mirror", mirror.url),
            env=env(), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
        reader.start()
        deadline = time.monotonic() + 30
        while sum(line.startswith("run ") for line in lines) < 2 and time.monotonic() < deadline:
            assert proc.poll() is None, lines
            time.sleep(0.05)
        proc.send_signal(stop)
        assert proc.wait(30) == 0
        reader.join(5)
    assert lines[0].startswith(f"ratecard schedule: */2 * * * * * (UTC) on {db}; next run ")
    runs = [line for line in lines if line.startswith("run ")]
    assert len(runs) >= 2
    for line in runs:
        assert line.split(": ", 1)[1].startswith("2/2 sources ok, 0 changes, 0 suspects held (")
    assert lines[-2:] == [f"{stop.name}: stopping after the running scrape, if any\n", "stopped\n"]
    conn = sqlite3.connect(db)
    observed = [r[0] for r in conn.execute("SELECT observed_at FROM observations ORDER BY id")]
    conn.close()
    assert observed == sorted(line[4:24] for line in runs for _ in range(2))
    assert (tmp_path / "deepseek.prices.csv").exists() and (tmp_path / "changes.atom").exists()
