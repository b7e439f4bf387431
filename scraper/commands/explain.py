"""``ratecard explain``: the announced change per component vs the realised change of one bill.

The direct answer to "the provider cut prices by 50 %, why did my bill not halve?": the same
usage priced just before and just after, and how many points of the bill's change each component
(cache hit, cache miss, output) made, given its share of the bill.  ``--before``/``--after`` take a
date (each row moved to it at its own time of day; rows with a date only cover the whole day) or
an instant (every row there): the pricer's one meaning of a time (``db.reprice.pricer``).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from db.display import money, print_table
from db.reprice.explain import ComponentChange, Explanation, explain, percent
from db.reprice.pricer import CurrencyNotPublished, Pricer, When
from db.reprice.usage import UsageError, read_usage
from parsers.quote import decimal_text
from scraper.cli import CommandError
from db.reprice.reference import LABELS, unpriced_json, unpriced_line
from scraper.commands.reprice import add_pricing_args, open_pricer
from scraper.options import MOMENT_HELP, moment
from scraper.output import counted, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("explain", help="why a price change did not change your bill by as much")
    add_pricing_args(p)
    p.add_argument("--before", required=True, metavar="ISO8601", type=moment,
                   help="a time before the change: " + MOMENT_HELP)
    p.add_argument("--after", required=True, metavar="ISO8601", type=moment,
                   help="a time after the change: " + MOMENT_HELP)
    p.add_argument("--json", action="store_true", help="print JSON (costs as decimal strings)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    before, after = args.before, args.after
    pricer = open_pricer(args)
    try:
        result = explain(pricer, counted(read_usage(args.file, args.provider), "explain"), before, after)
    except (UsageError, CurrencyNotPublished) as exc:
        raise CommandError(str(exc)) from None
    if not result.rows:
        raise CommandError(f"{args.file}: no row could be priced at both instants"
                           + (f" ({unpriced_line(result.unpriced[0])})" if result.unpriced else ""))
    if args.json:
        print_json(as_json(pricer, result), sys.stdout)
    else:
        write_text(pricer, result, args.file, sys.stdout, args.exact)
    return 0


def _when(when: When) -> str:
    if when.whole_day:
        return f"on {when.text()} (each row at its own time of day; rows with a date only: the whole day)"
    return f"at {when.text()} (every row)"


def _money(pricer: Pricer, units: int) -> str:
    return decimal_text(pricer.money(units))


def _share(result: Explanation, c: ComponentChange) -> str:
    """The share of the bill, unsigned (it is never negative)."""
    return (percent(result.share(c)) or "+0.00").lstrip("+")


def _price(price: Any, tier: str, currency: str, exact: bool) -> str:
    return money(decimal_text(price), currency, "price", exact) + ("" if tier == "standard" else f" {tier}")


def component_json(pricer: Pricer, result: Explanation, c: ComponentChange) -> dict[str, Any]:
    return {
        "provider": c.provider, "model": c.model, "component": c.component, "tokens": c.tokens,
        "price_before": decimal_text(c.price_before), "tier_before": c.tier_before,
        "price_after": decimal_text(c.price_after), "tier_after": c.tier_after,
        "announced_change_percent": percent(c.announced),
        "cost_before": _money(pricer, c.units_before), "cost_after": _money(pricer, c.units_after),
        "share_of_bill_before_percent": _share(result, c),
        "contribution_points": percent(result.contribution(c)),
    }


def as_json(pricer: Pricer, result: Explanation) -> dict[str, Any]:
    return {
        "currency": pricer.currency,
        "before": result.before.text(), "after": result.after.text(),
        "rows": result.rows,
        "bill_before": _money(pricer, result.units_before),
        "bill_after": _money(pricer, result.units_after),
        "lowest_bill_before": _money(pricer, result.lowest_before),
        "lowest_bill_after": _money(pricer, result.lowest_after),
        "rows_priced_at_a_range": {"before": result.ranged_before, "after": result.ranged_after},
        "rows_in_uncertain_change_window": {"before": result.uncertain_before, "after": result.uncertain_after},
        "realised_change_percent": percent(result.realised),
        "components": [component_json(pricer, result, c) for c in result.components],
        "unpriced": [unpriced_json(u) for u in result.unpriced],
    }


def write_text(pricer: Pricer, result: Explanation, name: str, out: TextIO, exact: bool = False) -> None:
    """The bills and the realised change exact, in sentences; the per-component table with money
    as tables show it (``db.display.money``: rounded with the code unless ``exact``)."""
    cur = pricer.currency
    out.write(f"{name}: {result.rows} row(s) priced at both instants, in {cur}\n")
    for label, when, units, lowest, ranged, uncertain in (
            ("before", result.before, result.units_before, result.lowest_before, result.ranged_before,
             result.uncertain_before),
            ("after", result.after, result.units_after, result.lowest_after, result.ranged_after,
             result.uncertain_after)):
        out.write(f"  bill {label}, {_when(when)}: {_money(pricer, units)} {cur}")
        if lowest != units:
            out.write(f" (lowest possible {_money(pricer, lowest)} {cur}: {ranged} row(s) priced at a range"
                      + (f", {uncertain} in the window of a change whose instant is unknown" if uncertain else
                         ", whole days with several rates")
                      + "; the higher cost is counted)")
        out.write("\n")
    out.write(f"  realised change of the bill: {percent(result.realised)} %\n\n")
    table = [{
        "provider/model": f"{c.provider}/{c.model}", "component": LABELS[c.component],
        "tokens": f"{c.tokens:,}", "price before": _price(c.price_before, c.tier_before, cur, exact),
        "price after": _price(c.price_after, c.tier_after, cur, exact),
        "announced": f"{percent(c.announced)} %" if c.announced is not None else "new",
        "share of bill": f"{_share(result, c)} %",
        "cost before": money(_money(pricer, c.units_before), cur, "cost", exact),
        "cost after": money(_money(pricer, c.units_after), cur, "cost", exact),
        "contribution": f"{percent(result.contribution(c))} pts",
    } for c in result.components]
    print_table(table, list(table[0]) if table else [], out)
    out.write("\nEach component moves the bill by its announced change times its share of the bill before:\n")
    for c in result.components:
        if c.announced is None:
            continue
        out.write(f"  {LABELS[c.component]:<14} {percent(c.announced):>9} % x {_share(result, c):>6} %"
                  f" of the bill = {percent(result.contribution(c)):>8} points\n")
    out.write(f"  {'the bill':<14} {percent(result.realised):>9} %\n")
    if result.unpriced:
        out.write(f"\nSet aside ({len(result.unpriced)} row(s) not priced at both instants):\n")
        for u in result.unpriced:
            out.write(unpriced_line(u) + "\n")


__all__ = ["register", "run"]
