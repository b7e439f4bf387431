"""Dev-time harness: do the parsers still read a page after a converter or mirror rewrote it?

The parsers are judged on pages nobody here has seen: the same providers' pages through other
converters (html2text, markdownify, Jina reader, docs-site ``.md`` exports, crawler Markdown with
navigation, raw HTML).  This script takes every real page in ``../shared/real-pages`` (text copies
and the bot-challenge page excepted) and every fixture in ``tests/fixtures/<provider>/``, rewrites
each into the forms such tools produce, parses every form and compares its quotes with the
original's quotes:

* ``ok``: the same quotes (model, component, tier, currency, window, start, promo end -> price),
* ``fewer``: a strict subset (prices lost, none wrong),
* ``failed``: ParseError (or any exception: a traceback is a failure too),
* ``promo-lost``: a promo price read right but without the promo's end (``promo_until``),
* ``MISATTR``: a quote the original does not have, or another price for the same key: a wrong
  price, the worst case; its details are printed.

The converters (html2text, markdownify, Python-Markdown, trafilatura) are dev-time only: install
them in the venv with pip to run this; a converter that is absent just drops its variants.  Nothing
here is imported by the package or the tests.

Run: ``python bench/converters.py [provider ...] [--details]``.
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from parsers import registry  # noqa: E402
from parsers.document import detect_format  # noqa: E402
from parsers.quote import ParseError, Quote  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
REAL_PAGES = ROOT.parent / "shared" / "real-pages"
REAL_FOLDERS = {"gemini": "google"}
SKIP_NAMES = ("textcopy", "botchallenge")

Key = tuple[str, str, str, str, str, str, str]


def key_of(q: Quote) -> Key:
    return (q.model, q.component, q.tier, q.currency, q.window,
            q.effective_from.isoformat() if q.effective_from else "",
            q.promo_until.isoformat() if q.promo_until else "")


def quote_map(quotes: list[Quote]) -> dict[Key, set[str]]:
    out: dict[Key, set[str]] = defaultdict(set)
    for q in quotes:
        out[key_of(q)].add(str(q.price.normalize()))
    return out


# --- converters (optional) ------------------------------------------------------------------

def _html2text(html: str) -> str:
    import html2text

    h = html2text.HTML2Text()
    h.body_width = 0
    return h.handle(html)


def _markdownify(html: str) -> str:
    from markdownify import markdownify

    html = re.sub(r"<(script|style|noscript)\b.*?</\1\s*>", "", html, flags=re.S | re.I)
    return markdownify(html, heading_style="ATX")


def _outer_pipes_off(md: str) -> str:
    """Tables without their leading/trailing pipes (a GFM form several converters write)."""
    out = []
    for line in md.split("\n"):
        s = line.strip()
        if s.startswith("|") and s.endswith("|") and s.count("|") >= 3:
            line = s[1:-1].strip()
        out.append(line)
    return "\n".join(out)


def _to_html(md: str) -> str:
    import markdown

    body = markdown.markdown(md, extensions=["tables"])
    return f"<!DOCTYPE html><html><head><title>Pricing</title></head><body><main>{body}</main></body></html>"


def _trafilatura(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html, output_format="markdown", include_tables=True, include_links=True,
                               favor_recall=True) or ""


def _have(module: str) -> bool:
    try:
        __import__(module)
        return True
    except ImportError:
        return False


# --- text rewrites (no converter needed) ------------------------------------------------------

_MD_HEADING_RE = re.compile(r"^(#{1,6})(\s+)", re.M)
_MD_LINK_RE = re.compile(r"(?<!!)\[([^\]\n]*)\]\([^)\n]*\)")
_HTML_HEADING_RE = re.compile(r"<(/?)h[1-6]\b", re.I)
_HTML_LINK_RE = re.compile(r"</?a\b[^>]*>", re.I)
_PRICE_RE = re.compile(r"([$€£¥])(\d)")


def jina(text: str) -> str:
    return ("Title: Pricing\n\nURL Source: https://example.com/pricing\n\nPublished Time: 2026-05-01T00:00:00Z\n\n"
            "Markdown Content:\n" + text)


def demote(text: str, fmt: str) -> str:
    if fmt == "html":
        return re.sub(r"<(/?)h([1-5])\b", lambda m: f"<{m.group(1)}h{int(m.group(2)) + 1}", text, flags=re.I)
    return _MD_HEADING_RE.sub(lambda m: ("#" * min(6, len(m.group(1)) + 1)) + m.group(2), text)


def no_headings(text: str, fmt: str) -> str:
    if fmt == "html":
        return _HTML_HEADING_RE.sub(lambda m: f"<{m.group(1)}p", text)
    return _MD_HEADING_RE.sub("", text)


def bold_headings(text: str, fmt: str) -> str:
    """Headings a converter wrote as bold paragraphs (``**Pricing**``)."""
    if fmt == "html":
        text = re.sub(r"<h[1-6]\b[^>]*>", "<p><strong>", text, flags=re.I)
        return re.sub(r"</h[1-6]\s*>", "</strong></p>", text, flags=re.I)
    return re.sub(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", r"**\1**", text, flags=re.M)


def no_links(text: str, fmt: str) -> str:
    if fmt == "html":
        return _HTML_LINK_RE.sub("", text)
    return _MD_LINK_RE.sub(r"\1", text)


NAV_MD_TOP = ("[Skip to main content](#main)\n\n* [Home](/)\n* [Docs](/docs)\n* [API reference](/api)\n"
              "* [Pricing](/pricing)\n* [Models](/models)\n\nSearch...\n\nNavigation\n\n")
NAV_MD_BOTTOM = ("\n\nWas this page helpful?\n\nYesNo\n\n[Previous](/prev)[Next](/next)\n\n"
                 "* [Privacy](/privacy)\n* [Terms](/terms)\n\n© 2026 Example, Inc.\n")


def with_nav(text: str, fmt: str) -> str:
    if fmt == "html":
        top = ('<div><a href="#main">Skip to main content</a><ul><li><a href="/">Home</a></li>'
               '<li><a href="/pricing">Pricing</a></li><li><a href="/models">Models</a></li></ul></div>')
        bottom = "<div><p>Was this page helpful?</p><p>© 2026 Example, Inc.</p></div>"
        if re.search(r"<body\b[^>]*>", text, re.I):
            text = re.sub(r"(<body\b[^>]*>)", lambda m: m.group(1) + top, text, count=1, flags=re.I)
            return re.sub(r"(</body\s*>)", lambda m: bottom + m.group(1), text, count=1, flags=re.I)
        return top + text + bottom
    return NAV_MD_TOP + text + NAV_MD_BOTTOM


def crlf(text: str, fmt: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def nbsp_prices(text: str, fmt: str) -> str:
    return _PRICE_RE.sub("\\1\u00a0\\2", text)


def _table_lines(text: str, fn: Callable[[str], str]) -> str:
    """Apply ``fn`` to every cell of every Markdown table row (separator rows kept)."""
    out = []
    for line in text.split("\n"):
        s = line.strip()
        if "|" in s and not re.fullmatch(r"[\s|:\-]+", s) and s.count("|") >= 2:
            lead = s.startswith("|")
            tail = s.endswith("|") and len(s) > 1
            inner = s[1 if lead else 0: -1 if tail else None]
            if "`" in inner or "\\|" in inner:
                out.append(line)
                continue
            cells = [fn(c.strip()) if c.strip() else c for c in inner.split("|")]
            line = ("| " if lead else "") + " | ".join(c.strip() for c in cells) + (" |" if tail else "")
        out.append(line)
    return "\n".join(out)


def bold_cells(text: str, fmt: str) -> str:
    if fmt == "html":
        text = re.sub(r"(<t[dh]\b[^>]*>)", r"\1<strong>", text, flags=re.I)
        return re.sub(r"(</t[dh]\s*>)", r"</strong>\1", text, flags=re.I)
    return _table_lines(text, lambda c: f"**{c}**")


def italic_cells(text: str, fmt: str) -> str:
    if fmt == "html":
        text = re.sub(r"(<t[dh]\b[^>]*>)", r"\1<em>", text, flags=re.I)
        return re.sub(r"(</t[dh]\s*>)", r"</em>\1", text, flags=re.I)
    return _table_lines(text, lambda c: f"_{c}_")


def dollar_after(text: str, fmt: str) -> str:
    """``$0.50`` written ``0.50$`` / ``0.50 USD`` as some localized mirrors do."""
    return re.sub(r"\$(\d+(?:\.\d+)?)", r"\1 USD", text)


def wide_padding(text: str, fmt: str) -> str:
    """Docs exports pad every column to the widest cell."""
    return _table_lines(text, lambda c: c + " " * 12)


def short_rows(text: str, fmt: str) -> str:
    """GitHub rows that omit their empty trailing cells (``| a | $1 |`` under a 3-column header)."""
    if fmt == "html":
        return text
    out = []
    for line in text.split("\n"):
        s = line.rstrip()
        while s.startswith("|") and re.search(r"\|\s*\|$", s) and s.count("|") > 3:
            s = re.sub(r"\|\s*\|$", "|", s)
        out.append(s if s != line.rstrip() else line)
    return "\n".join(out)


REWRITES: dict[str, Callable[[str, str], str]] = {
    "short-rows": short_rows,
    "demoted": demote,
    "no-headings": no_headings,
    "bold-headings": bold_headings,
    "no-links": no_links,
    "nav": with_nav,
    "crlf": crlf,
    "nbsp": nbsp_prices,
    "bold-cells": bold_cells,
    "italic-cells": italic_cells,
    "usd-after": dollar_after,
    "padded": wide_padding,
}


def variants(text: str) -> list[tuple[str, Callable[[], str]]]:
    """(variant name, a thunk producing it) for one page."""
    fmt = detect_format(text)
    out: list[tuple[str, Callable[[], str]]] = []
    if fmt == "json":
        return [("crlf", lambda: crlf(text, fmt)), ("jina", lambda: jina(text))]
    out.append(("jina", lambda: jina(text)))
    for name, fn in REWRITES.items():
        out.append((name, lambda fn=fn: fn(text, fmt)))
    if fmt == "html":
        if _have("html2text"):
            out.append(("html2text", lambda: _html2text(text)))
            out.append(("jina+html2text", lambda: jina(_html2text(text))))
        if _have("markdownify"):
            out.append(("markdownify", lambda: _markdownify(text)))
            out.append(("markdownify-nopipes", lambda: _outer_pipes_off(_markdownify(text))))
        if _have("trafilatura"):
            out.append(("trafilatura", lambda: _trafilatura(text)))
    else:
        if _have("markdown"):
            out.append(("md->html", lambda: _to_html(text)))
            if _have("html2text"):
                out.append(("md->html->html2text", lambda: _html2text(_to_html(text))))
            if _have("markdownify"):
                out.append(("md->html->markdownify", lambda: _markdownify(_to_html(text))))
        out.append(("nopipes", lambda: _outer_pipes_off(text)))
    return out


# --- the run -----------------------------------------------------------------------------------

def pages(wanted: set[str]) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    if REAL_PAGES.is_dir():
        for folder in sorted(p for p in REAL_PAGES.iterdir() if p.is_dir()):
            provider = REAL_FOLDERS.get(folder.name, folder.name)
            for path in sorted(folder.iterdir()):
                if path.is_file() and not any(s in path.name for s in SKIP_NAMES):
                    found.append((provider, f"real/{path.name}", path.read_text(encoding="utf-8", errors="replace")))
    fixture_folders = {provider: folder for folder, provider in REAL_FOLDERS.items()}
    for provider in registry.providers():
        folder = FIXTURES / fixture_folders.get(provider, provider)  # Google's pages are in gemini/
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.is_file() and path.suffix in {".html", ".md", ".json", ".txt"}:
                    found.append((provider, f"fix/{path.name}", path.read_text(encoding="utf-8")))
    return [p for p in found if not wanted or p[0] in wanted]


def classify(original: dict[Key, set[str]], text: str, provider: str) -> tuple[str, str]:
    try:
        quotes = registry.read(provider, text).quotes
    except ParseError as exc:
        return "failed", str(exc)[:160]
    except Exception as exc:  # a traceback is a failure too, and worth seeing
        return "failed", f"{type(exc).__name__}: {exc}"[:160]
    got = quote_map(quotes)
    wrong = [(k, sorted(v), sorted(original.get(k, ()))) for k, v in got.items() if not v <= original.get(k, set())]
    # The same price for the same series, with only the promo end lost: the price is right today,
    # the end of the promo is not known (a lesser harm, counted apart).
    promo = [w for w in wrong if not w[0][6] and w[1] and set(w[1]) <= {
        p for k, v in original.items() if k[:6] == w[0][:6] and k[6] for p in v}]
    if wrong and len(promo) == len(wrong):
        return "promo-lost", "; ".join(f"{k[:4]} {v}" for k, v, _ in wrong[:4])
    if wrong:
        return "MISATTR", "; ".join(f"{k[:4]} {v} (orig {o})" for k, v, o in wrong[:4])
    if sum(len(v) for v in got.values()) < sum(len(v) for v in original.values()):
        lost = [k[:3] for k in original if k not in got]
        return "fewer", f"{sum(len(v) for v in got.values())}/{sum(len(v) for v in original.values())} lost e.g. {lost[:3]}"
    return "ok", ""


def main(argv: list[str]) -> int:
    details = "--details" in argv
    wanted = {a for a in argv if not a.startswith("--")}
    table: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    notes: list[str] = []
    for provider, name, text in pages(wanted):
        try:
            original = quote_map(registry.read(provider, text).quotes)
        except Exception:
            continue  # a page its parser refuses as it stands has nothing to compare with
        for vname, make in variants(text):
            try:
                variant = make()
            except Exception as exc:  # a converter that chokes is not the parser's fault
                notes.append(f"{provider} {name} {vname}: converter error {type(exc).__name__}")
                continue
            status, why = classify(original, variant, provider)
            table[provider][vname][status] += 1
            if status in ("MISATTR", "promo-lost") or (details and status != "ok"):
                notes.append(f"{status:7} {provider} {name} [{vname}] {why}")
    statuses = ("ok", "fewer", "failed", "promo-lost", "MISATTR")
    total: Counter[str] = Counter()
    for provider in sorted(table):
        print(f"\n== {provider}")
        print(f"  {'variant':24}" + "".join(f"{s:>11}" for s in statuses))
        for vname in sorted(table[provider]):
            c = table[provider][vname]
            total.update(c)
            print(f"  {vname:24}" + "".join(f"{c[s]:>11}" for s in statuses))
    print("\nTOTAL " + "  ".join(f"{s}={total[s]}" for s in statuses))
    for line in notes:
        print(line)
    return 1 if total["MISATTR"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
