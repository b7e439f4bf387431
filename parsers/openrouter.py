"""OpenRouter: the public model list API, read as a reseller's price list.

OpenRouter is tracked as its own provider (``openrouter``) because its prices are resale prices:
``x-ai/grok-4`` on OpenRouter is a separate price series from ``grok-4`` at xAI, and the two can
differ or change on different days.

The source is ``GET https://openrouter.ai/api/v1/models`` (no key needed).  The live API wraps the
list as ``{"data": [...]}``; mirrors that post-process it with ``jq .data`` store the bare array,
so both are read.  Prices are decimal strings in USD per *token* (``"0.00000015"``); they become
per-1M prices by an exact decimal shift, never through a float.

**Model ids** are kept exactly as OpenRouter writes them, variant suffixes included:
``qwen/qwen3-coder:free`` and ``openai/gpt-3.5-turbo:batch`` are models of their own, with their
own standard-tier prices.  A ``:batch`` id is *not* folded into a ``batch`` tier of its base id,
because a usage row from OpenRouter names the id it called (``openai/gpt-3.5-turbo:batch``) and
must find a price under that id; folding it would leave such rows unpriced.

**Components**: ``prompt`` -> ``input``, ``completion`` -> ``output``, ``input_cache_read`` ->
``input_cache_hit``, ``input_cache_write`` -> ``input_cache_write`` (5-minute writes),
``input_cache_write_1h`` -> ``input_cache_write_1h``.  ``"0"`` is a real price (free models).

**Prices compared as values** (issue #12): OpenRouter writes one price as
``0.0000000833333333333333`` one day and ``0.00000008333333333333334`` the next (float noise from
its own JSON), or ``0.00000020000000000000002`` for 0.2 per 1M.  Every per-1M price is therefore
rounded (half-even) to :data:`SIGNIFICANT_DIGITS` = 12 significant digits, trailing zeros
dropped: a difference below one part in 10^11 (float noise is ~1e-16 relative) vanishes, while
every price a human wrote (at most ~10 significant digits) is kept exactly.  ``price_text`` is
the per-token value as the API means it (``0.00000015``), written canonically from that rounded
value, so equal prices give byte-identical quotes (and quote sets) whatever the spelling
(``0.000000150``, or noise in the 17th digit).

**Overrides** (``pricing.overrides``, 2026): a list of price sets that replace the base prices

* ``min_prompt_tokens: N`` -> tier ``context>{N/1000}k``, the long-context tier the pricer applies
  to a request whose prompt is *over* N/1000 thousand tokens.  OpenRouter's name says "min",
  i.e. a prompt of exactly N tokens already pays it; the providers behind these ids (Anthropic,
  Google, OpenAI, xAI, Qwen) all state the rule as "over N tokens", so the pricer's ``>`` is kept
  and the one-token edge case is documented here rather than guessed.  A threshold that is not a
  whole number of thousands cannot be named as a tier: it is skipped with a warning.
* ``utc_start``/``utc_end`` (``HHMM`` integers, ``1000`` = 10:00 UTC, an end before the start
  wraps midnight), on the ``utc_days`` named (``["saturday", "sunday"]``; all day when no hours
  are given; every day without them) -> time-of-day tiers, with days in the window
  (``Mon-Fri 01:00-04:00 UTC``).  The day is cut at every edge; hours no override covers
  keep the base prices.  Two distinct price sets become ``off_peak`` (the lower) and ``peak`` (the
  higher) with their UTC windows (:mod:`parsers.window`, as :mod:`parsers.deepseek` writes them);
  the base price is then not quoted on its own (it is never charged outside those windows).  One
  price set all day is simply ``standard``.  Anything else (three price sets, sets that are not
  ordered, overlapping windows) cannot be told apart safely: the model is skipped with a reason.
* an override with neither key, or with both, is skipped with a reason.

**Skipped, with a reason** (``Reading.skipped``): ``"-1"`` prices (decided per request, e.g.
``openrouter/auto``; also counted in :attr:`ModelList.dynamic`), a model entry that cannot be
read (no id, no pricing, a price that is not a number or negative: that model only, never half of
it), a model listed twice with different prices, unusable overrides, and pricing keys that are not per-token prices
(``image``, ``audio``, ``web_search``, ``request``, ``internal_reasoning`` ...) summarised one
entry per key.  The page fails (ParseError) only when it is not a models response at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from parsers import window as windows
from parsers.quote import ParseError, Quote, Reading, Skipped, decimal_text
from parsers.registry import Source

PROVIDER = "openrouter"
PARSER_VERSION = "2"
MODELS_URL = "https://openrouter.ai/api/v1/models"
SOURCES = [Source(id="openrouter-models", provider=PROVIDER, url=MODELS_URL, currencies=("USD",))]

#: OpenRouter pricing key -> ratecard component.
COMPONENT_KEYS: dict[str, str] = {
    "prompt": "input",
    "completion": "output",
    "input_cache_read": "input_cache_hit",
    "input_cache_write": "input_cache_write",
    "input_cache_write_1h": "input_cache_write_1h",
}
#: Keys that are charges per image, per request, per search or per audio/reasoning token class:
#: a per-1M-token quote of the five components cannot express them.
NON_TOKEN_KEYS = ("image", "image_output", "audio", "audio_output", "input_audio_cache", "web_search",
                  "request", "internal_reasoning", "discount")
#: What an override may hold: its conditions, and prices (token components or other charges).
OVERRIDE_KEYS = {"min_prompt_tokens", "utc_start", "utc_end", "utc_days", *COMPONENT_KEYS, *NON_TOKEN_KEYS}
#: Every model must carry these; a model without them means the schema changed under us.
REQUIRED_KEYS = ("prompt", "completion")
DYNAMIC_PRICE = Decimal(-1)
#: Per-1M prices are rounded to this many significant digits (see the module docstring).
SIGNIFICANT_DIGITS = 12


@dataclass(frozen=True)
class ModelList:
    """What one models response yields: the quotes, the prices skipped as dynamic, all skips.

    ``dynamic`` holds ``(model id, pricing key)`` pairs, so a run can report how many prices it
    could not record rather than dropping them silently.
    """

    quotes: list[Quote]
    dynamic: list[tuple[str, str]]
    skipped: list[Skipped]


def parse(text: str, source_url: str = "") -> list[Quote]:
    """Quotes of every model in an OpenRouter models response (see :func:`read_models`)."""
    return read_models(text, source_url).quotes


def read(text: str, source_url: str = "") -> Reading:
    """The registry's entry point: quotes plus what was skipped and why."""
    result = read_models(text, source_url)
    return Reading(result.quotes, result.skipped)


def per_million(per_token: Decimal) -> Decimal:
    """USD per token -> USD per 1M tokens, exact shift then float noise rounded away."""
    value = per_token.scaleb(6)
    digits = value.as_tuple().digits
    if value and len(digits) > SIGNIFICANT_DIGITS:
        value = value.quantize(Decimal(1).scaleb(value.adjusted() - SIGNIFICANT_DIGITS + 1), ROUND_HALF_EVEN)
    if not value:
        return Decimal(0)
    value = value.normalize()
    return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value  # 83300, not 8.33E+4


def read_models(text: str, source_url: str = "") -> ModelList:
    """Read a models response; raise :class:`ParseError` when it is not one."""
    url = source_url
    models = _model_entries(text, url)
    reader = _Reader(url)
    for entry in models:
        reader.added = []
        try:
            reader.model(entry)
        except _ModelProblem as problem:
            for slot in reader.added:  # no half-read model
                del reader.quotes[slot]
            reader.skipped.append(Skipped(problem.model, problem.text, problem.reason))
    quotes = reader.finish()
    if not quotes:
        why = f" (first skipped: {reader.skipped[0]})" if reader.skipped else ""
        raise ParseError(PROVIDER, f"models response holds no token prices{why}", url)
    return ModelList(quotes=quotes, dynamic=reader.dynamic, skipped=reader.skipped + reader.summary())


class _ModelProblem(Exception):
    """One model entry that cannot be read: skipped with its reason, the rest of the list goes on."""

    def __init__(self, model: str, text: str, reason: str) -> None:
        super().__init__(f"{model}: {reason}")
        self.model, self.text, self.reason = model, text[:200], reason


class _Reader:
    """Accumulates quotes and skips over the model entries of one response."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.quotes: dict[tuple[str, str, str], Quote] = {}
        self.conflicts: set[str] = set()
        self.dynamic: list[tuple[str, str]] = []
        self.skipped: list[Skipped] = []
        self.other_keys: dict[str, list[str]] = {}
        self.cache: dict[str, tuple[Decimal, str]] = {}
        self.added: list[tuple[str, str, str]] = []  # series the model being read has added

    def model(self, entry: Any) -> None:
        model, pricing = _model_and_pricing(entry)
        base = self._prices(model, pricing, "pricing")
        for key in pricing:
            if key not in COMPONENT_KEYS and key != "overrides":
                self.other_keys.setdefault(key, []).append(model)
        overrides = pricing.get("overrides") or []
        if not isinstance(overrides, list):
            self.skip(model, "pricing.overrides", overrides, "overrides is not a list")
            overrides = []
        unknown = sorted({k for o in overrides if isinstance(o, dict) for k in o} - OVERRIDE_KEYS)
        if unknown:
            # a condition ratecard does not read (a region, a date, a request kind): where the
            # override applies is unknown, so even the base price is not certain at any moment
            self.skip(model, "pricing.overrides", overrides, f"override with a condition ratecard does not read"
                                                             f" ({', '.join(unknown)}): model skipped")
            return
        by_time = [o for o in overrides if isinstance(o, dict) and _is_time(o) and "min_prompt_tokens" not in o]
        by_context = [o for o in overrides if isinstance(o, dict) and "min_prompt_tokens" in o and not _is_time(o)]
        for o in overrides:
            if not (isinstance(o, dict) and (o in by_time or o in by_context)):
                self.skip(model, "pricing.overrides", o, "override is neither a prompt-size threshold nor a "
                                                         "UTC time of day alone: no tier can express it")
        if by_time:
            self._time_of_day(model, base, by_time)
        else:
            for component, (price, text) in base.items():
                self.add(model, component, "standard", "", price, text)
        for o in by_context:
            self._long_context(model, o)

    def _prices(self, model: str, pricing: dict[str, Any], where: str) -> dict[str, tuple[Decimal, str]]:
        """Component -> (per-1M price, page text) of one price set; -1 prices skipped."""
        out: dict[str, tuple[Decimal, str]] = {}
        for key, component in COMPONENT_KEYS.items():
            if key not in pricing:
                continue
            raw = pricing[key]
            cached = self.cache.get(raw) if isinstance(raw, str) else None
            if cached is not None:  # catalogue prices repeat: one Decimal per distinct string
                out[component] = cached
                continue
            per_token = _decimal(raw, model, f"{where}.{key}")
            if per_token == DYNAMIC_PRICE:
                self.dynamic.append((model, key))
                self.skip(model, f"{where}.{key}", raw, "-1: the price is decided per request (dynamic), "
                                                        "not a fixed price")
                continue
            if per_token < 0:
                raise _ModelProblem(model, str(raw), f"negative {where}.{key} price: model skipped")
            price = per_million(per_token)
            out[component] = (price, decimal_text(price.scaleb(-6)))
            if isinstance(raw, str):
                self.cache[raw] = out[component]
        return out

    def _long_context(self, model: str, override: dict[str, Any]) -> None:
        threshold = override["min_prompt_tokens"]
        if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold <= 0 or threshold % 1000:
            self.skip(model, "pricing.overrides.min_prompt_tokens", threshold,
                      "threshold is not a whole number of thousands of tokens: no context>NNNk tier names it")
            return
        tier = f"context>{threshold // 1000}k"
        for component, (price, text) in self._prices(model, override, f"overrides[{tier}]").items():
            self.add(model, component, tier, "", price, text,
                     note=f"OpenRouter min_prompt_tokens {threshold}: priced for prompts over {threshold} tokens")

    def _time_of_day(self, model: str, base: dict[str, tuple[Decimal, str]], overrides: list[dict[str, Any]]) -> None:
        """Cut the day at the overrides' edges; two price sets become off_peak and peak."""
        sets: list[tuple[windows.Window, dict[str, tuple[Decimal, str]]]] = []
        covered = windows.Window(())
        for o in overrides:
            try:
                window = _utc_window(o)
            except (TypeError, ValueError, windows.WindowError) as exc:
                self.skip(model, "pricing.overrides", o, f"unreadable UTC time of day or days ({exc}): model skipped")
                return
            if _overlaps(covered, window):
                self.skip(model, "pricing.overrides", overrides, "time-of-day overrides overlap: model skipped")
                return
            covered = _union(covered, window)
            sets.append((window, {**base, **self._prices(model, o, "overrides[utc]")}))
        rest = covered.complement()
        if rest.intervals:
            sets.append((rest, base))
        groups: dict[tuple[tuple[str, Decimal], ...], tuple[windows.Window, dict[str, tuple[Decimal, str]]]] = {}
        for window, prices in sets:
            key = tuple(sorted((c, p) for c, (p, _) in prices.items()))
            seen = groups.get(key)
            groups[key] = (_union(seen[0], window) if seen else window, prices)
        if len(groups) == 1:
            (_, prices), = groups.values()
            for component, (price, text) in prices.items():
                self.add(model, component, "standard", "", price, text)
            return
        ordered = _order_two(list(groups.values()))
        if ordered is None:
            self.skip(model, "pricing.overrides", overrides, f"{len(groups)} time-of-day price sets that are not one "
                      "lower (off-peak) and one higher (peak): cannot name their tiers, model skipped")
            return
        for tier, (window, prices) in zip(("off_peak", "peak"), ordered):
            for component, (price, text) in prices.items():
                self.add(model, component, tier, window.format(), price, text)

    def add(self, model: str, component: str, tier: str, window: str, price: Decimal, text: str,
            note: str = "") -> None:
        """Keep one quote per series; a model listed twice with another price is skipped, not guessed."""
        slot = (model, component, tier)
        if model in self.conflicts:
            return
        quote = Quote(provider=PROVIDER, model=model, component=component, currency="USD", price=price,
                      price_text=text, tier=tier, window=window, source_url=self.url, note=note)
        seen = self.quotes.get(slot)
        if seen is None:
            self.quotes[slot] = quote
            self.added.append(slot)
        elif (seen.price, seen.window) != (quote.price, quote.window):
            self.conflicts.add(model)
            self.skip(model, f"pricing.{component}", f"{seen.price_text} vs {text}",
                      "model listed twice with different prices: neither is certain, model skipped")

    def skip(self, model: str, where: str, value: Any, reason: str) -> None:
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        self.skipped.append(Skipped(f"{model} {where}", text, reason))

    def finish(self) -> list[Quote]:
        return [q for q in self.quotes.values() if q.model not in self.conflicts]

    def summary(self) -> list[Skipped]:
        """One entry per pricing key that is not a per-token price, with how many models carry it."""
        out = []
        for key, models in sorted(self.other_keys.items()):
            shown = ", ".join(models[:3]) + (f" and {len(models) - 3} more" if len(models) > 3 else "")
            reason = ("a charge per image, request, search or audio/reasoning token class: not one of the "
                      "per-1M token components" if key in NON_TOKEN_KEYS else "unknown pricing key: not read")
            count = f"{len(models)} model" + ("s" if len(models) > 1 else "")
            out.append(Skipped(f"pricing.{key}", f"{count}: {shown}", reason))
        return out


def _is_time(override: dict[str, Any]) -> bool:
    return "utc_start" in override or "utc_end" in override or "utc_days" in override


#: ``utc_days`` names (``"saturday"``, ``"Sat"``) -> the window grammar's day names.
_DAYS = {name.lower(): short for full in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                                          "sunday") for short in [full[:3].title()] for name in (full, full[:3])}


def _utc_window(override: dict[str, Any]) -> windows.Window:
    """The UTC window of a time override: ``utc_start``-``utc_end`` (both, or neither: all day) on
    the ``utc_days`` it names (every day without them).  A day limit is never dropped: without it
    a weekday peak would be charged on weekends too."""
    days = override.get("utc_days")
    if days is None:
        spec = ""
    elif isinstance(days, list) and days and all(isinstance(d, str) and d.strip().lower() in _DAYS for d in days):
        spec = ",".join(_DAYS[d.strip().lower()] for d in days)
    else:
        raise ValueError(f"utc_days {days!r} is not a list of day names")
    if "utc_start" not in override and "utc_end" not in override:
        ranges = "00:00-24:00"
    else:
        ranges = f"{_hhmm(override.get('utc_start'))}-{_hhmm(override.get('utc_end'))}"
    return windows.from_local(ranges, 0, spec)


def _hhmm(value: Any) -> str:
    """``1000`` / ``"1000"`` / ``"10:00"`` -> ``10:00``; anything else is a ValueError."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a time of day")
    if isinstance(value, str) and ":" in value:
        return value.strip()
    number = int(value)
    if number < 0 or number > 2400:
        raise ValueError(f"{value!r} is not a time of day")
    return f"{number // 100:02d}:{number % 100:02d}"


def _union(a: windows.Window, b: windows.Window) -> windows.Window:
    merged: list[list[int]] = []
    for start, end in sorted(a.intervals + b.intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return windows.Window(tuple((s, e) for s, e in merged))


def _overlaps(a: windows.Window, b: windows.Window) -> bool:
    return any(s1 < e2 and s2 < e1 for s1, e1 in a.intervals for s2, e2 in b.intervals)


def _order_two(groups: list[tuple[windows.Window, dict[str, tuple[Decimal, str]]]]):
    """The two price sets as (lower, higher), when every component agrees which is which."""
    if len(groups) != 2:
        return None
    (wa, a), (wb, b) = groups
    if a.keys() != b.keys():
        return None
    if all(a[c][0] <= b[c][0] for c in a):
        return [(wa, a), (wb, b)]
    if all(b[c][0] <= a[c][0] for c in a):
        return [(wb, b), (wa, a)]
    return None


def _model_entries(text: str, url: str) -> list[Any]:
    """The model list, whether wrapped as ``{"data": [...]}`` or stored as the bare array."""
    try:
        # parse_float keeps any numeric (non-string) price exact should the API ever send one.
        doc = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise ParseError(PROVIDER, f"not a JSON models response ({exc.msg} at char {exc.pos})",
                         url) from None
    models = doc.get("data") if isinstance(doc, dict) else doc
    if not isinstance(models, list):
        raise ParseError(PROVIDER, 'expected {"data": [...]} or a JSON array of models', url)
    if not models:
        raise ParseError(PROVIDER, "models response lists no models", url)
    return models


def _model_and_pricing(entry: Any) -> tuple[str, dict[str, Any]]:
    """A model's id and pricing object; the required keys must be there."""
    model = entry.get("id") if isinstance(entry, dict) else None
    if not isinstance(model, str) or not model:
        raise _ModelProblem("(model without an id)", str(entry), "model entry without an id: skipped")
    pricing = entry.get("pricing")
    if not isinstance(pricing, dict):
        raise _ModelProblem(model, str(pricing), "no pricing object: model skipped")
    missing = [key for key in REQUIRED_KEYS if key not in pricing]
    if missing:
        raise _ModelProblem(model, json.dumps(pricing, default=str), f"pricing lacks {', '.join(missing)}: model skipped")
    return model, pricing


def _decimal(raw: Any, model: str, where: str) -> Decimal:
    """A price value as an exact Decimal: strings as written, integers, or JSON decimals."""
    value: Decimal | None = None
    if isinstance(raw, (str, int, Decimal)) and not isinstance(raw, bool):
        try:
            value = Decimal(raw.strip()) if isinstance(raw, str) else Decimal(raw)
        except InvalidOperation:
            value = None
    if value is None or not value.is_finite():
        raise _ModelProblem(model, str(raw), f"{where} price is not a number: model skipped")
    return value
