"""The columnar batch pricer must give exactly the row-by-row totals, whatever the file holds."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from db.reprice.batch import price_totals
from db.reprice.pricer import Priced, Pricer, Totals
from db.reprice.usage import UsageError, read_usage
from test_reprice import DEEPSEEK, MISTRAL, PUBLISHED, utc, versions

HEADER = "time,provider,model,input_cache_hit_tokens,input_tokens,output_tokens\n"


def row_by_row(path: Path, pricer: Pricer, **kw) -> tuple[Totals, list]:
    totals, unpriced = Totals(), []
    for row in read_usage(path):
        result = pricer.price(row, **kw)
        if isinstance(result, Priced):
            totals.add(result)
        else:
            unpriced.append(result)
    return totals, unpriced


def assert_same(path: Path, pricer: Pricer, chunk_bytes: int = 4096, **kw) -> int:
    """Batch and row-by-row totals are identical; returns how many rows took the row path."""
    batch = price_totals(path, pricer, chunk_bytes=chunk_bytes, **kw)
    totals, unpriced = row_by_row(path, pricer, **kw)
    assert batch.totals.units == totals.units
    assert batch.totals.lowest_units == totals.lowest_units
    assert batch.totals.by_model_month == totals.by_model_month
    assert batch.totals.by_component == totals.by_component
    assert batch.totals.priced_rows == totals.priced_rows
    assert [(u.row.line, u.field, u.reason) for u in batch.unpriced] == [
        (u.row.line, u.field, u.reason) for u in unpriced]
    return batch.slow_rows


def usage_lines(n: int, seed: int = 1) -> list[str]:
    """Rows every few minutes from 2025-02-07 through the promo end, full price and off-peak."""
    rng = random.Random(seed)
    start = datetime(2025, 2, 7, tzinfo=timezone.utc)
    lines = []
    for i in range(n):
        t = start + timedelta(seconds=i * 997 + rng.randrange(60))
        provider, model = ("mistral", "mistral-large-2411") if i % 5 == 0 else ("deepseek", "deepseek-chat")
        hit = 0 if provider == "mistral" else rng.randrange(9000)
        lines.append(f"{t:%Y-%m-%dT%H:%M:%S}Z,{provider},{model},{hit},{rng.randrange(4000)},{rng.randrange(900)}\n")
    return lines


@pytest.fixture
def pricer() -> Pricer:
    return Pricer(DEEPSEEK + MISTRAL, "USD", PUBLISHED)


def test_plain_file_takes_the_fast_path_only(tmp_path, pricer):
    path = tmp_path / "u.csv"
    path.write_text(HEADER + "".join(usage_lines(4000)))
    assert assert_same(path, pricer) == 0


def test_awkward_rows_fall_back_row_by_row_with_the_same_totals(tmp_path, pricer):
    lines = usage_lines(3000)
    lines[100] = '2025-02-08T10:00:00Z,deepseek,deepseek-chat,"1,000",5,6\n'         # quoted
    lines[700] = "2025-02-09,deepseek,deepseek-chat,10,20,30\n"                       # date only
    lines[1200] = "2025-02-10T10:00:00+08:00,deepseek,deepseek-chat,10,20,30\n"       # offset
    lines[1500] = "2025-02-10T10:00:00Z,deepseek,deepseek-coder,10,20,30\n"           # unknown model
    lines[1800] = "2025-02-11T10:00:00Z,deepseek,deepseek-chat,,20,30\n"              # empty cell
    lines[2100] = "\n"                                                                 # blank line
    lines[2400] = "2025-02-12T10:00:00.250Z,deepseek,deepseek-chat,1,2,3\n"           # fractions
    lines[2600] = "2024-01-01T00:00:00Z,deepseek,deepseek-chat,1,2,3\n"               # before history
    path = tmp_path / "u.csv"
    path.write_text(HEADER + "".join(lines))
    slow = assert_same(path, pricer)
    assert 0 < slow < 3000


def test_a_version_starting_inside_a_minute(tmp_path):
    edge = versions("deepseek", "deepseek-chat", "USD", "2025-03-01", "2025-03-01T10:00:30", input=("1", None)) + \
        versions("deepseek", "deepseek-chat", "USD", "2025-03-01T10:00:30", input=("2", None))
    pricer = Pricer(edge, "USD", PUBLISHED)
    path = tmp_path / "u.csv"
    path.write_text("time,provider,model,input_tokens\n" + "".join(
        f"2025-03-01T{h:02d}:{m:02d}:{s:02d}Z,deepseek,deepseek-chat,1000000\n"
        for h in (9, 10, 11) for m in (0, 1) for s in (0, 29, 30, 59)))
    assert assert_same(path, pricer, chunk_bytes=1 << 20) > 0
    assert pricer.money(price_totals(path, pricer).totals.units) == 10 * 1 + 14 * 2  # up to 10:00:29 at 1, from 10:00:30 at 2


def test_at_and_as_give_the_row_by_row_totals(tmp_path, pricer):
    path = tmp_path / "u.csv"
    path.write_text(HEADER + "".join(line for line in usage_lines(2000) if ",mistral," not in line))
    assert assert_same(path, pricer, at=utc("2025-03-03T20:00:00")) == 0
    assert_same(path, pricer, target=("mistral", "mistral-large-2411"))  # cache hits billed as input


def test_quoted_newline_across_a_chunk_boundary(tmp_path, pricer):
    path = tmp_path / "u.csv"
    path.write_text("time,provider,model,input_tokens,output_tokens\n"
                    + "2025-03-03T10:00:00Z,deepseek,deepseek-chat,1,1\n" * 40
                    + '2025-03-03T10:00:00Z,deepseek,"deepseek-chat",1,1\n' * 3
                    + "2025-03-03T10:00:00Z,deepseek,deepseek-chat,1,1\n" * 40)
    assert assert_same(path, pricer, chunk_bytes=700) > 0


def test_bad_cell_in_a_later_batch_names_its_line(tmp_path, pricer):
    lines = usage_lines(2000)
    lines[1733] = "2025-02-11T10:00:00Z,deepseek,deepseek-chat,12,x7,30\n"
    path = tmp_path / "u.csv"
    path.write_text(HEADER + "".join(lines))
    with pytest.raises(UsageError) as err:
        price_totals(path, pricer, chunk_bytes=4096)
    assert str(err.value) == f"{path}:1735: input_tokens: 'x7' is not an integer"


def test_jsonl_is_priced_row_by_row(pricer):
    path = Path(__file__).parent / "fixtures" / "usage" / "deepseek_api.jsonl"
    assert assert_same(path, pricer) == 2


def test_service_tier_column_is_priced_row_by_row(tmp_path, pricer):
    path = tmp_path / "u.csv"
    path.write_text("time,provider,model,service_tier,input_tokens\n"
                    + "2025-03-03T10:00:00Z,deepseek,deepseek-chat,default,1000\n" * 3
                    + "2025-03-03T10:00:00Z,deepseek,deepseek-chat,batch,1000\n")
    assert assert_same(path, pricer) == 4
