"""How fast ratecard reprices a usage file: its columnar engine against genai-prices' ``calc_price``
and against a hand-written DuckDB range join over the same rate table, in one run.

1. A history is built the real way: ``run_scrape`` over the DeepSeek and Mistral fixture pages
   served on 127.0.0.1 (DeepSeek full price on 2025-02-20, off-peak from 2025-02-27; Mistral
   2024-11), plus, for the long-context file, claude-sonnet-4 at the rates genai-prices holds
   (3 / 0.3 / 15 USD, above 200k prompt tokens 6 / 0.6 / 22.5).
2. Usage files of N rows (``--sizes``, default 1,000,000; 80 % deepseek-chat, 20 % mistral-large,
   random instants in March 2025, on both sides of the off-peak edges); the ``long`` variant
   writes times as ``...00.000Z`` and makes a third of the rows claude-sonnet-4 with prompts on
   both sides of 200k.  The ``wide`` variant is the issue's workload, priced by the curated
   history (``backfill --curated``): 13 models of 6 providers over two years (2024-12 to
   2026-11), crossing DeepSeek's promo end, its off-peak windows and the V3.2 cut (a change of
   unknown instant: rows in its window are uncertain), the V4 renames (alias notes), models no
   longer listed, and prompts past claude-sonnet-4's and gemini-2.5-pro's 200k tiers.
3. Each path runs in its own process (its own timing and peak RSS, VmHWM): ratecard's engine
   for each output (``summary``, ``table``, ``csv``, ``json``, ``parquet``; load, check, price,
   write to a file), the hand-written DuckDB range join producing the same output from the same
   rate table (``ratecard export --rates``): one join, ratecard's columns and exact decimal text
   (``reprice --csv``, ``--json``, ``--exact``, ``--summary --exact``; Parquet as the engine
   writes it), for the rows the bench writes (instants, standard tier, all priced, no notes),
   and genai-prices reading the CSV row by row and calling ``calc_price`` per row (on the first
   ``--genai-rows`` rows: it is the slow side).  Each side's code is loaded before its clock
   starts (``duckdb``; ratecard's reprice modules, ``ENGINE_MODULES``; genai-prices).
4. Seconds of the engine and the join per output, and ratios: rows/s against genai-prices and against the hand-written
   join; totals must be equal to the last unit (engine, join, and genai-prices on its rows), and
   the join's file must be the engine's (CSV, table and summary byte for byte, Parquet by schema
   and rows; JSON not compared); peak memory per size.  A failed path is reported, and fails the
   run like a difference.  On the ``wide`` file the join also prices the rows inside the window
   of a change of unknown instant on the history with the change at the window's start, and
   writes ratecard's notes (no longer listed, the uncertain change, an alias's name), in its CSV
   and Parquet, which are compared whole; its table, JSON and summary have no notes and are not
   compared; genai-prices' total (its own history) is shown, not required to match.

Run: ``python bench/reprice.py [--sizes 1000000,10000000] [--repeat R] [--variants base,long,wide]``.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import random
import shutil
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


def build_history(db: Path, history: str = "scraped") -> None:
    """Scrape the fixture pages through a 127.0.0.1 mirror into ``db``, or load the ``curated``
    history (the ``wide`` file's)."""
    if history == "curated":
        from db import curated
        from db.history import rebuild
        from db.schema import open_db

        histories = curated.read_all()
        history = open_db(db)
        curated.load(history, histories)
        rebuild(history, [h.provider for h in histories])
        history.close()
        return
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
#: The ``wide`` file (the issue's workload): 13 models of 6 providers over two years, priced by
#: the curated history; each model's rows fall where the history prices it (its first price to
#: the span's end).  ``hit``: whether its rows have cache-hit tokens (only models with a cache-hit
#: price over all that time: a token without a price makes a row unpriced, never free).
#: ``long``: a share of rows whose prompt passes the model's 200k context tier.
WIDE_SPAN = (datetime(2024, 12, 1, tzinfo=timezone.utc), datetime(2026, 12, 1, tzinfo=timezone.utc))
WIDE_MODELS = (  # (provider, model, first priced, weight, hit, long)
    ("deepseek", "deepseek-chat", "2024-12-26", 0.20, True, 0.0),
    ("deepseek", "deepseek-reasoner", "2025-01-20", 0.10, True, 0.0),
    ("anthropic", "claude-sonnet-4", "2025-05-22", 0.10, True, 0.2),
    ("anthropic", "claude-3-5-haiku", "2025-05-24", 0.05, True, 0.0),
    ("openai", "gpt-4o", "2024-12-01", 0.10, False, 0.0),
    ("openai", "gpt-4o-mini", "2024-12-01", 0.08, False, 0.0),
    ("openai", "gpt-4.1", "2025-04-14", 0.07, True, 0.0),
    ("google", "gemini-2.0-flash", "2025-02-05", 0.06, False, 0.0),
    ("google", "gemini-2.5-pro", "2025-06-17", 0.06, False, 0.2),
    ("xai", "grok-3", "2025-04-09", 0.05, False, 0.0),
    ("xai", "grok-3-mini", "2025-04-09", 0.04, False, 0.0),
    ("mistral", "mistral-large-2411", "2024-12-01", 0.05, False, 0.0),
    ("mistral", "open-mistral-7b", "2024-12-01", 0.04, False, 0.0),
)


def write_usage(path: Path, rows: int, variant: str = "base", seed: int = 7) -> None:
    """``rows`` usage rows; ``long``: ``.000Z`` times and a third of them on a long-context model;
    ``wide``: the issue's workload (:func:`write_wide_usage`)."""
    if variant == "wide":
        return write_wide_usage(path, rows, seed)
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


def write_wide_usage(path: Path, rows: int, seed: int = 7) -> None:
    """``rows`` rows of ``WIDE_MODELS`` (see there), times to the second."""
    rng = random.Random(seed)
    end = int(WIDE_SPAN[1].timestamp())
    models = [(provider, model, int(datetime.fromisoformat(first).replace(tzinfo=timezone.utc).timestamp()),
               hit, long) for provider, model, first, _, hit, long in WIDE_MODELS]
    weights = [weight for *_, weight, _, _ in WIDE_MODELS]
    with open(path, "w", encoding="utf-8") as out:
        out.write("time,provider,model,input_tokens,input_cache_hit_tokens,output_tokens\n")
        lines = []
        for provider, model, first, hit, long in rng.choices(models, weights, k=rows):
            t = datetime.fromtimestamp(first + rng.randrange(end - first), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            prompt = 150_000 + rng.randrange(200_000) if long and rng.random() < long else rng.randrange(12_000)
            cached = rng.randrange(prompt // 2 + 1) if hit else 0
            lines.append(f"{t},{provider},{model},{prompt - cached},{cached},{rng.randrange(3_000)}\n")
            if len(lines) >= 100_000:
                out.write("".join(lines))
                lines = []
        out.write("".join(lines))


def load_pricer(db: str):
    """The history, plus claude-sonnet-4 at genai-prices' rates (long context above 200k) when
    it has no Anthropic price (the scraped history of the ``base`` and ``long`` files)."""
    from db.reprice.pricer import PriceVersion, Pricer, load_versions, published_currencies
    from db.readonly import open_prices

    history = open_prices(db)  # as ratecard reprice opens it
    published = published_currencies(history)
    extra = [] if "anthropic" in published else [
        PriceVersion("anthropic", "claude-sonnet-4", component, tier, "", "USD", Decimal(price),
                     datetime(2025, 1, 1, tzinfo=timezone.utc))
        for tier, prices in SONNET for component, price in prices.items()]
    published.setdefault("anthropic", {"USD"})
    return Pricer(load_versions(history, "USD") + extra, "USD", published)


#: The modules ratecard's engine reads a history and prices with, loaded before its clock
#: starts, as the join's ``duckdb`` is: code loading is not pricing.  (Where Python writes no
#: bytecode, as with PYTHONDONTWRITEBYTECODE, loading them compiles their source: about 30 ms
#: in each process, which an installed ratecard, compiled when installed, does not pay.)
ENGINE_MODULES = ("db.reprice.engine", "db.reprice.grouped", "db.reprice.writers", "db.reprice.aliases",
                  "db.reprice.pricer", "db.reprice.parquet_concat", "db.readonly")


def child_engine(usage: str, db: str, output: str, out_dir: str) -> dict:
    import importlib

    for module in ENGINE_MODULES:
        importlib.import_module(module)
    from db.reprice.engine import Engine

    target = Path(out_dir) / f"engine.{output}"
    clear_outputs(target)
    start = time.perf_counter()
    pricer = load_pricer(db)
    with Engine(pricer) as engine:
        loaded = engine.load(usage, totals_only=output == "summary")
        engine.price(totals_only=output == "summary")  # as ratecard reprice
        if output == "parquet":
            totals = engine.write(output, None, usage, rows_to=target)
        else:
            with open(target, "w", encoding="utf-8") as out:
                totals = engine.write(output, out, usage)
    seconds = time.perf_counter() - start
    return {"rows": loaded.rows, "seconds": seconds, "total": str(pricer.money(totals.units)),
            "unpriced": len(totals.unpriced), "bytes": target.stat().st_size}


def clear_outputs(*paths: Path) -> None:
    """A repeated run's files from the run before are removed before its clock starts: opening
    an output of hundreds of megabytes to write it again empties it first, which cost either side
    up to 0.24 s of its time."""
    for path in paths:
        path.unlink(missing_ok=True)


COMPONENTS = ("input", "input_cache_hit", "input_cache_write", "input_cache_write_1h", "output")
LABELS = {"input": "cache miss", "input_cache_hit": "cache hit", "input_cache_write": "cache write",
          "input_cache_write_1h": "cache write 1h", "output": "output"}
#: The components the bench's usage files have tokens for (the cache writes are empty cells).
USED = ("input", "input_cache_hit", "output")

#: The usage rows both joins read, typed by DuckDB's CSV reader.
USAGE_ROWS_SQL = """SELECT row_number() OVER () + 1 AS line, time, epoch_us(time) AS us,
             ((epoch_us(time) // 60000000 - 5760) % 10080 + 10080) % 10080 AS mow,
             provider, model, input_tokens, input_cache_hit_tokens, output_tokens,
             input_tokens + input_cache_hit_tokens AS prompt
      FROM read_csv('{usage}', header = true, columns = {{'time': 'TIMESTAMPTZ', 'provider': 'VARCHAR',
        'model': 'VARCHAR', 'input_tokens': 'BIGINT', 'input_cache_hit_tokens': 'BIGINT',
        'output_tokens': 'BIGINT'}})"""
RANGE_ON = """ON r.provider = u.provider AND r.model = u.model
  AND u.prompt >= r.min_prompt AND (r.max_prompt IS NULL OR u.prompt <= r.max_prompt)
  AND r.valid_from_us <= u.us AND (r.valid_to_us IS NULL OR u.us < r.valid_to_us)
  AND r.minute_from <= u.mow AND u.mow < r.minute_to"""


JOIN_SQL = """
SELECT u.line, strftime(u.time, '%Y-%m-%dT%H:%M:%SZ') AS time, strftime(u.time, '%Y-%m') AS month,
       u.provider, coalesce(r.priced_as, u.model) AS model, {components},
       u.input_tokens * r.input_units + u.input_cache_hit_tokens * coalesce(r.input_cache_hit_units, 0)
         + u.output_tokens * r.output_units AS cost_units
FROM ({usage_rows}) u
JOIN (SELECT * FROM read_parquet('{rates}') WHERE book = 'late' AND tier = 'standard') r {on}
"""
#: Each used component of a priced row: its tokens, price, tier, promo and cost units, all NULL
#: when the row has no tokens there (as ratecard leaves those cells empty).
COMPONENT_SQL = ("CASE WHEN u.{c}_tokens > 0 THEN u.{c}_tokens END AS {c}_tokens,"
                 " CASE WHEN u.{c}_tokens > 0 THEN r.{c}_price END AS {c}_price,"
                 " CASE WHEN u.{c}_tokens > 0 THEN r.{c}_tier END AS {c}_tier,"
                 " CASE WHEN u.{c}_tokens > 0 THEN r.{c}_promo END AS {c}_promo,"
                 " CASE WHEN u.{c}_tokens > 0 THEN u.{c}_tokens * r.{c}_units END AS {c}_units")


#: The ``wide`` file's join: the same range join on the history as stored (``late``), and for
#: the rows inside the window of a change of unknown instant the same join on the history with
#: the change at the window's start (``early``): the higher cost counts, the lower is the lowest
#: cost; a removed model's rows after it was last seen and an alias's rows get ratecard's notes.
WIDE_JOIN_SQL = """
WITH u AS ({usage_rows}),
l AS (SELECT u.*, r.priced_as AS l_priced_as, r.alias_note AS l_alias_note, {late}
      FROM u JOIN (SELECT * FROM read_parquet('{rates}') WHERE book = 'late' AND tier = 'standard') r {on}),
w AS (SELECT u.line, min(w.valid_from_us) AS w_from, min(w.valid_to_us) AS w_to
      FROM u JOIN (SELECT * FROM read_parquet('{rates}') WHERE book = 'window') w
        ON w.provider = u.provider AND w.model = u.model AND w.valid_from_us < u.us AND u.us < w.valid_to_us
      GROUP BY u.line),
e AS (SELECT u.line, r.priced_as AS e_priced_as, r.alias_note AS e_alias_note, {early}
      FROM u JOIN w USING (line)
      JOIN (SELECT * FROM read_parquet('{rates}') WHERE book = 'early' AND tier = 'standard') r {on}),
c AS (SELECT l.*, w.w_from, w.w_to, e.* EXCLUDE (line), {l_cost} AS l_cost, {e_cost} AS e_cost
      FROM l LEFT JOIN w USING (line) LEFT JOIN e USING (line)),
x AS (SELECT *, uncertain AND e_cost > l_cost AS high FROM (
        SELECT *, w_from IS NOT NULL AND e_cost IS NOT NULL AND e_cost <> l_cost AS uncertain FROM c)),
p AS (SELECT x.*, CASE WHEN high THEN e_priced_as ELSE l_priced_as END AS priced_as,
             CASE WHEN high THEN e_alias_note ELSE l_alias_note END AS alias_note
      FROM x)
SELECT p.line, strftime(p.time, '%Y-%m-%dT%H:%M:%SZ') AS time, strftime(p.time, '%Y-%m') AS month,
       p.provider, coalesce(p.priced_as, p.model) AS model, {components},
       CASE WHEN high THEN e_cost ELSE l_cost END AS cost_units,
       CASE WHEN uncertain THEN least(l_cost, e_cost) END AS lowest_units, uncertain,
       CASE WHEN uncertain THEN w_from END AS changed_after_us, CASE WHEN uncertain THEN w_to END AS changed_by_us,
       CASE WHEN uncertain THEN l_cost END AS before_units, CASE WHEN uncertain THEN e_cost END AS after_units,
       list_filter([
         CASE WHEN rm.seen_us < p.us AND p.us < rm.ended_us THEN p.provider || '/' || coalesce(p.priced_as, p.model)
              || ' was no longer listed at ' || iso(rm.ended_us) || ' (last seen ' || iso(rm.seen_us)
              || '): priced at its last listed price' END,
         CASE WHEN uncertain THEN 'the price changed at an unknown instant between ' || iso(w_from) || ' and '
              || iso(w_to) || ': ' || money(l_cost) || ' at the price before, ' || money(e_cost)
              || ' at the price after; the higher is counted' END,
         p.model || p.alias_note], lambda n: n IS NOT NULL) AS notes
FROM p LEFT JOIN (SELECT provider, model, valid_from_us AS seen_us, valid_to_us AS ended_us
                  FROM read_parquet('{rates}') WHERE book = 'removed') rm
  ON rm.provider = p.provider AND rm.model = coalesce(p.priced_as, p.model)
"""


def wide_join_sql(usage: str, rates: str) -> str:
    """``WIDE_JOIN_SQL`` over ``usage`` and ``rates``: each used component's tokens, price, tier,
    promo and cost units, from the early rates where the higher cost is theirs."""
    def book(prefix: str) -> str:
        return ", ".join(f"r.{c}_{part} AS {prefix}_{c}_{part}" for c in USED for part in ("units", "price", "tier", "promo"))

    def cost(prefix: str) -> str:
        return " + ".join(f"CASE WHEN {c}_tokens > 0 THEN {c}_tokens * {prefix}_{c}_units ELSE 0 END" for c in USED)

    def component(c: str) -> str:
        pick = "CASE WHEN high THEN e_{c}_{part} ELSE l_{c}_{part} END"
        return ", ".join([f"CASE WHEN p.{c}_tokens > 0 THEN p.{c}_tokens END AS {c}_tokens"]
                         + [f"CASE WHEN p.{c}_tokens > 0 THEN {pick.format(c=c, part=part)} END AS {c}_{part}"
                            for part in ("price", "tier", "promo")]
                         + [f"CASE WHEN p.{c}_tokens > 0 THEN p.{c}_tokens * {pick.format(c=c, part='units')} END"
                            f" AS {c}_units"])
    return WIDE_JOIN_SQL.format(usage_rows=USAGE_ROWS_SQL.format(usage=sq(usage)), rates=sq(rates), on=RANGE_ON,
                                late=book("l"), early=book("e"), l_cost=cost("l"), e_cost=cost("e"),
                                components=", ".join(component(c) for c in USED))


def child_join(usage: str, rates: str, output: str, out_dir: str, scale: int, currency: str,
               history: str = "scraped") -> dict:
    """What a data engineer writes by hand: the range join, then ratecard's output, in DuckDB
    (only the totals block and the JSON document's frame in Python).  ``history``: ``curated``
    (the ``wide`` file) also prices the rows inside a change's uncertain window both ways, and
    writes ratecard's notes, in its CSV and Parquet (``WIDE_JOIN_SQL``)."""
    import duckdb

    target = Path(out_dir) / f"join.{output}"
    clear_outputs(target, Path(out_dir) / "join.rows.json", Path(out_dir) / "join.rows.txt")
    start = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    k = 6 + scale  # cost units are 10^-k of the currency
    # Exact decimal text of integer units, no trailing zeros (units 208170 -> '0.00020817').
    con.execute(f"CREATE MACRO money(u) AS CASE WHEN u % {10 ** k} = 0 THEN CAST(u // {10 ** k} AS VARCHAR)"
                f" ELSE CAST(u // {10 ** k} AS VARCHAR) || '.'"
                f" || rtrim(lpad(CAST(u % {10 ** k} AS VARCHAR), {k}, '0'), '0') END")
    con.execute("CREATE MACRO iso(us) AS strftime(make_timestamp(us), '%Y-%m-%dT%H:%M:%SZ')")
    wide = history == "curated"
    join = (wide_join_sql(usage, rates) if wide else
            JOIN_SQL.format(usage_rows=USAGE_ROWS_SQL.format(usage=sq(usage)), rates=sq(rates), on=RANGE_ON,
                            components=", ".join(COMPONENT_SQL.format(c=c) for c in USED)))
    con.execute(f"CREATE TEMP {'VIEW' if output == 'summary' else 'TABLE'} priced AS {join}")
    file = f"'{sq(usage)}' AS file"
    null = {"tokens": "BIGINT", "price": "VARCHAR", "tier": "VARCHAR", "promo": "BOOLEAN", "cost": "VARCHAR"}

    def part(c: str, name: str, expr: str) -> str:
        return f"{expr} AS {c}_{name}" if c in USED else f"CAST(NULL AS {null[name]}) AS {c}_{name}"

    if output in ("csv", "parquet"):
        columns = [file, "line", "time", "time AS priced_at", "provider", "model"]
        if output == "csv" and wide:
            columns += ["money(cost_units) AS cost", "money(lowest_units) AS lowest_cost",
                        "CASE WHEN uncertain THEN iso(changed_after_us) || '/' || iso(changed_by_us) END"
                        " AS uncertain_change", "money(before_units) AS cost_before_change",
                        "money(after_units) AS cost_after_change"]
            cost = "money({c}_units)"
        elif output == "csv":
            columns += ["money(cost_units) AS cost", "NULL AS lowest_cost", "NULL AS uncertain_change",
                        "NULL AS cost_before_change", "NULL AS cost_after_change"]
            cost = "money({c}_units)"
        else:  # ratecard's Parquet: costs as DECIMAL(38, k), the uncertain change in three columns
            null["cost"] = f"DECIMAL(38, {k})"
            unit = f"CAST(0.{'0' * (k - 1)}1 AS DECIMAL(38, {k}))"  # units x 10^-k: exact, no float

            def dec(units: str) -> str:
                return f"CAST({units} AS DECIMAL(38, 0)) * {unit}"
            if wide:
                columns += [f"{dec('cost_units')} AS cost", f"{dec('lowest_units')} AS lowest_cost", "uncertain",
                            "CASE WHEN uncertain THEN iso(changed_after_us) END AS changed_after",
                            "CASE WHEN uncertain THEN iso(changed_by_us) END AS changed_by",
                            f"{dec('before_units')} AS cost_before_change", f"{dec('after_units')} AS cost_after_change"]
            else:
                columns += [f"{dec('cost_units')} AS cost", f"CAST(NULL AS DECIMAL(38, {k})) AS lowest_cost",
                            "false AS uncertain", "CAST(NULL AS VARCHAR) AS changed_after",
                            "CAST(NULL AS VARCHAR) AS changed_by", f"CAST(NULL AS DECIMAL(38, {k})) AS cost_before_change",
                            f"CAST(NULL AS DECIMAL(38, {k})) AS cost_after_change"]
            cost = dec("{c}_units")
        for c in COMPONENTS:
            columns += [part(c, "tokens", f"{c}_tokens"), part(c, "price", f"{c}_price"),
                        part(c, "tier", f"{c}_tier"), part(c, "cost", cost.format(c=c))]
        notes = ("nullif(array_to_string(notes, '; '), '')" if wide and output == "csv" else "notes" if wide
                 else "NULL" if output == "csv" else "CAST([] AS VARCHAR[])")
        columns += [f"{notes} AS notes",
                    "CAST(NULL AS VARCHAR) AS unpriced_field", "CAST(NULL AS VARCHAR) AS unpriced_reason"]
        fmt = "CSV, HEADER true" if output == "csv" else "PARQUET"
        con.execute(f"COPY (SELECT {', '.join(columns)} FROM priced ORDER BY line) TO '{sq(str(target))}'"
                    f" (FORMAT {fmt})")
    elif output == "json":  # the rows as JSON lines, framed into the document below
        entries = ", ".join(f"{{'k': '{c}', 'v': {{'tokens': {c}_tokens, 'price': {c}_price, 'tier': {c}_tier,"
                            f" 'promo': {c}_promo, 'cost': money({c}_units)}}}}" for c in USED)
        rows_file = Path(out_dir) / "join.rows.json"
        con.execute(f"COPY (SELECT {file}, line, time, time AS priced_at, provider, model,"
                    f" money(cost_units) AS cost, NULL AS lowest_cost, NULL AS uncertain_change,"
                    f" map_from_entries(list_filter([{entries}], lambda e: e.v.tokens IS NOT NULL)) AS components,"
                    f" CAST([] AS VARCHAR[]) AS notes FROM priced ORDER BY line)"
                    f" TO '{sq(str(rows_file))}' (FORMAT JSON)")
    elif output == "table":
        rows_file = Path(out_dir) / "join.rows.txt"
        breakdown = ", ".join(
            f"CASE WHEN {c}_tokens IS NOT NULL THEN '{LABELS[c]} ' || format('{{:,}}', {c}_tokens) || ' x '"
            f" || {c}_price || CASE WHEN {c}_tier = 'standard' THEN '' ELSE ' ' || {c}_tier END"
            f" || ' = ' || money({c}_units) END" for c in USED)
        con.execute(f"COPY (SELECT format('{{:>6}}  {{:<20}}  {{:<32}}  {{:>18}}  ', line, time,"
                    f" provider || '/' || model, '{sq(currency)} ' || money(cost_units))"
                    f" || concat_ws('; ', {breakdown})"
                    f" FROM priced ORDER BY line) TO '{sq(str(rows_file))}'"
                    f" (FORMAT CSV, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\x01', FORCE_QUOTE *)")
    # The totals by provider, model and month, and the grand total last, in one pass.
    *by_month, (_, _, _, total, rows, units) = con.execute(
        "SELECT provider, model, month, money(sum(cost_units)), count(*), sum(cost_units) FROM priced"
        " GROUP BY GROUPING SETS ((provider, model, month), ())"
        " ORDER BY grouping(provider), provider, model, month").fetchall()
    by_month = [(p, m, month, cost) for p, m, month, cost, _, _ in by_month]
    con.close()
    if output == "json":
        money = {currency: total}
        tail = {"unpriced": [],
                "totals": [{"provider": p, "model": m, "month": month, "cost": cost} for p, m, month, cost in by_month],
                "total": money, "lowest_total": money,
                "uncertain_change": {"rows": 0, "total_if_changes_after_rows": money,
                                     "total_if_changes_before_rows": money}}
        with open(target, "w", encoding="utf-8") as out, open(rows_file, encoding="utf-8") as lines:
            out.write('{\n  "currency": %s,\n  "rows": [' % json.dumps(currency))
            sep = "\n    "
            while block := lines.readlines(1 << 20):
                out.write(sep + ",\n    ".join(line.rstrip("\n") for line in block))
                sep = ",\n    "
            out.write("\n  ],\n" + ",\n".join(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}"
                                               for key, value in tail.items()) + "\n}\n")
        rows_file.unlink()
    elif output in ("table", "summary"):
        with open(target, "w", encoding="utf-8") as out:
            if output == "table":
                out.write(f"{'line':>6}  {'time':<20}  {'provider/model':<32}  {'cost':>18}  breakdown\n")
                with open(rows_file, encoding="utf-8") as lines:
                    shutil.copyfileobj(lines, out, 1 << 20)
                out.write("\n")
                rows_file.unlink()
            out.write(totals_block(currency, by_month, total, rows))
    seconds = time.perf_counter() - start
    return {"rows": rows, "seconds": seconds, "total": str(Decimal(int(units)).scaleb(-k).normalize()),
            "unpriced": 0}


def totals_block(currency: str, by_month: list[tuple], total: str, rows: int) -> str:
    """``reprice --summary --exact``: the totals per provider, model and month in aligned columns
    (two spaces apart, trailing blanks cut), then the grand total."""
    cells = [("provider", "model", "month", "cost")] + [(p, m, month, f"{currency} {cost}")
                                                        for p, m, month, cost in by_month]
    widths = [max(len(row[i]) for row in cells) for i in range(4)]
    table = "".join("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() + "\n" for row in cells)
    return (f"Totals ({currency}) by provider, model and month:\n{table}"
            f"\nTotal: {total} {currency} over {rows} priced row(s)\n")


def sq(text: str) -> str:
    """``text`` inside a SQL string literal."""
    return text.replace("'", "''")


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


def peer_versions() -> str:
    """The versions of the peers, printed with their ratios: genai-prices' speed moves between
    releases (0.2.3 priced the issue's workload, the wide file, at about 20k rows/s; the issue
    measured about 12k)."""
    from importlib.metadata import PackageNotFoundError, version

    def one(name: str) -> str:
        try:
            return f"{name} {version(name)}"
        except PackageNotFoundError:
            return f"{name} not installed"
    return ", ".join(one(name) for name in ("duckdb", "genai-prices"))


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


def best_of(repeat: int, *args: str) -> dict | None:
    """The fastest of ``repeat`` runs of a child; None (and its last error line) when one fails."""
    runs = []
    for _ in range(repeat):
        try:
            runs.append(run_child(*args))
        except subprocess.CalledProcessError as exc:
            lines = (exc.stderr or "").strip().splitlines() or [f"exit status {exc.returncode}"]
            print(f"  {args[0]} {' '.join(Path(a).name for a in args[1:4])}: failed: {lines[-1]}")
            return None
    return min(runs, key=lambda r: r["seconds"])


def same_files(output: str, engine: Path, join: Path, rows_only: bool = False) -> bool | None:
    """Whether the join wrote the engine's file: CSV, table and summary byte for byte, Parquet
    by schema and rows.  None: not compared (a file missing; JSON, whose bytes may differ as long
    as ``json.load`` gives the same document; with ``rows_only`` (the ``wide`` file, whose
    join makes ratecard's notes and uncertain changes in CSV and Parquet only) the table and
    the summary)."""
    if output == "json" or not (engine.exists() and join.exists()) or (rows_only and output not in ("csv", "parquet")):
        return None
    if output != "parquet":
        return filecmp.cmp(engine, join, shallow=False)
    import duckdb

    con = duckdb.connect()
    a, b = (f"read_parquet('{sq(str(path))}')" for path in (engine, join))
    if con.execute(f"DESCRIBE SELECT * FROM {a}").fetchall() != con.execute(f"DESCRIBE SELECT * FROM {b}").fetchall():
        return False
    return con.execute(f"SELECT (SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b}))"
                       f" + (SELECT count(*) FROM (SELECT * FROM {b} EXCEPT ALL SELECT * FROM {a}))").fetchone()[0] == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000000", help="comma-separated row counts (e.g. 1000000,10000000)")
    parser.add_argument("--variants", default="base,long,wide",
                        help="base, long (.000Z times, long context), wide (13 models, 6 providers, two years)")
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
            result = child_join(rest[0], rest[1], rest[2], rest[3], int(rest[4]), rest[5], *rest[6:])
        result["peak_rss_mb"] = peak_rss_mb()
        print(json.dumps(result))
        return

    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        from db.reprice.rates import compile_rates, write_rates

        print(f"python {sys.version.split()[0]}, {peer_versions()}; best of {args.repeat} run(s);"
              " each path in its own process")
        for variant in args.variants.split(","):
            history = "curated" if variant == "wide" else "scraped"
            db, rates = Path(tmp) / f"prices-{history}.db", Path(tmp) / f"rates-{history}.parquet"
            built = db.exists()
            if not built:
                build_history(db, history)
            pricer = load_pricer(str(db))
            if not built:
                table = compile_rates(pricer)
                write_rates(table, rates)
                print(f"{history} history: rate table of {len(table.rows):,} rows ({rates.stat().st_size:,} bytes)")
            for size in (int(s) for s in args.sizes.split(",")):
                usage, sample = Path(tmp) / f"usage-{variant}.csv", Path(tmp) / f"sample-{variant}.csv"
                write_usage(usage, size, variant)
                head_file(usage, sample, min(size, args.genai_rows))
                genai = best_of(args.repeat, "genai", str(sample), str(args.genai_rows))
                check = best_of(1, "engine", str(sample), str(db), "summary", tmp)
                ok = genai is not None and check is not None and Decimal(check["total"]) == Decimal(genai["total"])
                # genai-prices tiers claude-sonnet-4's long prompts its own way (the ``long`` file),
                # and has its own history (the ``wide`` file): there its total is shown, not
                # required to match
                failed |= not ok and variant == "base"
                head = f"\n[{variant}] {size:,} rows ({usage.stat().st_size / 1e6:.0f} MB CSV): "
                if genai is None:
                    genai_rate = None
                    print(head + "genai-prices failed (no ratios against it)")
                else:
                    genai_rate = genai["rows"] / genai["seconds"]
                    verdict = ("equals" if ok else "could not be checked against" if check is None
                               else "differs (long-context tiers, expected) from" if variant == "long"
                               else "differs (its own history, expected) from" if variant == "wide"
                               else "DIFFERS FROM")
                    print(head + f"genai-prices calc_price on the first {genai['rows']:,} rows = 1x; its total"
                          f" {verdict} ratecard's on those rows ({genai['total']} USD)")
                print(f"{'output':<9} {'engine s':>9} {'join s':>7} {'engine vs genai':>17} {'engine vs join':>15}"
                      f" {'engine peak':>12} {'join peak':>10}  totals (engine = join), files")
                for output in args.outputs.split(","):
                    eng_file, join_file = Path(tmp) / f"engine.{output}", Path(tmp) / f"join.{output}"
                    eng_file.unlink(missing_ok=True)
                    join_file.unlink(missing_ok=True)
                    eng = best_of(args.repeat, "engine", str(usage), str(db), output, tmp)
                    join = best_of(args.repeat, "join", str(usage), str(rates), output, tmp, str(pricer.scale),
                                   pricer.currency, history)
                    if eng is None or join is None:
                        failed = True
                        print(f"{output:<9} {'failed' if eng is None else format(eng['seconds'], '.2f'):>9}"
                              f" {'failed' if join is None else format(join['seconds'], '.2f'):>7}")
                        continue
                    rate, join_rate = eng["rows"] / eng["seconds"], join["rows"] / join["seconds"]
                    same = Decimal(eng["total"]) == Decimal(join["total"])
                    files = same_files(output, eng_file, join_file, rows_only=variant == "wide")
                    failed |= not same or files is False
                    vs_genai = "-" if genai_rate is None else f"{rate / genai_rate:.1f}x"
                    print(f"{output:<9} {eng['seconds']:>9.2f} {join['seconds']:>7.2f} {vs_genai:>17}"
                          f" {rate / join_rate:>14.2f}x {eng['peak_rss_mb']:>9.0f} MB {join['peak_rss_mb']:>7.0f} MB"
                          f"  {'equal' if same else 'DIFFER'} ({eng['total']} USD)"
                          f"{'' if files is None else ', files equal' if files else ', FILES DIFFER'}")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
