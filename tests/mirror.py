"""Test helpers for the nightly-run tests: a local mirror server and ``ratecard`` as a real process.

The mirror serves ``https://HOST/PATH`` at ``http://127.0.0.1:PORT/HOST/PATH``, which is what
``ratecard scrape --mirror`` fetches; pages can be swapped between runs, fail with a status, or
answer slowly or be held at a gate (to make two processes overlap).
"""

from __future__ import annotations

import contextlib
import http.server
import io
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from scraper.cli import main

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
DEEPSEEK_EN = "https://api-docs.deepseek.com/quick_start/pricing"
DEEPSEEK_ZH = "https://api-docs.deepseek.com/zh-cn/quick_start/pricing"


class Mirror:
    """A threaded HTTP server on 127.0.0.1; ``pages`` maps a real URL to a body or a status."""

    def __init__(self) -> None:
        self.pages: dict[str, bytes | int] = {}
        self.delay = 0.0
        self.gate = threading.Event()  # cleared: requests wait until it is set again
        self.gate.set()
        self.requests = 0
        mirror = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                mirror.requests += 1
                mirror.gate.wait(30)
                time.sleep(mirror.delay)
                answer = mirror.pages.get("https://" + self.path.lstrip("/"), 404)
                status, body = (200, answer) if isinstance(answer, bytes) else (answer, b"")
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def deepseek(self, en: bytes | int, zh: bytes | int | None = None) -> None:
        """Serve DeepSeek's two pages; the zh-cn page defaults to the English one (same CNY tab)."""
        self.pages[DEEPSEEK_EN] = en
        self.pages[DEEPSEEK_ZH] = en if zh is None else zh

    def __enter__(self) -> "Mirror":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


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
