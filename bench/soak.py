"""Soak: a year of nightly runs against a local mirror, with real changes and injected failures.

    python bench/soak.py [--nights 365] [--keep DIR]

Each night is ``ratecard nightly`` (``scraper.commands.nightly.night``: scrape under the lock, exports,
feed) with ``--at`` advancing one day, every provider fetched over HTTP from a mirror on
127.0.0.1 serving the fixture pages in tests/fixtures.  The pages follow DeepSeek's real eras
(promo, R1, full price, off-peak, V3.2; the zh-cn URL serves the English page, whose CNY tab is
the same table, where no zh-cn capture exists) and OpenRouter / Mistral page changes; on a few nights a
page fails (HTTP 500, 404, 503 three nights running, a truncated body, a page without a table) or
looks broken (a per-1K units mistake, a catalogue cut to one model).

Checks, each printed with its figure; exit 1 if any fails:

* the change log equals the changes derived, with no guard, from the clean page of every night
  (so failures and suspects added, removed and shifted nothing);
* the history equals a rebuild from scratch of the final database;
* every injected suspect was discarded and none is waiting; no source ends in a failure streak;
* the same log derived without the guard does hold false changes (the guard is what keeps them out).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from db.derive import Observation, SourceInfo, derive_history  # noqa: E402
from db.guard import DISCARDED, WAITING, screen  # noqa: E402
from db.health import source_health  # noqa: E402
from db.history import _change_row, _load_observations, _load_sources, rebuild  # noqa: E402
from db.schema import DERIVED_TABLES, open_db  # noqa: E402
from parsers import registry  # noqa: E402
from scraper.commands.nightly import night  # noqa: E402
from scraper.mirror import Mirror  # noqa: E402
from scraper.run import parse_body  # noqa: E402

FIX = ROOT / "tests" / "fixtures"
START = datetime(2024, 12, 29, 3, 17, tzinfo=timezone.utc)
URL = {s.id: s.url for s in registry.sources()}


def day(n: int) -> datetime:
    return START + timedelta(days=n)


def read(path: str) -> bytes:
    return (FIX / path).read_bytes()


def deepseek_pages(at: datetime) -> tuple[str, str]:
    """DeepSeek's (English, Chinese) page in force at ``at``, by the dates of the captures."""
    eras = [("2024-12-28", "deepseek/2024-12-28-promo.en.html", None),
            ("2025-01-23", "deepseek/2025-01-23-reasoner.en.html", None),
            ("2025-02-20", "deepseek/2025-02-20-full-price.en.md", None),
            ("2025-02-26", "deepseek/2025-02-26-off-peak.en.html", "deepseek/2025-02-26-off-peak.zh-cn.md"),
            ("2025-09-29", "deepseek/2025-09-29-v32.en.md", None)]
    en, zh = next((en, zh) for start, en, zh in reversed(eras) if at.strftime("%Y-%m-%d") > start)
    return en, zh or en


def clean_pages(n: int) -> dict[str, bytes]:
    """The page every source really showed on night ``n``."""
    en, zh = deepseek_pages(day(n))
    openrouter = ("2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04")[sum(n >= k for k in (100, 180, 270))]
    return {
        URL["deepseek-en"]: read(en),
        URL["deepseek-zh-cn"]: read(zh),
        URL["openrouter-models"]: read(f"openrouter/history/{openrouter}.json"),
        URL["mistral-pricing"]: read("mistral/docs-2024-03.md" if n < 150 else "mistral/docs-2024-04.txt"),
        URL["xai-models"]: read("xai/models-page.html"),
        URL["anthropic-pricing"]: read("anthropic/pricing.html"),
        URL["google-gemini-pricing"]: read("gemini/pricing.html"),
        URL["openai-pricing"]: read("openai/pricing.html"),
    }


def injected(n: int, pages: dict[str, bytes]) -> dict[str, bytes | int]:
    """Night ``n``'s failures and broken pages (None of them near a real change)."""
    out: dict[str, bytes | int] = dict(pages)
    en = URL["deepseek-en"]
    if n == 40:
        out[en] = 500
    elif n == 75:
        out[URL["openrouter-models"]] = 404
    elif n == 130:
        out[en] = pages[en][: len(pages[en]) // 2]  # cut short: no </html>
    elif n == 200:
        out[en] = read("deepseek/no-table.en.html")
    elif n == 300:
        out[en] = pages[en].replace(b"$0.42", b"$0.00042")  # per-1K units mistake: held, discarded
    elif n == 310:
        out[URL["openrouter-models"]] = catalogue_of_one(pages[URL["openrouter-models"]])
    elif 320 <= n < 323:
        out[URL["mistral-pricing"]] = 503
    return out


def catalogue_of_one(body: bytes) -> bytes:
    """The OpenRouter list cut to its first model (a broken API answer): held, then discarded."""
    data = json.loads(body)
    if isinstance(data, list):
        return json.dumps(data[:1]).encode()
    data["data"] = data["data"][:1]
    return json.dumps(data).encode()


def reference_changes(nights: int) -> list[dict]:
    """Change rows derived with no guard from the clean page of every source on every night."""
    rows = []
    sources = registry.sources()
    for provider in registry.providers():
        mine = [s for s in sources if s.provider == provider]
        observations = []
        parsed: dict[tuple[str, bytes], list] = {}
        for n in range(nights):
            pages = clean_pages(n)
            for s in mine:
                body = pages[s.url]
                if (s.id, body) not in parsed:
                    parsed[(s.id, body)] = parse_body(s, body).quotes
                observations.append(Observation(len(observations), s.id, day(n), parsed[(s.id, body)]))
        infos = [SourceInfo(s.id, s.provider, s.currencies) for s in mine]
        rows += [_change_row(c) for c in derive_history(infos, observations).changes]
    return sorted(rows, key=_row_key)


def _row_key(row: dict) -> tuple:
    return tuple(str(row[k]) for k in sorted(row))


def table(db, name: str) -> list[tuple]:
    return sorted(tuple(r) for r in db.execute(f"SELECT * FROM {name}").fetchall())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nights", type=int, default=365)
    parser.add_argument("--keep", type=Path, help="keep the database and exports in this folder")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="ratecard-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    db_path = work / "prices.db"
    db_path.unlink(missing_ok=True)
    durations, outcomes, held_nights = [], Counter(), []
    started = time.monotonic()
    with Mirror() as mirror:
        for n in range(args.nights):
            mirror.pages = injected(n, clean_pages(n))
            t = time.monotonic()
            result, held = night(db_path, work, mirror=mirror.url, at=day(n))
            durations.append(time.monotonic() - t)
            outcomes.update("ok" if s.ok else "failed" for s in result.sources)
            held_nights += [n] * len(held)
    total = time.monotonic() - started

    db = open_db(db_path)
    checks: list[tuple[str, bool]] = []
    changes = sorted((dict(r) for r in db.query("SELECT * FROM changes")), key=_row_key)
    reference = reference_changes(args.nights)
    checks.append((f"change log equals the {len(reference)} changes of the clean pages", changes == reference))
    unguarded = sorted((_change_row(c) for p in registry.providers()
                        for c in derive_history(_load_sources(db, p), _load_observations(db, p)).changes),
                       key=_row_key)
    false_changes = len([r for r in unguarded if r not in reference])
    checks.append((f"without the guard the log would hold {false_changes} false changes", false_changes > 0))
    before = {t: table(db, t) for t in DERIVED_TABLES}
    scratch = work / "rebuilt.db"
    shutil.copy(db_path, scratch)
    copy = open_db(scratch)
    for t in DERIVED_TABLES:
        copy.execute(f"DELETE FROM {t}")
    rebuild(copy)
    checks.append(("history equals a rebuild from scratch", {t: table(copy, t) for t in DERIVED_TABLES} == before))
    copy.close()
    scratch.unlink()
    suspects = [s for p in registry.providers() for s in screen(_load_observations(db, p)).suspects]
    checks.append((f"{len(suspects)} suspects held, all discarded, none waiting",
                   bool(suspects) and all(s.status == DISCARDED for s in suspects)
                   and not any(s.status == WAITING for s in suspects)))
    streaks = {h.source_id: h.failures_in_a_row for h in source_health(db)}
    checks.append(("no source ends in a failure streak", not any(streaks.values())))

    size = db_path.stat().st_size
    counts = {t: db[t].count for t in ("observations", "bodies", "quote_sets", "prices", "changes")}
    kinds = Counter(r["kind"] for r in changes)
    per_provider = Counter(r["provider"] for r in changes)
    exports = sum(p.stat().st_size for p in work.iterdir() if p.suffix in (".csv", ".json", ".atom"))
    db.close()
    print(f"nights: {args.nights} ({day(0):%Y-%m-%d} .. {day(args.nights - 1):%Y-%m-%d}),"
          f" {len(registry.sources())} sources, {len(registry.providers())} providers")
    print(f"source fetches: {outcomes['ok']} ok, {outcomes['failed']} failed (injected);"
          f" suspects held on nights {sorted(set(held_nights))}")
    print(f"time: {total:.1f} s total, per night median {statistics.median(durations) * 1000:.0f} ms,"
          f" max {max(durations) * 1000:.0f} ms (the max includes fetch retries with backoff)")
    print(f"database: {size:,} bytes ({size / 1024:.0f} KiB); observations {counts['observations']},"
          f" distinct bodies {counts['bodies']}, distinct quote sets {counts['quote_sets']},"
          f" price versions {counts['prices']}, changes {counts['changes']}")
    print(f"text exports + feed: {exports:,} bytes")
    print("changes by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    print("changes by provider: " + ", ".join(f"{k} {v}" for k, v in sorted(per_provider.items())))
    for label, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}")
    if not args.keep:
        shutil.rmtree(work)
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
