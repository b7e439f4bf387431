"""The nightly workflow's script step, run as written in nightly.yml, in a throw-away git checkout
that pushes to a local bare repository, against a mirror of fixture pages on 127.0.0.1.

Four nights: the first records prices (commit), the second sees the same page (no commit), the
third sees a real change while the zh-cn page fails (commit listing the change, then exit 1),
the fourth a units mistake (held as suspect: no commit, exit 1).  Before the third, an unrelated
commit lands on main, so the night's push must rebase."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from mirror import ROOT, Mirror, page, units_mistake
from ruamel.yaml import YAML

STEP = "Scrape, export, commit what changed"


def step_script() -> tuple[str, dict[str, str]]:
    flow = YAML(typ="safe").load((ROOT / ".github" / "workflows" / "nightly.yml").read_text())
    step = next(s for s in flow["jobs"]["scrape"]["steps"] if s.get("name") == STEP)
    return step["run"], step.get("env", {})


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def checkout(tmp: Path) -> Path:
    """A clone of a bare 'origin' holding the nightly script, as actions/checkout leaves it."""
    origin, seed, work = tmp / "origin.git", tmp / "seed", tmp / "work"
    git(tmp, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    git(tmp, "init", "--quiet", "--initial-branch=main", str(seed))
    (seed / "scraper").mkdir()
    shutil.copy(ROOT / "scraper" / "nightly.sh", seed / "scraper" / "nightly.sh")
    shutil.copy(ROOT / ".gitignore", seed / ".gitignore")
    git(seed, "add", ".")
    git(seed, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "seed")
    git(seed, "push", "--quiet", str(origin), "main")
    git(tmp, "clone", "--quiet", str(origin), str(work))
    return work


def night(work: Path, mirror: Mirror, at: str) -> subprocess.CompletedProcess[str]:
    script, step_env = step_script()
    lines = script.rstrip("\n").splitlines()
    assert lines[-1] == "bash scraper/nightly.sh"
    lines[-1] += f" --provider deepseek --mirror {mirror.url} --at {at}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RATECARD_", "GIT_"))}
    env.update(step_env)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    return subprocess.run(["bash", "-e", "-c", "\n".join(lines)], cwd=work, env=env,
                          capture_output=True, text=True, timeout=120)


def pushed(tmp: Path) -> list[str]:
    return git(tmp / "origin.git", "log", "--format=%s", "main").splitlines()


def test_the_nightly_step_commits_changes_only_and_fails_after_committing_on_errors(tmp_path):
    work = checkout(tmp_path)
    with Mirror() as mirror:
        mirror.deepseek(page("deepseek/2025-02-20-full-price.en.md"))
        first = night(work, mirror, "2025-02-21T03:17:00Z")
        assert first.returncode == 0, first.stderr
        assert pushed(tmp_path) == ["ratecard: no price change", "seed"]
        assert git(work, "show", "--name-only", "--format=", "HEAD").splitlines() == [
            "data/changes.atom", "data/deepseek.changes.csv", "data/deepseek.changes.json",
            "data/deepseek.prices.csv", "data/deepseek.prices.json", "data/prices.db"]

        quiet = night(work, mirror, "2025-02-22T03:17:00Z")
        assert quiet.returncode == 0, quiet.stderr
        assert quiet.stdout.endswith("nightly: no text export changed; nothing to commit\n")
        assert pushed(tmp_path) == ["ratecard: no price change", "seed"]

        # Meanwhile someone pushes to main: the night's commit is rebased onto theirs.
        seed = tmp_path / "seed"
        git(seed, "pull", "--quiet", str(tmp_path / "origin.git"), "main")
        (seed / "NOTES").write_text("unrelated\n")
        git(seed, "add", "NOTES")
        git(seed, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "unrelated")
        git(seed, "push", "--quiet", str(tmp_path / "origin.git"), "main")
        mirror.deepseek(page("deepseek/2025-09-29-v32.en.md"), 404)
        failing = night(work, mirror, "2025-09-30T03:17:00Z")
        assert failing.returncode == 1
        message = git(work, "log", "-1", "--format=%B").rstrip("\n").split("\n")
        assert message[:3] == ["deepseek-chat input 0.27 → 0.28 USD; deepseek-chat input_cache_hit 0.07 → 0.028 USD"
                               " (+4 more)", "",
                               "Observed 2025-09-30T03:17:00Z: 1 sources ok, 1 failed, 6 changes, 0 held as suspect."]
        assert message[4:] == [
            "Changes:",
            "- deepseek: deepseek-chat input 0.27 → 0.28 USD",
            "- deepseek: deepseek-chat input_cache_hit 0.07 → 0.028 USD",
            "- deepseek: deepseek-chat output 1.1 → 0.42 USD",
            "- deepseek: deepseek-reasoner input 0.55 → 0.28 USD",
            "- deepseek: deepseek-reasoner input_cache_hit 0.14 → 0.028 USD",
            "- deepseek: deepseek-reasoner output 2.19 → 0.42 USD",
            "",
            "Failed (kept the previous prices):",
            "- deepseek-zh-cn: HTTP 404"]
        assert pushed(tmp_path)[1:] == ["unrelated", "ratecard: no price change", "seed"]
        diff = git(work, "show", "--format=", "HEAD", "--", "data/deepseek.changes.csv").splitlines()
        assert [line for line in diff if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))] == [
            f"+2025-09-30T03:17:00Z,{model},{component},standard,USD,{kind},{old},{new},{percent},,,,,observed,"
            "2025-02-22T03:17:00Z,2025-09-30T03:17:00Z,confirmed,deepseek-en"
            for model, component, kind, old, new, percent in (
                ("deepseek-chat", "input", "increase", "0.27", "0.28", "3.70"),
                ("deepseek-chat", "input_cache_hit", "cut", "0.07", "0.028", "-60.00"),
                ("deepseek-chat", "output", "cut", "1.1", "0.42", "-61.82"),
                ("deepseek-reasoner", "input", "cut", "0.55", "0.28", "-49.09"),
                ("deepseek-reasoner", "input_cache_hit", "cut", "0.14", "0.028", "-80.00"),
                ("deepseek-reasoner", "output", "cut", "2.19", "0.42", "-80.82"))]

        mirror.deepseek(units_mistake(), 404)
        suspect = night(work, mirror, "2025-10-01T03:17:00Z")
    assert suspect.returncode == 1
    assert suspect.stdout == (
        "ratecard: no price change\n\n"
        "Observed 2025-10-01T03:17:00Z: 1 sources ok, 1 failed, 0 changes, 1 held as suspect.\n\n"
        "Failed (kept the previous prices):\n- deepseek-zh-cn: HTTP 404\n\n"
        "Held as suspect until the next run repeats it:\n"
        "- deepseek-en: deepseek-chat output standard USD moves 0.42 -> 0.0011 (more than 10x)\n"
        "nightly: no text export changed; nothing to commit\n")
    assert len(pushed(tmp_path)) == 4
    # The database has the two quiet nights' observations; the workflow's cache carries it on.
    assert git(work, "status", "--porcelain") == " M data/prices.db\n"
