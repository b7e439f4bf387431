"""Test helpers for the nightly-run tests: a local mirror server and ``ratecard`` as a real process.

The mirror serves ``https://HOST/PATH`` at ``http://127.0.0.1:PORT/HOST/PATH``, which is what
``ratecard scrape --mirror`` fetches; pages can be swapped between runs, fail with a status, or
answer slowly or be held at a gate (to make two processes overlap).
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

from scraper.cli import main
from scraper.mirror import Mirror as BaseMirror

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
DEEPSEEK_EN = "https://api-docs.deepseek.com/quick_start/pricing"
DEEPSEEK_ZH = "https://api-docs.deepseek.com/zh-cn/quick_start/pricing"


class Mirror(BaseMirror):
    """The product's mirror server, with DeepSeek's two pages as a shortcut."""

    def deepseek(self, en: bytes | int, zh: bytes | int | None = None) -> None:
        """Serve DeepSeek's two pages; the zh-cn page defaults to the English one (same CNY tab)."""
        self.pages[DEEPSEEK_EN] = en
        self.pages[DEEPSEEK_ZH] = en if zh is None else zh


def page(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def units_mistake() -> bytes:
    """The 2025-02-20 DeepSeek page with deepseek-chat's output price written per 1K tokens."""
    return page("deepseek/2025-02-20-full-price.en.md").replace(b"| $1.10 |", b"| $0.0011 |")


def env() -> dict[str, str]:
    """The environment for ``ratecard`` subprocesses: no default database from the caller."""
    out = {k: v for k, v in os.environ.items() if k != "RATECARD_DB"}
    out["PYTHONPATH"] = str(ROOT)
    return out


def ratecard_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "scraper", *args]


def run_in_process(*args: str) -> str:
    """``ratecard ARGS`` in this process (for read-only queries, to keep tests fast); its stdout."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    assert code == 0, f"ratecard {' '.join(args)} exited {code}"
    return out.getvalue()


def ratecard(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``ratecard ARGS`` as a real process and return it finished (60 s at most)."""
    return subprocess.run(ratecard_argv(*args), capture_output=True, text=True, env=env(),
                          cwd=cwd or ROOT, timeout=60)


def scrape_night(db: Path, mirror: Mirror, at: str, expect: int = 0) -> None:
    """One ``ratecard scrape --provider deepseek --at`` in this process, fetching from ``mirror``;
    its exit code must be ``expect``."""
    args = ["scrape", "--db", str(db), "--provider", "deepseek", "--mirror", mirror.url, "--at", at]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(args) == expect
