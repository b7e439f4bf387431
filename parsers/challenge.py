"""Bot-challenge and interstitial pages: what a fetch got instead of the pricing page.

A plain HTTP fetch of a page behind Cloudflare, Vercel, Akamai, PerimeterX, DataDome, AWS WAF or
Sucuri can return a small page that only asks the browser to run a script, solve a captcha or wait
("Just a moment...").  It has no prices and says nothing about the pricing page's layout, so it
must be reported as *blocked* (try another way to fetch), never as "the layout changed".

:func:`is_challenge_page` is pure and cheap (literal substring searches on at most the first
``SCAN_CHARS`` characters), so the fetch helpers can call it on every body and every parser can
call it before reading a page.  It works on raw HTML and on reader Markdown of such a page (a Jina
copy keeps the title "Just a moment..." and the visible sentences).

Only *decisive* markers count.  Cloudflare's bot-management script (``/cdn-cgi/challenge-platform/
.../jsd/...``, ``__CF$cv$params``) and vendors' tag scripts (``js.datadome.co``, ``_abck``) are also
injected into ordinary, priced pages, so on their own they prove nothing and are not markers.  A
challenge page is small: a body larger than ``MAX_CHALLENGE_CHARS`` is never reported as one, so
a 2 MB docs page that happens to quote a marker in a script is read as the page it is.
"""

from __future__ import annotations

#: Challenge interstitials seen in the wild are 2-60 KB; real docs pages are 100 KB to 2 MB.
MAX_CHALLENGE_CHARS = 300_000
#: How much of the page is searched: markers sit in the <head>/<title> or the short body.
SCAN_CHARS = 120_000

#: (marker as it appears in the page, lower case; what it is).  Order: most specific first.
MARKERS: tuple[tuple[str, str], ...] = (
    # Cloudflare managed challenge / JS challenge / block page.
    ("window._cf_chl_opt", "Cloudflare challenge (_cf_chl_opt)"),
    ("__cf_chl_", "Cloudflare challenge token (__cf_chl_)"),
    ("cf-chl-", "Cloudflare challenge element (cf-chl-)"),
    ("/cdn-cgi/challenge-platform/h/g/orchestrate/", "Cloudflare challenge orchestrator"),
    ("id=\"challenge-error-text\"", "Cloudflare challenge error text"),
    ("enable javascript and cookies to continue", "'Enable JavaScript and cookies to continue'"),
    ("<title>just a moment...</title>", "Cloudflare 'Just a moment...' title"),
    ("title: just a moment...", "Cloudflare 'Just a moment...' title (reader copy)"),
    ("checking your browser before accessing", "'Checking your browser before accessing'"),
    ("needs to review the security of your connection before proceeding",
     "Cloudflare 'review the security of your connection'"),
    ("verifying you are human", "'Verifying you are human'"),
    ("cf-browser-verification", "Cloudflare browser verification"),
    ("attention required! | cloudflare", "Cloudflare 'Attention Required!' block page"),
    ("sorry, you have been blocked", "Cloudflare 'Sorry, you have been blocked'"),
    # Vercel.
    ("vercel security checkpoint", "Vercel Security Checkpoint"),
    ("/.well-known/vercel/security/", "Vercel security challenge"),
    # Akamai.
    ("bm-verify", "Akamai Bot Manager verification (bm-verify)"),
    ("powered and protected by akamai", "Akamai interstitial"),
    ("errors.edgesuite.net", "Akamai 'Access Denied' page (edgesuite reference)"),
    ("errors&#46;edgesuite&#46;net", "Akamai 'Access Denied' page (edgesuite reference)"),
    # PerimeterX / HUMAN.
    ("px-captcha", "PerimeterX captcha (px-captcha)"),
    ("_pxcaptcha", "PerimeterX captcha"),
    ("press & hold to confirm you are", "PerimeterX 'Press & Hold'"),
    # DataDome.
    ("captcha-delivery.com", "DataDome captcha (captcha-delivery.com)"),
    # AWS WAF.
    ("awswafintegration", "AWS WAF challenge (AwsWafIntegration)"),
    # Sucuri.
    ("sucuri website firewall", "Sucuri WebSite Firewall"),
    # Generic captcha walls (only decisive together with the small size of the page).
    ("please verify you are a human", "'Please verify you are a human'"),
    ("are you a robot?", "'Are you a robot?'"),
)


def is_challenge_page(text: str) -> str | None:
    """The first decisive bot-challenge marker found in ``text``, or None for any other page."""
    if not text or len(text) > MAX_CHALLENGE_CHARS:
        return None
    head = text[:SCAN_CHARS].lower()
    for marker, what in MARKERS:
        if marker in head:
            return what
    return None


def blocked_message(marker: str) -> str:
    """The ParseError message for a challenge page: it starts with ``blocked:`` so the scraper can
    record the observation as ``blocked`` rather than ``layout_changed``."""
    return (f"{BLOCKED_PREFIX} the body is a bot-challenge/interstitial page ({marker}), not the pricing page: "
            "it holds no prices")


#: What :func:`blocked_message` starts with.
BLOCKED_PREFIX = "blocked:"


def is_blocked_error(exc: Exception) -> bool:
    """Whether a parser's ParseError says the body was a challenge page (outcome ``blocked``).

    ``ParseError`` prefixes its message with the provider id (``openai: blocked: ...``); this is
    the one place that knows that shape, so the scraper need not.
    """
    provider = getattr(exc, "provider", None)
    text = str(exc)
    if provider and text.startswith(f"{provider}: "):
        text = text[len(provider) + 2:]
    return text.startswith(BLOCKED_PREFIX)
