"""Recording observations: the append-only log every price in the history is derived from.

An observation is one look at one source at one instant, by a live fetch or from an archive
(backfill).  Raw bodies and quote sets are stored once per content hash, so a night on which
nothing changed adds one small row that points at the bodies and quotes already stored.
Nothing here fetches or parses: callers hand in what they got.

Storage is compact because successive versions of a page differ little: a new body (or quote set)
is zstd-compressed with the previous body (quote set) of the same source as its dictionary, so
only what changed costs space (a 460 kB OpenRouter catalogue whose prices moved costs 1-3 kB, a
quote set a few hundred bytes).  Every ``KEYFRAME_EVERY``-th version of a chain is compressed on
its own, so reading any version decompresses at most ``KEYFRAME_EVERY`` blobs.  Rows written by an
older ratecard (zlib bodies, plain JSON quote sets) stay readable as they are: the ``codec`` column
says how each row is stored, and they serve as the base of new versions like any other.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlite_utils
import zstandard

from parsers.quote import Quote, Skipped, iso_utc, quotes_to_json, skipped_to_json
from parsers.registry import Source

#: Every outcome an observation can have (see ``schema.sql``); only ``ok`` makes history.
OUTCOMES = ("ok", "blocked", "layout_changed", "fetch_failed", "too_large", "too_slow", "error")

#: A chain of deltas is cut by a self-contained version this often: reading any body or quote set
#: decompresses at most this many blobs (each well under a millisecond for real pages).
KEYFRAME_EVERY = 16
#: zstd level: 12 is within 5 % of level 19's size on real OpenRouter snapshots at 1/15 of its time.
ZSTD_LEVEL = 12
#: Decoded versions kept while a caller reads many (chains share their ancestors).
_CACHE_SIZE = 64


def upsert_source(db: sqlite_utils.Database, source: Source) -> None:
    """Store (or refresh) a source's URL and the currencies it is authoritative for."""
    db["sources"].upsert(
        {"id": source.id, "provider": source.provider, "url": source.url,
         "currencies": ",".join(source.currencies)},
        pk="id",
    )


def record_observation(
    db: sqlite_utils.Database,
    source: Source,
    observed_at: datetime,
    status: int | None,
    body: bytes | None,
    quotes: Sequence[Quote] | None,
    error: str | None,
    parser_version: str | None,
    archive: bool = False,
    url: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    warnings: Sequence[Skipped] | None = None,
    outcome: str | None = None,
    way: str | None = None,
) -> int:
    """Append one observation and return its id.

    The outcome is ``ok`` only with quotes and no error; anything else is a failed observation
    (``outcome`` says which kind, default ``error``), which the history derivation ignores (a
    broken page changes no price).  ``url`` is the URL actually fetched when it differs from
    ``source.url`` (a mirror); ``warnings`` are what the parser skipped; ``way`` is how the page
    was got (``http``, ``markdown``, ``browser``, ...).
    """
    if error is None and not quotes:
        error = "no quotes"
    if error is None:
        outcome = "ok"
    elif outcome is None or outcome == "ok":
        outcome = "error"
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    upsert_source(db, source)
    row = {
        "source_id": source.id,
        "url": url or source.url,
        "observed_at": iso_utc(observed_at),
        "status": status,
        "body_id": store_body(db, body, source.id) if body is not None else None,
        "etag": etag,
        "last_modified": last_modified,
        "parser_version": parser_version,
        "outcome": outcome,
        "error": error,
        "quote_set_id": store_quote_set(db, quotes, source.id) if error is None and quotes else None,
        "archive": int(archive),
        "warnings": skipped_to_json(list(warnings or ())),
        "way": way,
    }
    return db["observations"].insert(row).last_pk


def store_body(db: sqlite_utils.Database, body: bytes, source_id: str | None = None) -> int:
    """The id of ``body`` in ``bodies``, stored on first sight as a delta against the newest body
    of ``source_id`` (self-contained when there is none, or when the chain is long enough)."""
    digest = hashlib.sha256(body).hexdigest()
    found = db.execute("SELECT id FROM bodies WHERE hash = ?", [digest]).fetchone()
    if found:
        return found[0]
    base = _newest(db, "body_id", source_id)
    packed = _Packed.make(db, "bodies", base, body)
    return db["bodies"].insert(
        {"hash": digest, "size": len(body), "body": packed.blob, "codec": "zstd",
         "base_id": packed.base_id, "depth": packed.depth}).last_pk


def store_quote_set(db: sqlite_utils.Database, quotes: Sequence[Quote], source_id: str | None = None,
                    base_id: int | None = None) -> int:
    """The id of the canonical JSON of ``quotes`` in ``quote_sets``, stored on first sight as a
    delta against ``base_id``, by default the newest quote set of ``source_id``.

    The hash is of the canonical JSON, whatever the storage, so equal sets still dedupe."""
    text = quotes_to_json(list(quotes)).encode("utf-8")
    digest = hashlib.sha256(text).hexdigest()
    found = db.execute("SELECT id FROM quote_sets WHERE hash = ?", [digest]).fetchone()
    if found:
        return found[0]
    base = base_id if base_id is not None else _newest(db, "quote_set_id", source_id)
    packed = _Packed.make(db, "quote_sets", base, text)
    return db["quote_sets"].insert(
        {"hash": digest, "quote_count": len(quotes), "quotes": packed.blob, "codec": "zstd",
         "base_id": packed.base_id, "depth": packed.depth}).last_pk


def read_body(db: sqlite_utils.Database, body_id: int) -> bytes:
    """The raw bytes of a stored body."""
    return VersionReader(db, "bodies").read(body_id)


def read_quote_set(db: sqlite_utils.Database, quote_set_id: int) -> list[Quote]:
    """The quotes of a stored quote set."""
    return load_quote_sets(db, [quote_set_id])[quote_set_id]


def load_quote_sets(db: sqlite_utils.Database, ids: Iterable[int]) -> dict[int, list[Quote]]:
    """Quote sets by id, each decoded and parsed once.

    Each id maps to one list object, so callers can tell "the same stored set" by identity (the
    guard does).  Ids are read in storage order, so a chain's versions reuse each other's text.
    """
    reader = VersionReader(db, "quote_sets")
    return {qid: [Quote.from_dict(d) for d in json.loads(reader.read(qid))] for qid in sorted(set(ids))}


class VersionReader:
    """Reads stored versions of one table (``bodies`` or ``quote_sets``), following delta chains.

    Keeps the last few decoded versions, so reading a source's versions in order decompresses
    each blob once.
    """

    _COLUMN = {"bodies": "body", "quote_sets": "quotes"}

    def __init__(self, db: sqlite_utils.Database, table: str) -> None:
        self.db, self.table, self.column = db, table, self._COLUMN[table]
        self.cache: OrderedDict[int, bytes] = OrderedDict()

    def read(self, row_id: int) -> bytes:
        pending: list[tuple[int, object, str, int | None]] = []
        current: int | None = row_id
        while current is not None and current not in self.cache:
            row = self.db.execute(
                f"SELECT {self.column}, codec, base_id FROM {self.table} WHERE id = ?", [current]).fetchone()
            if row is None:
                what = "body" if self.table == "bodies" else "quote set"
                raise KeyError(f"no {what} with id {current}" + ("" if current == row_id else
                                                               f" (the base of {self.table} {row_id})"))
            pending.append((current, *row))
            current = row[2]
            if len(pending) > KEYFRAME_EVERY * 4:  # only a damaged database chains this far
                raise ValueError(f"{self.table} {row_id}: delta chain longer than {KEYFRAME_EVERY * 4}")
        base = self.cache[current] if current is not None else None
        for version_id, blob, codec, base_id in reversed(pending):
            base = _decode(blob, codec, base if base_id is not None else None)
            self._keep(version_id, base)
        assert base is not None
        self.cache.move_to_end(row_id)
        return base

    def _keep(self, row_id: int, data: bytes) -> None:
        self.cache[row_id] = data
        if len(self.cache) > _CACHE_SIZE:
            self.cache.popitem(last=False)


class _Packed:
    """A version ready to insert: its blob, the version it is a delta against, its chain depth."""

    def __init__(self, blob: bytes, base_id: int | None, depth: int) -> None:
        self.blob, self.base_id, self.depth = blob, base_id, depth

    @classmethod
    def make(cls, db: sqlite_utils.Database, table: str, base_id: int | None, data: bytes) -> "_Packed":
        if base_id is not None:
            depth = db.execute(f"SELECT depth FROM {table} WHERE id = ?", [base_id]).fetchone()[0] + 1
            if depth < KEYFRAME_EVERY:
                base = VersionReader(db, table).read(base_id)
                return cls(_compress(data, base), base_id, depth)
        return cls(_compress(data, None), None, 0)


def _newest(db: sqlite_utils.Database, column: str, source_id: str | None) -> int | None:
    """The body (or quote set) of the source's newest observation that has one."""
    if source_id is None:
        return None
    row = db.execute(
        f"SELECT {column} FROM observations WHERE source_id = ? AND {column} IS NOT NULL"
        " ORDER BY observed_at DESC, id DESC LIMIT 1", [source_id]).fetchone()
    return row[0] if row else None


def _compress(data: bytes, base: bytes | None) -> bytes:
    if base is None:
        return zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(data)
    dictionary = zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    return zstandard.ZstdCompressor(level=ZSTD_LEVEL, dict_data=dictionary).compress(data)


def _decode(blob: bytes | str, codec: str, base: bytes | None) -> bytes:
    """One stored blob back to its bytes; ``base`` is the decoded version it is a delta against."""
    if codec == "json":  # a quote set as an older ratecard stored it: plain canonical JSON text
        return blob.encode("utf-8") if isinstance(blob, str) else bytes(blob)
    if codec == "zlib":  # a body as an older ratecard stored it
        return zlib.decompress(blob)
    if codec != "zstd":
        raise ValueError(f"unknown storage codec {codec!r}")
    if base is None:
        return zstandard.ZstdDecompressor().decompress(blob)
    dictionary = zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    return zstandard.ZstdDecompressor(dict_data=dictionary).decompress(blob)


def repack(db: sqlite_utils.Database) -> dict[str, int]:
    """Rewrite the rows an older ratecard stored (zlib bodies, JSON quote sets) as zstd deltas, in
    place: same ids, same bytes when read, so no observation and no derived row changes.  Returns
    how many rows of each table were rewritten.

    Each source's old rows become one chain in the order they were observed, cut by a keyframe
    every ``KEYFRAME_EVERY``; an old row that a newer row is already based on becomes a keyframe,
    so the newer chains keep their length.  Old rows are based only on old rows before them, so
    no chain can loop.
    """
    done = {}
    for table, column in (("bodies", "body_id"), ("quote_sets", "quote_set_id")):
        reader = VersionReader(db, table)
        legacy = {r[0] for r in db.execute(f"SELECT id FROM {table} WHERE codec IN ('zlib', 'json')")}
        based_on = {r[0] for r in db.execute(f"SELECT DISTINCT base_id FROM {table} WHERE base_id IS NOT NULL")}
        order = [r for r in db.execute(
            f"SELECT {column}, MIN(source_id) FROM observations WHERE {column} IS NOT NULL"
            f" GROUP BY {column} ORDER BY MIN(source_id), MIN(observed_at), {column}") if r[0] in legacy]
        order += [(i, None) for i in sorted(legacy - {r[0] for r in order})]  # stored but unobserved
        previous: dict[str | None, tuple[int, int]] = {}  # source -> (row id, depth) of its last old row
        data_column = "body" if table == "bodies" else "quotes"
        for row_id, source_id in order:
            data = reader.read(row_id)
            base = previous.get(source_id) if source_id is not None and row_id not in based_on else None
            if base is not None and base[1] + 1 < KEYFRAME_EVERY:
                blob, base_id, depth = _compress(data, reader.read(base[0])), base[0], base[1] + 1
            else:
                blob, base_id, depth = _compress(data, None), None, 0
            db.execute(f"UPDATE {table} SET {data_column} = ?, codec = 'zstd', base_id = ?, depth = ? WHERE id = ?",
                       [blob, base_id, depth, row_id])
            previous[source_id] = (row_id, depth)
        done[table] = len(order)
    return done


def drop_unused_quote_sets(db: sqlite_utils.Database) -> int:
    """Delete quote sets no observation points at and no kept set is based on; how many went.

    Repeated until nothing goes, since a set freed in one pass may be the base of another."""
    dropped = 0
    while True:
        gone = db.execute(
            "DELETE FROM quote_sets WHERE id NOT IN"
            " (SELECT quote_set_id FROM observations WHERE quote_set_id IS NOT NULL)"
            " AND id NOT IN (SELECT base_id FROM quote_sets WHERE base_id IS NOT NULL)").rowcount
        if not gone:
            return dropped
        dropped += gone


def latest_fetch(db: sqlite_utils.Database, source_id: str) -> dict | None:
    """The newest observation of ``source_id`` that stored a body: its validators and body id.

    Used for conditional requests (ETag / Last-Modified) and to re-read the body on a 304.
    """
    rows = list(db.query(
        "SELECT id, body_id, etag, last_modified FROM observations"
        " WHERE source_id = ? AND body_id IS NOT NULL ORDER BY observed_at DESC, id DESC LIMIT 1",
        [source_id]))
    return rows[0] if rows else None
