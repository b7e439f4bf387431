"""Holding suspect observations back from the history, so a broken page never reads as a price change.

A page that suddenly drops more than half of the models it listed, or moves a price by more than
10x (per-1K read as per-1M), is far more often a broken page or parser than a real change.  Such an
observation is *suspect*: it stays in the log (recorded, and reported by ``ratecard scrape``,
``nightly`` and ``status``), but the history ignores it until the next healthy observation of the same source
shows the same findings again (the same models still gone, the same new prices).  Then it counts
at its own time, so a real change still takes effect when it was first seen; otherwise it is
discarded for good.  Only the findings must repeat, not the whole page: a catalogue such as
OpenRouter changes somewhere every day, and a real 17x price move must not hold it for ever.

``screen`` is a pure function of the observation log (ordered by ``observed_at``, ties by id, like
``db.derive``), so ``rebuild`` gives exactly the history the nightly runs gave.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from db.derive import Key, Observation
from parsers.quote import decimal_text

#: A price moving by more than this factor either way is suspect (1000x is per-1K vs per-1M).
MAX_FACTOR = Decimal(10)

WAITING, CONFIRMED, DISCARDED = "waiting", "confirmed", "discarded"


@dataclass(frozen=True)
class Findings:
    """What makes an observation suspect, relative to the last accepted one of its source."""

    models_before: int
    gone: frozenset[str]
    moves: tuple[tuple[Key, Decimal, Decimal], ...]  # (series, old price, new price)

    def __bool__(self) -> bool:
        return bool(self.gone) or bool(self.moves)

    def reasons(self) -> tuple[str, ...]:
        out = []
        if self.gone:
            gone = sorted(self.gone)
            shown = ", ".join(gone[:5]) + (f" and {len(gone) - 5} more" if len(gone) > 5 else "")
            out.append(f"lists {self.models_before - len(gone)} of the {self.models_before} models"
                       f" seen before (gone: {shown})")
        for (_provider, model, component, tier, currency), old, new in self.moves:
            out.append(f"{model} {component} {tier} {currency} moves {decimal_text(old)}"
                       f" -> {decimal_text(new)} (more than {MAX_FACTOR}x)")
        return tuple(out)


@dataclass(frozen=True)
class Suspect:
    """A held observation: ``waiting`` for its repeat, ``confirmed`` by it, or ``discarded``."""

    observation: Observation
    reasons: tuple[str, ...]
    status: str


@dataclass(frozen=True)
class Screened:
    accepted: list[Observation]
    suspects: list[Suspect]


def screen(observations: Iterable[Observation]) -> Screened:
    """Split ``observations`` into those the history may use and the suspects (every status)."""
    ordered = sorted(observations, key=lambda o: (o.observed_at, o.id))
    accepted: list[Observation] = []
    suspects: list[Suspect] = []
    baseline: dict[str, Observation] = {}
    held: dict[str, tuple[Observation, Findings]] = {}
    for obs in ordered:
        source = obs.source_id
        pending = held.pop(source, None)
        if pending is not None:
            first, found = pending
            repeated = _repeats(found, findings(baseline[source], obs), obs)
            suspects.append(Suspect(first, found.reasons(), CONFIRMED if repeated else DISCARDED))
            if repeated:
                accepted.append(first)
                baseline[source] = first
        found = findings(baseline.get(source), obs)
        if found:
            held[source] = (obs, found)
        else:
            accepted.append(obs)
            baseline[source] = obs
    suspects += [Suspect(first, found.reasons(), WAITING) for first, found in held.values()]
    accepted.sort(key=lambda o: (o.observed_at, o.id))
    suspects.sort(key=lambda s: (s.observation.observed_at, s.observation.id))
    return Screened(accepted, suspects)


def findings(before: Observation | None, now: Observation) -> Findings:
    """What in ``now`` looks like a broken read of the page ``before`` showed (falsy: nothing)."""
    if before is None or before.quotes is now.quotes:  # the same stored quote set: nothing moved
        return Findings(0, frozenset(), ())
    old_models = {q.model for q in before.quotes}
    gone = old_models - {q.model for q in now.quotes}
    old_prices, new_prices = _in_force(before), _in_force(now)
    moves = tuple((key, old_prices[key], new_prices[key])
                  for key in sorted(old_prices.keys() & new_prices.keys())
                  if _jump(old_prices[key], new_prices[key]))
    return Findings(len(old_models), frozenset(gone) if 2 * len(gone) > len(old_models) else frozenset(),
                    moves)


def suspicion(before: Observation | None, now: Observation) -> tuple[str, ...]:
    """Why ``now`` is suspect after ``before``, as sentences for people; empty: it is not."""
    return findings(before, now).reasons()


def _repeats(held: Findings, again: Findings, obs: Observation) -> bool:
    """Whether the next observation shows what the held one found: same models gone, same prices."""
    prices = _in_force(obs)
    return held.gone <= again.gone and all(prices.get(key) == new for key, _old, new in held.moves)


def _jump(old: Decimal, new: Decimal) -> bool:
    return old > 0 and new > 0 and (new > old * MAX_FACTOR or old > new * MAX_FACTOR)


def _in_force(obs: Observation) -> dict[Key, Decimal]:
    """The price in force per series when ``obs`` was made (announced future prices left out)."""
    prices: dict[Key, Decimal] = {}
    for q in obs.quotes:
        if q.effective_from is None or q.effective_from <= obs.observed_at:
            prices.setdefault(q.key, q.price)
    return prices


__all__ = ["CONFIRMED", "DISCARDED", "MAX_FACTOR", "WAITING", "Findings", "Screened", "Suspect",
           "findings", "screen", "suspicion"]
