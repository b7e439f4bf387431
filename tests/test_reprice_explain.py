"""explain: each component's contribution is its share of the bill times its announced change."""

from __future__ import annotations

from decimal import Decimal

from db.reprice.explain import explain, percent
from db.reprice.pricer import Pricer
from test_reprice import PUBLISHED, row, utc, versions

D = Decimal


def test_contributions_add_up_to_the_realised_change():
    # A "50 % cut" on cache misses only; cache hits and output unchanged.
    old = versions("deepseek", "deepseek-chat", "USD", "2025-01-01", "2025-06-01",
                   input=("0.28", None), input_cache_hit=("0.028", None), output=("0.42", None))
    new = versions("deepseek", "deepseek-chat", "USD", "2025-06-01",
                   input=("0.14", None), input_cache_hit=("0.028", None), output=("0.42", None))
    pricer = Pricer(old + new, "USD", PUBLISHED)
    result = explain(pricer, [row("2025-05-20")], utc("2025-05-31T12:00"), utc("2025-06-01T12:00"))
    assert pricer.money(result.units_before) == D("2.099971748")
    assert pricer.money(result.units_after) == D("1.714446468")  # 0.38552528 less
    by = {c.component: c for c in result.components}
    assert percent(by["input"].announced) == "-50.00"
    assert percent(result.share(by["input"])) == "+36.72"
    assert percent(result.contribution(by["input"])) == "-18.36"
    assert percent(result.contribution(by["output"])) == "+0.00"
    assert percent(result.realised) == "-18.36"  # the bill fell 18 %, not 50 %
    assert sum(result.contribution(c) for c in result.components) == result.realised


def test_long_prompts_are_lines_of_their_own():
    base = versions("anthropic", "claude-sonnet-4", "USD", "2025-08-12", input=("3", None), output=("15", None))
    long = versions("anthropic", "claude-sonnet-4", "USD", "2025-08-12", tier="context>200k",
                    input=("6", None), output=("22.5", None))
    pricer = Pricer(base + long, "USD", {"anthropic": {"USD"}})
    rows = [row("2025-09-01T10:00:00", (100_000, 0, 0, 0, 1_000), "anthropic", "claude-sonnet-4"),
            row("2025-09-01T11:00:00", (300_000, 0, 0, 0, 1_000), "anthropic", "claude-sonnet-4")]
    result = explain(pricer, rows, utc("2025-09-01T00:00"), utc("2025-09-02T00:00"))
    assert [(c.component, c.tier_before, c.tokens, c.price_before) for c in result.components] == [
        ("input", "standard", 100_000, D("3")), ("input", "context>200k", 300_000, D("6")),
        ("output", "standard", 1_000, D("15")), ("output", "context>200k", 1_000, D("22.5"))]
    assert percent(result.realised) == "+0.00"
