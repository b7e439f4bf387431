"""The 17 real OpenRouter /api/v1/models snapshots in ../shared/real-pages/openrouter, recorded in
date order and derived through the guard: every price change between consecutive snapshots is in
the history at the snapshot that first showed it (never late, never lost because of another
series), except what the guard itself holds: removals still waiting at the last snapshot, and a
model that vanished for one snapshot and came back at its old price (dropped, by the rule)."""

from __future__ import annotations

from pathlib import Path

import pytest

from db.derive import Key, same_price
from db.guard import CONFIRMED, DISCARDED, WAITING, in_force, screen
from db.derive import Observation
from db.history import _load_observations, rebuild
from db.observe import record_observation
from db.schema import open_db
from parsers import registry
from parsers.quote import iso_utc, parse_utc

REAL = Path(__file__).resolve().parents[2] / "shared" / "real-pages" / "openrouter"
SNAPSHOTS = sorted(REAL.glob("*.json")) if REAL.is_dir() else []
pytestmark = pytest.mark.skipif(len(SNAPSHOTS) != 17, reason=f"the 17 real OpenRouter snapshots are not in {REAL}")
SOURCE = registry.sources("openrouter")[0]


def at(path: Path) -> str:
    return f"{path.name[:10]}T00:00:00Z"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """The snapshots recorded and derived as nightly scrapes would; the database and the log."""
    db = open_db(tmp_path_factory.mktemp("openrouter") / "prices.db")
    for path in SNAPSHOTS:
        body = path.read_bytes()
        reading = registry.read("openrouter", body.decode("utf-8"), SOURCE.url)
        record_observation(db, SOURCE, parse_utc(at(path)), 200, body, reading.quotes, None, "1", archive=True)
        rebuild(db, ["openrouter"])
    return db, _load_observations(db, "openrouter")


def real_changes(log: list[Observation]) -> set[tuple[Key, str]]:
    """Every (series, snapshot) where the in-force price differs from the previous snapshot."""
    out = set()
    for before, now in zip(log, log[1:]):
        a, b = in_force(before), in_force(now)
        for key in a.keys() | b.keys():
            if key not in a or key not in b or not same_price(a[key].price, b[key].price):
                out.add((key, iso_utc(now.observed_at)))
    return out


def test_every_real_change_is_recorded_at_the_snapshot_that_first_showed_it(recorded):
    db, log = recorded
    real = real_changes(log)
    rows = list(db.query("SELECT * FROM changes WHERE provider = 'openrouter'"))
    history = {((r["provider"], r["model"], r["component"], r["tier"], r["currency"]), r["observed_at"]) for r in rows}
    suspects = screen(log).suspects
    waiting = {(h.key, iso_utc(s.observation.observed_at)) for s in suspects for h in s.series if h.status == WAITING}
    dropped = {(h.key, iso_utc(s.observation.observed_at)) for s in suspects for h in s.series if h.status == DISCARDED}
    confirmed = {(h.key, iso_utc(s.observation.observed_at)) for s in suspects for h in s.series if h.status == CONFIRMED}
    assert (len(real), len(history), len(waiting), len(dropped), len(confirmed)) == (1723, 1469, 250, 2, 142)
    # nothing recorded that the snapshots do not show, nothing late: each change at its own snapshot
    assert history <= real
    assert all(r["observed_after"] == iso_utc(log[[iso_utc(o.observed_at) for o in log].index(r["observed_at"]) - 1].observed_at)
               and r["effective_at"] == r["observed_at"] and r["basis"] == "observed" for r in rows)
    # every confirmed suspect counts at the snapshot that first showed it
    assert confirmed <= history
    # what is missing is exactly what the guard holds: the last snapshot's removals (waiting for
    # the next night) and trinity-large-preview:free, gone on 03-31 and back on 04-02 at "0"
    trinity = {(("openrouter", "arcee-ai/trinity-large-preview:free", c, "standard", "USD"), day)
               for c in ("input", "output") for day in ("2026-03-31T00:00:00Z", "2026-04-02T00:00:00Z")}
    assert real - history == waiting | trinity
    assert {key for key, _ in dropped} == {key for key, _ in trinity}
    assert {day for _, day in waiting} == {"2026-08-19T00:00:00Z"}


def test_real_suspects_beside_other_changes_are_confirmed_at_their_first_snapshot(recorded):
    db, _log = recorded

    def series(model: str, component: str) -> list[tuple]:
        return [(r["old_price"], r["new_price"], r["effective_at"], r["observed_after"]) for r in db.query(
            "SELECT * FROM changes WHERE model = ? AND component = ? ORDER BY effective_at", [model, component])]

    # an 11.7x cut (held) on a night with other changes, and its revert, each at its own snapshot
    assert series("mistralai/mistral-small-3.1-24b-instruct", "input")[:2] == [
        ("0.35", "0.03", "2026-03-21T00:00:00Z", "2026-03-18T00:00:00Z"),
        ("0.03", "0.35", "2026-04-12T00:00:00Z", "2026-04-07T00:00:00Z")]
    # kimi-k2.5 read "0" on 04-18 (held as a move to 0); 04-22 shows a third price, which confirms it
    assert series("moonshotai/kimi-k2.5", "output")[1:4] == [
        ("1.99", "1.72", "2026-04-07T00:00:00Z", "2026-04-02T00:00:00Z"),
        ("1.72", "0", "2026-04-18T00:00:00Z", "2026-04-12T00:00:00Z"),
        ("0", "2", "2026-04-22T00:00:00Z", "2026-04-18T00:00:00Z")]
    # 03-04: a 17x move on llama-3.2-3b (held, confirmed) on the night of the Qwen cuts
    assert series("meta-llama/llama-3.2-3b-instruct", "output")[:1] == [
        ("0.02", "0.34", "2026-03-04T00:00:00Z", "2026-02-27T00:00:00Z")]
    assert series("qwen/qwen-max", "input")[:1] == [("1.6", "1.04", "2026-03-04T00:00:00Z", "2026-02-27T00:00:00Z")]
