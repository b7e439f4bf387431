"""Totals of a large CSV usage file, priced in columnar batches so the per-row work runs in C.

``ratecard reprice --summary`` and ``bench/reprice.py`` need the totals of millions of rows, not one
object per row.  A batch of ~0.5 MB of CSV is split into columns with ``str.split`` and slicing;
counts are parsed one column at a time; each row's rates are found by its hour (one cached dict
lookup), or by its minute in the hours where a window edge or a version falls; and since cost is
linear in tokens, each group of rows sharing its rates is costed once from its token sums.
Integer arithmetic throughout, so the totals equal, to the last unit, the sum of the row-by-row
costs.

Any batch the fast path cannot vouch for (quotes, date-only rows, time zones other than UTC, a bad
cell, an unknown model, a model with long-context tiers, a minute in which a version starts, an
hour inside the window of a change whose instant is unknown, which needs both costs) is
priced row by row by the same code as ``reprice`` itself, which also produces the exact error or
unpriced reason.  Memory is one batch plus hour and minute caches that are bounded.
"""

from __future__ import annotations

import gc
import io
import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import compress
from operator import itemgetter
from pathlib import Path
from typing import Any

from db.reprice.pricer import Priced, Pricer, Rates, Totals, Unpriced, When
from db.reprice.textfile import UnreadableText, first_bad_line, is_gzip
from db.reprice.usage import (TOKEN_COMPONENTS, CsvHeader, UsageError, csv_rows, first_char, open_usage_text,
                              read_csv_header, read_usage)

CHUNK_BYTES = 1 << 19        # ~9,000 rows a batch: measured a little faster than 1 MB
CACHE_LIMIT = 100_000          # cached hours + minutes before the caches are emptied
_SPLIT, _UNPRICED = -1, -2     # group ids that send a batch to the row-by-row path
_SPLIT_HOUR = -3               # an hour in which a rate changes: classify its rows by minute
_UTC_SUFFIXES = frozenset(("", "Z", "+00:00"))
_SUFFIX = itemgetter(slice(19, None))
_HOUR = itemgetter(slice(0, 13))
_MINUTE = itemgetter(slice(0, 16))


@dataclass
class BatchTotals:
    """What a file cost: totals, the unpriced rows, and how many rows took the row-by-row path."""

    totals: Totals = field(default_factory=Totals)
    unpriced: list[Unpriced] = field(default_factory=list)
    rows: int = 0
    slow_rows: int = 0


class _Groups:
    """Interned (provider, model, month, rates): a row's group id says how to cost it.

    Rows are classified by their hour (``2025-03-01T10``), which is one dict lookup; only rows in
    an hour where a rate changes (a window edge at 16:30, a version starting) are classified by
    their minute.  The caches grow with the span of time a file covers, never with its rows.
    """

    def __init__(self, pricer: Pricer, at: When | datetime | None, target: tuple[str, str] | None) -> None:
        self.pricer, self.target = pricer, target
        if isinstance(at, datetime):
            at = When(at)
        #: ``at`` an instant: every row there.  ``at`` a date: each row on that date at its own
        #: time of day (the hour keys stay the rows' own, so totals keep each row's month).
        self.at = at.start if at is not None and not at.whole_day else None
        self.day = at.start if at is not None and at.whole_day else None
        self.keys: list[tuple[str, str, str, Rates]] = []
        self._ids: dict[tuple[str, str, str, Rates], int] = {}
        self.hours: dict = {}
        self.minutes: dict = {}

    def lookup(self, prefix: str, provider_text: str, model_text: str) -> int:
        """The group of every instant of the hour or minute ``prefix``, or a sentinel."""
        if self.target:
            provider, model = self.target
        else:
            provider = provider_text.strip().lower()
            model, _ = self.pricer.resolve(provider, model_text.strip())
        try:
            start = datetime.fromisoformat(prefix).replace(tzinfo=timezone.utc)
        except ValueError:
            return _UNPRICED  # the row path reports the bad time
        if self.pricer.has_context_tiers(provider, model):
            return _UNPRICED  # rates depend on each row's prompt length: the row path prices them
        if self.day is not None:
            start = self.day + (start - start.replace(hour=0, minute=0))
        if self.at is not None:
            ts = self.at.timestamp()
            if self.pricer.uncertain(provider, model, ts, ts) is not None:
                return _UNPRICED  # both costs: the row path
            rates = self.pricer.rates_at(provider, model, self.at)
        else:
            rates = self.pricer.span_rates(provider, model, start, 3600 if len(prefix) == 13 else 60)
        if rates == "split":
            return _SPLIT_HOUR if len(prefix) == 13 else _SPLIT
        if rates is None or isinstance(rates, str):
            return _UNPRICED
        key = (provider, model, prefix[:7], rates)
        if key not in self._ids:
            self._ids[key] = len(self.keys)
            self.keys.append(key)
        return self._ids[key]

    def trim(self) -> None:
        """Files spanning decades of hours: forget cached hours and minutes, keep the groups."""
        if len(self.hours) + len(self.minutes) > CACHE_LIMIT:
            self.hours.clear()
            self.minutes.clear()


def price_totals(path: str | Path, pricer: Pricer, at: When | datetime | None = None,
                 target: tuple[str, str] | None = None, chunk_bytes: int = CHUNK_BYTES,
                 provider: str = "") -> BatchTotals:
    """Price every row of ``path`` (CSV fast, JSONL row by row) and return the totals.

    ``provider``: the provider of a file without a provider column (see ``read_usage``)."""
    name = str(path)
    result = BatchTotals()
    handle = open_usage_text(path)
    # Each batch allocates tens of thousands of short-lived tuples and lists that hold no
    # cycles; letting the cyclic collector walk the heap every 700 of them costs a quarter of
    # the run.  Reference counting still frees every batch as soon as it is done.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with handle:
            _price_file(handle, name, path, pricer, at, target, chunk_bytes, provider, result)
    except UnicodeDecodeError:  # the fast CSV path reads the text itself (read_usage says the same)
        bad = first_bad_line(path, handle.encoding) or 1
        raise UsageError(name, bad, None, f"bytes that are not {handle.encoding} text"
                                          " (save the file as UTF-8)") from None
    except UnreadableText as exc:
        raise UsageError(name, 1, None, str(exc)) from None
    finally:
        if collecting:
            gc.enable()
    return result


def _price_file(handle: io.TextIOBase, name: str, path: str | Path, pricer: Pricer, at: When | datetime | None,
                target: tuple[str, str] | None, chunk_bytes: int, provider: str, result: BatchTotals) -> None:
    """Stream ``handle`` into ``result``: CSV in columnar batches, anything else row by row."""
    if first_char(handle) in "{[" or handle.encoding not in ("utf-8", "utf-8-sig") or is_gzip(handle):
        _slow(read_usage(path, provider), pricer, at, target, result)  # JSON, exports, other encodings
        return
    header = read_csv_header(handle, name, provider)
    if header.plan is None:  # a provider's export: its records are made canonical one by one
        _slow(read_usage(path, provider), pricer, at, target, result)
        return
    groups = _Groups(pricer, at, target)
    line = 1
    for text in _chunks(handle, chunk_bytes):
        lines = text.count("\n")
        if not _fast(text, lines, header, groups, result):
            _slow(csv_rows(io.StringIO(text, newline=""), header, name, line), pricer, at, target, result)
        line += lines
        groups.trim()


def _chunks(handle: io.TextIOBase, size: int) -> Iterator[str]:
    """Whole lines, about ``size`` characters at a time; a quoted field never spans two chunks."""
    rest = ""
    while True:
        block = handle.read(size)
        if not block:
            if rest:
                yield rest if rest.endswith("\n") else rest + "\n"
            return
        text = rest + block
        cut = text.rfind("\n") + 1
        while cut and text.count('"', 0, cut) % 2:  # inside a quoted field: cut at an earlier line
            cut = text.rfind("\n", 0, cut - 1) + 1
        text, rest = text[:cut], text[cut:]
        if text:
            yield text


def _slow(rows: Iterator, pricer: Pricer, at: When | datetime | None, target: tuple[str, str] | None,
          result: BatchTotals) -> None:
    for row in rows:
        priced = pricer.price(row, at, target)
        result.rows += 1
        result.slow_rows += 1
        if isinstance(priced, Priced):
            result.totals.add(priced)
        else:
            result.unpriced.append(priced)


def _fast(text: str, lines: int, header: CsvHeader, groups: _Groups, result: BatchTotals) -> bool:
    """Price one chunk in columns; False (nothing counted) when the chunk needs the row path."""
    sep = header.dialect.delimiter
    width = len(header.cells)
    plan = header.plan
    if '"' in text or "\r" in text or plan.tier is not None:  # quotes, CR, a tier per row: row path
        return False
    cells = text.replace("\n", sep).split(sep)
    if len(cells) != lines * width + 1:  # blank lines or ragged rows: the row path says which
        return False
    columns = [cells[i:-1:width] for i in range(width)]
    counts = {}
    for column, _ in plan.counted:
        values = _integers(columns[column])
        if values is None:
            return False
        counts[column] = values
    if any(any(counts[c]) for c in plan.zero):
        return False
    # None for a component the file has no column for: it costs nothing to carry.
    tokens = [_combine(formula, counts, lines) if formula else None for formula in plan.formulas]
    if any(min(values) < 0 for formula, values in zip(plan.formulas, tokens) if any(s < 0 for _, s in formula)):
        return False
    present = {k: values for k, values in enumerate(tokens) if values is not None}
    for column, parts in plan.checks:
        if counts[column] != _combine(tuple((p, 1) for p in parts if p in present), present, lines):
            return False
    times = columns[plan.time]
    if min(map(len, times)) < 19 or not set(map(_SUFFIX, times)) <= _UTC_SUFFIXES:
        return False
    try:
        deque(map(datetime.fromisoformat, times), maxlen=0)  # validate every time, keep none
    except ValueError:
        return False
    providers = [plan.default_provider] * lines if plan.provider is None else columns[plan.provider]
    ids = _group_ids(providers, columns[plan.model], times, groups)
    if ids is None:
        return False
    return _add(ids, tokens, groups, result, lines)


def _integers(cells: list[str]) -> list[int] | None:
    """Non-negative integers, or None when any cell is something else (the row path says which).

    One ``json.loads`` of the joined column parses twice as fast as ``map(int, …)``; JSON's
    integer grammar is a subset of what ``int()`` (the row path) accepts, so nothing passes here
    that the row path would refuse, and anything unusual (``007``, ``1_000``, empty) goes there.
    """
    try:
        values = json.loads("[" + ",".join(cells) + "]")
    except ValueError:
        return None
    if len(values) != len(cells) or set(map(type, values)) != {int} or min(values) < 0:
        return None
    return values


def _combine(formula: tuple[tuple[int, int], ...], counts: dict[int, list[int]], n: int) -> list[int]:
    if not formula:
        return [0] * n
    if len(formula) == 1 and formula[0][1] == 1:
        return counts[formula[0][0]]
    out = [0] * n
    for column, sign in formula:
        values = counts[column]
        out = [a + b for a, b in zip(out, values)] if sign > 0 else [a - b for a, b in zip(out, values)]
    return out


def _group_ids(providers: list[str], models: list[str], times: list[str], groups: _Groups) -> list[int] | None:
    """Each row's group id: C-level maps over hour keys, then minute keys where a rate changes.

    A batch of one (provider, model) is keyed by the hour text alone; otherwise by
    (hour, provider, model) tuples, which hash faster than any string built from them.
    """
    hours = list(map(_HOUR, times))
    single = len(set(providers)) == 1 and len(set(models)) == 1
    first = (providers[0], models[0])
    if single:
        ids = _resolve(lambda: hours, groups.hours, lambda hour: groups.lookup(hour, *first))
    else:
        ids = _resolve(lambda: zip(hours, providers, models), groups.hours, lambda key: groups.lookup(*key))
    if _SPLIT_HOUR in ids:
        rows = list(compress(range(len(ids)), map(_SPLIT_HOUR.__eq__, ids)))
        minutes = map(_MINUTE, _pick(times, rows))
        keys = list(zip(minutes, _pick(providers, rows), _pick(models, rows)))
        found = _resolve(lambda: keys, groups.minutes, lambda key: groups.lookup(*key))
        for i, group in zip(rows, found):
            ids[i] = group
    if min(ids) < 0:
        return None
    return ids


def _pick(values: list, rows: list[int]) -> list:
    if len(rows) == 1:
        return [values[rows[0]]]
    return list(itemgetter(*rows)(values))


def _resolve(keys: Callable[[], Iterable], cache: dict, lookup: Callable[[Any], int]) -> list[int]:
    """Cached ids of the keys ``keys()`` yields; only keys never seen are looked up."""
    ids = list(map(cache.get, keys()))
    if None in ids:
        for key in set(keys()).difference(cache):
            cache[key] = lookup(key)
        ids = list(map(cache.__getitem__, keys()))
    return ids


def _add(ids: list[int], tokens: list[list[int] | None], groups: _Groups, result: BatchTotals,
         rows: int) -> bool:
    """Token sums per group (C-level masks; the last group is the rest), then costs per group."""
    present = [k for k, values in enumerate(tokens) if values is not None]
    columns = [tokens[k] for k in present]
    distinct = sorted(set(ids))
    partial: dict[int, list[int]] = {}
    if len(distinct) <= 8:
        rest = [sum(values) for values in columns]  # type: ignore[arg-type]
        for gid in distinct[:-1]:
            mask = list(map(gid.__eq__, ids))
            partial[gid] = [sum(compress(values, mask)) for values in columns]  # type: ignore[arg-type]
            rest = [r - g for r, g in zip(rest, partial[gid])]
        partial[distinct[-1]] = rest
    else:
        for gid in distinct:
            partial[gid] = [0] * len(columns)
        for gid, *row in zip(ids, *columns):  # type: ignore[call-overload]
            acc = partial[gid]
            for k, value in enumerate(row):
                acc[k] += value
    sums: dict[int, list[int]] = {}
    for gid, values in partial.items():
        full = [0] * len(tokens)
        for k, value in zip(present, values):
            full[k] = value
        sums[gid] = full
    for gid, token_sums in sums.items():
        rates = groups.keys[gid][3]
        if any(t and r is None for t, r in zip(token_sums, rates)):
            return False  # tokens with no price: the row path reports which rows
    totals = result.totals
    for gid, token_sums in sums.items():
        provider, model, month, rates = groups.keys[gid]
        units = 0
        for component, count, rate in zip(TOKEN_COMPONENTS, token_sums, rates):
            if count:
                cost = count * rate.units
                units += cost
                totals.by_component[component] = totals.by_component.get(component, 0) + cost
        key = (provider, model, month)
        totals.by_model_month[key] = totals.by_model_month.get(key, 0) + units
        totals.units += units
        totals.lowest_units += units
        totals.if_later_units += units
        totals.if_earlier_units += units
    totals.priced_rows += rows
    result.rows += rows
    return True


__all__ = ["BatchTotals", "price_totals"]
