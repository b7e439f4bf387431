"""The layers the README's "Where things are" lists: data flows down, nothing below calls back up.

``parsers/`` (pure: page text in, quotes out) imports neither ``db`` nor ``scraper``; ``db/``
(storing, deriving, pricing; never fetches) does not import ``scraper``.  Imports inside
functions count too: a late import is still a call back up.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported_packages(path: Path) -> set[tuple[int, str]]:
    """(line, top-level package) of every absolute import in the module at ``path``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {(node.lineno, alias.name.split(".")[0]) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.lineno, node.module.split(".")[0]))
    return found


@pytest.mark.parametrize("layer, above", [("parsers", {"db", "scraper"}), ("db", {"scraper"})])
def test_a_layer_never_imports_the_layers_above_it(layer, above):
    modules = sorted((ROOT / layer).rglob("*.py"))
    assert len(modules) > 10
    calls_up = [f"{path.relative_to(ROOT)}:{line}: imports {package}"
                for path in modules for line, package in sorted(imported_packages(path)) if package in above]
    assert calls_up == []


def test_a_call_back_up_is_seen_even_inside_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import json\n\ndef f():\n    from scraper.output import print_json\n    import db.derive\n")
    assert imported_packages(module) == {(1, "json"), (4, "scraper"), (5, "db")}
