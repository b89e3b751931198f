from __future__ import annotations

import copy
import io
import json
import zipfile
from typing import Any

from sqlalchemy import func, select

from tests.conftest import FIXTURES
from triggerwatch.core.db import Company, Database, DeadLetter, Event, Outbox
from triggerwatch.registry.loader import iter_raw_records, load_companies

NOKIA = json.loads((FIXTURES / "registry" / "ytj_v3_companies_businessId_0112038-9.json").read_text())
RECORD = NOKIA["companies"][0]


def as_array(records: list[dict[str, Any]]) -> bytes:
    return json.dumps(records).encode()


def test_every_accepted_shape_streams_the_same_records() -> None:
    response = json.dumps(NOKIA).encode()
    lines = (json.dumps(RECORD) + "\n" + json.dumps(RECORD) + "\n").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("all_companies.json", as_array([RECORD, RECORD, RECORD]))
    legacy = (FIXTURES / "registry" / "legacy_bis_v1_company_0877830-0.json").read_bytes()
    counts = {
        "response": len(list(iter_raw_records(io.BytesIO(response)))),
        "array": len(list(iter_raw_records(io.BytesIO(as_array([RECORD]))))),
        "lines": len(list(iter_raw_records(io.BytesIO(lines)))),
        "zip": len(list(iter_raw_records(io.BytesIO(buf.getvalue())))),
        "legacy": len(list(iter_raw_records(io.BytesIO(legacy)))),
    }
    assert counts == {"response": 1, "array": 1, "lines": 2, "zip": 3, "legacy": 1}
    first = next(iter_raw_records(io.BytesIO(buf.getvalue())))
    assert first["businessId"]["value"] == "0112038-9"


def test_load_upserts_and_emits_change_events(db: Database) -> None:
    bad = {"businessId": {"value": "nope"}, "names": []}
    report = load_companies(db, io.BytesIO(as_array([RECORD, bad])), batch_size=1)
    assert (report.records, report.inserted, len(report.dead_letters), report.events) == (2, 1, 1, 0)
    with db.session() as s:
        row = s.get(Company, "0112038-9")
        assert row is not None
        assert (row.name, row.name_key, row.company_form, row.company_form_code) == (
            "Nokia Oyj",
            "nokia oyj",
            "OYJ",
            "17",
        )
        assert (row.industry_code, row.industry_tol_version, row.industry_section, row.industry_division) == (
            "70100",
            "2025",
            "N",
            "70",
        )
        assert (row.municipality, row.region, row.region_code) == ("Espoo", "Uusimaa", "01")
        assert "Vertu" in row.aliases and "Oy Nokia Ab" in row.aliases and len(row.aliases) == 14
        assert row.names is not None and row.names[1]["type"] == "previous"
        assert row.registered_on is not None and row.registered_on.year == 1896
        assert row.is_active is True and row.trade_register_status == "1"
        assert s.scalar(select(func.count()).select_from(DeadLetter)) == 1

    # same content again: unchanged, nothing emitted
    again = load_companies(db, io.BytesIO(as_array([RECORD])))
    assert (again.unchanged, again.events) == (1, 0)

    changed = copy.deepcopy(RECORD)
    changed["names"][0]["name"] = "Nokia Group Oyj"
    changed["mainBusinessLine"] = {"type": "26300", "typeCodeSet": "TOIMI4", "source": "2"}
    changed["companySituations"] = [{"type": "KONK", "registrationDate": "2026-11-01", "source": "1"}]
    changed["lastModified"] = "2026-11-02 08:00:00"
    report = load_companies(db, io.BytesIO(as_array([changed])))
    assert (report.updated, report.events) == (1, 3)
    with db.session() as s:
        events = {e.payload["attributes"]["change"]: e.payload for e in s.scalars(select(Event))}
        assert s.scalar(select(func.count()).select_from(Outbox)) >= 3
        row = s.get(Company, "0112038-9")
        assert row is not None and row.name == "Nokia Group Oyj" and row.is_active is False
    assert set(events) == {"name", "industry", "status"}
    assert events["name"]["kind"] == "registry_change"
    assert events["name"]["title"] == "Nokia Group Oyj: name changed"
    assert events["status"]["kind"] == "bankruptcy"
    assert events["industry"]["attributes"]["industry_code"] == "26300"
