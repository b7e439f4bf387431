"""What deriving the history costs a scrape, as the history grows: ``update`` (what a scrape runs:
only the series it touched) against a full ``rebuild`` of the provider, on the same database.

    python bench/derive_cost.py [--nights 50 100 200 365]

The history is OpenRouter's catalogue night after night, walking its versions forward and back one
step every 8 nights as in bench/soak.py (the real snapshots in ../shared/real-pages/openrouter when
present, read there; else the fixture versions), recorded straight into a database (no HTTP).  At
each length it times, best of 3, the derivation after a quiet night (the page unchanged) and after a
night of real changes, and prints each as a ratio to the full rebuild measured in the same run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from db.history import rebuild, update  # noqa: E402
from db.observe import record_observation  # noqa: E402
from db.schema import open_db  # noqa: E402
from parsers import registry  # noqa: E402
from soak import OPENROUTER, STEP, openrouter_index  # noqa: E402

SOURCE = registry.sources("openrouter")[0]
START = datetime(2025, 1, 1, 3, 0, tzinfo=timezone.utc)


def best(step, runs: int = 3) -> float:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        step()
        out.append(time.perf_counter() - t)
    return min(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nights", type=int, nargs="+", default=[50, 100, 200, 365])
    args = parser.parse_args()
    quotes = [registry.read("openrouter", body.decode("utf-8"), SOURCE.url).quotes for body in OPENROUTER]
    db = open_db(Path(tempfile.mkdtemp(prefix="ratecard-derive-")) / "prices.db")
    print(f"OpenRouter: {len(OPENROUTER)} catalogue versions, {len(quotes[0])} to {max(map(len, quotes))}"
          f" prices each, a step every {STEP} nights")
    print("nights  quiet night: update / rebuild        night of changes: update / rebuild")
    done = 0
    for target in sorted(args.nights):
        # stop one night after a step (the quiet night) and measure; then the next step night
        while done < target:
            at = START + timedelta(days=done)
            obs = record_observation(db, SOURCE, at, 200, None, quotes[openrouter_index(done)], None, "1")
            done += 1
        update(db, ["openrouter"], [obs])
        quiet = best(lambda: update(db, ["openrouter"], [obs])), best(lambda: rebuild(db, ["openrouter"]))
        while openrouter_index(done) == openrouter_index(done - 1):
            at = START + timedelta(days=done)
            obs = record_observation(db, SOURCE, at, 200, None, quotes[openrouter_index(done)], None, "1")
            update(db, ["openrouter"], [obs])
            done += 1
        at = START + timedelta(days=done)
        obs = record_observation(db, SOURCE, at, 200, None, quotes[openrouter_index(done)], None, "1")
        done += 1
        busy = best(lambda: update(db, ["openrouter"], [obs])), best(lambda: rebuild(db, ["openrouter"]))
        print(f"{target:6d}  {quiet[0] * 1000:6.0f} / {quiet[1] * 1000:6.0f} ms = {quiet[0] / quiet[1]:.2f}x"
              f"          {busy[0] * 1000:6.0f} / {busy[1] * 1000:6.0f} ms = {busy[0] / busy[1]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
