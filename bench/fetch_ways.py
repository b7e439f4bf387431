"""What the browser way costs: a scrape of every provider through a 127.0.0.1 mirror, by HTTP and by
headless Chromium, timed in the same run (ratios, not lone times).

    python bench/fetch_ways.py [--rounds N]

Cases (fresh database each time, the same fixture pages, no validators, so every page is fetched):

* ``http``: every source by plain HTTP (``--way http``), robots.txt included;
* ``browser``: the sources that list the browser way (anthropic, google, mistral, openai, xai),
  each rendered by Chromium (``--way browser``), against the same five by HTTP;
* ``night``: a night where OpenAI answers plain clients with a 403 challenge (passed by a
  browser running its script), every other source served by HTTP: the default ways.

Needs Chromium (or Chrome) and Playwright installed; exits 2 saying why otherwise.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from parsers import registry  # noqa: E402
from scraper.fetch.browser import unavailable  # noqa: E402
from scraper.fetch.http import FetchPolicy  # noqa: E402
from scraper.mirror import Mirror  # noqa: E402
from scraper.run import run_scrape  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
PAGES = {
    "deepseek-en": "deepseek/2026-08-17-peak.en.html",
    "deepseek-zh-cn": "deepseek/2026-08-17-peak.zh-cn.md",
    "openrouter-models": "openrouter/models.json",
    "mistral-pricing": "mistral/pricing-2026-05-rsc.html",
    "xai-models": "xai/models-page.html",
    "anthropic-pricing": "anthropic/pricing.html",
    "google-gemini-pricing": "gemini/pricing.html",
    "openai-pricing": "openai/pricing.html",
}
BROWSER_SOURCES = sorted(s.provider for s in registry.sources() if "browser" in s.ways)


def pages() -> dict:
    urls = {s.id: s.url for s in registry.sources()}
    return {urls[sid]: (FIXTURES / name).read_bytes() for sid, name in PAGES.items()}


def challenged(real: bytes):
    """403 + a challenge page whose script sets a clearance cookie and reloads (see tests/test_browser_ways)."""
    challenge = ((FIXTURES / "challenge" / "cloudflare-managed.html").read_text().replace(
        "</body>", "<script>document.cookie = 'cf_clearance=passed; path=/';"
                   " setTimeout(function () { location.reload(); }, 200);</script></body>")).encode()

    def answer(h) -> None:
        passed = "cf_clearance=passed" in (h.headers.get("Cookie") or "")
        body = real if passed else challenge
        h.send_response(200 if passed else 403)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
    return answer


def timed(served: dict, providers: list[str] | None, ways: tuple[str, ...] | None) -> tuple[float, dict]:
    """Seconds for one scrape into a fresh database, and each source's (outcome, way)."""
    with tempfile.TemporaryDirectory() as tmp, Mirror(served) as mirror:
        started = time.perf_counter()
        result = run_scrape(Path(tmp) / "bench.db", providers, mirror.url, datetime.now(timezone.utc),
                            policy=FetchPolicy(ways=ways))
        seconds = time.perf_counter() - started
    return seconds, {s.source_id: (s.outcome, s.way) for s in result.sources}


def median_of(rounds: int, *args) -> tuple[float, dict]:
    runs = [timed(*args) for _ in range(rounds)]
    return statistics.median(t for t, _ in runs), runs[-1][1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    why = unavailable()
    if why:
        print(f"bench/fetch_ways.py: {why}", file=sys.stderr)
        return 2
    served = pages()
    all_http, outcomes = median_of(args.rounds, served, None, ("http",))
    assert all(o == ("ok", "http") for o in outcomes.values()), outcomes
    five_http, _ = median_of(args.rounds, served, BROWSER_SOURCES, ("http",))
    five_browser, outcomes = median_of(args.rounds, served, BROWSER_SOURCES, ("browser",))
    assert all(o == ("ok", "browser") for o in outcomes.values()), outcomes
    night_served = dict(served)
    openai = next(s.url for s in registry.sources("openai"))
    night_served[openai] = challenged(served[openai])
    night, outcomes = median_of(args.rounds, night_served, None, None)
    assert outcomes.pop("openai-pricing") == ("ok", "browser") and all(
        o == ("ok", "http") for o in outcomes.values()), outcomes
    n, k = len(PAGES), len(BROWSER_SOURCES)
    rows = [(f"all {n} sources by http", all_http, ""),
            (f"{k} browser-capable sources by http", five_http, ""),
            (f"the same {k} by the browser (Chromium)", five_browser, f"; {five_browser / five_http:.1f}x their http time"),
            ("a night with OpenAI challenged (default ways)", night, "")]
    print(f"median of {args.rounds} rounds, {n} sources of {len(registry.providers())} providers, ratio to all-http:")
    for label, seconds, extra in rows:
        print(f"  {label:<48} {seconds:6.2f} s  ({seconds / all_http:.2f}{extra})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
