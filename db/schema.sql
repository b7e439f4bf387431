-- ratecard history database.  The first four tables are the observation log (the truth); the
-- last four are derived from it by db.derive.derive_history and can be rebuilt at any time.
-- Money is stored twice: exact decimal text (the truth) and a REAL copy for sorting in Datasette.
-- Instants are ISO 8601 UTC text with a Z (parsers.quote.iso_utc), so text order is time order.

CREATE TABLE IF NOT EXISTS sources (
    id TEXT PRIMARY KEY,                 -- e.g. deepseek-en
    provider TEXT NOT NULL,
    url TEXT NOT NULL,
    currencies TEXT NOT NULL DEFAULT ''  -- comma-separated currencies this page is authoritative for
);

-- Bodies and quote sets are stored as zstd deltas: each version compressed with the version it is
-- based on (the previous one of the same source) as dictionary; a chain is at most 16 long
-- (db.observe.KEYFRAME_EVERY).  Rows of older databases keep their codec (zlib, json).
CREATE TABLE IF NOT EXISTS bodies (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,           -- sha256 of the raw body
    size INTEGER NOT NULL,               -- raw length in bytes
    body BLOB NOT NULL,                  -- the raw body, compressed as codec says
    codec TEXT NOT NULL DEFAULT 'zlib',  -- zstd (with base_id: a delta against that body) | zlib
    base_id INTEGER REFERENCES bodies(id),
    depth INTEGER NOT NULL DEFAULT 0     -- deltas between this body and a self-contained one
);

CREATE TABLE IF NOT EXISTS quote_sets (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,           -- sha256 of the canonical JSON (parsers.quote.quotes_to_json)
    quote_count INTEGER NOT NULL,
    quotes TEXT NOT NULL,                -- that JSON: as text (codec json) or a zstd blob (codec zstd)
    codec TEXT NOT NULL DEFAULT 'json',  -- zstd (with base_id: a delta against that set) | json
    base_id INTEGER REFERENCES quote_sets(id),
    depth INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS observations (
    id INTEGER PRIMARY KEY,
    source_id TEXT NOT NULL REFERENCES sources(id),
    url TEXT NOT NULL,                   -- the URL actually fetched (a mirror's, if any)
    observed_at TEXT NOT NULL,
    status INTEGER,                      -- HTTP status; NULL when no response came
    body_id INTEGER REFERENCES bodies(id),
    etag TEXT,
    last_modified TEXT,
    parser_version TEXT,
    -- ok: quotes read | blocked: a challenge page or a refusal | layout_changed: the page came but its
    -- pricing structure is gone | fetch_failed: network, 5xx, timeout, truncated | too_large / too_slow:
    -- a fetch limit stopped it | error: any other failure.  Only ok observations make history.
    outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'blocked', 'layout_changed', 'fetch_failed',
                                             'too_large', 'too_slow', 'error')),
    error TEXT,
    quote_set_id INTEGER REFERENCES quote_sets(id),
    archive INTEGER NOT NULL DEFAULT 0,  -- 1: recorded from an archive (backfill), not fetched live
    warnings TEXT,                       -- JSON list of what the parser skipped ({where, text, reason}); NULL: none
    way TEXT                             -- how the page was got: http | markdown | browser | archive | git | ...
);
CREATE INDEX IF NOT EXISTS observations_by_source ON observations(source_id, observed_at);

CREATE TABLE IF NOT EXISTS prices (
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    component TEXT NOT NULL,
    tier TEXT NOT NULL,
    currency TEXT NOT NULL,
    "window" TEXT NOT NULL DEFAULT '',   -- when a time-of-day tier applies, in UTC; '' = always
    price TEXT NOT NULL,                 -- per 1M tokens, exact decimal text
    price_num REAL NOT NULL,
    list_price TEXT,                     -- struck list price shown beside a promo price
    list_price_num REAL,
    promo_until TEXT,
    valid_from TEXT NOT NULL,
    valid_to TEXT,                       -- NULL: still in force
    from_basis TEXT NOT NULL,            -- announced | observed | first_observed
    to_basis TEXT,                       -- announced | observed | NULL
    valid_from_after TEXT,               -- from_basis observed: the start lies in (valid_from_after, valid_from]
    first_observed_at TEXT,              -- first and last observation that showed this version
    last_observed_at TEXT,
    status TEXT NOT NULL,                -- confirmed (an observation showed it) | scheduled (announced only)
    source_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS prices_lookup ON prices(provider, model, valid_from);

CREATE TABLE IF NOT EXISTS changes (
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    component TEXT NOT NULL,
    tier TEXT NOT NULL,
    currency TEXT NOT NULL,
    kind TEXT NOT NULL,                  -- cut | increase | added | removed | promo_start | promo_end | terms
    old_price TEXT,
    new_price TEXT,
    old_price_num REAL,
    new_price_num REAL,
    old_list_price TEXT,
    new_list_price TEXT,
    old_window TEXT,
    new_window TEXT,
    percent_change TEXT,                 -- (new - old) / old * 100, two decimals
    effective_at TEXT NOT NULL,
    basis TEXT NOT NULL,                 -- announced | observed
    observed_after TEXT,                 -- last observation with the old price
    observed_at TEXT,                    -- first observation with the new one (NULL: scheduled)
    status TEXT NOT NULL,                -- confirmed | scheduled
    source_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_by_time ON changes(provider, effective_at);

CREATE TABLE IF NOT EXISTS announcements (
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    component TEXT NOT NULL,
    tier TEXT NOT NULL,
    currency TEXT NOT NULL,
    "window" TEXT,
    price TEXT,                          -- NULL: the announcement removes this price
    list_price TEXT,
    effective_at TEXT NOT NULL,
    announced_at TEXT NOT NULL,          -- first and last observation that showed the announcement
    last_announced_at TEXT NOT NULL,
    status TEXT NOT NULL,                -- scheduled | confirmed | did_not_happen | withdrawn
    resolved_at TEXT,                    -- the observation that confirmed, contradicted or dropped it
    source_id TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS disagreements (
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    component TEXT NOT NULL,
    tier TEXT NOT NULL,
    currency TEXT NOT NULL,
    source_id TEXT NOT NULL,             -- the page showing the currency in a tab
    authority_id TEXT NOT NULL,          -- the page authoritative for that currency
    shown_price TEXT NOT NULL,
    shown_list_price TEXT,
    expected_price TEXT,                 -- NULL: the authoritative page does not list it
    expected_list_price TEXT,
    first_observed_at TEXT NOT NULL,
    last_observed_at TEXT NOT NULL
);
