"""Fetching pricing pages politely and defensively: the only module that talks HTTP.

Each fetch has a timeout, a few retries with exponential backoff (on timeouts, connection
errors, 429 and 5xx, and bodies that arrive cut short), a User-Agent that says who is asking,
and conditional headers (ETag / Last-Modified) so an unchanged page costs the server a 304.
A fetch never raises: failures come back as a ``Fetched`` with ``error`` set, so one broken
source cannot stop the others.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

USER_AGENT = "ratecard/0.1 (LLM price history; one request per page per night)"


@dataclass(frozen=True)
class FetchPolicy:
    timeout: float = 20.0  # seconds, per attempt
    attempts: int = 3
    backoff: float = 1.0   # seconds before the first retry, doubled for each further one
    user_agent: str = USER_AGENT


@dataclass(frozen=True)
class Fetched:
    """What one fetch got: a body (status 200), a 304 (``body`` None), or an ``error``."""

    url: str
    status: int | None = None
    body: bytes | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304 and self.error is None


class _Failed(Exception):
    """A failed attempt: ``retry`` says whether another attempt may help."""

    def __init__(self, message: str, status: int | None, retry: bool) -> None:
        super().__init__(message)
        self.status = status
        self.retry = retry


def mirror_url(url: str, mirror: str | None) -> str:
    """``https://HOST/PATH?Q`` fetched through ``mirror`` as ``MIRROR/HOST/PATH?Q``."""
    if not mirror:
        return url
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    return f"{mirror.rstrip('/')}/{parts.netloc}{parts.path or '/'}{query}"


async def fetch(client: httpx.AsyncClient, url: str, policy: FetchPolicy = FetchPolicy(),
                etag: str | None = None, last_modified: str | None = None) -> Fetched:
    """GET ``url`` with retries; conditional when ``etag`` / ``last_modified`` are given."""
    headers = {"User-Agent": policy.user_agent}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    error = "no attempt made"
    status: int | None = None
    for attempt in range(policy.attempts):
        if attempt:
            await asyncio.sleep(policy.backoff * 2 ** (attempt - 1))
        try:
            return await _attempt(client, url, headers, policy.timeout)
        except _Failed as exc:
            if not exc.retry:
                return Fetched(url, exc.status, error=str(exc))
            error, status = str(exc), exc.status
        except httpx.TimeoutException as exc:
            error, status = f"timeout after {policy.timeout:g}s ({type(exc).__name__})", None
        except httpx.TransportError as exc:
            error, status = f"{type(exc).__name__}: {exc}", None
        except httpx.HTTPError as exc:  # not worth retrying (invalid URL, redirect loop...)
            return Fetched(url, None, error=f"{type(exc).__name__}: {exc}")
    return Fetched(url, status, error=f"{error} (after {policy.attempts} attempts)")


async def _attempt(client: httpx.AsyncClient, url: str, headers: dict[str, str],
                   timeout: float) -> Fetched:
    response = await client.get(url, headers=headers, timeout=timeout, follow_redirects=True)
    if response.status_code == 304:
        return Fetched(url, 304, None, response.headers.get("ETag"), response.headers.get("Last-Modified"))
    if response.status_code != 200:
        retry = response.status_code == 429 or response.status_code >= 500
        raise _Failed(f"HTTP {response.status_code}", response.status_code, retry)
    body = response.content
    problem = truncation(body, response.headers)
    if problem:
        raise _Failed(f"truncated body: {problem}", 200, retry=True)
    return Fetched(url, 200, body, response.headers.get("ETag"), response.headers.get("Last-Modified"))


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
