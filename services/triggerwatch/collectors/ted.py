"""TED (Tenders Electronic Daily) Search API v3: Finnish procurement notices as trigger events.

``fetch`` POSTs an expert query (``buyer-country=FIN AND publication-date>=YYYYMMDD SORT BY
publication-date ASC``) with explicit ``fields`` to ``/v3/notices/search`` in ``ITERATION`` mode,
following ``iterationNextToken`` until a page comes back empty (the token may stay non-null) or
the token is null. For award notices it also fetches the notice's eForms XML
(``https://ted.europa.eu/en/notice/{publication-number}/xml``): the search result's winner arrays
are not aligned with their identifiers, the XML's LotResult → … → Organization chain is.

Payload order matters: the XML payloads come first, so their exact award event (same event id as
the one the search record would give) is the one stored. The cursor is the newest
``(publication date, publication number)`` seen; notices at or before it are not fetched again.
429 and 5xx are retried with backoff by :class:`HttpFetcher` (honouring ``Retry-After``).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from pydantic import Field, HttpUrl

from triggerwatch.collectors.base import (
    Collector,
    CollectorOptions,
    CursorState,
    FetchOutcome,
    RawItem,
    RawPayload,
)
from triggerwatch.collectors.payloads import split_notice_page
from triggerwatch.core.contracts import TriggerEventV1
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.core.http import HttpFetcher
from triggerwatch.core.sources import Schedule
from triggerwatch.procurement.eforms import (
    Lot,
    Notice,
    Organisation,
    Winner,
    notice_subtypes,
    notice_type_of,
    parse_notice,
)
from triggerwatch.procurement.events import notice_events

log = logging.getLogger(__name__)

DEFAULT_FIELDS = (
    "publication-number",
    "notice-identifier",
    "notice-version",
    "notice-type",
    "publication-date",
    "notice-title",
    "buyer-name",
    "buyer-identifier",
    "buyer-country",
    "classification-cpv",
    "main-classification-proc",
    "deadline-receipt-tender-date-lot",
    "estimated-value-glo",
    "estimated-value-cur-glo",
    "total-value",
    "total-value-cur",
    "winner-name",
    "winner-identifier",
    "links",
)
AWARD_FORMS = ("can-", "veat")


class TedOptions(CollectorOptions):
    url: HttpUrl = HttpUrl("https://api.ted.europa.eu/v3/notices/search")
    xml_url: str = Field(
        "https://ted.europa.eu/en/notice/{publication_number}/xml", description="eForms XML of one notice"
    )
    notice_url: str = "https://ted.europa.eu/en/notice/-/detail/{publication_number}"
    country: str = Field("FIN", pattern=r"^[A-Z]{3}$")
    extra_query: str | None = Field(None, description="ANDed to the query, e.g. 'classification-cpv=72*'")
    fields: tuple[str, ...] = DEFAULT_FIELDS
    limit: int = Field(100, ge=1, le=250)
    max_pages: int = Field(20, ge=1, le=1000)
    lookback_days: int = Field(7, ge=0, le=3650, description="first poll: notices published this recently")
    fetch_award_xml: bool = True


def _first(value: Any) -> str | None:
    """The first scalar of a TED field: a string, a list, or a ``{language: [values]}`` map."""
    if value is None:
        return None
    if isinstance(value, dict):
        preferred = [value.get(k) for k in ("fin", "FIN", "eng", "ENG", "mul", "MUL")] + list(value.values())
        for candidate in preferred:
            found = _first(candidate)
            if found:
                return found
        return None
    if isinstance(value, list):
        return next((s for s in (_first(v) for v in value) if s), None)
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = str(value).strip()
        return text or None
    return None


def _all(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, dict):
        first = next((v for v in value.values() if v), None)
        return _all(first)
    if isinstance(value, list):
        return [s for v in value for s in _all(v)]
    one = _first(value)
    return [one] if one else []


def _decimal(value: Any) -> Decimal | None:
    text = _first(value)
    if text is None:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise InvalidInputError(f"not a number: {text!r}", error_type="bad_amount") from exc
    return number if number.is_finite() else None


def _day(value: Any) -> date | None:
    text = _first(value)
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError as exc:
        raise InvalidInputError(f"not a date: {text!r}", error_type="bad_date") from exc


def _deadline(value: Any) -> datetime | None:
    dates = []
    for text in _all(value):
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            day = _day(text)
            if day is None:
                continue
            parsed = datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)
        dates.append(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))
    return min(dates) if dates else None


def record_to_notice(record: dict[str, Any]) -> Notice:
    """A TED search record as a :class:`Notice` (less exact than the XML: winners are not paired)."""
    number = _first(record.get("publication-number")) or _first(record.get("ND"))
    if not number:
        raise InvalidInputError("TED record has no publication-number", error_type="no_notice_id")
    form_type = _first(record.get("notice-type")) or ""
    if not form_type:
        raise InvalidInputError(
            f"TED record {number} has no notice-type (request the field)", error_type="no_notice_type"
        )
    subtype = ""
    sdk = next(((k, v) for k, v in notice_subtypes().items() if v[1] == form_type), None)
    if sdk:
        subtype = sdk[0]
    buyer_names = _all(record.get("buyer-name")) or _all(record.get("organisation-name-buyer"))
    buyer_ids = _all(record.get("buyer-identifier"))
    from triggerwatch.core.businessid import normalise_business_id

    buyers = [
        Organisation(
            org_id=f"buyer-{i}",
            name=name,
            company_id=buyer_ids[i] if len(buyer_ids) == len(buyer_names) else None,
            business_id=normalise_business_id(buyer_ids[i]) if len(buyer_ids) == len(buyer_names) else None,
        )
        for i, name in enumerate(dict.fromkeys(buyer_names))
    ]
    winner_names = list(dict.fromkeys(_all(record.get("winner-name"))))
    winner_ids = list(dict.fromkeys(_all(record.get("winner-identifier"))))
    paired = len(winner_names) == 1 and len(winner_ids) == 1  # only then is the pairing certain
    winners = [
        Winner(
            lot_id="",
            tender_id="",
            organisation=Organisation(
                org_id=f"winner-{i}",
                name=name,
                company_id=winner_ids[0] if paired else None,
                business_id=normalise_business_id(winner_ids[0]) if paired else None,
            ),
        )
        for i, name in enumerate(winner_names)
    ]
    cpv = list(dict.fromkeys(_all(record.get("classification-cpv"))))
    main = _first(record.get("main-classification-proc")) or _first(record.get("main-classification-lot"))
    main = main or (cpv[0] if cpv else None)
    deadline = _deadline(record.get("deadline-receipt-tender-date-lot"))
    awarded = _decimal(record.get("total-value"))
    estimated = _decimal(record.get("estimated-value-glo"))
    currency = _first(record.get("estimated-value-cur-glo")) or _first(record.get("total-value-cur"))
    links = record.get("links") if isinstance(record.get("links"), dict) else {}
    html = _all((links or {}).get("html")) if links else []
    return Notice(
        notice_id=_first(record.get("notice-identifier")) or number,
        version=_first(record.get("notice-version")),
        publication_number=number,
        form_type=form_type,
        subtype=subtype,
        document_type=sdk[1][0] if sdk else None,
        notice_type=notice_type_of(form_type, subtype),
        publication_date=_day(record.get("publication-date") or record.get("PD")),
        title=_first(record.get("notice-title")) or _first(record.get("TI")),
        buyers=buyers,
        cpv_main=main,
        cpv_additional=[c for c in cpv if c != main],
        lots=[Lot(lot_id="", deadline=deadline, winners=winners)] if (deadline or winners) else [],
        estimated_value=estimated,
        awarded_value=awarded,
        currency=currency,
        links=html[:3],
    )


def is_award(record: dict[str, Any]) -> bool:
    form_type = _first(record.get("notice-type")) or ""
    return form_type.startswith(AWARD_FORMS)


class TedCollector(Collector[TedOptions]):
    type_name: ClassVar[str] = "ted"
    Options: ClassVar[type[CollectorOptions]] = TedOptions
    default_schedule: ClassVar[Schedule] = Schedule(interval_s=3600, jitter_s=120)
    licence_note: ClassVar[str] = "TED data: © European Union, reuse authorised (Decision 2011/833/EU)"

    def query(self, since: date) -> str:
        parts = [f"buyer-country={self.options.country}", f"publication-date>={since:%Y%m%d}"]
        if self.options.extra_query:
            parts.append(f"({self.options.extra_query})")
        return " AND ".join(parts) + " SORT BY publication-date ASC"

    def fetch(self, http: HttpFetcher, state: CursorState) -> FetchOutcome:
        opts = self.options
        cursor_day = state.cursor.get("publication_date")
        cursor_number = state.cursor.get("publication_number") or ""
        since = (
            date.fromisoformat(cursor_day)
            if cursor_day
            else (datetime.now(UTC) - timedelta(days=opts.lookback_days)).date()
        )
        body: dict[str, Any] = {
            "query": self.query(since),
            "fields": list(opts.fields),
            "limit": opts.limit,
            "paginationMode": "ITERATION",
        }
        pages: list[RawPayload] = []
        xmls: list[RawPayload] = []
        cursor_key = (cursor_day or "", _sortable(cursor_number))
        newest_key, newest_number = cursor_key, cursor_number
        token: str | None = None
        for _ in range(opts.max_pages):
            request = {**body, **({"iterationNextToken": token} if token else {})}
            doc = http.post(str(opts.url), json=request, headers={"Accept": "application/json"})
            try:
                data = json.loads(doc.content)
            except ValueError as exc:
                raise InvalidInputError(
                    f"TED search page is not JSON: {exc}", raw=doc.content, error_type="malformed_json"
                ) from exc
            notices = data.get("notices") if isinstance(data, dict) else None
            if not notices:
                break  # an empty page ends the iteration even when a token is still given
            pages.append(
                RawPayload(
                    source=self.name,
                    url=doc.url,
                    content=doc.content,
                    fetched_at=doc.fetched_at,
                    content_type="application/json",
                    ref=f"{doc.url}#page={len(pages) + 1}",
                )
            )
            for record in notices:
                if not isinstance(record, dict):
                    continue
                number = _first(record.get("publication-number")) or ""
                try:
                    day = _day(record.get("publication-date") or record.get("PD"))
                except InvalidInputError:
                    day = None
                key = (day.isoformat() if day else "", _sortable(number))
                if key > newest_key:
                    newest_key, newest_number = key, number
                if key <= cursor_key:
                    continue  # fetched in an earlier poll
                if opts.fetch_award_xml and number and is_award(record):
                    xml = self.fetch_xml(http, number)
                    if xml is not None:
                        xmls.append(xml)
            token = data.get("iterationNextToken")
            if not token:
                break
        cursor = dict(state.cursor)
        if newest_key[0]:
            cursor.update(publication_date=newest_key[0], publication_number=newest_number)
        return FetchOutcome(payloads=[*xmls, *pages], state=CursorState(cursor=cursor))

    def fetch_xml(self, http: HttpFetcher, publication_number: str) -> RawPayload | None:
        url = self.options.xml_url.format(publication_number=publication_number)
        try:
            doc = http.get(url, headers={"Accept": "application/xml"})
        except InvalidInputError as exc:  # e.g. 404: the search record's own (unpaired) data is used
            log.warning("source %s: no eForms XML for %s: %s", self.name, publication_number, exc)
            return None
        return RawPayload(
            source=self.name,
            url=doc.url,
            content=doc.content,
            fetched_at=doc.fetched_at,
            content_type="application/xml",
            ref=doc.url,
        )

    def split(self, raw: RawPayload) -> list[RawItem]:
        return split_notice_page(raw, what="TED search page", list_key="notices")

    def parse_item(self, item: RawItem) -> list[TriggerEventV1]:
        observed = item.payload.fetched_at
        if isinstance(item.data, bytes):
            notice = parse_notice(item.data)
        elif isinstance(item.data, dict):
            notice = record_to_notice(item.data)
        else:
            raise InvalidInputError(
                "TED notice record is not an object", raw=item.raw, error_type="bad_record"
            )
        url = self.options.notice_url.format(publication_number=notice.publication_number or notice.notice_id)
        return notice_events(
            notice,
            source=self.name,
            observed_at=observed,
            url=url if notice.publication_number else (notice.links[0] if notice.links else None),
            raw_ref=item.payload.ref,
        )


def _sortable(publication_number: str) -> tuple[int, int]:
    """``00525037-2024`` → ``(2024, 525037)``: TED numbers grow within a year."""
    head, _, year = publication_number.partition("-")
    try:
        return int(year or 0), int(head or 0)
    except ValueError:
        return 0, 0
