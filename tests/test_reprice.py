"""The pricing engine: exact costs at the rates in force, promo ends, off-peak windows, unpriced rows."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from db.reprice.pricer import CurrencyNotPublished, PriceVersion, Priced, Pricer, Totals, Unpriced
from db.reprice.usage import UsageRow

D = Decimal
SEED_DAY = (2_753_752, 946_816, 0, 0, 3_100_977)  # cache miss, cache hit, writes, output (seed 001/004)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def row(time: str, tokens=SEED_DAY, provider="deepseek", model="deepseek-chat") -> UsageRow:
    whole_day = len(time) == 10
    return UsageRow("u.csv", 2, utc(time), whole_day, provider, model, tokens)


def versions(provider, model, currency, valid_from, valid_to=None, tier="standard", window="",
             promo_until=None, **prices) -> list[PriceVersion]:
    """prices: component=(price, list_price or None)."""
    return [PriceVersion(provider, model, component, tier, window, currency, D(p), utc(valid_from),
                         utc(valid_to) if valid_to else None, D(lp) if lp else None,
                         utc(promo_until) if promo_until else None)
            for component, (p, lp) in prices.items()]


# DeepSeek's history as its pages showed it: a promo until 2025-02-08 16:00 UTC, full price, then
# off-peak discounts (16:30-00:30 UTC) from 2025-02-26.
DEEPSEEK = (
    versions("deepseek", "deepseek-chat", "CNY", "2024-12-26", "2025-02-20", promo_until="2025-02-08T16:00",
             input_cache_hit=("0.1", "0.5"), input=("1", "2"), output=("2", "8"))
    + versions("deepseek", "deepseek-chat", "USD", "2024-12-26", "2025-02-20", promo_until="2025-02-08T16:00",
               input_cache_hit=("0.014", "0.07"), input=("0.14", "0.27"), output=("0.28", "1.1"))
    + versions("deepseek", "deepseek-chat", "USD", "2025-02-20", "2025-02-26",
               input_cache_hit=("0.07", None), input=("0.27", None), output=("1.1", None))
    + versions("deepseek", "deepseek-chat", "USD", "2025-02-26", window="00:30-16:30 UTC",
               input_cache_hit=("0.07", None), input=("0.27", None), output=("1.1", None))
    + versions("deepseek", "deepseek-chat", "USD", "2025-02-26", tier="off_peak", window="16:30-00:30 UTC",
               input_cache_hit=("0.035", None), input=("0.135", None), output=("0.55", None))
)
MISTRAL = versions("mistral", "mistral-large-2411", "USD", "2024-11-18", input=("2", None), output=("6", None))
PUBLISHED = {"deepseek": {"CNY", "USD"}, "mistral": {"USD"}}


def cost(pricer: Pricer, result: Priced | Unpriced) -> Decimal:
    assert isinstance(result, Priced), result
    return pricer.money(result.units)


def test_seed_deepseek_day_at_promo_cny_rates():
    pricer = Pricer(DEEPSEEK, "CNY", PUBLISHED)
    result = pricer.price(row("2025-01-20"))
    # 0.946816 * 0.1 + 2.753752 * 1 + 3.100977 * 2; the seed's "11.83" is an arithmetic slip.
    assert cost(pricer, result) == D("9.0503876")
    assert result.lowest_units is None and result.notes == ()
    assert [(c, t, r.price, r.promo, pricer.money(u)) for c, t, r, u in result.components] == [
        ("input", 2_753_752, D("1"), True, D("2.753752")),
        ("input_cache_hit", 946_816, D("0.1"), True, D("0.0946816")),
        ("output", 3_100_977, D("2"), True, D("6.201954")),
    ]


def test_seed_mistral_day():
    pricer = Pricer(MISTRAL, "USD", PUBLISHED)
    result = pricer.price(row("2025-01-20", (297_429, 0, 0, 0, 474_855), "mistral", "mistral-large-2411"))
    assert cost(pricer, result) == D("3.443988")


def test_same_day_on_both_sides_of_the_promo_end():
    pricer = Pricer(DEEPSEEK, "CNY", PUBLISHED)
    assert cost(pricer, pricer.price(row("2025-02-08T15:59:59"))) == D("9.0503876")
    after = pricer.price(row("2025-02-08T16:00:00"))
    assert cost(pricer, after) == D("30.788728")  # list prices 0.5 / 2 / 8 back in force
    assert not any(rate.promo for _, _, rate, _ in after.components)


def test_date_only_row_on_the_promo_end_day_is_flagged_with_lowest_cost():
    pricer = Pricer(DEEPSEEK, "CNY", PUBLISHED)
    result = pricer.price(row("2025-02-08"))
    assert cost(pricer, result) == D("30.788728")
    assert pricer.money(result.lowest_units) == D("9.0503876")
    assert "priced at the highest rate" in result.notes[0]


def test_same_usage_on_both_sides_of_the_off_peak_boundary():
    pricer = Pricer(DEEPSEEK, "USD", PUBLISHED)
    standard = D("4.22086486")  # 0.946816*0.07 + 2.753752*0.27 + 3.100977*1.1
    off_peak = D("2.11043243")  # exactly half
    assert cost(pricer, pricer.price(row("2025-03-03T16:29:59"))) == standard
    assert cost(pricer, pricer.price(row("2025-03-03T16:30:00"))) == off_peak
    assert cost(pricer, pricer.price(row("2025-03-04T00:29:59"))) == off_peak  # wraps midnight
    assert cost(pricer, pricer.price(row("2025-03-04T00:30:00"))) == standard
    tiers = {r.tier for _, _, r, _ in pricer.price(row("2025-03-03T23:00:00")).components}
    assert tiers == {"off_peak"}


def test_date_only_row_in_an_off_peak_period():
    pricer = Pricer(DEEPSEEK, "USD", PUBLISHED)
    result = pricer.price(row("2025-03-03"))
    assert cost(pricer, result) == D("4.22086486")
    assert pricer.money(result.lowest_units) == D("2.11043243")
    assert len(result.notes) == 1


def test_date_only_row_with_one_rate_all_day_is_not_flagged():
    pricer = Pricer(DEEPSEEK, "USD", PUBLISHED)
    result = pricer.price(row("2025-02-21"))
    assert cost(pricer, result) == D("4.22086486")
    assert result.lowest_units is None and result.notes == ()


def test_at_prices_every_row_at_one_instant():
    pricer = Pricer(DEEPSEEK, "USD", PUBLISHED)
    old = row("2025-01-20")
    assert cost(pricer, pricer.price(old, at=utc("2025-03-03T20:00"))) == D("2.11043243")
    assert cost(pricer, pricer.price(old, at=utc("2025-01-20T12:00"))) == D("1.267054264")


def test_beijing_peak_windows_and_several_ranges():
    peak = versions("deepseek", "deepseek-v4-pro", "USD", "2026-08-16T16:00", tier="peak",
                    window="01:00-04:00,06:00-10:00 UTC", input=("1.32", None), output=("3.96", None))
    off = versions("deepseek", "deepseek-v4-pro", "USD", "2026-08-16T16:00", tier="off_peak",
                   window="04:00-06:00,10:00-01:00 UTC", input=("0.66", None), output=("1.98", None))
    pricer = Pricer(peak + off, "USD", PUBLISHED)
    tokens = (1_000_000, 0, 0, 0, 1_000_000)
    at = {h: cost(pricer, pricer.price(row(f"2026-08-18T{h}", tokens, model="deepseek-v4-pro")))
          for h in ("00:59:59", "01:00:00", "03:59:59", "04:00:00", "06:00:00", "10:00:00")}
    assert at == {"00:59:59": D("2.64"), "01:00:00": D("5.28"), "03:59:59": D("5.28"),
                  "04:00:00": D("2.64"), "06:00:00": D("5.28"), "10:00:00": D("2.64")}


def test_scheduled_price_applies_from_its_announced_instant():
    now = versions("deepseek", "deepseek-v4-flash", "USD", "2026-08-14", "2026-08-16T16:00", input=("0.14", None))
    announced = versions("deepseek", "deepseek-v4-flash", "USD", "2026-08-16T16:00", input=("0.22", None))
    pricer = Pricer(now + announced, "USD", PUBLISHED)
    tokens = (1_000_000, 0, 0, 0, 0)
    assert cost(pricer, pricer.price(row("2026-08-16T15:59:59", tokens, model="deepseek-v4-flash"))) == D("0.14")
    assert cost(pricer, pricer.price(row("2026-08-16T16:00:00", tokens, model="deepseek-v4-flash"))) == D("0.22")


def test_unknown_model_and_times_before_history_are_unpriced_with_the_reason():
    pricer = Pricer(DEEPSEEK, "USD", PUBLISHED)
    unknown = pricer.price(row("2025-03-03T10:00", model="deepseek-coder"))
    assert unknown == Unpriced(unknown.row, "model",
                               "unknown model deepseek/deepseek-coder: no USD price in the history")
    early = pricer.price(row("2024-06-01T10:00"))
    assert early.field == "time"
    assert early.reason == ("2024-06-01T10:00:00Z is before the history of deepseek/deepseek-chat "
                            "starts (2024-12-26T00:00:00Z)")
    early_day = pricer.price(row("2024-12-25"))
    assert isinstance(early_day, Unpriced) and early_day.field == "time"
    stranger = pricer.price(row("2025-03-03T10:00", provider="acme"))
    assert (stranger.field, stranger.reason) == ("provider", "unknown provider 'acme': no price in the history")


def test_a_component_without_a_price_is_never_priced_at_zero():
    pricer = Pricer(DEEPSEEK, "USD", PUBLISHED)
    result = pricer.price(row("2025-03-03T10:00", (1, 0, 5, 0, 1)))
    assert isinstance(result, Unpriced)
    assert result.field == "input_cache_write"
    assert "no input_cache_write price in USD at 2025-03-03T10:00:00Z (5 tokens)" in result.reason


def test_currency_the_provider_did_not_publish_is_an_error():
    pricer = Pricer(MISTRAL + DEEPSEEK, "CNY", PUBLISHED)
    with pytest.raises(CurrencyNotPublished, match="mistral does not publish prices in CNY"):
        pricer.price(row("2025-01-20", provider="mistral", model="mistral-large-2411"))


def test_as_prices_the_same_mix_on_another_model():
    pricer = Pricer(DEEPSEEK + MISTRAL, "USD", PUBLISHED)
    result = pricer.price(row("2025-01-20"), target=("mistral", "mistral-large-2411"))
    # Mistral lists no cache price: the 946,816 cache hits are billed as input.
    assert cost(pricer, result) == D("26.006998")  # (2.753752 + 0.946816) * 2 + 3.100977 * 6
    assert result.notes == ("input_cache_hit has no price on this model: billed as input",)
    assert (result.provider, result.model) == ("mistral", "mistral-large-2411")


def test_exact_with_many_decimals_and_totals_by_month():
    v = versions("deepseek", "deepseek-v4-pro", "USD", "2026-01-01", input_cache_hit=("0.003625", None))
    pricer = Pricer(v, "USD", PUBLISHED)
    totals = Totals()
    for time in ("2026-01-31T23:59:59", "2026-02-01T00:00:00", "2026-02-02T00:00:00"):
        totals.add(pricer.price(row(time, (0, 3, 0, 0, 0), model="deepseek-v4-pro")))
    assert pricer.money(totals.units) == D("0.000000032625")
    assert {k[2]: pricer.money(u) for k, u in totals.by_model_month.items()} == {
        "2026-01": D("0.000000010875"), "2026-02": D("0.00000002175")}


def test_day_rows_span_exactly_one_day():
    assert row("2025-03-03").end - row("2025-03-03").start == timedelta(days=1)


def test_weekday_rule_peak_on_weekdays_only():
    peak = versions("deepseek", "deepseek-v4-flash", "USD", "2026-09-10", tier="peak",
                    window="Mon-Fri 01:00-04:00,06:00-10:00 UTC", output=("1.2", None))
    off = versions("deepseek", "deepseek-v4-flash", "USD", "2026-09-10", tier="off_peak",
                   window="Mon-Fri 00:00-01:00,04:00-06:00,10:00-24:00 UTC; Sat,Sun 00:00-24:00 UTC",
                   output=("0.6", None))
    pricer = Pricer(peak + off, "USD", PUBLISHED)
    tokens = (0, 0, 0, 0, 1_000_000)
    price = lambda t: cost(pricer, pricer.price(row(t, tokens, model="deepseek-v4-flash")))  # noqa: E731
    assert price("2026-09-11T02:00:00") == D("1.2")   # Friday, peak
    assert price("2026-09-12T02:00:00") == D("0.6")   # Saturday: off-peak all day
    assert price("2026-09-14T00:59:59") == D("0.6")   # Monday before the peak
    assert price("2026-09-14T01:00:00") == D("1.2")
    weekend_day = pricer.price(row("2026-09-13", tokens, model="deepseek-v4-flash"))
    assert weekend_day.lowest_units is None and cost(pricer, weekend_day) == D("0.6")


def test_long_context_tier_applies_above_its_threshold():
    base = versions("anthropic", "claude-sonnet-4", "USD", "2025-08-12", input=("3", None),
                    input_cache_hit=("0.3", None), output=("15", None))
    long = versions("anthropic", "claude-sonnet-4", "USD", "2025-08-12", tier="context>200k",
                    input=("6", None), output=("22.5", None))
    pricer = Pricer(base + long, "USD", {"anthropic": {"USD"}})
    at = "2025-09-01T10:00:00"
    short = pricer.price(row(at, (150_000, 50_000, 0, 0, 1_000), "anthropic", "claude-sonnet-4"))
    assert cost(pricer, short) == D("0.48")       # 200,000 prompt tokens: not over 200k
    longer = pricer.price(row(at, (150_001, 50_000, 0, 0, 1_000), "anthropic", "claude-sonnet-4"))
    assert cost(pricer, longer) == D("0.937506")  # 0.150001 x 6 + 0.05 x 0.3 (no long rate) + 0.001 x 22.5
    assert [r.tier for _, _, r, _ in longer.components] == ["context>200k", "standard", "context>200k"]
    daily = pricer.price(row("2025-09-01", (150_001, 50_000, 0, 0, 1_000), "anthropic", "claude-sonnet-4"))
    assert cost(pricer, daily) == D("0.480003")
    assert "cannot say which requests had long prompts" in daily.notes[0]


def test_service_tier_column_picks_the_batch_price():
    standard = versions("openai", "gpt-4.1", "USD", "2025-04-14", input=("2", None), output=("8", None))
    batch = versions("openai", "gpt-4.1", "USD", "2025-04-14", tier="batch", input=("1", None), output=("4", None))
    pricer = Pricer(standard + batch, "USD", {"openai": {"USD"}})
    tokens = (1_000_000, 0, 0, 0, 1_000_000)
    at = "2025-06-01T10:00:00"
    assert cost(pricer, pricer.price(row(at, tokens, "openai", "gpt-4.1"))) == D("10")
    assert cost(pricer, pricer.price(row(at, tokens, "openai", "gpt-4.1")._replace(tier="batch"))) == D("5")
    flex = pricer.price(row(at, tokens, "openai", "gpt-4.1")._replace(tier="flex"))
    assert (flex.field, flex.reason) == ("tier", "openai/gpt-4.1 has no flex price in USD in the history")


def test_a_stored_window_that_does_not_parse_names_the_price():
    bad = versions("deepseek", "deepseek-chat", "USD", "2025-01-01", tier="off_peak", window="16:30-00:30",
                   input=("0.135", None))
    with pytest.raises(ValueError, match=r"prices: deepseek/deepseek-chat input off_peak: window "
                                         r"'16:30-00:30': clause '16:30-00:30' must end in ' UTC'"):
        Pricer(bad, "USD", PUBLISHED)
