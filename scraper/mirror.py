"""A local mirror of pricing pages: ``https://HOST/PATH`` served at ``http://ADDR:PORT/HOST/PATH``.

That layout is what ``ratecard scrape --mirror URL`` fetches, so saved pages (a folder of them, or
pages held in memory) can be scraped again offline: to replay history, to demo, and in the tests
and benchmarks, which all use this one server.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable
from pathlib import Path

#: What the mirror answers for a URL: a body (200), a status, or a function writing the response.
Answer = bytes | int | Callable[[http.server.BaseHTTPRequestHandler], None]


class Mirror:
    """A threaded HTTP server; ``pages`` maps a real URL to a body, to an HTTP status to answer, or
    to a function that answers the request itself (given the handler: for tests of odd servers).

    ``delay`` slows every answer and a cleared ``gate`` holds them (to make runs overlap);
    ``requests`` counts the pages asked.  A ``HOST/robots.txt`` (404 unless ``pages`` has one) is
    answered at once and counted apart in ``robots_requests``: the scraper reads it once per host
    per run before the pages, and the gate and delay are about the pages.  Use as a context
    manager: it serves while inside.
    """

    def __init__(self, pages: dict[str, Answer] | None = None, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.pages: dict[str, Answer] = dict(pages or {})
        self.delay = 0.0
        self.gate = threading.Event()
        self.gate.set()
        self.requests = 0
        self.robots_requests = 0
        #: every path asked, in order, robots.txt included
        self.paths: list[str] = []
        mirror = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                mirror.paths.append(self.path)
                if self.path.endswith("/robots.txt"):
                    mirror.robots_requests += 1
                else:
                    mirror.requests += 1
                    mirror.gate.wait(30)
                    time.sleep(mirror.delay)
                answer = mirror.pages.get("https://" + self.path.lstrip("/"), 404)
                if callable(answer):
                    answer(self)
                    return
                status, body = (200, answer) if isinstance(answer, bytes) else (answer, b"")
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer((host, port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "Mirror":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def pages_in(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder/HOST/PATH`` as the page of ``https://HOST/PATH``."""
    return {"https://" + path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}
