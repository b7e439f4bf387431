"""The Datasette plugin ``ratecard serve`` registers: SQL functions for exact money in SQL."""

from __future__ import annotations

import sqlite3

from datasette import hookimpl

from db.datasette.token_cost import SQL_NAME, token_cost


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    """Every Datasette connection gets ``ratecard_token_cost`` (see db.datasette.token_cost)."""
    conn.create_function(SQL_NAME, 5, token_cost, deterministic=True)
