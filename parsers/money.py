"""Reading prices as pages write them: ``$0.07/ 1M tokens``, ``¥0.5``, ``0.05元``, ``0.14€``.

Pages put the currency before or after the number, glue two prices together (``$0.20$1.50``) and
mix full-width punctuation in.  Every parser reads money through :func:`find_money` so these
spellings are handled once, exactly (``Decimal`` from the page's own digits, never a float).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

#: Symbols and words as pages write them.  ``¥`` on the pages ratecard reads is the yuan
#: (DeepSeek's Chinese prices); no tracked provider prices in yen.
CURRENCY_SYMBOLS: dict[str, str] = {
    "$": "USD", "US$": "USD", "USD": "USD",
    "€": "EUR", "EUR": "EUR",
    "¥": "CNY", "￥": "CNY", "元": "CNY", "CNY": "CNY", "RMB": "CNY",
    "£": "GBP", "GBP": "GBP",
}

_NUMBER = r"\d+(?:,\d{3})*(?:\.\d+)?"
_MONEY = re.compile(
    rf"(?P<pre>US\$|\$|€|¥|￥|£)\s?(?P<num1>{_NUMBER})"
    rf"|(?P<num2>{_NUMBER})\s?(?P<post>\$|€|¥|￥|£|元|(?:USD|EUR|CNY|RMB|GBP)(?![A-Za-z]))"
)


@dataclass(frozen=True)
class Money:
    """An amount as the page wrote it: ``text`` is the matched page text (``$0.07``)."""

    amount: Decimal
    currency: str
    text: str


def find_money(text: str) -> list[Money]:
    """Every price in ``text``, in order of appearance."""
    found: list[Money] = []
    for m in _MONEY.finditer(text):
        symbol = m.group("pre") or m.group("post")
        number = (m.group("num1") or m.group("num2")).replace(",", "")
        found.append(Money(Decimal(number), CURRENCY_SYMBOLS[symbol], m.group(0).strip()))
    return found


def first_money(text: str) -> Money | None:
    """The first price in ``text``, or None when it holds none."""
    found = find_money(text)
    return found[0] if found else None
