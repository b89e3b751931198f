from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.conftest import FIXTURES
from triggerwatch.core.contracts import EventKind
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.registry.notices import (
    CodeListCache,
    RegisterNotice,
    parse_description,
    register_notice_events,
    snapshot,
    split_notices,
    to_notice,
)

TR_V1 = json.loads((FIXTURES / "registry" / "legacy_tr_v1_company_0877830-0.json").read_text())
NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def events_of(data: object) -> list:  # type: ignore[type-arg]
    cache = CodeListCache()
    out = []
    for company, notice in split_notices(data):
        out.extend(
            register_notice_events(
                "prh-notices",
                to_notice(company, notice),
                ec_labels=cache.labels("EC"),
                nrt_labels=cache.labels("NRT"),
                observed_at=NOW,
            )
        )
    return out


def test_real_tr_v1_notices() -> None:
    events = events_of(TR_V1)
    assert len(events) == 9
    by_id = {e.source_item_id: e for e in events}
    hal = by_id["2019/250695:HAL"]
    assert hal.kind == EventKind.DECISION_MAKER_CHANGE
    assert hal.attributes["role"] == "board_member"
    assert hal.attributes["notice_code"] == "HAL"
    assert hal.attributes["notice_label"] == "HALLITUS"
    assert hal.attributes["register_notice_id"] == "2019/250695"
    assert hal.attributes["notice_type"] == "M"
    assert hal.attributes["dedup_key"] == "notice:2019/250695:HAL"
    assert hal.companies[0].business_id == "0877830-0"
    assert hal.companies[0].name == "I. Haanpää Oy"
    assert hal.occurred_at == datetime(2019, 7, 9, tzinfo=UTC)
    assert hal.source_url == "http://avoindata.prh.fi/opendata/tr/v1/publicnotices/2019/250695"
    assert hal.title == "I. Haanpää Oy: Board of directors changed (trade register 2019/250695)"
    tiltar = by_id["2015/739492:TILTAR"]
    assert (tiltar.kind, tiltar.attributes["role"]) == (EventKind.DECISION_MAKER_CHANGE, "auditor")
    # TASE (financial statements) is known to the code list, not a trigger: registry_change with its label
    tase = by_id["2020/55730X:TASE"]
    assert tase.kind == EventKind.REGISTRY_CHANGE
    assert tase.attributes["notice_label"] == "TILINPÄÄTÖSASIAKIRJAT"
    # the M notice with an empty entry code falls back on its notice type
    m = by_id["2020/290401:M"]
    assert (m.kind, m.attributes["notice_label"]) == (EventKind.REGISTRY_CHANGE, "Muutosilmoitus")
    assert "Lähde: Patentti- ja rekisterihallitus (PRH), CC BY 4.0" in (hal.summary or "")


def test_entry_code_mapping_and_unknown_codes_are_kept() -> None:
    base = RegisterNotice("0831312-4", "Digia Oyj", "2026/1", None, "M", ())

    def one(code: str, nrt: str = "M") -> object:
        notice = RegisterNotice(
            base.business_id, base.company_name, base.record_number, None, nrt, (code,) if code else ()
        )
        events = register_notice_events(
            "s", notice, ec_labels={"XYZ": "JOTAIN UUTTA"}, nrt_labels={}, observed_at=NOW
        )
        return events[0]

    assert one("NIMO").attributes["role"] == "signatory"  # type: ignore[attr-defined]
    assert one("TJ").attributes["role"] == "managing_director"  # type: ignore[attr-defined]
    assert one("NIMP").kind == EventKind.REGISTRY_CHANGE  # type: ignore[attr-defined]
    assert one("PERUS").kind == EventKind.REGISTRATION  # type: ignore[attr-defined]
    assert one("KONALK").kind == EventKind.BANKRUPTCY  # type: ignore[attr-defined]
    assert one("", "FUU").kind == EventKind.MERGER  # type: ignore[attr-defined]
    assert one("", "DIF").kind == EventKind.MERGER  # type: ignore[attr-defined]
    assert one("", "U").kind == EventKind.REGISTRATION  # type: ignore[attr-defined]
    unknown = one("XYZ")
    assert unknown.kind == EventKind.REGISTRY_CHANGE  # type: ignore[attr-defined]
    assert unknown.attributes["notice_code"] == "XYZ"  # type: ignore[attr-defined]
    assert unknown.attributes["notice_label"] == "JOTAIN UUTTA"  # type: ignore[attr-defined]
    never_heard = one("QQQ")
    assert never_heard.attributes["notice_label"] == "QQQ"  # type: ignore[attr-defined]


def test_v3_shape_and_bad_items() -> None:
    v3 = {
        "totalResults": 1,
        "companies": [
            {
                "businessId": {"value": "0831312-4"},
                "names": [{"name": "Digia Oyj", "type": "1"}],
                "publicNotices": [
                    {
                        "recordNumber": "2026/9",
                        "registrationDate": "2026-11-30",
                        "typeOfRegistration": "M",
                        "entryCodes": ["HAL", "NIMO"],
                    }
                ],
            }
        ],
    }
    events = events_of(v3)
    assert [e.source_item_id for e in events] == ["2026/9:HAL", "2026/9:NIMO"]
    assert events[0].companies[0].name == "Digia Oyj"
    with pytest.raises(InvalidInputError):
        to_notice({"businessId": "123"}, {"recordNumber": "x"})
    with pytest.raises(InvalidInputError):
        to_notice({"businessId": "0831312-4"}, {"registrationDate": "2026-01-01"})
    with pytest.raises(InvalidInputError):
        split_notices({"unexpected": 1})


def test_code_list_text_and_snapshot() -> None:
    assert parse_description("HAL\tHALLITUS\nNIMO\t\tNIMENKIRJOITTAMISOIKEUDET\n\n") == {
        "HAL": "HALLITUS",
        "NIMO": "NIMENKIRJOITTAMISOIKEUDET",
    }
    snap = snapshot()
    assert snap["NRT"]["FI"]["U"] == "Perusilmoitus"
    assert CodeListCache().labels("EC", "EN")["TILTAR"] == "Auditors"


def test_snapshot_agrees_with_the_code_evidence_table() -> None:
    import csv

    with (FIXTURES / "registry" / "prh_code_evidence.csv").open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["api"] == "krek"]
    snap = snapshot()
    for row in rows:
        if row["label_fi"]:
            assert snap[row["code_list"]]["FI"][row["code"]] == row["label_fi"], row
        if row["label_en"] and not row["label_en"].startswith("("):
            assert snap[row["code_list"]]["EN"][row["code"]] == row["label_en"], row
    assert len(rows) == 19
