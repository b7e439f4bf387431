"""``ratecard reprice``: cost a usage file at the rates in force when each row ran.

Rows stream through: memory holds the compiled history, the totals and the unpriced rows, never
the file.  ``--at`` moves every row to one date (each keeps its time of day) or one instant
(before/after a cut), ``--as`` prices the same token mix on another model (a cost benchmark of one
real workload across providers).  What a date or an instant means is the pricer's one rule
(``db.reprice.pricer``); rows inside the window of a change whose instant is unknown carry both
costs in every output.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from typing import Any, TextIO

from db.reprice.batch import price_totals
from db.reprice.pricer import (CurrencyNotPublished, Priced, Pricer, Totals, Unpriced, When, load_versions,
                               published_currencies)
from db.reprice.usage import TOKEN_COMPONENTS, UsageError, read_usage
from parsers.quote import decimal_text, iso_utc
from scraper.cli import CommandError
from scraper.options import MOMENT_HELP, add_db_argument, db_path, moment, open_existing
from scraper.output import counted, money, print_table

LABELS = {"input": "cache miss", "input_cache_hit": "cache hit", "input_cache_write": "cache write",
          "input_cache_write_1h": "cache write 1h", "output": "output"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reprice", help="cost a usage file (CSV or JSONL) at the rates in force")
    add_pricing_args(p)
    p.add_argument("--at", metavar="ISO8601", type=moment,
                   help="price every row as if it ran then: " + MOMENT_HELP)
    p.add_argument("--as", dest="as_model", metavar="PROVIDER/MODEL",
                   help="price the same tokens on another model")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print JSON (costs as decimal strings)")
    fmt.add_argument("--csv", action="store_true", help="print one CSV line per row")
    fmt.add_argument("--summary", action="store_true",
                     help="print the totals only, no per-row lines (fast on large CSV files)")
    p.set_defaults(func=run)


def add_pricing_args(p: argparse.ArgumentParser) -> None:
    """The arguments reprice and explain share."""
    p.add_argument("file", help="usage file: CSV or JSONL (see README: usage columns)")
    add_db_argument(p)
    p.add_argument("--provider", default="", metavar="ID",
                   help="the provider of every row, for a file without a provider column")
    p.add_argument("--currency", default="USD", help="ISO code; only currencies the provider published")
    p.add_argument("--exact", action="store_true",
                   help="show the table's costs (and explain's prices) exact (default: rounded with the currency"
                        " code, costs to 6 places and prices per 1M to 4 for USD/EUR/CNY, '~' marking a rounded"
                        " figure); JSON and CSV are always exact")


def open_pricer(args: argparse.Namespace) -> Pricer:
    """The compiled history in the asked currency; errors the user can act on become CommandError."""
    currency = args.currency.upper()
    db = open_existing(args)
    published = published_currencies(db)
    if not published:
        raise CommandError(f"{db_path(args)}: no prices in the history (run `ratecard scrape`)")
    if not any(currency in currencies for currencies in published.values()):
        known = ", ".join(sorted(set().union(*published.values())))
        raise CommandError(f"no provider publishes prices in {currency} (published: {known}); "
                           "ratecard does not guess exchange rates")
    try:
        return Pricer(load_versions(db, currency), currency, published)
    except ValueError as exc:  # a stored price ratecard cannot read (a bad window): say which
        raise CommandError(f"{db_path(args)}: {exc}") from None


def priced_rows(pricer: Pricer, path: str, at: When | None = None,
                target: tuple[str, str] | None = None, provider: str = "") -> Iterator[Priced | Unpriced]:
    """Each usage row priced; bad input and unpublished currencies stop with one clear line."""
    try:
        for row in counted(read_usage(path, provider), "reprice", with_stdout_tty=False):
            yield pricer.price(row, at, target)
    except UsageError as exc:
        raise CommandError(str(exc)) from None
    except CurrencyNotPublished as exc:
        raise CommandError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    pricer = open_pricer(args)
    at = args.at
    target = None
    if args.as_model:
        provider, slash, model = args.as_model.partition("/")
        known = pricer.canonical(provider.lower(), model) if slash and model else None
        if known is None:
            raise CommandError(f"--as: {args.as_model!r} is not a PROVIDER/MODEL with "
                               f"{pricer.currency} prices in the history")
        target = (provider.lower(), known)
    if args.summary:
        try:
            batch = price_totals(args.file, pricer, at, target, provider=args.provider)
        except (UsageError, CurrencyNotPublished) as exc:
            raise CommandError(str(exc)) from None
        unpriced = batch.unpriced
        write_totals(pricer, batch.totals, unpriced, sys.stdout, args.exact)
    else:
        rows = priced_rows(pricer, args.file, at, target, args.provider)
        with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as held:
            # Every row is written aside first and copied out only once the last one is priced: a
            # bad row near the end stops the command with nothing printed, never half a file.
            if args.json:
                _, unpriced = write_json(pricer, rows, held)
            elif args.csv:
                _, unpriced = write_csv(pricer, rows, held)
            else:
                _, unpriced = write_text(pricer, rows, held, args.exact)
            held.seek(0)
            shutil.copyfileobj(held, sys.stdout, 1 << 20)
    if unpriced:  # the total is not the whole bill: say so, and exit 1 like any bad row
        print(f"ratecard reprice: {len(unpriced)} row(s) unpriced, not in the total (listed with the reason)",
              file=sys.stderr)
        return 1
    return 0


def money_text(pricer: Pricer, units: int | None) -> str | None:
    return None if units is None else decimal_text(pricer.money(units))


def row_time(p: Priced | Unpriced) -> str:
    return p.row.start.date().isoformat() if p.row.whole_day else iso_utc(p.row.start)


def priced_time(p: Priced) -> str:
    """Where the row was priced: its own time, or where ``--at`` moved it."""
    assert p.start is not None
    return p.start.date().isoformat() if p.whole_day else iso_utc(p.start)


def uncertain_json(pricer: Pricer, p: Priced) -> dict[str, Any] | None:
    """Both costs of a row inside the window of a change whose instant is unknown."""
    u = p.uncertain
    if u is None:
        return None
    return {"changed_after": iso_utc(u.after), "changed_by": iso_utc(u.by),
            "cost_before_change": money_text(pricer, u.units_before),
            "cost_after_change": money_text(pricer, u.units_after)}


def moved_to_other_model(p: Priced) -> bool:
    """Priced on another model than the row names (``--as``, a snapshot id); case is not a move."""
    return (p.provider, p.model.lower()) != (p.row.provider, p.row.model.lower())


def priced_json(pricer: Pricer, p: Priced) -> dict[str, Any]:
    out: dict[str, Any] = {
        "file": p.row.path, "line": p.row.line, "time": row_time(p), "priced_at": priced_time(p),
        "provider": p.provider, "model": p.model,
        "cost": money_text(pricer, p.units), "lowest_cost": money_text(pricer, p.lowest_units),
        "uncertain_change": uncertain_json(pricer, p),
        "components": {c: {"tokens": tokens, "price": decimal_text(rate.price), "tier": rate.tier,
                           "promo": rate.promo, "cost": money_text(pricer, units)}
                       for c, tokens, rate, units in p.components},
        "notes": list(p.notes),
    }
    if moved_to_other_model(p):
        out["used"] = f"{p.row.provider}/{p.row.model}"
    return out


def unpriced_json(u: Unpriced) -> dict[str, Any]:
    return {"file": u.row.path, "line": u.row.line, "field": u.field, "time": row_time(u),
            "provider": u.row.provider, "model": u.row.model, "reason": u.reason}


def unpriced_line(u: Unpriced) -> str:
    return f"{u.row.path}:{u.row.line}: {u.field}: {u.reason}"


def totals_rows(pricer: Pricer, totals: Totals) -> list[dict[str, Any]]:
    return [{"provider": provider, "model": model, "month": month, "cost": money_text(pricer, units)}
            for (provider, model, month), units in sorted(totals.by_model_month.items())]


def write_json(pricer: Pricer, results: Iterator[Priced | Unpriced], out: TextIO) -> tuple[Totals, list[Unpriced]]:
    totals, unpriced = Totals(), []
    out.write('{\n  "currency": %s,\n  "rows": [' % json.dumps(pricer.currency))
    first = True
    for p in results:
        if isinstance(p, Unpriced):
            unpriced.append(p)
            continue
        totals.add(p)
        out.write(("\n    " if first else ",\n    ") + json.dumps(priced_json(pricer, p), ensure_ascii=False))
        first = False
    tail = {
        "unpriced": [unpriced_json(u) for u in unpriced],
        "totals": totals_rows(pricer, totals),
        "total": {pricer.currency: money_text(pricer, totals.units)},
        "lowest_total": {pricer.currency: money_text(pricer, totals.lowest_units)},
        "uncertain_change": {"rows": totals.uncertain_rows,
                             "total_if_changes_after_rows": {pricer.currency: money_text(pricer, totals.if_later_units)},
                             "total_if_changes_before_rows": {pricer.currency:
                                                              money_text(pricer, totals.if_earlier_units)}},
    }
    out.write("\n  ],\n")
    out.write(",\n".join(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in tail.items()))
    out.write("\n}\n")
    return totals, unpriced


def write_csv(pricer: Pricer, results: Iterator[Priced | Unpriced], out: TextIO) -> tuple[Totals, list[Unpriced]]:
    totals, unpriced = Totals(), []
    columns = ["file", "line", "time", "priced_at", "provider", "model", "cost", "lowest_cost",
               "uncertain_change", "cost_before_change", "cost_after_change"]
    for c in TOKEN_COMPONENTS:
        columns += [f"{c}_tokens", f"{c}_price", f"{c}_tier", f"{c}_cost"]
    columns += ["notes", "unpriced_field", "unpriced_reason"]
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    for p in results:
        if isinstance(p, Unpriced):
            unpriced.append(p)
            writer.writerow({"file": p.row.path, "line": p.row.line, "time": row_time(p),
                             "provider": p.row.provider, "model": p.row.model,
                             "unpriced_field": p.field, "unpriced_reason": p.reason})
            continue
        totals.add(p)
        line: dict[str, Any] = {"file": p.row.path, "line": p.row.line, "time": row_time(p),
                                "priced_at": priced_time(p), "provider": p.provider, "model": p.model,
                                "cost": money_text(pricer, p.units),
                                "lowest_cost": money_text(pricer, p.lowest_units), "notes": "; ".join(p.notes)}
        u = uncertain_json(pricer, p)
        if u is not None:
            line.update({"uncertain_change": f"{u['changed_after']}/{u['changed_by']}",
                         "cost_before_change": u["cost_before_change"], "cost_after_change": u["cost_after_change"]})
        for c, tokens, rate, units in p.components:
            line.update({f"{c}_tokens": tokens, f"{c}_price": decimal_text(rate.price),
                         f"{c}_tier": rate.tier, f"{c}_cost": money_text(pricer, units)})
        writer.writerow(line)
    return totals, unpriced


def write_text(pricer: Pricer, results: Iterator[Priced | Unpriced], out: TextIO,
               exact: bool = False) -> tuple[Totals, list[Unpriced]]:
    """The table: each row's cost rounded with its currency code (``exact``: every digit); the
    breakdown keeps the exact arithmetic, so it can be checked by hand."""
    totals, unpriced = Totals(), []
    out.write(f"{'line':>6}  {'time':<20}  {'provider/model':<32}  {'cost':>18}  breakdown\n")
    for p in results:
        if isinstance(p, Unpriced):
            unpriced.append(p)
            continue
        totals.add(p)
        parts = "; ".join(f"{LABELS[c]} {tokens:,} x {decimal_text(rate.price)}"
                          f"{'' if rate.tier == 'standard' else ' ' + rate.tier}"
                          f" = {money_text(pricer, units)}" for c, tokens, rate, units in p.components)
        low = f" (lowest possible {money_text(pricer, p.lowest_units)})" if p.lowest_units is not None else ""
        if moved_to_other_model(p):
            low += f" (tokens used on {p.row.provider}/{p.row.model})"
        if p.notes:
            low += "".join(f"; {note}" for note in p.notes if not note.startswith("date without time"))
        cost = money(money_text(pricer, p.units), pricer.currency, "cost", exact) \
            + ("?" if p.uncertain is not None else "")
        out.write(f"{p.row.line:>6}  {row_time(p):<20}  {p.provider + '/' + p.model:<32}  "
                  f"{cost:>18}  {parts}{low}\n")
    out.write("\n")
    write_totals(pricer, totals, unpriced, out, exact)
    return totals, unpriced


def write_totals(pricer: Pricer, totals: Totals, unpriced: list[Unpriced], out: TextIO,
                 exact: bool = False) -> None:
    """Totals per provider/model/month (rounded with the currency code unless ``exact``), the
    unpriced rows with their reasons, and the grand total (always exact: it is the answer)."""
    out.write(f"Totals ({pricer.currency}) by provider, model and month:\n")
    rows = [{**r, "cost": money(r["cost"], pricer.currency, "cost", exact)} for r in totals_rows(pricer, totals)]
    print_table(rows, ("provider", "model", "month", "cost"), out)
    if unpriced:
        out.write(f"\nUnpriced rows ({len(unpriced)}), not counted in the total:\n")
        for u in unpriced:
            out.write(unpriced_line(u) + "\n")
    out.write(f"\nTotal: {money_text(pricer, totals.units)} {pricer.currency}"
              f" over {totals.priced_rows} priced row(s)")
    if totals.lowest_units != totals.units:
        out.write(f"; lowest possible {money_text(pricer, totals.lowest_units)} {pricer.currency}"
                  " (rows with a date only, in days with several rates; rows marked ?)")
    out.write("\n")
    if totals.uncertain_rows:
        out.write(f"? {totals.uncertain_rows} row(s) fall inside the window of a price change whose instant is"
                  f" unknown: the total is {money_text(pricer, totals.if_later_units)} {pricer.currency} if"
                  f" the changes came after them, {money_text(pricer, totals.if_earlier_units)}"
                  f" {pricer.currency} if before (the higher of each row's two costs is counted)\n")


__all__ = ["add_pricing_args", "open_pricer", "priced_rows", "register", "run"]
