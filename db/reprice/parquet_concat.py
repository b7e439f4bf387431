"""Parquet files of one schema joined into one file without decoding a value.

A long file's per-row Parquet is written a run of lines at a time (each run sorted in memory,
written by DuckDB, dropped); DuckDB cannot append to a Parquet file, and reading the runs back to
write them again costs as much as encoding every row twice.  A Parquet file is its column chunks
followed by a footer (Thrift compact protocol) that says where each chunk, dictionary page, page
index and bloom filter starts: the runs' bytes are copied one after another, and the footer is
the first run's with every run's row groups, their byte offsets moved by where the run's bytes
now start.  Only the offsets are touched; statistics, encodings and the schema are kept as the
runs' writer wrote them (the runs must share one schema, which is checked).
"""

from __future__ import annotations

import struct
from pathlib import Path

from db.reprice.bytecopy import copy_bytes

MAGIC = b"PAR1"

# Thrift compact protocol type codes (Apache Thrift, TCompactProtocol)
_TRUE, _FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY, _LIST, _SET, _MAP, _STRUCT = range(1, 13)

# parquet.thrift field ids of the offsets that locate bytes in the file
_FILE_SCHEMA, _FILE_NUM_ROWS, _FILE_ROW_GROUPS = 2, 3, 4
_GROUP_COLUMNS, _GROUP_FILE_OFFSET, _GROUP_ORDINAL = 1, 5, 7
_CHUNK_FILE_OFFSET, _CHUNK_META, _CHUNK_OFFSET_INDEX, _CHUNK_COLUMN_INDEX = 2, 3, 4, 6
_META_OFFSETS = (9, 10, 11, 14)  # data, index and dictionary page; bloom filter


class ParquetConcatError(ValueError):
    """A run's file is not a Parquet file this module can join (or not of the first's schema)."""


# A decoded Thrift struct: its fields in order as [field id, type code, value]; a list or set is
# (element type, [values]), a map (key type, value type, [(key, value)]).
Fields = list


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def byte(self) -> int:
        b = self.data[self.pos]
        self.pos += 1
        return b

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if b < 0x80:
                return result
            shift += 7

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def value(self, kind: int):
        if kind in (_TRUE, _FALSE):  # inside a list or map: one byte
            return self.byte()
        if kind == _BYTE:
            return self.byte()
        if kind in (_I16, _I32, _I64):
            return self.zigzag()
        if kind == _DOUBLE:
            self.pos += 8
            return self.data[self.pos - 8:self.pos]
        if kind == _BINARY:
            size = self.varint()
            self.pos += size
            return self.data[self.pos - size:self.pos]
        if kind in (_LIST, _SET):
            head = self.byte()
            size, element = head >> 4, head & 0x0F
            if size == 15:
                size = self.varint()
            return (element, [self.value(element) for _ in range(size)])
        if kind == _MAP:
            size = self.varint()
            if not size:
                return (0, 0, [])
            types = self.byte()
            return (types >> 4, types & 0x0F, [(self.value(types >> 4), self.value(types & 0x0F)) for _ in range(size)])
        if kind == _STRUCT:
            return self.fields()
        raise ParquetConcatError(f"unknown Thrift type {kind}")

    def fields(self) -> Fields:
        out, last = [], 0
        while True:
            head = self.byte()
            if head == 0:
                return out
            kind, delta = head & 0x0F, head >> 4
            last = last + delta if delta else self.zigzag()
            if kind in (_TRUE, _FALSE):  # a boolean field is its type code
                out.append([last, kind, kind == _TRUE])
            else:
                out.append([last, kind, self.value(kind)])


class _Writer:
    def __init__(self) -> None:
        self.out = bytearray()

    def varint(self, n: int) -> None:
        while n >= 0x80:
            self.out.append((n & 0x7F) | 0x80)
            n >>= 7
        self.out.append(n)

    def zigzag(self, n: int) -> None:
        self.varint((n << 1) ^ (n >> 63))

    def value(self, kind: int, v) -> None:
        if kind in (_TRUE, _FALSE, _BYTE):
            self.out.append(v)
        elif kind in (_I16, _I32, _I64):
            self.zigzag(v)
        elif kind == _DOUBLE:
            self.out += v
        elif kind == _BINARY:
            self.varint(len(v))
            self.out += v
        elif kind in (_LIST, _SET):
            element, values = v
            if len(values) < 15:
                self.out.append(len(values) << 4 | element)
            else:
                self.out.append(0xF0 | element)
                self.varint(len(values))
            for item in values:
                self.value(element, item)
        elif kind == _MAP:
            key, val, pairs = v
            self.varint(len(pairs))
            if pairs:
                self.out.append(key << 4 | val)
                for k, x in pairs:
                    self.value(key, k)
                    self.value(val, x)
        elif kind == _STRUCT:
            self.fields(v)
        else:
            raise ParquetConcatError(f"unknown Thrift type {kind}")

    def fields(self, fields: Fields) -> None:
        last = 0
        for fid, kind, v in fields:
            code = (_TRUE if v else _FALSE) if kind in (_TRUE, _FALSE) else kind
            if 0 < fid - last <= 15:
                self.out.append((fid - last) << 4 | code)
            else:
                self.out.append(code)
                self.zigzag(fid)
            last = fid
            if kind not in (_TRUE, _FALSE):
                self.value(kind, v)
        self.out.append(0)


def _field(fields: Fields, fid: int) -> list | None:
    return next((f for f in fields if f[0] == fid), None)


def _shift(fields: Fields, fid: int, by: int, keep_zero: bool = False) -> None:
    """Move the offset in field ``fid`` (if present) by ``by`` bytes."""
    f = _field(fields, fid)
    if f is not None and not (keep_zero and f[2] == 0):
        f[2] += by


def read_footer(path: Path) -> tuple[Fields, int]:
    """The file's FileMetaData, decoded, and where it starts (the end of its data)."""
    with open(path, "rb") as handle:
        size = handle.seek(0, 2)
        if size < 12:
            raise ParquetConcatError(f"{path}: not a Parquet file")
        handle.seek(size - 8)
        tail = handle.read(8)
        length = struct.unpack("<I", tail[:4])[0]
        handle.seek(0)
        if tail[4:] != MAGIC or handle.read(4) != MAGIC or length > size - 12:
            raise ParquetConcatError(f"{path}: not a Parquet file")
        handle.seek(size - 8 - length)
        footer = handle.read(length)
    try:
        return _Reader(footer).fields(), size - 8 - length
    except (IndexError, ParquetConcatError) as exc:
        raise ParquetConcatError(f"{path}: unreadable Parquet footer ({exc})") from None


class ParquetJoin:
    """The Parquet file ``target`` made of parts appended one at a time (:meth:`append`), as
    they are written: a long file's runs are joined while the next run is priced, not all at
    the end.  :meth:`finish` writes the footer; until then ``target`` is not a Parquet file
    (the caller writes it under a name of its own and renames it when finished)."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self._out = open(target, "wb")
        self._out.write(MAGIC)
        self._first: Fields | None = None  # the first part's footer: the joined file's, with every row group
        self._first_name: Path | None = None
        self._groups: list = []
        self._rows = 0

    def append(self, part: Path) -> None:
        """``part``'s row groups after those appended before, its bytes copied as they are."""
        meta, end = read_footer(part)
        if self._first is None:
            self._first, self._first_name = meta, part
        elif _field(meta, _FILE_SCHEMA) != _field(self._first, _FILE_SCHEMA):
            raise ParquetConcatError(f"{part}: not the schema of {self._first_name}")
        out = self._out
        by = out.tell() - len(MAGIC)  # where this part's bytes (after its magic) now start
        part_groups = _field(meta, _FILE_ROW_GROUPS)
        for group in part_groups[2][1] if part_groups else []:
            _shift(group, _GROUP_FILE_OFFSET, by)
            ordinal = _field(group, _GROUP_ORDINAL)
            if ordinal is not None:
                ordinal[2] = len(self._groups)
            for chunk in _field(group, _GROUP_COLUMNS)[2][1]:
                _shift(chunk, _CHUNK_FILE_OFFSET, by, keep_zero=True)  # 0: not given
                _shift(chunk, _CHUNK_OFFSET_INDEX, by)
                _shift(chunk, _CHUNK_COLUMN_INDEX, by)
                meta_data = _field(chunk, _CHUNK_META)
                if meta_data is None:
                    raise ParquetConcatError(f"{part}: a column chunk without its metadata")
                for fid in _META_OFFSETS:
                    _shift(meta_data[2], fid, by)
            self._groups.append(group)
        self._rows += _field(meta, _FILE_NUM_ROWS)[2]
        with open(part, "rb") as source:
            source.seek(len(MAGIC))
            copy_bytes(source, out, end - len(MAGIC))

    def finish(self) -> None:
        """The footer of every row group appended: ``target`` is a Parquet file."""
        first = self._first
        if first is None:
            raise ParquetConcatError("no Parquet file to join")
        _field(first, _FILE_NUM_ROWS)[2] = self._rows
        row_groups = _field(first, _FILE_ROW_GROUPS)
        if row_groups is None:
            first.append([_FILE_ROW_GROUPS, _LIST, (_STRUCT, self._groups)])
            first.sort(key=lambda f: f[0])
        else:
            row_groups[2] = (_STRUCT, self._groups)
        writer = _Writer()
        writer.fields(first)
        self._out.write(writer.out)
        self._out.write(struct.pack("<I", len(writer.out)))
        self._out.write(MAGIC)
        self._out.close()

    def close(self) -> None:
        self._out.close()

    def __enter__(self) -> "ParquetJoin":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def concat_parquet(parts: list[Path], target: Path) -> None:
    """``parts`` (Parquet files of one schema) as the one Parquet file ``target``: their row
    groups in order, their bytes copied as they are."""
    if not parts:
        raise ParquetConcatError("no Parquet file to join")
    with ParquetJoin(target) as join:
        for part in parts:
            join.append(part)
        join.finish()


__all__ = ["ParquetConcatError", "ParquetJoin", "concat_parquet", "read_footer"]
