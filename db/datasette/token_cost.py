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
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from db.reprice.pricer import Priced, PriceVersion, Pricer, parse_when
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
    try:
        versions = _versions(versions_json)
        row = _usage_row(at, {"input_cache_hit": cache_hit, "input": cache_miss, "output": output})
    except ValueError as exc:
        return _result(at, error=str(exc))
    if not versions:
        return _result(at, error="no price history for this provider, model and currency")
    pricer = Pricer(versions, versions[0].currency)
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


def _versions(text: str | None) -> list[PriceVersion]:
    """Decode one ``price_versions_json`` row; anything else is a ValueError, not a crash."""
    if not text:
        return []
    try:
        return [PriceVersion(
            v["provider"], v["model"], v["component"], v["tier"], v["window"] or "", v["currency"],
            Decimal(v["price"]), parse_utc(v["valid_from"]),
            parse_utc(v["valid_to"]) if v["valid_to"] else None,
            Decimal(v["list_price"]) if v["list_price"] else None,
            parse_utc(v["promo_until"]) if v["promo_until"] else None,
            parse_utc(v["valid_from_after"]) if v.get("valid_from_after") else None,
            v.get("to_basis"),
            parse_utc(v["last_observed_at"]) if v.get("last_observed_at") else None) for v in json.loads(text)]
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


__all__ = ["SQL_NAME", "token_cost"]
