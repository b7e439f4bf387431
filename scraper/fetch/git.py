"""Versions of one file in a local git repository that mirrors a pricing page.

Some projects keep provider docs in git (DeepSeek's API docs exist as Markdown repositories);
every commit that touched the pricing page is a dated copy of it.  A version's time is the commit's
*committer* date, when the change landed in the mirror (the author date can be much older after a
rebase), so it is an upper bound on when the provider published the text.  Only ``git`` itself is
run, read-only; renames are followed.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from parsers.quote import parse_utc


class GitError(Exception):
    """The repository or file cannot be read; the message says which and why."""


@dataclass(frozen=True)
class FileVersion:
    commit: str
    committed_at: datetime
    path: str  # the file's path at that commit (it may have been renamed since)
    body: bytes

    @property
    def url(self) -> str:
        """Stable identity of this version for the observation log: commit and path."""
        return f"git:{self.commit}:{self.path}"


def file_versions(repo: Path, path: str) -> list[FileVersion]:
    """Every committed version of ``path`` (added, modified or renamed), oldest first."""
    if run_git(repo, "rev-parse", "--git-dir", check=False) is None:
        raise GitError(f"{repo}: not a git repository")
    log = run_git(repo, "log", "--follow", "--diff-filter=AMR", "--name-only",
               "--format=%x00%H %cI", "--", path)
    versions = []
    for record in log.decode("utf-8").split("\0")[1:]:
        lines = [line for line in record.splitlines() if line.strip()]
        commit, date = lines[0].split(" ", 1)
        at_path = lines[-1] if len(lines) > 1 else path
        body = run_git(repo, "show", f"{commit}:{at_path}")
        versions.append(FileVersion(commit, parse_utc(date), at_path, body))
    if not versions:
        raise GitError(f"{repo}: no commit has {path!r} (the path is relative to the repository root)")
    return sorted(versions, key=lambda v: (v.committed_at, v.commit))


def run_git(repo: Path, *args: str, check: bool = True) -> bytes | None:
    """``git -C repo ARGS``: its stdout, None on failure with ``check=False``, else a GitError naming
    the command (never a traceback; git missing is a GitError too)."""
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    if done.returncode != 0:
        if not check:
            return None
        message = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise GitError(f"{repo}: git {args[0]} failed: {message[0] if message else done.returncode}")
    return done.stdout


__all__ = ["FileVersion", "GitError", "file_versions", "run_git"]
