"""The columnar engine prices alias ids (``gpt-4o``, ``mistral-large-latest``...) as the row
pricer does: on the snapshot each named at the row's time, only where the history has no price of
its own for the id, with both costs inside a switch known only to its day, and the same notes."""

from __future__ import annotations

import io
import random
from datetime import timedelta

import pytest

pytest.importorskip("duckdb")

from db import curated  # noqa: E402
from db.history import rebuild  # noqa: E402
from db.reprice import aliases  # noqa: E402
from db.reprice.engine import Engine  # noqa: E402
from db.reprice.pricer import Pricer, load_versions  # noqa: E402
from db.schema import open_db  # noqa: E402
from test_engine import engine_rows, engine_text, expected, stored_columns  # noqa: E402


@pytest.fixture(scope="module")
def pricers(tmp_path_factory) -> dict[str, Pricer]:
    db = open_db(str(tmp_path_factory.mktemp("engine-aliases") / "h.db"))
    histories = curated.read_all()
    curated.load(db, histories)
    rebuild(db, [h.provider for h in histories])
    return {c: Pricer(load_versions(db, c), c) for c in ("USD", "EUR")}


def alias_usage(seed: int) -> str:
    """Rows on every shipped alias (and case and snapshot spellings) at each switch, one second
    and one day either side, inside switch windows, and as whole days."""
    rng = random.Random(seed)
    lines = ["time,provider,model,input_tokens,input_cache_hit_tokens,output_tokens\n"]
    for alias in aliases.shipped():
        for target in alias.targets:
            instants = [target.start + timedelta(seconds=s) for s in (-86400, -1, 0, 1, 3600, 86400 * 40)]
            if target.changed_after is not None:
                instants += [target.changed_after + timedelta(seconds=s) for s in (-1, 1, 7200)]
            for t in instants:
                for model in (alias.alias, alias.alias.upper()):
                    tokens = f"{rng.randrange(1, 10**6)},{rng.choice([0, rng.randrange(10**5)])},{rng.randrange(10**5)}"
                    text = t.date().isoformat() if rng.random() < 0.3 else t.strftime("%Y-%m-%dT%H:%M:%SZ")
                    lines.append(f"{text},{alias.provider},{model},{tokens}\n")
                if target.model:
                    lines.append(f"{t.strftime('%Y-%m-%dT%H:%M:%SZ')},{alias.provider},{target.model}-2099-01-01,"
                                 "1000,0,1000\n")
    return "".join(lines)


@pytest.mark.parametrize("currency", ["USD", "EUR"])
def test_alias_rows_equal_the_row_pricer(pricers, tmp_path, currency):
    pricer = pricers[currency]
    path = tmp_path / "aliases.csv"
    path.write_text(alias_usage(5), encoding="utf-8")
    with Engine(pricer, threads=2) as engine:
        engine.load(path)
        engine.price()
        got, want = engine_rows(engine), expected(pricer, path)
    assert len(got) == len(want) > 500
    mismatched = [(g, w) for g, w in zip(got, want) if g != w]
    assert mismatched == []
    priced = [w for w in want if w[1] is None]
    if currency == "USD":  # every provider; switches known only to their day give both costs
        assert len(priced) > 200 and any(w[7] is not None for w in priced)
    else:  # Mistral alone publishes EUR
        assert len(priced) > 20 and {w[2] for w in priced} == {"mistral"}


def test_alias_notes_and_csv_equal_the_row_writer(pricers, tmp_path):
    from db.reprice import reference as rows

    pricer = pricers["USD"]
    path = tmp_path / "aliases.csv"
    path.write_text(alias_usage(11), encoding="utf-8")
    reference = io.StringIO()
    rows.write_csv(pricer, rows.priced_rows(pricer, str(path)), reference)
    with Engine(pricer, threads=2) as engine:
        got = engine_text(engine, path)
    got_lines, want_lines = got.splitlines(), reference.getvalue().splitlines()
    assert len(got_lines) == len(want_lines)
    assert [(g, w) for g, w in zip(got_lines, want_lines) if g != w] == []
    assert "switched from" in reference.getvalue() and " named " in reference.getvalue()


def test_columns_a_file_and_its_history_fix_are_not_stored_and_rows_still_equal(pricers, tmp_path):
    """A removed model's rows after it was last seen get the row writer's note; a file whose
    providers never lost a model, with no tier column and no dates, stores none of the columns
    that makes constant (its rows are the row pricer's all the same)."""
    from db.reprice import reference as rows

    pricer = pricers["USD"]
    header = "time,provider,model,input_tokens,input_cache_hit_tokens,output_tokens\n"
    removed = tmp_path / "removed.csv"  # deepseek-chat was last seen 2025-09-30, gone 2026-04-26
    removed.write_text(header + "".join(f"2025-{m:02d}-15T10:00:00Z,deepseek,deepseek-chat,1000,200,300\n"
                                        for m in (8, 9, 10, 11, 12)) + "2025-11-02,deepseek,deepseek-chat,10,0,10\n",
                       encoding="utf-8")
    kept = tmp_path / "kept.csv"
    kept.write_text(header + "".join(f"2025-{m:02d}-15T10:00:00Z,anthropic,claude-sonnet-4,{m * 1000},0,{m}\n"
                                     for m in range(1, 13)), encoding="utf-8")
    reference = io.StringIO()
    rows.write_csv(pricer, rows.priced_rows(pricer, str(removed)), reference)
    with Engine(pricer, threads=2) as engine:
        engine.load(removed)
        engine.price()
        assert {"after_last_seen", "removed_us", "whole_day"} <= stored_columns(engine)
        got = io.StringIO()
        engine.write("csv", got, str(removed))
        engine.load(kept)
        engine.price()
        assert not {"after_last_seen", "last_seen_us", "removed_us", "priced_provider_id", "whole_day", "tier",
                    "context"} & stored_columns(engine)
        priced, want = engine_rows(engine), expected(pricer, kept)
    assert got.getvalue() == reference.getvalue()
    assert got.getvalue().count("was no longer listed at 2026-04-26T12:15:00Z (last seen 2025-09-30T00:00:00Z)") == 4
    assert priced == want and len(priced) == 12
