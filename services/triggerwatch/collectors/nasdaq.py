"""Nasdaq Helsinki company announcements (``api.news.eu.nasdaq.com/news/query.action`` JSON).

``results.item[]`` holds one disclosure per language: Finnish issuers publish a Finnish and an
English twin (same company, release time and category). Twins are merged into one item, hence one
event whose ``dedup_key`` (and event id) is the same whichever twin is seen first. The category
(``cnsCategory``) gives the kind structurally: "Changes board/management/auditors" is a
decision-maker change, everything else (managers' transactions, reports, inside information, ...)
is ``news`` for the text classifier to refine. With ``fetch_bodies`` the release text of the
categories in ``body_categories`` is fetched from ``messageUrl`` too (MAR art. 19 fields: name,
position, issuer, LEI, ISIN).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, tzinfo
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup
from pydantic import Field, HttpUrl

from triggerwatch.collectors.base import (
    Collector,
    CollectorOptions,
    CursorState,
    FetchOutcome,
    RawItem,
    RawPayload,
)
from triggerwatch.collectors.payloads import conditional_fetch, load_json
from triggerwatch.core.contracts import CompanyRef, EventKind, Evidence, TriggerEventV1
from triggerwatch.core.errors import InvalidInputError, TransientError
from triggerwatch.core.http import HttpFetcher
from triggerwatch.core.sources import Schedule

QUERY_URL = "https://api.news.eu.nasdaq.com/news/query.action"
HELSINKI = ZoneInfo("Europe/Helsinki")
CET = ZoneInfo("Europe/Stockholm")  # the API's releaseTime is CET/CEST (the page says "CEST")

# cnsCategory (lower-case) → kind; anything else is news
CATEGORY_KINDS: dict[str, EventKind] = {
    "changes board/management/auditors": EventKind.DECISION_MAKER_CHANGE,
    "changes in board/management/auditors": EventKind.DECISION_MAKER_CHANGE,
    "managers' transactions": EventKind.NEWS,
    "inside information": EventKind.NEWS,
    "mergers, acquisitions and divestments": EventKind.MERGER,
    "mergers and acquisitions": EventKind.MERGER,
    "bankruptcy": EventKind.BANKRUPTCY,
}
_BODY_FIELDS = {
    "person_name": r"Name:\s*(.+?)\s+Position:",
    "position": r"Position:\s*(.+?)\s+(?:Issuer|Notification type):",
    "issuer": r"Issuer:\s*(.+?)\s+LEI:",
    "lei": r"LEI:\s*([A-Z0-9]{20})",
    "isin": r"ISIN:\s*([A-Z]{2}[A-Z0-9]{9}\d)",
}


class NasdaqOptions(CollectorOptions):
    url: HttpUrl = Field(QUERY_URL)  # type: ignore[assignment]
    params: dict[str, str] = Field(
        default_factory=lambda: {
            "type": "json",
            "showAttachments": "false",
            "limit": "100",
            "market": "Main Market, Helsinki",
            "globalGroup": "exchangeNotice",
        }
    )
    markets: list[str] = Field(
        default_factory=lambda: ["Main Market, Helsinki", "First North Finland", "First North Helsinki"],
        description="keep only these markets (empty = all)",
    )
    category_kinds: dict[str, EventKind] = Field(
        default_factory=dict, description="extra/overriding mappings"
    )
    fetch_bodies: bool = False
    body_categories: list[str] = Field(
        default_factory=lambda: ["Changes board/management/auditors", "Managers' Transactions"]
    )
    classify: bool = Field(False, description="refine items from their text (triggerwatch.text.classify)")


def parse_release_body(text: str) -> dict[str, str]:
    """MAR art. 19 fields from a release text (``view.news.eu.nasdaq.com`` page as text)."""
    out: dict[str, str] = {}
    for key, pattern in _BODY_FIELDS.items():
        m = re.search(pattern, text)
        if m:
            out[key] = m.group(1).strip()[:200]
    return out


def _release_time(value: Any, zone: tzinfo = CET) -> datetime | None:
    """``releaseTime`` / ``published``: local time of the zone the query asked for (``timeZone``;
    CET/CEST unless ``timeZone=UTC``)."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone)
    except ValueError:
        return None


def _tail(headline: str) -> str:
    return headline.rsplit(":", 1)[-1].strip().lower() if ":" in headline else ""


class NasdaqCollector(Collector[NasdaqOptions]):
    type_name: ClassVar[str] = "nasdaq"
    Options: ClassVar[type[CollectorOptions]] = NasdaqOptions
    default_schedule: ClassVar[Schedule] = Schedule(interval_s=300)
    licence_note: ClassVar[str] = "Nasdaq company news: public disclosures, headlines and links"

    def kind_for(self, category: str) -> EventKind:
        overrides = {k.lower(): v for k, v in self.options.category_kinds.items()}
        return overrides.get(category.lower()) or CATEGORY_KINDS.get(category.lower(), EventKind.NEWS)

    def fetch(self, http: HttpFetcher, state: CursorState) -> FetchOutcome:
        outcome = conditional_fetch(self, http, state, str(self.options.url), params=self.options.params)
        if not self.options.fetch_bodies or not outcome.payloads:
            return outcome
        listing = outcome.payloads[0]
        wanted = {c.lower() for c in self.options.body_categories}
        bodies: dict[str, str] = {}
        for entry in _items(load_json(listing)):
            url = entry.get("messageUrl")
            if (
                str(entry.get("cnsCategory", "")).lower() in wanted
                and isinstance(url, str)
                and self._kept(entry)
            ):
                try:
                    page = http.get(url)
                except (TransientError, InvalidInputError):
                    continue  # the headline still flows; the text is a bonus
                bodies[str(entry.get("disclosureId"))] = BeautifulSoup(page.content, "html.parser").get_text(
                    " "
                )
        combined = {"listing": json.loads(listing.content), "bodies": bodies}
        raw = RawPayload(
            source=listing.source,
            url=listing.url,
            content=json.dumps(combined, ensure_ascii=False).encode(),
            fetched_at=listing.fetched_at,
            content_type="application/json",
            ref=listing.ref,
        )
        return FetchOutcome(payloads=[raw], state=outcome.state)

    def _kept(self, entry: dict[str, Any]) -> bool:
        return not self.options.markets or entry.get("market") in self.options.markets

    def split(self, raw: RawPayload) -> list[RawItem]:
        data = load_json(raw)
        bodies: dict[str, str] = {}
        if isinstance(data, dict) and "listing" in data:
            bodies = data.get("bodies") or {}
            data = data["listing"]
        entries = _items(data)
        groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        items: list[RawItem] = []
        for entry in entries:
            if not isinstance(entry, dict):
                items.append(RawItem(payload=raw, data=entry, raw=json.dumps(entry)))
                continue
            if not self._kept(entry):
                continue
            key = (
                str(entry.get("company", "")),
                str(entry.get("releaseTime", "")),
                str(entry.get("cnsCategory", "")),
            )
            groups.setdefault(key, []).append(entry)
        for group in groups.values():
            for twins in _pair(group):
                data_ = {
                    "releases": twins,
                    "bodies": {
                        str(t.get("disclosureId")): bodies[str(t.get("disclosureId"))]
                        for t in twins
                        if str(t.get("disclosureId")) in bodies
                    },
                }
                items.append(RawItem(payload=raw, data=data_, raw=json.dumps(twins, ensure_ascii=False)))
        return items

    def parse_item(self, item: RawItem) -> list[TriggerEventV1]:
        if not isinstance(item.data, dict):
            raise InvalidInputError(
                "announcement is not an object", raw=item.raw, error_type="malformed_item"
            )
        releases: list[dict[str, Any]] = item.data["releases"]
        for r in releases:
            if not r.get("disclosureId") or not r.get("headline") or not r.get("company"):
                raise InvalidInputError(
                    "announcement without disclosureId, headline or company",
                    raw=item.raw,
                    error_type="missing_field",
                )
        zone = UTC if self.options.params.get("timeZone", "").upper() == "UTC" else CET
        when = _release_time(releases[0].get("releaseTime") or releases[0].get("published"), zone)
        if when is None:
            raise InvalidInputError(
                f"bad releaseTime {releases[0].get('releaseTime')!r}", raw=item.raw, error_type="bad_date"
            )
        # Finnish first (the primary language of a Helsinki issuer), then English, then the rest
        releases = sorted(releases, key=lambda r: {"fi": 0, "en": 1}.get(str(r.get("language")), 2))
        primary = releases[0]
        category = str(primary.get("cnsCategory") or "")
        ids = sorted(str(r["disclosureId"]) for r in releases)
        # stable whichever twin arrives first: issuer, release time, category and the headline's tail
        twin = "\x1f".join(
            [
                str(primary["company"]).lower(),
                str(primary.get("releaseTime")),
                category.lower(),
                _tail(str(primary["headline"])),
            ]
        )
        dedup_key = "nasdaq:" + hashlib.sha256(twin.encode()).hexdigest()[:20]
        attributes: dict[str, str | int | float | bool | None] = {
            "dedup_key": dedup_key,
            "category": category,
            "category_id": primary.get("categoryId"),
            "market": primary.get("market"),
            "disclosure_ids": ",".join(ids),
            "languages": ",".join(str(r.get("language")) for r in releases),
        }
        for text in item.data.get("bodies", {}).values():
            for k, v in parse_release_body(text).items():
                attributes.setdefault(k, v)
        observed = item.payload.fetched_at
        company = str(primary["company"])
        return [
            TriggerEventV1.create(
                source=self.name,
                source_item_id=dedup_key,
                source_url=primary.get("messageUrl"),
                kind=self.kind_for(category),
                occurred_at=when,
                observed_at=observed,
                companies=[CompanyRef(name=company[:500])],
                title=str(primary["headline"])[:1000],
                summary=None,
                language=primary.get("language"),
                evidence=[
                    Evidence(
                        url=r.get("messageUrl"),
                        source=self.name,
                        title=str(r["headline"])[:300],
                        published_at=_release_time(r.get("published"), zone) or when,
                    )
                    for r in releases
                ],
                attributes=attributes,
                raw_ref=item.payload.ref,
            )
        ]


def _items(data: Any) -> list[Any]:
    items = data.get("results", {}).get("item") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise InvalidInputError(
            "no results.item list: not a Nasdaq news query response",
            raw=json.dumps(data)[:10000] if data is not None else None,
            error_type="malformed_feed",
        )
    return items


def _pair(group: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Twins of one (company, time, category): merge one release per language; when a language
    occurs more than once, pair by the headline's tail (e.g. the person's name) or keep apart."""
    langs = [str(r.get("language")) for r in group]
    if len(set(langs)) == len(langs):
        return [group]
    by_tail: dict[str, list[dict[str, Any]]] = {}
    for r in group:
        by_tail.setdefault(_tail(str(r.get("headline", ""))) or str(r.get("disclosureId")), []).append(r)
    out: list[list[dict[str, Any]]] = []
    for twins in by_tail.values():
        tl = [str(r.get("language")) for r in twins]
        out.extend([twins] if len(set(tl)) == len(tl) else [[r] for r in twins])
    return out
