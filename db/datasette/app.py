"""The Datasette instance ``ratecard serve``, the tests and the bench all browse the history with.

One factory so that what is tested and measured is what is served: the database opened
immutable (read-only; Datasette refuses writes and SQLite could not do them anyway), under the
fixed name ``ratecard`` so URLs do not depend on the file name, with the shipped metadata and
the ratecard SQL functions.
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
#: default 1000 rows, and a truncated series would draw a wrong chart.
SETTINGS: dict[str, Any] = {"max_returned_rows": 20000, "sql_time_limit_ms": 3000}


def load_metadata() -> dict[str, Any]:
    return yaml.safe_load(METADATA_PATH.read_text(encoding="utf-8"))


def make_datasette(path: str | Path) -> Datasette:
    """A Datasette serving the history at ``path`` read-only; the file must already exist."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such database (run `ratecard scrape` first)")
    if not pm.is_registered(plugin):
        pm.register(plugin, name=PLUGIN_NAME)
    ds = Datasette(metadata=load_metadata(), settings=SETTINGS)
    ds.remove_database("_memory")
    ds.add_database(Database(ds, path=str(path), is_mutable=False), name=DB_NAME)
    return ds
