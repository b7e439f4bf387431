"""How fast ratecard reprices a usage file: its columnar engine against genai-prices' ``calc_price``
and against a hand-written DuckDB range join over the same rate table, in one run.

1. A history is built the real way: ``run_scrape`` over the DeepSeek and Mistral fixture pages
   served on 127.0.0.1 (DeepSeek full price on 2025-02-20, off-peak from 2025-02-27; Mistral
   2024-11), plus, for the long-context file, claude-sonnet-4 at the rates genai-prices holds
   (3 / 0.3 / 15 USD, above 200k prompt tokens 6 / 0.6 / 22.5).
2. Usage files of N rows (``--sizes``, default 1,000,000; 80 % deepseek-chat, 20 % mistral-large,
   random instants in March 2025, on both sides of the off-peak edges); the ``long`` variant
   writes times as ``...00.000Z`` and makes a third of the rows claude-sonnet-4 with prompts on
   both sides of 200k.
3. Each path runs in its own process (its own timing and peak RSS, VmHWM): ratecard's engine
   for each output (``summary``, ``table``, ``csv``, ``json``, ``parquet``; load, check, price,
   write to a file), the hand-written DuckDB range join producing the same output from the same
   rate table (``ratecard export --rates``), and genai-prices reading the CSV row by row and
   calling ``calc_price`` per row (on the first ``--genai-rows`` rows: it is the slow side).
4. Ratios only: rows/s against genai-prices and against the hand-written join; totals must be
   equal to the last unit (engine, join, and genai-prices on its rows); peak memory per size.

Run: ``python bench/reprice.py [--sizes 1000000,10000000] [--repeat R] [--variants base,long]``.
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


SONNET = (("standard", {"input": "3", "input_cache_hit": "0.3", "output": "15"}),
          ("context>200k", {"input": "6", "input_cache_hit": "0.6", "output": "22.5"}))
OUTPUTS = ("summary", "table", "csv", "json", "parquet")


def write_usage(path: Path, rows: int, variant: str = "base", seed: int = 7) -> None:
    """``rows`` usage rows; ``long``: ``.000Z`` times and a third of them on a long-context model."""
    rng = random.Random(seed)
    start = datetime(2025, 3, 1, tzinfo=timezone.utc)
    span = 31 * 86400
    stamp = "%Y-%m-%dT%H:%M:%S.000Z" if variant == "long" else "%Y-%m-%dT%H:%M:%SZ"
    with open(path, "w", encoding="utf-8") as out:
        out.write("time,provider,model,input_tokens,input_cache_hit_tokens,output_tokens\n")
        lines = []
        for _ in range(rows):
            t = (start + timedelta(seconds=rng.randrange(span))).strftime(stamp)
            if variant == "long" and rng.random() < 0.33:
                prompt = rng.choice((rng.randrange(150_000), 150_000 + rng.randrange(200_000)))
                hit = rng.randrange(prompt // 4 + 1)
                lines.append(f"{t},anthropic,claude-sonnet-4,{prompt - hit},{hit},{rng.randrange(3_000)}\n")
                continue
            provider, model, _ = MODELS[0] if rng.random() < MODELS[0][2] else MODELS[1]
            hit = rng.randrange(30_000) if provider == "deepseek" else 0
            lines.append(f"{t},{provider},{model},{rng.randrange(8_000)},{hit},{rng.randrange(3_000)}\n")
            if len(lines) >= 100_000:
                out.write("".join(lines))
                lines = []
        out.write("".join(lines))


def load_pricer(db: str):
    """The scraped history plus claude-sonnet-4 at genai-prices' rates (long context above 200k)."""
    from db.reprice.pricer import PriceVersion, Pricer, load_versions, published_currencies
    from db.schema import open_db

    history = open_db(db, create=False)
    extra = [PriceVersion("anthropic", "claude-sonnet-4", component, tier, "", "USD", Decimal(price),
                          datetime(2025, 1, 1, tzinfo=timezone.utc))
             for tier, prices in SONNET for component, price in prices.items()]
    published = published_currencies(history)
    published["anthropic"] = {"USD"}
    return Pricer(load_versions(history, "USD") + extra, "USD", published)


def child_engine(usage: str, db: str, output: str, out_dir: str) -> dict:
    from db.reprice.engine import Engine

    start = time.perf_counter()
    pricer = load_pricer(db)
    with Engine(pricer) as engine:
        loaded = engine.load(usage)
        engine.price(totals_only=output == "summary")
        target = Path(out_dir) / f"engine.{output}"
        if output == "parquet":
            totals = engine.write(output, None, usage, rows_to=target)
        else:
            with open(target, "w", encoding="utf-8") as out:
                totals = engine.write(output, out, usage)
    seconds = time.perf_counter() - start
    return {"rows": loaded.rows, "seconds": seconds, "total": str(pricer.money(totals.units)),
            "unpriced": len(totals.unpriced), "bytes": target.stat().st_size}


JOIN_SQL = """
CREATE TABLE priced AS
SELECT u.*, r.input_price, r.input_cache_hit_price, r.output_price,
       u.input_tokens * r.input_units + u.input_cache_hit_tokens * coalesce(r.input_cache_hit_units, 0)
         + u.output_tokens * r.output_units AS cost_units
FROM (SELECT row_number() OVER () + 1 AS line, time, epoch_us(time) AS us,
             ((epoch_us(time) // 60000000 - 5760) % 10080 + 10080) % 10080 AS mow,
             provider, model, input_tokens, input_cache_hit_tokens, output_tokens,
             input_tokens + input_cache_hit_tokens AS prompt
      FROM read_csv('{usage}', header = true, columns = {{'time': 'TIMESTAMPTZ', 'provider': 'VARCHAR',
        'model': 'VARCHAR', 'input_tokens': 'BIGINT', 'input_cache_hit_tokens': 'BIGINT',
        'output_tokens': 'BIGINT'}})) u
JOIN read_parquet('{rates}') r ON r.book = 'late' AND r.tier = 'standard' AND r.provider = u.provider
  AND r.model = u.model AND u.prompt >= r.min_prompt AND (r.max_prompt IS NULL OR u.prompt <= r.max_prompt)
  AND r.valid_from_us <= u.us AND (r.valid_to_us IS NULL OR u.us < r.valid_to_us)
  AND r.minute_from <= u.mow AND u.mow < r.minute_to
"""


def child_join(usage: str, rates: str, output: str, out_dir: str, scale: int) -> dict:
    """What a data engineer writes by hand: the range join, then the output, in DuckDB."""
    import duckdb

    start = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(JOIN_SQL.format(usage=usage, rates=rates))
    k = 6 + scale
    money = f"CAST(cost_units AS DECIMAL(38, {k})) / CAST(1e{k} AS DECIMAL(38, 0))"
    target = Path(out_dir) / f"join.{output}"
    if output == "summary":
        con.execute(f"COPY (SELECT provider, model, strftime(time, '%Y-%m') AS month, sum(cost_units) AS units"
                    f" FROM priced GROUP BY ALL ORDER BY ALL) TO '{target}' (FORMAT CSV)")
    elif output == "table":
        con.execute(f"COPY (SELECT format('{{:>6}}  {{:<20}}  {{:<32}}  {{:>16}}  cache miss {{:,}} x {{}}; output"
                    f" {{:,}} x {{}}', line, strftime(time, '%Y-%m-%dT%H:%M:%SZ'), provider || '/' || model,"
                    f" CAST({money} AS VARCHAR), input_tokens, input_price, output_tokens, output_price)"
                    f" FROM priced ORDER BY line) TO '{target}' (FORMAT CSV, HEADER false, QUOTE '', DELIMITER '\x01')")
    else:
        fmt = {"csv": "CSV, HEADER true", "json": "JSON", "parquet": "PARQUET"}[output]
        con.execute(f"COPY (SELECT line, strftime(time, '%Y-%m-%dT%H:%M:%SZ') AS time, provider, model,"
                    f" {money} AS cost, input_tokens, input_price, input_cache_hit_tokens, input_cache_hit_price,"
                    f" output_tokens, output_price FROM priced ORDER BY line) TO '{target}' (FORMAT {fmt})")
    units, rows = con.execute("SELECT sum(cost_units), count(*) FROM priced").fetchone()
    seconds = time.perf_counter() - start
    total = Decimal(int(units)).scaleb(-k).normalize()
    return {"rows": rows, "seconds": seconds, "total": str(total), "unpriced": 0}


def child_genai(usage: str, limit: int) -> dict:
    import csv

    from genai_prices import Usage, calc_price

    start = time.perf_counter()
    total, rows = Decimal(0), 0
    with open(usage, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for time_text, provider, model, miss, hit, out in reader:
            if rows >= limit:
                break
            cache_read = int(hit)
            usage_row = Usage(input_tokens=int(miss) + cache_read, cache_read_tokens=cache_read,
                              output_tokens=int(out))
            price = calc_price(usage_row, model, provider_id=provider,
                               genai_request_timestamp=datetime.fromisoformat(time_text))
            total += price.total_price
            rows += 1
    seconds = time.perf_counter() - start
    return {"rows": rows, "seconds": seconds, "total": str(total.normalize()), "unpriced": 0}


def head_file(source: Path, target: Path, rows: int) -> None:
    with open(source, encoding="utf-8") as src, open(target, "w", encoding="utf-8") as out:
        for n, line in enumerate(src):
            if n > rows:
                break
            out.write(line)


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM).  Not ``ru_maxrss``: Linux carries that over
    from the parent through fork and exec, so every child would report the parent's size."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def run_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def best(runs: list[dict]) -> dict:
    return min(runs, key=lambda r: r["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000000", help="comma-separated row counts (e.g. 1000000,10000000)")
    parser.add_argument("--variants", default="base,long", help="base and/or long (.000Z times, long context)")
    parser.add_argument("--outputs", default=",".join(OUTPUTS))
    parser.add_argument("--repeat", type=int, default=1, help="runs of each path; the fastest counts")
    parser.add_argument("--genai-rows", type=int, default=100_000, help="rows genai-prices prices (the slow side)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "genai":
            result = child_genai(rest[0], int(rest[1]))
        elif kind == "engine":
            result = child_engine(*rest)
        else:
            result = child_join(rest[0], rest[1], rest[2], rest[3], int(rest[4]))
        result["peak_rss_mb"] = peak_rss_mb()
        print(json.dumps(result))
        return

    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        db, rates = Path(tmp) / "prices.db", Path(tmp) / "rates.parquet"
        build_history(db)
        from db.reprice.rates import compile_rates, write_rates
        pricer = load_pricer(str(db))
        write_rates(compile_rates(pricer), rates)
        print(f"python {sys.version.split()[0]}; rate table: {rates.stat().st_size:,} bytes;"
              f" best of {args.repeat} run(s); each path in its own process")
        for variant in args.variants.split(","):
            for size in (int(s) for s in args.sizes.split(",")):
                usage, sample = Path(tmp) / f"usage-{variant}.csv", Path(tmp) / f"sample-{variant}.csv"
                write_usage(usage, size, variant)
                head_file(usage, sample, min(size, args.genai_rows))
                genai = best([run_child("genai", str(sample), str(args.genai_rows)) for _ in range(args.repeat)])
                genai_rate = genai["rows"] / genai["seconds"]
                check = run_child("engine", str(sample), str(db), "summary", tmp)
                ok = Decimal(check["total"]) == Decimal(genai["total"])
                failed |= not ok
                print(f"\n[{variant}] {size:,} rows ({usage.stat().st_size / 1e6:.0f} MB CSV): genai-prices"
                      f" calc_price on the first {genai['rows']:,} rows = 1x; its total"
                      f" {'equals' if ok else 'DIFFERS FROM'} ratecard's on those rows ({genai['total']} USD)")
                print(f"{'output':<9} {'engine vs genai':>16} {'engine vs join':>15} {'engine peak':>12}"
                      f" {'join peak':>10}  totals (engine = join)")
                for output in args.outputs.split(","):
                    eng = best([run_child("engine", str(usage), str(db), output, tmp) for _ in range(args.repeat)])
                    join = best([run_child("join", str(usage), str(rates), output, tmp, str(pricer.scale))
                                 for _ in range(args.repeat)])
                    rate, join_rate = eng["rows"] / eng["seconds"], join["rows"] / join["seconds"]
                    same = Decimal(eng["total"]) == Decimal(join["total"])
                    failed |= not same
                    print(f"{output:<9} {rate / genai_rate:>15.1f}x {rate / join_rate:>14.2f}x"
                          f" {eng['peak_rss_mb']:>9.0f} MB {join['peak_rss_mb']:>7.0f} MB"
                          f"  {'equal' if same else 'DIFFER'} ({eng['total']} USD)")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
