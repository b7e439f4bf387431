"""The columnar reprice engine: a usage file priced by one DuckDB query, for every output.

Three steps, the same for every row shape and every output:

1. **Load** (:func:`load_usage`): the file becomes the canonical table ``usage_rows`` (line,
   time, provider, model, tier, five token counts).  CSV (plain or gzip, UTF-8) and Parquet are
   read by DuckDB's own readers, the header planned by ``db.reprice.usage`` (the same column
   names, formulas and checks as the row reader); a whole column is checked in SQL and the first
   bad row (if any) is read again by ``db.reprice.usage`` so that its message (file, line,
   field) is the row reader's own.  Shapes DuckDB cannot read as columns (JSON documents and
   lines, provider exports, UTF-16 or cp1252 text, a CSV whose blank lines would shift line
   numbers) are read by ``db.reprice.usage.read_usage`` into the same canonical table.  Nothing
   is priced or written before the whole file has been read and checked.
2. **Price** (:meth:`Engine.price`): ``db.reprice.pricing_sql`` over the rate table of
   ``db.reprice.rates``: one query, integer money.
3. **Write**: ``db.reprice.writers`` (table, CSV, JSON, Parquet, summary) from the priced table.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from db.reprice.pricer import CurrencyNotPublished, Pricer, When
from db.reprice.pricing_sql import placement, pricing_sql
from db.reprice.rates import COLUMN_TYPES, RATE_COLUMNS, RateTable, compile_rates
from db.reprice.textfile import GZIP_MAGIC, UnreadableText, detect_encoding
from db.reprice.usage import (SERVICE_TIERS, TOKEN_COMPONENTS, CsvHeader, Plan, UsageError, csv_rows,
                              read_csv_header, read_usage)

#: DuckDB's memory before it spills to disk (RATECARD_MEMORY_LIMIT overrides).
MEMORY_LIMIT = os.environ.get("RATECARD_MEMORY_LIMIT", "1GB")
#: What ``reprice --summary`` needs of each priced row.
TOTALS_COLUMNS = ("line", "unpriced_field", "early_unpriced", "cost_units", "lowest_units", "uncertain",
                  "units_before_change", "units_after_change", "priced_provider_id", "priced_model_id",
                  "start_us", "whole_day", "provider_id", "model_id")
#: The canonical usage table every file becomes.
USAGE_COLUMNS = ("line", "time", "start_us", "whole_day", "provider_id", "model_id", "tier",
                 *(f"t_{c}" for c in TOKEN_COMPONENTS))
#: Token cells SQL reads as the row reader does (``_count``): digits, ``1,234``, ``297 429``
#: (spaces, no-break spaces), ``1234.0``/``1234,00``, empty = 0.  Anything else is a bad row.
_DIGITS = "[0-9]+"
_GROUPED = "[0-9]{1,3}(,[0-9]{3})+"
_SPACED = "[0-9]{1,3}([ \u00a0\u202f][0-9]{3})+"
_ZERO_FRACTION = "([0-9]+)[.,]0+"
_DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}"


@dataclass
class Loaded:
    """What :func:`load_usage` made of a file: its name (as messages give it) and row count."""

    path: str
    rows: int


class Engine:
    """One DuckDB connection holding the rate table of one history in one currency."""

    def __init__(self, pricer: Pricer, threads: int | None = None, memory_limit: str = MEMORY_LIMIT) -> None:
        self.pricer = pricer
        self.table: RateTable = compile_rates(pricer)
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        # Past this DuckDB spills the loaded and priced rows to the temporary folder, so a file of
        # any size is priced in bounded memory.
        self.con.execute(f"SET memory_limit = '{_sq(memory_limit)}'")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self._tmp = tempfile.TemporaryDirectory(prefix="ratecard-engine-")
        self.tmpdir = Path(self._tmp.name)
        self.con.execute(f"SET temp_directory = '{_sq(str(self.tmpdir / 'spill'))}'")
        _load_rates(self.con, self.table, self.tmpdir / "rates.csv")

    def close(self) -> None:
        self.con.close()
        self._tmp.cleanup()

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def load(self, path: str | Path, provider: str = "") -> Loaded:
        return load_usage(self.con, path, provider, self.tmpdir)

    def price(self, at: When | datetime | None = None, target: tuple[str, str] | None = None,
              totals_only: bool = False) -> int:
        """Price ``usage_rows`` into the table ``priced``; returns its row count.  ``totals_only``
        keeps the columns the totals need (the same query; DuckDB computes only those).

        A provider the history has in another currency only is an error, as in the row pricer."""
        self.con.execute("DROP TABLE IF EXISTS priced")
        sql = pricing_sql("duckdb", usage="(SELECT *, line AS row_id FROM usage_rows) usage_rows",
                          at=placement(at), target=target)
        columns = ", ".join(TOTALS_COLUMNS) if totals_only else "*"
        self.con.execute(f"CREATE TABLE priced AS SELECT {columns} FROM ({sql})")
        if target is None:
            self._check_currency()
        return self.con.execute("SELECT count(*) FROM priced").fetchone()[0]

    def write(self, fmt: str, out, path: str, at: When | datetime | None = None,
              target: tuple[str, str] | None = None, rows_to: str | Path | None = None):
        """Write the ``priced`` table as ``fmt`` (table, csv, json, parquet, summary) to ``out``
        (a text stream; Parquet goes to the file ``rows_to``).  Returns the totals."""
        from db.reprice import writers

        writers.define_macros(self.con, self.pricer.scale)
        writers.attach_texts(self.con, self.pricer, at, target, path)
        if fmt != "summary":
            writers.create_output(self.con, path, target is not None)
        totals = writers.summary(self.con, path)
        part = self.tmpdir / f"rows.{fmt}"
        if fmt == "summary":
            writers.write_totals(self.pricer, totals, out)
        elif fmt == "csv":
            writers.write_csv(self.con, str(part))
            writers.copy_file(part, out)
        elif fmt == "json":
            writers.write_json_rows(self.con, str(part))
            writers.write_json(self.con, self.pricer, totals, str(part), out)
        elif fmt == "parquet":  # written beside the target, then renamed: never half a file
            assert rows_to is not None
            final = Path(rows_to)
            partial = final.with_name(f".{final.name}.part")
            try:
                writers.write_parquet(self.con, str(partial), self.pricer.scale)
                partial.replace(final)
            finally:
                partial.unlink(missing_ok=True)
            if out is not None:
                writers.write_totals(self.pricer, totals, out)
        elif fmt == "table":
            out.write(f"{'line':>6}  {'time':<20}  {'provider/model':<32}  {'cost':>18}  breakdown\n")
            writers.write_table(self.con, self.pricer, str(part))
            writers.copy_file(part, out)
            out.write("\n")
            writers.write_totals(self.pricer, totals, out)
        else:
            raise ValueError(f"unknown output {fmt!r}")
        if part.exists():
            part.unlink()
        return totals

    def _check_currency(self) -> None:
        for (provider,) in self.con.execute(
                "SELECT DISTINCT provider_id FROM priced WHERE unpriced_field = 'provider'").fetchall():
            published = self.pricer.published.get(provider)
            if published:
                raise CurrencyNotPublished(
                    f"{provider} does not publish prices in {self.pricer.currency} (it publishes "
                    f"{', '.join(sorted(published))}); ratecard does not guess exchange rates")


def _load_rates(con: duckdb.DuckDBPyConnection, table: RateTable, path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(RATE_COLUMNS)
        writer.writerows(table.rows)
    types = ", ".join(f"'{c}': '{COLUMN_TYPES[c]}'" for c in RATE_COLUMNS)
    con.execute(f"CREATE OR REPLACE TABLE rates AS SELECT * FROM read_csv('{_sq(str(path))}', header = true,"
                f" columns = {{{types}}})")


# --- loading ---------------------------------------------------------------------------------

def load_usage(con: duckdb.DuckDBPyConnection, path: str | Path, provider: str, tmpdir: Path) -> Loaded:
    """Read and check the whole file into ``usage_rows``; a bad row raises the row reader's
    ``UsageError`` before anything is priced."""
    name = str(path)
    try:
        with open(path, "rb") as raw:
            head = raw.read(4)
    except OSError as exc:
        raise UsageError(name, 0, None, f"cannot read: {exc.strerror or exc}") from None
    con.execute("DROP TABLE IF EXISTS usage_rows")
    if head == b"PAR1":
        return _load_parquet(con, name, provider)
    plan = _duckdb_csv_plan(path, name, provider)
    if plan is not None:
        header, compression = plan
        loaded = _load_csv(con, name, header, compression)
        if loaded is not None:
            return loaded
    return _load_rows(con, name, provider, tmpdir)


def _duckdb_csv_plan(path: str | Path, name: str, provider: str) -> tuple[CsvHeader, str] | None:
    """The planned header when DuckDB's CSV reader can read the file as the row reader would."""
    with open(path, "rb") as raw:
        gz = raw.read(2) == GZIP_MAGIC
    opener = gzip.open if gz else open
    try:
        with opener(path, "rb") as binary:
            sample = binary.read(65536)
    except (OSError, EOFError):
        return None
    if detect_encoding(sample) not in ("utf-8", "utf-8-sig") or not sample.strip():
        return None
    text = sample.decode("utf-8-sig", errors="replace").lstrip()
    if text[:1] in "{[":
        return None  # JSON: the row reader expands its shapes
    handle = io.StringIO(sample.decode("utf-8-sig", errors="replace"), newline="")
    header = read_csv_header(handle, name, provider)  # an unknown column is the row reader's error
    if header.plan is None or '"' in sample.split(b"\n", 1)[0].decode("utf-8", "replace"):
        return None  # a provider's export, or a quoted header
    return header, "gzip" if gz else "none"


def _count_lines(path: str, compression: str) -> tuple[int, bool]:
    """Newlines in the file and whether it ends with one (to check DuckDB's rows are its lines)."""
    opener = gzip.open if compression == "gzip" else open
    count, last = 0, b"\n"
    with opener(path, "rb") as raw:
        while True:
            block = raw.read(1 << 24)
            if not block:
                break
            count += block.count(b"\n")
            last = block[-1:]
    return count, last == b"\n"


def _cell_sql(cell: str, field: str) -> tuple[str, str]:
    """(value, ok) SQL for one token cell, as ``db.reprice.usage._count`` reads it."""
    t = f"trim({cell})"
    value = (f"CASE WHEN {cell} IS NULL OR {t} = '' THEN 0"
             f" WHEN regexp_full_match({t}, '{_DIGITS}') THEN TRY_CAST({t} AS BIGINT)"
             f" WHEN regexp_full_match({t}, '{_GROUPED}') THEN TRY_CAST(replace({t}, ',', '') AS BIGINT)"
             f" WHEN regexp_full_match({t}, '{_SPACED}') THEN"
             f" TRY_CAST(regexp_replace({t}, '[ \u00a0\u202f]', '', 'g') AS BIGINT)"
             f" WHEN regexp_full_match({t}, '{_ZERO_FRACTION}') THEN"
             f" TRY_CAST(regexp_extract({t}, '{_ZERO_FRACTION}', 1) AS BIGINT) END")
    return value, f"({value}) IS NOT NULL"


def _select_sql(plan: Plan, cells: list[str], source: str, line: str) -> tuple[str, str]:
    """(canonical SELECT, bad-row condition) over ``source`` whose columns are ``c0``, ``c1``..."""
    counts: dict[int, str] = {}
    oks: list[str] = []
    for column, field in plan.counted:
        value, ok = _cell_sql(f"c{column}", field)
        counts[column] = f"n{column}"
        oks.append(ok)
    selects = [f"{line} AS line"] + [f"{_cell_sql(f'c{col}', '')[0]} AS n{col}" for col, _ in plan.counted]
    tokens = []
    for formula in plan.formulas:
        if not formula:
            tokens.append("CAST(0 AS BIGINT)")
        else:
            tokens.append("(" + " + ".join(f"{'' if s > 0 else '-'}n{c}" for c, s in formula) + ")")
    checks = [f"t_{c} >= 0" for c in TOKEN_COMPONENTS]
    for column, parts in plan.checks:
        checks.append(f"n{column} = " + " + ".join([f"t_{TOKEN_COMPONENTS[p]}" for p in parts] or ["0"]))
    checks += [f"n{column} = 0" for column in plan.zero]
    time = f"trim(c{plan.time})"
    whole_day = f"regexp_full_match({time}, '{_DATE}')"
    start = f"epoch_us(TRY_CAST({time} AS TIMESTAMPTZ))"
    provider = (f"'{_sq(plan.default_provider)}'" if plan.provider is None else f"lower(trim(c{plan.provider}))")
    model = f"trim(c{plan.model})"
    if plan.tier is None:
        tier = "'standard'"
    else:
        cases = " ".join(f"WHEN '{_sq(k)}' THEN '{v}'" for k, v in SERVICE_TIERS.items())
        tier = f"CASE lower(trim(coalesce(c{plan.tier}, ''))) {cases} END"
    inner = (f"SELECT {', '.join(selects)}, c{plan.time} AS time_cell, {whole_day} AS whole_day, {start} AS start_us,"
             f" {provider} AS provider_id, {model} AS model_id, {tier} AS tier"
             + (f", c{plan.provider} AS provider_cell" if plan.provider is not None else ", 'x' AS provider_cell")
             + f", c{plan.model} AS model_cell FROM {source}")
    token_cols = ", ".join(f"{expr} AS t_{c}" for expr, c in zip(tokens, TOKEN_COMPONENTS))
    bad = " OR ".join(f"NOT coalesce({c}, false)" for c in [
        *(f"n{col} IS NOT NULL" for col, _ in plan.counted), *checks,
        "start_us IS NOT NULL", "provider_id IS NOT NULL AND provider_id <> ''",
        "model_id IS NOT NULL AND model_id <> ''", "tier IS NOT NULL"])
    select = (f"SELECT line, time, start_us, whole_day, provider_id, model_id, tier,"
              f" {', '.join(f't_{c}' for c in TOKEN_COMPONENTS)}, {bad} AS bad"
              f" FROM (SELECT *, time_cell AS time, {token_cols} FROM ({inner}))")
    return select, "SELECT min(line) FROM usage_rows WHERE bad"


def _load_csv(con: duckdb.DuckDBPyConnection, name: str, header: CsvHeader, compression: str) -> Loaded | None:
    """DuckDB's CSV reader into ``usage_rows``; None when its rows would not be the file's lines."""
    sep = header.dialect.delimiter
    width = len(header.cells)
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
    source = (f"read_csv('{_sq(name)}', header = true, delim = '{_sq(sep)}', quote = '\"', escape = '\"',"
              f" columns = {{{columns}}}, compression = '{compression}', strict_mode = true,"
              f" null_padding = false, auto_detect = false, parallel = true)")
    _no_billed_context(name, header.plan, header.cells)
    select, check = _select_sql(header.plan, header.cells, "usage_cells", "line_no")
    try:
        con.execute(f"CREATE OR REPLACE TEMP VIEW usage_cells AS SELECT *, row_number() OVER () + 1 AS line_no"
                    f" FROM {source}")
        con.execute(f"CREATE TABLE usage_rows AS {select}")  # one pass: read, check, keep
    except duckdb.Error:
        _raise_row_error(name, header, None)  # the row reader names the line; else it is ours
        raise
    rows = con.execute("SELECT count(*) FROM usage_rows").fetchone()[0]
    newlines, ends = _count_lines(name, compression)
    if rows != newlines - (1 if ends else 0):
        con.execute("DROP TABLE usage_rows")
        return None  # blank lines or quoted line breaks: the row reader keeps the line numbers
    bad = con.execute(check).fetchone()[0]
    if bad is not None:
        con.execute("DROP TABLE usage_rows")
        _raise_row_error(name, header, bad)
    return Loaded(name, rows)


_BILLED_CONTEXT = ("a billed context window: the columnar engine does not price by it yet"
                   " (the row pricer does: ratecard reprice)")


def _no_billed_context(name: str, plan: Plan, cells: list[str]) -> None:
    """Refuse, never misprice: a row naming the context tier it was billed at (Anthropic's usage
    report) is priced at that tier by the row pricer; this engine does not carry that column."""
    if plan.context is not None:
        raise UsageError(name, 1, cells[plan.context], _BILLED_CONTEXT)


def _raise_row_error(name: str, header: CsvHeader, line: int | None) -> None:
    """Re-read line ``line`` (or the whole file) with the row reader, which raises its message."""
    from db.reprice.usage import open_usage_text

    with open_usage_text(name) as handle:
        handle.readline()
        if line is None:
            for _ in csv_rows(handle, header, name):
                pass
            return
        for _ in range(line - 2):
            handle.readline()
        text = handle.readline()
    for _ in csv_rows(io.StringIO(text, newline=""), header, name, line - 1):
        pass
    raise UsageError(name, line, None, "a row DuckDB could not read as the row reader does")


def _load_parquet(con: duckdb.DuckDBPyConnection, name: str, provider: str) -> Loaded:
    """A Parquet file of usage columns: planned like a CSV header; a row's "line" is its row number."""
    from db.reprice.usage import _normalise, _plan, _row

    try:
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{_sq(name)}')").fetchall()
    except duckdb.Error as exc:
        raise UsageError(name, 1, None, f"not a readable Parquet file: {str(exc).splitlines()[0]}") from None
    names = [d[0] for d in described]
    plan = _plan([_normalise(n) for n in names], names, name, 1, provider)
    _no_billed_context(name, plan, names)
    casts = ", ".join(f"CAST(\"{n.replace(chr(34), chr(34) * 2)}\" AS VARCHAR) AS c{i}" for i, n in enumerate(names))
    con.execute(f"CREATE OR REPLACE TEMP VIEW usage_cells AS SELECT {casts}, file_row_number + 1 AS line_no"
                f" FROM read_parquet('{_sq(name)}', file_row_number = true)")
    select, check = _select_sql(plan, names, "usage_cells", "line_no")
    con.execute(f"CREATE TABLE usage_rows AS {select}")
    bad = con.execute(check).fetchone()[0]
    if bad is not None:
        con.execute("DROP TABLE usage_rows")
        values = con.execute(f"SELECT * FROM read_parquet('{_sq(name)}') LIMIT 1 OFFSET {bad - 1}").fetchone()
        _row(plan, list(values), names, name, bad)
        raise UsageError(name, bad, None, "a row DuckDB could not read as the row reader does")
    return Loaded(name, con.execute("SELECT count(*) FROM usage_rows").fetchone()[0])


def _load_rows(con: duckdb.DuckDBPyConnection, name: str, provider: str, tmpdir: Path) -> Loaded:
    """Shapes only the row reader knows: its canonical rows, written as CSV for DuckDB to load."""
    canonical = tmpdir / "usage.csv"
    rows = 0
    try:
        with open(canonical, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            for row in read_usage(name, provider):
                if row.context:
                    raise UsageError(name, row.line, "context_window", _BILLED_CONTEXT)
                start = row.start.date().isoformat() if row.whole_day else row.start.isoformat()
                writer.writerow((row.line, start, _micros(row.start), row.whole_day, row.provider, row.model, row.tier,
                                 *row.tokens))
                rows += 1
    except UnreadableText as exc:
        raise UsageError(name, 1, None, str(exc)) from None
    types = {"line": "BIGINT", "time": "VARCHAR", "start_us": "BIGINT", "whole_day": "BOOLEAN",
             "provider_id": "VARCHAR", "model_id": "VARCHAR", "tier": "VARCHAR",
             **{f"t_{c}": "BIGINT" for c in TOKEN_COMPONENTS}}
    columns = ", ".join(f"'{c}': '{types[c]}'" for c in USAGE_COLUMNS)
    con.execute(f"CREATE TABLE usage_rows AS SELECT * FROM read_csv('{_sq(str(canonical))}', header = false,"
                f" columns = {{{columns}}}, quote = '\"', escape = '\"', auto_detect = false)")
    os.unlink(canonical)
    return Loaded(name, rows)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _micros(instant: datetime) -> int:
    delta = instant - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _sq(text: str) -> str:
    return text.replace("'", "''")


__all__ = ["Engine", "Loaded", "USAGE_COLUMNS", "load_usage"]
