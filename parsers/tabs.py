"""Service-tier tabs (Standard / Batch / Flex / Priority) as page readers render them.

A tab strip becomes, depending on the converter: one paragraph of links (``[Standard](#standard)
[Batch](#batch)More`` -> ``StandardBatchMore``), one paragraph of words (``Standard Batch Flex
Priority``), or one short paragraph per tab; the active panel's own label may follow, then its
table.  :func:`read_labels` tells the strip from a label, so a strip is never taken for the label
of the table under it (which would price the first table as the last tab).
"""

from __future__ import annotations

import re

TIERS = ("standard", "batch", "flex", "priority")
_LABEL_RE = re.compile(
    r"^(standard|batch|flex|priority)(?:\s+(?:tier|processing|pricing|prices|pricing data))?:?$", re.I)
_STRIP_RE = re.compile(r"^(?:(?:standard|batch|flex|priority)\s*){2,}(?:more)?$", re.I)
_WORD_RE = re.compile(r"standard|batch|flex|priority", re.I)


def label_of(text: str) -> str | None:
    """``batch`` for a paragraph or heading that is only a tab label (``Batch``, ``Batch pricing``)."""
    m = _LABEL_RE.match(" ".join(text.split()))
    return m.group(1).lower() if m else None


def strip_of(text: str) -> list[str] | None:
    """The tabs, in order, of a paragraph that is a whole tab strip (two tabs or more), else None."""
    text = " ".join(text.split())
    return [w.lower() for w in _WORD_RE.findall(text)] if _STRIP_RE.match(text) else None


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
