"""The nightly workflow's two script steps, run as written in nightly.yml, in throw-away git
checkouts of a local bare 'origin', against a mirror of fixture pages on 127.0.0.1.

The scrape step (scraper/nightly.sh) commits text only (the pages under data/pages, the exports,
the feed), authored at the night's observation instant, and hands the commit over as a bundle;
the push step (scraper/push.sh) runs in a fresh checkout, as the push job does, and puts it on
main.  The database stays in the scrape checkout, as the Actions cache carries it.

Four nights: the first records prices (commit), the second sees the same page (no commit), the
third sees a real change while the zh-cn page fails (commit listing the change, then exit 1),
the fourth a units mistake (held as suspect: no commit, exit 1).  Before the third, an unrelated
commit lands on main, so the night's push must replay it on top."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from mirror import ROOT, Mirror, page
from ruamel.yaml import YAML

SCRAPE_STEP = "Scrape, export, commit what changed"
PUSH_STEP = "Push it to main"


def step(job: str, name: str) -> tuple[str, dict[str, str]]:
    flow = YAML(typ="safe").load((ROOT / ".github" / "workflows" / "nightly.yml").read_text())
    found = next(s for s in flow["jobs"][job]["steps"] if s.get("name") == name)
    return found["run"], found.get("env", {})


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def checkout(tmp: Path) -> Path:
    """A clone of a bare 'origin' holding the nightly scripts, as actions/checkout leaves it."""
    origin, seed = tmp / "origin.git", tmp / "seed"
    git(tmp, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    git(tmp, "init", "--quiet", "--initial-branch=main", str(seed))
    (seed / "scraper").mkdir()
    for script in ("nightly.sh", "push.sh"):
        shutil.copy(ROOT / "scraper" / script, seed / "scraper" / script)
    shutil.copy(ROOT / ".gitignore", seed / ".gitignore")
    git(seed, "add", ".")
    git(seed, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "seed")
    git(seed, "push", "--quiet", str(origin), "main")
    return clone(tmp, "work")


def clone(tmp: Path, name: str) -> Path:
    work = tmp / name
    shutil.rmtree(work, ignore_errors=True)
    git(tmp, "clone", "--quiet", str(tmp / "origin.git"), str(work))
    return work


def run_step(job: str, name: str, work: Path, tmp: Path, extra: str = "",
             env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    script, step_env = step(job, name)
    runner_temp = tmp / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    lines = script.rstrip("\n").splitlines()
    lines[-1] += extra
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RATECARD_", "GIT_", "GITHUB_"))}
    env.update({k: v.replace("${{ runner.temp }}", str(runner_temp)) for k, v in step_env.items()
                if "github.token" not in v})
    env["GITHUB_OUTPUT"] = str(runner_temp / "output")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env.update(env_extra or {})
    return subprocess.run(["bash", "-e", "-c", "\n".join(lines)], cwd=work, env=env,
                          capture_output=True, text=True, timeout=120)


def night(work: Path, mirror: Mirror, at: str, tmp: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The scrape job's step, then (when it committed) the push job in a fresh checkout."""
    tmp = tmp or work.parent
    (tmp / "runner-temp" / "output").unlink(missing_ok=True)
    done = run_step("scrape", SCRAPE_STEP, work, tmp,
                    f" --provider deepseek --mirror {mirror.url} --at {at}")
    output = tmp / "runner-temp" / "output"
    if output.exists() and "committed=true" in output.read_text():
        pusher = clone(tmp, "push-checkout")
        pushed_ = run_step("push", PUSH_STEP, pusher, tmp, env_extra={"BUNDLE": str(tmp / "runner-temp" / "nightly.bundle")})
        assert pushed_.returncode == 0, pushed_.stderr
        git(work, "pull", "--quiet", "--rebase", "origin", "main")  # the next night's checkout
    return done


def pushed(tmp: Path) -> list[str]:
    return git(tmp / "origin.git", "log", "--format=%s", "main").splitlines()


def committed_files(tmp: Path) -> list[str]:
    return git(tmp / "origin.git", "ls-tree", "-r", "--name-only", "main").splitlines()


def test_the_nightly_steps_commit_text_only_push_from_their_own_job_and_fail_after_committing(tmp_path):
    work = checkout(tmp_path)
    with Mirror() as mirror:
        mirror.deepseek(page("deepseek/2025-02-20-full-price.en.md"))
        first = night(work, mirror, "2025-02-21T03:17:00Z")
        assert first.returncode == 0, first.stderr
        assert pushed(tmp_path) == ["ratecard: no price change", "seed"]
        assert git(tmp_path / "origin.git", "show", "--name-only", "--format=%aI", "main").splitlines() == [
            "2025-02-21T03:17:00+00:00", "",
            "data/changes.atom", "data/deepseek.changes.csv", "data/deepseek.changes.json",
            "data/deepseek.prices.csv", "data/deepseek.prices.json",
            "data/pages/deepseek-en.md", "data/pages/deepseek-zh-cn.md"]
        assert (work / "data" / "pages" / "deepseek-en.md").read_bytes() == page("deepseek/2025-02-20-full-price.en.md")

        quiet = night(work, mirror, "2025-02-22T03:17:00Z")
        assert quiet.returncode == 0, quiet.stderr
        assert quiet.stdout.endswith("nightly: no page or export changed; nothing to commit\n")
        assert pushed(tmp_path) == ["ratecard: no price change", "seed"]

        # Meanwhile someone pushes to main: the push job replays the night's commit onto theirs.
        seed = tmp_path / "seed"
        git(seed, "pull", "--quiet", str(tmp_path / "origin.git"), "main")
        (seed / "NOTES").write_text("unrelated\n")
        git(seed, "add", "NOTES")
        git(seed, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "unrelated")
        git(seed, "push", "--quiet", str(tmp_path / "origin.git"), "main")
        mirror.deepseek(page("deepseek/2025-09-29-v32.en.md"), 404)
        failing = night(work, mirror, "2025-09-30T03:17:00Z")
        assert failing.returncode == 1
        message = git(tmp_path / "origin.git", "log", "-1", "--format=%B", "main").rstrip("\n").split("\n")
        assert message[:3] == ["deepseek-chat input 0.27 → 0.28 USD; deepseek-chat input_cache_hit 0.07 → 0.028 USD"
                               " (+4 more)", "",
                               "Observed 2025-09-30T03:17:00Z: 1 sources ok, 1 failed, 6 changes, 1 held as suspect."]
        assert message[message.index("Failed (kept the previous prices):") + 1] == (
            "- deepseek-zh-cn: fetch_failed since 2025-09-30T03:17:00Z (1 run; last success 2025-02-22T03:17:00Z):"
            " HTTP 404")
        assert pushed(tmp_path)[1:] == ["unrelated", "ratecard: no price change", "seed"]
        # The failed zh-cn page keeps its last healthy snapshot; the English one is the new page.
        assert git(tmp_path / "origin.git", "show", "--name-only", "--format=", "main").splitlines() == [
            "data/changes.atom", "data/deepseek.changes.csv", "data/deepseek.changes.json",
            "data/deepseek.prices.csv", "data/deepseek.prices.json", "data/pages/deepseek-en.md"]
        diff = git(tmp_path / "origin.git", "show", "--format=", "main", "--", "data/deepseek.changes.csv").splitlines()
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

        # A units mistake on the same page (per 1K tokens): held as suspect, no change recorded.
        mirror.deepseek(page("deepseek/2025-09-29-v32.en.md").replace(b"$0.42", b"$0.00042"), 404)
        suspect = night(work, mirror, "2025-10-01T03:17:00Z")
    assert suspect.returncode == 1
    assert suspect.stdout.startswith(
        "ratecard: no price change\n\n"
        "Observed 2025-10-01T03:17:00Z: 1 sources ok, 1 failed, 0 changes, 1 held as suspect.\n\n"
        "Failed (kept the previous prices):\n- deepseek-zh-cn: fetch_failed since 2025-09-30T03:17:00Z (2 runs;"
        " last success 2025-02-22T03:17:00Z): HTTP 404\n\n"
        "Held as suspect, held until the next healthy run confirms it (dropped only if the old price returns):\n- deepseek-en: ")
    assert "deepseek-chat output standard USD moves 0.42 -> 0.00042 (more than 10x)" in suspect.stdout
    assert "\nnightly: committed " in suspect.stdout
    # The page as seen is kept (a rebuild holds it again); no price, change or feed entry moved.
    assert pushed(tmp_path)[0] == "ratecard: no price change"
    assert git(tmp_path / "origin.git", "show", "--name-only", "--format=", "main").splitlines() == [
        "data/pages/deepseek-en.md"]
    assert not [f for f in committed_files(tmp_path) if ".db" in f]
    # The database has every night's observations, quiet ones too; it stays out of git.
    left = git(work, "status", "--porcelain", "--ignored", "data").splitlines()
    assert "!! data/prices.db" in left and all(line.startswith("!! data/prices.db") for line in left)
