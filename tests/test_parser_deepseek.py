"""DeepSeek's pricing page in each of its eras, HTML and Markdown, English and Chinese."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from parsers import deepseek
from parsers.quote import ParseError, Quote

FIXTURES = Path(__file__).parent / "fixtures" / "deepseek"
REAL_PAGES = Path(__file__).resolve().parents[2] / "shared" / "real-pages" / "deepseek"
PEAK = "01:00-04:00,06:00-10:00 UTC"
OFF_PEAK = "04:00-06:00,10:00-01:00 UTC"
PROMO_END = datetime(2025, 2, 8, 16, 0, tzinfo=timezone.utc)
V4_SWITCH = datetime(2026, 8, 16, 16, 0, tzinfo=timezone.utc)


def parse(name: str) -> list[Quote]:
    return deepseek.parse((FIXTURES / name).read_text(encoding="utf-8"), "https://example.test/pricing")


def table(quotes: list[Quote]) -> dict[tuple[str, str, str, str], tuple[str, str | None]]:
    """(model, component, tier, currency) -> (price, list price) as exact strings."""
    out: dict[tuple[str, str, str, str], tuple[str, str | None]] = {}
    for q in quotes:
        key = (q.model, q.component, q.tier, q.currency)
        assert key not in out, f"duplicate quote {key}"
        out[key] = (str(q.price), None if q.list_price is None else str(q.list_price))
    return out


PROMO_2024_12 = {
    ("deepseek-chat", "input_cache_hit", "standard", "USD"): ("0.014", "0.07"),
    ("deepseek-chat", "input", "standard", "USD"): ("0.14", "0.27"),
    ("deepseek-chat", "output", "standard", "USD"): ("0.28", "1.10"),
    ("deepseek-chat", "input_cache_hit", "standard", "CNY"): ("0.1", "0.5"),
    ("deepseek-chat", "input", "standard", "CNY"): ("1", "2"),
    ("deepseek-chat", "output", "standard", "CNY"): ("2", "8"),
}


@pytest.mark.parametrize("name", ["2024-12-28-promo.en.html", "2024-12-28-promo.en.md",
                                  "2024-12-28-html2text-header.en.md"])  # header cells broken over lines
def test_2024_promo_page_gives_promo_and_struck_list_prices(name: str) -> None:
    quotes = parse(name)
    assert table(quotes) == PROMO_2024_12
    assert {q.promo_until for q in quotes} == {PROMO_END}
    assert {q.effective_from for q in quotes} == {None}
    assert {q.window for q in quotes} == {""}
    assert "From now until 2025-02-08 16:00 (UTC)" in quotes[0].note
    assert {q.source_url for q in quotes} == {"https://example.test/pricing"}


def test_2025_01_page_adds_reasoner_outside_the_promo() -> None:
    quotes = parse("2025-01-23-reasoner.en.html")
    prices = table(quotes)
    assert prices[("deepseek-reasoner", "input_cache_hit", "standard", "USD")] == ("0.14", None)
    assert prices[("deepseek-reasoner", "input", "standard", "USD")] == ("0.55", None)
    assert prices[("deepseek-reasoner", "output", "standard", "USD")] == ("2.19", None)
    assert prices[("deepseek-reasoner", "output", "standard", "CNY")] == ("16", None)
    # line-through by inline style and by <s> both count as a struck list price
    assert prices[("deepseek-chat", "input_cache_hit", "standard", "USD")] == ("0.014", "0.07")
    assert prices[("deepseek-chat", "input", "standard", "USD")] == ("0.14", "0.27")
    assert len(quotes) == 12
    reasoner = [q for q in quotes if q.model == "deepseek-reasoner"]
    assert {q.promo_until for q in reasoner} == {None}
    chat = [q for q in quotes if q.model == "deepseek-chat"]
    assert {q.promo_until for q in chat} == {PROMO_END}


def test_2025_02_20_full_price_page() -> None:
    prices = table(parse("2025-02-20-full-price.en.md"))
    assert prices[("deepseek-chat", "input", "standard", "USD")] == ("0.27", None)
    assert prices[("deepseek-chat", "output", "standard", "USD")] == ("1.10", None)
    assert prices[("deepseek-chat", "input_cache_hit", "standard", "CNY")] == ("0.5", None)
    assert len(prices) == 12


def test_2025_02_26_off_peak_tiers_carry_their_utc_windows() -> None:
    quotes = parse("2025-02-26-off-peak.en.html")
    got = {(q.model, q.component, q.tier): (str(q.price), q.window) for q in quotes}
    standard = "00:30-16:30 UTC"
    off_peak = "16:30-00:30 UTC"
    assert got == {
        ("deepseek-chat", "input_cache_hit", "standard"): ("0.07", standard),
        ("deepseek-chat", "input", "standard"): ("0.27", standard),
        ("deepseek-chat", "output", "standard"): ("1.10", standard),
        ("deepseek-reasoner", "input_cache_hit", "standard"): ("0.14", standard),
        ("deepseek-reasoner", "input", "standard"): ("0.55", standard),
        ("deepseek-reasoner", "output", "standard"): ("2.19", standard),
        ("deepseek-chat", "input_cache_hit", "off_peak"): ("0.035", off_peak),
        ("deepseek-chat", "input", "off_peak"): ("0.135", off_peak),
        ("deepseek-chat", "output", "off_peak"): ("0.550", off_peak),
        ("deepseek-reasoner", "input_cache_hit", "off_peak"): ("0.035", off_peak),
        ("deepseek-reasoner", "input", "off_peak"): ("0.135", off_peak),
        ("deepseek-reasoner", "output", "off_peak"): ("0.550", off_peak),
    }
    assert {q.currency for q in quotes} == {"USD"}


def test_chinese_off_peak_page_converts_beijing_time_to_utc() -> None:
    quotes = parse("2025-02-26-off-peak.zh-cn.md")
    got = {(q.model, q.component, q.tier): (str(q.price), q.window) for q in quotes}
    assert got[("deepseek-chat", "input_cache_hit", "standard")] == ("0.5", "00:30-16:30 UTC")
    assert got[("deepseek-chat", "output", "off_peak")] == ("4", "16:30-00:30 UTC")
    assert got[("deepseek-reasoner", "input", "off_peak")] == ("1", "16:30-00:30 UTC")
    assert {q.currency for q in quotes} == {"CNY"}
    assert len(quotes) == 12


def test_v32_html2text_page_shares_one_price_across_both_models() -> None:
    prices = table(parse("2025-09-29-v32.en.md"))
    assert prices == {
        (model, component, "standard", "USD"): (price, None)
        for model in ("deepseek-chat", "deepseek-reasoner")
        for component, price in (("input_cache_hit", "0.028"), ("input", "0.28"), ("output", "0.42"))
    }


@pytest.mark.parametrize(("name", "currency", "current", "future"), [
    ("2026-08-14-announced.en.md", "USD",
     {"deepseek-v4-flash": ("0.0028", "0.14", "0.28"), "deepseek-v4-pro": ("0.003625", "0.435", "0.87")},
     {"deepseek-v4-flash": {"off_peak": ("0.007", "0.22", "0.66"), "peak": ("0.014", "0.44", "1.32")},
      "deepseek-v4-pro": {"off_peak": ("0.022", "0.66", "1.98"), "peak": ("0.044", "1.32", "3.96")}}),
    ("2026-08-14-announced.zh-cn.md", "CNY",
     {"deepseek-v4-flash": ("0.02", "1", "2"), "deepseek-v4-pro": ("0.025", "3", "6")},
     {"deepseek-v4-flash": {"off_peak": ("0.05", "1.5", "4.5"), "peak": ("0.10", "3.0", "9.0")},
      "deepseek-v4-pro": {"off_peak": ("0.15", "4.5", "13.5"), "peak": ("0.30", "9.0", "27.0")}}),
])
def test_announced_future_prices_are_not_current_prices(
    name: str, currency: str, current: dict[str, tuple[str, ...]], future: dict[str, dict[str, tuple[str, ...]]],
) -> None:
    quotes = parse(name)
    components = ("input_cache_hit", "input", "output")
    now = [q for q in quotes if q.effective_from is None]
    later = [q for q in quotes if q.effective_from is not None]
    assert {(q.model, q.component): str(q.price) for q in now} == {
        (model, comp): price for model, prices in current.items() for comp, price in zip(components, prices)}
    assert {q.tier for q in now} == {"standard"} and {q.window for q in now} == {""}
    assert {(q.model, q.component, q.tier): str(q.price) for q in later} == {
        (model, comp, tier): price
        for model, tiers in future.items() for tier, prices in tiers.items()
        for comp, price in zip(components, prices)}
    assert {q.effective_from for q in later} == {V4_SWITCH}
    assert {q.window for q in later if q.tier == "peak"} == {PEAK}
    assert {q.window for q in later if q.tier == "off_peak"} == {OFF_PEAK}
    assert {q.currency for q in quotes} == {currency}


@pytest.mark.parametrize(("name", "currency", "flash_peak_output", "pro_off_peak_hit"), [
    ("2026-08-17-peak.en.html", "USD", "1.32", "0.022"),
    ("2026-08-17-docs-source.en.md", "USD", "1.32", "0.022"),  # MDX source: JSX <table> in Markdown
    ("2026-08-17-peak.zh-cn.md", "CNY", "9.0", "0.15"),
])
def test_peak_and_off_peak_tiers_in_force(name: str, currency: str, flash_peak_output: str,
                                          pro_off_peak_hit: str) -> None:
    quotes = parse(name)
    assert len(quotes) == 12
    got = {(q.model, q.component, q.tier): q for q in quotes}
    assert str(got[("deepseek-v4-flash", "output", "peak")].price) == flash_peak_output
    assert str(got[("deepseek-v4-pro", "input_cache_hit", "off_peak")].price) == pro_off_peak_hit
    assert {q.window for q in quotes if q.tier == "peak"} == {PEAK}
    assert {q.window for q in quotes if q.tier == "off_peak"} == {OFF_PEAK}
    assert {q.currency for q in quotes} == {currency}
    assert {q.effective_from for q in quotes} == {None}


def test_page_without_pricing_table_raises() -> None:
    with pytest.raises(ParseError, match="deepseek: no pricing table found"):
        parse("no-table.en.html")


def test_truncated_page_raises_instead_of_returning_nothing() -> None:
    text = (FIXTURES / "2024-12-28-promo.en.html").read_text(encoding="utf-8")
    with pytest.raises(ParseError):
        deepseek.parse(text[: text.index("<table")], "")


def test_parse_command_prints_json_and_fails_clearly(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "scraper", "parse", "--provider", "deepseek"]
    ok = subprocess.run([*run, str(FIXTURES / "2024-12-28-promo.en.md"), "--json"],
                        capture_output=True, text=True, check=True)
    rows = json.loads(ok.stdout)
    first = rows[0]
    assert first["price"] == "0.014" and first["list_price"] == "0.07"
    assert first["promo_until"] == "2025-02-08T16:00:00Z" and first["currency"] == "USD"
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body><p>nothing here</p></body></html>", encoding="utf-8")
    bad = subprocess.run([*run, str(empty)], capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.strip() == f"ratecard parse: {empty}: deepseek: no pricing table found (no table with DeepSeek model ids and prices)"


PRO_PROMO_END = datetime(2026, 5, 31, 15, 59, tzinfo=timezone.utc)
V4_FLAT = {("deepseek-v4-flash", "input_cache_hit"): "0.0028", ("deepseek-v4-flash", "input"): "0.14",
           ("deepseek-v4-flash", "output"): "0.28", ("deepseek-v4-pro", "input_cache_hit"): "0.003625",
           ("deepseek-v4-pro", "input"): "0.435", ("deepseek-v4-pro", "output"): "0.87"}
V4_FLAT_CNY = {("deepseek-v4-flash", "input_cache_hit"): "0.02", ("deepseek-v4-flash", "input"): "1",
               ("deepseek-v4-flash", "output"): "2", ("deepseek-v4-pro", "input_cache_hit"): "0.025",
               ("deepseek-v4-pro", "input"): "3", ("deepseek-v4-pro", "output"): "6"}
#: file -> (quote count, {(model, component, tier, currency, effective_from): (price, list price)}),
#: values read off each page by hand.
REAL_EXPECTED: dict[str, tuple[int, dict[tuple, tuple[str, str | None]]]] = {
    "2024-12-28-dabaspark-pricing-en.md": (6, {
        ("deepseek-chat", "input_cache_hit", "standard", "USD", None): ("0.014", "0.07"),
        ("deepseek-chat", "output", "standard", "USD", None): ("0.28", "1.10"),
        ("deepseek-chat", "input", "standard", "CNY", None): ("1", "2")}),
    "628d6fd-petehsu-LLM-Docs-pricing-en-V3.2.md": (6, {
        ("deepseek-chat", "input_cache_hit", "standard", "USD", None): ("0.028", None),
        ("deepseek-chat", "output", "standard", "USD", None): ("0.42", None),
        ("deepseek-reasoner", "input", "standard", "USD", None): ("0.28", None),
        ("deepseek-reasoner", "output", "standard", "USD", None): ("0.42", None)}),
    "2026-05-08-d1507e1-quill-router-pricing-en.html": (6, {
        ("deepseek-v4-flash", "input_cache_hit", "standard", "USD", None): ("0.0028", None),
        ("deepseek-v4-flash", "input", "standard", "USD", None): ("0.14", None),
        ("deepseek-v4-flash", "output", "standard", "USD", None): ("0.28", None),
        ("deepseek-v4-pro", "input_cache_hit", "standard", "USD", None): ("0.003625", "0.0145"),
        ("deepseek-v4-pro", "input", "standard", "USD", None): ("0.435", "1.74"),
        ("deepseek-v4-pro", "output", "standard", "USD", None): ("0.87", "3.48")}),
    **{f"2026-08-{day}-thevibeworks-pricing-en.md": (6, {
        (m, c, "standard", "USD", None): (p, None) for (m, c), p in V4_FLAT.items()})
       for day in ("02-e6be0b6", "08-bf1e1d3", "13-801cf88")},
    **{f"2026-08-{day}-thevibeworks-pricing-zh-cn.md": (6, {
        (m, c, "standard", "CNY", None): (p, None) for (m, c), p in V4_FLAT_CNY.items()})
       for day in ("02-e6be0b6", "08-bf1e1d3", "13-801cf88")},
    "2026-08-14-63cc211-thevibeworks-pricing-en.md": (18, {
        ("deepseek-v4-pro", "input", "standard", "USD", None): ("0.435", None),
        ("deepseek-v4-flash", "input_cache_hit", "standard", "USD", None): ("0.0028", None),
        ("deepseek-v4-flash", "input_cache_hit", "off_peak", "USD", V4_SWITCH): ("0.007", None),
        ("deepseek-v4-flash", "output", "peak", "USD", V4_SWITCH): ("1.32", None),
        ("deepseek-v4-pro", "output", "peak", "USD", V4_SWITCH): ("3.96", None),
        ("deepseek-v4-pro", "input", "off_peak", "USD", V4_SWITCH): ("0.66", None)}),
    "2026-08-14-63cc211-thevibeworks-pricing-zh-cn.md": (18, {
        ("deepseek-v4-flash", "output", "standard", "CNY", None): ("2", None),
        ("deepseek-v4-pro", "output", "peak", "CNY", V4_SWITCH): ("27.0", None),
        ("deepseek-v4-flash", "input_cache_hit", "off_peak", "CNY", V4_SWITCH): ("0.05", None)}),
    "2026-08-17-695b915-thevibeworks-pricing-en.md": (12, {
        ("deepseek-v4-pro", "output", "peak", "USD", None): ("3.96", None),
        ("deepseek-v4-pro", "output", "off_peak", "USD", None): ("1.98", None),
        ("deepseek-v4-flash", "input_cache_hit", "off_peak", "USD", None): ("0.007", None),
        ("deepseek-v4-flash", "input", "peak", "USD", None): ("0.44", None)}),
    "2026-08-17-695b915-thevibeworks-pricing-zh-cn.md": (12, {
        ("deepseek-v4-flash", "output", "peak", "CNY", None): ("9.0", None),
        ("deepseek-v4-flash", "input_cache_hit", "off_peak", "CNY", None): ("0.05", None),
        ("deepseek-v4-pro", "input", "peak", "CNY", None): ("9.0", None),
        ("deepseek-v4-pro", "output", "off_peak", "CNY", None): ("13.5", None)}),
}
REAL_FILES = sorted(p for p in REAL_PAGES.iterdir() if p.is_file()) if REAL_PAGES.is_dir() else []


def test_every_real_capture_is_covered() -> None:
    if not REAL_FILES:
        pytest.skip("shared/real-pages is not beside this checkout")
    assert {p.name for p in REAL_FILES if "textcopy" not in p.name} == set(REAL_EXPECTED)


@pytest.mark.skipif(not REAL_FILES, reason="shared/real-pages is not beside this checkout")
@pytest.mark.parametrize("path", [p for p in REAL_FILES if "textcopy" not in p.name], ids=lambda p: p.name)
def test_every_real_capture_parses_with_its_spot_values(path: Path) -> None:
    reading = deepseek.read(path.read_text(encoding="utf-8"), "")
    quotes = reading.quotes
    count, spot = REAL_EXPECTED[path.name]
    got: dict[tuple, tuple[str, str | None]] = {}
    for q in quotes:
        key = (q.model, q.component, q.tier, q.currency, q.effective_from)
        assert key not in got, f"duplicate quote {key}"
        got[key] = (str(q.price), None if q.list_price is None else str(q.list_price))
    assert len(quotes) == count
    for key, value in spot.items():
        assert got[key] == value, key
    assert reading.skipped == []
    # windows belong to time tiers only; peak and off-peak always come as a complementary pair
    for q in quotes:
        assert (q.tier in ("peak", "off_peak")) == bool(q.window), q
    if any(q.tier == "peak" for q in quotes):
        assert {q.window for q in quotes if q.tier == "peak"} == {PEAK}
        assert {q.window for q in quotes if q.tier == "off_peak"} == {OFF_PEAK}


def test_2026_05_08_raw_html_promo_end_and_cache_hit_cut_in_force() -> None:
    path = REAL_PAGES / "2026-05-08-d1507e1-quill-router-pricing-en.html"
    if not path.is_file():
        pytest.skip("shared/real-pages is not beside this checkout")
    quotes = deepseek.parse(path.read_text(encoding="utf-8"), "")
    assert {(q.model, q.promo_until) for q in quotes} == {
        ("deepseek-v4-flash", None), ("deepseek-v4-pro", PRO_PROMO_END)}
    assert {q.effective_from for q in quotes} == {None}
    hit = next(q for q in quotes if (q.model, q.component) == ("deepseek-v4-pro", "input_cache_hit"))
    assert hit.price_text == "$0.003625" and hit.list_price_text == "$0.0145"
    assert "takes effect from 2026/4/26 12:15 UTC" in hit.note


def test_prices_are_exact_decimals() -> None:
    quotes = parse("2026-08-14-announced.en.md")
    pro_hit = next(q for q in quotes if q.model == "deepseek-v4-pro" and q.component == "input_cache_hit"
                   and q.effective_from is None)
    assert pro_hit.price == Decimal("0.003625") and pro_hit.price_text == "$0.003625"


def test_a_json_body_is_a_parse_error_not_a_crash() -> None:
    with pytest.raises(ParseError, match=r"^deepseek: JSON is data, not a page"):
        deepseek.parse('{"error": "rate limited"}', "")


# --- 2026 structures through other converters (fixtures written for these tests) ----------------

V4_PROMO = {
    ("deepseek-v4-flash", "input_cache_hit", "standard", "USD"): ("0.0028", None),
    ("deepseek-v4-flash", "input", "standard", "USD"): ("0.14", None),
    ("deepseek-v4-flash", "output", "standard", "USD"): ("0.28", None),
    ("deepseek-v4-pro", "input_cache_hit", "standard", "USD"): ("0.003625", "0.0145"),
    ("deepseek-v4-pro", "input", "standard", "USD"): ("0.435", "1.74"),
    ("deepseek-v4-pro", "output", "standard", "USD"): ("0.87", "3.48"),
}


@pytest.mark.parametrize("name", ["2026-05-08-v4-promo.en.html", "2026-05-08-clip-embedded-table.en.md",
                                  "2026-05-08-html2text.en.md"])  # html2text: the struck price ends each row
def test_v4_promo_page_raw_html_and_a_clip_embedding_its_table(name: str) -> None:
    reading = deepseek.read((FIXTURES / name).read_text(encoding="utf-8"), "")
    assert table(reading.quotes) == V4_PROMO
    assert {(q.model, q.promo_until) for q in reading.quotes} == {
        ("deepseek-v4-flash", None), ("deepseek-v4-pro", PRO_PROMO_END)}
    assert {q.effective_from for q in reading.quotes} == {None}
    assert reading.skipped == []


@pytest.mark.parametrize(("fetched", "scheduled"), [
    ("2026-05-08", None),                                                      # the cut is already in force
    ("2026-04-20", datetime(2026, 4, 26, 12, 15, tzinfo=timezone.utc)),        # the page predates it
])
def test_a_footnoted_price_change_is_judged_against_the_pages_own_date(fetched: str, scheduled) -> None:
    text = (FIXTURES / "2026-05-08-clip-embedded-table.en.md").read_text(encoding="utf-8")
    quotes = deepseek.parse(text.replace("created: 2026-05-08", f"fetched: {fetched}"), "")
    hits = {q.effective_from for q in quotes if q.component == "input_cache_hit"}
    others = {q.effective_from for q in quotes if q.component != "input_cache_hit"}
    assert hits == {scheduled} and others == {None}


def test_jina_flattened_table_with_glued_cells_and_struck_list_prices() -> None:
    reading = deepseek.read((FIXTURES / "2026-06-02-jina-flat.en.md").read_text(encoding="utf-8"), "")
    assert table(reading.quotes) == V4_PROMO
    assert {q.promo_until for q in reading.quotes if q.model == "deepseek-v4-pro"} == {
        datetime(2026, 6, 30, 15, 59, tzinfo=timezone.utc)}
    assert reading.skipped == []


WEEKDAY_PEAK = "Mon-Fri 01:00-04:00,06:00-10:00 UTC"
WEEKDAY_OFF_PEAK = "Mon-Fri 00:00-01:00,04:00-06:00,10:00-24:00 UTC; Sat,Sun 00:00-24:00 UTC"


@pytest.mark.parametrize(("name", "currency", "prices"), [
    ("2026-09-24-jina-flat-peak.en.md", "USD", {
        "deepseek-flash": {"off_peak": ("0.003", "0.15", "0.6"), "peak": ("0.006", "0.3", "1.2")},
        "deepseek-v4-pro": {"off_peak": ("0.022", "0.66", "1.98"), "peak": ("0.044", "1.32", "3.96")}}),
    ("2026-09-24-jina-flat-peak.zh-cn.md", "CNY", {
        "deepseek-flash": {"off_peak": ("0.02", "1", "4"), "peak": ("0.04", "2", "8")},
        "deepseek-v4-pro": {"off_peak": ("0.15", "4.5", "13.5"), "peak": ("0.30", "9", "27")}}),
])
def test_jina_flattened_peak_rows_on_weekdays(name: str, currency: str, prices: dict) -> None:
    reading = deepseek.read((FIXTURES / name).read_text(encoding="utf-8"), "")
    components = ("input_cache_hit", "input", "output")
    assert {(q.model, q.component, q.tier): str(q.price) for q in reading.quotes} == {
        (model, comp, tier): price for model, tiers in prices.items() for tier, row in tiers.items()
        for comp, price in zip(components, row)}
    assert {q.currency for q in reading.quotes} == {currency}
    assert {q.window for q in reading.quotes if q.tier == "peak"} == {WEEKDAY_PEAK}
    assert {q.window for q in reading.quotes if q.tier == "off_peak"} == {WEEKDAY_OFF_PEAK}
    assert [s.where for s in reading.skipped] == ["footnote (2)"]
    assert "holidays" in reading.skipped[0].reason


@pytest.mark.parametrize("name", ["2025-12-01-blank-header.en.md", "2025-12-01-bold-gfm.en.md",
                                  "2025-12-01-crawler-gfm.en.md"])
def test_blank_header_row_and_bold_wrapped_tables_keep_every_model(name: str) -> None:
    assert table(parse(name)) == {
        (model, component, "standard", "USD"): (price, None)
        for model in ("deepseek-chat", "deepseek-reasoner")
        for component, price in (("input_cache_hit", "0.028"), ("input", "0.28"), ("output", "0.42"))}


# --- announcements by meaning (issue #12 item 4) ---------------------------------------------------

ANNOUNCED = "2026-08-14-announced.en.md"


def _reworded(old: str, new: str, name: str = ANNOUNCED) -> str:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new)


@pytest.mark.parametrize("wording", [
    "The new prices take effect at 16:00 UTC on August 16, 2026, as follows:",
    "The new prices will apply from 16:00 UTC on August 16, 2026, as follows:",
    "Starting 16:00 UTC on August 16, 2026, prices are as follows:",
    "From 16:00 UTC on August 16, 2026 onwards, prices are as follows:",
    "New prices, effective 2026/08/16 16:00 UTC:",
    "Prices from 2026/8/17 00:00 (Beijing time):",
])
def test_future_prices_stay_scheduled_whatever_the_wording(wording: str) -> None:
    text = _reworded("The new prices take effect at 16:00 UTC on August 16, 2026, as follows:", wording)
    quotes = deepseek.parse(text, "")
    assert {q.effective_from for q in quotes if q.tier != "standard"} == {V4_SWITCH}
    assert {(q.model, q.component): str(q.price) for q in quotes if q.effective_from is None} == V4_FLAT


def test_will_apply_from_does_not_reprice_usage_at_the_future_peak_rate() -> None:
    # issue #12: re-worded "take effect at" -> "will apply from" once made the future peak prices
    # current: 1M input + 1M output on deepseek-v4-flash at 02:00 UTC cost 1.76 instead of 0.42.
    from db.reprice.pricer import Pricer, PriceVersion
    from db.reprice.usage import TOKEN_COMPONENTS, UsageRow

    text = _reworded("take effect at", "will apply from")
    fetched = datetime(2026, 8, 14, tzinfo=timezone.utc)
    in_force = [q for q in deepseek.parse(text, "") if q.effective_from is None or q.effective_from <= fetched]
    pricer = Pricer([PriceVersion(q.provider, q.model, q.component, q.tier, q.window, q.currency, q.price, fetched)
                     for q in in_force], "USD")
    tokens = {"input": 10**6, "output": 10**6}
    row = UsageRow("usage.csv", 2, datetime(2026, 8, 15, 2, 0, tzinfo=timezone.utc), False, "deepseek",
                   "deepseek-v4-flash", tuple(tokens.get(c, 0) for c in TOKEN_COMPONENTS))
    assert pricer.money(pricer.price(row).units) == Decimal("0.42")


@pytest.mark.parametrize("wording", [
    "新价格将于北京时间 2026 年 8 月 17 日 00:00 开始生效，具体如下：",
    "自北京时间 2026年8月17日 00:00 起执行以下价格：",
    "2026年8月17日 00:00（北京时间）起，价格调整为：",
])
def test_chinese_announcements_stay_scheduled(wording: str) -> None:
    text = _reworded("新价格将于北京时间 2026 年 8 月 17 日 00:00 开始生效，具体如下：", wording,
                     "2026-08-14-announced.zh-cn.md")
    quotes = deepseek.parse(text, "")
    assert {q.effective_from for q in quotes if q.tier != "standard"} == {V4_SWITCH}
    assert {q.effective_from for q in quotes if q.tier == "standard"} == {None}


@pytest.mark.parametrize("wording", [
    "The new prices will apply from next month, as follows:",
    "The new prices take effect soon, as follows:",
])
def test_announced_table_without_a_readable_date_fails_the_page(wording: str) -> None:
    text = _reworded("The new prices take effect at 16:00 UTC on August 16, 2026, as follows:", wording)
    with pytest.raises(ParseError, match="announced prices without a readable start date"):
        deepseek.parse(text, "")


def test_a_row_no_model_can_be_told_for_is_skipped_not_guessed() -> None:
    text = _reworded("| 1M OUTPUT TOKENS | $0.28 | $0.87 |", "| 1M OUTPUT TOKENS | $0.28 | $0.87 | $0.99 |")
    reading = deepseek.read(text, "")
    assert not [q for q in reading.quotes if q.component == "output" and q.effective_from is None]
    assert [s.reason for s in reading.skipped] == ["cannot tell which model each price belongs to"]
    assert "$0.99" in reading.skipped[0].text


@pytest.mark.parametrize(("before", "after"), [
    ("### New prices from 16:00 UTC on August 16, 2026\n\n", ""),
    ("", "The above prices take effect at 16:00 UTC on August 16, 2026.\n\n"),
    ("", "以上价格将于北京时间 2026 年 8 月 17 日 00:00 起生效。\n\n"),
])
def test_a_table_announced_by_its_heading_or_by_a_note_below_it(before: str, after: str) -> None:
    current = ("## Model Details\n\n|  |  |  |  |\n| --- | --- | --- | --- |\n"
               "| MODEL | | deepseek-v4-flash | deepseek-v4-pro |\n"
               "| PRICING(1) | 1M INPUT TOKENS (CACHE HIT) | $0.0028 | $0.003625 |\n"
               "| 1M INPUT TOKENS (CACHE MISS) | $0.14 | $0.435 |\n| 1M OUTPUT TOKENS | $0.28 | $0.87 |\n\n"
               "(1) Peak hours are 01:00 - 04:00 and 06:00 - 10:00 UTC (all other hours are off-peak).\n\n")
    future = ("|  |  |  |  |  |\n| --- | --- | --- | --- | --- |\n"
              "| MODEL | | 1M INPUT TOKENS (CACHE HIT) | 1M INPUT TOKENS (CACHE MISS) | 1M OUTPUT TOKENS |\n"
              "| deepseek-v4-flash | OFF-PEAK | $0.007 | $0.22 | $0.66 |\n| PEAK | $0.014 | $0.44 | $1.32 |\n\n")
    quotes = deepseek.parse("# Models & Pricing\n\n" + current + before + future + after, "")
    assert {(q.model, q.component): (str(q.price), q.effective_from) for q in quotes if q.tier == "standard"} == {
        key: (price, None) for key, price in V4_FLAT.items()}
    assert {(q.component, q.tier): (str(q.price), q.effective_from) for q in quotes if q.tier != "standard"} == {
        ("input_cache_hit", "off_peak"): ("0.007", V4_SWITCH), ("input", "off_peak"): ("0.22", V4_SWITCH),
        ("output", "off_peak"): ("0.66", V4_SWITCH), ("input_cache_hit", "peak"): ("0.014", V4_SWITCH),
        ("input", "peak"): ("0.44", V4_SWITCH), ("output", "peak"): ("1.32", V4_SWITCH)}
    # the same table with no announcement at all holds prices in force
    plain = deepseek.parse("# Models & Pricing\n\n" + current + future, "")
    assert {q.effective_from for q in plain} == {None}


def test_a_change_effective_immediately_is_in_force_not_announced() -> None:
    text = _reworded("The new prices take effect at 16:00 UTC on August 16, 2026, as follows:",
                     "The new prices are effective immediately, as follows:")
    quotes = deepseek.parse(text, "")
    assert {q.effective_from for q in quotes} == {None}
    assert {q.tier for q in quotes} == {"standard", "off_peak", "peak"}


@pytest.mark.parametrize(("wording", "end"), [
    ("extended until 2026/05/31 15:59 UTC.", datetime(2026, 5, 31, 15, 59, tzinfo=timezone.utc)),
    # no zone: DeepSeek's days are Beijing days, and "until" a day includes all of it
    ("extended until 2026/05/31.", datetime(2026, 5, 31, 16, 0, tzinfo=timezone.utc)),
    ("extended until 2026/05/31 23:59.", datetime(2026, 5, 31, 15, 59, tzinfo=timezone.utc)),
    ("优惠截至北京时间 2026年6月1日 0点。", datetime(2026, 5, 31, 16, 0, tzinfo=timezone.utc)),
])
def test_promo_end_in_every_date_form_and_the_beijing_rule(wording: str, end: datetime) -> None:
    text = (FIXTURES / "2026-05-08-clip-embedded-table.en.md").read_text(encoding="utf-8")
    text = text.replace("extended until 2026/05/31 15:59 UTC.", wording)
    quotes = deepseek.parse(text, "")
    assert {q.promo_until for q in quotes if q.model == "deepseek-v4-pro"} == {end}


def test_a_row_a_copy_cut_short_is_skipped_not_spread_over_the_models() -> None:
    # Python-Markdown cuts body rows to the header's width: the cache-hit row lost pro's cell, and
    # its one price ($0.0028, flash's) sits under deepseek-v4-pro; the other rows price each model.
    text = ("| MODEL | deepseek-v4-flash | deepseek-v4-pro |\n|---|---|---|\n"
            "| PRICING | 1M INPUT TOKENS (CACHE HIT) | $0.0028 |\n"
            "| 1M INPUT TOKENS (CACHE MISS) | $0.14 | $0.435 |\n| 1M OUTPUT TOKENS | $0.28 | $0.87 |\n")
    reading = deepseek.read(text, "")
    assert {(q.model, q.component): str(q.price) for q in reading.quotes} == {
        ("deepseek-v4-flash", "input"): "0.14", ("deepseek-v4-pro", "input"): "0.435",
        ("deepseek-v4-flash", "output"): "0.28", ("deepseek-v4-pro", "output"): "0.87"}
    assert [s.reason for s in reading.skipped] == ["cannot tell which model each price belongs to"]
    # a lone price under the first model with blanks after it is a lost colspan: it spans both
    spanned = ("|  |  |  |  |\n| --- | --- | --- | --- |\n| MODEL | | deepseek-v4-flash | deepseek-v4-pro |\n"
               "| PRICING | 1M INPUT TOKENS (CACHE HIT) | $0.0028 | |\n"
               "| 1M INPUT TOKENS (CACHE MISS) | $0.14 | $0.435 |\n| 1M OUTPUT TOKENS | $0.28 | $0.87 |\n")
    got = {(q.model, q.component): str(q.price) for q in deepseek.parse(spanned, "")}
    assert got[("deepseek-v4-flash", "input_cache_hit")] == got[("deepseek-v4-pro", "input_cache_hit")] == "0.0028"


def test_bold_closing_a_bare_table_does_not_swallow_the_footnotes_below() -> None:
    text = ("## Model Details\n\n**|  |  |  |  |\n--- | --- | --- | ---\n"
            "MODEL | | deepseek-v4-flash(1) | deepseek-v4-pro\n"
            "PRICING | 1M INPUT TOKENS (CACHE HIT) | $0.0028 | $0.003625 (75% off(3))~~$0.0145~~\n"
            "| 1M OUTPUT TOKENS | $0.28 | $0.87 (75% off(3))~~$3.48~~ |**\n\n"
            "(1) The model names `deepseek-chat` and `deepseek-reasoner` will be deprecated.  \n"
            "(3) **The deepseek-v4-pro model is currently offered at a 75% discount, extended until "
            "2026/05/31 15:59 UTC.**\n")
    quotes = deepseek.parse(text, "")
    pro = {q.component: (str(q.price), str(q.list_price), q.promo_until) for q in quotes if q.model == "deepseek-v4-pro"}
    assert pro == {"input_cache_hit": ("0.003625", "0.0145", PRO_PROMO_END), "output": ("0.87", "3.48", PRO_PROMO_END)}


@pytest.mark.parametrize("name", ["2025-12-01-blank-header.en.md", "2026-09-24-jina-flat-peak.en.md",
                                  "2026-08-14-announced.en.md"])
def test_windows_line_endings_read_the_same(name: str) -> None:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    assert table(deepseek.parse(text.replace("\n", "\r\n"), "")) == table(deepseek.parse(text, ""))


def test_a_browser_copy_of_the_table_is_read_with_its_row_spans_and_weekday_peak() -> None:
    """Copying the rendered page writes rows as ``| cell | cell`` with no closing pipe and no
    separator, carries a cell's line break to the next line (``| 价格(2) | 百万tokens输入`` /
    ``（缓存命中） | 空闲时段 | 0.02元 | 0.15元``) and leaves row-spanned cells out (``| 高峰时段 |
    0.04元 | 0.30元``).  The rows are joined and filled from the row above; the footnote names the
    hours before saying they are the peak (``北京时间周一至周五（不含中国法定节假日）9:00 - 12:00、
    14:00 - 18:00 为高峰时段``): Monday to Friday, 01:00-04:00 and 06:00-10:00 UTC."""
    reading = deepseek.read((FIXTURES / "2026-09-textcopy.zh-cn.md").read_text(encoding="utf-8"))
    peak = "Mon-Fri 01:00-04:00,06:00-10:00 UTC"
    off = "Mon-Fri 00:00-01:00,04:00-06:00,10:00-24:00 UTC; Sat,Sun 00:00-24:00 UTC"
    got = {(q.model, q.component, q.tier, q.window, q.currency): q.price for q in reading.quotes}
    expected = {}
    for component, flash, pro in (("input_cache_hit", ("0.02", "0.04"), ("0.15", "0.30")),
                                  ("input", ("1", "2"), ("4.5", "9.0")), ("output", ("4", "8"), ("13.5", "27.0"))):
        for model, (low, high) in (("deepseek-flash", flash), ("deepseek-v4-pro", pro)):
            expected[(model, component, "off_peak", off, "CNY")] = Decimal(low)
            expected[(model, component, "peak", peak, "CNY")] = Decimal(high)
    assert got == expected
    assert [s.reason for s in reading.skipped] == [
        "peak hours exclude public holidays: a weekly UTC window cannot express holidays, so usage on a"
        " holiday is priced at the peak rate"]


def test_a_github_table_whose_rows_do_not_end_in_a_pipe_is_not_taken_for_a_browser_copy() -> None:
    page = ("## Model Details\n\n| MODEL | deepseek-chat | deepseek-reasoner\n| --- | --- | ---\n"
            "| 1M INPUT TOKENS (CACHE HIT) | $0.07 | $0.14\n| 1M INPUT TOKENS (CACHE MISS) | $0.27 | $0.55\n"
            "| 1M OUTPUT TOKENS | $1.10 | $2.19\n")
    assert {(q.model, q.component): q.price for q in deepseek.read(page).quotes} == {
        ("deepseek-chat", "input_cache_hit"): Decimal("0.07"), ("deepseek-reasoner", "input_cache_hit"): Decimal("0.14"),
        ("deepseek-chat", "input"): Decimal("0.27"), ("deepseek-reasoner", "input"): Decimal("0.55"),
        ("deepseek-chat", "output"): Decimal("1.10"), ("deepseek-reasoner", "output"): Decimal("2.19")}


@pytest.mark.parametrize("usd_after", [False, True], ids=["dollar-sign", "usd-after"])
def test_a_tab_separated_copy_of_the_one_model_per_row_table(usd_after: bool) -> None:
    """A copy of the 2025-01 table as tab-separated text: each header and price cell over several
    lines (``1M TOKENS`` / ``INPUT PRICE`` / ``(CACHE HIT) (4)<tab>...``, ``$0.07(5)`` / ``$0.014``).
    The rows are rebuilt at the model ids.  deepseek-chat's cells lost the strike-through of their
    list price; footnote (5) says the form shows "the original price and the discounted price",
    so the lower, second price is in force (a promo until 2025-02-08 16:00 UTC) and the first is
    its list price.  The footnote after the last row is not part of its cell."""
    text = (FIXTURES / "2025-01-23-tab-textcopy.en.txt").read_text(encoding="utf-8")
    if usd_after:  # a localised copy: "0.28 USD", so a price line no longer opens with "$"
        text = re.sub(r"\$(\d+(?:\.\d+)?)", r"\1 USD", text)
    reading = deepseek.read(text)
    until = datetime(2025, 2, 8, 16, 0, tzinfo=timezone.utc)
    assert {(q.model, q.component): (q.price, q.list_price, q.promo_until) for q in reading.quotes} == {
        ("deepseek-chat", "input_cache_hit"): (Decimal("0.014"), Decimal("0.07"), until),
        ("deepseek-chat", "input"): (Decimal("0.14"), Decimal("0.27"), until),
        ("deepseek-chat", "output"): (Decimal("0.28"), Decimal("1.10"), until),
        ("deepseek-reasoner", "input_cache_hit"): (Decimal("0.14"), None, None),
        ("deepseek-reasoner", "input"): (Decimal("0.55"), None, None),
        ("deepseek-reasoner", "output"): (Decimal("2.19"), None, None)}
    assert not any("two prices in one cell" in s.reason for s in reading.skipped)


def test_two_prices_in_a_cell_stay_uncertain_unless_the_footnote_says_which_is_which() -> None:
    """Without the "original price and the discounted price" footnote, or with a second price that
    is not the lower one, the cell is skipped as uncertain: a discount never costs more."""
    text = (FIXTURES / "2025-01-23-tab-textcopy.en.txt").read_text(encoding="utf-8")
    no_note = deepseek.read(text.replace("The form shows the original price and the discounted price. ", ""))
    reversed_ = deepseek.read(text.replace("$0.07(5)\n$0.014", "$0.014(5)\n$0.07"))
    assert not any(q.model == "deepseek-chat" for q in no_note.quotes)
    assert [s.where for s in no_note.skipped] == [
        "deepseek-chat input_cache_hit standard", "deepseek-chat input standard", "deepseek-chat output standard"]
    assert ("deepseek-chat", "input_cache_hit") not in {(q.model, q.component) for q in reversed_.quotes}
    assert [s.where for s in reversed_.skipped] == ["deepseek-chat input_cache_hit standard"]


def test_a_browser_copy_keeps_a_price_line_after_its_last_row_in_that_row() -> None:
    """``$0.28`` on its own line after the last ``| ... | $1.10(5)`` row is the rest of that cell
    (a list and a promo price whose strike-through the copy lost): taken apart, $1.10 would be
    read alone, the list price as if charged.  Kept together, the footnote says which is which."""
    page = ("Pricing Details\n| MODEL(1) | deepseek-reasoner | deepseek-chat\n"
            "| 1M TOKENS INPUT (CACHE HIT) | $0.14 | $0.07(5)\n$0.014\n"
            "| 1M TOKENS OUTPUT | $2.19 | $1.10(5)\n$0.28\n"
            "(5) The form shows the original price and the discounted price.\n")
    reading = deepseek.read(page)
    assert {(q.model, q.component): (q.price, q.list_price) for q in reading.quotes} == {
        ("deepseek-reasoner", "input_cache_hit"): (Decimal("0.14"), None),
        ("deepseek-reasoner", "output"): (Decimal("2.19"), None),
        ("deepseek-chat", "input_cache_hit"): (Decimal("0.014"), Decimal("0.07")),
        ("deepseek-chat", "output"): (Decimal("0.28"), Decimal("1.10"))}
    assert reading.skipped == []
