"""History from day one (issue 15): the curated history is coherent, agrees with every dated real
capture of a provider's page that ratecard's parser reads, and a fresh install reprices one row per
listed model per quarter of 2024-2026 with exact totals, in USD and (Mistral) in EUR, every row it
cannot price saying why."""

from __future__ import annotations

import json
import re
import shutil
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import respx

from db import curated
from db.derive import same_price
from db.reprice import aliases
from db.schema import open_db
from parsers import registry
from parsers.quote import ParseError, parse_utc
from scraper.cli import main

REAL_PAGES = Path(__file__).resolve().parents[2] / "shared" / "real-pages"
#: real-pages folder -> provider id
FOLDERS = {"openai": "openai", "anthropic": "anthropic", "gemini": "google", "mistral": "mistral", "xai": "xai",
           "deepseek": "deepseek"}
#: the models issue 15 lists, by provider (aliases included: they resolve over time)
LISTED = {
    "openai": ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "o1", "o3", "o4-mini", "gpt-5",
               "gpt-5-mini", "gpt-5-nano"],
    "anthropic": ["claude-3-opus", "claude-3-haiku", "claude-3-5-sonnet", "claude-3-5-haiku", "claude-3-7-sonnet",
                  "claude-sonnet-4", "claude-opus-4", "claude-opus-4-1", "claude-sonnet-4-5", "claude-haiku-4-5",
                  "claude-opus-4-5"],
    "google": ["gemini-1.5-pro", "gemini-1.5-flash", "gemini-2.0-flash", "gemini-2.5-pro", "gemini-2.5-flash"],
    "mistral": ["mistral-large-latest", "mistral-medium-latest", "mistral-small-latest"],
    "xai": ["grok-2-latest", "grok-3", "grok-3-fast", "grok-3-mini", "grok-4", "grok-4-fast-reasoning",
            "grok-4-1-fast-reasoning"],
    "deepseek": ["deepseek-chat", "deepseek-reasoner"],
}
QUARTERS = [f"{year}-{month:02d}-15T12:00:00Z" for year in (2024, 2025, 2026) for month in (2, 5, 8, 11)]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def fresh_install(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new user's database: the curated history only, loaded with no network."""
    path = tmp_path_factory.mktemp("fresh") / "prices.db"
    with respx.mock(assert_all_called=False):  # no route: any HTTP request would fail
        assert main(["backfill", "--curated", "--db", str(path)]) == 0
    return path


# --- coherence -----------------------------------------------------------------------------

def test_the_shipped_history_is_coherent(fresh_install, capsys, tmp_path):
    assert curated.coherence(open_db(fresh_install)) == []
    untouched = tmp_path / "never.db"
    code, out, err = run(capsys, "backfill", "--curated", "--check", "--db", str(untouched))
    assert (code, err) == (0, "")
    assert re.fullmatch(r"curated history \(anthropic, deepseek, google, mistral, openai, xai\): \d+ entries,"
                        r" \d+ price versions, 0 problems\n", out)
    assert not untouched.exists()


def test_an_overlap_and_a_non_utc_instant_are_named(fresh_install, tmp_path):
    copy = tmp_path / "copy.db"
    shutil.copyfile(fresh_install, copy)
    db = open_db(copy)
    db.execute("UPDATE prices SET valid_to = '2025-07-01T00:00:00Z' WHERE model = 'o3' AND component = 'input'"
               " AND tier = 'standard' AND price = '10'")
    db.execute("UPDATE prices SET valid_from = '2024-05-13 00:00' WHERE model = 'gpt-4o-mini'"
               " AND component = 'output' AND tier = 'standard'")
    db.conn.commit()
    problems = curated.coherence(db, ["openai"])
    assert problems == [
        "openai/gpt-4o-mini/output/standard/USD: valid_from '2024-05-13 00:00' is not a UTC instant like"
        " 2025-02-08T16:00:00Z",
        "openai/o3/input/standard/USD: 10 (from 2025-04-16T00:00:00Z to 2025-07-01T00:00:00Z) overlaps 2"
        " (from 2025-06-11T07:00:00Z)",
    ]


def test_every_fact_has_a_source_and_day_only_facts_are_marked():
    for history in curated.read_all():
        for entry in history.entries:
            assert entry.source_url.startswith("https://")
            if not entry.exact:  # a day known, not a time: no quote claims an announced instant
                assert all(q.effective_from is None for q in entry.quotes)


@pytest.mark.skipif(not REAL_PAGES.is_dir(), reason="../shared/real-pages is absent (CI has it beside the checkout)")
def test_curated_prices_equal_what_the_parser_reads_from_every_dated_capture():
    """Each real capture whose name starts with its date is read by today's parser; every price it
    shows that the curated history also has (directly, or through an alias at that date) must be the
    history's price in force that day (either side of a change made that day)."""
    histories = {h.provider: h for h in curated.read_all()}
    table = aliases.shipped()
    compared: dict[str, int] = {}
    disagreements = []
    for folder, provider in FOLDERS.items():
        for page in sorted((REAL_PAGES / folder).iterdir()):
            dated = re.match(r"(\d{4}-\d{2}-\d{2})-", page.name)
            if not dated:
                continue
            day = parse_utc(dated.group(1) + "T00:00:00Z")
            try:
                reading = registry.read(provider, page.read_text(encoding="utf-8", errors="replace"))
            except ParseError:
                continue  # a bot-challenge page or a text copy the parser refuses: nothing to compare
            sides = [curated.state_at(histories[provider], day + timedelta(days=1) - timedelta(microseconds=1)),
                     curated.state_at(histories[provider], day)]
            for quote in reading.quotes:
                key = quote.key
                if key not in sides[0]:
                    alias = table.get(provider, quote.model)
                    target = alias.target_at(day) if alias else None
                    if target is None or target.model is None:
                        continue
                    key = (provider, target.model, *quote.key[2:])
                    if key not in sides[0]:
                        continue
                compared[provider] = compared.get(provider, 0) + 1
                if not any(key in side and same_price(side[key].price, quote.price) for side in sides):
                    disagreements.append(f"{page.name}: {'/'.join(quote.key[1:])} reads {quote.price_text} on"
                                         f" the page, the curated history says {sides[0][key].price}"
                                         f" ({sides[0][key].source_url})")
    assert disagreements == []
    assert compared["openai"] >= 150 and compared["anthropic"] >= 400 and compared["mistral"] >= 60
    assert compared["xai"] >= 60 and compared["google"] >= 40 and compared["deepseek"] >= 90


# --- the point: a fresh install reprices 2024-2026 ----------------------------------------------

def _usage(path: Path, providers: list[str]) -> Path:
    lines = ["timestamp,provider,model,input_tokens,output_tokens"]
    lines += [f"{when},{provider},{model},1000000,1000000" for when in QUARTERS for provider in providers
              for model in LISTED[provider]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _asked(usage: Path) -> dict[int, tuple[str, str]]:
    """line number -> (day, model id) as the usage file gives them."""
    lines = usage.read_text(encoding="utf-8").splitlines()[1:]
    return {n: (line[:10], line.split(",")[2]) for n, line in enumerate(lines, start=2)}


def _reprice(capsys, db: Path, usage: Path, *extra: str) -> dict:
    code, out, err = run(capsys, "reprice", "--db", str(db), str(usage), "--json", *extra)
    result = json.loads(out)
    unpriced = len(result["unpriced"])
    assert (code, err) == ((1, f"ratecard reprice: {unpriced} row(s) unpriced, not in the total (listed with the"
                                " reason)\n") if unpriced else (0, ""))
    return result


def test_one_row_per_listed_model_per_quarter_in_usd(fresh_install, tmp_path, capsys):
    usage = _usage(tmp_path / "quarters.csv", list(LISTED))
    result = _reprice(capsys, fresh_install, usage)
    asked = _asked(usage)  # the model each line asked for (a priced row names the snapshot it was priced on)
    rows = {asked[r["line"]]: Decimal(r["cost"]) for r in result["rows"]}
    unpriced = {asked[u["line"]]: u["reason"] for u in result["unpriced"]}
    assert len(rows) + len(unpriced) == len(QUARTERS) * sum(len(m) for m in LISTED.values()) == 468
    assert (len(rows), len(unpriced)) == (282, 186)
    assert result["total"] == {"USD": "4908.17"}
    assert result["uncertain_change"]["rows"] == 0  # mid-month rows: no change of unknown instant meets them
    # 1M input + 1M output tokens, at the prices then in force
    assert rows[("2024-05-15", "gpt-4o")] == 20               # launch price 5 / 15
    assert rows[("2024-11-15", "gpt-4o")] == Decimal("12.5")  # after the alias moved to 2024-08-06: 2.5 / 10
    assert rows[("2025-05-15", "o3")] == 50                   # 10 / 40 before the June 2025 cut
    assert rows[("2025-08-15", "o3")] == 10                   # 2 / 8 after it
    # a 1M-token prompt is over 1.5 Pro's 128k threshold: the long-context rates, 7 / 21 before the
    # 2024-10-01 cut and 2.5 / 10 after it
    assert rows[("2024-08-15", "gemini-1.5-pro")] == 28
    assert rows[("2024-11-15", "gemini-1.5-pro")] == Decimal("12.5")
    assert rows[("2025-08-15", "gemini-2.5-pro")] == Decimal("17.5")  # over 200k: 2.5 / 15
    assert rows[("2024-05-15", "claude-3-opus")] == 90
    assert rows[("2024-08-15", "mistral-large-latest")] == 12  # alias -> mistral-large-2407 at 3 / 9
    assert rows[("2024-11-15", "mistral-large-latest")] == 8   # 2407 after the September cut: 2 / 6
    assert rows[("2026-02-15", "mistral-large-latest")] == 2   # alias -> mistral-large-2512: 0.5 / 1.5
    assert rows[("2025-02-15", "grok-2-latest")] == 12         # alias -> grok-2-1212: 2 / 10 (the seeds' table)
    assert rows[("2025-08-15", "grok-4")] == 18                # alias -> grok-4-0709: 3 / 15
    assert rows[("2025-02-15", "deepseek-chat")] == Decimal("1.37")  # after the V3 promo: 0.27 / 1.1
    assert rows[("2026-05-15", "deepseek-chat")] == Decimal("0.42")  # V4: the alias of deepseek-v4-flash, 0.14 / 0.28
    # every unpriced row says why: the model did not exist yet, or a stretch no source covers (the retired
    # DeepSeek ids are priced on deepseek-v4-flash, which the page says they correspond to)
    kinds = {"before": 0, "unknown": 0, "removed": 0}
    for (when, model), reason in unpriced.items():
        if " is before " in reason:
            kinds["before"] += 1
        elif "is not known" in reason:
            kinds["unknown"] += 1
        elif "was removed from the price list" in reason:
            kinds["removed"] += 1
        else:
            pytest.fail(f"{when} {model}: unexpected reason {reason!r}")
    assert kinds == {"before": 176, "unknown": 10, "removed": 0}
    assert unpriced[("2024-02-15", "o3")] == ("2024-02-15T12:00:00Z is before the history of openai/o3"
                                              " starts (2025-04-16T00:00:00Z)")
    assert unpriced[("2024-02-15", "gpt-4o")] == ("2024-02-15T12:00:00Z is before openai/gpt-4o named any model"
                                                  " (from 2024-05-13T00:00:00Z it named gpt-4o-2024-05-13)")
    assert rows[("2026-08-15", "deepseek-chat")] == Decimal("0.42")  # still v4-flash's flat prices


def test_mistral_in_eur_where_mistral_published_eur(fresh_install, tmp_path, capsys):
    usage = _usage(tmp_path / "mistral.csv", ["mistral"])
    result = _reprice(capsys, fresh_install, usage, "--currency", "EUR")
    rows = {(r["time"][:10], r["model"]): r["cost"] for r in result["rows"]}
    assert rows == {
        ("2026-05-15", "mistral-large-2512"): "2", ("2026-08-15", "mistral-large-2512"): "2",
        ("2026-11-15", "mistral-large-2512"): "2",
        ("2026-05-15", "mistral-medium-latest"): "7.65", ("2026-08-15", "mistral-medium-latest"): "7.65",
        ("2026-11-15", "mistral-medium-latest"): "7.65",
    }
    assert result["total"] == {"EUR": "28.95"}
    reasons = {(u["time"][:10], u["model"]): u["reason"] for u in result["unpriced"]}
    assert len(reasons) == 30
    assert reasons[("2024-08-15", "mistral-large-latest")] == (
        "mistral-large-latest named mistral-large-2407 then, which has no EUR price in the history")
    # the same file in USD
    usd = _reprice(capsys, fresh_install, usage)
    # large 12 + 8 + 4 x 8 + 4 x 2, medium 4 x 2.4 + 3 x 9, small 0.8 + 5 x 0.4
    assert (len(usd["rows"]), usd["total"]) == (23, {"USD": "99.4"})


def test_a_march_2024_row_in_eur_is_priced_on_the_docs_page_price(fresh_install, tmp_path, capsys):
    usage = tmp_path / "m.csv"
    usage.write_text("timestamp,provider,model,input_tokens,output_tokens\n"
                     "2024-03-15T12:00:00Z,mistral,mistral-large-latest,1000000,1000000\n"
                     "2024-03-15T12:00:00Z,mistral,mistral-small-latest,1000000,1000000\n", encoding="utf-8")
    result = _reprice(capsys, fresh_install, usage, "--currency", "EUR")
    assert [(r["model"], r["cost"]) for r in result["rows"]] == [("mistral-large-2402", "29.3"),
                                                                 ("mistral-small-2402", "7.4")]
