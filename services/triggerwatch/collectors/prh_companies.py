"""PRH / YTJ v3 companies: daily poll of new registrations (``/companies?registrationDateStart=…``).

Each new company becomes a ``registration`` event carrying its classification (TOL version, section,
division, region). Pages hold 100 companies; asking for a page past the end returns page 1 again,
so paging stops when ``totalResults`` companies have been read (or a page repeats, or is empty).
Polite: 300 requests/min per host (the old portal's shared limit), backoff on 429/503 honouring
``Retry-After`` (``HttpFetcher``).

Lähde: Patentti- ja rekisterihallitus (PRH), CC BY 4.0.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, time, timedelta
from typing import ClassVar

from pydantic import Field, HttpUrl

from triggerwatch.collectors.base import (
    Collector,
    CollectorOptions,
    CursorState,
    FetchOutcome,
    RawItem,
    RawPayload,
)
from triggerwatch.core.contracts import CompanyRef, EventKind, Evidence, TriggerEventV1
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.core.http import HttpFetcher
from triggerwatch.core.sources import Schedule
from triggerwatch.registry.loader import iter_raw_records, normalise_raw, raw_text
from triggerwatch.registry.ytj import HELSINKI, PRH_ATTRIBUTION, CompanyRecord

YTJ_API = "https://avoindata.prh.fi/opendata-ytj-api/v3"


class PrhCompaniesOptions(CollectorOptions):
    url: HttpUrl = HttpUrl(f"{YTJ_API}/companies")
    lookback_days: int = Field(2, ge=0, le=60, description="first poll: registrations since this many days")
    max_pages: int = Field(100, ge=1, le=10000)
    rate_per_min: float = Field(300, gt=0, le=300)


def _registered_at(rec: CompanyRecord, fallback: datetime) -> datetime:
    if rec.registered_on is None:
        return fallback
    return datetime.combine(rec.registered_on, time(0), UTC)


def registration_event(source: str, rec: CompanyRecord, observed_at: datetime) -> TriggerEventV1:
    where = ", ".join(x for x in (rec.municipality, rec.region_name) if x)
    title = f"New company registered: {rec.name}" + (f" ({where})" if where else "")
    return TriggerEventV1.create(
        source=source,
        source_item_id=f"registration:{rec.business_id}",
        source_url=f"https://tietopalvelu.ytj.fi/yritys/{rec.business_id}",
        kind=EventKind.REGISTRATION,
        occurred_at=_registered_at(rec, observed_at),
        observed_at=observed_at,
        companies=[CompanyRef(business_id=rec.business_id, name=rec.name)],
        title=title,
        summary=f"{rec.explanation() or 'Industry unknown'}. {PRH_ATTRIBUTION}",
        language="fi",
        evidence=[Evidence(source=source, title=f"YTJ {rec.business_id}", excerpt=rec.industry_description)],
        attributes={
            "dedup_key": f"registration:{rec.business_id}",
            "company_form": rec.company_form or rec.company_form_code,
            "industry_code": rec.industry_code,
            "tol_version": rec.tol_version,
            "industry_section": rec.industry_section,
            "industry_division": rec.industry_division,
            "municipality": rec.municipality,
            "region_code": rec.region_code,
            "is_active": rec.is_active,
        },
    )


class PrhCompaniesCollector(Collector[PrhCompaniesOptions]):
    type_name: ClassVar[str] = "prh_companies"
    Options: ClassVar[type[CollectorOptions]] = PrhCompaniesOptions
    default_schedule: ClassVar[Schedule] = Schedule(cron="15 6 * * *", jitter_s=600)
    licence_note: ClassVar[str] = PRH_ATTRIBUTION

    def fetch(self, http: HttpFetcher, state: CursorState) -> FetchOutcome:
        url = str(self.options.url)
        http.limit_rate(url, self.options.rate_per_min)
        today = datetime.now(UTC).astimezone(HELSINKI).date()
        since = state.cursor.get("since") or (today - timedelta(days=self.options.lookback_days)).isoformat()
        payloads = fetch_pages(http, url, {"registrationDateStart": since}, self.name, self.options.max_pages)
        # re-read yesterday too: registrations of a day keep appearing during the day
        cursor = {**state.cursor, "since": (today - timedelta(days=1)).isoformat()}
        return FetchOutcome(payloads=payloads, state=CursorState(cursor=cursor))

    def split(self, raw: RawPayload) -> list[RawItem]:
        return [RawItem(raw, rec, raw_text(rec)) for rec in iter_raw_records(io.BytesIO(raw.content))]

    def parse_item(self, item: RawItem) -> list[TriggerEventV1]:
        rec = normalise_raw(item.data)
        return [registration_event(self.name, rec, item.payload.fetched_at)]


def fetch_pages(
    http: HttpFetcher,
    url: str,
    params: dict[str, str],
    source: str,
    max_pages: int,
    list_key: str = "companies",
) -> list[RawPayload]:
    """Every page of a paged PRH search; stops on ``totalResults`` (a page past the end is page 1)."""
    payloads: list[RawPayload] = []
    seen = 0
    first_page: bytes | None = None
    for page in range(1, max_pages + 1):
        doc = http.get(url, params={**params, "page": str(page)})
        try:
            data = json.loads(doc.content)
        except ValueError as exc:
            raise InvalidInputError(f"page {page}: not JSON: {exc}", raw=doc.content) from exc
        items = data.get(list_key) if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise InvalidInputError(f"page {page}: no '{list_key}' list", raw=doc.content)
        if page > 1 and doc.content == first_page:
            break  # the API answered a page past the end with page 1
        first_page = first_page or doc.content
        if not items:
            break
        payloads.append(
            RawPayload(
                source=source,
                url=doc.url,
                content=doc.content,
                fetched_at=doc.fetched_at,
                content_type=doc.headers.get("content-type"),
                ref=doc.url,
            )
        )
        seen += len(items)
        total = data.get("totalResults")
        if not isinstance(total, int) or seen >= total:
            break
    return payloads

