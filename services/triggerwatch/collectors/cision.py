"""Cision IR feeds (``publish.ne.cision.com/papi/NewsFeed/<feedId>?format=json``).

``Releases[]`` with ``Title``, ``Intro``, ``Body``, ``PublishDate``, ``LanguageCode``,
``InformationType`` (PRM press release, RDV regulatory, ...), ``IsRegulatory``, ``Categories``,
``CisionWireUrl``, ``SourceName`` (the issuer) and ``Tickers[]`` (with ISIN). Releases are free text:
kind ``news`` (the text classifier refines it). Language versions of one release share the
``dedup_key`` (the lowest id of the release and its ``LanguageVersions``).
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from pydantic import Field, HttpUrl

from triggerwatch.collectors.base import (
    Collector,
    CollectorOptions,
    CursorState,
    FetchOutcome,
    RawItem,
    RawPayload,
)
from triggerwatch.collectors.payloads import conditional_fetch, load_json, parse_iso
from triggerwatch.collectors.rss import html_to_text
from triggerwatch.core.contracts import CompanyRef, EventKind, Evidence, TriggerEventV1
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.core.http import HttpFetcher
from triggerwatch.core.sources import Schedule


class CisionOptions(CollectorOptions):
    url: HttpUrl = Field(description="https://publish.ne.cision.com/papi/NewsFeed/<feedId>")
    params: dict[str, str] = Field(default_factory=lambda: {"format": "json", "pageSize": "50"})
    kind: EventKind = EventKind.NEWS
    max_summary_chars: int = Field(1000, ge=0, le=5000)
    classify: bool = Field(False, description="refine items from their text (triggerwatch.text.classify)")


class CisionCollector(Collector[CisionOptions]):
    type_name: ClassVar[str] = "cision"
    Options: ClassVar[type[CollectorOptions]] = CisionOptions
    default_schedule: ClassVar[Schedule] = Schedule(interval_s=900)
    licence_note: ClassVar[str] = "issuer press releases distributed by Cision"

    def fetch(self, http: HttpFetcher, state: CursorState) -> FetchOutcome:
        return conditional_fetch(self, http, state, str(self.options.url), params=self.options.params)

    def split(self, raw: RawPayload) -> list[RawItem]:
        data = load_json(raw)
        releases = data.get("Releases") if isinstance(data, dict) else None
        if not isinstance(releases, list):
            raise InvalidInputError(
                "no Releases list: not a Cision news feed", raw=raw.content, error_type="malformed_feed"
            )
        return [RawItem(payload=raw, data=r, raw=json.dumps(r, ensure_ascii=False)) for r in releases]

    def parse_item(self, item: RawItem) -> list[TriggerEventV1]:
        r: Any = item.data
        if not isinstance(r, dict) or not r.get("Id") or not (r.get("Title") or r.get("HtmlTitle")):
            raise InvalidInputError("release without Id or Title", raw=item.raw, error_type="missing_field")
        published = parse_iso(r.get("PublishDate"))
        if published is None:
            raise InvalidInputError(
                f"bad PublishDate {r.get('PublishDate')!r}", raw=item.raw, error_type="bad_date"
            )
        title = (r.get("Title") or html_to_text(r.get("HtmlTitle") or "")).strip()
        intro = re.sub(r"\s+", " ", r.get("Intro") or html_to_text(r.get("HtmlIntro") or "")).strip()
        summary = intro[: self.options.max_summary_chars] or None
        url = r.get("CisionWireUrl") or None
        versions = [
            str(v.get("Id")) for v in r.get("LanguageVersions") or [] if isinstance(v, dict) and v.get("Id")
        ]
        group = sorted([str(r["Id"]), *versions], key=lambda s: (len(s), s))
        attributes: dict[str, str | int | float | bool | None] = {
            "dedup_key": f"cision:{group[0]}",
            "information_type": r.get("InformationType"),
            "is_regulatory": bool(r.get("IsRegulatory")),
        }
        cats = [str(c["Name"]) for c in r.get("Categories") or [] if isinstance(c, dict) and c.get("Name")]
        if cats:
            attributes["categories"] = ", ".join(cats)[:500]
        isins = [str(t["ISIN"]) for t in r.get("Tickers") or [] if isinstance(t, dict) and t.get("ISIN")]
        if isins:
            attributes["isin"] = ",".join(isins)
        issuer = (r.get("SourceName") or "").strip()
        observed = item.payload.fetched_at
        return [
            TriggerEventV1.create(
                source=self.name,
                source_item_id=str(r["Id"]),
                source_url=url,
                kind=self.options.kind,
                occurred_at=published,
                observed_at=observed,
                companies=[CompanyRef(name=issuer[:500])] if issuer else [],
                title=title[:1000],
                summary=summary,
                language=(r.get("LanguageCode") or None),
                evidence=[
                    Evidence(
                        url=url,
                        source=self.name,
                        title=title[:300],
                        excerpt=(summary or "")[:300] or None,
                        published_at=published,
                    )
                ],
                attributes=attributes,
                raw_ref=item.payload.ref,
            )
        ]
