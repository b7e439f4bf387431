"""Bot-challenge pages are recognised (so a fetch is recorded as blocked), priced pages never are."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers import challenge, gemini, openai
from parsers.quote import ParseError

FIXTURES = Path(__file__).parent / "fixtures" / "challenge"
REAL_PAGES = Path(__file__).resolve().parents[2] / "shared" / "real-pages"


@pytest.mark.parametrize(("name", "marker"), [
    ("cloudflare-managed.html", "Cloudflare challenge (_cf_chl_opt)"),
    ("cloudflare-jina.md", "Cloudflare 'Just a moment...' title (reader copy)"),
    ("vercel-checkpoint.html", "Vercel Security Checkpoint"),
    ("akamai-denied.html", "Akamai 'Access Denied' page (edgesuite reference)"),
    ("perimeterx.html", "PerimeterX captcha (px-captcha)"),
    ("datadome.html", "DataDome captcha (captcha-delivery.com)"),
])
def test_each_vendor_interstitial_is_named(name: str, marker: str) -> None:
    assert challenge.is_challenge_page((FIXTURES / name).read_text(encoding="utf-8")) == marker


def test_a_priced_page_carrying_bot_management_scripts_is_not_a_challenge() -> None:
    """Cloudflare's JSD script and DataDome's tag are injected into ordinary pages too."""
    page = (FIXTURES / "priced-page-with-bot-scripts.html").read_text(encoding="utf-8")
    assert "challenge-platform" in page and "datadome" in page
    assert challenge.is_challenge_page(page) is None
    assert [(q.model, q.component, str(q.price)) for q in openai.parse(page)] == [
        ("example-1", "input", "1.00"), ("example-1", "input_cache_hit", "0.10"), ("example-1", "output", "4.00")]


def test_a_large_page_is_never_a_challenge_page() -> None:
    small = (FIXTURES / "cloudflare-managed.html").read_text(encoding="utf-8")
    big = small.replace("</body>", "<p>" + "x" * challenge.MAX_CHALLENGE_CHARS + "</p></body>")
    assert challenge.is_challenge_page(big) is None
    assert challenge.is_challenge_page("") is None


@pytest.mark.parametrize("parser", [openai, gemini])
@pytest.mark.parametrize("name", ["cloudflare-managed.html", "cloudflare-jina.md", "akamai-denied.html"])
def test_parsers_raise_a_blocked_parse_error(parser, name: str) -> None:
    with pytest.raises(ParseError) as err:
        parser.read((FIXTURES / name).read_text(encoding="utf-8"), "https://example.test/pricing")
    message = str(err.value)
    assert message.startswith(f"{parser.PROVIDER}: blocked: the body is a bot-challenge/interstitial page (")
    assert "it holds no prices" in message


REAL_CHALLENGE = REAL_PAGES / "openai" / "2026-05-08-d1507e1-quill-router-pricing-botchallenge.html"


@pytest.mark.skipif(not REAL_PAGES.is_dir(), reason=f"{REAL_PAGES} not present")
def test_only_the_real_challenge_capture_is_a_challenge_page() -> None:
    found = {p.name: challenge.is_challenge_page(p.read_text(encoding="utf-8", errors="replace"))
             for p in sorted(REAL_PAGES.rglob("*")) if p.is_file() and p.name != "SOURCES.md"}
    assert {name: marker for name, marker in found.items() if marker} == {
        REAL_CHALLENGE.name: "Cloudflare challenge (_cf_chl_opt)"}


def test_is_blocked_error_tells_a_challenge_from_a_layout_change() -> None:
    with pytest.raises(ParseError) as blocked:
        openai.read((FIXTURES / "cloudflare-managed.html").read_text(encoding="utf-8"))
    with pytest.raises(ParseError) as layout:
        openai.read("<html><body><h1>Pricing</h1><p>Moved.</p></body></html>")
    assert challenge.is_blocked_error(blocked.value)
    assert not challenge.is_blocked_error(layout.value)
    # without a provider prefix (a fetch helper's own error), the message itself is checked
    assert challenge.is_blocked_error(ValueError(challenge.blocked_message("Vercel Security Checkpoint")))
    assert not challenge.is_blocked_error(ValueError("openai: blocked: a provider prefix without a provider"))
