from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from tests.conftest import FIXTURES
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.registry.ytj import normalise_company, parse_last_modified

REG = FIXTURES / "registry"


def _nokia() -> dict[str, Any]:
    return json.loads((REG / "ytj_v3_companies_businessId_0112038-9.json").read_text())["companies"][0]


def test_v3_nokia_record() -> None:
    rec = normalise_company(_nokia())
    assert rec.business_id == "0112038-9"
    assert rec.name == "Nokia Oyj"
    assert rec.company_form == "OYJ"
    assert rec.company_form_code == "17"
    assert rec.company_form_description == "Julkinen osakeyhtiö"
    assert (rec.industry_code, rec.tol_version) == ("70100", "2025")
    assert (rec.industry_section, rec.industry_division) == ("N", "70")
    assert rec.industry_description == "Pääkonttorien toiminta"
    assert (rec.municipality, rec.municipality_code) == ("Espoo", "049")
    assert (rec.region_code, rec.region_name) == ("01", "Uusimaa")
    assert rec.street_address == "Karakaari 7"
    assert rec.post_code == "02610"
    assert rec.registered_on == date(1896, 12, 19)
    assert rec.age_years(date(2026, 12, 19)) == pytest.approx(130.0, abs=0.01)
    assert rec.website == "www.nokia.com"
    assert rec.is_active is True
    assert rec.trade_register_status == "1"
    assert rec.status == "2"
    assert rec.situations == []
    # 10:04:06 Finnish summer time = 07:04:06 UTC
    assert rec.last_modified == datetime(2026, 8, 19, 7, 4, 6, tzinfo=UTC)
    types = {n.name: n.type for n in rec.names}
    assert types["Oy Nokia Ab"] == "previous"
    assert types["Nokia Corporation"] == "parallel"
    assert types["Vertu"] == "auxiliary"
    assert len(rec.names) == 15
    assert "Nokia Oyj" not in rec.aliases
    assert {"Oy Nokia Ab", "Nokia Abp", "Vertu", "TCC Nokia"} <= set(rec.aliases)
    assert len(rec.aliases) == 14
    assert rec.explanation() == "Ammatillinen, tieteellinen ja tekninen toiminta, Uusimaa"


def test_v3_quirks_old_tol_missing_vs_null_and_liveness() -> None:
    raw = _nokia()
    raw["mainBusinessLine"] = {"type": "64190", "typeCodeSet": "TOIMI3", "source": "2"}
    raw["lastModified"] = "2024-01-15 12:00:00"
    raw["website"] = None
    del raw["addresses"]
    raw["companySituations"] = [{"type": "KONK", "registrationDate": "2024-01-10", "source": "1"}]
    rec = normalise_company(raw)
    assert (rec.industry_code, rec.tol_version, rec.industry_section, rec.industry_division) == (
        "64190",
        "2008",
        "K",
        "64",
    )
    assert rec.last_modified == datetime(2024, 1, 15, 10, 0, tzinfo=UTC)
    assert rec.website is None
    assert rec.municipality is None and rec.region_code is None
    assert rec.open_situations == ["bankruptcy"]
    assert rec.is_active is False  # status "2" says nothing: the bankruptcy does
    raw["companySituations"] = [{"type": "SELTILA", "registrationDate": "2024-01-10", "source": "1"}]
    assert normalise_company(raw).is_active is True
    raw["companySituations"] = []
    raw["tradeRegisterStatus"] = "4"
    assert normalise_company(raw).is_active is False
    raw["tradeRegisterStatus"] = "1"
    raw["endDate"] = "2025-05-05"
    assert normalise_company(raw).is_active is False


def test_content_hash_tracks_changes() -> None:
    a = normalise_company(_nokia())
    raw = _nokia()
    raw["lastModified"] = "2026-09-01T00:00:00"
    assert normalise_company(raw).content_hash() == a.content_hash()
    raw["names"][0]["name"] = "Nokia Group Oyj"
    changed = normalise_company(raw)
    assert changed.content_hash() != a.content_hash()
    assert changed.change_fields()["name"] == "Nokia Group Oyj"


def test_legacy_bis_v1() -> None:
    raw = json.loads((REG / "legacy_bis_v1_company_0877830-0.json").read_text())["results"][0]
    rec = normalise_company(raw)
    assert rec.business_id == "0877830-0"
    assert rec.name == "I. Haanpää Oy"
    assert rec.company_form == "OY"
    assert rec.company_form_description == "Osakeyhtiö"
    assert (rec.industry_code, rec.tol_version, rec.industry_section, rec.industry_division) == (
        "47594",
        "2008",
        "G",
        "47",
    )
    assert (rec.municipality, rec.region_name) == ("Vaasa", "Pohjanmaa")
    assert rec.aliases == ["I. Haanpää Ky"]
    assert rec.names[1].type == "previous"
    assert rec.registered_on == date(1992, 3, 3)
    assert rec.is_active is True


def test_legacy_tr_v1() -> None:
    raw = json.loads((REG / "legacy_tr_v1_company_0877830-0.json").read_text())["results"][0]
    rec = normalise_company(raw)
    assert rec.business_id == "0877830-0"
    assert rec.company_form == "OY"
    assert rec.registered_on == date(1992, 1, 29)
    assert rec.region_code == "15"


@pytest.mark.parametrize(
    "raw",
    [
        {"businessId": {"value": "0112038-8"}, "names": [{"name": "X", "type": "1"}]},  # bad check digit
        {"names": [{"name": "X"}]},
        {"businessId": {"value": "0112038-9"}, "names": []},
        {"businessId": {"value": "0112038-9"}, "names": "Nokia"},
        "not an object",
    ],
)
def test_malformed_records_raise_invalid_input(raw: Any) -> None:
    with pytest.raises(InvalidInputError):
        normalise_company(raw)


def test_last_modified_formats() -> None:
    assert parse_last_modified("2026-01-19T10:04:06") == datetime(2026, 1, 19, 8, 4, 6, tzinfo=UTC)
    assert parse_last_modified("2026-01-19 10:04:06") == datetime(2026, 1, 19, 8, 4, 6, tzinfo=UTC)
    assert parse_last_modified(None) is None
    assert parse_last_modified("") is None
    with pytest.raises(InvalidInputError):
        parse_last_modified("yesterday")
