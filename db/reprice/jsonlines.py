"""A JSON Lines usage file, or one JSON array of usage objects, read by DuckDB's own JSON reader,
as the cells the CSV reader gives.

The row reader reads JSON in Python (``json.loads`` of each line, then each record planned and
read): 1M lines take about 24 s, against 0.6 s for the same rows as CSV.  Most JSON usage files
are a table written out: one flat object per line, the same keys in every line.  Such a file
is read here by DuckDB, every value turned into the text cell that the CSV rules
(``engine._select_sql``) read exactly as the row reader reads the JSON value:

* a string is its text (the row reader's rules for a string are the CSV cell's);
* an integer is its digits; a number with a fraction of zero (``1234.0``, ``1e3``: Python's
  ``float.is_integer``) is its integer's digits; any other number, a boolean or an array or
  object is a cell no rule reads (``ODD``), so the row is bad;
* ``null`` is an empty cell (a count of 0, the standard tier; an empty time or id is bad, as
  the row reader says);
* a time, provider or model that is not a string is empty (bad).

What the fast reading cannot vouch for makes its row bad too, and a bad row sends the whole
file to the row reader, which names the error or, if there is none, reads the file as it
always has: a line whose keys are not the first line's (in order, each once), a value that is
an array or an object (the row reader lifts nested keys), and the leniencies of DuckDB's JSON
parser that Python's refuses (a comma before the closing brace; ``inf``, ``nan``, ``-inf``,
``-NaN``, which a key the plan reads turns into a bad cell anyway).  Only a first line that is a flat object of
plain keys, not an export's shape (``db.reprice.exports``), in UTF-8 without a byte order
mark, is read this way at all (:func:`flat_plan`).

An array (``[{...}, {...}]``, on one line or pretty-printed) is read the same way, its first
object planned: the row reader reads it as one document, whose records all have its first line,
so every row is shown with line 1 (``Loaded.shown_lines``), numbered in the array's order.  What
Python's parser refuses around the objects (a comma before ``]``, text after it, a missing
comma) DuckDB's refuses too: the file then goes to the row reader, which names the error.
"""

from __future__ import annotations

import codecs
import json
import re

from db.reprice.pricing_sql import literal
from db.reprice.textfile import detect_encoding
from db.reprice.usage import Plan, _normalise, _plan

#: A cell no rule of the CSV reader takes as a count, a time, an id or a tier.
ODD = "chr(0)"
#: Keys that can be spelled in SQL and in a JSON path as they are.
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.-]+")
#: JSON's blanks (Python's ``json`` and DuckDB's reader skip these between values, and no others).
_BLANKS = b" \t\r\n"
#: The layouts DuckDB's ``read_json_objects`` is told (its ``format``).
LINES, ARRAY = "newline_delimited", "array"


def flat_plan(start: tuple[bytes, bool] | None, name: str,
              provider: str) -> tuple[Plan, tuple[str, ...], str, str] | None:
    """The first record's plan and keys, the file's compression and its layout (``LINES`` or
    ``ARRAY``), when the file is JSON Lines whose first line is, or a JSON array whose first
    element is, a flat object of plain keys that the row reader reads as it is; None otherwise
    (the row reader reads the file).  ``start``: ``textfile.text_start``, the file's first bytes
    and whether it is gzip.  A first record the row reader refuses to plan raises its message."""
    from db.reprice.exports import json_records

    if start is None:
        return None
    sample, gz = start
    if detect_encoding(sample) != "utf-8":
        return None
    record = _first_line_object(sample) if sample.startswith(b"{") else _first_element(sample)
    if record is None:
        return None
    layout = LINES if sample.startswith(b"{") else ARRAY
    if not isinstance(record, dict) or not record:
        return None
    keys = tuple(record)
    if not all(_PLAIN_KEY.fullmatch(k) for k in keys) or ("object" in record and "usage" in record):
        return None
    if any(isinstance(v, (dict, list)) for v in record.values()):
        return None
    expanded = list(json_records(record, 1, provider))
    if len(expanded) != 1 or expanded[0][1] != "" or expanded[0][2] is not record:
        return None  # an export's shape: the row reader expands it
    plan = _plan([_normalise(k) for k in keys], list(keys), name, 1, provider)
    if plan.context is not None:
        return None  # a billed context window: the row reader names the tier
    return plan, keys, "gzip" if gz else "none", layout


def _first_line_object(sample: bytes) -> object | None:
    """JSON Lines' first line, parsed (None: not whole in the sample, or not JSON)."""
    if b"\n" not in sample:
        return None
    try:
        return json.loads(sample.split(b"\n", 1)[0].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _first_element(sample: bytes) -> object | None:
    """An array's first element, parsed (None: not an array, or the element not whole in the
    sample, or not JSON).  The sample may end inside a character: only whole ones are decoded."""
    text = sample.lstrip(_BLANKS)
    if not text.startswith(b"["):
        return None
    try:
        body = codecs.getincrementaldecoder("utf-8")().decode(text[1:]).lstrip(_BLANKS.decode())
        return json.JSONDecoder().raw_decode(body)[0] if body.startswith("{") else None
    except (UnicodeDecodeError, ValueError):
        return None


def cells_sql(name: str, compression: str, keys: tuple[str, ...], plan: Plan, lined: bool,
              layout: str = LINES) -> str:
    """The file's records as the cells ``c0``, ``c1``... (in the first record's key order, as
    the plan numbers them) and ``line_no`` (each row's place, the first 1, with ``lined``:
    DuckDB skips blank lines, so a row's place in JSON Lines is its line only when the file has
    none; an array's rows are numbered; else NULL).  A row the fast reading cannot vouch for
    has no time (bad)."""
    struct = literal("{" + ", ".join(f'"{k}": "JSON"' for k in keys) + "}")
    # per key, once: ``f{i}``, the first character's code of the value's JSON text (NULL for
    # null): '"' 34 a string, '[' 91 or '{' 123 nested, 't' 116 / 'f' 102 a boolean, a digit or
    # '-' a number (or -Infinity), 'N' NaN, 'I' Infinity; ``s{i}``, a string's text (DuckDB
    # unescapes it only when it holds a backslash); ``x{i}``, the value's JSON text (DuckDB keeps
    # a number's spelling, but writes one with an exponent as a decimal: 1e5 is 100000.0)
    per_key = []
    for i, k in enumerate(keys):
        v = f'v."{k}"'
        per_key += [f"ascii({v}) AS f{i}",
                    f"CASE WHEN ascii({v}) = 34 THEN CASE WHEN contains({v}, '\\') THEN json_extract_string({v}, '$')"
                    f" ELSE substr({v}, 2, length({v}) - 2) END END AS s{i}",
                    f"CAST({v} AS VARCHAR) AS x{i}"]
    counted = {c for c, _ in plan.counted}
    texts = {i for i in (plan.time, plan.provider, plan.model) if i is not None}
    # DuckDB's parser also takes a comma before the closing brace (the object's text ends in
    # its brace: the comma is the last character before it but blanks); inf, nan, -inf, -NaN
    # and nested values are cells the rules below make bad (every key of a plan is read: the
    # plan refuses an unknown one)
    blank_before = " OR ".join(f"ends_with(json, {literal(b + '}')})" for b in (" ", "\t", "\r", "\n"))
    strict = [f"json_keys(json) = [{', '.join(literal(k) for k in keys)}]", "NOT ends_with(json, ',}')",
              f"NOT CASE WHEN {blank_before} THEN regexp_matches(json, ',[ \\t\\r\\n]*}}$') ELSE false END"]
    cells = []
    for i, k in enumerate(keys):
        f, s, x = f"f{i}", f"s{i}", f"x{i}"
        if i in counted:
            number = f"TRY_CAST({x} AS DOUBLE)"
            whole = f"coalesce(CAST(TRY_CAST({x} AS HUGEINT) AS VARCHAR), {ODD})"
            cell = (f"CASE WHEN {f} IS NULL THEN NULL WHEN {f} = 34 THEN {s}"
                    f" WHEN {f} BETWEEN 48 AND 57 OR {f} = 45 THEN"
                    f" CASE WHEN contains({x}, '.') OR contains({x}, 'e') OR contains({x}, 'E') OR contains({x}, 'I')"
                    f" OR contains({x}, 'N') OR contains({x}, 'n') OR contains({x}, 'i') THEN"
                    f" CASE WHEN {number} = floor({number}) AND abs({number}) < 1e15"
                    f" THEN CAST(CAST({number} AS BIGINT) AS VARCHAR) ELSE {ODD} END"
                    f" ELSE {whole} END ELSE {ODD} END")
        elif i in texts:
            cell = f"CASE WHEN {f} = 34 THEN {s} END"
            if i == plan.time:
                cell = f"CASE WHEN same THEN {cell} END"
        elif i == plan.tier:
            cell = f"CASE WHEN {f} IS NULL THEN NULL WHEN {f} = 34 THEN {s} ELSE {ODD} END"
        else:
            raise ValueError(f"the plan does not read key {k!r}")  # a plan reads every key it accepts
        cells.append(f"{cell} AS c{i}")
    line = "row_number() OVER ()" if lined else "CAST(NULL AS BIGINT)"
    source = f"read_json_objects({literal(name)}, format = {literal(layout)}, compression = {literal(compression)})"
    return (f"(SELECT {', '.join(cells)}, line_no FROM (SELECT *, {' AND '.join(strict)} AS same FROM"
            f" (SELECT json, line_no, {', '.join(per_key)} FROM"
            f" (SELECT json, from_json(json, {struct}) AS v, {line} AS line_no FROM {source}))))")


__all__ = ["ARRAY", "LINES", "ODD", "cells_sql", "flat_plan"]
