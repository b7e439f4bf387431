"""A second SIGTERM while a night runs is answered with a log line; the night still completes."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROGRAM = """
import logging, sys, time
from pathlib import Path
from scraper.schedule import build_scheduler, cron_trigger, run_forever
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(message)s")
logging.getLogger("apscheduler").setLevel(logging.WARNING)
done = Path(sys.argv[1])

def night():
    print("night started", file=sys.stderr, flush=True)
    time.sleep(2)
    done.write_text("committed")
    print("night done", file=sys.stderr, flush=True)

run_forever(build_scheduler(night, cron_trigger("* * * * * *")))
"""


def test_two_sigterms_during_a_night_let_it_finish_and_exit_cleanly(tmp_path):
    done = tmp_path / "night"
    proc = subprocess.Popen([sys.executable, "-c", PROGRAM, str(done)], cwd=ROOT,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stderr.readline() == "night started\n"
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    err = proc.stderr.read()
    assert "Traceback" not in err
    assert err.splitlines() == [
        "SIGTERM: stopping after the running scrape, if any",
        "SIGTERM: already stopping; waiting for the running scrape to finish",
        "night done",
        "stopped",
    ]
    assert done.read_text() == "committed"
