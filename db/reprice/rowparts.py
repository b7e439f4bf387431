"""The rows of a per-row output joined into the output in line order, from the parts DuckDB
writes side by side (a file per thread and run, see ``Engine.part_spans``): text (table, CSV,
JSON) by :class:`RowParts`, a long file's Parquet by :class:`ParquetParts`.

Why two ways, chosen by what the output is:

- **A regular file** (``ratecard reprice usage.csv --json > out.json``; the bench's file).  Each
  run's parts are copied into it on a thread of their own while the next run is priced, and
  when the file is empty the first part is written by DuckDB straight into it, the output's
  head first (``PREFIX``): those bytes are written once, not written and copied (1M JSON rows of
  the base bench file, 516 MB of text: the write phase 1.40 s -> 1.25 s, median of eight runs;
  10M rows: the whole job 31-32 s -> 25 s).  Should a later run fail (a streamed file's bad
  row is found in its run's turn), the file is cut back to the size it had, so nothing
  half-written stays: the same as writing nothing.
- **Anything else** (a pipe, a terminal, a ``StringIO``): nothing can be taken back once
  written, so the parts are kept until every run is priced, then joined.

Every part holds its rows each followed by its line end; JSON's rows end in ``,\\n``, of which
the last row's comma is dropped (``trail``).
"""

from __future__ import annotations

import codecs
import os
import stat
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TextIO

from db.reprice.bytecopy import copy_bytes, utf8_bytes
from db.reprice.parquet_concat import ParquetJoin, concat_parquet

try:
    import fcntl
except ImportError:  # no such module on Windows: every output keeps its parts until the end
    fcntl = None  # type: ignore[assignment]


class RowParts:
    """Parts of rows joined into ``out`` after ``head``; ``trail``: bytes the last row ends
    with that the output drops (JSON's comma and line end; the caller writes the line end)."""

    def __init__(self, out: TextIO, head: str, trail: int = 0) -> None:
        self.out, self.head, self.trail = out, head, trail
        #: Where ``out`` began (bytes), when it is a regular file written at its end as UTF-8
        #: (its bytes are the parts' bytes, and the trail's): it can be cut back there.  None:
        #: parts are kept until :meth:`finish`.
        self.start = _regular_end(out) if utf8_bytes(out) is not None else None
        self.added: list[Path] = []  # every part handed over (kept until the end, if not copied)
        self.copied: list[Future] = []
        self.copier = ThreadPoolExecutor(max_workers=1) if self.start is not None else None
        # a part copied is removed on a thread of its own while the next is copied: removing a
        # file of hundreds of megabytes just written (freeing its pages) costs about as much as
        # copying it (1M JSON rows, two parts of 258 MB: 0.11 s to remove, 0.17 s to copy)
        self.removing = ThreadPoolExecutor(max_workers=1)
        self.head_written = False
        self.rows_written = False
        self.touched = False  # out's file written to, by this handle or DuckDB's

    def direct_target(self) -> str | None:
        """A path DuckDB may write the first part to itself, the head first: ``out``'s own file
        when it is a regular file still empty that ``out`` writes as UTF-8 (DuckDB's bytes) and
        Linux names it (``/proc/self/fd``), else None."""
        if (self.start != 0 or self.head_written or not sys.platform.startswith("linux")
                or utf8_bytes(self.out) is None):
            return None
        fd = self.out.fileno()
        path = f"/proc/self/fd/{fd}"
        if os.fstat(fd).st_size or not os.path.exists(path):
            return None
        self.touched = True
        return path

    def written_directly(self, rows: int) -> None:
        """DuckDB wrote the head and ``rows`` rows into ``out``'s file through its own handle
        (and its COPY's suffix, the last row's line end, written even after no row: then taken
        off)."""
        self.head_written = True
        if rows:
            self.rows_written = True
        else:
            os.ftruncate(self.out.fileno(), len(self.head.encode("utf-8")))
        self.out.seek(0, os.SEEK_END)  # this handle writes after them

    def not_written_directly(self) -> None:
        """DuckDB could not write into ``out``'s file (:meth:`direct_target`): whatever it may
        have left there is cut off, and the head is written by :meth:`add`."""
        os.ftruncate(self.out.fileno(), 0)

    def add(self, parts: list[Path]) -> None:
        """A run's parts, in line order, each written whole."""
        self.added.extend(parts)
        if self.copier is None:
            return
        if not self.head_written:  # before any copy is handed over: the copier owns ``out`` then
            self.touched = self.head_written = True
            self.out.write(self.head)
            self.out.flush()
        self.copied.append(self.copier.submit(self._copy, parts))

    def _copy(self, parts: list[Path]) -> None:
        for part in parts:
            if part.stat().st_size:
                _append(part, self.out, 0)
                self.rows_written = True
            self.removing.submit(part.unlink, missing_ok=True)

    def finish(self) -> bool:
        """Every part joined into ``out``, the last row's ``trail`` dropped; whether any row was
        written (the caller then ends it)."""
        if self.copier is None:
            self.out.write(self.head)
            filled = [p for p in self.added if p.stat().st_size]
            for j, part in enumerate(filled):
                _append(part, self.out, self.trail if j == len(filled) - 1 else 0)
                self.removing.submit(part.unlink, missing_ok=True)
            self.removing.shutdown(wait=True)
            return bool(filled)
        for done in self.copied:
            done.result()
        self.copier.shutdown(wait=True)
        self.removing.shutdown(wait=True)
        if self.rows_written and self.trail:
            self.out.flush()
            fd = self.out.fileno()
            os.ftruncate(fd, os.lseek(fd, 0, os.SEEK_END) - self.trail)
            self.out.seek(0, os.SEEK_END)
        return self.rows_written

    def abandon(self) -> None:
        """After a failure: no copy left running, no part left, and ``out`` cut back to where
        it began (a regular file)."""
        if self.copier is not None:
            self.copier.shutdown(wait=True, cancel_futures=True)
        self.removing.shutdown(wait=True)
        for part in self.added:
            part.unlink(missing_ok=True)
        if self.copier is None or not self.touched:
            return
        try:
            self.out.flush()
        except (OSError, ValueError):  # what was buffered is cut off below anyway
            pass
        try:
            os.ftruncate(self.out.fileno(), self.start)
            self.out.seek(0, os.SEEK_END)
        except (OSError, ValueError):
            pass


class ParquetParts:
    """The Parquet parts of every run made into the one file ``target``, written beside it under
    a name of its own and renamed when finished: never half a file.  A file of several runs
    (``as_runs_come``) has each run's parts joined as row groups (``ParquetJoin``) on a thread of
    their own while the next run is priced, not all at the end; one run's parts are joined at the
    end, and a single part is renamed, not copied."""

    def __init__(self, target: str | Path, as_runs_come: bool) -> None:
        self.final = Path(target)
        self.unfinished = self.final.with_name(f".{self.final.name}.part")
        self.join = ParquetJoin(self.unfinished) if as_runs_come else None
        self.joiner = ThreadPoolExecutor(max_workers=1) if as_runs_come else None
        self.joined: list[Future] = []
        self.added: list[Path] = []

    def add(self, parts: list[Path]) -> None:
        """A run's parts, in line order, each written whole."""
        self.added.extend(parts)
        if self.joiner is not None:
            self.joined.append(self.joiner.submit(self._append, parts))

    def _append(self, parts: list[Path]) -> None:
        assert self.join is not None
        for part in parts:
            self.join.append(part)
            part.unlink(missing_ok=True)

    def finish(self) -> None:
        """Every part joined, the footer written, the file renamed to ``target``."""
        if self.join is None:
            if len(self.added) == 1:
                self.added[0].replace(self.unfinished)
            else:  # the run's row groups in order, as one file (no value decoded again)
                concat_parquet(self.added, self.unfinished)
        else:
            for done in self.joined:
                done.result()
            self.joiner.shutdown(wait=True)
            self.join.finish()
        self.unfinished.replace(self.final)
        for part in self.added:
            part.unlink(missing_ok=True)

    def abandon(self) -> None:
        """After a failure: no join left running, nothing of the file nor of its parts left."""
        if self.joiner is not None:
            self.joiner.shutdown(wait=True, cancel_futures=True)
            self.join.close()
        self.unfinished.unlink(missing_ok=True)
        for part in self.added:
            part.unlink(missing_ok=True)


def _regular_end(out: TextIO) -> int | None:
    """The byte offset ``out`` writes at, when it is a regular file written at its end (a new
    file, or one appended to), which can be cut back there; else None."""
    if fcntl is None:
        return None
    try:
        fd = out.fileno()
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        out.flush()
        size = os.fstat(fd).st_size
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND:
            return size
        return size if os.lseek(fd, 0, os.SEEK_CUR) == size else None
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        return None


def _append(source: Path, out: TextIO, drop_last: int) -> None:
    """The UTF-8 file DuckDB wrote (but its last ``drop_last`` bytes, ASCII) appended to
    ``out``: as bytes when ``out`` writes UTF-8 (no decoding and encoding again of hundreds of
    megabytes), else decoded."""
    out.flush()
    size = source.stat().st_size - drop_last
    target = utf8_bytes(out)
    with open(source, "rb") as handle:
        if target is not None:
            copy_bytes(handle, target, size)
            return
        decoder = codecs.getincrementaldecoder("utf-8")()  # a character may straddle two blocks
        while size > 0:
            block = handle.read(min(size, 1 << 20))
            size -= len(block)
            out.write(decoder.decode(block, final=size <= 0))


__all__ = ["ParquetParts", "RowParts"]
