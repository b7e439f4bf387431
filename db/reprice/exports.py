"""Usage as providers and tools export it, turned into ratecard's usage rows' columns.

Each export keeps its own shape; this module knows each one and hands ``db.reprice.usage`` plain
records with the column names it already reads (``time``, ``provider``, ``model``,
``service_tier``, token columns).  What each shape means, from the providers' documentation:

* **OpenAI organization usage API** (``/v1/organization/usage/completions``): a ``page`` of
  ``bucket`` objects (``start_time``/``end_time`` in epoch seconds) whose ``results`` hold
  ``input_tokens`` (cached tokens *included*), ``input_cached_tokens``, ``output_tokens``, audio
  token counts, ``batch`` and ``model`` (present when the query grouped by model).  A bucket of
  one whole UTC day is a whole-day row; a shorter bucket is priced at its start (OpenAI has no
  time-of-day prices, so only a price change inside that bucket could make this differ).
* **Anthropic usage report API** (``/v1/organizations/usage_report/messages``): ``data`` buckets
  (``starting_at``/``ending_at``) whose ``results`` hold ``uncached_input_tokens``,
  ``cache_read_input_tokens``, ``cache_creation.ephemeral_5m_input_tokens`` /
  ``ephemeral_1h_input_tokens``, ``output_tokens``, ``model``, ``service_tier`` and
  ``context_window`` (``0-200k`` / ``200k-1M``: which context tier the tokens were billed at, so a
  daily total does not have to guess).  ``server_tool_use`` (web searches) is not a token charge
  and is not priced.
* **A chat completion response** (DeepSeek's or OpenAI's ``chat.completion`` object, one per
  line or in an array): ``created`` (epoch seconds), ``model`` and its ``usage`` object.  Such a
  response names no provider; DeepSeek's own fields (``prompt_cache_hit_tokens``) say DeepSeek,
  otherwise ``--provider`` must.
* **OpenRouter activity export** (CSV from openrouter.ai/activity): ``created_at`` (UTC),
  ``model_permaslug``, ``variant``, ``tokens_prompt`` (cached tokens included), ``tokens_cached``,
  ``tokens_completion`` (reasoning included: ``tokens_reasoning`` is not priced twice).
  ``provider_name`` is the upstream host that served the request, not who billed it: every row
  is OpenRouter's.  A variant other than ``standard`` is part of the id (``model:free``).
* **LiteLLM spend logs** (``LiteLLM_SpendLogs`` rows as CSV or JSON): ``startTime``,
  ``custom_llm_provider``, ``model``, ``prompt_tokens`` (cached included), ``completion_tokens``,
  ``total_tokens``, and the cached count in ``metadata.usage_object`` when LiteLLM kept it.

Columns an export has beyond these (costs, ids, latencies, users) are left alone: exports grow
columns, and a new one must not make a file unreadable.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

#: One canonical record and where it came from (line, and the path of the item inside a JSON
#: document, e.g. ``data[2].results[0]``), for error messages.
Record = tuple[int, str, dict[str, Any]]

DAY_SECONDS = 86400

#: LiteLLM's ``custom_llm_provider`` -> ratecard provider id.
LITELLM_PROVIDERS = {"openai": "openai", "text-completion-openai": "openai", "anthropic": "anthropic",
                     "deepseek": "deepseek", "mistral": "mistral", "xai": "xai", "gemini": "google",
                     "openrouter": "openrouter"}

#: Header signatures of the CSV exports (every name must be present, after normalising).
OPENROUTER_ACTIVITY = {"generation_id", "created_at", "tokens_prompt", "tokens_completion", "model_permaslug"}
LITELLM_SPEND_LOGS = {"request_id", "call_type", "spend", "prompt_tokens", "completion_tokens", "model"}


class ExportError(ValueError):
    """A record of a known export that cannot be read: ``field`` and ``message`` say why."""

    def __init__(self, where: str, field: str, message: str) -> None:
        self.where, self.field = where, field
        super().__init__(message)


def csv_export(names: set[str]) -> str | None:
    """Which export a CSV header (normalised names) is, or None for ratecard's own columns."""
    if OPENROUTER_ACTIVITY <= names:
        return "openrouter-activity"
    if LITELLM_SPEND_LOGS <= names and ({"starttime", "start_time"} & names):
        return "litellm-spend-logs"
    return None


def csv_record(kind: str, row: dict[str, str], where: str, provider: str) -> dict[str, Any]:
    """One row of a CSV export (keys normalised) as canonical columns."""
    if kind == "openrouter-activity":
        return _openrouter_activity(row, where)
    return _litellm(row, where)


def json_records(document: Any, line: int = 1, provider: str = "") -> Iterator[Record]:
    """The usage records of one JSON value: a known export document, a response, a list of
    them, or a plain usage object (returned as it is)."""
    if isinstance(document, list):
        for index, item in enumerate(document):
            yield from _item(item, line, f"[{index}]", provider)
        return
    yield from _item(document, line, "", provider)


def _item(item: Any, line: int, path: str, provider: str) -> Iterator[Record]:
    if not isinstance(item, dict):
        yield line, path, item  # the reader reports it (a usage row must be an object)
        return
    data = item.get("data")
    if item.get("object") == "page" and isinstance(data, list):
        yield from _openai_buckets(data, line, f"{path}data")
    elif isinstance(data, list) and data and isinstance(data[0], dict) and "starting_at" in data[0]:
        yield from _anthropic_report(data, line, f"{path}data")
    elif isinstance(data, list) and not data and "has_more" in item:
        return  # an empty page of either API
    elif str(item.get("object", "")).startswith("chat.completion") and "usage" in item:
        yield line, path, _completion(item, path, provider)
    elif LITELLM_SPEND_LOGS <= {_key(k) for k in item} and ({"starttime", "start_time"} & {_key(k) for k in item}):
        yield line, path, _litellm({_key(k): v for k, v in item.items()}, path)
    else:
        yield line, path, item


def _openai_buckets(buckets: list[Any], line: int, path: str) -> Iterator[Record]:
    for b, bucket in enumerate(buckets):
        where = f"{path}[{b}]"
        if not isinstance(bucket, dict):
            raise ExportError(where, "bucket", "is not an object")
        time = _bucket_time(_epoch(bucket.get("start_time"), where, "start_time"),
                            _epoch(bucket.get("end_time"), where, "end_time"))
        for r, result in enumerate(bucket.get("results") or ()):
            at = f"{where}.results[{r}]"
            if not result.get("model"):
                raise ExportError(at, "model", "is empty: export the usage grouped by model (group_by=model)")
            yield line, at, {
                "time": time, "provider": "openai", "model": result["model"],
                "service_tier": "batch" if result.get("batch") else (result.get("service_tier") or ""),
                "prompt_tokens": result.get("input_tokens", 0),
                "cached_tokens": result.get("input_cached_tokens", 0),
                "output_tokens": result.get("output_tokens", 0),
                "audio_tokens": (result.get("input_audio_tokens") or 0) + (result.get("output_audio_tokens") or 0),
            }


def _anthropic_report(buckets: list[Any], line: int, path: str) -> Iterator[Record]:
    for b, bucket in enumerate(buckets):
        where = f"{path}[{b}]"
        start = _iso(bucket.get("starting_at"), where, "starting_at")
        end = _iso(bucket.get("ending_at"), where, "ending_at") if bucket.get("ending_at") else None
        time = _bucket_time(start, end)
        for r, result in enumerate(bucket.get("results") or ()):
            at = f"{where}.results[{r}]"
            if not result.get("model"):
                raise ExportError(at, "model", "is empty: export the report grouped by model (group_by[]=model)")
            writes = result.get("cache_creation") or {}
            yield line, at, {
                "time": time, "provider": "anthropic", "model": result["model"],
                "service_tier": result.get("service_tier") or "",
                "context_window": result.get("context_window") or "",
                "input_tokens": result.get("uncached_input_tokens", 0),
                "input_cache_hit_tokens": result.get("cache_read_input_tokens", 0),
                "input_cache_write_tokens": writes.get("ephemeral_5m_input_tokens", 0),
                "input_cache_write_1h_tokens": writes.get("ephemeral_1h_input_tokens", 0),
                "output_tokens": result.get("output_tokens", 0),
            }


def _completion(item: dict[str, Any], path: str, provider: str) -> dict[str, Any]:
    usage = item.get("usage")
    if not isinstance(usage, dict):
        raise ExportError(path, "usage", "is not an object")
    if "prompt_cache_hit_tokens" in usage:
        who = "deepseek"
        tokens = {"input_cache_hit_tokens": usage.get("prompt_cache_hit_tokens", 0),
                  "input_tokens": usage.get("prompt_cache_miss_tokens", 0),
                  "prompt_tokens": usage.get("prompt_tokens", 0)}
    else:
        who = provider
        details = usage.get("prompt_tokens_details") or {}
        tokens = {"prompt_tokens": usage.get("prompt_tokens", 0), "cached_tokens": details.get("cached_tokens", 0),
                  "audio_tokens": details.get("audio_tokens", 0)}
    if not who:
        raise ExportError(path, "provider", "a chat completion response does not name its provider:"
                                            " give it with --provider")
    record = {"time": _iso_from_epoch(_epoch(item.get("created"), path, "created")), "provider": who,
              "model": item.get("model"), "output_tokens": usage.get("completion_tokens", 0),
              "total_tokens": usage.get("total_tokens", 0), **tokens}
    if item.get("service_tier"):
        record["service_tier"] = item["service_tier"]
    return record


def _openrouter_activity(row: dict[str, Any], where: str) -> dict[str, Any]:
    model = (row.get("model_permaslug") or "").strip()
    variant = (row.get("variant") or "").strip().lower()
    if variant and variant not in ("standard", "default"):
        model = f"{model}:{variant}"
    return {"time": _naive_utc(row.get("created_at"), where, "created_at"), "provider": "openrouter",
            "model": model, "prompt_tokens": row.get("tokens_prompt"), "cached_tokens": row.get("tokens_cached"),
            "output_tokens": row.get("tokens_completion")}


def _litellm(row: dict[str, Any], where: str) -> dict[str, Any]:
    raw_provider = str(row.get("custom_llm_provider") or "").strip().lower()
    model = str(row.get("model") or "").strip()
    if not raw_provider and "/" in model:
        raw_provider = model.split("/", 1)[0].lower()
    provider = LITELLM_PROVIDERS.get(raw_provider)
    if provider is None:
        known = ", ".join(sorted(LITELLM_PROVIDERS))
        raise ExportError(where, "custom_llm_provider",
                          f"{raw_provider or 'empty'!r} is not a provider ratecard prices ({known})")
    if model.lower().startswith(raw_provider + "/"):
        model = model[len(raw_provider) + 1:]
    usage = _metadata_usage(row.get("metadata"), where)
    details = usage.get("prompt_tokens_details") or {}
    start = row.get("starttime", row.get("start_time"))
    return {"time": _naive_utc(start, where, "startTime"), "provider": provider, "model": model,
            "prompt_tokens": row.get("prompt_tokens"), "cached_tokens": details.get("cached_tokens") or 0,
            "output_tokens": row.get("completion_tokens"), "total_tokens": row.get("total_tokens")}


def _metadata_usage(value: Any, where: str) -> dict[str, Any]:
    """LiteLLM's ``metadata.usage_object``, from a JSON column or an object; {} when absent."""
    if isinstance(value, str):
        if not value.strip():
            return {}
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ExportError(where, "metadata", "is not valid JSON") from None
    if not isinstance(value, dict):
        return {}
    usage = value.get("usage_object") or {}
    return usage if isinstance(usage, dict) else {}


def _bucket_time(start: datetime, end: datetime | None) -> str:
    """A bucket of exactly one UTC day is a date (a whole-day row); anything else its start."""
    if end is not None and (end - start).total_seconds() == DAY_SECONDS and start.hour == start.minute == start.second == 0:
        return start.date().isoformat()
    return start.strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(value: Any, where: str, field: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ExportError(where, field, f"{value!r} is not a time in epoch seconds")
    return datetime.fromtimestamp(int(value), tz=timezone.utc)


def _iso_from_epoch(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso(value: Any, where: str, field: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError):  # OverflowError: an offset past year 1 or 9999 in UTC
        raise ExportError(where, field, f"{value!r} is not an ISO 8601 time") from None


def _naive_utc(value: Any, where: str, field: str) -> str:
    """Export times without a zone (``2026-02-06 18:54:30.040``) are UTC, as both tools write them."""
    return _iso(value, where, field).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _key(name: str) -> str:
    return name.strip().lower()


__all__ = ["ExportError", "csv_export", "csv_record", "json_records"]
