"""Usage whose rows do not each have a line of their own: the records of one JSON document (an
array of usage objects, a provider's usage report) or of one JSON line holding several (a page
of buckets per line).  The row reader gives each record the line its value starts on, so many
records share a line; the engine keeps them in the file's order all the same, and shows the
line the row reader gives, in every output: the row writers' bytes (``db.reprice.reference``).

Why it matters: the engine sorts its priced rows by line (its hash joins give them back in
another order), so records that shared a line came out in whatever order the join left them."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

pytest.importorskip("duckdb")

from db.reprice import reference  # noqa: E402
from db.reprice.engine import Engine  # noqa: E402
from db.reprice.pricer import Priced, Pricer, When  # noqa: E402
from db.reprice.usage import TOKEN_COMPONENTS  # noqa: E402
from test_engine import engine, engine_text, pricer, usage_lines  # noqa: E402,F401  (fixtures)
from test_engine_grouped import grouped_summary, reference_summary  # noqa: E402
from test_reprice import utc  # noqa: E402

FORMATS = ["csv", "json", "table", "summary"]


def records(n: int, seed: int) -> list[dict]:
    """``n`` usage objects at every edge of the test history (``test_engine.usage_lines``): more
    than a vector of DuckDB's (2,048 rows), so a join gives them back out of order, and some
    unpriced (a provider or model the history does not have)."""
    keys = ["time", "provider", "model", "service_tier", *(f"{c}_tokens" for c in TOKEN_COMPONENTS)]
    out = []
    for k, text in enumerate(usage_lines(n, seed)):
        cells = dict(zip(keys, text.rstrip("\n").split(",")))
        record: dict = {key: (int(v) if key.endswith("_tokens") else v) for key, v in cells.items()}
        if k % 97 == 5:
            record["model"] = "no-such-model"
        out.append(record)
    return out


def reference_text(pricer: Pricer, path: Path, fmt: str) -> str:
    """The row writers' output of ``path`` (the summary in its exact form, as the engine writes it)."""
    if fmt == "summary":
        return reference_summary(pricer, path)
    text = io.StringIO()
    if fmt == "table":
        reference.write_text(pricer, reference.priced_rows(pricer, str(path)), text, True)
    else:
        writer = {"csv": reference.write_csv, "json": reference.write_json}[fmt]
        writer(pricer, reference.priced_rows(pricer, str(path)), text)
    return text.getvalue()


def engine_output(engine: Engine, path: Path, fmt: str) -> str:
    return grouped_summary(engine, path) if fmt == "summary" else engine_text(engine, path, fmt)


def assert_written_alike(pricer: Pricer, engine: Engine, path: Path, fmt: str) -> str:
    got, want = engine_output(engine, path, fmt), reference_text(pricer, path, fmt)
    if fmt == "json":  # the same document; the engine's spacing is its own
        assert json.loads(got) == json.loads(want)
    else:
        assert got == want
    return got


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_array_of_usage_objects_keeps_its_order(pricer, engine, tmp_path, fmt):
    rows = records(3000, 23)
    path = tmp_path / "usage.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    got = assert_written_alike(pricer, engine, path, fmt)
    if fmt == "csv":  # every record shown, in the document's order, on the line it starts on
        shown = list(csv.DictReader(io.StringIO(got)))
        assert [r["time"][:10] for r in shown] == [r["time"][:10] for r in rows]
        assert {r["line"] for r in shown} == {"1"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_pretty_printed_array_keeps_its_order(pricer, engine, tmp_path, fmt):
    path = tmp_path / "usage.json"
    path.write_text(json.dumps(records(2500, 29), indent=2), encoding="utf-8")
    assert_written_alike(pricer, engine, path, fmt)


def openai_pages(lines: int, buckets: int) -> list[dict]:
    """OpenAI usage API pages (``/v1/organization/usage/completions``), a line each, of hourly
    buckets from 2025-04-10 (gpt-4.1 has prices from 2025-04-14: earlier rows are unpriced), each
    bucket with a gpt-4.1 result (batch every third hour) and a gpt-5 one (not in the history)."""
    start = 1744243200  # 2025-04-10T00:00:00Z
    pages = []
    for page in range(lines):
        data = []
        for b in range(buckets):
            hour = page * buckets + b
            t = start + 3600 * hour
            data.append({"object": "bucket", "start_time": t, "end_time": t + 3600, "results": [
                {"object": "organization.usage.completions.result", "model": "gpt-4.1", "batch": hour % 3 == 0,
                 "input_tokens": 1000 + hour, "input_cached_tokens": 0, "output_tokens": 7 * hour},
                {"object": "organization.usage.completions.result", "model": "gpt-5", "batch": False,
                 "input_tokens": 50 + hour, "input_cached_tokens": 0, "output_tokens": hour}]})
        pages.append({"object": "page", "data": data, "has_more": page < lines - 1, "next_page": f"page_{page + 1}"})
    return pages


@pytest.mark.parametrize("fmt", FORMATS)
def test_json_lines_each_holding_several_records_keep_their_order(pricer, engine, tmp_path, fmt):
    """A page of buckets per line (an API's pages, saved a line each): a line's records share
    its line, and lines keep theirs."""
    path = tmp_path / "usage.jsonl"
    path.write_text("".join(json.dumps(page) + "\n" for page in openai_pages(30, 50)), encoding="utf-8")
    got = assert_written_alike(pricer, engine, path, fmt)
    if fmt == "csv":
        shown = list(csv.DictReader(io.StringIO(got)))
        assert [r["line"] for r in shown] == [str(1 + k // 100) for k in range(3000)]
        hours = [datetime(2025, 4, 10, tzinfo=timezone.utc) + timedelta(hours=k // 2) for k in range(3000)]
        assert [r["time"] for r in shown] == [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in hours]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_usage_report_document_keeps_its_order(pricer, engine, tmp_path, fmt):
    """One page, pretty-printed, as the API returns it."""
    path = tmp_path / "usage.json"
    path.write_text(json.dumps(openai_pages(1, 1200)[0], indent=2), encoding="utf-8")
    assert_written_alike(pricer, engine, path, fmt)


def test_parquet_output_of_a_document_keeps_its_order_and_lines(pricer, engine, tmp_path):
    duckdb = pytest.importorskip("duckdb")
    rows = records(3000, 37)
    path = tmp_path / "usage.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    target = tmp_path / "rows.parquet"
    engine.load(path)
    engine.price()
    engine.write("parquet", None, str(path), rows_to=target)
    got = duckdb.connect().execute(f"SELECT line, time, model FROM '{target}'").fetchall()
    want = [(p.row.line, reference.row_time(p), p.row.model if not isinstance(p, Priced) else p.model)
            for p in reference.priced_rows(pricer, str(path))]
    assert got == want
    assert {line for line, _, _ in got} == {1}


@pytest.mark.parametrize("fmt", ["csv", "summary"])
@pytest.mark.parametrize("at, target", [(When(utc("2025-09-29"), True), None),
                                        (None, ("mistral", "mistral-large-2411"))], ids=["at a date", "as a model"])
def test_a_document_priced_at_a_date_or_as_another_model_keeps_its_order(pricer, engine, tmp_path, fmt, at, target):
    """``--at`` and ``--as`` reprice a document's rows with the row pricer's texts (whole-day
    notes, a cache rate billed as another's, unpriced reasons), each joined to its own row."""
    path = tmp_path / "usage.json"
    path.write_text(json.dumps(records(2500, 41)), encoding="utf-8")
    if fmt == "summary":
        assert grouped_summary(engine, path, at, target) == reference_summary(pricer, path, at, target)
        return
    want = io.StringIO()
    reference.write_csv(pricer, reference.priced_rows(pricer, str(path), at, target), want)
    engine.load(path)
    engine.price(at, target)
    got = io.StringIO()
    engine.write("csv", got, str(path), at, target)
    assert got.getvalue() == want.getvalue()
