"""Scrapes on a cron schedule in a long-running process (APScheduler 3.x), for machines without CI.

The policy, and why:

* cron times are UTC, like every instant ratecard stores: no daylight-saving surprises;
* ``coalesce``: after the machine slept through several runs, run once, not once per miss;
* ``misfire_grace_time``: a run up to that late still happens; later than that it is skipped
  (the next one comes anyway);
* ``max_instances=1`` inside the process, and the database lock across processes (a nightly CI run
  or a manual ``ratecard scrape`` on the same file): one run at a time;
* SIGINT / SIGTERM stop the scheduler after the running scrape has finished (its one transaction
  commits), so a stop never loses or half-writes a night.  The signal handler only sets a flag:
  the scheduler runs in its own thread and the main thread, woken by the flag, stops it and waits
  for the running night outside any handler.  So a signal that comes while the scheduler is still
  starting, or a second signal (an impatient supervisor sends SIGTERM twice), is a log line, never
  a traceback or a deadlock that loses the night.  SIGKILL still stops at once: the night's
  transaction then rolls back.

Every run logs one line: when, how many sources succeeded, changes, held suspects, duration.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from parsers.quote import iso_utc

log = logging.getLogger("ratecard.schedule")

DEFAULT_CRON = "17 3 * * *"
DEFAULT_GRACE_SECONDS = 3600
JOB_ID = "scrape"


def cron_trigger(expr: str) -> CronTrigger:
    """A UTC trigger from a crontab line (5 fields) or one with seconds first (6 fields).

    Raises ``ValueError`` with the reason for anything else.
    """
    fields = expr.split()
    if len(fields) == 5:
        return CronTrigger.from_crontab(expr, timezone=timezone.utc)
    if len(fields) == 6:
        second, minute, hour, day, month, day_of_week = fields
        return CronTrigger(second=second, minute=minute, hour=hour, day=day, month=month,
                           day_of_week=day_of_week, timezone=timezone.utc)
    raise ValueError(f"{expr!r} has {len(fields)} fields; expected 5 (minute hour day month weekday)"
                     " or 6 (second first)")


class NightScheduler(BackgroundScheduler):
    """A scheduler in its own thread whose job holds ``busy`` while it runs, so that a stop can
    wait for the running night from the main thread, outside any signal handler."""

    def __init__(self, **options: object) -> None:
        super().__init__(**options)
        self.busy = threading.Lock()


def build_scheduler(job: Callable[[], None], trigger: CronTrigger,
                    grace_seconds: int = DEFAULT_GRACE_SECONDS) -> NightScheduler:
    scheduler = NightScheduler(timezone=timezone.utc, job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": grace_seconds})

    def night() -> None:
        with scheduler.busy:
            job()

    scheduler.add_job(night, trigger, id=JOB_ID, name="ratecard scrape")
    return scheduler


def run_forever(scheduler: NightScheduler) -> None:
    """Start ``scheduler`` and block until SIGINT or SIGTERM, then stop it once the running
    night (if any) has committed."""
    stopping = threading.Event()

    def stop(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stopping.is_set():
            log.info("%s: already stopping; waiting for the running scrape to finish", name)
            return
        log.info("%s: stopping after the running scrape, if any", name)
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        scheduler.start()
        while not stopping.wait(0.5):
            pass
        scheduler.shutdown(wait=False)  # no new night starts
        with scheduler.busy:  # the night in flight, if any, finishes and commits
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("stopped")


def next_fire(trigger: CronTrigger) -> str:
    """When ``trigger`` fires next from now, ISO 8601 UTC ("never" for an impossible date)."""
    when = trigger.get_next_fire_time(None, datetime.now(timezone.utc))
    return iso_utc(when) if when else "never"


def timed(run: Callable[[], str]) -> Callable[[], None]:
    """The job: ``run`` returns the summary of one run; log it with its duration, never raise
    (an exception would only be logged by APScheduler as a traceback)."""

    def job() -> None:
        started = time.monotonic()
        try:
            summary = run()
        except Exception as exc:  # one failed night must not stop the schedule
            summary = f"failed: {type(exc).__name__}: {exc}"
        log.info("%s (%.1fs)", summary, time.monotonic() - started)

    return job
