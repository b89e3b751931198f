"""Hilma (hankintailmoitukset.fi) AVP-Read API: Finnish national and EU notices as trigger events.

``fetch`` POSTs an Azure Search query to ``/avp/eformnotices/docs/search`` with the header
``Ocp-Apim-Subscription-Key`` (``TRIGGERWATCH_HILMA_SUBSCRIPTION_KEY``, a secret): an OData
``filter`` on ``datePublished``, ``orderby datePublished asc``, ``top``/``skip`` paging and
``count: true`` (the response's ``@odata.count`` bounds the paging). Each record of ``value[]``
becomes an event; for award notices the full eForms XML is fetched from
``/avp-eforms/external-read/v1/notice/{noticeId}`` (base64) so that winners pair with their
business IDs exactly, and that XML's event (same event id) is the one stored.

The cursor is the newest ``datePublished`` seen; the next poll asks for ``datePublished ge`` it
(re-read records give the same event ids and are not stored twice).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field, HttpUrl, SecretStr

from triggerwatch.collectors.base import (
    Collector,
    CollectorOptions,
    CursorState,
    FetchOutcome,
    RawItem,
    RawPayload,
)
from triggerwatch.collectors.payloads import split_notice_page
from triggerwatch.core.businessid import normalise_business_id
from triggerwatch.core.contracts import TriggerEventV1
from triggerwatch.core.errors import ConfigError, InvalidInputError
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

if TYPE_CHECKING:
    from triggerwatch.core.settings import CollectorSettings

log = logging.getLogger(__name__)

AWARD_MAIN_TYPES = frozenset({"ContractAwardNotices"})
# "TALVEA Julkishallinnon Palvelut Oy (0998761-4)": Hilma writes each winner as "name (Y-tunnus)"
_WINNER = re.compile(r"\s*(?P<name>[^()]+?)\s*\((?P<bid>[^()]*)\)\s*(?:[,;]|$)")


class HilmaOptions(CollectorOptions):
    url: HttpUrl = HttpUrl("https://api.hankintailmoitukset.fi/avp/eformnotices/docs/search")
    notice_xml_url: str = "https://api.hankintailmoitukset.fi/avp-eforms/external-read/v1/notice/{notice_id}"
    public_url: str = (
        "https://www.hankintailmoitukset.fi/fi/public/procedure/{procedure_id}/enotice/{notice_id}/"
    )
    extra_filter: str | None = Field(
        None, description="ANDed OData filter, e.g. \"mainType eq 'ContractNotices'\""
    )
    top: int = Field(100, ge=1, le=1000)
    max_pages: int = Field(20, ge=1, le=1000)
    lookback_days: int = Field(7, ge=0, le=3650)
    fetch_award_xml: bool = True


def _s(value: Any) -> str | None:
    if isinstance(value, str):
        text = " ".join(value.split())
        return text or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise InvalidInputError(f"not a number: {value!r}", error_type="bad_amount") from exc
    return number if number.is_finite() else None


def _datetime(value: Any) -> datetime | None:
    text = _s(value)
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInputError(f"not a timestamp: {text!r}", error_type="bad_date") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_winners(text: Any, lot_id: str = "") -> list[Winner]:
    """``"A Oy (1234567-8), B Ab (FI23456789)"`` → winners; a name without an ID keeps the name only."""
    value = _s(text)
    if not value:
        return []
    found = [(m.group("name"), m.group("bid")) for m in _WINNER.finditer(value)]
    if not found:
        found = [(value, "")]
    return [
        Winner(
            lot_id=lot_id,
            tender_id="",
            organisation=Organisation(
                org_id=f"winner-{i}",
                name=name.strip(" ,;"),
                company_id=bid or None,
                business_id=normalise_business_id(bid) if bid else None,
            ),
        )
        for i, (name, bid) in enumerate(found)
    ]


def record_to_notice(record: dict[str, Any]) -> Notice:
    """One AVP search record as a :class:`Notice`."""
    eforms_id = _s(record.get("eFormsId")) or _s(record.get("id"))
    if not eforms_id:
        raise InvalidInputError("Hilma record has neither eFormsId nor id", error_type="no_notice_id")
    subtype = _s(record.get("type")) or ""
    sdk = notice_subtypes().get(subtype)
    if sdk is None and not subtype:
        raise InvalidInputError("Hilma record has no notice type", error_type="no_notice_type")
    form_type = sdk[1] if sdk else ""
    bid_raw = _s(record.get("organisationNationalRegistrationNumber"))
    buyer_name = next(
        (
            n
            for n in (
                _s(record.get(k)) for k in ("organisationNameFi", "organisationNameSv", "organisationNameEn")
            )
            if n
        ),
        None,
    )
    buyers = (
        [
            Organisation(
                org_id="buyer-0",
                name=buyer_name,
                company_id=bid_raw,
                business_id=normalise_business_id(bid_raw) if bid_raw else None,
                website=None,
            )
        ]
        if buyer_name or bid_raw
        else []
    )
    lots: list[Lot] = []
    raw_lots = record.get("lots")
    for raw_lot in raw_lots if isinstance(raw_lots, list) else []:
        if not isinstance(raw_lot, dict):
            continue
        lot_id = _s(raw_lot.get("id")) or f"LOT-{len(lots):04d}"
        codes = (_s(raw_lot.get("cpvCodes")) or "").split()
        lots.append(
            Lot(
                lot_id=lot_id,
                title=_s(raw_lot.get("titleFi")) or _s(raw_lot.get("titleSv")) or _s(raw_lot.get("titleEn")),
                cpv_main=codes[0] if codes else None,
                cpv_additional=codes[1:],
                estimated_value=_decimal(raw_lot.get("estimatedValue")),
                currency=_s(raw_lot.get("currency")),
                deadline=_datetime(raw_lot.get("deadline")),
                winners=parse_winners(raw_lot.get("winnerOrganisations"), lot_id),
            )
        )
    if not lots and (record.get("deadline") or record.get("winnerOrganisations")):
        lots.append(
            Lot(
                lot_id="",
                deadline=_datetime(record.get("deadline")),
                winners=parse_winners(record.get("winnerOrganisations")),
            )
        )
    codes = (_s(record.get("cpvCodes")) or "").split()
    published = _datetime(record.get("datePublished"))
    raw_previous = record.get("previousEFormsId")
    previous = [p for p in raw_previous if isinstance(p, str)] if isinstance(raw_previous, list) else []
    previous += [p for p in (_s(record.get("linkedNotices")) or "").replace(",", " ").split() if p]
    docs = _s(record.get("procurementDocumentsUrl"))
    return Notice(
        notice_id=eforms_id,
        version=(_s(record.get("fullEFormsId")) or "")[37:] or None,
        publication_number=_s(record.get("tedPublicationId")) or None,
        contract_folder_id=_s(record.get("contractFolderId")),
        form_type=form_type,
        subtype=subtype,
        document_type=sdk[0] if sdk else None,
        notice_type=notice_type_of(form_type, subtype),
        publication_date=published.date() if published else None,
        language="FIN",
        title=_s(record.get("titleFi")) or _s(record.get("titleSv")) or _s(record.get("titleEn")),
        description=_s(record.get("descriptionFi")) or _s(record.get("descriptionSv")),
        buyers=buyers,
        cpv_main=codes[0] if codes else None,
        cpv_additional=codes[1:],
        lots=lots,
        estimated_value=_decimal(record.get("estimatedValue")),
        awarded_value=_decimal(record.get("noticeResultTotalAmount")),
        currency=_s(record.get("currency")) or _s(record.get("noticeResultTotalAmountCurrency")),
        links=[docs] if docs else [],
        previous_notice_ids=list(dict.fromkeys(previous)),
        national=bool(record.get("isNationalProcurement")),
    )


def decode_notice_xml(content: bytes) -> bytes:
    """The external-read API returns the eForms XML base64-encoded (as a body or a JSON string)."""
    body = content.strip()
    if body.startswith(b"<"):
        return body
    if body.startswith(b'"'):
        try:
            body = json.loads(body).encode("ascii")
        except (ValueError, UnicodeEncodeError) as exc:
            raise InvalidInputError(f"notice body is not a base64 string: {exc}", raw=content) from exc
    try:
        return base64.b64decode(body, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInputError(
            f"notice body is not base64: {exc}", raw=content, error_type="bad_base64"
        ) from exc


class HilmaCollector(Collector[HilmaOptions]):
    type_name: ClassVar[str] = "hilma"
    Options: ClassVar[type[CollectorOptions]] = HilmaOptions
    default_schedule: ClassVar[Schedule] = Schedule(interval_s=1800, jitter_s=120)
    licence_note: ClassVar[str] = "Hilma open data (Hansel Oy), CC BY 4.0; API key required"

    def __init__(self, name: str, options: HilmaOptions) -> None:
        super().__init__(name, options)
        self._key: SecretStr | None = None

    def configure(self, settings: CollectorSettings) -> None:
        """At start: an enabled Hilma source needs the subscription key."""
        if settings.hilma_subscription_key is None:
            raise ConfigError(
                f"source {self.name!r} (hilma) is enabled but TRIGGERWATCH_HILMA_SUBSCRIPTION_KEY "
                "is not set; request a key from Hansel (yllapito@hankintailmoitukset.fi) "
                "or set enabled: false"
            )
        self._key = settings.hilma_subscription_key

    def _headers(self) -> dict[str, str]:
        if self._key is None:
            from triggerwatch.core.settings import CollectorSettings, load

            self.configure(load(CollectorSettings))
        assert self._key is not None
        return {"Ocp-Apim-Subscription-Key": self._key.get_secret_value(), "Accept": "application/json"}

    def search_body(self, since: datetime, skip: int) -> dict[str, Any]:
        flt = f"datePublished ge {since.astimezone(UTC):%Y-%m-%dT%H:%M:%S.%f}"[:-3] + "Z"
        if self.options.extra_filter:
            flt += f" and ({self.options.extra_filter})"
        return {
            "search": "*",
            "filter": flt,
            "orderby": "datePublished asc",
            "top": self.options.top,
            "skip": skip,
            "count": True,
        }

    def fetch(self, http: HttpFetcher, state: CursorState) -> FetchOutcome:
        opts = self.options
        headers = self._headers()
        cursor_value = state.cursor.get("date_published")
        since = (
            _datetime(cursor_value) or datetime.now(UTC)
            if cursor_value
            else datetime.now(UTC) - timedelta(days=opts.lookback_days)
        )
        pages: list[RawPayload] = []
        xmls: list[RawPayload] = []
        newest = since
        skip = 0
        for _ in range(opts.max_pages):
            doc = http.post(str(opts.url), json=self.search_body(since, skip), headers=headers)
            try:
                data = json.loads(doc.content)
            except ValueError as exc:
                raise InvalidInputError(
                    f"Hilma search page is not JSON: {exc}", raw=doc.content, error_type="malformed_json"
                ) from exc
            records = data.get("value") if isinstance(data, dict) else None
            if not records:
                break
            pages.append(
                RawPayload(
                    source=self.name,
                    url=doc.url,
                    content=doc.content,
                    fetched_at=doc.fetched_at,
                    content_type="application/json",
                    ref=f"{doc.url}#skip={skip}",
                )
            )
            for record in records:
                if not isinstance(record, dict):
                    continue
                try:
                    published = _datetime(record.get("datePublished"))
                except InvalidInputError:
                    published = None
                if published and published > newest:
                    newest = published
                if opts.fetch_award_xml and self.is_award(record) and record.get("noticeId") is not None:
                    xml = self.fetch_xml(http, str(record["noticeId"]), headers)
                    if xml is not None:
                        xmls.append(xml)
            skip += len(records)
            total = data.get("@odata.count")
            if isinstance(total, int) and skip >= total:
                break
        cursor = dict(state.cursor)
        if newest > since or not cursor_value:
            cursor["date_published"] = newest.isoformat()
        return FetchOutcome(payloads=[*xmls, *pages], state=CursorState(cursor=cursor))

    @staticmethod
    def is_award(record: dict[str, Any]) -> bool:
        subtype = _s(record.get("type")) or ""
        sdk = notice_subtypes().get(subtype)
        return record.get("mainType") in AWARD_MAIN_TYPES or (sdk is not None and sdk[0] == "CAN")

    def fetch_xml(self, http: HttpFetcher, notice_id: str, headers: dict[str, str]) -> RawPayload | None:
        url = self.options.notice_xml_url.format(notice_id=notice_id)
        try:
            doc = http.get(url, headers=headers)
            content = decode_notice_xml(doc.content)
        except InvalidInputError as exc:  # the record's own data is used instead
            log.warning("source %s: no eForms XML for notice %s: %s", self.name, notice_id, exc)
            return None
        return RawPayload(
            source=self.name,
            url=doc.url,
            content=content,
            fetched_at=doc.fetched_at,
            content_type="application/xml",
            ref=doc.url,
        )

    def split(self, raw: RawPayload) -> list[RawItem]:
        return split_notice_page(raw, what="Hilma search page", list_key="value")

    def parse_item(self, item: RawItem) -> list[TriggerEventV1]:
        observed = item.payload.fetched_at
        if isinstance(item.data, bytes):
            notice = parse_notice(item.data)
            url = notice.links[0] if notice.links else None
        elif isinstance(item.data, dict):
            notice = record_to_notice(item.data)
            procedure, number = item.data.get("procedureId"), item.data.get("noticeId")
            url = (
                self.options.public_url.format(procedure_id=procedure, notice_id=number)
                if procedure is not None and number is not None
                else None
            )
        else:
            raise InvalidInputError("Hilma record is not an object", raw=item.raw, error_type="bad_record")
        number = _s(item.data.get("noticeNumber")) if isinstance(item.data, dict) else None
        return notice_events(
            notice,
            source=self.name,
            observed_at=observed,
            url=url,
            notice_number=number,
            raw_ref=item.payload.ref,
            language="fi",
        )


__all__ = ["HilmaCollector", "HilmaOptions", "decode_notice_xml", "parse_winners", "record_to_notice"]
