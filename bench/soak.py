"""Soak: a year of nightly runs against a local mirror, with real changes and injected faults.

    python bench/soak.py [--nights 365] [--keep DIR] [--git]

Each night is ``ratecard nightly`` (``scraper.commands.nightly.night``: scrape under the lock, exports,
feed, page snapshots) with ``--at`` advancing one day, every provider fetched over HTTP from a mirror
on 127.0.0.1 serving the fixture pages in tests/fixtures.  The pages follow DeepSeek's real eras
(promo, R1, full price, off-peak, V3.2; the zh-cn URL serves the English page, whose CNY tab is
the same table, where no zh-cn capture exists) and Mistral page changes.  OpenRouter changes like
the real catalogue: when ../shared/real-pages/openrouter holds the real daily snapshots (read
there, never copied), the mirror walks them forward and back, one step every 8 nights (about
4,900 real price changes a year, the rate of the real 2024-2026 history); otherwise it walks the
four small fixture versions.

Faults injected (issue 12), each on a night when the faulted page has no real change, except the
two marked *, which land on a night of real OpenRouter changes that must still be recorded on time:
HTTP 500 / 404 / 503 three nights running; an HTML page cut short; a page without its table; a
per-1K units mistake on DeepSeek and (*) on one OpenRouter model; every DeepSeek and every
OpenRouter price read as $0; DeepSeek's Markdown page cut short; (*) half of the OpenRouter models
missing; OpenRouter's JSON truncated; the catalogue cut to one model.

Checks, each printed with its figure; exit 1 if any fails:

* the change log equals the changes derived, with no guard, from the clean page of every night
  (so faults added, removed and shifted nothing, and no real change was held back or late);
* the history equals a rebuild from scratch of the final database;
* every series held on a faulted night was dropped, every one held on a clean night (a real
  OpenRouter move past the guard's thresholds) confirmed, none waiting; no failure streak at the end;
* the same log derived without the guard does hold false changes (the guard is what keeps them out).

Figures: database size and rows, the cost of a night late in the year against early in it (the
derivation re-reads the history every night), and with ``--git`` the size of a git repository
holding every night's exports and page snapshots (what a text-committing nightly would grow to).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from db.derive import Observation, SourceInfo, derive_history, same_price  # noqa: E402
from db.guard import CONFIRMED, DISCARDED, HeldSeries, screen  # noqa: E402
from db.health import source_health  # noqa: E402
from db.history import _change_row, _load_observations, _load_sources, rebuild, update  # noqa: E402
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


REAL_OPENROUTER = ROOT.parent / "shared" / "real-pages" / "openrouter"
#: nights per step of the OpenRouter walk through its versions
STEP = 8


def openrouter_versions() -> list[bytes]:
    """The OpenRouter catalogue versions the walk goes through, oldest first."""
    real = sorted(REAL_OPENROUTER.glob("*-gptel-openrouter-models-data.json")) if REAL_OPENROUTER.is_dir() else []
    if len(real) >= 2:
        return [p.read_bytes() for p in real]
    return [read(f"openrouter/history/2026-03-0{d}.json") for d in (1, 2, 3, 4)]


OPENROUTER = openrouter_versions()


def openrouter_index(n: int) -> int:
    """Forward through the versions, then back, one step every ``STEP`` nights."""
    k, period = n // STEP, 2 * (len(OPENROUTER) - 1)
    i = k % period
    return i if i < len(OPENROUTER) else period - i


def clean_pages(n: int) -> dict[str, bytes]:
    """The page every source really showed on night ``n``."""
    en, zh = deepseek_pages(day(n))
    return {
        URL["deepseek-en"]: read(en),
        URL["deepseek-zh-cn"]: read(zh),
        URL["openrouter-models"]: OPENROUTER[openrouter_index(n)],
        URL["mistral-pricing"]: read("mistral/docs-2024-03.md" if n < 150 else "mistral/docs-2024-04.txt"),
        URL["xai-models"]: read("xai/models-page.html"),
        URL["anthropic-pricing"]: read("anthropic/pricing.html"),
        URL["google-gemini-pricing"]: read("gemini/pricing.html"),
        URL["openai-pricing"]: read("openai/pricing.html"),
    }


#: night -> what is injected (the nights the report and the suspect check refer to)
FAULTS = {
    40: "deepseek-en HTTP 500", 41: "deepseek-zh-cn HTTP 500", 75: "openrouter HTTP 404",
    100: "deepseek every price $0", 130: "deepseek-en HTML cut short", 200: "deepseek-en page without its table",
    250: "openrouter every price 0", 290: "deepseek-en Markdown cut short", 300: "deepseek units mistake",
    310: "openrouter catalogue of one", 340: "openrouter JSON truncated",
    320: "mistral HTTP 503", 321: "mistral HTTP 503", 322: "mistral HTTP 503",
    19 * STEP: "openrouter half the models missing (on a night of real changes)",
    29 * STEP: "openrouter per-1K units mistake on one model (on a night of real changes)",
}


def injected(n: int, pages: dict[str, bytes]) -> dict[str, bytes | int]:
    """Night ``n``'s faults (see ``FAULTS``)."""
    out: dict[str, bytes | int] = dict(pages)
    en, zh, models, mistral = (URL[k] for k in ("deepseek-en", "deepseek-zh-cn", "openrouter-models",
                                                 "mistral-pricing"))
    fault = FAULTS.get(n, "")
    if fault == "deepseek-en HTTP 500":
        out[en] = 500
    elif fault == "deepseek-zh-cn HTTP 500":
        out[zh] = 500
    elif fault == "openrouter HTTP 404":
        out[models] = 404
    elif fault == "deepseek every price $0":
        out[en] = re.sub("([$¥])[0-9][0-9.]*".encode(), rb"\g<1>0", pages[en])
        out[zh] = re.sub("[0-9][0-9.]*元".encode(), "0元".encode(), re.sub("([$¥])[0-9][0-9.]*".encode(), rb"\g<1>0", pages[zh]))
    elif fault == "deepseek-en HTML cut short":
        out[en] = pages[en][: len(pages[en]) // 2]
    elif fault == "deepseek-en page without its table":
        out[en] = read("deepseek/no-table.en.html")
    elif fault == "openrouter every price 0":
        out[models] = re.sub(rb'"(prompt|completion|input_cache_read|input_cache_write)":"[0-9.e-]+"',
                             rb'"\1":"0"', pages[models])
    elif fault == "deepseek-en Markdown cut short":
        out[en] = pages[en][: pages[en].index(b"$0.28") + 3]
    elif fault == "deepseek units mistake":
        out[en] = pages[en].replace(b"$0.42", b"$0.00042")  # per-1K units mistake: held, discarded
    elif fault == "openrouter catalogue of one":
        out[models] = catalogue(pages[models], lambda i, model: i == 0)
    elif fault == "openrouter JSON truncated":
        out[models] = pages[models][: len(pages[models]) * 3 // 5]
    elif fault == "mistral HTTP 503":
        out[mistral] = 503
    elif fault.startswith("openrouter half the models missing"):
        same = unchanged_models(clean_pages(n - 1)[models], pages[models])
        out[models] = catalogue(pages[models], lambda i, model: model["id"] not in same[::2])
    elif fault.startswith("openrouter per-1K units mistake"):
        victim = unchanged_models(clean_pages(n - 1)[models], pages[models])[0]
        out[models] = units_mistake(pages[models], victim)
    return out


def _models(body: bytes) -> list[dict]:
    data = json.loads(body)
    return data if isinstance(data, list) else data["data"]


def catalogue(body: bytes, keep) -> bytes:
    """The OpenRouter answer with only the models ``keep(index, model)`` accepts."""
    data = json.loads(body)
    kept = [m for i, m in enumerate(_models(body)) if keep(i, m)]
    return json.dumps(kept if isinstance(data, list) else {**data, "data": kept}).encode()


def unchanged_models(before: bytes, after: bytes) -> list[str]:
    """Ids of the models priced the same in both answers, in order (faults go on those only)."""
    old = {m["id"]: m.get("pricing") for m in _models(before)}
    return [m["id"] for m in _models(after) if m["id"] in old and old[m["id"]] == m.get("pricing")
            and str((m.get("pricing") or {}).get("prompt", "0")) not in ("0", "-1")]


def units_mistake(body: bytes, model_id: str) -> bytes:
    """``model_id``'s prompt price written 1000 times too high (per 1K read as per 1M)."""
    data = json.loads(body)
    for m in _models(body):
        if m["id"] == model_id:
            m["pricing"]["prompt"] = format(float(m["pricing"]["prompt"]) * 1000, ".12g")
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


def clean_shows(source_id: str, n: int, held: HeldSeries) -> bool:
    """Whether the clean page of night ``n`` shows what ``held`` (a series held that night) read."""
    source = next(s for s in registry.sources() if s.id == source_id)
    quotes = parse_body(source, clean_pages(n)[source.url]).quotes or []
    shown = next((q for q in quotes if q.key == held.key
                  and (q.effective_from is None or q.effective_from <= day(n))), None)
    if held.new is None or shown is None:
        return held.new is None and shown is None
    return same_price(shown.price, held.new.price)


def _row_key(row: dict) -> tuple:
    return tuple(str(row[k]) for k in sorted(row))


def derivation_cost(db) -> str:
    """What a scrape's derivation costs at the end of the year: ``update`` for the last
    OpenRouter observation (what the nightly run does) against a full ``rebuild`` of the
    provider, each the best of 3 on the final history (the rows are the same either way)."""
    last = db.execute("SELECT o.id FROM observations o JOIN sources s ON s.id = o.source_id WHERE s.provider ="
                      " 'openrouter' AND o.outcome = 'ok' ORDER BY o.observed_at DESC, o.id DESC LIMIT 1").fetchone()[0]
    timings = {}
    for name, step in (("update", lambda: update(db, ["openrouter"], [last])),
                       ("rebuild", lambda: rebuild(db, ["openrouter"]))):
        runs = []
        for _ in range(3):
            t = time.perf_counter()
            step()
            runs.append(time.perf_counter() - t)
        timings[name] = min(runs)
    touched = len(list(db.query("SELECT 1 FROM prices WHERE provider = 'openrouter' AND valid_to IS NULL")))
    return (f"derivation of a scrape at the end of the year (OpenRouter, {touched} open series):"
            f" update {timings['update'] * 1000:.0f} ms = {timings['update'] / timings['rebuild']:.2f}x"
            f" a full rebuild ({timings['rebuild'] * 1000:.0f} ms)")


def git(repo: Path, *args: str) -> str:
    """``git ARGS`` in ``repo`` (the soak's own scratch repository), its output."""
    return subprocess.run(["git", "-c", "user.name=soak", "-c", "user.email=soak@127.0.0.1", *args], cwd=repo,
                          check=True, capture_output=True, text=True).stdout


def table(db, name: str) -> list[tuple]:
    return sorted(tuple(r) for r in db.execute(f"SELECT * FROM {name}").fetchall())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nights", type=int, default=365)
    parser.add_argument("--keep", type=Path, help="keep the database and exports in this folder")
    parser.add_argument("--git", action="store_true",
                        help="commit every night's exports and page snapshots to a git repository in the"
                             " work folder and report its packed size")
    parser.add_argument("--checks-only", action="store_true",
                        help="run no nights: check (and measure) the database a --keep run left in that folder")
    args = parser.parse_args()
    if args.checks_only and not (args.keep and (args.keep / "prices.db").exists()):
        parser.error("--checks-only needs --keep DIR holding a soak's prices.db")
    work = args.keep or Path(tempfile.mkdtemp(prefix="ratecard-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    db_path = work / "prices.db"
    if not args.checks_only:
        db_path.unlink(missing_ok=True)
    if args.git and not args.checks_only:
        git(work, "init", "-q")
        (work / ".gitignore").write_text("prices.db*\nrebuilt.db*\n*.lock\n")
    durations, outcomes, held_nights = [], Counter(), []
    started = time.monotonic()
    with Mirror() as mirror:
        for n in range(0 if args.checks_only else args.nights):
            mirror.pages = injected(n, clean_pages(n))
            t = time.monotonic()
            result, held = night(db_path, work, mirror=mirror.url, at=day(n))
            durations.append(time.monotonic() - t)
            outcomes.update("ok" if s.ok else "failed" for s in result.sources)
            held_nights += [n] * len(held)
            if args.git:
                git(work, "add", ".")
                git(work, "commit", "-q", "--allow-empty", "-m", f"night {n}")
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
    held = [(s.observation, h) for s in suspects for h in s.series]
    faulted = {day(n): n for n in FAULTS}
    on_faults = [(o, h) for o, h in held if o.observed_at in faulted]
    real = [(o, h) for o, h in held if o.observed_at not in faulted]
    checks.append((f"{len(on_faults)} series held on faulted nights: each dropped, or confirmed as what the clean"
                   f" page showed; {len(real)} held on clean nights (real moves past the thresholds), all"
                   f" confirmed; none waiting",
                   bool(on_faults) and all(h.status == DISCARDED or h.status == CONFIRMED and clean_shows(
                       o.source_id, faulted[o.observed_at], h) for o, h in on_faults)
                   and all(h.status == CONFIRMED for _o, h in real)))
    streaks = {h.source_id: h.failures_in_a_row for h in source_health(db)}
    checks.append(("no source ends in a failure streak", not any(streaks.values())))

    derive_cost = derivation_cost(db)
    size = db_path.stat().st_size
    counts = {t: db[t].count for t in ("observations", "bodies", "quote_sets", "prices", "changes")}
    kinds = Counter(r["kind"] for r in changes)
    per_provider = Counter(r["provider"] for r in changes)
    exports = sum(p.stat().st_size for p in work.iterdir() if p.suffix in (".csv", ".json", ".atom"))
    db.close()
    print(f"nights: {args.nights} ({day(0):%Y-%m-%d} .. {day(args.nights - 1):%Y-%m-%d}),"
          f" {len(registry.sources())} sources, {len(registry.providers())} providers")
    print(f"faults injected: {len(FAULTS)} ({', '.join(f'{n}: {f}' for n, f in sorted(FAULTS.items()))})")
    print(f"OpenRouter: {len(OPENROUTER)} catalogue versions ({'real snapshots' if len(OPENROUTER) > 4 else 'fixtures'}),"
          f" a step every {STEP} nights")
    print(f"source fetches: {outcomes['ok']} ok, {outcomes['failed']} failed (injected);"
          f" suspects held on nights {sorted(set(held_nights))}")
    if durations:
        early, late = statistics.median(durations[:30]), statistics.median(durations[-30:])
        print(f"time: {total:.1f} s total, per night median {statistics.median(durations) * 1000:.0f} ms,"
              f" max {max(durations) * 1000:.0f} ms (the max includes fetch retries with backoff)")
        print(f"cost of a night vs history length: the last 30 nights take {late / early:.2f}x the first 30"
              f" (medians {late * 1000:.0f} / {early * 1000:.0f} ms)")
    print(f"database: {size:,} bytes ({size / 1024:.0f} KiB); observations {counts['observations']},"
          f" distinct bodies {counts['bodies']}, distinct quote sets {counts['quote_sets']},"
          f" price versions {counts['prices']}, changes {counts['changes']}")
    print(f"text exports + feed: {exports:,} bytes")
    print(derive_cost)
    print("changes by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    print("changes by provider: " + ", ".join(f"{k} {v}" for k, v in sorted(per_provider.items())))
    if args.git and (work / ".git").exists():
        git(work, "gc", "-q", "--aggressive")
        packed = dict(line.split(": ") for line in git(work, "count-objects", "-v").splitlines())
        tracked = sum(p.stat().st_size for p in work.rglob("*") if p.is_file() and ".git" not in p.parts
                      and not p.name.startswith(("prices.db", "rebuilt.db")))
        print(f"git repository of {args.nights} nightly commits (exports + page snapshots):"
              f" {int(packed['size-pack']):,} KiB packed, for a {tracked / 1024:,.0f} KiB working tree"
              f" ({int(packed['size-pack']) * 1024 / size:.2f}x the database)")
    for label, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}")
    if not args.keep:
        shutil.rmtree(work)
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
