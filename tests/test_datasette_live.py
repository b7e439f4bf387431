"""Datasette serves a history that a scrape is writing: every query sees the last committed run
whole, with no stale counts, no "malformed" error and no restart."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from db.datasette.app import make_datasette
from db.schema import open_db

ROOT = Path(__file__).resolve().parents[1]

#: A writer that commits 40 runs of 50 sources each, the way a scrape commits: one transaction
#: per run, with the lock held while the rows go in.
WRITER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], timeout=30)
for run in range(40):
    with conn:
        for i in range(50):
            conn.execute("INSERT INTO sources (id, provider, url) VALUES (?, 'p', 'u')", (f"s{run}-{i}",))
        time.sleep(0.01)
    time.sleep(0.01)
print("done", flush=True)
"""


def test_counts_follow_each_committed_run_while_a_writer_commits(tmp_path):
    path = tmp_path / "prices.db"
    open_db(path).close()
    ds = make_datasette(path)

    async def count() -> int:
        response = await ds.client.get("/ratecard.json?sql=select+count(*)+as+n+from+sources&_shape=array")
        assert response.status_code == 200, response.text
        return response.json()[0]["n"]

    async def read_while_writing() -> list[int]:
        assert await count() == 0
        writer = await asyncio.create_subprocess_exec(sys.executable, "-c", WRITER, str(path), cwd=ROOT,
                                                      stdout=subprocess.PIPE)
        seen = []
        while writer.returncode is None:
            seen.append(await count())
            try:
                await asyncio.wait_for(writer.wait(), 0.005)
            except asyncio.TimeoutError:
                pass
        assert await writer.stdout.read() == b"done\n"
        seen.append(await count())
        page = await ds.client.get("/ratecard/sources")
        assert page.status_code == 200 and "2,000 rows" in page.text
        return seen

    seen = asyncio.run(read_while_writing())
    assert seen == sorted(seen), "a count went backwards"
    assert all(n % 50 == 0 for n in seen), "a query saw half of a run"
    assert seen[-1] == 2000
    assert len(set(seen)) > 2, "the reader never saw the history change while it was written"
