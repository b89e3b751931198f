"""Official Finnish classifications shipped as package data (``services/triggerwatch/registry/data/``).

TOL 2008 and TOL 2025 industry classifications (sections and 2-digit divisions), regions (maakunnat
2025) and municipalities (kunnat 2025) with the region each belongs to. Source: Statistics Finland
(Tilastokeskus) classification service, CC BY 4.0; see ``data/SOURCES.md``. No official TOL 2008 ↔
TOL 2025 correspondence table was available to ship, so none is offered (each code is resolved in
its own version).

Used for enrichment (section/division, region) and human-readable explanations::

    >>> describe_industry("64190", "2008")
    'Rahoitus- ja vakuutustoiminta'
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

TolVersion = Literal["2008", "2025"]
TOL_VERSIONS: tuple[TolVersion, ...] = ("2008", "2025")

STATISTICS_FINLAND_ATTRIBUTION = "Lähde: Tilastokeskus, luokitukset (CC BY 4.0)"

# YTJ mainBusinessLine.typeCodeSet → TOL version
TYPE_CODE_SETS: dict[str, TolVersion] = {"TOIMI3": "2008", "TOIMI4": "2025"}


@dataclass(frozen=True)
class ClassItem:
    code: str
    name_fi: str
    name_en: str
    parent_code: str | None = None


@dataclass(frozen=True)
class Municipality:
    code: str
    name_fi: str
    region_code: str | None


def _rows(filename: str) -> list[dict[str, str]]:
    text = resources.files("triggerwatch.registry").joinpath("data", filename).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@cache
def _tol(version: TolVersion) -> tuple[dict[str, ClassItem], dict[str, ClassItem]]:
    sections: dict[str, ClassItem] = {}
    divisions: dict[str, ClassItem] = {}
    for row in _rows(f"tol{version}.csv"):
        parent = row["parent_code"] or None
        item = ClassItem(row["code"], row["name_fi"], row["name_en"], None if parent == "SSSSS" else parent)
        (sections if row["level"] == "1" else divisions)[row["code"]] = item
    return sections, divisions


@cache
def regions() -> dict[str, ClassItem]:
    """Region (maakunta) code (``"01"``) → item."""
    return {r["code"]: ClassItem(r["code"], r["name_fi"], r["name_en"]) for r in _rows("regions.csv")}


@cache
def municipalities() -> dict[str, Municipality]:
    """Municipality code (``"091"``) → municipality with its region code."""
    return {
        r["code"]: Municipality(r["code"], r["name_fi"], r["region_code"] or None)
        for r in _rows("municipalities.csv")
    }


@cache
def _municipalities_by_name() -> dict[str, Municipality]:
    return {m.name_fi.casefold(): m for m in municipalities().values()}


def tol_sections(version: TolVersion) -> dict[str, ClassItem]:
    return _tol(version)[0]


def tol_divisions(version: TolVersion) -> dict[str, ClassItem]:
    return _tol(version)[1]


def tol_version_for(type_code_set: str | None) -> TolVersion | None:
    """``TOIMI3`` → ``"2008"``, ``TOIMI4`` → ``"2025"``; None for older/unknown code sets."""
    return TYPE_CODE_SETS.get((type_code_set or "").strip().upper())


def division_of(code: str | None, version: TolVersion) -> ClassItem | None:
    """The 2-digit division of an industry code (``"64190"`` → division 64) or None when unknown."""
    if not code or len(code) < 2 or not code[:2].isdigit():
        return None
    return tol_divisions(version).get(code[:2])


def section_of(code: str | None, version: TolVersion) -> ClassItem | None:
    """The letter section of an industry code (``"64190"`` in TOL 2008 → ``K``)."""
    if code and len(code) == 1 and code.isalpha():
        return tol_sections(version).get(code.upper())
    division = division_of(code, version)
    if division is None or division.parent_code is None:
        return None
    return tol_sections(version).get(division.parent_code)


def describe_industry(code: str | None, version: TolVersion, lang: str = "fi") -> str | None:
    """The section's name, e.g. ``"Rahoitus- ja vakuutustoiminta"`` (``lang="en"`` for English)."""
    section = section_of(code, version)
    if section is None:
        return None
    return section.name_en if lang == "en" else section.name_fi


def region_of_municipality(code_or_name: str | None) -> ClassItem | None:
    """Region of a municipality given by its code (``"091"``, ``"91"``) or Finnish name (``"Espoo"``)."""
    if not code_or_name:
        return None
    value = code_or_name.strip()
    municipality = (
        municipalities().get(value.zfill(3))
        if value.isdigit()
        else _municipalities_by_name().get(value.casefold())
    )
    if municipality is None or municipality.region_code is None:
        return None
    return regions().get(municipality.region_code)


def municipality(code_or_name: str | None) -> Municipality | None:
    if not code_or_name:
        return None
    value = code_or_name.strip()
    if value.isdigit():
        return municipalities().get(value.zfill(3))
    return _municipalities_by_name().get(value.casefold())


def explain(industry_code: str | None, version: TolVersion | None, region_code: str | None) -> str:
    """Human-readable target description: ``"Rahoitus- ja vakuutustoiminta, Uusimaa"``."""
    parts: list[str] = []
    if version is not None:
        industry = describe_industry(industry_code, version)
        if industry:
            parts.append(industry)
    region = regions().get(region_code) if region_code else None
    if region is not None:
        parts.append(region.name_fi)
    return ", ".join(parts)
