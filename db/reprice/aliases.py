"""Model aliases over time: ``gpt-4o``, ``mistral-large-latest``, ``grok-2-latest`` name different
snapshots at different dates, so a usage row is priced on the snapshot its alias named *then*.

The facts live in ``db/reprice/aliases.json``: per (provider, alias) the targets in time order,
each with ``from`` (the instant it took over), its public source, and ``exact`` as in the curated
history (``false``: only the day is known).  A target may say ``changed_after``: the previous
target was surely still in place then, so the switch lies in (``changed_after``, ``from``).  A
``null`` target says the alias's price is not known from then (a stretch no source covers): its
rows are unpriced with that reason, never priced on a guessed snapshot.

When the table is consulted (the rule, in one place: :func:`price_by_alias`):

* only when the history prices at least one of the alias's snapshots in the asked currency (a
  history built from pages alone, which never name them, is priced exactly as without the table);
* only when the history has **no price of its own** for the row's id at the row's time.  A page
  that prices the alias itself (OpenAI lists ``gpt-4o``; Mistral's 2026 page lists
  ``mistral-medium-latest``) is the provider's own statement and wins; the table fills in where
  the pages price only dated ids (``mistral-large-2407``) or name no price for the alias then;
* the target is priced by the ordinary rules (its own prices, or its dated-snapshot fallback), and
  the row's note says which snapshot the alias named and the source;
* a row inside a switch window (``changed_after`` < row < ``from``), or a whole day during which
  the alias switched, is priced on every target it may have used; if the costs differ the row
  carries both (``uncertain``, the higher counted), exactly like a price change of unknown instant.

The batch pricer needs nothing: an alias with no price of its own in a span is "unpriced" on the
fast path, which sends its rows to the row path, which comes here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from db.errors import DataError
from db.jsonfields import FieldReader, read_json
from parsers import registry
from parsers.quote import decimal_text, iso_utc

if TYPE_CHECKING:
    from db.reprice.pricer import Priced, Pricer, Unpriced, When
    from db.reprice.usage import UsageRow

ALIASES_FILE = Path(__file__).with_name("aliases.json")
DAY = timedelta(days=1)


class AliasError(DataError):
    """An alias file that does not follow the format; the message names file and field."""


@dataclass(frozen=True)
class Target:
    """The snapshot an alias named from ``start`` (None: not known from then)."""

    start: datetime
    model: str | None
    exact: bool
    source_url: str
    note: str = ""
    changed_after: datetime | None = None


@dataclass(frozen=True)
class Alias:
    provider: str
    alias: str
    targets: tuple[Target, ...]

    def candidates(self, start: datetime, end: datetime) -> tuple[Target | None, list[Target]]:
        """The target in force at ``start`` and every later one the span [start, end] may have
        used (``end == start``: an instant): switches inside the span or whose window holds it."""
        late = None
        later: list[Target] = []
        for target in self.targets:
            if target.start <= start:
                late = target
            elif start < end:  # a whole day: a switch inside it, or a switch window meeting it
                if target.start < end or (target.changed_after is not None and target.changed_after < end):
                    later.append(target)
            elif target.changed_after is not None and target.changed_after < start:
                later.append(target)  # an instant inside the window of a switch
        return late, later

    def target_at(self, instant: datetime) -> Target | None:
        late, _ = self.candidates(instant, instant)
        return late


class AliasTable:
    """Every known alias, looked up by (provider, alias id ignoring case)."""

    def __init__(self, aliases: list[Alias]) -> None:
        self._by_key = {(a.provider, a.alias.lower()): a for a in aliases}

    def __iter__(self):
        return iter(self._by_key.values())

    def get(self, provider: str, model: str) -> Alias | None:
        return self._by_key.get((provider, model.lower()))


def read_table(path: Path = ALIASES_FILE) -> AliasTable:
    """Read and validate an alias file; a bad one raises :class:`AliasError` naming file and field."""
    return AliasTable(_Reader(path).read(read_json(path, AliasError)))


@lru_cache(maxsize=1)
def shipped() -> AliasTable:
    """The table shipped with ratecard (read once per process)."""
    return read_table()


class _Reader(FieldReader):
    error = AliasError

    def read(self, data: Any) -> list[Alias]:
        if not isinstance(data, dict) or not isinstance(data.get("aliases"), list):
            raise self.fail("(top level)", 'must be an object with a list "aliases"')
        out: list[Alias] = []
        seen: set[tuple[str, str]] = set()
        for i, raw in enumerate(data["aliases"]):
            where = f"aliases[{i}]"
            self.object(raw, where, {"provider", "alias", "targets"}, {"provider", "alias", "targets"})
            provider, alias = self.text(raw["provider"], f"{where}.provider"), self.text(raw["alias"], f"{where}.alias")
            if provider not in registry.PROVIDER_MODULES:
                raise self.fail(f"{where}.provider", f"unknown provider {provider!r}")
            if (provider, alias.lower()) in seen:
                raise self.fail(f"{where}.alias", f"{provider}/{alias} is listed twice")
            seen.add((provider, alias.lower()))
            targets: list[Target] = []
            if not isinstance(raw["targets"], list) or not raw["targets"]:
                raise self.fail(f"{where}.targets", "must be a non-empty list")
            for j, t in enumerate(raw["targets"]):
                targets.append(self.target(t, f"{where}.targets[{j}]", targets[-1] if targets else None))
            out.append(Alias(provider, alias, tuple(targets)))
        names = {(a.provider, a.alias.lower()) for a in out}
        for a in out:
            for t in a.targets:
                if t.model is not None and (a.provider, t.model.lower()) in names:
                    raise self.fail(f"{a.provider}/{a.alias}", f"target {t.model!r} is itself an alias")
        return out

    def target(self, raw: Any, where: str, previous: Target | None) -> Target:
        self.object(raw, where, {"from", "model", "exact", "source_url", "note", "changed_after"},
                    {"from", "model", "exact", "source_url"})
        start = self.instant(raw["from"], f"{where}.from")
        model = raw["model"]
        if model is not None:
            model = self.text(model, f"{where}.model")
        if not isinstance(raw["exact"], bool):
            raise self.fail(f"{where}.exact", "must be true or false")
        url = self.url(raw["source_url"], f"{where}.source_url")
        changed_after = self.instant(raw["changed_after"], f"{where}.changed_after") if "changed_after" in raw else None
        if previous is not None and start <= previous.start:
            raise self.fail(f"{where}.from", f"{iso_utc(start)} is not after the previous target's")
        if changed_after is not None and (previous is None or raw["exact"]
                                          or not previous.start < changed_after < start):
            raise self.fail(f"{where}.changed_after", "must lie between the previous target's from and this"
                            " from, on a target with exact false")
        return Target(start, model, raw["exact"], url, self.text(raw.get("note", ""), f"{where}.note", True),
                      changed_after)


def price_by_alias(pricer: "Pricer", row: "UsageRow", at: "When | datetime | None" = None,
                   table: AliasTable | None = None) -> "Priced | Unpriced | None":
    """The row priced through its alias, or None when the alias table does not apply (see the
    module docstring: not an alias, the history prices the id itself then, or before the alias's
    first known target)."""
    from db.reprice.pricer import Priced, Uncertain, Unpriced, placed

    alias = (table or shipped()).get(row.provider, row.model)
    if alias is None or not any(pricer.knows(row.provider, pricer.resolve(row.provider, t.model)[0])
                                for t in alias.targets if t.model is not None):
        return None  # a history that prices none of its snapshots: the ordinary rules answer
    start, whole_day = placed(row, at)
    own = pricer.canonical(row.provider, row.model)
    if own is not None and pricer.rates_at(row.provider, own, start) is not None:
        return None  # the history prices the id itself at that time: the provider's own word
    end = start + DAY if whole_day else start
    late, later = alias.candidates(start, end)
    if late is None:
        if later:
            return None  # a whole day reaching the first target: the ordinary rules say why
        first = alias.targets[0]
        return Unpriced(row, "time", f"{iso_utc(start)} is before {row.provider}/{row.model} named any model"
                        f" (from {iso_utc(first.start)} it named {first.model or 'an unknown model'})")
    if late.model is None:
        return Unpriced(row, "model", f"{row.provider}/{row.model}: which model it named from"
                        f" {iso_utc(late.start)} is not known ({late.note or late.source_url})")
    sides = [_on_target(pricer, row, at, alias, t) for t in [late, *later] if t.model is not None]
    first = sides[0]
    if len(sides) == 1 or isinstance(first, Unpriced):
        return first
    switch = later[0]
    a = switch.changed_after if switch.changed_after is not None else switch.start
    priced = [s for s in sides if isinstance(s, Priced)]
    high = max(priced, key=lambda p: p.units)
    if all(p.units == first.units and p.lowest_units == first.lowest_units for p in priced):
        return first
    other = priced[-1]
    lows = [p.units if p.lowest_units is None else p.lowest_units for p in priced]
    note = (f"{row.model} switched from {late.model} to {switch.model} between {iso_utc(a)} and"
            f" {iso_utc(switch.start)}: {decimal_text(pricer.money(first.units))} on {late.model},"
            f" {decimal_text(pricer.money(other.units))} on {other.model}; the higher is counted")
    return high._replace(lowest_units=min(lows) if min(lows) != high.units else None,
                         notes=high.notes + (note,),
                         uncertain=Uncertain(a, switch.start, first.units, other.units))


def _on_target(pricer: "Pricer", row: "UsageRow", at: "When | datetime | None", alias: Alias,
               target: Target) -> "Priced | Unpriced":
    from db.reprice.pricer import Unpriced

    assert target.model is not None
    result = pricer.price(row._replace(model=target.model), at)
    if isinstance(result, Unpriced):
        if pricer.canonical(row.provider, target.model) is None:  # not the reason of a look-alike id
            return Unpriced(row, "model", f"{row.model} named {target.model} then, which has no"
                            f" {pricer.currency} price in the history")
        return Unpriced(row, result.field, f"{row.model} named {target.model} then: {result.reason}")
    how = "" if target.exact else " (the day is known, not the time)"
    note = f"{row.model} named {target.model} from {iso_utc(target.start)}{how}: {target.source_url}"
    return result._replace(row=row, notes=result.notes + (note,))


__all__ = ["ALIASES_FILE", "Alias", "AliasError", "AliasTable", "Target", "price_by_alias", "read_table",
           "shipped"]
