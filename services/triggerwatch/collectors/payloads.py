"""Shared by the collectors: one conditional GET of a document, JSON decoding, ISO dates, notice pages."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from triggerwatch.collectors.base import Collector, CursorState, FetchOutcome, RawItem, RawPayload
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.core.http import HttpFetcher


def conditional_fetch(
    collector: Collector[Any],
    http: HttpFetcher,
    state: CursorState,
    url: str,
    *,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> FetchOutcome:
    """One conditional GET (ETag / If-Modified-Since) of one document: no payload when it is 304."""
    doc = http.get(url, etag=state.etag, last_modified=state.last_modified, params=params, headers=headers)
    if doc.not_modified:
        return FetchOutcome(payloads=[], state=state)
    new_state = CursorState(
        etag=doc.headers.get("etag"), last_modified=doc.headers.get("last-modified"), cursor=state.cursor
    )
    raw = RawPayload(
        source=collector.name,
        url=doc.url,
        content=doc.content,
        fetched_at=doc.fetched_at,
        content_type=doc.headers.get("content-type"),
        ref=doc.url,
    )
    return FetchOutcome(payloads=[raw], state=new_state)


def load_json(raw: RawPayload) -> Any:
    try:
        return json.loads(raw.content)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"not JSON: {exc}", raw=raw.content, error_type="malformed_json") from exc


def parse_iso(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def split_notice_page(raw: RawPayload, *, what: str, list_key: str) -> list[RawItem]:
    """A procurement payload: one eForms XML notice as it is, or a JSON search page's records.

    ``what`` names the page in errors ("TED search page"); ``list_key`` is the key of its record list.
    """
    if raw.content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return [RawItem(payload=raw, data=raw.content, raw=raw.content.decode("utf-8", "replace"))]
    try:
        data = json.loads(raw.content)
    except ValueError as exc:
        raise InvalidInputError(
            f"{what} is not JSON: {exc}", raw=raw.content, error_type="malformed_json"
        ) from exc
    records = data.get(list_key) if isinstance(data, dict) else data
    if not isinstance(records, list):
        raise InvalidInputError(
            f"{what} has no {list_key!r} list", raw=raw.content, error_type="malformed_page"
        )
    return [
        RawItem(payload=raw, data=record, raw=json.dumps(record, ensure_ascii=False, default=str))
        for record in records
    ]
