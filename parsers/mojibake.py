"""Undo UTF-8 text that was decoded as Latin-1/cp1252 on its way to us (``Â¥`` for ``¥``).

ftfy was tried first: it leaves ``Â¥0.5`` alone because that pair is plausible Latin-1, which is
exactly the case on a real DeepSeek mirror.  On pricing pages a currency sign matters more than
prose, so each run that *decodes cleanly* as UTF-8 bytes is repaired, and nothing else is touched.
"""

from __future__ import annotations

import re

# A UTF-8 lead byte (as Latin-1/cp1252 text) followed by continuation bytes.
_RUN_RE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]+"
)


def repair(text: str) -> str:
    """Repair mojibake runs; text without them is returned unchanged."""
    return _RUN_RE.sub(_decode_run, text) if _RUN_RE.search(text) else text


def _decode_run(match: re.Match[str]) -> str:
    run = match.group(0)
    for codec in ("cp1252", "latin-1"):
        try:
            return run.encode(codec).decode("utf-8")
        except UnicodeError:
            continue
    return run
