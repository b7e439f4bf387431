"""``ratecard backfill --git CLONE --mirror NAME``: the known public mirrors (scraper/known_mirrors.json,
docs/mirrors.md) say which file of the clone is which provider's page; tested on local repositories
laid out like the real mirrors, built here from the project's own fixtures."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from db.schema import open_db
from scraper.cli import main
from scraper.known_mirrors import MirrorListError, read_mirrors
from tests.test_backfill_git import commit

FIXTURES = Path(__file__).parent / "fixtures"


def repo(tmp_path: Path, name: str, versions: list[tuple[str, str, Path]]) -> Path:
    """A git repository with each (commit time, path, fixture) committed in order."""
    root = tmp_path / name
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for when, path, fixture in versions:
        commit(root, when, f"update {path}", {path: fixture.read_text(encoding="utf-8")})
    return root


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_shipped_list_names_real_sources_and_the_known_repositories():
    mirrors = read_mirrors()
    assert {(m.repo, m.path, m.source) for m in mirrors.values()} >= {
        ("https://github.com/thevibeworks/deepseek-docs", "content/en/quick_start/pricing.md", "deepseek-en"),
        ("https://github.com/thevibeworks/deepseek-docs", "content/zh-cn/quick_start/pricing.md", "deepseek-zh-cn"),
        ("https://github.com/skissue/gptel-openrouter-models", "openrouter-models.json", "openrouter-models"),
        ("https://github.com/mistralai/platform-docs-public", "docs/platform/05-pricing.md", "mistral-pricing"),
        ("https://github.com/JokerRun/claude-docs-sitemap",
         "content/claude-docs/platform.claude.com/docs/en/about-claude/pricing.md", "anthropic-pricing"),
        ("https://github.com/anagri/claude-code-docs", "downloads/md/docs/about-claude/pricing.md",
         "anthropic-pricing"),
        ("https://github.com/Lore-Hex/quill-router", "tests/fixtures/pricing/grok.html", "xai-models"),
        ("https://github.com/anuran-roy/unified-llm-pricing", "openrouter_models.json", "openrouter-models"),
    }
    documented = (Path(__file__).parents[1] / "docs" / "mirrors.md").read_text(encoding="utf-8")
    for mirror in mirrors.values():
        assert f"`{mirror.name}`" in documented and mirror.path in documented


def test_mistral_docs_mirror_rebuilds_the_2024_history(tmp_path, capsys):
    clone = repo(tmp_path, "platform-docs-public", [
        ("2024-01-03T10:00:00Z", "docs/platform/05-pricing.md", FIXTURES / "mistral" / "docs-2024-01.md"),
        ("2024-03-07T09:30:00Z", "docs/platform/05-pricing.md", FIXTURES / "mistral" / "docs-2024-03.md"),
    ])
    # a later commit of the same page confirms the new list (the guard holds a page that lost most of
    # its models until the next copy shows the loss again)
    commit(clone, "2024-04-01T08:00:00Z", "typo", {"docs/platform/05-pricing.md": (
        FIXTURES / "mistral" / "docs-2024-03.md").read_text(encoding="utf-8") + "\n"})
    db_path = tmp_path / "h.db"
    code, out, err = run(capsys, "backfill", "--db", str(db_path), "--git", str(clone), "--mirror",
                         "mistral-platform-docs")
    assert code == 0, err
    assert out == "backfill: 3 copies recorded (3 parsed, 0 unreadable), 0 already stored, 0 left for the next run\n"
    db = open_db(db_path)
    assert [(r["source_id"], r["observed_at"]) for r in db.query(
        "SELECT source_id, observed_at FROM observations ORDER BY observed_at")] == [
        ("mistral-pricing", "2024-01-03T10:00:00Z"), ("mistral-pricing", "2024-03-07T09:30:00Z"),
        ("mistral-pricing", "2024-04-01T08:00:00Z")]
    rows = [(r["model"], r["currency"], r["component"], r["price"], r["valid_from"], r["valid_to"]) for r in db.query(
        "SELECT * FROM prices WHERE model IN ('mistral-medium', 'mistral-large-latest')"
        " ORDER BY model, currency, component")]
    assert rows == [
        ("mistral-large-latest", "EUR", "input", "7.8", "2024-03-07T09:30:00Z", None),
        ("mistral-large-latest", "EUR", "output", "23.4", "2024-03-07T09:30:00Z", None),
        ("mistral-large-latest", "USD", "input", "8.5", "2024-03-07T09:30:00Z", None),
        ("mistral-large-latest", "USD", "output", "25.5", "2024-03-07T09:30:00Z", None),
        ("mistral-medium", "EUR", "input", "2.6", "2024-01-03T10:00:00Z", "2024-03-07T09:30:00Z"),
        ("mistral-medium", "EUR", "output", "7.8", "2024-01-03T10:00:00Z", "2024-03-07T09:30:00Z"),
    ]


def test_deepseek_zh_cn_mirror_needs_no_source_option(tmp_path, capsys):
    clone = repo(tmp_path, "deepseek-docs", [
        ("2026-08-14T06:00:00Z", "content/zh-cn/quick_start/pricing.md",
         FIXTURES / "deepseek" / "2026-08-14-announced.zh-cn.md"),
        ("2026-08-17T06:00:00Z", "content/zh-cn/quick_start/pricing.md",
         FIXTURES / "deepseek" / "2026-08-17-peak.zh-cn.md"),
    ])
    db_path = tmp_path / "h.db"
    code, out, err = run(capsys, "backfill", "--db", str(db_path), "--git", str(clone), "--mirror",
                         "thevibeworks-deepseek-zh-cn")
    assert code == 0, err
    db = open_db(db_path)
    assert {r["source_id"] for r in db.query("SELECT source_id FROM observations")} == {"deepseek-zh-cn"}
    peak = [(r["price"], r["valid_from"], r["from_basis"]) for r in db.query(
        "SELECT * FROM prices WHERE model = 'deepseek-v4-flash' AND component = 'input' AND tier = 'peak'")]
    assert peak == [("3", "2026-08-16T16:00:00Z", "announced")]  # the announced instant, not the commit time


@pytest.mark.parametrize("extra, message, code", [
    (("--mirror", "nope"), "unknown mirror 'nope' (known: anagri-claude-docs, claude-docs-sitemap,", 1),
    (("--mirror", "thevibeworks-deepseek-zh-cn", "--source", "deepseek-en"),
     "--source deepseek-en contradicts the mirror thevibeworks-deepseek-zh-cn (source deepseek-zh-cn)", 1),
    (("--mirror", "mistral-platform-docs", "--provider", "openai"),
     "--provider openai contradicts the mirror mistral-platform-docs (provider mistral)", 1),
])
def test_a_bad_mirror_option_is_one_line_and_writes_nothing(tmp_path, capsys, extra, message, code):
    clone = repo(tmp_path, "r", [("2024-01-03T10:00:00Z", "a.md", FIXTURES / "mistral" / "docs-2024-01.md")])
    db_path = tmp_path / "h.db"
    got, out, err = run(capsys, "backfill", "--db", str(db_path), "--git", str(clone), *extra)
    assert got == code
    assert message in err and "Traceback" not in err
    assert not db_path.exists()


def test_mirror_without_git_is_bad_usage(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["backfill", "--db", str(tmp_path / "h.db"), "--curated", "--mirror", "gptel-openrouter"])
    assert info.value.code == 2
    assert "--mirror goes with --git" in capsys.readouterr().err


def test_a_broken_mirror_list_names_the_field(tmp_path):
    path = tmp_path / "m.json"
    path.write_text('{"mirrors": [{"name": "x", "repo": "https://e.com", "path": "p", "provider": "deepseek",'
                    ' "source": "deepseek-fr", "covers": "c"}]}', encoding="utf-8")
    with pytest.raises(MirrorListError) as info:
        read_mirrors(path)
    assert str(info.value) == f"{path}: mirrors[0].source: deepseek has no source 'deepseek-fr'"
