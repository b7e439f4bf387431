"""How fast a pricing page becomes quotes.

1. A ~2 MB DeepSeek page (the size of a real docs page: mostly inline scripts, a long sidebar,
   then the pricing tables) parsed by ``parsers.deepseek.parse``, against the naive peer measured
   in the same run: ``BeautifulSoup(page, "html.parser")`` on the whole page, before any parsing.
2. One run's worth of pages: every provider fixture under tests/fixtures/ that its parser reads,
   parsed once each; the total is what a nightly scrape spends parsing.

Prints milliseconds (median of repeats) and ratios.  Run: ``python bench/parse.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from parsers import registry  # noqa: E402
from parsers.quote import ParseError  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
TARGET_BYTES = 2_000_000


def big_deepseek_page() -> str:
    """The 2026 fixture page grown to ~2 MB the way real docs pages are: scripts and navigation."""
    page = (FIXTURES / "deepseek" / "2026-08-17-peak.en.html").read_text(encoding="utf-8")
    nav_item = '<li class="menu__list-item"><a class="menu__link" href="/guides/item{0}">Guide number {0}</a></li>\n'
    nav = "".join(nav_item.format(i) for i in range(2500))
    chunk = '{"id":%d,"title":"Doc page %d","path":"/docs/page-%d","sidebar":"docs","tags":["api","guide"]},'
    payload = "".join(chunk % (i, i, i) for i in range(17000))
    script = f"<script>window.__DOCS__=[{payload}{{}}];</script>\n"
    page = page.replace("<ul class=\"menu__list\">", "<ul class=\"menu__list\">" + nav, 1)
    page = page.replace("</head>", script + "</head>", 1)
    missing = TARGET_BYTES - len(page.encode())
    if missing > 40:
        page = page.replace("</head>", f"<script>/*{'x' * (missing - 30)}*/</script></head>", 1)
    return page


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def run_pages() -> list[tuple[str, str, str]]:
    """(provider, file name, text) for every fixture its provider parses without error."""
    pages = []
    for provider in registry.providers():
        folder = FIXTURES / provider
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix in {".html", ".md", ".json"}:
                text = path.read_text(encoding="utf-8")
                try:
                    registry.parse(provider, text)
                except (ParseError, ValueError):
                    continue
                pages.append((provider, path.name, text))
    return pages


def main() -> None:
    page = big_deepseek_page()
    quotes = registry.parse("deepseek", page)
    ours = median_ms(lambda: registry.parse("deepseek", page), 9)
    peer = median_ms(lambda: BeautifulSoup(page, "html.parser"), 3)
    print(f"2 MB page: {len(page.encode()) / 1e6:.2f} MB, {len(quotes)} quotes")
    print(f"  ratecard deepseek.parse      {ours:8.1f} ms/page  (target < 100 ms)")
    print(f"  peer: bs4 html.parser alone  {peer:8.1f} ms/page  -> ratecard is {peer / ours:.1f}x faster")

    pages = run_pages()
    total = median_ms(lambda: [registry.parse(p, text) for p, _, text in pages], 5)
    size = sum(len(t.encode()) for _, _, t in pages) / 1e6
    print(f"one run: {len(pages)} fixture pages of {len(registry.providers())} providers, {size:.2f} MB")
    print(f"  all parsed in {total:.1f} ms  (target < 500 ms)")


if __name__ == "__main__":
    main()
