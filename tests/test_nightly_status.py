"""``ratecard status`` (and Datasette's source_status question): per source the last outcome, since
when it fails, the last success, the failure streak; suspects waiting; exit 1 when all fail."""

from __future__ import annotations

import asyncio
import json

from db.datasette.app import make_datasette
from db.health import SourceHealth, failures_of_run
from db.observe import record_observation
from db.schema import open_db
from mirror import Mirror, page, ratecard, run_in_process, scrape_night
from parsers import registry
from parsers.quote import parse_utc

N1, N2, N3 = "2025-02-21T03:17:00Z", "2025-02-22T03:17:00Z", "2025-02-23T03:17:00Z"


def test_a_failing_page_shows_its_streak_and_last_success(tmp_path):
    db = tmp_path / "prices.db"
    full = page("deepseek/2025-02-20-full-price.en.md")
    with Mirror() as mirror:
        mirror.deepseek(full)
        scrape_night(db, mirror, N1)
        mirror.deepseek(full, 404)
        scrape_night(db, mirror, N2, expect=1)
        scrape_night(db, mirror, N3, expect=1)
    status = json.loads(run_in_process("status", "--db", str(db), "--json"))
    assert status == {"sources": [
        {"source_id": "deepseek-en", "provider": "deepseek", "last_run_at": N3, "last_outcome": "ok",
         "last_error": None, "last_success_at": N3, "failures_in_a_row": 0, "failing_since": None,
         "last_way": "http"},
        {"source_id": "deepseek-zh-cn", "provider": "deepseek", "last_run_at": N3, "last_outcome": "fetch_failed",
         "last_error": "HTTP 404", "last_success_at": N1, "failures_in_a_row": 2, "failing_since": N2,
         "last_way": "http"},
    ], "all_failing": False, "suspects_waiting": []}
    assert run_in_process("status", "--db", str(db)).splitlines() == [
        "source_id       last_run_at           last_outcome  last_way  failing_since         last_success_at       failures_in_a_row  last_error",
        "deepseek-en     2025-02-23T03:17:00Z  ok            http                            2025-02-23T03:17:00Z  0",
        "deepseek-zh-cn  2025-02-23T03:17:00Z  fetch_failed  http      2025-02-22T03:17:00Z  2025-02-21T03:17:00Z  2                  HTTP 404",
        "failing: 1 of 2 sources",
        "failing  deepseek-zh-cn: fetch_failed since 2025-02-22T03:17:00Z (2 runs; last success 2025-02-21T03:17:00Z): HTTP 404",
        "suspects waiting: 0",
    ]


def test_status_exits_1_when_every_source_fails_and_archive_pages_are_no_success(tmp_path):
    db = tmp_path / "prices.db"
    full = page("deepseek/2025-02-20-full-price.en.md")
    with Mirror() as mirror:
        mirror.deepseek(full)
        scrape_night(db, mirror, N1)
        mirror.deepseek(500, 404)
        scrape_night(db, mirror, N2, expect=1)
    # a page loaded from an archive, newer than every fetch: it is not a fetch, so not a success
    conn = open_db(db, create=False)
    with conn.atomic():
        record_observation(conn, registry.sources("deepseek")[0], parse_utc(N3), 200, full,
                           registry.parse("deepseek", full.decode()), None, "1", archive=True, way="archive")
    conn.close()
    done = ratecard("status", "--db", str(db))
    assert done.returncode == 1
    assert done.stderr == "ratecard status: every source is failing (see last_outcome and last_error)\n"
    lines = done.stdout.splitlines()
    assert lines[3:6] == [
        "failing: 2 of 2 sources",
        f"failing  deepseek-en: fetch_failed since {N2} (1 run; last success {N1}): HTTP 500",
        f"failing  deepseek-zh-cn: fetch_failed since {N2} (1 run; last success {N1}): HTTP 404"]
    assert json.loads(ratecard("status", "--db", str(db), "--json").stdout)["all_failing"] is True


def test_status_of_a_missing_database_is_an_error_not_an_empty_one(tmp_path):
    done = ratecard("status", "--db", str(tmp_path / "nope.db"))
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (f"ratecard status: {tmp_path / 'nope.db'}: no such database (run `ratecard scrape` or"
                           " `ratecard backfill --curated` first)\n")
    assert not (tmp_path / "nope.db").exists()


def test_datasette_source_status_agrees_with_ratecard_status(tmp_path):
    db = tmp_path / "prices.db"
    full = page("deepseek/2025-02-20-full-price.en.md")
    with Mirror() as mirror:
        mirror.deepseek(full)
        scrape_night(db, mirror, N1)
        mirror.deepseek(full, 404)
        scrape_night(db, mirror, N2, expect=1)
        scrape_night(db, mirror, N3, expect=1)
    response = asyncio.run(make_datasette(db).client.get("/ratecard/source_status.json?_shape=array"))
    assert response.status_code == 200, response.text
    served = response.json()
    status = json.loads(run_in_process("status", "--db", str(db), "--json"))["sources"]
    fields = ("source_id", "provider", "last_run_at", "last_outcome", "last_way", "failing_since",
              "last_success_at", "failures_in_a_row", "last_error")
    by_cli = {s["source_id"]: {f: s[f] for f in fields} for s in status}
    assert served == [by_cli["deepseek-zh-cn"], by_cli["deepseek-en"]]  # failing first
    assert served[0] == {"source_id": "deepseek-zh-cn", "provider": "deepseek", "last_run_at": N3,
                         "last_outcome": "fetch_failed", "last_way": "http", "failing_since": N2,
                         "last_success_at": N1, "failures_in_a_row": 2, "last_error": "HTTP 404"}


def test_failures_of_a_run_describe_kind_start_and_last_success_for_the_commit_message(tmp_path):
    """What ``ratecard nightly`` lists under its failures: only the sources this run left failing."""
    db = tmp_path / "prices.db"
    full = page("deepseek/2025-02-20-full-price.en.md")
    with Mirror() as mirror:
        mirror.deepseek(full)
        scrape_night(db, mirror, N1)
        mirror.deepseek(full, 404)
        scrape_night(db, mirror, N2, expect=1)
        mirror.deepseek(b"<html><body><p>Pricing moved to the console</p></body></html>", 404)
        scrape_night(db, mirror, N3, expect=1)
    failing = failures_of_run(db, parse_utc(N3))
    assert [h.describe() for h in failing] == [
        f"deepseek-en: layout_changed since {N3} (1 run; last success {N2}): deepseek: no pricing table found"
        " (no table with DeepSeek model ids and prices) in https://api-docs.deepseek.com/quick_start/pricing",
        f"deepseek-zh-cn: fetch_failed since {N2} (2 runs; last success {N1}): HTTP 404"]
    assert failures_of_run(db, parse_utc(N1)) == []


def test_a_described_failure_shows_page_text_on_one_line():
    health = SourceHealth("xai-models", "xai", N2, "layout_changed", "no table near 'grok\nSigned-off-by: x\x1b[2J'",
                          N1, 1, N2, "http")
    assert health.describe() == (f"xai-models: layout_changed since {N2} (1 run; last success {N1}):"
                                 " no table near 'grok\\nSigned-off-by: x\\x1b[2J'")


def test_a_history_loaded_from_archives_only_has_no_fetched_source(tmp_path):
    db = tmp_path / "prices.db"
    full = page("deepseek/2025-02-20-full-price.en.md")
    conn = open_db(db)
    with conn.atomic():
        record_observation(conn, registry.sources("deepseek")[0], parse_utc(N1), 200, full,
                           registry.parse("deepseek", full.decode()), None, "1", archive=True, way="archive")
    conn.close()
    done = ratecard("status", "--db", str(db))
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert lines[1].split() == ["deepseek-en", "0"]  # never run, never failed: no streak
    assert lines[2:] == [
        "failing: 0 of 1 sources",
        "no source has been fetched yet (only archive observations): run `ratecard scrape`",
        "suspects waiting: 0"]
