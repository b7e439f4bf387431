"""robots.txt, honoured by default: fetched once per host per run, read with ``urllib.robotparser``.

Why: ratecard reads one public page per provider per night, but it is still a robot, and a site
that says "not this path" must not be fetched unless the user decides otherwise
(``--ignore-robots``).  Per RFC 9309: a robots.txt that is missing (4xx) allows everything; one
that cannot be fetched (5xx, network) disallows everything for this run, because the site may be
saying "stay away" in the only way it can.  A disallowed page is an outcome with a message,
never a crash.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from scraper.fetch.http import ROBOTS_AGENT, FetchPolicy, fetch, mirror_url
from scraper.fetch.limits import FetchLimits
from scraper.fetch.outcome import BLOCKED, FETCH_FAILED

#: RFC 9309 asks crawlers to read at least 500 KiB of a robots.txt.
MAX_ROBOTS_BYTES = 512 * 1024


class RobotsRules:
    """What one host's robots.txt says, or why it could not be read."""

    def __init__(self, origin: str, parser: RobotFileParser | None, unreachable: str | None = None) -> None:
        self.origin = origin
        self.parser = parser
        self.unreachable = unreachable

    def refusal(self, url: str) -> tuple[str, str] | None:
        """(outcome, why) when ``url`` may not be fetched, or None when it may: ``blocked`` for a
        rule that disallows it, ``fetch_failed`` for a robots.txt that could not be read."""
        if self.unreachable:
            return FETCH_FAILED, (f"{self.origin}/robots.txt could not be read ({self.unreachable}), so the site"
                                  " is treated as disallowing everything this run (RFC 9309); --ignore-robots overrides")
        if self.parser is not None and not self.parser.can_fetch(ROBOTS_AGENT, url):
            return BLOCKED, f"{self.origin}/robots.txt disallows {urlsplit(url).path or '/'}; --ignore-robots overrides"
        return None


class Robots:
    """The robots.txt of every host a run touches, each fetched once (shared by all its sources)."""

    def __init__(self, client: httpx.AsyncClient, policy: FetchPolicy, mirror: str | None) -> None:
        self.client = client
        self.policy = FetchPolicy(timeout=policy.timeout, attempts=policy.attempts, backoff=policy.backoff,
                                  user_agent=policy.user_agent,
                                  limits=FetchLimits(max_bytes=MAX_ROBOTS_BYTES, max_ratio=policy.limits.max_ratio))
        self.mirror = mirror
        self.hosts: dict[str, asyncio.Task[RobotsRules]] = {}

    async def refusal(self, url: str) -> tuple[str, str] | None:
        """(outcome, why) when robots.txt forbids ``url`` (a real page URL, not the mirror's), or None."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self.hosts:
            self.hosts[origin] = asyncio.ensure_future(self._load(origin))
        # shielded: one source running out of time must not cancel the fetch the others wait for
        rules = await asyncio.shield(self.hosts[origin])
        return rules.refusal(url)

    async def _load(self, origin: str) -> RobotsRules:
        got = await fetch(self.client, mirror_url(f"{origin}/robots.txt", self.mirror), self.policy,
                          allow_empty=True)
        if got.status is not None and 400 <= got.status < 500:
            return RobotsRules(origin, None)
        if got.error or got.body is None:
            return RobotsRules(origin, None, unreachable=got.error or f"HTTP {got.status}")
        parser = RobotFileParser()
        parser.parse(got.body.decode("utf-8", "replace").splitlines())
        return RobotsRules(origin, parser)

    def close(self) -> None:
        for task in self.hosts.values():
            task.cancel()
