"""The suspect guard end to end: scrapes as real ``ratecard`` processes on a real database file,
fed by a local mirror; the read-only queries run in-process to keep the test fast."""

from __future__ import annotations

import json
from pathlib import Path

from mirror import Mirror, page, ratecard, run_in_process, units_mistake

NIGHT1, NIGHT2, NIGHT3 = "2025-02-21T03:00:00Z", "2025-02-22T03:00:00Z", "2025-02-23T03:00:00Z"
REASON = "deepseek-chat output standard USD moves 1.1 -> 0.0011 (more than 10x)"


def scrape(db: Path, mirror: Mirror, at: str) -> list[str]:
    """``ratecard scrape`` as a real process; its report's suspect lines."""
    done = ratecard("scrape", "--db", str(db), "--provider", "deepseek", "--mirror", mirror.url, "--at", at)
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line.startswith("suspect")]


def chat_output_usd(db: Path, at: str) -> list[tuple[str, str]]:
    rows = json.loads(run_in_process("prices", "--db", str(db), "--provider", "deepseek", "--model",
                                     "deepseek-chat", "--at", at, "--json"))
    return [(r["price"], r["valid_from"]) for r in rows if r["component"] == "output" and r["currency"] == "USD"]


def changes(db: Path) -> list[tuple]:
    rows = json.loads(run_in_process("changes", "--db", str(db), "--json"))
    return [(r["model"], r["component"], r["currency"], r["kind"], r["old_price"], r["new_price"],
             r["effective_at"]) for r in rows]


def status(db: Path) -> dict:
    return json.loads(run_in_process("status", "--db", str(db), "--json"))


def test_a_units_mistake_is_held_reported_and_discarded_when_the_page_recovers(tmp_path):
    db = tmp_path / "prices.db"
    with Mirror() as mirror:
        mirror.deepseek(page("deepseek/2025-02-20-full-price.en.md"))
        scrape(db, mirror, NIGHT1)
        mirror.deepseek(units_mistake())
        assert scrape(db, mirror, NIGHT2) == [
            f"suspect  {source}: held until the next healthy run confirms it (dropped only if the old price returns): {REASON}"
            for source in ("deepseek-en", "deepseek-zh-cn")]
        assert status(db)["suspects_waiting"] == [
            {"provider": "deepseek", "source_id": source, "observed_at": NIGHT2, "reasons": [REASON]}
            for source in ("deepseek-en", "deepseek-zh-cn")]
        text = run_in_process("status", "--db", str(db))
        assert text.splitlines()[-2:] == [
            f"suspect  deepseek-en observed {NIGHT2}, held until the next healthy run confirms it (dropped only if the old price returns): {REASON}",
            f"suspect  deepseek-zh-cn observed {NIGHT2}, held until the next healthy run confirms it (dropped only if the old price returns): {REASON}"]
        assert changes(db) == []
        assert chat_output_usd(db, NIGHT2) == [("1.1", NIGHT1)]
        mirror.deepseek(page("deepseek/2025-02-20-full-price.en.md"))
        assert scrape(db, mirror, NIGHT3) == []
    assert status(db)["suspects_waiting"] == []
    assert changes(db) == []
    assert chat_output_usd(db, NIGHT3) == [("1.1", NIGHT1)]


def test_a_suspect_seen_again_on_the_next_run_takes_effect_when_it_was_first_seen(tmp_path):
    db = tmp_path / "prices.db"
    with Mirror() as mirror:
        mirror.deepseek(page("deepseek/2025-02-20-full-price.en.md"))
        scrape(db, mirror, NIGHT1)
        mirror.deepseek(units_mistake())
        scrape(db, mirror, NIGHT2)
        scrape(db, mirror, NIGHT3)
    assert status(db)["suspects_waiting"] == []
    assert changes(db) == [("deepseek-chat", "output", "USD", "cut", "1.1", "0.0011", NIGHT2)]
    assert chat_output_usd(db, NIGHT3) == [("0.0011", NIGHT2)]


def test_a_page_dropping_every_model_waits_one_night_then_counts_from_its_first_night(tmp_path):
    """DeepSeek's V4 page really did replace deepseek-chat and deepseek-reasoner."""
    db = tmp_path / "prices.db"
    with Mirror() as mirror:
        mirror.deepseek(page("deepseek/2025-09-29-v32.en.md"))
        scrape(db, mirror, "2026-08-13T03:00:00Z")
        mirror.deepseek(page("deepseek/2026-08-14-announced.en.md"),
                        page("deepseek/2026-08-14-announced.zh-cn.md"))
        scrape(db, mirror, "2026-08-14T03:00:00Z")
        held = status(db)["suspects_waiting"]
        assert [(s["source_id"], s["reasons"]) for s in held] == [
            ("deepseek-en", ["shows 0 of the 6 prices seen before (gone: deepseek-chat, deepseek-reasoner)"]),
            ("deepseek-zh-cn", ["shows 0 of the 6 prices seen before (gone: deepseek-chat, deepseek-reasoner)"])]
        assert changes(db) == []
        scrape(db, mirror, "2026-08-15T03:00:00Z")
    assert status(db)["suspects_waiting"] == []
    removed = [c for c in changes(db) if c[3] == "removed" and c[2] == "USD" and "v4" not in c[0]]
    assert sorted(removed) == [
        ("deepseek-chat", component, "USD", "removed", price, None, "2026-08-14T03:00:00Z")
        for component, price in (("input", "0.28"), ("input_cache_hit", "0.028"), ("output", "0.42"))
    ] + [
        ("deepseek-reasoner", component, "USD", "removed", price, None, "2026-08-14T03:00:00Z")
        for component, price in (("input", "0.28"), ("input_cache_hit", "0.028"), ("output", "0.42"))
    ]
