"""schema.org ``JobPosting`` on any career page: JSON-LD or microdata, read with ``extruct``.

For employers whose ATS has no feed (Laura, ReachMee career pages, in-house sites) or whose page is
what they publish: ``url`` is a careers page or one job page. Every ``JobPosting`` on it (also
inside ``@graph`` or a list) is one ad. With ``link_pattern``, the links of the page that match it
are job pages: those not seen before (the cursor keeps the last ``seen_limit``) are fetched too, at
most ``max_pages`` a poll, each through robots.txt and the per-host rate limit.

Markup in the wild is loose and read tolerantly: ``hiringOrganization`` as an Organization or a
plain string, ``jobLocation`` as an object or a list, ``postalCode`` as a number, ``employmentType``
as free text, ``identifier`` as a PropertyValue or a string; without ``url`` the page's URL is used.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from typing import Any, ClassVar

from pydantic import Field, HttpUrl, field_validator

from triggerwatch.collectors.base import (
    Collector,
    CollectorOptions,
    CursorState,
    FetchOutcome,
    RawItem,
    RawPayload,
)
from triggerwatch.collectors.html import article_links, decode_html, parse_date
from triggerwatch.collectors.jobads import EmployerOptions, JobAd, job_event, payload_of
from triggerwatch.core.contracts import TriggerEventV1
from triggerwatch.core.errors import InvalidInputError, TransientError
from triggerwatch.core.http import HttpFetcher
from triggerwatch.core.sources import Schedule


class JobPostingOptions(EmployerOptions):
    url: HttpUrl = Field(description="a careers page or a job page")
    link_pattern: str | None = Field(None, description="regex of job-page links to follow from the page")
    link_selector: str = "a[href]"
    max_pages: int = Field(20, ge=1, le=200)
    seen_limit: int = Field(2000, ge=10, le=100_000)
    rate_per_min: float = Field(12, gt=0, le=120, description="requests a minute to the site's host")

    @field_validator("link_pattern")
    @classmethod
    def _pattern(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"link_pattern does not compile: {exc}") from exc
        return v


def _flatten(node: Any) -> Any:
    """extruct's microdata ``{"type", "properties"}`` → JSON-LD-like ``{"@type", ...}``, recursively."""
    if isinstance(node, list):
        return [_flatten(n) for n in node]
    if isinstance(node, dict) and "properties" in node and "type" in node:
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        out = {k: _flatten(v) for k, v in node["properties"].items()}
        out["@type"] = [str(t).rsplit("/", 1)[-1] for t in types]
        return out
    if isinstance(node, dict):
        return {k: _flatten(v) for k, v in node.items()}
    return node


def _is_posting(node: Any) -> bool:
    if not isinstance(node, dict):
        return False
    types = node.get("@type")
    return "JobPosting" in (types if isinstance(types, list) else [types])


def job_postings(html: str, base_url: str | None) -> list[dict[str, Any]]:
    """Pure: every schema.org JobPosting of a page (JSON-LD first, then microdata)."""
    from extruct.jsonld import JsonLdExtractor  # extruct's import is heavy: only where it is used
    from extruct.w3cmicrodata import MicrodataExtractor

    found: list[dict[str, Any]] = []
    try:
        nodes: list[Any] = list(JsonLdExtractor().extract(html, base_url=base_url))
    except (ValueError, TypeError):
        nodes = []
    with contextlib.suppress(ValueError, TypeError):
        nodes += [_flatten(n) for n in MicrodataExtractor().extract(html, base_url=base_url)]
    stack = list(nodes)
    while stack:
        node = stack.pop(0)
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if isinstance(node.get("@graph"), list):
                stack.extend(node["@graph"])
            if _is_posting(node):
                found.append(node)
    return found


def _name(value: Any) -> str:
    if isinstance(value, list):
        return _name(value[0]) if value else ""
    if isinstance(value, dict):
        return str(value.get("name") or value.get("legalName") or "").strip()
    return str(value or "").strip()


def _place(value: Any) -> str:
    places = value if isinstance(value, list) else [value]
    out = []
    for place in places:
        addr = place.get("address") if isinstance(place, dict) else None
        if isinstance(addr, dict):
            out.append(str(addr.get("addressLocality") or addr.get("addressRegion") or "").strip())
        elif isinstance(place, dict):
            out.append(_name(place))
        elif place:
            out.append(str(place).strip())
    return "; ".join(dict.fromkeys(p for p in out if p))


class JobPostingCollector(Collector[JobPostingOptions]):
    type_name: ClassVar[str] = "jobposting"
    Options: ClassVar[type[CollectorOptions]] = JobPostingOptions
    default_schedule: ClassVar[Schedule] = Schedule(interval_s=6 * 3600, jitter_s=600)
    licence_note: ClassVar[str] = "the employer's public job ads (career page markup); robots.txt honoured"

    def fetch(self, http: HttpFetcher, state: CursorState) -> FetchOutcome:
        o = self.options
        http.limit_rate(str(o.url), o.rate_per_min, burst=1)
        page = http.get(str(o.url), etag=state.etag, last_modified=state.last_modified)
        if page.not_modified:
            return FetchOutcome(payloads=[], state=state)
        payloads = [payload_of(self, page)]
        seen: list[str] = list(state.cursor.get("seen", []))
        if o.link_pattern:
            html, _ = decode_html(page.content, page.headers.get("content-type"))
            links = article_links(html, page.url, o.link_selector, o.link_pattern)
            for url in [u for u in links if u not in seen][: o.max_pages]:
                http.limit_rate(url, o.rate_per_min, burst=1)
                try:
                    doc = http.get(url)
                except TransientError:
                    continue  # tried again next poll
                except InvalidInputError:
                    seen.append(url)  # gone (404/410)
                    continue
                payloads.append(payload_of(self, doc))
                seen.append(url)
        return FetchOutcome(
            payloads=payloads,
            state=CursorState(
                etag=page.headers.get("etag"),
                last_modified=page.headers.get("last-modified"),
                cursor={**state.cursor, "seen": seen[-o.seen_limit :]},
            ),
        )

    def split(self, raw: RawPayload) -> list[RawItem]:
        html, _ = decode_html(raw.content, raw.content_type)
        if "<" not in html[:2000]:
            raise InvalidInputError("not an HTML page", raw=raw.content, error_type="malformed_page")
        postings = job_postings(html, raw.url)
        return [
            RawItem(
                payload=raw,
                data={"posting": p, "alone": len(postings) == 1},
                raw=json.dumps(p, ensure_ascii=False, default=str),
            )
            for p in postings
        ]

    def parse_item(self, item: RawItem) -> list[TriggerEventV1]:
        p: dict[str, Any] = item.data["posting"]
        ident = p.get("identifier")
        ident = ident.get("value") if isinstance(ident, dict) else ident
        own_url = p.get("url") if isinstance(p.get("url"), str) else None
        # a posting without its own URL is the page's ad when it is alone on the page
        url = own_url or item.payload.url
        title = str(p.get("title") or p.get("name") or "")
        employment = p.get("employmentType")
        employment = ", ".join(map(str, employment)) if isinstance(employment, list) else employment
        if own_url or (url and item.data["alone"]):
            ad_id, dedup_key = str(ident or url), None
        else:  # one of several postings on a listing page without their own URLs
            digest = hashlib.sha256(f"{url}\x1f{title}\x1f{ident}".encode()).hexdigest()[:16]
            ad_id, dedup_key = str(ident or digest), f"jobposting:{digest}"
        deadline = parse_date(str(p.get("validThrough") or ""))
        ad = JobAd(
            ad_id=ad_id,
            title=title,
            url=url,
            dedup_key=dedup_key,
            published=parse_date(str(p.get("datePosted") or "")),
            location=_place(p.get("jobLocation")) or None,
            employer=_name(p.get("hiringOrganization")) or None,
            description=p.get("description") if isinstance(p.get("description"), str) else None,
            deadline=deadline,
            extra={"employment_type": str(employment)[:200] if employment else None},
        )
        return [job_event(self, item, ad, family=self.type_name)]
