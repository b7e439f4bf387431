"""The Datasette plugin ``ratecard serve`` registers: SQL functions for exact money in SQL, a
read-only guard on every connection, and a plain 405 for POST requests.

Datasette 0.65 answers a POST to a table or to a canned query that is not a writable one with an
HTTP 500 (an assertion inside the view); ratecard serves a read-only history, so every POST
outside Datasette's own ``/-/`` pages is refused with 405 Method Not Allowed before it reaches a
view.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from datasette import hookimpl

from db.datasette.token_cost import SQL_NAME, follow_datasette_time_limit, token_cost

#: The name the history is served under (``db.datasette.app.DB_NAME``; not imported: app imports this).
HISTORY_NAME = "ratecard"

ASGIApp = Callable[[dict[str, Any], Callable, Callable], Awaitable[None]]


@hookimpl
def prepare_connection(conn: sqlite3.Connection, database: str) -> None:
    """Every Datasette connection gets ``ratecard_token_cost`` (see db.datasette.token_cost); the
    history's connections are made query-only, the write connection Datasette keeps for mutable
    databases included (Datasette's own in-memory ``_internal`` database must stay writable)."""
    follow_datasette_time_limit()  # the function stops once the query's time limit is spent
    conn.create_function(SQL_NAME, 5, token_cost, deterministic=True)
    if database == HISTORY_NAME:
        conn.execute("PRAGMA query_only = 1")


@hookimpl
def asgi_wrapper() -> Callable[[ASGIApp], ASGIApp]:
    return refuse_posts


def refuse_posts(app: ASGIApp) -> ASGIApp:
    """Answer POST (and other writing methods) outside ``/-/`` with 405, never a 500."""

    async def wrapped(scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope.get("type") == "http" and scope.get("method") not in ("GET", "HEAD", "OPTIONS") \
                and not scope.get("path", "").startswith("/-/"):
            body = b"ratecard serve is read-only: use GET\n"
            await send({"type": "http.response.start", "status": 405,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"allow", b"GET, HEAD"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await app(scope, receive, send)

    return wrapped
