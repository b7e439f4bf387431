"""Reading a JSON file ratecard ships or is given (the curated history, the alias table) field by
field: every refusal is one line, ``file: field path: problem``, raised as the file's own kind
of :class:`~db.errors.DataError`, which every command prints as such (never a traceback).

WHY one reader: the curated files and the alias table check the same kinds of fields (objects
with known keys, texts, https URLs, UTC instants); two copies of those checks had drifted into
different words for the same mistake.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from db.errors import DataError
from parsers.quote import iso_utc, parse_utc


def read_json(path: Path, error: type[DataError]) -> Any:
    """The file's JSON; text that is not JSON raises ``error`` naming the file and line."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise error(f"{path}: line {exc.lineno}: invalid JSON: {exc.msg}") from None


class FieldReader:
    """Checks of one file's fields; ``where`` is the field's path (``entries[0].prices[1]``)."""

    #: The error this file's refusals raise (a subclass names the file's kind).
    error: type[DataError] = DataError

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, problem: str) -> DataError:
        return self.error(f"{self.path}: {where}: {problem}")

    def object(self, value: Any, where: str, allowed: set[str], required: set[str]) -> None:
        """``value`` is an object with only ``allowed`` keys and every ``required`` one."""
        if not isinstance(value, dict):
            raise self.fail(where, "must be an object")
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise self.fail(where, f"unknown field {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
        missing = sorted(required - set(value))
        if missing:
            raise self.fail(where, f"missing field {missing[0]!r}")

    def text(self, value: Any, where: str, allow_empty: bool = False) -> str:
        if not isinstance(value, str) or (not allow_empty and not value.strip()):
            raise self.fail(where, "must be a non-empty string" if not allow_empty else "must be a string")
        return value

    def url(self, value: Any, where: str) -> str:
        text = self.text(value, where)
        if not text.startswith("https://"):
            raise self.fail(where, f"{text!r} is not an https:// URL")
        return text

    def instant(self, value: Any, where: str) -> datetime:
        """A UTC instant written as ratecard writes one (``2025-02-08T16:00:00Z``), nothing looser."""
        text = self.text(value, where)
        try:
            parsed = parse_utc(text)
        except ValueError:
            parsed = None
        if parsed is None or iso_utc(parsed) != text:
            raise self.fail(where, f"{text!r} is not a UTC instant like 2025-02-08T16:00:00Z")
        return parsed


__all__ = ["FieldReader", "read_json"]
