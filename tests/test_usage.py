"""Usage files: column names users already have, CSV/JSONL detection, errors naming file/line/field."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from db.reprice.usage import UsageError, read_usage

FIXTURES = Path(__file__).parent / "fixtures" / "usage"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_seed_table_columns_and_thousands_separators():
    [row] = read_usage(FIXTURES / "deepseek_day.csv")
    assert row.start == datetime(2025, 1, 20, tzinfo=timezone.utc)
    assert row.whole_day
    assert row.end == datetime(2025, 1, 21, tzinfo=timezone.utc)
    assert (row.provider, row.model) == ("deepseek", "deepseek-chat")
    assert row.tokens == (2_753_752, 946_816, 0, 0, 3_100_977)
    assert row.line == 2


def test_deepseek_usage_objects_in_jsonl_skip_blank_lines():
    rows = list(read_usage(FIXTURES / "deepseek_api.jsonl"))
    assert [r.line for r in rows] == [1, 3]
    assert rows[0].tokens == (200, 1000, 0, 0, 300)
    assert rows[0].start == datetime(2025, 2, 26, 16, 29, 59, tzinfo=timezone.utc)
    assert not rows[0].whole_day


def test_openai_cached_tokens_are_subtracted_from_the_prompt():
    [row] = read_usage(FIXTURES / "openai_api.jsonl")
    assert row.tokens == (5000 - 3072, 3072, 0, 0, 700)
    assert row.start == datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)  # +01:00 converted


def test_anthropic_cache_reads_and_writes():
    [row] = read_usage(FIXTURES / "anthropic_api.jsonl")
    assert row.tokens == (40, 9000, 500, 2000, 800)


def test_anthropic_writes_without_breakdown(tmp_path):
    path = write(tmp_path, "a.csv", "time,provider,model,input_tokens,cache_creation_input_tokens,"
                 "ephemeral_1h_input_tokens,output_tokens\n2025-03-01T00:00:00Z,anthropic,m,1,30,10,2\n")
    [row] = read_usage(path)
    assert row.tokens == (1, 0, 20, 10, 2)


def test_openai_responses_input_tokens_include_cached(tmp_path):
    path = write(tmp_path, "r.jsonl", '{"time":"2025-03-01","provider":"openai","model":"gpt-4.1",'
                 '"input_tokens":100,"input_tokens_details":{"cached_tokens":60},"output_tokens":5}\n')
    [row] = read_usage(path)
    assert row.tokens == (40, 60, 0, 0, 5)


def test_semicolon_csv_and_bom(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes("\ufefftime;provider;model;cache hit;cache miss;output\n"
                     "2025-01-20T08:00:00;DeepSeek;deepseek-chat;1;2;3\n".encode("utf-8"))
    [row] = read_usage(path)
    assert row.provider == "deepseek"
    assert row.tokens == (2, 1, 0, 0, 3)
    assert row.start == datetime(2025, 1, 20, 8, tzinfo=timezone.utc)


def test_json_array(tmp_path):
    path = write(tmp_path, "a.json", '[{"time":"2025-01-20","provider":"mistral","model":"m",'
                 '"input_tokens":1.0,"output_tokens":2}]')
    assert [r.tokens for r in read_usage(path)] == [(1, 0, 0, 0, 2)]


def test_empty_cells_are_zero(tmp_path):
    path = write(tmp_path, "e.csv", "time,provider,model,input_tokens,output_tokens\n2025-01-20,p,m,,5\n")
    assert [r.tokens for r in read_usage(path)] == [(0, 0, 0, 0, 5)]


@pytest.mark.parametrize("body, message", [
    ("2025-01-20,p,m,-5,1", "u.csv:2: input_tokens: -5 is negative"),
    ("2025-01-20,p,m,1.5,1", "u.csv:2: input_tokens: '1.5' is not a whole number of tokens (a decimal point"
                             " or comma; thousands may be grouped by ',' or spaces)"),
    ("2025-01-20,p,m,12abc,1", "u.csv:2: input_tokens: '12abc' is not an integer"),
    ("20/01/2025,p,m,1,1", "u.csv:2: time: '20/01/2025' is not an ISO 8601 time or date"),
    ("2025-01-20,p,,1,1", "u.csv:2: model: is empty"),
    ("2025-01-20,p,m,1", "u.csv:2: 4 cells, the header has 5"),
])
def test_bad_rows_name_file_line_field(tmp_path, body, message):
    path = write(tmp_path, "u.csv", "time,provider,model,input_tokens,output_tokens\n" + body + "\n")
    with pytest.raises(UsageError) as err:
        list(read_usage(path))
    assert str(err.value) == f"{tmp_path}/{message}"


@pytest.mark.parametrize("header, message", [
    ("time,provider,model,input_tokens,colour", "u.csv:1: colour: unknown column"),
    ("time,provider,input_tokens", "u.csv:1: model: missing column"),
    ("time,provider,model,input_tokens,input", "u.csv:1: input: gives the same count as column 'input_tokens'"),
    ("time,provider,model,colour_count", "u.csv:1: colour_count: unknown column"),
])
def test_bad_headers(tmp_path, header, message):
    path = write(tmp_path, "u.csv", header + "\n")
    with pytest.raises(UsageError) as err:
        list(read_usage(path))
    assert str(err.value).startswith(f"{tmp_path}/{message}")


def test_inconsistent_totals_are_rejected(tmp_path):
    path = write(tmp_path, "t.jsonl", '{"time":"2025-01-20","provider":"deepseek","model":"m",'
                 '"prompt_tokens":10,"prompt_cache_hit_tokens":3,"prompt_cache_miss_tokens":8}\n')
    with pytest.raises(UsageError, match=r"t.jsonl:1: prompt_tokens: 10 does not equal the sum of its parts \(11\)"):
        list(read_usage(path))


def test_cached_larger_than_prompt(tmp_path):
    path = write(tmp_path, "c.jsonl", '{"time":"2025-01-20","provider":"openai","model":"m",'
                 '"prompt_tokens":10,"cached_tokens":30}\n')
    with pytest.raises(UsageError, match=r"c.jsonl:1: prompt_tokens: prompt_tokens - cached_tokens is negative \(-20\)"):
        list(read_usage(path))


def test_bad_json_line(tmp_path):
    path = write(tmp_path, "b.jsonl", '{"time":"2025-01-20","provider":"p","model":"m","output_tokens":1}\n{oops\n')
    with pytest.raises(UsageError, match=r"b.jsonl:2: not valid JSON"):
        list(read_usage(path))


def test_nonzero_audio_tokens_are_refused(tmp_path):
    path = write(tmp_path, "a.jsonl", '{"time":"2025-01-20","provider":"openai","model":"m",'
                 '"prompt_tokens":10,"prompt_tokens_details":{"audio_tokens":4}}\n')
    with pytest.raises(UsageError, match=r"a.jsonl:1: audio_tokens: non-zero, and not priced by ratecard"):
        list(read_usage(path))


def test_missing_file():
    with pytest.raises(UsageError, match=r"nope.csv:0: cannot read"):
        list(read_usage("nope.csv"))


def test_service_tier_column(tmp_path):
    path = write(tmp_path, "t.csv", "time,provider,model,service_tier,input_tokens\n"
                 "2025-06-01T10:00:00Z,openai,gpt-4.1,default,1\n2025-06-01T10:00:00Z,openai,gpt-4.1,Batch,1\n"
                 "2025-06-01T10:00:00Z,openai,gpt-4.1,scale,1\n")
    rows = read_usage(path)
    assert [next(rows).tier, next(rows).tier] == ["standard", "batch"]
    with pytest.raises(UsageError, match=r"t.csv:4: service_tier: 'scale' is not a service tier "
                                         r"\(batch, fast, flex, priority, standard, ultrafast\)"):
        next(rows)


def test_provider_option_for_files_without_the_column(tmp_path):
    path = write(tmp_path, "seed.csv", "Date,Model,Entrée,Sortie\n2025-01-20,mistral-large-2411,297429,474855\n")
    [row] = read_usage(path, provider="Mistral")
    assert (row.provider, row.model, row.tokens) == ("mistral", "mistral-large-2411", (297429, 0, 0, 0, 474855))
    with pytest.raises(UsageError, match=r"seed.csv:1: provider: missing column"):
        list(read_usage(path))
