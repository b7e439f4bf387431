"""``ratecard serve``: browse the history in Datasette, read-only, with the shipped metadata.

Before serving, the file is opened once as every command opens it, which brings the views and
browsing indexes up to date (db.views; rows are never touched); then it is served read-only, so
nothing in the browser can write to it, while scrapes may go on writing it (each query sees the
last committed run; no restart needed).  SIGINT/SIGTERM stop the server within 5 s even while a
slow query runs.
"""

from __future__ import annotations

import argparse
import sqlite3

from scraper.cli import CommandError
from scraper.options import add_db_argument, db_path, open_existing, port_number


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="browse the history in Datasette (read-only)")
    add_db_argument(p)
    p.add_argument("--host", default="127.0.0.1",
                   help="interface to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=port_number, default=8001, metavar="N", help="port (default 8001)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here, not at registration: Datasette and uvicorn cost every other command ~0.5 s.
    import uvicorn

    from db.datasette.app import DB_NAME, make_datasette

    try:
        open_existing(args).close()  # adds missing tables, views and browsing indexes
    except sqlite3.OperationalError as exc:
        raise CommandError(f"{db_path(args)}: cannot add the browsing views ({exc})") from None
    ds = make_datasette(db_path(args))
    print(f"ratecard serve: http://{args.host}:{args.port}/{DB_NAME} "
          f"(dashboard: http://{args.host}:{args.port}/-/dashboards/price-history)", flush=True)
    uvicorn.run(ds.app(), host=args.host, port=args.port, log_level="warning", lifespan="on",
                timeout_graceful_shutdown=5)
    return 0
