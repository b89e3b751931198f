"""Greenhouse job boards: ``GET https://boards-api.greenhouse.io/v1/boards/{board}/jobs?content=true``.

The Job Board API is public for GETs (only applying needs a key) and returns the whole board in one
response (``jobs[]``, ``meta.total``; no paging). With ``content=true`` each job has ``content``
(HTML, entity-escaped), ``departments[]`` and ``offices[]``; always ``id``, ``title``,
``location.name``, ``absolute_url`` (may be the employer's own site with ``?gh_jid=``),
``updated_at`` and, in current responses, ``first_published`` and ``company_name``.
"""

from __future__ import annotations

import html
from typing import Any, ClassVar

from pydantic import Field

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

API = "https://boards-api.greenhouse.io/v1/boards"


class GreenhouseOptions(EmployerOptions):
    board: str = Field(
        pattern=r"^[A-Za-z0-9_-]+$", description="the board token (boards.greenhouse.io/{board})"
    )
    api_url: str = Field(API, pattern=r"^https?://", description="the Job Board API root")
    content: bool = Field(True, description="ask for content, departments and offices")

    def jobs_url(self) -> str:
        return f"{self.api_url.rstrip('/')}/{self.board}/jobs"


class GreenhouseCollector(Collector[GreenhouseOptions]):
    type_name: ClassVar[str] = "greenhouse"
    Options: ClassVar[type[CollectorOptions]] = GreenhouseOptions
    default_schedule: ClassVar[Schedule] = Schedule(interval_s=3 * 3600, jitter_s=300)
    licence_note: ClassVar[str] = "the employer's public job ads (Greenhouse job board)"

    def check_url(self) -> str:
        return self.options.jobs_url()

    def fetch(self, http: HttpFetcher, state: CursorState) -> FetchOutcome:
        params = {"content": "true"} if self.options.content else None
        return conditional_fetch(self, http, state, self.options.jobs_url(), params=params)

    def split(self, raw: RawPayload) -> list[RawItem]:
        data = load_json_payload(raw)
        return json_items(raw, data.get("jobs") if isinstance(data, dict) else None, "jobs")

    def parse_item(self, item: RawItem) -> list[TriggerEventV1]:
        j: Any = item.data if isinstance(item.data, dict) else {}
        location = j.get("location") if isinstance(j.get("location"), dict) else {}
        offices = [str(o["name"]) for o in j.get("offices") or [] if isinstance(o, dict) and o.get("name")]
        departments = [
            str(d["name"]) for d in j.get("departments") or [] if isinstance(d, dict) and d.get("name")
        ]
        ad = JobAd(
            ad_id=str(j.get("id") or ""),
            title=str(j.get("title") or ""),
            url=j.get("absolute_url") or None,
            published=parse_iso(j.get("first_published")) or parse_iso(j.get("updated_at")),
            location=location.get("name") or "; ".join(offices) or None,
            department=", ".join(departments) or None,
            employer=j.get("company_name") or None,
            description=html.unescape(j["content"]) if isinstance(j.get("content"), str) else None,
            extra={"offices": "; ".join(offices)[:300] or None},
        )
        return [job_event(self, item, ad, family=self.type_name)]
