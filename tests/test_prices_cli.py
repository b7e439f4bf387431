"""``ratecard prices``: filters validated against the history, money shown rounded with its
currency code in tables (exact in JSON and with ``--exact``), a note when the history is empty.

The history is the curated one shipped with ratecard (``backfill --curated``: offline, exact)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from db.schema import open_db
from scraper.cli import main
from db.display import money


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    db = tmp_path_factory.mktemp("curated") / "prices.db"
    assert main(["backfill", "--curated", "--db", str(db)]) == 0
    yield db


def run(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_money_is_rounded_half_up_to_the_currency_places_and_marked_when_rounded():
    assert money("0.14", "USD") == "USD 0.1400"
    assert money("0.00275", "USD") == "USD ~0.0028"
    assert money("0.00274", "usd") == "USD ~0.0027"
    assert money("0.00275", "USD", exact=True) == "USD 0.00275"
    assert money("0.0123456789", "EUR", "cost") == "EUR ~0.012346"
    assert money("12.345", "CNY", "total") == "CNY ~12.35"
    assert money("1234.5", "JPY", "total") == "JPY ~1235"
    assert money(None, "USD") == ""
    assert money("9" * 40 + ".123456789", "USD", "cost") == "USD ~" + "9" * 40 + ".123457"


def test_unknown_provider_is_an_error_with_the_closest_ids(history, capsys):
    code, out, err = run(capsys, "prices", "--db", str(history), "--provider", "deepsek")
    assert (code, out) == (1, "")
    assert err == "ratecard prices: --provider 'deepsek': not in the history; did you mean deepseek?\n"


def test_unknown_model_suggests_among_the_providers_models(history, capsys):
    code, _, err = run(capsys, "prices", "--db", str(history), "--provider", "deepseek",
                       "--model", "deepseek-chatt")
    assert code == 1
    assert err.startswith("ratecard prices: --model 'deepseek-chatt': not among deepseek's in the history;"
                          " did you mean deepseek-chat")


def test_unknown_currency_lists_the_known_ones(history, capsys):
    code, _, err = run(capsys, "prices", "--db", str(history), "--currency", "GBP")
    assert code == 1
    assert err == "ratecard prices: --currency 'GBP': not in the history; known: CNY, EUR, USD\n"


def test_mixed_case_filters_match_and_currency_filters(history, capsys):
    code, out, _ = run(capsys, "prices", "--db", str(history), "--provider", "DeepSeek",
                       "--model", "DeepSeek-Chat", "--currency", "usd", "--at", "2025-01-15T12:00:00Z", "--json")
    assert code == 0
    rows = json.loads(out)
    assert {(r["component"], r["price"], r["list_price"], r["currency"]) for r in rows} == {
        ("input", "0.14", "0.27", "USD"), ("input_cache_hit", "0.014", "0.07", "USD"),
        ("output", "0.28", "1.1", "USD")}


def test_table_rounds_with_the_code_and_exact_shows_the_stored_text(history, capsys):
    args = ["prices", "--db", str(history), "--provider", "deepseek", "--model", "deepseek-chat",
            "--currency", "USD", "--at", "2025-01-15T12:00:00Z"]
    _, out, _ = run(capsys, *args)
    header, *lines = out.splitlines()
    assert "currency" not in header.split()
    cache = next(line for line in lines if " input_cache_hit " in line).split()
    assert cache[4:8] == ["USD", "0.0140", "USD", "0.0700"]
    _, out, _ = run(capsys, *args, "--exact")
    cache = next(line for line in out.splitlines() if " input_cache_hit " in line).split()
    assert cache[4:8] == ["USD", "0.014", "USD", "0.07"]


def test_an_empty_history_says_how_to_fill_it(tmp_path, capsys):
    empty = tmp_path / "empty.db"
    open_db(empty).close()
    code, out, err = run(capsys, "prices", "--db", str(empty))
    assert code == 0
    assert out.startswith("provider  model")
    assert err == ("note: the history has no prices yet (run `ratecard scrape`, or offline"
                   " `ratecard backfill --curated`)\n")


def test_explain_table_rounds_money_with_the_code_and_exact_shows_every_digit(history, capsys):
    day = Path(__file__).parent / "fixtures" / "usage" / "deepseek_day.csv"
    args = ["explain", str(day), "--db", str(history), "--before", "2025-09-01", "--after", "2025-10-01"]
    code, out, _ = run(capsys, *args)
    assert code == 0
    output = next(line for line in out.splitlines() if line.startswith("deepseek/deepseek-chat  output"))
    assert output.split()[3:9] == ["USD", "1.1000", "USD", "0.4200", "-61.82", "%"]
    assert output.split()[11:15] == ["USD", "~3.411075", "USD", "~1.302410"]
    assert "4.22086486 USD" in out  # the bills stay exact in the sentences above the table
    code, out, _ = run(capsys, *args, "--exact")
    output = next(line for line in out.splitlines() if line.startswith("deepseek/deepseek-chat  output"))
    assert output.split()[11:15] == ["USD", "3.4110747", "USD", "1.30241034"]
