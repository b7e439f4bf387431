"""How fast `ratecard serve` answers on a long history: 5 years of nightly scrapes, 7 providers.

The history is synthetic but goes through the real path: quote sets recorded night by night with
``db.observe.record_observation`` (unchanged nights reuse the stored set, as in production), then
``db.history.rebuild``.  Each provider lists 12 models x 3 components in USD; every month one
model's prices move (cuts mostly, some increases), a model is replaced twice a year, and each
provider runs one promo a year with a struck list price and an announced end.

Then every page a visitor opens and every canned query (with typical parameters) is requested
through Datasette's own client (``ds.client``, the whole ASGI stack without a socket), and the
median and 95th percentile are printed in milliseconds.  ``--without-browse-indexes`` drops the
indexes db/views.sql adds, to show what they are for.

Run: ``python bench/datasette.py [--db PATH] [--repeat N] [--without-browse-indexes]``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
# sys.path[0] is bench/, where this file would shadow the datasette package: put the root there.
sys.path[0] = str(ROOT)

from db.datasette.app import make_datasette  # noqa: E402
from db.history import rebuild  # noqa: E402
from db.observe import record_observation  # noqa: E402
from db.schema import open_db  # noqa: E402
from parsers.quote import Quote  # noqa: E402
from parsers.registry import Source  # noqa: E402

PROVIDERS = tuple(f"provider-{letter}" for letter in "abcdefg")
MODELS_PER_PROVIDER = 12
START = datetime(2021, 1, 1, 2, 0, tzinfo=timezone.utc)
NIGHTS = 5 * 365
BUDGET_MS = 50  # issue 7: every page load and canned query under 50 ms at the median
BROWSE_INDEXES = ("observations_by_time", "prices_by_valid_from", "changes_by_effective_at")


class SyntheticProvider:
    """One provider's price list, evolving night by night from a seeded random generator."""

    def __init__(self, name: str, seed: int) -> None:
        self.name = name
        self.rng = random.Random(seed)
        self.source = Source(f"{name}-pricing", name, f"https://{name}.example/pricing", ("USD",))
        self.generation = 0
        self.models = {self._model_name(i): self._base_prices() for i in range(MODELS_PER_PROVIDER)}
        self.promo: tuple[str, datetime] | None = None

    def _model_name(self, i: int) -> str:
        return f"{self.name}-model-{i}-g{self.generation}"

    def _base_prices(self) -> dict[str, Decimal]:
        output = Decimal(self.rng.choice(["0.6", "1.1", "2", "4.4", "8", "15", "30"]))
        return {"input": output / 4, "input_cache_hit": output / 40, "output": output}

    def step(self, night: int, at: datetime) -> None:
        """Change something on a few nights, as providers do."""
        if night % 30 == 17:  # a monthly price move on one model
            model = self.rng.choice(sorted(self.models))
            factor = Decimal(self.rng.choice(["0.5", "0.8", "0.9", "1.1", "1.25"]))
            self.models[model] = {c: (p * factor).quantize(Decimal("0.0001")).normalize()
                                  for c, p in self.models[model].items()}
        if night % 182 == 90:  # a model replaced by a new generation
            self.generation += 1
            old = sorted(self.models)[self.rng.randrange(MODELS_PER_PROVIDER)]
            del self.models[old]
            self.models[self._model_name(len(self.models) + self.generation)] = self._base_prices()
        if night % 365 == 200:  # a half-price promo with an announced end three weeks later
            self.promo = (self.rng.choice(sorted(self.models)), at + timedelta(days=21))
        if self.promo and (self.promo[0] not in self.models or at >= self.promo[1]):
            self.promo = None

    def quotes(self) -> list[Quote]:
        out = []
        for model, prices in sorted(self.models.items()):
            promo_until = self.promo[1] if self.promo and self.promo[0] == model else None
            for component, price in prices.items():
                shown = (price / 2).normalize() if promo_until else price
                out.append(Quote(
                    provider=self.name, model=model, component=component, currency="USD",
                    price=shown, price_text=f"${shown}",
                    list_price=price if promo_until else None,
                    list_price_text=f"${price}" if promo_until else None,
                    promo_until=promo_until, source_url=self.source.url))
        return out


def build(path: Path) -> None:
    """Record 5 years of nightly observations for every provider, then rebuild the history."""
    path.unlink(missing_ok=True)
    db = open_db(path)
    providers = [SyntheticProvider(name, seed) for seed, name in enumerate(PROVIDERS)]
    with db.atomic():
        for night in range(NIGHTS):
            at = START + timedelta(days=night)
            for p in providers:
                p.step(night, at)
                record_observation(db, p.source, at, 200, None, p.quotes(), None, "bench-1")
    rebuild(db)
    db.close()
    open_db(path).close()  # views and browsing indexes, as every command leaves them


def requests(db_path: Path) -> list[tuple[str, str]]:
    """(label, URL) of what a visitor opens: pages, canned queries and the dashboard's data."""
    import sqlite3

    conn = sqlite3.connect(db_path)
    provider, model = conn.execute(
        "SELECT provider, model FROM prices GROUP BY provider, model ORDER BY count(*) DESC LIMIT 1").fetchone()
    conn.close()
    from db.datasette.app import load_metadata

    charts = load_metadata()["plugins"]["datasette-dashboards"]["price-history"]["charts"]
    all_sql = charts["output"]["query"].replace("[[ AND currency = :currency ]]", "")
    all_sql = all_sql.replace("[[ AND model = :model ]]", "")
    chart_sql = all_sql.replace("[[ AND provider = :provider ]]", "AND provider = :provider")
    all_sql = all_sql.replace("[[ AND provider = :provider ]]", "")
    mix = {"provider": provider, "model": model, "currency": "USD", "at": "2024-06-01T18:00:00Z",
           "cache_hit_tokens": "1000000", "cache_miss_tokens": "2000000", "output_tokens": "3000000"}
    return [
        ("page: home", "/"),
        ("page: database", "/ratecard"),
        ("page: prices table (facets)", "/ratecard/prices"),
        ("page: prices of one provider", "/ratecard/prices?" + urlencode({"provider": provider})),
        ("page: changes table (facets)", "/ratecard/changes"),
        ("page: observations table (facets)", "/ratecard/observations"),
        ("page: current_prices view", "/ratecard/current_prices"),
        ("page: price_changes view", "/ratecard/price_changes"),
        ("page: dashboard", "/-/dashboards/price-history?provider=" + provider),
        ("data: dashboard chart, one provider", "/ratecard.json?" + urlencode(
            {"sql": chart_sql, "provider": provider, "_shape": "objects"})),
        ("data: dashboard chart, all providers", "/ratecard.json?" + urlencode(
            {"sql": all_sql, "_shape": "objects"})),
        ("query: prices_at", "/ratecard/prices_at?" + urlencode(
            {"at": "2024-06-01", "provider": "", "currency": "USD"})),
        ("query: model_history", "/ratecard/model_history?" + urlencode({"provider": provider, "model": model})),
        ("query: recent_changes", "/ratecard/recent_changes?" + urlencode({"since": "2025-01-01"})),
        ("query: compare_providers", "/ratecard/compare_providers?" + urlencode(
            {"component": "output", "currency": "USD", "at": "2024-06-01"})),
        ("query: token_mix_cost", "/ratecard/token_mix_cost?" + urlencode(mix)),
    ]


async def measure(db_path: Path, repeat: int) -> list[tuple[str, float, float]]:
    ds = make_datasette(db_path)
    out = []
    for label, url in requests(db_path):
        response = await ds.client.get(url)  # warm: first request starts Datasette, fills caches
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}: {response.text[:300]}")
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            await ds.client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        out.append((label, statistics.median(times), times[int(0.95 * (len(times) - 1))]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "bench" / "datasette-bench.db")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--rebuild", action="store_true", help="build the history even if --db exists")
    parser.add_argument("--without-browse-indexes", action="store_true")
    args = parser.parse_args()
    if args.rebuild or not args.db.exists():
        start = time.perf_counter()
        build(args.db)
        print(f"built {args.db} in {time.perf_counter() - start:.1f} s")
    db = open_db(args.db, create=False)
    if args.without_browse_indexes:
        for name in BROWSE_INDEXES:
            db.execute(f"DROP INDEX IF EXISTS {name}")
    counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("observations", "quote_sets", "prices", "changes")}
    db.close()
    print("history: " + ", ".join(f"{n} {t}" for t, n in counts.items())
          + f" ({NIGHTS} nights x {len(PROVIDERS)} providers)"
          + ("; browse indexes dropped" if args.without_browse_indexes else ""))
    results = asyncio.run(measure(args.db, args.repeat))
    width = max(len(label) for label, _, _ in results)
    print(f"{'request':<{width}}  median ms  p95 ms")
    for label, median, p95 in results:
        print(f"{label:<{width}}  {median:9.1f}  {p95:6.1f}")
    print(f"{'median of medians':<{width}}  {statistics.median(m for _, m, _ in results):9.1f}")
    slowest = max(m for _, m, _ in results)
    print(f"{'slowest median':<{width}}  {slowest:9.1f}"
          f"  ({'within' if slowest < BUDGET_MS else 'OVER'} the {BUDGET_MS} ms budget)")


if __name__ == "__main__":
    main()
