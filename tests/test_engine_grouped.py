"""``reprice --summary`` of a CSV read once into groups (``db.reprice.grouped``): its totals must
be the row pricer's, to the last unit, whatever the rows' shape, ``--at`` and ``--as``; rows of
one span are one group, and the rows whose cost is not a sum (rows near the window of a change
of unknown instant) are grouped only with identical rows."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

duckdb = pytest.importorskip("duckdb")

from db.reprice import reference  # noqa: E402
from db.reprice.engine import Engine  # noqa: E402
from db.reprice.pricer import Priced, Pricer, When  # noqa: E402
from db.reprice.usage import UsageError  # noqa: E402
from test_engine import HEADER, HISTORY, PUBLISHED, usage_lines  # noqa: E402
from test_reprice import utc, versions  # noqa: E402
from test_reprice_when import A  # noqa: E402


@pytest.fixture(scope="module")
def pricer() -> Pricer:
    return Pricer(HISTORY, "USD", PUBLISHED)


@pytest.fixture(scope="module")
def usage(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("grouped") / "usage.csv"
    path.write_text(HEADER + "".join(usage_lines(1000, 23)), encoding="utf-8")
    return path


def reference_summary(pricer: Pricer, path: Path, at=None, target=None) -> str:
    """``reprice --summary --exact`` as the row pricer writes it."""
    totals, unpriced = reference.Totals(), []
    for p in reference.priced_rows(pricer, str(path), at, target):
        totals.add(p) if isinstance(p, Priced) else unpriced.append(p)
    out = io.StringIO()
    reference.write_totals(pricer, totals, unpriced, out, True)
    return out.getvalue()


def grouped_summary(engine: Engine, path: Path, at=None, target=None) -> str:
    engine.load(path, totals_only=True)
    engine.price(at, target, totals_only=True)
    out = io.StringIO()
    engine.write("summary", out, str(path), at, target)
    return out.getvalue()


def groups(engine: Engine) -> list[tuple]:
    return engine.con.execute("SELECT start_us, whole_day, model_id, n, t_input, t_output, band_prompt"
                              " FROM usage_groups ORDER BY line").fetchall()


@pytest.mark.parametrize("at, target", [
    (None, None),
    (None, ("mistral", "mistral-large-2411")),
    (When(utc("2025-09-29"), True), None),            # a date inside the uncertain window
    (When(utc("2025-02-08"), True), None),            # a date with a promo ending at 16:00
    (When(utc("2025-09-29T12:00:00")), None),         # an instant inside the window
    (When(utc("2025-03-03T16:30:00")), ("deepseek", "deepseek-chat")),  # an off-peak edge
])
def test_the_totals_of_groups_are_the_row_pricers(pricer, usage, at, target):
    """1000 rows at every edge of the history (promo ends, off-peak windows, the uncertain
    change, long-context bounds, service tiers, whole days, unpriced rows): the same summary,
    byte for byte, unpriced rows and their lines included; fewer groups than rows."""
    with Engine(pricer, threads=2) as engine:
        got = grouped_summary(engine, usage, at, target)
        made = engine.con.execute("SELECT count(*), sum(n) FROM usage_groups").fetchone()
        kept = engine.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'usage_rows'").fetchone()
    assert got == reference_summary(pricer, usage, at, target)
    assert "unpriced" in got and made[1] == 1000 - got.count("\n  line ") and kept == (0,) or made[1] == 1000
    assert made[1] == 1000 and made[0] < 1000 or at is not None and made[0] <= 1000


def test_rows_of_one_span_are_one_group_unless_their_cost_is_not_a_sum(pricer, tmp_path):
    """Rows of one model and span are one group of their summed tokens, priced at the span's
    start (half an hour for DeepSeek, whose off-peak window starts on the half hour; a day for
    Anthropic, whose prices change at midnight; a row using a component some rate has no price for, cache hits here, is apart: it
    may be unpriced where the others are not); two long prompts below the 200k bound stay in their band though their sum (300k) is
    past it; whole-day rows are one group of their day (a day costs its highest rate of the day
    per component: a sum too); rows inside the uncertain change's window are grouped only with
    identical rows, also when their provider is spelled otherwise ("DeepSeek": grouped by every
    provider's rule, then with the rows of the same id); deepseek-chat, which no window meets,
    is grouped by its span inside deepseek-reasoner's window."""
    rows = [
        "2025-03-05T10:15:01Z,deepseek,deepseek-chat,,100,0,0,0,10",
        "2025-03-05T10:15:59Z,deepseek,deepseek-chat,,200,50,0,0,20",
        "2025-03-05 10:15:30,deepseek,deepseek-chat,,300,0,0,0,30",
        "2025-03-05T10:29:59Z,deepseek,deepseek-chat,,400,0,0,0,40",
        "2025-03-05T10:30:00Z,deepseek,deepseek-chat,,500,0,0,0,50",
        "2025-08-20T08:00:05Z,anthropic,claude-sonnet-4,,150000,0,0,0,1000",
        "2025-08-20T08:00:45Z,anthropic,claude-sonnet-4,,150000,0,0,0,2000",
        "2025-08-20T08:00:50Z,anthropic,claude-sonnet-4,,250000,0,0,0,3000",
        "2025-03-05,deepseek,deepseek-chat,,1000,0,0,0,100",
        "2025-03-05,deepseek,deepseek-chat,,1000,0,0,0,100",
        "2025-03-05,deepseek,deepseek-chat,,1000,0,0,0,101",
        f"{A[:10]}T12:00:00Z,deepseek,deepseek-reasoner,,500,0,0,0,50",
        f"{A[:10]}T12:00:00Z,deepseek,deepseek-reasoner,,500,0,0,0,50",
        f"{A[:10]}T12:00:10Z,deepseek,deepseek-reasoner,,500,0,0,0,50",
        f"{A[:10]}T12:00:00Z,DeepSeek,deepseek-reasoner,,500,0,0,0,50",
        f"{A[:10]}T12:00:00Z,deepseek,deepseek-chat,,500,0,0,0,50",
        f"{A[:10]}T12:10:00Z,deepseek,deepseek-chat,,500,0,0,0,50",
    ]
    path = tmp_path / "minutes.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    with Engine(pricer, threads=2) as engine:
        got = grouped_summary(engine, path)
        made = groups(engine)
    assert got == reference_summary(pricer, path)
    us = lambda text: int(utc(text).timestamp()) * 10**6  # noqa: E731
    assert sorted(made, key=lambda g: (g[0], g[2], g[3], g[4])) == [
        (us("2025-03-05T00:00:00"), True, "deepseek-chat", 3, 3000, 301, 1000),
        (us("2025-03-05T10:00:00"), False, "deepseek-chat", 1, 200, 20, 250),
        (us("2025-03-05T10:00:00"), False, "deepseek-chat", 3, 800, 80, 100),
        (us("2025-03-05T10:30:00"), False, "deepseek-chat", 1, 500, 50, 500),
        (us("2025-08-20T00:00:00"), False, "claude-sonnet-4", 1, 250000, 3000, 250000),
        (us("2025-08-20T00:00:00"), False, "claude-sonnet-4", 2, 300000, 3000, 150000),
        (us(f"{A[:10]}T12:00:00"), False, "deepseek-chat", 2, 1000, 100, 500),
        (us(f"{A[:10]}T12:00:00"), False, "deepseek-reasoner", 3, 1500, 150, 500),
        (us(f"{A[:10]}T12:00:10"), False, "deepseek-reasoner", 1, 500, 50, 500),
    ]
    # the two 150k prompts at the standard rate (3 USD/M in, 15 out): 0.945; the 250k one past
    # 200k (6 and 22.5): 1.5675 (their 300k summed would have been 1.8675)
    assert " USD 2.5125\n" in got


@pytest.mark.parametrize("day, at", [("2025-05-01", None), ("2025-06-10", When(utc("2025-05-01"), True))])
def test_a_change_inside_a_span_groups_its_spans_rows_by_instant(tmp_path, day, at):
    """A price that changed at 12:00:30 (an observed instant) in a history of whole days: the
    rows of that day are grouped by their instant, each side of the change at its own price;
    the next day's rows are one group.  Rows of other days priced at their time of day on the
    day of the change (``--at DATE``) are all grouped by their instant."""
    history = (versions("mistral", "mistral-large-2411", "USD", "2025-01-01", "2025-05-01T12:00:30",
                        input=("2", None), output=("6", None))
               + versions("mistral", "mistral-large-2411", "USD", "2025-05-01T12:00:30",
                          input=("1", None), output=("3", None)))
    pricer = Pricer(history, "USD", {"mistral": {"USD"}})
    rows = [f"{day}T12:00:{s:02d}Z,mistral,mistral-large-2411,,1000000,0,0,0,1000000" for s in (10, 20, 40, 50)]
    rows += [f"{day}T12:59:{s:02d}Z,mistral,mistral-large-2411,,1000000,0,0,0,1000000" for s in (10, 50)]
    rows += [f"{day[:-1]}{int(day[-1]) + 1}T13:{m:02d}:00Z,mistral,mistral-large-2411,,1000000,0,0,0,1000000" for m in (0, 59)]
    path = tmp_path / "odd.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    with Engine(pricer, threads=2) as engine:
        got = grouped_summary(engine, path, at)
        made = groups(engine)
    assert got == reference_summary(pricer, path, at)
    assert "Total: 40 USD over 8 priced row(s)" in got  # 2 x 8 before the change, 6 x 4 after
    assert [g[3] for g in sorted(made)] == [1] * 6 + [2] if at is None else [1] * 8


def test_groups_past_a_run_are_priced_a_run_at_a_time(pricer, usage):
    """More groups than a run (``chunk_lines``: 194, halved to 97 as whole days and the
    uncertain window meet the file): priced 97 groups at a time, the same totals."""
    with Engine(pricer, threads=2, chunk_lines=194) as engine:
        got = grouped_summary(engine, usage, When(utc("2025-09-29"), True))
        assert engine.con.execute("SELECT count(*) FROM usage_groups").fetchone()[0] > 3 * 97
    assert got == reference_summary(pricer, usage, When(utc("2025-09-29"), True))


def test_a_long_gzip_file_is_grouped_from_its_text(pricer, usage, tmp_path):
    """A gzip file past ``stream_from_bytes`` is decompressed first (DuckDB reads gzip with one
    thread), a shorter one read as it is: the same summary as the plain file, the gzip file
    named, and the text gone with the engine."""
    zipped = tmp_path / "usage.csv.gz"
    zipped.write_bytes(gzip.compress(usage.read_bytes()))
    want = reference_summary(pricer, usage).replace(str(usage), "FILE")
    for stream_from_bytes in (0, 1 << 30):
        with Engine(pricer, threads=2, stream_from_bytes=stream_from_bytes) as engine:
            got = grouped_summary(engine, zipped).replace(str(zipped), "FILE")
            text = engine.tmpdir / "usage-text.csv"
            assert text.exists() == (stream_from_bytes == 0)
            tmpdir = engine.tmpdir
        assert got == want and "FILE:" in got
        assert not tmpdir.exists()


FIRST = "2025-03-05T10:15:01Z,deepseek,deepseek-chat,,100,0,0,0,10\n"
UNKNOWN = "2025-03-05T10:16:00Z,deepseek,deepseek-nope,,100,0,0,0,10\n"
#: Between the first row and an unpriced one: nothing, a blank line, a row whose model cell
#: holds a line break inside quotes (itself unpriced, on lines 3-4).
GAPS = {"none": ("", 3), "blank line": ("\n", 4),
        "quoted line break": ('2025-03-05T10:15:02Z,deepseek,"deepseek-\nchat",,100,0,0,0,10\n', 5)}


@pytest.mark.parametrize("gap", list(GAPS))
def test_lines_past_a_blank_line_or_a_quoted_line_break_are_the_files(pricer, tmp_path, gap):
    """DuckDB's rows are not the file's lines past a blank line or a line break inside quotes:
    the totals are the same, and the lines a message names (an unpriced row, a bad row) are
    the row reader's, the file's newlines counted only then."""
    text, line = GAPS[gap]
    path = tmp_path / "gap.csv"
    path.write_text(HEADER + FIRST + text + UNKNOWN, encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + FIRST + text + UNKNOWN.replace(",10\n", ",x\n"), encoding="utf-8")
    with Engine(pricer, threads=2) as engine:
        got = grouped_summary(engine, path)
        assert got == reference_summary(pricer, path)
        assert f"gap.csv:{line}: model: unknown model deepseek/deepseek-nope" in got
        with pytest.raises(UsageError) as refused:
            grouped_summary(engine, bad)
    with pytest.raises(UsageError) as want:
        reference_summary(pricer, bad)
    assert str(refused.value) == str(want.value) and f":{line}: output_tokens" in str(refused.value)


@pytest.mark.parametrize("at, again", [(When(utc("2025-03-03T16:30:00")), False),  # no window near it
                                       (When(utc("2025-09-29T12:00:00")), True)])  # inside the window
def test_every_row_at_one_instant_reads_the_file_again_only_near_a_window(pricer, usage, at, again, monkeypatch):
    """``--at`` an instant prices every row there: the groups made for the rows' own times do,
    unless the instant is near a window (then rows are kept whole: the file is read again)."""
    from db.reprice import grouped

    made = []
    keep = grouped.keep_groups
    monkeypatch.setattr(grouped, "keep_groups", lambda *a, **k: (made.append(1), keep(*a, **k))[1])
    with Engine(pricer, threads=2) as engine:
        got = grouped_summary(engine, usage, at)
    assert got == reference_summary(pricer, usage, at)
    assert len(made) == (2 if again else 1)


def test_a_parquet_file_is_read_into_groups_too(pricer, usage, tmp_path):
    """A warehouse's Parquet table: read once into groups (not kept), the same summary as its
    rows kept and priced one by one (a row's line is its row number), the same total as its CSV;
    a bad row named by its row number, with the row reader's message."""
    parquet = tmp_path / "usage.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_csv('{usage}', all_varchar = true)) TO '{parquet}' (FORMAT PARQUET)")
    bad = tmp_path / "bad.parquet"
    con.execute(f"COPY (SELECT * REPLACE (CASE WHEN row_number() OVER () = 700 THEN 'x' ELSE output_tokens END"
                f" AS output_tokens) FROM read_csv('{usage}', all_varchar = true)) TO '{bad}' (FORMAT PARQUET)")
    with Engine(pricer, threads=2) as engine:
        got = grouped_summary(engine, parquet)
        made = engine.con.execute("SELECT count(*), sum(n) FROM usage_groups").fetchone()
        kept = engine.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'usage_rows'").fetchone()
        with pytest.raises(UsageError) as refused:
            grouped_summary(engine, bad)
        engine.load(parquet)
        engine.price()
        rows = io.StringIO()
        engine.write("summary", rows, str(parquet))
    assert got == rows.getvalue() and "Unpriced rows" in got
    total = reference_summary(pricer, usage).rsplit("\nTotal: ", 1)[1]
    assert got.rsplit("\nTotal: ", 1)[1] == total
    assert made[1] == 1000 and made[0] < 1000 and kept == (0,)
    assert str(refused.value) == f"{bad}:700: output_tokens: 'x' is not an integer"
