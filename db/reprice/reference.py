"""The row-by-row writers of ``ratecard reprice``: the reference the columnar engine is tested
against.

``ratecard reprice`` prints what ``db.reprice.writers`` makes from the engine's one query; these
functions make the same outputs from ``Pricer.price`` results one row at a time, the way the
command did before the engine.  They stay as the executable definition of each output (and the
tests require the engine's bytes to equal theirs); ``explain`` uses their row helpers.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, TextIO

from db.reprice.pricer import Priced, Pricer, Totals, Unpriced, When
from db.reprice.usage import TOKEN_COMPONENTS, read_usage
from parsers.quote import decimal_text, iso_utc
from db.display import money, print_table

LABELS = {"input": "cache miss", "input_cache_hit": "cache hit", "input_cache_write": "cache write",
          "input_cache_write_1h": "cache write 1h", "output": "output"}


def priced_rows(pricer: Pricer, path: str, at: When | None = None,
                target: tuple[str, str] | None = None, provider: str = "") -> Iterator[Priced | Unpriced]:
    """Each usage row priced by the row pricer (bad input raises ``UsageError``)."""
    for row in read_usage(path, provider):
        yield pricer.price(row, at, target)


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


__all__ = ["LABELS", "priced_rows", "unpriced_json", "unpriced_line", "write_csv", "write_json", "write_text",
           "write_totals"]
