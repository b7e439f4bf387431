"""Compact storage: bodies and quote sets as zstd deltas of the previous version of their source,
chains cut by a keyframe every KEYFRAME_EVERY versions, old databases (zlib bodies, JSON quote
sets, the first outcome check) upgraded in place and derived exactly as a new database."""

from __future__ import annotations

import contextlib
import io
import sqlite3
import zlib
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from db.history import rebuild
from db.observe import (KEYFRAME_EVERY, drop_unused_quote_sets, load_quote_sets, read_body,
                        read_quote_set, record_observation, store_quote_set)
from db.schema import DERIVED_TABLES, open_db
from parsers import registry
from scraper.cli import main
from parsers.quote import Quote, iso_utc, quotes_to_json
from scraper.run import parse_body

FIXTURES = Path(__file__).parent / "fixtures"
REAL_OPENROUTER = Path(__file__).resolve().parents[2] / "shared" / "real-pages" / "openrouter"
DEEPSEEK_EN, DEEPSEEK_ZH = registry.sources("deepseek")
START = datetime(2025, 1, 1, 3, 17, tzinfo=timezone.utc)

#: The log tables as the first ratecard created them: zlib bodies, JSON quote sets, two outcomes.
FIRST_SCHEMA = """
CREATE TABLE sources (id TEXT PRIMARY KEY, provider TEXT NOT NULL, url TEXT NOT NULL,
                      currencies TEXT NOT NULL DEFAULT '');
CREATE TABLE bodies (id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, size INTEGER NOT NULL,
                     body BLOB NOT NULL);
CREATE TABLE quote_sets (id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, quote_count INTEGER NOT NULL,
                         quotes TEXT NOT NULL);
CREATE TABLE observations (
    id INTEGER PRIMARY KEY, source_id TEXT NOT NULL REFERENCES sources(id), url TEXT NOT NULL,
    observed_at TEXT NOT NULL, status INTEGER, body_id INTEGER REFERENCES bodies(id), etag TEXT,
    last_modified TEXT, parser_version TEXT, outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'error')),
    error TEXT, quote_set_id INTEGER REFERENCES quote_sets(id), archive INTEGER NOT NULL DEFAULT 0);
CREATE INDEX observations_by_source ON observations(source_id, observed_at);
"""

#: DeepSeek's pages through four eras, as (English, Chinese) fixture files.
ERAS = [("deepseek/2024-12-28-promo.en.html", None), ("deepseek/2025-02-20-full-price.en.md", None),
        ("deepseek/2025-02-26-off-peak.en.html", "deepseek/2025-02-26-off-peak.zh-cn.md"),
        ("deepseek/2025-09-29-v32.en.md", None)]


def nights() -> list[tuple[datetime, Path, bytes]]:
    """Two nights per era, both sources: the history the old and the new database both hold."""
    out = []
    for n, (en, zh) in enumerate(ERAS):
        for night in range(2):
            at = START + timedelta(days=10 * n + night)
            out.append((at, DEEPSEEK_EN, (FIXTURES / en).read_bytes()))
            out.append((at, DEEPSEEK_ZH, (FIXTURES / (zh or en)).read_bytes()))
    return out


def quote(model: str, price: str) -> Quote:
    return Quote(provider="deepseek", model=model, component="output", currency="USD",
                 price=Decimal(price), price_text=price)


def derived(db) -> dict[str, list[tuple]]:
    return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in DERIVED_TABLES}


def test_each_version_is_a_delta_of_the_previous_one_with_a_keyframe_every_16(tmp_path):
    db = open_db(tmp_path / "prices.db")
    page = (FIXTURES / "deepseek/2025-09-29-v32.en.md").read_bytes()
    versions = [page + f"\n<!-- build {n} -->\n".encode() for n in range(KEYFRAME_EVERY * 2 + 3)]
    for n, body in enumerate(versions):
        record_observation(db, DEEPSEEK_EN, START + timedelta(days=n), 200, body,
                           [quote("m", f"{n + 1}.5")], None, "1")
    for table in ("bodies", "quote_sets"):
        rows = db.execute(f"SELECT id, codec, base_id, depth FROM {table} ORDER BY id").fetchall()
        assert [r[3] for r in rows] == [*range(16), *range(16), 0, 1, 2]
        assert all(r[1] == "zstd" for r in rows)
        assert [r[2] for r in rows] == [None if r[3] == 0 else r[0] - 1 for r in rows]
    ids = [r[0] for r in db.execute("SELECT body_id FROM observations ORDER BY id")]
    assert [read_body(db, i) for i in ids] == versions
    sets = load_quote_sets(db, [r[0] for r in db.execute("SELECT quote_set_id FROM observations")])
    assert [[q.price for q in sets[i]] for i in sorted(sets)] == [[Decimal(f"{n + 1}.5")] for n in range(35)]
    sizes = dict(db.execute("SELECT depth, length(body) FROM bodies WHERE id IN (1, 2)").fetchall())
    assert sizes[1] < 60 < sizes[0]  # a one-line change costs a few dozen bytes, the page a few kB


def test_the_same_body_is_stored_once_and_sources_keep_their_own_chains(tmp_path):
    db = open_db(tmp_path / "prices.db")
    en, zh = ((FIXTURES / f"deepseek/2025-02-26-off-peak.{lang}").read_bytes() for lang in ("en.html", "zh-cn.md"))
    for n in range(3):
        record_observation(db, DEEPSEEK_EN, START + timedelta(days=n), 200, en + b" " * n, [quote("a", "1")], None, "1")
        record_observation(db, DEEPSEEK_ZH, START + timedelta(days=n), 200, zh, [quote("b", "2")], None, "1")
    assert db.execute("SELECT id, base_id, depth FROM bodies ORDER BY id").fetchall() == [
        (1, None, 0), (2, None, 0), (3, 1, 1), (4, 3, 2)]
    assert db.execute("SELECT body_id FROM observations WHERE source_id = 'deepseek-zh-cn'").fetchall() == [
        (2,), (2,), (2,)]


def test_unused_quote_sets_go_only_when_nothing_is_based_on_them(tmp_path):
    db = open_db(tmp_path / "prices.db")
    for n in range(3):  # three sets, each a delta of the one before
        record_observation(db, DEEPSEEK_EN, START + timedelta(days=n), 200, None,
                           [quote("m", str(n + 1))], None, "1")
    assert drop_unused_quote_sets(db) == 0
    db.execute("UPDATE observations SET quote_set_id = 2 WHERE quote_set_id = 3")
    assert drop_unused_quote_sets(db) == 1
    assert [r[0] for r in db.execute("SELECT id FROM quote_sets ORDER BY id")] == [1, 2]
    fresh = store_quote_set(db, [quote("m", "9")])  # no source: a keyframe
    db.execute("UPDATE observations SET quote_set_id = ?", [fresh])
    assert drop_unused_quote_sets(db) == 2  # set 2 first, then set 1 that it was based on
    assert [q.price for q in read_quote_set(db, fresh)] == [Decimal("9")]


def first_format_database(old_path: Path) -> dict[int, bytes]:
    """A database as the first ratecard wrote it, holding ``nights()``; the body of each observation."""
    conn = sqlite3.connect(old_path)
    conn.executescript(FIRST_SCHEMA)
    expected_bodies = {}
    for n, (at, source, body) in enumerate(nights(), 1):
        parsed = parse_body(source, body)
        text = quotes_to_json(parsed.quotes)
        conn.execute("INSERT OR IGNORE INTO sources VALUES (?, ?, ?, ?)",
                     (source.id, source.provider, source.url, ",".join(source.currencies)))
        conn.execute("INSERT OR IGNORE INTO bodies (hash, size, body) VALUES (?, ?, ?)",
                     (f"h{hash(body)}", len(body), zlib.compress(body, 9)))
        body_id = conn.execute("SELECT id FROM bodies WHERE hash = ?", (f"h{hash(body)}",)).fetchone()[0]
        conn.execute("INSERT OR IGNORE INTO quote_sets (hash, quote_count, quotes) VALUES (?, ?, ?)",
                     (f"q{hash(text)}", len(parsed.quotes), text))
        set_id = conn.execute("SELECT id FROM quote_sets WHERE hash = ?", (f"q{hash(text)}",)).fetchone()[0]
        conn.execute("INSERT INTO observations (source_id, url, observed_at, status, body_id, parser_version,"
                     " outcome, quote_set_id) VALUES (?, ?, ?, 200, ?, '1', 'ok', ?)",
                     (source.id, source.url, iso_utc(at), body_id, set_id))
        expected_bodies[n] = body
    conn.commit()
    conn.close()
    return expected_bodies



def test_a_first_format_database_is_upgraded_in_place_and_derives_what_a_new_one_does(tmp_path):
    old_path = tmp_path / "old.db"
    expected_bodies = first_format_database(old_path)
    old = open_db(old_path)  # migrates
    assert old["observations"].count == 16
    assert {r[0]: r[1] for r in old.execute("SELECT codec, COUNT(*) FROM bodies GROUP BY codec")} == {"zlib": 5}
    assert {r[0]: r[1] for r in old.execute("SELECT codec, COUNT(*) FROM quote_sets GROUP BY codec")} == {"json": 8}
    for obs_id, body in expected_bodies.items():
        body_id = old.execute("SELECT body_id FROM observations WHERE id = ?", [obs_id]).fetchone()[0]
        assert read_body(old, body_id) == body
    rebuild(old)

    new = open_db(tmp_path / "new.db")
    for at, source, body in nights():
        parsed = parse_body(source, body)
        record_observation(new, source, at, 200, body, parsed.quotes, None, "1")
    rebuild(new)
    assert derived(old) == derived(new)
    assert len(derived(new)["changes"]) > 20

    # A new night on the upgraded database is a delta against the old zlib body.
    body = expected_bodies[15] + b"\n"
    parsed = parse_body(DEEPSEEK_EN, body)
    record_observation(old, DEEPSEEK_EN, START + timedelta(days=60), 200, body, parsed.quotes, None, "1")
    row = old.execute("SELECT codec, base_id, depth FROM bodies ORDER BY id DESC LIMIT 1").fetchone()
    base_codec = old.execute("SELECT codec FROM bodies WHERE id = ?", [row[1]]).fetchone()[0]
    assert (row[0], base_codec, row[2]) == ("zstd", "zlib", 1)
    assert read_body(old, old.execute("SELECT MAX(id) FROM bodies").fetchone()[0]) == body
    rebuild(old)
    once = derived(old)
    rebuild(old)
    assert derived(old) == once
    assert [r["last_observed_at"] for r in old.query(
        "SELECT DISTINCT last_observed_at FROM prices WHERE source_id = 'deepseek-en' AND valid_to IS NULL")] == [
        "2025-03-02T03:17:00Z"]


@pytest.mark.skipif(not REAL_OPENROUTER.is_dir(), reason="../shared/real-pages is not beside the checkout")
def test_real_openrouter_snapshots_read_back_exactly_in_a_fraction_of_the_space(tmp_path):
    source = registry.sources("openrouter")[0]
    db = open_db(tmp_path / "prices.db")
    files = sorted(REAL_OPENROUTER.glob("*.json"))
    expected = []
    for n, path in enumerate(files):
        body = path.read_bytes()
        parsed = parse_body(source, body)
        record_observation(db, source, START + timedelta(days=3 * n), 200, body, parsed.quotes, None, "1")
        expected.append((body, quotes_to_json(parsed.quotes)))
    rows = db.execute("SELECT body_id, quote_set_id FROM observations ORDER BY id").fetchall()
    sets = load_quote_sets(db, [r[1] for r in rows])
    assert [(read_body(db, b), quotes_to_json(sets[q])) for b, q in rows] == expected
    stored = db.execute("SELECT SUM(length(body)) FROM bodies").fetchone()[0]
    stored_sets = db.execute("SELECT SUM(length(quotes)) FROM quote_sets").fetchone()[0]
    raw = sum(len(b) for b, _ in expected)
    zlib_size = sum(len(zlib.compress(b, 9)) for b, _ in expected)
    json_size = sum(len(q.encode()) for _, q in expected)
    assert len(files) == 17 and raw > 8_000_000
    assert stored * 5 < zlib_size  # measured: 151 kB against 1,057 kB
    assert stored_sets * 100 < json_size  # measured: 25 kB against 4,759 kB


def test_rebuild_compact_rewrites_an_old_database_in_place_and_nothing_read_changes(tmp_path):
    path = tmp_path / "old.db"
    expected_bodies = first_format_database(path)
    db = open_db(path)
    rebuild(db)
    before = derived(db)
    sets = {i: quotes_to_json(q) for i, q in load_quote_sets(db, [r[0] for r in db.execute("SELECT id FROM quote_sets")]).items()}
    db.close()
    size = path.stat().st_size
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["rebuild", "--db", str(path), "--compact"]) == 0
    assert out.getvalue().splitlines()[0] == "compacted: 5 bodies, 8 quote sets"
    db = open_db(path)
    assert db.execute("SELECT DISTINCT codec FROM bodies UNION SELECT DISTINCT codec FROM quote_sets").fetchall() == [("zstd",)]
    # Each source's bodies form one chain in observation order (the zh-cn page has its own).
    assert db.execute("SELECT id, base_id, depth FROM bodies ORDER BY id").fetchall() == [
        (1, None, 0), (2, 1, 1), (3, 2, 2), (4, None, 0), (5, 3, 3)]
    for obs_id, body in expected_bodies.items():
        assert read_body(db, db.execute("SELECT body_id FROM observations WHERE id = ?", [obs_id]).fetchone()[0]) == body
    assert {i: quotes_to_json(q) for i, q in load_quote_sets(db, list(sets)).items()} == sets
    assert derived(db) == before
    db.close()
    assert path.stat().st_size < size
