"""Every cell the row reader accepts, the engine accepts with the same value, and every cell it
refuses, the engine refuses with the same message (file, line, field): the engine's SQL and the
row reader are two readings of one rule, and a cell where they part is a file refused by one
and priced by the other.  Cells: token counts (digits, grouping, Python's own integer syntax,
digits of other scripts, blanks around them), ids and times with blanks around them."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

pytest.importorskip("duckdb")

from db.reprice.engine import Engine  # noqa: E402
from db.reprice.pricer import Pricer  # noqa: E402
from db.reprice.usage import UsageError  # noqa: E402
from test_engine import PUBLISHED, HISTORY, engine_rows, expected  # noqa: E402
from test_engine_grouped import grouped_summary, reference_summary  # noqa: E402

HEADER = "time,provider,model,input_tokens,output_tokens\n"
GOOD = "2025-03-03T08:15:27Z,deepseek,deepseek-chat,1000,500\n"

TOKEN_CELLS = ["1234", "0", "", " 1234 ", "1,234", "1 234", "1\u00a0234", "1234.0", "1234,00", "007",
               "1_000", "+1000", "-5", "12,5", "1e3", "0x10", "5.5", "\u0661\u0662", "\uff11\uff12",
               "\t1234", "1234\t", "\u20091234", "１,２３４", "   ", "-0", "99999999999999999999",
               "9223372036854775807", "4294967295", "4294967296", "1000000000000", "1000000000001",
               "+4294967296", "04294967296"]
ID_CELLS = [("deepseek", "deepseek-chat"), (" deepseek ", " deepseek-chat "), ("\tdeepseek", "deepseek-chat\t"),
            ("DeepSeek", "deepseek-chat"), ("deepseek", "\u00a0deepseek-chat")]
TIME_CELLS = ["2025-03-03T08:15:27Z", " 2025-03-03T08:15:27Z ", "\t2025-03-03T08:15:27Z", "2025-03-03",
              " 2025-03-03 ", "\t2025-03-03", "2025-03-03T08:15:27.000Z", "2025-03-03 08:15:27",
              "20250303T081527Z", "2025-03-03T08:15", "2025-03-03T08:15:27+01:00", "2025-03-03T08:15:27.123456Z",
              "2025-03-03T08:15:27.1234567Z", "2025-03-03 08:15:27 UTC", "2025-W10-1", "2025-3-3", "2025-03-03T08",
              "2025-03-03T08:15:27+0100", "2025-03-03t08:15:27z", "2025-03-03T24:00:00Z", "2025-02-29",
              " 025-03-03T08:15:27Z", "-025-03-03T08:15:27Z", "2025-03-03T 8:15:27Z", "0000-03-03T08:15:27Z",
              "0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00Z",
              "2025-03-03T08:15+33", "2025-03-03T08:15:27+24:00", "2025-03-03T08:15:27+23:60",
              "2025-03-03T08:15:27+05:99", "2025-03-03T08:15:2.Z", "2025-03-03 08:15:2Z", "2025-03-3  08:15:27",
              "2025-03-03 08:15:27", "2025-03-03T08:15:27.120Z"]


@pytest.fixture(scope="module")
def pricer() -> Pricer:
    return Pricer(HISTORY, "USD", PUBLISHED)


def outcome(read, path):
    """(rows, None) or (None, message)."""
    try:
        return read(path), None
    except UsageError as exc:
        return None, str(exc)


@pytest.fixture(scope="module")
def engines(pricer):
    """One engine that keeps a file, one that reads it in runs of a line (an engine is reused:
    each load starts afresh); ``--summary`` reads a file into groups in either."""
    with Engine(pricer, threads=2, stream_from_bytes=10**12) as kept, \
            Engine(pricer, threads=2, stream_from_bytes=0, chunk_lines=1) as runs:
        yield {True: kept, False: runs, "summary": kept}


def assert_read_alike(pricer: Pricer, engines, path, kept: bool | str) -> None:
    """The row reader and the engine on ``path``: the same message, or the same rows (a kept
    file: every row's price; a file read in runs: as many rows written), or with ``summary``
    the same totals (a file read into groups: ``--summary``)."""
    engine = engines[kept]
    if kept == "summary":
        want = outcome(lambda p: reference_summary(pricer, p), path)
        assert outcome(lambda p: grouped_summary(engine, p), path) == want
        return

    def engine_read(p):
        engine.load(p)
        engine.price()
        out = io.StringIO()
        engine.write("csv", out, str(p))
        return engine_rows(engine) if kept else len(list(csv.reader(io.StringIO(out.getvalue())))) - 1
    (want, want_error), (got, got_error) = outcome(lambda p: expected(pricer, p), path), outcome(engine_read, path)
    assert got_error == want_error
    assert got == (want if kept else None if want is None else len(want))


def write(tmp_path, row: str):
    path = tmp_path / "cells.csv"
    path.write_text(HEADER + GOOD + row + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("kept", [True, False, "summary"], ids=["kept", "read in runs", "summary"])
@pytest.mark.parametrize("cell", TOKEN_CELLS)
def test_a_token_cell_is_read_alike(pricer, engines, tmp_path, cell, kept):
    path = write(tmp_path, f'2025-03-03T09:00:00Z,deepseek,deepseek-chat,"{cell}",10')
    assert_read_alike(pricer, engines, path, kept)


@pytest.mark.parametrize("kept", [True, False, "summary"], ids=["kept", "read in runs", "summary"])
@pytest.mark.parametrize("provider, model", ID_CELLS)
def test_an_id_cell_is_read_alike(pricer, engines, tmp_path, provider, model, kept):
    path = write(tmp_path, f'2025-03-03T09:00:00Z,"{provider}","{model}",100,10')
    assert_read_alike(pricer, engines, path, kept)


@pytest.mark.parametrize("kept", [True, False, "summary"], ids=["kept", "read in runs", "summary"])
@pytest.mark.parametrize("cell", TIME_CELLS)
def test_a_time_cell_is_read_alike(pricer, engines, tmp_path, cell, kept):
    path = write(tmp_path, f'"{cell}",deepseek,deepseek-chat,100,10')
    assert_read_alike(pricer, engines, path, kept)


ROW_1 = "2025-03-03T08:15:27Z,deepseek,deepseek-chat,1000,500"
ROW_2 = "2025-03-03T09:00:00Z,deepseek,deepseek-chat,100,10"
#: Whole files written the ways spreadsheets, exports and editors write them.
FILES = {
    "CRLF": f"{HEADER.strip()}\r\n{ROW_1}\r\n{ROW_2}\r\n",
    "CR only": f"{HEADER.strip()}\r{ROW_1}\r{ROW_2}\r",
    "no final newline": HEADER + ROW_1 + "\n" + ROW_2,
    "a delimiter after every line": HEADER.replace("\n", ",\n") + ROW_1 + ",\n" + ROW_2 + ",\n",
    "a delimiter after the rows only": HEADER + ROW_1 + ",\n" + ROW_2 + ",,\n",
    "a quoted empty cell after a row": HEADER + ROW_1 + ',""\n' + ROW_2 + "\n",
    "a blank cell after a row": HEADER + ROW_1 + ", \n" + ROW_2 + "\n",
    "a value after a row": HEADER + ROW_1 + ",5\n" + ROW_2 + "\n",
    "a row short of a cell": HEADER + ROW_1.rsplit(",", 1)[0] + "\n" + ROW_2 + "\n",
    "BOM": "\ufeff" + HEADER + ROW_1 + "\n" + ROW_2 + "\n",
    "blank line": HEADER + ROW_1 + "\n\n" + ROW_2 + "\n",
    "line of spaces": HEADER + ROW_1 + "\n   \n" + ROW_2 + "\n",
    "quoted line break": HEADER + ROW_1.replace("deepseek-chat", '"deepseek-\nchat"') + "\n" + ROW_2 + "\n",
    "doubled quote": HEADER + ROW_1.replace("deepseek-chat", '"deepseek""chat"') + "\n" + ROW_2 + "\n",
    "unclosed quote": HEADER + ROW_1.replace("deepseek-chat", '"deepseek-chat') + "\n" + ROW_2 + "\n",
    "quote inside a cell": HEADER + ROW_1.replace("deepseek-chat", 'deep"seek-chat') + "\n" + ROW_2 + "\n",
    "semicolons": (HEADER + ROW_1 + "\n" + ROW_2 + "\n").replace(",", ";"),
    "tabs": (HEADER + ROW_1 + "\n" + ROW_2 + "\n").replace(",", "\t"),
    "quoted header": '"' + HEADER.strip().replace(",", '","') + '"\n' + ROW_1 + "\n" + ROW_2 + "\n",
    "NUL in a cell": HEADER + ROW_1.replace("deepseek-chat", "deepseek-\x00chat") + "\n" + ROW_2 + "\n",
    "header only": HEADER,
    "header again": HEADER + ROW_1 + "\n" + HEADER + ROW_2 + "\n",
}


@pytest.mark.parametrize("kept", [True, False, "summary"], ids=["kept", "read in runs", "summary"])
@pytest.mark.parametrize("name", list(FILES))
def test_a_file_is_read_alike(pricer, engines, tmp_path, name, kept):
    """The same rows (or the same message) from both readers, whatever the file's line
    endings, delimiters, quotes and stray cells; a file read in runs writes as many rows."""
    path = tmp_path / "file.csv"
    path.write_bytes(FILES[name].encode("utf-8"))
    assert_read_alike(pricer, engines, path, kept)


#: Time cells of the common shapes, and the characters near-miss cells are made of: each
#: character of a cell replaced by, or each removed and one inserted anywhere (DuckDB's
#: ``strptime`` and cast skip blanks, read short fields, 5-digit years, ``24:00``...).
NEAR_MISS_BASES = ("2025-03-16T17:17:33Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
                   "2024-02-29T09:05:07.120Z", "2025-03-16 17:17:33", "2025-12-31")
NEAR_MISS_CHARS = "0123456789 \t\n\r\x0b\x0c\u00a0+-_.:/TZtz,e\u0663"


def near_miss_cells() -> list[str]:
    cells: set[str] = set()
    for base in NEAR_MISS_BASES:
        for i in range(len(base)):
            cells.update(base[:i] + ch + base[i + 1:] for ch in NEAR_MISS_CHARS)
            shorter = base[:i] + base[i + 1:]
            cells.update(shorter[:j] + ch + shorter[j:] for j in range(len(shorter) + 1) for ch in NEAR_MISS_CHARS)
    return sorted(cells)


def test_near_miss_time_cells_are_read_as_the_row_reader_reads_them(tmp_path):
    """The engine's time SQL (``_time_sql``: its fast ``strptime`` shapes first) gives every
    near-miss cell the row reader's instant and whole-day mark, or refuses it as the row reader
    does: 59,004 cells, one DuckDB query, each also read by ``usage._time``."""
    import duckdb

    from db.reprice.engine import _time_sql
    from db.reprice.usage import read_csv_header, _time

    EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

    cells = near_miss_cells()
    plan = read_csv_header(io.StringIO(HEADER), "usage.csv").plan
    whole_day, start = _time_sql(plan)
    con = duckdb.connect()
    con.execute("CREATE TABLE cells (i INTEGER, c0 VARCHAR)")
    con.executemany("INSERT INTO cells VALUES (?, ?)", list(enumerate(cells)))
    got = con.execute(f"SELECT i, {start}, CASE WHEN {start} IS NOT NULL THEN {whole_day} END FROM cells"
                      " ORDER BY i").fetchall()
    want = []
    for i, cell in enumerate(cells):
        try:
            instant, day = _time(cell, "usage.csv", 2, "time")
        except UsageError:
            want.append((i, None, None))
            continue
        us = (instant - EPOCH) // timedelta(microseconds=1)
        want.append((i, us, day))
    # DuckDB reaches years the row reader cannot hold; the engine refuses those by range
    got = [(i, us, day) if us is not None and -62135596800 * 10**6 <= us < 253402300800 * 10**6 else (i, None, None)
           for i, us, day in got]
    assert len(cells) > 50_000
    assert sum(us is not None for _, us, _ in want) > 1000
    assert [(cells[i], g) for (i, *g), (_, *w) in zip(got, want) if g != w] == []
