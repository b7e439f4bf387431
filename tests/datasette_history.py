"""A small real history for the Datasette tests: fixture pages parsed and recorded as scrapes.

DeepSeek (English page authoritative for USD, zh-cn for CNY) from the 2024 promo to the 2026
peak / off-peak structure, and Mistral's 2024 docs (USD and EUR), recorded through the db
module's own functions and rebuilt, so the browser sees exactly what ``ratecard scrape`` stores.
"""

from __future__ import annotations

from pathlib import Path

from db.history import rebuild
from db.observe import record_observation
from db.schema import open_db
from parsers import deepseek, mistral, registry
from parsers.quote import parse_utc

FIXTURES = Path(__file__).parent / "fixtures"

#: (provider module, source id, fixture page, observed at)
PAGES = (
    (mistral, "mistral-pricing", "mistral/docs-2024-03.md", "2024-03-01T00:00:00Z"),
    (mistral, "mistral-pricing", "mistral/pricing-2024-11.html", "2024-11-20T00:00:00Z"),
    # db.guard holds a page that drops over half its prices until the next healthy night confirms it.
    (mistral, "mistral-pricing", "mistral/pricing-2024-11.html", "2024-11-21T00:00:00Z"),
    (deepseek, "deepseek-en", "deepseek/2024-12-28-promo.en.html", "2025-01-01T00:00:00Z"),
    (deepseek, "deepseek-en", "deepseek/2025-01-23-reasoner.en.html", "2025-01-24T00:00:00Z"),
    (deepseek, "deepseek-en", "deepseek/2025-02-20-full-price.en.md", "2025-02-20T00:00:00Z"),
    (deepseek, "deepseek-en", "deepseek/2025-02-26-off-peak.en.html", "2025-02-27T00:00:00Z"),
    (deepseek, "deepseek-zh-cn", "deepseek/2025-02-26-off-peak.zh-cn.md", "2025-02-27T00:00:00Z"),
    # Seen unchanged the day before: the V3.2 cut lies in (2025-09-29 00:00, 2025-09-30 00:00).
    (deepseek, "deepseek-en", "deepseek/2025-02-26-off-peak.en.html", "2025-09-29T00:00:00Z"),
    (deepseek, "deepseek-en", "deepseek/2025-09-29-v32.en.md", "2025-09-30T00:00:00Z"),
    (deepseek, "deepseek-en", "deepseek/2026-08-14-announced.en.md", "2026-08-14T00:00:00Z"),
    (deepseek, "deepseek-zh-cn", "deepseek/2026-08-14-announced.zh-cn.md", "2026-08-14T00:00:00Z"),
    (deepseek, "deepseek-en", "deepseek/2026-08-17-peak.en.html", "2026-08-17T12:00:00Z"),
    (deepseek, "deepseek-zh-cn", "deepseek/2026-08-17-peak.zh-cn.md", "2026-08-17T12:00:00Z"),
)


def build_history(path: Path) -> Path:
    """Record every fixture page as a healthy observation, rebuild, and return ``path``."""
    db = open_db(path)
    try:
        for module, source_id, page, at in PAGES:
            source = next(s for s in module.SOURCES if s.id == source_id)
            text = (FIXTURES / page).read_text(encoding="utf-8")
            quotes = registry.parse(module.PROVIDER, text, source.url)
            record_observation(db, source, parse_utc(at), 200, text.encode("utf-8"), quotes, None,
                               module.PARSER_VERSION)
        rebuild(db)
    finally:
        db.close()
    return path
