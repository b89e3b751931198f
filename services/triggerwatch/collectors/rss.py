"""Generic RSS/Atom collector (feedparser): news, press releases, job feeds.

A feed's entries become events of one configured ``kind``. Where a feed writes the company into the
title (job feeds: "Tehtävä, Työnantaja, Kunta"), ``title_pattern`` — a regular expression with the
named groups ``company`` and optionally ``title``, ``location`` and ``openings`` — takes it out.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import feedparser
from bs4 import BeautifulSoup
from pydantic import Field, HttpUrl, field_validator

from triggerwatch.collectors.base import (
    Collector,
    CollectorOptions,
    CursorState,
    FetchOutcome,
    RawItem,
    RawPayload,
)
from triggerwatch.collectors.payloads import conditional_fetch
from triggerwatch.core.contracts import CompanyRef, CompanyRole, EventKind, Evidence, TriggerEventV1
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.core.http import HttpFetcher
from triggerwatch.core.sources import Schedule


class RssOptions(CollectorOptions):
    url: HttpUrl
    kind: EventKind = EventKind.NEWS
    company_role: CompanyRole = CompanyRole.SUBJECT
    title_pattern: str | None = Field(None, description="regex with a named group 'company'")
    language: str | None = Field(None, max_length=8)
    max_summary_chars: int = Field(1000, ge=0, le=5000)
    classify: bool = Field(False, description="refine news items into triggers (triggerwatch.text.classify)")

    @field_validator("title_pattern")
    @classmethod
    def _pattern(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            compiled = re.compile(v)
        except re.error as exc:
            raise ValueError(f"title_pattern does not compile: {exc}") from exc
        if "company" not in compiled.groupindex:
            raise ValueError("title_pattern needs a named group (?P<company>...)")
        return v


def html_to_text(value: str) -> str:
    text = BeautifulSoup(value, "html.parser").get_text(" ")
    text = re.sub(r"\s+", " ", text)
    return re.sub(r" ([,.;:!?])", r"\1", text).strip()  # "<b>Jyväskylä</b>, Haku" → "Jyväskylä, Haku"


def _struct_to_dt(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)


class RssCollector(Collector[RssOptions]):
    type_name: ClassVar[str] = "rss"
    Options: ClassVar[type[CollectorOptions]] = RssOptions
    default_schedule: ClassVar[Schedule] = Schedule(interval_s=900)

    def fetch(self, http: HttpFetcher, state: CursorState) -> FetchOutcome:
        return conditional_fetch(self, http, state, str(self.options.url))

    def split(self, raw: RawPayload) -> list[RawItem]:
        parsed = feedparser.parse(raw.content, response_headers={"content-type": raw.content_type or ""})
        if not parsed.get("version") and not parsed.entries:
            reason = str(parsed.get("bozo_exception") or "no RSS/Atom feed found")
            raise InvalidInputError(f"malformed feed: {reason}", raw=raw.content, error_type="malformed_feed")
        return [RawItem(payload=raw, data=entry, raw=_entry_raw(entry)) for entry in parsed.entries]

    def parse_item(self, item: RawItem) -> list[TriggerEventV1]:
        entry = item.data
        opts = self.options
        title = html_to_text(entry.get("title") or "")
        link = entry.get("link")
        if not title and not link:
            raise InvalidInputError(
                "entry has neither title nor link", raw=item.raw, error_type="empty_entry"
            )
        item_id = entry.get("id") or link or hashlib.sha256(title.encode()).hexdigest()
        if link and not urlsplit(link).scheme:
            # a relative <link> resolves against the feed's URL (the item's id stays as the feed
            # wrote it); the contract keeps only http(s) links: anything else, e.g. javascript:,
            # stays as text (Evidence.url_text, source_url_text)
            link = urljoin(item.payload.url or str(opts.url), link)
        published = _struct_to_dt(entry.get("published_parsed") or entry.get("updated_parsed"))
        observed = item.payload.fetched_at
        summary = html_to_text(entry.get("summary") or "")[: opts.max_summary_chars] or None

        companies: list[CompanyRef] = []
        attributes: dict[str, str | int | float | bool | None] = {}
        if opts.title_pattern:
            match = re.match(opts.title_pattern, title)
            if match is None:
                raise InvalidInputError(
                    f"title does not match title_pattern: {title[:120]!r}",
                    raw=item.raw,
                    error_type="title_pattern",
                )
            groups = {k: v for k, v in match.groupdict().items() if v}
            companies.append(CompanyRef(name=groups["company"].strip(), role=opts.company_role))
            if "title" in groups:
                attributes["role_title"] = groups["title"].strip()
                if opts.kind == EventKind.RECRUITMENT:  # the recruitment convention's name for it
                    attributes["job_title"] = groups["title"].strip()
            if "location" in groups:
                attributes["location"] = groups["location"].strip()
            if "openings" in groups:
                attributes["openings"] = int(groups["openings"])
        tags = [
            t.get("label") or t.get("term") for t in entry.get("tags", []) if t.get("label") or t.get("term")
        ]
        if tags:
            attributes["categories"] = ", ".join(tags)[:500]
        via = next((lnk.get("title") for lnk in entry.get("links", []) if lnk.get("rel") == "via"), None)
        if via:
            attributes["outlet"] = via
        if published is None:
            attributes["date_missing"] = True

        event = TriggerEventV1.create(
            source=self.name,
            source_item_id=str(item_id),
            source_url=link,
            kind=opts.kind,
            occurred_at=published or observed,
            observed_at=observed,
            companies=companies,
            title=title[:1000] or str(link),
            summary=summary,
            language=opts.language,
            evidence=[
                Evidence(
                    url=link,
                    source=self.name,
                    title=title[:300] or None,
                    excerpt=(summary or "")[:300] or None,
                    published_at=published,
                )
            ],
            attributes=attributes,
            raw_ref=item.payload.ref,
        )
        return [event]


def _entry_raw(entry: Any) -> str:
    import json

    return json.dumps(
        {k: v for k, v in entry.items() if not k.endswith("_parsed")}, default=str, ensure_ascii=False
    )
