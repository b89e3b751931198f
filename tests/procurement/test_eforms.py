"""The eForms parser on every real notice sample (and the two synthetic Hilma SDK examples)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.procurement.eforms import Notice, notice_type_of, parse_notice

TED = FIXTURES / "procurement" / "ted"
HILMA = FIXTURES / "procurement" / "hilma"
EEST = timezone(timedelta(hours=3))
EET = timezone(timedelta(hours=2))


def load(path: Path) -> Notice:
    return parse_notice(path.read_bytes())


def test_can29_kristiinankaupunki_winners_per_lot() -> None:
    n = load(TED / "eforms_can29_FI_00525037-2024_kristiinankaupunki.xml")
    assert (n.notice_id, n.publication_number, n.version) == (
        "14ccbc47-6890-49a9-93d5-73e036f17956",
        "00525037-2024",
        "01",
    )
    assert (n.form_type, n.subtype, n.document_type, n.notice_type) == ("can-standard", "29", "CAN", "can")
    assert n.publication_date == date(2024, 9, 2) and n.issue_date == date(2024, 8, 29)
    assert [(b.name, b.business_id) for b in n.buyers] == [
        ("Kristinestad Stad/Kristiinankaupungin kaupunki", "0216509-5")
    ]
    assert n.cpv_main == "60100000" and n.cpv_codes == ["60100000", "60140000"]
    assert (n.awarded_value, n.currency) == (Decimal("2100000"), "EUR")
    assert len(n.lots) == 12
    per_lot = {
        lot.lot_id: [(w.organisation.name, w.organisation.business_id) for w in lot.winners] for lot in n.lots
    }
    niemela = [("Matka-Rengas Niemelä Oy", "1992155-5")]
    assert per_lot["LOT-0001"] == niemela
    assert per_lot["LOT-0006"] == [("Hellman Transport Ab", "2450271-8")]
    assert per_lot["LOT-0008"] == [("Hellman Transport Ab", "2450271-8")]
    assert per_lot["LOT-0010"] == [("Ingves Svanbäck Ab", "2626335-1")]
    assert sum(1 for v in per_lot.values() if v == niemela) == 9
    # the VAT form of the winner's id is kept as written and normalised to a Y-tunnus
    first = n.lots[0].winners[0]
    assert (first.organisation.company_id, first.tender_id) == ("FI19921555", "TEN-0001")
    # eSender (Hansel Oy (Hilma)) and review body (Markkinaoikeus) are neither buyers nor winners
    everyone = {w.organisation.business_id for w in n.winners} | {b.business_id for b in n.buyers}
    assert not everyone & {"0988084-1", "3006157-6"}
    assert n.previous_notice_ids == ["00783c31-8e58-4833-9ca7-0a8135f046e8-01"]
    assert n.links == ["http://www.kristiinankaupunki.fi/"]
    assert n.deadline is None and not n.national


def test_cn21_helsinki_deadline_and_documents() -> None:
    n = load(TED / "eforms_cn21_FI_00583624-2023_helsinki.xml")
    assert (n.form_type, n.subtype, n.notice_type, n.publication_number) == (
        "cn-social",
        "21",
        "cn",
        "00583624-2023",
    )
    assert [(b.name, b.business_id) for b in n.buyers] == [
        ("Helsingin kaupungin sosiaali-, terveys- ja pelastustoimiala", "0201256-6")
    ]
    assert n.cpv_codes == ["85000000"]
    assert len(n.lots) == 4
    assert n.deadline == datetime(2023, 10, 19, 12, 0, tzinfo=EEST)
    assert "https://tarjouspalvelu.fi/helsinki?id=474648&tpk=58eb638a-e850-4fa3-b713-d27e0ec2a981" in n.links
    assert n.winners == []


def test_cn18_puolustusvoimat_estimated_value_and_it_cpv() -> None:
    n = load(TED / "eforms_cn18_FI_00615708-2023_puolustusvoimat.xml")
    assert (n.subtype, n.notice_type, n.publication_number) == ("18", "cn", "00615708-2023")
    assert [(b.name, b.business_id) for b in n.buyers] == [
        ("Puolustusvoimien logistiikkalaitos", "0952029-9")
    ]
    assert n.cpv_main == "72000000"
    assert (n.estimated_value, n.currency) == (Decimal("10000000"), "EUR")
    assert n.deadline == datetime(2023, 11, 10, 14, 0, tzinfo=EET)


def test_cn17_lahti_energia_company_id_without_scheme_and_participation_deadline() -> None:
    n = load(TED / "eforms_cn17_FI_00536143-2023_lahti_energia.xml")
    assert (n.subtype, n.form_type, n.notice_type) == ("17", "cn-standard", "cn")
    assert [(b.name, b.business_id) for b in n.buyers] == [("Lahti Energia Oy", "0804847-1")]
    assert n.cpv_main == "50500000"
    # restricted procedure: the deadline is for requests to participate
    assert n.deadline == datetime(2023, 9, 24, 23, 59, tzinfo=EEST)


def test_pin14_salo_planned_with_additional_cpv() -> None:
    n = load(TED / "eforms_pin14_FI_00574413-2023_salo.xml")
    assert (n.subtype, n.form_type, n.document_type, n.notice_type) == ("14", "pin-cfc-social", "PIN", "pin")
    assert [(b.name, b.business_id) for b in n.buyers] == [("Salon kaupunki", "0139533-1")]
    assert n.cpv_codes == ["92000000", "48000000", "72000000"]
    assert n.publication_date == date(2023, 9, 22)


def test_hilma_synthetic_e3_national_contract_notice() -> None:
    """Synthetic official example (hilma-sdk): values are test data."""
    n = load(HILMA / "hilma_sdk_example_E3_minimum.xml")
    assert (n.subtype, n.form_type, n.notice_type, n.national) == ("E3", "cn-standard", "national", True)
    assert n.publication_number is None  # national notices are not in the OJ S
    # Hansel Oy is the buyer here (a central purchasing body); its "(Hilma)" eSender twin is not
    assert [(b.name, b.business_id) for b in n.buyers] == [("Hansel Oy", "0988084-1")]
    assert n.cpv_main == "50000000"
    assert n.deadline == datetime(2025, 4, 18, 12, 0, tzinfo=EEST)


def test_hilma_synthetic_e4_national_award_winner() -> None:
    n = load(HILMA / "hilma_sdk_example_E4_minimum.xml")
    assert (n.subtype, n.document_type, n.notice_type) == ("E4", "CAN", "national")
    assert [(w.lot_id, w.organisation.name, w.organisation.business_id) for w in n.winners] == [
        ("LOT-0000", "Testiyritys", "5717358-6")
    ]
    assert (n.awarded_value, n.currency) == (Decimal("50000"), "EUR")
    assert n.cpv_main == "45000000"


@pytest.mark.parametrize(
    ("form", "subtype", "expected"),
    [
        ("pin-only", "4", "pin"),
        ("cn-standard", "16", "cn"),
        ("can-standard", "29", "can"),
        ("veat", "25", "veat"),
        ("can-modif", "38", "modification"),
        ("pmc", "E1", "national"),
        ("subco", "22", "cn"),
    ],
)
def test_classify(form: str, subtype: str, expected: str) -> None:
    assert notice_type_of(form, subtype) == expected


@pytest.mark.parametrize(
    ("content", "error_type"),
    [
        ((TED / "malformed_truncated_notice.xml").read_bytes(), "malformed_xml"),
        (b"<rss version='2.0'><channel/></rss>", "not_eforms"),
        (b"", "malformed_xml"),
        (
            b'<ContractNotice xmlns="urn:oasis:names:specification:ubl:schema:xsd:ContractNotice-2"/>',
            "no_notice_id",
        ),
    ],
)
def test_bad_input_raises_with_reason(content: bytes, error_type: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_notice(content)
    assert info.value.error_type == error_type and info.value.reason


def test_entities_are_not_resolved() -> None:
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<ContractNotice xmlns="urn:oasis:names:specification:ubl:schema:xsd:ContractNotice-2" '
        b'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
        b"<cbc:ID>&e;</cbc:ID><cbc:NoticeTypeCode>cn-standard</cbc:NoticeTypeCode></ContractNotice>"
    )
    try:
        notice = parse_notice(evil)
    except InvalidInputError:
        return
    assert "root:" not in notice.notice_id


def test_utc_fallback_for_dates_without_offset() -> None:
    xml = (TED / "eforms_cn21_FI_00583624-2023_helsinki.xml").read_text("utf-8")
    xml = xml.replace("<cbc:EndDate>2023-10-19+03:00</cbc:EndDate>", "<cbc:EndDate>2023-10-19</cbc:EndDate>")
    xml = xml.replace("<cbc:EndTime>12:00:00+03:00</cbc:EndTime>", "<cbc:EndTime>12:00:00</cbc:EndTime>")
    n = parse_notice(xml)
    assert n.deadline is not None and n.deadline.tzinfo is not None
    assert n.deadline == datetime(2023, 10, 19, 12, 0, tzinfo=UTC)
