"""DeepSeek's pricing page in each of its eras, HTML and Markdown, English and Chinese."""

from __future__ import annotations

import json
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


@pytest.mark.parametrize("name", ["2024-12-28-promo.en.html", "2024-12-28-promo.en.md"])
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
