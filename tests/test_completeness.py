"""scraper.completeness: a body cut short, in any format, is a failed observation, never prices removed."""

from __future__ import annotations

import json
from pathlib import Path

from db.history import changes
from db.schema import open_db
from parsers.quote import parse_utc
from scraper.completeness import body_format, incomplete
from scraper.mirror import Mirror
from scraper.reparse import reparse
from scraper.run import run_scrape

FIXTURES = Path(__file__).parent / "fixtures"
EN = "https://api-docs.deepseek.com/quick_start/pricing"
ZH = "https://api-docs.deepseek.com/zh-cn/quick_start/pricing"
MODELS = "https://openrouter.ai/api/v1/models"

MARKDOWN = b"""# Pricing

| Model | Input | Output |
| --- | --- | --- |
| m-small | $0.10 | $0.40 |
| m-large | $1.00 | $4.00 |

Prices are per 1M tokens.
"""


def test_formats_are_told_apart_by_their_first_bytes():
    assert [body_format(b) for b in (b'\xef\xbb\xbf {"data": []}', b"[1]", b"<!DOCTYPE html><html>",
                                     b"  <html lang=en>", MARKDOWN)] == ["json", "json", "html", "html", "text"]


def test_json_that_does_not_parse_to_its_end_is_cut_short():
    whole = json.dumps({"data": [{"id": "a", "pricing": {"prompt": "0.000001"}}]}).encode()
    assert incomplete(whole) is None
    assert incomplete(whole[:-7]) == ("JSON that does not parse to its end (Unterminated string starting at:"
                                      " line 1 column 45 (char 44))")


def test_html_must_close_what_it_opened():
    assert incomplete(b"<html><body><table><tr><td>$1</td></tr></table></body></html>") is None
    assert incomplete(b"<html><body><table><tr><td>$1</td>") == "HTML without </html>"
    assert incomplete(b"<body><table><tr><td>$1</td>") == "HTML without </body>"


def test_markdown_ending_mid_table_or_inside_a_code_block_is_cut_short():
    assert incomplete(MARKDOWN) is None
    assert incomplete(MARKDOWN[:MARKDOWN.index(b"$4.00")]) == "Markdown ending mid-table (last row '| m-large | $1.00 |')"
    assert incomplete(b"# Pricing\n\n```json\n{\"m\": 1}\n") == "Markdown ending inside a code block"
    # a table that ends the page is whole; so is one whose rows never close with a pipe
    assert incomplete(MARKDOWN[:MARKDOWN.index(b"\nPrices")]) is None
    assert incomplete(b"| a | b\n| --- | ---\n| x | $1") is None


def test_a_body_under_40_percent_of_the_last_healthy_one_is_cut_short_unless_it_repeats():
    last = MARKDOWN + b"\n" + b"Footnote text. " * 40
    small = MARKDOWN[:MARKDOWN.index(b"\nPrices")]
    assert len(small) < 0.4 * len(last)
    assert incomplete(small, last) == (f"text body of {len(small)} bytes is under 40% of the last healthy one"
                                       f" ({len(last)} bytes)")
    assert incomplete(small, last, previous=small) is None  # the same small page twice: it shrank
    assert incomplete(small, b"<html><body>" + last + b"</body></html>") is None  # other format
    assert incomplete(MARKDOWN, MARKDOWN + MARKDOWN) is None  # 50 %: pages do halve between eras


def test_a_cut_short_markdown_page_is_a_failed_observation_and_removes_nothing(tmp_path):
    db_path = tmp_path / "prices.db"
    full = (FIXTURES / "deepseek" / "2025-02-20-full-price.en.md").read_bytes()
    cut = full[:full.index(b"$0.55")]  # mid-row of the USD table: reasoner and every CNY price lost
    with Mirror({EN: full, ZH: full}) as mirror:
        run_scrape(db_path, ["deepseek"], mirror.url, parse_utc("2025-02-21T03:00:00Z"))
        mirror.pages = {EN: cut, ZH: full}
        night2 = run_scrape(db_path, ["deepseek"], mirror.url, parse_utc("2025-02-22T03:00:00Z"))
        mirror.pages = {EN: full, ZH: full}
        run_scrape(db_path, ["deepseek"], mirror.url, parse_utc("2025-02-23T03:00:00Z"))
    assert [(s.source_id, s.outcome, s.error) for s in night2.sources] == [
        ("deepseek-en", "fetch_failed", "incomplete body: Markdown ending mid-table"
                                        " (last row '| deepseek-reasoner | 64K | 32K | 8K | $0.14 |')"),
        ("deepseek-zh-cn", "ok", None)]
    db = open_db(db_path)
    assert [(r["outcome"], r["error"] is not None) for r in db.query(
        "SELECT outcome, error FROM observations WHERE source_id = 'deepseek-en' ORDER BY observed_at")] == [
        ("ok", False), ("fetch_failed", True), ("ok", False)]
    assert changes(db) == []
    reparse(db)  # a parser fix re-reads stored pages, but a cut-short body stays a failure
    assert [r["outcome"] for r in db.query("SELECT outcome FROM observations WHERE source_id = 'deepseek-en'"
                                           " ORDER BY observed_at")] == ["ok", "fetch_failed", "ok"]
    assert changes(db) == []


def test_truncated_json_is_a_failed_observation(tmp_path):
    db_path = tmp_path / "prices.db"
    whole = (FIXTURES / "openrouter" / "models.json").read_bytes()
    with Mirror({MODELS: whole}) as mirror:
        run_scrape(db_path, ["openrouter"], mirror.url, parse_utc("2026-03-01T03:00:00Z"))
        mirror.pages = {MODELS: whole[: len(whole) * 2 // 3]}
        night2 = run_scrape(db_path, ["openrouter"], mirror.url, parse_utc("2026-03-02T03:00:00Z"))
    assert [(s.outcome, s.error.split(" (")[0]) for s in night2.sources] == [
        ("fetch_failed", "incomplete body: JSON that does not parse to its end")]
    assert changes(open_db(db_path)) == []
