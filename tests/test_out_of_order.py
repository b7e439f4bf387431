"""Observations may arrive in any order (a backfill after months of nightly runs): the history is
derived in time order, so it is the same as if they had arrived in order."""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path

import pytest

from db import curated
from db.history import rebuild
from db.observe import record_observation
from db.schema import DERIVED_TABLES, open_db
from parsers import registry
from parsers.quote import parse_utc

FIXTURES = Path(__file__).parent / "fixtures" / "deepseek"
EN, ZH = registry.sources("deepseek")

#: (source, observed_at, fixture page or None for a failed fetch): DeepSeek's pages over two years
PAGES = [
    (EN, "2024-12-28T09:00:00Z", "2024-12-28-promo.en.html"),
    (EN, "2025-01-23T10:00:00Z", "2025-01-23-reasoner.en.html"),
    (EN, "2025-02-01T10:00:00Z", None),
    (EN, "2025-02-20T10:00:00Z", "2025-02-20-full-price.en.md"),
    (EN, "2025-02-26T20:00:00Z", "2025-02-26-off-peak.en.html"),
    (ZH, "2025-02-27T02:00:00Z", "2025-02-26-off-peak.zh-cn.md"),
    (EN, "2025-10-01T10:00:00Z", "2025-09-29-v32.en.md"),
    (EN, "2026-08-14T10:00:00Z", "2026-08-14-announced.en.md"),
    (ZH, "2026-08-14T10:00:00Z", "2026-08-14-announced.zh-cn.md"),
    (EN, "2026-08-17T10:00:00Z", "2026-08-17-peak.en.html"),
    (ZH, "2026-08-17T10:00:00Z", "2026-08-17-peak.zh-cn.md"),
]


@pytest.fixture(scope="module")
def arrivals() -> list[tuple]:
    """Each page parsed once: (source, observed_at, body, quotes, error)."""
    out = []
    for source, at, name in PAGES:
        if name is None:
            out.append((source, parse_utc(at), None, None, "HTTP 503 (after 3 attempts)"))
            continue
        body = (FIXTURES / name).read_bytes()
        out.append((source, parse_utc(at), body, registry.parse("deepseek", body.decode("utf-8"), source.url), None))
    return out


def build(path: Path, arrivals: list[tuple], order: list[int], with_curated: bool,
          rebuild_each: bool = True) -> dict[str, list[tuple]]:
    """Record the arrivals in ``order``, rebuilding after each (as nightly runs and backfills do)
    unless ``rebuild_each`` is off, and at the end."""
    db = open_db(path)
    if with_curated:  # loaded first here, last in the other order: arrival order must not matter
        curated.load(db, [h for h in curated.read_all() if h.provider == "deepseek"])
        rebuild(db, ["deepseek"])
    for i in order:
        source, at, body, quotes, error = arrivals[i]
        record_observation(db, source, at, 200 if body else None, body, quotes, error, "1", archive=True)
        if rebuild_each:
            rebuild(db, ["deepseek"])
    rebuild(db, ["deepseek"])
    return snapshot(db)


def snapshot(db) -> dict[str, list[tuple]]:
    """Every derived row, order-free (rows are sorted by their text)."""
    return {table: sorted((tuple(sorted(row.items())) for row in db.query(f"SELECT * FROM {table}")), key=repr)
            for table in DERIVED_TABLES}


def _in_order(arrivals: list[tuple]) -> list[int]:
    return sorted(range(len(arrivals)), key=lambda i: arrivals[i][1])


def test_backfill_after_nightly_runs_gives_the_in_order_history(tmp_path, arrivals):
    in_order = build(tmp_path / "a.db", arrivals, _in_order(arrivals), with_curated=True)
    # nightly runs from 2026-08-14 first, then a backfill of the past, newest capture first
    nightly = [i for i in _in_order(arrivals) if arrivals[i][1] >= datetime.fromisoformat("2026-08-01T00:00:00+00:00")]
    backfill = [i for i in reversed(_in_order(arrivals)) if i not in nightly]
    build(tmp_path / "b.db", arrivals, nightly + backfill, with_curated=False)
    db = open_db(tmp_path / "b.db")
    curated.load(db, [h for h in curated.read_all() if h.provider == "deepseek"])  # curated last
    rebuild(db, ["deepseek"])
    assert snapshot(db) == in_order
    # and the history is not trivial: the promo end and the announced peak switch are in it
    changes = [dict(row) for row in in_order["changes"]]
    assert {(c["effective_at"], c["kind"], c["basis"]) for c in changes if c["model"] == "deepseek-chat"
            and c["currency"] == "USD" and c["component"] == "output"} >= {
        ("2025-02-08T16:00:00Z", "promo_end", "announced")}
    assert {(c["effective_at"], c["basis"], c["status"]) for c in changes if c["tier"] == "peak"} == {
        ("2026-08-16T16:00:00Z", "announced", "confirmed")}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_arrival_order_gives_the_same_history(tmp_path, arrivals, seed):
    expected = build(tmp_path / "a.db", arrivals, _in_order(arrivals), with_curated=False, rebuild_each=False)
    shuffled = _in_order(arrivals)
    random.Random(seed).shuffle(shuffled)
    assert shuffled != _in_order(arrivals)
    assert build(tmp_path / "b.db", arrivals, shuffled, with_curated=False, rebuild_each=False) == expected
    assert (len(expected["prices"]), len(expected["changes"])) == (75, 96)


@pytest.mark.parametrize("seed", [4, 5])
def test_scrape_updates_in_any_arrival_order_give_the_full_rebuild(tmp_path, arrivals, seed):
    """What a scrape runs (db.history.update: the touched series only, or the provider in full for
    an arrival older than its source's newest) ends with the rows of a full rebuild in time order."""
    from db.history import update

    expected = build(tmp_path / "a.db", arrivals, _in_order(arrivals), with_curated=False, rebuild_each=False)
    order = _in_order(arrivals)
    random.Random(seed).shuffle(order)
    db = open_db(tmp_path / "b.db")
    for i in order:
        source, at, body, quotes, error = arrivals[i]
        new = record_observation(db, source, at, 200 if body else None, body, quotes, error, "1", archive=True)
        update(db, ["deepseek"], [new])
    assert snapshot(db) == expected
