"""The columnar reprice engine: a usage file priced by one DuckDB query, for every output.

The steps, the same for every row shape and every output:

1. **Read and check** (:meth:`Engine.load`): the file becomes the table ``usage_rows`` of
   canonical rows (line, instant, whole day, provider, model, tier, billed context, five token
   counts, ``bad``), parsed once by every core; its views ``usage_lines``/``usage_src`` are what
   the query reads.  CSV (plain or gzip, UTF-8) and Parquet are read by DuckDB's own readers,
   the header planned by ``db.reprice.usage`` (the same column names, formulas and checks as
   the row reader); a CSV row's line is its place in the table, which keeps the file's order
   (checked against the file's count of lines).  Shapes DuckDB cannot read as columns (JSON
   documents and lines, provider exports, UTF-16 or cp1252 text, a CSV whose blank lines would
   shift line numbers) are read by ``db.reprice.usage.read_usage`` into a canonical CSV first.
   One pass over the table finds bad rows, the file's (provider, model, tier) keys, whether it
   has whole-day rows and its time span; the first bad row (if any) is read again by
   ``db.reprice.usage`` so that its message (file, line, field) is the row reader's own.
   Nothing is written before the whole file has been checked.  ``--summary`` reads a CSV of
   any length once into groups of rows that cost the sum of their tokens (one key, one span
   of time: ``db.reprice.grouped``), checking every cell, and surveys the groups.  For per-row
   outputs a large plain CSV is not kept (``_stream_csv``): surveyed from its key and time
   cells, its cells are checked as each run of a million lines is cut from the file and
   parsed (:class:`RunFile`) -- still before anything is written, so memory does not grow
   with the file.
2. **Price** (:meth:`Engine.price`): ``db.reprice.pricing_sql`` over the rate table of
   ``db.reprice.rates``, shaped by what the first pass found (:class:`~db.reprice.pricing_sql.Shape`):
   one query, integer money.  The totals price the groups (or stream a kept file's rows: no
   table of priced rows); per-row outputs are kept in
   the table ``priced_rows`` (view ``priced``), sorted by line and narrow (what the file's shape
   makes constant, and a rate's units and cost, which its ordinal gives, are made by the view),
   a million lines at a time (:attr:`Engine.chunks`), each run's output written as a part and
   the parts joined as bytes (Parquet's row groups by ``db.reprice.parquet_concat``).
3. **Write**: ``db.reprice.writers`` (table, CSV, JSON, Parquet, summary); a run's rows in parts
   side by side, one thread and one connection each (:meth:`Engine.part_spans`).
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

import duckdb

from db.reprice import jsonlines
from db.reprice.bytecopy import copy_bytes
from db.reprice.pricer import CurrencyNotPublished, Pricer, When
from db.reprice.pricing_sql import (DAY_US, FALLBACK, PRICED_COLUMNS, Placement, Shape, literal, placement,
                                     pricing_sql, rate_tier_sql)
from db.reprice.rates import COLUMN_TYPES, RATE_COLUMNS, RateTable, compile_rates
from db.reprice.textfile import (GZIP_DAMAGED, GZIP_ERRORS, GZIP_MAGIC, UnreadableText, detect_encoding,
                                 text_start)
from db.reprice.usage import (BLANKS, DATE, DIGITS, GROUPED, ISO_INSTANT, MAX_COUNT, SERVICE_TIERS, SPACED,
                              TOKEN_COMPONENTS, ZERO_FRACTION, CsvHeader, Plan, UsageError, csv_rows,
                              read_csv_header, read_usage)

if TYPE_CHECKING:
    from db.reprice import writers

#: DuckDB's memory before it spills to disk (RATECARD_MEMORY_LIMIT overrides).
MEMORY_LIMIT = os.environ.get("RATECARD_MEMORY_LIMIT", "1GB")
#: Per-row outputs read a CSV of this many bytes of text or more (a gzip file counts six times
#: its size) a run at a time instead of keeping its parsed rows, and ``--summary`` decompresses
#: such a gzip file before reading it (RATECARD_STREAM_FROM_BYTES overrides).
STREAM_FROM_BYTES = int(os.environ.get("RATECARD_STREAM_FROM_BYTES", 128 << 20))
#: Per-row outputs price a file this many lines at a time, half as many when whole days or
#: uncertain windows meet it (RATECARD_CHUNK_LINES overrides; see ``Engine._run_lines``).
CHUNK_LINES = int(os.environ.get("RATECARD_CHUNK_LINES", 1_000_000))
#: A run's rows are written in as many parts as DuckDB has threads, each of this many lines or
#: more, side by side (see ``Engine.part_spans``; RATECARD_PART_MIN_LINES overrides).
PART_MIN_LINES = int(os.environ.get("RATECARD_PART_MIN_LINES", 100_000))
#: The canonical usage columns every file becomes.
USAGE_COLUMNS = ("line", "start_us", "whole_day", "provider_id", "model_id", "tier", "context",
                 *(f"t_{c}" for c in TOKEN_COMPONENTS))
#: The types of a component's priced columns, for a component no row of the file uses (stored
#: as constants, not as a million NULLs sorted with the rows).
_COMPONENT_PARTS = {"tokens": "CAST(0 AS BIGINT)", "rate_units": "CAST(NULL AS BIGINT)", "rate_ord": "CAST(NULL AS BIGINT)",
                    "rate_src": "CAST(NULL AS VARCHAR)", "cost_units": "CAST(NULL AS BIGINT)",
                    "billed_as": "CAST(NULL AS VARCHAR)"}


#: No row pricer's words for any row (see ``writers.row_texts``).
_NO_TEXTS = ("CAST(NULL AS VARCHAR) AS text_field, CAST(NULL AS VARCHAR) AS text_reason,"
             " CAST(NULL AS VARCHAR[]) AS text_notes")


def _constant_priced_columns(shape: Shape, own_time: bool, used: tuple[str, ...], facts: "FileFacts") -> dict[str, str]:
    """The priced columns the pricing query sets to a constant (or to another column) for this
    shape, as SQL: read from ``pricing_sql._final``.  ``own_time``: no ``--at`` (each row priced
    at its own time); ``used``: the components some row has tokens for; ``facts``: what else the
    file and the history make constant (see :class:`FileFacts`)."""
    constants: dict[str, str] = {c: sql for c, sql in facts.usage.items() if c in PRICED_COLUMNS}
    if not facts.days:  # the usage's own flag: no row is a date without time
        constants["whole_day"] = "false"
    if facts.own_provider:  # no --as: a row is priced under its own provider
        constants["priced_provider_id"] = constants.get("provider_id", "provider_id")
    if not facts.removals:  # no model of the file's providers was ever removed from a page
        constants.update({"after_last_seen": "false", "last_seen_us": "CAST(NULL AS BIGINT)",
                          "removed_us": "CAST(NULL AS BIGINT)"})
    for column in PRICED_COLUMNS:
        component = _component_of(column)
        if component is not None and component[0] not in used:
            constants[column] = _COMPONENT_PARTS[component[1]]
    if not shape.windows:  # no change of unknown instant: nothing uncertain
        constants.update({"uncertain": "false", "early_unpriced": "false",
                          **{c: "CAST(NULL AS BIGINT)" for c in ("changed_after_us", "changed_by_us",
                                                                 "units_before_change", "units_after_change")},
                          "switched_from": "CAST(NULL AS VARCHAR)", "switched_to": "CAST(NULL AS VARCHAR)"})
    if not shape.days:  # no row priced as a whole day
        constants.update({"day_lowest": "false", "whole_day_context": "false"})
        if not shape.windows:
            constants["lowest_units"] = "CAST(NULL AS BIGINT)"
    if own_time:
        constants.update({"priced_at_us": "start_us", "priced_whole_day": constants.get("whole_day", "whole_day")})
    return constants


@dataclass(frozen=True)
class FileFacts:
    """What makes more priced columns constant for one file, beyond its query's shape: the
    usage columns its header fixes (``usage``: no tier column, no provider column, no billed
    context: see ``_constant_columns``), whether some row is a date (``days``), whether rows are
    priced under their own provider (``own_provider``: no ``--as``), and whether the history
    has a removed model for its providers (``removals``).  Each column made constant is one the
    sort of the priced rows does not carry (1M base bench rows: 22 stored columns -> 15, priced
    and sorted in 0.78-0.89 s -> 0.68-0.72 s, best of five, old and new taking turns)."""

    usage: dict[str, str] = field(default_factory=dict)
    days: bool = True
    own_provider: bool = False
    removals: bool = True


@dataclass
class PricedView:
    """How the view ``priced`` makes each of ``PRICED_COLUMNS``: ``stored`` in ``priced_rows``,
    a ``constant`` of the file's shape, or derived from a rate's ordinal (``rates``: a
    component's rate, from the rate table's lists) and its tokens (``costs``).  The fewer
    columns stored, the less is sorted."""

    stored: list[str]
    constants: dict[str, str]
    rates: dict[str, str]
    costs: dict[str, str]


def _priced_view(shape: Shape, own_time: bool, substitute: bool, used: tuple[str, ...],
                 facts: FileFacts = FileFacts()) -> PricedView:
    """Where each priced column comes from for this file (see :class:`PricedView`).
    ``substitute``: ``--as`` (a component may be billed at another's rate: its source is stored)."""
    constants = _constant_priced_columns(shape, own_time, used, facts)
    rates, costs = {}, {}
    if not substitute:
        constants.update({f"{c}_billed_as": "CAST(NULL AS VARCHAR)" for c in FALLBACK})
    for c in used:
        if not substitute:
            constants[f"{c}_rate_src"] = f"CASE WHEN {c}_tokens > 0 THEN '{c}' END"
        rates[f"{c}_rate_units"] = f"CASE WHEN {c}_tokens > 0 THEN {rate_list_sql(c, 'units', substitute)} END"
        costs[f"{c}_cost_units"] = f"CASE WHEN {c}_tokens > 0 THEN {c}_tokens * {c}_rate_units END"
    made = {*constants, *rates, *costs}
    stored = [c for c in PRICED_COLUMNS if c not in made]
    return PricedView(stored, constants, rates, costs)


def define_rate_units(con: duckdb.DuckDBPyConnection) -> None:
    """Each component's rate (units) as a list indexed by the rate's ordinal + 1 (NULL where the
    rate row has no price for it), which the view ``priced`` reads a row's rate from: the lists
    are the fields of one variable, ``rate_units`` (one statement: five cost 5 ms a connection,
    and a row reads a field of it as fast as a variable of its own)."""
    lists = ", ".join(f"'{c}': coalesce(list({c}_units ORDER BY ordinal), [])" for c in TOKEN_COMPONENTS)
    con.execute(f"SET VARIABLE rate_units = (SELECT {{{lists}}} FROM rates)")


def rate_list_sql(c: str, part: str, substitute: bool = True) -> str:
    """SQL for ``part`` of the rate billed for component ``c``, read from the list of the
    variable ``rate_units`` (``units``: :func:`define_rate_units`) or ``rate_texts`` (the
    writers' ``define_rate_texts``), indexed by the rate's ordinal + 1; under ``--as``
    (``substitute``) the rate may be another component's (``pricing_sql.FALLBACK``), as the
    row's ``{c}_rate_src`` says."""
    def field(f: str) -> str:
        return f"getvariable('rate_units').{f}" if part == "units" else f"getvariable('rate_texts').{f}_{part}"

    sources = (c, *FALLBACK.get(c, ())) if substitute else (c,)
    if len(sources) == 1:
        return f"{field(c)}[{c}_rate_ord + 1]"
    return ("CASE " + " ".join(f"WHEN {c}_rate_src = '{f}' THEN {field(f)}[{c}_rate_ord + 1]"
                               for f in sources) + " END")


def _component_of(column: str) -> tuple[str, str] | None:
    """``input_cache_hit_rate_ord`` -> (``input_cache_hit``, ``rate_ord``); None for a row column."""
    for part in _COMPONENT_PARTS:
        for c in sorted(TOKEN_COMPONENTS, key=len, reverse=True):
            if column == f"{c}_{part}":
                return c, part
    return None


#: The shapes nearly every time cell has (``_`` one character), how a cell of that length is
#: known to be one besides its first digit (``{t}``: the cell), and the ``strptime`` format
#: that then reads it exactly as the row reader does (checked on 59,004 near-miss cells:
#: ``tests/test_engine_cells.py``).  Tested before the pattern, which costs as much as the
#: rest of a row's checks.
_COMMON_INSTANTS = (
    ("____-__-__T__:__:__Z", "ends_with({t}, 'Z')", "%Y-%m-%dT%H:%M:%SZ"),
    ("____-__-__T__:__:__.___Z", "ends_with({t}, 'Z')", "%Y-%m-%dT%H:%M:%S.%gZ"),
    ("____-__-__ __:__:__", "ascii({t}[-1]) {digit} AND {t}[11] = ' ' AND ascii({t}[10]) {digit}"
     " AND ascii({t}[12]) {digit}", "%Y-%m-%d %H:%M:%S"),
)
#: The instants the row reader can hold (Python's years 1 to 9999, in UTC): DuckDB's reach
#: further (1 BC for '0000', year 10000 for '9999-12-31T23:59:59-01:00').
_FIRST_US = -62135596800 * 10**6
_PAST_LAST_US = 253402300800 * 10**6
#: The blanks trimmed around a cell: the row reader's (``db.reprice.usage.BLANKS``), as SQL.
BLANKS_SQL = f"'{BLANKS}'"
assert all(ord(c) <= 32 for c in BLANKS)


def _trimmed(cell: str) -> str:
    """SQL for ``cell`` without the blanks around it.  DuckDB's ``trim`` of a set of characters
    costs three times its ``trim`` of spaces (0.39 s against 0.14 s on 1M ids), so a cell that
    neither starts nor ends with a character up to U+0020 (every blank is one) is taken as it is."""
    return (f"CASE WHEN ascii({cell}) > 32 AND ascii({cell}[-1]) > 32 THEN {cell}"
            f" ELSE trim({cell}, {BLANKS_SQL}) END")


@dataclass
class Loaded:
    """What :meth:`Engine.load` found in a file: its name (as messages give it), rows, keys,
    whether it has whole-day rows, and its time span (microseconds)."""

    path: str
    rows: int
    days: bool = False
    first_us: int | None = None
    last_us: int | None = None
    providers: tuple[str, ...] = ()
    #: The token components some row has tokens for.
    components: tuple[str, ...] = TOKEN_COMPONENTS
    #: Not kept: read into groups for its totals, or a run of lines at a time.
    streamed: bool = False
    #: A streamed file that per-row outputs read a run of lines at a time (see :class:`RunFile`).
    runs: "RunFile | None" = None
    #: The usage columns the file's header fixes for every row, as SQL (``_constant_columns``).
    constants: dict[str, str] = field(default_factory=dict)
    #: Read for its totals in one pass into groups (``db.reprice.grouped``): makes the table
    #: ``usage_groups`` again if rows priced at that placement, as that target, need another rule.
    regroup: Callable[[Placement, tuple[str, str] | None], None] | None = None
    #: Of a file read into groups, before its unpriced rows are listed: None when DuckDB's rows
    #: are its lines (the views that read them again are then made); else the file read again
    #: by the row reader (kept), whose line numbers are the file's.
    relined: Callable[[], "Loaded | None"] | None = None
    #: The line the row reader gives each row, by row number (``shown_lines[n - 1]``), when rows
    #: do not each have a line of their own: the records of one JSON document (an array, a
    #: usage report) share the line it starts on, and those of a JSON line holding several share
    #: that line.  The rows are then numbered in the file's order (``line`` is that number, by
    #: which they are sorted, cut into parts and joined to their texts) and shown with these
    #: lines (one line for every row: that line); None when each row's line is its own (the
    #: number is the line).
    shown_lines: tuple[int, ...] | int | None = None


class Engine:
    """One DuckDB connection holding the rate table of one history in one currency."""

    def __init__(self, pricer: Pricer, threads: int | None = None, memory_limit: str = MEMORY_LIMIT,
                 stream_from_bytes: int | None = None, chunk_lines: int | None = None,
                 part_min_lines: int | None = None) -> None:
        self.pricer = pricer
        # the module's settings as they are now (not when this module was read): tests set them
        self.stream_from_bytes = STREAM_FROM_BYTES if stream_from_bytes is None else stream_from_bytes
        self.chunk_lines = CHUNK_LINES if chunk_lines is None else chunk_lines
        self.part_min_lines = PART_MIN_LINES if part_min_lines is None else part_min_lines
        self.chunks: list[tuple[int, int]] = []
        self._file_runs: RunFile | None = None  # the runs a file read in runs is priced in
        #: The priced columns the priced file's shape makes constant (see ``_priced_view``).
        self.constant_columns: frozenset[str] = frozenset()
        self._priced_definition: tuple[PricedView, str] | None = None  # the view ``priced``, as made last
        self.table: RateTable = compile_rates(pricer)
        self.con = duckdb.connect()
        _session_settings(self.con)
        # Past this DuckDB spills the priced rows to the temporary folder, so a file of any size
        # is priced in bounded memory.
        self.con.execute(f"SET memory_limit = '{_sq(memory_limit)}'")
        # A CSV's parsed rows keep the file's order (a row's line is its place): DuckDB's default,
        # said here so that no configuration can change it.
        self.con.execute("SET preserve_insertion_order = true")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self._tmp = tempfile.TemporaryDirectory(prefix="ratecard-engine-")
        self.tmpdir = Path(self._tmp.name)
        self.con.execute(f"SET temp_directory = '{_sq(str(self.tmpdir / 'spill'))}'")
        _load_rates(self.con, self.table, self.tmpdir / "rates.csv")
        # the rate table is this engine's for good: its lists are made once, not at every file
        # priced (an engine reused for many small files spent a third of each on them)
        define_rate_units(self.con)
        #: Whether the writers' rate texts are set on ``con`` (``writers.define_rate_texts``).
        self.rate_texts_defined = False
        self.loaded: Loaded | None = None
        self.totals = None

    def close(self) -> None:
        self.con.close()
        self._tmp.cleanup()

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def load(self, path: str | Path, provider: str = "", totals_only: bool = False) -> Loaded:
        """Read and check the whole file (one pass); a bad row raises the row reader's
        ``UsageError`` before anything is priced.  ``totals_only`` (``--summary``): a CSV or a
        Parquet file is read once into groups of rows (``db.reprice.grouped``), whatever its
        length, and not kept.  Else a CSV of ``stream_from_bytes`` or more (a gzip file: its text, decompressed
        to a temporary file first) is not kept, so that memory does not grow with the file:
        its cells are checked run by run as per-row outputs read it (:class:`RunFile`), a bad
        row raising from :meth:`price` or :meth:`write`, still before anything is written.  A
        smaller file is kept: parsed once, it is priced faster, in memory that a file of that
        size bounds.  Other shapes (Parquet, JSON, provider exports) are kept."""
        self.loaded, self.totals = None, None
        keep = _text_bytes(path) < self.stream_from_bytes
        # a CSV's totals are read in one pass into groups (db.reprice.grouped), whatever its size
        mode = "grouped" if totals_only else "keep" if keep else "runs"
        self.loaded = load_usage(self.con, path, provider, self.tmpdir, mode=mode, run_lines=self._half_run,
                                 unzip=not keep)
        self.define_shown_lines(self.con)
        return self.loaded

    def define_shown_lines(self, con: duckdb.DuckDBPyConnection) -> None:
        """The variable ``shown_lines`` on ``con``: the loaded file's ``Loaded.shown_lines``, which
        the writers show a row's line from (a variable is a connection's own)."""
        if self.loaded is not None and isinstance(self.loaded.shown_lines, tuple):
            con.execute("SET VARIABLE shown_lines = ?", [list(self.loaded.shown_lines)])

    def shown_line(self, line: int) -> int:
        """The line the row reader gives the row numbered ``line`` (see ``Loaded.shown_lines``)."""
        shown = self.loaded.shown_lines if self.loaded is not None else None
        return line if shown is None else shown if isinstance(shown, int) else shown[line - 1]

    @property
    def _half_run(self) -> int:
        """The lines of a run when the query holds its rows (see :meth:`_run_lines`)."""
        return max(1, self.chunk_lines // 2)

    def _run_lines(self, shape: Shape) -> int:
        """How many lines are priced at a time: ``chunk_lines``, or half as many when the query
        holds the rows it reads (``Shape.rereads_rows``), which would double a run's memory
        (10M rows of the wide bench file in runs of a million lines: 1.08 GB, spilled, 40.6 s
        for Parquet; in half runs 691 MB, 28.2 s).  A file read in runs is cut at half runs,
        two of them making a full one (an odd ``chunk_lines`` is one line less)."""
        if shape.rereads_rows:
            return self._half_run
        return 2 * self._half_run if self.chunk_lines > 1 else 1

    def shape(self, at: When | datetime | None, target: tuple[str, str] | None) -> Shape:
        """The parts of the pricing query this file reaches (see ``pricing_sql.Shape``)."""
        loaded = self.loaded
        assert loaded is not None, "load a file first"
        where = placement(at)
        if loaded.rows == 0:
            return Shape(days=False, windows=False, keys="usage_keys")
        if where.instant_us is not None:
            days, lo, hi = False, where.instant_us, where.instant_us
        elif where.date_us is not None:
            days, lo, hi = loaded.days, where.date_us, where.date_us + DAY_US
        elif loaded.first_us is None:  # no row has a time (a streamed file: its pass will say so)
            return Shape(days=loaded.days, windows=False, keys="usage_keys")
        else:
            days, lo, hi = loaded.days, loaded.first_us, loaded.last_us + DAY_US
        providers = [target[0]] if target else list(loaded.providers)
        windows = bool(providers) and self.con.execute(
            "SELECT count(*) FROM rates WHERE book = 'window' AND list_contains(?, provider)"
            " AND valid_from_us <= ? AND valid_to_us >= ?", [providers, hi + DAY_US, lo - DAY_US]).fetchone()[0] > 0
        return Shape(days=days, windows=windows, keys="usage_keys")

    def query(self, at: When | datetime | None = None, target: tuple[str, str] | None = None,
              lines: bool = True, between: tuple[int, int] | None = None, shape: Shape | None = None,
              only: str | None = None) -> str:
        """The pricing query over the loaded file (``lines``: with its line numbers; ``between``:
        only the rows of those lines, both included; ``shape``: :meth:`shape`, if known;
        ``only``: SQL that the rows priced meet)."""
        shape = shape or self.shape(at, target)
        source = "usage_lines" if lines or shape.days or shape.windows or between else "usage_src"
        row_id = "line" if source == "usage_lines" else "CAST(NULL AS BIGINT) AS line, NULL"
        where = f" WHERE line BETWEEN {int(between[0])} AND {int(between[1])}" if between else ""
        if only:
            where = f"{where} {'AND' if where else 'WHERE'} ({only})"
        return pricing_sql("duckdb", usage=f"(SELECT *, {row_id} AS row_id FROM {source}{where}) usage_rows",
                           at=placement(at), target=target, shape=shape, texts=False)

    def price(self, at: When | datetime | None = None, target: tuple[str, str] | None = None,
              totals_only: bool = False) -> int:
        """Price the loaded file.  ``totals_only``: the totals, streamed (no table of rows);
        else the table ``priced`` (``PRICED_COLUMNS``), in line order, a run of lines at a
        time (:meth:`_run_lines`, :attr:`chunks`; the writers go through them in order and join
        their parts as bytes).  Returns the row count.

        A provider the history has in another currency only is an error, as in the row pricer."""
        from db.reprice import writers

        self.totals = None
        self.con.execute("DROP VIEW IF EXISTS priced")
        self.con.execute("DROP TABLE IF EXISTS priced_rows")
        if totals_only and self.loaded is not None and self.loaded.regroup is not None:
            self.totals = self._grouped_totals(at, target)
            return self.loaded.rows
        if totals_only:  # a kept file (Parquet, JSON, a provider's export...)
            self.totals = writers.stream_totals(self, at, target)
            return self.loaded.rows if self.loaded else 0
        file_runs = self.loaded.runs if self.loaded is not None else None
        if self.loaded is not None and self.loaded.streamed and file_runs is None:
            raise ValueError("the file was loaded for its totals only")
        self._placed = (at, target, self.shape(at, target), self._facts(target))
        # A file of more lines than a run (``_run_lines``) is priced a run of lines at a time
        # (each sorted in memory, written, then dropped): time that grows with the file, and
        # memory that does not.  A file not kept has its runs parsed one at a time too.
        step = self._run_lines(self._placed[2])
        if file_runs is not None:
            self._file_runs = file_runs if step == file_runs.lines else file_runs.merged(step // file_runs.lines)
            self.chunks = self._file_runs.spans or [(0, 0)]
        else:
            first, last = self.con.execute("SELECT min(line), max(line) FROM usage_lines").fetchone()
            self.chunks = ([(lo, min(lo + step - 1, last)) for lo in range(first, last + 1, step)]
                           if first is not None else [(0, 0)])
        self.price_chunk(0)
        return self.loaded.rows if self.loaded else 0

    def _grouped_totals(self, at: When | datetime | None, target: tuple[str, str] | None) -> "writers.Summary":
        """The totals of a file read into groups (``db.reprice.grouped``): the groups made again
        first if ``at`` needs another rule, then priced (a run of groups at a time past
        :meth:`_run_lines`), each group's usage rows counted ``n`` times; its unpriced rows
        are then read again from the file, with their lines."""
        from db.reprice import writers

        loaded = self.loaded
        assert loaded is not None and loaded.regroup is not None
        where = placement(at)
        loaded.regroup(where, target)
        shape = self.shape(at, target)
        count = self.con.execute("SELECT count(*) FROM usage_groups").fetchone()[0]
        step = self._run_lines(shape)
        totals = writers.Summary()
        unpriced: list[tuple[str, str, int, int]] = []  # each key's unpriced rows' first and last instant
        for lo in range(1, count + 1, step):
            sql = pricing_sql("duckdb", usage=f"(SELECT *, line AS row_id FROM usage_groups WHERE line BETWEEN {lo}"
                                              f" AND {lo + step - 1}) usage_rows",
                              at=where, target=target, shape=shape, texts=False, prompt="band_prompt")
            part = writers.priced_totals(self, sql, target, weight="usage_groups")
            writers.add_totals(totals, part)
            totals.unpriced_rows += part.unpriced_rows
            if part.unpriced_rows:
                unpriced += self.con.execute(
                    f"SELECT g.provider_id, g.model_id, min(g.first_us), max(g.last_us) FROM ({sql}) p"
                    " JOIN usage_groups g ON g.line = p.line WHERE p.unpriced_field IS NOT NULL GROUP BY ALL").fetchall()
        totals.by_model_month.sort()
        if totals.unpriced_rows and loaded.relined is not None:
            kept = loaded.relined()
            if kept is not None:  # its rows are not its lines: priced again as the row reader reads it
                self.loaded = kept
                return writers.stream_totals(self, at, target)
        # the unpriced rows are read again with their lines: only the rows of the keys and times
        # their groups hold are priced again (the rest of a file's rows are priced, known now)
        only = " OR ".join(f"(provider_id = {literal(p)} AND model_id = {literal(m)} AND start_us BETWEEN {a} AND {b})"
                           for p, m, a, b in unpriced)
        writers.list_unpriced(self, at, target, totals, only=only)
        return totals

    def price_chunk(self, k: int) -> None:
        """The table ``priced`` for the ``k``-th run of lines (:attr:`chunks`) alone."""
        from db.reprice import writers

        at, target, shape, facts = self._placed
        self.con.execute("DROP VIEW IF EXISTS priced")
        self.con.execute("DROP TABLE IF EXISTS priced_rows")
        between = self.chunks[k] if len(self.chunks) > 1 else None
        file_runs = self._file_runs if self.loaded is not None and self.loaded.runs is not None else None
        if file_runs is not None:  # the run's rows alone are in usage_rows
            if file_runs.spans:
                try:
                    file_runs.keep(self.con, k, self.tmpdir)
                except UsageError:
                    self.loaded = None  # nothing of a refused file is kept
                    raise
            between = None
        sql = self.query(at, target, between=between, shape=shape)
        # Sorted by line once, narrow: a column the file's shape makes constant (a component no
        # row uses, the uncertain-change columns of a file no window meets, ...) or that a rate's
        # ordinal gives (its units, and the cost) is made by the view, not carried through the sort.
        columns = _priced_view(shape, at is None, target is not None,
                               self.loaded.components if self.loaded else TOKEN_COMPONENTS, facts)
        self.constant_columns = frozenset(columns.constants)
        self.con.execute(f"CREATE TABLE priced_rows AS SELECT {', '.join(columns.stored)} FROM ({sql}) ORDER BY line")
        self._define_priced(columns, _NO_TEXTS)
        if target is None:
            self._check_currency("priced")
        if writers.row_texts(self, at, target, self.loaded.path if self.loaded else ""):
            # The row pricer's words become columns of the rows that have them (a join, then
            # the rows sorted again: only for a file with such rows).
            self.con.execute("CREATE TABLE priced_texts AS SELECT p.*, t.field AS text_field, t.reason AS text_reason,"
                             " t.notes AS text_notes FROM priced_rows p LEFT JOIN texts t ON t.line = p.line"
                             " ORDER BY p.line")
            self.con.execute("DROP VIEW priced")
            self.con.execute("DROP TABLE priced_rows")
            self.con.execute("ALTER TABLE priced_texts RENAME TO priced_rows")
            self._define_priced(columns, "text_field, text_reason, text_notes")

    def _facts(self, target: tuple[str, str] | None) -> FileFacts:
        """What the loaded file and the history make constant in its priced rows (see
        :class:`FileFacts`)."""
        loaded = self.loaded
        if loaded is None:
            return FileFacts()
        providers = [target[0]] if target else list(loaded.providers)
        removals = self.con.execute("SELECT count(*) FROM rates WHERE book = 'removed' AND list_contains(?, provider)",
                                    [providers]).fetchone()[0] > 0
        return FileFacts(usage=loaded.constants, days=loaded.days, own_provider=target is None, removals=removals)

    def _define_priced(self, columns: "PricedView", texts: str) -> None:
        """The view ``priced`` (``PRICED_COLUMNS`` and ``texts``) over ``priced_rows``."""
        self._priced_definition = (columns, texts)
        self.define_priced(self.con)

    def define_priced(self, con: duckdb.DuckDBPyConnection) -> None:
        """The view ``priced`` of the run priced last, on ``con`` (this engine's own connection,
        or one of :meth:`writing_connection`: a view lives in the connection that made it)."""
        assert self._priced_definition is not None, "price a file first"
        columns, texts = self._priced_definition
        first = ", ".join(f"{sql} AS {c}" for c, sql in columns.constants.items())
        rates = ", ".join(f"{sql} AS {c}" for c, sql in columns.rates.items())
        final = ", ".join(columns.costs.get(c, c) + (f" AS {c}" if c in columns.costs else "") for c in PRICED_COLUMNS)
        con.execute(f"CREATE OR REPLACE TEMP VIEW priced AS SELECT {final}, {texts}"
                    f" FROM (SELECT *{', ' + rates if rates else ''}"
                    f" FROM (SELECT *{', ' + first if first else ''} FROM priced_rows))")

    def writing_connection(self) -> duckdb.DuckDBPyConnection:
        """Another connection to this engine's database, for a writer beside the engine's own
        (see :meth:`part_spans`): its session settings and rate lists set as the engine's own;
        the writers define its views (:meth:`define_priced`, then theirs)."""
        con = self.con.cursor()
        _session_settings(con)
        define_rate_units(con)
        self.define_shown_lines(con)
        return con

    def part_spans(self) -> list[tuple[int, int]]:
        """The lines of the run priced last, cut into the parts the writers write side by side:
        as many as DuckDB has threads, each of ``part_min_lines`` lines or more (one part for a
        short run).  Each part is one COPY on one thread, to a file of its own, the parts joined
        as bytes: DuckDB's own parallel COPY keeps the rows' order by holding every thread's
        rows until the rows before them are written, which costs more than it saves on long
        lines (1M JSON rows of the base bench file: one COPY on 2 threads 1.96-2.22 s wall,
        3.0-3.5 s CPU; one COPY on 1 thread 1.52 s; two parts, a thread each, 1.06-1.25 s)."""
        first, last, rows = self.con.execute("SELECT min(line), max(line), count(*) FROM priced_rows").fetchone()
        threads = int(self.con.execute("SELECT current_setting('threads')").fetchone()[0])
        parts = max(1, min(threads, rows // max(1, self.part_min_lines)))
        if first is None or parts == 1:
            return [(first or 0, last or 0)]
        step = -(-(last - first + 1) // parts)
        return [(lo, min(lo + step - 1, last)) for lo in range(first, last + 1, step)]

    def write(self, fmt: str, out, path: str, at: When | datetime | None = None,
              target: tuple[str, str] | None = None, rows_to: str | Path | None = None, exact: bool = True):
        """Write the priced file as ``fmt`` (table, csv, json, parquet, summary) to ``out`` (a
        text stream; Parquet goes to the file ``rows_to``).  Returns the totals."""
        from db.reprice import writers

        return writers.write(self, fmt, out, path, at, target, rows_to, exact)

    def _check_currency(self, table: str) -> None:
        for (provider,) in self.con.execute(
                f"SELECT DISTINCT provider_id FROM {table} WHERE unpriced_field = 'provider'").fetchall():
            self.check_provider(provider)

    def check_provider(self, provider: str) -> None:
        published = self.pricer.published.get(provider)
        if published:
            raise CurrencyNotPublished(
                f"{provider} does not publish prices in {self.pricer.currency} (it publishes "
                f"{', '.join(sorted(published))}); ratecard does not guess exchange rates")


def _session_settings(con: duckdb.DuckDBPyConnection) -> None:
    """The settings each connection of the engine holds for itself (the database's own, such as
    its memory and threads, are set once on the engine's connection)."""
    con.execute("SET TimeZone = 'UTC'")
    # DuckDB draws a progress bar on stdout for a query past two seconds: on a large file it
    # would land in the middle of ``reprice --csv > out.csv``.
    con.execute("SET enable_progress_bar = false")
    # The usage side of every join is the big one, whatever DuckDB estimates for a CSV scan
    # (it can guess a few thousand rows and build its hash table on 10M usage rows, past the
    # memory limit): keep the joins as written, small tables (rates, keys) on the build side.
    con.execute("SET disabled_optimizers = 'join_order,build_side_probe_side'")


def _text_bytes(path: str | Path) -> int:
    """About how many bytes of text the file holds (a gzip file: six times its size)."""
    try:
        with open(path, "rb") as raw:
            gz = raw.read(2) == GZIP_MAGIC
        return os.path.getsize(path) * (6 if gz else 1)
    except OSError:
        return 0  # the loader says why it cannot be read


def _load_rates(con: duckdb.DuckDBPyConnection, table: RateTable, path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(RATE_COLUMNS)
        writer.writerows(table.rows)
    types = ", ".join(f"'{c}': '{COLUMN_TYPES[c]}'" for c in RATE_COLUMNS)
    con.execute(f"CREATE OR REPLACE TABLE rates AS SELECT * FROM read_csv('{_sq(str(path))}', header = true,"
                f" columns = {{{types}}})")


# --- loading ---------------------------------------------------------------------------------

def load_usage(con: duckdb.DuckDBPyConnection, path: str | Path, provider: str, tmpdir: Path,
               mode: str = "keep", run_lines: int = CHUNK_LINES, unzip: bool = True) -> Loaded:
    """Define the views ``usage_src`` (no line numbers: the fastest read) and ``usage_lines``
    over the file, check every row in one pass, and keep its keys in ``usage_keys``; a bad row
    raises the row reader's ``UsageError``.  ``mode``: ``keep`` the parsed rows; read a plain
    CSV in ``runs`` of ``run_lines`` lines (a gzip file is first decompressed into ``tmpdir``:
    its bytes can then be cut into runs; messages still name the gzip file and its lines); or
    ``grouped``: a plain or gzip CSV, or a Parquet file, read for its totals in one pass into
    groups (see ``db.reprice.grouped``; a long gzip file, ``unzip``, decompressed first, so that
    it is read by every core).  JSON Lines of flat objects are read by DuckDB's JSON reader
    (``db.reprice.jsonlines``), into groups or kept.  Other shapes are kept, read by the row
    reader."""
    name = str(path)
    try:
        with open(path, "rb") as raw:
            head = raw.read(4)
    except OSError as exc:
        raise UsageError(name, 0, None, f"cannot read: {exc.strerror or exc}") from None
    if head == b"PAR1":
        return _load_parquet(con, name, provider, grouped=mode == "grouped")
    start = text_start(path)  # read once: both readers decide from it
    plan = _duckdb_csv_plan(start, name, provider)
    if plan is not None:
        header, compression = plan
        text = None
        if compression == "gzip" and (mode == "runs" or mode == "grouped" and unzip):
            text = _gunzip(name, tmpdir)
            compression = "none" if text is not None else compression
        if mode == "grouped":
            return _group_csv(con, name, header, compression, text, lambda: _load_rows(con, name, provider, tmpdir))
        if mode == "runs" and compression == "none":
            loaded = _stream_csv(con, name, header, compression, run_lines, text)
        else:
            loaded = _load_csv(con, name, header, compression)
        if loaded is not None:
            return loaded
        return _load_rows(con, name, provider, tmpdir)
    flat = jsonlines.flat_plan(start, name, provider)
    if flat is not None:
        loaded = _load_json_lines(con, name, provider, tmpdir, *flat, grouped=mode == "grouped")
        if loaded is not None:
            return loaded
    return _load_rows(con, name, provider, tmpdir)


def _load_json_lines(con: duckdb.DuckDBPyConnection, name: str, provider: str, tmpdir: Path, plan: Plan,
                     keys: tuple[str, ...], compression: str, layout: str, grouped: bool) -> Loaded | None:
    """JSON Lines, or a JSON array (``layout``), read by DuckDB's JSON reader as cells
    (``db.reprice.jsonlines``), then as a CSV's: into groups, or kept.  A bad row (or one the
    fast reading cannot vouch for) sends the file to the row reader, which raises its message or
    reads the file itself; None when DuckDB cannot read it, or (kept) the rows of JSON Lines are
    not its lines: the row reader reads it.  An array's rows are numbered in its order and all
    shown with line 1, the row reader's line of a document's records."""
    cells = jsonlines.cells_sql(name, compression, keys, plan, lined=False, layout=layout)
    lined = jsonlines.cells_sql(name, compression, keys, plan, lined=True, layout=layout)
    array = layout == jsonlines.ARRAY
    read_by_rows = []

    def row_reader(_rows: int) -> Loaded:
        drop_rows(con)
        read_by_rows.append(True)
        return _load_rows(con, name, provider, tmpdir)

    def own_lines(loaded: Loaded) -> Loaded:
        if array and not read_by_rows:
            loaded.shown_lines = 1
        return loaded

    def lines() -> int | None:
        try:
            newlines, ends, _ = _count_lines(name, compression)
        except (OSError, *GZIP_ERRORS):  # the row reader says why the file cannot be read
            return None
        return newlines + (not ends)  # a last line without a newline counts

    def rows_are_lines(rows: int) -> bool:
        return array or rows == lines()  # an array's rows are numbered as DuckDB reads them

    try:
        if grouped:
            return own_lines(_group_rows(con, name, plan, cells, lined, row_reader,
                                         lambda rows: None if rows_are_lines(rows) else row_reader(rows)))
        with ThreadPoolExecutor(max_workers=1) as pool:  # the lines counted while DuckDB reads
            counted = pool.submit(lambda: None if array else lines())
            drop_rows(con)
            _keep_rows(con, _select_sql(plan, cells), "rowid + 1", plan)
            loaded, bad = _survey(con, name)
            same = array or loaded.rows == counted.result()
    except duckdb.Error:
        drop_rows(con)
        return None
    if bad:
        return row_reader(loaded.rows)
    if not same:
        drop_rows(con)
        return None
    loaded.constants = _constant_columns(plan)
    return own_lines(loaded)


def _gunzip(name: str, tmpdir: Path) -> str | None:
    """A long gzip file's text, decompressed into ``tmpdir``: DuckDB reads a gzip file with one
    thread and it cannot be cut into runs, so it would be held whole (10M rows of the wide bench
    file: --summary 28.7 s in 1.10 GB, against 12.5 s in 337 MB for the plain file); the copy
    costs its size on disk.  None when it cannot be decompressed (the readers say why)."""
    target = tmpdir / "usage-text.csv"
    try:
        with gzip.open(name, "rb") as compressed, open(target, "wb") as text:
            shutil.copyfileobj(compressed, text, 1 << 20)
    except (OSError, *GZIP_ERRORS):
        target.unlink(missing_ok=True)
        return None
    return str(target)


def _duckdb_csv_plan(start: tuple[bytes, bool] | None, name: str, provider: str) -> tuple[CsvHeader, str] | None:
    """The planned header when DuckDB's CSV reader can read the file as the row reader would,
    from ``start`` (``textfile.text_start``: the file's first bytes, and whether it is gzip)."""
    if start is None:
        return None
    sample, gz = start
    if detect_encoding(sample) not in ("utf-8", "utf-8-sig") or not sample.strip():
        return None
    text = sample.decode("utf-8-sig", errors="replace").lstrip()
    if text[:1] in "{[":
        return None  # JSON: the row reader expands its shapes
    handle = io.StringIO(sample.decode("utf-8-sig", errors="replace"), newline="")
    header = read_csv_header(handle, name, provider)  # an unknown column is the row reader's error
    if header.plan is None or '"' in sample.split(b"\n", 1)[0].decode("utf-8", "replace"):
        return None  # a provider's export, or a quoted header
    if header.plan.context is not None:
        return None  # a billed context window ("0-200k"): the row reader names the tier
    return header, "gzip" if gz else "none"


def _count_lines(path: str, compression: str, every: int | None = None) -> tuple[int, bool, list[int]]:
    """Newlines in the file, whether it ends with one (to check DuckDB's rows are its lines),
    and with ``every``: the byte offsets where lines 2, 2 + every, 2 + 2 x every... start (the
    runs a long file is priced in, cut from it as bytes)."""
    opener = gzip.open if compression == "gzip" else open
    count, last, at, cuts = 0, b"\n", 0, []
    block = bytearray(1 << 22)
    with opener(path, "rb") as raw:
        while size := raw.readinto(block):
            found = block.count(b"\n", 0, size)
            # the newline ending line 1 + k x every is where run k starts; each block is walked
            # once, from one cut to the next
            pos, seen = -1, count
            while every and count + found >= 1 + len(cuts) * every:
                for _ in range(1 + len(cuts) * every - seen):
                    pos = block.find(b"\n", pos + 1, size)
                seen = 1 + len(cuts) * every
                cuts.append(at + pos + 1)
            count += found
            at += size
            last = block[size - 1:size]
    return count, last == b"\n", [c for c in cuts if c < at]


def _cell_sql(cell: str, unsigned: str) -> str:
    """SQL for one token cell, as ``db.reprice.usage._count`` reads it (NULL: not a count).
    ``unsigned``: the cell cast to a 32-bit unsigned integer (``TRY_CAST(cell AS UINTEGER)``,
    made once in a projection below: :func:`_unsigned_sql`; made inside this CASE the cell was
    read twice, 1M rows of three counts 0.134 s -> 0.118 s).  Plain digits, nearly every cell,
    are tested first: a cell that is its own unsigned integer's text (DuckDB's cast also reads
    ``+5``, ``1_000``, ``1e3``, ``0x10``, `` 5``, whose text is not their integer's; no unsigned
    integer's text starts with ``-``) is plain digits without leading zeros, whatever DuckDB's
    cast accepts.
    That test costs less than the pattern ``[0-9]+`` (1M rows of three counts: the checked
    --summary pass 0.33 s -> 0.30 s; 10M 2.87 s -> 2.55 s), and less on 32 bits than on 64
    (DuckDB's casts both ways: 1M rows of three counts read and tested, 0.148 s -> 0.130 s);
    the other cells, ``007`` and counts past 4,294,967,295 (no request's) too, go on to the
    patterns."""
    t = _trimmed(cell)
    return (f"CASE WHEN CAST({unsigned} AS VARCHAR) = {cell} THEN CAST({unsigned} AS BIGINT)"
            f" WHEN {cell} IS NULL OR {t} = '' THEN 0"
            f" WHEN regexp_full_match({t}, '{DIGITS}') THEN TRY_CAST({t} AS BIGINT)"
            f" WHEN regexp_full_match({t}, '{GROUPED}') THEN TRY_CAST(replace({t}, ',', '') AS BIGINT)"
            f" WHEN regexp_full_match({t}, '{SPACED}') THEN"
            f" TRY_CAST(regexp_replace({t}, '[ \u00a0\u202f]', '', 'g') AS BIGINT)"
            f" WHEN regexp_full_match({t}, '{ZERO_FRACTION}') THEN"
            f" TRY_CAST(regexp_extract({t}, '{ZERO_FRACTION}', 1) AS BIGINT) END")


def _unsigned_sql(plan: Plan, source: str) -> str:
    """``source`` with each counted cell ``c{i}`` also cast once to a 32-bit unsigned integer
    (``u{i}``), which :func:`_cell_sql` reads twice."""
    casts = "".join(f", TRY_CAST(c{col} AS UINTEGER) AS u{col}" for col, _ in plan.counted)
    return f"(SELECT *{casts} FROM {source})"


def _time_sql(plan: Plan) -> tuple[str, str]:
    """SQL for whether a row is a whole day, and for its instant (microseconds), from its cell."""
    time = f"c{plan.time}"
    # a date has no colon: the pattern is only tried on the (few) cells without one
    whole_day = f"CASE WHEN contains({time}, ':') THEN false ELSE regexp_full_match({_trimmed(time)}, '{DATE}') END"
    # The common shapes first, each by ``strptime`` with its format (1M cells: 0.081 s, against
    # 0.106 s for LIKE's shapes and the cast, which also let '17:17:3.Z' and '2025-03-1  17:17'
    # through).  ``strptime`` skips blanks before and after the text, reads a field of one digit
    # and takes a run of blanks for the format's space, so the cell must start and end as its
    # shape does (a digit; Z, or a digit), be as long as it (no field can then be short: none
    # is read longer) and have one space between date and time.  Any other cell goes on to the
    # pattern (``usage.ISO_INSTANT``; DuckDB's cast alone reads ' 025', '-025', ' 8' and
    # '+33', which the row reader refuses), trimmed only if it must be (``coalesce`` reads
    # these only for the cells the first did not read).
    trimmed = _trimmed(time)
    digit = "BETWEEN 48 AND 57"
    shapes = " ".join(f"WHEN {len(shape)} THEN CASE WHEN {gate.format(t=time, digit=digit)}"
                      f" THEN try_strptime({time}, '{fmt}') END" for shape, gate, fmt in _COMMON_INSTANTS)
    fast = f"epoch_us(CASE WHEN ascii({time}) {digit} THEN CASE strlen({time}) {shapes} END END)"
    start = (f"coalesce({fast}, epoch_us(CASE"
             f" WHEN regexp_full_match({time}, '{ISO_INSTANT}') THEN TRY_CAST({time} AS TIMESTAMPTZ)"
             f" WHEN regexp_full_match({trimmed}, '{ISO_INSTANT}') THEN TRY_CAST({trimmed} AS TIMESTAMPTZ)"
             f" WHEN regexp_full_match({trimmed}, '{DATE}') THEN TRY_CAST({trimmed} AS TIMESTAMPTZ) END))")
    return whole_day, start


def _key_sql(plan: Plan) -> tuple[str, str, str]:
    """SQL for a row's provider id, model id and service tier, from its cells."""
    provider = (f"'{_sq(plan.default_provider)}'" if plan.provider is None else f"lower({_trimmed(f'c{plan.provider}')})")
    model = _trimmed(f"c{plan.model}")
    if plan.tier is None:
        tier = "'standard'"
    else:
        cases = " ".join(f"WHEN '{_sq(k)}' THEN '{v}'" for k, v in SERVICE_TIERS.items())
        tier = f"CASE lower({_trimmed(f'coalesce(c{plan.tier}, {chr(39)}{chr(39)})')}) {cases} END"
    return provider, model, tier


def _select_sql(plan: Plan, source: str, keys: bool = True) -> str:
    """The canonical rows (``USAGE_COLUMNS`` and ``bad``) over ``source``, whose columns are
    ``c0``, ``c1``... and ``line_no``.  ``keys=False``: the key cells (provider, model, tier)
    are left as they are (``c{i}``, see :func:`key_cells`) and ``bad`` does not check them, for
    a reader that makes and checks each distinct key once (``db.reprice.grouped``)."""
    selects = ["line_no AS line"] + [f"{_cell_sql(f'c{col}', f'u{col}')} AS n{col}" for col, _ in plan.counted]
    tokens = []
    for formula in plan.formulas:
        if not formula:
            tokens.append("CAST(0 AS BIGINT)")
        else:
            tokens.append("(" + " + ".join(f"{'' if s > 0 else '-'}n{c}" for c, s in formula) + ")")
    # a count is never negative (NULL when the cell is not one: ``n <= MAX`` is then NULL, and the
    # row bad); a component can be negative only when its formula subtracts a column
    checks = [f"n{col} <= {MAX_COUNT}" for col, _ in plan.counted]
    checks += [f"t_{c} >= 0" for formula, c in zip(plan.formulas, TOKEN_COMPONENTS) if any(s < 0 for _, s in formula)]
    for column, parts in plan.checks:
        checks.append(f"n{column} = " + " + ".join([f"t_{TOKEN_COMPONENTS[p]}" for p in parts] or ["0"]))
    checks += [f"n{column} = 0" for column in plan.zero]
    whole_day, start = _time_sql(plan)
    provider, model, tier = _key_sql(plan)
    key_columns = (f"{provider} AS provider_id, {model} AS model_id, {tier} AS tier" if keys
                   else ", ".join(key_cells(plan)))
    inner = (f"SELECT {', '.join(selects)}, {whole_day} AS whole_day, {start} AS start_us,"
             f" {key_columns} FROM {_unsigned_sql(plan, source)}")
    token_cols = ", ".join(f"{expr} AS t_{c}" for expr, c in zip(tokens, TOKEN_COMPONENTS))
    # bad unless every check holds (one that is NULL does not): one coalesce of one AND (1M rows,
    # one of each per check: 7 ms more)
    bad = "NOT coalesce(" + " AND ".join(f"({c})" for c in [
        *checks, f"start_us >= {_FIRST_US} AND start_us < {_PAST_LAST_US}", *(KEY_CHECKS if keys else ())]) + ", false)"
    return (f"SELECT line, start_us, whole_day, {'provider_id, model_id, tier' if keys else key_columns},"
            f" '' AS context, {', '.join(f't_{c}' for c in TOKEN_COMPONENTS)}, {bad} AS bad"
            f" FROM (SELECT *, {token_cols} FROM ({inner}))")


#: What a row's keys must be (``_key_sql``'s ids): checked per row, or per distinct key.
KEY_CHECKS = ("provider_id IS NOT NULL AND provider_id <> ''", "model_id IS NOT NULL AND model_id <> ''",
              "tier IS NOT NULL")


def key_cells(plan: Plan) -> list[str]:
    """The cells ``_key_sql`` makes a row's provider, model and tier from (``c{i}``)."""
    return sorted({f"c{i}" for i in (plan.provider, plan.model, plan.tier) if i is not None})


def _survey(con: duckdb.DuckDBPyConnection, name: str, grouped: str | None = None) -> tuple[Loaded, bool]:
    """One pass over the parsed rows (``usage_rows``, a table: no file is read again): whether
    some row is bad, the keys kept in ``usage_keys``, whole days and the time span.  ``grouped``:
    that survey already made (``_stream_csv``'s, from the file's key and time cells alone)."""
    if grouped is None:
        grouped = f"""SELECT provider_id, model_id, {rate_tier_sql()} AS rate_tier, bool_or(bad) AS bad,
               bool_or(whole_day) AS days, min(start_us) AS first_us, max(start_us) AS last_us, count(*) AS rows,
               {", ".join(f"bool_or(t_{c} > 0) AS used_{c}" for c in TOKEN_COMPONENTS)}
        FROM usage_src GROUP BY ALL"""
    con.execute(f"CREATE OR REPLACE TEMP TABLE usage_survey AS {grouped}")
    con.execute("CREATE OR REPLACE TEMP TABLE usage_keys AS SELECT DISTINCT provider_id, model_id, rate_tier"
                " FROM usage_survey WHERE NOT bad")
    rows, bad, days, first, last, *used = con.execute(
        "SELECT coalesce(sum(rows), 0), coalesce(bool_or(bad), false), coalesce(bool_or(days), false),"
        f" min(first_us), max(last_us), {', '.join(f'coalesce(bool_or(used_{c}), false)' for c in TOKEN_COMPONENTS)}"
        " FROM usage_survey").fetchone()
    providers = tuple(p for (p,) in con.execute(
        "SELECT DISTINCT provider_id FROM usage_keys ORDER BY 1").fetchall())
    components = tuple(c for c, u in zip(TOKEN_COMPONENTS, used) if u)
    return Loaded(name, int(rows), bool(days), first, last, providers, components), bool(bad)


def _keep_rows(con: duckdb.DuckDBPyConnection, select: str, line: str, plan: Plan | None = None) -> None:
    """The parsed rows as the table ``usage_rows`` (parsed once, in parallel), and the views the
    pricing query reads: ``usage_src`` (no line numbers) and ``usage_lines``.  ``line``: how a
    row's line is known (a CSV's is its place in the table, which keeps the file's order).
    Columns the file's header makes constant (a token column it does not have, no service tier
    column, no provider column) are constants of the views, not stored for every row."""
    constants = _constant_columns(plan) if plan is not None else {}
    stored = [c for c in (*USAGE_COLUMNS, "bad") if c not in constants and (c != "line" or line == "line")]
    con.execute(f"CREATE OR REPLACE TEMP TABLE usage_rows AS SELECT {', '.join(stored)} FROM ({select})")
    rest = ", ".join(f"{constants[c]} AS {c}" if c in constants else c for c in (*USAGE_COLUMNS[1:], "bad"))
    con.execute(f"CREATE OR REPLACE TEMP VIEW usage_src AS SELECT {rest} FROM usage_rows")
    con.execute(f"CREATE OR REPLACE TEMP VIEW usage_lines AS SELECT {line} AS line, {rest} FROM usage_rows")


def _constant_columns(plan: Plan) -> dict[str, str]:
    """The canonical columns whose value ``plan`` fixes for every row, as SQL literals."""
    constants = {"context": "''"}
    if plan.tier is None:
        constants["tier"] = "'standard'"
    if plan.provider is None:
        constants["provider_id"] = f"'{_sq(plan.default_provider)}'"
    for formula, c in zip(plan.formulas, TOKEN_COMPONENTS):
        if not formula:
            constants[f"t_{c}"] = "CAST(0 AS BIGINT)"
    return constants


def _first_bad_line(con: duckdb.DuckDBPyConnection) -> int | None:
    """The line of the file's first bad row (None if DuckDB finds none); nothing of the refused
    file is kept."""
    line = con.execute("SELECT min(line) FROM usage_lines WHERE bad").fetchone()[0]
    drop_rows(con)
    return line


def drop_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Nothing of a refused file is kept."""
    con.execute("DROP VIEW IF EXISTS usage_src")
    con.execute("DROP VIEW IF EXISTS usage_lines")
    con.execute("DROP TABLE IF EXISTS usage_rows")
    con.execute("DROP TABLE IF EXISTS usage_groups")


def _csv_source(name: str, header: CsvHeader, compression: str, has_header: bool = True) -> str:
    sep = header.dialect.delimiter
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header.cells)))
    return (f"read_csv('{_sq(name)}', header = {str(has_header).lower()}, delim = '{_sq(sep)}', quote = '\"', escape = '\"',"
            f" columns = {{{columns}}}, compression = '{compression}', strict_mode = true,"
            f" null_padding = false, auto_detect = false, parallel = true)")


def _cells_without_lines(source: str) -> str:
    """A CSV's cells as ``_select_sql`` reads them, with no line numbers (a row's line is known
    otherwise: its place in the table it is kept in)."""
    return f"(SELECT *, CAST(NULL AS BIGINT) AS line_no FROM {source})"


def _cells_with_lines(source: str) -> str:
    """A CSV's cells as ``_select_sql`` reads them, each row with its line (the header is line 1),
    as long as DuckDB's rows are the file's lines."""
    return f"(SELECT *, row_number() OVER () + 1 AS line_no FROM {source})"


def _keep_csv_rows(con: duckdb.DuckDBPyConnection, header: CsvHeader, source: str, first_line: int) -> None:
    """The CSV ``source``'s rows kept in ``usage_rows`` (see :func:`_keep_rows`), the first on
    line ``first_line`` (the table keeps the file's order: row k is line k + ``first_line``)."""
    assert header.plan is not None
    _keep_rows(con, _select_sql(header.plan, _cells_without_lines(source)), f"rowid + {first_line}", header.plan)


@contextmanager
def _named_by_row_reader(con: duckdb.DuckDBPyConnection, name: str, header: CsvHeader) -> Iterator[None]:
    """A file DuckDB cannot read is read again by the row reader, whose message names the line
    (else DuckDB's error stands); nothing of it is kept."""
    try:
        yield
    except duckdb.Error:
        drop_rows(con)
        _raise_row_error(name, header, None)
        raise


def _read_csv(con: duckdb.DuckDBPyConnection, name: str, header: CsvHeader, compression: str,
              read: Callable[[], tuple[Loaded, bool]], every: int | None = None,
              source: str | None = None) -> tuple[Loaded, bool, list[int]] | None:
    """``read()`` (DuckDB reading the CSV, then its survey) beside a count of the file's
    newlines (and, with ``every``, where its runs of lines start: see :func:`_count_lines`);
    None when its rows would not be the file's lines (blank lines or quoted line breaks: the
    row reader keeps the line numbers).  A file DuckDB cannot read is read again by the row
    reader, whose message names the line.  ``source``: the file's text where it is read from
    (a gzip file's, decompressed), ``name`` the file messages name."""
    # the count runs in a thread while DuckDB parses (DuckDB lets go of Python's lock)
    with ThreadPoolExecutor(max_workers=1) as pool:
        lines = pool.submit(_count_lines, source or name, compression, every)
        with _named_by_row_reader(con, name, header):
            found = read()
        newlines, ends, cuts = lines.result()
    if found[0].rows != newlines - (1 if ends else 0):
        drop_rows(con)
        return None
    return (*found, cuts)


def _load_csv(con: duckdb.DuckDBPyConnection, name: str, header: CsvHeader, compression: str) -> Loaded | None:
    """DuckDB's CSV reader; None when its rows would not be the file's lines."""
    source = _csv_source(name, header, compression)

    def read() -> tuple[Loaded, bool]:
        _keep_csv_rows(con, header, source, 2)
        return _survey(con, name)

    found = _read_csv(con, name, header, compression, read)
    if found is None:
        return None
    loaded, bad, _ = found
    if bad:
        _raise_row_error(name, header, _first_bad_line(con))
    loaded.constants = _constant_columns(header.plan)
    return loaded


def _stream_csv(con: duckdb.DuckDBPyConnection, name: str, header: CsvHeader, compression: str,
                run_lines: int, text: str | None = None) -> Loaded | None:
    """The file is not kept, only surveyed from its key and time cells (so memory does not
    grow with the file); every cell is checked run by run as per-row outputs read it, a run of
    ``run_lines`` lines at a time (:class:`RunFile`), before anything is written.  ``text``:
    where its text is read from, if not ``name`` (a gzip file's, decompressed).  None when its
    rows would not be its lines."""
    assert header.plan is not None
    plan = header.plan
    source = _csv_source(text or name, header, compression)
    drop_rows(con)
    _file_views(con, plan, _cells_without_lines(source), _cells_with_lines(source))
    whole_day, start = _time_sql(plan)
    provider, model, tier = _key_sql(plan)
    cells = key_cells(plan)
    used = ", ".join(f"{'true' if formula else 'false'} AS used_{c}"
                     for formula, c in zip(plan.formulas, TOKEN_COMPONENTS))
    keyed = (f"SELECT {provider} AS provider_id, {model} AS model_id, {tier} AS tier, '' AS context, days, first_us,"
             f" last_us, rows FROM (SELECT {', '.join(cells)}, bool_or({whole_day}) AS days, min({start}) AS first_us,"
             f" max({start}) AS last_us, count(*) AS rows FROM {source} GROUP BY ALL)")
    grouped = (f"SELECT provider_id, model_id, {rate_tier_sql()} AS rate_tier, false AS bad, bool_or(days) AS days,"
               f" min(first_us) AS first_us, max(last_us) AS last_us, sum(rows) AS rows, {used}"
               f" FROM ({keyed}) GROUP BY ALL")
    found = _read_csv(con, name, header, compression, lambda: _survey(con, name, grouped), run_lines, text)
    if found is None:
        return None
    loaded, _, cuts = found
    loaded.streamed = True
    loaded.constants = _constant_columns(plan)
    loaded.runs = RunFile(name, header, cuts, run_lines, loaded.rows, text or name)
    return loaded


def _group_csv(con: duckdb.DuckDBPyConnection, name: str, header: CsvHeader, compression: str,
               text: str | None, relined: Callable[[], Loaded]) -> Loaded:
    """A CSV read once into groups (:func:`_group_rows`).  ``text``: where its text is read
    from, if not ``name`` (a gzip file's, decompressed).

    Whether DuckDB's rows are the file's lines (not so past a blank line or a line break inside
    quotes: the totals are the same, the line numbers are not) matters only for the lines a
    message names: the newlines are counted then, not on every file (10M rows: 0.16 s of
    2.9 s).  A bad row in a file whose rows are not its lines is found by the row reader;
    ``relined`` reads the file by the row reader, whose line numbers are the file's, for the
    lines of unpriced rows (``Loaded.relined``)."""
    assert header.plan is not None
    source = _csv_source(text or name, header, compression)

    def rows_are_lines(rows: int) -> bool:
        newlines, ends, _ = _count_lines(text or name, compression)
        return rows == newlines - (1 if ends else 0)

    with _named_by_row_reader(con, name, header):
        return _group_rows(con, name, header.plan, _cells_without_lines(source), _cells_with_lines(source),
                           lambda rows: _raise_row_error(name, header, _first_bad_line(con) if rows_are_lines(rows)
                                                         else None),
                           lambda rows: None if rows_are_lines(rows) else relined())


def _group_rows(con: duckdb.DuckDBPyConnection, name: str, plan: Plan, cells: str, lined: str,
                bad_row: Callable[[int], "Loaded | None"], relined: Callable[[int], "Loaded | None"]) -> Loaded:
    """The file read once into the table ``usage_groups`` (``db.reprice.grouped``: every cell
    checked, rows grouped by the rule of rows priced at their own time), surveyed from the
    groups.  ``cells``: its cells (``c0``, ``c1``... and a NULL ``line_no``); ``lined``: the same
    with each row's line (the views ``usage_src`` and ``usage_lines``, made only for a bad row
    or unpriced rows, read them again for their lines); ``bad_row(rows)`` raises the row
    reader's message for the first bad row, or returns the file as the row reader keeps it
    (JSON Lines whose lines the fast reading cannot vouch for); ``relined(rows)``: None, or the
    file read again with the lines messages name."""
    from db.reprice import grouped

    drop_rows(con)
    used = grouped.file_components(plan)

    def make(rule: grouped.GroupRule) -> None:
        rows = _select_sql(plan, cells, keys=False)
        grouped.keep_groups(con, grouped.groups_sql(rows, key_cells(plan), used, rule), _key_sql(plan),
                            KEY_CHECKS, used, rule)

    provider_cell = f"c{plan.provider}" if plan.provider is not None else literal(plan.default_provider)
    made = [grouped.group_rule(con, placement(None), provider_cell, f"c{plan.model}")]

    def regroup(where: Placement, target: tuple[str, str] | None) -> None:
        rule = grouped.group_rule(con, where, provider_cell, f"c{plan.model}", target)
        if where.instant_us is not None and rule.sums_only:
            return  # every row at one instant and no window there: the groups made will do
        if rule != made[0]:
            make(rule)
            made[0] = rule

    make(made[0])
    loaded, bad = _survey(con, name, grouped.survey_sql(rate_tier_sql()))
    if bad:
        _file_views(con, plan, cells, lined)
        kept = bad_row(loaded.rows)  # raises the row reader's message, or reads the file itself
        if kept is not None:
            return kept
    loaded.streamed = True
    loaded.constants = _constant_columns(plan)
    loaded.regroup = regroup

    def relined_or_views() -> Loaded | None:
        # the views only when unpriced rows are listed: binding them costs 14 ms a file
        kept = relined(loaded.rows)
        if kept is None:
            _file_views(con, plan, cells, lined)
        return kept
    loaded.relined = relined_or_views
    return loaded


def _file_views(con: duckdb.DuckDBPyConnection, plan: Plan, cells: str, lined: str) -> None:
    """The views ``usage_src`` (no line numbers) and ``usage_lines`` over a file not kept (its
    ``cells`` without and ``lined`` with each row's line): each query of them reads and checks
    the file again."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW usage_src AS SELECT * EXCLUDE (line) FROM ({_select_sql(plan, cells)})")
    con.execute(f"CREATE OR REPLACE TEMP VIEW usage_lines AS {_select_sql(plan, lined)}")


@dataclass
class RunFile:
    """A long CSV (a gzip file: its text) that is read a run of lines at a time: each run's bytes are
    cut from the file (by the kernel, no header) and parsed into ``usage_rows`` only when its
    turn comes, every cell checked then.  The parsed rows in memory never pass one run, whatever
    the file's length; the file was surveyed (keys, span, rows = lines) before."""

    path: str
    header: CsvHeader
    #: The byte offset where each run starts (line 2 + k x ``lines``).
    cuts: list[int]
    lines: int
    rows: int
    #: Where the runs' bytes are cut from: the file, or a gzip file's text decompressed
    #: (``path`` is the file messages name).
    text: str = ""

    @property
    def spans(self) -> list[tuple[int, int]]:
        """The first and last line of each run."""
        return [(2 + k * self.lines, min(2 + (k + 1) * self.lines, self.rows + 2) - 1) for k in range(len(self.cuts))]

    def merged(self, n: int) -> "RunFile":
        """The same file in runs of ``n`` of these runs."""
        return RunFile(self.path, self.header, self.cuts[::n], self.lines * n, self.rows, self.text)

    def keep(self, con: duckdb.DuckDBPyConnection, k: int, tmpdir: Path) -> None:
        """Run ``k`` as the table ``usage_rows`` and its views; a bad row raises the row reader's
        message (file, line, field)."""
        part = tmpdir / "run.csv"
        start = self.cuts[k]
        with open(self.text or self.path, "rb") as source, open(part, "wb") as target:
            end = self.cuts[k + 1] if k + 1 < len(self.cuts) else os.fstat(source.fileno()).st_size
            source.seek(start)
            copy_bytes(source, target, end - start)
        first, last = self.spans[k]
        try:
            with _named_by_row_reader(con, self.path, self.header):
                _keep_csv_rows(con, self.header, _csv_source(str(part), self.header, "none", has_header=False), first)
        finally:
            part.unlink(missing_ok=True)
        rows, bad = con.execute("SELECT count(*), coalesce(bool_or(bad), false) FROM usage_rows").fetchone()
        if bad:
            _raise_row_error(self.path, self.header, _first_bad_line(con))
        if rows != last - first + 1:  # the survey saw another file
            drop_rows(con)
            raise UsageError(self.path, first, None, f"the file changed while it was read ({rows} rows"
                             f" in lines {first}-{last})")


def _raise_row_error(name: str, header: CsvHeader, line: int | None) -> None:
    """Re-read line ``line`` (or the whole file) with the row reader, which raises its message."""
    from db.reprice.usage import open_usage_text

    last = line - 1 if line is not None else 1  # the last line read whole
    try:
        with open_usage_text(name) as handle:
            handle.readline()
            if line is None:
                for row in csv_rows(handle, header, name):
                    last = row.line
                return
            for _ in range(line - 2):
                handle.readline()
            text = handle.readline()
    except GZIP_ERRORS:  # a gzip file cut short: where the row reader says so
        raise UsageError(name, last + 1, None, GZIP_DAMAGED) from None
    for _ in csv_rows(io.StringIO(text, newline=""), header, name, line - 1):
        pass
    raise UsageError(name, line, None, "a row DuckDB could not read as the row reader does")


def _load_parquet(con: duckdb.DuckDBPyConnection, name: str, provider: str, grouped: bool = False) -> Loaded:
    """A Parquet file of usage columns: planned like a CSV header; a row's "line" is its row
    number.  Kept, or with ``grouped`` read once into groups for its totals (:func:`_group_rows`:
    a warehouse's table of any length, in memory its groups bound)."""
    from db.reprice.usage import _normalise, _plan, _row

    try:
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{_sq(name)}')").fetchall()
    except duckdb.Error as exc:
        raise UsageError(name, 1, None, f"not a readable Parquet file: {str(exc).splitlines()[0]}") from None
    names = [d[0] for d in described]
    plan = _plan([_normalise(n) for n in names], names, name, 1, provider)
    if plan.context is not None:
        raise UsageError(name, 1, names[plan.context], "a billed context window column is read from CSV or JSON"
                                                       " exports (write the file as CSV)")
    casts = ", ".join(f"CAST(\"{n.replace(chr(34), chr(34) * 2)}\" AS VARCHAR) AS c{i}" for i, n in enumerate(names))
    lined = f"(SELECT {casts}, file_row_number + 1 AS line_no FROM read_parquet('{_sq(name)}', file_row_number = true))"

    def bad_row(rows: int = 0) -> None:
        line = _first_bad_line(con)
        values = con.execute(f"SELECT * FROM read_parquet('{_sq(name)}') LIMIT 1 OFFSET {line - 1}").fetchone()
        _row(plan, list(values), names, name, line)
        raise UsageError(name, line, None, "a row DuckDB could not read as the row reader does")

    if grouped:  # a row's number is its line: nothing to read again
        return _group_rows(con, name, plan, f"(SELECT {casts}, CAST(NULL AS BIGINT) AS line_no"
                                            f" FROM read_parquet('{_sq(name)}'))", lined, bad_row, lambda rows: None)
    _keep_rows(con, _select_sql(plan, lined), "line", plan)
    loaded, bad = _survey(con, name)
    if bad:
        bad_row()
    loaded.constants = _constant_columns(plan)
    return loaded


def _load_rows(con: duckdb.DuckDBPyConnection, name: str, provider: str, tmpdir: Path) -> Loaded:
    """Shapes only the row reader knows: its canonical rows, written as CSV for DuckDB to read."""
    canonical = Path(tempfile.mkstemp(suffix=".csv", dir=tmpdir)[1])
    lines: list[int] = []  # the row reader's line of each row, in the file's order
    try:
        with open(canonical, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            for number, row in enumerate(read_usage(name, provider), start=1):
                lines.append(row.line)
                writer.writerow((number, row.line, _micros(row.start), row.whole_day, row.provider, row.model,
                                 row.tier, row.context, *row.tokens))
    except UnreadableText as exc:
        raise UsageError(name, 1, None, str(exc)) from None
    # each row's line its own (a CSV, JSON Lines of one record each): a row is known by its line,
    # as it always was; else rows are known by their number and shown with their lines
    # (Loaded.shown_lines)
    own = all(a < b for a, b in zip(lines, lines[1:]))
    types = {"number": "BIGINT", "line": "BIGINT", "start_us": "BIGINT", "whole_day": "BOOLEAN",
             "provider_id": "VARCHAR", "model_id": "VARCHAR", "tier": "VARCHAR", "context": "VARCHAR",
             **{f"t_{c}": "BIGINT" for c in TOKEN_COMPONENTS}}
    columns = ", ".join(f"'{c}': '{types[c]}'" for c in ("number", *USAGE_COLUMNS))
    context = USAGE_COLUMNS.index("context")
    _keep_rows(con, f"SELECT {'line' if own else 'number AS line'}, {', '.join(USAGE_COLUMNS[1:context])},"
                    f" coalesce(context, '') AS context, {', '.join(USAGE_COLUMNS[context + 1:])}, false AS bad"
                    f" FROM read_csv('{_sq(str(canonical))}', header = false, columns = {{{columns}}},"
                    f" quote = '\"', escape = '\"', auto_detect = false)", "line")
    loaded, _ = _survey(con, name)
    if not own:  # one document: every record on the line it starts on
        loaded.shown_lines = lines[0] if lines[0] == lines[-1] else tuple(lines)
    return loaded


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _micros(instant: datetime) -> int:
    delta = instant - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _sq(text: str) -> str:
    return text.replace("'", "''")


__all__ = ["Engine", "Loaded", "USAGE_COLUMNS", "load_usage", "rate_list_sql"]
