"""Opening a usage file as text, whatever its encoding and compression, or saying why not.

Usage files come from spreadsheets and consoles on every platform: UTF-8 with or without a BOM,
Excel's UTF-16 ("Unicode text", with a BOM), Windows' cp1252, and gzip-compressed exports.  The
encoding is decided once from the first 64 KB (a BOM, else UTF-8 if that sample decodes, else
cp1252), so a file is read the same way from its first line to its last; a byte that does not fit
further down is reported with its line, never a traceback.  The handle is seekable (``seek(0)``
rewinds), as the readers need to look at the first character before they choose a format.
"""

from __future__ import annotations

import codecs
import gzip
import io
import zlib
from pathlib import Path

#: How much of the file decides its encoding.
SAMPLE_BYTES = 65536
GZIP_MAGIC = b"\x1f\x8b"


class UnreadableText(ValueError):
    """The file cannot be read as text; the message says why, in words."""


def open_text(path: str | Path) -> io.TextIOWrapper:
    """``path`` as universal-newline-free text (``newline=""``, as the csv module wants)."""
    raw: io.BufferedIOBase = open(path, "rb")
    try:
        if raw.read(2) == GZIP_MAGIC:
            raw.seek(0)
            raw = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
        raw.seek(0)
        sample = _sample(raw)
        raw.seek(0)
        encoding = detect_encoding(sample)
        return io.TextIOWrapper(raw, encoding=encoding, newline="")  # type: ignore[arg-type]
    except BaseException:
        raw.close()
        raise


def is_gzip(handle: io.TextIOWrapper) -> bool:
    """Whether a handle from :func:`open_text` reads a gzip file (such files are read row by row)."""
    return isinstance(handle.buffer, gzip.GzipFile)


def first_bad_line(path: str | Path, encoding: str) -> int | None:
    """The 1-based line holding the first byte that is not ``encoding`` text, found by reading
    the raw bytes line by line (the text layer decodes ahead in blocks, so it cannot say)."""
    if encoding.startswith("utf-16"):
        return None  # lines cannot be split on raw bytes; the caller gives the block's line
    raw = open(path, "rb")
    with raw:
        stream: io.BufferedIOBase = raw
        if raw.read(2) == GZIP_MAGIC:
            stream = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
        raw.seek(0)
        for number, line in enumerate(stream, start=1):
            try:
                line.decode(encoding)
            except UnicodeDecodeError:
                return number
    return None


#: What a gzip file's decompressor raises on data cut short or damaged past its first block
#: (the readers turn it into :data:`GZIP_DAMAGED`, on the line they reached).
GZIP_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)
GZIP_DAMAGED = "the gzip data is cut short or damaged"


def text_start(path: str | Path) -> tuple[bytes, bool] | None:
    """The file's first ``SAMPLE_BYTES`` of text (a gzip file's decompressed) and whether it is
    gzip; None when they cannot be read (the row reader then says why).  The engine's readers
    decide from it whether DuckDB can read the file (``db.reprice.engine``, ``jsonlines``)."""
    with open(path, "rb") as raw:
        gz = raw.read(2) == GZIP_MAGIC
    try:
        with (gzip.open if gz else open)(path, "rb") as binary:
            return binary.read(SAMPLE_BYTES), gz
    except (OSError, EOFError):
        return None


def _sample(raw: io.BufferedIOBase) -> bytes:
    try:
        return raw.read(SAMPLE_BYTES)
    except gzip.BadGzipFile as exc:
        raise UnreadableText(f"not a valid gzip file ({exc})") from None
    except (EOFError, zlib.error):
        raise UnreadableText(GZIP_DAMAGED) from None


def detect_encoding(sample: bytes) -> str:
    """The codec for a file that starts with ``sample``."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # the BOM says which byte order, and is dropped
    if b"\x00" in sample[:4] and len(sample) >= 2:
        return "utf-16-le" if sample[1:2] == b"\x00" else "utf-16-be"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"  # the sample cut a character in two
        return "cp1252"


__all__ = ["GZIP_DAMAGED", "GZIP_ERRORS", "SAMPLE_BYTES", "UnreadableText", "detect_encoding", "first_bad_line", "is_gzip",
           "open_text", "text_start"]
