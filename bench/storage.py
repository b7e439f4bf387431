"""Storage: what the history database costs for OpenRouter's churning catalogue, against git.

    python bench/storage.py [--snapshots 234] [--keep DIR]
    python bench/storage.py --year [--nights 365]

Replays the 17 real OpenRouter snapshots in ../shared/real-pages/openrouter/ (one every 3-5 days,
2026-02-27 to 2026-08-19), then synthetic ones made from the last real catalogue with the churn
the real ones show (a few % of the models' prices moving per snapshot, models added and removed,
descriptions re-worded), one every 3 days, up to ``--snapshots``.  Each snapshot is recorded as
ratecard records a scrape (``record_observation`` with the parser's quotes), the history is
derived once at the end (``rebuild``), and the file is vacuumed.

Peers measured in the same run:

* git: the same snapshots committed one by one as one file in a throw-away repository, then
  ``git gc``; the size of ``.git/objects``;
* the former storage (zlib bodies, quote sets as plain JSON), computed from the same distinct
  bodies and quote sets.

Prints the sizes and the ratios; exit 1 if a stored body or quote set does not read back
byte for byte, or a rebuild changes a derived row.

``--year``: a year of nightly runs of every provider (the soak's pages, bench/soak.py, with
OpenRouter churning nightly at a third of the real 3-day churn), each night recorded, written as
the nightly writes it (pages under data/pages, exports, feed) into a throw-away git repository
and committed when it changed.  Prints the database size and the repository's growth (``.git``
after ``git gc``), against the raw bytes of the pages fetched.  OpenRouter's history is re-derived
weekly instead of nightly (a full re-derivation per night costs seconds; the other providers are
re-derived every night), so its exports move in weekly steps: the same rows, fewer commits.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from db.history import rebuild  # noqa: E402
from db.observe import load_quote_sets, read_body, record_observation  # noqa: E402
from db.schema import DERIVED_TABLES, open_db  # noqa: E402
from parsers import registry  # noqa: E402
from parsers.quote import iso_utc, quotes_to_json  # noqa: E402
from scraper.run import parse_body  # noqa: E402

REAL = ROOT.parent / "shared" / "real-pages" / "openrouter"
SOURCE = next(s for s in registry.sources("openrouter"))
#: Churn of one synthetic snapshot, from the real 3-day steps: the real files move the prices of
#: 3-16 models of ~370 per step, add a few and remove a few.
PRICE_MOVES = (0.01, 0.04)
ADDED = (0, 4)
REMOVED = (0, 2)
REWORDED = 0.01


def real_snapshots() -> list[tuple[datetime, bytes]]:
    files = sorted(REAL.glob("*.json"))
    if not files:
        sys.exit(f"no real snapshots in {REAL}")
    return [(datetime.strptime(f.name[:10], "%Y-%m-%d").replace(hour=3, minute=17, tzinfo=timezone.utc),
             f.read_bytes()) for f in files]


class Churn:
    """Synthetic successors of a real catalogue: seeded, so every run measures the same pages."""

    def __init__(self, body: bytes, seed: int = 12) -> None:
        data = json.loads(body)
        self.wrapped = isinstance(data, dict)
        self.models: list[dict] = data["data"] if self.wrapped else data
        self.rng = random.Random(seed)
        self.serial = 0

    def step(self, scale: float = 1.0) -> bytes:
        """The next snapshot; ``scale`` shrinks the churn for a shorter step (a night, not 3 days)."""
        rng, models = self.rng, self.models
        priced = [m for m in models if any(self._positive(v) for v in (m.get("pricing") or {}).values())]
        for m in rng.sample(priced, max(1, int(len(priced) * rng.uniform(*PRICE_MOVES) * scale))):
            key = rng.choice([k for k, v in m["pricing"].items() if self._positive(v)])
            factor = rng.choice(("0.5", "0.75", "0.8", "1.25", "1.5", "2"))
            m["pricing"][key] = self._times(m["pricing"][key], factor)
        for _ in range(self._count(REMOVED, scale)):
            models.pop(rng.randrange(len(models)))
        for _ in range(self._count(ADDED, scale)):
            self.serial += 1
            new = json.loads(json.dumps(rng.choice(models)))
            new["id"] = f"{new['id'].split('/')[0]}/synthetic-{self.serial}"
            new["canonical_slug"] = new["id"]
            new["name"] = f"{new['name']} (synthetic {self.serial})"
            models.append(new)
        for m in rng.sample(models, int(len(models) * REWORDED * scale)):
            m["description"] = (m.get("description") or "") + f" Updated {self.serial}."
        models.sort(key=lambda m: m["id"])
        data = {"data": models} if self.wrapped else models
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()

    def _count(self, span: tuple[int, int], scale: float) -> int:
        n = self.rng.randint(*span)
        return n if scale >= 1 or self.rng.random() < scale else 0

    @staticmethod
    def _positive(value: object) -> bool:
        try:
            return float(str(value)) > 0
        except ValueError:
            return False

    @staticmethod
    def _times(value: str, factor: str) -> str:
        from decimal import Decimal
        return format((Decimal(value) * Decimal(factor)).normalize(), "f")


def openrouter_snapshots(total: int) -> list[tuple[datetime, bytes]]:
    """The real snapshots, then synthetic ones 3 days apart, ``total`` in all."""
    snapshots = real_snapshots()[:total]
    churn = Churn(snapshots[-1][1])
    while len(snapshots) < total:
        snapshots.append((snapshots[-1][0] + timedelta(days=3), churn.step()))
    return snapshots


def git_size(snapshots: list[tuple[datetime, bytes]], work: Path) -> int:
    """Bytes under .git/objects after committing each snapshot as one file and ``git gc``."""
    repo = work / "git-peer"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "init", "--quiet"], check=True)
    target = repo / "openrouter-models.json"
    for at, body in snapshots:
        target.write_bytes(body)
        subprocess.run([*git, "add", target.name], check=True)
        subprocess.run([*git, "commit", "--quiet", "--allow-empty", "-m", at.isoformat()], check=True,
                       env={"GIT_AUTHOR_DATE": at.isoformat(), "GIT_COMMITTER_DATE": at.isoformat(),
                            "PATH": "/usr/bin:/bin"})
    subprocess.run([*git, "gc", "--quiet"], check=True)
    return sum(f.stat().st_size for f in (repo / ".git" / "objects").rglob("*") if f.is_file())


def derived_rows(db) -> dict[str, list[tuple]]:
    return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in DERIVED_TABLES}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--snapshots", type=int, default=234)
    parser.add_argument("--keep", type=Path, help="keep the database and the git peer here")
    parser.add_argument("--year", action="store_true", help="a year of nightly runs of every provider")
    parser.add_argument("--nights", type=int, default=365, help="with --year: how many nights")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ratecard-storage-"))
    try:
        if args.year:
            return year(args.nights, work)
        return run(args.snapshots, work, args.keep)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(total: int, work: Path, keep: Path | None) -> int:
    snapshots = openrouter_snapshots(total)
    path = work / "prices.db"
    db = open_db(path)
    legacy_bodies: dict[bytes, int] = {}
    legacy_sets: dict[str, int] = {}
    started = time.perf_counter()
    for at, body in snapshots:
        parsed = parse_body(SOURCE, body)
        with db.atomic():
            record_observation(db, SOURCE, at, 200, body, parsed.quotes, parsed.error, parsed.parser_version)
        legacy_bodies.setdefault(body, len(zlib.compress(body, 9)))
        if parsed.quotes:
            text = quotes_to_json(parsed.quotes)
            legacy_sets.setdefault(text, len(text.encode()))
    recorded = time.perf_counter() - started
    rebuild(db)
    first = derived_rows(db)
    rebuild(db)
    failures = []
    if derived_rows(db) != first:
        failures.append("a second rebuild changed the derived tables")
    by_instant = {iso_utc(at): body for at, body in snapshots}
    for row in db.query("SELECT o.body_id, o.quote_set_id, o.observed_at FROM observations o ORDER BY o.id"):
        body = by_instant[row["observed_at"]]
        if read_body(db, row["body_id"]) != body:
            failures.append(f"body of {row['observed_at']} does not read back")
        if row["quote_set_id"] is not None:
            got = quotes_to_json(load_quote_sets(db, [row["quote_set_id"]])[row["quote_set_id"]])
            if got != quotes_to_json(parse_body(SOURCE, body).quotes):
                failures.append(f"quote set of {row['observed_at']} does not read back")
    tables = {t: db.execute(f"SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name = '{t}'").fetchone()[0]
              for t in ("bodies", "quote_sets", "observations", "prices", "changes")}
    counts = {t: db[t].count for t in ("observations", "bodies", "quote_sets", "prices", "changes")}
    chain = db.execute("SELECT MAX(depth) FROM bodies").fetchone()[0]
    db.conn.execute("VACUUM")
    db.close()
    size = path.stat().st_size
    git = git_size(snapshots, work)
    raw = sum(len(b) for _, b in snapshots)
    legacy = sum(legacy_bodies.values()) + sum(legacy_sets.values())
    mb = 1024 * 1024
    print(f"{len(snapshots)} OpenRouter snapshots ({min(total, len(real_snapshots()))} real),"
          f" {raw / mb:.1f} MB raw; recorded in {recorded:.1f} s")
    print(f"rows: {counts}; longest delta chain {chain}")
    print("pages by table (MB): " + ", ".join(f"{t} {v / mb:.2f}" for t, v in tables.items()))
    print(f"database (vacuumed):           {size / mb:6.2f} MB")
    stored = tables["bodies"] + tables["quote_sets"]
    print(f"git peer (git gc):             {git / mb:6.2f} MB   database / git = {size / git:.2f};"
          f" bodies + quote sets / git = {stored / git:.2f}")
    print(f"bodies + quote sets, former storage (zlib, JSON): {legacy / mb:6.2f} MB;"
          f" now {stored / mb:.2f} MB ({legacy / max(1, stored):.0f}x smaller)")
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, keep / "prices.db")
    for failure in failures[:10]:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


def year(nights: int, work: Path) -> int:
    """A year of nightly runs of every provider: database size and repository growth."""
    sys.path.insert(0, str(ROOT / "bench"))
    from soak import URL, clean_pages, day  # the soak's page for every source on every night

    from db.export import export, write_atomic
    from db.feed import build_feed
    from scraper.snapshots import PAGES, write_snapshots

    repo = work / "repo"
    data = repo / "data"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "init", "--quiet"], check=True)
    path = work / "prices.db"
    db = open_db(path)
    sources = registry.sources()
    churn = Churn(real_snapshots()[-1][1])
    fetched = commits = 0
    started = time.perf_counter()
    for n in range(nights):
        pages = clean_pages(n)
        pages[URL["openrouter-models"]] = churn.step(1 / 3)
        ids = []
        with db.atomic():
            for source in sources:
                body = pages[source.url]
                fetched += len(body)
                parsed = parse_body(source, body)
                ids.append(record_observation(db, source, day(n), 200, body, parsed.quotes, parsed.error,
                                              parsed.parser_version))
            weekly = n % 7 == 6 or n == nights - 1
            rebuild(db, [p for p in registry.providers() if weekly or p != "openrouter"])
        write_snapshots(db, ids, data / PAGES)
        export(db, data)
        write_atomic(data / "changes.atom", build_feed(db))
        subprocess.run([*git, "add", "--all", "data"], check=True)
        if subprocess.run([*git, "diff", "--cached", "--quiet"]).returncode:
            stamp = day(n).isoformat()
            subprocess.run([*git, "commit", "--quiet", "-m", f"night {n}"], check=True,
                           env={"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp, "PATH": "/usr/bin:/bin"})
            commits += 1
    elapsed = time.perf_counter() - started
    counts = {t: db[t].count for t in ("observations", "bodies", "quote_sets", "prices", "changes")}
    tables = {t: db.execute(f"SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name = '{t}'").fetchone()[0]
              for t in ("bodies", "quote_sets", "observations", "prices", "changes")}
    db.conn.execute("VACUUM")
    db.close()
    subprocess.run([*git, "gc", "--quiet"], check=True)
    packed = sum(f.stat().st_size for f in (repo / ".git" / "objects").rglob("*") if f.is_file())
    tree = sum(f.stat().st_size for f in data.rglob("*") if f.is_file())
    mb = 1024 * 1024
    size = path.stat().st_size
    print(f"{nights} nights x {len(sources)} sources ({day(0):%Y-%m-%d} .. {day(nights - 1):%Y-%m-%d}),"
          f" {fetched / mb:.0f} MB of pages fetched; {elapsed:.0f} s")
    print(f"rows: {counts}")
    print("pages by table (MB): " + ", ".join(f"{t} {v / mb:.2f}" for t, v in tables.items()))
    print(f"database (vacuumed): {size / mb:.2f} MB ({size / fetched * 100:.2f} % of the pages fetched)")
    print(f"repository: {commits} commits, .git after git gc {packed / mb:.2f} MB"
          f" ({packed / fetched * 100:.2f} % of the pages fetched); working tree data/ {tree / mb:.2f} MB;"
          f" database / repository = {size / packed:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
