"""Printing rows for people (aligned text) and programs (JSON): shared by every command."""

from __future__ import annotations

import json
import sys
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from parsers.safetext import one_line


def print_json(data: Any, out: TextIO | None = None) -> None:
    out = out or sys.stdout  # looked up per call, so a redirected or captured stdout is honoured
    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")


def print_table(rows: Iterable[dict[str, Any]], columns: Sequence[str], out: TextIO | None = None) -> None:
    """Aligned columns, None shown as empty: readable in a terminal and in a diff."""
    out = out or sys.stdout
    cells = [[("" if row.get(c) is None else one_line(str(row.get(c)))) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip() + "\n")
    for r in cells:
        out.write("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() + "\n")


def print_rows(rows: list[dict[str, Any]], columns: Sequence[str], as_json: bool,
               money_columns: dict[str, str] | None = None, exact: bool = False) -> None:
    """The one way a listing command prints: a JSON array with ``--json`` (exact text), else
    aligned columns, the ``money_columns`` (name -> price|cost|total) rounded as :func:`money` says."""
    if as_json:
        print_json(rows)
    else:
        print_table(with_money(rows, money_columns or {}, exact), columns)


#: Minor units of the currencies ratecard meets (ISO 4217); an unlisted code is given 2.
MINOR_UNITS = {"USD": 2, "EUR": 2, "CNY": 2, "GBP": 2, "JPY": 0}
#: Places shown in tables beyond the minor unit, per kind of amount.  A price per 1M tokens gets
#: two more (USD 4 places: a hundredth of a cent per million tokens, enough for every published
#: price but OpenRouter's per-token resale odd ones); a cost of one usage row four more (USD 6:
#: a millionth of a dollar, so a single small call is not shown as 0.00); a total the minor unit.
EXTRA_PLACES = {"price": 2, "cost": 4, "total": 0}


def money(value: Any, currency: str | None, kind: str = "price", exact: bool = False) -> str:
    """``USD 0.2800`` for a table: rounded half-up to the currency's sensible places for ``kind``,
    prefixed ``~`` when rounding dropped digits (so a rounded figure never passes for exact).

    WHY: exact decimals like ``0.000000275`` are unreadable in a column, but hiding that a figure
    was rounded would be worse; JSON and CSV keep the exact text, and ``--exact`` shows it here.
    """
    if value is None or value == "":
        return ""
    code = (currency or "").upper()
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not amount.is_finite():
        return f"{code} {value}".strip()
    if exact:
        return f"{code} {value}".strip()
    places = MINOR_UNITS.get(code, 2) + EXTRA_PLACES[kind]
    rounded = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    mark = "" if rounded == amount else "~"
    return f"{code} {mark}{rounded}".strip()


def with_money(rows: Iterable[dict[str, Any]], columns: dict[str, str], exact: bool = False,
               currency_field: str = "currency") -> list[dict[str, Any]]:
    """Copies of ``rows`` whose money ``columns`` (name -> kind) are shown by :func:`money`."""
    shown = []
    for row in rows:
        row = dict(row)
        for column, kind in columns.items():
            row[column] = money(row.get(column), row.get(currency_field), kind, exact)
        shown.append(row)
    return shown
