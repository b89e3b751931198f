"""Lever postings: ``GET https://api.lever.co/v0/postings/{site}?mode=json&skip=N&limit=L``.

Public and keyless for GETs ("all job postings in the published state are publicly viewable"); the
EU instance is ``api.eu.lever.co``. The response is a top-level array of postings: ``id`` (UUID),
``text`` (the title), ``hostedUrl``, ``categories.{location,team,department,commitment}``,
``workplaceType``, ``descriptionPlain`` and ``createdAt`` (epoch milliseconds). Paged with
``skip``/``limit``: pages follow while a full page came back, at most ``max_pages``.
"""

from __future__ import annotations

from datetime import UTC, datetime
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
from triggerwatch.core.contracts import TriggerEventV1
from triggerwatch.core.http import FetchedDocument, HttpFetcher
from triggerwatch.core.sources import Schedule


class LeverOptions(EmployerOptions):
    site: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="jobs.lever.co/{site}")
    eu: bool = Field(False, description="the EU instance (api.eu.lever.co)")
    api_url: str | None = Field(None, pattern=r"^https?://", description="override the API root")
    limit: int = Field(100, ge=1, le=500)
    max_pages: int = Field(20, ge=1, le=200)

    def postings_url(self) -> str:
        root = self.api_url or ("https://api.eu.lever.co" if self.eu else "https://api.lever.co")
        return f"{root.rstrip('/')}/v0/postings/{self.site}"


def epoch_ms(value: Any) -> datetime | None:
    if isinstance(value, int | float) and value > 0:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    return None


class LeverCollector(Collector[LeverOptions]):
    type_name: ClassVar[str] = "lever"
    Options: ClassVar[type[CollectorOptions]] = LeverOptions
    default_schedule: ClassVar[Schedule] = Schedule(interval_s=3 * 3600, jitter_s=300)
    licence_note: ClassVar[str] = "the employer's public job ads (Lever postings)"

    def check_url(self) -> str:
        return self.options.postings_url()

    def fetch(self, http: HttpFetcher, state: CursorState) -> FetchOutcome:
        o = self.options
        url = o.postings_url()

        def page(skip: int) -> dict[str, str]:
            return {"mode": "json", "skip": str(skip), "limit": str(o.limit)}

        def following(n: int, previous: Any) -> FetchedDocument | None:
            if not isinstance(previous, list) or len(previous) < o.limit or n > o.max_pages:
                return None
            return http.get(url, params=page((n - 1) * o.limit))

        return fetch_pages(
            self,
            http,
            state,
            lambda: http.get(url, etag=state.etag, last_modified=state.last_modified, params=page(0)),
            following,
        )

    def split(self, raw: RawPayload) -> list[RawItem]:
        return json_items(raw, load_json_payload(raw), "postings (a top-level array)")

    def parse_item(self, item: RawItem) -> list[TriggerEventV1]:
        p: Any = item.data if isinstance(item.data, dict) else {}
        cats = p.get("categories") if isinstance(p.get("categories"), dict) else {}
        ad = JobAd(
            ad_id=str(p.get("id") or ""),
            title=str(p.get("text") or ""),
            url=p.get("hostedUrl") or None,
            published=epoch_ms(p.get("createdAt")),
            location=cats.get("location") or "; ".join(cats.get("allLocations") or []) or None,
            department=cats.get("department") or cats.get("team") or None,
            remote=p.get("workplaceType") or None,
            description=p.get("descriptionPlain") or p.get("description"),
            extra={"commitment": cats.get("commitment") or None, "team": cats.get("team") or None},
        )
        return [job_event(self, item, ad, family=self.type_name)]
