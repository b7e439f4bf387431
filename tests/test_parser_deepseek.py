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


REAL_EXPECTED = {
    "2024-12-28-dabaspark-pricing-en.md": (6, {("deepseek-chat", "input", "standard", "CNY"): ("1", "2")}),
    "628d6fd-petehsu-LLM-Docs-pricing-en-V3.2.md": (6, {("deepseek-reasoner", "output", "standard", "USD"): ("0.42", None)}),
    "2026-08-02-e6be0b6-thevibeworks-pricing-en.md": (6, {("deepseek-v4-pro", "input", "standard", "USD"): ("0.435", None)}),
    "2026-08-14-63cc211-thevibeworks-pricing-zh-cn.md": (18, {("deepseek-v4-pro", "output", "peak", "CNY"): ("27.0", None)}),
    "2026-08-17-695b915-thevibeworks-pricing-en.md": (12, {("deepseek-v4-pro", "output", "peak", "USD"): ("3.96", None)}),
}


@pytest.mark.skipif(not REAL_PAGES.is_dir(), reason="shared/real-pages is not beside this checkout")
@pytest.mark.parametrize("path", sorted(REAL_PAGES.glob("*.md")) if REAL_PAGES.is_dir() else [],
                         ids=lambda p: p.name)
def test_every_real_markdown_capture_parses(path: Path) -> None:
    if "textcopy" in path.name:
        pytest.skip("select-all text copy, not Markdown")
    quotes = deepseek.parse(path.read_text(encoding="utf-8"), "")
    assert len({q.model for q in quotes}) >= 1
    if path.name in REAL_EXPECTED:
        count, spot = REAL_EXPECTED[path.name]
        assert len(quotes) == count
        got = table([q for q in quotes if q.effective_from is None or q.tier != "standard"])
        for key, value in spot.items():
            assert got[key] == value


def test_prices_are_exact_decimals() -> None:
    quotes = parse("2026-08-14-announced.en.md")
    pro_hit = next(q for q in quotes if q.model == "deepseek-v4-pro" and q.component == "input_cache_hit"
                   and q.effective_from is None)
    assert pro_hit.price == Decimal("0.003625") and pro_hit.price_text == "$0.003625"


def test_a_json_body_is_a_parse_error_not_a_crash() -> None:
    with pytest.raises(ParseError, match=r"^deepseek: JSON is data, not a page"):
        deepseek.parse('{"error": "rate limited"}', "")
