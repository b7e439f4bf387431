"""db.guard.screen: suspect quote sets are held until repeated, then count at their own time."""

from __future__ import annotations

from decimal import Decimal

from db.derive import Observation, SourceInfo, derive_history
from db.guard import CONFIRMED, DISCARDED, WAITING, screen, suspicion
from parsers.quote import Quote, iso_utc, parse_utc

SRC = SourceInfo("p-en", "p", ("USD",))


def q(model: str, price: str, component: str = "input", effective_from: str | None = None) -> Quote:
    return Quote("p", model, component, "USD", Decimal(price), price,
                 effective_from=parse_utc(effective_from) if effective_from else None)


def obs(n: int, day: int, *quotes: Quote, source: str = SRC.id) -> Observation:
    return Observation(n, source, parse_utc(f"2025-03-{day:02d}T03:00:00Z"), list(quotes))


FOUR = (q("a", "1"), q("b", "2"), q("c", "3"), q("d", "4"))


def ids(observations: list[Observation]) -> list[int]:
    return [o.id for o in observations]


def test_dropping_more_than_half_of_the_models_is_suspect_and_exactly_half_is_not():
    assert suspicion(obs(1, 1, *FOUR), obs(2, 2, q("a", "1"))) == (
        "lists 1 of the 4 models seen before (gone: b, c, d)",)
    assert suspicion(obs(1, 1, *FOUR), obs(2, 2, q("a", "1"), q("b", "2"))) == ()


def test_a_price_moving_more_than_tenfold_either_way_is_suspect_and_exactly_tenfold_is_not():
    before = obs(1, 1, q("a", "0.27"), q("a", "1.10", "output"))
    assert suspicion(before, obs(2, 2, q("a", "270"), q("a", "1.10", "output"))) == (
        "a input standard USD moves 0.27 -> 270 (more than 10x)",)
    assert suspicion(before, obs(2, 2, q("a", "0.27"), q("a", "0.00110", "output"))) == (
        "a output standard USD moves 1.1 -> 0.0011 (more than 10x)",)
    assert suspicion(before, obs(2, 2, q("a", "2.7"), q("a", "0.11", "output"))) == ()


def test_free_prices_and_announced_future_prices_are_not_compared():
    before = obs(1, 1, q("a", "0"), q("b", "1"))
    assert suspicion(before, obs(2, 2, q("a", "5"), q("b", "1"), q("b", "50", effective_from="2025-04-01T00:00:00Z"))) == ()


def test_a_suspect_repeated_by_the_next_observation_counts_from_its_own_time():
    log = [obs(1, 1, *FOUR), obs(2, 2, q("a", "0.5")), obs(3, 3, q("a", "0.5"))]
    screened = screen(log)
    assert ids(screened.accepted) == [1, 2, 3]
    assert [(s.observation.id, s.status) for s in screened.suspects] == [(2, CONFIRMED)]
    history = derive_history([SRC], screened.accepted)
    assert [(c.key[1], c.kind, iso_utc(c.effective_at)) for c in history.changes] == [
        ("a", "cut", "2025-03-02T03:00:00Z"), ("b", "removed", "2025-03-02T03:00:00Z"),
        ("c", "removed", "2025-03-02T03:00:00Z"), ("d", "removed", "2025-03-02T03:00:00Z")]


def test_a_suspect_followed_by_the_old_page_is_discarded_and_changes_nothing():
    log = [obs(1, 1, *FOUR), obs(2, 2, q("a", "1000"), *FOUR[1:]), obs(3, 3, *FOUR)]
    screened = screen(log)
    assert ids(screened.accepted) == [1, 3]
    assert [(s.observation.id, s.status) for s in screened.suspects] == [(2, DISCARDED)]
    assert derive_history([SRC], screened.accepted).changes == []


def test_a_suspect_followed_by_another_suspect_holds_the_newer_one():
    log = [obs(1, 1, *FOUR), obs(2, 2, q("a", "1000"), *FOUR[1:]), obs(3, 3, q("a", "0.001"), *FOUR[1:])]
    screened = screen(log)
    assert ids(screened.accepted) == [1]
    assert [(s.observation.id, s.status) for s in screened.suspects] == [(2, DISCARDED), (3, WAITING)]


def test_the_last_suspect_waits_and_other_sources_are_judged_on_their_own():
    other = SourceInfo("p-zh", "p", ("CNY",))
    log = [obs(1, 1, *FOUR), obs(2, 1, q("z", "1"), source=other.id),
           obs(3, 2, q("a", "1")), obs(4, 2, q("z", "1.5"), source=other.id)]
    screened = screen(log)
    assert ids(screened.accepted) == [1, 2, 4]
    assert [(s.observation.id, s.status, s.reasons) for s in screened.suspects] == [
        (3, WAITING, ("lists 1 of the 4 models seen before (gone: b, c, d)",))]


def test_screening_ignores_arrival_order():
    log = [obs(3, 3, q("a", "0.5")), obs(1, 1, *FOUR), obs(2, 2, q("a", "0.5"))]
    assert ids(screen(log).accepted) == [1, 2, 3]


def test_only_the_findings_must_repeat_so_a_changing_catalogue_is_never_stuck():
    # Day 2 moves a 17x (a real OpenRouter change); day 3 keeps it but another model changes too.
    log = [obs(1, 1, q("a", "0.02"), q("b", "1")), obs(2, 2, q("a", "0.34"), q("b", "1")),
           obs(3, 3, q("a", "0.34"), q("b", "0.9")), obs(4, 4, q("a", "0.34"), q("b", "0.8"))]
    screened = screen(log)
    assert ids(screened.accepted) == [1, 2, 3, 4]
    assert [(s.observation.id, s.status, s.reasons) for s in screened.suspects] == [
        (2, CONFIRMED, ("a input standard USD moves 0.02 -> 0.34 (more than 10x)",))]
    history = derive_history([SRC], screened.accepted)
    assert [(c.key[1], str(c.new.price), iso_utc(c.effective_at)) for c in history.changes] == [
        ("a", "0.34", "2025-03-02T03:00:00Z"), ("b", "0.9", "2025-03-03T03:00:00Z"),
        ("b", "0.8", "2025-03-04T03:00:00Z")]


def test_the_repeat_is_itself_judged_against_the_confirmed_page():
    log = [obs(1, 1, q("a", "1"), q("b", "1")), obs(2, 2, q("a", "100"), q("b", "1")),
           obs(3, 3, q("a", "100"), q("b", "100"))]
    screened = screen(log)
    assert ids(screened.accepted) == [1, 2]
    assert [(s.observation.id, s.status) for s in screened.suspects] == [(2, CONFIRMED), (3, WAITING)]
