"""Recruitee careers sites: ``GET https://{company}.recruitee.com/api/offers/`` (keyless "Careers
Site API", read from the candidate's side).

One response lists every published offer (no paging): ``offers[]`` with ``id``, ``title``,
``careers_url``, ``city``, ``country``, ``remote``, ``department``, ``published_at``
(``YYYY-MM-DD HH:MM:SS UTC``), ``description`` (HTML) and ``status``. Offers whose ``status`` is not
``published`` are skipped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import Field, HttpUrl, model_validator

from triggerwatch.collectors.base import (
    Collector,
    CollectorOptions,
    CursorState,
    FetchOutcome,
    RawItem,
    RawPayload,
)
from triggerwatch.collectors.jobads import EmployerOptions, JobAd, job_event, json_items, load_json_payload
from triggerwatch.collectors.payloads import conditional_fetch, parse_iso
from triggerwatch.core.contracts import TriggerEventV1
from triggerwatch.core.http import HttpFetcher
from triggerwatch.core.sources import Schedule


class RecruiteeOptions(EmployerOptions):
    company: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9-]*$", description="{company}.recruitee.com")
    url: HttpUrl | None = Field(None, description="the offers endpoint, e.g. on a custom careers domain")

    @model_validator(mode="after")
    def _one(self) -> RecruiteeOptions:
        if (self.company is None) == (self.url is None):
            raise ValueError("give exactly one of company or url")
        return self

    def offers_url(self) -> str:
        return str(self.url) if self.url else f"https://{self.company}.recruitee.com/api/offers/"


def recruitee_time(value: Any) -> datetime | None:
    """``2026-03-17 11:32:32 UTC`` (the API's form) or ISO-8601."""
    if isinstance(value, str) and value.endswith(" UTC"):
        try:
            return datetime.strptime(value[:-4], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        except ValueError:
            return None
    return parse_iso(value)


class RecruiteeCollector(Collector[RecruiteeOptions]):
    type_name: ClassVar[str] = "recruitee"
    Options: ClassVar[type[CollectorOptions]] = RecruiteeOptions
    default_schedule: ClassVar[Schedule] = Schedule(interval_s=3 * 3600, jitter_s=300)
    licence_note: ClassVar[str] = "the employer's public job ads (Recruitee careers site)"

    def check_url(self) -> str:
        return self.options.offers_url()

    def fetch(self, http: HttpFetcher, state: CursorState) -> FetchOutcome:
        return conditional_fetch(
            self, http, state, self.options.offers_url(), headers={"Accept": "application/json"}
        )

    def split(self, raw: RawPayload) -> list[RawItem]:
        data = load_json_payload(raw)
        items = json_items(raw, data.get("offers") if isinstance(data, dict) else None, "offers")
        return [
            i
            for i in items
            if not isinstance(i.data, dict) or i.data.get("status", "published") == "published"
        ]

    def parse_item(self, item: RawItem) -> list[TriggerEventV1]:
        o: Any = item.data if isinstance(item.data, dict) else {}
        place = ", ".join(
            dict.fromkeys(str(o[k]) for k in ("city", "country") if o.get(k))
        )  # "Germany, Germany" once
        ad = JobAd(
            ad_id=str(o.get("id") or ""),
            title=str(o.get("title") or ""),
            url=o.get("careers_url") or None,
            published=recruitee_time(o.get("published_at") or o.get("created_at")),
            location=place or o.get("location") or None,
            department=o.get("department") or None,
            remote="remote" if o.get("remote") is True else None,
            description=o.get("description"),
        )
        return [job_event(self, item, ad, family=self.type_name)]
