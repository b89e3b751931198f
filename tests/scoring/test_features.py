from __future__ import annotations

import json
from datetime import date

from tests.conftest import FIXTURES
from triggerwatch.scoring.features import Codes, frame, record_features


def test_real_ytj_v3_record_gives_registry_features(codes: Codes) -> None:
    data = json.loads((FIXTURES / "registry" / "ytj_v3_companies_businessId_0112038-9.json").read_text())
    [record] = data["companies"]
    f = record_features(record, codes, date(2026, 11, 1))
    assert f["business_id"] == "0112038-9"
    assert f["name"] == "Nokia Oyj"
    assert f["tol_division"] == "70"
    assert f["tol_version"] == "2025"  # typeCodeSet TOIMI4, registered 2026-01-01
    assert f["tol_section"] == "M"  # division 70 is N in TOL 2025, M in TOL 2008
    assert f["municipality"] == "049"  # Espoo
    assert f["region"] == "Uusimaa"
    assert f["company_form"] == "OYJ"  # type 17, julkinen osakeyhtiö
    assert 129 < f["age_years"] < 130  # registered 1896-12-19


def test_both_tol_versions_map_divisions_to_sections(codes: Codes) -> None:
    # finance is section K in TOL 2008 and L in TOL 2025; features use the TOL 2008 sections
    assert codes.section_of["2008"]["64"] == "K"
    assert codes.section_of["2025"]["64"] == "L"
    assert codes.section("64190", "2008") == codes.section("64190", "2025") == "K"
    assert codes.section_of["2025"]["62"] == "K"  # programming moved from J to K
    assert codes.section("62010", "2025") == "J"
    assert codes.divisions("K") == ["64", "65", "66"]


def test_missing_values_become_unknown() -> None:
    df = frame([{"business_id": "0112038-9", "tol_section": None, "age_years": None}])
    assert df.loc["0112038-9", "tol_section"] == "unknown"
    assert df.loc["0112038-9", "region"] == "unknown"
