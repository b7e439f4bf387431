"""Outputs of the columnar engine: table, CSV, JSON, Parquet and summary, written by DuckDB.

Every output is made from the engine's priced rows with the columns and words ``ratecard
reprice`` has always printed: costs as exact decimal text (built from integer units in SQL,
never a float), times in ISO 8601 UTC, the notes of each row, and the unpriced rows with their
field and reason.  The reason of an unpriced row, and the note of a row whose uncertain change
leaves the price after it unknown, are the row pricer's own words: those rows (few) are asked of
``Pricer.price``, which states them.

Why the rows are kept in line order and the rate texts looked up by ordinal: a join does not
keep DuckDB's row order, so the priced rows are stored sorted once (narrow: integers and ids),
and every output is then a plain scan of that table, whose order DuckDB keeps; a rate's price
text, tier and promo flag are read from lists indexed by the rate's ordinal, not joined.  A
long run's rows are written in parts side by side, each by one COPY on one thread of its own
connection into a file of its own, the files then joined as bytes (``Engine.part_spans`` says
why: DuckDB's own parallel COPY keeps the order at a cost).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TextIO

import duckdb

from db import display
from db.reprice.engine import rate_list_sql
from db.reprice.pricer import Pricer, Unpriced, When
from db.reprice.pricing_sql import FALLBACK
from db.reprice.rowparts import ParquetParts, RowParts
from db.reprice.usage import TOKEN_COMPONENTS, UsageRow

if TYPE_CHECKING:
    from db.reprice.engine import Engine

LABELS = {"input": "cache miss", "input_cache_hit": "cache hit", "input_cache_write": "cache write",
          "input_cache_write_1h": "cache write 1h", "output": "output"}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
LOWEST_NOTE = ("date without time during a day with several rates: priced at the highest rate in force that"
               " day; lowest possible cost shown beside it")
CONTEXT_NOTE = ("long-context prices exist for this model, but a daily total cannot say which requests had long"
                " prompts: priced at the standard rates")
OUTPUTS = ("table", "csv", "json", "parquet", "summary")


@dataclass
class Summary:
    """Totals of the priced rows, in cost units (what ``Totals`` holds for the row pricer)."""

    units: int = 0
    lowest_units: int = 0
    priced_rows: int = 0
    uncertain_rows: int = 0
    if_later_units: int = 0
    if_earlier_units: int = 0
    by_model_month: list[tuple[str, str, str, int]] = field(default_factory=list)
    unpriced: list[Unpriced] = field(default_factory=list)
    #: The unpriced rows counted by a streamed pass, before they are listed (``list_unpriced``).
    unpriced_rows: int = field(default=0, compare=False)


#: The totals of priced rows, as SQL aggregates over the pricing query's columns.
def _totals_sql(count: Callable[[str], str] = lambda where: f"count(*) FILTER (WHERE {where})") -> str:
    """The totals of priced rows; ``count(condition)``: SQL counting the usage rows that meet it
    (a row each, or a group's ``n``)."""
    return ("sum(cost_units) AS units, sum(coalesce(lowest_units, cost_units)) AS lowest_units,"
            f" {count('cost_units IS NOT NULL')} AS priced_rows, {count('uncertain')} AS uncertain_rows,"
            " sum(coalesce(units_before_change, cost_units)) AS if_later_units,"
            " sum(coalesce(units_after_change, cost_units)) AS if_earlier_units")


_TOTALS = _totals_sql()
#: A row's month, grouped on as a timestamp (cheaper than text per row) and written as text once
#: per group (``_MONTH_TEXT``).
_MONTH = "date_trunc('month', make_timestamp(start_us))"
_MONTH_TEXT = "strftime(month, '%Y-%m')"
_ROW_COLUMNS = ("line", "start_us", "whole_day", "provider_id", "model_id", "tier", "context",
                *(f"{c}_tokens" for c in TOKEN_COMPONENTS))


def define_macros(con, scale: int) -> None:
    """``money(units)``: exact decimal text; ``iso(us)``: ISO 8601 UTC to the second."""
    k = 6 + scale
    p = 10 ** k
    if k <= 17:
        # u x 10^-k exactly, written by DuckDB's DECIMAL text at the scale its last significant
        # digit needs: the trailing zeros counted by halving [0, k] (about four remainders), and
        # u / 10^zeros (exact) written as DECIMAL(18, k - zeros), so no text is cut afterwards
        # (cutting it was the slow part: 3M costs of the base bench file 0.244 s -> 0.163 s)
        con.execute(f"""CREATE OR REPLACE MACRO money(u) AS CASE WHEN u > -{10 ** 18} AND u < {10 ** 18}
            THEN {_scaled_sql(0, k, k)}
            ELSE CAST(u // {p} AS VARCHAR) || rtrim('.' || substr(CAST({p} + u % {p} AS VARCHAR), 2), '.0') END""")
    else:
        con.execute(f"""CREATE OR REPLACE MACRO money(u) AS CASE WHEN u IS NULL THEN NULL
            WHEN u % {p} = 0 THEN CAST(u // {p} AS VARCHAR)
            ELSE CAST(u // {p} AS VARCHAR) || '.' || rtrim(lpad(CAST(u % {p} AS VARCHAR), {k}, '0'), '0') END""")
    con.execute("CREATE OR REPLACE MACRO iso(us) AS strftime(make_timestamp(us), '%Y-%m-%dT%H:%M:%SZ')")
    con.execute("CREATE OR REPLACE MACRO day_or_iso(us, d) AS CASE WHEN d THEN strftime(make_timestamp(us),"
                " '%Y-%m-%d') ELSE strftime(make_timestamp(us), '%Y-%m-%dT%H:%M:%SZ') END")


def _scaled_sql(lo: int, hi: int, k: int) -> str:
    """``u`` x 10^-k as text, ``u`` known to end in ``lo`` zeros or more and in no more than
    ``hi``: halving [lo, hi] by remainders, each leaf writing u / 10^zeros (exact) as a DECIMAL
    of k - zeros places (its last digit significant), or an integer when all k places are zeros."""
    if lo == hi:
        if lo == k:
            return f"CAST(u // {10 ** k} AS VARCHAR)"
        units = "u" if lo == 0 else f"u // {10 ** lo}"
        places = k - lo
        return (f"CAST(CAST(CAST({units} AS DECIMAL(18, 0)) * CAST('1e-{places}' AS DECIMAL(18, {places}))"
                f" AS DECIMAL(18, {places})) AS VARCHAR)")
    mid = (lo + hi + 1) // 2
    return f"CASE WHEN u % {10 ** mid} = 0 THEN {_scaled_sql(mid, hi, k)} ELSE {_scaled_sql(lo, mid - 1, k)} END"


def define_rate_texts(con) -> None:
    """Each rate's price text, tier and promo flag as lists indexed by ordinal + 1; and made once
    per rate into the piece each output shows of them: the table's `` x price tier = ``
    (``text``), two CSV cells (``csv``), and the JSON of a priced component up to its cost's
    value (``json``).  All are fields of one variable, ``rate_texts`` (``{c}_{part}``): one
    statement where thirty cost 30 ms a connection, and a writer has two."""
    cell = lambda x: f"coalesce({_CSV_QUOTE.format(x=x)}, '')"  # noqa: E731
    fields = []
    for c in TOKEN_COMPONENTS:
        fields += [f"'{c}_{part}': coalesce(list({c}_{part} ORDER BY ordinal), [])" for part in ("price", "tier", "promo")]
        fields.append(f"'{c}_text': coalesce(list(' x ' || {c}_price || CASE WHEN {c}_tier = 'standard' THEN ''"
                      f" ELSE ' ' || {c}_tier END || ' = ' ORDER BY ordinal), [])")
        fields.append(f"'{c}_csv': coalesce(list({cell(f'{c}_price')} || ',' || {cell(f'{c}_tier')} ORDER BY ordinal), [])")
        fields.append(f"""'{c}_json': coalesce(list(',"price":' || coalesce(to_json({c}_price), 'null')
            || ',"tier":' || coalesce(to_json({c}_tier), 'null') || ',"promo":' || coalesce(to_json({c}_promo), 'null')
            || ',"cost":' ORDER BY ordinal), [])""")
    con.execute(f"SET VARIABLE rate_texts = (SELECT {{{', '.join(fields)}}} FROM rates)")


def _row(path: str, r: tuple, shown: Callable[[int], int] | None = None) -> UsageRow:
    """A row of ``_ROW_COLUMNS`` as the row reader's; ``shown``: its line from its number
    (``Engine.shown_line``), for a row the user is shown."""
    line, start_us, whole_day, provider, model, tier, context, *tokens = r
    return UsageRow(path, line if shown is None else shown(line), _EPOCH + timedelta(microseconds=start_us),
                    whole_day, provider, model, tuple(tokens), tier, context or "")  # type: ignore[arg-type]


def row_texts(engine: "Engine", at: When | datetime | None, target: tuple[str, str] | None, path: str) -> int:
    """The row pricer's words for the rows whose text depends on a reason, in the table
    ``texts`` (line, field, reason, notes); returns how many rows have them.  An unpriced row's
    field is the row pricer's too: the query knows a row is unpriced, the pricer says best why
    (an alias's uncovered stretch is ``model``; the query sees only that no rate matched)."""
    con, pricer = engine.con, engine.pricer
    rows = [(r[:-1], r[-1]) for r in con.execute(
        f"SELECT {', '.join(_ROW_COLUMNS)}, unpriced_field FROM priced"
        " WHERE unpriced_field IS NOT NULL OR early_unpriced").fetchall()]
    values = [(r[0], *said) for r, said in zip((r for r, _ in rows), pricer_words(pricer, path, rows, at, target))]
    con.execute("CREATE OR REPLACE TEMP TABLE texts (line BIGINT, field VARCHAR, reason VARCHAR, notes VARCHAR[])")
    if values:  # one statement for any number of rows (an INSERT per row is slow in DuckDB)
        con.execute("INSERT INTO texts SELECT unnest($1), unnest($2), unnest($3), unnest($4)",
                    [list(column) for column in zip(*values)])
    return len(values)


def pricer_words(pricer: Pricer, path: str, rows: list[tuple[tuple, str | None]], at: When | datetime | None,
                 target: tuple[str, str] | None) -> list[tuple[str | None, str | None, list[str] | None]]:
    """The row pricer's field, reason and notes for each of ``rows`` (``_ROW_COLUMNS``, and the
    field the query found).  A provider or model the history does not know at all is refused
    for its id alone, whatever the row's time or tokens: asked once per id, not once per row."""
    said_for: dict[tuple, tuple] = {}
    out = []
    for r, field_name in rows:
        key = (field_name, *r[2:7]) if field_name in ("provider", "model") else None
        said = said_for.get(key) if key is not None else None
        if said is None:
            result = pricer.price(_row(path, r), at, target)
            said = ((result.field, result.reason, None) if isinstance(result, Unpriced)
                    else (None, None, list(result.notes)))
            if key is not None:
                said_for[key] = said
        out.append(said)
    return out


#: An unpriced row's field, as the row pricer names it.
UNPRICED_FIELD = "CASE WHEN unpriced_field IS NOT NULL THEN coalesce(text_field, unpriced_field) END"


def _notes_sql(substitute: bool) -> str:
    """The list of a priced row's notes, in the row pricer's order."""
    parts = ["row_note",
             "CASE WHEN after_last_seen THEN priced_provider_id || '/' || priced_model_id || ' was no longer listed at '"
             " || iso(removed_us) || ' (last seen ' || iso(last_seen_us) || '): priced at its last listed price' END",
             f"CASE WHEN whole_day_context THEN '{CONTEXT_NOTE}' END"]
    if substitute:
        for c in ("input_cache_hit", "input_cache_write", "input_cache_write_1h"):
            parts.append(f"CASE WHEN {c}_billed_as IS NOT NULL THEN '{c} has no price on this model: billed as '"
                         f" || {c}_billed_as END")
    parts.append(f"CASE WHEN day_lowest THEN '{LOWEST_NOTE}' END")
    parts.append("CASE WHEN uncertain AND switched_from IS NULL THEN 'the price changed at an unknown instant"
                 " between ' || iso(changed_after_us) || ' and ' || iso(changed_by_us) || ': '"
                 " || money(units_before_change) || ' at the price before, '"
                 " || money(units_after_change) || ' at the price after; the higher is counted' END")
    parts.append("alias_note_text")
    parts.append("CASE WHEN uncertain AND switched_from IS NOT NULL THEN model_id || ' switched from ' || switched_from"
                 " || ' to ' || switched_to || ' between ' || iso(changed_after_us) || ' and ' || iso(changed_by_us)"
                 " || ': ' || money(units_before_change) || ' on ' || switched_from || ', '"
                 " || money(units_after_change) || ' on ' || switched_to || '; the higher is counted' END")
    # most rows have no note at all: the list is only built for a row that has one
    return (f"CASE WHEN {_some_note_sql(substitute)} THEN list_filter([" + ", ".join(parts) + "],"
            " lambda x: x IS NOT NULL) ELSE CAST([] AS VARCHAR[]) END")


def _some_note_sql(substitute: bool) -> str:
    """Whether a priced row may have a note (most have none: their notes are not built)."""
    return ("row_note IS NOT NULL OR after_last_seen OR whole_day_context OR day_lowest OR uncertain"
            " OR alias_note_text IS NOT NULL"
            + ("".join(f" OR {c}_billed_as IS NOT NULL" for c in FALLBACK) if substitute else ""))


def create_output(con, path: str, substitute: bool, constant: frozenset[str] = frozenset(),
                  shown: str | None = None) -> None:
    """The view ``out`` of per-row output columns, in line order (a scan of ``priced``).
    ``constant``: the priced columns the file's shape makes constant (``Engine.constant_columns``);
    the outputs made of them only are typed NULLs, which cost the writers (Parquet's above
    all) next to nothing, where a column computed per row costs as much NULL as not.
    ``shown``: SQL of a row's line when rows are numbered and shown with other lines (see
    :func:`_shown`); ``row_no`` is the number a part's rows are chosen by."""
    comps = []
    for c in TOKEN_COMPONENTS:
        if f"{c}_tokens" in constant:  # no row has tokens there
            comps.append(", ".join(f"CAST(NULL AS {t}) AS {c}_{n}" for n, t in (
                ("tokens", "BIGINT"), ("price", "VARCHAR"), ("tier", "VARCHAR"), ("promo", "BOOLEAN"),
                ("json", "VARCHAR"), ("csv", "VARCHAR"), ("text", "VARCHAR"), ("cost", "VARCHAR"),
                ("units_out", "BIGINT"))))
            continue
        comps.append(f"""CASE WHEN {c}_tokens > 0 AND unpriced_field IS NULL THEN {c}_tokens END AS {c}_tokens,
            CASE WHEN unpriced_field IS NULL THEN {rate_list_sql(c, 'price', substitute)} END AS {c}_price,
            CASE WHEN unpriced_field IS NULL THEN {rate_list_sql(c, 'tier', substitute)} END AS {c}_tier,
            CASE WHEN unpriced_field IS NULL THEN {rate_list_sql(c, 'promo', substitute)} END AS {c}_promo,
            CASE WHEN unpriced_field IS NULL THEN {rate_list_sql(c, 'json', substitute)} END AS {c}_json,
            CASE WHEN unpriced_field IS NULL THEN {rate_list_sql(c, 'csv', substitute)} END AS {c}_csv,
            CASE WHEN unpriced_field IS NULL THEN {rate_list_sql(c, 'text', substitute)} END AS {c}_text,
            CASE WHEN unpriced_field IS NULL THEN money({c}_cost_units) END AS {c}_cost,
            CASE WHEN unpriced_field IS NULL THEN {c}_cost_units END AS {c}_units_out""")
    lowest = ("CAST(NULL AS BIGINT) AS lowest_units, CAST(NULL AS VARCHAR) AS lowest_cost" if "lowest_units" in constant
              else "lowest_units, money(lowest_units) AS lowest_cost")
    if "uncertain" in constant:  # no change of unknown instant meets the file
        uncertain = ("false AS uncertain, " + ", ".join(f"CAST(NULL AS BIGINT) AS {c}" for c in (
            "changed_after_us", "changed_by_us", "units_before_change", "units_after_change"))
            + ", CAST(NULL AS VARCHAR) AS cost_before_change, CAST(NULL AS VARCHAR) AS cost_after_change")
    else:
        uncertain = ("uncertain, changed_after_us, changed_by_us, units_before_change, units_after_change,"
                     " money(units_before_change) AS cost_before_change, money(units_after_change) AS cost_after_change")
    con.execute(f"""CREATE OR REPLACE TEMP VIEW out AS
        SELECT '{path.replace("'", "''")}' AS file, line AS row_no,
          {shown or "line"} AS line, {UNPRICED_FIELD} AS unpriced_field, time,
          CASE WHEN unpriced_field IS NULL THEN CASE WHEN priced_at_us = start_us AND priced_whole_day = whole_day
            THEN time ELSE day_or_iso(priced_at_us, priced_whole_day) END END AS priced_at,
          CASE WHEN unpriced_field IS NULL THEN priced_provider_id ELSE provider_id END AS provider,
          CASE WHEN unpriced_field IS NULL THEN priced_model_id ELSE model_id END AS model,
          cost_units, money(cost_units) AS cost, {lowest},
          {uncertain},
          {", ".join(comps)},
          CASE WHEN unpriced_field IS NULL THEN coalesce(text_notes, {_notes_sql(substitute)}) END AS notes,
          unpriced_field IS NULL AND (text_notes IS NOT NULL OR {_some_note_sql(substitute)}) AS has_notes,
          text_reason AS unpriced_reason,
          unpriced_field IS NULL AND (priced_provider_id <> provider_id
            OR (priced_model_id <> model_id AND lower(priced_model_id) <> lower(model_id))) AS moved,
          provider_id AS used_provider, model_id AS used_model
        FROM (SELECT *, day_or_iso(start_us, whole_day) AS time FROM priced)""")


def summary(engine: "Engine", path: str) -> Summary:
    """Totals and the unpriced rows (with the row pricer's reasons) of the ``priced`` table."""
    con = engine.con
    s = Summary()
    (s.units, s.lowest_units, s.priced_rows, s.uncertain_rows, s.if_later_units, s.if_earlier_units) = (
        int(v or 0) for v in con.execute(f"SELECT {_TOTALS} FROM priced WHERE unpriced_field IS NULL").fetchone())
    s.by_model_month = [(p, m, month, int(u)) for p, m, month, u in con.execute(
        f"SELECT priced_provider_id, priced_model_id, {_MONTH_TEXT}, units FROM (SELECT priced_provider_id,"
        f" priced_model_id, {_MONTH} AS month, sum(cost_units) AS units FROM priced"
        " WHERE unpriced_field IS NULL GROUP BY ALL) ORDER BY ALL").fetchall()]
    for r in con.execute(f"SELECT {UNPRICED_FIELD}, text_reason, {', '.join(_ROW_COLUMNS)} FROM priced"
                         " WHERE unpriced_field IS NOT NULL ORDER BY line").fetchall():
        s.unpriced.append(Unpriced(_row(path, r[2:], engine.shown_line), r[0], r[1]))
    return s


def stream_totals(engine: "Engine", at: When | datetime | None, target: tuple[str, str] | None) -> Summary:
    """``reprice --summary`` of a kept file (``Engine.load`` keeps the shapes it does not group):
    the totals in one streaming pass (no table of priced rows); the unpriced rows, if any, are
    found by a second pass with line numbers."""
    assert engine.loaded is not None
    s = priced_totals(engine, engine.query(at, target, lines=False), target)
    list_unpriced(engine, at, target, s)
    return s


def priced_totals(engine: "Engine", sql: str, target: tuple[str, str] | None, weight: str | None = None) -> Summary:
    """The totals of the pricing query ``sql`` (its unpriced rows counted, not yet listed).
    ``weight``: the table of groups whose ``n`` is how many usage rows each priced row stands
    for (``db.reprice.grouped``)."""
    if weight is None:
        rows, count = sql, lambda where: f"count(*) FILTER (WHERE {where})"
    else:
        rows = f"SELECT p.*, g.n AS n_rows FROM ({sql}) p JOIN {weight} g ON g.line = p.line"
        count = lambda where: f"coalesce(sum(n_rows) FILTER (WHERE {where}), 0)"  # noqa: E731
    s = Summary()
    parts = engine.con.execute(f"""SELECT priced_provider_id, priced_model_id, {_MONTH_TEXT}, * EXCLUDE
            (priced_provider_id, priced_model_id, month) FROM (
        SELECT priced_provider_id, priced_model_id, {_MONTH} AS month, {_totals_sql(count)},
            {count('unpriced_field IS NOT NULL')} AS unpriced_rows,
            bool_or(unpriced_field = 'provider') AS unknown_provider
        FROM ({rows}) GROUP BY ALL) ORDER BY 1, 2, 3""").fetchall()
    for provider, model, month, units, lowest, priced, uncertain, later, earlier, unpriced, unknown in parts:
        s.unpriced_rows += int(unpriced)
        if unknown and target is None:  # an unknown provider's rows are grouped under its own id
            engine.check_provider(provider)
        if not priced:
            continue
        s.by_model_month.append((provider, model, month, int(units)))
        s.units += int(units)
        s.lowest_units += int(lowest)
        s.priced_rows += int(priced)
        s.uncertain_rows += int(uncertain)
        s.if_later_units += int(later)
        s.if_earlier_units += int(earlier)
    return s


def list_unpriced(engine: "Engine", at: When | datetime | None, target: tuple[str, str] | None,
                  s: Summary, only: str | None = None) -> None:
    """The unpriced rows ``s`` counted, read again with their lines (in order) and the row
    pricer's reasons.  ``only``: SQL every unpriced row meets (the others need not be priced
    again)."""
    if not s.unpriced_rows:
        return
    path = engine.loaded.path
    columns = ", ".join(c if not c.endswith("_tokens") else f"t_{c[:-len('_tokens')]}" for c in _ROW_COLUMNS)
    rows = [(tuple(r), field_name) for field_name, *r in engine.con.execute(
        f"SELECT unpriced_field, {columns} FROM ({engine.query(at, target, only=only)})"
        " WHERE unpriced_field IS NOT NULL ORDER BY line").fetchall()]
    for (r, field_name), (said_field, reason, _) in zip(rows, pricer_words(engine.pricer, path, rows, at, target)):
        s.unpriced.append(Unpriced(_row(path, r, engine.shown_line), said_field or field_name, reason or ""))


def write(engine: "Engine", fmt: str, out: TextIO | None, path: str, at: When | datetime | None,
          target: tuple[str, str] | None, rows_to: str | Path | None, exact: bool = True) -> Summary:
    """``fmt`` of the priced file to ``out`` (Parquet rows to the file ``rows_to``, then the
    totals to ``out`` if given); returns the totals."""
    con, pricer = engine.con, engine.pricer
    if fmt not in OUTPUTS:
        raise ValueError(f"unknown output {fmt!r}")
    define_macros(con, pricer.scale)
    if engine.totals is not None:  # priced with totals_only: streamed
        totals = engine.totals
        if fmt != "summary":
            raise ValueError("the file was priced for its totals only")
        write_totals(pricer, totals, out, exact)
        return totals
    totals = Summary()
    writing: list = []  # the connections beside the engine's own that write parts of a run
    rows_out = None if fmt in ("summary", "parquet") else RowParts(out, _head(fmt, pricer), 2 if fmt == "json" else 0)
    # a long file's Parquet joined as its runs are priced
    parquet = ParquetParts(rows_to, as_runs_come=len(engine.chunks) > 1) if fmt == "parquet" else None
    try:
        for k in range(len(engine.chunks) or 1):
            if k:
                engine.price_chunk(k)
            add_totals(totals, summary(engine, path))
            if fmt == "summary":
                continue
            if k == 0:
                if not engine.rate_texts_defined:
                    define_rate_texts(con)
                    engine.rate_texts_defined = True
                create_output(con, path, target is not None, engine.constant_columns, _shown(engine))
                ids = (_ids_need_quotes(con) if fmt == "csv" else _ids_need_escapes(con) if fmt == "json" else False)
                write_rows = _rows_writer(fmt, pricer, path, ids, exact)
            # the run's rows in parts side by side (Engine.part_spans), each on a connection
            spans = engine.part_spans()
            while len(writing) < len(spans) - 1:
                writing.append(_writing_connection(engine, path, target is not None))
            jobs, run_parts = [], []
            direct = rows_out.direct_target() if rows_out is not None and k == 0 else None
            lines = [span if len(spans) > 1 else None for span in spans]
            part_of = lambda j: engine.tmpdir / f"rows-{k}-{j}.{fmt}"  # noqa: E731
            for j in range(len(spans)):
                on = con if j == 0 else writing[j - 1]
                if j:  # the view of this run's rows
                    engine.define_priced(on)
                if j == 0 and direct is not None:  # into the output itself, its head first
                    jobs.append(partial(_write_directly, write_rows, on, direct, lines[0], rows_out))
                    continue
                run_parts.append(part_of(j))
                jobs.append(partial(write_rows, on, str(part_of(j)), lines[j]))
            rows = _side_by_side(con, jobs)
            if direct is not None:
                if rows[0] is None:  # DuckDB could not open it: the part as the others
                    rows_out.not_written_directly()
                    write_rows(con, str(part_of(0)), lines[0])
                    run_parts.insert(0, part_of(0))
                else:
                    rows_out.written_directly(rows[0])
            if rows_out is not None:
                rows_out.add(run_parts)
            elif parquet is not None:
                parquet.add(run_parts)
        totals.by_model_month.sort()
        if fmt == "summary":
            write_totals(pricer, totals, out, exact)
        elif fmt == "csv":
            rows_out.finish()
        elif fmt == "json":
            if rows_out.finish():
                out.write("\n")  # the last row's line end (its comma dropped)
            write_json_tail(pricer, totals, out)
        elif fmt == "parquet":  # written beside the target, then renamed: never half a file
            assert parquet is not None
            parquet.finish()
            if out is not None:
                write_totals(pricer, totals, out, exact)
        else:
            assert out is not None
            rows_out.finish()
            out.write("\n")
            write_totals(pricer, totals, out, exact)
    except BaseException:
        if rows_out is not None:
            rows_out.abandon()
        if parquet is not None:
            parquet.abandon()
        raise
    finally:
        for other in writing:
            other.close()
    return totals


def _head(fmt: str, pricer: Pricer) -> str:
    """What a per-row text output writes before its rows."""
    if fmt == "csv":
        return ",".join(CSV_COLUMNS) + "\n"
    if fmt == "json":
        return '{\n  "currency": %s,\n  "rows": [\n' % json.dumps(pricer.currency)
    return f"{'line':>6}  {'time':<20}  {'provider/model':<32}  {'cost':>18}  breakdown\n"


def _write_directly(write_rows: Callable, on, target: str, lines: tuple[int, int] | None,
                    rows_out: RowParts) -> int | None:
    """A part written by DuckDB into the output's own file (``RowParts.direct_target``), the
    output's head first; how many rows, or None when DuckDB cannot open it (then nothing of it
    was written: the part is written as the others)."""
    try:
        return write_rows(on, target, lines, head=rows_out.head)
    except duckdb.IOException:
        return None


def _rows_writer(fmt: str, pricer: Pricer, path: str, ids: bool, exact: bool) -> Callable:
    """The writer of ``fmt``'s rows, called with a connection, a part's file, its lines (all of
    the run's when None) and, for a part written into the output itself, the output's head."""
    if fmt == "csv":
        return lambda on, part, lines, head=None: write_csv(on, part, path, ids, lines, head)
    if fmt == "json":
        return lambda on, part, lines, head=None: write_json_rows(on, part, path, lines, ids, head)
    if fmt == "parquet":
        return lambda on, part, lines, head=None: write_parquet(on, part, pricer.scale, lines)
    return lambda on, part, lines, head=None: write_table(on, pricer, part, exact, lines, head)


def _writing_connection(engine: "Engine", path: str, substitute: bool):
    """A connection beside the engine's own with the view ``out`` (see ``Engine.part_spans``)."""
    other = engine.writing_connection()
    define_rate_texts(other)
    engine.define_priced(other)
    create_output(other, path, substitute, engine.constant_columns, _shown(engine))
    return other


def _shown(engine: "Engine") -> str | None:
    """SQL of a row's line, when the priced rows are numbered and shown with other lines
    (``Loaded.shown_lines``: one line for all, or each row's from the variable ``shown_lines``)."""
    shown = engine.loaded.shown_lines if engine.loaded is not None else None
    if shown is None:
        return None
    return f"CAST({int(shown)} AS BIGINT)" if isinstance(shown, int) else "getvariable('shown_lines')[line]"


def _side_by_side(con, jobs: list) -> list:
    """Run the writers of a run's parts (each a COPY on its own connection) at once, one thread
    of DuckDB each (its setting of threads, for the database, is put back after); one job runs
    as it is.  Their results, in order."""
    if len(jobs) == 1:
        return [jobs[0]()]
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    con.execute("SET threads = 1")
    try:
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            return [done.result() for done in [pool.submit(job) for job in jobs]]
    finally:
        con.execute(f"SET threads = {int(threads)}")


def _lines_sql(lines: tuple[int, int] | None, *conditions: str) -> str:
    """The WHERE clause of a writer's rows: ``conditions`` and, for a part, its lines."""
    if lines is not None:
        conditions = (*conditions, f"row_no BETWEEN {int(lines[0])} AND {int(lines[1])}")
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


def add_totals(into: Summary, part: Summary) -> None:
    """``part``'s totals (a later run of lines) added to ``into``; months of one model summed."""
    into.units += part.units
    into.lowest_units += part.lowest_units
    into.priced_rows += part.priced_rows
    into.uncertain_rows += part.uncertain_rows
    into.if_later_units += part.if_later_units
    into.if_earlier_units += part.if_earlier_units
    months = {(p, m, month): units for p, m, month, units in into.by_model_month}
    for p, m, month, units in part.by_model_month:
        months[(p, m, month)] = months.get((p, m, month), 0) + units
    into.by_model_month = [(p, m, month, units) for (p, m, month), units in months.items()]
    into.unpriced.extend(part.unpriced)


#: DuckDB's CSV writer told to write each row's one text as it is: no quote, no escape, a
#: delimiter no line holds (one column: never written).  ``FORCE_QUOTE`` with an empty quote
#: writes the same bytes, but spares the writer its test of every byte for what would need
#: quotes (1M JSON lines of 500 bytes on one thread: 1.47 s -> 0.73 s for the write alone).
RAW_LINES = "FORMAT CSV, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\x01', FORCE_QUOTE *"


#: What DuckDB writes after the last row of a part that begins with the output's head (COPY's
#: ``PREFIX`` goes with a ``SUFFIX``, which takes the place of the last row's line end).
_SUFFIX = "\n"


def copy_lines(con, select: str, target: str, head: str | None = None) -> int:
    """``select``'s one text column to the file ``target``, a line per row, byte for byte;
    ``head``: text written first (the output's, when ``target`` is the output's own file, see
    ``RowParts.direct_target``).  How many rows were written."""
    options = RAW_LINES
    if head is not None:
        options += f", PREFIX '{_sq(head)}', SUFFIX '{_SUFFIX}', USE_TMP_FILE false"
    return con.execute(f"COPY ({select}) TO '{_sq(target)}' ({options})").fetchone()[0]


#: The columns of ``reprice --csv``, in order.
CSV_COLUMNS = ("file", "line", "time", "priced_at", "provider", "model", "cost", "lowest_cost", "uncertain_change",
               "cost_before_change", "cost_after_change",
               *(f"{c}_{part}" for c in TOKEN_COMPONENTS for part in ("tokens", "price", "tier", "cost")),
               "notes", "unpriced_field", "unpriced_reason")
#: SQL: ``{x}`` as one CSV cell, quoted as DuckDB's CSV writer quotes (see :func:`csv_cell`).
_CSV_QUOTE = ("CASE WHEN {x} = '' OR regexp_matches({x}, '[,\"\\n\\r#]')"
              " THEN '\"' || replace({x}, '\"', '\"\"') || '\"' ELSE {x} END")


def csv_cell(text: str) -> str:
    """One CSV cell as DuckDB's CSV writer would write it: quoted (quotes doubled) when it holds
    a delimiter, quote, line break or ``#``, or is empty (NULL is the empty cell)."""
    if text == "" or any(ch in text for ch in ',"\n\r#'):
        return '"' + text.replace('"', '""') + '"'
    return text


#: Every provider and model id a row may show: the file's own, or one the history prices it as.
_SHOWN_IDS = """SELECT DISTINCT id FROM (
        SELECT provider_id AS id FROM usage_keys UNION ALL SELECT model_id FROM usage_keys
        UNION ALL SELECT provider FROM rates UNION ALL SELECT model FROM rates
        UNION ALL SELECT priced_as FROM rates) WHERE id IS NOT NULL"""


def _ids_need_quotes(con) -> bool:
    """Whether some id a row may show needs quotes in CSV: tested once on the ids, not on
    every row."""
    return any(csv_cell(i) != i for (i,) in con.execute(_SHOWN_IDS).fetchall())


def _ids_need_escapes(con) -> bool:
    """Whether some id a row may show is not its JSON text between quotes (``to_json`` escapes
    quotes, backslashes and control characters): tested once on the ids, not on every row;
    ``provider/model`` then needs none either (``to_json`` leaves ``/`` as it is)."""
    return not con.execute(f"SELECT coalesce(bool_and(CAST(to_json(id) AS VARCHAR) = concat('\"', id, '\"')), true)"
                           f" FROM ({_SHOWN_IDS})").fetchone()[0]


def write_csv(con, target: str, file: str, ids: bool | None = None, lines: tuple[int, int] | None = None,
              head: str | None = None) -> int:
    """The rows of ``reprice --csv`` (no header), each line made as one text, so DuckDB writes
    each line as is: the same bytes as its CSV writer, at a fraction of its cost, because only
    text that may need quotes is tested: provider and model ids only when some id needs them
    (tested once), a rate's price and tier once per rate (``{c}_csv``), notes and reasons only
    on the rows that have them.  Digits, ISO times and ratecard's own words never need quotes.
    ``ids``: whether some id needs quotes, if known; ``lines``: those lines only (a part);
    ``head``: see :func:`copy_lines`, which says what is returned."""
    quote = _CSV_QUOTE.format
    ids = _ids_need_quotes(con) if ids is None else ids
    cells = [f"'{_sq(csv_cell(file))}'", "CAST(line AS VARCHAR)", "time", "priced_at",
             quote(x="provider") if ids else "provider", quote(x="model") if ids else "model", "cost", "lowest_cost",
             "CASE WHEN uncertain THEN iso(changed_after_us) || '/' || iso(changed_by_us) END",
             "cost_before_change", "cost_after_change"]
    for c in TOKEN_COMPONENTS:
        cells += [f"CAST({c}_tokens AS VARCHAR)", f"coalesce({c}_csv, ',')", f"{c}_cost"]
    notes = "nullif(array_to_string(notes, '; '), '')"
    cells += [f"CASE WHEN has_notes THEN {quote(x=notes)} END", "unpriced_field",  # a field's name
              f"CASE WHEN unpriced_reason IS NOT NULL THEN {quote(x='unpriced_reason')} END"]
    line = "concat(" + ", ',', ".join(cells) + ")"
    return copy_lines(con, f"SELECT {line} FROM out{_lines_sql(lines)}", target, head)


def write_parquet(con, target: str, scale: int, lines: tuple[int, int] | None = None) -> None:
    """The per-row table as Parquet: costs as DECIMAL(38, 6 + scale), exact (the integer units
    times an exact 10^-(6 + scale), never a float)."""
    k = 6 + scale

    def dec(units: str, name: str) -> str:
        return f"CAST(CAST({units} AS DECIMAL(38, 0)) * CAST('1e-{k}' AS DECIMAL(38, {k})) AS DECIMAL(38, {k})) AS {name}"

    columns = ["file", "line", "time", "priced_at", "provider", "model",
               dec("CASE WHEN unpriced_field IS NULL THEN cost_units END", "cost"),
               dec("CASE WHEN unpriced_field IS NULL THEN lowest_units END", "lowest_cost"),
               "uncertain", "CASE WHEN uncertain THEN iso(changed_after_us) END AS changed_after",
               "CASE WHEN uncertain THEN iso(changed_by_us) END AS changed_by",
               dec("CASE WHEN uncertain THEN units_before_change END", "cost_before_change"),
               dec("CASE WHEN uncertain THEN units_after_change END", "cost_after_change")]
    for c in TOKEN_COMPONENTS:
        columns += [f"{c}_tokens", f"{c}_price", f"{c}_tier", dec(f"{c}_units_out", f"{c}_cost")]
    columns += ["notes", "unpriced_field", "unpriced_reason"]
    con.execute(f"COPY (SELECT {', '.join(columns)} FROM out{_lines_sql(lines)}) TO '{_sq(target)}' (FORMAT PARQUET)")


def write_json_rows(con, target: str, file: str, lines: tuple[int, int] | None = None, ids: bool = True,
                    head: str | None = None) -> int:
    """The priced rows as the lines of ``reprice --json``'s ``rows`` array, indented and each
    with a comma (the document drops the last), ready to be copied into it as bytes.  Each row
    is made as one text, the JSON of the row pricer's document (tests compare them): text from
    the file (ids, notes) goes through ``to_json``; a component's price, tier and promo are one
    piece of JSON per rate (``rate_..._json``), looked up by the rate's ordinal; digits and
    ISO times are written as they are (no per-row struct, no per-row JSON writer).  A row's
    pieces are joined by one ``concat``, not a chain of ``||``, which copies the row so far at
    each step (1M rows of the base bench file: 2.50 s -> 1.89 s, best of five).  ``ids``: whether
    some id needs escapes (:func:`_ids_need_escapes`); else ids are written between quotes, not
    through ``to_json`` (half a million rows: 0.03 s of 0.54 s).  A component with tokens in a
    priced row has a cost (its rate's units are in the row, or the row is unpriced), written
    without a test for null (0.03 s of the same)."""
    def text(value: str) -> str:  # a text that may be NULL: quoted, or null
        return f"CASE WHEN {value} IS NULL THEN 'null' ELSE concat('\"', {value}, '\"') END"

    components = ", ".join(
        f"CASE WHEN {c}_tokens IS NOT NULL THEN concat('\"{c}\":{{\"tokens\":', CAST({c}_tokens AS VARCHAR),"
        f" {c}_json, '\"', {c}_cost, '\"}}') END" for c in TOKEN_COMPONENTS)
    used = "to_json(used_provider || '/' || used_model)" if ids else "concat('\"', used_provider, '/', used_model, '\"')"
    uncertain = ("to_json({'changed_after': iso(changed_after_us), 'changed_by': iso(changed_by_us),"
                 " 'cost_before_change': cost_before_change, 'cost_after_change': cost_after_change})")
    # A priced row always has a time, a time priced at and a cost: each is written between
    # quotes that are part of the text beside it, as are plain ids' (fewer pieces to join:
    # half a million rows 0.55 s -> 0.49 s of text on one thread)
    if ids:  # some id needs escapes: every id through to_json
        id_pieces = [Literal('","provider":'), "to_json(provider)", Literal(',"model":'), "to_json(model)",
                     Literal(',"cost":"')]
    else:
        id_pieces = [Literal('","provider":"'), "provider", Literal('","model":"'), "model", Literal('","cost":"')]
    pieces = _joined_literals([
        Literal(f'    {{"file":{json.dumps(file, ensure_ascii=False)},"line":'), "CAST(line AS VARCHAR)",
        Literal(',"time":"'), "time", Literal('","priced_at":"'), "priced_at", *id_pieces, "cost",
        Literal('","lowest_cost":'), text("lowest_cost"),
        Literal(',"uncertain_change":'), f"CASE WHEN uncertain THEN {uncertain} ELSE 'null' END",
        Literal(',"components":{'), f"concat_ws(',', {components})", Literal('},"notes":'),
        "CASE WHEN has_notes THEN to_json(notes) ELSE '[]' END",
        f"CASE WHEN moved THEN concat(',\"used\":', {used}) END", Literal("},")])
    return copy_lines(con, f"SELECT concat({', '.join(pieces)}) FROM out{_lines_sql(lines, 'unpriced_field IS NULL')}",
                      target, head)


class Literal(str):
    """A piece of a line that is text as it is (not SQL), for :func:`_joined_literals`."""


def _joined_literals(pieces: list[str]) -> list[str]:
    """The pieces of a ``concat`` as SQL, each run of :class:`Literal` pieces one string literal."""
    out: list[str] = []
    run: list[str] = []
    for piece in [*pieces, None]:
        if isinstance(piece, Literal):
            run.append(piece)
            continue
        if run:
            out.append(f"'{_sq(''.join(run))}'")
            run = []
        if piece is not None:
            out.append(piece)
    return out


def write_json_tail(pricer: Pricer, s: Summary, out: TextIO) -> None:
    """What the ``reprice --json`` document holds after its rows: the end of the rows, the
    unpriced rows, the totals."""
    money = lambda units: _money(pricer, units)  # noqa: E731
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
    out.write("  ],\n")
    out.write(",\n".join(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in tail.items()))
    out.write("\n}\n")


def write_table(con, pricer: Pricer, target: str, exact: bool = True, lines: tuple[int, int] | None = None,
                head: str | None = None) -> int:
    """The human table: one line per priced row; the cost rounded with the currency code as
    ``db.display.money`` rounds it (``exact``: every digit), the breakdown exact."""
    breakdown = ("concat_ws('; ', " + ", ".join(  # a rate's " x price tier = " is one piece per rate
        f"CASE WHEN {c}_tokens IS NOT NULL THEN concat('{LABELS[c]} ', {_grouped_sql(f'{c}_tokens')}, {c}_text,"
        f" {c}_cost) END" for c in TOKEN_COMPONENTS) + ")")  # the parts that are not NULL
    low = ("CASE WHEN lowest_cost IS NOT NULL THEN concat(' (lowest possible ', lowest_cost, ')') END,"
           " CASE WHEN moved THEN concat(' (tokens used on ', used_provider, '/', used_model, ')') END,"
           " CASE WHEN has_notes THEN array_to_string(list_transform(list_filter(notes,"
           " lambda n: NOT starts_with(n, 'date without time')), lambda n: '; ' || n), '') END")
    code = pricer.currency.upper()
    places = display.MINOR_UNITS.get(code, 2) + display.EXTRA_PLACES["cost"]
    cost = "cost" if exact else _rounded_sql("cost_units", places, 6 + pricer.scale)
    # one concat of the pieces (NULL ones are empty), not a chain of || copying the line so far;
    # the columns padded by counting characters (format's width, 1M rows: 0.54 s -> 0.43 s of CPU)
    shown = f"concat('{_sq(code)} ', {cost}, CASE WHEN uncertain THEN '?' END)"
    model = "concat(provider, '/', model)"
    line = (f"concat({_pad_sql('CAST(line AS VARCHAR)', 6, left=True)}, '  ', {_pad_sql('time', 20)}, '  ',"
            f" {_pad_sql(model, 32)}, '  ', {_pad_sql(shown, 18, left=True)}, '  ', {breakdown}, {low})")
    return copy_lines(con, f"SELECT {line} FROM out{_lines_sql(lines, 'unpriced_field IS NULL')}", target, head)


def _pad_sql(text: str, width: int, left: bool = False) -> str:
    """``text`` padded with spaces to ``width`` characters, as Python's ``{:<width}`` (``left``:
    ``{:>width}``), never cut: a longer text stays whole."""
    spaces = f"repeat(' ', {width} - length({text}))"
    return f"concat({spaces}, {text})" if left else f"concat({text}, {spaces})"


def _grouped_sql(count: str) -> str:
    """A token count with thousands separators, as Python's ``{:,}``: counts below a million by
    integer arithmetic (``format`` costs three times as much: 3M counts 0.38 s -> 0.26 s)."""
    return (f"CASE WHEN {count} < 1000 THEN CAST({count} AS VARCHAR) WHEN {count} < 1000000 THEN"
            f" concat(CAST({count} // 1000 AS VARCHAR), ',', substr(CAST(1000 + {count} % 1000 AS VARCHAR), 2))"
            f" ELSE format('{{:,}}', {count}) END")


def _rounded_sql(units: str, places: int, k: int) -> str:
    """Units of 10^-k as text rounded half-up to ``places``, ``~`` first when digits were
    dropped: what ``db.display.money`` shows, in SQL (integers only)."""
    if places >= k:
        frac = f"rpad(lpad(CAST({units} % {10 ** k} AS VARCHAR), {k}, '0'), {places}, '0')"
        return f"CAST({units} // {10 ** k} AS VARCHAR)" + (f" || '.' || {frac}" if places else "")
    d = 10 ** (k - places)
    r = f"(({units} + {d // 2}) // {d})"
    whole = f"CAST({r} // {10 ** places} AS VARCHAR)"
    text = whole + (f" || '.' || lpad(CAST({r} % {10 ** places} AS VARCHAR), {places}, '0')" if places else "")
    return f"CASE WHEN {units} % {d} <> 0 THEN '~' ELSE '' END || {text}"


def write_totals(pricer: Pricer, s: Summary, out: TextIO, exact: bool = False) -> None:
    """Totals per provider/model/month (rounded with the currency code unless ``exact``), the
    unpriced rows with their reasons, and the grand total (always exact: it is the answer)."""
    money = lambda units: _money(pricer, units)  # noqa: E731
    out.write(f"Totals ({pricer.currency}) by provider, model and month:\n")
    display.print_table([{"provider": p, "model": m, "month": month,
                  "cost": display.money(money(units), pricer.currency, "cost", exact)}
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


def _money(pricer: Pricer, units: int) -> str:
    from parsers.quote import decimal_text

    return decimal_text(pricer.money(units))


def _iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sq(text: str) -> str:
    return text.replace("'", "''")


__all__ = ["OUTPUTS", "Summary", "row_texts", "create_output", "define_macros", "define_rate_texts",
           "stream_totals", "summary",
           "write", "write_csv", "write_json_rows", "write_json_tail", "write_parquet", "write_table", "write_totals"]
