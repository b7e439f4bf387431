"""A batch, flex, priority or fast request with a long prompt: its tier's own long-context rates,
or unpriced, never the tier's short-prompt rates.

OpenAI prints Batch and Priority prices for prompts over 272K tokens (``batch context>272k``);
Anthropic's fast mode and batch discount follow the long-context price.  A service-tier row
whose prompt is over a long-context threshold in force for the model used to be priced at the
tier's usual rates, silently low.  Now it takes the tier's rates for that size where the history
has them, and is unpriced on its tier where it does not.  The row pricer and the DuckDB engine
(through the rate table's prompt bands) say the same to the last unit.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from db.reprice.engine import Engine
from db.reprice.pricer import Priced, Pricer, Unpriced
from db.reprice.rates import RATE_COLUMNS, compile_rates
from db.reprice.usage import TOKEN_COMPONENTS, read_usage
from test_engine import engine_rows, expected
from test_reprice import versions

SONNET = (versions("anthropic", "claude-sonnet-4", "USD", "2025-05-22", input=("3", None), output=("15", None))
          + versions("anthropic", "claude-sonnet-4", "USD", "2025-08-12", tier="context>200k",
                     input=("6", None), output=("22.5", None))
          + versions("anthropic", "claude-sonnet-4", "USD", "2025-05-22", tier="batch",
                     input=("1.5", None), output=("7.5", None))
          + versions("anthropic", "claude-sonnet-4", "USD", "2025-08-12", tier="batch context>200k",
                     input=("3", None), output=("11.25", None))
          + versions("anthropic", "claude-sonnet-4", "USD", "2025-05-22", tier="fast",
                     input=("18", None), output=("90", None)))
GPT = (versions("openai", "gpt-5.5", "USD", "2026-04-23", input=("5", None), output=("30", None))
       + versions("openai", "gpt-5.5", "USD", "2026-04-23", tier="context>272k", input=("10", None), output=("45", None))
       + versions("openai", "gpt-5.5", "USD", "2026-04-23", tier="priority", input=("12.5", None), output=("75", None)))

HEADER = "time,provider,model,service_tier," + ",".join(f"{c}_tokens" for c in TOKEN_COMPONENTS) + "\n"


def line(time: str, provider: str, model: str, tier: str, prompt: int, output: int) -> str:
    tokens = {"input": prompt, "output": output}
    return f"{time},{provider},{model},{tier}," + ",".join(str(tokens.get(c, 0)) for c in TOKEN_COMPONENTS) + "\n"


ROWS = [  # (line, expected cost or the unpriced field)
    (line("2025-09-01T10:00:00Z", "anthropic", "claude-sonnet-4", "batch", 100_000, 1_000), "0.1575"),
    (line("2025-09-01T10:00:00Z", "anthropic", "claude-sonnet-4", "batch", 300_000, 1_000), "0.91125"),
    (line("2025-09-01T10:00:00Z", "anthropic", "claude-sonnet-4", "fast", 300_000, 1_000), "tier"),
    (line("2025-09-01T10:00:00Z", "anthropic", "claude-sonnet-4", "fast", 100_000, 1_000), "1.89"),
    (line("2025-09-01T10:00:00Z", "anthropic", "claude-sonnet-4", "fast", 200_000, 1_000), "3.69"),
    (line("2025-07-01T10:00:00Z", "anthropic", "claude-sonnet-4", "fast", 300_000, 1_000), "5.49"),
    (line("2025-09-01T10:00:00Z", "anthropic", "claude-sonnet-4", "", 300_000, 1_000), "1.8225"),
    (line("2026-05-01T10:00:00Z", "openai", "gpt-5.5", "priority", 300_000, 1_000), "tier"),
    (line("2026-05-01T10:00:00Z", "openai", "gpt-5.5", "priority", 272_000, 1_000), "3.475"),
    (line("2026-05-01T10:00:00Z", "openai", "gpt-5.5", "", 300_000, 1_000), "3.045"),
]


@pytest.fixture(scope="module")
def pricer() -> Pricer:
    return Pricer(SONNET + GPT, "USD", {"anthropic": {"USD"}, "openai": {"USD"}})


@pytest.fixture(scope="module")
def usage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("service") / "usage.csv"
    path.write_text(HEADER + "".join(text for text, _ in ROWS), encoding="utf-8")
    return path


def test_the_row_pricer_uses_the_tiers_long_rates_or_leaves_the_row_unpriced(pricer, usage):
    """Over 200K at batch: Anthropic's batch long-context rates ($3 / $11.25); fast mode has none,
    so unpriced on its tier; before the long-context tier began (July 2025) the fast rates hold;
    exactly at the threshold (200,000 / 272,000 tokens) is not over it."""
    got = []
    for row in read_usage(usage):
        result = pricer.price(row)
        got.append(result.field if isinstance(result, Unpriced) else str(pricer.money(result.units)))
    assert got == [cost for _, cost in ROWS]
    fast = pricer.price(next(r for r in read_usage(usage) if r.line == 4))
    assert isinstance(fast, Unpriced) and fast.reason == (
        "anthropic/claude-sonnet-4: a 300000-token prompt is over the 200k long-context threshold, and the"
        " history has no fast price for prompts that long at 2025-09-01T10:00:00Z (its fast rates are for"
        " shorter prompts)")
    batch = pricer.price(next(r for r in read_usage(usage) if r.line == 3))
    assert isinstance(batch, Priced)
    assert [(c, r.tier, r.price) for c, t, r, _ in batch.components if t] == [
        ("input", "batch context>200k", Decimal("3")), ("output", "batch context>200k", Decimal("11.25"))]


def test_the_engine_prices_every_row_as_the_row_pricer(pricer, usage):
    with Engine(pricer, threads=2) as engine:
        engine.load(usage)
        engine.price()
        assert engine_rows(engine) == expected(pricer, usage)


def test_the_rate_table_bands_the_service_tiers_by_prompt_size(pricer):
    """What ``ratecard export --rates`` gives Spark and DuckDB users: the batch tier up to 200K,
    and over it (its own rates before the long-context tier began, the batch long rates after);
    fast mode over 200K only before the long-context tier began: after, no row, so unpriced."""
    table = compile_rates(pricer)
    index = {c: RATE_COLUMNS.index(c) for c in ("model", "book", "tier", "min_prompt", "max_prompt",
                                                  "valid_from_us", "valid_to_us")}
    rows = sorted((r[index["tier"]], r[index["min_prompt"]], r[index["max_prompt"]], r[index["valid_from_us"]],
                   r[index["valid_to_us"]]) for r in table.rows
                  if r[index["model"]] == "claude-sonnet-4" and r[index["tier"]] in ("batch", "fast")
                  and r[index["book"]] == "late")
    may, aug = 1747872000000000, 1754956800000000  # 2025-05-22, 2025-08-12 UTC
    assert rows == [("batch", 0, 200000, may, None),
                    ("batch", 200001, None, may, aug), ("batch", 200001, None, aug, None),
                    ("fast", 0, 200000, may, None), ("fast", 200001, None, may, aug)]


BILLED_HEADER = "time,provider,model,service_tier,context_window,input_tokens,output_tokens\n"
BILLED = [  # what a provider's export says each row was billed at
    ("2025-09-01T10:00:00Z,anthropic,claude-sonnet-4,batch,200k-1M,300000,1000\n", "0.91125"),
    ("2025-09-01,anthropic,claude-sonnet-4,batch,200k-1M,300000,1000\n", "0.91125"),
    ("2025-09-01T10:00:00Z,anthropic,claude-sonnet-4,fast,200k-1M,300000,1000\n", "tier"),
    ("2025-09-01T10:00:00Z,anthropic,claude-sonnet-4,batch,0-200k,300000,1000\n", "0.4575"),
]


def test_a_service_row_billed_at_a_long_context_tier_takes_that_tiers_own_rates(pricer, tmp_path):
    """An export that names the billed context window (``200k-1M``) of a batch row: the batch
    long-context rates, instant or whole day; fast mode has none, so unpriced on tier; ``0-200k``
    is the batch rates whatever the prompt.  The engine says the same."""
    path = tmp_path / "billed.csv"
    path.write_text(BILLED_HEADER + "".join(text for text, _ in BILLED), encoding="utf-8")
    got = []
    for row in read_usage(path):
        result = pricer.price(row)
        got.append(result.field if isinstance(result, Unpriced) else str(pricer.money(result.units)))
    assert got == [cost for _, cost in BILLED]
    with Engine(pricer, threads=2) as engine:
        engine.load(path)
        engine.price()
        assert engine_rows(engine) == expected(pricer, path)


def test_an_ultrafast_row_pays_the_ultrafast_rates(tmp_path):
    history = (versions("openai", "gpt-6-astra", "USD", "2026-10-01", input=("10", None), output=("50", None))
               + versions("openai", "gpt-6-astra", "USD", "2026-10-01", tier="ultrafast",
                          input=("60", None), output=("300", None)))
    pricer = Pricer(history, "USD", {"openai": {"USD"}})
    path = tmp_path / "ultra.csv"
    path.write_text(HEADER + line("2026-10-05T10:00:00Z", "openai", "gpt-6-astra", "ultrafast", 10_000, 1_000)
                    + line("2026-10-05T10:00:00Z", "openai", "gpt-6-astra", "", 10_000, 1_000), encoding="utf-8")
    costs = [str(pricer.money(pricer.price(row).units)) for row in read_usage(path)]
    assert costs == ["0.9", "0.15"]  # 10,000 x 60 + 1,000 x 300; 10,000 x 10 + 1,000 x 50 per 1M
    with Engine(pricer, threads=2) as engine:
        engine.load(path)
        engine.price()
        assert engine_rows(engine) == expected(pricer, path)
