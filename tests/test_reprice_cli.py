"""``ratecard reprice`` end to end: a history built by ``ratecard scrape --at … --mirror`` over fixture
pages served on 127.0.0.1, then the seeds' worked examples repriced to the exact unit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from scraper import run as run_module
from scraper.cli import main
from scraper.fetch.http import FetchPolicy
from scraper.mirror import Mirror

FIXTURES = Path(__file__).parent / "fixtures"
USAGE = FIXTURES / "usage"
EN = "https://api-docs.deepseek.com/quick_start/pricing"
ZH = "https://api-docs.deepseek.com/zh-cn/quick_start/pricing"
MISTRAL = "https://mistral.ai/pricing"
ANTHROPIC = "https://docs.claude.com/en/docs/about-claude/pricing"


@pytest.fixture(scope="module")
def mirror() -> Iterator[Mirror]:
    """A local mirror: the history builder sets which page each URL serves."""
    with Mirror() as server:
        yield server


def page(provider: str, name: str) -> bytes:
    return (FIXTURES / provider / name).read_bytes()


def scrape(db: Path, base: str, provider: str, at: str) -> None:
    assert main(["scrape", "--db", str(db), "--provider", provider, "--mirror", base, "--at", at]) == 0


@pytest.fixture(scope="module")
def history(mirror, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """DeepSeek from the promo (2024-12-28) through full price and off-peak to V3.2; Mistral from
    2024-11; Anthropic (the fixture page) from 2025-09.

    Built once per module: the tests only read it.
    """
    db = tmp_path_factory.mktemp("history") / "prices.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(run_module, "DEFAULT_POLICY", FetchPolicy(timeout=2, attempts=1, backoff=0))
        _build(db, mirror.pages, mirror.url)
    yield db


def _build(db: Path, routes: dict[str, bytes | int], base: str) -> None:
    for at, en, zh in (
        ("2024-12-28T12:00:00Z", "2024-12-28-promo.en.html", "2024-12-28-promo.en.html"),
        ("2025-02-20T12:00:00Z", "2025-02-20-full-price.en.md", "2025-02-20-full-price.en.md"),
        ("2025-02-27T06:00:00Z", "2025-02-26-off-peak.en.html", "2025-02-26-off-peak.zh-cn.md"),
        # Seen unchanged the day before V3.2: that cut is known to lie in (09-28 12:00, 09-29 12:00).
        ("2025-09-28T12:00:00Z", "2025-02-26-off-peak.en.html", "2025-02-26-off-peak.zh-cn.md"),
        ("2025-09-29T12:00:00Z", "2025-09-29-v32.en.md", "2025-09-29-v32.en.md"),
    ):
        routes[EN], routes[ZH] = page("deepseek", en), page("deepseek", zh)
        scrape(db, base, "deepseek", at)
    routes[MISTRAL] = page("mistral", "pricing-2024-11.html")
    scrape(db, base, "mistral", "2024-11-20T00:00:00Z")
    routes[ANTHROPIC] = page("anthropic", "pricing.html")
    scrape(db, base, "anthropic", "2025-09-01T00:00:00Z")


def reprice(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["reprice", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_seed_deepseek_day_at_the_promo_cny_rates(history, capsys):
    code, out, _ = reprice(capsys, str(USAGE / "deepseek_day.csv"), "--db", str(history),
                           "--currency", "CNY", "--json")
    assert code == 0
    data = json.loads(out)
    # 0.946816 x 0.1 + 2.753752 x 1 + 3.100977 x 2: the seed's "11.83" is an arithmetic slip.
    assert data["total"] == {"CNY": "9.0503876"}
    [row] = data["rows"]
    assert row["components"] == {
        "input": {"tokens": 2753752, "price": "1", "tier": "standard", "promo": True, "cost": "2.753752"},
        "input_cache_hit": {"tokens": 946816, "price": "0.1", "tier": "standard", "promo": True,
                            "cost": "0.0946816"},
        "output": {"tokens": 3100977, "price": "2", "tier": "standard", "promo": True, "cost": "6.201954"},
    }
    assert data["unpriced"] == []


def test_seed_mistral_day(history, capsys):
    code, out, _ = reprice(capsys, str(USAGE / "mistral_day.csv"), "--db", str(history), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["total"] == {"USD": "3.443988"}
    assert {c: v["cost"] for c, v in data["rows"][0]["components"].items()} == {
        "input": "0.594858", "output": "2.84913"}


def test_promo_end_and_off_peak_boundary_from_the_scraped_history(history, capsys, tmp_path):
    usage = tmp_path / "u.csv"
    hit, miss, out = 946_816, 2_753_752, 3_100_977
    usage.write_text("time,provider,model,cache hit,cache miss,output\n" + "".join(
        f"{t},deepseek,deepseek-chat,{hit},{miss},{out}\n" for t in (
            "2025-02-08T15:59:59Z", "2025-02-08T16:00:00Z",       # promo end (announced instant)
            "2025-03-03T16:29:59Z", "2025-03-03T16:30:00Z",       # off-peak starts
            "2025-03-03",                                         # a date only, in the off-peak era
        )))
    code, text, _ = reprice(capsys, str(usage), "--db", str(history), "--json")
    data = json.loads(text)
    assert [(r["time"], r["cost"], r["lowest_cost"]) for r in data["rows"]] == [
        ("2025-02-08T15:59:59Z", "1.267054264", None),   # promo 0.014 / 0.14 / 0.28
        ("2025-02-08T16:00:00Z", "4.22086486", None),    # list 0.07 / 0.27 / 1.1
        ("2025-03-03T16:29:59Z", "4.22086486", None),
        ("2025-03-03T16:30:00Z", "2.11043243", None),    # off-peak: half
        ("2025-03-03", "4.22086486", "2.11043243"),      # standard rate, flagged, lowest beside
    ]
    assert data["total"] == {"USD": "16.040081274"}
    assert data["rows"][4]["notes"] == ["date without time during a day with several rates: priced at"
                                        " the highest rate in force that day; lowest possible cost shown"
                                        " beside it"]


def test_unknown_model_and_time_before_history_are_unpriced_rows(history, capsys, tmp_path):
    usage = tmp_path / "u.csv"
    usage.write_text("time,provider,model,input_tokens,output_tokens\n"
                     "2025-03-03T10:00:00Z,deepseek,deepseek-chat,1000000,0\n"
                     "2025-03-03T10:00:00Z,deepseek,deepseek-coder,1000000,0\n"
                     "2024-01-01T10:00:00Z,deepseek,deepseek-chat,1000000,0\n")
    code, out, err = reprice(capsys, str(usage), "--db", str(history))
    assert code == 1  # everything is printed, but the total is not the whole bill
    assert f"{usage}:3: model: unknown model deepseek/deepseek-coder: no USD price in the history" in out
    assert (f"{usage}:4: time: 2024-01-01T10:00:00Z is before the history of deepseek/deepseek-chat"
            " starts (2024-12-28T12:00:00Z)") in out
    assert "Total: 0.27 USD over 1 priced row(s)" in out
    assert "2 row(s) unpriced, not in the total" in err


def test_at_and_as(history, capsys):
    day = str(USAGE / "deepseek_day.csv")
    _, out, _ = reprice(capsys, day, "--db", str(history), "--at", "2025-03-03T20:00:00Z", "--json")
    assert json.loads(out)["total"] == {"USD": "2.11043243"}
    _, out, _ = reprice(capsys, day, "--db", str(history), "--as", "mistral/mistral-large-2411", "--json")
    data = json.loads(out)
    assert data["total"] == {"USD": "26.006998"}  # (2.753752 + 0.946816) x 2 + 3.100977 x 6
    assert data["rows"][0]["used"] == "deepseek/deepseek-chat"


def test_csv_output(history, capsys):
    _, out, _ = reprice(capsys, str(USAGE / "mistral_day.csv"), "--db", str(history), "--csv")
    lines = out.splitlines()
    assert lines[0].startswith("file,line,time,priced_at,provider,model,cost,lowest_cost,uncertain_change,"
                               "cost_before_change,cost_after_change,input_tokens,input_price,")
    assert lines[1].split(",")[1:11] == ["2", "2025-01-20", "2025-01-20", "mistral", "mistral-large-2411",
                                         "3.443988", "", "", "", ""]


@pytest.mark.parametrize("output", ["--csv", "--json"])
def test_output_redirected_to_a_file_is_the_printed_output(history, capsys, tmp_path, output):
    """``reprice --csv > out.csv``: the kernel appends the held output to the file (and a pipe
    gets it block by block); either way the bytes are the ones printed."""
    import subprocess
    import sys

    usage = str(USAGE / "mistral_day.csv")
    _, printed, _ = reprice(capsys, usage, "--db", str(history), output)
    target = tmp_path / "out.txt"
    code = f"from scraper.cli import main; raise SystemExit(main(['reprice', {usage!r}, '--db', {str(history)!r}, {output!r}]))"
    with open(target, "wb") as handle:
        handle.write(b"kept\n")  # appended after what the file already holds
        handle.flush()
        subprocess.run([sys.executable, "-c", code], stdout=handle, check=True)
    assert target.read_text(encoding="utf-8") == "kept\n" + printed
    piped = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout
    assert piped.decode("utf-8") == printed and len(printed) > 200


def test_parquet_into_a_missing_directory_is_one_line_before_any_pricing(history, capsys, tmp_path):
    """The directory is said, not the engine's part file that could not be moved there."""
    target = tmp_path / "no-such-directory" / "rows.parquet"
    code, out, err = reprice(capsys, str(USAGE / "mistral_day.csv"), "--db", str(history), "--parquet", str(target))
    assert (code, out) == (1, "")
    assert err == f"ratecard reprice: --parquet: {target.parent}: no such directory\n"


def test_parquet_output_writes_the_rows_and_prints_the_totals(history, capsys, tmp_path):
    """``--parquet FILE``: the CSV's rows as Parquet (costs DECIMAL, exact), the totals on stdout;
    a bad file writes nothing at all."""
    duckdb = pytest.importorskip("duckdb")
    target = tmp_path / "rows.parquet"
    usage = str(USAGE / "mistral_day.csv")
    _, out, _ = reprice(capsys, usage, "--db", str(history), "--parquet", str(target))
    _, summary, _ = reprice(capsys, usage, "--db", str(history), "--summary")
    assert out == summary and "Total:" in out
    _, csv_out, _ = reprice(capsys, usage, "--db", str(history), "--csv")
    con = duckdb.connect()
    rows = con.execute(f"SELECT line, provider, model, CAST(cost AS VARCHAR), typeof(cost) FROM '{target}'").fetchall()
    csv_rows = [line.split(",") for line in csv_out.splitlines()[1:]]
    assert [(r[0], r[1], r[2]) for r in rows] == [(int(c[1]), c[4], c[5]) for c in csv_rows]
    assert [Decimal(r[3]) for r in rows] == [Decimal(c[6]) for c in csv_rows] and rows[0][4].startswith("DECIMAL(38,")
    bad = tmp_path / "bad.csv"
    bad.write_text("time,provider,model,input_tokens\n2025-01-20,mistral,mistral-large-2411,x\n")
    assert main(["reprice", str(bad), "--db", str(history), "--parquet", str(tmp_path / "no.parquet")]) == 1
    assert "bad.csv:2" in capsys.readouterr().err and not (tmp_path / "no.parquet").exists()


def test_summary_totals_equal_the_row_by_row_totals(history, capsys, tmp_path):
    usage = tmp_path / "many.csv"
    lines = ["time,provider,model,input_cache_hit_tokens,input_tokens,output_tokens"]
    for i in range(3000):  # every 7 minutes across the promo end, full price and off-peak eras
        minute = i * 7
        day, rest = divmod(minute, 1440)
        lines.append(f"2025-02-{8 + day:02d}T{rest // 60:02d}:{rest % 60:02d}:00Z,deepseek,deepseek-chat,"
                     f"{i * 13},{i * 7},{i * 3}")
    usage.write_text("\n".join(lines) + "\n")
    _, out, _ = reprice(capsys, str(usage), "--db", str(history), "--json")
    row_total = json.loads(out)["total"]["USD"]
    _, out, _ = reprice(capsys, str(usage), "--db", str(history), "--summary")
    assert f"Total: {row_total} USD over 3000 priced row(s)" in out
    assert Decimal(row_total) > 0


@pytest.mark.parametrize("args, message", [
    (["--currency", "EUR"], "deepseek does not publish prices in EUR (it publishes CNY, USD)"),
    (["--currency", "GBP"], "no provider publishes prices in GBP"),
    (["--as", "acme/x"], "--as: 'acme/x' is not a PROVIDER/MODEL with USD prices in the history"),
])
def test_errors_exit_1_with_one_line(history, capsys, args, message):
    code, _, err = reprice(capsys, str(USAGE / "deepseek_day.csv"), "--db", str(history), *args)
    assert code == 1
    assert message in err


def test_bad_instant_is_bad_usage_exit_2(history, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["reprice", str(USAGE / "deepseek_day.csv"), "--db", str(history), "--at", "yesterday"])
    assert exit_.value.code == 2
    assert "'yesterday' is not an ISO 8601 date or instant" in capsys.readouterr().err


def test_bad_usage_names_file_line_field(history, capsys, tmp_path):
    usage = tmp_path / "bad.csv"
    usage.write_text("time,provider,model,input_tokens\n2025-03-03T10:00:00Z,deepseek,deepseek-chat,-4\n")
    code, _, err = reprice(capsys, str(usage), "--db", str(history))
    assert code == 1
    assert err.strip() == f"ratecard reprice: {usage}:2: input_tokens: -4 is negative"


def test_missing_database(capsys, tmp_path):
    code, _, err = reprice(capsys, str(USAGE / "deepseek_day.csv"), "--db", str(tmp_path / "none.db"))
    assert code == 1
    assert "no such database" in err


def explain(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["explain", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_explain_why_the_v32_cut_did_not_cut_the_bill_by_as_much(history, capsys):
    args = (str(USAGE / "deepseek_day.csv"), "--db", str(history),
            "--before", "2025-09-29T10:00:00Z", "--after", "2025-09-30T10:00:00Z")
    code, out, _ = explain(capsys, *args, "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["bill_before"], data["bill_after"], data["realised_change_percent"]) == (
        "4.22086486", "2.099971748", "-50.25")
    assert [(c["component"], c["price_before"], c["price_after"], c["announced_change_percent"],
             c["cost_before"], c["cost_after"], c["share_of_bill_before_percent"], c["contribution_points"])
            for c in data["components"]] == [
        ("input", "0.27", "0.28", "+3.70", "0.74351304", "0.77105056", "17.62", "+0.65"),
        ("input_cache_hit", "0.07", "0.028", "-60.00", "0.06627712", "0.026510848", "1.57", "-0.94"),
        ("output", "1.1", "0.42", "-61.82", "3.4110747", "1.30241034", "80.81", "-49.96"),
    ]
    code, out, _ = explain(capsys, *args)
    assert "realised change of the bill: -50.25 %" in out
    assert "output            -61.82 % x  80.81 % of the bill =   -49.96 points" in out


def test_explain_promo_end_on_the_cny_bill(history, capsys):
    code, out, _ = explain(capsys, str(USAGE / "deepseek_day.csv"), "--db", str(history), "--currency", "CNY",
                           "--before", "2025-02-08T15:59:59Z", "--after", "2025-02-08T16:00:00Z", "--json")
    data = json.loads(out)
    assert (data["bill_before"], data["bill_after"], data["realised_change_percent"]) == (
        "9.0503876", "30.788728", "+240.19")
    assert [c["announced_change_percent"] for c in data["components"]] == ["+100.00", "+400.00", "+300.00"]


def test_explain_with_no_row_priced_at_both_instants(history, capsys):
    code, _, err = explain(capsys, str(USAGE / "deepseek_day.csv"), "--db", str(history),
                           "--before", "2020-01-01T00:00:00Z", "--after", "2025-03-01T00:00:00Z")
    assert code == 1
    assert "no row could be priced at both instants" in err
    assert "is before the history of deepseek/deepseek-chat starts" in err


def test_anthropic_cache_writes_long_context_and_batch_from_the_parsed_page(history, capsys, tmp_path):
    usage = tmp_path / "claude.jsonl"
    usage.write_text(
        (USAGE / "anthropic_api.jsonl").read_text().replace("2025-03-01", "2025-09-02")
        + '{"time": "2025-09-02T10:00:00Z", "provider": "anthropic", "model": "claude-sonnet-4",'
          ' "input_tokens": 190000, "cache_read_input_tokens": 20000, "output_tokens": 1000}\n'
        + '{"time": "2025-09-02T11:00:00Z", "provider": "anthropic", "model": "claude-sonnet-4",'
          ' "service_tier": "batch", "input_tokens": 1000, "output_tokens": 1000}\n')
    code, out, _ = reprice(capsys, str(usage), "--db", str(history), "--json")
    assert code == 0
    rows = json.loads(out)["rows"]
    # The fixture page's prices: 2.5 / 0.25 cache hit / 3.125 5-min write / 5 1-h write / 12.5 output.
    assert rows[0]["cost"] == "0.0239125"  # 40 x 2.5 + 9000 x 0.25 + 500 x 3.125 + 2000 x 5 + 800 x 12.5
    assert {c: (v["tier"], v["cost"]) for c, v in rows[1]["components"].items()} == {
        "input": ("context>200k", "0.95"),          # 210,000 prompt tokens: over 200k
        "input_cache_hit": ("standard", "0.005"),   # no long-context cache price on the page
        "output": ("context>200k", "0.01875")}
    assert rows[2]["cost"] == "0.0075"  # batch: 1000 x 1.25 + 1000 x 6.25


def test_provider_option_for_a_seed_table_without_provider(history, capsys, tmp_path):
    usage = tmp_path / "mistral.csv"
    usage.write_text("Date,Model,Entrée,Sortie\n2025-01-20,mistral-large-2411,297429,474855\n", encoding="utf-8")
    _, out, _ = reprice(capsys, str(usage), "--db", str(history), "--provider", "mistral", "--json")
    assert json.loads(out)["total"] == {"USD": "3.443988"}
    _, out, _ = reprice(capsys, str(usage), "--db", str(history), "--provider", "mistral", "--summary")
    assert "Total: 3.443988 USD over 1 priced row(s)" in out


def test_a_snapshot_id_the_history_does_not_price_falls_back_to_its_model_and_says_so(history, capsys, tmp_path):
    usage = tmp_path / "snapshots.csv"
    usage.write_text("time,provider,model,input_tokens,output_tokens\n"
                     "2025-09-02T10:00:00Z,anthropic,claude-sonnet-4-5-20250929,100000,10000\n"
                     "2025-09-02T10:00:00Z,anthropic,claude-sonnet-4-5,100000,10000\n"
                     "2025-09-02T10:00:00Z,anthropic,claude-nonexistent-20250929,10,10\n", encoding="utf-8")
    code, out, _ = reprice(capsys, str(usage), "--db", str(history), "--json")
    data = json.loads(out)
    assert code == 1  # the unknown model is unpriced, never guessed
    snapshot, plain = data["rows"]
    assert snapshot["cost"] == plain["cost"] == "0.375"  # 0.1 x 2.50 input + 0.01 x 12.50 output
    assert any("claude-sonnet-4-5-20250929 priced as claude-sonnet-4-5" in n for n in snapshot["notes"])
    assert [u["reason"] for u in data["unpriced"]] == [
        "unknown model anthropic/claude-nonexistent-20250929: no USD price in the history"]
    _, out, _ = reprice(capsys, str(usage), "--db", str(history), "--summary")
    assert "Total: 0.75 USD over 2 priced row(s)" in out


def test_the_table_rounds_costs_with_the_currency_code_and_exact_prints_every_digit(history, capsys):
    code, out, _ = reprice(capsys, str(USAGE / "deepseek_day.csv"), "--db", str(history), "--currency", "CNY")
    assert code == 0
    assert "CNY ~9.050388  cache miss 2,753,752 x 1 = 2.753752;" in out  # the breakdown stays exact
    assert "deepseek  deepseek-chat  2025-01  CNY ~9.050388" in out
    assert "Total: 9.0503876 CNY over 1 priced row(s)" in out
    code, out, _ = reprice(capsys, str(USAGE / "deepseek_day.csv"), "--db", str(history), "--currency", "CNY",
                           "--exact")
    assert "CNY 9.0503876  cache miss" in out and "2025-01  CNY 9.0503876" in out


@pytest.mark.parametrize("read", ["kept", "runs"])
@pytest.mark.parametrize("output", [(), ("--csv",), ("--json",), ("--parquet",), ("--summary",)])
def test_a_bad_last_row_stops_before_any_row_is_printed(history, capsys, tmp_path, monkeypatch, output, read):
    """Kept, or read in runs of 1000 lines cut from the file (as a file of 128 MB or more is):
    the bad row, in the last run, stops the command before any row is printed or written."""
    from db.reprice import engine

    if read == "runs":
        monkeypatch.setattr(engine, "STREAM_FROM_BYTES", 0)
        monkeypatch.setattr(engine, "CHUNK_LINES", 1000)
    usage = tmp_path / "u.csv"
    good = "2025-03-01T09:00:00Z,deepseek,deepseek-chat,1000,1000\n"
    usage.write_text("time,provider,model,input_tokens,output_tokens\n" + good * 3000
                     + "2025-03-01T09:00:00Z,deepseek,deepseek-chat,12abc,1\n")
    rows = tmp_path / "rows.parquet"
    code, out, err = reprice(capsys, str(usage), "--db", str(history), *output,
                             *([str(rows)] if output == ("--parquet",) else []))
    assert (code, out) == (1, "")
    assert err == f"ratecard reprice: {usage}:3002: input_tokens: '12abc' is not an integer\n"
    assert list(tmp_path.iterdir()) == [usage]


@pytest.mark.parametrize("held", ["", "kept\n"])
@pytest.mark.parametrize("output", [(), ("--csv",), ("--json",)])
def test_a_bad_row_in_a_later_run_leaves_a_redirected_file_as_it_was(history, tmp_path, output, held):
    """``reprice u.csv --json > out.json`` (or ``>>``): into a regular file the runs are copied
    as they are priced (the first part written there by DuckDB), so the bad row in the last of
    three runs is found after rows were written: the file is cut back to what it held.  The
    same file without the bad row prints the rows after what it held."""
    import os
    import subprocess
    import sys

    usage = tmp_path / "u.csv"
    good = "2025-03-01T09:00:00Z,deepseek,deepseek-chat,1000,1000\n"
    usage.write_text("time,provider,model,input_tokens,output_tokens\n" + good * 3000
                     + "2025-03-01T09:00:00Z,deepseek,deepseek-chat,12abc,1\n")
    code = ("import sys; from scraper.cli import main; raise SystemExit(main(['reprice', sys.argv[1], '--db',"
            f" {str(history)!r}, *sys.argv[2:]]))")
    env = {**os.environ, "RATECARD_STREAM_FROM_BYTES": "0", "RATECARD_CHUNK_LINES": "1000"}
    target = tmp_path / "out.txt"
    target.write_text(held)
    with open(target, "ab") as handle:
        done = subprocess.run([sys.executable, "-c", code, str(usage), *output], stdout=handle,
                              stderr=subprocess.PIPE, env=env)
    assert done.returncode == 1
    assert done.stderr.decode() == f"ratecard reprice: {usage}:3002: input_tokens: '12abc' is not an integer\n"
    assert target.read_text() == held
    usage.write_text("time,provider,model,input_tokens,output_tokens\n" + good * 3000)
    with open(target, "ab") as handle:
        subprocess.run([sys.executable, "-c", code, str(usage), *output], stdout=handle, env=env, check=True)
    printed = subprocess.run([sys.executable, "-c", code, str(usage), *output], capture_output=True, env=env,
                             check=True).stdout.decode()
    assert target.read_text() == held + printed and printed.count("deepseek-chat") >= 3000


@pytest.mark.parametrize("output", [(), ("--csv",), ("--json",), ("--summary",)])
def test_a_file_read_in_runs_prints_what_the_kept_file_prints(history, capsys, tmp_path, monkeypatch, output):
    """The command over a file past ``RATECARD_STREAM_FROM_BYTES``, priced in runs of 4 lines cut
    from it: every output the same as the kept file's, rows in the uncertain V3.2 window, whole
    days and unpriced rows included, whichever run they fall in."""
    from db.reprice import engine

    usage = tmp_path / "u.csv"
    times = ("2025-02-08T15:59:59Z", "2025-02-08T16:00:00Z", "2025-03-03T16:30:00Z", "2025-03-03",
             "2025-09-28T18:00:00Z", "2025-09-29T06:00:00Z", "2025-09-29", "2024-01-01T10:00:00Z",
             "2025-10-01T10:00:00Z")
    usage.write_text("time,provider,model,cache hit,cache miss,output\n" + "".join(
        f"{t},deepseek,{model},{946_816 + k},{2_753_752 + k},{3_100_977 + k}\n"
        for k, t in enumerate(times) for model in ("deepseek-chat", "deepseek-coder")))
    kept = reprice(capsys, str(usage), "--db", str(history), *output)
    assert kept[0] == 1 and "10 row(s) unpriced" in kept[2]
    if output != ("--summary",):  # the V3.2 window: rows with both costs (the table marks them with ?)
        window = "2025-09-28T12:00:00Z/2025-09-29T12:00:00Z" if output == ("--csv",) else "2025-09-29T12:00:00Z"
        assert ("?  cache miss " if not output else window) in kept[1]
    monkeypatch.setattr(engine, "STREAM_FROM_BYTES", 0)
    monkeypatch.setattr(engine, "CHUNK_LINES", 4)
    assert reprice(capsys, str(usage), "--db", str(history), *output) == kept


def test_parquet_of_a_file_read_in_runs_is_the_kept_files(history, capsys, tmp_path, monkeypatch):
    """``--parquet`` of a file read in runs of 4 lines: one file of the runs' row groups, the
    same rows in the same order as the kept file's, the same totals printed."""
    import duckdb

    from db.reprice import engine

    usage = tmp_path / "u.csv"
    usage.write_text("time,provider,model,input_tokens,output_tokens\n" + "".join(
        f"2025-0{3 + k % 7}-0{1 + k % 9}T1{k % 10}:00:00Z,deepseek,deepseek-{'chat' if k % 5 else 'coder'},{k},{2 * k}\n"
        for k in range(30)))
    kept, runs = tmp_path / "kept.parquet", tmp_path / "runs.parquet"
    printed = reprice(capsys, str(usage), "--db", str(history), "--parquet", str(kept))
    monkeypatch.setattr(engine, "STREAM_FROM_BYTES", 0)
    monkeypatch.setattr(engine, "CHUNK_LINES", 4)
    assert reprice(capsys, str(usage), "--db", str(history), "--parquet", str(runs)) == printed
    con = duckdb.connect()
    a, b = (f"read_parquet('{path}', file_row_number = true)" for path in (kept, runs))
    assert con.execute(f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b})").fetchone()[0] == 0
    assert con.execute(f"SELECT count(*), count(*) FILTER (WHERE line = file_row_number + 2) FROM {b}").fetchone() == (30, 30)
    assert con.execute(f"SELECT count(DISTINCT row_group_id) FROM parquet_metadata('{runs}')").fetchone()[0] == 8
