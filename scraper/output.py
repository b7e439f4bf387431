"""Printing rows for people (aligned text) and programs (JSON): shared by every command."""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TextIO, TypeVar

from db.display import money, print_table
from parsers.safetext import one_line

T = TypeVar("T")


def print_json(data: Any, out: TextIO | None = None) -> None:
    out = out or sys.stdout  # looked up per call, so a redirected or captured stdout is honoured
    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")


def print_rows(rows: list[dict[str, Any]], columns: Sequence[str], as_json: bool,
               money_columns: dict[str, str] | None = None, exact: bool = False) -> None:
    """The one way a listing command prints: a JSON array with ``--json`` (exact text), else
    aligned columns, the ``money_columns`` (name -> price|cost|total) rounded as :func:`money` says."""
    if as_json:
        print_json(rows)
    else:
        print_table(with_money(rows, money_columns or {}, exact), columns)


def with_money(rows: Iterable[dict[str, Any]], columns: dict[str, str], exact: bool = False,
               currency_field: str = "currency") -> list[dict[str, Any]]:
    """Copies of ``rows`` whose money ``columns`` (name -> kind) are shown by :func:`money`."""
    shown = []
    for row in rows:
        row = dict(row)
        for column, kind in columns.items():
            row[column] = money(row.get(column), row.get(currency_field), kind, exact)
        shown.append(row)
    return shown


class Progress:
    """A status line on stderr, rewritten in place, shown only when stderr is a terminal.

    WHY: a reprice or explain over a few million rows, or a backfill of hundreds of archived
    copies, runs for minutes; a person at a terminal should see it moving, while a pipe, a log
    file or a cron mail must get nothing but the results.  ``with_stdout_tty=False`` keeps it off
    when stdout is the same terminal and streams rows there (the rows are the progress then).
    """

    def __init__(self, label: str, stream: TextIO | None = None, every: float = 0.2,
                 with_stdout_tty: bool = True) -> None:
        self.label = label
        self._stream = stream
        self.every = every
        self.with_stdout_tty = with_stdout_tty
        self.shown = False
        # None until the first line is drawn: the first update is always shown (a monotonic
        # clock may start near 0, and a machine up for less than ``every`` drew nothing)
        self._last: float | None = None

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stderr  # looked up per use: a redirected stderr is honoured

    @property
    def on(self) -> bool:
        return _isatty(self.stream) and (self.with_stdout_tty or not _isatty(sys.stdout))

    def update(self, text: str, force: bool = False) -> None:
        if not self.on:
            return
        now = time.monotonic()
        if not force and self._last is not None and now - self._last < self.every:
            return
        self._last = now
        width = shutil.get_terminal_size((80, 24)).columns - 1
        self.stream.write("\r\x1b[K" + one_line(f"{self.label}: {text}")[:width])
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        """Remove the status line, so what is printed next starts on a clean line."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


def counted(items: Iterable[T], label: str, noun: str = "rows", with_stdout_tty: bool = True,
            stream: TextIO | None = None, every: float = 0.2) -> Iterator[T]:
    """``items`` unchanged, with a running count on a terminal (see :class:`Progress`)."""
    progress = Progress(label, stream, every, with_stdout_tty)
    if not progress.on:
        yield from items
        return
    n = 0
    try:
        for item in items:
            n += 1
            progress.update(f"{n:,} {noun}")
            yield item
    finally:
        progress.clear()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or odd stream is not a terminal
        return False
