"""Per-row outputs written to a regular file (``ratecard reprice ... > out.json``): the first
part written by DuckDB straight into the file, later runs' parts copied in while the next run
is priced, and a failure in a later run cutting the file back to what it held (``RowParts``).
Every way gives the bytes a text stream gets, which the row writers' tests pin down."""

from __future__ import annotations

import io
import json
import os
import threading
from pathlib import Path

import pytest

duckdb = pytest.importorskip("duckdb")

from db.reprice import rowparts, writers  # noqa: E402
from db.reprice.engine import Engine  # noqa: E402
from db.reprice.usage import UsageError  # noqa: E402
from test_engine import pricer, usage  # noqa: E402,F401  (fixtures)

#: (chunk_lines, stream_from_bytes, part_min_lines): one run in two parts; runs of a kept file
#: (whole days meet the file: runs are half of chunk_lines), each in two parts but the last;
#: runs cut from the file, each in two parts
WAYS = {"one run": (10**9, 10**12, 300), "runs kept": (600, 10**12, 150), "runs from the file": (600, 0, 150)}
#: Each output in one run, JSON (whose last comma is cut) and CSV in runs too
FORMAT_WAYS = [("csv", "one run"), ("table", "one run"), ("json", "one run"), ("csv", "runs kept"),
               ("json", "runs from the file"), ("table", "runs from the file")]
PRIOR = "an earlier report\n"


def stream_text(pricer, path: Path, fmt: str, way: tuple[int, int, int]) -> str:
    """What a text stream gets (no file to write into: the parts are joined at the end)."""
    chunk, stream, part = way
    with Engine(pricer, threads=2, chunk_lines=chunk, stream_from_bytes=stream, part_min_lines=part) as engine:
        engine.load(path)
        engine.price()
        out = io.StringIO()
        engine.write(fmt, out, str(path))
    return out.getvalue()


def file_text(pricer, path: Path, fmt: str, way: tuple[int, int, int], target: Path, mode: str,
              monkeypatch) -> tuple[str, list[int]]:
    """The file ``target`` after writing ``fmt`` into it opened with ``mode``; and the rows
    DuckDB wrote straight into it (one count per direct write)."""
    direct: list[int] = []
    written = rowparts.RowParts.written_directly

    def spy(self, rows):
        direct.append(rows)
        return written(self, rows)

    monkeypatch.setattr(rowparts.RowParts, "written_directly", spy)
    chunk, stream, part = way
    with Engine(pricer, threads=2, chunk_lines=chunk, stream_from_bytes=stream, part_min_lines=part) as engine:
        engine.load(path)
        engine.price()
        with open_as(target, mode) as out:
            engine.write(fmt, out, str(path))
            out.write("after\n")  # the handle writes after everything, at the file's end
        assert not list(engine.tmpdir.glob("rows-*"))
    return target.read_text(encoding="utf-8"), direct


@pytest.mark.parametrize("fmt, way", FORMAT_WAYS)
def test_a_new_file_gets_the_streams_bytes_its_first_part_written_by_duckdb(pricer, usage, tmp_path, fmt, way,
                                                                             monkeypatch):
    want = stream_text(pricer, usage, fmt, WAYS[way])
    got, direct = file_text(pricer, usage, fmt, WAYS[way], tmp_path / f"out.{fmt}", "w", monkeypatch)
    assert got == want + "after\n"
    assert len(direct) == 1 and direct[0] > 0
    if fmt == "json":
        assert len(json.loads(want)["rows"]) == 353  # the JSON document holds the priced rows


def open_as(target: Path, mode: str):
    """``target`` opened by Python (``w``, ``a``), or as a shell's ``>>`` opens it: appending,
    at offset 0 until the first write (Python's ``a`` seeks to the end first)."""
    if mode == ">>":
        return open(os.open(target, os.O_WRONLY | os.O_APPEND), "w", encoding="utf-8")
    return open(target, mode, encoding="utf-8")


@pytest.mark.parametrize("fmt, way, mode", [("csv", "one run", "a"), ("table", "one run", ">>"),
                                            ("json", "runs from the file", "a"), ("json", "runs from the file", ">>")])
def test_a_file_appended_to_keeps_what_it_held(pricer, usage, tmp_path, fmt, way, mode, monkeypatch):
    """A file that holds something: nothing is written by another handle (it would start at
    the file's beginning); the output follows what was there."""
    target = tmp_path / f"out.{fmt}"
    target.write_text(PRIOR)
    got, direct = file_text(pricer, usage, fmt, WAYS[way], target, mode, monkeypatch)
    assert got == PRIOR + stream_text(pricer, usage, fmt, WAYS[way]) + "after\n"
    assert direct == []
    with open_as(target, mode) as out:  # copied in as runs are priced, and can be cut back there
        assert rowparts.RowParts(out, "").start == len(got)


def test_a_pipe_gets_the_streams_bytes(pricer, usage, tmp_path):
    """A pipe cannot be cut back: the parts of every run are kept until all are priced."""
    way = WAYS["runs from the file"]
    want = stream_text(pricer, usage, "json", way)
    read, write = os.pipe()
    got = bytearray()
    reader = threading.Thread(target=read_pipe, args=(read, got))
    reader.start()
    with Engine(pricer, threads=2, chunk_lines=way[0], stream_from_bytes=way[1], part_min_lines=way[2]) as engine:
        engine.load(usage)
        engine.price()
        with open(write, "w", encoding="utf-8") as out:
            assert rowparts.RowParts(out, "").start is None
            engine.write("json", out, str(usage))
    reader.join()
    assert got.decode("utf-8") == want


def read_pipe(fd: int, into: bytearray) -> None:
    with open(fd, "rb") as pipe:
        while block := pipe.read(1 << 16):
            into.extend(block)


@pytest.mark.parametrize("mode", ["w", "a", ">>"])
def test_a_bad_row_in_a_later_run_leaves_the_file_as_it_was(pricer, usage, tmp_path, mode):
    """A file read in runs has each run's cells checked in its turn: a bad row in the third
    run is found after the first runs' rows were copied into the file.  The file is cut back
    to what it held (nothing, or the earlier report): never half a document."""
    lines = usage.read_text().splitlines(keepends=True)
    path = tmp_path / "bad.csv"
    path.write_text("".join(lines[:1000] + [lines[1000].rsplit(",", 1)[0] + ',"12x"\n'] + lines[1001:]))
    target = tmp_path / "out.json"
    target.write_text("" if mode == "w" else PRIOR)
    copied = []
    add = rowparts.RowParts.add

    def spy(self, parts):
        copied.extend(parts)
        return add(self, parts)

    with pytest.MonkeyPatch.context() as patch, Engine(pricer, threads=2, chunk_lines=900, stream_from_bytes=0,
                                                         part_min_lines=150) as engine:
        patch.setattr(rowparts.RowParts, "add", spy)
        engine.load(path)
        engine.price()
        assert len(engine.chunks) > 2
        with open_as(target, mode) as out:
            with pytest.raises(UsageError) as got:
                engine.write("json", out, str(path))
            assert str(got.value).startswith(f"{path}:1001: output_tokens: ")
            out.write("after\n")
        assert copied and not list(engine.tmpdir.glob("rows-*"))
    assert target.read_text() == ("" if mode == "w" else PRIOR) + "after\n"


def test_a_direct_part_without_priced_rows_adds_no_line(pricer, usage, tmp_path, monkeypatch):
    """The first 300 rows are unpriced (a model without prices): the part DuckDB writes into
    the file holds the head alone, then the later runs' rows follow; and a file of no priced
    row at all is the stream's document too."""
    lines = usage.read_text().splitlines(keepends=True)
    for unpriced in (300, 1000):
        path = tmp_path / f"unpriced-{unpriced}.csv"
        path.write_text(lines[0] + "".join(unk(line) for line in lines[1:1 + unpriced]) + "".join(lines[1 + unpriced:]))
        way = (600, 0, 150)
        want = stream_text(pricer, path, "json", way)
        got, direct = file_text(pricer, path, "json", way, tmp_path / f"unpriced-{unpriced}.json", "w", monkeypatch)
        assert got == want + "after\n"
        assert direct == [0]
        document = json.loads(want)
        assert len(document["unpriced"]) >= unpriced and (len(document["rows"]) > 0) == (unpriced < 1000)


def unk(line: str) -> str:
    """The usage line with a model no history prices."""
    time, provider, _model, rest = line.split(",", 3)
    return f"{time},{provider},no-such-model,{rest}"


@pytest.mark.parametrize("failure", ["cannot open", "fails writing"])
def test_a_file_duckdb_cannot_write_gets_its_first_part_copied(pricer, usage, tmp_path, monkeypatch, failure):
    """Should DuckDB fail to open the output's own file, or fail while writing it (an I/O
    error), the first part is written as the others and copied, over whatever DuckDB left:
    the same bytes."""
    if failure == "cannot open":
        def unopenable(self):
            if self.start != 0:
                return None
            self.touched = True
            return str(tmp_path / "no-such-directory" / "out")

        monkeypatch.setattr(rowparts.RowParts, "direct_target", unopenable)
    else:
        real = writers.copy_lines

        def failing(con, select, target, head=None):
            if head is None:
                return real(con, select, target)
            with open(target, "w") as left:
                left.write("a line left by a write that failed\n" * 200_000)  # longer than the output
            raise duckdb.IOException("No space left on device")

        monkeypatch.setattr(writers, "copy_lines", failing)
    way = WAYS["one run"]
    want = stream_text(pricer, usage, "csv", way)
    got, direct = file_text(pricer, usage, "csv", way, tmp_path / "out.csv", "w", monkeypatch)
    assert got == want + "after\n" and direct == []


def test_a_file_not_written_as_utf8_is_written_through_its_handle(pricer, usage, tmp_path):
    """A file written in another encoding gets no DuckDB bytes and no byte cut (JSON's last
    comma is two bytes in UTF-16): its parts are joined through its handle, as a stream's."""
    way = WAYS["runs from the file"]
    want = stream_text(pricer, usage, "json", way)
    target = tmp_path / "out.json"
    with open(target, "w", encoding="utf-16") as out:
        parts = rowparts.RowParts(out, "head\n")
        assert parts.start is None and parts.direct_target() is None
        with Engine(pricer, threads=2, chunk_lines=way[0], stream_from_bytes=way[1], part_min_lines=way[2]) as engine:
            engine.load(usage)
            engine.price()
            engine.write("json", out, str(usage))
    assert target.read_text(encoding="utf-16") == want
    with open(target, "w", encoding="utf-8") as out:
        assert rowparts.RowParts(out, "head\n").direct_target() == f"/proc/self/fd/{out.fileno()}"


def test_a_long_files_parquet_is_joined_as_its_runs_are_priced_and_never_left_half(pricer, usage, tmp_path):
    """A file in runs: each run's Parquet parts are joined into the output's unfinished file
    while the next run is priced (``ParquetParts``), and the file is renamed when all are in:
    the same rows, in line order, as the file priced whole.  A bad row in the third run leaves
    no output, no unfinished file and no part."""
    whole, joined = tmp_path / "whole.parquet", tmp_path / "joined.parquet"
    for target, chunk in ((whole, 10**9), (joined, 600)):
        with Engine(pricer, threads=2, chunk_lines=chunk, stream_from_bytes=0, part_min_lines=150) as engine:
            engine.load(usage)
            engine.price()
            added = []
            with pytest.MonkeyPatch.context() as patch:
                real = rowparts.ParquetParts.add
                patch.setattr(rowparts.ParquetParts, "add",
                              lambda self, parts: (added.append(self.join is not None), real(self, parts)))
                engine.write("parquet", None, str(usage), rows_to=target)
            assert len(added) == len(engine.chunks) and set(added) == {chunk == 600}  # joined as runs come
    con = duckdb.connect()
    a, b = (f"read_parquet('{path}')" for path in (whole, joined))
    assert con.execute(f"SELECT count(*) FROM {b}").fetchone()[0] == 1000
    assert con.execute(f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b})").fetchone()[0] == 0
    assert [r[0] for r in con.execute(f"SELECT line FROM {b}").fetchall()] == list(range(2, 1002))

    lines = usage.read_text().splitlines(keepends=True)
    path = tmp_path / "bad.csv"
    path.write_text("".join(lines[:1000] + [lines[1000].rsplit(",", 1)[0] + ',"12x"\n'] + lines[1001:]))
    target = tmp_path / "bad.parquet"
    with Engine(pricer, threads=2, chunk_lines=900, stream_from_bytes=0, part_min_lines=150) as engine:
        engine.load(path)
        engine.price()
        with pytest.raises(UsageError):
            engine.write("parquet", None, str(path), rows_to=target)
        assert not list(engine.tmpdir.glob("rows-*"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "joined.parquet", "whole.parquet"]
