"""``ratecard feed``: valid Atom (RFC 4287), one entry per provider change set and per source
failing or recovering, ids stable across runs, page text never breaking the XML."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree as ET

from db.schema import open_db
from mirror import Mirror, page, run_in_process, scrape_night

A = "{http://www.w3.org/2005/Atom}"
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
ANNOUNCED = ("deepseek/2026-08-14-announced.en.md", "deepseek/2026-08-14-announced.zh-cn.md")
PEAK = ("deepseek/2026-08-17-peak.en.html", "deepseek/2026-08-17-peak.zh-cn.md")


def feed(db: Path, path: Path, *options: str) -> ET.Element:
    assert run_in_process("feed", "--db", str(db), *options, str(path)) == f"wrote {path}\n"
    return ET.parse(path).getroot()


def entries(root: ET.Element) -> dict[str, tuple[str, str, str]]:
    return {e.findtext(f"{A}id"): (e.findtext(f"{A}title"), e.findtext(f"{A}updated"),
                                   e.find(f"{A}category").get("term"))
            for e in root.findall(f"{A}entry")}


def assert_valid_atom(root: ET.Element) -> None:
    """RFC 4287's must-haves: feed id/title/updated/author, entry id/title/updated/content,
    RFC 3339 instants, unique ids that are IRIs."""
    assert root.tag == f"{A}feed"
    for tag in ("id", "title", "updated"):
        assert len(root.findall(f"{A}{tag}")) == 1, tag
    assert root.find(f"{A}author/{A}name").text == "ratecard"
    assert RFC3339_UTC.match(root.findtext(f"{A}updated"))
    ids = [root.findtext(f"{A}id")]
    for e in root.findall(f"{A}entry"):
        for tag in ("id", "title", "updated", "content"):
            assert len(e.findall(f"{A}{tag}")) == 1, tag
        assert RFC3339_UTC.match(e.findtext(f"{A}updated"))
        assert e.find(f"{A}content").get("type") == "text"
        ids.append(e.findtext(f"{A}id"))
    assert all(re.match(r"^urn:uuid:[0-9a-f-]{36}$", i) for i in ids)
    assert len(set(ids)) == len(ids)


def test_one_entry_per_change_set_with_an_id_that_survives_confirmation_and_rebuild(tmp_path):
    db, path = tmp_path / "prices.db", tmp_path / "changes.atom"
    with Mirror() as mirror:
        mirror.deepseek(*(page(p) for p in ANNOUNCED))
        scrape_night(db, mirror, "2026-08-14T03:00:00Z")
        announced = feed(db, path)
        assert_valid_atom(announced)
        before = entries(announced)
        mirror.deepseek(*(page(p) for p in PEAK))
        scrape_night(db, mirror, "2026-08-17T03:00:00Z")
    after_root = feed(db, path)
    assert_valid_atom(after_root)
    after = entries(after_root)
    # One announcement: 2 models x 3 components x 2 currencies, the standard price removed and
    # peak and off-peak added (36 change events), is one entry, whose id survives confirmation.
    assert len(before) == 1 and before.keys() == after.keys()
    assert list(before.values()) == [(
        "deepseek: 36 price changes scheduled for 2026-08-16T16:00:00Z (24 added, 12 removed)",
        "2026-08-14T03:00:00Z", "added")]
    assert list(after.values()) == [(
        "deepseek: 36 price changes effective 2026-08-16T16:00:00Z (24 added, 12 removed)",
        "2026-08-17T03:00:00Z", "added")]
    entry = after_root.find(f"{A}entry")
    assert [c.get("term") for c in entry.findall(f"{A}category")] == ["added", "removed"]
    content = entry.findtext(f"{A}content").split("\n")
    assert content[0] == "deepseek, per 1M tokens:"
    assert len([line for line in content if line.startswith("- ")]) == 36
    assert "- deepseek-v4-pro output peak added at 3.96 USD" in content
    assert "- deepseek-v4-pro output peak added at 27 CNY" in content
    assert content[-2:] == ["effective 2026-08-16T16:00:00Z (announced, confirmed)",
                            "source: deepseek-en, deepseek-zh-cn"]
    assert after_root.findtext(f"{A}updated") == "2026-08-17T03:00:00Z"
    document = path.read_bytes()
    run_in_process("rebuild", "--db", str(db))
    feed(db, path)
    assert path.read_bytes() == document


def test_changes_of_separate_observations_are_separate_entries_and_one_change_keeps_its_line(tmp_path):
    """The curated history: each dated DeepSeek announcement is one entry; an entry of a single
    change is titled by that change."""
    from scraper.cli import main

    db, path = tmp_path / "prices.db", tmp_path / "changes.atom"
    assert main(["backfill", "--curated", "--db", str(db)]) == 0
    root = feed(db, path)
    assert_valid_atom(root)
    found = entries(root)
    conn = open_db(db)
    sets = conn.execute("SELECT COUNT(*) FROM (SELECT DISTINCT provider, effective_at, basis FROM changes)").fetchone()[0]
    changes = conn.execute("SELECT COUNT(*) FROM changes").fetchone()[0]
    conn.close()
    # One entry per (provider, effective instant, basis): 612 change events in 68 sets when written.
    assert len(found) == sets and changes > 5 * sets
    deepseek = [v[0] for v in found.values() if v[0].startswith("deepseek: ") and "2025-09-05T16:00:00Z" in v[0]]
    assert deepseek == ["deepseek: 24 price changes effective 2025-09-05T16:00:00Z (12 removed, 5 increase, 4 cut,"
                        " 3 terms)"]


def test_an_empty_history_is_still_a_valid_feed(tmp_path):
    db, path = tmp_path / "prices.db", tmp_path / "sub" / "changes.atom"
    with Mirror() as mirror:
        mirror.deepseek(page("deepseek/2025-02-20-full-price.en.md"))
        scrape_night(db, mirror, "2025-02-21T03:00:00Z")
    root = feed(db, path, "--link", "https://example.org/prices")
    assert_valid_atom(root)
    assert root.findall(f"{A}entry") == []
    assert [(e.get("rel"), e.get("href")) for e in root.findall(f"{A}link")] == [
        ("alternate", "https://example.org/prices")]
    assert root.findtext(f"{A}updated") == "2025-02-21T03:00:00Z"


def test_a_source_that_starts_failing_and_recovers_gets_an_entry_for_each(tmp_path):
    db, path = tmp_path / "prices.db", tmp_path / "changes.atom"
    full = page("deepseek/2025-02-20-full-price.en.md")
    with Mirror() as mirror:
        mirror.deepseek(full)
        scrape_night(db, mirror, "2025-02-21T03:00:00Z")
        mirror.deepseek(full, 503)
        scrape_night(db, mirror, "2025-02-22T03:00:00Z", expect=1)
        scrape_night(db, mirror, "2025-02-23T03:00:00Z", expect=1)
        mirror.deepseek(full)
        scrape_night(db, mirror, "2025-02-24T03:00:00Z")
    root = feed(db, path)
    assert_valid_atom(root)
    assert sorted(entries(root).values()) == [
        ("deepseek-zh-cn is failing: fetch_failed", "2025-02-22T03:00:00Z", "source_failing"),
        ("deepseek-zh-cn recovered", "2025-02-24T03:00:00Z", "source_recovered")]
    contents = [e.findtext(f"{A}content") for e in root.findall(f"{A}entry")]
    assert contents == [
        "deepseek-zh-cn: read again at 2025-02-24T03:00:00Z via http, after failing from 2025-02-22T03:00:00Z"
        " (2 failed runs)",
        "deepseek-zh-cn: fetch_failed from 2025-02-22T03:00:00Z; its prices are no longer being updated (the"
        " last ones seen stay in force)\nlast success: 2025-02-21T03:00:00Z\nwhy: HTTP 503"]
    assert root.findtext(f"{A}updated") == "2025-02-24T03:00:00Z"
    document = path.read_bytes()
    run_in_process("rebuild", "--db", str(db))
    feed(db, path)
    assert path.read_bytes() == document  # same ids, same bytes


def test_page_text_in_a_failure_cannot_break_the_feed(tmp_path):
    """A parser error quoting page text with an escape and a form feed is shown, not obeyed."""
    db, path = tmp_path / "prices.db", tmp_path / "changes.atom"
    full = page("deepseek/2025-02-20-full-price.en.md")
    with Mirror() as mirror:
        mirror.deepseek(full)
        scrape_night(db, mirror, "2025-02-21T03:00:00Z")
    conn = open_db(db, create=False)
    with conn.atomic():
        conn.execute("UPDATE observations SET outcome = 'layout_changed', error = ?, quote_set_id = NULL"
                     " WHERE source_id = 'deepseek-zh-cn'", ["no table near 'x\x1b[31m\x0cy'"])
    conn.close()
    root = feed(db, path)
    assert_valid_atom(root)
    (content,) = [e.findtext(f"{A}content") for e in root.findall(f"{A}entry")]
    assert content.endswith("why: no table near 'x\\x1b[31m\\x0cy'")
