"""The pricing of usage rows as one SQL query over two tables, ``usage`` and ``rates``.

The same text prices a file in ratecard's DuckDB engine (``db.reprice.engine``) and a warehouse
table on Spark (``ratecard sql --dialect spark``), so both give the row pricer's costs to the
last unit: every rule of ``db.reprice.pricer``'s docstring is a join or a CASE here, over the
rate table of ``db.reprice.rates`` (which already holds the long-context bands, the billed
context tiers, the aliases over time, the early placement of uncertain changes, and the
windows).  Money stays integer (units of 10^-(6 + scale) of the currency) until the last column,
which is a DECIMAL made from those integers' digits: no float ever touches it.

Per usage row the query returns the row's own columns and: ``priced_provider_id``/
``priced_model_id``, ``unpriced_field`` (NULL when priced; else ``provider``, ``model``,
``tier``, ``time`` or the component with tokens and no rate), ``cost_units``, ``lowest_units``
(set for a whole-day row whose day had a lower rate, and for a row in an uncertain window),
``priced_whole_day``, ``uncertain`` (a change of unknown instant may apply: ``changed_after_us``,
``changed_by_us``, ``units_before_change``, ``units_after_change``), and per component its
tokens, rate (units, the rate row's ``ordinal`` and the component it was taken from) and cost
units; with ``texts`` also each rate's price text, tier and promo flag (and ``cost`` as DECIMAL
with ``scale``).

**One query, shaped by the data, never a second path.**  :class:`Shape` says which parts a
given file needs: rows given as whole days (an aggregate over the day's rates), rows that may
fall inside the window of a change of unknown instant (the early placement), per-row outputs
(line numbers).  A part the file cannot reach is left out of the text, so a plain file of
instants is one hash join of the usage with the rate table; a file that reaches every part runs
all of them.  The rules are the same text either way (tests price every shape against the row
pricer), and ``ratecard sql`` prints the query with every part.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from db.reprice.rates import EPOCH_MONDAY_MINUTES, WEEK_MINUTES, micros
from db.reprice.usage import TOKEN_COMPONENTS

DAY_US = 86_400_000_000
MINUTE_US = 60_000_000
#: Dated snapshot ids (the pricer's ``_SNAPSHOT_RE``, without backslashes for Spark's literals).
SNAPSHOT = "^(.+?)-(?:[0-9]{8}|[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4})$"
#: ``--as`` bills a component without a price at the next rate (the pricer's ``_substitute``).
FALLBACK = {"input_cache_write_1h": ("input_cache_write", "input"), "input_cache_write": ("input",),
            "input_cache_hit": ("input",)}
DIALECTS = ("duckdb", "spark")
#: What a rate row of an alias says (``db.reprice.rates.alias_rows``), carried to the output.
ALIASED = ("priced_as", "alias_resolve", "alias_note")


@dataclass(frozen=True)
class Placement:
    """``reprice --at``: None, an instant (every row there) or a date (each row's time of day)."""

    instant_us: int | None = None
    date_us: int | None = None


@dataclass(frozen=True)
class Shape:
    """The parts of the query a usage file needs (all of them when nothing is known of it).

    ``days``: some row is priced as a whole day; ``windows``: some row may meet the window of a
    change of unknown instant; ``keys``: a table of the file's distinct (provider_id, model_id,
    tier) (the engine's first pass found them; None: the query finds them itself)."""

    days: bool = True
    windows: bool = True
    keys: str | None = None

    @property
    def rereads_rows(self) -> bool:
        """Whether several parts of the query read the usage rows (whole days, uncertain
        windows): it holds them once, so a run of them takes twice the memory."""
        return self.days or self.windows


EVERY_PART = Shape()


def placement(at) -> Placement:
    """From the pricer's ``When`` (or a datetime, an instant)."""
    if at is None:
        return Placement()
    if isinstance(at, datetime):
        return Placement(instant_us=micros(at))
    return Placement(date_us=micros(at.start)) if at.whole_day else Placement(instant_us=micros(at.start))


class _Dialect:
    def __init__(self, name: str) -> None:
        if name not in DIALECTS:
            raise ValueError(f"unknown SQL dialect {name!r} (known: {', '.join(DIALECTS)})")
        self.name = name
        self.spark = name == "spark"

    @property
    def materialized(self) -> str:
        """DuckDB computes a CTE used several times once when told so; Spark decides itself."""
        return "" if self.spark else "MATERIALIZED "

    def div(self, a: str, b: str) -> str:
        return f"(({a}) div {b})" if self.spark else f"(({a}) // {b})"

    def mod(self, a: str, b: str) -> str:
        return f"pmod({a}, {b})" if self.spark else f"((({a}) % {b} + {b}) % {b})"

    def key(self, *parts: str) -> str:
        return f"struct({', '.join(parts)})" if self.spark else f"[{', '.join(parts)}]"

    def full_match(self, text: str, pattern: str) -> str:
        return f"({text} RLIKE '^{pattern}$')" if self.spark else f"regexp_full_match({text}, '{pattern}')"

    def epoch_us(self, text: str) -> str:
        return (f"unix_micros(CAST({text} AS TIMESTAMP))" if self.spark
                else f"epoch_us(CAST({text} AS TIMESTAMPTZ))")

    def row_id(self) -> str:
        return "monotonically_increasing_id()" if self.spark else "row_number() OVER ()"

    def whole_row(self, alias: str) -> str:
        """The row of table ``alias`` as one struct (its columns, by name)."""
        return f"struct({alias}.*)" if self.spark else alias


#: The usage table's alias in the query, and the struct that carries its row to the last SELECT
#: (names no usage table is expected to have as a column).
USAGE_ALIAS, USAGE_ROW = "ratecard_usage", "ratecard_usage_row"
#: The columns of each priced row, the query's without ``texts`` (the engine's ``priced``): no
#: rate texts, which the writers look up by the rate's ordinal once the rows are in line order.
PRICED_COLUMNS = ("line", "start_us", "whole_day", "provider_id", "model_id", "tier", "context",
                  "priced_provider_id", "priced_model_id", "priced_whole_day", "priced_at_us", "unpriced_field",
                  "early_unpriced", "cost_units", "lowest_units", "uncertain", "changed_after_us", "changed_by_us",
                  "units_before_change", "units_after_change", "row_note", "alias_note_text", "switched_from",
                  "switched_to", "after_last_seen", "last_seen_us",
                  "removed_us", "whole_day_context", "day_lowest",
                  *(f"{c}_billed_as" for c in ("input_cache_write_1h", "input_cache_write", "input_cache_hit")),
                  *(f"{c}_{part}" for c in TOKEN_COMPONENTS
                    for part in ("tokens", "rate_units", "rate_ord", "rate_src", "cost_units")))
#: What the printed query (``texts``) returns after the usage table's own columns: the priced
#: columns but the line and tokens (the usage's own), then each priced component's price text,
#: tier and promo, and the exact costs.
EXPORTED_COLUMNS = tuple(c for c in PRICED_COLUMNS if c != "line" and not c.endswith("_tokens"))


#: The canonical usage columns a table may lack (``ratecard sql --missing``): each taken as
#: empty (no service tier: standard; no tokens: none).
OPTIONAL_USAGE_COLUMNS = ("service_tier", *(f"{c}_tokens" for c in TOKEN_COMPONENTS))


def not_optional(names) -> list[str]:
    """Those of ``names`` that are no ``OPTIONAL_USAGE_COLUMNS``, sorted."""
    return sorted(set(names) - set(OPTIONAL_USAGE_COLUMNS))


def canonical_usage(dialect: str = "duckdb", source: str = "usage", context_window: bool = False,
                    missing: frozenset[str] = frozenset(), provider: str = "") -> str:
    """The canonical usage table (``time`` as ISO 8601 text, or typed TIMESTAMP / DATE;
    ``provider``, ``model``, ``service_tier``, token columns as text or integers) as the typed
    rows the pricing query reads.  ``context_window``: the table also has the column
    ``context_window``, the context tier an export says a row was billed at (``0-200k``,
    ``200k-1M``; see :func:`context_window_sql`).  ``missing``: the ``OPTIONAL_USAGE_COLUMNS``
    the table does not have, taken as empty.  ``provider``: every row's provider, for a table
    without a ``provider`` column (one provider's export)."""
    d = _Dialect(dialect)
    unknown = not_optional(missing)
    if unknown:
        raise ValueError(f"not an optional usage column: {', '.join(unknown)}")
    tokens = ",\n    ".join(f"CAST(0 AS BIGINT) AS t_{c}" if f"{c}_tokens" in missing
                             else f"coalesce(CAST({c}_tokens AS BIGINT), 0) AS t_{c}" for c in TOKEN_COMPONENTS)
    tier = ("'standard'" if "service_tier" in missing else
            "CASE WHEN lower(trim(coalesce(service_tier, ''))) IN ('', 'default', 'auto') THEN 'standard'\n"
            "         ELSE lower(trim(service_tier)) END")
    context = context_window_sql(dialect) if context_window else "''"
    # a warehouse's ``time`` may be typed (TIMESTAMP, DATE): read as its text in the session's
    # zone (UTC), a date alone being the whole day, as a CSV's text is
    time = "trim(CAST(time AS STRING))"
    # the usage row's own columns travel as one struct, set out again by the last SELECT
    # (``EXPORTED_COLUMNS``): beside the query's working columns they were 184 columns, two of
    # each token column, which Spark refuses to write ("column input_tokens already exists")
    return f"""SELECT {d.whole_row(USAGE_ALIAS)} AS {USAGE_ROW}, {d.row_id()} AS row_id,
    {d.full_match(time, "[0-9]{4}-[0-9]{2}-[0-9]{2}")} AS whole_day,
    {d.epoch_us(time)} AS start_us,
    {literal(provider.strip().lower()) if provider else "lower(trim(provider))"} AS provider_id, trim(model) AS model_id,
    {tier} AS tier,
    {context} AS context,
    {tokens}
  FROM {source} {USAGE_ALIAS}"""


#: A billed context window's text (``db.reprice.usage._CONTEXT_BOUNDS``, lower case, trimmed;
#: at most 12 digits, so that its number is a BIGINT).
CONTEXT_WINDOW = "[0-9]{1,12} *[km]? *(-|to) *[0-9]+ *[km]?"
#: ``context`` of a row whose billed context window is not one: unpriced on ``context_window``.
BAD_CONTEXT = "?"


def context_window_sql(dialect: str = "duckdb", column: str = "context_window") -> str:
    """The pricer's context tier of a billed context window, as the row reader reads it
    (``db.reprice.usage._context``): empty = decided by the prompt's size, a window from 0 =
    ``standard``, from 200k = ``context>200k``; a cell that is no window, or starts past whole
    thousands, is ``BAD_CONTEXT`` (the row reader's error; in SQL the row is left unpriced on
    ``context_window``, the rest of the table priced)."""
    d = _Dialect(dialect)
    text = f"lower(trim(coalesce({column}, '')))"
    low = (f"(CAST(regexp_extract({text}, '^([0-9]+)', 1) AS BIGINT) * CASE regexp_extract({text},"
           f" '^[0-9]+ *([km]?)', 1) WHEN 'k' THEN 1000 WHEN 'm' THEN 1000000 ELSE 1 END)")
    return (f"CASE WHEN {text} = '' THEN '' WHEN NOT {d.full_match(text, CONTEXT_WINDOW)} THEN '{BAD_CONTEXT}'"
            f" WHEN {low} = 0 THEN 'standard' WHEN {d.mod(low, '1000')} <> 0 THEN '{BAD_CONTEXT}'"
            f" ELSE concat('context>', CAST({d.div(low, '1000')} AS STRING), 'k') END")


def rate_tier_sql(tier: str = "tier", context: str = "context") -> str:
    """The rate table's ``tier`` a usage row takes: its service tier, or the context tier its
    export says it was billed at (``context>200k``; with a service tier, that tier's own for the
    size, ``batch context>200k``: a pair the history lacks leaves the row unpriced on ``tier``,
    as in the row pricer)."""
    return (f"CASE WHEN {context} LIKE 'context>%' THEN CASE WHEN {tier} = 'standard' THEN {context}"
            f" ELSE concat({tier}, ' ', {context}) END ELSE {tier} END")


def pricing_sql(dialect: str = "duckdb", *, usage: str | None = None, rates: str = "rates",
                at: Placement = Placement(), target: tuple[str, str] | None = None,
                scale: int | None = None, shape: Shape = EVERY_PART, texts: bool = True,
                prompt: str | None = None) -> str:
    """The query: ``usage`` rows (typed, from :func:`canonical_usage`, or the canonical table when
    ``usage`` is None), each priced on ``rates``.  ``shape``: the parts the usage needs (see
    :class:`Shape`).  ``texts``: the query ``ratecard sql`` prints, over a usage table read by
    :func:`canonical_usage`: each row is the usage row's own columns, then ``EXPORTED_COLUMNS``,
    each rate's price text, tier and promo (joined by ordinal) and, with ``scale``,
    ``cost``/``lowest_cost`` as DECIMAL(38, 6 + scale).  Without: the engine's priced columns.
    ``prompt``: a usage column holding the prompt size the context tiers are chosen by, when a
    row's input tokens are not it (a group of rows: ``db.reprice.grouped``)."""
    d = _Dialect(dialect)
    substitute = target is not None
    typed = f"SELECT * FROM {usage}" if usage is not None else canonical_usage(dialect)
    prompt = prompt or " + ".join(f"t_{c}" for c in TOKEN_COMPONENTS[:4])
    if at.instant_us is not None:
        p_us, p_day = str(at.instant_us), "false"
    elif at.date_us is not None:
        p_us = f"CASE WHEN whole_day THEN {at.date_us} ELSE {at.date_us} + {d.mod('start_us', str(DAY_US))} END"
        p_day = "whole_day"
    else:
        p_us, p_day = "start_us", "whole_day"
    mow = d.mod(f"{d.div('p_us', str(MINUTE_US))} - {EPOCH_MONDAY_MINUTES}", str(WEEK_MINUTES))
    keyset = (f"SELECT provider_id, model_id, rate_tier FROM {shape.keys}" if shape.keys
              else "SELECT DISTINCT provider_id, model_id, rate_tier FROM placed")
    if target is not None:
        provider, model = (literal(v) for v in target)
        named = f"""named AS (
  SELECT provider_id, model_id, rate_tier, {provider} AS priced_provider, {model} AS priced_model,
         CAST(NULL AS STRING) AS resolve_note FROM ({keyset}) k)"""
    else:
        named = f"""known AS (SELECT DISTINCT provider, model FROM {rates} WHERE book = 'late' AND tier = 'standard'),
folded AS (SELECT provider, lower(model) AS folded, max(model) AS model FROM known GROUP BY provider, lower(model)),
pairs AS (SELECT provider_id, model_id, rate_tier, regexp_extract(model_id, '{SNAPSHOT}', 1) AS base
          FROM ({keyset}) k),
named AS (
  SELECT pr.provider_id, pr.model_id, pr.rate_tier, pr.provider_id AS priced_provider,
         coalesce(e.model, f.model, se.model, sf.model) AS priced_model,
         CASE WHEN e.model IS NULL AND f.model IS NULL AND coalesce(se.model, sf.model) IS NOT NULL
              THEN concat(pr.model_id, ' priced as ', coalesce(se.model, sf.model),
                          ': the history has no price for the snapshot id itself') END AS resolve_note
  FROM pairs pr
  LEFT JOIN known e ON e.provider = pr.provider_id AND e.model = pr.model_id
  LEFT JOIN folded f ON f.provider = pr.provider_id AND f.folded = lower(pr.model_id)
  LEFT JOIN known se ON se.provider = pr.provider_id AND se.model = pr.base
  LEFT JOIN folded sf ON sf.provider = pr.provider_id AND sf.folded = lower(pr.base))"""
    resolved = f"""resolved AS (
  SELECT n.*, kp.provider IS NOT NULL AS known_provider, st.tier IS NOT NULL AS has_tier,
         cm.model IS NOT NULL AS context_model
  FROM named n
  LEFT JOIN (SELECT DISTINCT provider FROM {rates} WHERE book = 'late' AND tier = 'standard') kp
    ON kp.provider = n.provider_id
  LEFT JOIN (SELECT DISTINCT provider, model, tier FROM {rates} WHERE book = 'late') st
    ON st.provider = n.priced_provider AND st.model = n.priced_model AND st.tier = n.rate_tier
  LEFT JOIN (SELECT DISTINCT provider, model FROM {rates} WHERE book = 'late' AND tier = 'standard'
             AND min_prompt > 0) cm
    ON cm.provider = n.priced_provider AND cm.model = n.priced_model)"""
    shared = shape.rereads_rows  # urows is read more than once: compute it once
    parts = [f"u AS ({typed})",
             f"""placed AS (
  SELECT u.*, {p_us} AS p_us, {p_day} AS p_day,
         CASE WHEN context = 'standard' THEN 0 ELSE {prompt} END AS prompt, {rate_tier_sql()} AS rate_tier
  FROM u)""",
             named, resolved,
             f"""urows AS {d.materialized if shared else ''}(
  SELECT p.*, rs.priced_provider, rs.priced_model, rs.resolve_note, rs.known_provider, rs.has_tier,
         rs.context_model, {mow} AS mow
  FROM placed p JOIN resolved rs
    ON rs.provider_id = p.provider_id AND rs.model_id = p.model_id AND rs.rate_tier = p.rate_tier)"""]
    parts += _book_sql(d, "l", "late", "urows", rates, shape.days, substitute)
    if shape.windows:
        parts.append(f"""uwin AS (
  SELECT r.row_id, min_by(w.valid_from_us, {d.key('w.valid_from_us', 'w.valid_to_us')}) AS changed_after_us,
         min_by(w.valid_to_us, {d.key('w.valid_from_us', 'w.valid_to_us')}) AS changed_by_us,
         min_by(w.switch_from, {d.key('w.valid_from_us', 'w.valid_to_us')}) AS switch_from,
         min_by(w.switch_to, {d.key('w.valid_from_us', 'w.valid_to_us')}) AS switch_to
  FROM urows r JOIN {rates} w ON {_in_window('r')}
  GROUP BY r.row_id)""")
        if d.spark:  # the rows inside a window, found by a (broadcast) semi join: the usage is not shuffled
            parts.append(f"""urows_w AS (SELECT r.* FROM urows r LEFT SEMI JOIN {rates} w ON {_in_window('r')})""")
        else:
            parts.append("""urows_w AS (SELECT x.* FROM urows x JOIN uwin w ON w.row_id = x.row_id)""")
        parts += _book_sql(d, "e", "early", "urows_w", rates, shape.days, substitute)
    return "WITH " + ",\n".join(parts) + "\n" + _final(d, rates, scale, substitute, shape.windows, texts)


def _in_window(rows: str) -> str:
    """The join condition of a row (alias ``rows``) and a window of a change of unknown instant
    (alias ``w`` of the rate table) that its time (or its whole day) meets."""
    r = rows
    return (f"w.book = 'window' AND w.provider = {r}.priced_provider AND w.model = {r}.priced_model"
            f"\n   AND w.valid_from_us < CASE WHEN {r}.p_day THEN {r}.p_us + {DAY_US} ELSE {r}.p_us END"
            f" AND {r}.p_us < w.valid_to_us\n   AND ({r}.p_day OR w.valid_from_us < {r}.p_us)")


def _book_sql(d: _Dialect, p: str, book: str, rows: str, rates: str, days: bool, substitute: bool) -> list[str]:
    """CTEs pricing ``rows`` on one placement of the history (``late`` or ``early``), ending in
    ``{p}_costed``: each row with ``{p}_found``, ``{p}_missing``, ``{p}_units``, ``{p}_low_units``
    and per component ``{p}_{c}_units``/``_ord``/``_src``/``_low`` (and ``_billed_as``).

    An instant meets at most one rate row (bands, minute pieces and segments do not overlap):
    one LEFT JOIN.  A whole day takes the highest and the lowest rate of the day per component,
    priced only when the day's rate rows cover all of it."""
    key = (f"r.book = '{book}' AND r.provider = x.priced_provider AND r.model = x.priced_model"
           f" AND r.tier = x.rate_tier")
    raw = f"{p}r_"
    instant_cols = ", ".join(f"r.{c}_units AS {raw}{c}_units, r.ordinal AS {raw}{c}_ord, r.{c}_units AS {raw}{c}_low"
                             for c in TOKEN_COMPONENTS)
    alias_cols = ", ".join(f"r.{a} AS {raw}{a}" for a in ALIASED)
    # an id resolved to its model by a snapshot suffix takes the model's own prices, never an
    # alias's (the row pricer resolves the snapshot, then prices it without the alias table)
    key += " AND (r.priced_as IS NULL OR x.resolve_note IS NULL)"
    ctes = [f"""{p}_inst AS (
  SELECT x.*, r.ordinal IS NOT NULL AS {raw}found, {instant_cols}, {alias_cols}
  FROM {rows} x LEFT JOIN {rates} r ON {key}
   AND x.prompt >= r.min_prompt AND (r.max_prompt IS NULL OR x.prompt <= r.max_prompt)
   AND r.valid_from_us <= x.p_us AND (r.valid_to_us IS NULL OR x.p_us < r.valid_to_us)
   AND r.minute_from <= x.mow AND x.mow < r.minute_to{' WHERE NOT x.p_day' if days else ''})"""]
    source = f"{p}_inst"
    if days:
        day_cols = []
        for c in TOKEN_COMPONENTS:
            complete = f"count(r.{c}_units) = count(*)"
            day_cols += [f"CASE WHEN {complete} THEN max(r.{c}_units) END AS {raw}{c}_units",
                         f"max_by(r.ordinal, {d.key(f'r.{c}_units', '-r.ordinal')}) AS {raw}{c}_ord",
                         f"CASE WHEN {complete} THEN min(r.{c}_units) END AS {raw}{c}_low"]
        day0 = (f"x.p_us - {d.mod(d.div('x.p_us', str(MINUTE_US)) + f' - {EPOCH_MONDAY_MINUTES}', str(WEEK_MINUTES))}"
                f" * {MINUTE_US}")  # the instant of the week's minute 0 before this day
        lo = f"greatest(x.p_us, r.valid_from_us, {day0} + CAST(r.minute_from AS BIGINT) * {MINUTE_US})"
        hi = (f"least(x.p_us + {DAY_US}, coalesce(r.valid_to_us, x.p_us + {DAY_US}),"
              f" {day0} + CAST(r.minute_to AS BIGINT) * {MINUTE_US})")
        day_cols += [f"min(r.{a}) AS {raw}{a}" for a in ALIASED]
        names = [f"{raw}{c}_{part}" for c in TOKEN_COMPONENTS for part in ("units", "ord", "low")]
        names += [f"{raw}{a}" for a in ALIASED]
        # A day's rates depend on its row only through the model it is priced as and the day:
        # they are found once per (model, day) of the file, not once per row, and joined back to
        # the rows by that key.  The (model, day) pairs are few: Spark is told to broadcast them,
        # so the whole-day rows are not shuffled (by row id before; 500k whole-day rows in
        # DuckDB: priced in 2.05 s, not 2.69)
        day_key = ("priced_provider", "priced_model", "rate_tier", "p_us")
        own = "resolve_note IS NULL"
        ctes.append(f"""{p}_daykeys AS (
  SELECT DISTINCT {", ".join(day_key)}, {own} AS own_rates FROM {rows} WHERE p_day)""")
        ctes.append(f"""{p}_dayrates AS (
  SELECT {", ".join(f"x.{k} AS day_{k}" for k in day_key)}, x.own_rates AS day_own_rates,
         sum({hi} - {lo}) = {DAY_US} AND count(DISTINCT coalesce(r.priced_as, '')) = 1 AS {raw}found,
         {", ".join(day_cols)}
  FROM {p}_daykeys x JOIN {rates} r ON {key.replace(f"x.{own}", "x.own_rates")} AND r.min_prompt = 0
   AND r.valid_from_us < x.p_us + {DAY_US} AND (r.valid_to_us IS NULL OR x.p_us < r.valid_to_us)
   AND {lo} < {hi}
  GROUP BY {", ".join(f"x.{k}" for k in day_key)}, x.own_rates)""")
        hint = "/*+ BROADCAST(g) */ " if d.spark else ""
        ctes.append(f"""{p}_day AS (
  SELECT {hint}x.*, coalesce(g.{raw}found, false) AS {raw}found, {", ".join(f"g.{n}" for n in names)}
  FROM {rows} x LEFT JOIN {p}_dayrates g ON {" AND ".join(f"g.day_{k} = x.{k}" for k in day_key)}
   AND g.day_own_rates = (x.{own}) WHERE x.p_day)""")
        ctes.append(f"""{p}_raw AS (SELECT * FROM {p}_inst UNION ALL SELECT * FROM {p}_day)""")
        source = f"{p}_raw"
    effective = []
    for c in TOKEN_COMPONENTS:
        units, low, ordinal, src = f"{raw}{c}_units", f"{raw}{c}_low", f"{raw}{c}_ord", f"'{c}'"
        if substitute and c in FALLBACK:
            chain = FALLBACK[c]
            units = f"coalesce({raw}{c}_units, {', '.join(f'{raw}{f}_units' for f in chain)})"
            when = [(f"{raw}{c}_units IS NULL AND {raw}{f}_units IS NOT NULL", f) for f in chain]
            low = "CASE " + " ".join(f"WHEN {w} THEN {raw}{f}_low" for w, f in when) + f" ELSE {raw}{c}_low END"
            ordinal = "CASE " + " ".join(f"WHEN {w} THEN {raw}{f}_ord" for w, f in when) + f" ELSE {raw}{c}_ord END"
            src = "CASE " + " ".join(f"WHEN {w} THEN '{f}'" for w, f in when) + f" ELSE '{c}' END"
            effective.append(f"CASE WHEN t_{c} > 0 THEN CASE {' '.join(f'WHEN {w} THEN {chr(39)}{f}{chr(39)}' for w, f in when)}"
                             f" END END AS {p}_{c}_billed_as")
        effective += [f"{units} AS {p}_{c}_units", f"{ordinal} AS {p}_{c}_ord", f"{src} AS {p}_{c}_src",
                      f"{low} AS {p}_{c}_low"]
    effective += [f"{raw}{a} AS {p}_{a}" for a in ALIASED]
    missing = "CASE " + " ".join(
        f"WHEN t_{c} > 0 AND ({p}_{c}_units IS NULL OR {p}_{c}_low IS NULL) THEN '{c}'" for c in TOKEN_COMPONENTS) + " END"
    total = " + ".join(f"CASE WHEN t_{c} > 0 THEN t_{c} * {p}_{c}_units ELSE 0 END" for c in TOKEN_COMPONENTS)
    low_total = " + ".join(f"CASE WHEN t_{c} > 0 THEN t_{c} * {p}_{c}_low ELSE 0 END" for c in TOKEN_COMPONENTS)
    ctes.append(f"""{p}_costed AS (
  SELECT y.*, coalesce({raw}found, false) AS {p}_found, {missing} AS {p}_missing, {total} AS {p}_units,
         {low_total} AS {p}_low_units
  FROM (SELECT x.*, {", ".join(effective)} FROM {source} x) y)""")
    return ctes


def _final(d: _Dialect, rates: str, scale: int | None, substitute: bool, windows: bool, texts: bool) -> str:
    """Both placements put together by the pricer's rule for uncertain changes, in layers so that
    each flag is computed once per row."""
    late_lowest = "CASE WHEN p_day AND l_low_units <> l_units THEN l_low_units END"
    no_window = ("false AS has_window, CAST(NULL AS BIGINT) AS window_after_us,"
                 " CAST(NULL AS STRING) AS window_switch_from, CAST(NULL AS STRING) AS window_switch_to,"
                 " CAST(NULL AS BIGINT) AS window_by_us")  # a row no window of an unknown instant meets
    if windows:
        early = (["e_found", "e_missing", "e_units", "e_low_units"]
                 + [f"e_{c}_{part}" for c in TOKEN_COMPONENTS for part in ("units", "ord", "src", "low")]
                 + [f"e_{a}" for a in ALIASED] + ([f"e_{c}_billed_as" for c in FALLBACK] if substitute else []))
        rows = "l_costed b"
        if d.spark:  # only the rows inside a window meet their window and early price by row id
            rows = f"(SELECT b.* FROM l_costed b LEFT SEMI JOIN {rates} w ON {_in_window('b')}) b"
        base = (f"{rows} LEFT JOIN uwin w ON w.row_id = b.row_id LEFT JOIN (SELECT row_id AS e_row_id, "
                + ", ".join(early) + " FROM e_costed) e ON e.e_row_id = b.row_id")
        window_cols = ("w.row_id IS NOT NULL AS has_window, w.changed_after_us AS window_after_us,"
                       " w.switch_from AS window_switch_from, w.switch_to AS window_switch_to,"
                       " w.changed_by_us AS window_by_us, coalesce(e.e_found AND e.e_missing IS NULL, false) AS early_ok,"
                       " CASE WHEN b.p_day AND e.e_low_units <> e.e_units THEN e.e_low_units END AS early_lowest")
        if d.spark:  # and the others (a broadcast anti join) have none: the usage is not shuffled
            base += (f"\nUNION ALL\nSELECT b.*, NULL AS e_row_id, {', '.join(f'NULL AS {c}' for c in early)},"
                     f" {no_window}, false AS early_ok, CAST(NULL AS BIGINT) AS early_lowest"
                     f"\nFROM l_costed b LEFT ANTI JOIN {rates} w ON {_in_window('b')}")
        select_base = "b.*, e.*"
        uncertain = ("unpriced_field IS NULL AND has_window AND early_ok AND (e_units <> l_units"
                     " OR coalesce(early_lowest, -1) <> coalesce(late_lowest, -1))")
        early_unpriced = "unpriced_field IS NULL AND has_window AND NOT early_ok"
        high_early = "uncertain AND e_units > l_units"
    else:
        base = "l_costed b"
        window_cols = no_window
        select_base = "b.*"
        uncertain = early_unpriced = high_early = "false"

    def pick(part: str) -> str:
        return f"CASE WHEN high_early THEN e_{part} ELSE l_{part} END" if windows else f"l_{part}"

    comps = []
    for c in TOKEN_COMPONENTS:
        comps.append(f"t_{c} AS {c}_tokens")
        for part in ("units", "ord", "src"):
            comps.append(f"CASE WHEN t_{c} > 0 THEN {pick(f'{c}_{part}')} END AS {c}_rate_{part}")
        comps.append(f"CASE WHEN t_{c} > 0 THEN t_{c} * {pick(f'{c}_units')} END AS {c}_cost_units")
    comps += [(f"{pick(f'{c}_billed_as')} AS {c}_billed_as" if substitute else f"CAST(NULL AS STRING) AS {c}_billed_as")
              for c in FALLBACK]
    if windows:
        both_low = "least(coalesce(late_lowest, l_units), coalesce(early_lowest, e_units))"
        lowest = (f"CASE WHEN unpriced_field IS NOT NULL THEN NULL WHEN uncertain THEN CASE WHEN {both_low}"
                  f" <> {pick('units')} THEN {both_low} END ELSE late_lowest END")
        day_lowest = "CASE WHEN high_early THEN early_lowest ELSE late_lowest END"
        before_after = ("CASE WHEN uncertain THEN l_units END AS units_before_change,"
                        " CASE WHEN uncertain THEN e_units END AS units_after_change")
    else:
        lowest = "CASE WHEN unpriced_field IS NOT NULL THEN NULL ELSE late_lowest END"
        day_lowest = "late_lowest"
        before_after = "CAST(NULL AS BIGINT) AS units_before_change, CAST(NULL AS BIGINT) AS units_after_change"
    body = f"""SELECT f.*,
       CASE WHEN unpriced_field IS NULL THEN {pick('units')} END AS cost_units,
       {lowest} AS lowest_units,
       CASE WHEN uncertain THEN window_after_us END AS changed_after_us,
       CASE WHEN uncertain THEN window_by_us END AS changed_by_us,
       {before_after},
       CASE WHEN early_unpriced THEN window_after_us END AS failed_after_us,
       CASE WHEN early_unpriced THEN window_by_us END AS failed_by_us,
       unpriced_field IS NULL AND p_day AND rate_tier = 'standard' AND context = '' AND context_model
         AS whole_day_context,
       unpriced_field IS NULL AND ({day_lowest}) IS NOT NULL AS day_lowest,
       CASE WHEN priced_model IS NOT NULL THEN priced_provider ELSE provider_id END AS priced_provider_id,
       coalesce(CASE WHEN unpriced_field IS NULL THEN {pick('priced_as')} END, priced_model, model_id)
         AS priced_model_id,
       coalesce(resolve_note, CASE WHEN unpriced_field IS NULL THEN {pick('alias_resolve')} END) AS row_note,
       CASE WHEN unpriced_field IS NULL THEN model_id || {pick('alias_note')} END AS alias_note_text,
       CASE WHEN uncertain THEN window_switch_from END AS switched_from,
       CASE WHEN uncertain THEN window_switch_to END AS switched_to,
       p_day AS priced_whole_day, p_us AS priced_at_us,
       {", ".join(comps)}
FROM (
SELECT g.*, {high_early} AS high_early
FROM (
SELECT h.*, {uncertain} AS uncertain, {early_unpriced} AS early_unpriced
FROM (
SELECT k.*,
       CASE WHEN context = '{BAD_CONTEXT}' THEN 'context_window'
            WHEN priced_model IS NULL AND NOT known_provider THEN 'provider'
            WHEN priced_model IS NULL THEN 'model'
            WHEN rate_tier <> 'standard' AND NOT has_tier THEN 'tier'
            WHEN NOT l_found THEN 'time'
            ELSE l_missing END AS unpriced_field,
       {late_lowest} AS late_lowest
FROM (
SELECT {select_base}, {window_cols}
FROM {base}
) k) h) g) f"""
    # the model priced may have been removed while only observed: rows after it was last seen
    # say so (looked up on the model finally priced, an alias's snapshot included)
    body = f"""SELECT o.*, rm.seen_us AS last_seen_us, rm.ended_us AS removed_us,
       unpriced_field IS NULL AND rm.seen_us IS NOT NULL
         AND rm.seen_us < CASE WHEN p_day THEN p_us + {DAY_US} ELSE p_us END AND p_us < rm.ended_us
         AS after_last_seen
FROM ({body}) o
LEFT JOIN (SELECT provider, model, valid_from_us AS seen_us, valid_to_us AS ended_us FROM {rates}
           WHERE book = 'removed') rm ON rm.provider = o.priced_provider_id AND rm.model = o.priced_model_id"""
    if not texts:
        return body
    money = []
    if scale is not None:
        money = [f"{_decimal(d, 'cost_units', scale)} AS cost", f"{_decimal(d, 'lowest_units', scale)} AS lowest_cost"]
    looked, joins = [], []
    for c in TOKEN_COMPONENTS:
        sources = (c,) + FALLBACK.get(c, ()) if substitute else (c,)
        for part in ("price", "tier", "promo"):
            value = " ".join(f"WHEN '{f}' THEN rc_{c}.{f}_{part}" for f in sources)
            looked.append(f"CASE q.{c}_rate_src {value} END AS {c}_rate_{part}")
        joins.append(f"LEFT JOIN {rates} rc_{c} ON rc_{c}.ordinal = q.{c}_rate_ord")
    return (f"SELECT {USAGE_ROW}.*, {', '.join(f'q.{c}' for c in EXPORTED_COLUMNS)}, {', '.join(looked)}"
            f"{''.join(', ' + m for m in money)} FROM (\n{body}\n) q\n" + "\n".join(joins))


def _decimal(d: _Dialect, column: str, scale: int) -> str:
    """Integer units as DECIMAL(38, 6 + scale), exactly: built from the integer's digits."""
    k = 6 + scale
    digits = f"CAST({column} AS STRING)"
    text = f"lpad({digits}, CAST(greatest(length({digits}), {k + 1}) AS INT), '0')"
    return (f"CASE WHEN {column} IS NULL THEN NULL ELSE CAST(concat(substr({text}, 1, length({text}) - {k}), '.',"
            f" substr({text}, length({text}) - {k - 1})) AS DECIMAL(38, {k})) END")


def literal(value: str) -> str:
    """A text as an SQL string literal (quotes doubled), the same in DuckDB and Spark for the
    ids and names ratecard writes into its queries."""
    return "'" + value.replace("'", "''") + "'"


__all__ = ["BAD_CONTEXT", "DIALECTS", "EVERY_PART", "Placement", "Shape", "canonical_usage", "context_window_sql",
           "literal", "placement", "pricing_sql", "rate_tier_sql"]
