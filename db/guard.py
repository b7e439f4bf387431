"""Holding suspect observations back from the history, so a broken page never reads as a price change.

A page that suddenly drops more than half of the models it listed, or moves a price by more than
10x (per-1K read as per-1M), is far more often a broken page or parser than a real change.  Such an
observation is *suspect*: it stays in the log (recorded, and reported by ``ratecard status`` and
the nightly run), but the history ignores it until the next healthy observation of the same source
shows the very same quote set.  Then both count, each at its own time, so a real change still takes
effect when it was first seen.  A suspect followed by anything else is discarded for good.

``screen`` is a pure function of the observation log (ordered by ``observed_at``, ties by id, like
``db.derive``), so ``rebuild`` gives exactly the history the nightly runs gave.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from db.derive import Key, Observation

#: A price moving by more than this factor either way is suspect (1000x is per-1K vs per-1M).
MAX_FACTOR = Decimal(10)

WAITING, CONFIRMED, DISCARDED = "waiting", "confirmed", "discarded"


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
    held: dict[str, tuple[Observation, tuple[str, ...]]] = {}
    for obs in ordered:
        pending = held.pop(obs.source_id, None)
        if pending is not None:
            first, reasons = pending
            if list(first.quotes) == list(obs.quotes):
                suspects.append(Suspect(first, reasons, CONFIRMED))
                accepted += [first, obs]
                baseline[obs.source_id] = obs
                continue
            suspects.append(Suspect(first, reasons, DISCARDED))
        reasons = suspicion(baseline.get(obs.source_id), obs)
        if reasons:
            held[obs.source_id] = (obs, reasons)
        else:
            accepted.append(obs)
            baseline[obs.source_id] = obs
    suspects += [Suspect(first, reasons, WAITING) for first, reasons in held.values()]
    accepted.sort(key=lambda o: (o.observed_at, o.id))
    suspects.sort(key=lambda s: (s.observation.observed_at, s.observation.id))
    return Screened(accepted, suspects)


def suspicion(before: Observation | None, now: Observation) -> tuple[str, ...]:
    """Why ``now`` looks like a broken read of the page ``before`` showed; empty: it does not."""
    if before is None:
        return ()
    reasons = []
    old_models = {q.model for q in before.quotes}
    gone = sorted(old_models - {q.model for q in now.quotes})
    if 2 * len(gone) > len(old_models):
        kept = len(old_models) - len(gone)
        shown = ", ".join(gone[:5]) + (f" and {len(gone) - 5} more" if len(gone) > 5 else "")
        reasons.append(f"lists {kept} of the {len(old_models)} models seen before (gone: {shown})")
    old_prices, new_prices = _in_force(before), _in_force(now)
    for key in sorted(old_prices.keys() & new_prices.keys()):
        old, new = old_prices[key], new_prices[key]
        if old > 0 and new > 0 and (new > old * MAX_FACTOR or old > new * MAX_FACTOR):
            _provider, model, component, tier, currency = key
            reasons.append(f"{model} {component} {tier} {currency} moves {old} -> {new}"
                           f" (more than {MAX_FACTOR}x)")
    return tuple(reasons)


def _in_force(obs: Observation) -> dict[Key, Decimal]:
    """The price in force per series when ``obs`` was made (announced future prices left out)."""
    prices: dict[Key, Decimal] = {}
    for q in obs.quotes:
        if q.effective_from is None or q.effective_from <= obs.observed_at:
            prices.setdefault(q.key, q.price)
    return prices


__all__ = ["CONFIRMED", "DISCARDED", "MAX_FACTOR", "WAITING", "Screened", "Suspect", "screen", "suspicion"]
