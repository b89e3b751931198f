"""``triggerwatch parse prh-companies|prh-notices FILE``: normalised records and events as JSON lines.

The PRH attribution is written to standard error before any record (PRH data is CC BY 4.0).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from datetime import date
from typing import TYPE_CHECKING

from pydantic import BaseModel

from triggerwatch.core.contracts import DeadLetterV1, TriggerEventV1
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.registry.ytj import PRH_ATTRIBUTION, CompanyRecord

if TYPE_CHECKING:
    from triggerwatch.collectors.base import RawPayload
    from triggerwatch.collectors.runner import RunReport


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
    from triggerwatch.collectors.prh_companies import PrhCompaniesCollector, PrhCompaniesOptions

    attribution()
    collector = PrhCompaniesCollector("prh-companies", PrhCompaniesOptions())
    try:
        items = collector.split(raw)
    except InvalidInputError as exc:
        report.dead_letters.append(_dl(exc, raw.content))
        return
    from triggerwatch.registry.loader import normalise_raw

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
    from triggerwatch.collectors.prh_notices import PrhNoticesCollector, PrhNoticesOptions
    from triggerwatch.collectors.registry import Source, SourceConfig
    from triggerwatch.collectors.runner import parse_payloads

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
