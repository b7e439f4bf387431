"""The Datasette instance ``ratecard serve``, the tests and the bench all browse the history with.

One factory so that what is tested and measured is what is served: the database opened
read-only (``mode=ro`` connections with ``query_only`` set, see the plugin: Datasette refuses
writes and SQLite could not do them anyway), under the fixed name ``ratecard`` so URLs do not
depend on the file name, with the shipped metadata and the ratecard SQL functions.

Read-only, not immutable: a scrape may commit while the history is served.  Immutable told
SQLite the file never changes, so it skipped locking and kept stale pages: counts went stale,
then "database disk image is malformed" until a restart.  Read-only connections take SQLite's
shared lock for each query, so every query sees the last committed run whole (a query that
meets a commit in progress waits for it, up to the connection's 5 s busy timeout).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from datasette.app import Datasette
from datasette.database import Database
from datasette.plugins import pm

from db.datasette import plugin

METADATA_PATH = Path(__file__).with_name("metadata.yaml")
DB_NAME = "ratecard"
PLUGIN_NAME = "ratecard"

#: Charts fetch whole series through the JSON API; 5 years of a busy provider exceeds the
#: default 1000 rows, and a truncated series would draw a wrong chart.  Table pages: the facets
#: that matter are in the metadata, so Datasette's facet suggestions (a query per column on
#: every page) are off, and 50 rows a page keep a 21-column table page well under 50 ms
#: (bench/datasette.py): rendering cells is most of a page's time.
SETTINGS: dict[str, Any] = {"max_returned_rows": 20000, "sql_time_limit_ms": 3000,
                            "suggest_facets": False, "default_page_size": 50}

#: datasette-render-markdown comes with datasette-dashboards (for markdown charts, which the
#: dashboard does not use); its render_cell hook re-reads the metadata for every table cell, a
#: fifth of a table page's time, so ``ratecard serve`` leaves it out.
UNUSED_PLUGINS = ("render_markdown",)


def load_metadata() -> dict[str, Any]:
    return yaml.safe_load(METADATA_PATH.read_text(encoding="utf-8"))


def make_datasette(path: str | Path) -> Datasette:
    """A Datasette serving the history at ``path`` read-only; the file must already exist."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such database (run `ratecard scrape` first)")
    if not pm.is_registered(plugin):
        pm.register(plugin, name=PLUGIN_NAME)
    for name in UNUSED_PLUGINS:
        if pm.get_plugin(name) is not None:
            pm.unregister(name=name)
    ds = Datasette(metadata=load_metadata(), settings=SETTINGS)
    ds.remove_database("_memory")
    ds.add_database(Database(ds, path=str(path), is_mutable=True), name=DB_NAME)
    return ds
