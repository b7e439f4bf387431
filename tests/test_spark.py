"""Past one machine: ``ratecard export --rates`` + ``ratecard sql --dialect spark`` run by PySpark
(local mode) price the same usage as ``ratecard reprice``, to the last unit, with the same flags.

Needs the ``[spark]`` extra and a Java runtime; skipped with the reason elsewhere.
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal

import pytest

pyspark = pytest.importorskip("pyspark", reason="pyspark not installed (pip install '.[spark]')")
if shutil.which("java") is None:
    pytest.skip("no Java runtime: PySpark cannot start", allow_module_level=True)

from scraper.cli import main  # noqa: E402
from test_engine import HEADER, usage_lines  # noqa: E402
from test_reprice_cli import history, mirror  # noqa: E402,F401  (fixtures)


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[1]").appName("ratecard-test")
               .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "1")
               # a few hundred rows: interpreting beats compiling the query's generated code (its
               # stages and, factoryMode, each expression: half the test's time went to compiling)
               .config("spark.sql.codegen.wholeStage", "false").config("spark.sql.adaptive.enabled", "false")
               .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
               # the query reads ``rates`` and ``usage`` a dozen times: joined in the query's own job,
               # not a broadcast job per join (a cluster broadcasts the small rates: the README's recipe)
               .config("spark.sql.autoBroadcastJoinThreshold", "-1")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def row_id_shuffles(frame) -> list[int]:
    """The records each shuffle by row id wrote while ``frame`` was computed (its executed plan,
    adaptive stages opened)."""
    written = []

    def walk(node) -> None:
        if "QueryStage" in node.nodeName():
            node = node.plan()
        if node.nodeName() == "Exchange" and "hashpartitioning(row_id" in node.simpleString(200):
            metric = node.metrics().get("shuffleRecordsWritten")
            written.append(int(metric.get().value()))
        children = node.children()
        for i in range(children.size()):
            walk(children.apply(i))
    plan = frame._jdf.queryExecution().executedPlan()
    walk(plan.executedPlan() if plan.nodeName() == "AdaptiveSparkPlan" else plan)
    return written


def run(capsys, *args: str) -> str:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    return out


def test_spark_prices_like_reprice_to_the_last_unit(history, spark, capsys, tmp_path, rates_name="rates.parquet"):
    lines = usage_lines(300, 5)
    usage = tmp_path / "usage.csv"
    usage.write_text(HEADER + "".join(lines), encoding="utf-8")
    reference = json.loads(run(capsys, "reprice", str(usage), "--db", str(history), "--json"))
    rates = tmp_path / rates_name
    assert "wrote" in run(capsys, "export", "--db", str(history), "--rates", str(rates))
    query = run(capsys, "sql", "--db", str(history), "--dialect", "spark")

    names = HEADER.strip().split(",")
    records = [dict(zip(names, text.rstrip("\n").split(",")), line=n) for n, text in enumerate(lines, start=2)]
    frame = spark.createDataFrame(records, schema=", ".join(f"{n} STRING" for n in names) + ", line INT")
    frame.createOrReplaceTempView("usage")
    reader = spark.read.parquet(str(rates)) if rates_name.endswith(".parquet") else \
        spark.read.csv(str(rates), header=True, inferSchema=False)
    if rates_name.endswith(".csv"):  # CSV carries text: type the columns as the export documents them
        from db.reprice.rates import COLUMN_TYPES
        reader = reader.selectExpr(*(f"CAST({c} AS {t.replace('VARCHAR', 'STRING')}) AS {c}"
                                     for c, t in COLUMN_TYPES.items()))
    reader.createOrReplaceTempView("rates")
    priced = spark.sql(query.rstrip().rstrip(";"))
    got = {r["line"]: r for r in priced.collect()}
    # only rows inside a window are shuffled by row id, never every row, and no longer the whole
    # days (73 of these 300 rows: each (model, day) is priced once and joined back by that key)
    days = sum(1 for text in lines if len(text.split(",", 1)[0]) == 10)
    shuffled = row_id_shuffles(priced)
    assert shuffled and max(shuffled) < days < len(lines) // 2, (shuffled, days)

    assert len(got) == len(lines)
    priced = {r["line"]: r for r in reference["rows"]}
    unpriced = {u["line"]: u["field"] for u in reference["unpriced"]}
    assert len(priced) + len(unpriced) == len(lines) and priced and unpriced
    for line, row in got.items():
        if line in unpriced:
            assert row["unpriced_field"] == unpriced[line] and row["cost"] is None, line
            continue
        want = priced[line]
        assert row["unpriced_field"] is None and row["cost"] == Decimal(want["cost"]), (line, row, want)
        lowest = want["lowest_cost"]
        assert row["lowest_cost"] == (None if lowest is None else Decimal(lowest)), line
        assert row["uncertain"] == (want["uncertain_change"] is not None), line
    total = sum((r["cost"] for r in got.values() if r["cost"] is not None), Decimal(0))
    assert total == Decimal(reference["total"]["USD"])
    assert any(r["uncertain"] for r in got.values()) and any(r["lowest_cost"] is not None for r in got.values())


def test_spark_reads_a_billed_context_window_like_reprice(history, spark, capsys, tmp_path):
    """``ratecard sql --dialect spark --context-window`` on Anthropic's usage report shape: each
    row at the context tier its export says it was billed at, as ``reprice`` reads the file; a
    cell that is no window leaves its row unpriced on ``context_window`` (``reprice`` stops there)."""
    names = ["time", "provider", "model", "service_tier", "input_tokens", "output_tokens", "context_window"]
    windows = ["0-200k", "200k-1M", "", " 200K to 1m ", "300k-1M"]
    lines = [f"{t},anthropic,{model},,{prompt},10,{window}\n"
             for t in ("2025-09-02T10:00:00Z", "2025-09-20", "2025-08-01T00:00:00Z")
             for model in ("claude-sonnet-4", "claude-sonnet-4-20250514")
             for prompt in (1000, 300_000) for window in windows]
    usage = tmp_path / "report.csv"
    usage.write_text(",".join(names) + "\n" + "".join(lines), encoding="utf-8")
    reference = json.loads(run(capsys, "reprice", str(usage), "--db", str(history), "--json"))
    rates = tmp_path / "rates.parquet"
    run(capsys, "export", "--db", str(history), "--rates", str(rates))
    query = run(capsys, "sql", "--db", str(history), "--dialect", "spark", "--context-window")

    bad = ["200-1M", "big"]
    texts = lines + [f"2025-09-02T10:00:00Z,anthropic,claude-sonnet-4,,1000,10,{b}\n" for b in bad]
    records = [dict(zip(names, text.rstrip("\n").split(",")), line=n, **{f"{c}_tokens": None for c in
               ("input_cache_hit", "input_cache_write", "input_cache_write_1h")}) for n, text in enumerate(texts, start=2)]
    columns = names + [f"{c}_tokens" for c in ("input_cache_hit", "input_cache_write", "input_cache_write_1h")]
    spark.createDataFrame(records, schema=", ".join(f"{n} STRING" for n in columns) + ", line INT") \
        .createOrReplaceTempView("usage")
    spark.read.parquet(str(rates)).createOrReplaceTempView("rates")
    # as the README's recipe does: the priced table written as Parquet (each name once), then read
    table = spark.sql(query.rstrip().rstrip(";"))
    assert table.columns[:len(columns) + 1] == columns + ["line"] and len(set(table.columns)) == len(table.columns)
    table.write.parquet(str(tmp_path / "priced"))
    got = {r["line"]: r for r in spark.read.parquet(str(tmp_path / "priced")).collect()}

    priced = {r["line"]: Decimal(r["cost"]) for r in reference["rows"]}
    unpriced = {u["line"]: u["field"] for u in reference["unpriced"]}
    assert len(priced) + len(unpriced) == len(lines) and set(unpriced.values()) >= {"time"}
    assert {line: (r["cost"] if r["unpriced_field"] is None else r["unpriced_field"]) for line, r in got.items()} == {
        **priced, **unpriced, **{n: "context_window" for n in range(len(lines) + 2, len(texts) + 2)}}
    # the tier the window names, not the prompt's size: a 1,000-token prompt billed at 200k-1M
    tiered = [line for line, r in got.items() if texts[line - 2].endswith(",1000,10,200k-1M\n")
              and r["unpriced_field"] is None]
    assert tiered and all(priced[line] > priced[line - 1] for line in tiered)
