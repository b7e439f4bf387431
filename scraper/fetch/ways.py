"""Getting one source's page: its ways in order until one yields prices, within the time limits.

A source lists its ways (``Source.ways``): ``http`` (the page itself), ``markdown`` (the docs
site's Markdown twin, ``PAGE.md``), ``browser`` (the page rendered by a headless Chromium).
Each way is one request at most, checked against robots.txt first (unless the user turned that
off), conditional on what the same way got last time.  The first way whose body the parser
reads serves the source; when none does, the observation takes the failure of the way that got
furthest (see ``outcome.RANK``), and the message lists every way's story.

Time: every source has a deadline (its own limit, capped by the run's), enforced around all its
ways, so neither a server that drips one byte every few seconds nor a browser that never
settles can hold a run past its limit; what the ways got before the deadline is kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from parsers.registry import Source
from scraper.fetch import browser as browser_way
from scraper.fetch.http import Fetched, FetchPolicy, fetch, mirror_url
from scraper.fetch.outcome import (ERROR, FETCH_FAILED, OK, RANK, SKIPPED, TOO_SLOW,
                                   parse_error_outcome)
from scraper.fetch.robots import Robots

HTTP, MARKDOWN, BROWSER = "http", "markdown", "browser"
WAYS = (HTTP, MARKDOWN, BROWSER)
#: What the Markdown way asks for (docs sites serve ``text/markdown`` or ``text/plain``).
MARKDOWN_ACCEPT = "text/markdown, text/plain;q=0.9, */*;q=0.1"


def twin_url(url: str) -> str:
    """The Markdown twin of a docs page: ``https://docs.x.ai/developers/models.md``."""
    base, _, query = url.partition("?")
    return base.rstrip("/") + ".md" + (f"?{query}" if query else "")


def way_url(source: Source, way: str) -> str:
    """The real URL a way asks for (before any mirror)."""
    if way == MARKDOWN:
        return source.markdown_url or twin_url(source.url)
    return source.url


class Reading(Protocol):
    """What the caller's parse gives: quotes, or an error (``parser crashed: ...`` for a bug)."""

    quotes: Any
    error: str | None


@dataclass(frozen=True)
class Stored:
    """The last body a way got for a source: what a 304 means, and the validators to send."""

    body: Callable[[], bytes]
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class Attempt:
    """One way's story: what it fetched, what the parser made of it, and the outcome."""

    way: str
    outcome: str
    message: str | None = None        # None when ok
    url: str | None = None            # the URL actually asked (a mirror's, if any)
    status: int | None = None
    body: bytes | None = None         # the body read (fetched, or the stored one on a 304)
    etag: str | None = None
    last_modified: str | None = None
    reading: Any = None               # the caller's parse result, when a body was read

    def story(self) -> str:
        return f"{self.way}: {self.outcome}" + (f": {self.message}" if self.message else "")


@dataclass(frozen=True)
class SourceFetch:
    """Every attempt for a source, and the one its observation records."""

    attempts: list[Attempt]

    @property
    def chosen(self) -> Attempt:
        ok = [a for a in self.attempts if a.outcome == OK]
        if ok:
            return ok[0]
        tried = [a for a in self.attempts if a.outcome != SKIPPED] or self.attempts
        return max(tried, key=lambda a: RANK[a.outcome])  # max keeps the first of equals

    @property
    def outcome(self) -> str:
        chosen = self.chosen
        return FETCH_FAILED if chosen.outcome == SKIPPED else chosen.outcome

    @property
    def error(self) -> str | None:
        """None when a way served the page; else why (every way's story, in order, when there were several)."""
        if self.chosen.outcome == OK:
            return None
        if len(self.attempts) == 1:
            return self.attempts[0].message or self.attempts[0].outcome
        return "; ".join(a.story() for a in self.attempts)

    @property
    def fallbacks(self) -> list[Attempt]:
        """Ways that failed before the one that served the page (to report, not to store)."""
        if self.chosen.outcome != OK:
            return []
        return [a for a in self.attempts if a is not self.chosen and a.outcome != SKIPPED]


class Fetcher:
    """The shared state of one run's fetches: the HTTP client, robots.txt per host, the browser."""

    def __init__(self, client: httpx.AsyncClient, policy: FetchPolicy, mirror: str | None,
                 parse: Callable[[Source, bytes, str], Reading],
                 stored: Callable[[Source, str], Stored | None]) -> None:
        self.client = client
        self.policy = policy
        self.mirror = mirror
        self.parse = parse
        self.stored = stored
        self.robots = Robots(client, policy, mirror) if policy.honour_robots else None
        self.browser_missing = browser_way.unavailable(policy.browser)
        self.browser = browser_way.Browser(policy, only_under=mirror)

    def ways(self, source: Source) -> list[str]:
        allowed = self.policy.ways
        return [w for w in source.ways if allowed is None or w in allowed]

    async def close(self) -> None:
        if self.robots is not None:
            self.robots.close()
        await self.browser.close()

    async def fetch_all(self, sources: Sequence[Source]) -> list[SourceFetch]:
        """Every source at once, each within its deadline and all within the run's."""
        loop = asyncio.get_running_loop()
        limits = self.policy.limits
        run_deadline = loop.time() + limits.run_seconds

        async def one(source: Source) -> SourceFetch:
            attempts: list[Attempt] = []
            current: list[Any] = [HTTP, None]  # the way being tried and the URL it asks
            source_deadline = loop.time() + limits.source_seconds
            deadline = min(source_deadline, run_deadline)
            try:
                async with asyncio.timeout_at(deadline):
                    await self._try_ways(source, attempts, current)
            except TimeoutError:
                which = (f"the run's time limit ({limits.run_seconds:g}s)" if deadline == run_deadline
                         else f"the source's time limit ({limits.source_seconds:g}s)")
                attempts.append(Attempt(current[0], TOO_SLOW, f"stopped at {which}", current[1]))
            return SourceFetch(attempts)

        return list(await asyncio.gather(*(one(s) for s in sources)))

    async def _try_ways(self, source: Source, attempts: list[Attempt], current: list[Any]) -> None:
        for way in self.ways(source):
            current[:] = [way, None]
            attempt = await self._try(source, way, current)
            attempts.append(attempt)
            if attempt.outcome == OK:
                return
        if not attempts:
            attempts.append(Attempt(HTTP, SKIPPED, f"none of the source's ways ({', '.join(source.ways)})"
                                                   " is allowed in this run"))

    async def _try(self, source: Source, way: str, current: list[Any]) -> Attempt:
        real_url = way_url(source, way)
        url = mirror_url(real_url, self.mirror)
        if way == BROWSER and self.browser_missing:
            return Attempt(way, SKIPPED, self.browser_missing)
        if self.robots is not None:
            refusal = await self.robots.refusal(real_url)
            if refusal:
                return Attempt(way, *refusal)  # nothing asked
        before = self.stored(source, way)
        current[1] = url  # a request is being made: a deadline now names its way and URL
        if way == BROWSER:
            got = await self.browser.fetch(url)
        else:
            got = await fetch(self.client, url, self.policy,
                              before.etag if before else None, before.last_modified if before else None,
                              accept=MARKDOWN_ACCEPT if way == MARKDOWN else None)
        return self._read(source, way, real_url, got, before)

    def _read(self, source: Source, way: str, real_url: str, got: Fetched, before: Stored | None) -> Attempt:
        body, etag, last_modified = got.body, got.etag, got.last_modified
        if got.not_modified:
            if before is None:
                return Attempt(way, FETCH_FAILED, "HTTP 304 but no stored body to reuse", got.url, 304)
            body = before.body()
            etag, last_modified = etag or before.etag, last_modified or before.last_modified
        if got.error is not None or body is None:
            return Attempt(way, got.outcome or FETCH_FAILED, got.error or "no body", got.url, got.status,
                           got.body, etag, last_modified)
        reading = self.parse(source, body, real_url)
        if reading.error is None:
            outcome = OK
        elif reading.error.startswith("parser crashed:"):
            outcome = ERROR
        else:
            outcome = parse_error_outcome(reading.error, body.decode("utf-8", "replace"))
        return Attempt(way, outcome, reading.error, got.url, got.status, body, etag, last_modified, reading)
