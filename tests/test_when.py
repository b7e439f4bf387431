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


# --- forms the 2026 pages use, and what the words around a date say it is ---------------------

from parsers.when import find_dated  # noqa: E402


def dated(text: str, zone_hours: int | None = None) -> list[tuple[datetime, str, bool]]:
    return [(d.instant, d.kind, d.zoned) for d in find_dated(text, zone_hours)]


def test_slash_dates_with_utc_and_one_digit_months() -> None:
    assert find_instants("extended until 2026/05/31 15:59 UTC.") == [utc(2026, 5, 31, 15, 59)]
    assert find_instants("takes effect from 2026/4/26 12:15 UTC.") == [utc(2026, 4, 26, 12, 15)]
    assert find_instants("from 2026-4-26 12:15 UTC") == [utc(2026, 4, 26, 12, 15)]


def test_beijing_time_written_after_the_time_or_in_english() -> None:
    assert find_instants("2026年8月17日 00:00（北京时间）起") == [utc(2026, 8, 16, 16, 0)]
    assert find_instants("北京时间 2026年8月17日0点起") == [utc(2026, 8, 16, 16, 0)]
    assert find_instants("北京时间 2026/08/17 09:30") == [utc(2026, 8, 17, 1, 30)]
    assert find_instants("from 00:00 Beijing time on August 17, 2026") == [utc(2026, 8, 16, 16, 0)]
    assert find_instants("effective August 17, 2026 at 00:00 (UTC+8)") == [utc(2026, 8, 16, 16, 0)]
    # UTC+8 is not UTC: the plain-UTC reading must not take it
    assert find_instants("2026-08-17 00:00 UTC+8") == [utc(2026, 8, 16, 16, 0)]


def test_the_words_around_a_date_say_start_or_end() -> None:
    assert dated("offered at a 75% discount, extended until 2026/05/31 15:59 UTC.") == [
        (utc(2026, 5, 31, 15, 59), "end", True)]
    assert dated("This price adjustment takes effect from 2026/4/26 12:15 UTC.") == [
        (utc(2026, 4, 26, 12, 15), "start", True)]
    assert dated("From now until 2025-02-08 16:00 (UTC), all users") == [(utc(2025, 2, 8, 16, 0), "end", True)]
    for wording in ("take effect at", "will apply from", "will be charged from", "are effective from"):
        assert dated(f"The new prices {wording} 16:00 UTC on August 16, 2026, as follows:") == [
            (utc(2026, 8, 16, 16, 0), "start", True)], wording
    assert dated("新价格将于北京时间 2026 年 8 月 17 日 00:00 开始生效") == [(utc(2026, 8, 16, 16, 0), "start", True)]
    assert dated("优惠截至北京时间 2026年6月1日 0点") == [(utc(2026, 5, 31, 16, 0), "end", True)]
    assert dated("北京时间 2025-02-09 00:00 前") == [(utc(2025, 2, 8, 16, 0), "end", True)]


def test_days_and_unzoned_times_follow_the_callers_zone_rule() -> None:
    # Without a rule, nothing without a zone is returned.
    assert dated("starting September 1, 2026") == []
    assert dated("until 2025-02-08 16:00, enjoy") == []
    # US providers: a bare date is that day at 00:00 UTC; a day that ends something lasts all day.
    assert dated("starting September 1, 2026", 0) == [(utc(2026, 9, 1), "start", False)]
    assert dated("Claude Sonnet 5 through August 31, 2026", 0) == [(utc(2026, 9, 1), "end", False)]
    assert dated("from September 1, 2026 onwards", 0) == [(utc(2026, 9, 1), "start", False)]
    assert dated("from 2026-09-01 onwards", 0) == [(utc(2026, 9, 1), "start", False)]
    # DeepSeek counts days in Beijing time (UTC+8).
    assert dated("2026年9月1日起，价格调整为", 8) == [(utc(2026, 8, 31, 16), "start", False)]
    assert dated("截至 2026年5月31日", 8) == [(utc(2026, 5, 31, 16), "end", False)]
    assert dated("until 2025-02-08 16:00, enjoy", 8) == [(utc(2025, 2, 8, 8, 0), "end", False)]
    # A zoned instant keeps its own zone whatever the rule.
    assert dated("until 2025-02-08 16:00 UTC", 8) == [(utc(2025, 2, 8, 16, 0), "end", True)]


def test_find_days_reads_numeric_and_chinese_days() -> None:
    assert find_days("2026/9/1 and 2026年10月2日 and 2026.11.3") == [
        date(2026, 9, 1), date(2026, 10, 2), date(2026, 11, 3)]
    assert find_days("2026/13/1 and 2026年2月30日") == []
