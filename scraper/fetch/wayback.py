"""The Internet Archive as a source of past pricing pages: list captures (CDX), fetch them raw.

Only HTTP lives here; parsing and recording are ``scraper.backfill``'s job.  The archive is a
shared public service, so the client is deliberately slow: one request at a time (the whole
backfill is sequential), a pause between requests, retries with exponential backoff on 429, 5xx,
timeouts and dropped connections (honouring ``Retry-After``), and captures whose CDX digest was
already fetched in this run are not fetched again.

Captures are fetched in the ``id_`` form (``/web/<timestamp>id_/<url>``): the page as archived,
without the archive's toolbar or rewritten links, so the provider's parser reads what the provider
served.  When the archive has no copy at that exact timestamp it redirects to a neighbouring
capture; that is reported as a :class:`Redirect`, never silently read as the requested time.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

import httpx

from scraper.fetch.http import USER_AGENT, truncation

CDX_URL = "https://web.archive.org/cdx/search/cdx"
WEB_URL = "https://web.archive.org/web"
CDX_FIELDS = "timestamp,original,statuscode,digest,mimetype"
_CAPTURE_RE = re.compile(r"/web/(?P<timestamp>\d{14})id_/(?P<original>.+)$")
_TIMESTAMP_RE = re.compile(r"\d{14}")  # rows with anything else (a malformed listing) are skipped


class ArchiveUnavailable(Exception):
    """The archive did not answer usefully after every retry (worth trying again later)."""


@dataclass(frozen=True)
class Capture:
    """One archived copy of a URL, as listed by the CDX API."""

    timestamp: str  # YYYYMMDDhhmmss, UTC
    original: str
    digest: str = ""

    @property
    def at(self) -> datetime:
        return datetime.strptime(self.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)

    @property
    def raw_url(self) -> str:
        return f"{WEB_URL}/{self.timestamp}id_/{self.original}"


@dataclass(frozen=True)
class Body:
    """The archived page of a capture."""

    status: int
    content: bytes


@dataclass(frozen=True)
class Redirect:
    """The archive answered with another capture (or another place) instead of this one."""

    status: int
    location: str
    capture: Capture | None  # the capture redirected to, when the location is one


@dataclass(frozen=True)
class Refused:
    """A definite answer that is not a page (404, 403...)."""

    status: int | None
    error: str


@dataclass(frozen=True)
class Politeness:
    delay: float = 1.5     # seconds between two requests to the archive
    attempts: int = 4
    backoff: float = 5.0   # seconds before the first retry, doubled for each further one
    timeout: float = 60.0  # the archive is slow; per attempt


class ArchiveClient:
    """Sequential, paced, retrying GETs to web.archive.org (``sleep`` is injectable for tests)."""

    def __init__(self, http: httpx.Client, politeness: Politeness = Politeness(),
                 sleep: Callable[[float], None] | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        self.http, self.politeness = http, politeness
        self.sleep = sleep or time.sleep
        self.clock = clock or time.monotonic
        self._last: float | None = None

    def get(self, url: str, params: dict[str, str] | None = None) -> httpx.Response:
        """A response that is not a 429/5xx; :class:`ArchiveUnavailable` after the last attempt."""
        p = self.politeness
        problem = "no attempt made"
        retry_after = 0.0
        for attempt in range(p.attempts):
            wait = 0.0
            if attempt:
                wait = max(p.backoff * 2 ** (attempt - 1), retry_after)
            if self._last is not None:
                wait = max(wait, p.delay - (self.clock() - self._last))
            if wait > 0:
                self.sleep(wait)
            self._last, retry_after = self.clock(), 0.0
            try:
                response = self.http.get(url, params=params, timeout=p.timeout, follow_redirects=False,
                                         headers={"User-Agent": USER_AGENT})
            except httpx.TimeoutException:
                problem = f"timeout after {p.timeout:g}s"
                continue
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
                continue
            if response.status_code == 429 or response.status_code >= 500:
                problem = f"HTTP {response.status_code}"
                asked = response.headers.get("Retry-After", "")
                retry_after = float(asked) if asked.isdigit() else 0.0
                continue
            return response
        raise ArchiveUnavailable(f"{url}: {problem} (after {p.attempts} attempts)")


def list_captures(client: ArchiveClient, url: str, since: datetime | None = None,
                  until: datetime | None = None) -> list[Capture]:
    """Every capture of ``url`` the archive holds with status 200, oldest first."""
    params = {"url": url, "output": "json", "fl": CDX_FIELDS, "filter": "statuscode:200"}
    if since is not None:
        params["from"] = _timestamp(since)
    if until is not None:
        params["to"] = _timestamp(until)
    response = client.get(CDX_URL, params)
    if response.status_code != 200:
        raise ArchiveUnavailable(f"CDX listing of {url}: HTTP {response.status_code}")
    try:
        rows = response.json() if response.content.strip() else []
    except ValueError:
        raise ArchiveUnavailable(f"CDX listing of {url}: not JSON") from None
    if not rows:
        return []
    header, *data = rows
    index = {name: i for i, name in enumerate(header)}
    missing = [f for f in ("timestamp", "original") if f not in index]
    if missing:
        raise ArchiveUnavailable(f"CDX listing of {url}: no {missing[0]!r} column")
    captures = {Capture(r[index["timestamp"]], r[index["original"]],
                        r[index["digest"]] if "digest" in index else "")
                for r in data if len(r) == len(header) and _TIMESTAMP_RE.fullmatch(r[index["timestamp"]])}
    return sorted(captures, key=lambda c: (c.timestamp, c.original))


def fetch_capture(client: ArchiveClient, capture: Capture) -> Body | Redirect | Refused:
    """The raw archived page of ``capture``, or why there is none at that timestamp."""
    response = client.get(capture.raw_url)
    status = response.status_code
    if 300 <= status < 400:
        location = response.headers.get("Location", "")
        match = _CAPTURE_RE.search(location)
        target = Capture(match["timestamp"], match["original"]) if match else None
        return Redirect(status, location, target)
    if status != 200:
        return Refused(status, f"HTTP {status}")
    cut = truncation(response.content, response.headers)
    if cut:  # a partial page must not be read as a page that lists fewer models: try again later
        raise ArchiveUnavailable(f"{capture.raw_url}: truncated body ({cut})")
    return Body(status, response.content)


def _timestamp(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S")


__all__ = ["ArchiveClient", "ArchiveUnavailable", "Body", "Capture", "Politeness", "Redirect",
           "Refused", "fetch_capture", "list_captures"]
