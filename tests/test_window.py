"""Time-of-day windows: the grammar parsers write and reprice reads."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from parsers import window
from parsers.window import WindowError, from_local, parse


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def test_empty_string_is_always():
    w = parse("")
    assert w.always
    assert w.contains(utc("2025-02-26 12:00"))
    assert w.format() == ""


def test_window_wrapping_midnight():
    w = parse("16:30-00:30 UTC")
    assert not w.contains(utc("2025-02-26 16:29:59"))
    assert w.contains(utc("2025-02-26 16:30"))
    assert w.contains(utc("2025-02-26 23:59:59"))
    assert w.contains(utc("2025-02-27 00:00"))
    assert w.contains(utc("2025-02-27 00:29:59"))
    assert not w.contains(utc("2025-02-27 00:30"))
    assert w.format() == "16:30-00:30 UTC"


def test_wrap_across_the_end_of_the_week():
    w = parse("16:30-00:30 UTC")
    assert w.contains(utc("2025-03-02 23:00"))  # a Sunday
    assert w.contains(utc("2025-03-03 00:10"))  # the Monday after
    assert not w.contains(utc("2025-03-03 00:30"))


def test_several_ranges():
    w = parse("01:00-04:00,06:00-10:00 UTC")
    assert [w.contains(utc(f"2025-02-26 {h:02d}:00")) for h in range(12)] == [
        False, True, True, True, False, False, True, True, True, True, False, False]


def test_end_at_24():
    w = parse("22:00-24:00 UTC")
    assert w.contains(utc("2025-02-26 23:59:59"))
    assert not w.contains(utc("2025-02-27 00:00"))
    assert w.format() == "22:00-24:00 UTC"


def test_weekday_prefix():
    w = parse("Mon-Fri 01:00-04:00 UTC")
    assert w.contains(utc("2025-02-28 02:00"))      # Friday
    assert not w.contains(utc("2025-03-01 02:00"))  # Saturday
    weekend = parse("Sat,Sun 00:00-24:00 UTC")
    assert weekend.contains(utc("2025-03-01 00:00"))
    assert weekend.contains(utc("2025-03-02 23:59"))
    assert not weekend.contains(utc("2025-03-03 00:00"))
    assert weekend.format() == "Sat,Sun 00:00-24:00 UTC"


def test_wrapping_range_belongs_to_the_day_it_starts():
    w = parse("Fri 23:00-01:00 UTC")
    assert w.contains(utc("2025-03-01 00:30"))       # Saturday morning, from Friday's range
    assert not w.contains(utc("2025-02-28 00:30"))   # Friday morning: Thursday had no range
    assert w.format() == "Fri 23:00-24:00 UTC; Sat 00:00-01:00 UTC"
    assert parse(w.format()) == w


def test_aware_instants_are_converted_to_utc():
    beijing = timezone(timedelta(hours=8))
    w = parse("16:30-00:30 UTC")
    assert w.contains(datetime(2025, 2, 27, 0, 30, tzinfo=beijing))  # 16:30 UTC
    assert not w.contains(datetime(2025, 2, 27, 0, 29, tzinfo=beijing))


def test_complement_is_off_peak():
    assert parse("00:30-16:30 UTC").complement().format() == "16:30-00:30 UTC"
    assert parse("16:30-00:30 UTC").complement().format() == "00:30-16:30 UTC"
    assert (parse("Mon-Fri 01:00-04:00 UTC").complement().format()
            == "Mon-Fri 00:00-01:00,04:00-24:00 UTC; Sat,Sun 00:00-24:00 UTC")
    assert parse("").complement().intervals == ()


def test_complement_twice_is_identity():
    w = parse("Mon,Wed-Fri 01:00-04:00,22:00-02:00 UTC")
    assert w.complement().complement() == w


def test_never_window_has_no_string_form():
    with pytest.raises(WindowError, match="never applies"):
        parse("").complement().format()


def test_from_local_beijing_time():
    w = from_local("9:00-12:00、14:00-18:00", 8)
    assert w.format() == "01:00-04:00,06:00-10:00 UTC"
    assert w.complement().format() == "04:00-06:00,10:00-01:00 UTC"


def test_from_local_wraps_into_the_previous_utc_day():
    # DeepSeek's off-peak 00:30-08:30 Beijing time is 16:30-00:30 UTC.
    assert from_local("00:30-08:30", 8).format() == "16:30-00:30 UTC"


def test_from_local_moves_weekdays_with_the_offset():
    # Monday 06:00-10:00 in Beijing starts on Sunday 22:00 UTC.
    w = from_local("06:00-10:00", 8, days="Mon")
    assert w.format() == "Mon 00:00-02:00 UTC; Sun 22:00-24:00 UTC"
    assert w.contains(utc("2025-03-02 22:00"))  # Sunday
    assert not w.contains(utc("2025-03-03 22:00"))


def test_from_local_half_hour_offset():
    assert from_local("09:00-17:00", 5.5).format() == "03:30-11:30 UTC"


def test_contains_minute_of_the_week():
    w = parse("Mon-Fri 01:00-04:00 UTC")
    assert w.contains_minute(60) and not w.contains_minute(59)          # Monday 01:00 / 00:59
    assert w.contains_minute(4 * 1440 + 239)                             # Friday 03:59
    assert not w.contains_minute(5 * 1440 + 60)                          # Saturday 01:00


def test_canonical_form_is_stable():
    assert parse("06:00-10:00,01:00-04:00 UTC").format() == "01:00-04:00,06:00-10:00 UTC"
    assert parse("01:00-03:00,02:00-04:00 UTC").format() == "01:00-04:00 UTC"
    assert parse("mon-sun 00:00-24:00 UTC").format() == ""


def test_module_level_contains():
    assert window.contains("16:30-00:30 UTC", utc("2025-02-26 20:00"))
    assert not window.contains("16:30-00:30 UTC", utc("2025-02-26 12:00"))


@pytest.mark.parametrize("text, message", [
    ("16:30-00:30", "must end in ' UTC'"),
    ("25:00-01:00 UTC", "not a valid time of day"),
    ("10:00-24:01 UTC", "not a valid time of day"),
    ("10:60-11:00 UTC", "not a valid time of day"),
    ("10:00-10:00 UTC", "is empty"),
    ("10-11 UTC", "not a HH:MM-HH:MM range"),
    ("Mon-Fry 01:00-02:00 UTC", "'Fry' is not a weekday"),
])
def test_bad_windows_say_what_is_wrong(text, message):
    with pytest.raises(WindowError, match=message):
        parse(text)


def test_bad_local_range():
    with pytest.raises(WindowError, match="not a HH:MM-HH:MM range"):
        from_local("9am-12pm", 8)
    with pytest.raises(WindowError, match="whole number of minutes"):
        from_local("09:00-10:00", 8.01)
