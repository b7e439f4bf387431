"""Instants that pages state in prose: promo ends and announced effective times, made UTC.

Pages write them as ``2025-02-08 16:00 (UTC)``, ``2026/05/31 15:59 UTC``, ``2026/4/26 12:15 UTC``,
``16:00 UTC on August 16, 2026``, or in Beijing time (UTC+8) on the Chinese pages
(``北京时间 2026 年 8 月 17 日 00:00``, ``2026年8月17日 00:00（北京时间）``, ``00:00 Beijing time on
August 17, 2026``).  Three readers, from strict to lenient:

* :func:`find_instants`: only instants whose zone the page states.  Never guesses.
* :func:`find_days`: calendar days written without time or zone (``September 1, 2026``,
  ``2026/9/1``, ``2026年9月1日``); the caller turns a day into an instant by its own rule.
* :func:`find_dated`: everything above, each with what the words around it say it is
  (``start``: "starting", "from ... onwards", "takes effect", "will apply from", 起, 开始, 生效;
  ``end``: "until", "through", 截至, 前), and days or zone-less times placed in a zone the caller
  names.  **The zone rule is the caller's, per provider, and documented there**: DeepSeek states
  its times in UTC (English) or Beijing time (Chinese) and counts days in Beijing time, so its
  parser passes UTC+8; for US providers a bare date is that day at 00:00 UTC (``zone_hours=0``).
  A day read as an *end* ("through August 31, 2026") ends when the next day starts, so the whole
  day is included; a day read as a start begins at its 00:00.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

_MONTHS = {m: i for i, m in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"), start=1)}
_MONTH = r"(?P<month>[A-Z][a-z]+)\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})"
_TIME = r"(?P<hour>\d{1,2}):(?P<minute>\d{2})"
_UTC = r"[(（]?\s*(?:UTC|GMT)(?:\s*[+]\s*0(?::?00)?)?(?![+\-\d])\s*[)）]?"
_BEIJING = r"(?:北京时间|Beijing [Tt]ime|(?:UTC|GMT)\s*\+\s*0?8(?::?00)?|\(UTC\+8\))"
_BEIJING_AFTER = rf"\s*[(（]?\s*{_BEIJING}\s*[)）]?"
#: A numeric date: 2026-08-17, 2026/8/17, 2026.8.17, 2026年8月17日.
_NUM_DATE = (r"(?P<year>\d{4})(?:\s*(?P<sep>[-/.])\s*(?P<month>\d{1,2})\s*(?P=sep)\s*(?P<day>\d{1,2})"
             r"|\s*年\s*(?P<cmonth>\d{1,2})\s*月\s*(?P<cday>\d{1,2})\s*[日号])")
_CLOCK = r"(?P<hour>\d{1,2})(?::(?P<minute>\d{2})|\s*[点時时](?:(?P<cminute>\d{1,2})\s*分|整)?)"

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
#: Added forms (numeric dates with ``/``, one-digit months, Chinese clocks, zones after the time);
#: kept apart from the patterns above so their matches stay exactly as they were.
_MORE_PATTERNS: tuple[tuple[re.Pattern[str], int], ...] = (
    # 2026/05/31 15:59 UTC / 2026/4/26 12:15 UTC / 2026-4-26 12:15 UTC
    (re.compile(rf"{_NUM_DATE}[ T]*{_CLOCK}\s*{_UTC}"), 0),
    # 2026年8月17日 00:00（北京时间） / 2026/08/17 00:00 Beijing time / 2026-08-17 00:00 UTC+8
    (re.compile(rf"{_NUM_DATE}[ T]*{_CLOCK}{_BEIJING_AFTER}"), 8),
    # 北京时间 2026/08/17 00:00 / 北京时间 2026年8月17日0点
    (re.compile(rf"{_BEIJING}\s*[:：]?\s*{_NUM_DATE}[ T]*{_CLOCK}"), 8),
    # 00:00 Beijing time on August 17, 2026
    (re.compile(rf"{_TIME}\s*[(（]?{_BEIJING}[)）]?\s*on\s+{_MONTH}"), 8),
    # August 17, 2026 at 00:00 Beijing time / (UTC+8)
    (re.compile(rf"{_MONTH},?\s*(?:at\s+)?{_TIME}{_BEIJING_AFTER}"), 8),
)
#: Times written without a zone: placed by the caller's zone rule in :func:`find_dated` only.
_UNZONED_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(rf"{_NUM_DATE}[ T]*{_CLOCK}"),
    re.compile(rf"{_MONTH},?\s*(?:at\s+)?{_TIME}"),
    re.compile(rf"{_TIME}\s*on\s+{_MONTH}"),
)


def find_instants(text: str) -> list[datetime]:
    """Every zoned instant stated in ``text``, as UTC, in order of appearance."""
    return [instant for _, instant in _zoned(text)]


def _zoned(text: str) -> list[tuple[tuple[int, int], datetime]]:
    """(span, instant) of every zoned instant; a match inside an earlier one is not counted twice."""
    found: list[tuple[tuple[int, int], datetime]] = []
    for pattern, offset_hours in _PATTERNS + _MORE_PATTERNS:
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for (a, b), _ in found):
                continue
            instant = _build(m, offset_hours)
            if instant is not None:
                found.append((m.span(), instant))
    found.sort(key=lambda pair: pair[0])
    return found


def _group(m: re.Match[str], *names: str) -> str | None:
    for name in names:
        if name in m.re.groupindex and m.group(name) is not None:
            return m.group(name)
    return None


def _build(m: re.Match[str], offset_hours: int) -> datetime | None:
    month_text = _group(m, "month", "cmonth") or ""
    month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text.lower())
    if month is None:
        return None
    minute = _group(m, "minute", "cminute") or "0"
    try:
        local = datetime(int(m.group("year")), month, int(_group(m, "day", "cday") or ""),
                         int(m.group("hour")), int(minute), tzinfo=timezone.utc)
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
    # 2026/9/1, 2026-9-1, 2026.9.1, 2026年9月1日
    re.compile(rf"(?<!\d){_NUM_DATE}(?!\d)"),
)


def find_days(text: str) -> list[date]:
    """Calendar days written without a time or zone (``starting September 1, 2026``), in order.

    A day is not an instant: the caller turns it into one by the rule it documents for its page
    (Anthropic: the day starts at 00:00 UTC).  Months may be abbreviated (``Sept.``, ``Aug``).
    """
    return [day for _, day in _days(text)]


def _days(text: str) -> list[tuple[tuple[int, int], date]]:
    found: list[tuple[tuple[int, int], date]] = []
    for pattern in _DAY_PATTERNS:
        for m in pattern.finditer(text):
            if any(start < m.end() and m.start() < end for (start, end), _ in found):
                continue
            day = _day(m)
            if day is not None:
                found.append((m.span(), day))
    found.sort(key=lambda pair: pair[0])
    return found


def _day(m: re.Match[str]) -> date | None:
    month_text = _group(m, "month", "cmonth") or ""
    if month_text.isdigit():
        month: int | None = int(month_text)
    else:
        key = month_text.lower()
        month = _MONTHS.get(key) or next(
            (n for name, n in _MONTHS.items() if len(key) >= 3 and name.startswith(key)), None)
    if month is None:
        return None
    try:
        return date(int(m.group("year")), month, int(_group(m, "day", "cday") or ""))
    except ValueError:
        return None


#: Words that make a stated date the start of something (new prices), or its end (a promo).
#: Before the date: the nearest such word wins ("From now until 2025-02-08" is an end).
_START_BEFORE = re.compile(
    r"(?:\bstart(?:s|ing)?(?:\s+(?:from|on|at))?|\bbeginning(?:\s+(?:from|on|at))?|\bfrom|\beffective(?:\s+(?:from|on|at|as\s+of))?"
    r"|\btakes?\s+effect(?:\s+(?:from|on|at|as\s+of))?|\btaking\s+effect|\bapply\s+(?:from|on|at|as\s+of)|\bapplies\s+from"
    r"|\bas\s+of|\bafter|\bon|\bat|自|从|于|将于|起始于)\s*$", re.I)
_END_BEFORE = re.compile(
    r"(?:\buntil|\btill|\bthrough|\bthru|\bup\s+to|\bends?(?:\s+(?:on|at))?|\bending(?:\s+(?:on|at))?"
    r"|\bexpires?(?:\s+(?:on|at))?|\bextended\s+(?:to|until)|\bbefore|\bby|截至|截止(?:到|至)?|至|到)\s*$", re.I)
_START_AFTER = re.compile(r"^\s*[)）]?\s*(?:起|开始|生效|后|之后|以后|onwards?\b|and\s+(?:later|after)\b)")
_END_AFTER = re.compile(r"^\s*[)）]?\s*(?:前|之前|以前|为止|结束|止)")
#: How far back the words that qualify a date are looked for (same sentence only).
_LOOK_BACK = 40


@dataclass(frozen=True)
class Dated:
    """A date or instant a page states, as UTC, with what it is.

    ``kind`` is ``start`` (prices from then on), ``end`` (a promo until then) or ``""`` (the
    words do not say).  ``zoned`` is False when the page gave no zone (or no time) and the
    caller's zone rule placed it.  ``span`` is where it was read in the text.
    """

    instant: datetime
    kind: str
    zoned: bool
    span: tuple[int, int]


def find_dated(text: str, zone_hours: int | None = None) -> list[Dated]:
    """Every date and instant in ``text`` with its kind, in order of appearance.

    Zoned instants are always read.  With ``zone_hours`` (the caller's documented rule for its
    pages), times without a zone are taken in UTC+``zone_hours`` and days without a time start at
    00:00 there (a day read as an end lasts to the next day's 00:00); without it they are left out.
    """
    found: list[tuple[tuple[int, int], datetime, bool, bool]] = [(span, t, True, False) for span, t in _zoned(text)]

    def free(span: tuple[int, int]) -> bool:
        return not any(a < span[1] and span[0] < b for (a, b), *_ in found)

    if zone_hours is not None:
        for pattern in _UNZONED_PATTERNS:
            for m in pattern.finditer(text):
                instant = _build(m, zone_hours)
                if instant is not None and free(m.span()):
                    found.append((m.span(), instant, False, False))
        for span, day in _days(text):
            if free(span):
                midnight = datetime(day.year, day.month, day.day, tzinfo=timezone.utc) - timedelta(hours=zone_hours)
                found.append((span, midnight, False, True))
    found.sort(key=lambda item: item[0])
    out: list[Dated] = []
    for (start, end), instant, zoned, whole_day in found:
        kind = _kind(text, start, end)
        if whole_day and kind == "end":
            instant += timedelta(days=1)
        out.append(Dated(instant, kind, zoned, (start, end)))
    return out


def _kind(text: str, start: int, end: int) -> str:
    after = text[end:end + 12]
    if _START_AFTER.match(after):
        return "start"
    if _END_AFTER.match(after):
        return "end"
    before = re.split(r"[.。;；!?！？\n]", text[max(0, start - _LOOK_BACK):start])[-1]
    before = before.rstrip(" ,，:：(（\t*_`")
    starts, ends = _START_BEFORE.search(before), _END_BEFORE.search(before)
    if ends:
        return "end"
    if starts:
        return "start"
    nearest = max(((m.start(), k) for k, r in (("start", _START_WORD), ("end", _END_WORD))
                   for m in r.finditer(before)), default=None)
    return nearest[1] if nearest else ""


_START_WORD = re.compile(r"\b(?:start|starting|from|effective|take[sn]?\s+effect|apply|applies|onwards?)\b|起|开始|生效|执行", re.I)
_END_WORD = re.compile(r"\b(?:until|till|through|thru|ends?|ending|expires?|extended)\b|截至|截止|结束", re.I)
