"""HTML listings and article pages (BeautifulSoup): job ads and news articles.

``fetch`` reads the listing page (conditional GET), takes the article links with ``link_selector``
and fetches each article not seen before (the cursor keeps the last ``seen_limit`` URLs). Each
article page is one payload; ``split`` decodes it (HTTP charset, then the page's own declaration,
then charset detection: BeautifulSoup's ``UnicodeDammit`` with charset-normalizer, for legacy
ISO-8859-1 / windows-1252 pages) and ``parse_item`` reads it: schema.org JSON-LD ``JobPosting`` /
``NewsArticle`` first when the page has it, else the configured CSS selectors.

Job postings become ``recruitment`` events (``job_title``, ``location``, the employer as a
``CompanyRef(role=employer)`` with its business ID when the page shows one); articles are ``news``.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from typing import Any, ClassVar
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup, Tag, UnicodeDammit
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from triggerwatch.collectors.base import (
    Collector,
    CollectorOptions,
    CursorState,
    FetchOutcome,
    RawItem,
    RawPayload,
)
from triggerwatch.collectors.payloads import parse_iso
from triggerwatch.core.businessid import normalise_business_id
from triggerwatch.core.contracts import CompanyRef, CompanyRole, EventKind, Evidence, TriggerEventV1
from triggerwatch.core.errors import InvalidInputError, TransientError
from triggerwatch.core.http import HttpFetcher
from triggerwatch.core.sources import Schedule

HELSINKI = ZoneInfo("Europe/Helsinki")
_BID = re.compile(r"(?:Y-tunnus|FO-nummer|Business ID)\s*:?\s*(\d{6,7}-\d)", re.IGNORECASE)
_FI_DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_CHARSET = re.compile(r"charset=([\w.:-]+)", re.IGNORECASE)


class Selectors(BaseModel):
    """CSS selectors for pages without JSON-LD. Each is one selector or a list tried in order (the
    first that matches a non-empty value wins). Defaults: schema.org microdata as job boards use it,
    then Open Graph / article metadata as news sites use it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str | list[str] = ["h1[itemprop=title]", "meta[property='og:title'], meta[name='og:title']", "h1"]
    company: str | list[str] | None = "[itemprop=hiringOrganization] [itemprop=name]"
    location: str | list[str] | None = "[itemprop=jobLocation]"
    date: str | list[str] | None = [
        "[itemprop=datePosted]",
        "[itemprop=datePublished]",
        "meta[property='article:published_time']",
        "time[datetime]",
    ]
    body: str | list[str] | None = [
        "[itemprop=description]",
        "article",
        "meta[property='og:description'], meta[name='og:description']",
    ]
    business_id: str | list[str] | None = None  # default: a "Y-tunnus 1234567-8" anywhere in the text


class HtmlOptions(CollectorOptions):
    url: HttpUrl = Field(description="the listing page")
    link_selector: str = Field("a[href]", description="CSS selector of the article links on the listing")
    link_pattern: str | None = Field(None, description="regex an article URL must match")
    kind: EventKind = EventKind.RECRUITMENT
    selectors: Selectors = Selectors()
    language: str | None = Field(None, max_length=8)
    max_articles: int = Field(20, ge=1, le=200)
    seen_limit: int = Field(1000, ge=10, le=100_000)
    max_summary_chars: int = Field(1000, ge=0, le=5000)


def decode_html(content: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, encoding): the HTTP charset wins, then the page's declaration, then detection."""
    declared = _CHARSET.search(content_type or "")
    known = [declared.group(1)] if declared else []
    dammit = UnicodeDammit(content, known_definite_encodings=known, is_html=True)
    if dammit.unicode_markup is None:
        raise InvalidInputError("cannot decode the page", raw=content, error_type="undecodable")
    return dammit.unicode_markup, (dammit.original_encoding or "utf-8").lower()


def article_links(html: str, base_url: str, selector: str, pattern: str | None = None) -> list[str]:
    """Pure: the absolute article URLs of a listing page, in page order, without duplicates."""
    soup = BeautifulSoup(html, "html.parser")
    out: list[str] = []
    for a in soup.select(selector):
        href = a.get("href")
        if not isinstance(href, str) or not href.strip() or href.startswith(("#", "mailto:", "javascript:")):
            continue
        url = urljoin(base_url, href.strip())
        if pattern and not re.search(pattern, url):
            continue
        if url not in out:
            out.append(url)
    return out


def _text(node: Tag | None) -> str:
    if node is None:
        return ""
    if node.name == "meta":
        return str(node.get("content") or "").strip()
    if node.name == "time" and node.get("datetime"):
        return str(node.get("datetime"))
    return re.sub(r"\s+", " ", node.get_text(" ", strip=True)).strip()


def parse_date(value: str) -> datetime | None:
    """ISO-8601 or Finnish 'd.m.yyyy' (local date → midnight Europe/Helsinki)."""
    iso = parse_iso(value)
    if iso is not None:
        return iso
    m = _FI_DATE.search(value or "")
    if m:
        d, mo, y = (int(g) for g in m.groups())
        try:
            return datetime.combine(date(y, mo, d), time(0)).replace(tzinfo=HELSINKI)
        except ValueError:
            return None
    return None


def _json_ld(soup: BeautifulSoup) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for script in soup.find_all("script", attrs={"type": "application/ld+json"}):
        try:
            data = json.loads(script.string or script.get_text() or "")
        except json.JSONDecodeError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            node = stack.pop(0)
            if isinstance(node, dict):
                if isinstance(node.get("@graph"), list):
                    stack.extend(node["@graph"])
                types = node.get("@type")
                types = types if isinstance(types, list) else [types]
                if any(t in ("JobPosting", "NewsArticle", "Article", "ReportageNewsArticle") for t in types):
                    found.append(node)
    return found


def _ld_name(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("name") or "").strip()
    if isinstance(value, list) and value:
        return _ld_name(value[0])
    return str(value or "").strip()


def _ld_location(value: Any) -> str:
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, dict):
        addr = value.get("address")
        if isinstance(addr, dict):
            return str(addr.get("addressLocality") or addr.get("addressRegion") or "").strip()
        return _ld_name(value)
    return str(value or "").strip()


class HtmlCollector(Collector[HtmlOptions]):
    type_name: ClassVar[str] = "html"
    Options: ClassVar[type[CollectorOptions]] = HtmlOptions
    default_schedule: ClassVar[Schedule] = Schedule(interval_s=3600)
    licence_note: ClassVar[str] = "publisher's terms; robots.txt honoured"

    def fetch(self, http: HttpFetcher, state: CursorState) -> FetchOutcome:
        o = self.options
        listing = http.get(str(o.url), etag=state.etag, last_modified=state.last_modified)
        if listing.not_modified:
            return FetchOutcome(payloads=[], state=state)
        html, _ = decode_html(listing.content, listing.headers.get("content-type"))
        seen: list[str] = list(state.cursor.get("seen", []))
        new = [u for u in article_links(html, listing.url, o.link_selector, o.link_pattern) if u not in seen]
        payloads: list[RawPayload] = []
        for url in new[: o.max_articles]:
            try:
                doc = http.get(url)
            except TransientError:
                continue  # not marked seen: tried again next poll
            except InvalidInputError:
                seen.append(url)  # 404/410: gone for good
                continue
            payloads.append(
                RawPayload(
                    source=self.name,
                    url=doc.url,
                    content=doc.content,
                    fetched_at=doc.fetched_at,
                    content_type=doc.headers.get("content-type"),
                    ref=doc.url,
                )
            )
            seen.append(url)
        cursor = {**state.cursor, "seen": seen[-o.seen_limit :]}
        return FetchOutcome(
            payloads=payloads,
            state=CursorState(
                etag=listing.headers.get("etag"),
                last_modified=listing.headers.get("last-modified"),
                cursor=cursor,
            ),
        )

    def split(self, raw: RawPayload) -> list[RawItem]:
        html, encoding = decode_html(raw.content, raw.content_type)
        soup = BeautifulSoup(html, "html.parser")
        if soup.find(["html", "body", "h1", "article"]) is None:
            raise InvalidInputError("not an HTML page", raw=raw.content, error_type="malformed_page")
        lds = _json_ld(soup)
        if lds:
            return [
                RawItem(
                    payload=raw, data={"ld": ld, "encoding": encoding}, raw=json.dumps(ld, ensure_ascii=False)
                )
                for ld in lds
            ]
        return [RawItem(payload=raw, data={"soup": soup, "encoding": encoding}, raw=html)]

    def parse_item(self, item: RawItem) -> list[TriggerEventV1]:
        data: dict[str, Any] = item.data
        fields = self._from_ld(data["ld"]) if "ld" in data else self._from_selectors(data["soup"])
        title = fields["title"]
        if not title:
            raise InvalidInputError("page has no title", raw=item.raw, error_type="missing_title")
        o = self.options
        url = fields.get("url") or item.payload.url
        kind = fields.get("kind") or o.kind
        published = parse_date(fields.get("date") or "")
        observed = item.payload.fetched_at
        company = (fields.get("company") or "").strip()
        bid = normalise_business_id(fields["business_id"]) if fields.get("business_id") else None
        attributes: dict[str, str | int | float | bool | None] = {"encoding": data["encoding"]}
        if url:
            attributes["dedup_key"] = f"url:{url}"
        companies: list[CompanyRef] = []
        if kind == EventKind.RECRUITMENT:
            attributes["job_title"] = title[:300]
            if fields.get("location"):
                attributes["location"] = fields["location"][:200]
        if company or bid:
            role = CompanyRole.EMPLOYER if kind == EventKind.RECRUITMENT else CompanyRole.SUBJECT
            companies.append(CompanyRef(business_id=bid, name=company[:500] or None, role=role))
        if published is None:
            attributes["date_missing"] = True
        summary = (fields.get("body") or "")[: o.max_summary_chars] or None
        full_title = " - ".join(p for p in (title, company) if p) if kind == EventKind.RECRUITMENT else title
        return [
            TriggerEventV1.create(
                source=self.name,
                source_item_id=str(fields.get("id") or url or title)[:1000],
                source_url=url,
                kind=kind,
                occurred_at=published or observed,
                observed_at=observed,
                companies=companies,
                title=full_title[:1000],
                summary=summary,
                language=o.language,
                evidence=[
                    Evidence(
                        url=url,
                        source=self.name,
                        title=full_title[:300],
                        excerpt=(summary or "")[:300] or None,
                        published_at=published,
                    )
                ],
                attributes=attributes,
                raw_ref=item.payload.ref,
            )
        ]

    def _from_ld(self, ld: dict[str, Any]) -> dict[str, Any]:
        raw_types = ld.get("@type")
        types: list[Any] = raw_types if isinstance(raw_types, list) else [raw_types]
        org = ld.get("hiringOrganization") if "JobPosting" in types else ld.get("about") or None
        bid = None
        if isinstance(org, dict):
            bid = org.get("taxID") or org.get("vatID") or org.get("identifier")
            bid = bid.get("value") if isinstance(bid, dict) else bid
        body = ld.get("description") or ld.get("articleBody") or ""
        ident = ld.get("identifier")
        return {
            "kind": EventKind.RECRUITMENT if "JobPosting" in types else EventKind.NEWS,
            "title": str(ld.get("title") or ld.get("headline") or ld.get("name") or "").strip(),
            "company": _ld_name(org) if org else "",
            "business_id": str(bid) if bid and normalise_business_id(str(bid)) else None,
            "location": _ld_location(ld.get("jobLocation")),
            "date": str(ld.get("datePosted") or ld.get("datePublished") or ""),
            "body": re.sub(r"\s+", " ", BeautifulSoup(str(body), "html.parser").get_text(" ")).strip(),
            "url": ld.get("url") or ld.get("mainEntityOfPage")
            if isinstance(ld.get("mainEntityOfPage") or ld.get("url"), str)
            else None,
            "id": (ident.get("value") if isinstance(ident, dict) else ident) or None,
        }

    def _from_selectors(self, soup: BeautifulSoup) -> dict[str, Any]:
        sel = self.options.selectors

        def one(selector: str | list[str] | None) -> str:
            for candidate in [selector] if isinstance(selector, str) else selector or []:
                value = _text(soup.select_one(candidate))
                if value:
                    return value
            return ""

        if sel.business_id:
            bid_text = one(sel.business_id)
        else:
            m = _BID.search(soup.get_text(" "))
            bid_text = m.group(1) if m else ""
        og_url = soup.find("meta", attrs={"property": "og:url"})
        canonical = soup.find("link", attrs={"rel": "canonical"})
        url = (og_url.get("content") if isinstance(og_url, Tag) else None) or (
            canonical.get("href") if isinstance(canonical, Tag) else None
        )
        return {
            "title": one(sel.title),
            "company": one(sel.company),
            "business_id": bid_text or None,
            "location": one(sel.location),
            "date": one(sel.date),
            "body": one(sel.body),
            "url": str(url) if url else None,
        }
