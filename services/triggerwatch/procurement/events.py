"""Notice → ``TriggerEventV1``: planned (PIN), open (CN) and awarded (CAN/VEAT) procurement triggers.

Attributes follow the shared procurement conventions (``notice_id``, ``notice_type``,
``notice_subtype``, ``cpv_main``, ``cpv_codes``, ``deadline``, ``estimated_value``,
``awarded_value``, ``currency``) plus ``dedup_key``. The dedup key is built from the eForms notice
identifier (BT-701, a UUID the sender assigns), which TED and Hilma both carry (TED's XML
``cbc:ID`` and search field ``notice-identifier``, Hilma's ``eFormsId``), so the TED and Hilma
twins of one notice get the same ``dedup_key`` and the worker alerts once.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal

from pydantic import ValidationError

from triggerwatch.core.contracts import CompanyRef, CompanyRole, EventKind, Evidence, TriggerEventV1
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.procurement.cpv import describe
from triggerwatch.procurement.eforms import Notice, Organisation

KINDS: dict[str, EventKind] = {
    "PIN": EventKind.PROCUREMENT_PLANNED,
    "CN": EventKind.PROCUREMENT_OPEN,
    "CAN": EventKind.CONTRACT_AWARDED,
}
# Form types that are no new trigger: completion (E5) and contract modification notices.
SKIPPED_FORMS = frozenset({"compl", "can-modif"})
TED_NOTICE_URL = "https://ted.europa.eu/en/notice/-/detail/{publication_number}"
FORM_KINDS = {"pin": "PIN", "cn": "CN", "can": "CAN", "veat": "CAN"}


def procurement_dedup_key(notice_id: str) -> str:
    """``notice:<eForms notice UUID>``, without the ``-01`` version suffix Hilma's ``fullEFormsId`` has."""
    value = notice_id.strip().lower()
    if len(value) == 39 and value[36] == "-" and value[37:].isdigit():
        value = value[:36]
    return f"notice:{value}"


def event_kind(notice: Notice) -> EventKind | None:
    if notice.form_type in SKIPPED_FORMS:
        return None
    doc = notice.document_type or FORM_KINDS.get(notice.notice_type)
    return KINDS.get(doc or "")


def _money(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _ref(org: Organisation, role: CompanyRole) -> CompanyRef:
    return CompanyRef(business_id=org.business_id, name=(org.name or None) and org.name[:500], role=role)


def _fmt_money(value: Decimal | None, currency: str | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f} {currency or ''}".replace(",", " ").strip()


def companies(notice: Notice, kind: EventKind) -> list[CompanyRef]:
    """Winners first (the worker resolves the first known company), then the buyers."""
    refs: list[CompanyRef] = []
    seen: set[str] = set()
    if kind == EventKind.CONTRACT_AWARDED:
        for winner in notice.winners:
            ref = _ref(winner.organisation, CompanyRole.WINNER)
            if ref.key() and f"winner:{ref.key()}" not in seen:
                seen.add(f"winner:{ref.key()}")
                refs.append(ref)
    for buyer in notice.buyers:
        ref = _ref(buyer, CompanyRole.BUYER)
        if ref.key() and f"buyer:{ref.key()}" not in seen:
            seen.add(f"buyer:{ref.key()}")
            refs.append(ref)
    return refs


def headline(notice: Notice, kind: EventKind, lang: str = "en") -> str:
    """A human-readable fact: who, what (CPV with label), when or to whom."""
    buyer = notice.buyers[0].name if notice.buyers and notice.buyers[0].name else "A public buyer"
    what = describe(notice.cpv_main, lang) or (notice.title or "a contract")
    if kind == EventKind.PROCUREMENT_PLANNED:
        return f"{buyer} plans a procurement of {what}"
    if kind == EventKind.PROCUREMENT_OPEN:
        deadline = notice.deadline
        tail = f", deadline {deadline.date().isoformat()}" if deadline else ""
        return f"{buyer} opened a tender for {what}{tail}"
    names = list(dict.fromkeys(w.organisation.name for w in notice.winners if w.organisation.name))
    winners = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    value = _fmt_money(notice.awarded_value, notice.currency)
    return f"{buyer} awarded {what} to {winners or 'the winning tenderer'}" + (f" ({value})" if value else "")


def _summary(notice: Notice, kind: EventKind) -> str:
    parts: list[str] = []
    if notice.title:
        parts.append(notice.title)
    if kind == EventKind.CONTRACT_AWARDED:
        per_lot = [
            f"{lot.lot_id}: {', '.join(w.organisation.name or w.organisation.org_id for w in lot.winners)}"
            for lot in notice.lots
            if lot.winners
        ]
        if per_lot:
            parts.append("Winners per lot: " + "; ".join(per_lot))
    if notice.estimated_value is not None:
        parts.append(f"Estimated value {_fmt_money(notice.estimated_value, notice.currency)}")
    if notice.description:
        parts.append(notice.description)
    return " | ".join(parts)[:5000]


def occurred(notice: Notice, fallback: datetime) -> datetime:
    day = notice.publication_date or notice.issue_date
    return datetime.combine(day, time(0, 0), tzinfo=UTC) if day else fallback


def notice_events(
    notice: Notice,
    *,
    source: str,
    observed_at: datetime,
    url: str | None = None,
    notice_number: str | None = None,
    raw_ref: str | None = None,
    language: str | None = None,
) -> list[TriggerEventV1]:
    """The trigger event of one notice (none for completion and modification notices)."""
    kind = event_kind(notice)
    if kind is None:
        return []
    number = notice_number or notice.publication_number or notice.notice_id
    if url is None and notice.publication_number:
        url = TED_NOTICE_URL.format(publication_number=notice.publication_number)
    when = occurred(notice, observed_at)
    title = headline(notice, kind)
    cpv_codes = notice.cpv_codes
    deadline = notice.deadline
    attributes: dict[str, str | int | float | bool | None] = {
        "dedup_key": procurement_dedup_key(notice.notice_id),
        "notice_id": number,
        "eforms_notice_id": notice.notice_id,
        "notice_type": notice.notice_type,
        "notice_subtype": notice.subtype,
        "form_type": notice.form_type,
        "cpv_main": notice.cpv_main,
        "cpv_codes": ",".join(cpv_codes),
        "deadline": deadline.isoformat() if deadline else None,
        "estimated_value": _money(notice.estimated_value),
        "awarded_value": _money(notice.awarded_value),
        "currency": notice.currency,
        "buyer_business_id": notice.buyers[0].business_id if notice.buyers else None,
        "lots": len(notice.lots),
    }
    if kind == EventKind.CONTRACT_AWARDED:
        attributes["winners"] = ", ".join(
            dict.fromkeys(w.organisation.name for w in notice.winners if w.organisation.name)
        )[:1000]
    if notice.previous_notice_ids:
        attributes["linked_notice_ids"] = ",".join(notice.previous_notice_ids)[:1000]
    if notice.contract_folder_id:
        attributes["procedure_id"] = notice.contract_folder_id
    try:
        event = TriggerEventV1.create(
            source=source,
            # the eForms notice id: the TED search record and the notice's XML give the same event id
            source_item_id=f"{notice.notice_id}:{notice.version or '01'}",
            source_url=url,
            kind=kind,
            occurred_at=when,
            observed_at=observed_at,
            companies=companies(notice, kind),
            title=title[:1000],
            summary=_summary(notice, kind) or None,
            language=language or _lang(notice.language),
            evidence=[
                Evidence(
                    url=url or (notice.links[0] if notice.links else None),
                    source=source,
                    title=(notice.title or title)[:300],
                    excerpt=title[:300],
                    published_at=when,
                )
            ],
            attributes={k: v for k, v in attributes.items() if v is not None and v != ""},
            raw_ref=raw_ref,
        )
    except ValidationError as exc:  # e.g. an absurdly long identifier: dead-letter, never crash
        details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InvalidInputError(f"notice gives no valid event: {details}", error_type="schema") from exc
    return [event]


def _lang(eforms_language: str | None) -> str | None:
    return {"FIN": "fi", "SWE": "sv", "ENG": "en"}.get((eforms_language or "").upper())
