"""db.history.update re-derives only the series a scrape touched, and gives exactly the rows a full
rebuild gives: checked night after night on random histories with every kind of event the guard
and the derivation handle (price moves, jumps, prices to 0, removals, pages held whole, failed
fetches, announcements, promos, a second page showing the currency tab), and on backfills."""

from __future__ import annotations

import random
import shutil
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from db.history import rebuild, update
from db.observe import record_observation
from db.schema import DERIVED_TABLES, open_db
from parsers import registry
from parsers.quote import Quote

EN, ZH = registry.sources("deepseek")  # USD authority, CNY authority; each page shows both
START = datetime(2025, 1, 1, 3, 0, tzinfo=timezone.utc)
MODELS = [f"m{i}" for i in range(8)]


def snapshot(db) -> dict[str, list]:
    return {t: sorted((tuple(sorted(r.items())) for r in db.query(f"SELECT * FROM {t}")), key=repr)
            for t in DERIVED_TABLES}


def full_rebuild_of(path: Path, scratch: Path) -> dict[str, list]:
    shutil.copy(path, scratch)
    db = open_db(scratch)
    for table in DERIVED_TABLES:
        db.execute(f"DELETE FROM {table}")
    rebuild(db)
    out = snapshot(db)
    db.close()
    return out


class Catalogue:
    """A random provider catalogue evolving night by night, and the pages it shows."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.prices = {m: Decimal(rng.choice(["0.1", "0.25", "1", "2.5", "4"])) for m in MODELS[:6]}
        self.announced: tuple[datetime, str, Decimal] | None = None
        self.promo: tuple[str, datetime] | None = None
        self.off_peak: set[str] = set()  # models that also show an off-peak tier

    def evolve(self, at: datetime) -> None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.25 and self.prices:
            m = rng.choice(sorted(self.prices))
            self.prices[m] = (self.prices[m] * Decimal(rng.choice(["0.5", "0.8", "1.25", "2", "20", "0.04"]))
                              ).quantize(Decimal("0.0001"))
        elif roll < 0.32 and len(self.prices) > 2:
            del self.prices[rng.choice(sorted(self.prices))]
        elif roll < 0.40:
            missing = [m for m in MODELS if m not in self.prices]
            if missing:
                self.prices[rng.choice(missing)] = Decimal(rng.choice(["0", "0.3", "3"]))
        elif roll < 0.46 and self.announced is None and self.prices:
            self.announced = (at + timedelta(days=rng.choice([1, 2, 3]), hours=-1), rng.choice(sorted(self.prices)),
                              Decimal(rng.choice(["0.05", "0.6", "7"])))
        elif roll < 0.50 and self.promo is None and self.prices:
            self.promo = (rng.choice(sorted(self.prices)), at + timedelta(days=rng.choice([1, 2]), hours=5))
        elif roll < 0.58:
            self.off_peak ^= {rng.choice(MODELS[:4])}  # a tier added, or dropped while the model stays
        if self.announced and self.announced[0] <= at:
            _when, m, price = self.announced
            if m in self.prices:
                self.prices[m] = price
            self.announced = None
        if self.promo and self.promo[1] <= at:
            self.promo = None

    def quotes(self, at: datetime, fault: str | None) -> list[Quote]:
        out = []
        for m, price in sorted(self.prices.items()):
            shown = Decimal(0) if fault == "zero" else price
            if fault == "half" and MODELS.index(m) % 2:
                continue
            if fault == "units" and m == min(self.prices):
                shown = price * 1000
            for currency, factor in (("USD", Decimal(1)), ("CNY", Decimal(7))):
                promo = self.promo if self.promo and self.promo[0] == m else None
                out.append(Quote("deepseek", m, "input", currency, shown * factor, str(shown * factor),
                                 list_price=shown * factor * 2 if promo else None,
                                 promo_until=promo[1] if promo else None))
            if m in self.off_peak:
                out.append(Quote("deepseek", m, "input", "USD", shown / 2, str(shown / 2), tier="off_peak",
                                 window="16:30-00:30 UTC"))
            if self.announced and self.announced[1] == m:
                when, _m, new = self.announced
                out.append(Quote("deepseek", m, "input", "USD", new, str(new), effective_from=when))
                out.append(Quote("deepseek", m, "input", "USD", new * 2, str(new * 2), tier="peak",
                                 window="01:00-09:00 UTC", effective_from=when))
        return out


def record_night(db, catalogue: Catalogue, at: datetime, rng: random.Random) -> list[int]:
    ids = []
    for source in (EN, ZH):
        fault = rng.choices([None, "zero", "half", "units", "failed", "tab"], [70, 5, 5, 5, 10, 5])[0]
        if fault == "failed":
            ids.append(record_observation(db, source, at, 500, None, None, "HTTP 500", None, outcome="fetch_failed"))
            continue
        quotes = catalogue.quotes(at, fault)
        if fault == "tab":  # the other page's tab disagrees with its own page
            quotes = [q if q.currency != ("CNY" if source is EN else "USD") else
                      Quote(q.provider, q.model, q.component, q.currency, q.price + 1, str(q.price + 1))
                      for q in quotes]
        if not quotes:
            ids.append(record_observation(db, source, at, 200, b"x", None, "no quotes", "1"))
            continue
        ids.append(record_observation(db, source, at, 200, None, quotes, None, "1"))
    return ids


@pytest.mark.parametrize("seed", range(6))
def test_nightly_updates_give_the_rows_of_a_full_rebuild(tmp_path, seed):
    rng = random.Random(seed)
    path = tmp_path / "prices.db"
    db = open_db(path)
    catalogue = Catalogue(rng)
    events = 0
    for n in range(45):
        at = START + timedelta(days=n)
        catalogue.evolve(at)
        ids = record_night(db, catalogue, at, rng)
        update(db, ["deepseek"], ids)
        assert snapshot(db) == full_rebuild_of(path, tmp_path / "scratch.db"), f"night {n}"
    events = len(list(db.query("SELECT 1 FROM changes")))
    assert events > 20  # the histories are not trivial


def test_a_backfill_older_than_the_newest_night_re_derives_in_full(tmp_path):
    rng = random.Random(7)
    path = tmp_path / "prices.db"
    db = open_db(path)
    catalogue = Catalogue(rng)
    nights = []
    for n in range(12):
        at = START + timedelta(days=n)
        catalogue.evolve(at)
        nights.append((at, catalogue.quotes(at, None)))
    for at, quotes in nights[6:] + list(reversed(nights[:6])):  # nightly runs first, then the past
        ids = [record_observation(db, source, at, 200, None, quotes, None, "1", archive=True) for source in (EN, ZH)]
        update(db, ["deepseek"], ids)
        assert snapshot(db) == full_rebuild_of(path, tmp_path / "scratch.db")
