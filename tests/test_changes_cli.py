"""``ratecard changes``: --since/--until bound effective_at with the one meaning of a time (a date
is the whole UTC day), --provider/--model/--currency validated, money rounded in tables only.

History: the curated one shipped with ratecard (offline, exact instants)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from scraper.cli import main


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    db = tmp_path_factory.mktemp("curated") / "prices.db"
    assert main(["backfill", "--curated", "--db", str(db)]) == 0
    yield db


def changes(capsys, history: Path, *args: str) -> list[dict]:
    capsys.readouterr()
    assert main(["changes", "--db", str(history), "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_date_bound_covers_the_whole_utc_day_on_both_sides(history, capsys):
    # DeepSeek's V3.2 cut is effective 2025-09-30T00:00Z, the September repricing 2025-09-05T16:00Z.
    base = ("--provider", "deepseek", "--currency", "CNY", "--model", "deepseek-chat")
    day = changes(capsys, history, *base, "--since", "2025-09-05", "--until", "2025-09-05")
    assert {(c["effective_at"], c["component"], c["tier"], c["kind"]) for c in day} == {
        ("2025-09-05T16:00:00Z", "input", "off_peak", "removed"),
        ("2025-09-05T16:00:00Z", "input", "standard", "increase"),
        ("2025-09-05T16:00:00Z", "input_cache_hit", "off_peak", "removed"),
        ("2025-09-05T16:00:00Z", "input_cache_hit", "standard", "terms"),
        ("2025-09-05T16:00:00Z", "output", "off_peak", "removed"),
        ("2025-09-05T16:00:00Z", "output", "standard", "increase")}
    # An instant bound is inclusive: one second earlier excludes it, the instant itself keeps it.
    assert changes(capsys, history, *base, "--since", "2025-09-05T00:00:00Z",
                   "--until", "2025-09-05T15:59:59Z") == []
    assert len(changes(capsys, history, *base, "--until", "2025-09-05T16:00:00Z",
                       "--since", "2025-09-05T16:00:00Z")) == 6
    assert changes(capsys, history, *base, "--since", "2025-09-06", "--until", "2025-09-29") == []
    cut = changes(capsys, history, *base, "--since", "2025-09-30", "--until", "2025-09-30")
    assert sorted((c["component"], c["old_price"], c["new_price"], c["percent_change"]) for c in cut) == [
        ("input", "4", "2", "-50.00"), ("input_cache_hit", "0.5", "0.2", "-60.00"),
        ("output", "12", "3", "-75.00")]


def test_since_after_until_is_refused(history, capsys):
    capsys.readouterr()
    assert main(["changes", "--db", str(history), "--since", "2025-10-01", "--until", "2025-09-01"]) == 1
    assert capsys.readouterr().err == "ratecard changes: --since 2025-10-01 is after --until 2025-09-01\n"


def test_unknown_model_is_an_error_with_a_suggestion(history, capsys):
    capsys.readouterr()
    assert main(["changes", "--db", str(history), "--model", "claude-opus-4-1x"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ratecard changes: --model 'claude-opus-4-1x': not in the history; did you mean ")
    assert "claude-opus-4-1" in err


def test_table_shows_rounded_prices_with_the_code(history, capsys):
    capsys.readouterr()
    assert main(["changes", "--db", str(history), "--provider", "deepseek", "--model", "deepseek-chat",
                 "--currency", "USD", "--since", "2025-09-30", "--until", "2025-09-30"]) == 0
    lines = capsys.readouterr().out.splitlines()
    cache = next(line for line in lines if " input_cache_hit " in line).split()
    assert cache[6:11] == ["cut", "USD", "0.0700", "USD", "0.0280"]
