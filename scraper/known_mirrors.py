"""Known public mirrors: git repositories that commit a provider's pricing page over time.

``ratecard backfill --git CLONE --mirror NAME`` takes the file and the source from this list, so
rebuilding a stretch of history from a clone needs no knowledge of the repository's layout.  The
list is data (``scraper/known_mirrors.json``, documented in ``docs/mirrors.md``); each entry is
checked against the registry when read, so a renamed source cannot leave a mirror pointing at
nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from parsers import registry

MIRRORS_FILE = Path(__file__).with_name("known_mirrors.json")
_KEYS = {"name", "repo", "path", "provider", "source", "covers"}


class MirrorListError(ValueError):
    """The mirror list does not follow its format; the message names file and field."""


@dataclass(frozen=True)
class KnownMirror:
    name: str
    repo: str      # the public repository (clone it, then pass the clone to --git)
    path: str      # the mirrored file, relative to the repository root
    provider: str
    source: str    # the ratecard source id the file's versions are observations of
    covers: str    # the stretch of time and the format, for people choosing a mirror


def read_mirrors(path: Path = MIRRORS_FILE) -> dict[str, KnownMirror]:
    """name -> mirror, validated (unknown provider or source, missing field: MirrorListError)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise MirrorListError(f"{path}: line {exc.lineno}: invalid JSON: {exc.msg}") from None
    out: dict[str, KnownMirror] = {}
    for i, raw in enumerate(data.get("mirrors", []) if isinstance(data, dict) else []):
        where = f"{path}: mirrors[{i}]"
        if not isinstance(raw, dict) or set(raw) != _KEYS or not all(isinstance(v, str) and v for v in raw.values()):
            raise MirrorListError(f"{where}: needs exactly the text fields {', '.join(sorted(_KEYS))}")
        mirror = KnownMirror(**raw)
        if mirror.provider not in registry.PROVIDER_MODULES:
            raise MirrorListError(f"{where}.provider: unknown provider {mirror.provider!r}")
        if mirror.source not in {s.id for s in registry.sources(mirror.provider)}:
            raise MirrorListError(f"{where}.source: {mirror.provider} has no source {mirror.source!r}")
        if not mirror.repo.startswith("https://"):
            raise MirrorListError(f"{where}.repo: {mirror.repo!r} is not an https:// URL")
        if mirror.name in out:
            raise MirrorListError(f"{where}.name: {mirror.name!r} is listed twice")
        out[mirror.name] = mirror
    if not out:
        raise MirrorListError(f"{path}: no mirrors listed")
    return out


__all__ = ["KnownMirror", "MIRRORS_FILE", "MirrorListError", "read_mirrors"]
