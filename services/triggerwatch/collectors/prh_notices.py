"""PRH trade-register notices (``opendata-registerednotices-api/v3``): board, managing director,
signing rights, auditor, name, founding, bankruptcy and merger notices as trigger events.

Searches ``noticeRegistrationDateStart/End`` with paging (50 a page, stopped on ``totalResults``),
refreshes the EC/NRT code lists (``/description``, upper-case ``lang``) once a day with the shipped
snapshot as fallback, 300 requests/min per host, backoff on 429/503 (``HttpFetcher``).

Lähde: Patentti- ja rekisterihallitus (PRH), CC BY 4.0.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import ClassVar, Literal

from pydantic import Field, HttpUrl

from triggerwatch.collectors.base import (
    Collector,
    CollectorOptions,
    CursorState,
    FetchOutcome,
    RawItem,
    RawPayload,
)
from triggerwatch.collectors.prh_companies import fetch_pages
from triggerwatch.core.contracts import TriggerEventV1
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.core.http import HttpFetcher
from triggerwatch.core.sources import Schedule
from triggerwatch.registry.notices import (
    NOTICES_API,
    CodeListCache,
    register_notice_events,
    split_notices,
    to_notice,
)
from triggerwatch.registry.ytj import HELSINKI, PRH_ATTRIBUTION


class PrhNoticesOptions(CollectorOptions):
    url: HttpUrl = HttpUrl(NOTICES_API)
    business_id: str | None = Field(None, description="per-company lookup instead of the date search")
    lookback_days: int = Field(2, ge=0, le=60)
    max_pages: int = Field(200, ge=1, le=10000)
    rate_per_min: float = Field(300, gt=0, le=300)
    lang: Literal["FI", "EN"] = "FI"


class PrhNoticesCollector(Collector[PrhNoticesOptions]):
    type_name: ClassVar[str] = "prh_notices"
    Options: ClassVar[type[CollectorOptions]] = PrhNoticesOptions
    default_schedule: ClassVar[Schedule] = Schedule(cron="30 6 * * *", jitter_s=600)
    licence_note: ClassVar[str] = PRH_ATTRIBUTION

    def __init__(self, name: str, options: PrhNoticesOptions) -> None:
        super().__init__(name, options)
        self.codes = CodeListCache(base_url=str(options.url).rstrip("/"))

    def fetch(self, http: HttpFetcher, state: CursorState) -> FetchOutcome:
        base = str(self.options.url).rstrip("/")
        http.limit_rate(base, self.options.rate_per_min)
        for code in ("EC", "NRT"):
            self.codes.refresh(http, code, self.options.lang)
        if self.options.business_id:
            doc = http.get(f"{base}/{self.options.business_id}")
            payloads = [RawPayload(self.name, doc.url, doc.content, doc.fetched_at, ref=doc.url)]
            return FetchOutcome(payloads=payloads, state=state)
        today = datetime.now(UTC).astimezone(HELSINKI).date()
        since = state.cursor.get("since") or (today - timedelta(days=self.options.lookback_days)).isoformat()
        params = {"noticeRegistrationDateStart": since, "noticeRegistrationDateEnd": today.isoformat()}
        payloads = fetch_pages(http, base, params, self.name, self.options.max_pages)
        cursor = {**state.cursor, "since": (today - timedelta(days=1)).isoformat()}
        return FetchOutcome(payloads=payloads, state=CursorState(cursor=cursor))

    def split(self, raw: RawPayload) -> list[RawItem]:
        try:
            data = json.loads(raw.content)
        except ValueError as exc:
            raise InvalidInputError(f"notices payload is not JSON: {exc}") from exc
        return [
            RawItem(
                raw, pair, json.dumps({"company": pair[0].get("businessId"), "notice": pair[1]}, default=str)
            )
            for pair in split_notices(data)
        ]

    def parse_item(self, item: RawItem) -> list[TriggerEventV1]:
        company, notice = item.data
        return register_notice_events(
            self.name,
            to_notice(company, notice),
            ec_labels=self.codes.labels("EC", self.options.lang),
            nrt_labels=self.codes.labels("NRT", self.options.lang),
            observed_at=item.payload.fetched_at,
            raw_ref=item.payload.ref,
        )
