"""Time-of-day windows: when a tiered price (off-peak, peak) applies, as one canonical UTC string.

Parsers write ``Quote.window`` with :func:`from_local` / :meth:`Window.complement` and
:meth:`Window.format`; reprice reads it back with :func:`parse` and cuts the week at its edges.
Keeping both sides on one grammar means a window that a parser stored is exactly the window a
usage row is tested against.

Grammar (always UTC; the empty string means "always")::

    window  := clause ("; " clause)*
    clause  := [days " "] range ("," range)* " UTC"
    days    := day-spec ("," day-spec)*          day-spec := Day | Day "-" Day   (Mon..Sun)
    range   := HH:MM "-" HH:MM                    24:00 allowed as an end

A range whose end is not after its start wraps midnight (``16:30-00:30``) and belongs to the day
it starts on: ``Fri 23:00-01:00 UTC`` covers Friday 23:00 to Saturday 01:00.  Several clauses are
needed only when days differ (the complement of ``Mon-Fri 01:00-04:00 UTC``).

Internally a window is a sorted tuple of disjoint ``[start, end)`` minute-of-week intervals
(Monday 00:00 UTC = 0), so contains/complement/format are plain interval arithmetic.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from functools import lru_cache

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY = 24 * 60
WEEK = 7 * DAY

_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*[-–~～至]\s*(\d{1,2}):(\d{2})$")
_LOCAL_SEPARATORS = re.compile(r"\s*[,，、;；]\s*|\s+and\s+|\s*和\s*")


class WindowError(ValueError):
    """A window string (or local range) that does not follow the grammar; says what was wrong."""


@dataclass(frozen=True)
class Window:
    """A set of minute-of-week intervals in UTC; empty ``intervals`` means the window never applies."""

    intervals: tuple[tuple[int, int], ...]
    _starts: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_starts", tuple(start for start, _ in self.intervals))

    @property
    def always(self) -> bool:
        return self.intervals == ((0, WEEK),)

    def contains(self, instant: datetime) -> bool:
        """Whether ``instant`` (aware, or naive meaning UTC) falls inside the window."""
        return self._contains_second(_second_of_week(instant))

    def contains_minute(self, minute: int) -> bool:
        """Whether minute ``minute`` of the week (Monday 00:00 UTC = 0) is inside the window."""
        return self._contains_second(minute * 60)

    def complement(self) -> "Window":
        """All the week outside this window: off-peak from peak hours, and back."""
        out: list[tuple[int, int]] = []
        cursor = 0
        for start, end in self.intervals:
            if start > cursor:
                out.append((cursor, start))
            cursor = end
        if cursor < WEEK:
            out.append((cursor, WEEK))
        return Window(tuple(out))

    def format(self) -> str:
        """The canonical string: equal windows give equal strings, and ``parse(format())`` is identity."""
        if not self.intervals:
            raise WindowError("window never applies: it has no string form")
        if self.always:
            return ""
        daily = _daily_pattern(self.intervals)
        if daily is not None:
            return _format_ranges(_wrap_ranges(daily)) + " UTC"
        by_day = [_day_ranges(self.intervals, day) for day in range(7)]
        clauses: list[str] = []
        for days, ranges in _group_days(by_day):
            clauses.append(f"{_format_days(days)} {_format_ranges(ranges)} UTC")
        return "; ".join(clauses)

    def __str__(self) -> str:
        return self.format()

    def _contains_second(self, second: int) -> bool:
        index = bisect_right(self._starts, second // 60) - 1
        return index >= 0 and second < self.intervals[index][1] * 60


def parse(text: str) -> Window:
    """Read a window string; the error names the part that is wrong."""
    return _parse_cached(text.strip())


@lru_cache(maxsize=256)
def _parse_cached(text: str) -> Window:
    if text == "":
        return ALWAYS
    minutes: list[tuple[int, int]] = []
    for clause in text.split(";"):
        clause = clause.strip()
        if not clause.endswith(" UTC"):
            raise WindowError(f"window {text!r}: clause {clause!r} must end in ' UTC'")
        body = clause[: -len(" UTC")].strip()
        days_text, _, ranges_text = body.rpartition(" ")
        days = _parse_days(days_text, text) if days_text else tuple(range(7))
        for piece in ranges_text.split(","):
            start, end = _parse_range(piece, text)
            for day in days:
                minutes.extend(_place(day * DAY + start, day * DAY + end))
    return Window(_merge(minutes))


def contains(window: str, instant: datetime) -> bool:
    """Whether ``instant`` is inside the window string ``window`` (parsed once, then cached)."""
    return parse(window).contains(instant)


def from_local(ranges: str, utc_offset_hours: float | int | Decimal, days: str = "") -> Window:
    """A window stated in local time (``9:00-12:00、14:00-18:00`` at UTC+8) as a UTC window.

    ``ranges`` may use the separators pages use (``,`` ``、`` ``;`` ``and``) and single-digit
    hours; ``days`` are local days (``Mon-Fri``), shifted with the ranges when the offset moves
    them across midnight.
    """
    offset = Decimal(str(utc_offset_hours)) * 60
    if offset != offset.to_integral_value():
        raise WindowError(f"UTC offset {utc_offset_hours!r} is not a whole number of minutes")
    shift = int(offset)
    day_list = _parse_days(days, days) if days.strip() else tuple(range(7))
    pieces = [p for p in _LOCAL_SEPARATORS.split(ranges.strip()) if p]
    if not pieces:
        raise WindowError(f"local ranges {ranges!r}: no time range found")
    minutes: list[tuple[int, int]] = []
    for piece in pieces:
        start, end = _parse_range(piece, ranges)
        for day in day_list:
            minutes.extend(_place(day * DAY + start - shift, day * DAY + end - shift))
    return Window(_merge(minutes))


def _parse_range(piece: str, whole: str) -> tuple[int, int]:
    match = _RANGE.match(piece.strip())
    if not match:
        raise WindowError(f"window {whole!r}: {piece.strip()!r} is not a HH:MM-HH:MM range")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 23 or m1 > 59 or m2 > 59 or end > DAY:
        raise WindowError(f"window {whole!r}: {piece.strip()!r} is not a valid time of day")
    if start == end:
        raise WindowError(f"window {whole!r}: {piece.strip()!r} is empty")
    return start, end


def _parse_days(text: str, whole: str) -> tuple[int, ...]:
    days: list[int] = []
    for spec in text.split(","):
        first, dash, last = spec.strip().partition("-")
        a = _day_index(first, whole)
        b = _day_index(last, whole) if dash else a
        days.extend((a + i) % 7 for i in range((b - a) % 7 + 1))
    return tuple(sorted(set(days)))


def _day_index(name: str, whole: str) -> int:
    for index, day in enumerate(DAY_NAMES):
        if name.strip().lower() == day.lower():
            return index
    raise WindowError(f"window {whole!r}: {name.strip()!r} is not a weekday (Mon..Sun)")


def _place(start: int, end: int) -> list[tuple[int, int]]:
    """Minute-of-week pieces of one range that starts at ``start`` (may wrap midnight or the week)."""
    length = end - start if end > start else end - start + DAY
    start %= WEEK
    if start + length <= WEEK:
        return [(start, start + length)]
    return [(start, WEEK), (0, start + length - WEEK)]


def _merge(pieces: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[list[int]] = []
    for start, end in sorted(pieces):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return tuple((s, e) for s, e in out)


def _second_of_week(instant: datetime) -> int:
    if instant.tzinfo is not None:
        instant = instant.astimezone(timezone.utc)
    return ((instant.weekday() * 24 + instant.hour) * 60 + instant.minute) * 60 + instant.second


def _day_ranges(intervals: tuple[tuple[int, int], ...], day: int) -> tuple[tuple[int, int], ...]:
    lo, hi = day * DAY, (day + 1) * DAY
    return tuple((max(s, lo) - lo, min(e, hi) - lo) for s, e in intervals if s < hi and e > lo)


def _daily_pattern(intervals: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...] | None:
    first = _day_ranges(intervals, 0)
    if all(_day_ranges(intervals, day) == first for day in range(1, 7)):
        return first
    return None


def _wrap_ranges(ranges: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    """Join a range ending at 24:00 with one starting at 00:00 into one wrapping range."""
    if len(ranges) >= 2 and ranges[0][0] == 0 and ranges[-1][1] == DAY:
        return ranges[1:-1] + ((ranges[-1][0], ranges[0][1]),)
    return ranges


def _format_ranges(ranges: tuple[tuple[int, int], ...]) -> str:
    return ",".join(f"{_hhmm(s)}-{_hhmm(e)}" for s, e in sorted(ranges))


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _group_days(by_day: list[tuple[tuple[int, int], ...]]) -> list[tuple[list[int], tuple[tuple[int, int], ...]]]:
    groups: dict[tuple[tuple[int, int], ...], list[int]] = {}
    for day, ranges in enumerate(by_day):
        if ranges:
            groups.setdefault(ranges, []).append(day)
    return sorted(((days, ranges) for ranges, days in groups.items()), key=lambda g: g[0][0])


def _format_days(days: list[int]) -> str:
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{DAY_NAMES[run[0]]}-{DAY_NAMES[run[-1]]}")
        else:
            parts.extend(DAY_NAMES[d] for d in run)
    return ",".join(parts)


ALWAYS = Window(((0, WEEK),))

__all__ = ["ALWAYS", "Window", "WindowError", "contains", "from_local", "parse"]
