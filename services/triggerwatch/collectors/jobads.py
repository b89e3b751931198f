"""What every job-ad collector shares: the employer from the configuration, one ad → one event,
paged JSON fetching.

An applicant-tracking system (ATS) feed belongs to one employer, so the employer is not read from
the ad but configured with the source (``business_id``, ``employer``): every ad links to its
company by business ID, without name matching. The ATS collectors (``teamtailor``, ``recruitee``,
``greenhouse``, ``lever``, ``smartrecruiters``, ``workday``, ``reachmee``) and the schema.org
``jobposting`` collector turn each ad into a :class:`JobAd` (pure, per family) and then into one
``recruitment`` event here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bs4 import BeautifulSoup
from lxml import etree
from pydantic import Field, field_validator

from triggerwatch.collectors.base import (
    Collector,
    CollectorOptions,
    CursorState,
    FetchOutcome,
    RawItem,
    RawPayload,
)
from triggerwatch.core.businessid import normalise_business_id
from triggerwatch.core.contracts import CompanyRef, CompanyRole, EventKind, Evidence, TriggerEventV1
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.core.http import FetchedDocument, HttpFetcher

Attr = str | int | float | bool | None


class EmployerOptions(CollectorOptions):
    """The employer whose ads a source carries, and what of each ad is kept."""

    business_id: str | None = Field(
        None, description="the employer's Finnish business ID: every ad links to it (check digit validated)"
    )
    employer: str | None = Field(None, max_length=500, description="employer name (default: the feed's)")
    language: str | None = Field(None, max_length=8)
    max_summary_chars: int = Field(1000, ge=0, le=5000)

    @field_validator("business_id")
    @classmethod
    def _business_id(cls, v: str | None) -> str | None:
        if v is None:
            return v
        normalised = normalise_business_id(v)
        if normalised is None:
            raise ValueError(f"not a valid Finnish business ID: {v!r}")
        return normalised


@dataclass(frozen=True)
class JobAd:
    """One job ad, normalised; built purely from an item of a payload."""

    ad_id: str
    title: str
    url: str | None = None
    published: datetime | None = None
    location: str | None = None
    department: str | None = None
    employer: str | None = None  # the name the payload gives, used when the config names none
    description: str | None = None  # HTML or text
    remote: str | None = None
    deadline: datetime | None = None
    dedup_key: str | None = None  # default: the ad's URL (the same ad seen by two sources is one)
    extra: dict[str, Attr] = field(default_factory=dict)


def text_of(value: Any) -> str:
    """HTML (or text) → one line of text."""
    if not value:
        return ""
    text = BeautifulSoup(str(value), "html.parser").get_text(" ")
    text = re.sub(r"\s+", " ", text)
    return re.sub(r" ([,.;:!?])", r"\1", text).strip()


def job_event(collector: Collector[Any], item: RawItem, ad: JobAd, *, family: str) -> TriggerEventV1:
    """One ``recruitment`` event: the employer from the configuration, the ad's facts as attributes."""
    opts: EmployerOptions = collector.options
    if not ad.ad_id or not ad.title.strip():
        raise InvalidInputError("job ad without id or title", raw=item.raw, error_type="missing_field")
    title = text_of(ad.title)[:300]
    employer = (opts.employer or ad.employer or "").strip()[:500] or None
    companies = (
        [CompanyRef(business_id=opts.business_id, name=employer, role=CompanyRole.EMPLOYER)]
        if opts.business_id or employer
        else []
    )
    attributes: dict[str, Attr] = {
        "job_title": title,
        "ats": family,
        "ad_id": ad.ad_id[:200],
        "dedup_key": ad.dedup_key or (f"url:{ad.url}" if ad.url else f"{family}:{ad.ad_id}"),
    }
    for key, value in (("location", ad.location), ("department", ad.department), ("remote", ad.remote)):
        if value:
            attributes[key] = str(value)[:200]
    if ad.deadline is not None:
        attributes["deadline"] = ad.deadline.isoformat()
    if opts.business_id:
        attributes["employer_from"] = "config"
    attributes.update(ad.extra)
    observed = item.payload.fetched_at
    if ad.published is None:
        attributes["date_missing"] = True
    summary = text_of(ad.description)[: opts.max_summary_chars] or None
    full_title = " - ".join(p for p in (title, employer) if p)
    return TriggerEventV1.create(
        source=collector.name,
        source_item_id=f"{family}:{ad.ad_id}"[:1000],
        source_url=ad.url,
        kind=EventKind.RECRUITMENT,
        occurred_at=ad.published or observed,
        observed_at=observed,
        companies=companies,
        title=full_title[:1000],
        summary=summary,
        language=opts.language,
        evidence=[
            Evidence(
                url=ad.url,
                source=collector.name,
                title=full_title[:300],
                excerpt=(summary or "")[:300] or None,
                published_at=ad.published,
            )
        ],
        attributes=attributes,
        raw_ref=item.payload.ref,
    )


# ------------------------------------------------------------------------------------------ payloads
def payload_of(collector: Collector[Any], doc: FetchedDocument) -> RawPayload:
    return RawPayload(
        source=collector.name,
        url=doc.url,
        content=doc.content,
        fetched_at=doc.fetched_at,
        content_type=doc.headers.get("content-type"),
        ref=doc.url,
    )


def load_json_payload(raw: RawPayload) -> Any:
    try:
        return json.loads(raw.content)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"not JSON: {exc}", raw=raw.content, error_type="malformed_json") from exc


def json_items(raw: RawPayload, records: Any, what: str) -> list[RawItem]:
    if not isinstance(records, list):
        raise InvalidInputError(f"no list of {what}", raw=raw.content, error_type="malformed_feed")
    return [RawItem(payload=raw, data=r, raw=json.dumps(r, ensure_ascii=False, default=str)) for r in records]


def xml_root(raw: RawPayload) -> etree._Element:
    """An XML document (no entities resolved, no network): ATS feeds carry vendor elements that a
    feed library flattens (ReachMee's ``<Area1 id='210'>Örebro</Area1>``, Teamtailor's locations)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        return etree.fromstring(raw.content, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise InvalidInputError(f"not XML: {exc}", raw=raw.content, error_type="malformed_feed") from exc


def fetch_pages(
    collector: Collector[Any],
    http: HttpFetcher,
    state: CursorState,
    first: Callable[[], FetchedDocument],
    following: Callable[[int, Any], FetchedDocument | None],
) -> FetchOutcome:
    """Page 1 conditionally (no payload when 304), then ``following(page_number, previous_json)``
    until it returns None. Each page is one payload; the validators are page 1's."""
    doc = first()
    if doc.not_modified:
        return FetchOutcome(payloads=[], state=state)
    payloads = [payload_of(collector, doc)]
    page = 1
    previous = _json_or_none(doc.content)
    while True:
        page += 1
        nxt = following(page, previous)
        if nxt is None:
            break
        payloads.append(payload_of(collector, nxt))
        previous = _json_or_none(nxt.content)
    new_state = CursorState(
        etag=doc.headers.get("etag"), last_modified=doc.headers.get("last-modified"), cursor=state.cursor
    )
    return FetchOutcome(payloads=payloads, state=new_state)


def _json_or_none(content: bytes) -> Any:
    try:
        return json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
