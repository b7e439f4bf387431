"""Is a fetched body a whole page?  One pure judgement for every format a source can serve.

A body cut short by a dropped connection or a proxy still parses into *fewer* prices, and fewer
prices read as models removed: so a cut-short body must never become a healthy observation.  The
HTTP layer checks what HTTP can tell (Content-Length, an empty body); this module checks what the
body itself can tell, by format:

* **JSON** (a body starting with ``{``, or ``[`` then a value, not a Markdown link) must parse
  to its end;
* **HTML** must close what it opened: ``</html>`` when it has ``<html``, ``</body>`` when it has
  ``<body``, within its last 4 KB;
* **Markdown / text** must not end inside a pipe table (a last row without the closing ``|`` its
  table's other rows have, or with fewer cells than any other row of its table: rows under a
  rowspan are short too, but never shorter than all the others) or inside a code fence (an odd
  number of ````` lines);
* and, whatever the format, a body under ``MIN_RATIO`` (40 %) of the size of the last healthy
  body of the same source *in the same format* is suspect of being cut short.  The line sits
  below 50 % because real pages do shrink by half between eras (DeepSeek's V3.2 page is 49 % of
  the one before); a different format (a Markdown export after an HTML page) is not comparable.
  A small body that is byte for byte the previous observation's body is a page that really
  shrank, and passes (so a source is never stuck on a smaller page).

Nothing here touches a database or the network: callers hand in the bodies.
"""

from __future__ import annotations

import json
from decimal import Decimal

#: A body smaller than this fraction of the last healthy body of its source is not healthy.
MIN_RATIO = Decimal("0.4")

JSON, HTML, TEXT = "json", "html", "text"


def body_format(body: bytes) -> str:
    """``json``, ``html`` or ``text`` (Markdown and plain text), from the body's first bytes."""
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    after = head[1:].lstrip()[:1]
    if head[:1] == b"{" or head[:1] == b"[" and after != b"" and after in b'{["]-0123456789':
        return JSON  # a Markdown page may open with a link: "[Skip to main content](...)"
    if head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<html" in head or b"<body" in head:
        return HTML
    return TEXT


def incomplete(body: bytes, last_healthy: bytes | None = None, previous: bytes | None = None) -> str | None:
    """Why ``body`` is not a whole page (None: it is).

    ``last_healthy`` is the body of the source's last healthy observation, ``previous`` the body
    of its last observation of any outcome (both None when there is none).
    """
    if not body.strip():
        return "empty body"
    kind = body_format(body)
    problem = {JSON: _json_cut, HTML: _html_cut, TEXT: _text_cut}[kind](body)
    if problem:
        return problem
    if (last_healthy and body_format(last_healthy) == kind and body != previous
            and len(body) < MIN_RATIO * len(last_healthy)):
        return (f"{kind} body of {len(body):,} bytes is under {MIN_RATIO:.0%} of the last healthy"
                f" one ({len(last_healthy):,} bytes)")
    return None


def _json_cut(body: bytes) -> str | None:
    try:
        json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        return f"JSON that does not parse to its end ({_short(exc)})"
    return None


def _html_cut(body: bytes) -> str | None:
    head, tail = body[:4096].lower(), body[-4096:].lower()
    whole = body.lower()
    if b"<html" in head and b"</html>" not in tail:
        return "HTML without </html>"
    if b"<body" in whole and b"</body>" not in whole:
        return "HTML without </body>"
    return None


def _text_cut(body: bytes) -> str | None:
    lines = body.decode("utf-8", errors="replace").splitlines()
    fences = sum(1 for line in lines if line.lstrip().startswith("```"))
    if fences % 2:
        return "Markdown ending inside a code block"
    filled = [line.rstrip() for line in lines if line.strip()]
    if not filled or not filled[-1].lstrip().startswith("|"):
        return None
    table: list[str] = []
    for line in reversed(filled):
        if not line.lstrip().startswith("|"):
            break
        table.append(line)
    last, others = table[0], table[1:]
    if others and (all(row.endswith("|") for row in others) and not last.endswith("|")
                   or _cells(last) < min(_cells(row) for row in others)):
        return f"Markdown ending mid-table (last row {_short(last)!r})"
    return None


def _cells(row: str) -> int:
    """The cells of a pipe-table row (rows under a rowspan have fewer, never fewer than all others)."""
    return len(row.strip().strip("|").split("|"))


def _short(value: object, limit: int = 80) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = ["HTML", "JSON", "MIN_RATIO", "TEXT", "body_format", "incomplete"]
