"""Bounds on what one fetch may cost: decoded size, decompression ratio, time per source and per run.

Why: a pricing page is small (the largest real one is under 2 MB), so anything far bigger is a
fault or an attack, and must stop early without holding the memory or the night.  A gzip bomb
(1 MB on the wire, 1 GiB decoded) is decoded here in bounded steps (``zlib`` with
``max_length``), so memory stays near the size limit whatever the server sends; httpx's own
decoder would inflate each network chunk whole.  The per-read timeout of httpx does not bound a
server that sends one byte every few seconds, so the time limits are deadlines on the whole
source and the whole run (enforced by the caller with ``asyncio.timeout``).
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

MIB = 1024 * 1024
#: Decoded bytes produced per decompression step: the most one step can add to memory.
STEP = 64 * 1024
#: The ratio check starts only past this many decoded bytes: small pages compress well too.
RATIO_GRACE = MIB


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int = 8 * MIB        # decoded body size
    max_ratio: int = 200            # decoded bytes per byte on the wire (real pages: 5-20)
    source_seconds: float = 120.0   # every way of one source, robots.txt included
    run_seconds: float = 600.0      # the whole fetch phase of a run

    def describe(self) -> str:
        return (f"{self.max_bytes} bytes, {self.max_ratio}:1 decompression, {self.source_seconds:g}s per"
                f" source, {self.run_seconds:g}s per run")


class TooLarge(Exception):
    """The body broke the size or ratio limit; nothing of it is kept."""


#: Content-Encodings decoded here (the request asks only for these).
ACCEPT_ENCODING = "gzip, deflate"


class Undecodable(Exception):
    """The body came in an encoding this module does not decode (it asked for ``ACCEPT_ENCODING``)."""


class _Decoder:
    """Incremental gzip / deflate / identity decoding that never produces more than ``STEP`` bytes at once."""

    def __init__(self, encoding: str) -> None:
        if encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
            raise Undecodable(f"unsupported Content-Encoding {encoding!r} (asked for {ACCEPT_ENCODING})")
        self.deflate = encoding == "deflate"
        self.inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding in ("gzip", "x-gzip") else None

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decoded pieces of ``data``, each at most ``STEP`` bytes, made one at a time as the caller
        counts them (a list would hold a whole network chunk's inflation at once)."""
        if self.deflate and self.inflater is None:
            zlib_header = len(data) >= 2 and (data[0] & 0x0F) == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self.inflater = zlib.decompressobj(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)
        if self.inflater is None:
            for i in range(0, len(data), STEP):
                yield data[i:i + STEP]
            return
        while data:
            out = self.inflater.decompress(data, STEP)
            data = self.inflater.unconsumed_tail
            if out:
                yield out
            if self.inflater.eof:
                data = self.inflater.unused_data
                if not data or self.deflate:
                    return
                self.inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip: another member follows
            elif not out and not data:
                return

    def flush(self) -> bytes:
        return self.inflater.flush() if self.inflater is not None else b""


async def read_bounded(raw: AsyncIterator[bytes], encoding: str, limits: FetchLimits,
                       declared: int | None = None) -> bytes:
    """Decode ``raw`` (the body as it came off the wire) within ``limits``.

    Raises ``TooLarge`` past a limit, ``Undecodable`` for an encoding it does not know, and
    ``zlib.error`` for a corrupt compressed body.

    ``declared`` is the Content-Length: a declared size over the limit is refused before reading.
    """
    encoding = encoding.strip().lower()
    if "," in encoding:
        raise Undecodable(f"unsupported Content-Encoding {encoding!r} (stacked encodings)")
    if declared is not None and encoding in ("", "identity") and declared > limits.max_bytes:
        raise TooLarge(f"Content-Length {declared} bytes is over the {limits.max_bytes}-byte limit")
    decoder = _Decoder(encoding)
    pieces: list[bytes] = []
    wire = decoded = 0
    async for chunk in raw:
        wire += len(chunk)
        for piece in decoder.feed(chunk):
            decoded += len(piece)
            _check(decoded, wire, limits)
            pieces.append(piece)
    tail = decoder.flush()
    decoded += len(tail)
    _check(decoded, wire, limits)
    pieces.append(tail)
    return b"".join(pieces)


def _check(decoded: int, wire: int, limits: FetchLimits) -> None:
    if decoded > limits.max_bytes:
        raise TooLarge(f"body over the {limits.max_bytes}-byte limit (stopped after {decoded} decoded"
                       f" bytes from {wire} on the wire)")
    if decoded > RATIO_GRACE and decoded > limits.max_ratio * max(wire, 1):
        raise TooLarge(f"decompression ratio over {limits.max_ratio}:1 ({decoded} bytes decoded from"
                       f" {wire} on the wire): a compression bomb?")
