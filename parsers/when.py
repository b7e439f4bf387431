"""Instants that pages state in prose: promo ends and announced effective times, made UTC.

Pages write them as ``2025-02-08 16:00 (UTC)``, ``16:00 UTC on August 16, 2026``, or in Beijing
time on the Chinese pages (``北京时间 2026 年 8 月 17 日 00:00``).  An instant without a stated
zone is never guessed: it is not returned.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

_MONTHS = {m: i for i, m in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"), start=1)}
_MONTH = r"(?P<month>[A-Z][a-z]+)\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})"
_TIME = r"(?P<hour>\d{1,2}):(?P<minute>\d{2})"
_UTC = r"\(?\s*UTC(?:\s*[+]\s*0)?\s*\)?"
_BEIJING = r"(?:北京时间|Beijing [Tt]ime|UTC\s*\+\s*8|\(UTC\+8\))"

_PATTERNS: tuple[tuple[re.Pattern[str], int], ...] = (
    # 2025-02-08 16:00 (UTC) / 2025-02-08 16:00 UTC
    (re.compile(rf"(?P<year>\d{{4}})-(?P<month>\d{{2}})-(?P<day>\d{{2}})[ T]{_TIME}\s*{_UTC}"), 0),
    # 16:00 UTC on August 16, 2026
    (re.compile(rf"{_TIME}\s*{_UTC}\s*on\s+{_MONTH}"), 0),
    # August 16, 2026 at 16:00 UTC / August 16, 2026, 16:00 UTC
    (re.compile(rf"{_MONTH},?\s*(?:at\s+)?{_TIME}\s*{_UTC}"), 0),
    # 北京时间 2026 年 8 月 17 日 00:00 / 北京时间2025-02-09 00:00
    (re.compile(rf"{_BEIJING}\s*(?P<year>\d{{4}})\s*年\s*(?P<month>\d{{1,2}})\s*月\s*(?P<day>\d{{1,2}})\s*日\s*{_TIME}"), 8),
    (re.compile(rf"{_BEIJING}\s*(?P<year>\d{{4}})-(?P<month>\d{{2}})-(?P<day>\d{{2}})\s*{_TIME}"), 8),
)


def find_instants(text: str) -> list[datetime]:
    """Every zoned instant stated in ``text``, as UTC, in order of appearance."""
    found: list[tuple[int, datetime]] = []
    for pattern, offset_hours in _PATTERNS:
        for m in pattern.finditer(text):
            instant = _build(m, offset_hours)
            if instant is not None:
                found.append((m.start(), instant))
    found.sort(key=lambda pair: pair[0])
    return [instant for _, instant in found]


def _build(m: re.Match[str], offset_hours: int) -> datetime | None:
    month_text = m.group("month")
    month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text.lower())
    if month is None:
        return None
    try:
        local = datetime(int(m.group("year")), month, int(m.group("day")), int(m.group("hour")),
                         int(m.group("minute")), tzinfo=timezone.utc)
    except ValueError:
        return None
    return local - timedelta(hours=offset_hours)


_DAY_PATTERNS: tuple[re.Pattern[str], ...] = (
    # September 1, 2026 / Sept. 1 2026
    re.compile(r"\b(?P<month>[A-Z][a-z]+)\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})\b"),
    # 1 September 2026
    re.compile(r"\b(?P<day>\d{1,2})\s+(?P<month>[A-Z][a-z]+)\.?,?\s+(?P<year>\d{4})\b"),
    # 2026-09-01
    re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b"),
)


def find_days(text: str) -> list[date]:
    """Calendar days written without a time or zone (``starting September 1, 2026``), in order.

    A day is not an instant: the caller turns it into one by the rule it documents for its page
    (Anthropic: the day starts at 00:00 UTC).  Months may be abbreviated (``Sept.``, ``Aug``).
    """
    found: list[tuple[int, date]] = []
    taken: list[tuple[int, int]] = []
    for pattern in _DAY_PATTERNS:
        for m in pattern.finditer(text):
            if any(start < m.end() and m.start() < end for start, end in taken):
                continue
            day = _day(m)
            if day is not None:
                found.append((m.start(), day))
                taken.append(m.span())
    found.sort(key=lambda pair: pair[0])
    return [day for _, day in found]


def _day(m: re.Match[str]) -> date | None:
    month_text = m.group("month")
    if month_text.isdigit():
        month: int | None = int(month_text)
    else:
        key = month_text.lower()
        month = _MONTHS.get(key) or next(
            (n for name, n in _MONTHS.items() if len(key) >= 3 and name.startswith(key)), None)
    if month is None:
        return None
    try:
        return date(int(m.group("year")), month, int(m.group("day")))
    except ValueError:
        return None
