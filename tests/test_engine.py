"""The columnar engine (DuckDB) against the row pricer, the reference: every row's cost, lowest
cost, uncertain-window costs, components and unpriced field must be equal, on one history with
promo ends, off-peak windows, an uncertain change, long-context and service tiers, snapshot and
mixed-case ids, whole-day rows at every edge, with and without ``--at`` and ``--as``."""

from __future__ import annotations

import gzip
import io
import itertools
import random
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

duckdb = pytest.importorskip("duckdb")

from db.reprice.engine import Engine  # noqa: E402
from db.reprice.pricer import Priced, Pricer, When  # noqa: E402
from db.reprice.usage import TOKEN_COMPONENTS, UsageError, read_usage  # noqa: E402
from db.reprice.writers import csv_cell  # noqa: E402
from parsers.quote import decimal_text  # noqa: E402
from test_reprice import DEEPSEEK, MISTRAL, utc, versions  # noqa: E402
from test_reprice_when import A, B, cut  # noqa: E402

LONG = (versions("anthropic", "claude-sonnet-4", "USD", "2025-08-12", input=("3", None),
                 input_cache_hit=("0.3", None), output=("15", None))
        + versions("anthropic", "claude-sonnet-4", "USD", "2025-08-12", tier="context>200k",
                   input=("6", None), output=("22.5", None))
        + versions("anthropic", "claude-sonnet-4", "USD", "2025-09-15", tier="context>500k",
                   input=("9", None), output=("30", None)))
BATCH = (versions("openai", "gpt-4.1", "USD", "2025-04-14", input=("2", None), output=("8", None))
         + versions("openai", "gpt-4.1", "USD", "2025-04-14", tier="batch", input=("1", None), output=("4", None)))
UNCERTAIN = [replace(v, model="deepseek-reasoner") for v in cut()]
HISTORY = DEEPSEEK + MISTRAL + LONG + BATCH + UNCERTAIN
PUBLISHED = {"deepseek": {"CNY", "USD"}, "mistral": {"USD"}, "anthropic": {"USD"}, "openai": {"USD"}}
HEADER = "time,provider,model,service_tier," + ",".join(f"{c}_tokens" for c in TOKEN_COMPONENTS) + "\n"

EDGES = ["2025-02-08T16:00:00", "2025-02-20T00:00:00", "2025-02-26T00:00:00", "2025-03-03T00:30:00",
         "2025-03-03T16:30:00", "2025-08-12T00:00:00", "2025-09-15T00:00:00", A, B, "2025-09-29T12:00:00"]
MODELS = [("deepseek", "deepseek-chat"), ("deepseek", "DeepSeek-Chat"), ("deepseek", "deepseek-reasoner"),
          ("mistral", "mistral-large-2411"), ("mistral", "mistral-large-2411-0709"),
          ("anthropic", "claude-sonnet-4"), ("anthropic", "claude-sonnet-4-20250514"),
          ("openai", "gpt-4.1"), ("openai", "gpt-5"), ("xai", "grok-4")]


def usage_lines(n: int, seed: int) -> list[str]:
    """Rows at, just before and just after every edge, whole days around them, all models."""
    rng = random.Random(seed)
    lines = []
    for _ in range(n):
        edge = utc(rng.choice(EDGES))
        shift = rng.choice([0, -1, 1, -1800, 1800, -86400, 86400 * 3, rng.randrange(-10**6, 10**6)])
        t = edge + timedelta(seconds=shift)
        provider, model = rng.choice(MODELS)
        roll = rng.random()
        text = (t.date().isoformat() if roll < 0.25 else
                t.strftime("%Y-%m-%dT%H:%M:%S.000Z") if roll < 0.5 else
                t.strftime("%Y-%m-%dT%H:%M:%SZ") if roll < 0.75 else t.strftime("%Y-%m-%d %H:%M:%S"))
        tier = rng.choice(["", "", "", "default", "batch", "flex"]) if provider == "openai" else ""
        prompt = rng.choice([0, 1000, 200_000, 200_001, 499_999, 600_000])
        hit = rng.randrange(prompt + 1) if rng.random() < 0.5 else 0
        writes = rng.choice([0, 0, 0, 5000])
        tokens = (prompt - hit, hit, writes, 0, rng.randrange(5000))
        lines.append(f"{text},{provider},{model},{tier}," + ",".join(map(str, tokens)) + "\n")
    return lines


def expected(pricer: Pricer, path: Path, at=None, target=None) -> list[tuple]:
    out = []
    for row in read_usage(path):
        p = pricer.price(row, at, target)
        if not isinstance(p, Priced):
            out.append((row.line, p.field))
            continue
        u = p.uncertain
        out.append((row.line, None, p.provider, p.model, p.units, p.lowest_units, p.whole_day,
                    None if u is None else (u.units_before, u.units_after),
                    tuple((c, t, r.units, decimal_text(r.price), r.tier, r.promo, units)
                          for c, t, r, units in p.components)))
    return out


def engine_text(engine: Engine, path: Path, fmt: str = "csv") -> str:
    """``reprice`` of ``path`` as ``fmt``, written by ``engine``."""
    engine.load(path)
    engine.price()
    out = io.StringIO()
    engine.write(fmt, out, str(path))
    return out.getvalue()


def engine_rows(engine: Engine) -> list[tuple]:
    from db.reprice.engine import rate_list_sql
    from db.reprice.writers import UNPRICED_FIELD, define_rate_texts

    define_rate_texts(engine.con)
    comps = ", ".join(f"{c}_tokens, {c}_rate_units, {rate_list_sql(c, 'price')}, {rate_list_sql(c, 'tier')},"
                      f" {rate_list_sql(c, 'promo')}, {c}_cost_units" for c in TOKEN_COMPONENTS)
    out = []
    for r in engine.con.execute(f"SELECT line, {UNPRICED_FIELD}, priced_provider_id, priced_model_id, cost_units,"
                                f" lowest_units, priced_whole_day, uncertain, units_before_change,"
                                f" units_after_change, {comps} FROM priced ORDER BY line").fetchall():
        line = engine.shown_line(r[0])  # the line the row reader gives (a document's records: its first)
        if r[1] is not None:
            out.append((line, r[1]))
            continue
        parts = []
        for k, c in enumerate(TOKEN_COMPONENTS):
            tokens, units, price, tier, promo, cost = r[10 + 6 * k: 16 + 6 * k]
            if tokens:
                parts.append((c, tokens, units, price, tier, promo, cost))
        out.append((line, None, r[2], r[3], r[4], r[5], r[6], (r[8], r[9]) if r[7] else None, tuple(parts)))
    return out


@pytest.fixture(scope="module")
def pricer() -> Pricer:
    return Pricer(HISTORY, "USD", PUBLISHED)


@pytest.fixture(scope="module")
def engine(pricer):
    with Engine(pricer, threads=2, stream_from_bytes=0) as engine:  # --summary streams every file
        yield engine


@pytest.fixture(scope="module")
def usage(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("engine") / "usage.csv"
    path.write_text(HEADER + "".join(usage_lines(1000, 17)), encoding="utf-8")
    return path


@pytest.mark.parametrize("at", [None, When(utc("2025-09-29"), True), When(utc("2025-03-03T16:30:00")),
                                When(utc("2025-02-08"), True)])
def test_every_row_equals_the_row_pricer(pricer, engine, usage, at):
    engine.load(usage)
    engine.price(at)
    got, want = engine_rows(engine), expected(pricer, usage, at)
    assert len(got) == 1000
    assert [g for g, w in zip(got, want) if g != w] == []
    kinds = {w[1] for w in want}  # the sample reaches every kind of row
    assert {None, "model", "provider", "tier", "input_cache_hit"} <= kinds, kinds
    if at is None:
        assert "time" in kinds and any(w[1] is None and w[7] is not None for w in want)
    assert any(w[1] is None and w[5] is not None for w in want) or at == When(utc("2025-03-03T16:30:00"))


def test_as_another_model_bills_missing_cache_rates_at_the_next_rate(pricer, engine, usage):
    engine.load(usage)
    engine.price(None, ("mistral", "mistral-large-2411"))
    assert engine_rows(engine) == expected(pricer, usage, None, ("mistral", "mistral-large-2411"))
    billed = engine.con.execute("SELECT count(*) FROM priced WHERE input_cache_hit_billed_as = 'input'").fetchone()[0]
    assert billed > 0


def test_gzip_json_and_parquet_input_price_the_same(pricer, engine, usage, tmp_path):
    engine.load(usage)
    engine.price()
    reference = [r[1:] for r in engine_rows(engine)]
    zipped = tmp_path / "usage.csv.gz"
    zipped.write_bytes(gzip.compress(usage.read_bytes()))
    parquet = tmp_path / "usage.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_csv('{usage}', all_varchar = true)) TO '{parquet}' (FORMAT PARQUET)")
    jsonl = tmp_path / "usage.jsonl"
    con.execute(f"COPY (SELECT * FROM read_csv('{usage}', all_varchar = true)) TO '{jsonl}' (FORMAT JSON)")
    for path in (zipped, parquet, jsonl):
        engine.load(path)
        engine.price()
        assert [r[1:] for r in engine_rows(engine)] == reference, path


def test_a_long_gzip_file_is_read_in_runs_from_its_text(pricer, usage, tmp_path):
    """A gzip file past ``stream_from_bytes``: DuckDB reads gzip with one thread and cannot cut
    it into runs (it would be held whole), so its text is decompressed to a temporary file and
    read in runs like a plain file's; the same bytes as the plain file, and the text gone with
    the engine (its summary: ``test_engine_grouped``)."""
    zipped = tmp_path / "usage.csv.gz"
    zipped.write_bytes(gzip.compress(usage.read_bytes()))
    got = {}
    for path in (usage, zipped):
        with Engine(pricer, threads=2, stream_from_bytes=0, chunk_lines=300) as engine:
            engine.load(path)
            runs = engine.loaded.runs
            assert runs is not None and runs.path == str(path) and engine.loaded.path == str(path)
            if path == zipped:
                assert Path(runs.text).parent == engine.tmpdir and Path(runs.text).read_bytes() == usage.read_bytes()
            else:
                assert runs.text == str(usage)
            engine.price()
            out = io.StringIO()
            totals = engine.write("csv", out, "u.csv")
            got[path] = (out.getvalue().replace(str(path), "FILE"), totals.units, totals.by_model_month,
                         [(u.row.line, u.field, u.reason) for u in totals.unpriced], totals.uncertain_rows)
            tmpdir = engine.tmpdir
        assert not tmpdir.exists()
    assert got[usage] == got[zipped]
    assert got[usage][0].count("\n") == 1001


@pytest.mark.parametrize("cut", ["bad cell", "cut short"])
def test_a_long_gzip_files_bad_row_is_named_in_the_gzip_file(pricer, usage, tmp_path, cut):
    """A bad cell on line 1001 of a long gzip file (in its third run), or a gzip file cut short
    past its first 64 KB of text: the row reader's message, naming the gzip file."""
    lines = usage.read_text().splitlines(keepends=True)
    if cut == "bad cell":
        text = "".join(lines[:1000] + [lines[1000].rsplit(",", 1)[0] + ',"abc"\n'] + lines[1001:])
        data = gzip.compress(text.encode())
    else:
        data = gzip.compress("".join(lines[:1] + lines[1:] * 4).encode())
        data = data[:len(data) * 3 // 4]
    path = tmp_path / "bad.csv.gz"
    path.write_bytes(data)
    with pytest.raises(UsageError) as caught:
        list(read_usage(path))
    assert str(caught.value).startswith(f"{path}:")
    with Engine(pricer, threads=2, stream_from_bytes=0, chunk_lines=900) as engine:
        with pytest.raises(UsageError) as got:
            engine.load(path)
            engine.price()
            engine.write("csv", io.StringIO(), str(path))
        assert str(got.value) == str(caught.value)
        assert cut != "bad cell" or str(got.value).startswith(f"{path}:1001: output_tokens: ")


@pytest.mark.parametrize("cell, message", [
    ("12,5", "'12,5' is not a whole number of tokens"),
    ("-3", "-3 is negative"),
    ("abc", "'abc' is not an integer"),
])
@pytest.mark.parametrize("read", ["kept", "runs", "grouped totals"])
def test_a_bad_row_is_the_row_readers_message_and_nothing_is_priced(pricer, usage, tmp_path, cell, message, read):
    """A kept file is checked as it is read; a file past ``stream_from_bytes`` by the pass that
    reads its cells: per row, the run of lines it is in (the bad line is in the third run of
    450); --summary's totals by the one pass that groups the rows -- before anything is
    written, every time."""
    lines = usage.read_text().splitlines(keepends=True)
    bad = lines[:1000] + [lines[1000].rsplit(",", 1)[0] + f',"{cell}"\n'] + lines[1001:]
    path = tmp_path / "bad.csv"
    path.write_text("".join(bad))
    with pytest.raises(UsageError) as caught:
        list(read_usage(path))
    totals_only = read == "grouped totals"
    with Engine(pricer, threads=2, stream_from_bytes=10**12 if read == "kept" else 0, chunk_lines=450) as engine:
        out = io.StringIO()
        with pytest.raises(UsageError) as got:
            engine.load(path, totals_only=totals_only)
            assert read == "runs"
            assert engine.loaded.runs is not None and engine.loaded.streamed
            engine.price(totals_only=totals_only)
            engine.write("summary" if totals_only else "csv", out, str(path))
        assert str(got.value) == str(caught.value)
        assert str(got.value).startswith(f"{path}:1001: output_tokens: ") and message in str(got.value)
        assert engine.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'usage_rows'").fetchone()[0] == 0
        assert engine.totals is None and engine.loaded is None
        assert out.getvalue() == "" and not list(engine.tmpdir.glob("rows-*"))


def test_a_row_duckdb_cannot_parse_in_a_file_read_in_runs_is_named_by_the_row_reader(pricer, usage, tmp_path):
    """A file past ``stream_from_bytes`` with a cell too many on line 701 (its third run of
    300): named as the row reader names it, and nothing is written."""
    lines = usage.read_text().splitlines(keepends=True)
    lines[700] = lines[700].rstrip("\n") + ",1\n"
    path = tmp_path / "extra.csv"
    path.write_text("".join(lines))
    with pytest.raises(UsageError) as caught:
        list(read_usage(path))
    out = io.StringIO()
    with Engine(pricer, threads=2, stream_from_bytes=0, chunk_lines=300) as engine:
        with pytest.raises(UsageError) as got:
            engine.load(path)
            engine.price()
            engine.write("csv", out, str(path))
        assert str(got.value) == str(caught.value) and f"{path}:701:" in str(got.value)
        assert out.getvalue() == "" and engine.loaded is None


@pytest.mark.parametrize("row", ["2025-03-01T10:00:00Z,,deepseek-chat,,1,0,0,0,1",
                                 "2025-03-01T10:00:00Z,openai,gpt-4.1,premium,1,0,0,0,1",
                                 "yesterday,deepseek,deepseek-chat,,1,0,0,0,1"])
def test_a_streamed_summary_names_a_row_whose_key_or_time_is_bad(engine, tmp_path, row):
    """Rows the totals' join cannot place (no provider, an unknown service tier, no time) are
    found by the count of rows, and named as the row reader names them."""
    path = tmp_path / "k.csv"
    path.write_text(HEADER + "2025-03-01T10:00:00Z,deepseek,deepseek-chat,,1000,0,0,0,1\n" + row + "\n")
    with pytest.raises(UsageError) as caught:
        list(read_usage(path))
    with pytest.raises(UsageError) as got:
        engine.load(path, totals_only=True)
        engine.price(totals_only=True)
    assert str(got.value) == str(caught.value) and f"{path}:3: " in str(got.value)


def test_a_bad_time_names_its_line(engine, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(HEADER + "2025-03-01T10:00:00Z,deepseek,deepseek-chat,,1,0,0,0,1\n"
                    + "yesterday,deepseek,deepseek-chat,,1,0,0,0,1\n")
    with pytest.raises(UsageError, match=r"t\.csv:3: time: 'yesterday' is not an ISO 8601 time or date"):
        engine.load(path)  # past stream_from_bytes (0 here): named as its run of lines is read
        engine.price()


def test_blank_lines_keep_the_files_line_numbers(pricer, engine, tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text(HEADER + "\n" + "2025-03-01T10:00:00Z,deepseek,deepseek-chat,,1000,0,0,0,1\n\n"
                    + "2025-03-01T17:00:00Z,deepseek,nope,,1,0,0,0,1\n")
    engine.load(path)
    engine.price()
    assert engine.con.execute("SELECT line, unpriced_field FROM priced ORDER BY line").fetchall() == [
        (3, None), (5, "model")]
    assert engine.con.execute("SELECT cost_units FROM priced WHERE line = 3").fetchone()[0] == \
        pricer.price(next(read_usage(path))).units


def test_money_is_exact_decimal(pricer, engine, usage):
    engine.load(usage)
    engine.price()
    total = engine.con.execute("SELECT sum(cost_units) FROM priced").fetchone()[0]
    rows = [pricer.price(r) for r in read_usage(usage)]
    assert pricer.money(total) == pricer.money(sum(p.units for p in rows if isinstance(p, Priced)))
    assert isinstance(pricer.money(total), Decimal)


def test_csv_lines_are_duckdbs_csv_writer_bytes_with_odd_text(tmp_path):
    """The CSV rows are made as one text per line: cells with a comma, quote, ``#`` or line
    break (in the file name, ids and the row pricer's reasons) are quoted exactly as DuckDB's
    CSV writer quotes them, and Python's csv reader reads back the very ids."""
    import csv as csvmod
    import io
    import json

    from db.reprice.writers import CSV_COLUMNS

    folder = tmp_path / "a,b #c"
    folder.mkdir()
    path = folder / 'use "d".csv'
    odd = ["gpt,4", 'say "hi"', "m#1", "back\\slash", "é-modèle", "plain"]
    lines = usage_lines(200, 5) + [f"2025-03-03T10:00:00Z,deepseek,{csv_cell(m)},,10,0,0,0,5\n" for m in odd]
    lines += ['2025-03-03T10:00:00Z,"we,ird",x,,1,0,0,0,1\n']
    pricer = Pricer(HISTORY + [v for m in odd[:-1] for v in versions("deepseek", m, "USD", "2025-01-01",
                                                                     input=("1", None), output=("2.5", None))],
                    "USD", PUBLISHED)
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    with Engine(pricer, threads=2) as engine:
        text = engine_text(engine, path)
        native = tmp_path / "native.csv"
        columns = [c if c not in ("uncertain_change", "notes") else
                   {"uncertain_change": "CASE WHEN uncertain THEN iso(changed_after_us) || '/' || iso(changed_by_us)"
                                        " END AS uncertain_change",
                    "notes": "CASE WHEN has_notes THEN nullif(array_to_string(notes, '; '), '') END AS notes"}[c]
                   for c in CSV_COLUMNS]
        engine.con.execute(f"COPY (SELECT {', '.join(columns)} FROM out) TO '{native}' (FORMAT CSV, HEADER true)")
        document = io.StringIO()
        engine.write("json", document, str(path))
    assert text == native.read_text(encoding="utf-8")
    rows = list(csvmod.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == len(lines)
    assert [r["model"] for r in rows[200:206]] == odd and {r["file"] for r in rows} == {str(path)}
    assert rows[-1]["unpriced_field"] == "provider" and "we,ird" in rows[-1]["unpriced_reason"]
    # the JSON rows, made as text, are the row writer's document
    from db.reprice import reference

    expected_json = io.StringIO()
    reference.write_json(pricer, reference.priced_rows(pricer, str(path)), expected_json)
    assert json.loads(document.getvalue()) == json.loads(expected_json.getvalue())
    doc = json.loads(document.getvalue())
    assert [r["model"] for r in doc["rows"] if r["line"] in range(202, 208)] == odd[:-1]
    assert [(u["line"], u["model"]) for u in doc["unpriced"] if u["line"] in range(202, 208)] == [(207, "plain")]


def test_made_lines_are_written_byte_for_byte(tmp_path):
    """The text writers' lines (CSV, JSON, table) reach the file as made: no quote added, none
    doubled, no escape, whatever bytes a line holds (the writer's forced empty quotes)."""
    import duckdb

    from db.reprice.writers import copy_lines

    texts = ['{"a":"b\\"c"}', 'x,y;z\ty', "é ü 😀", "", 'q""q', '"quoted, cell"', "two\nlines", "has\x01delim",
             "NULL", "#1", "back\\slash\r"]
    target = tmp_path / "lines.txt"
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT unnest($1) AS v, unnest(range(len($1))) AS k", [texts])
    copy_lines(con, "SELECT v FROM t ORDER BY k", str(target))
    assert target.read_bytes() == "".join(t + "\n" for t in texts).encode("utf-8")


@pytest.mark.parametrize("scale", [0, 3, 11, 12])
def test_money_text_is_the_exact_decimal_of_the_units(scale):
    """The SQL money text equals Python's exact decimal of the units, on both of its paths (up
    to 18 digits, the DECIMAL text at the scale of its last significant digit; beyond, the digit
    arithmetic)."""
    from db.reprice.writers import define_macros

    k = 6 + scale
    values = [0, 1, 7, 10, 100, 10 ** k, 10 ** k + 1, 5 * 10 ** (k - 1), 10 ** 18 - 1, 10 ** 18, 2 ** 63 - 1,
              -1, -(10 ** k), *(random.Random(scale).randrange(10 ** 15) for _ in range(300)),
              # every count of trailing zeros (each is written at its own scale), either sign
              *(sign * d * 10 ** z for z in range(k + 3) for d in (1, 7, 12345, 999999) for sign in (1, -1)
                if d * 10 ** z < 10 ** 18)]
    con = duckdb.connect()
    define_macros(con, scale)
    got = con.execute("SELECT u, money(u) FROM unnest(CAST($1 AS BIGINT[])) t(u)", [values]).fetchall()
    want = [(u, decimal_text(Decimal(u).scaleb(-k))) for u in values]
    assert [g for g, w in zip(got, want) if g != w and g[0] >= 0] == []
    assert con.execute("SELECT money(NULL)").fetchone()[0] is None
    if k <= 17:  # the DECIMAL path also writes a negative amount exactly
        assert [g for g, w in zip(got, want) if g != w and -(10 ** 18) < g[0] < 0] == []


def test_table_cells_are_pythons_padding_and_thousands_separators():
    """The table's columns are padded as Python's ``{:<n}``/``{:>n}`` pad (characters, not
    bytes; a longer text stays whole) and token counts grouped as ``{:,}`` groups them, on both
    sides of each branch of the SQL (below a thousand, below a million, past it)."""
    from db.reprice.writers import _grouped_sql, _pad_sql

    con = duckdb.connect()
    counts = [1, 9, 999, 1000, 1001, 10_010, 999_999, 1_000_000, 1_234_567, 10 ** 12 + 5, 2 ** 63 - 1]
    got = con.execute(f"SELECT {_grouped_sql('n')} FROM unnest(CAST($1 AS BIGINT[])) t(n)", [counts]).fetchall()
    assert [g for (g,) in got] == [f"{n:,}" for n in counts]
    texts = ["", "a", "abcdef", "abcdefg", "e\u0301t\u00e9", "\u4e2d\u6587", "claude-sonnet-4-20250514-long-model-name"]
    got = con.execute(f"SELECT {_pad_sql('x', 6)}, {_pad_sql('x', 6, left=True)} FROM unnest($1) t(x)",
                      [texts]).fetchall()
    assert got == [(f"{x:<6}", f"{x:>6}") for x in texts]


@pytest.mark.parametrize("fmt", ["csv", "json", "table", "summary"])
def test_outputs_equal_the_row_writers(pricer, engine, usage, fmt):
    import io
    import json

    from db.reprice import reference as rows

    reference = io.StringIO()
    if fmt == "summary":
        totals, unpriced = rows.Totals(), []
        for p in rows.priced_rows(pricer, str(usage)):
            totals.add(p) if isinstance(p, Priced) else unpriced.append(p)
        rows.write_totals(pricer, totals, unpriced, reference, True)  # the engine writes the exact form
    elif fmt == "table":
        rows.write_text(pricer, rows.priced_rows(pricer, str(usage)), reference, True)
    else:
        writer = {"csv": rows.write_csv, "json": rows.write_json}[fmt]
        writer(pricer, rows.priced_rows(pricer, str(usage)), reference)
    engine.load(usage, totals_only=fmt == "summary")
    engine.price(totals_only=fmt == "summary")
    got = io.StringIO()
    engine.write(fmt, got, str(usage))
    if fmt == "json":
        assert json.loads(got.getvalue()) == json.loads(reference.getvalue())
    else:
        assert got.getvalue() == reference.getvalue()


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
@pytest.mark.parametrize("at, target", [(None, ("mistral", "mistral-large-2411")),
                                        (When(utc("2025-09-29"), True), None)])
def test_outputs_of_moved_rows_and_whole_days_equal_the_row_writers(pricer, engine, usage, fmt, at, target):
    """Every piece of a row's text that may be absent: ``--as`` moves every row to another model
    (JSON's ``used``, the table's "tokens used on", a cache rate billed as another's note), and
    a date gives whole-day rows their lowest cost and note (the row's text is one ``concat``:
    an absent piece must be empty, never the whole row's NULL).  The rows are written in two
    parts side by side (``part_min_lines``), each on a connection of its own."""
    import io
    import json

    from db.reprice import reference as rows

    reference = io.StringIO()
    results = rows.priced_rows(pricer, str(usage), at, target)
    if fmt == "table":
        rows.write_text(pricer, results, reference, True)
    else:
        {"csv": rows.write_csv, "json": rows.write_json}[fmt](pricer, results, reference)
    engine.part_min_lines = 300
    engine.load(usage)
    engine.price(at, target)
    assert engine.part_spans() == [(2, 501), (502, 1001)]
    got = io.StringIO()
    engine.write(fmt, got, str(usage), at, target)
    text = got.getvalue()
    if target is not None:
        assert ("tokens used on" if fmt == "table" else "has no price on this model: billed as") in text
    else:
        assert "lowest possible" in text if fmt == "table" else "date without time during a day" in text
    if fmt == "json":
        document = json.loads(text)
        assert document == json.loads(reference.getvalue())
        assert any("used" in r for r in document["rows"])  # the case is reached
    else:
        assert text == reference.getvalue()


def test_parquet_output_has_exact_decimal_costs(pricer, engine, usage, tmp_path):
    engine.load(usage)
    engine.price()
    target = tmp_path / "out.parquet"
    totals = engine.write("parquet", None, str(usage), rows_to=target)
    con = duckdb.connect()
    kind, total = con.execute(f"SELECT any_value(typeof(cost)), sum(cost) FROM read_parquet('{target}')").fetchone()
    assert kind.startswith("DECIMAL(38,") and total == pricer.money(totals.units)
    assert con.execute(f"SELECT count(*) FROM read_parquet('{target}')").fetchone()[0] == 1000


def test_rate_table_csv_and_parquet_exports_hold_the_same_rows(pricer, tmp_path):
    from db.reprice.rates import compile_rates, write_rates

    table = compile_rates(pricer)
    write_rates(table, tmp_path / "r.parquet")
    write_rates(table, tmp_path / "r.csv")
    con = duckdb.connect()
    parquet = con.execute(f"SELECT * FROM read_parquet('{tmp_path / 'r.parquet'}') ORDER BY ordinal").fetchall()
    assert len(parquet) == len(table.rows) and parquet == [tuple(r) for r in table.rows]
    assert (tmp_path / "r.csv").read_text().count("\n") == len(table.rows) + 1
    assert {r[2] for r in table.rows} == {"late", "early", "window"}


def printed_query(pricer: Pricer, tmp_path: Path, context_window: bool = False) -> str:
    """What ``ratecard sql --dialect duckdb`` prints for ``pricer``'s history, whose rate table
    it writes to ``tmp_path / 'rates.parquet'``."""
    from db.reprice.pricing_sql import canonical_usage, pricing_sql
    from db.reprice.rates import compile_rates, write_rates

    write_rates(compile_rates(pricer), tmp_path / "rates.parquet")
    return pricing_sql("duckdb", usage=f"({canonical_usage('duckdb', context_window=context_window)}) typed",
                       scale=pricer.scale)


def printed_query_rows(pricer: Pricer, usage: Path, tmp_path: Path, *extra: str,
                       context_window: bool = False) -> list[tuple]:
    """What ``ratecard sql --dialect duckdb`` prints, run by a plain DuckDB over the CSV ``usage``
    as the canonical usage table (its cells as text, token columns it lacks empty) and the
    exported rate table: each row's line, unpriced field, cost units, lowest units, uncertain
    flag and ``extra`` columns, in line order."""
    rates = tmp_path / "rates.parquet"
    query = printed_query(pricer, tmp_path, context_window)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE TABLE usage AS SELECT row_number() OVER () + 1 AS line, *"
                f" FROM read_csv('{usage}', all_varchar = true)")
    have = {name for (name,) in con.execute("SELECT column_name FROM (DESCRIBE usage)").fetchall()}
    for c in TOKEN_COMPONENTS:
        if f"{c}_tokens" not in have:
            con.execute(f"ALTER TABLE usage ADD COLUMN {c}_tokens VARCHAR")
    con.execute(f"CREATE TABLE rates AS SELECT * FROM read_parquet('{rates}')")
    columns = ", ".join(("line", "unpriced_field", "cost_units", "lowest_units", "uncertain", *extra))
    return con.execute(f"SELECT {columns} FROM ({query}) ORDER BY line").fetchall()


def test_the_printed_duckdb_query_over_usage_and_exported_rates_equals_the_engine(pricer, engine, usage, tmp_path):
    """What ``ratecard sql --dialect duckdb`` prints, run by a plain DuckDB over the canonical
    usage table and the exported rate table, gives the engine's cost and flags on every row."""
    engine.load(usage)
    engine.price()
    want = engine.con.execute("SELECT line, unpriced_field, cost_units, lowest_units, uncertain FROM priced"
                              " ORDER BY line").fetchall()
    got = printed_query_rows(pricer, usage, tmp_path, "cost")
    assert [g[:5] for g in got] == want
    assert all(g[5] is None or g[5] == pricer.money(g[2]) for g in got)


def test_the_printed_query_returns_the_usage_columns_then_ratecards_once_each(pricer, usage, tmp_path):
    """Each row of the printed query is the usage row's own columns as they are (any column the
    table has beyond the canonical ones included), then ratecard's, every name once: the
    table can be written as it is (Parquet here; Spark refuses to write a name twice)."""
    from db.reprice.pricing_sql import EXPORTED_COLUMNS

    plain = printed_query_rows(pricer, usage, tmp_path)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE TABLE usage AS SELECT row_number() OVER () + 1 AS line, 'team-' || (line % 3) AS project, *"
                f" FROM read_csv('{usage}', all_varchar = true)")
    own = [name for (name,) in con.execute("SELECT column_name FROM (DESCRIBE usage)").fetchall()]
    query = printed_query(pricer, tmp_path)
    con.execute(f"CREATE TABLE rates AS SELECT * FROM read_parquet('{tmp_path / 'rates.parquet'}')")
    con.execute(f"COPY ({query}) TO '{tmp_path / 'priced.parquet'}'")
    names = [name for (name,) in con.execute(f"SELECT name FROM parquet_schema('{tmp_path / 'priced.parquet'}')"
                                             " WHERE name <> 'duckdb_schema'").fetchall()]
    texts = [f"{c}_rate_{part}" for c in TOKEN_COMPONENTS for part in ("price", "tier", "promo")]
    assert names == own + list(EXPORTED_COLUMNS) + texts + ["cost", "lowest_cost"]
    assert not [n for n in names if n.startswith(("lr_", "l_", "e_", "er_", "t_"))]
    rows = con.execute(f"SELECT line, project, input_tokens, cost_units FROM '{tmp_path / 'priced.parquet'}'"
                       " ORDER BY line").fetchall()
    with open(usage, encoding="utf-8") as f:
        cells = [line.rstrip("\n").split(",") for line in f][1:]
    input_at = HEADER.strip().split(",").index("input_tokens")
    assert [(r[0], r[1], r[2]) for r in rows] == [(n, f"team-{n % 3}", c[input_at] or None)
                                                  for n, c in enumerate(cells, start=2)]
    assert [r[3] for r in rows] == [p[2] for p in plain] and any(r[3] is not None for r in rows)


def test_a_billed_context_window_is_priced_at_that_tier_as_the_row_pricer_does(pricer, engine, tmp_path):
    """Anthropic's usage report says which context tier each row was billed at: the engine takes
    that tier's rates (falling back to the standard rate per component), never the prompt size."""
    path = tmp_path / "report.csv"
    windows = ["0-200k", "200k-1M", "500k-1M", "", "300k-1M"]
    lines = [f"{t},anthropic,{model},{tier},{prompt},10,{window}\n"
             for t in ("2025-09-01T10:00:00Z", "2025-09-16T10:00:00Z", "2025-09-16", "2025-08-01T00:00:00Z")
             for model in ("claude-sonnet-4", "claude-sonnet-4-20250514")
             for tier in ("", "batch") for prompt in (1000, 300_000, 600_000) for window in windows]
    path.write_text("time,provider,model,service_tier,input_tokens,output_tokens,context_window\n" + "".join(lines))
    engine.load(path)
    engine.price()
    got, want = engine_rows(engine), expected(pricer, path)
    assert len(got) == len(lines)
    assert [g for g, w in zip(got, want) if g != w] == []
    by_line = {w[0]: w for w in want}
    # a 1,000-token prompt billed at 200k-1M pays that tier (6 and 22.5 USD per 1M, units of 1e-9)
    assert pricer.scale == 3 and by_line[3][4] == 1000 * 6000 + 10 * 22500
    # a 300k prompt billed at 0-200k pays the standard 3 and 15 USD, whatever its size
    assert by_line[2 + 5 * 1][4] == 300_000 * 3000 + 10 * 15000
    fields = {w[1] for w in want}
    assert {None, "tier", "time"} <= fields, fields


def test_the_printed_query_reads_a_billed_context_window_as_the_row_reader_does(pricer, engine, tmp_path):
    """``ratecard sql --context-window``: the query reads the usage table's ``context_window``
    column as the row reader reads the file's (``0-200k`` standard, ``200k-1M`` its tier, empty:
    by prompt size; case, spaces and ``to`` allowed), so every row's cost and flags are the
    engine's; a cell that is no window leaves that row unpriced on ``context_window`` where
    ``reprice`` stops at its line."""
    windows = ["0-200k", "200k-1M", "500K-1M", "", " 200k to 1m ", "300k-1M", "0 - 200000"]
    lines = [f"{t},anthropic,{model},{tier},{prompt},10,{window}\n"
             for t in ("2025-09-01T10:00:00Z", "2025-09-16T10:00:00Z", "2025-09-16", "2025-08-01T00:00:00Z")
             for model in ("claude-sonnet-4", "claude-sonnet-4-20250514")
             for tier in ("", "batch") for prompt in (1000, 300_000, 600_000) for window in windows]
    header = "time,provider,model,service_tier,input_tokens,output_tokens,context_window\n"
    path = tmp_path / "report.csv"
    path.write_text(header + "".join(lines))
    engine.load(path)
    engine.price()
    want = engine.con.execute("SELECT line, unpriced_field, cost_units, lowest_units, uncertain FROM priced"
                              " ORDER BY line").fetchall()
    assert {w[1] for w in want} >= {None, "tier", "time"}
    bad = ["200-1M", "1.5k-1M", "big", "200k"]
    with_bad = tmp_path / "with-bad.csv"
    with_bad.write_text(header + "".join(lines) + "".join(f"2025-09-16T10:00:00Z,anthropic,claude-sonnet-4,,1000,10,{b}\n"
                                                         for b in bad))
    for cell in bad:  # reprice stops at such a cell, naming its field
        one = tmp_path / "one.csv"
        one.write_text(header + f"2025-09-16T10:00:00Z,anthropic,claude-sonnet-4,,1000,10,{cell}\n")
        with pytest.raises(UsageError, match="context_window"):
            engine.load(one)
    got = printed_query_rows(pricer, with_bad, tmp_path, context_window=True)
    assert got[:len(lines)] == want
    assert got[len(lines):] == [(n, "context_window", None, None, False)
                                for n in range(len(lines) + 2, len(lines) + 2 + len(bad))]
    # without the flag the column is passed through and every row priced by its prompt's size
    assert "context_window" not in {r[1] for r in printed_query_rows(pricer, with_bad, tmp_path)}


def test_a_file_read_and_sorted_in_parallel_keeps_every_rows_line_and_texts(pricer, tmp_path):
    """Past DuckDB's CSV buffer and many row groups, read by two threads: each row keeps its
    line (the parse keeps the file's order), and the texts set beside the sorted priced rows by
    position (provider, model, tier) are that line's own."""
    path = tmp_path / "big.csv"
    models = [("deepseek", "deepseek-chat", ""), ("mistral", "mistral-large-2411", ""), ("deepseek", "nope", ""),
              ("openai", "gpt-4.1", "batch"), ("anthropic", "claude-sonnet-4", ""), ("deepseek", "DeepSeek-Chat", "")]
    n = 700_000
    with open(path, "w", encoding="utf-8") as out:
        out.write(HEADER)
        for line in range(2, n + 2):
            provider, model, tier = models[line % len(models)]
            out.write(f"2025-09-{1 + line % 28:02d}T{line % 24:02d}:00:00Z,{provider},{model},{tier},"
                      f"{line},0,0,0,{line % 997}\n")
    assert path.stat().st_size > 40_000_000
    with Engine(pricer, threads=2, chunk_lines=2_000_000) as engine:  # one run (half runs: a million lines)
        engine.load(path)
        engine.price()
        con = engine.con
        con.execute("CREATE TEMP TABLE expected (k INTEGER, provider VARCHAR, model VARCHAR, tier VARCHAR)")
        con.executemany("INSERT INTO expected VALUES (?, ?, ?, ?)",
                        [(k, p, m, t or "standard") for k, (p, m, t) in enumerate(models)])
        assert con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE p.line <> p.input_tokens), min(p.line), max(p.line),"
            f" count(*) FILTER (WHERE p.provider_id <> e.provider OR p.model_id <> e.model OR p.tier <> e.tier)"
            f" FROM priced p JOIN expected e ON e.k = p.line % {len(models)}").fetchone() == (n, 0, 2, n + 1, 0)
        # and in line order, as every output scans it
        assert con.execute("SELECT count(*) FROM (SELECT line - lag(line) OVER () AS step FROM priced)"
                           " WHERE step <> 1").fetchone()[0] == 0
        unknown = con.execute("SELECT count(*), min(line) FROM priced WHERE unpriced_field = 'model'").fetchone()
        assert unknown == (n // len(models) + (1 if n % len(models) > 2 else 0), 2)
        # every unpriced row written with the row pricer's reason, in line order
        written = tmp_path / "priced.csv"
        with open(written, "w", encoding="utf-8", newline="") as out:
            totals = engine.write("csv", out, str(path))
        assert len(totals.unpriced) == unknown[0]
        check = duckdb.connect()
        assert check.execute(
            f"SELECT count(*), count(*) FILTER (WHERE line <> row_number), count(*) FILTER (WHERE unpriced_reason ="
            f" 'unknown model deepseek/nope: no USD price in the history' AND unpriced_field = 'model'"
            f" AND model = 'nope' AND line % {len(models)} = 2)"
            f" FROM (SELECT *, row_number() OVER () + 1 AS row_number FROM read_csv('{written}', all_varchar = false))"
        ).fetchone() == (n, 0, unknown[0])


def test_a_summary_of_groups_has_the_totals_of_the_priced_rows(pricer, engine, usage):
    """--summary prices the file's groups (``db.reprice.grouped``); the per-row outputs price
    its rows: the same totals and unpriced rows either way."""
    engine.load(usage, totals_only=True)
    assert engine.loaded.regroup is not None
    engine.price(totals_only=True)
    grouped = engine.totals
    engine.load(usage)
    engine.price()
    priced = engine.write("csv", io.StringIO(), str(usage))
    assert priced == grouped
    assert grouped.priced_rows > 0 and grouped.unpriced and grouped.uncertain_rows > 0


def stored_columns(engine: Engine) -> set[str]:
    """The columns the priced rows store (the rest the view ``priced`` makes)."""
    return {c for (c,) in engine.con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'priced_rows'").fetchall()}


@pytest.mark.parametrize("keep", ["instants", "days"])
def test_a_file_no_window_meets_prices_the_same_with_its_constant_columns(pricer, engine, usage, tmp_path, keep):
    """A file of instants (or of days) that no uncertain change meets: the columns its shape
    makes constant are not stored, and every row still equals the row pricer's."""
    lines = usage.read_text().splitlines(keepends=True)
    rows = [line for line in lines[1:] if ",deepseek," not in line  # deepseek-reasoner has the window
            and (("T" in line.split(",")[0] or " " in line.split(",")[0]) == (keep == "instants"))]
    path = tmp_path / f"{keep}.csv"
    path.write_text(lines[0] + "".join(rows))
    engine.load(path)
    shape = engine.shape(None, None)
    assert (shape.days, shape.windows) == (keep == "days", False)
    engine.price()
    stored = stored_columns(engine)
    assert not {"uncertain", "changed_after_us", "units_before_change", "priced_at_us"} & stored
    assert ("day_lowest" in stored) == (keep == "days")
    got, want = engine_rows(engine), expected(pricer, path)
    assert len(got) == len(rows) > 100
    assert [g for g, w in zip(got, want) if g != w] == []


@pytest.mark.parametrize("fmt", ["csv", "json", "table", "parquet"])
def test_a_file_priced_a_run_of_lines_at_a_time_writes_the_same_bytes(pricer, usage, tmp_path, fmt):
    """Per-row outputs of a long file are priced ``chunk_lines`` lines at a time (memory that
    does not grow with the file): the same output, byte for byte, and the same totals, as the
    whole file at once, including rows priced as whole days, in uncertain windows and
    unpriced rows, whichever run they fall in.  A file past ``stream_from_bytes`` is not even
    kept: each run is cut from it and parsed in its turn (``file``).  Parquet's runs are
    joined as row groups: the same rows, in line order.  Whole days and uncertain windows meet
    this file: its runs are half of ``chunk_lines``.  A run of ``part_min_lines`` or more lines
    per thread is written in parts side by side (``part``), joined as bytes: the same output."""
    written = {}
    # (each way once: a run whose size divides the file and one that does not, kept and cut
    # from the file, and parts over one run and over many; 10 ways took 80 s of a slow CI's 10 min.
    # How runs are cut is the same for every output: the CSV goes every way, the others the ways
    # whose runs and parts their writers join)
    split = ((10**9, "kept", 300), (194, "file", 45), (600, "file", 150))
    ways = ((10**9, "kept", 10**9), *split) + (((194, "kept", 10**9), (600, "file", 10**9), (10**9, "file", 10**9))
                                             if fmt == "csv" else ())
    for chunk, read, part in ways:
        with Engine(pricer, threads=2, chunk_lines=chunk, stream_from_bytes=0 if read == "file" else 10**12,
                    part_min_lines=part) as engine:
            engine.load(usage)
            assert (engine.loaded.runs is not None) == (read == "file")
            engine.price()
            assert len(engine.chunks) == -(-1000 // min(chunk // 2, 1000))
            if read == "file":  # the parsed rows held: the first run's
                assert engine.con.execute("SELECT count(*) FROM usage_rows").fetchone()[0] == min(1000, chunk // 2)
            # parts of the first run: two (each a thread's) once a run has twice ``part`` lines
            first_run = engine.chunks[0][1] - engine.chunks[0][0] + 1
            assert len(engine.part_spans()) == (2 if first_run >= 2 * part else 1)
            parts = sum(max(1, min(2, (b - a + 1) // part)) for a, b in engine.chunks)
            out = io.StringIO()
            target = tmp_path / f"rows-{chunk}-{read}-{part}.parquet"
            totals = engine.write(fmt, out, str(usage), rows_to=target if fmt == "parquet" else None)
            assert int(engine.con.execute("SELECT current_setting('threads')").fetchone()[0]) == 2  # put back
            written[chunk, read, part] = (out.getvalue(), totals, target, parts)
    whole = written[10**9, "kept", 10**9]
    assert whole[1].unpriced and whole[1].uncertain_rows and whole[1].priced_rows
    # one run of 1000 lines in 2 parts; 10 runs of 97 in 2 parts each and a last of 30 in one;
    # 3 runs of 300 in 2 parts each and a last of 100 in one
    assert [written[key][3] for key in split] == [2, 21, 7]
    for key, (text, totals, target, parts) in written.items():
        assert (text, totals) == whole[:2], key
        if fmt == "parquet":
            con = duckdb.connect()
            a, b = (f"read_parquet('{path}', file_row_number = true)" for path in (whole[2], target))
            assert con.execute(f"SELECT count(*) FROM {b} WHERE line = file_row_number + 2").fetchone()[0] == 1000
            assert con.execute(f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b})").fetchone()[0] == 0
            groups = con.execute(f"SELECT count(DISTINCT row_group_id) FROM parquet_metadata('{target}')").fetchone()[0]
            assert groups == parts


@pytest.mark.parametrize("lines", [250, 500, 999, 1000])
def test_runs_cut_from_a_file_keep_every_line_at_its_edges(pricer, usage, tmp_path, lines):
    """Runs that end exactly at the file's end, a run of one line, and a last line without a
    newline: every line is read once, under its own number (``chunk_lines`` is twice the run:
    whole days and uncertain windows meet this file)."""
    path = tmp_path / "no-final-newline.csv"
    path.write_bytes(usage.read_bytes().rstrip(b"\n"))
    got = {}
    for stream in (0, 10**12):
        with Engine(pricer, threads=2, chunk_lines=2 * lines, stream_from_bytes=stream) as engine:
            engine.load(path)
            assert engine.loaded.rows == 1000
            engine.price()
            if stream == 0:
                assert [b - a + 1 for a, b in engine.chunks] == [lines] * (1000 // lines) + (
                    [1000 % lines] if 1000 % lines else [])
            out = io.StringIO()
            engine.write("csv", out, str(path))
            got[stream] = out.getvalue()
    assert got[0] == got[10**12] and got[0].count("\n") == 1001


@pytest.mark.parametrize("read", ["kept", "file"])
def test_runs_are_halved_only_when_the_query_holds_its_rows(pricer, usage, tmp_path, read):
    """Whole days or uncertain windows make the query read its rows more than once (a run's
    memory doubled): those files are priced in runs of half ``chunk_lines``; a file of instants
    no window meets in runs of ``chunk_lines`` (two half runs of the cut file); the same bytes
    as the file priced whole, either way."""
    lines = usage.read_text().splitlines(keepends=True)
    instants = tmp_path / "instants.csv"
    instants.write_text(lines[0] + "".join(line for line in lines[1:] if ",deepseek," not in line
                                           and "T" in line.split(",")[0]))
    for path, run in ((usage, 100), (instants, 200)):
        outputs = []
        for chunk in (200, 10**9):
            with Engine(pricer, threads=2, chunk_lines=chunk,
                        stream_from_bytes=0 if read == "file" else 10**12) as engine:
                engine.load(path)
                engine.price()
                rows = engine.loaded.rows
                if chunk == 200:
                    assert [b - a + 1 for a, b in engine.chunks] == [run] * (rows // run) + (
                        [rows % run] if rows % run else []), path.name
                    if read == "file":  # cut every 100 lines
                        assert {b - a + 1 for a, b in engine.loaded.runs.spans[:-1]} == {100}
                out = io.StringIO()
                engine.write("csv", out, str(path))
                outputs.append(out.getvalue())
        assert outputs[0] == outputs[1] and outputs[0].count("\n") == rows + 1 > 300


@pytest.mark.parametrize("every", [1, 3, 1000, 10**6])
def test_the_runs_cuts_are_where_their_first_lines_start(tmp_path, every):
    """Where run k (lines 2 + k x every onwards) starts, found in one walk of each block of the
    file however small the runs (a run of one line: every line's start)."""
    from db.reprice.engine import _count_lines

    path = tmp_path / "u.csv"
    lines = ["time,provider,model,input_tokens\n"] + [f"2025-03-01T10:00:00Z,p,m{'x' * (k % 13)},{k}\n"
                                                    for k in range(150_000)]  # 6 MB: blocks of 4 MB
    path.write_text("".join(lines))
    starts = list(itertools.accumulate(len(x) for x in lines[:-1]))  # where lines 2, 3, ... start
    count, ends, cuts = _count_lines(str(path), "none", every)
    assert (count, ends) == (150_001, True)
    assert cuts == starts[::every]


def test_duckdb_draws_no_progress_bar_on_stdout(pricer):
    """A query past two seconds would otherwise print DuckDB's progress bar to stdout, where
    ``reprice --csv > out.csv`` writes its rows."""
    with Engine(pricer) as engine:
        assert engine.con.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0] is False


@pytest.mark.parametrize("odd", ['mistral-"large"', "mistral\\large", "mistral\tlarge"])
def test_json_ids_that_need_escapes_are_escaped(tmp_path, odd):
    """Ids are written between quotes as they are unless one of the ids a row may show needs
    an escape (tested once per file, ``writers._ids_need_escapes``); then every id goes through
    ``to_json``: the document is the row writer's, and its text holds the escaped id."""
    import json

    from db.reprice import reference as rows

    history = MISTRAL + versions("mistral", odd, "USD", "2024-11-18", input=("3", None), output=("9", None))
    pricer = Pricer(history, "USD", {"mistral": {"USD"}})
    path = tmp_path / "usage.csv"
    path.write_text("time,provider,model,input_tokens,output_tokens\n"
                    "2025-03-01T10:00:00Z,mistral,mistral-large-2411,1000,10\n"
                    f"2025-03-01T11:00:00Z,mistral,{csv_cell(odd)},2000,20\n", encoding="utf-8")
    reference = io.StringIO()
    rows.write_json(pricer, rows.priced_rows(pricer, str(path)), reference)
    with Engine(pricer, threads=2) as engine:
        got = engine_text(engine, path, "json")
    document = json.loads(got)
    assert document == json.loads(reference.getvalue())
    assert [r["model"] for r in document["rows"]] == ["mistral-large-2411", odd]
    assert json.dumps(odd) in got


def test_json_ids_are_written_between_quotes_when_none_needs_an_escape(pricer, engine, usage):
    """The test itself: DuckDB's ``to_json`` of every id of the file and its history is the id
    between quotes, so the plain form is the same bytes."""
    from db.reprice.writers import _ids_need_escapes

    engine.load(usage)
    engine.price()
    assert _ids_need_escapes(engine.con) is False
    engine.con.execute("INSERT INTO usage_keys VALUES ('mistral', 'a\"b', 'standard')")
    assert _ids_need_escapes(engine.con) is True
