"""``ratecard export``: per-provider CSV and JSON whose git diff is the price change itself."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from mirror import Mirror, page, ratecard, run_in_process, scrape_night

from db.export import CHANGE_FIELDS, PRICE_FIELDS

FILES = ["deepseek.changes.csv", "deepseek.changes.json", "deepseek.prices.csv", "deepseek.prices.json"]


def export(db: Path, out: Path) -> dict[str, bytes]:
    assert run_in_process("export", "--db", str(db), str(out)) == f"wrote 4 files to {out}\n"
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(data.decode().splitlines()))


def test_prices_and_changes_per_provider_stable_and_quiet_on_a_night_without_change(tmp_path):
    db, out = tmp_path / "prices.db", tmp_path / "out"
    with Mirror() as mirror:
        mirror.deepseek(page("deepseek/2024-12-28-promo.en.html"))
        scrape_night(db, mirror, "2024-12-29T03:00:00Z")
        first = export(db, out)
        scrape_night(db, mirror, "2024-12-30T03:00:00Z")
        assert export(db, out) == first  # nothing changed: no diff to commit
        mirror.deepseek(page("deepseek/2025-02-20-full-price.en.md"))
        scrape_night(db, mirror, "2025-02-21T03:00:00Z")
        after = export(db, out)
    assert sorted(first) == FILES
    assert {oct(p.stat().st_mode & 0o777) for p in out.iterdir()} == {"0o644"}
    assert first["deepseek.prices.csv"].decode().splitlines()[:3] == [
        ",".join(PRICE_FIELDS),
        "deepseek-chat,input,standard,,CNY,1,2,2025-02-08T16:00:00Z,2024-12-29T03:00:00Z,"
        "2025-02-08T16:00:00Z,first_observed,,confirmed,deepseek-zh-cn",
        "deepseek-chat,input,standard,,CNY,2,,,2025-02-08T16:00:00Z,,announced,,scheduled,deepseek-zh-cn",
    ]
    scheduled = csv_rows(first["deepseek.changes.csv"])
    assert [(r["model"], r["component"], r["currency"], r["kind"], r["old_price"], r["new_price"],
             r["observed_after"], r["status"]) for r in scheduled][:2] == [
        ("deepseek-chat", "input", "CNY", "promo_end", "1", "2", "", "scheduled"),
        ("deepseek-chat", "input", "USD", "promo_end", "0.14", "0.27", "", "scheduled")]
    assert len(scheduled) == 6
    # The next nights: the promo ended as announced; DeepSeek-reasoner arrived.
    old, new = (csv_rows(x["deepseek.changes.csv"]) for x in (first, after))
    assert [(r["model"], r["component"], r["currency"], r["kind"], r["effective_at"], r["observed_after"],
             r["observed_at"], r["status"]) for r in new if r["model"] == "deepseek-chat"][:2] == [
        ("deepseek-chat", "input", "CNY", "promo_end", "2025-02-08T16:00:00Z", "2024-12-30T03:00:00Z",
         "2025-02-21T03:00:00Z", "confirmed"),
        ("deepseek-chat", "input", "USD", "promo_end", "2025-02-08T16:00:00Z", "2024-12-30T03:00:00Z",
         "2025-02-21T03:00:00Z", "confirmed")]
    assert len(new) == 12 and len(old) == 6
    assert [(r["model"], r["kind"], r["effective_at"]) for r in new[6:]] == [
        ("deepseek-reasoner", "added", "2025-02-21T03:00:00Z")] * 6
    # JSON holds the same rows as the CSV, exact text, empty fields as null.
    for name in ("prices", "changes"):
        as_json = json.loads(after[f"deepseek.{name}.json"])
        as_csv = csv_rows(after[f"deepseek.{name}.csv"])
        fields = PRICE_FIELDS if name == "prices" else CHANGE_FIELDS
        assert [list(r) for r in as_json] == [list(fields)] * len(as_json)
        assert [{k: v or "" for k, v in r.items()} for r in as_json] == as_csv


def test_a_missing_database_is_an_error_and_writes_nothing(tmp_path):
    done = ratecard("export", "--db", str(tmp_path / "nope.db"), str(tmp_path / "out"))
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (f"ratecard export: {tmp_path / 'nope.db'}: no such database"
                           " (run `ratecard scrape` or `ratecard backfill --curated` first)\n")
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "nope.db").exists()
