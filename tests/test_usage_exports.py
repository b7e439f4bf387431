"""Usage as providers export it, and files as spreadsheets save them: encodings, gzip, locale
number forms; every problem is one UsageError naming file, line and field."""

from __future__ import annotations

import gzip
from datetime import datetime, timezone
from pathlib import Path

import pytest

from db.reprice.usage import UsageError, read_usage

EXPORTS = Path(__file__).parent / "fixtures" / "usage" / "exports"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def test_openai_organization_usage_buckets():
    day, batch, hour = read_usage(EXPORTS / "openai_org_usage_completions.json")
    assert (day.provider, day.model, day.tier) == ("openai", "gpt-4.1-2025-04-14", "standard")
    assert day.start == utc(2025, 5, 1) and day.whole_day
    assert day.tokens == (1_000_000, 200_000, 0, 0, 300_000)  # input_tokens include the cached ones
    assert (batch.tier, batch.tokens) == ("batch", (500_000, 0, 0, 0, 100_000))
    assert hour.start == utc(2025, 5, 2) and not hour.whole_day  # a 1-hour bucket: its start
    assert hour.model == "gpt-4.1-mini-2025-04-14"


def test_anthropic_usage_report_with_cache_writes_and_context_windows():
    short, long, batch = read_usage(EXPORTS / "anthropic_usage_report.json")
    assert (short.provider, short.model, short.start, short.whole_day) == (
        "anthropic", "claude-sonnet-4-20250514", utc(2025, 8, 1), True)
    assert short.tokens == (150_000, 400_000, 50_000, 20_000, 60_000)
    assert (short.context, long.context) == ("standard", "context>200k")
    assert long.tokens == (900_000, 0, 0, 0, 10_000)
    assert (batch.tier, batch.tokens) == ("batch", (1000, 0, 0, 0, 2000))


def test_deepseek_chat_completion_responses_name_their_provider():
    chat, reasoner = read_usage(EXPORTS / "deepseek_chat_completions.jsonl")
    assert (chat.provider, chat.model, chat.start) == ("deepseek", "deepseek-chat", utc(2025, 2, 26, 16, 29, 59))
    assert chat.tokens == (200, 1000, 0, 0, 300)
    assert (reasoner.model, reasoner.tokens) == ("deepseek-reasoner", (64, 0, 0, 0, 900))  # reasoning inside output
    assert reasoner.line == 2


def test_an_openai_completion_response_needs_provider(tmp_path):
    path = tmp_path / "r.json"
    path.write_text('{"id": "chatcmpl-1", "object": "chat.completion", "created": 1740787200, "model": "gpt-4o",'
                    ' "choices": [], "usage": {"prompt_tokens": 100, "completion_tokens": 5, "total_tokens": 105,'
                    ' "prompt_tokens_details": {"cached_tokens": 40, "audio_tokens": 0}}}\n')
    with pytest.raises(UsageError) as err:
        list(read_usage(path))
    assert str(err.value) == (f"{path}:1: provider: a chat completion response does not name its provider:"
                              " give it with --provider")
    [row] = read_usage(path, provider="openai")
    assert (row.provider, row.tokens, row.start) == ("openai", (60, 40, 0, 0, 5), utc(2025, 3, 1))


def test_openrouter_activity_export():
    pro, free = read_usage(EXPORTS / "openrouter_activity.csv")
    assert (pro.provider, pro.model) == ("openrouter", "deepseek/deepseek-v4-pro")  # not the upstream host
    assert pro.start == datetime(2026, 4, 26, 9, 15, 2, 118000, tzinfo=timezone.utc)
    assert pro.tokens == (400, 600, 0, 0, 500)
    assert (free.model, free.tokens, free.line) == ("openai/gpt-oss-120b:free", (2000, 0, 0, 0, 100), 3)


def test_litellm_spend_logs_csv():
    ds, oa = read_usage(EXPORTS / "litellm_spend_logs.csv")
    assert (ds.provider, ds.model, ds.start) == ("deepseek", "deepseek-chat", datetime(2025, 2, 26, 16, 29, 59, 120000,
                                                                                        tzinfo=timezone.utc))
    assert ds.tokens == (200, 1000, 0, 0, 300)
    assert (oa.provider, oa.model, oa.tokens) == ("openai", "gpt-4o-mini", (2000, 0, 0, 0, 500))


def test_litellm_provider_ratecard_does_not_price_is_one_line(tmp_path):
    text = (EXPORTS / "litellm_spend_logs.csv").read_text().replace(",openai,https", ",bedrock,https")
    path = tmp_path / "spend.csv"
    path.write_text(text)
    with pytest.raises(UsageError) as err:
        list(read_usage(path))
    assert str(err.value).startswith(f"{path}:3: custom_llm_provider: 'bedrock' is not a provider ratecard prices (")


CANONICAL = "time,provider,model,input_tokens,output_tokens\n2025-01-20,deepseek,deepseek-chat,{n},7\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_text_encodings_spreadsheets_save(tmp_path, encoding):
    path = tmp_path / "u.csv"
    path.write_bytes(("time,provider,model,input_tokens,output_tokens,note\n"
                      "2025-01-20,deepseek,deepseek-chat,1000,7,caf\u00e9 \u20ac\n").replace(",note", "")
                     .replace(",caf\u00e9 \u20ac", "").replace("deepseek-chat", "deepseek-chat").encode(encoding))
    [row] = read_usage(path)
    assert row.tokens == (1000, 0, 0, 0, 7)


def test_cp1252_model_names_are_decoded(tmp_path):
    path = tmp_path / "u.csv"
    path.write_bytes("time,provider,model,input_tokens,output_tokens\n2025-01-20,mistral,caf\u00e9\u2019,1,1\n"
                     .encode("cp1252"))
    [row] = read_usage(path)
    assert row.model == "caf\u00e9\u2019"


def test_gzip_compressed_files(tmp_path):
    path = tmp_path / "u.csv.gz"
    path.write_bytes(gzip.compress(CANONICAL.format(n=5).encode("utf-16")))
    [row] = read_usage(path)
    assert row.tokens == (5, 0, 0, 0, 7)
    jsonl = tmp_path / "api.jsonl.gz"
    jsonl.write_bytes(gzip.compress((EXPORTS / "deepseek_chat_completions.jsonl").read_bytes()))
    assert [r.model for r in read_usage(jsonl)] == ["deepseek-chat", "deepseek-reasoner"]


def test_a_gzip_file_cut_short_past_its_first_block_is_one_line(tmp_path):
    """Cut short after the first 64 KB of text that the sample reads: the line the row reader
    reached, not the decompressor's traceback."""
    path = tmp_path / "u.csv.gz"
    text = CANONICAL.format(n=5)
    data = gzip.compress((text + text.split("\n", 1)[1] * 20000).encode())
    path.write_bytes(data[:len(data) * 3 // 4])
    with pytest.raises(UsageError) as err:
        list(read_usage(path))
    line = int(str(err.value).split(":")[1])
    assert str(err.value) == f"{path}:{line}: the gzip data is cut short or damaged" and line > 1000


def test_a_cut_short_gzip_file_is_one_line(tmp_path):
    path = tmp_path / "u.csv.gz"
    path.write_bytes(gzip.compress((CANONICAL.format(n=5) * 2000).encode())[:200])
    with pytest.raises(UsageError) as err:
        list(read_usage(path))
    assert "gzip" in str(err.value) and str(err.value).startswith(f"{path}:")


def test_bytes_that_are_not_the_file_s_encoding_name_the_line(tmp_path):
    path = tmp_path / "u.csv"
    good = CANONICAL.format(n=1).split("\n")[1]
    path.write_bytes(("time,provider,model,input_tokens,output_tokens\n" + (good + "\n") * 5000).encode()
                     + b"2025-01-20,deepseek,\xff\xfe,1,1\n")
    with pytest.raises(UsageError) as err:
        list(read_usage(path))
    assert str(err.value) == f"{path}:5002: bytes that are not utf-8 text (save the file as UTF-8)"


@pytest.mark.parametrize("cell, tokens", [
    ("297\u00a0429", 297_429), ("297\u202f429", 297_429), ("1 297 429", 1_297_429), ("\"1,234\"", 1234),
    ("1234.0", 1234), ("\"1234,00\"", 1234),
])
def test_locale_number_forms_are_read(tmp_path, cell, tokens):
    path = tmp_path / "u.csv"
    path.write_text(CANONICAL.format(n=cell), encoding="utf-8")
    [row] = read_usage(path)
    assert row.tokens[0] == tokens


@pytest.mark.parametrize("cell", ["\"12,5\"", "1.234", "297\u00a042"])
def test_ambiguous_number_forms_are_refused_naming_the_field(tmp_path, cell):
    path = tmp_path / "u.csv"
    path.write_text(CANONICAL.format(n=cell), encoding="utf-8")
    with pytest.raises(UsageError) as err:
        list(read_usage(path))
    assert str(err.value).startswith(f"{path}:2: input_tokens: ")


def test_french_semicolon_spreadsheet(tmp_path):
    path = tmp_path / "u.csv"
    path.write_bytes("Date;Fournisseur;Mod\u00e8le;Entr\u00e9e;Sortie\n".replace("Fournisseur", "provider")
                     .replace("Mod\u00e8le", "model").replace("Date", "time").encode("cp1252")
                     + "2025-01-20;deepseek;deepseek-chat;297\u00a0429;1\u00a0000\n".encode("cp1252"))
    [row] = read_usage(path)
    assert row.tokens == (297_429, 0, 0, 0, 1000)


def test_fast_mode_is_a_service_tier(tmp_path):
    path = tmp_path / "u.csv"
    path.write_text("time,provider,model,service_tier,input_tokens,output_tokens\n"
                    "2026-08-21T10:00:00Z,anthropic,claude-opus-5,fast,10,20\n")
    [row] = read_usage(path)
    assert (row.tier, row.tokens) == ("fast", (10, 0, 0, 0, 20))


def test_an_export_time_past_year_9999_in_utc_is_one_line(tmp_path):
    """'9999-12-31 23:59:59-01:00' is a valid ISO time whose UTC instant Python cannot hold
    (OverflowError): named like any bad time, never a traceback."""
    text = (EXPORTS / "litellm_spend_logs.csv").read_text().replace("2025-03-01 09:00:00.000,",
                                                                    "9999-12-31 23:59:59-01:00,", 1)
    path = tmp_path / "spend.csv"
    path.write_text(text)
    with pytest.raises(UsageError) as err:
        list(read_usage(path))
    assert str(err.value) == f"{path}:3: startTime: '9999-12-31 23:59:59-01:00' is not an ISO 8601 time"
