"""Aliases over time: an id the history does not price itself is priced on the snapshot it named
at the row's time, with exact costs on both sides of every switch (and both costs inside a switch
known only to the day)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from db import curated
from db.history import rebuild
from db.reprice import aliases
from db.reprice.pricer import Priced, Pricer, Unpriced, load_versions
from db.reprice.usage import UsageRow
from db.schema import open_db
from parsers.quote import parse_utc


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Pricer]:
    """The shipped curated history loaded into a fresh database: one pricer per currency."""
    db = open_db(str(tmp_path_factory.mktemp("aliases") / "h.db"))
    histories = curated.read_all()
    curated.load(db, histories)
    rebuild(db, [h.provider for h in histories])
    return {c: Pricer(load_versions(db, c), c) for c in ("USD", "EUR")}


def row(when: str, provider: str, model: str, input_tokens: int, output_tokens: int,
        whole_day: bool = False) -> UsageRow:
    return UsageRow("usage.csv", 2, parse_utc(when), whole_day, provider, model,
                    (input_tokens, 0, 0, 0, output_tokens))


def cost(pricer: Pricer, r: UsageRow) -> Decimal:
    priced = pricer.price(r)
    assert isinstance(priced, Priced), priced
    return pricer.money(priced.units)


def test_the_shipped_table_is_valid_and_sourced():
    table = list(aliases.shipped())
    assert len(table) >= 25
    for alias in table:
        for target in alias.targets:
            assert target.source_url.startswith("https://")
            assert target.start.utcoffset().total_seconds() == 0


def test_mistral_large_latest_follows_its_snapshots(history):
    usd = history["USD"]
    # 1M input + 1M output on each side of every switch
    assert cost(usd, row("2024-03-15T12:00:00Z", "mistral", "mistral-large-latest", 10**6, 10**6)) == 32  # 2402: 8 + 24
    assert cost(usd, row("2024-08-01T12:00:00Z", "mistral", "mistral-large-latest", 10**6, 10**6)) == 12  # 2407: 3 + 9
    assert cost(usd, row("2024-10-01T12:00:00Z", "mistral", "mistral-large-latest", 10**6, 10**6)) == 8   # 2407 cut: 2 + 6
    assert cost(usd, row("2025-06-01T12:00:00Z", "mistral", "mistral-large-latest", 10**6, 10**6)) == 8   # 2411: 2 + 6
    assert cost(usd, row("2026-01-10T12:00:00Z", "mistral", "mistral-large-latest", 10**6, 10**6)) == 2   # 2512: 0.5 + 1.5
    priced = usd.price(row("2024-08-01T12:00:00Z", "mistral", "mistral-large-latest", 1000, 1000))
    assert isinstance(priced, Priced) and priced.model == "mistral-large-2407"
    assert priced.row.model == "mistral-large-latest"
    assert any("mistral-large-latest named mistral-large-2407 from 2024-07-24T00:00:00Z" in n for n in priced.notes)


def test_a_switch_known_only_to_the_day_gives_both_costs(history):
    usd = history["USD"]
    # Large 3 took over mistral-large-latest on 2025-12-02 (time unknown): 2411 at 2 / 6 or 2512 at 0.5 / 1.5
    priced = usd.price(row("2025-12-02T12:00:00Z", "mistral", "mistral-large-latest", 10**6, 10**6))
    assert isinstance(priced, Priced)
    assert usd.money(priced.units) == 8
    assert priced.uncertain is not None
    assert (usd.money(priced.uncertain.units_before), usd.money(priced.uncertain.units_after)) == (8, 2)
    assert (priced.uncertain.after, priced.uncertain.by) == (parse_utc("2025-12-02T00:00:00Z"),
                                                             parse_utc("2025-12-03T00:00:00Z"))
    assert usd.money(priced.lowest_units) == 2
    # on both sides of the window the cost is exact
    before = usd.price(row("2025-12-01T23:59:00Z", "mistral", "mistral-large-latest", 10**6, 10**6))
    after = usd.price(row("2025-12-03T00:00:00Z", "mistral", "mistral-large-latest", 10**6, 10**6))
    assert (usd.money(before.units), before.uncertain) == (8, None)
    assert (usd.money(after.units), after.uncertain) == (2, None)


def test_mistral_large_latest_in_eur_where_a_page_showed_eur(history):
    eur = history["EUR"]
    assert cost(eur, row("2024-03-15T12:00:00Z", "mistral", "mistral-large-latest", 10**6, 10**6)) == Decimal("29.3")
    missing = eur.price(row("2024-08-01T12:00:00Z", "mistral", "mistral-large-latest", 10**6, 10**6))
    assert isinstance(missing, Unpriced)
    assert missing.reason == "mistral-large-latest named mistral-large-2407 then, which has no EUR price in the history"
    assert cost(eur, row("2026-06-01T12:00:00Z", "mistral", "mistral-large-latest", 10**6, 10**6)) == 2


def test_a_stretch_no_source_covers_is_unpriced_with_the_reason(history):
    gap = history["USD"].price(row("2024-05-15T12:00:00Z", "mistral", "mistral-large-latest", 1000, 1000))
    assert isinstance(gap, Unpriced) and gap.field == "model"
    assert gap.reason.startswith("mistral/mistral-large-latest: which model it named from 2024-04-02T00:00:00Z"
                                 " is not known (no capture at hand")


def test_the_history_own_price_of_an_id_wins_over_the_alias(history):
    usd = history["USD"]
    # the 2026-05-08 page prices mistral-medium-latest itself (1.5 / 7.5); before it, the alias (2505: 0.4 / 2)
    assert cost(usd, row("2026-05-08T12:00:00Z", "mistral", "mistral-medium-latest", 10**6, 10**6)) == 9
    assert cost(usd, row("2026-05-07T12:00:00Z", "mistral", "mistral-medium-latest", 10**6, 10**6)) == Decimal("2.4")
    # gpt-4o is priced on the page itself: 5 / 15 before its move, 2.5 / 10 after, both ways on 2024-10-02
    assert cost(usd, row("2024-10-01T12:00:00Z", "openai", "gpt-4o", 10**6, 10**6)) == 20
    assert cost(usd, row("2024-10-03T12:00:00Z", "openai", "gpt-4o", 10**6, 10**6)) == Decimal("12.5")
    day = usd.price(row("2024-10-02T12:00:00Z", "openai", "gpt-4o", 10**6, 10**6))
    assert (usd.money(day.uncertain.units_before), usd.money(day.uncertain.units_after)) == (20, Decimal("12.5"))


def test_grok_2_latest_and_claude_latest_resolve_to_their_snapshot_prices(history):
    usd = history["USD"]
    assert cost(usd, row("2025-01-15T00:00:00Z", "xai", "grok-2-latest", 10**6, 10**6)) == 12  # 2 + 10 (seeds: 2 / 10)
    early = usd.price(row("2024-12-01T00:00:00Z", "xai", "grok-2-latest", 10**6, 10**6))
    assert early.reason == ("2024-12-01T00:00:00Z is before xai/grok-2-latest named any model"
                            " (from 2024-12-12T00:00:00Z it named grok-2-1212)")
    assert cost(usd, row("2024-11-01T00:00:00Z", "anthropic", "claude-3-5-sonnet-latest", 10**6, 10**6)) == 18
    priced = usd.price(row("2024-11-01T00:00:00Z", "anthropic", "claude-3-5-sonnet-latest", 10**6, 10**6))
    assert priced.model == "claude-3-5-sonnet"  # the snapshot id falls back to its model's price
    assert any("claude-3-5-sonnet-latest named claude-3-5-sonnet-20241022" in n for n in priced.notes)


def test_a_whole_day_with_a_switch_window_is_priced_both_ways(history):
    usd = history["USD"]
    # mistral-small-latest moved from 2409 (0.2 / 0.6) to 2501 (0.1 / 0.3) on 2025-01-30
    priced = usd.price(row("2025-01-30T00:00:00Z", "mistral", "mistral-small-latest", 10**6, 10**6, whole_day=True))
    assert (usd.money(priced.units), usd.money(priced.lowest_units)) == (Decimal("0.8"), Decimal("0.4"))
    next_day = usd.price(row("2025-01-31T00:00:00Z", "mistral", "mistral-small-latest", 10**6, 10**6, whole_day=True))
    assert (usd.money(next_day.units), next_day.uncertain) == (Decimal("0.4"), None)


def _table(tmp_path: Path, targets: list[dict]) -> Path:
    path = tmp_path / "aliases.json"
    path.write_text(json.dumps({"aliases": [{"provider": "openai", "alias": "x-latest", "targets": targets}]}),
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("targets, message", [
    ([{"from": "2024-01-01", "model": "a", "exact": False, "source_url": "https://e.com"}],
     "aliases[0].targets[0].from: '2024-01-01' is not a UTC instant"),
    ([{"from": "2024-01-01T00:00:00Z", "model": "a", "exact": False, "source_url": "http://e.com"}],
     "aliases[0].targets[0].source_url: 'http://e.com' is not an https:// URL"),
    ([{"from": "2024-02-01T00:00:00Z", "model": "a", "exact": False, "source_url": "https://e.com"},
      {"from": "2024-01-01T00:00:00Z", "model": "b", "exact": False, "source_url": "https://e.com"}],
     "aliases[0].targets[1].from: 2024-01-01T00:00:00Z is not after the previous target's"),
    ([{"from": "2024-01-01T00:00:00Z", "model": "a", "exact": False, "source_url": "https://e.com"},
      {"from": "2024-02-01T00:00:00Z", "model": "b", "exact": False, "source_url": "https://e.com",
       "changed_after": "2023-12-01T00:00:00Z"}],
     "aliases[0].targets[1].changed_after: must lie between"),
    ([{"from": "2024-01-01T00:00:00Z", "model": "x-latest", "exact": False, "source_url": "https://e.com"}],
     "openai/x-latest: target 'x-latest' is itself an alias"),
])
def test_a_bad_alias_file_is_refused_naming_file_and_field(tmp_path, targets, message):
    path = _table(tmp_path, targets)
    with pytest.raises(aliases.AliasError) as info:
        aliases.read_table(path)
    assert str(info.value).startswith(f"{path}: {message}")


def test_an_injected_table_prices_on_its_own_targets(history):
    table = aliases.AliasTable([aliases.Alias("openai", "my-model", (
        aliases.Target(datetime.fromisoformat("2025-04-16T00:00:00+00:00"), "o3", False, "https://e.com"),))])
    usd = history["USD"]
    before_cut = aliases.price_by_alias(usd, row("2025-05-01T00:00:00Z", "openai", "my-model", 10**6, 10**6),
                                        table=table)
    after_cut = aliases.price_by_alias(usd, row("2025-07-01T00:00:00Z", "openai", "my-model", 10**6, 10**6),
                                       table=table)
    assert (usd.money(before_cut.units), usd.money(after_cut.units)) == (50, 10)  # o3: 10 + 40, then 2 + 8
