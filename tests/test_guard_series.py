"""The failures of issue 12 through real scrapes (a mirror on 127.0.0.1, pages written here): each
produces no false change, and no real change beside it is lost or recorded late."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

from db.guard import CONFIRMED, DISCARDED, WAITING, screen
from db.health import waiting_suspects
from db.history import _load_observations, changes, prices_at
from db.schema import open_db
from parsers import registry
from parsers.quote import decimal_text, parse_utc
from scraper.mirror import Mirror
from scraper.run import run_scrape

FIXTURES = Path(__file__).parent / "fixtures"
MODELS = "https://openrouter.ai/api/v1/models"
EN = "https://api-docs.deepseek.com/quick_start/pricing"
ZH = "https://api-docs.deepseek.com/zh-cn/quick_start/pricing"


def models(prices: dict[str, tuple[str, str]]) -> bytes:
    """An OpenRouter /api/v1/models answer: model id -> (prompt, completion) in USD per token."""
    return json.dumps({"data": [
        {"id": model, "name": model, "context_length": 131072,
         "pricing": {"prompt": prompt, "completion": completion}}
        for model, (prompt, completion) in prices.items()]}).encode()


def night(day: int) -> str:
    return f"2026-03-{day:02d}T03:00:00Z"


def scrape(db_path: Path, mirror: Mirror, provider: str, day: int, **pages: bytes) -> None:
    mirror.pages = {{"models": MODELS, "en": EN, "zh": ZH}[k]: v for k, v in pages.items()}
    result = run_scrape(db_path, [provider], mirror.url, parse_utc(night(day)))
    assert result.ok, [s.error for s in result.sources]


def change_log(db_path: Path) -> list[tuple]:
    db = open_db(db_path)
    return sorted((r["model"], r["component"], r["currency"], r["kind"], r["old_price"], r["new_price"],
                   r["effective_at"][8:10], r["observed_after"] and r["observed_after"][8:10])
                  for r in changes(db))


def statuses(db_path: Path, provider: str) -> list[tuple[str, str]]:
    return [(s.observation.observed_at.strftime("%d"), s.status)
            for s in screen(_load_observations(open_db(db_path), provider)).suspects]


CATALOGUE = {"a/one": ("0.000001", "0.000002"), "a/two": ("0.000002", "0.000004"),
             "b/three": ("0.0000005", "0.0000015"), "b/four": ("0.000003", "0.000015"),
             "c/five": ("0.0000001", "0.0000004"), "c/six": ("0.00000015", "0.0000006")}


def test_a_four_day_cut_in_one_series_is_recorded_on_time_while_another_series_jumps(tmp_path):
    db = tmp_path / "prices.db"
    jumped = {**CATALOGUE, "a/one": ("0.001", "0.000002"), "b/three": ("0.00000025", "0.0000015")}
    cut = {**CATALOGUE, "b/three": ("0.00000025", "0.0000015")}
    with Mirror() as mirror:
        scrape(db, mirror, "openrouter", 1, models=models(CATALOGUE))
        scrape(db, mirror, "openrouter", 2, models=models(jumped))  # a/one read per 1K: held alone
        scrape(db, mirror, "openrouter", 3, models=models(cut))
        scrape(db, mirror, "openrouter", 5, models=models(cut))
        scrape(db, mirror, "openrouter", 6, models=models(CATALOGUE))
    assert change_log(db) == [
        ("b/three", "input", "USD", "cut", "0.5", "0.25", "02", "01"),
        ("b/three", "input", "USD", "increase", "0.25", "0.5", "06", "05")]
    assert statuses(db, "openrouter") == [("02", DISCARDED)]
    # usage during the cut is priced at the cut price
    rows = prices_at(open_db(db), parse_utc("2026-03-04T12:00:00Z"), "openrouter", "b/three")
    assert [(r["component"], r["price"]) for r in rows] == [("input", "0.25"), ("output", "1.5")]


def test_a_page_that_lost_half_its_models_holds_the_removed_series_and_records_the_others(tmp_path):
    db = tmp_path / "prices.db"
    half = {k: v for k, v in CATALOGUE.items() if k.startswith(("a/", "c/five"))}
    half["a/two"] = ("0.0000018", "0.000004")  # a real change on a model still listed
    with Mirror() as mirror:
        scrape(db, mirror, "openrouter", 1, models=models(CATALOGUE))
        scrape(db, mirror, "openrouter", 2, models=models(half))
        assert [s.reasons[0] for s in waiting_suspects(open_db(db))] == [
            "b/four input standard USD gone while the page is otherwise whole"]
        assert change_log(db) == [("a/two", "input", "USD", "cut", "2", "1.8", "02", "01")]
        scrape(db, mirror, "openrouter", 3, models=models({**CATALOGUE, "a/two": half["a/two"]}))
    assert change_log(db) == [("a/two", "input", "USD", "cut", "2", "1.8", "02", "01")]
    assert statuses(db, "openrouter") == [("02", DISCARDED)]


def test_models_really_removed_are_removed_from_the_night_they_went(tmp_path):
    db = tmp_path / "prices.db"
    fewer = {k: v for k, v in CATALOGUE.items() if k != "c/six"}
    with Mirror() as mirror:
        for day in (1, 2, 3, 4):
            scrape(db, mirror, "openrouter", day, models=models(CATALOGUE if day == 1 else fewer))
    assert change_log(db) == [("c/six", "input", "USD", "removed", "0.15", None, "02", "01"),
                              ("c/six", "output", "USD", "removed", "0.6", None, "02", "01")]
    assert statuses(db, "openrouter") == [("02", CONFIRMED)]


def test_a_page_whose_prices_all_read_zero_is_held_whole_with_no_false_cut(tmp_path):
    db = tmp_path / "prices.db"
    full = (FIXTURES / "deepseek" / "2025-02-20-full-price.en.md").read_bytes()
    zero = re.sub("([$¥])[0-9.]+".encode(), rb"\g<1>0", full)  # every $x and ¥x read as 0
    assert zero.count(b"$0 ") + zero.count(b"$0(") == 6
    with Mirror() as mirror:
        scrape(db, mirror, "deepseek", 1, en=full, zh=full)
        scrape(db, mirror, "deepseek", 2, en=zero, zh=zero)
        held = waiting_suspects(open_db(db))
        assert [(h.source_id, h.reasons[0]) for h in held] == [
            ("deepseek-en", "every price reads 0 (12 prices)"), ("deepseek-zh-cn", "every price reads 0 (12 prices)")]
        assert change_log(db) == []
        scrape(db, mirror, "deepseek", 3, en=full, zh=full)
    assert change_log(db) == []
    assert statuses(db, "deepseek") == [("02", DISCARDED), ("02", DISCARDED)]


def test_openrouter_float_noise_neither_changes_a_price_nor_discards_a_confirmed_move(tmp_path):
    db = tmp_path / "prices.db"
    spellings = ("0.00000008333333333333334", "0.00000008333333333333333", "0.00000008333333333333334")
    with Mirror() as mirror:
        scrape(db, mirror, "openrouter", 1, models=models({**CATALOGUE, "d/seven": ("0.000000005", "0.00000002")}))
        for day, spelling in zip((2, 3, 4), spellings):  # a real 16x move on night 2, then float noise
            scrape(db, mirror, "openrouter", day, models=models({**CATALOGUE, "d/seven": (spelling, "0.00000002")}))
    # the price as the parser reads the first spelling (it may round float noise away itself)
    first = next(q.price for q in registry.parse("openrouter", models({"d/seven": (spellings[0], "0")}).decode())
                 if q.component == "input")
    assert abs(first - Decimal("0.08333333333333334")) < Decimal("1e-12")
    assert change_log(db) == [("d/seven", "input", "USD", "increase", "0.005", decimal_text(first), "02", "01")]
    assert statuses(db, "openrouter") == [("02", CONFIRMED)]
    assert Decimal(prices_at(open_db(db), parse_utc(night(4)), "openrouter", "d/seven")[0]["price"]) == first
    assert waiting_suspects(open_db(db)) == [] and WAITING not in [s for _, s in statuses(db, "openrouter")]


def test_the_issues_three_spellings_after_a_held_move_are_never_a_discard(tmp_path):
    """0.0833 / 0.08333333333333333 / 0.08333333333333334 (per 1M) after an 11x move: the move is
    held, then confirmed because the price did not go back (the old guard wanted an identical
    price, and discarded it).  0.0833 is a shorter value, not a spelling: the 0.04 % step to
    1/12 is kept as the page wrote it; the float noise after it is no change."""
    db = tmp_path / "prices.db"
    spellings = ("0.0000000833", "0.00000008333333333333333", "0.00000008333333333333334")
    with Mirror() as mirror:
        scrape(db, mirror, "openrouter", 1, models=models({**CATALOGUE, "d/seven": ("0.0000000075", "0.00000002")}))
        for day, spelling in zip((2, 3, 4), spellings):
            scrape(db, mirror, "openrouter", day, models=models({**CATALOGUE, "d/seven": (spelling, "0.00000002")}))
    twelfth = next(q.price for q in registry.parse("openrouter", models({"d/seven": (spellings[1], "0")}).decode())
                   if q.component == "input")
    assert statuses(db, "openrouter") == [("02", CONFIRMED)]
    assert change_log(db) == [("d/seven", "input", "USD", "increase", "0.0075", "0.0833", "02", "01"),
                              ("d/seven", "input", "USD", "increase", "0.0833", decimal_text(twelfth), "03", "02")]
