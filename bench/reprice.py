"""How fast ratecard reprices a usage file, against genai-prices' ``calc_price`` in the same run.

1. A history is built the real way: ``run_scrape`` over the DeepSeek and Mistral fixture pages
   served on 127.0.0.1 (DeepSeek full price on 2025-02-20, off-peak from 2025-02-27; Mistral
   2024-11).  genai-prices holds the same rates for these models: deepseek-chat 0.27 / 0.07 / 1.1
   USD from 00:30 to 16:30 UTC and half that off-peak; mistral-large-2411 2 / 6 USD.
2. A CSV of N usage rows (default 1,000,000; 80 % deepseek-chat, 20 % mistral-large-2411, random
   instants in March 2025, so both sides of the off-peak boundary) is written once.
3. Each pricer runs in its own process over the same file, so timings and peak memory (RSS) are
   its own: ratecard's batch totals (``reprice --summary``), ratecard row by row (what ``reprice``
   does when it prints every row), and genai-prices reading the same CSV row by row and calling
   ``calc_price(usage, model, provider_id=..., genai_request_timestamp=...)`` per row.
4. ratecard's batch path runs again on a file a tenth of the size: its peak memory must not grow
   with the file (it streams).

Each pricer runs ``--repeat`` times (default 3, interleaved) and its fastest run counts, the
usual way to read timings on a shared machine.  Prints rows/s for each, the ratio to
genai-prices, peak RSS (VmHWM) and the batch path's memory above the loaded history, and whether
the totals agree to the last unit (they must: same rates, exact decimals on both sides).

Run: ``python bench/reprice.py [--rows N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FIXTURES = ROOT / "tests" / "fixtures"
SCRAPES = (  # (observed at, {mirror path: fixture})
    ("2024-11-20T00:00:00Z", {"/mistral.ai/pricing": "mistral/pricing-2024-11.html"}),
    ("2025-02-20T12:00:00Z", {"/api-docs.deepseek.com/quick_start/pricing": "deepseek/2025-02-20-full-price.en.md",
                              "/api-docs.deepseek.com/zh-cn/quick_start/pricing": "deepseek/2025-02-20-full-price.en.md"}),
    ("2025-02-27T06:00:00Z", {"/api-docs.deepseek.com/quick_start/pricing": "deepseek/2025-02-26-off-peak.en.html",
                              "/api-docs.deepseek.com/zh-cn/quick_start/pricing": "deepseek/2025-02-26-off-peak.zh-cn.md"}),
)
MODELS = (("deepseek", "deepseek-chat", 0.8), ("mistral", "mistral-large-2411", 0.2))


def build_history(db: Path) -> None:
    """Scrape the fixture pages through a 127.0.0.1 mirror into ``db``."""
    from parsers.quote import parse_utc
    from scraper.mirror import Mirror
    from scraper.run import run_scrape

    with Mirror() as mirror:
        for at, pages in SCRAPES:
            mirror.pages = {"https://" + path.lstrip("/"): (FIXTURES / name).read_bytes()
                            for path, name in pages.items()}
            providers = sorted({"mistral" if "mistral" in p else "deepseek" for p in pages})
            result = run_scrape(db, providers, mirror=mirror.url, at=parse_utc(at))
            if not result.ok:
                raise SystemExit(f"bench history: scrape at {at} failed")


def write_usage(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = datetime(2025, 3, 1, tzinfo=timezone.utc)
    span = 31 * 86400
    with open(path, "w", encoding="utf-8") as out:
        out.write("time,provider,model,input_tokens,input_cache_hit_tokens,output_tokens\n")
        for _ in range(rows):
            provider, model, _ = MODELS[0] if rng.random() < MODELS[0][2] else MODELS[1]
            t = (start + timedelta(seconds=rng.randrange(span))).strftime("%Y-%m-%dT%H:%M:%SZ")
            hit = rng.randrange(30_000) if provider == "deepseek" else 0
            out.write(f"{t},{provider},{model},{rng.randrange(8_000)},{hit},{rng.randrange(3_000)}\n")


def child_ratecard(usage: str, db: str, batch: bool) -> dict:
    from db.reprice.batch import price_totals
    from db.reprice.pricer import Pricer, Totals, load_versions, published_currencies
    from db.schema import open_db
    from db.reprice.usage import read_usage

    start = time.perf_counter()
    history = open_db(db, create=False)
    pricer = Pricer(load_versions(history, "USD"), "USD", published_currencies(history))
    loaded_mb = current_rss_mb()
    if batch:
        result = price_totals(usage, pricer)
        totals, rows, unpriced = result.totals, result.rows, len(result.unpriced)
    else:
        totals, rows, unpriced = Totals(), 0, 0
        for row in read_usage(usage):
            priced = pricer.price(row)
            rows += 1
            if hasattr(priced, "units"):
                totals.add(priced)
            else:
                unpriced += 1
    seconds = time.perf_counter() - start
    return {"rows": rows, "seconds": seconds, "total": str(pricer.money(totals.units)), "unpriced": unpriced,
            "loaded_rss_mb": loaded_mb}


def current_rss_mb() -> float:
    """Resident memory now (Linux /proc), to tell the pricing's own memory from the imports'."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM).  Not ``ru_maxrss``: Linux carries that over
    from the parent through fork and exec, so every child would report the parent's size."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def child_genai(usage: str) -> dict:
    import csv

    from genai_prices import Usage, calc_price

    start = time.perf_counter()
    total, rows = Decimal(0), 0
    with open(usage, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for time_text, provider, model, miss, hit, out in reader:
            cache_read = int(hit)
            usage_row = Usage(input_tokens=int(miss) + cache_read, cache_read_tokens=cache_read,
                              output_tokens=int(out))
            price = calc_price(usage_row, model, provider_id=provider,
                               genai_request_timestamp=datetime.fromisoformat(time_text))
            total += price.total_price
            rows += 1
    seconds = time.perf_counter() - start
    return {"rows": rows, "seconds": seconds, "total": str(total.normalize()), "unpriced": 0}


def run_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each pricer; the fastest counts")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "genai":  # (the history database argument is not used)
            result = child_genai(rest[0])
        else:
            result = child_ratecard(rest[0], rest[1], batch=kind == "ratecard-batch")
        result["peak_rss_mb"] = peak_rss_mb()
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory() as tmp:
        db, usage, small = Path(tmp) / "prices.db", Path(tmp) / "usage.csv", Path(tmp) / "small.csv"
        build_history(db)
        write_usage(usage, args.rows)
        write_usage(small, max(1, args.rows // 10))
        print(f"{args.rows:,} usage rows ({usage.stat().st_size / 1e6:.1f} MB CSV), python {sys.version.split()[0]}")
        runs: dict[str, list[dict]] = {"genai": [], "ratecard-batch": [], "ratecard-rows": []}
        for _ in range(args.repeat):  # interleaved, so a busy moment on the machine hits all three
            for kind in runs:
                runs[kind].append(run_child(kind, str(usage), str(db)))
        genai, batch, rows = (min(runs[k], key=lambda r: r["seconds"]) for k in runs)
        batch_small = run_child("ratecard-batch", str(small), str(db))

    print(f"best of {args.repeat} runs each")
    print(f"{'pricer':<38} {'rows/s':>12} {'vs genai':>9} {'peak RSS':>10}  total USD")
    for name, r in (("genai-prices calc_price (per row)", genai), ("ratecard reprice --summary (batch)", batch),
                    ("ratecard row by row (reprice rows)", rows)):
        rate = r["rows"] / r["seconds"]
        ratio = rate / (genai["rows"] / genai["seconds"])
        print(f"{name:<38} {rate:>12,.0f} {ratio:>8.1f}x {r['peak_rss_mb']:>7.1f} MB  {r['total']}")
    def above(r: dict) -> str:
        return f"{r['peak_rss_mb']:.1f} MB peak, {r['peak_rss_mb'] - r['loaded_rss_mb']:.1f} MB above the loaded history"
    print(f"ratecard batch memory: {above(batch_small)} at {batch_small['rows']:,} rows; "
          f"{above(batch)} at {batch['rows']:,} rows")
    agree = Decimal(genai["total"]) == Decimal(batch["total"]) == Decimal(rows["total"])
    print(f"totals agree to the last unit: {'yes' if agree else 'NO'}"
          f" (unpriced rows: batch {batch['unpriced']}, row by row {rows['unpriced']})")
    if not agree:
        sys.exit(1)


if __name__ == "__main__":
    main()
