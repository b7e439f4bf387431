"""Fetching pricing pages politely and defensively: the only module that talks HTTP.

Each fetch has a timeout per read, a User-Agent naming ratecard and its project page, and
conditional headers (ETag / Last-Modified) so an unchanged page costs the server a 304.  One
request per page per run: a server that answered (any status, 429 and 5xx included) is not
asked again; only a fetch that got no complete answer (connection error, read timeout, body cut
short) is retried once.  Bodies are read as a stream within :class:`FetchLimits` (decoded size,
decompression ratio), so a huge body or a compression bomb stops early and nothing of it is kept.
A fetch never raises: failures come back as a ``Fetched`` with ``error`` and ``outcome`` set, so
one broken source cannot stop the others.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import zlib
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from scraper.fetch.limits import ACCEPT_ENCODING, FetchLimits, TooLarge, Undecodable, read_bounded
from scraper.fetch.outcome import BLOCKED, FETCH_FAILED, REFUSAL_STATUSES, TOO_LARGE, challenge

PROJECT_URL = "https://github.com/ratecard/ratecard"
USER_AGENT = f"ratecard/0.1 (+{PROJECT_URL}; LLM price history; one request per page per night)"
#: The robots.txt product token ratecard obeys.
ROBOTS_AGENT = "ratecard"
#: How much of a refusal's body is read to look for challenge markers.
REFUSAL_BODY_BYTES = 512 * 1024


@functools.lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """The certificates HTTPS is checked against (httpx's own default: certifi's, or the ones
    SSL_CERT_FILE / SSL_CERT_DIR name), loaded once per process.  httpx loads them again for
    every client it makes (20-40 ms each); a process that scrapes night after night (the
    scheduler) or runs many scrapes made one client per scrape."""
    return httpx.create_ssl_context()


def async_client() -> httpx.AsyncClient:
    """An HTTP client for the fetchers, on the process's one TLS context."""
    return httpx.AsyncClient(verify=tls_context())


def client() -> httpx.Client:
    """A blocking HTTP client (the archive's backfill), on the process's one TLS context."""
    return httpx.Client(verify=tls_context())


@dataclass(frozen=True)
class FetchPolicy:
    timeout: float = 20.0  # seconds, per read (the limits bound the whole source and run)
    attempts: int = 2      # tries when no complete answer came; an answered request is never repeated
    backoff: float = 1.0   # seconds before the first retry, doubled for each further one
    user_agent: str = USER_AGENT
    limits: FetchLimits = field(default_factory=FetchLimits)
    honour_robots: bool = True
    #: ways allowed in this run (None: every way a source lists), e.g. ("http", "markdown")
    ways: tuple[str, ...] | None = None
    #: the browser executable for the browser way (None: look for an installed Chromium/Chrome)
    browser: str | None = None


@dataclass(frozen=True)
class Fetched:
    """What one fetch got: a body (status 200), a 304 (``body`` None), or an ``error``.

    ``outcome`` says what kind of failure an error is (``fetch_failed``, ``blocked``,
    ``too_large``); None when a body or a 304 came.
    """

    url: str
    status: int | None = None
    body: bytes | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    outcome: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304 and self.error is None


class _Failed(Exception):
    """A failed attempt: ``retry`` says whether another attempt may help."""

    def __init__(self, message: str, status: int | None, retry: bool, outcome: str = FETCH_FAILED) -> None:
        super().__init__(message)
        self.status = status
        self.retry = retry
        self.outcome = outcome


def mirror_url(url: str, mirror: str | None) -> str:
    """``https://HOST/PATH?Q`` fetched through ``mirror`` as ``MIRROR/HOST/PATH?Q``."""
    if not mirror:
        return url
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    return f"{mirror.rstrip('/')}/{parts.netloc}{parts.path or '/'}{query}"


async def fetch(client: httpx.AsyncClient, url: str, policy: FetchPolicy = FetchPolicy(),
                etag: str | None = None, last_modified: str | None = None,
                accept: str | None = None, allow_empty: bool = False) -> Fetched:
    """GET ``url``; conditional when ``etag`` / ``last_modified`` are given.

    ``allow_empty``: an empty body is a valid answer (robots.txt), not a page cut short."""
    headers = {"User-Agent": policy.user_agent, "Accept-Encoding": ACCEPT_ENCODING}
    if accept:
        headers["Accept"] = accept
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    error = "no attempt made"
    status: int | None = None
    for attempt in range(max(policy.attempts, 1)):
        if attempt:
            await asyncio.sleep(policy.backoff * 2 ** (attempt - 1))
        try:
            return await _attempt(client, url, headers, policy, allow_empty)
        except _Failed as exc:
            if not exc.retry:
                return Fetched(url, exc.status, error=str(exc), outcome=exc.outcome)
            error, status = str(exc), exc.status
        except httpx.TimeoutException as exc:
            error, status = f"timeout after {policy.timeout:g}s ({type(exc).__name__})", None
        except httpx.TransportError as exc:
            error, status = f"{type(exc).__name__}: {exc}", None
        except httpx.HTTPError as exc:  # not worth retrying (invalid URL, redirect loop...)
            return Fetched(url, None, error=f"{type(exc).__name__}: {exc}", outcome=FETCH_FAILED)
    return Fetched(url, status, error=f"{error} (after {policy.attempts} attempts)", outcome=FETCH_FAILED)


async def _attempt(client: httpx.AsyncClient, url: str, headers: dict[str, str],
                   policy: FetchPolicy, allow_empty: bool = False) -> Fetched:
    async with client.stream("GET", url, headers=headers, timeout=policy.timeout,
                             follow_redirects=True) as response:
        if response.status_code == 304:
            return Fetched(url, 304, None, response.headers.get("ETag"), response.headers.get("Last-Modified"))
        if response.status_code != 200:
            raise await _refusal(response, policy.limits)
        body = await _read(response, policy.limits)
    problem = truncation(body, response.headers)
    if problem and not (allow_empty and not body):
        raise _Failed(f"truncated body: {problem}", 200, retry=True)
    return Fetched(url, 200, body, response.headers.get("ETag"), response.headers.get("Last-Modified"))


async def _read(response: httpx.Response, limits: FetchLimits) -> bytes:
    declared = response.headers.get("Content-Length", "")
    try:
        return await read_bounded(response.aiter_raw(), response.headers.get("Content-Encoding", ""),
                                  limits, int(declared) if declared.isdigit() else None)
    except TooLarge as exc:
        raise _Failed(str(exc), response.status_code, retry=False, outcome=TOO_LARGE) from None
    except (Undecodable, zlib.error) as exc:
        raise _Failed(f"undecodable body: {exc}", response.status_code, retry=False) from None


async def _refusal(response: httpx.Response, limits: FetchLimits) -> _Failed:
    """The failure of a non-200 answer: ``blocked`` when a refusal carries a challenge page."""
    code = response.status_code
    if code in REFUSAL_STATUSES:
        small = FetchLimits(max_bytes=min(limits.max_bytes, REFUSAL_BODY_BYTES), max_ratio=limits.max_ratio)
        try:
            text = (await read_bounded(response.aiter_raw(), response.headers.get("Content-Encoding", ""),
                                       small)).decode("utf-8", "replace")
        except (TooLarge, Undecodable, zlib.error, httpx.HTTPError):
            text = ""
        marker = challenge(text)
        if marker:
            return _Failed(f"HTTP {code} with a bot-challenge page ({marker})", code, False, BLOCKED)
    return _Failed(f"HTTP {code}", code, retry=False)


def truncation(body: bytes, headers: httpx.Headers) -> str | None:
    """Why ``body`` looks cut short, or None: a length below Content-Length, an empty body, or
    an HTML document that never closes.  A partial table must not pass for a page that lists
    fewer models."""
    if not body.strip():
        return "empty body"
    declared = headers.get("Content-Length")
    if declared and declared.isdigit() and "Content-Encoding" not in headers and len(body) < int(declared):
        return f"{len(body)} of {declared} bytes"
    head, tail = body[:4096].lower(), body[-4096:].lower()
    if b"<html" in head and b"</html>" not in tail:
        return "HTML without </html>"
    return None
