"""Outputs of the columnar engine: table, CSV, JSON, Parquet and summary, written by DuckDB.

Every output is made from the one ``priced`` table (``db.reprice.engine``) with the same columns
and words as the row-by-row writers of ``ratecard reprice`` had: costs as exact decimal text
(built from integer units in SQL, never a float), times in ISO 8601 UTC, the notes of each row,
and the unpriced rows with their field and reason.  The reason of an unpriced row, and the note
of a row whose uncertain change leaves the price after it unknown, are the row pricer's own
words: those rows (few) are asked of ``Pricer.price``, which states them.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TextIO

from db.reprice.pricer import Pricer, Priced, Unpriced, When
from db.reprice.usage import TOKEN_COMPONENTS, UsageRow

LABELS = {"input": "cache miss", "input_cache_hit": "cache hit", "input_cache_write": "cache write",
          "input_cache_write_1h": "cache write 1h", "output": "output"}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
LOWEST_NOTE = ("date without time during a day with several rates: priced at the highest rate in force that"
               " day; lowest possible cost shown beside it")
CONTEXT_NOTE = ("long-context prices exist for this model, but a daily total cannot say which requests had long"
                " prompts: priced at the standard rates")


@dataclass
class Summary:
    """Totals of the priced table, in cost units (what ``Totals`` holds for the row path)."""

    units: int = 0
    lowest_units: int = 0
    priced_rows: int = 0
    uncertain_rows: int = 0
    if_later_units: int = 0
    if_earlier_units: int = 0
    by_model_month: list[tuple[str, str, str, int]] = field(default_factory=list)
    unpriced: list[Unpriced] = field(default_factory=list)


def define_macros(con, scale: int) -> None:
    """``money(units)``: exact decimal text; ``iso(us)``: ISO 8601 UTC to the second."""
    k = 6 + scale
    con.execute(f"""CREATE OR REPLACE MACRO money(u) AS CASE WHEN u IS NULL THEN NULL WHEN u = 0 THEN '0' ELSE
        (SELECT CASE WHEN f = '' THEN i ELSE i || '.' || f END FROM (SELECT
            CASE WHEN length(s) > {k} THEN left(s, length(s) - {k}) ELSE '0' END AS i,
            rtrim(right(lpad(s, CAST(greatest(length(s), {k}) AS INTEGER), '0'), {k}), '0') AS f
         FROM (SELECT CAST(u AS VARCHAR) AS s))) END""")
    con.execute("CREATE OR REPLACE MACRO iso(us) AS strftime(make_timestamp(us), '%Y-%m-%dT%H:%M:%SZ')")
    con.execute("CREATE OR REPLACE MACRO day_or_iso(us, d) AS CASE WHEN d THEN strftime(make_timestamp(us),"
                " '%Y-%m-%d') ELSE strftime(make_timestamp(us), '%Y-%m-%dT%H:%M:%SZ') END")


def attach_texts(con, pricer: Pricer, at: When | datetime | None, target: tuple[str, str] | None,
                 path: str) -> None:
    """The row pricer's words for the rows whose text depends on a reason: table ``texts``."""
    rows = con.execute(
        "SELECT u.line, u.start_us, u.whole_day, u.provider_id, u.model_id, u.tier, "
        + ", ".join(f"u.t_{c}" for c in TOKEN_COMPONENTS)
        + " FROM priced p JOIN usage_rows u ON u.line = p.line"
          " WHERE p.unpriced_field IS NOT NULL OR p.early_unpriced ORDER BY u.line").fetchall()
    con.execute("CREATE OR REPLACE TEMP TABLE texts (line BIGINT, reason VARCHAR, notes VARCHAR[])")
    values = []
    for line, start_us, whole_day, provider, model, tier, *tokens in rows:
        start = _EPOCH + timedelta(microseconds=start_us)
        row = UsageRow(path, line, start, whole_day, provider, model, tuple(tokens), tier)  # type: ignore[arg-type]
        result = pricer.price(row, at, target)
        if isinstance(result, Unpriced):
            values.append((line, result.reason, None))
        else:
            values.append((line, None, list(result.notes)))
    if values:
        con.executemany("INSERT INTO texts VALUES (?, ?, ?)", values)


def _notes_sql(substitute: bool) -> str:
    """The list of a priced row's notes, in the row pricer's order."""
    parts = ["resolve_note",
             "CASE WHEN after_last_seen THEN priced_provider_id || '/' || priced_model_id || ' was no longer listed at '"
             " || iso(removed_us) || ' (last seen ' || iso(last_seen_us) || '): priced at its last listed price' END",
             f"CASE WHEN whole_day_context THEN '{CONTEXT_NOTE}' END"]
    if substitute:
        for c in ("input_cache_hit", "input_cache_write", "input_cache_write_1h"):
            parts.append(f"CASE WHEN {c}_billed_as IS NOT NULL THEN '{c} has no price on this model: billed as '"
                         f" || {c}_billed_as END")
    parts.append(f"CASE WHEN day_lowest THEN '{LOWEST_NOTE}' END")
    parts.append("CASE WHEN uncertain THEN 'the price changed at an unknown instant between ' || iso(changed_after_us)"
                 " || ' and ' || iso(changed_by_us) || ': ' || money(units_before_change) || ' at the price before, '"
                 " || money(units_after_change) || ' at the price after; the higher is counted' END")
    return "list_filter([" + ", ".join(parts) + "], lambda x: x IS NOT NULL)"


def create_output(con, path: str, substitute: bool) -> None:
    """The view ``out`` of per-row output columns, in line order."""
    comps = []
    for c in TOKEN_COMPONENTS:
        comps.append(f"""CASE WHEN {c}_tokens > 0 AND unpriced_field IS NULL THEN {c}_tokens END AS {c}_tokens,
            CASE WHEN unpriced_field IS NULL THEN {c}_rate_price END AS {c}_price,
            CASE WHEN unpriced_field IS NULL THEN {c}_rate_tier END AS {c}_tier,
            CASE WHEN unpriced_field IS NULL THEN {c}_rate_promo END AS {c}_promo,
            CASE WHEN unpriced_field IS NULL THEN money({c}_cost_units) END AS {c}_cost""")
    con.execute(f"""CREATE OR REPLACE TEMP VIEW out AS
        SELECT '{path.replace("'", "''")}' AS file, p.line, day_or_iso(start_us, whole_day) AS time,
          CASE WHEN unpriced_field IS NULL THEN day_or_iso(priced_at_us, priced_whole_day) END AS priced_at,
          CASE WHEN unpriced_field IS NULL THEN priced_provider_id ELSE provider_id END AS provider,
          CASE WHEN unpriced_field IS NULL THEN priced_model_id ELSE model_id END AS model,
          cost_units, lowest_units, money(cost_units) AS cost, money(lowest_units) AS lowest_cost,
          uncertain, changed_after_us, changed_by_us,
          money(units_before_change) AS cost_before_change, money(units_after_change) AS cost_after_change,
          {", ".join(comps)},
          CASE WHEN unpriced_field IS NULL THEN coalesce(t.notes, {_notes_sql(substitute)}) END AS notes,
          unpriced_field, t.reason AS unpriced_reason,
          unpriced_field IS NULL AND (priced_provider_id <> provider_id OR lower(priced_model_id) <> lower(model_id))
            AS moved, provider_id AS used_provider, model_id AS used_model,
          strftime(make_timestamp(start_us), '%Y-%m') AS month
        FROM priced p LEFT JOIN texts t ON t.line = p.line""")


def summary(con, path: str) -> Summary:
    """Totals and the unpriced rows (with the row pricer's reasons)."""
    s = Summary()
    (s.units, s.lowest_units, s.priced_rows, s.uncertain_rows, s.if_later_units, s.if_earlier_units) = (
        int(v or 0) for v in con.execute(
            "SELECT sum(cost_units), sum(coalesce(lowest_units, cost_units)), count(cost_units),"
            " count(*) FILTER (WHERE uncertain), sum(coalesce(units_before_change, cost_units)),"
            " sum(coalesce(units_after_change, cost_units)) FROM priced WHERE unpriced_field IS NULL").fetchone())
    s.by_model_month = [(p, m, month, int(u)) for p, m, month, u in con.execute(
        "SELECT priced_provider_id, priced_model_id, strftime(make_timestamp(start_us), '%Y-%m') AS month,"
        " sum(cost_units) FROM priced WHERE unpriced_field IS NULL GROUP BY ALL ORDER BY ALL").fetchall()]
    for line, field_name, start_us, whole_day, provider, model, reason in con.execute(
            "SELECT p.line, unpriced_field, start_us, whole_day, provider_id, model_id, t.reason FROM priced p"
            " JOIN texts t ON t.line = p.line WHERE unpriced_field IS NOT NULL ORDER BY p.line").fetchall():
        row = UsageRow(path, line, _EPOCH + timedelta(microseconds=start_us), whole_day, provider, model,
                       (0, 0, 0, 0, 0))
        s.unpriced.append(Unpriced(row, field_name, reason))
    return s


def write_csv(con, target: str) -> None:
    """One CSV line per row, the columns ``reprice --csv`` always had."""
    columns = ["file", "line", "time", "priced_at", "provider", "model", "cost", "lowest_cost",
               "CASE WHEN uncertain THEN iso(changed_after_us) || '/' || iso(changed_by_us) END AS uncertain_change",
               "cost_before_change", "cost_after_change"]
    for c in TOKEN_COMPONENTS:
        columns += [f"{c}_tokens", f"{c}_price", f"{c}_tier", f"{c}_cost"]
    columns += ["nullif(array_to_string(notes, '; '), '') AS notes", "unpriced_field", "unpriced_reason"]
    con.execute(f"COPY (SELECT {', '.join(columns)} FROM out ORDER BY line) TO '{_sq(target)}'"
                " (FORMAT CSV, HEADER true)")


def write_parquet(con, target: str, scale: int) -> None:
    """The per-row table as Parquet: costs as DECIMAL(38, 6 + scale), exact."""
    k = 6 + scale
    columns = ["file", "line", "time", "priced_at", "provider", "model",
               f"CAST(cost AS DECIMAL(38, {k})) AS cost", f"CAST(lowest_cost AS DECIMAL(38, {k})) AS lowest_cost",
               "uncertain", "CASE WHEN uncertain THEN iso(changed_after_us) END AS changed_after",
               "CASE WHEN uncertain THEN iso(changed_by_us) END AS changed_by",
               f"CAST(cost_before_change AS DECIMAL(38, {k})) AS cost_before_change",
               f"CAST(cost_after_change AS DECIMAL(38, {k})) AS cost_after_change"]
    for c in TOKEN_COMPONENTS:
        columns += [f"{c}_tokens", f"{c}_price", f"{c}_tier", f"CAST({c}_cost AS DECIMAL(38, {k})) AS {c}_cost"]
    columns += ["notes", "unpriced_field", "unpriced_reason"]
    con.execute(f"COPY (SELECT {', '.join(columns)} FROM out ORDER BY line) TO '{_sq(target)}' (FORMAT PARQUET)")


def write_json_rows(con, target: str) -> None:
    """The priced rows as JSON lines, in the shape of ``reprice --json``'s ``rows``."""
    comps = ", ".join(
        f"{{'k': '{c}', 'v': {{'tokens': {c}_tokens, 'price': {c}_price, 'tier': {c}_tier, 'promo': {c}_promo,"
        f" 'cost': {c}_cost}}}}" for c in TOKEN_COMPONENTS)
    con.execute(f"""COPY (SELECT file, line, time, priced_at, provider, model, cost, lowest_cost,
          CASE WHEN uncertain THEN {{'changed_after': iso(changed_after_us), 'changed_by': iso(changed_by_us),
            'cost_before_change': cost_before_change, 'cost_after_change': cost_after_change}} END AS uncertain_change,
          map_from_entries(list_filter([{comps}], lambda e: e.v.tokens IS NOT NULL)) AS components,
          notes, CASE WHEN moved THEN used_provider || '/' || used_model END AS used
        FROM out WHERE unpriced_field IS NULL ORDER BY line) TO '{_sq(target)}' (FORMAT JSON)""")


def write_json(con, pricer: Pricer, s: Summary, rows_file: str, out: TextIO) -> None:
    """The ``reprice --json`` document: rows (from ``rows_file``), unpriced, totals."""
    money = lambda units: _money(pricer, units)  # noqa: E731
    out.write('{\n  "currency": %s,\n  "rows": [' % json.dumps(pricer.currency))
    first = True
    with open(rows_file, encoding="utf-8") as rows:
        while True:
            block = rows.readlines(1 << 20)
            if not block:
                break
            text = ",\n    ".join(_drop_used(line.rstrip("\n")) for line in block)
            out.write(("\n    " if first else ",\n    ") + text)
            first = False
    tail = {
        "unpriced": [{"file": u.row.path, "line": u.row.line, "field": u.field,
                      "time": u.row.start.date().isoformat() if u.row.whole_day else _iso(u.row.start),
                      "provider": u.row.provider, "model": u.row.model, "reason": u.reason} for u in s.unpriced],
        "totals": [{"provider": p, "model": m, "month": month, "cost": money(units)}
                   for p, m, month, units in s.by_model_month],
        "total": {pricer.currency: money(s.units)},
        "lowest_total": {pricer.currency: money(s.lowest_units)},
        "uncertain_change": {"rows": s.uncertain_rows,
                             "total_if_changes_after_rows": {pricer.currency: money(s.if_later_units)},
                             "total_if_changes_before_rows": {pricer.currency: money(s.if_earlier_units)}},
    }
    out.write("\n  ],\n")
    out.write(",\n".join(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in tail.items()))
    out.write("\n}\n")


def _drop_used(line: str) -> str:
    """``used`` only on rows priced on another model (the row writer's shape)."""
    return line[:-len(',"used":null}')] + "}" if line.endswith(',"used":null}') else line


def write_table(con, pricer: Pricer, target: str) -> None:
    """The human table: one line per priced row, as ``reprice --exact`` prints it (costs exact,
    with the currency code)."""
    breakdown = ("array_to_string(list_filter([" + ", ".join(
        f"CASE WHEN {c}_tokens IS NOT NULL THEN '{LABELS[c]} ' || format('{{:,}}', {c}_tokens) || ' x ' || {c}_price"
        f" || CASE WHEN {c}_tier = 'standard' THEN '' ELSE ' ' || {c}_tier END || ' = ' || {c}_cost END"
        for c in TOKEN_COMPONENTS) + "], lambda x: x IS NOT NULL), '; ')")
    low = ("coalesce(CASE WHEN lowest_cost IS NOT NULL THEN ' (lowest possible ' || lowest_cost || ')' END, '')"
           " || coalesce(CASE WHEN moved THEN ' (tokens used on ' || used_provider || '/' || used_model || ')' END, '')"
           " || array_to_string(list_transform(list_filter(notes, lambda n: NOT starts_with(n, 'date without time')),"
           " lambda n: '; ' || n), '')")
    line = (f"format('{{:>6}}  {{:<20}}  {{:<32}}  {{:>18}}  ', line, time, provider || '/' || model,"
            f" '{_sq(pricer.currency)} ' || cost || CASE WHEN uncertain THEN '?' ELSE '' END) || {breakdown} || {low}")
    con.execute(f"COPY (SELECT {line} FROM out WHERE unpriced_field IS NULL ORDER BY line) TO '{_sq(target)}'"
                " (FORMAT CSV, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\x01')")


def write_totals(pricer: Pricer, s: Summary, out: TextIO) -> None:
    """Totals per provider/model/month (exact, with the currency code, as ``reprice --exact``), the
    unpriced rows with their reasons, the grand total."""
    from scraper.output import print_table

    money = lambda units: _money(pricer, units)  # noqa: E731
    out.write(f"Totals ({pricer.currency}) by provider, model and month:\n")
    print_table([{"provider": p, "model": m, "month": month, "cost": f"{pricer.currency} {money(units)}"}
                 for p, m, month, units in s.by_model_month], ("provider", "model", "month", "cost"), out)
    if s.unpriced:
        out.write(f"\nUnpriced rows ({len(s.unpriced)}), not counted in the total:\n")
        for u in s.unpriced:
            out.write(f"{u.row.path}:{u.row.line}: {u.field}: {u.reason}\n")
    out.write(f"\nTotal: {money(s.units)} {pricer.currency} over {s.priced_rows} priced row(s)")
    if s.lowest_units != s.units:
        out.write(f"; lowest possible {money(s.lowest_units)} {pricer.currency}"
                  " (rows with a date only, in days with several rates; rows marked ?)")
    out.write("\n")
    if s.uncertain_rows:
        out.write(f"? {s.uncertain_rows} row(s) fall inside the window of a price change whose instant is"
                  f" unknown: the total is {money(s.if_later_units)} {pricer.currency} if"
                  f" the changes came after them, {money(s.if_earlier_units)}"
                  f" {pricer.currency} if before (the higher of each row's two costs is counted)\n")


def copy_file(source: str | Path, out: TextIO) -> None:
    out.flush()
    with open(source, encoding="utf-8") as handle:
        shutil.copyfileobj(handle, out, 1 << 20)


def _money(pricer: Pricer, units: int) -> str:
    from parsers.quote import decimal_text

    return decimal_text(pricer.money(units))


def _iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sq(text: str) -> str:
    return text.replace("'", "''")


__all__ = ["Summary", "attach_texts", "create_output", "define_macros", "summary", "write_csv", "write_json",
           "write_json_rows", "write_parquet", "write_table", "write_totals"]
