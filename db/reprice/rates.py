"""The price history as one flat rate table: what any SQL engine needs to price usage exactly.

The row pricer (``db.reprice.pricer``) compiles each (provider, model) into timelines: segments
between the instants where a rate can change, each cut at every time-of-day window edge of the
week.  This module flattens those compiled timelines, so the table means exactly what the
pricer means, into rows any engine can join on (DuckDB here, Spark past one machine):

* ``book``: ``late`` (the history as stored) or ``early`` (every change of unknown instant moved
  to the start of its window; only models with such a window have early rows), or ``window``:
  one row per window ``(valid_from_us, valid_to_us)`` = (A, B) of a change of unknown instant, or
  ``removed``: a model whose removal was only observed (last seen, removed at).
* ``tier``: ``standard``, the service tier a usage row names (batch, flex, priority, fast, ultrafast), or the
  context tier (``context>200k``, ``batch context>200k``) a provider's export says a row was billed
  at: that tier's rates where it has them, the standard (or service) rates for the other components.
* ``min_prompt``/``max_prompt``: the prompt sizes (all input tokens, inclusive bounds, max NULL:
  no bound) a row must have to take these rates.  Long-context tiers are merged in here,
  component by component, by the pricer's own rule (largest threshold first, a tier without a
  price in force falls back to the next), so a row matches exactly one band.  A service tier is
  banded the same way: over a standard long-context threshold it takes its own rates for that
  size (``batch context>272k``) or has no row (unpriced), as ``Pricer._service_long_context``.
* ``valid_from_us``/``valid_to_us``: the segment, half-open, in microseconds since 1970 UTC
  (``valid_to_us`` NULL: still in force).
* ``minute_from``/``minute_to``: the piece of the UTC week, half-open, in minutes since Monday
  00:00 UTC (0 to 10080): time-of-day windows and weekdays as minute ranges.
* per component ``c``: ``c_units`` (price per 1M tokens in units of 10^-scale of the currency;
  NULL: no price, so tokens there make a row unpriced, never free), ``c_price`` (the price as the
  page gave it), ``c_tier`` (the tier whose rate this is) and ``c_promo``.
* ``scale``: a cost of ``tokens * c_units`` is in units of 10^-(6 + scale) of the currency.

A segment with no price in force has no row: a usage instant that meets no row is unpriced, and
a whole day is priced only when its rows cover all of it.
"""

from __future__ import annotations

import csv
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from db.reprice.pricer import WEEK_SECONDS, Pricer, Rate, _Book, _Timeline
from db.reprice.usage import TOKEN_COMPONENTS

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
WEEK_MINUTES = WEEK_SECONDS // 60
#: Minutes from 1970-01-01 (a Thursday) back to the Monday the week minutes count from.
EPOCH_MONDAY_MINUTES = 4 * 1440

KEY_COLUMNS = ("provider", "model", "book", "tier", "min_prompt", "max_prompt",
               "valid_from_us", "valid_to_us", "minute_from", "minute_to")
RATE_COLUMNS = KEY_COLUMNS + tuple(f"{c}_{part}" for c in TOKEN_COMPONENTS
                                   for part in ("units", "price", "tier", "promo")) + (
    "scale", "priced_as", "alias_resolve", "alias_note", "switch_from", "switch_to", "ordinal")
#: The columns an alias's rows fill (``db.reprice.aliases``); NULL on the history's own rows.
ALIAS_COLUMNS = ("priced_as", "alias_resolve", "alias_note", "switch_from", "switch_to")
#: DuckDB / Spark SQL types of each column (the same names in both).
COLUMN_TYPES = {"provider": "VARCHAR", "model": "VARCHAR", "book": "VARCHAR", "tier": "VARCHAR",
                "min_prompt": "BIGINT", "max_prompt": "BIGINT", "valid_from_us": "BIGINT",
                "valid_to_us": "BIGINT", "minute_from": "INTEGER", "minute_to": "INTEGER",
                "scale": "INTEGER", "ordinal": "BIGINT", **{c: "VARCHAR" for c in ALIAS_COLUMNS},
                **{f"{c}_{part}": kind for c in TOKEN_COMPONENTS
                   for part, kind in (("units", "BIGINT"), ("price", "VARCHAR"), ("tier", "VARCHAR"),
                                      ("promo", "BOOLEAN"))}}


@dataclass(frozen=True)
class RateTable:
    """The flattened history: rows in ``RATE_COLUMNS`` order, and the currency and scale."""

    currency: str
    scale: int
    rows: list[tuple]


def micros(instant: datetime) -> int:
    """Microseconds since 1970 UTC, exactly (no float)."""
    delta = instant - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _us(edge: float) -> int:
    """A compiled timeline edge (a POSIX timestamp float) back to exact microseconds."""
    return micros(datetime.fromtimestamp(edge, timezone.utc))


def compile_rates(pricer: Pricer) -> RateTable:
    """Every piece of every compiled timeline of ``pricer``, as rate rows (see module docstring)."""
    rows: list[tuple] = []
    books = [("late", pricer._late)]
    if pricer._windows:
        books.append(("early", pricer._early))
    for name, book in books:
        early_only = name == "early"
        for (provider, model), timeline in sorted(book.timelines.items()):
            if early_only and (provider, model) not in pricer._windows:
                continue
            for band, pieces in _bands(book, provider, model, timeline):
                for piece in pieces:
                    rows.append(_row(provider, model, name, "standard", band, piece, pricer.scale))
        for (provider, model), tiers in sorted(book.context.items()):
            if early_only and (provider, model) not in pricer._windows:
                continue
            if (provider, model) not in book.timelines:
                continue
            # a row whose export names the context tier it was billed at
            rows += _billed_rows(provider, model, name, "", timeline_of(book, provider, model), tiers, pricer.scale)
        for (provider, model, tier), timeline in sorted(book.services.items()):
            if early_only and (provider, model) not in pricer._windows:
                continue
            for band, pieces in _service_bands(book, provider, model, tier, timeline):
                for piece in pieces:
                    rows.append(_row(provider, model, name, tier, band, piece, pricer.scale))
            # a row whose export says it was billed at this service tier's long-context rates
            rows += _billed_rows(provider, model, name, tier, timeline,
                                 book.service_context.get((provider, model, tier), []), pricer.scale)
    for (provider, model), windows in sorted(pricer._windows.items()):
        for a, b in windows:
            rows.append((provider, model, "window", "any", 0, None, _us(a), _us(b), 0, WEEK_MINUTES)
                        + (None,) * (4 * len(TOKEN_COMPONENTS)) + (pricer.scale,) + (None,) * 5)
    rows += alias_rows(pricer)
    for (provider, model), (ended, seen) in sorted(pricer._removed.items()):
        if seen is not None:  # removed, only observed: rows after it was last seen get a note
            rows.append((provider, model, "removed", "any", 0, None, micros(seen), micros(ended), 0, WEEK_MINUTES)
                        + (None,) * (4 * len(TOKEN_COMPONENTS)) + (pricer.scale,) + (None,) * 5)
    return RateTable(pricer.currency, pricer.scale, [row + (i,) for i, row in enumerate(rows)])


def _billed_rows(provider: str, model: str, book: str, service: str, base: _Timeline,
                 tiers: list[tuple[int, _Timeline]], scale: int) -> list[tuple]:
    """The rows of each long-context tier a usage export may say it billed (``context>200k``, or a
    service tier's own, ``batch context>200k``): that tier's rates over ``base``'s where it has a
    price in force (:func:`_billed`)."""
    prefix = f"{service} " if service else ""
    return [_row(provider, model, book, f"{prefix}context>{threshold // 1000}k", (0, None), piece, scale)
            for threshold, long in tiers for piece in _pieces([base, long], _billed) if piece[4] is not None]


def timeline_of(book: _Book, provider: str, model: str) -> _Timeline:
    return book.timelines[(provider, model)]


def _billed(rates: list) -> "tuple | None":
    """The rates of a billed context tier: its own where it has one, the standard rates for the
    rest; no row where the tier has no price in force (the row pricer's ``_billed_context``)."""
    standard, long = rates
    if long is None:
        return None
    return tuple(lr if lr is not None else r for lr, r in zip(long, standard))


Piece = tuple[int, "int | None", int, int, tuple["Rate | None", ...]]  # from_us, to_us, minute span, rates


def _bands(book: _Book, provider: str, model: str, timeline: _Timeline) -> Iterator[tuple[tuple[int, int | None],
                                                                                      list[Piece]]]:
    """Prompt-size bands and their pieces: long-context tiers merged by ``Pricer._long_context``."""
    context = book.context.get((provider, model), [])  # largest threshold first
    thresholds = sorted(threshold for threshold, _ in context)
    bounds = [0] + [t + 1 for t in thresholds]
    for k, low in enumerate(bounds):
        high = bounds[k + 1] - 1 if k + 1 < len(bounds) else None
        eligible = [(t, tl) for t, tl in context if t < low]  # prompt >= low > t
        timelines = [timeline] + [tl for _, tl in eligible]

        def pick(rates: list, eligible=eligible) -> tuple:
            standard = rates[0]
            for long in rates[1:]:
                if long is not None:
                    return tuple(lr if lr is not None else r for lr, r in zip(long, standard))
            return standard

        yield (low, high), list(_pieces(timelines, pick))


def _service_bands(book: _Book, provider: str, model: str, tier: str,
                   timeline: _Timeline) -> Iterator[tuple[tuple[int, int | None], list[Piece]]]:
    """Prompt-size bands of a service tier, by ``Pricer._service_long_context``: over a
    long-context threshold in force for the standard tier, the service tier's own rates for that
    size (``batch context>272k``) where the history has them, else no piece (unpriced)."""
    standard = book.context.get((provider, model), [])  # largest threshold first
    own = book.service_context.get((provider, model, tier), [])
    thresholds = sorted({t for t, _ in standard} | {t for t, _ in own})
    bounds = [0] + [t + 1 for t in thresholds]
    for k, low in enumerate(bounds):
        high = bounds[k + 1] - 1 if k + 1 < len(bounds) else None
        over = [(t, tl) for t, tl in standard if t < low]
        mine = [(t, tl) for t, tl in own if t < low]
        timelines = [timeline] + [tl for _, tl in over] + [tl for _, tl in mine]

        def pick(rates: list, over=over, mine=mine) -> "tuple | None":
            base, longer, ours = rates[0], rates[1:1 + len(over)], rates[1 + len(over):]
            threshold = next((t for (t, _), r in zip(over, longer) if r is not None), None)
            hit = next(((t, r) for (t, _), r in zip(mine, ours) if r is not None), None)
            if hit is not None and (threshold is None or hit[0] >= threshold):
                return tuple(lr if lr is not None else b for lr, b in zip(hit[1], base))
            return base if threshold is None else None

        yield (low, high), [piece for piece in _pieces(timelines, pick) if piece[4] is not None]


def _pieces(timelines: list[_Timeline], pick) -> Iterator[Piece]:
    """The first timeline's covered segments, cut at every edge and week piece of all of them;
    ``pick`` turns the rates of each timeline there (None: no segment) into the piece's rates."""
    edges = sorted({e for tl in timelines for e in tl.edges})
    for i, start in enumerate(edges):
        end = edges[i + 1] if i + 1 < len(edges) else None
        segments = [_segment_at(tl, start) for tl in timelines]
        if segments[0] is None:
            continue  # no standard price in force: unpriced there, whatever the other tiers say
        cuts = sorted({c for s in segments if s is not None for c in s.piece_starts})
        for j, cut in enumerate(cuts):
            nxt = cuts[j + 1] if j + 1 < len(cuts) else WEEK_SECONDS
            rates = [None if s is None else s.pieces[bisect_right(s.piece_starts, cut) - 1] for s in segments]
            yield (_us(start), None if end is None else _us(end), cut // 60, nxt // 60, pick(rates))


def _segment_at(timeline: _Timeline, edge: float):
    i = bisect_right(timeline.edges, edge) - 1
    return timeline.segments[i] if i >= 0 else None


def _row(provider: str, model: str, book: str, tier: str, band: tuple[int, int | None], piece: Piece,
         scale: int) -> tuple:
    from_us, to_us, minute_from, minute_to, rates = piece
    cells: list = []
    for rate in rates:
        if rate is None:
            cells += [None, None, None, None]
        else:
            cells += [rate.units, format(rate.price.normalize(), "f"), rate.tier, rate.promo]
    return (provider, model, book, tier, band[0], band[1], from_us, to_us, minute_from, minute_to,
            *cells, scale, None, None, None, None, None)


def alias_rows(pricer: Pricer) -> list[tuple]:
    """Rows pricing an alias id on the snapshot it named at each time (``db.reprice.aliases``),
    under the alias's own id: only where the history has no price of its own for the id (the
    provider's own word wins), only for aliases the history prices some snapshot of.  Each row
    says the snapshot (``priced_as``) and the note the row pricer writes; a switch whose instant
    is known to a window is a ``window`` row, its early placement in the ``early`` book."""
    from db.reprice.aliases import shipped
    from parsers.quote import iso_utc

    rows: list[tuple] = []
    for alias in shipped():
        provider = alias.provider
        named = [t for t in alias.targets if t.model is not None]
        if not any(pricer.knows(provider, pricer.resolve(provider, t.model)[0]) for t in named):
            continue
        key = pricer.canonical(provider, alias.alias) or alias.alias
        own = pricer._late.timelines.get((provider, key))
        own_spans = [] if own is None else [
            (_us(a), None if i + 1 == len(own.edges) else _us(own.edges[i + 1]))
            for i, (a, seg) in enumerate(zip(own.edges, own.segments)) if seg is not None]
        books = [("late", pricer._late, False)] + ([("early", pricer._early, True)] if any(
            t.changed_after is not None for t in alias.targets) else [])
        for name, book, early in books:
            starts = [micros(t.changed_after if early and t.changed_after is not None else t.start)
                      for t in alias.targets]
            for i, target in enumerate(alias.targets):
                if target.model is None:
                    continue  # a stretch no source covers: no rows, so unpriced
                span = (starts[i], starts[i + 1] if i + 1 < len(starts) else None)
                resolved, notes = pricer.resolve(provider, target.model)
                timeline = book.timelines.get((provider, resolved))
                if timeline is None:
                    continue
                how = "" if target.exact else " (the day is known, not the time)"
                extra = (resolved, notes[0] if notes else None,
                         f" named {target.model} from {iso_utc(target.start)}{how}: {target.source_url}", None, None)
                pieces = [(band, piece) for band, ps in _bands(book, provider, resolved, timeline) for piece in ps]
                pieces += [(band, piece, tier) for (p, m, tier), tl in sorted(book.services.items())
                           if (p, m) == (provider, resolved)
                           for band, ps in _service_bands(book, provider, resolved, tier, tl) for piece in ps]
                for item in pieces:
                    band, piece = item[0], item[1]
                    tier = item[2] if len(item) == 3 else "standard"
                    for clipped in _clip(piece, span, own_spans):
                        row = _row(provider, key, name, tier, band, clipped, pricer.scale)
                        rows.append(row[:-5] + extra)
        for previous, target in zip(alias.targets, alias.targets[1:]):
            a, b = (micros(target.changed_after), micros(target.start)) if target.changed_after else (0, 0)
            if target.changed_after is not None and previous.model and target.model and not any(
                    lo < b and (hi is None or a < hi) for lo, hi in own_spans):  # own prices win there
                rows.append((provider, key, "window", "any", 0, None, a, b, 0, WEEK_MINUTES) + (None,) * (4 * len(TOKEN_COMPONENTS))
                            + (pricer.scale, None, None, None, previous.model, target.model))
    return rows


def _clip(piece: "Piece", span: tuple[int, int | None], own: list[tuple[int, int | None]]) -> Iterator["Piece"]:
    """``piece`` cut to ``span`` and out of the ``own`` spans (where the id has its own price)."""
    start, end = max(piece[0], span[0]), _min_end(piece[1], span[1])
    if end is not None and start >= end:
        return
    cuts = [(start, end)]
    for a, b in own:
        out = []
        for lo, hi in cuts:
            if (b is not None and b <= lo) or (hi is not None and hi <= a):
                out.append((lo, hi))
                continue
            if lo < a:
                out.append((lo, a))
            if b is not None and (hi is None or b < hi):
                out.append((b, hi))
        cuts = out
    for lo, hi in cuts:
        yield (lo, hi, piece[2], piece[3], piece[4])


def _min_end(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def write_rates(table: RateTable, path: str | Path) -> None:
    """The rate table as Parquet (typed) or CSV (by the file's suffix), written atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise ValueError(f"{path}: the rate table is written as .parquet or .csv")
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp.with_suffix(".csv.part"), "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(RATE_COLUMNS)
        writer.writerows(table.rows)
    source = tmp.with_suffix(".csv.part")
    try:
        if suffix == ".csv":
            source.replace(path)
            return
        import duckdb

        con = duckdb.connect()
        types = ", ".join(f"'{c}': '{COLUMN_TYPES[c]}'" for c in RATE_COLUMNS)
        con.execute(f"COPY (SELECT * FROM read_csv(?, header=true, columns={{{types}}}))"
                    " TO '" + str(tmp).replace("'", "''") + "' (FORMAT PARQUET)", [str(source)])
        con.close()
        tmp.replace(path)
    finally:
        source.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)


__all__ = ["COLUMN_TYPES", "EPOCH_MONDAY_MINUTES", "RATE_COLUMNS", "RateTable", "WEEK_MINUTES", "compile_rates",
           "micros", "write_rates"]
