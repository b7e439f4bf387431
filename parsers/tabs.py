"""Service-tier tabs (Standard / Batch / Flex / Priority) as page readers render them.

A tab strip becomes, depending on the converter: one paragraph of links (``[Standard](#standard)
[Batch](#batch)More`` -> ``StandardBatchMore``), one paragraph of words (``Standard Batch Flex
Priority``), or one short paragraph per tab; the active panel's own label may follow, then its
table.  :func:`read_labels` tells the strip from a label, so a strip is never taken for the label
of the table under it (which would price the first table as the last tab).
"""

from __future__ import annotations

import re
from functools import lru_cache

TIERS = ("standard", "batch", "flex", "priority")
#: OpenAI's tabs since 2026: Priority was renamed Fast mode (2026-07-30), and Ultrafast was added.
#: Only OpenAI's parser knows them (Gemini's four unlabelled tables are the four TIERS in order).
OPENAI_TIERS = TIERS + ("fast", "ultrafast")


@lru_cache(maxsize=4)
def _patterns(tiers: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    words = "|".join(sorted(tiers, key=len, reverse=True))  # "ultrafast" before "fast"
    return (re.compile(rf"^({words})(?:\s+(?:tier|processing|pricing|prices|pricing data))?:?$", re.I),
            re.compile(rf"^(?:(?:{words})\s*){{2,}}(?:more)?$", re.I),
            re.compile(words, re.I))


def label_of(text: str, tiers: tuple[str, ...] = TIERS) -> str | None:
    """``batch`` for a paragraph or heading that is only a tab label (``Batch``, ``Batch pricing``)."""
    m = _patterns(tiers)[0].match(" ".join(text.split()))
    return m.group(1).lower() if m else None


def strip_of(text: str, tiers: tuple[str, ...] = TIERS) -> list[str] | None:
    """The tabs, in order, of a paragraph that is a whole tab strip (two tabs or more), else None."""
    _, strip, word = _patterns(tiers)
    text = " ".join(text.split())
    return [w.lower() for w in word.findall(text)] if strip.match(text) else None


def read_labels(labels: list[str]) -> tuple[list[str] | None, str | None, bool]:
    """(tab strip, the next table's label, ambiguous) from the labels met since the last table.

    ``[batch]`` is a label; ``[standard, batch, flex]`` (all different) is a strip written one tab
    per line, with no label; ``[standard, batch, standard]`` is a strip then the active tab's label.
    Anything else (``[batch, batch, flex]``) is ambiguous: the table's tab is not known.
    """
    if not labels:
        return None, None, False
    if len(set(labels)) == 1:
        return None, labels[0], False
    head = labels[:-1]
    if len(labels) >= 3 and len(set(head)) == len(head) and labels[-1] == labels[0]:
        return head, labels[-1], False
    if len(set(labels)) == len(labels):
        return labels, None, False
    return None, None, True
