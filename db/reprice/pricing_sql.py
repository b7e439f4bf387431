"""The pricing of usage rows as one SQL query over two tables, ``usage`` and ``rates``.

The same text prices a file in ratecard's DuckDB engine (``db.reprice.engine``) and a warehouse
table on Spark (``ratecard sql --dialect spark``), so both give the row pricer's costs to the
last unit: every rule of ``db.reprice.pricer``'s docstring is a join or a CASE here, over the
rate table of ``db.reprice.rates`` (which already holds the long-context bands, the early
placement of uncertain changes, and the windows).  Money stays integer (units of
10^-(6 + scale) of the currency) until the last column, which is a DECIMAL made from those
integers' digits: no float ever touches it.

Per usage row the query returns the row's own columns and: ``priced_provider``/``priced_model``,
``unpriced_field`` (NULL when priced; else ``provider``, ``model``, ``tier``, ``time`` or the
component with tokens and no rate), ``cost_units``/``cost``, ``lowest_units``/``lowest_cost``
(set for a whole-day row whose day had a lower rate, and for a row in an uncertain window),
``whole_day``, ``uncertain`` (a change of unknown instant may apply: ``changed_after_us``,
``changed_by_us``, ``units_before_change``, ``units_after_change``), and per component its
tokens, rate (units, price, tier, promo) and cost units.
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


@dataclass(frozen=True)
class Placement:
    """``reprice --at``: None, an instant (every row there) or a date (each row's time of day)."""

    instant_us: int | None = None
    date_us: int | None = None


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


def canonical_usage(dialect: str = "duckdb", source: str = "usage") -> str:
    """The canonical usage table (text ``time``, ``provider``, ``model``, ``service_tier``, token
    columns) as the typed rows the pricing query reads."""
    d = _Dialect(dialect)
    tokens = ",\n    ".join(f"coalesce(CAST({c}_tokens AS BIGINT), 0) AS t_{c}" for c in TOKEN_COMPONENTS)
    return f"""SELECT src.*, {d.row_id()} AS row_id,
    {d.full_match("trim(time)", "[0-9]{4}-[0-9]{2}-[0-9]{2}")} AS whole_day,
    {d.epoch_us("trim(time)")} AS start_us,
    lower(trim(provider)) AS provider_id, trim(model) AS model_id,
    CASE WHEN lower(trim(coalesce(service_tier, ''))) IN ('', 'default', 'auto') THEN 'standard'
         ELSE lower(trim(service_tier)) END AS tier,
    {tokens}
  FROM {source} src"""


def pricing_sql(dialect: str = "duckdb", *, usage: str | None = None, rates: str = "rates",
                at: Placement = Placement(), target: tuple[str, str] | None = None,
                scale: int | None = None) -> str:
    """The query: ``usage`` rows (typed, from :func:`canonical_usage`, or the canonical table when
    ``usage`` is None), each priced on ``rates``.  ``scale``: the rate table's, to type ``cost``
    as DECIMAL(38, 6 + scale) (None: no DECIMAL columns, integers only)."""
    d = _Dialect(dialect)
    typed = f"SELECT * FROM {usage}" if usage is not None else canonical_usage(dialect)
    prompt = " + ".join(f"t_{c}" for c in TOKEN_COMPONENTS[:4])
    if at.instant_us is not None:
        p_us, p_day = str(at.instant_us), "false"
    elif at.date_us is not None:
        p_us = f"CASE WHEN whole_day THEN {at.date_us} ELSE {at.date_us} + {d.mod('start_us', str(DAY_US))} END"
        p_day = "whole_day"
    else:
        p_us, p_day = "start_us", "whole_day"
    mow = d.mod(f"{d.div('p_us', str(MINUTE_US))} - {EPOCH_MONDAY_MINUTES}", str(WEEK_MINUTES))
    pday = d.div(f"p_us - {d.mod('p_us', str(DAY_US))}", str(DAY_US))  # floor, whatever the sign
    if target is not None:
        provider, model = (_literal(v) for v in target)
        resolved = f"""resolved AS (
  SELECT provider_id, model_id, {provider} AS priced_provider, {model} AS priced_model,
         CAST(NULL AS STRING) AS resolve_note FROM (SELECT DISTINCT provider_id, model_id FROM u) d)"""
    else:
        resolved = f"""known AS (SELECT DISTINCT provider, model FROM {rates} WHERE book = 'late' AND tier = 'standard'),
folded AS (SELECT provider, lower(model) AS folded, max(model) AS model FROM known GROUP BY provider, lower(model)),
pairs AS (SELECT provider_id, model_id, regexp_extract(model_id, '{SNAPSHOT}', 1) AS base
          FROM (SELECT DISTINCT provider_id, model_id FROM u) d),
resolved AS (
  SELECT pr.provider_id, pr.model_id, pr.provider_id AS priced_provider,
         coalesce(e.model, f.model, se.model, sf.model) AS priced_model,
         CASE WHEN e.model IS NULL AND f.model IS NULL AND coalesce(se.model, sf.model) IS NOT NULL
              THEN concat(pr.model_id, ' priced as ', coalesce(se.model, sf.model),
                          ': the history has no price for the snapshot id itself') END AS resolve_note
  FROM pairs pr
  LEFT JOIN known e ON e.provider = pr.provider_id AND e.model = pr.model_id
  LEFT JOIN folded f ON f.provider = pr.provider_id AND f.folded = lower(pr.model_id)
  LEFT JOIN known se ON se.provider = pr.provider_id AND se.model = pr.base
  LEFT JOIN folded sf ON sf.provider = pr.provider_id AND sf.folded = lower(pr.base))"""
    parts = [f"u AS ({typed})",
             f"""placed AS (
  SELECT u.*, {p_us} AS p_us, {p_day} AS p_day, {prompt} AS prompt FROM u)""",
             resolved,
             f"""urows AS {d.materialized}(
  SELECT p.*, rs.priced_provider, rs.priced_model, rs.resolve_note, {mow} AS mow, {pday} AS pday
  FROM placed p JOIN resolved rs ON rs.provider_id = p.provider_id AND rs.model_id = p.model_id)""",
             f"""usage_days AS (SELECT DISTINCT pday FROM urows WHERE NOT p_day)""",
             f"""rate_days AS (
  SELECT r.*, d.pday AS day FROM {rates} r JOIN usage_days d
    ON r.book IN ('late', 'early') AND r.valid_from_us < (d.pday + 1) * {DAY_US}
   AND (r.valid_to_us IS NULL OR r.valid_to_us > d.pday * {DAY_US})
   AND r.minute_from < {d.mod(f"d.pday * 1440 - {EPOCH_MONDAY_MINUTES}", str(WEEK_MINUTES))} + 1440
   AND r.minute_to > {d.mod(f"d.pday * 1440 - {EPOCH_MONDAY_MINUTES}", str(WEEK_MINUTES))})""",
             f"""uwin AS (
  SELECT r.row_id, min_by(w.valid_from_us, {d.key('w.valid_from_us', 'w.valid_to_us')}) AS changed_after_us,
         min_by(w.valid_to_us, {d.key('w.valid_from_us', 'w.valid_to_us')}) AS changed_by_us
  FROM urows r JOIN {rates} w ON w.book = 'window' AND w.provider = r.priced_provider AND w.model = r.priced_model
   AND w.valid_from_us < CASE WHEN r.p_day THEN r.p_us + {DAY_US} ELSE r.p_us END AND r.p_us < w.valid_to_us
   AND (r.p_day OR w.valid_from_us < r.p_us)
  GROUP BY r.row_id)""",
             _book_sql(d, "late", "urows", rates, target is not None),
             f"""uncertain_rows AS (
  SELECT r.* FROM urows r JOIN uwin w ON w.row_id = r.row_id)""",
             _book_sql(d, "early", "uncertain_rows", rates, target is not None)]
    return "WITH " + ",\n".join(parts) + "\n" + _final(d, rates, scale, target is not None)


def _rate_columns(prefix: str, alias: str) -> list[str]:
    return [f"{alias}.{c}_{part} AS {prefix}{c}_{part}" for c in TOKEN_COMPONENTS
            for part in ("units", "price", "tier", "promo")]


def _book_sql(d: _Dialect, book: str, rows: str, rates: str, substitute: bool) -> str:
    """Two CTEs: ``{book}_rates`` (each row's rates on that placement: one rate row for an
    instant, the highest and lowest of the day for a whole day) and ``{book}`` (costed)."""
    # A rate is carried as its row's ordinal: its price text, tier and promo flag are looked up
    # once at the end, so the join moves integers only.
    instant_cols = ",\n         ".join(f"r.{c}_units AS {c}_units, r.ordinal AS {c}_ord, r.{c}_units AS {c}_low"
                                     for c in TOKEN_COMPONENTS)
    day_cols = []
    for c in TOKEN_COMPONENTS:
        complete = f"count(r.{c}_units) = count(*)"
        high_key = d.key(f"r.{c}_units", "-r.ordinal")
        day_cols += [f"CASE WHEN {complete} THEN max(r.{c}_units) END AS {c}_units",
                     f"max_by(r.ordinal, {high_key}) AS {c}_ord",
                     f"CASE WHEN {complete} THEN min(r.{c}_units) END AS {c}_low"]
    day_list = ",\n         ".join(day_cols)
    key = f"r.book = '{book}' AND r.provider = x.priced_provider AND r.model = x.priced_model AND r.tier = x.tier"
    day0 = f"x.p_us - {d.mod(d.div('x.p_us', str(MINUTE_US)) + f' - {EPOCH_MONDAY_MINUTES}', str(WEEK_MINUTES))}" \
           f" * {MINUTE_US}"  # the instant of the week's minute 0 before this day
    lo = f"greatest(x.p_us, r.valid_from_us, {day0} + CAST(r.minute_from AS BIGINT) * {MINUTE_US})"
    hi = (f"least(x.p_us + {DAY_US}, coalesce(r.valid_to_us, x.p_us + {DAY_US}),"
          f" {day0} + CAST(r.minute_to AS BIGINT) * {MINUTE_US})")
    costed = []
    notes = []
    for c in TOKEN_COMPONENTS:
        units, low = f"{c}_units", f"{c}_low"
        if substitute and c in FALLBACK:
            chain = FALLBACK[c]
            units = f"coalesce({c}_units, {', '.join(f'{f}_units' for f in chain)})"
            low = "CASE " + " ".join(
                f"WHEN {c}_units IS NULL AND {f}_units IS NOT NULL THEN {f}_low" for f in chain) + f" ELSE {c}_low END"
            subst = " ".join(f"WHEN {c}_units IS NULL AND {f}_units IS NOT NULL THEN '{f}'" for f in chain)
            costed.append(f"CASE WHEN t_{c} > 0 THEN CASE {subst} END END AS {c}_billed_as")
            notes.append((c, f"{c}_billed_as"))
        ordinal, source = f"{c}_ord", f"'{c}'"
        if substitute and c in FALLBACK:
            ordinal = "CASE " + " ".join(f"WHEN {c}_units IS NULL AND {f}_units IS NOT NULL THEN {f}_ord"
                                         for f in FALLBACK[c]) + f" ELSE {c}_ord END"
            source = "CASE " + " ".join(f"WHEN {c}_units IS NULL AND {f}_units IS NOT NULL THEN '{f}'"
                                        for f in FALLBACK[c]) + f" ELSE '{c}' END"
        costed.append(f"{ordinal} AS e_{c}_ord")
        costed.append(f"{source} AS e_{c}_src")
        costed.append(f"{units} AS e_{c}_units")
        costed.append(f"{low} AS e_{c}_low")
    missing = "CASE " + " ".join(
        f"WHEN t_{c} > 0 AND (e_{c}_units IS NULL OR e_{c}_low IS NULL) THEN '{c}'" for c in TOKEN_COMPONENTS) + " END"
    total = " + ".join(f"CASE WHEN t_{c} > 0 THEN t_{c} * e_{c}_units ELSE 0 END" for c in TOKEN_COMPONENTS)
    low_total = " + ".join(f"CASE WHEN t_{c} > 0 THEN t_{c} * e_{c}_low ELSE 0 END" for c in TOKEN_COMPONENTS)
    token_cols = ", ".join(f"x.t_{c}" for c in TOKEN_COMPONENTS)
    day_keys = "x.row_id, x.p_us, " + token_cols
    costed_list = ",\n         ".join(costed)
    p = book[0] + "_"
    names = ["row_id", "found", "missing", "units", "low_units"] + [
        f"e_{c}_{part}" for c in TOKEN_COMPONENTS for part in ("units", "ord", "src", "low")]
    names += [f"{c}_billed_as" for c in FALLBACK] if substitute else []
    prefixed = ", ".join(f"e.{n} AS {p}{n}" for n in names)
    return f"""{book}_rates AS (
  SELECT x.row_id, {token_cols}, true AS found,
         {instant_cols}
  FROM {rows} x JOIN rate_days r ON {key} AND r.day = x.pday
   AND x.prompt >= r.min_prompt AND (r.max_prompt IS NULL OR x.prompt <= r.max_prompt)
   AND r.valid_from_us <= x.p_us AND (r.valid_to_us IS NULL OR x.p_us < r.valid_to_us)
   AND r.minute_from <= x.mow AND x.mow < r.minute_to
  WHERE NOT x.p_day
  UNION ALL
  SELECT x.row_id, {token_cols}, sum({hi} - {lo}) = {DAY_US} AS found,
         {day_list}
  FROM {rows} x JOIN {rates} r ON {key} AND r.min_prompt = 0
   AND r.valid_from_us < x.p_us + {DAY_US} AND (r.valid_to_us IS NULL OR x.p_us < r.valid_to_us)
   AND {lo} < {hi}
  WHERE x.p_day
  GROUP BY {day_keys}),
{book}_e AS (
  SELECT row_id, found, {", ".join(f"t_{c}" for c in TOKEN_COMPONENTS)},
         {costed_list}
  FROM {book}_rates),
{book} AS (
  SELECT {prefixed} FROM (SELECT e.*, {missing} AS missing, {total} AS units, {low_total} AS low_units
                          FROM {book}_e e) e)"""


def _final(d: _Dialect, rates: str, scale: int | None, substitute: bool) -> str:
    """Both placements put together by the pricer's rule for uncertain changes, in three layers so
    that each flag is computed once per row."""
    late_lowest = "CASE WHEN p_day AND l_low_units <> l_units THEN l_low_units END"
    early_lowest = "CASE WHEN p_day AND e_low_units <> e_units THEN e_low_units END"
    comps = []
    for c in TOKEN_COMPONENTS:
        comps.append(f"t_{c} AS {c}_tokens")
        for part in ("units", "ord", "src"):
            comps.append(f"CASE WHEN t_{c} > 0 THEN CASE WHEN high_early THEN e_e_{c}_{part} ELSE l_e_{c}_{part} END"
                         f" END AS {c}_rate_{part}")
        comps.append(f"CASE WHEN t_{c} > 0 THEN t_{c} * CASE WHEN high_early THEN e_e_{c}_units ELSE l_e_{c}_units END"
                     f" END AS {c}_cost_units")
    if substitute:
        comps += [f"CASE WHEN high_early THEN e_{c}_billed_as ELSE l_{c}_billed_as END AS {c}_billed_as"
                  for c in FALLBACK]
    else:
        comps += [f"CAST(NULL AS STRING) AS {c}_billed_as" for c in FALLBACK]
    money = []
    if scale is not None:
        money = [f"{_decimal(d, 'cost_units', scale)} AS cost", f"{_decimal(d, 'lowest_units', scale)} AS lowest_cost"]
    comp_list = ",\n       ".join(comps)
    context_models = f"(SELECT DISTINCT provider, model FROM {rates} WHERE book = 'late' AND min_prompt > 0)"
    removed = (f"(SELECT provider, model, valid_from_us AS seen_us, valid_to_us AS ended_us FROM {rates}"
               " WHERE book = 'removed')")
    both_low = "least(coalesce(late_lowest, l_units), coalesce(early_lowest, e_units))"
    looked = []
    joins = []
    for c in TOKEN_COMPONENTS:
        sources = (c,) + FALLBACK.get(c, ()) if substitute else (c,)
        for part in ("price", "tier", "promo"):
            value = " ".join(f"WHEN '{f}' THEN rc_{c}.{f}_{part}" for f in sources)
            looked.append(f"CASE q.{c}_rate_src {value} END AS {c}_rate_{part}")
        joins.append(f"LEFT JOIN {rates} rc_{c} ON rc_{c}.ordinal = q.{c}_rate_ord")
    return f"""SELECT q.*, {", ".join(looked)}{''.join(', ' + m for m in money)} FROM (
SELECT f.*,
       CASE WHEN unpriced_field IS NULL THEN CASE WHEN high_early THEN e_units ELSE l_units END END AS cost_units,
       CASE WHEN unpriced_field IS NOT NULL THEN NULL
            WHEN uncertain THEN CASE WHEN {both_low} <> CASE WHEN high_early THEN e_units ELSE l_units END
                                     THEN {both_low} END
            ELSE late_lowest END AS lowest_units,
       CASE WHEN uncertain THEN window_after_us END AS changed_after_us,
       CASE WHEN uncertain THEN window_by_us END AS changed_by_us,
       CASE WHEN uncertain THEN l_units END AS units_before_change,
       CASE WHEN uncertain THEN e_units END AS units_after_change,
       CASE WHEN early_unpriced THEN window_after_us END AS failed_after_us,
       CASE WHEN early_unpriced THEN window_by_us END AS failed_by_us,
       unpriced_field IS NULL AND day_context AS whole_day_context,
       unpriced_field IS NULL AND seen_before AS after_last_seen,
       unpriced_field IS NULL AND (CASE WHEN high_early THEN early_lowest ELSE late_lowest END) IS NOT NULL
         AS day_lowest,
       {comp_list}
FROM (
SELECT g.*, uncertain AND e_units > l_units AS high_early
FROM (
SELECT h.*,
       unpriced_field IS NULL AND has_window AND early_ok AND (e_units <> l_units
         OR coalesce(early_lowest, -1) <> coalesce(late_lowest, -1)) AS uncertain,
       unpriced_field IS NULL AND has_window AND NOT early_ok AS early_unpriced
FROM (
SELECT k.*,
       CASE WHEN priced_model IS NULL AND NOT known_provider THEN 'provider'
            WHEN priced_model IS NULL THEN 'model'
            WHEN tier <> 'standard' AND NOT has_tier THEN 'tier'
            WHEN l_row_id IS NULL OR NOT l_found THEN 'time'
            ELSE l_missing END AS unpriced_field,
       coalesce(e_found AND e_missing IS NULL, false) AS early_ok,
       {late_lowest} AS late_lowest, {early_lowest} AS early_lowest
FROM (
SELECT r.*, l.*, e.*,
       CASE WHEN r.priced_model IS NOT NULL THEN r.priced_provider ELSE r.provider_id END AS priced_provider_id,
       coalesce(r.priced_model, r.model_id) AS priced_model_id,
       r.p_day AS priced_whole_day, r.p_us AS priced_at_us,
       w.row_id IS NOT NULL AS has_window, w.changed_after_us AS window_after_us,
       w.changed_by_us AS window_by_us,
       kp.provider IS NOT NULL AS known_provider, st.tier IS NOT NULL AS has_tier,
       r.p_day AND r.tier = 'standard' AND cm.model IS NOT NULL AS day_context,
       rm.seen_us IS NOT NULL AND rm.seen_us < CASE WHEN r.p_day THEN r.p_us + {DAY_US} ELSE r.p_us END
         AND r.p_us < rm.ended_us AS seen_before,
       rm.seen_us AS last_seen_us, rm.ended_us AS removed_us
FROM urows r
LEFT JOIN late l ON l.l_row_id = r.row_id
LEFT JOIN uwin w ON w.row_id = r.row_id
LEFT JOIN early e ON e.e_row_id = r.row_id
LEFT JOIN (SELECT DISTINCT provider FROM {rates} WHERE book = 'late' AND tier = 'standard') kp
  ON kp.provider = r.provider_id
LEFT JOIN (SELECT DISTINCT provider, model, tier FROM {rates} WHERE book = 'late') st
  ON st.provider = r.priced_provider AND st.model = r.priced_model AND st.tier = r.tier
LEFT JOIN {context_models} cm ON cm.provider = r.priced_provider AND cm.model = r.priced_model
LEFT JOIN {removed} rm ON rm.provider = r.priced_provider AND rm.model = r.priced_model
) k) h) g) f) q
{chr(10).join(joins)}"""


def _decimal(d: _Dialect, column: str, scale: int) -> str:
    """Integer units as DECIMAL(38, 6 + scale), exactly: built from the integer's digits."""
    k = 6 + scale
    digits = f"CAST({column} AS STRING)"
    text = f"lpad({digits}, CAST(greatest(length({digits}), {k + 1}) AS INT), '0')"
    return (f"CASE WHEN {column} IS NULL THEN NULL ELSE CAST(concat(substr({text}, 1, length({text}) - {k}), '.',"
            f" substr({text}, length({text}) - {k - 1})) AS DECIMAL(38, {k})) END")


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


__all__ = ["DIALECTS", "Placement", "canonical_usage", "placement", "pricing_sql"]
