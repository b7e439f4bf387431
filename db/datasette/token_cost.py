"""The cost of a token mix at an instant, as a SQL function: the reprice engine in the browser.

SQLite only has REAL arithmetic, so money computed in SQL would be rounded binary fractions.
Instead ``ratecard serve`` registers ``ratecard_token_cost(versions, at, cache_hit, cache_miss,
output)``, which prices the mix with ``db.reprice.pricer.Pricer`` (exact integer units, the same promo
ends and time-of-day windows as ``ratecard reprice``) and returns JSON whose money values are
exact decimal text.  ``versions`` is one row of the ``price_versions_json`` view.

``at`` means what it means everywhere (``db.reprice.pricer``): a date alone is that whole UTC day
(the highest rate in force that day, the lowest possible total beside it), an instant is priced
at the rates in force then.  Inside the window of a change whose instant the history only bounds,
the result carries both costs (``cost_before_change``, ``cost_after_change``) and the window.

Speed and Datasette's time limit: Datasette stops a query with SQLite's progress handler, which
SQLite cannot call while a Python function runs, so a slow call ran past the limit (62 s for a
5,000-version history).  Two things bound a call now.  Compiled pricers are cached by the
versions' JSON text and the UTC day of ``at`` (a query over the hours of a week compiles seven),
and each compiles only the versions that can matter that day (those overlapping the day before
to the day after it, plus each model's first and last version, which carry "not launched yet"
and "removed"): compiling a timeline is quadratic in the versions given, so a long history no
longer costs every call.  And
the function reads the deadline of the query it runs in (:func:`follow_datasette_time_limit`
wraps Datasette's ``sqlite_timelimit``): once the query's ``sql_time_limit_ms`` is spent, every
further call returns at once with an ``error`` saying so, and Datasette's own handler then
stops the query.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any

from db.reprice.pricer import DAY, Priced, PriceVersion, Pricer, parse_when
from db.reprice.usage import TOKEN_COMPONENTS, UsageRow
from parsers.quote import decimal_text, iso_utc, parse_utc

SQL_NAME = "ratecard_token_cost"


def token_cost(versions_json: str | None, at: str | None, cache_hit: Any, cache_miss: Any,
               output: Any) -> str:
    """JSON ``{"at", "lines": [...], "total", "lowest_total", "note", "error", "uncertain_change"}``.

    A bad argument or a time no price covers is reported in ``error`` (and ``lines`` is empty)
    rather than raised: a raised error would only show SQLite's generic "user-defined function
    raised exception" in the browser.
    """
    if time_spent():
        return _result(at, error=TIME_SPENT)
    try:
        versions = _versions(versions_json)
        row = _usage_row(at, {"input_cache_hit": cache_hit, "input": cache_miss, "output": output})
    except ValueError as exc:
        return _result(at, error=str(exc))
    if not versions:
        return _result(at, error="no price history for this provider, model and currency")
    pricer = _pricer_for_day(versions_json, row.start.date())  # type: ignore[arg-type]
    priced = pricer.price(row._replace(provider=versions[0].provider, model=versions[0].model))
    if not isinstance(priced, Priced):
        return _result(at, error=priced.reason)
    lines = [{"component": component, "tokens": tokens, "tier": rate.tier,
              "price": decimal_text(rate.price), "promo": rate.promo,
              "cost": decimal_text(pricer.money(units))}
             for component, tokens, rate, units in priced.components]
    lowest = decimal_text(pricer.money(priced.lowest_units)) if priced.lowest_units is not None else None
    u = priced.uncertain
    uncertain = None if u is None else {
        "changed_after": iso_utc(u.after), "changed_by": iso_utc(u.by),
        "cost_before_change": decimal_text(pricer.money(u.units_before)),
        "cost_after_change": decimal_text(pricer.money(u.units_after))}
    return _result(at, lines=lines, total=decimal_text(pricer.money(priced.units)),
                   lowest_total=lowest, note="; ".join(priced.notes) or None, uncertain=uncertain)


def _result(at: str | None, lines: list[dict[str, Any]] | None = None, total: str | None = None,
            lowest_total: str | None = None, note: str | None = None,
            error: str | None = None, uncertain: dict[str, str] | None = None) -> str:
    return json.dumps({"at": at, "lines": lines or [], "total": total,
                       "lowest_total": lowest_total, "note": note, "error": error,
                       "uncertain_change": uncertain})


#: What a call answers once the query's time budget is spent.
TIME_SPENT = "the query's time limit (Datasette's sql_time_limit_ms) is spent: ask for fewer rows"
_query = threading.local()


def time_spent() -> bool:
    """Whether the query this thread is running has used up its Datasette time limit."""
    deadline = getattr(_query, "deadline", None)
    return deadline is not None and time.perf_counter() >= deadline


@contextmanager
def query_deadline(ms: float) -> Iterator[None]:
    """Give the queries run inside it (on this thread) ``ms`` milliseconds of ratecard_token_cost."""
    outer = getattr(_query, "deadline", None)
    _query.deadline = time.perf_counter() + ms / 1000
    try:
        yield
    finally:
        _query.deadline = outer


def follow_datasette_time_limit() -> None:
    """Make Datasette's per-query time limit visible to :func:`token_cost` (idempotent).

    Datasette runs each query inside ``datasette.database.sqlite_timelimit(conn, ms)`` on the
    thread that executes it; the wrapper also opens :func:`query_deadline` there.
    """
    import datasette.database as database

    original = database.sqlite_timelimit
    if getattr(original, "ratecard_deadline", False):
        return

    @contextmanager
    def sqlite_timelimit(conn: Any, ms: float) -> Iterator[None]:
        with query_deadline(ms), original(conn, ms):
            yield

    sqlite_timelimit.ratecard_deadline = True  # type: ignore[attr-defined]
    database.sqlite_timelimit = sqlite_timelimit


def near(versions: list[PriceVersion], start: datetime, end: datetime) -> list[PriceVersion]:
    """The versions that can price usage in [start, end] (see the module docstring): those
    overlapping a day either side (an uncertain start counts from ``valid_from_after``), and the
    first and the last version of each model."""
    low, high = start - timedelta(days=1), end + timedelta(days=1)
    first: dict[tuple[str, str], PriceVersion] = {}
    last: dict[tuple[str, str], PriceVersion] = {}
    kept: dict[int, PriceVersion] = {}
    for i, v in enumerate(versions):
        key = (v.provider, v.model)
        if key not in first or v.valid_from < first[key].valid_from:
            first[key] = v
        if key not in last or (last[key].valid_to is not None
                               and (v.valid_to is None or v.valid_to > last[key].valid_to)):
            last[key] = v
        begins = min(v.valid_from, v.valid_from_after or v.valid_from)
        if begins <= high and (v.valid_to is None or v.valid_to >= low):
            kept[i] = v
    ends = {id(v) for v in (*first.values(), *last.values())}
    return [v for i, v in enumerate(versions) if i in kept or id(v) in ends]


@lru_cache(maxsize=256)
def _pricer_for_day(text: str, day: date) -> Pricer:
    """A Pricer of the versions near one UTC day (an instant of it, or the whole of it), compiled
    once per (versions text, day): a query over the hours of a week compiles seven."""
    versions = list(_decoded(text))
    start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    return Pricer(near(versions, start, start + DAY), versions[0].currency)


def _versions(text: str | None) -> list[PriceVersion]:
    """Decode one ``price_versions_json`` row; anything else is a ValueError, not a crash."""
    if not text:
        return []
    return list(_decoded(text))


@lru_cache(maxsize=32)
def _decoded(text: str) -> tuple[PriceVersion, ...]:
    """The versions of one JSON text, decoded once (a query prices many days of one model)."""
    try:
        return tuple(PriceVersion(
            v["provider"], v["model"], v["component"], v["tier"], v["window"] or "", v["currency"],
            Decimal(v["price"]), parse_utc(v["valid_from"]),
            parse_utc(v["valid_to"]) if v["valid_to"] else None,
            Decimal(v["list_price"]) if v["list_price"] else None,
            parse_utc(v["promo_until"]) if v["promo_until"] else None,
            parse_utc(v["valid_from_after"]) if v.get("valid_from_after") else None,
            v.get("to_basis"),
            parse_utc(v["last_observed_at"]) if v.get("last_observed_at") else None) for v in json.loads(text))
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise ValueError(f"versions: not a price_versions_json row ({exc!r})") from None


def _usage_row(at: str | None, counts: dict[str, Any]) -> UsageRow:
    """A one-off usage row: a date alone covers that whole UTC day, like a daily usage export."""
    text = (at or "").strip()
    if not text:
        raise ValueError("at: give a date (2025-03-01) or an instant (2025-03-01T18:00:00Z)")
    try:
        when = parse_when(text)
    except ValueError:
        raise ValueError(f"at: {text!r} is not an ISO 8601 date or instant") from None
    tokens = tuple(_count(component, counts.get(component)) for component in TOKEN_COMPONENTS)
    return UsageRow("browser", 0, when.start, when.whole_day, "", "", tokens)


def _count(component: str, value: Any) -> int:
    text = str(value if value is not None else "").strip().replace("_", "").replace(",", "")
    if text == "":
        return 0
    if not text.isdigit():
        raise ValueError(f"{component} tokens: {value!r} is not a whole number of tokens")
    return int(text)


__all__ = ["SQL_NAME", "follow_datasette_time_limit", "near", "query_deadline", "token_cost"]
