"""db.guard.screen judges price series: a suspect series is held on its own, the rest goes in, and a
confirmed change counts from the observation that first showed it."""

from __future__ import annotations

from decimal import Decimal

from db.derive import Observation, SourceInfo, derive_history
from db.guard import CONFIRMED, DISCARDED, WAITING, screen
from parsers.quote import Quote, iso_utc, parse_utc

SRC = SourceInfo("p-en", "p", ("USD",))


def q(model: str, price: str, component: str = "input", effective_from: str | None = None) -> Quote:
    return Quote("p", model, component, "USD", Decimal(price), price,
                 effective_from=parse_utc(effective_from) if effective_from else None)


def obs(n: int, day: int, *quotes: Quote, source: str = SRC.id) -> Observation:
    return Observation(n, source, parse_utc(f"2025-03-{day:02d}T03:00:00Z"), list(quotes))


FOUR = (q("a", "1"), q("b", "2"), q("c", "3"), q("d", "4"))


def changes(log: list[Observation], sources=(SRC,)) -> list[tuple]:
    """(model, component, old, new, effective_at, observed_after) of the guarded history."""
    history = derive_history(list(sources), screen(log).accepted)
    return [(c.key[1], c.key[2], c.old and str(c.old.price), c.new and str(c.new.price),
             iso_utc(c.effective_at)[8:10], c.observed_after and iso_utc(c.observed_after)[8:10])
            for c in history.changes]


def held(log: list[Observation]) -> list[tuple]:
    return [(s.observation.id, s.status, s.reasons) for s in screen(log).suspects]


def test_a_jump_is_held_alone_and_the_other_series_go_in_on_time():
    log = [obs(1, 1, *FOUR), obs(2, 2, q("a", "1000"), q("b", "1.5"), *FOUR[2:]), obs(3, 3, *FOUR[:1], q("b", "1.5"), *FOUR[2:])]
    assert held(log) == [(2, DISCARDED, ("a input standard USD moves 1 -> 1000 (more than 10x)",))]
    assert changes(log) == [("b", "input", "2", "1.5", "02", "01")]


def test_a_held_jump_is_confirmed_by_the_next_night_and_counts_from_its_first_night():
    log = [obs(1, 1, *FOUR), obs(2, 2, q("a", "100"), *FOUR[1:]), obs(3, 3, q("a", "100"), *FOUR[1:])]
    assert held(log) == [(2, CONFIRMED, ("a input standard USD moves 1 -> 100 (more than 10x)",))]
    assert changes(log) == [("a", "input", "1", "100", "02", "01")]


def test_a_third_price_confirms_the_move_and_is_recorded_in_turn():
    log = [obs(1, 1, *FOUR), obs(2, 2, q("a", "100"), *FOUR[1:]), obs(3, 3, q("a", "120"), *FOUR[1:])]
    assert [s.status for s in screen(log).suspects] == [CONFIRMED]
    assert changes(log) == [("a", "input", "1", "100", "02", "01"), ("a", "input", "100", "120", "03", "02")]


def test_a_price_to_zero_is_held_and_dropped_when_the_old_price_returns():
    log = [obs(1, 1, *FOUR), obs(2, 2, q("a", "0"), *FOUR[1:]), obs(3, 3, *FOUR)]
    assert held(log) == [(2, DISCARDED, ("a input standard USD moves 1 -> 0",))]
    assert changes(log) == []


def test_a_free_model_becoming_paid_and_a_new_series_are_not_suspect():
    log = [obs(1, 1, q("a", "0"), q("b", "1")), obs(2, 2, q("a", "5"), q("b", "1"), q("e", "7"))]
    assert held(log) == []
    assert changes(log) == [("a", "input", "0", "5", "02", "01"), ("e", "input", None, "7", "02", "01")]


def test_a_gone_series_is_held_then_removed_at_its_first_night():
    log = [obs(1, 1, *FOUR), obs(2, 2, *FOUR[:3]), obs(3, 3, *FOUR[:3])]
    assert held(log) == [(2, CONFIRMED, ("d input standard USD gone while the page is otherwise whole",))]
    assert changes(log) == [("d", "input", "4", None, "02", "01")]


def test_a_page_that_lost_half_its_models_holds_the_gone_series_and_records_the_others():
    log = [obs(1, 1, *FOUR), obs(2, 2, q("a", "0.9"), q("b", "2")), obs(3, 3, q("a", "0.9"), *FOUR[1:])]
    assert [(s.observation.id, s.status, len(s.series)) for s in screen(log).suspects] == [(2, DISCARDED, 2)]
    assert changes(log) == [("a", "input", "1", "0.9", "02", "01")]


def test_a_page_that_lost_most_of_its_series_is_held_whole_and_a_repeat_confirms_it():
    # DeepSeek's V4 page really did replace both models; the next night shows the same.
    new = (q("v4", "0.5"), q("v4", "1", "output"))
    log = [obs(1, 1, *FOUR), obs(2, 2, *new), obs(3, 3, *new)]
    assert held(log)[0][:2] == (2, CONFIRMED)
    assert held(log)[0][2] == ("shows 0 of the 4 prices seen before (gone: a, b, c, d)",)
    assert changes(log) == [("a", "input", "1", None, "02", "01"), ("b", "input", "2", None, "02", "01"),
                            ("c", "input", "3", None, "02", "01"), ("d", "input", "4", None, "02", "01"),
                            ("v4", "input", None, "0.5", "02", "01"), ("v4", "output", None, "1", "02", "01")]


def test_a_cut_short_page_followed_by_the_whole_page_changes_nothing():
    log = [obs(1, 1, *FOUR), obs(2, 2, q("a", "1")), obs(3, 3, *FOUR)]
    assert [(s.observation.id, s.status) for s in screen(log).suspects] == [(2, DISCARDED)]
    assert changes(log) == []
    assert [len(o.quotes) for o in screen(log).accepted] == [4, 4]  # the held page is left out


def test_a_page_showing_every_price_at_zero_is_held_whole_with_no_false_cut():
    zero = tuple(q(x.model, "0") for x in FOUR)
    log = [obs(1, 1, *FOUR), obs(2, 2, *zero), obs(3, 3, q("a", "0.8"), *FOUR[1:])]
    assert held(log)[0][:3] == (2, DISCARDED, ("every price reads 0 (4 prices)",))
    # the real cut of a is seen on night 3 and recorded then, not as 1 -> 0 -> 0.8
    assert changes(log) == [("a", "input", "1", "0.8", "03", "01")]


def test_two_zero_pages_in_a_row_are_both_held_and_dropped_by_the_healthy_page():
    zero = tuple(q(x.model, "0") for x in FOUR)
    log = [obs(1, 1, *FOUR), obs(2, 2, *zero), obs(3, 3, *zero), obs(4, 4, *FOUR)]
    assert [(s.observation.id, s.status) for s in screen(log).suspects] == [(2, DISCARDED), (3, DISCARDED)]
    assert changes(log) == []


def test_a_four_day_cut_in_one_series_is_recorded_on_time_while_another_series_jumps():
    """The issue's lost change: b is cut for four days while a jumps (held, then dropped)."""
    log = [obs(1, 1, *FOUR),
           obs(2, 2, q("a", "50"), q("b", "1"), *FOUR[2:]),   # a: broken read; b: real cut
           obs(3, 3, q("a", "1"), q("b", "1"), *FOUR[2:]),
           obs(6, 6, q("a", "1"), q("b", "1"), *FOUR[2:]),
           obs(7, 7, *FOUR)]
    assert [(s.observation.id, s.status) for s in screen(log).suspects] == [(2, DISCARDED)]
    assert changes(log) == [("b", "input", "2", "1", "02", "01"), ("b", "input", "1", "2", "07", "06")]


def test_openrouter_float_noise_is_not_a_change_and_does_not_discard_a_confirmed_move():
    log = [obs(1, 1, q("m", "0.0075"), *FOUR),
           obs(2, 2, q("m", "0.08333333333333334"), *FOUR),  # a real 11x move, held
           obs(3, 3, q("m", "0.08333333333333333"), *FOUR),  # the same price through a float
           obs(4, 4, q("m", "0.08333333333333334"), *FOUR)]
    assert [(s.observation.id, s.status) for s in screen(log).suspects] == [(2, CONFIRMED)]
    assert changes(log) == [("m", "input", "0.0075", "0.08333333333333334", "02", "01")]


def test_announced_future_prices_are_not_judged():
    log = [obs(1, 1, q("a", "1")), obs(2, 2, q("a", "1"), q("a", "50", effective_from="2025-04-01T00:00:00Z"))]
    assert held(log) == []


def test_the_last_suspect_waits_and_other_sources_are_judged_on_their_own():
    other = SourceInfo("p-zh", "p", ("CNY",))
    log = [obs(1, 1, *FOUR), obs(2, 1, q("z", "1"), source=other.id),
           obs(3, 2, q("a", "1")), obs(4, 2, q("z", "1.5"), source=other.id)]
    assert [(s.observation.id, s.status, s.reasons) for s in screen(log).suspects] == [
        (3, WAITING, ("shows 1 of the 4 prices seen before (gone: b, c, d)",))]
    assert [o.id for o in screen(log).accepted] == [1, 2, 4]


def test_screening_ignores_arrival_order():
    log = [obs(1, 1, *FOUR), obs(2, 2, q("a", "0.5"), *FOUR[1:3]), obs(3, 3, q("a", "0.5"), *FOUR[1:3])]
    shuffled = [log[2], log[0], log[1]]
    assert screen(shuffled) == screen(log)
    assert changes(shuffled) == [("a", "input", "1", "0.5", "02", "01"), ("d", "input", "4", None, "02", "01")]


def test_a_changing_catalogue_is_never_stuck():
    # Day 2 moves a 17x (a real OpenRouter change); b keeps changing every day beside it.
    log = [obs(1, 1, q("a", "0.02"), q("b", "1")), obs(2, 2, q("a", "0.34"), q("b", "1")),
           obs(3, 3, q("a", "0.34"), q("b", "0.9")), obs(4, 4, q("a", "0.34"), q("b", "0.8"))]
    assert held(log) == [(2, CONFIRMED, ("a input standard USD moves 0.02 -> 0.34 (more than 10x)",))]
    assert changes(log) == [("a", "input", "0.02", "0.34", "02", "01"), ("b", "input", "1", "0.9", "03", "02"),
                            ("b", "input", "0.9", "0.8", "04", "03")]


def test_a_tier_dropped_while_its_model_stays_is_gone_for_good_not_held_again_later():
    """Off-peak prices ended (the model keeps its standard price): not suspect, and forgotten, so a
    cut-short page weeks later does not bring them back nor 'remove' them again."""
    peak = q("a", "0.5")
    log = [obs(1, 1, q("a", "1"), Quote("p", "a", "input", "USD", Decimal("0.5"), "0.5", tier="off_peak"), *FOUR[1:]),
           obs(2, 2, *FOUR), obs(3, 3, *FOUR),
           obs(4, 4, *FOUR[1:]),  # a lost, the page otherwise whole: held
           obs(5, 5, *FOUR)]
    assert peak.key != log[0].quotes[1].key
    assert [(s.observation.id, s.status, s.reasons) for s in screen(log).suspects] == [
        (4, DISCARDED, ("a input standard USD gone while the page is otherwise whole",))]
    assert changes(log) == [("a", "input", "0.5", None, "02", "01")]
    assert [len(o.quotes) for o in screen(log).accepted] == [5, 4, 4, 4, 4]
