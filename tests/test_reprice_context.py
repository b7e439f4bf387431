"""The context tier a usage export says it billed is the one priced (Anthropic's usage report
gives each row's ``context_window``): a whole day billed at ``200k-1M`` is priced at the
long-context rates exactly, a ``0-200k`` day at the standard rates with no guessing note.

History: the 2026-02 Anthropic page (Sonnet 4: $2.40 input / $12 output up to 200K input tokens,
$4.80 / $18 over it, as the fixture's long-context table says) scraped through a local mirror."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from db.reprice.pricer import Priced, Pricer, Unpriced, load_versions
from db.reprice.usage import read_usage
from db.schema import open_db
from scraper import run as run_module
from scraper.cli import main
from scraper.fetch.http import FetchPolicy
from scraper.mirror import Mirror

FIXTURES = Path(__file__).parent / "fixtures"
REPORT = FIXTURES / "usage" / "exports" / "anthropic_usage_report.json"
ANTHROPIC = "https://docs.claude.com/en/docs/about-claude/pricing"


@pytest.fixture(scope="module")
def pricer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pricer]:
    db = tmp_path_factory.mktemp("context") / "prices.db"
    with Mirror() as mirror, pytest.MonkeyPatch.context() as patch:
        patch.setattr(run_module, "DEFAULT_POLICY", FetchPolicy(timeout=2, attempts=1, backoff=0))
        mirror.pages[ANTHROPIC] = (FIXTURES / "anthropic" / "2026-02-long-context-table.md").read_bytes()
        assert main(["scrape", "--db", str(db), "--provider", "anthropic", "--mirror", mirror.url,
                     "--at", "2025-07-01T00:00:00Z"]) == 0
    history = open_db(db, create=False)
    try:
        yield Pricer(load_versions(history, "USD"), "USD")
    finally:
        history.close()


def money(pricer: Pricer, priced: Priced | Unpriced) -> tuple[Decimal, list[tuple[str, str, str]]]:
    assert isinstance(priced, Priced), priced
    return pricer.money(priced.units), [(c, r.tier, str(r.price)) for c, t, r, _ in priced.components if t]


def test_a_day_billed_at_the_long_context_tier_is_priced_at_its_rates(pricer):
    short, long, batch = read_usage(REPORT)
    assert (long.context, long.whole_day) == ("context>200k", True)
    total, rates = money(pricer, pricer.price(long))
    # 900,000 uncached input at 4.80 + 10,000 output at 18 per 1M tokens.
    assert rates == [("input", "context>200k", "4.8"), ("output", "context>200k", "18")]
    assert total == Decimal("4.5")
    assert not any("long-context" in n for n in pricer.price(long).notes)


def test_a_day_billed_below_the_threshold_is_standard_with_no_guessing_note(pricer):
    short, _, batch = read_usage(REPORT)
    assert short.context == "standard"
    priced = pricer.price(short)
    total, rates = money(pricer, priced)
    # 150,000 x 2.40 + 400,000 x 0.24 + 50,000 x 3 + 20,000 x 4.80 + 60,000 x 12, per 1M tokens.
    assert total == Decimal("1.422")
    assert {tier for _, tier, _ in rates} == {"standard"}
    assert priced.notes == ("claude-sonnet-4-20250514 priced as claude-sonnet-4: the history has no price"
                            " for the snapshot id itself",)
    total, _ = money(pricer, pricer.price(batch))
    assert total == Decimal("0.0132")  # 1,000 x 1.20 + 2,000 x 6 per 1M tokens (batch)


def test_the_same_day_without_the_export_saying_is_standard_with_a_note(pricer):
    _, long, _ = read_usage(REPORT)
    guessed = pricer.price(long._replace(context=""))
    total, _ = money(pricer, guessed)
    assert total == Decimal("2.28")  # 900,000 x 2.40 + 10,000 x 12
    assert any("daily total cannot say" in n for n in guessed.notes)


def test_a_billed_tier_the_history_lacks_is_unpriced_not_guessed(pricer):
    _, long, _ = read_usage(REPORT)
    priced = pricer.price(long._replace(context="context>500k"))
    assert isinstance(priced, Unpriced)
    assert priced.reason == ("anthropic/claude-sonnet-4 has no context>500k price in USD in the history"
                             " (the usage export says it was billed so)")


def test_an_instant_row_billed_long_takes_the_long_rates_whatever_its_prompt_size(pricer):
    _, long, _ = read_usage(REPORT)
    row = long._replace(whole_day=False, tokens=(1000, 0, 0, 0, 1000))
    total, rates = money(pricer, pricer.price(row))
    assert rates == [("input", "context>200k", "4.8"), ("output", "context>200k", "18")]
    assert total == Decimal("0.0228")  # 1,000 x 4.80 + 1,000 x 18 per 1M
    total, _ = money(pricer, pricer.price(row._replace(context="")))
    assert total == Decimal("0.0144")  # a small prompt, no export word: standard 2.40 + 12
