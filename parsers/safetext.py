"""Text read from pages, made safe for where it is shown: a terminal, a commit message, XML.

Model ids, notes and error messages come from pages nobody here controls.  A newline in a model id
could forge a ``Signed-off-by:`` trailer in the nightly commit message; an escape character could
recolour a terminal or make the Atom feed invalid XML.  Stored values stay exactly as read (they
are data); every place that *shows* them goes through one of these functions, which make control
characters visible instead of acting on them, so nothing is silently lost either.
"""

from __future__ import annotations

import re

#: C0 and C1 controls (newline and tab included), DEL, Unicode line/paragraph separators, and the
#: bidirectional overrides and isolates that can make text display in another order than it reads.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\ufeff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

#: Characters XML 1.0 forbids outright (even as character references), besides the controls above.
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")


def _visible(match: re.Match[str]) -> str:
    char = match.group(0)
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def one_line(text: str) -> str:
    """``text`` on one line with every control character shown as an escape (``\\n``, ``\\x1b``)."""
    return _UNSAFE.sub(_visible, text)


def xml_text(text: str) -> str:
    """``one_line`` plus the removal of what XML 1.0 cannot carry; ``<`` and ``&`` are left to the
    XML writer, which escapes them."""
    return _NOT_XML.sub(_visible, one_line(text))


def commit_line(text: str) -> str:
    """A line for a git commit message: one line, and never a trailer of its own (``Key: value``
    at the start of a line is how git reads trailers), so page text cannot add a sign-off."""
    line = one_line(text)
    return line if not re.match(r"^[A-Za-z][\w-]*:\s", line) else "  " + line
