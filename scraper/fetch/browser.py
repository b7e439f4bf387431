"""The browser way: the page as a real headless Chromium renders it, driven by Playwright.

Why: some pricing pages draw their prices with JavaScript, and some sites answer plain HTTP
clients with a bot challenge that only a browser passes.  Only an installed Chromium or Chrome
is used (its path given explicitly to Playwright), never a browser build downloaded by
``playwright install``: the nightly job runs what the machine's package manager installed.
Where none is installed (or Playwright's Python package is missing) the way is skipped with a
reason, and the other ways still run.

One browser serves a whole run (started on first use, closed at the end); each page gets a
fresh context (no cookies carried between sources), a bounded size and the source's deadline.
After the load, the page is re-read until it stops being a challenge page and stops changing,
so a challenge that reloads itself and prices inserted after the load are both seen.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import time
from pathlib import Path
from typing import Any

from scraper.fetch.http import Fetched, FetchPolicy
from scraper.fetch.outcome import BLOCKED, FETCH_FAILED, TOO_LARGE, challenge

#: Where an installed browser is looked for, in order ($RATECARD_BROWSER first).
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
              "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
SKIPPED_RESOURCES = frozenset({"image", "media", "font"})
#: How often the rendered page is re-read while it settles, and how long it must stay unchanged.
POLL_SECONDS = 0.25
SETTLED_SECONDS = 1.0
#: How long a challenge page is given to pass itself (reload into the real page) before giving up.
CHALLENGE_SECONDS = 6.0
#: The longest a page may take to settle after its load event.
SETTLE_LIMIT_SECONDS = 15.0


def find_browser(explicit: str | None = None) -> str | None:
    """The path of an installed Chromium or Chrome, or None."""
    for name in ([explicit] if explicit else [os.environ.get("RATECARD_BROWSER", ""), *CANDIDATES]):
        if not name:
            continue
        found = shutil.which(name) if os.sep not in name else (name if Path(name).is_file() else None)
        if found:
            return found
    return None


def unavailable(explicit: str | None = None) -> str | None:
    """Why the browser way cannot run on this machine, or None when it can."""
    if importlib.util.find_spec("playwright") is None:  # found, not imported: 0.4 s saved per run
        return "Playwright's Python package is not installed (pip install playwright)"
    if find_browser(explicit) is None:
        if explicit:
            return f"no browser at {explicit}"
        return ("no Chromium or Chrome installed (looked for $RATECARD_BROWSER, chromium, chromium-browser,"
                " google-chrome); install one, e.g. apt-get install chromium")
    return None


class Browser:
    """A headless browser for one run, started on first use; ``close()`` ends it."""

    def __init__(self, policy: FetchPolicy, only_under: str | None = None, pages_at_once: int = 2) -> None:
        self.policy = policy
        #: when set (a mirror's URL), every request elsewhere is aborted: a local copy stays local
        self.only_under = only_under.rstrip("/") + "/" if only_under else None
        self.executable = find_browser(policy.browser)
        self._started: asyncio.Task[Any] | None = None
        self._playwright: Any = None
        self._pages = asyncio.Semaphore(pages_at_once)
        self._user_agent = policy.user_agent

    async def _start(self) -> Any:
        from playwright.async_api import async_playwright
        self._playwright = await async_playwright().start()
        browser = await self._playwright.chromium.launch(executable_path=self.executable, args=ARGS)
        page = await browser.new_page()
        try:  # the browser's own User-Agent, kept as it is (headless marker too), with ratecard's added
            self._user_agent = f"{await page.evaluate('navigator.userAgent')} {self.policy.user_agent}"
        finally:
            await page.close()
        return browser

    async def fetch(self, url: str) -> Fetched:
        """The rendered HTML of ``url`` (the caller bounds the time); never raises but for cancellation:
        a browser that will not start or a page that breaks it is this way's failure, not the run's."""
        if self._started is None:
            self._started = asyncio.ensure_future(self._start())
        try:
            browser = await asyncio.shield(self._started)
        except Exception as exc:
            return Fetched(url, error=f"the browser did not start: {_first_line(exc)}", outcome=FETCH_FAILED)
        try:
            async with self._pages:
                return await self._render(browser, url)
        except Exception as exc:
            return Fetched(url, error=f"browser: {_first_line(exc)}", outcome=FETCH_FAILED)

    async def _render(self, browser: Any, url: str) -> Fetched:
        context = await browser.new_context(user_agent=self._user_agent, accept_downloads=False,
                                            service_workers="block")
        try:
            page = await context.new_page()
            statuses: list[int] = []  # of every main-frame navigation: a challenge reloads the page

            def seen(response: Any) -> None:
                if response.request.is_navigation_request() and response.frame == page.main_frame:
                    statuses.append(response.status)

            page.on("response", seen)
            await page.route("**/*", self._route)
            await page.goto(url, wait_until="load", timeout=self.policy.timeout * 1000)
            html = await self._settled(page)
        finally:
            await _quietly(context.close())  # bounded: a hung browser must not hold the deadline
        status = statuses[-1] if statuses else None
        if html is None:
            return Fetched(url, status, error=f"rendered page over the {self.policy.limits.max_bytes}-byte limit",
                           outcome=TOO_LARGE)
        return self._result(url, status, html)

    async def _route(self, route: Any) -> None:
        """Images, media and fonts are never fetched (prices are text); with a mirror, nothing else is."""
        request = route.request
        outside = self.only_under is not None and not request.url.startswith(self.only_under)
        if outside or request.resource_type in SKIPPED_RESOURCES:
            await route.abort()
        else:
            await route.continue_()

    def _result(self, url: str, status: int | None, html: str) -> Fetched:
        body = html.encode("utf-8")
        limit = self.policy.limits.max_bytes
        if len(body) > limit:
            return Fetched(url, status, error=f"rendered page over the {limit}-byte limit ({len(body)} bytes)",
                           outcome=TOO_LARGE)
        marker = challenge(html)
        if marker and (status is None or status >= 400):
            return Fetched(url, status, error=f"HTTP {status} with a bot-challenge page ({marker})", outcome=BLOCKED)
        if status is not None and status >= 400:
            return Fetched(url, status, error=f"HTTP {status}", outcome=FETCH_FAILED)
        return Fetched(url, 200 if status in (None, 304) else status, body)

    async def _settled(self, page: Any) -> str | None:
        """The page's HTML once it is no challenge page and has not changed for ``SETTLED_SECONDS``
        (None when it grows past the size limit: its length is asked before the text is copied)."""
        from playwright.async_api import Error as PlaywrightError
        deadline = time.monotonic() + SETTLE_LIMIT_SECONDS
        last, since = "", time.monotonic()
        while True:
            try:
                size = await page.evaluate("document.documentElement ? document.documentElement.outerHTML.length : 0")
                if size > self.policy.limits.max_bytes:
                    return None
                html = await page.content()
            except PlaywrightError:  # navigating (a challenge reloading the page): read again
                html = ""
            now = time.monotonic()
            if html != last:
                last, since = html, now
            elif html and now - since >= (CHALLENGE_SECONDS if challenge(html) else SETTLED_SECONDS):
                return html  # settled; a challenge that has not moved on by then will not
            if now >= deadline:
                return last
            await asyncio.sleep(POLL_SECONDS)

    async def close(self) -> None:
        if self._started is None:
            return
        try:
            if self._started.done() and not self._started.exception():
                await asyncio.wait_for(self._started.result().close(), 10)
            else:
                self._started.cancel()
        except (Exception, asyncio.CancelledError):
            pass
        if self._playwright is not None:
            try:
                await asyncio.wait_for(self._playwright.stop(), 10)
            except Exception:
                pass


async def _quietly(closing: Any, seconds: float = 5.0) -> None:
    """Await a close for at most ``seconds``, whatever it raises."""
    try:
        await asyncio.wait_for(closing, seconds)
    except Exception:
        pass


def _first_line(exc: BaseException) -> str:
    return (str(getattr(exc, "message", "") or exc).strip().splitlines() or [type(exc).__name__])[0]
