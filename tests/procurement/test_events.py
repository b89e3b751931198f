"""Notice → trigger events, CPV helpers, TED/Hilma twins, and the award alert through the Processor."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, RECORDINGS, REPO, package_file
from triggerwatch.collectors.base import RawPayload
from triggerwatch.collectors.registry import load_sources
from triggerwatch.core.contracts import CompanyRole, EventKind, TriggerEventV1, decode_event, encode
from triggerwatch.core.db import Database
from triggerwatch.core.rules import load_rules
from triggerwatch.core.settings import CONFIG_DIR
from triggerwatch.core.targets import load_targets, read_target_file
from triggerwatch.procurement.cpv import cpv_label, describe, matches_prefix, normalise_code
from triggerwatch.procurement.eforms import parse_notice
from triggerwatch.procurement.events import notice_events, procurement_dedup_key
from triggerwatch.worker.processing import Processor

TED = FIXTURES / "procurement" / "ted"
HILMA = FIXTURES / "procurement" / "hilma"
OBSERVED = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
DEMO_TARGETS = package_file("triggerwatch.demo", "targets.yaml")


def events_of(path: Path, source: str = "ted-fi") -> list[TriggerEventV1]:
    return notice_events(parse_notice(path.read_bytes()), source=source, observed_at=OBSERVED)


# ------------------------------------------------------------------------------------------ CPV
def test_cpv_labels_in_three_languages() -> None:
    assert cpv_label("72000000") == "IT services: consulting, software development, Internet and support"
    assert (
        cpv_label("72000000-8", "fi")
        == "Tietotekniset palvelut: neuvonta, ohjelmistojen kehittäminen, Internet ja tuki"
    )
    assert cpv_label("60140000", "sv") == "Icke-reguljär passagerartransport"
    assert cpv_label("99999999") is None and cpv_label("72") is None
    assert normalise_code(" 45000000-7 ") == "45000000"


@pytest.mark.parametrize(
    ("codes", "prefixes", "expected"),
    [
        (["72212000"], ["72"], True),
        ("48000000,72000000", ["72*"], True),
        (["72212000"], ["72000000"], True),  # trailing zeros = the whole division
        (["60140000"], ["72000000", "48"], False),
        (["60140000"], ["6014"], True),
        ([], ["72"], False),
        (["not-a-code"], ["72"], False),
    ],
)
def test_matches_prefix(codes: list[str] | str, prefixes: list[str], expected: bool) -> None:
    assert matches_prefix(codes, prefixes) is expected


# ---------------------------------------------------------------------------------------- events
def test_award_event_has_one_winner_ref_each_and_the_buyer() -> None:
    [event] = events_of(TED / "eforms_can29_FI_00525037-2024_kristiinankaupunki.xml")
    assert event.kind == EventKind.CONTRACT_AWARDED
    assert [(c.business_id, c.role) for c in event.companies] == [
        ("1992155-5", CompanyRole.WINNER),
        ("2450271-8", CompanyRole.WINNER),
        ("2626335-1", CompanyRole.WINNER),
        ("0216509-5", CompanyRole.BUYER),
    ]
    a = event.attributes
    assert a["dedup_key"] == "notice:14ccbc47-6890-49a9-93d5-73e036f17956"
    assert (a["notice_id"], a["notice_type"], a["notice_subtype"]) == ("00525037-2024", "can", "29")
    assert (a["cpv_main"], a["cpv_codes"]) == ("60100000", "60100000,60140000")
    assert (a["awarded_value"], a["currency"]) == (2100000.0, "EUR")
    assert event.title.startswith(
        "Kristinestad Stad/Kristiinankaupungin kaupunki awarded 60100000 Road transport"
    )
    assert "Matka-Rengas Niemelä Oy" in event.title and "2 100 000 EUR" in event.title
    assert "LOT-0006: Hellman Transport Ab" in (event.summary or "")
    assert event.occurred_at == datetime(2024, 9, 2, tzinfo=UTC)
    assert event.source_url == "https://ted.europa.eu/en/notice/-/detail/00525037-2024"
    assert event.partition_key() == "1992155-5"
    assert decode_event(encode(event)) == event  # the contract round trip


def test_open_tender_event_says_who_what_and_deadline() -> None:
    [event] = events_of(TED / "eforms_cn18_FI_00615708-2023_puolustusvoimat.xml")
    assert event.kind == EventKind.PROCUREMENT_OPEN
    assert event.title == (
        "Puolustusvoimien logistiikkalaitos opened a tender for 72000000 IT services: consulting, "
        "software development, Internet and support, deadline 2023-11-10"
    )
    assert event.attributes["deadline"] == "2023-11-10T14:00:00+02:00"
    assert event.attributes["estimated_value"] == 10000000.0
    assert [(c.business_id, c.role) for c in event.companies] == [("0952029-9", CompanyRole.BUYER)]
    assert matches_prefix(str(event.attributes["cpv_codes"]), ["72"])


def test_pin_is_planned() -> None:
    [event] = events_of(TED / "eforms_pin14_FI_00574413-2023_salo.xml")
    assert event.kind == EventKind.PROCUREMENT_PLANNED
    assert event.title.startswith("Salon kaupunki plans a procurement of 92000000")
    assert event.attributes["cpv_codes"] == "92000000,48000000,72000000"


def test_modification_notice_gives_no_trigger() -> None:
    xml = (TED / "eforms_can29_FI_00525037-2024_kristiinankaupunki.xml").read_text("utf-8")
    xml = xml.replace(">can-standard<", ">can-modif<").replace(
        '<cbc:SubTypeCode listName="notice-subtype">29<', '<cbc:SubTypeCode listName="notice-subtype">38<'
    )
    notice = parse_notice(xml)
    assert notice.notice_type == "modification"
    assert notice_events(notice, source="ted-fi", observed_at=OBSERVED) == []


def test_ted_and_hilma_twins_share_the_dedup_key_and_event_id() -> None:
    """The same notice from TED (XML) and Hilma (search record + its XML) → one dedup_key."""
    from triggerwatch.collectors.hilma import record_to_notice

    xml_notice = parse_notice((TED / "eforms_can29_FI_00525037-2024_kristiinankaupunki.xml").read_bytes())
    [record] = json.loads((HILMA / "avp_eformnotices_search_records_award_notices.json").read_text())[:1]
    twin = {
        **record,
        "eFormsId": xml_notice.notice_id,
        "fullEFormsId": xml_notice.notice_id + "-01",
        "tedPublicationId": "00525037-2024",
    }
    hilma_notice = record_to_notice(twin)
    [ted_event] = notice_events(xml_notice, source="ted-fi", observed_at=OBSERVED)
    [hilma_event] = notice_events(hilma_notice, source="hilma", observed_at=OBSERVED, notice_number="2024-1")
    assert ted_event.attributes["dedup_key"] == hilma_event.attributes["dedup_key"]
    assert procurement_dedup_key(twin["fullEFormsId"]) == procurement_dedup_key(xml_notice.notice_id.upper())
    # within one source the record and the XML give the same event id (the XML's is stored first)
    [hilma_xml_event] = notice_events(xml_notice, source="hilma", observed_at=OBSERVED)
    assert hilma_xml_event.event_id == hilma_event.event_id


# --------------------------------------------------------------------- through the worker's Processor
def test_contract_award_to_target_company_gives_explained_alert(db: Database) -> None:
    load_targets(db, read_target_file(DEMO_TARGETS))
    now = OBSERVED
    processor = Processor(db, load_rules(CONFIG_DIR / "rules.yaml"), clock=lambda: now)
    [event] = events_of(TED / "eforms_can29_FI_00525037-2024_kristiinankaupunki.xml")
    fresh = event.model_copy(update={"occurred_at": now - timedelta(hours=2)})
    [outcome] = processor.process_batch([encode(fresh)])
    [alert] = outcome.alerts
    assert alert.kind == EventKind.CONTRACT_AWARDED
    assert (alert.company.business_id, alert.company.name) == ("1992155-5", "Matka-Rengas Niemelä Oy")
    assert alert.product_group == "fleet-services" and alert.score == 0.78
    assert "just won a public contract" in alert.explanation.why_it_matters
    assert "TOL H (49)" in alert.explanation.target_group_rule
    assert "Matka-Rengas Niemelä Oy" in alert.explanation.what_happened
    assert (
        alert.evidence and alert.evidence[0].url == "https://ted.europa.eu/en/notice/-/detail/00525037-2024"
    )


def test_shipped_ted_source_replays_the_demo_recording() -> None:
    source = load_sources(REPO / "deploy" / "config" / "sources.yaml", include_disabled=True)["ted-fi"]
    recording = RECORDINGS / str(source.config.replay_file)
    raw = RawPayload(source="ted-fi", url=None, content=recording.read_bytes(), fetched_at=OBSERVED)
    [event] = source.collector.parse(raw)
    assert event.kind == EventKind.CONTRACT_AWARDED and event.companies[0].business_id == "1992155-5"
    assert describe("60100000") == "60100000 Road transport services"


@pytest.mark.parametrize(
    ("fmt", "path", "kinds"),
    [
        ("ted-xml", TED / "eforms_can29_FI_00525037-2024_kristiinankaupunki.xml", ["contract_awarded"]),
        (
            "ted-search",
            TED / "search_page_1.json",
            ["procurement_open", "procurement_planned", "procurement_open"],
        ),
        ("hilma-search", HILMA / "search_page_1.json", ["procurement_open", "contract_awarded"]),
    ],
)
def test_cli_parse_prints_procurement_events(fmt: str, path: Path, kinds: list[str]) -> None:
    from typer.testing import CliRunner

    from triggerwatch.cli import app

    result = CliRunner().invoke(app, ["parse", fmt, str(path)])
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [e["kind"] for e in events] == kinds
    assert all(str(e["attributes"]["dedup_key"]).startswith("notice:") for e in events)
