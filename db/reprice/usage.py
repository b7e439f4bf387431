"""Reading usage files: CSV or JSONL rows of (time, provider, model, token counts), streamed.

Users bring whatever their provider or tool exported, so columns are matched by meaning, not by
one spelling: DeepSeek's ``prompt_cache_hit_tokens``, Anthropic's ``cache_read_input_tokens``,
OpenAI's ``prompt_tokens`` with ``cached_tokens`` included in it, or a hand-made "Cache Hit" table.
Each file's columns are turned once into linear formulas for the five priced components, so every
row costs a few integer conversions.  Every problem names the file, the line and the field.

Canonical token columns (per request or per day): ``input_tokens`` (uncached / cache-miss input),
``input_cache_hit_tokens``, ``input_cache_write_tokens`` (5-minute or only cache writes),
``input_cache_write_1h_tokens``, ``output_tokens``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NamedTuple

from db.reprice.exports import ExportError, csv_export, csv_record, json_records
from db.reprice.textfile import GZIP_DAMAGED, GZIP_ERRORS, UnreadableText, first_bad_line, open_text

#: The priced components, in the order UsageRow keeps their counts.
TOKEN_COMPONENTS = ("input", "input_cache_hit", "input_cache_write", "input_cache_write_1h", "output")

# Roles a column can play.  Direct roles are a component; the others combine (see _plan).
_ROLES: dict[str, tuple[str, ...]] = {
    "time": ("time", "timestamp", "date", "datetime", "created_at"),
    "provider": ("provider", "provider_id"),
    "model": ("model", "model_id", "model_name"),
    "tier": ("service_tier", "tier"),
    "context": ("context_window",),
    "input": ("input_tokens", "input", "uncached_input_tokens", "prompt_cache_miss_tokens",
              "cache_miss", "cache_miss_tokens", "input_cache_miss", "input_cache_miss_tokens",
              "entree_cache_miss", "entree"),
    "input_cache_hit": ("input_cache_hit_tokens", "input_cache_hit", "prompt_cache_hit_tokens",
                        "cache_read_input_tokens", "cache_read_tokens", "cache_hit",
                        "cache_hit_tokens", "entree_cache_hit"),
    "cached_included": ("cached_tokens",),
    "prompt": ("prompt_tokens",),
    "write_all": ("cache_creation_input_tokens",),
    "input_cache_write": ("input_cache_write_tokens", "input_cache_write", "cache_write_tokens",
                          "ephemeral_5m_input_tokens"),
    "input_cache_write_1h": ("input_cache_write_1h_tokens", "ephemeral_1h_input_tokens"),
    "output": ("output_tokens", "output", "completion_tokens", "sortie"),
    "total": ("total_tokens", "total"),
    # Included in output_tokens / completion_tokens: read, checked, not priced twice.
    "ignored": ("reasoning_tokens",),
    # OpenAI's usage objects list these (usually 0); a non-zero count is not priced by ratecard.
    "must_be_zero": ("audio_tokens", "accepted_prediction_tokens", "rejected_prediction_tokens"),
}
_ROLE_OF = {name: role for role, names in _ROLES.items() for name in names}
#: Service tier cell -> ratecard tier (OpenAI reports ``default`` for standard processing).
SERVICE_TIERS = {"": "standard", "standard": "standard", "default": "standard", "auto": "standard",
                 "batch": "batch", "flex": "flex", "priority": "priority", "fast": "fast",
                 "ultrafast": "ultrafast"}
#: The blanks a cell may have around its value (C's ``isspace``, which DuckDB's casts skip too):
#: the engine trims the same ones (``db.reprice.engine.BLANKS_SQL``), so that both read a cell
#: alike.  Other spaces (U+00A0, U+2009, ...) are part of the value.
BLANKS = " \t\n\r\x0b\x0c"
#: The largest token count a cell may hold: a trillion, far past any request, and small enough
#: that a count times a rate's units stays within the engine's 64-bit integers.
MAX_COUNT = 10**12
#: The shapes of a cell, as patterns a whole cell must match: the row reader compiles them and
#: the engine's SQL tests the same text (RE2 reads them alike), so both read a cell alike.
#: A count: digits; thousands grouped by commas; thousands grouped by spaces, as French and
#: other locales write them (a space, a no-break space, Excel's U+00A0, or a narrow no-break
#: space, U+202F); a whole number written with a zero fraction (``1234.0``, ``1234,00``:
#: spreadsheets do this).  A date alone (a whole UTC day).
DIGITS = "[0-9]+"
GROUPED = "[0-9]{1,3}(?:,[0-9]{3})+"
SPACED = "[0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+"
ZERO_FRACTION = "([0-9]+)[.,]0+"
DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
_THOUSANDS = re.compile(GROUPED)
_SPACED = re.compile(SPACED)
_ZERO_FRACTION = re.compile(ZERO_FRACTION)
_CONTEXT_BOUNDS = re.compile(r"^(\d+)\s*([km]?)\s*(?:-|to)\s*(\d+)\s*([km]?)$")
_DATE_ONLY = re.compile(DATE)
#: The instants a time cell may hold: ISO 8601's extended form, ``T`` or a space, minutes at
#: least, seconds and a fraction if any, ``Z`` or an offset under 24 hours (Python refuses
#: one of 24 hours or more, ``+23:60`` too; DuckDB's cast reads ``+33``).  Python's ``fromisoformat`` also
#: takes week dates and the basic form (``20250303T081527Z``), DuckDB's cast ``2025-3-3``, zone
#: names and 24:00; the engine tests the same pattern (``db.reprice.engine``), so both read
#: the same cells.
ISO_INSTANT = ("[0-9]{4}-[0-9]{2}-[0-9]{2}[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.][0-9]+)?)?"
               "(?:Z|[+-](?:(?:[01][0-9]|2[0-2])(?::?[0-9]{2})?|23(?::?[0-5][0-9])?))?")
_INSTANT = re.compile(ISO_INSTANT)


class UsageError(ValueError):
    """Bad usage input; the message is ``file:line: field: problem``."""

    def __init__(self, path: str, line: int, field: str | None, message: str) -> None:
        self.path, self.line, self.field = path, line, field
        where = f"{path}:{line}: " + (f"{field}: " if field else "")
        super().__init__(where + message)


class UsageRow(NamedTuple):
    """One usage row: ``start`` is the instant, or the day's 00:00 UTC when ``whole_day``."""

    path: str
    line: int
    start: datetime
    whole_day: bool
    provider: str
    model: str
    tokens: tuple[int, int, int, int, int]  # in TOKEN_COMPONENTS order
    tier: str = "standard"                   # the service used: standard, batch, flex, priority
    #: the context tier the provider billed, when its export says so (Anthropic's usage report):
    #: "standard" or a tier name such as "context>200k"; "" lets the pricer decide by prompt size
    context: str = ""

    @property
    def end(self) -> datetime:
        """The end of the span the row covers (a whole day, or the instant itself)."""
        return self.start + timedelta(days=1) if self.whole_day else self.start


@dataclass(frozen=True)
class Plan:
    """How one header becomes rows: where time/provider/model are, and a formula per component."""

    time: int
    provider: int | None                               # None: every row is default_provider's
    model: int
    counted: tuple[tuple[int, str], ...]               # (column, field name) of every count read
    formulas: tuple[tuple[tuple[int, int], ...], ...]  # per component: ((column, +1/-1), ...)
    checks: tuple[tuple[int, tuple[int, ...]], ...]    # column == sum of components
    zero: tuple[int, ...]                              # columns that must hold 0
    tier: int | None = None                            # the service tier column, if any
    default_provider: str = ""                         # for files without a provider column
    context: int | None = None                         # the billed context window column, if any


def read_usage(path: str | Path, provider: str = "") -> Iterator[UsageRow]:
    """Stream the rows of a usage file: CSV, JSON lines, a JSON document or array, or a provider's
    export (``db.reprice.exports``), plain or gzip-compressed, in UTF-8, UTF-16 or cp1252.

    ``provider`` is the provider of every row of a file without a provider column (provider
    exports, the seeds' tables): the file's own column wins when it has one.
    """
    name = str(path)
    handle = open_usage_text(path)
    line = 0
    try:
        with handle:
            for row in _read_handle(handle, name, provider):
                line = row.line
                yield row
    except UnicodeDecodeError:
        bad = first_bad_line(path, handle.encoding) or line + 1
        raise UsageError(name, bad, None, f"bytes that are not {handle.encoding} text"
                                          " (save the file as UTF-8)") from None
    except UnreadableText as exc:
        raise UsageError(name, line + 1, None, str(exc)) from None
    except GZIP_ERRORS:  # past the first block the sample checked
        raise UsageError(name, line + 1, None, GZIP_DAMAGED) from None
    except RecursionError:  # json.loads of [[[[...]]]]: no usage file nests that deep
        raise UsageError(name, line + 1, None, "JSON nested too deeply to be usage records") from None


def open_usage_text(path: str | Path) -> io.TextIOWrapper:
    """The file as text (see ``db.reprice.textfile``); a file that cannot be opened is a UsageError."""
    try:
        return open_text(path)
    except OSError as exc:
        raise UsageError(str(path), 0, None, f"cannot read: {exc.strerror or exc}") from None
    except UnreadableText as exc:
        raise UsageError(str(path), 1, None, str(exc)) from None


def _read_handle(handle: io.TextIOBase, name: str, provider: str) -> Iterator[UsageRow]:
    first = first_char(handle)
    if first == "":
        raise UsageError(name, 1, None, "the file is empty")
    if first in "{[":
        yield from _read_json(handle, name, first, provider)
        return
    header = read_csv_header(handle, name, provider)
    if header.export:
        yield from _export_rows(handle, header, name, provider)
    else:
        yield from csv_rows(handle, header, name)


def first_char(handle: io.TextIOBase) -> str:
    """The first non-space character (``{``/``[``: JSON, else CSV); the handle is rewound."""
    while True:
        char = handle.read(1)
        if char == "" or not char.isspace():
            handle.seek(0)
            return char


@dataclass(frozen=True)
class CsvHeader:
    """A CSV file's first line, understood: its dialect, its cells and the plan they give."""

    dialect: Any
    cells: list[str]
    plan: Plan | None
    export: str | None = None  # a provider's export (db.reprice.exports), read record by record


def read_csv_header(handle: io.TextIOBase, name: str, provider: str = "") -> CsvHeader:
    """Read and plan the header line; the handle is left at the first data line (line 2)."""
    header_line = handle.readline()
    dialect = _dialect(header_line)
    cells = next(csv.reader([header_line], dialect))
    names = [_normalise(h) for h in cells]
    export = csv_export(set(names))
    if export:
        return CsvHeader(dialect, names, None, export)
    return CsvHeader(dialect, cells, _plan(names, cells, name, 1, provider))


def _export_rows(handle: io.TextIOBase, header: CsvHeader, name: str, provider: str) -> Iterator[UsageRow]:
    """Rows of a provider's CSV export: each record made canonical, then planned like JSON."""
    reader = csv.reader(handle, header.dialect)
    width = len(header.cells)
    records = []
    for values in reader:
        line = reader.line_num + 1
        if not values or values == [""]:
            continue
        if len(values) != width:
            values = _cells(values, width, name, line)
        try:
            record = csv_record(header.export or "", dict(zip(header.cells, values)), f"line {line}", provider)
        except ExportError as exc:
            raise UsageError(name, line, exc.field, str(exc)) from None
        records.append((line, "", record))
        if len(records) >= 1024:
            yield from _records(records, name, provider)
            records = []
    yield from _records(records, name, provider)


def csv_rows(source: Iterable[str], header: CsvHeader, name: str, line_offset: int = 1) -> Iterator[UsageRow]:
    """Rows of CSV text after the header; ``line_offset`` is the file line before ``source``."""
    width = len(header.cells)
    reader = csv.reader(source, header.dialect)
    for values in reader:
        line = reader.line_num + line_offset
        if not values or values == [""]:
            continue
        if len(values) != width:
            values = _cells(values, width, name, line)
        yield _row(header.plan, values, header.cells, name, line)


def _cells(values: list[str], width: int, name: str, line: int) -> list[str]:
    """A row's cells, without the empty cells that trail its last column (``1,2,,`` under a
    header of two: spreadsheets and exports write a delimiter after every row, and DuckDB's
    reader, the engine's, drops them the same way); any other count of cells is refused."""
    if len(values) > width and not any(values[width:]):
        return values[:width]
    raise UsageError(name, line, None, f"{len(values)} cells, the header has {width}")


def _dialect(header_line: str) -> type[csv.Dialect] | csv.Dialect:
    """Comma, semicolon (spreadsheets in many locales) or tab: whichever splits the header most."""
    counts = {sep: header_line.count(sep) for sep in (",", ";", "\t")}
    sep = max(counts, key=lambda s: counts[s])
    if sep == ",":
        return csv.excel
    return type("UsageDialect", (csv.excel,), {"delimiter": sep})


def _read_json(handle: io.TextIOBase, name: str, first: str, provider: str) -> Iterator[UsageRow]:
    """JSON lines (one object per line), or one JSON document (an array, an API response or
    export pretty-printed over many lines): each value is expanded by ``db.reprice.exports``."""
    if first == "{":
        start = handle.readline()
        handle.seek(0)
        try:
            json.loads(start)
            single = False
        except json.JSONDecodeError:
            single = True  # the first line is not a whole object: a pretty-printed document
    else:
        single = True
    if single:
        try:
            document = json.load(handle)
        except json.JSONDecodeError as exc:
            raise UsageError(name, exc.lineno, None, f"not valid JSON: {exc.msg}") from None
        values: Any = [(1, document)]
    else:
        values = _json_lines(handle, name)
    for line, value in values:
        yield from _records(_expanded(value, line, name, provider), name, provider)


def _expanded(value: Any, line: int, name: str, provider: str) -> Iterator[tuple[int, str, Any]]:
    try:
        yield from json_records(value, line, provider)
    except ExportError as exc:
        raise UsageError(name, line, f"{exc.where}.{exc.field}".lstrip("."), str(exc)) from None


def _records(records: Iterable[tuple[int, str, Any]], name: str, provider: str) -> Iterator[UsageRow]:
    """Plan each record's keys (once per distinct key set) and read it into a row."""
    plans: dict[tuple[str, ...], tuple[Plan, list[str]]] = {}
    for line, where, item in records:
        if not isinstance(item, dict):
            raise UsageError(name, line, where or None, "a usage row must be a JSON object")
        flat: dict[str, Any] = {}
        _flatten(item, flat, name, line)
        keys = tuple(flat)
        if keys not in plans:
            plans[keys] = (_plan([_normalise(k) for k in keys], list(keys), name, line, provider), list(keys))
        plan, header = plans[keys]
        if where:
            header = [f"{where}.{h}" for h in header]
        yield _row(plan, list(flat.values()), header, name, line)


def _json_lines(handle: io.TextIOBase, name: str) -> Iterator[tuple[int, Any]]:
    for line, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        try:
            yield line, json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(name, line, None, f"not valid JSON: {exc.msg}") from None


def _flatten(item: dict[str, Any], out: dict[str, Any], name: str, line: int) -> None:
    """Nested usage objects (``usage``, ``prompt_tokens_details``) lifted to their leaf names."""
    for key, value in item.items():
        if isinstance(value, dict):
            _flatten(value, out, name, line)
        elif key in out and _ROLE_OF.get(_normalise(key)) == "must_be_zero":
            out[key] = out[key] or value  # audio_tokens sits in both OpenAI detail objects
        elif key in out:
            raise UsageError(name, line, key, "appears twice (nested objects are read by leaf name)")
        else:
            out[key] = value


def _normalise(header: str) -> str:
    """``Input (Cache Hit)`` -> ``input_cache_hit``; ``Entrée`` -> ``entree``."""
    text = header.strip().lower().replace("é", "e").replace("è", "e")
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def _plan(names: list[str], header: list[str], path: str, line: int, provider: str = "") -> Plan:
    """Turn one header into a plan, or say which column is unknown, missing or ambiguous."""
    where: dict[str, int] = {}
    ignored: list[int] = []
    zero: list[int] = []
    for index, name in enumerate(names):
        role = _ROLE_OF.get(name)
        if role is None:
            raise UsageError(path, line, header[index], "unknown column (see README: usage columns)")
        if role == "ignored":
            ignored.append(index)
        elif role == "must_be_zero":
            zero.append(index)
        elif role in where:
            raise UsageError(path, line, header[index],
                             f"gives the same count as column {header[where[role]]!r}")
        else:
            where[role] = index
    for needed in ("time", "provider", "model"):
        if needed not in where and not (needed == "provider" and provider):
            raise UsageError(path, line, needed, "missing column")
    component_roles = set(TOKEN_COMPONENTS) | {"cached_included", "prompt", "write_all"}
    if not component_roles & where.keys():
        raise UsageError(path, line, None, "no token count column (see README: usage columns)")

    formulas: dict[str, list[tuple[int, int]]] = {c: [] for c in TOKEN_COMPONENTS}
    checks: list[tuple[int, tuple[int, ...]]] = []
    idx = TOKEN_COMPONENTS.index
    for component in TOKEN_COMPONENTS:
        if component in where:
            formulas[component].append((where[component], 1))
    if "cached_included" in where:  # OpenAI: cached tokens are counted inside the prompt
        if "input_cache_hit" in where:
            raise UsageError(path, line, header[where["cached_included"]],
                             f"cannot be combined with {header[where['input_cache_hit']]!r}")
        base = where.get("prompt", where.get("input"))
        if base is None:
            raise UsageError(path, line, header[where["cached_included"]],
                             "needs prompt_tokens or input_tokens (it is included in them)")
        formulas["input"] = [(base, 1), (where["cached_included"], -1)]
        formulas["input_cache_hit"] = [(where["cached_included"], 1)]
        if "prompt" in where and "input" in where:
            raise UsageError(path, line, header[where["input"]], "cannot be combined with prompt_tokens")
    elif "prompt" in where:  # DeepSeek: prompt_tokens = cache hit + cache miss
        if "input" in where:
            checks.append((where["prompt"], (idx("input"), idx("input_cache_hit"))))
        else:
            formulas["input"] = [(where["prompt"], 1)] + [(c, -1) for c, _ in formulas["input_cache_hit"]]
    if "write_all" in where:  # Anthropic: cache_creation_input_tokens counts 5m and 1h writes
        if "input_cache_write" in where:
            checks.append((where["write_all"], (idx("input_cache_write"), idx("input_cache_write_1h"))))
        else:
            formulas["input_cache_write"] = [(where["write_all"], 1)] + [
                (c, -1) for c, _ in formulas["input_cache_write_1h"]]
    if "total" in where:
        checks.append((where["total"], tuple(range(len(TOKEN_COMPONENTS)))))
    count_roles = component_roles | {"total"}
    counted = tuple(sorted((i, header[i]) for r, i in where.items() if r in count_roles))
    counted += tuple((i, header[i]) for i in ignored + zero)
    return Plan(where["time"], where.get("provider"), where["model"], counted,
                 tuple(tuple(formulas[c]) for c in TOKEN_COMPONENTS), tuple(checks), tuple(zero),
                 where.get("tier"), provider.strip().lower(), where.get("context"))


def _row(plan: Plan, values: list[Any], header: list[str], path: str, line: int) -> UsageRow:
    counts: dict[int, int] = {}
    for column, field in plan.counted:
        counts[column] = _count(values[column], path, line, field)
    tokens = []
    for formula in plan.formulas:
        if not formula:
            tokens.append(0)
            continue
        if len(formula) == 1 and formula[0][1] == 1:  # a column as it is (counts are never negative)
            tokens.append(counts[formula[0][0]])
            continue
        value = sum(counts[c] * sign for c, sign in formula)
        if value < 0:
            fields = " - ".join(header[c] for c, _ in formula)
            raise UsageError(path, line, header[formula[0][0]], f"{fields} is negative ({value})")
        tokens.append(value)
    for column, parts in plan.checks:
        expected = sum(tokens[p] for p in parts)
        if counts[column] != expected:
            raise UsageError(path, line, header[column],
                             f"{counts[column]} does not equal the sum of its parts ({expected})")
    for column in plan.zero:
        if counts[column]:
            raise UsageError(path, line, header[column], "non-zero, and not priced by ratecard")
    start, whole_day = _time(values[plan.time], path, line, header[plan.time])
    if plan.provider is None:
        provider = plan.default_provider
    else:
        provider = _text(values[plan.provider], path, line, header[plan.provider]).lower()
    model = _text(values[plan.model], path, line, header[plan.model])
    tier = "standard" if plan.tier is None else _tier(values[plan.tier], path, line, header[plan.tier])
    context = "" if plan.context is None else _context(values[plan.context], path, line, header[plan.context])
    return UsageRow(path, line, start, whole_day, provider, model, tuple(tokens), tier,  # type: ignore[arg-type]
                    context)


def _count(value: Any, path: str, line: int, field: str) -> int:
    if type(value) is str and value.isdigit() and value.isascii() and len(value) < 13:  # the common case, first
        return int(value)
    if isinstance(value, bool):
        raise UsageError(path, line, field, f"{value!r} is not a token count")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise UsageError(path, line, field, f"{value!r} is not an integer")
        number = int(value)
    elif value is None or value == "":
        return 0
    elif isinstance(value, str):
        # ASCII digits only: Python's int() would also take '1_000', '+5' and other scripts'
        # digits, which the engine's SQL does not read (and no usage export writes)
        text = value.strip(BLANKS)
        if not text:
            return 0
        if text.isascii() and text.isdigit():
            number = int(text)
        elif text[:1] == "-" and text[1:].isascii() and text[1:].isdigit() and int(text[1:]):
            number = -int(text[1:])
        else:
            number = _grouped_count(text, value, path, line, field)
    else:
        raise UsageError(path, line, field, f"{value!r} is not a token count")
    if number < 0:
        raise UsageError(path, line, field, f"{number} is negative")
    if number > MAX_COUNT:
        raise UsageError(path, line, field, f"{number} is more tokens than a row may hold (at most {MAX_COUNT:,})")
    return number


def _grouped_count(text: str, value: Any, path: str, line: int, field: str) -> int:
    """``1,234`` / ``297 429`` (spaces, no-break spaces) / ``1234.0``; anything else is refused
    in words: a token count is a whole number, so ``1.234`` or ``12,5`` is not guessed at."""
    if _THOUSANDS.fullmatch(text):
        return int(text.replace(",", ""))
    if _SPACED.fullmatch(text):
        return int(re.sub("[ \u00a0\u202f]", "", text))
    zero = _ZERO_FRACTION.fullmatch(text)
    if zero:
        return int(zero.group(1))
    if re.match(r"^[0-9]+[.,][0-9]+$", text):
        raise UsageError(path, line, field, f"{value!r} is not a whole number of tokens (a decimal point or"
                                            " comma; thousands may be grouped by ',' or spaces)")
    raise UsageError(path, line, field, f"{value!r} is not an integer")


def _context(value: Any, path: str, line: int, field: str) -> str:
    """An export's billed context window (``0-200k``, ``200k-1M``) as the pricer's tier name."""
    text = value.strip(BLANKS).lower() if isinstance(value, str) else ""
    if not text:
        return ""
    match = _CONTEXT_BOUNDS.match(text)
    if not match:
        raise UsageError(path, line, field, f"{value!r} is not a context window such as 0-200k or 200k-1M")
    low = int(match.group(1)) * {"": 1, "k": 1000, "m": 1_000_000}[match.group(2)]
    if low == 0:
        return "standard"
    if low % 1000:
        raise UsageError(path, line, field, f"{value!r}: a context tier starts at whole thousands of tokens")
    return f"context>{low // 1000}k"


def _time(value: Any, path: str, line: int, field: str) -> tuple[datetime, bool]:
    text = value.strip(BLANKS) if isinstance(value, str) else ""
    try:
        if _DATE_ONLY.fullmatch(text):
            return datetime.fromisoformat(text).replace(tzinfo=timezone.utc), True
        if not _INSTANT.fullmatch(text):
            raise ValueError(text)
        instant = datetime.fromisoformat(text)
        if instant.tzinfo is None:
            return instant.replace(tzinfo=timezone.utc), False
        return instant.astimezone(timezone.utc), False
    except (ValueError, OverflowError):  # OverflowError: an offset past year 1 or 9999 in UTC
        raise UsageError(path, line, field, f"{value!r} is not an ISO 8601 time or date") from None


def _tier(value: Any, path: str, line: int, field: str) -> str:
    """OpenAI's ``service_tier`` values and ratecard's tier names; empty means standard."""
    text = value.strip(BLANKS).lower() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        raise UsageError(path, line, field, f"{value!r} is not a service tier")
    tier = SERVICE_TIERS.get(text)
    if tier is None:
        raise UsageError(path, line, field, f"{value!r} is not a service tier "
                                            f"({', '.join(sorted(set(SERVICE_TIERS.values())))})")
    return tier


def _text(value: Any, path: str, line: int, field: str) -> str:
    if not isinstance(value, str) or not value.strip(BLANKS):
        raise UsageError(path, line, field, "is empty")
    return value.strip(BLANKS)


__all__ = ["TOKEN_COMPONENTS", "CsvHeader", "UsageError", "UsageRow", "csv_rows", "first_char",
           "open_usage_text", "read_csv_header", "read_usage"]
