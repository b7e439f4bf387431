"""Instants stated in page prose become UTC; an instant without a zone is not guessed."""

from datetime import date, datetime, timezone

from parsers.when import find_days, find_instants


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def test_iso_with_utc() -> None:
    assert find_instants("From now until 2025-02-08 16:00 (UTC), all users") == [utc(2025, 2, 8, 16, 0)]


def test_english_prose_with_utc() -> None:
    assert find_instants("take effect at 16:00 UTC on August 16, 2026, as follows") == [utc(2026, 8, 16, 16, 0)]
    assert find_instants("from September 29, 2025 at 10:00 UTC") == [utc(2025, 9, 29, 10, 0)]


def test_beijing_time_is_eight_hours_ahead() -> None:
    assert find_instants("新价格将于北京时间 2026 年 8 月 17 日 00:00 开始生效") == [utc(2026, 8, 16, 16, 0)]
    assert find_instants("北京时间2025-02-09 00:00 前") == [utc(2025, 2, 8, 16, 0)]


def test_no_zone_no_instant() -> None:
    assert find_instants("until 2025-02-08 16:00, enjoy") == []


def test_days_without_a_time_are_days_not_instants() -> None:
    text = "Claude Sonnet 5 through August 31, 2026 | Claude Sonnet 5starting September 1, 2026"
    assert find_days(text) == [date(2026, 8, 31), date(2026, 9, 1)]
    assert find_instants(text) == []
    assert find_days("from Sept. 1 2026, or 1 October 2026, or 2026-11-02") == [
        date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 2)]


def test_words_that_are_not_months_and_impossible_days_give_no_day() -> None:
    assert find_days("Claude Opus 4, 2026 and February 30, 2026 and 2026-13-01") == []
