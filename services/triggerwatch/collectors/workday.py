"""Workday career sites: the site's own JSON backend ("CXS"), undocumented and keyless.

``POST https://{tenant}.wd{N}.myworkdayjobs.com/wday/cxs/{tenant}/{site}/jobs`` with
``{"appliedFacets": {}, "limit": 20, "offset": N, "searchText": ""}``. The answer has
``jobPostings[]`` (``title``, ``externalPath``, ``locationsText``, ``postedOn``, ``bulletFields``)
and ``total`` — reliable on the first page only (later pages say 0), and an offset past the end
wraps to the first page, so paging stops on the first page's ``total`` (or an empty page, or
``max_pages``). ``postedOn`` is text ("Posted Today", "Posted 3 Days Ago", "Posted 30+ Days Ago"):
the date is worked out from the fetch time where it can be, else left out (``date_missing``).
The requisition id is ``bulletFields[0]``. The ``wdN`` host and the site id cannot be guessed:
configure ``career_site``, the employer's careers URL (``https://acme.wd3.myworkdayjobs.com/External``).
POST requests are not conditional: each poll reads every page.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pydantic import Field, HttpUrl, field_validator

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
    payload_of,
)
from triggerwatch.core.contracts import TriggerEventV1
from triggerwatch.core.http import HttpFetcher
from triggerwatch.core.sources import Schedule

_LOCALE = re.compile(r"^[a-z]{2}-[A-Z]{2}$")
_DAYS = re.compile(r"(\d+)\s+Days?\s+Ago", re.IGNORECASE)


class WorkdayOptions(EmployerOptions):
    career_site: HttpUrl = Field(description="https://{tenant}.wd{N}.myworkdayjobs.com[/{locale}]/{site}")
    limit: int = Field(20, ge=1, le=20)
    max_pages: int = Field(25, ge=1, le=100)
    search_text: str = ""

    @field_validator("career_site")
    @classmethod
    def _site(cls, v: HttpUrl) -> HttpUrl:
        parts = [p for p in (v.path or "").split("/") if p and not _LOCALE.match(p)]
        if not v.host or not parts:
            raise ValueError(
                "career_site must be the careers URL: https://{tenant}.wd{N}.myworkdayjobs.com/{site}"
            )
        return v

    def parts(self) -> tuple[str, str, str]:
        """(origin, tenant, site)."""
        split = urlsplit(str(self.career_site))
        site = next(p for p in split.path.split("/") if p and not _LOCALE.match(p))
        return f"{split.scheme}://{split.netloc}", split.netloc.split(".")[0], site

    def jobs_url(self) -> str:
        origin, tenant, site = self.parts()
        return f"{origin}/wday/cxs/{tenant}/{site}/jobs"


def posted_on(text: Any, fetched: datetime) -> datetime | None:
    """``Posted Today`` / ``Yesterday`` / ``N Days Ago`` → a date relative to the fetch; ``30+`` → None."""
    if not isinstance(text, str):
        return None
    day = fetched.replace(hour=0, minute=0, second=0, microsecond=0)
    low = text.lower()
    if "today" in low:
        return day
    if "yesterday" in low:
        return day - timedelta(days=1)
    m = _DAYS.search(text)
    if m and "+" not in text:
        return day - timedelta(days=int(m.group(1)))
    return None


class WorkdayCollector(Collector[WorkdayOptions]):
    type_name: ClassVar[str] = "workday"
    Options: ClassVar[type[CollectorOptions]] = WorkdayOptions
    default_schedule: ClassVar[Schedule] = Schedule(interval_s=6 * 3600, jitter_s=600)
    licence_note: ClassVar[str] = "the employer's public job ads (Workday career site; undocumented endpoint)"

    def check_url(self) -> str:
        return self.options.jobs_url()

    def fetch(self, http: HttpFetcher, state: CursorState) -> FetchOutcome:
        o = self.options
        url = o.jobs_url()
        payloads: list[RawPayload] = []
        total: int | None = None
        offset = 0
        for _ in range(o.max_pages):
            body = {"appliedFacets": {}, "limit": o.limit, "offset": offset, "searchText": o.search_text}
            doc = http.post(url, json=body, headers={"Accept": "application/json"})
            payload = payload_of(self, doc)
            payloads.append(payload)
            data = load_json_payload(payload)
            postings = data.get("jobPostings") if isinstance(data, dict) else None
            if total is None:  # only the first page's total is right
                total = int(data.get("total") or 0) if isinstance(data, dict) else 0
            if not postings:
                break
            offset += len(postings)
            if offset >= total:
                break
        return FetchOutcome(payloads=payloads, state=CursorState(cursor=state.cursor))

    def split(self, raw: RawPayload) -> list[RawItem]:
        data = load_json_payload(raw)
        return json_items(raw, data.get("jobPostings") if isinstance(data, dict) else None, "jobPostings")

    def parse_item(self, item: RawItem) -> list[TriggerEventV1]:
        p: Any = item.data if isinstance(item.data, dict) else {}
        origin, _, site = self.options.parts()
        path = p.get("externalPath")
        bullets = p.get("bulletFields") or []
        req_id = str(bullets[0]) if bullets else None
        ad = JobAd(
            ad_id=req_id or str(path or ""),
            title=str(p.get("title") or ""),
            url=f"{origin}/{site}{path}" if isinstance(path, str) and path.startswith("/") else None,
            published=posted_on(p.get("postedOn"), item.payload.fetched_at),
            location=p.get("locationsText") or None,
            extra={"posted_on": p.get("postedOn") or None},
        )
        return [job_event(self, item, ad, family=self.type_name)]
