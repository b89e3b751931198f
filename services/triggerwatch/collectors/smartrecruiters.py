"""SmartRecruiters Posting API: ``GET https://api.smartrecruiters.com/v1/companies/{company}/postings``.

Keyless ("exposes data that are already publicly available"). Paged with ``limit`` (at most 100)
and ``offset``; the response has ``totalFound``, ``offset``, ``limit`` and ``content[]``: ``id``,
``name`` (the title), ``releasedDate``, ``location.{city,country,fullLocation,remote,hybrid}``,
``department.label``, ``typeOfEmployment.label``, ``company.name``. The list carries no URL: the
public page is ``https://jobs.smartrecruiters.com/{company}/{id}``.
"""

from __future__ import annotations

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
from triggerwatch.collectors.jobads import (
    EmployerOptions,
    JobAd,
    fetch_pages,
    job_event,
    json_items,
    load_json_payload,
)
from triggerwatch.collectors.payloads import parse_iso
from triggerwatch.core.contracts import TriggerEventV1
from triggerwatch.core.http import FetchedDocument, HttpFetcher
from triggerwatch.core.sources import Schedule

API = "https://api.smartrecruiters.com/v1/companies"


class SmartRecruitersOptions(EmployerOptions):
    company: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="the company identifier")
    api_url: str = Field(API, pattern=r"^https?://")
    job_url: str = Field("https://jobs.smartrecruiters.com/{company}/{id}", description="public ad page")
    limit: int = Field(100, ge=1, le=100)
    max_pages: int = Field(20, ge=1, le=200)

    def postings_url(self) -> str:
        return f"{self.api_url.rstrip('/')}/{self.company}/postings"


class SmartRecruitersCollector(Collector[SmartRecruitersOptions]):
    type_name: ClassVar[str] = "smartrecruiters"
    Options: ClassVar[type[CollectorOptions]] = SmartRecruitersOptions
    default_schedule: ClassVar[Schedule] = Schedule(interval_s=3 * 3600, jitter_s=300)
    licence_note: ClassVar[str] = "the employer's public job ads (SmartRecruiters Posting API)"

    def check_url(self) -> str:
        return self.options.postings_url()

    def fetch(self, http: HttpFetcher, state: CursorState) -> FetchOutcome:
        o = self.options
        url = o.postings_url()

        def page(offset: int) -> dict[str, str]:
            return {"limit": str(o.limit), "offset": str(offset)}

        def following(n: int, previous: Any) -> FetchedDocument | None:
            if not isinstance(previous, dict) or n > o.max_pages:
                return None
            offset = int(previous.get("offset") or 0) + len(previous.get("content") or [])
            if not previous.get("content") or offset >= int(previous.get("totalFound") or 0):
                return None
            return http.get(url, params=page(offset))

        return fetch_pages(
            self,
            http,
            state,
            lambda: http.get(url, etag=state.etag, last_modified=state.last_modified, params=page(0)),
            following,
        )

    def split(self, raw: RawPayload) -> list[RawItem]:
        data = load_json_payload(raw)
        return json_items(
            raw, data.get("content") if isinstance(data, dict) else None, "postings (content[])"
        )

    def parse_item(self, item: RawItem) -> list[TriggerEventV1]:
        p: Any = item.data if isinstance(item.data, dict) else {}
        loc = p.get("location") if isinstance(p.get("location"), dict) else {}
        dept = p.get("department") if isinstance(p.get("department"), dict) else {}
        emp = p.get("typeOfEmployment") if isinstance(p.get("typeOfEmployment"), dict) else {}
        company = p.get("company") if isinstance(p.get("company"), dict) else {}
        ident = str(company.get("identifier") or self.options.company)
        remote = "fully" if loc.get("remote") else "hybrid" if loc.get("hybrid") else None
        ad = JobAd(
            ad_id=str(p.get("id") or ""),
            title=str(p.get("name") or ""),
            url=self.options.job_url.format(company=ident, id=p.get("id")) if p.get("id") else None,
            published=parse_iso(p.get("releasedDate")),
            location=loc.get("fullLocation") or loc.get("city") or None,
            department=dept.get("label") or None,
            employer=company.get("name") or None,
            remote=remote,
            extra={"employment_type": emp.get("label") or None, "ref_number": p.get("refNumber") or None},
        )
        return [job_event(self, item, ad, family=self.type_name)]
