"""``reprice --summary`` of a CSV in one pass: its rows grouped as DuckDB reads them, and the
groups priced instead of the rows.

Why it is exact: a total is a sum, and a row's cost is its tokens times the rates in force at
its time, in integer units with no rounding per row.  Rows of one key (provider, model, tier),
one span of time no boundary of the history falls inside (an hour, or less when an off-peak
window starts on the half hour), one prompt band (the context tiers' bounds) and the same
components used (a component without a rate makes a row unpriced) meet the same rates, so
together they cost their summed tokens at those rates, to the last unit.  So the file is read
once, every cell checked as it is read, into a table of groups (``usage_groups``: about the
file's spans times its keys, so memory does not grow with the file), and the pricing query
reads the groups, priced at their span's start.

Rows whose cost is not a sum of parts are kept whole (``exact`` in :class:`GroupRule`): whole
days (a day's lowest rate is a minimum per row) and rows near the window of a change of unknown
instant (the higher of two costs, per row).  Only identical rows among them are grouped: n
identical rows cost n times one, whatever the rule.  The rows of a span that a boundary falls
inside (an observed instant, 03:17:42) are grouped by their exact instant instead.  The survey
that shapes the query (keys, days, time span, components used) is read from the groups, so no
other pass reads the file unless a row is bad or unpriced (their lines are found by reading it
again).  Measured: see ``Engine.load``.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from db.reprice.pricing_sql import DAY_US, MINUTE_US, Placement
from db.reprice.usage import TOKEN_COMPONENTS, Plan

#: A row's prompt size, which its context tier is chosen by (``pricing_sql``'s): a group's
#: summed tokens are not a prompt, so a group carries one of its rows' (``band_prompt``; every
#: row of a group is in the same band).
PROMPT = " + ".join(f"t_{c}" for c in TOKEN_COMPONENTS if c != "output")
#: More spans with a boundary inside than this and every row is grouped by its exact instant
#: (an IN list that long would cost more than it saves).
MAX_ODD_SPANS = 4096


#: The spans rows may be grouped by (microseconds), longest first: each divides an hour (so a
#: month's edge is never inside one) and a day (so a day's minutes of the week line up).
BUCKETS = (3_600_000_000, 1_800_000_000, 900_000_000, 300_000_000, MINUTE_US)


@dataclass(frozen=True)
class GroupRule:
    """How rows are grouped, as SQL over a row's ``start_us``, ``whole_day`` and ``t_*``:
    ``bucket``: the span (microseconds) rows are grouped by; ``exact``: the rows kept whole
    (identical rows only are grouped); ``instant``: the rows grouped by their exact instant
    (a boundary of the history inside their span); ``band``: the prompt band; ``components``:
    those whose use is part of the key (some rate has no price for them)."""

    bucket: int
    exact: str
    instant: str
    band: str
    components: tuple[str, ...]


def group_rule(con: duckdb.DuckDBPyConnection, where: Placement) -> GroupRule:
    """The rule for rows priced at ``where`` (their own time, an instant, or a date), from the
    rate table ``rates`` on ``con``."""
    windows = con.execute("SELECT DISTINCT valid_from_us, valid_to_us FROM rates WHERE book = 'window'"
                          " ORDER BY 1, 2").fetchall()
    edges = {m for pair in con.execute("SELECT DISTINCT minute_from, minute_to FROM rates").fetchall()
             for m in pair if m is not None}
    # the longest span no minute-of-the-week edge falls inside
    bucket = next(g for g in BUCKETS if all(m * MINUTE_US % g == 0 for m in edges))
    bounds = [b for (b,) in con.execute(
        f"""SELECT DISTINCT b FROM (SELECT valid_from_us AS b FROM rates UNION ALL SELECT valid_to_us FROM rates)
            WHERE b IS NOT NULL AND b % {bucket} <> 0 ORDER BY 1""").fetchall()]
    near = [(lo - DAY_US, (hi if hi is not None else lo) + DAY_US) for lo, hi in windows]
    if where.instant_us is not None:  # every row at one instant: one span, whatever its own
        x = where.instant_us
        exact = "true" if any(lo <= x <= hi for lo, hi in near) else "whole_day"
        instant = "false"
    elif where.date_us is not None:  # each row at its time of day on that date
        d = where.date_us
        exact = "true" if any(lo <= d + DAY_US and d <= hi for lo, hi in near) else "whole_day"
        spans = sorted({(b - d) // bucket for b in bounds if d <= b < d + DAY_US})
        span_of_day = f"((start_us % {DAY_US} + {DAY_US}) % {DAY_US}) // {bucket}"
        instant = _in_list(span_of_day, spans)
    else:
        exact = " OR ".join(["whole_day", *(f"start_us BETWEEN {lo} AND {hi}" for lo, hi in _merged(near))])
        spans = sorted({b // bucket for b in bounds})
        instant = _in_list(f"{floor_sql('start_us', bucket)} // {bucket}", spans)
    bounds = sorted({b for (lo, hi) in con.execute(
        "SELECT DISTINCT min_prompt, max_prompt + 1 FROM rates").fetchall() for b in (lo, hi) if b})
    band = " + ".join(f"CAST({PROMPT} >= {b} AS INTEGER)" for b in bounds) if bounds else "0"
    unpriceable = tuple(c for c in TOKEN_COMPONENTS if con.execute(
        f"SELECT count(*) FROM rates WHERE book <> 'window' AND {c}_units IS NULL").fetchone()[0])
    return GroupRule(bucket, exact, instant, band, unpriceable)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _in_list(value: str, items: list[int]) -> str:
    if not items:
        return "false"
    if len(items) > MAX_ODD_SPANS:
        return "true"
    return f"{value} IN ({', '.join(str(i) for i in items)})"


def floor_sql(us: str, span: int) -> str:
    """SQL: the start of ``us``'s span of ``span`` microseconds from the epoch (before 1970
    too: DuckDB's ``%`` keeps the dividend's sign)."""
    return f"({us} - ({us} % {span} + {span}) % {span})"


def groups_sql(rows: str, keys: list[str], used: tuple[str, ...], rule: GroupRule) -> str:
    """The first grouping, over ``rows`` (``engine._select_sql(..., keys=False)``): by the raw
    key cells ``keys`` (made into ids per group afterwards: :func:`keep_groups`: a key's cells
    are trimmed and checked once per group, not per row), the span (or instant) and what
    :class:`GroupRule` keeps apart.  ``used``: the components the file
    has columns for."""
    at = f"CASE WHEN ({rule.exact}) OR ({rule.instant}) THEN start_us ELSE {floor_sql('start_us', rule.bucket)} END"
    exact = [f"CASE WHEN {rule.exact} THEN t_{c} END AS k_{c}" for c in used]
    marks = [f"t_{c} > 0 AS u_{c}" for c in used if c in rule.components]
    # a component the file has no column for is 0 in every row: not summed
    sums = [f"sum(t_{c}) AS t_{c}" if c in used else f"CAST(0 AS BIGINT) AS t_{c}" for c in TOKEN_COMPONENTS]
    # without context tiers in the history any prompt size chooses the same rates
    prompt = f"min({PROMPT})" if rule.band != "0" else "CAST(0 AS BIGINT)"
    return (f"SELECT {', '.join([*keys, 'whole_day', f'{at} AS at_us', *exact, f'{rule.band} AS band', *marks])},"
            f" bool_or(bad) AS bad, count(*) AS n, {', '.join(sums)}, {prompt} AS band_prompt,"
            f" min(start_us) AS first_us, max(start_us) AS last_us FROM ({rows}) GROUP BY ALL")


def keep_groups(con: duckdb.DuckDBPyConnection, first: str, keys: tuple[str, str, str], key_checks: tuple[str, ...],
                used: tuple[str, ...], rule: GroupRule) -> None:
    """The table ``usage_groups``: the first grouping (``first``: :func:`groups_sql`) with its
    key cells made ids (``keys``: provider, model and tier SQL over the cells), grouped again
    (two spellings of one id are one key), each group a ``line`` of its own; a group is bad
    when a row of it is, or its key is (``key_checks``)."""
    provider, model, tier = keys
    apart = [f"k_{c}" for c in used] + ["band"] + [f"u_{c}" for c in used if c in rule.components]
    sums = ", ".join(f"sum(t_{c}) AS t_{c}" if c in used else f"CAST(0 AS BIGINT) AS t_{c}" for c in TOKEN_COMPONENTS)
    key_bad = " OR ".join(f"NOT coalesce({c}, false)" for c in key_checks)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE usage_groups AS
        SELECT row_number() OVER () AS line, at_us AS start_us, whole_day, provider_id, model_id, tier,
               '' AS context, {', '.join(f't_{c}' for c in TOKEN_COMPONENTS)}, bad OR {key_bad} AS bad, n,
               band_prompt, first_us, last_us
        FROM (SELECT {provider} AS provider_id, {model} AS model_id, {tier} AS tier, whole_day, at_us,
                     {', '.join(apart)}, bool_or(bad) AS bad, sum(n) AS n, {sums}, min(band_prompt) AS band_prompt,
                     min(first_us) AS first_us,
                     max(last_us) AS last_us
              FROM ({first}) GROUP BY ALL)""")


def survey_sql(rate_tier: str) -> str:
    """The survey ``engine._survey`` reads, from the groups."""
    return f"""SELECT provider_id, model_id, {rate_tier} AS rate_tier, bool_or(bad) AS bad,
               bool_or(whole_day) AS days, min(first_us) AS first_us, max(last_us) AS last_us, sum(n) AS rows,
               {", ".join(f"bool_or(t_{c} > 0) AS used_{c}" for c in TOKEN_COMPONENTS)}
        FROM usage_groups GROUP BY ALL"""


def file_components(plan: Plan) -> tuple[str, ...]:
    """The components ``plan`` reads tokens for (the others are 0 in every row)."""
    return tuple(c for formula, c in zip(plan.formulas, TOKEN_COMPONENTS) if formula)
