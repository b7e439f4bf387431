"""``ratecard backfill --git``: every committed version of a mirrored pricing page, at its commit time.

The test builds a mirror repository with ``git``: the DeepSeek Markdown fixtures committed at set
dates, an unrelated commit, a rename, and an edited price.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from db.history import changes
from db.schema import open_db
from scraper.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "deepseek"


def commit(repo: Path, when: str, message: str, files: dict[str, str], renames: dict[str, str] | None = None) -> None:
    env = {**os.environ, "GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": "2020-01-01T00:00:00Z",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    for old, new in (renames or {}).items():
        (repo / new).parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "mv", old, new], cwd=repo, check=True, env=env)
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
        subprocess.run(["git", "add", name], cwd=repo, check=True, env=env)
    subprocess.run(["git", "commit", "-q", "-m", message], cwd=repo, check=True, env=env)


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once: the tests only read it."""
    repo = tmp_path_factory.mktemp("mirror") / "deepseek-docs"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    promo = (FIXTURES / "2024-12-28-promo.en.md").read_text(encoding="utf-8")
    full = (FIXTURES / "2025-02-20-full-price.en.md").read_text(encoding="utf-8")
    v32 = (FIXTURES / "2025-09-29-v32.en.md").read_text(encoding="utf-8")
    commit(repo, "2024-12-28T10:00:00Z", "pricing page", {"docs/pricing.md": promo})
    commit(repo, "2025-01-02T10:00:00Z", "unrelated", {"README.md": "mirror\n"})
    commit(repo, "2025-02-20T09:00:00Z", "full price, R1", {"docs/pricing.md": full})
    cut = full.replace("| $0.07 | $0.27 | $1.10 |", "| $0.07 | $0.27 | $1.00 |")
    assert cut != full
    commit(repo, "2025-03-10T00:00:00+08:00", "move docs, chat output cut", {"quick_start/pricing.md": cut},
           renames={"docs/pricing.md": "quick_start/pricing.md"})
    commit(repo, "2025-09-30T08:00:00Z", "V3.2", {"quick_start/pricing.md": v32})
    return repo


def backfill(capsys, db: Path, repo: Path, path: str, *extra: str) -> tuple[int, str, str]:
    code = main(["backfill", "--db", str(db), "--provider", "deepseek", "--git", str(repo), "--path", path, *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_each_version_is_recorded_at_its_commit_time(tmp_path, mirror, capsys):
    db_path = tmp_path / "h.db"
    code, out, err = backfill(capsys, db_path, mirror, "quick_start/pricing.md", "--source", "deepseek-en")
    assert code == 0, err
    assert out == "backfill: 4 copies recorded (4 parsed, 0 unreadable), 0 already stored, 0 left for the next run\n"
    db = open_db(db_path)
    rows = [(r["source_id"], r["observed_at"], r["url"].split(":")[2], r["outcome"], r["archive"])
            for r in db.query("SELECT * FROM observations ORDER BY observed_at")]
    assert rows == [  # committer dates in UTC (the author dates are all 2020), renames followed
        ("deepseek-en", "2024-12-28T10:00:00Z", "docs/pricing.md", "ok", 1),
        ("deepseek-en", "2025-02-20T09:00:00Z", "docs/pricing.md", "ok", 1),
        ("deepseek-en", "2025-03-09T16:00:00Z", "quick_start/pricing.md", "ok", 1),
        ("deepseek-en", "2025-09-30T08:00:00Z", "quick_start/pricing.md", "ok", 1),
    ]
    got = [(c["effective_at"], c["basis"], c["model"], c["component"], c["kind"], c["old_price"],
            c["new_price"], c["observed_after"]) for c in changes(db, "deepseek") if c["currency"] == "USD"]
    v32, cut, full, promo_end = ("2025-09-30T08:00:00Z", "2025-03-09T16:00:00Z", "2025-02-20T09:00:00Z",
                                 "2025-02-08T16:00:00Z")
    assert got == [
        (v32, "observed", "deepseek-chat", "input", "increase", "0.27", "0.28", cut),
        (v32, "observed", "deepseek-chat", "input_cache_hit", "cut", "0.07", "0.028", cut),
        (v32, "observed", "deepseek-chat", "output", "cut", "1", "0.42", cut),
        (v32, "observed", "deepseek-reasoner", "input", "cut", "0.55", "0.28", cut),
        (v32, "observed", "deepseek-reasoner", "input_cache_hit", "cut", "0.14", "0.028", cut),
        (v32, "observed", "deepseek-reasoner", "output", "cut", "2.19", "0.42", cut),
        (cut, "observed", "deepseek-chat", "output", "cut", "1.1", "1", full),
        (full, "observed", "deepseek-reasoner", "input", "added", None, "0.55", "2024-12-28T10:00:00Z"),
        (full, "observed", "deepseek-reasoner", "input_cache_hit", "added", None, "0.14", "2024-12-28T10:00:00Z"),
        (full, "observed", "deepseek-reasoner", "output", "added", None, "2.19", "2024-12-28T10:00:00Z"),
        (promo_end, "announced", "deepseek-chat", "input", "promo_end", "0.14", "0.27", "2024-12-28T10:00:00Z"),
        (promo_end, "announced", "deepseek-chat", "input_cache_hit", "promo_end", "0.014", "0.07", "2024-12-28T10:00:00Z"),
        (promo_end, "announced", "deepseek-chat", "output", "promo_end", "0.28", "1.1", "2024-12-28T10:00:00Z"),
    ]


def test_running_twice_adds_nothing(tmp_path, mirror, capsys):
    db_path = tmp_path / "h.db"
    backfill(capsys, db_path, mirror, "quick_start/pricing.md", "--source", "deepseek-en")
    code, out, _ = backfill(capsys, db_path, mirror, "quick_start/pricing.md", "--source", "deepseek-en")
    assert code == 0
    assert out == "backfill: 0 copies recorded (0 parsed, 0 unreadable), 4 already stored, 0 left for the next run\n"
    assert open_db(db_path)["observations"].count == 4


@pytest.mark.parametrize("path, extra, message", [
    ("nope.md", ("--source", "deepseek-en"), "no commit has 'nope.md' (the path is relative to the repository root)"),
    ("quick_start/pricing.md", (), "deepseek has several pages: say which one the file mirrors with --source"
                                   " (deepseek-en, deepseek-zh-cn)"),
    ("quick_start/pricing.md", ("--source", "deepseek-fr"), "deepseek has no source 'deepseek-fr'"
                                                           " (known: deepseek-en, deepseek-zh-cn)"),
])
def test_bad_input_is_a_clear_error_and_writes_nothing(tmp_path, mirror, capsys, path, extra, message):
    db_path = tmp_path / "h.db"
    code, out, err = backfill(capsys, db_path, mirror, path, *extra)
    assert code == 1
    assert message in err
    assert not db_path.exists()


def test_not_a_repository(tmp_path, capsys):
    code, _, err = backfill(capsys, tmp_path / "h.db", tmp_path, "pricing.md", "--source", "deepseek-en")
    assert code == 1
    assert err == f"ratecard backfill: {tmp_path}: not a git repository\n"
    assert not (tmp_path / "h.db").exists()
