from __future__ import annotations

from triggerwatch.registry import classifications as cls


def test_tol_2008_and_2025_sections_and_divisions() -> None:
    assert len(cls.tol_sections("2008")) == 22
    assert len(cls.tol_divisions("2008")) == 89
    assert len(cls.tol_sections("2025")) == 22
    assert cls.section_of("64190", "2008").code == "K"  # type: ignore[union-attr]
    assert cls.describe_industry("64190", "2008") == "Rahoitus- ja vakuutustoiminta"
    # the same division sits in another section in TOL 2025
    assert cls.section_of("64190", "2025").code == "L"  # type: ignore[union-attr]
    assert cls.division_of("70100", "2025").name_en == "Activities of head offices and management consultancy"  # type: ignore[union-attr]
    assert cls.describe_industry("84", "2008", lang="en") == (
        "Public administration and defence; compulsory social security"
    )
    assert cls.section_of("04999", "2008") is None
    assert cls.section_of(None, "2008") is None


def test_type_code_sets() -> None:
    assert cls.tol_version_for("TOIMI3") == "2008"
    assert cls.tol_version_for("TOIMI4") == "2025"
    assert cls.tol_version_for("TOIMI2") is None


def test_regions_and_municipalities() -> None:
    assert len(cls.regions()) == 19
    assert cls.regions()["02"].name_en == "Southwest Finland"
    assert len(cls.municipalities()) == 308
    assert cls.region_of_municipality("049").name_fi == "Uusimaa"  # type: ignore[union-attr]
    assert cls.region_of_municipality("91").name_fi == "Uusimaa"  # type: ignore[union-attr]
    assert cls.region_of_municipality("Jyväskylä").name_fi == "Keski-Suomi"  # type: ignore[union-attr]
    assert cls.region_of_municipality("VAASA").name_fi == "Pohjanmaa"  # type: ignore[union-attr]
    assert cls.region_of_municipality("Atlantis") is None


def test_explain() -> None:
    assert cls.explain("64190", "2008", "01") == "Rahoitus- ja vakuutustoiminta, Uusimaa"
    assert cls.explain(None, None, "13") == "Keski-Suomi"
