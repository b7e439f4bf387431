"""Instants stated in page prose become UTC; an instant without a zone is not guessed."""

from datetime import datetime, timezone

from parsers.when import find_instants


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
