"""`ratecard serve`'s Datasette, through Datasette's own client, on a history built from fixtures.

Every canned question is asked and its rows compared exactly; writes are refused whichever way
they are sent.  The instance is the one ``ratecard serve`` runs (db.datasette.app.make_datasette).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml
from datasette.app import Datasette

from datasette_history import build_history
from db.datasette.app import METADATA_PATH, make_datasette


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_history(tmp_path_factory.mktemp("serve") / "history.db")


@pytest.fixture(scope="module")
def ds(history: Path) -> Datasette:
    return make_datasette(history)


def get(ds: Datasette, path: str, **params: str) -> Any:
    response = asyncio.run(ds.client.get(path + ("?" + urlencode(params) if params else "")))
    assert response.status_code == 200, response.text
    return response


def rows(ds: Datasette, query: str, columns: tuple[str, ...], **params: str) -> list[tuple]:
    data = get(ds, f"/ratecard/{query}.json", _shape="array", **params).json()
    return [tuple(r[c] for c in columns) for r in data]


PRICE = ("model", "component", "tier", "currency", "price", "list_price", "valid_from", "valid_to")


def test_prices_at_the_promo_end_switches_to_list_prices_at_the_announced_second(ds: Datasette):
    before = rows(ds, "prices_at", PRICE, at="2025-02-08T15:59:59Z", provider="deepseek", currency="USD")
    after = rows(ds, "prices_at", PRICE, at="2025-02-08T16:00:00Z", provider="deepseek", currency="USD")
    reasoner = [
        ("deepseek-reasoner", "input", "standard", "USD", "0.55", None, "2025-01-24T00:00:00Z", "2025-02-27T00:00:00Z"),
        ("deepseek-reasoner", "input_cache_hit", "standard", "USD", "0.14", None, "2025-01-24T00:00:00Z", "2025-02-27T00:00:00Z"),
        ("deepseek-reasoner", "output", "standard", "USD", "2.19", None, "2025-01-24T00:00:00Z", "2025-02-27T00:00:00Z"),
    ]
    assert before == [
        ("deepseek-chat", "input", "standard", "USD", "0.14", "0.27", "2025-01-01T00:00:00Z", "2025-02-08T16:00:00Z"),
        ("deepseek-chat", "input_cache_hit", "standard", "USD", "0.014", "0.07", "2025-01-01T00:00:00Z", "2025-02-08T16:00:00Z"),
        ("deepseek-chat", "output", "standard", "USD", "0.28", "1.1", "2025-01-01T00:00:00Z", "2025-02-08T16:00:00Z"),
    ] + reasoner
    assert after == [
        ("deepseek-chat", "input", "standard", "USD", "0.27", None, "2025-02-08T16:00:00Z", "2025-02-27T00:00:00Z"),
        ("deepseek-chat", "input_cache_hit", "standard", "USD", "0.07", None, "2025-02-08T16:00:00Z", "2025-02-27T00:00:00Z"),
        ("deepseek-chat", "output", "standard", "USD", "1.1", None, "2025-02-08T16:00:00Z", "2025-02-27T00:00:00Z"),
    ] + reasoner


def test_prices_at_a_date_without_filters_lists_every_provider_and_currency(ds: Datasette):
    found = rows(ds, "prices_at", ("provider", "model", "component", "currency", "price"),
                 at="2024-12-01", provider="", currency="")
    assert found == [
        ("mistral", "codestral-2501", "input", "EUR", "0.27"),
        ("mistral", "codestral-2501", "input", "USD", "0.3"),
        ("mistral", "codestral-2501", "output", "EUR", "0.81"),
        ("mistral", "codestral-2501", "output", "USD", "0.9"),
        ("mistral", "mistral-large-2411", "input", "EUR", "1.8"),
        ("mistral", "mistral-large-2411", "input", "USD", "2"),
        ("mistral", "mistral-large-2411", "output", "EUR", "5.4"),
        ("mistral", "mistral-large-2411", "output", "USD", "6"),
        ("mistral", "mistral-small-latest", "input", "EUR", "0.18"),
        ("mistral", "mistral-small-latest", "input", "USD", "0.2"),
        ("mistral", "mistral-small-latest", "output", "EUR", "0.54"),
        ("mistral", "mistral-small-latest", "output", "USD", "0.6"),
    ]


def test_prices_at_with_a_bad_date_answers_nothing_rather_than_now(ds: Datasette):
    assert rows(ds, "prices_at", PRICE, at="yesterday", provider="", currency="") == []


def test_model_history_lists_every_version_of_one_series_oldest_first(ds: Datasette):
    found = rows(ds, "model_history", ("component", "tier", "currency", "window", "price", "valid_from", "valid_to"),
                 provider="deepseek", model="deepseek-reasoner")
    output_usd = [r for r in found if r[0] == "output" and r[2] == "USD"]
    assert output_usd == [
        ("output", "off_peak", "USD", "16:30-00:30 UTC", "0.55", "2025-02-27T00:00:00Z", "2025-09-30T00:00:00Z"),
        ("output", "standard", "USD", "", "2.19", "2025-01-24T00:00:00Z", "2025-02-27T00:00:00Z"),
        ("output", "standard", "USD", "00:30-16:30 UTC", "2.19", "2025-02-27T00:00:00Z", "2025-09-30T00:00:00Z"),
        ("output", "standard", "USD", "", "0.42", "2025-09-30T00:00:00Z", "2026-08-14T00:00:00Z"),
    ]
    assert len(found) == 18
    assert {(r[0], r[2]) for r in found} == {(c, cur) for c in ("input", "input_cache_hit", "output")
                                             for cur in ("CNY", "USD")}


def test_recent_changes_are_cuts_and_increases_largest_first(ds: Datasette):
    found = rows(ds, "recent_changes", ("provider", "model", "component", "currency", "kind",
                                        "old_price", "new_price", "percent_change", "effective_at"),
                 since="2025-01-01")
    assert found == [
        ("deepseek", "deepseek-reasoner", "output", "USD", "cut", "2.19", "0.42", "-80.82", "2025-09-30T00:00:00Z"),
        ("deepseek", "deepseek-reasoner", "input_cache_hit", "USD", "cut", "0.14", "0.028", "-80.00", "2025-09-30T00:00:00Z"),
        ("deepseek", "deepseek-chat", "output", "USD", "cut", "1.1", "0.42", "-61.82", "2025-09-30T00:00:00Z"),
        ("deepseek", "deepseek-chat", "input_cache_hit", "USD", "cut", "0.07", "0.028", "-60.00", "2025-09-30T00:00:00Z"),
        ("deepseek", "deepseek-reasoner", "input", "USD", "cut", "0.55", "0.28", "-49.09", "2025-09-30T00:00:00Z"),
        ("deepseek", "deepseek-chat", "input", "USD", "increase", "0.27", "0.28", "3.70", "2025-09-30T00:00:00Z"),
    ]
    earlier = rows(ds, "recent_changes", ("model", "currency", "percent_change"), since="2024-06-01")
    assert earlier[:4] == [("mistral-small-latest", "EUR", "-90.77"), ("mistral-small-latest", "EUR", "-90.77"),
                           ("mistral-small-latest", "USD", "-90.48"), ("mistral-small-latest", "USD", "-90.48")]
    assert earlier[4:] == [(m, c, p) for _, m, _, c, _, _, _, p, _ in found]


def test_compare_providers_for_one_component_cheapest_first(ds: Datasette):
    found = rows(ds, "compare_providers", ("provider", "model", "tier", "price", "valid_to"),
                 component="output", currency="USD", at="2025-10-01")
    assert found == [
        ("deepseek", "deepseek-chat", "standard", "0.42", "2026-08-14T00:00:00Z"),
        ("deepseek", "deepseek-reasoner", "standard", "0.42", "2026-08-14T00:00:00Z"),
        ("mistral", "mistral-small-latest", "standard", "0.6", None),
        ("mistral", "codestral-2501", "standard", "0.9", None),
        ("mistral", "mistral-large-2411", "standard", "6", None),
    ]


def test_compare_providers_on_a_day_with_a_change_lists_both_prices(ds: Datasette):
    """The promo ended 2025-02-08T16:00Z: that day compares the promo and the list price."""
    found = rows(ds, "compare_providers", ("provider", "model", "price", "in_force"),
                 component="output", currency="USD", at="2025-02-08")
    assert [r for r in found if r[1] == "deepseek-chat"] == [
        ("deepseek", "deepseek-chat", "0.28", "part"), ("deepseek", "deepseek-chat", "1.1", "part")]
    late = rows(ds, "compare_providers", ("provider", "model", "price", "in_force"),
                component="output", currency="USD", at="2025-02-08T16:00:00Z")
    assert [r for r in late if r[1] == "deepseek-chat"] == [("deepseek", "deepseek-chat", "1.1", "yes")]


COST = ("n", "component", "tokens", "tier", "price_per_1m", "promo", "cost", "note")


def mix(ds: Datasette, at: str, model: str = "deepseek-chat", currency: str = "USD",
        hit: str = "1000000", miss: str = "2000000", output: str = "3000000") -> list[tuple]:
    return rows(ds, "token_mix_cost", COST, provider="deepseek", model=model, currency=currency,
                at=at, cache_hit_tokens=hit, cache_miss_tokens=miss, output_tokens=output)


def test_token_mix_cost_at_an_instant_uses_the_time_of_day_tier_in_force(ds: Datasette):
    assert mix(ds, "2025-03-01T18:00:00Z") == [
        (1, "input", 2000000, "off_peak", "0.135", "", "0.27", None),
        (2, "input_cache_hit", 1000000, "off_peak", "0.035", "", "0.035", None),
        (3, "output", 3000000, "off_peak", "0.55", "", "1.65", None),
        (None, "total", None, None, None, None, "1.955", None),
    ]
    assert mix(ds, "2025-03-01T12:00:00Z")[-1][6] == "3.91"


def test_token_mix_cost_during_the_promo_is_exact_to_the_last_digit(ds: Datasette):
    assert mix(ds, "2025-01-15T08:00:00Z", hit="1", miss="3", output="7") == [
        (1, "input", 3, "standard", "0.14", "promo", "0.00000042", None),
        (2, "input_cache_hit", 1, "standard", "0.014", "promo", "0.000000014", None),
        (3, "output", 7, "standard", "0.28", "promo", "0.00000196", None),
        (None, "total", None, None, None, None, "0.000002394", None),
    ]


def test_token_mix_cost_on_a_whole_day_with_two_rates_shows_the_highest_and_the_lowest(ds: Datasette):
    found = mix(ds, "2025-03-01")
    assert found[:3] == [
        (1, "input", 2000000, "standard", "0.27", "", "0.54", None),
        (2, "input_cache_hit", 1000000, "standard", "0.07", "", "0.07", None),
        (3, "output", 3000000, "standard", "1.1", "", "3.3", None),
    ]
    assert found[3][:7] == (None, "total", None, None, None, None, "3.91")
    assert found[3][7].endswith("(lowest: 1.955)")


@pytest.mark.parametrize("kwargs, note", [
    ({"model": "deepseek-nope"}, "no price history for this provider, model and currency"),
    ({"output": "3e6"}, "output tokens: '3e6' is not a whole number of tokens"),
    ({"at": "2024-06-01T00:00:00Z"},
     "2024-06-01T00:00:00Z is before the history of deepseek/deepseek-chat starts (2025-01-01T00:00:00Z)"),
    ({"at": "soon"}, "at: 'soon' is not an ISO 8601 date or instant"),
])
def test_token_mix_cost_explains_what_it_cannot_price(ds: Datasette, kwargs: dict, note: str):
    args = {"at": "2025-03-01T18:00:00Z", **kwargs}
    assert mix(ds, **args) == [(None, "total", None, None, None, None, None, note)]


def test_token_mix_cost_inside_an_uncertain_change_window_gives_both_costs(ds: Datasette):
    """The V3.2 cut was seen between two observations (09-29 00:00 and 09-30 00:00): at noon
    on the 29th it may or may not have happened."""
    found = mix(ds, "2025-09-29T12:00:00Z", model="DeepSeek-Chat")  # the id is matched ignoring case
    assert found[:3] == [
        (1, "input", 2000000, "standard", "0.27", "", "0.54", None),
        (2, "input_cache_hit", 1000000, "standard", "0.07", "", "0.07", None),
        (3, "output", 3000000, "standard", "1.1", "", "3.3", None),
    ]
    assert found[3][:7] == (None, "total", None, None, None, None, "3.91")
    assert found[3][7].endswith("the higher is counted (lowest: 1.848)")  # 0.28 x 2 + 0.028 + 0.42 x 3
    assert found[4:] == [
        (None, "total at the price before the change", None, None, None, None, "3.91",
         "uncertain: the price changed at an unknown instant between 2025-09-29T00:00:00Z and 2025-09-30T00:00:00Z"),
        (None, "total at the price after the change", None, None, None, None, "1.848", "uncertain"),
    ]
    # Exact on both sides of the window: the old price at its lower bound, the new one at its upper.
    assert mix(ds, "2025-09-29T00:00:00Z")[3] == (None, "total", None, None, None, None, "1.955", None)  # off-peak
    assert mix(ds, "2025-09-30T00:00:00Z")[3] == (None, "total", None, None, None, None, "1.848", None)


def test_token_mix_cost_in_cny_reads_the_zh_cn_page(ds: Datasette):
    assert mix(ds, "2025-03-01T12:00:00Z", currency="CNY")[-1][6] == "28.5"  # 2*2 + 1*0.5 + 3*8


@pytest.mark.parametrize("sql", [
    "DELETE FROM prices",
    "UPDATE prices SET price = '0'",
    "INSERT INTO sources VALUES ('x', 'x', 'x', '')",
    "DROP TABLE prices",
    "CREATE TABLE t (x)",
    "ATTACH DATABASE '/tmp/x.db' AS x",
    "PRAGMA writable_schema = 1",
    "WITH gone AS (SELECT 1) DELETE FROM prices",
    "SELECT 1; DELETE FROM prices",
])
def test_write_sql_is_refused_and_changes_nothing(ds: Datasette, history: Path, sql: str):
    response = asyncio.run(ds.client.get("/ratecard.json?" + urlencode({"sql": sql, "_timelimit": "200"})))
    assert response.status_code == 400
    assert response.json()["ok"] is False
    with sqlite3.connect(history) as conn:
        assert conn.execute("SELECT count(*) FROM prices").fetchone() == (105,)
        assert conn.execute("SELECT count(*) FROM sources").fetchone() == (3,)


def test_the_database_is_served_read_only(ds: Datasette, history: Path):
    db = ds.get_database("ratecard")
    with pytest.raises(sqlite3.OperationalError, match="readonly|read-only|query_only"):
        asyncio.run(db.execute_write("DELETE FROM prices"))
    with sqlite3.connect(history) as conn:
        assert conn.execute("SELECT count(*) FROM prices").fetchone() == (105,)


@pytest.mark.parametrize("path", ["/ratecard/prices", "/ratecard/recent_changes", "/ratecard/token_mix_cost",
                                  "/ratecard", "/"])
def test_a_post_is_refused_with_405_not_a_500(ds: Datasette, path: str):
    response = asyncio.run(ds.client.post(path, data={"sql": "DELETE FROM prices"}))
    assert response.status_code == 405
    assert response.text == "ratecard serve is read-only: use GET\n"


def test_metadata_describes_tables_and_columns_with_units(ds: Datasette):
    page = get(ds, "/ratecard/prices").text
    assert "Price charged, exact decimal, currency per 1M tokens" in page
    assert "In force from, UTC (inclusive)." in page
    data = get(ds, "/ratecard/prices.json", _size="1").json()
    assert sorted(data["facet_results"]) == ["component", "currency", "model", "provider", "tier"]
    assert data["rows"][0][data["columns"].index("valid_from")] == "2026-08-16T16:00:00Z"


def test_views_answer_by_hand(ds: Datasette):
    current = rows(ds, "current_prices", ("provider", "model", "currency"), _size="max")
    assert sorted(set(current)) == [
        ("deepseek", "deepseek-v4-flash", "CNY"), ("deepseek", "deepseek-v4-flash", "USD"),
        ("deepseek", "deepseek-v4-pro", "CNY"), ("deepseek", "deepseek-v4-pro", "USD"),
        ("mistral", "codestral-2501", "EUR"), ("mistral", "codestral-2501", "USD"),
        ("mistral", "mistral-large-2411", "EUR"), ("mistral", "mistral-large-2411", "USD"),
        ("mistral", "mistral-small-latest", "EUR"), ("mistral", "mistral-small-latest", "USD"),
    ]
    cuts = rows(ds, "price_changes", ("model", "percent", "size"), currency="USD", kind="increase")
    assert cuts == [("deepseek-chat", 3.7, 3.7)]


def chart_sql(chart: str) -> str:
    config = yaml.safe_load(METADATA_PATH.read_text(encoding="utf-8"))
    return config["plugins"]["datasette-dashboards"]["price-history"]["charts"][chart]["query"]


def test_dashboard_page_and_step_chart_data_for_one_provider(ds: Datasette):
    page = get(ds, "/-/dashboards/price-history").text
    assert "Price history" in page and "vega-lite.min.js" in page
    # The dashboard keeps [[ ... ]] blocks whose parameter is given, like this:
    sql = chart_sql("output").replace("[[ AND provider = :provider ]]", "AND provider = :provider")
    sql = sql.replace("[[ AND currency = :currency ]]", "AND currency = :currency")
    sql = sql.replace("[[ AND model = :model ]]", "AND model = :model")
    data = get(ds, "/ratecard.json", sql=sql, provider="deepseek", currency="USD",
               model="deepseek-chat", _shape="array").json()
    assert [(r["tier"], r["at"], r["price"], r["promo"]) for r in data] == [
        ("off_peak", "2025-02-27T00:00:00Z", "0.55", 0),
        ("off_peak", "2025-09-30T00:00:00Z", "0.55", 0),
        ("standard", "2025-01-01T00:00:00Z", "0.28", 1),
        ("standard", "2025-02-08T16:00:00Z", "0.28", 1),  # end of the promo version first...
        ("standard", "2025-02-08T16:00:00Z", "1.1", 0),   # ...then the list price: a vertical step
        ("standard", "2025-02-27T00:00:00Z", "1.1", 0),
        ("standard", "2025-02-27T00:00:00Z", "1.1", 0),
        ("standard", "2025-09-30T00:00:00Z", "1.1", 0),
        ("standard", "2025-09-30T00:00:00Z", "0.42", 0),
        ("standard", "2026-08-14T00:00:00Z", "0.42", 0),
    ]


def test_dashboard_charts_run_unfiltered_with_two_points_per_version(ds: Datasette, history: Path):
    with sqlite3.connect(history) as conn:
        versions = dict(conn.execute("SELECT component, count(*) FROM prices GROUP BY component"))
    assert versions == {"input": 41, "input_cache_hit": 25, "output": 39}
    for chart in versions:
        sql = chart_sql(chart).replace("[[ AND provider = :provider ]]", "")
        sql = sql.replace("[[ AND currency = :currency ]]", "").replace("[[ AND model = :model ]]", "")
        data = get(ds, "/ratecard.json", sql=sql, _shape="objects").json()
        assert (len(data["rows"]), data["truncated"]) == (2 * versions[chart], False)


def test_table_pages_walk_an_index_for_their_default_newest_first_sort(history: Path):
    with sqlite3.connect(history) as conn:
        for table, column in (("observations", "observed_at"), ("prices", "valid_from"),
                              ("changes", "effective_at")):
            plan = " ".join(r[-1] for r in conn.execute(
                f"EXPLAIN QUERY PLAN SELECT * FROM {table} ORDER BY {column} DESC LIMIT 51"))
            assert "USING INDEX" in plan and "TEMP B-TREE" not in plan, (table, plan)


def test_serve_refuses_a_missing_database_instead_of_serving_an_empty_one(tmp_path: Path, capsys):
    from scraper.cli import main

    assert main(["serve", "--db", str(tmp_path / "typo.db"), "--port", "1"]) == 1
    assert capsys.readouterr().err == (f"ratecard serve: {tmp_path / 'typo.db'}: no such database"
                                       " (run `ratecard scrape` or `ratecard backfill --curated` first)\n")
    assert not (tmp_path / "typo.db").exists()


def test_opening_a_current_database_writes_nothing_and_an_old_view_is_replaced(tmp_path: Path):
    from db.schema import open_db

    path = tmp_path / "h.db"
    open_db(path).close()
    with sqlite3.connect(path) as conn:
        version = conn.execute("PRAGMA schema_version").fetchone()
        conn.execute("DROP VIEW current_prices")
        conn.execute("CREATE VIEW current_prices AS SELECT 1 AS old")
    open_db(path).close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA schema_version").fetchone() > version
        columns = [r[1] for r in conn.execute("PRAGMA table_info(current_prices)")]
        assert columns[:3] == ["provider", "model", "component"]
        version = conn.execute("PRAGMA schema_version").fetchone()
    open_db(path).close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA schema_version").fetchone() == version


# --- prices_at: a date is the whole UTC day (the one meaning of a time) -----------------------

DAY_PRICE = ("model", "component", "price", "list_price", "valid_from", "valid_to", "in_force")


def test_prices_at_a_date_lists_every_version_in_force_at_some_moment_of_the_day(ds: Datasette):
    """The promo ended 2025-02-08T16:00Z: that day holds both the promo and the list price."""
    day = rows(ds, "prices_at", DAY_PRICE, at="2025-02-08", provider="deepseek", currency="USD")
    chat = [r for r in day if r[0] == "deepseek-chat"]
    assert chat == [
        ("deepseek-chat", "input", "0.14", "0.27", "2025-01-01T00:00:00Z", "2025-02-08T16:00:00Z", "part"),
        ("deepseek-chat", "input", "0.27", None, "2025-02-08T16:00:00Z", "2025-02-27T00:00:00Z", "part"),
        ("deepseek-chat", "input_cache_hit", "0.014", "0.07", "2025-01-01T00:00:00Z", "2025-02-08T16:00:00Z", "part"),
        ("deepseek-chat", "input_cache_hit", "0.07", None, "2025-02-08T16:00:00Z", "2025-02-27T00:00:00Z", "part"),
        ("deepseek-chat", "output", "0.28", "1.1", "2025-01-01T00:00:00Z", "2025-02-08T16:00:00Z", "part"),
        ("deepseek-chat", "output", "1.1", None, "2025-02-08T16:00:00Z", "2025-02-27T00:00:00Z", "part"),
    ]
    assert {r[-1] for r in day if r[0] == "deepseek-reasoner"} == {"yes"}
    # The days either side hold one version each; the last instant of the day only the new one.
    before = rows(ds, "prices_at", DAY_PRICE, at="2025-02-07", provider="deepseek", currency="USD")
    assert [r[2] for r in before if r[0] == "deepseek-chat"] == ["0.14", "0.014", "0.28"]
    assert {r[-1] for r in before} == {"yes"}
    after = rows(ds, "prices_at", DAY_PRICE, at="2025-02-09", provider="deepseek", currency="USD")
    assert [r[2] for r in after if r[0] == "deepseek-chat"] == ["0.27", "0.07", "1.1"]
    late = rows(ds, "prices_at", DAY_PRICE, at="2025-02-08T23:59:59Z", provider="deepseek", currency="USD")
    assert [r[2] for r in late if r[0] == "deepseek-chat"] == ["0.27", "0.07", "1.1"]


def test_prices_at_the_day_a_version_starts_at_midnight_is_not_part_of_the_day_before(ds: Datasette):
    """The reasoner was first seen 2025-01-24T00:00Z: 01-23 does not list it, 01-24 lists it whole."""
    assert [r for r in rows(ds, "prices_at", DAY_PRICE, at="2025-01-23", provider="deepseek", currency="USD")
            if r[0] == "deepseek-reasoner"] == []
    on = [r for r in rows(ds, "prices_at", DAY_PRICE, at="2025-01-24", provider="deepseek", currency="USD")
          if r[0] == "deepseek-reasoner"]
    assert [(r[1], r[2], r[-1]) for r in on] == [("input", "0.55", "yes"), ("input_cache_hit", "0.14", "yes"),
                                                  ("output", "2.19", "yes")]


# --- ratecard_token_cost within Datasette's time limit ------------------------------------------

def long_history(path: Path, versions: int) -> Path:
    """One model whose three components change price every hour: ``versions`` rows in all."""
    from datetime import datetime, timedelta, timezone

    from db.schema import open_db

    open_db(path).close()
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    rows_ = []
    for i in range(versions):
        component = ("input", "input_cache_hit", "output")[i % 3]
        hour = i // 3
        a, b = start + timedelta(hours=hour), start + timedelta(hours=hour + 1)
        price = str(1 + hour % 7)
        rows_.append(("p", "m", component, "standard", "USD", "", price, float(price), None, None, None,
                      a.strftime("%Y-%m-%dT%H:%M:%SZ"), b.strftime("%Y-%m-%dT%H:%M:%SZ"),
                      "observed", "observed", None, None, None, "confirmed", "s"))
    with sqlite3.connect(path) as conn:
        conn.executemany(f"INSERT INTO prices VALUES ({', '.join('?' * 20)})", rows_)
    return path


def test_token_cost_over_a_5000_version_history_answers_within_the_time_limit(tmp_path: Path):
    """Seven days of one 5,000-version model, each hour priced: 168 calls (each compiled a
    Pricer of every version: 62 s before), inside Datasette's 3,000 ms; the money exact."""
    import time

    ds = make_datasette(long_history(tmp_path / "long.db", 5000))
    sql = ("WITH RECURSIVE h(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM h WHERE n < 167)"
           " SELECT n, json_extract(ratecard_token_cost((SELECT versions FROM price_versions_json"
           " WHERE model = 'm'), strftime('%Y-%m-%dT%H:%M:%SZ', '2024-01-10', '+' || n || ' hours'),"
           " 0, 1000000, 0), '$.total') AS total FROM h")
    started = time.perf_counter()
    data = get(ds, "/ratecard.json", sql=sql, _shape="array").json()
    took = time.perf_counter() - started
    assert took < 3.0, took
    # 2024-01-10T00:00Z is hour 216 since the start: 1 + 216 % 7 = 7 USD per 1M input tokens.
    assert [r["total"] for r in data[:8]] == ["7", "1", "2", "3", "4", "5", "6", "7"]
    assert len(data) == 168


def test_token_cost_stops_with_an_error_once_the_query_time_is_spent():
    from db.datasette.token_cost import TIME_SPENT, query_deadline, token_cost

    versions = json.dumps([{"provider": "p", "model": "m", "component": "input", "tier": "standard",
                            "window": "", "currency": "USD", "price": "2", "valid_from": "2024-01-01T00:00:00Z",
                            "valid_to": None, "list_price": None, "promo_until": None}])
    assert json.loads(token_cost(versions, "2024-02-01", 0, 500000, 0))["total"] == "1"
    with query_deadline(0):
        assert json.loads(token_cost(versions, "2024-02-01", 0, 500000, 0))["error"] == TIME_SPENT
    with query_deadline(60_000):
        assert json.loads(token_cost(versions, "2024-02-01", 0, 500000, 0))["total"] == "1"


def test_a_query_that_spends_the_time_limit_is_stopped_not_left_running(tmp_path: Path):
    """Datasette's own limit (here 200 ms, asked with ``_timelimit``) stops a query of many token-cost calls: an error
    page within about the limit, not minutes later."""
    import time

    ds = make_datasette(long_history(tmp_path / "long.db", 600))
    sql = ("WITH RECURSIVE h(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM h WHERE n < 200000)"
           " SELECT count(ratecard_token_cost((SELECT versions FROM price_versions_json WHERE model = 'm'),"
           " strftime('%Y-%m-%dT%H:%M:%SZ', '2024-01-02', '+' || (n % 100) || ' hours'), 0, n, 0)) FROM h")
    started = time.perf_counter()
    response = asyncio.run(ds.client.get("/ratecard.json?" + urlencode({"sql": sql, "_timelimit": "200"})))
    took = time.perf_counter() - started
    assert response.status_code == 400 and "interrupted" in response.text.lower(), response.text[:300]
    assert took < 2.0, took


def priced(pricer: Any, row: Any) -> tuple:
    """What a pricing says, in money (the unit scale depends on the versions compiled)."""
    p = pricer.price(row)
    if not hasattr(p, "units"):
        return ("unpriced", p.reason)
    u = p.uncertain
    return (pricer.money(p.units), None if p.lowest_units is None else pricer.money(p.lowest_units),
            [(c, t, r.price, r.tier, pricer.money(units)) for c, t, r, units in p.components], p.notes,
            None if u is None else (u.after, u.by, pricer.money(u.units_before), pricer.money(u.units_after)))


def test_near_keeps_what_prices_an_instant_exactly_as_the_whole_history(ds: Datasette, history: Path):
    """The versions ``near`` keeps price every hour of the fixture history's DeepSeek years exactly
    as all the versions do (uncertain windows, promo ends, off-peak windows, the first version)."""
    from datetime import datetime, timedelta, timezone

    from db.datasette.token_cost import _usage_row, _versions, near
    from db.reprice.pricer import DAY, Pricer

    with sqlite3.connect(history) as conn:
        text = conn.execute("SELECT versions FROM price_versions_json WHERE model = 'deepseek-chat'"
                            " AND currency = 'USD'").fetchone()[0]
    versions = _versions(text)
    full = Pricer(versions, "USD")
    at = datetime(2024, 12, 30, tzinfo=timezone.utc)
    compared = 0
    while at < datetime(2026, 9, 1, tzinfo=timezone.utc):
        for text_at in (at.strftime("%Y-%m-%dT%H:%M:%SZ"), at.date().isoformat()):
            row = _usage_row(text_at, {"input": 2000000, "input_cache_hit": 1000000, "output": 3000000})
            row = row._replace(provider="deepseek", model="deepseek-chat")
            kept = near(versions, row.start, row.start + DAY if row.whole_day else row.start)
            assert priced(Pricer(kept, "USD"), row) == priced(full, row), text_at
            compared += 1
        at += timedelta(hours=7, minutes=30)
    assert compared > 3000


def test_sigterm_stops_serve_while_a_slow_query_runs(tmp_path: Path):
    """A real ``ratecard serve``: a query spending its whole time limit in ratecard_token_cost
    is running when SIGTERM arrives; the server exits within about 6 s (uvicorn's 5 s graceful
    shutdown at most), never hanging until the query ends."""
    import signal
    import socket
    import subprocess
    import sys
    import threading
    import time

    import httpx

    db = long_history(tmp_path / "long.db", 3000)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = Path(__file__).resolve().parents[1]
    server = subprocess.Popen([sys.executable, "-m", "scraper", "serve", "--db", str(db), "--port", str(port)],
                              cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/-/versions.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()
            time.sleep(0.2)
        sql = ("WITH RECURSIVE h(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM h WHERE n < 10000000)"
               " SELECT count(ratecard_token_cost((SELECT versions FROM price_versions_json WHERE model = 'm'),"
               " strftime('%Y-%m-%dT%H:%M:%SZ', '2024-01-02', '+' || (n % 500) || ' hours'), 0, n, 0)) FROM h")
        answers: list[int] = []

        def slow_query() -> None:
            try:
                answers.append(httpx.get(f"{base}/ratecard.json", params={"sql": sql}, timeout=30).status_code)
            except httpx.HTTPError:
                answers.append(-1)

        asking = threading.Thread(target=slow_query)
        asking.start()
        time.sleep(1.0)  # the query is running inside its 3 s limit
        stopped_at = time.monotonic()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=15)
        took = time.monotonic() - stopped_at
        asking.join(timeout=30)
        print(f"serve stopped {took:.2f} s after SIGTERM; the query answered {answers}")
        assert took < 6.5, took
        assert "Traceback" not in server.stderr.read()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
