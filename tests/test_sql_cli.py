"""``ratecard sql``'s options, run by a plain DuckDB over the exported rate table: table names
(pasted into the query as they are, so only plain dotted names are taken), typed and missing
usage columns, one provider's table, ``--as``; and the one-line refusals of bad values."""

from __future__ import annotations

import pytest

duckdb = pytest.importorskip("duckdb")

from scraper.cli import main  # noqa: E402

USAGE = ("time,provider,model,service_tier,input_tokens,input_cache_hit_tokens,input_cache_write_tokens,"
         "input_cache_write_1h_tokens,output_tokens\n"
         "2025-03-01T10:00:00Z,deepseek,deepseek-chat,,1000,100,,,50\n"
         "2025-03-02,deepseek,deepseek-reasoner,,2000,,,,70\n")


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> str:
    db = tmp_path_factory.mktemp("sql") / "prices.db"
    assert main(["backfill", "--curated", "--db", str(db)]) == 0
    return str(db)


def printed(capsys, *args: str) -> str:
    """The query ``ratecard sql`` prints, without its closing semicolon."""
    capsys.readouterr()
    assert main(["sql", *args]) == 0
    return capsys.readouterr().out.rstrip().rstrip(";")


@pytest.fixture
def warehouse(history, tmp_path):
    """A DuckDB in UTC with the history's exported rate table as ``rates``, and ``USAGE`` written
    as a CSV file beside it."""
    usage = tmp_path / "usage.csv"
    usage.write_text(USAGE, encoding="utf-8")
    rates = tmp_path / "rates.parquet"
    assert main(["export", "--db", history, "--rates", str(rates)]) == 0
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE TABLE rates AS SELECT * FROM read_parquet('{rates}')")
    return con, usage


def refused(history, capsys, *args: str) -> tuple[str, str]:
    """``ratecard sql`` with a bad option value: bad usage (exit 2) with nothing printed; its
    last error line and all of stderr."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        main(["sql", "--db", history, *args])
    out, err = capsys.readouterr()
    assert stop.value.code == 2 and out == ""
    return err.strip().splitlines()[-1], err


def test_a_qualified_table_name_is_queried_where_it_lives(history, warehouse, capsys):
    con, usage = warehouse
    con.execute("CREATE SCHEMA analytics")
    for table in ("usage", "analytics.usage_2025"):
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{usage}', all_varchar = true)")
    con.execute("CREATE TABLE analytics.rates_v2 AS SELECT * FROM rates")
    plain = printed(capsys, "--db", history)
    named = printed(capsys, "--db", history, "--usage-table", "analytics.usage_2025",
                    "--rates-table", "analytics.rates_v2")
    assert "analytics.usage_2025" in named and "analytics.rates_v2" in named
    costs = [con.execute(f"SELECT model, cost FROM ({q}) ORDER BY model").fetchall() for q in (plain, named)]
    assert costs[0] == costs[1] and len(costs[0]) == 2 and all(cost is not None for _, cost in costs[0])


@pytest.mark.parametrize("name", ["x; DROP TABLE prices", "usage--", "a.b.c.d", "1usage", "us age", "\x1b[2Jusage",
                                  "usage'", '"usage"', ""])
@pytest.mark.parametrize("option", ["--usage-table", "--rates-table"])
def test_a_name_that_is_not_a_plain_table_name_is_refused(history, capsys, name, option):
    last, err = refused(history, capsys, option, name)
    assert last.startswith(f"ratecard sql: error: argument {option}: ") and "is not a table name" in last
    assert "\x1b" not in err


def test_a_typed_usage_table_prices_as_its_text(history, warehouse, capsys):
    """A warehouse table's ``time`` is often a TIMESTAMP (with or without zone) or a DATE, and its
    token columns integers: priced as the same rows written as text (a date alone is the whole
    UTC day in both)."""
    con, _ = warehouse
    query = printed(capsys, "--db", history)
    texts = [("2025-03-01T10:00:00Z", "deepseek-chat", "1000", "50"), ("2025-03-02", "deepseek-reasoner", "2000", "70"),
             ("2025-09-29T16:45:30.250Z", "deepseek-chat", "300", "9")]
    values = ", ".join(f"('{t}', 'deepseek', '{m}', NULL, '{i}', NULL, NULL, NULL, '{o}')" for t, m, i, o in texts)
    names = ("time, provider, model, service_tier, input_tokens, input_cache_hit_tokens, input_cache_write_tokens,"
             " input_cache_write_1h_tokens, output_tokens")
    con.execute(f"CREATE TABLE text_usage AS SELECT * FROM (VALUES {values}) v({names})")
    want = con.execute(f"SELECT cost, unpriced_field, priced_whole_day FROM ({query.replace('FROM usage ', 'FROM text_usage ')})"
                       " ORDER BY start_us").fetchall()
    assert len(want) == 3 and all(cost is not None for cost, _, _ in want)
    for time_type in ("TIMESTAMPTZ", "TIMESTAMP", "DATE"):  # a DATE column holds the dates alone
        kept = "length(time) = 10" if time_type == "DATE" else "length(time) > 10"
        con.execute(f"""CREATE OR REPLACE TABLE usage AS SELECT CAST(replace(time, 'Z', '') AS {time_type}) AS time,
            provider, model, service_tier, CAST(input_tokens AS BIGINT) AS input_tokens,
            CAST(input_cache_hit_tokens AS BIGINT) AS input_cache_hit_tokens, CAST(input_cache_write_tokens AS BIGINT)
            AS input_cache_write_tokens, CAST(input_cache_write_1h_tokens AS INTEGER) AS input_cache_write_1h_tokens,
            CAST(output_tokens AS INTEGER) AS output_tokens FROM text_usage WHERE {kept}""")
        got = con.execute(f"SELECT cost, unpriced_field, priced_whole_day FROM ({query}) ORDER BY start_us").fetchall()
        assert got == ([want[1]] if time_type == "DATE" else [want[0], want[2]]), time_type


def test_columns_a_usage_table_lacks_are_named_and_taken_as_empty(history, warehouse, capsys):
    """A table with only input and output tokens and no service tier: ``--missing`` names the
    others, priced as the full table whose cells there are empty."""
    con, usage = warehouse
    con.execute(f"CREATE TABLE full_usage AS SELECT * REPLACE (NULL AS input_cache_hit_tokens)"
                f" FROM read_csv('{usage}', all_varchar = true)")
    con.execute("CREATE TABLE usage AS SELECT time, provider, model, input_tokens, output_tokens FROM full_usage")
    lacking = "service_tier,input_cache_hit_tokens,input_cache_write_tokens,input_cache_write_1h_tokens"
    narrow = printed(capsys, "--db", history, "--missing", lacking)
    full = printed(capsys, "--db", history, "--usage-table", "full_usage")
    got, want = (con.execute(f"SELECT model, cost, input_rate_price FROM ({q}) ORDER BY model").fetchall()
                 for q in (narrow, full))
    assert got == want and len(got) == 2 and all(cost is not None for _, cost, _ in got)


@pytest.mark.parametrize("missing, said", [
    ("time", "'time': not a column a usage table may lack"),
    ("input_tokens,nope", "'nope': not a column a usage table may lack"),
    ("input_tokens,input_cache_hit_tokens,input_cache_write_tokens,input_cache_write_1h_tokens,output_tokens",
     "every token column is missing: nothing would be priced"),
])
def test_missing_names_only_the_columns_a_table_may_lack(history, capsys, missing, said):
    last, _ = refused(history, capsys, "--missing", missing)
    assert last == (
        f"ratecard sql: error: argument --missing: {said}"
        + ("" if said.startswith("every") else " (those are service_tier, input_tokens, input_cache_hit_tokens,"
           " input_cache_write_tokens, input_cache_write_1h_tokens, output_tokens)"))


def test_a_table_of_one_providers_rows_without_a_provider_column(history, warehouse, capsys):
    """``--provider``: every row's provider, as ``reprice --provider`` gives a file without the
    column; priced as the same rows with the column."""
    con, usage = warehouse
    con.execute(f"CREATE TABLE full_usage AS SELECT * FROM read_csv('{usage}', all_varchar = true)")
    con.execute("CREATE TABLE usage AS SELECT * EXCLUDE (provider) FROM full_usage")
    alone = printed(capsys, "--db", history, "--provider", " DeepSeek ")
    full = printed(capsys, "--db", history, "--usage-table", "full_usage")
    got, want = (con.execute(f"SELECT model, provider_id, cost FROM ({q}) ORDER BY model").fetchall() for q in (alone, full))
    assert got == want and [p for _, p, _ in got] == ["deepseek", "deepseek"] and all(c is not None for _, _, c in got)


@pytest.mark.parametrize("provider", ["deep'seek", "a b", "x\\y", "", "\x1b[2J"])
def test_a_provider_that_is_no_plain_id_is_refused(history, capsys, provider):
    last, err = refused(history, capsys, "--provider", provider)
    assert "\x1b" not in err
    assert last.startswith("ratecard sql: error: argument --provider: '") and last.endswith(
        "' is not a provider id (letters, digits, . _ -)")


@pytest.mark.parametrize("as_model", ["anthropic/claude-3-7-sonnet", "ANTHROPIC/Claude-3-7-Sonnet"])
def test_the_same_tokens_priced_on_another_model_as_reprice_prices_them(history, warehouse, capsys, as_model):
    """``sql --as``: each row's tokens on another model, as ``reprice --as`` prices the file
    (a cache hit on a model with a cache price, whole days at the day's lowest)."""
    import json
    from decimal import Decimal

    con, usage = warehouse
    capsys.readouterr()
    assert main(["reprice", "--db", history, str(usage), "--json", "--as", as_model]) == 0
    reference = json.loads(capsys.readouterr().out)
    query = printed(capsys, "--db", history, "--as", as_model)
    con.execute(f"CREATE TABLE usage AS SELECT row_number() OVER () + 1 AS line, *"
                f" FROM read_csv('{usage}', all_varchar = true)")
    got = con.execute(f"SELECT line, priced_provider_id, priced_model_id, cost FROM ({query}) ORDER BY line").fetchall()
    assert got == [(r["line"], "anthropic", "claude-3-7-sonnet", Decimal(r["cost"])) for r in reference["rows"]]
    assert len(got) == 2


def test_as_a_model_the_history_has_no_price_for_is_one_line(history, capsys):
    capsys.readouterr()
    assert main(["sql", "--db", history, "--as", "anthropic/claude-99"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == ("ratecard sql: --as: 'anthropic/claude-99' is not a PROVIDER/MODEL with USD prices"
                                 " in the history\n")
