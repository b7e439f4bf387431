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

A whole day costs its tokens at the day's highest rate per component (and, as its lowest, at
the lowest): a sum too, so whole days of one key and day are one group.  Rows whose cost is not
a sum of parts are kept whole (``exact`` in :class:`GroupRule`): rows near the window of a
change of unknown instant (the higher of two costs, per row).  Only identical rows among them
are grouped: n identical rows cost n times one, whatever the rule.  The rows of a span that a boundary falls
inside (an observed instant, 03:17:42) are grouped by their exact instant instead.  The survey
that shapes the query (keys, days, time span, components used) is read from the groups, so no
other pass reads the file unless a row is bad or unpriced (their lines are found by reading it
again).  Measured: see ``Engine.load``.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from db.reprice.pricing_sql import DAY_US, MINUTE_US, Placement, literal
from db.reprice.usage import TOKEN_COMPONENTS, Plan

#: A row's prompt size, which its context tier is chosen by (``pricing_sql``'s): a group's
#: summed tokens are not a prompt, so a group carries one of its rows' (``band_prompt``; every
#: row of a group is in the same band).
PROMPT = " + ".join(f"t_{c}" for c in TOKEN_COMPONENTS if c != "output")
#: More spans with a boundary inside than this and every row is grouped by its exact instant
#: (an IN list that long would cost more than it saves).
MAX_ODD_SPANS = 4096


#: The spans rows may be grouped by (microseconds), longest first: each divides a day (so a
#: month's edge is never inside one, and a day's minutes of the week line up).
BUCKETS = (DAY_US, 3_600_000_000, 1_800_000_000, 900_000_000, 300_000_000, MINUTE_US)


@dataclass(frozen=True)
class GroupRule:
    """How rows are grouped, as SQL over a row's cells (the raw provider and model cells),
    ``start_us``, ``whole_day`` and ``t_*``: ``exact``: the rows kept whole (identical rows only
    are grouped); ``at``: the instant a row's group is priced at (the start of its span, or its
    own instant); ``band``: the prompt band; ``components``: those whose use is part of the key
    (some rate has no price for them)."""

    exact: str
    at: str
    band: str
    components: tuple[str, ...]
    #: Whether no row is kept whole: then, when every row is priced at one instant (``--at``
    #: an instant), any grouping of rows by key, band, components and month prices the same.
    sums_only: bool = False


@dataclass(frozen=True)
class _Scope:
    """The rates one provider's rows may meet (all of them for a row whose provider cell is not
    exactly an id of the history), and the models of that provider no window ever meets."""

    edges: frozenset[int]
    bounds: tuple[int, ...]
    windows: tuple[tuple[int, int], ...]
    calm_models: tuple[str, ...] = ()


def group_rule(con: duckdb.DuckDBPyConnection, where: Placement, provider_cell: str, model_cell: str,
               target: tuple[str, str] | None = None) -> GroupRule:
    """The rule for rows priced at ``where`` (their own time, an instant, or a date), from the
    rate table ``rates`` on ``con``: each provider's rows by that provider's rates (its
    off-peak edges, its changes, its windows), read from the raw ``provider_cell`` (SQL: a
    cell, or the file's one provider as a literal); rows priced as ``target`` (``--as``) by
    the target's.  A row whose cell is not exactly an id of the history takes every provider's
    rates (the finest spans, every window): a wrong group is never possible, only a smaller one."""
    # one read of the rate table (each query of it costs about 0.7 ms)
    unpriceable_sql = ", ".join(f"book <> 'window' AND {c}_units IS NULL" for c in TOKEN_COMPONENTS)
    read = con.execute("SELECT provider, model, book, valid_from_us, valid_to_us, minute_from, minute_to,"
                       f" min_prompt, max_prompt + 1, {unpriceable_sql} FROM rates").fetchall()
    rows = [r[:7] for r in read]

    def scope(keep) -> _Scope:
        mine = [r for r in rows if keep(r[0], r[1])]
        windowed = {(r[0], r[1]) for r in mine if r[2] == "window"}
        calm = sorted({r[1] for r in mine if (r[0], r[1]) not in windowed})
        return _Scope(frozenset(m for r in mine for m in r[5:7] if m is not None),
                      tuple(sorted({b for r in mine for b in r[3:5] if b is not None})),
                      tuple(sorted({(r[3], r[4] if r[4] is not None else r[3]) for r in mine if r[2] == "window"})),
                      tuple(calm))

    if target is not None:  # every row priced as one model: its provider's spans and windows
        provider, model = target
        exact, at = _part(scope(lambda p, m: p == provider), where, model_cell, only=model)
        whole = [exact]
    else:
        providers = sorted({r[0] for r in rows})
        everyone = _part(scope(lambda p, m: True), where, model_cell)
        parts = {p: _part(scope(lambda q, m, p=p: q == p), where, model_cell) for p in providers}
        exact = _by_provider(provider_cell, {p: e for p, (e, _) in parts.items()}, everyone[0])
        whole = [everyone[0], *(e for e, _ in parts.values())]
        at = _by_provider(provider_cell, {p: a for p, (_, a) in parts.items()}, everyone[1])
    bounds = sorted({b for r in read for b in r[7:9] if b})
    band = " + ".join(f"CAST({PROMPT} >= {b} AS INTEGER)" for b in bounds) if bounds else "0"
    unpriceable = tuple(c for i, c in enumerate(TOKEN_COMPONENTS) if any(r[9 + i] for r in read))
    return GroupRule(exact, at, band, unpriceable, sums_only=all(e == "false" for e in whole))


def _by_provider(cell: str, sql: dict[str, str], otherwise: str) -> str:
    """``sql`` of the provider ``cell`` holds (its id exactly), else ``otherwise``."""
    for provider, value in sql.items():
        if cell == literal(provider):  # the file's one provider, as a literal
            return value
    if cell.startswith("'"):
        return otherwise
    branches = " ".join(f"WHEN {literal(p)} THEN {s}" for p, s in sql.items())
    return f"CASE {cell} {branches} ELSE {otherwise} END" if branches else otherwise


def _part(scope: _Scope, where: Placement, model_cell: str, only: str | None = None) -> tuple[str, str]:
    """(``exact``, ``at``) SQL for rows that may meet ``scope``'s rates.  ``only``: every row is
    priced as that model (``--as``): the file's own model names say nothing of its windows
    (the scope's, all of its provider's, are taken)."""
    # the longest span no minute-of-the-week edge falls inside
    bucket = next(g for g in BUCKETS if all(m * MINUTE_US % g == 0 for m in scope.edges))
    odd = [b for b in scope.bounds if b % bucket]
    near = [(lo - DAY_US, hi + DAY_US) for lo, hi in scope.windows]
    if where.instant_us is not None:  # every row at one instant: one span, whatever its own
        x = where.instant_us
        exact = "true" if any(lo <= x <= hi for lo, hi in near) else "false"
        instant = "false"
    elif where.date_us is not None:  # each row at its time of day on that date
        d = where.date_us
        exact = "true" if any(lo <= d + DAY_US and d <= hi for lo, hi in near) else "false"
        spans = sorted({(b - d) // bucket for b in odd if d <= b < d + DAY_US})
        instant = _in_list(f"((start_us % {DAY_US} + {DAY_US}) % {DAY_US}) // {bucket}", spans)
    else:
        meets = " OR ".join(f"start_us BETWEEN {lo} AND {hi}" for lo, hi in _merged(near)) or "false"
        # a model of the history that no window ever meets, named exactly, is never uncertain
        calm = (f"{model_cell} IN ({', '.join(literal(m) for m in scope.calm_models)})"
                if scope.calm_models and only is None and meets != "false" else "false")
        # the instants first: most rows meet no window, and the model's name is then not read
        exact = f"({meets}) AND NOT coalesce({calm}, false)" if meets != "false" else "false"
        instant = _in_list(f"{floor_sql('start_us', bucket)} // {bucket}", sorted({b // bucket for b in odd}))
    # ``x_exact``: the row's ``exact``, made once per row (``groups_sql``)
    at = f"CASE WHEN x_exact OR ({instant}) THEN start_us ELSE {floor_sql('start_us', bucket)} END"
    return exact, at


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
    exact = [f"CASE WHEN x_exact THEN t_{c} END AS k_{c}" for c in used]
    marks = [f"t_{c} > 0 AS u_{c}" for c in used if c in rule.components]
    sums = _sums(used)
    # without context tiers in the history any prompt size chooses the same rates
    prompt = f"min({PROMPT})" if rule.band != "0" else "CAST(0 AS BIGINT)"
    return (f"SELECT {', '.join([*keys, 'whole_day', f'{rule.at} AS at_us', *exact, f'{rule.band} AS band', *marks])},"
            f" bool_or(bad) AS bad, count(*) AS n, {sums}, {prompt} AS band_prompt,"
            f" min(start_us) AS first_us, max(start_us) AS last_us"
            f" FROM (SELECT *, coalesce({rule.exact}, false) AS x_exact FROM ({rows})) GROUP BY ALL")


def _sums(used: tuple[str, ...]) -> str:
    """The token columns summed over a group; a component the file has no column for is 0 in
    every row: not summed."""
    return ", ".join(f"sum(t_{c}) AS t_{c}" if c in used else f"CAST(0 AS BIGINT) AS t_{c}" for c in TOKEN_COMPONENTS)


def keep_groups(con: duckdb.DuckDBPyConnection, first: str, keys: tuple[str, str, str], key_checks: tuple[str, ...],
                used: tuple[str, ...], rule: GroupRule) -> None:
    """The table ``usage_groups``: the first grouping (``first``: :func:`groups_sql`) with its
    key cells made ids (``keys``: provider, model and tier SQL over the cells), grouped again
    (two spellings of one id are one key), each group a ``line`` of its own; a group is bad
    when a row of it is, or its key is (``key_checks``)."""
    provider, model, tier = keys
    apart = [f"k_{c}" for c in used] + ["band"] + [f"u_{c}" for c in used if c in rule.components]
    sums = _sums(used)
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
