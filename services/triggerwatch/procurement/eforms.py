"""One eForms parser for TED and Hilma: UBL 2.3 + eForms extensions + Hilma's national extension.

``parse_notice(xml)`` reads a notice (PIN, CN, CAN, VEAT, modification, Hilma national E1-E6) with
lxml and explicit namespaces into a :class:`Notice`: identifiers, type and subtype, buyers with
their business IDs, lots with CPV codes, values and deadlines, and the winners of every lot along
the eForms result chain LotResult → LotTender → TenderingParty → Tenderer → Organization.

Organisations that appear in every Hilma-sent notice but are not parties to the procurement — the
eSender (Hansel Oy) and the review body (Markkinaoikeus) — are never buyers or winners.
Anything unreadable raises :class:`InvalidInputError` with a reason.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Literal

from lxml import etree
from pydantic import BaseModel, ConfigDict, Field

from triggerwatch.core.businessid import normalise_business_id
from triggerwatch.core.errors import InvalidInputError

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "ext": "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2",
    "efac": "http://data.europa.eu/p27/eforms-ubl-extension-aggregate-components/1",
    "efbc": "http://data.europa.eu/p27/eforms-ubl-extension-basic-components/1",
    "efext": "http://data.europa.eu/p27/eforms-ubl-extensions/1",
    "hilma": "urn:hanselHilma:NationalNoticeExtension",
}
ROOTS = {
    "PriorInformationNotice",
    "ContractNotice",
    "ContractAwardNotice",
    "BusinessRegistrationInformationNotice",
}
# Present in every notice sent through Hilma (review body); never a buyer or a winner.
REVIEW_BODY_IDS = frozenset({"3006157-6"})  # Markkinaoikeus (Market Court)

NoticeType = Literal["pin", "cn", "can", "veat", "modification", "national", "other"]
_EXT = "ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent/efext:EformsExtension"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)


class Organisation(BaseModel):
    model_config = ConfigDict(frozen=True)

    org_id: str
    name: str | None = None
    business_id: str | None = None  # normalised Finnish Y-tunnus when the CompanyID is one
    company_id: str | None = None  # as written in the notice
    country: str | None = None
    city: str | None = None
    website: str | None = None


class Winner(BaseModel):
    model_config = ConfigDict(frozen=True)

    lot_id: str
    tender_id: str
    organisation: Organisation
    value: Decimal | None = None
    currency: str | None = None


class Lot(BaseModel):
    model_config = ConfigDict(frozen=True)

    lot_id: str
    title: str | None = None
    cpv_main: str | None = None
    cpv_additional: list[str] = Field(default_factory=list)
    estimated_value: Decimal | None = None
    currency: str | None = None
    deadline: datetime | None = None
    documents_url: str | None = None
    winners: list[Winner] = Field(default_factory=list)


class Notice(BaseModel):
    model_config = ConfigDict(frozen=True)

    notice_id: str  # BT-701, the eForms notice UUID (shared by TED and Hilma)
    version: str | None = None
    publication_number: str | None = None  # OJ S number, e.g. 00525037-2024 (TED only)
    contract_folder_id: str | None = None
    form_type: str  # NoticeTypeCode, e.g. can-standard
    subtype: str  # e.g. 29 or E4
    document_type: str | None = None  # PIN, CN, CAN (SDK notice-types)
    notice_type: NoticeType
    issue_date: date | None = None
    publication_date: date | None = None
    language: str | None = None
    title: str | None = None
    description: str | None = None
    buyers: list[Organisation] = Field(default_factory=list)
    cpv_main: str | None = None
    cpv_additional: list[str] = Field(default_factory=list)
    lots: list[Lot] = Field(default_factory=list)
    estimated_value: Decimal | None = None
    awarded_value: Decimal | None = None
    currency: str | None = None
    links: list[str] = Field(default_factory=list)
    previous_notice_ids: list[str] = Field(default_factory=list)
    national: bool = False

    @property
    def cpv_codes(self) -> list[str]:
        """Main code first, then every other code of the notice and its lots, without repeats."""
        codes = [self.cpv_main, *self.cpv_additional]
        for lot in self.lots:
            codes.extend([lot.cpv_main, *lot.cpv_additional])
        return list(dict.fromkeys(c for c in codes if c))

    @property
    def winners(self) -> list[Winner]:
        return [w for lot in self.lots for w in lot.winners]

    @property
    def deadline(self) -> datetime | None:
        deadlines = [lot.deadline for lot in self.lots if lot.deadline]
        return min(deadlines) if deadlines else None


@cache
def notice_subtypes() -> dict[str, tuple[str, str]]:
    """SDK notice subtype → (document type, form type), e.g. ``"29" → ("CAN", "can-standard")``."""
    text = resources.files("triggerwatch.procurement").joinpath("data/notice-types.json").read_text("utf-8")
    return {s["subTypeId"]: (s["documentType"], s["type"]) for s in json.loads(text)["noticeSubTypes"]}


def notice_type_of(form_type: str, subtype: str) -> NoticeType:
    if subtype.upper().startswith("E"):
        return "national"
    if form_type == "veat":
        return "veat"
    if form_type == "can-modif":
        return "modification"
    if form_type.startswith("pin") or form_type in {"pmc"}:
        return "pin"
    if form_type.startswith("cn") or form_type in {"qu-sy", "subco"}:
        return "cn"
    if form_type.startswith("can") or form_type == "compl":
        return "can"
    return "other"


def _text(node: etree._Element | None, path: str) -> str | None:
    if node is None:
        return None
    found = node.find(path, NS)
    if found is None or found.text is None:
        return None
    value = " ".join(found.text.split())
    return value or None


def _texts(node: etree._Element, path: str) -> list[str]:
    return [" ".join(e.text.split()) for e in node.iterfind(path, NS) if e.text and e.text.strip()]


def _amount(node: etree._Element | None, path: str) -> tuple[Decimal | None, str | None]:
    if node is None:
        return None, None
    found = node.find(path, NS)
    text = (found.text or "").strip() if found is not None else ""
    if found is None or not text:
        return None, None
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise InvalidInputError(f"not an amount in {path}: {found.text!r}", error_type="bad_amount") from exc
    if not value.is_finite():
        raise InvalidInputError(f"not a finite amount in {path}: {found.text!r}", error_type="bad_amount")
    return value, found.get("currencyID")


def _split_tz(value: str) -> tuple[str, timezone | None]:
    """eForms dates and times carry an offset or ``Z``: ``2024-09-02+02:00``, ``12:00:00+03:00``."""
    if value.endswith("Z"):
        return value[:-1], UTC
    for sign in ("+", "-"):
        head, sep, tail = value.rpartition(sign)
        if sep and len(tail) == 5 and tail[2] == ":" and len(head) >= 8:
            hours, minutes = int(tail[:2]), int(tail[3:])
            delta = timedelta(hours=hours, minutes=minutes)
            return head, timezone(delta if sign == "+" else -delta)
    return value, None


def _date(value: str | None) -> tuple[date, timezone | None] | None:
    if not value:
        return None
    body, tz = _split_tz(value)
    try:
        return date.fromisoformat(body), tz
    except ValueError as exc:
        raise InvalidInputError(f"not a date: {value!r}", error_type="bad_date") from exc


def _deadline(node: etree._Element | None) -> datetime | None:
    if node is None:
        return None
    parsed = _date(_text(node, "cbc:EndDate"))
    if parsed is None:
        return None
    day, tz = parsed
    clock = time(23, 59, 59)
    raw_time = _text(node, "cbc:EndTime")
    if raw_time:
        body, time_tz = _split_tz(raw_time)
        try:
            clock = time.fromisoformat(body)
        except ValueError as exc:
            raise InvalidInputError(f"not a time: {raw_time!r}", error_type="bad_date") from exc
        tz = time_tz or tz
    return datetime.combine(day, clock, tzinfo=tz or UTC)


def _localised(node: etree._Element, path: str, language: str | None) -> str | None:
    items = [
        (item.get("languageID"), " ".join((item.text or "").split())) for item in node.iterfind(path, NS)
    ]
    for lang, text in items:
        if language and lang == language and text:
            return text
    return next((text for _, text in items if text), None)


def _organisations(ext: etree._Element | None, language: str | None) -> dict[str, Organisation]:
    orgs: dict[str, Organisation] = {}
    if ext is None:
        return orgs
    for company in ext.iterfind("efac:Organizations/efac:Organization/efac:Company", NS):
        org_id = _text(company, "cac:PartyIdentification/cbc:ID")
        if not org_id:
            continue
        company_id = _text(company, "cac:PartyLegalEntity/cbc:CompanyID")
        orgs[org_id] = Organisation(
            org_id=org_id,
            name=_localised(company, "cac:PartyName/cbc:Name", language),
            company_id=company_id,
            business_id=normalise_business_id(company_id) if company_id else None,
            country=_text(company, "cac:PostalAddress/cac:Country/cbc:IdentificationCode"),
            city=_text(company, "cac:PostalAddress/cbc:CityName"),
            website=_text(company, "cbc:WebsiteURI"),
        )
    return orgs


def _non_party_ids(root: etree._Element) -> set[str]:
    """Organisation ids referenced only as eSender, review body or other service provider."""
    ids = set(_texts(root, ".//cac:ServiceProviderParty/cac:Party/cac:PartyIdentification/cbc:ID"))
    for role in ("AppealReceiverParty", "AppealInformationParty", "MediationParty"):
        ids.update(_texts(root, f".//cac:AppealTerms/cac:{role}/cac:PartyIdentification/cbc:ID"))
    return ids


def excluded(org: Organisation, non_party_ids: set[str] | frozenset[str] = frozenset()) -> bool:
    """The eSender (Hansel Oy's Hilma) and the review body (Markkinaoikeus) are not parties.

    Decided by their role in the notice; by business ID only for the review body, and by the
    eSender's name, because Hansel Oy is also a real central purchasing body and buys as itself.
    """
    if org.org_id in non_party_ids or org.business_id in REVIEW_BODY_IDS:
        return True
    name = (org.name or "").lower()
    return name.endswith("(hilma)") or name.startswith("markkinaoikeus")


def _cpv(project: etree._Element | None) -> tuple[str | None, list[str]]:
    if project is None:
        return None, []
    main = _text(project, "cac:MainCommodityClassification/cbc:ItemClassificationCode")
    extra = _texts(project, "cac:AdditionalCommodityClassification/cbc:ItemClassificationCode")
    return main, [c for c in dict.fromkeys(extra) if c != main]


def _winners(
    ext: etree._Element | None, orgs: dict[str, Organisation], non_party: set[str]
) -> dict[str, list[Winner]]:
    """Lot id → winners, following LotResult → LotTender → TenderingParty → Tenderer → Organization."""
    result: dict[str, list[Winner]] = {}
    if ext is None:
        return result
    notice_result = ext.find("efac:NoticeResult", NS)
    if notice_result is None:
        return result
    tenders = {
        tid: t
        for t in notice_result.iterfind("efac:LotTender", NS)
        if (tid := _text(t, "cbc:ID")) is not None
    }
    parties = {
        pid: p
        for p in notice_result.iterfind("efac:TenderingParty", NS)
        if (pid := _text(p, "cbc:ID")) is not None
    }
    for lot_result in notice_result.iterfind("efac:LotResult", NS):
        if _text(lot_result, "cbc:TenderResultCode") not in (None, "selec-w"):
            continue  # no winner chosen (clos-nw, open-nw)
        lot_id = _text(lot_result, "efac:TenderLot/cbc:ID")
        for ref in lot_result.iterfind("efac:LotTender", NS):
            tender_id = _text(ref, "cbc:ID")
            tender = tenders.get(tender_id or "")
            if tender is None or tender_id is None:
                continue
            lot_id = lot_id or _text(tender, "efac:TenderLot/cbc:ID")
            value, currency = _amount(tender, "cac:LegalMonetaryTotal/cbc:PayableAmount")
            party = parties.get(_text(tender, "efac:TenderingParty/cbc:ID") or "")
            if party is None:
                continue
            for tenderer in party.iterfind("efac:Tenderer", NS):
                org = orgs.get(_text(tenderer, "cbc:ID") or "")
                if org is None or excluded(org, non_party):
                    continue
                result.setdefault(lot_id or "", []).append(
                    Winner(
                        lot_id=lot_id or "",
                        tender_id=tender_id,
                        organisation=org,
                        value=value,
                        currency=currency,
                    )
                )
    return result


def parse_notice(content: bytes | str) -> Notice:
    """Parse one eForms notice. Raises :class:`InvalidInputError` with a reason for anything unusable."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise InvalidInputError(f"not well-formed XML: {exc}", raw=data, error_type="malformed_xml") from exc
    if root is None or not isinstance(root.tag, str):
        raise InvalidInputError("no XML root element", raw=data, error_type="malformed_xml")
    local = etree.QName(root).localname
    if local not in ROOTS:
        raise InvalidInputError(f"not an eForms notice: root <{local}>", raw=data, error_type="not_eforms")
    try:
        return _parse(root)
    except InvalidInputError as exc:
        exc.raw = data
        raise


def _parse(root: etree._Element) -> Notice:
    ext = root.find(_EXT, NS)
    notice_id = _text(root, "cbc:ID")
    if not notice_id:
        raise InvalidInputError("notice has no cbc:ID (BT-701 notice identifier)", error_type="no_notice_id")
    form_type = _text(root, "cbc:NoticeTypeCode")
    subtype = _text(ext, "efac:NoticeSubType/cbc:SubTypeCode")
    if not form_type and not subtype:
        raise InvalidInputError(
            "notice has neither NoticeTypeCode nor SubTypeCode", error_type="no_notice_type"
        )
    sdk = notice_subtypes().get(subtype or "")
    if subtype is None and form_type:
        subtype = next((k for k, v in notice_subtypes().items() if v[1] == form_type), "")
    form_type = form_type or (sdk[1] if sdk else "")
    language = _text(root, "cbc:NoticeLanguageCode")
    orgs = _organisations(ext, language)

    buyer_ids = _texts(root, "cac:ContractingParty/cac:Party/cac:PartyIdentification/cbc:ID")
    non_party = _non_party_ids(root) - set(buyer_ids)
    buyers: list[Organisation] = []
    for buyer_id in buyer_ids:
        org = orgs.get(buyer_id)
        if org is not None and org.business_id not in REVIEW_BODY_IDS and org not in buyers:
            buyers.append(org)

    project = root.find("cac:ProcurementProject", NS)
    cpv_main, cpv_extra = _cpv(project)
    estimated, currency = _amount(project, "cac:RequestedTenderTotal/cbc:EstimatedOverallContractAmount")
    winners = _winners(ext, orgs, non_party)

    lots: list[Lot] = []
    for lot in root.iterfind("cac:ProcurementProjectLot", NS):
        lot_id = _text(lot, "cbc:ID") or ""
        lot_project = lot.find("cac:ProcurementProject", NS)
        lot_main, lot_extra = _cpv(lot_project)
        lot_value, lot_currency = _amount(
            lot_project, "cac:RequestedTenderTotal/cbc:EstimatedOverallContractAmount"
        )
        process = lot.find("cac:TenderingProcess", NS)
        deadline = None
        if process is not None:  # tenders (open procedures), else requests to participate
            deadline = _deadline(process.find("cac:TenderSubmissionDeadlinePeriod", NS)) or _deadline(
                process.find("cac:ParticipationRequestReceptionPeriod", NS)
            )
        lots.append(
            Lot(
                lot_id=lot_id,
                title=_localised(lot_project, "cbc:Name", language) if lot_project is not None else None,
                cpv_main=lot_main,
                cpv_additional=lot_extra,
                estimated_value=lot_value,
                currency=lot_currency,
                deadline=deadline,
                documents_url=_text(
                    lot,
                    "cac:TenderingTerms/cac:CallForTendersDocumentReference/cac:Attachment/cac:ExternalReference/cbc:URI",
                ),
                winners=winners.pop(lot_id, []),
            )
        )
    if winners:  # results for lots the notice does not list (minimal national notices)
        for lot_id, lot_winners in winners.items():
            lots.append(Lot(lot_id=lot_id, winners=lot_winners))

    if estimated is None:
        lot_values = [lot.estimated_value for lot in lots if lot.estimated_value is not None]
        if lot_values:
            estimated = sum(lot_values, Decimal(0))
            currency = next((lot.currency for lot in lots if lot.currency), None)
    if cpv_main is None and lots:
        cpv_main = next((lot.cpv_main for lot in lots if lot.cpv_main), None)

    notice_result = ext.find("efac:NoticeResult", NS) if ext is not None else None
    awarded, awarded_currency = _amount(notice_result, "cbc:TotalAmount")
    if awarded is None:
        payable = [w.value for lot in lots for w in lot.winners if w.value is not None]
        if payable:
            awarded = sum(payable, Decimal(0))
            awarded_currency = next((w.currency for lot in lots for w in lot.winners if w.currency), None)

    publication = ext.find("efac:Publication", NS) if ext is not None else None
    published = _date(_text(publication, "efbc:PublicationDate"))
    issued = _date(_text(root, "cbc:IssueDate"))
    links = list(
        dict.fromkeys(
            [
                *(o.website for o in buyers if o.website),
                *_texts(
                    root,
                    ".//cac:CallForTendersDocumentReference/cac:Attachment/cac:ExternalReference/cbc:URI",
                ),
                *_texts(
                    root, ".//cac:TenderingTerms/cac:CallForTendersDocumentReference/cbc:DocumentDescription"
                ),
            ]
        )
    )
    previous = _texts(root, "cac:TenderingProcess/cac:NoticeDocumentReference/cbc:ID")
    previous += _texts(
        root, ".//cac:ProcurementProjectLot/cac:TenderingProcess/cac:NoticeDocumentReference/cbc:ID"
    )
    previous += _texts(root, ".//efac:ChangedNoticeIdentifier")

    return Notice(
        notice_id=notice_id,
        version=_text(root, "cbc:VersionID"),
        publication_number=_text(publication, "efbc:NoticePublicationID"),
        contract_folder_id=_text(root, "cbc:ContractFolderID"),
        form_type=form_type,
        subtype=subtype or "",
        document_type=sdk[0] if sdk else None,
        notice_type=notice_type_of(form_type, subtype or ""),
        issue_date=issued[0] if issued else None,
        publication_date=published[0] if published else None,
        language=language,
        title=_localised(project, "cbc:Name", language) if project is not None else None,
        description=_localised(project, "cbc:Description", language) if project is not None else None,
        buyers=buyers,
        cpv_main=cpv_main,
        cpv_additional=cpv_extra,
        lots=lots,
        estimated_value=estimated,
        awarded_value=awarded,
        currency=currency or awarded_currency,
        links=[link for link in links if link.startswith(("http://", "https://"))],
        previous_notice_ids=list(dict.fromkeys(previous)),
        national=root.find("hilma:NationalExtension", NS) is not None,
    )
