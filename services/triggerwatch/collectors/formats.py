"""Parse formats: ``triggerwatch parse FORMAT FILE`` for payloads that no configured source names.

Each format turns one recorded payload into JSON-able records (events, company records, ...) with
a collector type's own ``split``/``parse_item``. For the PRH formats the attribution is written to
standard error before any record (PRH data is CC BY 4.0).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel

from triggerwatch.collectors.base import Collector, RawPayload
from triggerwatch.collectors.cision import CisionCollector
from triggerwatch.collectors.hilma import HilmaCollector
from triggerwatch.collectors.html import HtmlCollector
from triggerwatch.collectors.nasdaq import NasdaqCollector
from triggerwatch.collectors.prh_companies import PrhCompaniesCollector, PrhCompaniesOptions
from triggerwatch.collectors.prh_notices import PrhNoticesCollector, PrhNoticesOptions
from triggerwatch.collectors.registry import Source, build_source
from triggerwatch.collectors.rss import RssCollector
from triggerwatch.collectors.runner import RunReport, parse_payloads
from triggerwatch.collectors.te_jobs import TeJobsCollector
from triggerwatch.collectors.ted import TedCollector
from triggerwatch.core.contracts import DeadLetterV1, TriggerEventV1
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.core.sources import SourceConfig
from triggerwatch.registry.loader import normalise_raw
from triggerwatch.registry.ytj import PRH_ATTRIBUTION, CompanyRecord


class ParsedCompany(BaseModel):
    """A normalised company with the derived fields shown to people."""

    company: CompanyRecord
    aliases: list[str]
    age_years: float | None
    explanation: str
    content_hash: str

    @classmethod
    def of(cls, rec: CompanyRecord, as_of: date | None = None) -> ParsedCompany:
        return cls(
            company=rec,
            aliases=rec.aliases,
            age_years=rec.age_years(as_of),
            explanation=rec.explanation(),
            content_hash=rec.content_hash(),
        )


def attribution() -> None:
    sys.stderr.write(PRH_ATTRIBUTION + "\n")


def parse_companies(raw: RawPayload, report: RunReport) -> Iterator[BaseModel]:
    attribution()
    collector = PrhCompaniesCollector("prh-companies", PrhCompaniesOptions())
    try:
        items = collector.split(raw)
    except InvalidInputError as exc:
        report.dead_letters.append(_dl(exc, raw.content))
        return
    for item in items:
        report.items += 1
        try:
            rec = normalise_raw(item.data)
        except InvalidInputError as exc:
            report.dead_letters.append(_dl(exc, item.raw))
            continue
        yield ParsedCompany.of(rec)
        yield from collector.parse_item(item)


def parse_notices(raw: RawPayload, report: RunReport) -> Iterable[TriggerEventV1]:
    attribution()
    collector = PrhNoticesCollector("prh-notices", PrhNoticesOptions())
    source = Source(SourceConfig(name="prh-notices", type=collector.type_name), collector)
    return parse_payloads(source, [raw], report)


def _dl(exc: InvalidInputError, raw: bytes | str) -> DeadLetterV1:
    return DeadLetterV1.from_raw(
        stage="collect",
        reason=exc.reason,
        raw=exc.raw if exc.raw is not None else raw,
        error_type=exc.error_type,
        source="prh-companies",
    )


@dataclass(frozen=True)
class ParseFormat:
    """A named way to turn one recorded payload into JSON-able records (events, company records, ...).

    ``parse`` is pure: it returns the records and appends dead letters to ``report``.
    """

    help: str
    parse: Callable[[RawPayload, RunReport], Iterable[BaseModel]]


def collector_format(cls: type[Collector[Any]], help: str, **options: Any) -> ParseFormat:
    """A parse format that runs a collector type's own split/parse_item with the given options."""

    def _parse(raw: RawPayload, report: RunReport) -> Iterable[BaseModel]:
        name = cls.type_name.replace("_", "-")
        source = build_source(SourceConfig(name=name, type=cls.type_name, options=options))
        return parse_payloads(source, [raw], report)

    return ParseFormat(help=help, parse=_parse)


PARSE_FORMATS: dict[str, ParseFormat] = {
    "rss": collector_format(RssCollector, "an RSS/Atom feed as news items", url="http://localhost/feed"),
    "prh-companies": ParseFormat("YTJ companies (response, bulk array, zip, JSON lines)", parse_companies),
    "prh-notices": ParseFormat("PRH trade-register notices (v3 or tr/v1)", parse_notices),
    "atom": collector_format(RssCollector, "an Atom feed as news items", url="http://localhost/feed"),
    "html": collector_format(HtmlCollector, "a job-ad or article HTML page", url="http://localhost/"),
    "nasdaq": collector_format(NasdaqCollector, "a Nasdaq news query.action JSON response"),
    "cision": collector_format(CisionCollector, "a Cision IR NewsFeed JSON", url="http://localhost/papi"),
    "te-jobs": collector_format(TeJobsCollector, "a legacy TE tpt-api job JSON", url="http://localhost/tpt"),
    "ted-xml": collector_format(TedCollector, "one eForms notice XML (TED or Hilma) as procurement events"),
    "ted-search": collector_format(
        TedCollector, "a TED Search API v3 page (or notices list)", fetch_award_xml=False
    ),
    "hilma-search": collector_format(HilmaCollector, "a Hilma AVP search page (value[] or a list)"),
}
"""Format name -> parser. Each source module adds its formats here (one line each)."""
