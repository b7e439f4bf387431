"""The curated history: the shipped files follow the schema, bad files are refused whole, and with
it loaded the past is priced exactly without any scrape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import respx

from db import curated
from db.history import changes, prices_at, rebuild
from db.observe import record_observation
from db.schema import open_db
from parsers import registry
from parsers.quote import parse_utc
from scraper.cli import main

SHIPPED = Path(curated.__file__).with_name("curated")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- the shipped data -------------------------------------------------------------------------

def test_shipped_files_are_valid_and_cover_the_known_changes():
    histories = {h.provider: h for h in curated.read_all()}
    assert sorted(histories) == ["anthropic", "deepseek", "google", "mistral", "openai", "xai"]
    deepseek = histories["deepseek"]
    assert [(e.at.isoformat(), e.exact) for e in deepseek.entries] == [
        ("2024-12-26T00:00:00+00:00", False),   # V3 launch with its promo
        ("2025-01-20T00:00:00+00:00", False),   # R1 (deepseek-reasoner) launch
        ("2025-02-08T16:00:00+00:00", True),    # promo end
        ("2025-02-26T16:30:00+00:00", True),    # off-peak windows start
        ("2025-09-05T16:00:00+00:00", True),    # V3.1 prices, off-peak ends
        ("2025-09-30T00:00:00+00:00", False),   # V3.2-Exp cut, announced 2025-09-29
        ("2026-04-26T12:15:00+00:00", False),   # V4 (USD) by its cache-hit cut, pro at 75% off
        ("2026-08-02T00:00:00+00:00", False),   # V4 flash/pro flat prices by that day
        ("2026-08-16T16:00:00+00:00", True),    # V4 peak/off-peak switch, announced 2026-08-14
    ]
    for history in histories.values():
        for entry in history.entries:
            assert entry.source_url.startswith("https://")
            # exact entries carry their instant on every price: the derive rule "announced" applies
            assert {q.effective_from for q in entry.quotes} == {entry.at if entry.exact else None}


def test_shipped_promo_carries_list_prices_and_end():
    deepseek = next(h for h in curated.read_all() if h.provider == "deepseek")
    promo = {(q.currency, q.component): (str(q.price), str(q.list_price), q.promo_until.isoformat())
             for q in deepseek.entries[0].quotes}
    assert promo == {
        ("USD", "input_cache_hit"): ("0.014", "0.07", "2025-02-08T16:00:00+00:00"),
        ("USD", "input"): ("0.14", "0.27", "2025-02-08T16:00:00+00:00"),
        ("USD", "output"): ("0.28", "1.1", "2025-02-08T16:00:00+00:00"),
        ("CNY", "input_cache_hit"): ("0.1", "0.5", "2025-02-08T16:00:00+00:00"),
        ("CNY", "input"): ("1", "2", "2025-02-08T16:00:00+00:00"),
        ("CNY", "output"): ("2", "8", "2025-02-08T16:00:00+00:00"),
    }


# --- the schema: bad files are refused, naming file and field ---------------------------------

def _file(**entry_changes) -> dict:
    entry = {"at": "2025-01-01T00:00:00Z", "exact": True, "source_url": "https://example.com/p",
             "prices": [{"model": "m", "currency": "USD", "input": "1", "output": "2"}]}
    entry.update(entry_changes)
    return {"provider": "deepseek", "entries": [entry]}


def _row(**changes) -> dict:
    row = {"model": "m", "currency": "USD", "input": "1", "output": "2"}
    row.update(changes)
    return _file(prices=[row])


@pytest.mark.parametrize("data, where, problem", [
    (_row(input=1), "entries[0].prices[0].input", "must be a decimal string"),
    (_row(input="0,14"), "entries[0].prices[0].input", "not a plain non-negative decimal"),
    (_row(input="0.140"), "entries[0].prices[0].input", "not a plain non-negative decimal"),
    (_row(input="-1"), "entries[0].prices[0].input", "not a plain non-negative decimal"),
    (_row(window="16:30-00:30"), "entries[0].prices[0].window", "must end in ' UTC'"),
    (_row(window="16:30-0:30 UTC"), "entries[0].prices[0].window", "not canonical; write '16:30-00:30 UTC'"),
    (_row(currency="EUR"), "entries[0].prices[0].currency", "'EUR' is not published by any deepseek source"),
    (_row(price="1"), "entries[0].prices[0]", "unknown field 'price'"),
    (_row(promo_until="2025-02-08T16:00:00Z"), "entries[0].prices[0].promo_until", "needs its list prices"),
    (_row(list={"input_cache_hit": "1"}), "entries[0].prices[0].list", "list price without a price"),
    (_file(prices=[{"model": "m", "currency": "USD"}]), "entries[0].prices[0]", "no price"),
    (_file(at="2025-01-01"), "entries[0].at", "not a UTC instant like 2025-02-08T16:00:00Z"),
    (_file(at="2025-01-01T01:00:00+01:00"), "entries[0].at", "not a UTC instant like"),
    (_file(exact="yes"), "entries[0].exact", "must be true"),
    (_file(source_url="http://example.com"), "entries[0].source_url", "not an https:// URL"),
    (_file(prices=[{"model": "m", "currency": "USD", "input": "1"}] * 2), "entries[0].prices",
     "price deepseek/m/input/standard/USD is given twice"),
    ({"provider": "acme", "entries": []}, "provider", "unknown provider 'acme'"),
    ({"provider": "deepseek", "entries": []}, "entries", "must be a non-empty list"),
    ({"provider": "deepseek", "entries": [_file()["entries"][0], _file()["entries"][0]]}, "entries[1].at",
     "is not after the previous entry"),
    (_file(exact=False, changed_after="2024-12-31T00:00:00Z"), "entries[0].changed_after",
     "must lie between the previous entry's at and this entry's at"),
    ({"provider": "deepseek", "entries": [
        _file()["entries"][0],
        {**_file()["entries"][0], "at": "2025-01-03T00:00:00Z", "exact": True, "changed_after": "2025-01-02T00:00:00Z"}]},
     "entries[1].changed_after", "on an entry with exact false"),
    ({"provider": "deepseek", "entries": [
        _file()["entries"][0],
        {**_file()["entries"][0], "at": "2025-01-03T00:00:00Z", "exact": False, "changed_after": "2025-01-03T00:00:00Z"}]},
     "entries[1].changed_after", "must lie between"),
    (_file(exact=False, changed_after="2024-12-31"), "entries[0].changed_after", "not a UTC instant like"),
])
def test_bad_file_names_file_and_field(tmp_path: Path, data: dict, where: str, problem: str):
    path = tmp_path / "deepseek.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(curated.CuratedError) as caught:
        curated.read_file(path)
    assert str(caught.value).startswith(f"{path}: {where}: ")
    assert problem in str(caught.value)


def test_invalid_json_names_line(tmp_path: Path):
    path = tmp_path / "deepseek.json"
    path.write_text('{\n  "provider": "deepseek",\n  "entries": [,]\n}', encoding="utf-8")
    with pytest.raises(curated.CuratedError, match=rf"^{path}: line 3: invalid JSON"):
        curated.read_file(path)


def test_cli_refuses_bad_file_and_writes_nothing(tmp_path: Path, monkeypatch, capsys):
    good = (SHIPPED / "mistral.json").read_text(encoding="utf-8")
    (tmp_path / "mistral.json").write_text(good, encoding="utf-8")
    (tmp_path / "zz.json").write_text(json.dumps(_row(output="2.50")), encoding="utf-8")
    monkeypatch.setattr(curated, "CURATED_DIR", tmp_path)
    db_path = tmp_path / "h.db"
    code, out, err = run(capsys, "backfill", "--curated", "--db", str(db_path))
    assert code == 1
    assert err == (f"ratecard backfill: {tmp_path / 'zz.json'}: entries[0].prices[0].output:"
                   " '2.50' is not a plain non-negative decimal like \"0.14\"\n")
    assert not db_path.exists()


# --- loading: a sync, not an append ----------------------------------------------------------

def test_loading_twice_adds_nothing_and_a_corrected_file_replaces_the_old_fact(tmp_path, monkeypatch, capsys):
    data = {"provider": "mistral", "entries": [{
        "at": "2024-11-18T00:00:00Z", "exact": False, "source_url": "https://mistral.ai/pricing#api-pricing",
        "prices": [{"model": "mistral-large-2411", "currency": "USD", "input": "2", "output": "6"}]}]}
    (tmp_path / "mistral.json").write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(curated, "CURATED_DIR", tmp_path)
    db_path = str(tmp_path / "h.db")
    assert run(capsys, "backfill", "--curated", "--db", db_path)[1] == \
        "curated history (mistral): 1 observations added, 0 removed, 0 unchanged\n"
    assert run(capsys, "backfill", "--curated", "--db", db_path)[1] == \
        "curated history (mistral): 0 observations added, 0 removed, 1 unchanged\n"
    data["entries"][0]["prices"][0]["output"] = "5"
    (tmp_path / "mistral.json").write_text(json.dumps(data), encoding="utf-8")
    assert run(capsys, "backfill", "--curated", "--db", db_path)[1] == \
        "curated history (mistral): 1 observations added, 1 removed, 0 unchanged\n"
    db = open_db(db_path)
    rows = list(db.query("SELECT observed_at, url, archive, parser_version, body_id FROM observations"))
    assert rows == [{"observed_at": "2024-11-18T00:00:00Z", "url": "https://mistral.ai/pricing#api-pricing",
                     "archive": 1, "parser_version": "curated", "body_id": None}]
    prices = [(r["component"], r["price"], r["valid_from"], r["from_basis"]) for r in db.query(
        "SELECT * FROM prices WHERE provider = 'mistral' ORDER BY component")]
    assert prices == [("input", "2", "2024-11-18T00:00:00Z", "first_observed"),
                      ("output", "5", "2024-11-18T00:00:00Z", "first_observed")]


# --- the point: last year's prices without any scrape -----------------------------------------

@pytest.fixture
def curated_db(tmp_path: Path, capsys) -> str:
    db_path = str(tmp_path / "prices.db")
    with respx.mock(assert_all_called=False):  # no route: any HTTP request would fail the test
        assert run(capsys, "backfill", "--curated", "--db", db_path)[0] == 0
    return db_path


def test_prices_in_january_2025_are_the_v3_promo_with_list_prices(curated_db, capsys):
    code, out, _ = run(capsys, "prices", "--db", curated_db, "--at", "2025-01-15", "--provider", "deepseek", "--json")
    assert code == 0
    rows = [(r["model"], r["component"], r["currency"], r["price"], r["list_price"], r["promo_until"],
             r["valid_from"], r["valid_to"]) for r in json.loads(out)]
    promo_end = "2025-02-08T16:00:00Z"
    assert rows == [
        ("deepseek-chat", "input", "CNY", "1", "2", promo_end, "2024-12-26T00:00:00Z", promo_end),
        ("deepseek-chat", "input", "USD", "0.14", "0.27", promo_end, "2024-12-26T00:00:00Z", promo_end),
        ("deepseek-chat", "input_cache_hit", "CNY", "0.1", "0.5", promo_end, "2024-12-26T00:00:00Z", promo_end),
        ("deepseek-chat", "input_cache_hit", "USD", "0.014", "0.07", promo_end, "2024-12-26T00:00:00Z", promo_end),
        ("deepseek-chat", "output", "CNY", "2", "8", promo_end, "2024-12-26T00:00:00Z", promo_end),
        ("deepseek-chat", "output", "USD", "0.28", "1.1", promo_end, "2024-12-26T00:00:00Z", promo_end),
    ]


def test_reprice_2025_usage_is_exact_without_any_scrape(curated_db, tmp_path, capsys):
    usage = tmp_path / "usage.jsonl"
    tokens = {"prompt_tokens": 1200, "completion_tokens": 300, "prompt_cache_hit_tokens": 1000,
              "prompt_cache_miss_tokens": 200}
    rows = [("2025-01-15T12:00:00Z", "deepseek-chat"),      # V3 promo
            ("2025-01-25T12:00:00Z", "deepseek-reasoner"),  # R1, never discounted
            ("2025-02-10T12:00:00Z", "deepseek-chat"),      # promo over: list prices
            ("2025-02-26T17:00:00Z", "deepseek-chat"),      # first off-peak evening
            ("2025-09-10T00:00:00Z", "deepseek-reasoner"),  # V3.1 prices, no off-peak any more
            ("2025-10-01T00:00:00Z", "deepseek-chat")]      # V3.2-Exp cut
    usage.write_text("".join(json.dumps({"time": t, "provider": "deepseek", "model": m, "usage": tokens}) + "\n"
                             for t, m in rows), encoding="utf-8")
    with respx.mock(assert_all_called=False):
        code, out, _ = run(capsys, "reprice", str(usage), "--db", curated_db, "--json")
    assert code == 0
    result = json.loads(out)
    assert [r["cost"] for r in result["rows"]] == [
        "0.000126",  # 200 x 0.14 + 1000 x 0.014 + 300 x 0.28 (per 1M)
        "0.000907",  # 200 x 0.55 + 1000 x 0.14 + 300 x 2.19
        "0.000454",  # 200 x 0.27 + 1000 x 0.07 + 300 x 1.1
        "0.000227",  # 200 x 0.135 + 1000 x 0.035 + 300 x 0.55
        "0.000686",  # 200 x 0.56 + 1000 x 0.07 + 300 x 1.68
        "0.00021",   # 200 x 0.28 + 1000 x 0.028 + 300 x 0.42
    ]
    assert result["unpriced"] == []
    assert result["total"] == {"USD": "0.00261"}


def test_archived_pages_and_the_curated_history_agree(tmp_path):
    """Curated entries are written in the parser's terms (tiers, windows, list prices), so pages of
    the same eras interleaved with them add no change: the history is the curated one."""
    def history(with_pages: bool) -> list[tuple]:
        db = open_db(tmp_path / f"{with_pages}.db")
        curated.load(db, [h for h in curated.read_all() if h.provider == "deepseek"])
        en, zh = registry.sources("deepseek")
        pages = [(en, "2024-12-28T09:00:00Z", "2024-12-28-promo.en.html"),
                 (en, "2025-01-23T10:00:00Z", "2025-01-23-reasoner.en.html"),
                 (en, "2025-02-20T10:00:00Z", "2025-02-20-full-price.en.md"),
                 (en, "2025-02-26T20:00:00Z", "2025-02-26-off-peak.en.html"),
                 (zh, "2025-02-27T02:00:00Z", "2025-02-26-off-peak.zh-cn.md"),
                 (en, "2025-10-01T10:00:00Z", "2025-09-29-v32.en.md")]
        for source, at, name in pages if with_pages else []:
            body = (Path(__file__).parent / "fixtures" / "deepseek" / name).read_bytes()
            quotes = registry.parse("deepseek", body.decode("utf-8"), source.url)
            record_observation(db, source, parse_utc(at), 200, body, quotes, None, "1", archive=True)
        rebuild(db, ["deepseek"])
        return [(c["effective_at"], c["model"], c["component"], c["tier"], c["currency"], c["kind"],
                 c["old_price"], c["new_price"]) for c in changes(db, "deepseek")]

    curated_only = history(with_pages=False)
    # 72 changes up to V3.2; V4 replaces chat/reasoner in USD by 2026-04-26 and in CNY by 2026-08-02,
    # the pro promo ends (27), then V4 goes peak/off-peak (36)
    assert len(curated_only) == 135
    assert history(with_pages=True) == curated_only


def test_curated_v4_switch_prices_peak_and_off_peak_from_the_announced_instant(tmp_path):
    db = open_db(tmp_path / "v4.db")
    curated.load(db, [h for h in curated.read_all() if h.provider == "deepseek"])
    rebuild(db, ["deepseek"])
    before = {(p["model"], p["component"], p["tier"], p["currency"]): p["price"]
              for p in prices_at(db, parse_utc("2026-08-16T15:59:59Z"), "deepseek")}
    after = {(p["model"], p["component"], p["tier"], p["currency"]): (p["price"], p["window"])
             for p in prices_at(db, parse_utc("2026-08-16T16:00:00Z"), "deepseek")}
    assert before[("deepseek-v4-pro", "output", "standard", "USD")] == "0.87"
    assert ("deepseek-v4-pro", "output", "standard", "USD") not in after
    assert after[("deepseek-v4-pro", "output", "peak", "USD")] == ("3.96", "01:00-04:00,06:00-10:00 UTC")
    assert after[("deepseek-v4-flash", "input", "off_peak", "CNY")] == ("1.5", "04:00-06:00,10:00-01:00 UTC")
    assert len(after) == 24


# --- changes known only to a window -----------------------------------------------------------

def test_v32_cut_is_bounded_by_the_news_date_and_usage_inside_gets_both_costs(curated_db, tmp_path, capsys):
    """The V3.2-Exp post is dated 2025/09/29 (Beijing) without a time: the cut lies between
    2025-09-28 16:00 UTC and 2025-09-30 00:00 UTC.  Usage at both edges is exact."""
    db = open_db(Path(curated_db))
    stored = {(p["component"], p["valid_from"], p["from_basis"], p["valid_from_after"])
              for p in db.query("SELECT * FROM prices WHERE model = 'deepseek-chat' AND currency = 'USD'"
                                " AND valid_from > '2025-09-06'")}
    db.close()
    assert stored == {(c, "2025-09-30T00:00:00Z", "observed", "2025-09-28T16:00:00Z")
                      for c in ("input", "input_cache_hit", "output")}
    usage = tmp_path / "september.csv"
    usage.write_text("time,provider,model,input_cache_hit_tokens,input_tokens,output_tokens\n" + "".join(
        f"{t},deepseek,deepseek-chat,1000000,2000000,3000000\n" for t in (
            "2025-09-28T16:00:00Z", "2025-09-28T16:00:01Z", "2025-09-29T18:00:00Z", "2025-09-30T00:00:00Z")))
    code, out, _ = run(capsys, "reprice", str(usage), "--db", curated_db, "--json")
    assert code == 0
    data = json.loads(out)
    both = {"changed_after": "2025-09-28T16:00:00Z", "changed_by": "2025-09-30T00:00:00Z",
            "cost_before_change": "6.23", "cost_after_change": "1.848"}  # 0.07 + 2 x 0.56 + 3 x 1.68 | 0.028 + 0.56 + 1.26
    assert [(r["cost"], r["lowest_cost"], r["uncertain_change"]) for r in data["rows"]] == [
        ("6.23", None, None), ("6.23", "1.848", both), ("6.23", "1.848", both), ("1.848", None, None)]
    assert data["uncertain_change"] == {"rows": 2, "total_if_changes_after_rows": {"USD": "20.538"},
                                        "total_if_changes_before_rows": {"USD": "11.774"}}
    code, out, _ = run(capsys, "reprice", str(usage), "--db", curated_db)
    assert "USD 6.230000?" in out  # the table rounds with the currency code; --exact prints every digit
    code, exact, _ = run(capsys, "reprice", str(usage), "--db", curated_db, "--exact")
    assert "USD 6.23?" in exact
    assert ("? 2 row(s) fall inside the window of a price change whose instant is unknown: the total is"
            " 20.538 USD if the changes came after them, 11.774 USD if before") in out
    code, summary, _ = run(capsys, "reprice", str(usage), "--db", curated_db, "--summary")
    assert summary == out[out.index("Totals (USD)"):]
    code, out, _ = run(capsys, "reprice", str(usage), "--db", curated_db, "--csv")
    header, *lines = out.splitlines()
    assert header.split(",")[6:11] == ["cost", "lowest_cost", "uncertain_change", "cost_before_change",
                                       "cost_after_change"]
    assert lines[2].split(",")[6:11] == ["6.23", "1.848", "2025-09-28T16:00:00Z/2025-09-30T00:00:00Z",
                                         "6.23", "1.848"]


def test_prices_at_a_time_inside_the_window_lists_both_versions(curated_db, capsys):
    def listed(at: str) -> list[tuple]:
        code, out, _ = run(capsys, "prices", "--db", curated_db, "--at", at, "--provider", "deepseek",
                           "--model", "DeepSeek-Chat", "--json")
        assert code == 0
        return [(r["component"], r["currency"], r["price"], r["in_force"]) for r in json.loads(out)
                if r["component"] == "output"]
    assert listed("2025-09-28T16:00:00Z") == [("output", "CNY", "12", "yes"), ("output", "USD", "1.68", "yes")]
    assert listed("2025-09-29T12:00:00Z") == [("output", "CNY", "12", "maybe"), ("output", "CNY", "3", "maybe"),
                                              ("output", "USD", "1.68", "maybe"), ("output", "USD", "0.42", "maybe")]
    assert listed("2025-09-30T00:00:00Z") == [("output", "CNY", "3", "yes"), ("output", "USD", "0.42", "yes")]
    # A date is the whole day: the promo end at 16:00 leaves both versions in force for part of it.
    assert listed("2025-02-08") == [("output", "CNY", "2", "part"), ("output", "CNY", "8", "part"),
                                    ("output", "USD", "0.28", "part"), ("output", "USD", "1.1", "part")]
    assert listed("2025-02-09") == [("output", "CNY", "8", "yes"), ("output", "USD", "1.1", "yes")]


def test_explain_the_readme_example_on_the_curated_history(curated_db, capsys):
    """``explain usage.csv --before 2025-09-01 --after 2025-10-01``: a date is the whole day (a
    daily row at the day's highest rate), not its midnight (which is off-peak)."""
    day = Path(__file__).parent / "fixtures" / "usage" / "deepseek_day.csv"
    code, out, _ = run(capsys, "explain", str(day), "--db", curated_db,
                       "--before", "2025-09-01", "--after", "2025-10-01", "--json")
    data = json.loads(out)
    assert (data["before"], data["bill_before"], data["lowest_bill_before"], data["bill_after"],
            data["realised_change_percent"]) == ("2025-09-01", "4.22086486", "2.11043243", "2.099971748", "-50.25")
    code, out, _ = run(capsys, "explain", str(day), "--db", curated_db,
                       "--before", "2025-09-01T00:00:00Z", "--after", "2025-10-01T00:00:00Z", "--json")
    assert json.loads(out)["realised_change_percent"] == "-0.50"  # midnight UTC is off-peak: as asked
    code, text, _ = run(capsys, "explain", str(day), "--db", curated_db, "--before", "2025-09-01",
                        "--after", "2025-10-01")
    assert ("bill before, on 2025-09-01 (each row at its own time of day; rows with a date only: the whole"
            " day): 4.22086486 USD (lowest possible 2.11043243 USD: 1 row(s) priced at a range, whole days"
            " with several rates; the higher cost is counted)") in text


def test_reprice_at_a_date_keeps_each_rows_time_of_day(curated_db, tmp_path, capsys):
    usage = tmp_path / "requests.csv"
    usage.write_text("time,provider,model,input_cache_hit_tokens,input_tokens,output_tokens\n"
                     "2025-06-10T16:29:59Z,deepseek,deepseek-chat,1000000,2000000,3000000\n"
                     "2025-06-11T16:30:00Z,deepseek,deepseek-chat,1000000,2000000,3000000\n")
    code, out, _ = run(capsys, "reprice", str(usage), "--db", curated_db, "--at", "2025-03-03", "--json")
    data = json.loads(out)
    assert [(r["time"], r["priced_at"], r["cost"]) for r in data["rows"]] == [
        ("2025-06-10T16:29:59Z", "2025-03-03T16:29:59Z", "3.91"),    # 0.07 + 2 x 0.27 + 3 x 1.1
        ("2025-06-11T16:30:00Z", "2025-03-03T16:30:00Z", "1.955")]   # off-peak: half
    code, out, _ = run(capsys, "reprice", str(usage), "--db", curated_db, "--at", "2025-03-03T12:00:00Z", "--json")
    assert [r["cost"] for r in json.loads(out)["rows"]] == ["3.91", "3.91"]


def test_a_retired_model_says_when_it_left_the_price_list(curated_db, tmp_path, capsys):
    """deepseek-chat left the USD list with V4 (by 2026-04-26 12:15 UTC); its later usage is priced on
    deepseek-v4-flash, which the pricing page says it corresponds to, and the row says so."""
    usage = tmp_path / "late.csv"
    usage.write_text("time,provider,model,input_tokens,output_tokens\n"
                     "2026-08-10T10:00:00Z,deepseek,DeepSeek-Chat,1000,1000\n")
    code, out, err = run(capsys, "reprice", str(usage), "--db", curated_db, "--json")
    assert (code, err) == (0, "")
    [row] = json.loads(out)["rows"]
    assert row["cost"] == "0.00042"  # 1000 x 0.14 + 1000 x 0.28 per 1M
    assert "DeepSeek-Chat named deepseek-v4-flash from 2026-04-26T12:15:00Z" in " ".join(row["notes"])