"""``ratecard sql``: the pricing query, for usage that lives in a warehouse or a Spark cluster.

Prints one query over two tables: ``usage`` (the canonical usage columns: ``time`` as ISO 8601
text or a TIMESTAMP, a date alone (or a DATE) being the whole UTC day; ``provider``, ``model``,
``service_tier`` and the five ``*_tokens`` columns, as text or integers, those it lacks named by
``--missing`` (and no ``provider`` with ``--provider``); with ``--context-window`` also
``context_window``, the context tier an export says a row was billed at, such as ``0-200k``;
any other column is passed through) and ``rates``
(what ``ratecard export --rates`` writes from the same history).  It returns one row per usage
row: its own columns, then its exact ``cost`` (DECIMAL built from integer units, never a float)
and the engine's flags: which field left it unpriced (``context_window`` for a cell that is no context
window, where ``reprice`` stops at that line), ``priced_whole_day`` with ``lowest_cost``, and
``uncertain`` with both costs.
It is the query ``ratecard reprice`` itself runs (``db.reprice.pricing_sql``).
"""

from __future__ import annotations

import argparse
import re
import sys

from parsers.safetext import one_line
from scraper.options import MOMENT_HELP, add_db_argument, moment


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sql", help="print the pricing query over tables `usage` and `rates` (DuckDB or Spark SQL)")
    add_db_argument(p)
    p.add_argument("--dialect", choices=("duckdb", "spark"), default="duckdb", help="SQL dialect (default duckdb)")
    p.add_argument("--currency", default="USD", help="the currency of the exported rate table")
    p.add_argument("--at", metavar="ISO8601", type=moment, help="price every row as if it ran then: " + MOMENT_HELP)
    p.add_argument("--as", dest="as_model", metavar="PROVIDER/MODEL",
                   help="price the same tokens on another model (as reprice --as)")
    p.add_argument("--context-window", action="store_true",
                   help="the usage table has a context_window column: the context tier each row was billed at"
                        " (0-200k, 200k-1M), as in Anthropic's usage report")
    p.add_argument("--missing", default="", metavar="COLUMN[,COLUMN...]", type=missing_columns,
                   help="canonical columns the usage table does not have, taken as empty: service_tier and"
                        " the *_tokens columns (e.g. input_cache_write_tokens,input_cache_write_1h_tokens)")
    p.add_argument("--provider", default=None, metavar="ID", type=provider_id,
                   help="the provider of every row, for a usage table without a provider column")
    p.add_argument("--usage-table", default="usage", metavar="NAME", type=table_name,
                   help="the usage table (default usage; catalog.schema.table allowed)")
    p.add_argument("--rates-table", default="rates", metavar="NAME", type=table_name,
                   help="the rate table (default rates; catalog.schema.table allowed)")
    p.set_defaults(func=run)


#: A table name the query can hold as it is, in DuckDB and in Spark: up to three plain
#: identifiers joined by dots (catalog.schema.table).
_TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*){0,2}")


def table_name(text: str) -> str:
    """``text`` if it is a plain (dotted) table name: a name is pasted into the printed query,
    where anything else (a quote, a semicolon) would make another statement of it."""
    if not _TABLE_NAME.fullmatch(text):
        raise argparse.ArgumentTypeError(f"'{one_line(text)}' is not a table name (letters, digits and _,"
                                         " up to three parts joined by dots: catalog.schema.table)")
    return text


#: A provider id as the histories name them (deepseek, x-ai, openai): one that the printed query
#: can hold as a literal in either dialect (Spark's string literals read backslashes).
_PROVIDER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def provider_id(text: str) -> str:
    """``--provider``'s id, lower case; refused when it is no plain id."""
    if not _PROVIDER_ID.fullmatch(text.strip()):
        raise argparse.ArgumentTypeError(f"'{one_line(text)}' is not a provider id (letters, digits, . _ -)")
    return text.strip().lower()


def missing_columns(text: str) -> frozenset[str]:
    """The optional usage columns ``--missing`` names; at least one token column must be left."""
    from db.reprice.pricing_sql import OPTIONAL_USAGE_COLUMNS, not_optional

    names = frozenset(n.strip() for n in text.split(",") if n.strip())
    unknown = not_optional(names)
    if unknown:
        raise argparse.ArgumentTypeError(f"'{one_line(', '.join(unknown))}': not a column a usage table may lack"
                                         f" (those are {', '.join(OPTIONAL_USAGE_COLUMNS)})")
    if all(n in names for n in OPTIONAL_USAGE_COLUMNS[1:]):
        raise argparse.ArgumentTypeError("every token column is missing: nothing would be priced")
    return names


def run(args: argparse.Namespace) -> int:
    from db.reprice.pricing_sql import canonical_usage, placement, pricing_sql
    from scraper.commands.reprice import as_target, open_pricer

    pricer = open_pricer(args)
    target = as_target(pricer, args.as_model)
    typed = canonical_usage(args.dialect, args.usage_table, args.context_window, args.missing, args.provider or "")
    usage = f"({typed}) typed_usage"
    query = pricing_sql(args.dialect, usage=usage, rates=args.rates_table, at=placement(args.at), target=target,
                        scale=pricer.scale)
    zone = ("SET spark.sql.session.timeZone = UTC" if args.dialect == "spark" else "SET TimeZone = 'UTC'")
    sys.stdout.write(f"-- ratecard reprice in {args.dialect} SQL; rates: `ratecard export --rates` "
                     f"({pricer.currency}, scale {pricer.scale}: costs in units of 1e-{6 + pricer.scale})\n"
                     f"-- run with the session time zone in UTC ({zone}): times without a zone are UTC\n")
    sys.stdout.write(query + ";\n")
    return 0
