"""One meaning of a time, and changes whose instant is only bounded (the pricer's module docstring).

* ``at`` a date moves each instant row to that date at its own time of day; a date-only row, or
  a date-only ``at`` given to one, is the whole day (highest rate, lowest beside it); ``at`` an
  instant prices every row there.
* A change seen only between two observations (A, B) gives rows inside the open window both
  costs; rows at A and at B are exact.  The batch path gives the row path's totals to the unit.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from db.reprice.explain import explain, percent
from db.reprice.engine import Engine
from db.reprice.pricer import PriceVersion, Priced, Pricer, Totals, Unpriced, When, parse_when, placed
from db.reprice.usage import read_usage
from test_reprice import DEEPSEEK, PUBLISHED, SEED_DAY, cost, row, utc, versions

D = Decimal
DAY = When(utc("2025-03-03"), True)  # a Monday of the off-peak era (16:30-00:30 UTC at half price)
STANDARD, OFF_PEAK, PROMO = D("4.22086486"), D("2.11043243"), D("1.267054264")  # SEED_DAY at 0.27/0.07/1.1


# --- the meaning of a time --------------------------------------------------------------------

def test_parse_when_a_date_is_the_whole_day_anything_with_a_time_an_instant():
    assert parse_when("2025-09-01") == When(utc("2025-09-01"), True)
    assert parse_when("2025-09-01T00:00:00Z") == When(utc("2025-09-01"), False)
    assert parse_when("2025-09-01T18:00:00+02:00") == When(utc("2025-09-01T16:00"), False)
    assert parse_when("2025-09-01T18:00") == When(utc("2025-09-01T18:00"), False)  # naive: UTC
    for bad in ("2025-13-01", "yesterday", "2025-09"):
        with pytest.raises(ValueError):
            parse_when(bad)


def test_placed_follows_the_table():
    request, daily = row("2025-01-20T18:45:30"), row("2025-01-20")
    assert placed(request, None) == (utc("2025-01-20T18:45:30"), False)
    assert placed(daily, None) == (utc("2025-01-20"), True)
    assert placed(request, DAY) == (utc("2025-03-03T18:45:30"), False)   # its time of day kept
    assert placed(daily, DAY) == (utc("2025-03-03"), True)               # the whole day
    instant = When(utc("2025-03-03T12:00"))
    assert placed(request, instant) == (utc("2025-03-03T12:00"), False)
    assert placed(daily, instant) == (utc("2025-03-03T12:00"), False)
    assert placed(daily, utc("2025-03-03T12:00")) == (utc("2025-03-03T12:00"), False)  # a datetime: an instant


@pytest.mark.parametrize("time, expected", [
    ("2025-01-20T16:29:59", STANDARD),   # one second before the off-peak window opens
    ("2025-01-20T16:30:00", OFF_PEAK),   # its first second
    ("2025-01-20T00:29:59", OFF_PEAK),   # its last second (the window wraps midnight)
    ("2025-01-20T00:30:00", STANDARD),
])
def test_a_row_moved_to_a_date_keeps_its_time_of_day_on_both_sides_of_the_off_peak_edges(time, expected):
    pricer = Pricer(DEEPSEEK, "USD", PUBLISHED)
    result = pricer.price(row(time), DAY)
    assert cost(pricer, result) == expected
    assert result.lowest_units is None and result.uncertain is None
    assert result.start == utc("2025-03-03" + time[10:]) and not result.whole_day


@pytest.mark.parametrize("time, expected", [
    ("2025-03-01T15:59:59", PROMO),      # the promo's last second on 2025-02-08
    ("2025-03-01T16:00:00", STANDARD),   # the list price from 16:00:00 UTC
])
def test_a_row_moved_to_the_promo_end_date_on_both_sides_of_16_00(time, expected):
    pricer = Pricer(DEEPSEEK, "USD", PUBLISHED)
    assert cost(pricer, pricer.price(row(time), When(utc("2025-02-08"), True))) == expected


def test_a_date_only_row_at_a_date_is_that_whole_day_and_at_an_instant_is_that_instant():
    pricer = Pricer(DEEPSEEK, "USD", PUBLISHED)
    day = pricer.price(row("2025-01-20"), DAY)
    assert (cost(pricer, day), pricer.money(day.lowest_units)) == (STANDARD, OFF_PEAK)
    promo_end = pricer.price(row("2025-01-20"), When(utc("2025-02-08"), True))
    assert (cost(pricer, promo_end), pricer.money(promo_end.lowest_units)) == (STANDARD, PROMO)
    evening = pricer.price(row("2025-01-20"), When(utc("2025-03-03T18:00")))
    assert (cost(pricer, evening), evening.lowest_units) == (OFF_PEAK, None)


def test_explain_dates_keep_each_requests_time_of_day():
    """The README example: before 2025-09-01 (off-peak era) and after 2025-10-01 (V3.2)."""
    v32 = versions("deepseek", "deepseek-chat", "USD", "2025-09-29T12:00",
                   input_cache_hit=("0.028", None), input=("0.28", None), output=("0.42", None))
    era = [replace(v, valid_to=utc("2025-09-29T12:00")) if v.valid_to is None else v for v in DEEPSEEK]
    pricer = Pricer(era + v32, "USD", PUBLISHED)
    rows = [row("2025-01-20T10:00:00"), row("2025-01-20T18:00:00")]
    by_date = explain(pricer, rows, When(utc("2025-09-01"), True), When(utc("2025-10-01"), True))
    assert pricer.money(by_date.units_before) == STANDARD + OFF_PEAK       # 10:00 standard, 18:00 off-peak
    assert pricer.money(by_date.units_after) == D("4.199943496")           # 2 x 2.099971748
    assert percent(by_date.realised) == "-33.66"
    assert by_date.lowest_before == by_date.units_before and by_date.ranged_before == 0
    midnight = explain(pricer, rows, When(utc("2025-09-01T00:00")), When(utc("2025-10-01T00:00")))
    assert pricer.money(midnight.units_before) == 2 * OFF_PEAK             # an instant is that instant
    assert percent(midnight.realised) == "-0.50"
    daily = explain(pricer, [row("2025-01-20")], When(utc("2025-09-01"), True), When(utc("2025-10-01"), True))
    assert (pricer.money(daily.units_before), pricer.money(daily.lowest_before)) == (STANDARD, OFF_PEAK)
    assert percent(daily.realised) == "-50.25"
    assert (daily.ranged_before, daily.ranged_after) == (1, 0)


# --- changes whose instant is only bounded ----------------------------------------------------

OLD = (D("6.8180196"))        # SEED_DAY at V3.1's 0.56 / 0.07 / 1.68
NEW = (D("2.099971748"))      # ... at V3.2's 0.28 / 0.028 / 0.42
A, B = "2025-09-29T00:00:00", "2025-09-30T00:00:00"


def cut(to_basis: str = "observed", old=("0.56", "0.07", "1.68"), new=("0.28", "0.028", "0.42")) -> list[PriceVersion]:
    """V3.1 prices until B, V3.2 from B, the change seen only between A (old) and B (new)."""
    before = versions("deepseek", "deepseek-chat", "USD", "2025-09-05T16:00", B,
                      input=(old[0], None), input_cache_hit=(old[1], None), output=(old[2], None))
    after = versions("deepseek", "deepseek-chat", "USD", B,
                     input=(new[0], None), input_cache_hit=(new[1], None), output=(new[2], None))
    return ([replace(v, to_basis=to_basis, last_observed_at=utc(A)) for v in before]
            + [replace(v, valid_from_after=utc(A)) for v in after])


@pytest.mark.parametrize("time, units, lowest", [
    ("2025-09-28T23:59:59", OLD, None),
    (A, OLD, None),                               # the old price was seen at A: exact
    ("2025-09-29T00:00:01", OLD, NEW),            # inside (A, B): both
    ("2025-09-29T16:00:00", OLD, NEW),
    ("2025-09-29T23:59:59", OLD, NEW),
    (B, NEW, None),                               # the new price was seen at B: exact
    ("2025-09-28", OLD, None),                    # the day before ends at A: exact
    ("2025-09-29", OLD, NEW),
    ("2025-09-30", NEW, None),
])
def test_rows_inside_the_window_get_both_costs_rows_at_its_edges_are_exact(time, units, lowest):
    pricer = Pricer(cut(), "USD", PUBLISHED)
    result = pricer.price(row(time))
    assert cost(pricer, result) == units
    assert (pricer.money(result.lowest_units) if result.lowest_units is not None else None) == lowest
    if lowest is None:
        assert result.uncertain is None and result.notes == ()
    else:
        u = result.uncertain
        assert (u.after, u.by, pricer.money(u.units_before), pricer.money(u.units_after)) == (
            utc(A), utc(B), OLD, NEW)
        assert result.notes == ("the price changed at an unknown instant between 2025-09-29T00:00:00Z and"
                                " 2025-09-30T00:00:00Z: 6.8180196 at the price before, 2.099971748 at the"
                                " price after; the higher is counted",)
        assert [r.price for _, _, r, _ in result.components] == [D("0.56"), D("0.07"), D("1.68")]


def test_an_increase_counts_the_new_price_and_an_announced_instant_is_not_a_window():
    pricer = Pricer(cut(old=("0.28", "0.028", "0.42"), new=("0.56", "0.07", "1.68")), "USD", PUBLISHED)
    up = pricer.price(row("2025-09-29T12:00:00"))
    assert (cost(pricer, up), pricer.money(up.lowest_units)) == (OLD, NEW)
    assert [r.price for _, _, r, _ in up.components] == [D("0.56"), D("0.07"), D("1.68")]  # the new prices
    announced = Pricer(cut(to_basis="announced"), "USD", PUBLISHED)
    exact = announced.price(row("2025-09-29T12:00:00"))
    assert (cost(announced, exact), exact.uncertain) == (OLD, None)


def test_moving_rows_with_at_into_the_window_and_the_totals_of_both_placements():
    pricer = Pricer(cut(), "USD", PUBLISHED)
    moved = pricer.price(row("2025-01-20T23:00:00"), When(utc("2025-09-29"), True))
    assert moved.uncertain is not None and moved.start == utc("2025-09-29T23:00")
    totals = Totals()
    for time in ("2025-09-28T12:00:00", "2025-09-29T12:00:00", "2025-09-30T12:00:00"):
        totals.add(pricer.price(row(time)))
    assert (totals.uncertain_rows, pricer.money(totals.units), pricer.money(totals.lowest_units)) == (
        1, 2 * OLD + NEW, OLD + 2 * NEW)
    assert (pricer.money(totals.if_later_units), pricer.money(totals.if_earlier_units)) == (2 * OLD + NEW, OLD + 2 * NEW)


def test_a_new_model_has_no_window_usage_before_its_first_price_is_unpriced():
    launch = [replace(v, valid_from_after=utc("2025-01-01")) for v in versions(
        "deepseek", "deepseek-reasoner", "USD", "2025-01-20", input=("0.55", None), output=("2.19", None))]
    pricer = Pricer(launch, "USD", PUBLISHED)
    early = pricer.price(row("2025-01-19T12:00:00", model="deepseek-reasoner"))
    assert isinstance(early, Unpriced) and early.reason == (
        "2025-01-19T12:00:00Z is before the history of deepseek/deepseek-reasoner starts (2025-01-20T00:00:00Z)")


# --- ids and retired models -------------------------------------------------------------------

def test_a_mixed_case_model_id_is_the_priced_model():
    pricer = Pricer(DEEPSEEK, "USD", PUBLISHED)
    result = pricer.price(row("2025-03-03T10:00:00", model="DeepSeek-Chat"))
    assert (result.model, cost(pricer, result), result.notes) == ("deepseek-chat", STANDARD, ())
    snapshot = pricer.price(row("2025-03-03T10:00:00", model="DeepSeek-Chat-20250301"))
    assert snapshot.model == "deepseek-chat"
    assert snapshot.notes == ("DeepSeek-Chat-20250301 priced as deepseek-chat: the history has no price for"
                              " the snapshot id itself",)


def test_an_unpriced_row_of_a_retired_model_says_when_it_was_removed():
    old = versions("deepseek", "deepseek-coder", "USD", "2024-09-01", "2025-02-20",
                   input=("0.14", None), input_cache_hit=("0.014", None), output=("0.28", None))
    observed = Pricer([replace(v, to_basis="observed", last_observed_at=utc("2025-02-10")) for v in old],
                      "USD", PUBLISHED)
    removed = ("deepseek/deepseek-coder was removed from the price list between 2025-02-10T00:00:00Z (last seen)"
               " and 2025-02-20T00:00:00Z: no USD price after that")
    for time in ("2025-03-01T12:00:00", "2025-03-01", "2025-02-20T00:00:00"):
        result = observed.price(row(time, model="deepseek-coder"))
        assert isinstance(result, Unpriced) and (result.field, result.reason) == ("time", removed)
    last_seen = observed.price(row("2025-02-15T12:00:00", model="deepseek-coder"))
    assert cost(observed, last_seen) == PROMO  # the same rates as the V3 promo: 0.14 / 0.014 / 0.28
    assert last_seen.notes == ("deepseek/deepseek-coder was no longer listed at 2025-02-20T00:00:00Z (last seen"
                               " 2025-02-10T00:00:00Z): priced at its last listed price",)
    assert observed.price(row("2025-02-10T00:00:00", model="deepseek-coder")).notes == ()
    announced = Pricer([replace(v, to_basis="announced") for v in old], "USD", PUBLISHED)
    assert announced.price(row("2025-03-01T12:00:00", model="deepseek-coder")).reason == (
        "deepseek/deepseek-coder was removed from the price list at 2025-02-20T00:00:00Z: no USD price after that")
    assert isinstance(announced.price(row("2025-02-19T23:59:59", model="deepseek-coder")), Priced)


# --- the batch path gives the row path's totals -----------------------------------------------

def _row_totals(path: Path, pricer: Pricer, at=None) -> tuple[Totals, int]:
    totals, unpriced = Totals(), 0
    for r in read_usage(path):
        result = pricer.price(r, at)
        if isinstance(result, Priced):
            totals.add(result)
        else:
            unpriced += 1
    return totals, unpriced


@pytest.mark.parametrize("at", [None, When(utc("2025-09-29"), True), When(utc("2025-09-28"), True),
                                When(utc("2025-09-29T12:00")), When(utc("2025-03-03"), True)])
def test_summary_totals_equal_the_row_totals_across_windows_dates_and_cases(tmp_path, at):
    era = [replace(v, valid_to=utc("2025-09-05T16:00"), to_basis="announced") if v.valid_to is None else v
           for v in DEEPSEEK]  # the off-peak era, then V3.1 and the uncertain V3.2 cut
    pricer = Pricer(era + cut(), "USD", PUBLISHED)
    lines = ["time,provider,model,input_cache_hit_tokens,input_tokens,output_tokens"]
    for day in ("2025-09-28", "2025-09-29", "2025-09-30"):
        for hour in range(0, 24, 3):
            for minute, model in ((0, "deepseek-chat"), (30, "DeepSeek-Chat")):
                lines.append(f"{day}T{hour:02d}:{minute:02d}:00Z,deepseek,{model},{hour * 1000 + 7},"
                             f"{hour * 3000 + 11},{hour * 500 + 13}")
    path = tmp_path / "u.csv"
    path.write_text("\n".join(lines) + "\n")
    expected, unpriced = _row_totals(path, pricer, at)
    with Engine(pricer, threads=2, stream_from_bytes=0) as engine:  # the grouped --summary totals
        engine.load(path, totals_only=True)
        engine.price(at, totals_only=True)
        got = engine.totals
    assert (got.units, got.lowest_units, got.priced_rows, got.uncertain_rows, got.if_later_units,
            got.if_earlier_units, len(got.unpriced)) == (
        expected.units, expected.lowest_units, expected.priced_rows, expected.uncertain_rows,
        expected.if_later_units, expected.if_earlier_units, unpriced)
    assert {(p, m, month): u for p, m, month, u in got.by_model_month} == expected.by_model_month
    assert expected.priced_rows == 48
    assert (expected.uncertain_rows > 0) == (at in (None, When(utc("2025-09-29"), True),
                                                   When(utc("2025-09-29T12:00"))))