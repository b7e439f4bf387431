"""Printing rows for people (aligned text) and programs (JSON): shared by every command."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from parsers.safetext import one_line


def print_json(data: Any, out: TextIO | None = None) -> None:
    out = out or sys.stdout  # looked up per call, so a redirected or captured stdout is honoured
    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")


def print_table(rows: Iterable[dict[str, Any]], columns: Sequence[str], out: TextIO | None = None) -> None:
    """Aligned columns, None shown as empty: readable in a terminal and in a diff."""
    out = out or sys.stdout
    cells = [[("" if row.get(c) is None else one_line(str(row.get(c)))) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip() + "\n")
    for r in cells:
        out.write("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() + "\n")


def print_rows(rows: list[dict[str, Any]], columns: Sequence[str], as_json: bool) -> None:
    """The one way a listing command prints: a JSON array with ``--json``, else aligned columns."""
    if as_json:
        print_json(rows)
    else:
        print_table(rows, columns)
