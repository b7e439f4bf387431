"""What went wrong, by kind: the outcomes a fetch and a parse can end in, and how to tell them apart.

Why kinds: each asks something different of the person running the nightly job.  ``blocked``
(the site answered with a bot challenge, or refused with one) needs another way to get the page;
``layout_changed`` (the page came, its pricing structure is gone) needs a parser fix;
``fetch_failed`` (network, 5xx, timeout, truncated) usually needs nothing but the next night;
``too_large`` / ``too_slow`` mean a fetch limit stopped it.
"""

from __future__ import annotations

import re

from parsers.challenge import is_challenge_page

OK = "ok"
BLOCKED = "blocked"
LAYOUT_CHANGED = "layout_changed"
FETCH_FAILED = "fetch_failed"
TOO_LARGE = "too_large"
TOO_SLOW = "too_slow"
ERROR = "error"
#: A way that was not tried (no browser installed, robots.txt disallows it); never stored.
SKIPPED = "skipped"

#: When every way failed, the observation takes the outcome of the way that got furthest: a page
#: that came and could not be read says more than a refusal, a refusal more than a timeout.
RANK = {ERROR: 6, LAYOUT_CHANGED: 5, BLOCKED: 4, TOO_LARGE: 3, TOO_SLOW: 2, FETCH_FAILED: 1, SKIPPED: 0}

#: A ParseError message for a challenge page: "blocked: ..." (ParseError's str may prefix the provider).
_BLOCKED = re.compile(r"^(?:[\w-]+: )?blocked:")

#: Statuses a challenge or anti-bot refusal comes with.
REFUSAL_STATUSES = frozenset({401, 403, 429, 503})


def challenge(text: str) -> str | None:
    """Why ``text`` is a bot-challenge page (e.g. "Cloudflare challenge"), or None."""
    return is_challenge_page(text)


def parse_error_outcome(message: str, body_text: str) -> str:
    """The outcome of a page that came but gave no prices: ``blocked`` for a challenge page (the
    parsers say so with a "blocked:" message), else ``layout_changed``."""
    if _BLOCKED.match(message) or challenge(body_text):
        return BLOCKED
    return LAYOUT_CHANGED
