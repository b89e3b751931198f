"""Teamtailor career sites: the keyless job feeds ``https://{company}.teamtailor.com/jobs.rss`` and
``/jobs.json`` (JSON Feed 1.1 with an embedded schema.org ``JobPosting`` per item).

The RSS carries Teamtailor's own elements (namespace ``https://teamtailor.com/locations``):
``tt:locations/tt:location/{tt:name,tt:city,tt:country}``, ``tt:department``, ``tt:role`` and
``remoteStatus``; it is the only keyless form with the department. Both forms list every
published job in one document (no paging). A custom career domain works too: give its feed as
``url``. The keyed JSON:API (``api.teamtailor.com/v1/jobs``) needs the employer's own API key and
is not used.
"""

from __future__ import annotations

import email.utils
import re
from datetime import datetime
from typing import Any, ClassVar

from lxml import etree
from pydantic import Field, HttpUrl, model_validator

from triggerwatch.collectors.base import (
    Collector,
    CollectorOptions,
    CursorState,
    FetchOutcome,
    RawItem,
    RawPayload,
)
from triggerwatch.collectors.jobads import (
    EmployerOptions,
    JobAd,
    job_event,
    json_items,
    load_json_payload,
    xml_root,
)
from triggerwatch.collectors.payloads import conditional_fetch, parse_iso
from triggerwatch.core.contracts import TriggerEventV1
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.core.http import HttpFetcher
from triggerwatch.core.sources import Schedule

TT = "https://teamtailor.com/locations"
_JOB_ID = re.compile(r"/jobs/(\d+)(?:-|$)")


class TeamtailorOptions(EmployerOptions):
    company: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9-]*$", description="{company}.teamtailor.com")
    url: HttpUrl | None = Field(
        None, description="the feed itself (jobs.rss or jobs.json), e.g. on a custom domain"
    )

    @model_validator(mode="after")
    def _one(self) -> TeamtailorOptions:
        if (self.company is None) == (self.url is None):
            raise ValueError("give exactly one of company or url")
        return self

    def feed_url(self) -> str:
        return str(self.url) if self.url else f"https://{self.company}.teamtailor.com/jobs.rss"


def rfc822(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return None


def _numeric_id(url: str | None) -> str | None:
    m = _JOB_ID.search(url or "")
    return m.group(1) if m else None


def _child(node: etree._Element, tag: str) -> str:
    found = node.find(tag)
    return (found.text or "").strip() if found is not None else ""


class TeamtailorCollector(Collector[TeamtailorOptions]):
    type_name: ClassVar[str] = "teamtailor"
    Options: ClassVar[type[CollectorOptions]] = TeamtailorOptions
    default_schedule: ClassVar[Schedule] = Schedule(interval_s=3 * 3600, jitter_s=300)
    licence_note: ClassVar[str] = "the employer's public job ads (Teamtailor career site)"

    def check_url(self) -> str:
        return self.options.feed_url()

    def fetch(self, http: HttpFetcher, state: CursorState) -> FetchOutcome:
        return conditional_fetch(self, http, state, self.options.feed_url())

    def split(self, raw: RawPayload) -> list[RawItem]:
        if raw.content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
            data = load_json_payload(raw)
            return json_items(raw, data.get("items") if isinstance(data, dict) else None, "JSON Feed items")
        root = xml_root(raw)
        if root.tag != "rss":
            raise InvalidInputError("not a Teamtailor RSS feed", raw=raw.content, error_type="malformed_feed")
        return [
            RawItem(payload=raw, data=item, raw=etree.tostring(item, encoding="unicode"))
            for item in root.iter("item")
        ]

    def parse_item(self, item: RawItem) -> list[TriggerEventV1]:
        ad = self._from_json(item.data) if isinstance(item.data, dict) else self._from_rss(item.data)
        return [job_event(self, item, ad, family=self.type_name)]

    @staticmethod
    def _from_rss(node: etree._Element) -> JobAd:
        url = _child(node, "link") or None
        places = []
        for loc in node.iter(f"{{{TT}}}location"):
            city = _child(loc, f"{{{TT}}}city") or _child(loc, f"{{{TT}}}name")
            country = _child(loc, f"{{{TT}}}country")
            places.append(", ".join(p for p in (city, country) if p))
        return JobAd(
            ad_id=_numeric_id(url) or _child(node, "guid"),
            title=_child(node, "title"),
            url=url,
            published=rfc822(_child(node, "pubDate")),
            location="; ".join(p for p in places if p) or None,
            department=_child(node, f"{{{TT}}}department") or None,
            remote=_child(node, "remoteStatus") or None,
            description=_child(node, "description") or None,
            extra={"role": _child(node, f"{{{TT}}}role") or None},
        )

    @staticmethod
    def _from_json(entry: dict[str, Any]) -> JobAd:
        posting = entry.get("_jobposting") if isinstance(entry.get("_jobposting"), dict) else {}
        assert isinstance(posting, dict)
        locations = posting.get("jobLocation") or []
        places = []
        for loc in locations if isinstance(locations, list) else [locations]:
            addr = loc.get("address") if isinstance(loc, dict) else None
            if isinstance(addr, dict):
                places.append(
                    ", ".join(str(addr[k]) for k in ("addressLocality", "addressCountry") if addr.get(k))
                )
        org = posting.get("hiringOrganization")
        url = entry.get("url")
        return JobAd(
            ad_id=_numeric_id(url) or str(entry.get("id") or ""),
            title=str(entry.get("title") or ""),
            url=url,
            published=parse_iso(entry.get("date_published")),
            location="; ".join(p for p in places if p) or None,
            employer=org.get("name") if isinstance(org, dict) else None,
            description=entry.get("content_html") or entry.get("content_text"),
        )
