"""How amounts and rows look to a person: money rounded to its currency's places (marked when
digits were dropped) and rows as aligned columns.

Below both the commands (``scraper.output``, ``scraper/commands``) and the engine's writers
(``db.reprice``), which print the same tables: the data flows down, so the one rule for how a
cost looks lives here, not in the command layer the engine would otherwise call back up to.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any, TextIO

from parsers.safetext import one_line


def print_table(rows: Iterable[dict[str, Any]], columns: Sequence[str], out: TextIO | None = None) -> None:
    """Aligned columns, None shown as empty: readable in a terminal and in a diff."""
    out = out or sys.stdout
    cells = [[("" if row.get(c) is None else one_line(str(row.get(c)))) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip() + "\n")
    for r in cells:
        out.write("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() + "\n")


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
    # Enough digits for any amount (the default 28 would refuse a 10^400-token bill).
    context = Context(prec=max(28, amount.adjusted() + places + 2), rounding=ROUND_HALF_UP)
    rounded = amount.quantize(Decimal(1).scaleb(-places), context=context)
    mark = "" if rounded == amount else "~"
    return f"{code} {mark}{rounded}".strip()


__all__ = ["EXTRA_PLACES", "MINOR_UNITS", "money", "print_table"]
