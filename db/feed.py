"""An Atom feed (RFC 4287) of price change events, so people can subscribe to price cuts.

One entry per provider change set, and one each time a source starts failing (with the kind:
blocked, layout_changed, fetch_failed, ...) or recovers, so whoever follows the prices also hears
when the prices stop being watched.  A change set is what one announcement or one observation
changed at one provider: the changes of that provider with the same effective instant and the
same basis (announced / observed).  WHY: a provider's price update touches every model x
component x tier x currency (DeepSeek's 2026-08 peak pricing is 36 change events); a reader
wants one item saying "DeepSeek changed 36 prices", with every line inside it, not 36 items.
Entry ids are ``urn:uuid`` names derived from what identifies the set (provider, effective
instant, basis), so a rebuild, a re-export or a scheduled set becoming confirmed keeps the id,
and feed readers never show an announcement twice.  Every instant in
the feed comes from the history, never from the clock, so an unchanged history gives identical
bytes (and no nightly diff).
"""

from __future__ import annotations

import uuid
from typing import Any
from xml.etree import ElementTree as ET

import sqlite_utils

from parsers.safetext import xml_text

ATOM = "http://www.w3.org/2005/Atom"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/ratecard/ratecard#price-change")
FEED_ID = f"urn:uuid:{uuid.uuid5(NAMESPACE, 'feed')}"
#: Entries kept in the feed (newest first); the full log is in the exports.
MAX_ENTRIES = 200
#: Source failing / recovered entries kept (newest first); ``ratecard status`` has the rest.
MAX_SOURCE_ENTRIES = 50


def change_line(c: dict[str, Any], when: bool = True) -> str:
    """One change for people: ``deepseek-v4-pro output 3.96 → 1.98 USD`` (and, with ``when``,
    a scheduled or announced instant)."""
    series = " ".join(p for p in (c["model"], c["component"],
                                  None if c["tier"] == "standard" else c["tier"]) if p)
    if c["kind"] == "added":
        text = f"{series} added at {c['new_price']} {c['currency']}"
    elif c["kind"] == "removed":
        text = f"{series} removed (was {c['old_price']} {c['currency']})"
    else:
        text = f"{series} {c['old_price']} → {c['new_price']} {c['currency']}"
    if not when:
        return text
    if c["status"] == "scheduled":
        text += f", scheduled for {c['effective_at']}"
    elif c["basis"] == "announced":
        text += f", effective {c['effective_at']}"
    return text


def entry_updated(db: sqlite_utils.Database, c: dict[str, Any]) -> str:
    """When we learnt of the event: the observation that showed it, or for a scheduled change the
    first observation of the announcement (or of the promo whose end it is)."""
    if c["observed_at"]:
        return c["observed_at"]
    key = [c[f] for f in ("provider", "model", "component", "tier", "currency")]
    where = "provider = ? AND model = ? AND component = ? AND tier = ? AND currency = ?"
    for sql in (f"SELECT MIN(announced_at) FROM announcements WHERE {where} AND effective_at = ?",
                f"SELECT MIN(first_observed_at) FROM prices WHERE {where} AND valid_to = ?"):
        found = db.execute(sql, [*key, c["effective_at"]]).fetchone()[0]
        if found:
            return found
    return c["effective_at"]


def change_sets(db: sqlite_utils.Database, limit: int = MAX_ENTRIES) -> list[list[dict[str, Any]]]:
    """The newest ``limit`` change sets, newest first: each the changes of one provider with one
    effective instant and basis, in series order."""
    sets: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for c in db.query("SELECT * FROM changes ORDER BY effective_at DESC, provider, basis,"
                      " model, component, tier, currency"):
        key = (c["provider"], c["effective_at"], c["basis"])
        if key not in sets and len(sets) == limit:
            break
        sets.setdefault(key, []).append(c)
    return list(sets.values())


def set_id(changes: list[dict[str, Any]]) -> str:
    first = changes[0]
    name = "|".join(("set", first["provider"], first["effective_at"], first["basis"]))
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, name)}"


def set_title(changes: list[dict[str, Any]]) -> str:
    """One change: its line; several: how many and of what kinds, and when."""
    first = changes[0]
    if len(changes) == 1:
        kind = "" if first["kind"] in ("added", "removed") else f" ({first['kind']})"
        return f"{first['provider']}: {change_line(first)}{kind}"
    kinds: dict[str, int] = {}
    for c in changes:
        kinds[c["kind"]] = kinds.get(c["kind"], 0) + 1
    counted = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
    scheduled = all(c["status"] == "scheduled" for c in changes)
    when = f"scheduled for {first['effective_at']}" if scheduled else f"effective {first['effective_at']}"
    return f"{first['provider']}: {len(changes)} price changes {when} ({counted})"


def build_feed(db: sqlite_utils.Database, title: str = "ratecard: LLM API price changes",
               link: str | None = None) -> bytes:
    """The Atom document of the newest ``MAX_ENTRIES`` change sets, newest first."""
    entries = [(max(entry_updated(db, c) for c in changes), changes) for changes in change_sets(db)]
    events = source_events(db)[-MAX_SOURCE_ENTRIES:][::-1]
    first_run = db.execute("SELECT MIN(observed_at) FROM observations").fetchone()[0]
    updated = max([u for u, _ in entries] + [e["at"] for e in events] or [first_run or "1970-01-01T00:00:00Z"])
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "id", FEED_ID)
    _text(feed, "title", title)
    _text(feed, "updated", updated)
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "ratecard")
    if link:
        ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=link)
    for when, changes in entries:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "id", set_id(changes))
        _text(entry, "title", set_title(changes))
        _text(entry, "updated", when)
        for kind in sorted({c["kind"] for c in changes}):
            ET.SubElement(entry, f"{{{ATOM}}}category", term=kind)
        _text(entry, "content", _set_details(changes)).set("type", "text")
    for event in events:
        _source_entry(feed, event)
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def _set_details(changes: list[dict[str, Any]]) -> str:
    """One change: its details; several: one line each, then when and how we know, once."""
    if len(changes) == 1:
        return _details(changes[0])
    first = changes[0]
    lines = [f"{first['provider']}, per 1M tokens:"]
    lines += [f"- {change_line(c, when=False)}" + (f" ({c['percent_change']}%)" if c["percent_change"] else "")
              for c in changes]
    statuses = sorted({c["status"] for c in changes})
    lines.append(f"effective {first['effective_at']} ({first['basis']}, {', '.join(statuses)})")
    after = sorted({(c["observed_after"], c["observed_at"]) for c in changes
                    if c["basis"] == "observed" and c["observed_after"]})
    for a, b in after:
        lines.append(f"between the observations of {a} and {b}")
    lines.append(f"source: {', '.join(sorted({c['source_id'] for c in changes}))}")
    return "\n".join(lines)


def _details(c: dict[str, Any]) -> str:
    lines = [
        f"{c['provider']} {c['model']} {c['component']} ({c['tier']} tier, {c['currency']} per 1M tokens)",
        f"{c['kind']}: {c['old_price'] or '-'} -> {c['new_price'] or '-'}"
        + (f" ({c['percent_change']}%)" if c["percent_change"] else ""),
        f"effective {c['effective_at']} ({c['basis']}, {c['status']})",
    ]
    if c["basis"] == "observed" and c["observed_after"]:
        lines.append(f"between the observations of {c['observed_after']} and {c['observed_at']}")
    if c["new_window"] or c["old_window"]:
        lines.append(f"window: {c['old_window'] or '-'} -> {c['new_window'] or '-'}")
    lines.append(f"source: {c['source_id']}")
    return "\n".join(lines)


def source_events(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Each time a source started failing or recovered, oldest first, from its fetched observations
    (an archive page says nothing about scraping today).  A source whose first run fails starts
    failing then."""
    events: list[dict[str, Any]] = []
    for (source_id,) in db.execute("SELECT id FROM sources ORDER BY id").fetchall():
        failing: dict[str, Any] | None = None
        last_ok: str | None = None
        for obs in db.query("SELECT observed_at, outcome, error, way FROM observations"
                            " WHERE source_id = ? AND archive = 0 ORDER BY observed_at, id", [source_id]):
            if obs["outcome"] == "ok":
                if failing is not None:
                    events.append({"kind": "recovered", "source_id": source_id, "at": obs["observed_at"],
                                   "way": obs["way"], "since": failing["at"], "runs": failing["runs"]})
                failing, last_ok = None, obs["observed_at"]
            elif failing is None:
                failing = {"kind": "failing", "source_id": source_id, "at": obs["observed_at"],
                           "outcome": obs["outcome"], "error": obs["error"], "last_success": last_ok, "runs": 1}
                events.append(failing)
            else:
                failing["runs"] += 1
    return sorted(events, key=lambda e: (e["at"], e["source_id"]))


def _source_entry(feed: ET.Element, event: dict[str, Any]) -> None:
    entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
    name = "|".join(("source", event["source_id"], event["kind"], event["at"]))
    _text(entry, "id", f"urn:uuid:{uuid.uuid5(NAMESPACE, name)}")
    if event["kind"] == "failing":
        _text(entry, "title", f"{event['source_id']} is failing: {event['outcome']}")
        details = [f"{event['source_id']}: {event['outcome']} from {event['at']}; its prices are no longer"
                   " being updated (the last ones seen stay in force)",
                   f"last success: {event['last_success'] or 'never'}", f"why: {event['error'] or '-'}"]
    else:
        runs = "1 failed run" if event["runs"] == 1 else f"{event['runs']} failed runs"
        _text(entry, "title", f"{event['source_id']} recovered")
        details = [f"{event['source_id']}: read again at {event['at']} via {event['way'] or 'http'},"
                   f" after failing from {event['since']} ({runs})"]
    _text(entry, "updated", event["at"])
    ET.SubElement(entry, f"{{{ATOM}}}category", term=f"source_{event['kind']}")
    _text(entry, "content", "\n".join(details)).set("type", "text")


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    """A text element; page-derived text has its control characters made visible (valid XML)."""
    el = ET.SubElement(parent, f"{{{ATOM}}}{tag}")
    el.text = "\n".join(xml_text(line) for line in text.split("\n"))
    return el
