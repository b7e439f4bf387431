"""Why a price cut did not cut the bill by as much: one workload priced before and after.

Each component's announced change moves the bill in proportion to that component's share of the
bill before: ``realised change = sum(share_c x announced_c)``.  A 50 % cut on cache misses that
are a fifth of the bill takes 10 points off it, not 50.  The breakdown below is exact (integer
cost units); only the printed percentages are rounded.

``before`` and ``after`` follow the pricer's meaning of a time (see :mod:`db.reprice.pricer`): an
instant prices every row there; a date moves each row to that date at its own time of day (a
row with a date only covers the whole day).  A row priced at a range (a whole day with several
rates, a change of unknown instant) counts at its higher cost; the lower bounds are summed
beside (``lowest_before``/``lowest_after``) and such rows counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from db.reprice.pricer import Pricer, Unpriced, When
from db.reprice.usage import TOKEN_COMPONENTS, UsageRow


@dataclass
class ComponentChange:
    """One (provider, model, component) of the workload on both sides of the change."""

    provider: str
    model: str
    component: str
    tokens: int = 0
    price_before: Decimal | None = None
    price_after: Decimal | None = None
    tier_before: str = ""
    tier_after: str = ""
    units_before: int = 0
    units_after: int = 0

    @property
    def announced(self) -> Decimal | None:
        """The change of the per-token price, as a fraction (-0.5 is a 50 % cut)."""
        if self.price_before is None or self.price_after is None or not self.price_before:
            return None
        return (self.price_after - self.price_before) / self.price_before


@dataclass
class Explanation:
    before: When
    after: When
    components: list[ComponentChange] = field(default_factory=list)
    unpriced: list[Unpriced] = field(default_factory=list)
    rows: int = 0
    lowest_before: int = 0     # the bills' lower bounds (equal to the bills when nothing is uncertain)
    lowest_after: int = 0
    ranged_before: int = 0     # rows priced at a range on each side: whole days with several rates
    ranged_after: int = 0
    uncertain_before: int = 0  # ... of which rows in the window of a change of unknown instant
    uncertain_after: int = 0

    @property
    def units_before(self) -> int:
        return sum(c.units_before for c in self.components)

    @property
    def units_after(self) -> int:
        return sum(c.units_after for c in self.components)

    @property
    def realised(self) -> Decimal | None:
        """The change of the whole bill, as a fraction."""
        if not self.units_before:
            return None
        return Decimal(self.units_after - self.units_before) / Decimal(self.units_before)

    def share(self, c: ComponentChange) -> Decimal | None:
        """The component's share of the bill before the change."""
        return Decimal(c.units_before) / Decimal(self.units_before) if self.units_before else None

    def contribution(self, c: ComponentChange) -> Decimal | None:
        """How much of the bill's change (as a fraction of the bill before) this component made."""
        if not self.units_before:
            return None
        return Decimal(c.units_after - c.units_before) / Decimal(self.units_before)


def explain(pricer: Pricer, rows: Iterable[UsageRow], before: When | datetime,
            after: When | datetime) -> Explanation:
    """Price every row at ``before`` and at ``after``; rows priced on only one side are set aside."""
    before = before if isinstance(before, When) else When(before)
    after = after if isinstance(after, When) else When(after)
    result = Explanation(before, after)
    by_key: dict[tuple[str, ...], ComponentChange] = {}
    for row in rows:
        a, b = pricer.price(row, at=before), pricer.price(row, at=after)
        if isinstance(a, Unpriced) or isinstance(b, Unpriced):
            result.unpriced.append(a if isinstance(a, Unpriced) else b)  # type: ignore[arg-type]
            continue
        result.rows += 1
        result.lowest_before += a.units if a.lowest_units is None else a.lowest_units
        result.lowest_after += b.units if b.lowest_units is None else b.lowest_units
        result.ranged_before += a.lowest_units is not None
        result.ranged_after += b.lowest_units is not None
        result.uncertain_before += a.uncertain is not None
        result.uncertain_after += b.uncertain is not None
        # Same tokens on both sides, so the same components in the same order.
        for (component, tokens, rate_a, units_a), (_, _, rate_b, units_b) in zip(a.components, b.components):
            # Rows on other tiers (a long prompt's context>200k rates, off-peak hours) or at other
            # prices (a date on which a version changes) are lines of their own.
            key = (a.provider, a.model, component, rate_a.tier, rate_b.tier, rate_a.price, rate_b.price)
            change = by_key.get(key)
            if change is None:
                change = by_key[key] = ComponentChange(
                    a.provider, a.model, component, price_before=rate_a.price, price_after=rate_b.price,
                    tier_before=rate_a.tier, tier_after=rate_b.tier)
            change.tokens += tokens
            change.units_before += units_a
            change.units_after += units_b
    order = {c: i for i, c in enumerate(TOKEN_COMPONENTS)}
    result.components = sorted(by_key.values(), key=lambda c: (c.provider, c.model, order[c.component]))
    return result


def percent(fraction: Decimal | None) -> str | None:
    """A fraction as a signed percentage with two decimals (``-0.5`` -> ``-50.00``)."""
    if fraction is None:
        return None
    value = (fraction * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    return f"{value:+f}"


__all__ = ["ComponentChange", "Explanation", "explain", "percent"]
