"""Parquet runs joined as row groups (``db.reprice.parquet_concat``): the bytes of each run are
copied as they are and only the footer's offsets move, so every reader must find the same rows,
dictionaries, statistics and bloom filters as in the runs."""

from __future__ import annotations

import struct
from pathlib import Path

import duckdb
import pytest

from db.reprice.parquet_concat import ParquetConcatError, _Writer, concat_parquet, read_footer

#: Columns of the kinds ratecard writes: text with dictionaries (bloom filters), exact decimals,
#: NULLs, booleans, lists of text, and more than 15 columns (a long Thrift list header).
ROWS = """SELECT i AS line, 'usage.csv' AS file, ['deepseek', 'mistral', 'openai'][i % 3 + 1] AS provider,
       'model-' || (i % 7) AS model, CAST(i AS DECIMAL(38, 0)) * CAST('1e-12' AS DECIMAL(38, 12)) AS cost,
       CASE WHEN i % 5 = 0 THEN NULL ELSE i * 3 END AS tokens, i % 2 = 0 AS uncertain,
       CASE WHEN i % 11 = 0 THEN ['note ' || i] ELSE [] END AS notes,
       {extra} FROM range({lo}, {hi}) t(i) ORDER BY i"""
EXTRA = ", ".join(f"i + {k} AS c{k}" for k in range(12))


def write(con: duckdb.DuckDBPyConnection, path: Path, lo: int, hi: int, extra: str = EXTRA) -> Path:
    con.execute(f"COPY ({ROWS.format(lo=lo, hi=hi, extra=extra)}) TO '{path}' (FORMAT PARQUET,"
                f" ROW_GROUP_SIZE 2048, KV_METADATA {{written_by: 'ratecard test'}})")
    return path


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def test_a_footer_decoded_and_encoded_again_is_the_same_bytes(con, tmp_path):
    path = write(con, tmp_path / "a.parquet", 0, 5000)
    raw = path.read_bytes()
    length = struct.unpack("<I", raw[-8:-4])[0]
    meta, end = read_footer(path)
    writer = _Writer()
    writer.fields(meta)
    assert bytes(writer.out) == raw[-8 - length:-8]
    assert end == len(raw) - 8 - length


def test_runs_joined_read_as_the_rows_written_at_once(con, tmp_path):
    cuts = [(0, 3000), (3000, 3001), (3001, 9000), (9000, 12345)]
    parts = [write(con, tmp_path / f"run-{k}.parquet", lo, hi) for k, (lo, hi) in enumerate(cuts)]
    whole = write(con, tmp_path / "whole.parquet", 0, 12345)
    joined = tmp_path / "joined.parquet"
    concat_parquet(parts, joined)
    a, b = (f"read_parquet('{p}', file_row_number = true)" for p in (whole, joined))
    assert con.execute(f"SELECT count(*), count(*) FILTER (WHERE line = file_row_number) FROM {b}").fetchone() == (
        12345, 12345)
    assert con.execute(f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b})").fetchone()[0] == 0
    # each run's row groups, in order, with their own dictionaries, statistics and bloom filters
    groups = con.execute(f"SELECT count(DISTINCT row_group_id), sum(row_group_num_rows) / count(*)"
                         f" * count(DISTINCT row_group_id) FROM parquet_metadata('{joined}')").fetchone()
    assert groups == (2 + 1 + 3 + 2, 12345)
    for where in ("provider = 'mistral'", "model = 'model-3'", "model = 'absent'", "tokens = 300",
                  "cost = 0.000000009001", "line BETWEEN 2990 AND 3010", "len(notes) = 1"):
        assert (con.execute(f"SELECT count(*), sum(line) FROM {b} WHERE {where}").fetchone()
                == con.execute(f"SELECT count(*), sum(line) FROM {a} WHERE {where}").fetchone()), where
    assert con.execute(f"SELECT value FROM parquet_kv_metadata('{joined}')").fetchone()[0] == b"ratecard test"


def test_runs_of_another_schema_are_refused(con, tmp_path):
    parts = [write(con, tmp_path / "a.parquet", 0, 10), write(con, tmp_path / "b.parquet", 10, 20, "i AS other")]
    with pytest.raises(ParquetConcatError, match="b.parquet: not the schema of .*a.parquet"):
        concat_parquet(parts, tmp_path / "joined.parquet")


def test_a_file_that_is_not_parquet_is_refused(con, tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 not a footer PAR1")
    with pytest.raises(ParquetConcatError, match="bad.parquet: not a Parquet file"):
        concat_parquet([write(con, tmp_path / "a.parquet", 0, 10), bad], tmp_path / "joined.parquet")
