"""Enrichment: the same registry features for customers and prospects.

Features per company: TOL section (harmonised to TOL 2008, see ``Codes.section``) and division,
region and municipality, company form and age in years. YTJ records are read with the registry's
``normalise_company`` and the code lists come from ``triggerwatch.registry.classifications``
(Statistics Finland, shipped by the registry package): nothing here parses records or keeps code
lists of its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from triggerwatch.core.errors import InvalidInputError
from triggerwatch.registry import classifications as cls
from triggerwatch.registry.ytj import normalise_company

CATEGORICAL = ["tol_section", "region", "company_form"]
NUMERIC = ["age_years"]
FEATURES = CATEGORICAL + NUMERIC
COLUMNS = ["business_id", "name", "tol_division", "tol_version", "municipality", *FEATURES]
UNKNOWN = "unknown"
HARMONISED = "2008"  # the TOL version features and rules are expressed in


@dataclass
class Codes:
    """Lookups over the registry's code lists: TOL division → section per version, municipality code →
    (region code, region name)."""

    section_of: dict[str, dict[str, str]] = field(default_factory=dict)  # version -> division -> section
    regions: dict[str, tuple[str, str]] = field(default_factory=dict)  # municipality code -> (code, name)
    region_names: dict[str, str] = field(default_factory=dict)  # region code -> name

    @classmethod
    def from_registry(cls_) -> Codes:
        codes = cls_()
        for version in cls.TOL_VERSIONS:
            codes.section_of[version] = {
                d.code: d.parent_code for d in cls.tol_divisions(version).values() if d.parent_code
            }
        codes.region_names = {r.code: r.name_fi for r in cls.regions().values()}
        codes.regions = {
            m.code: (m.region_code, codes.region_names[m.region_code])
            for m in cls.municipalities().values()
            if m.region_code in codes.region_names
        }
        return codes

    def divisions(self, section: str, version: str = HARMONISED) -> list[str]:
        return sorted(d for d, s in self.section_of.get(version, {}).items() if s == section)

    def section(self, code: str | None, version: str | None = None) -> str | None:
        """The section in the harmonised version (TOL 2008) of a TOL 2008 or TOL 2025 code.

        Section letters differ between the versions (finance is K in TOL 2008, L in TOL 2025) but
        the two-digit divisions mostly keep their number and meaning, and no official
        correspondence table is available, so a code of either version is mapped through its
        division to the TOL 2008 section; a division that exists only in the record's own version
        falls back to that version's section.
        """
        if not code:
            return None
        harmonised = self.section_of.get(HARMONISED, {})
        if code[:2] in harmonised:
            return harmonised[code[:2]]
        return self.section_of.get(version or HARMONISED, {}).get(code[:2])

    def region_name(self, region: str | None) -> str | None:
        if not region:
            return None
        return self.region_names.get(region, region)


def default_codes() -> Codes:
    return Codes.from_registry()


def _age(registered: date | datetime | None, today: date) -> float | None:
    if registered is None:
        return None
    d = registered.date() if isinstance(registered, datetime) else registered
    return round((today - d).days / 365.25, 2)


def record_features(record: Mapping[str, Any], codes: Codes, today: date) -> dict[str, Any]:
    """One YTJ company record (v3 ``/companies`` item, one per line of a bulk file) → features."""
    c = normalise_company(dict(record))
    return {
        "business_id": c.business_id,
        "name": c.name,
        "tol_division": c.industry_division,
        "tol_version": c.tol_version,
        "tol_section": codes.section(c.industry_code, c.tol_version),
        "municipality": c.municipality_code,
        "region": c.region_name,
        "company_form": c.company_form or c.company_form_description or c.company_form_code,
        "age_years": _age(c.registered_on, today),
    }


def company_row_features(company: Any, codes: Codes, today: date) -> dict[str, Any]:
    """A ``companies`` table row → the same features as a YTJ record."""
    code = company.industry_code
    version = (company.industry_tol_version or "2008").replace("TOL", "").strip() or "2008"
    return {
        "business_id": company.business_id,
        "name": company.name,
        "tol_division": code[:2] if code else None,
        "tol_version": version,
        "tol_section": codes.section(code, version),
        "municipality": getattr(company, "municipality_code", None) or company.municipality,
        "region": codes.region_name(getattr(company, "region_code", None)) or company.region,
        "company_form": company.company_form,
        "age_years": _age(company.registered_on, today),
    }


def read_companies_jsonl(
    path: Path, codes: Codes, today: date | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Companies file (YTJ v3 records, one JSON object per line) → features and per-line problems."""
    today = today or datetime.now(UTC).date()
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rows.append(record_features(json.loads(line), codes, today))
            except (ValueError, InvalidInputError) as exc:
                problems.append(f"line {lineno}: {exc}")
    return frame(rows), problems


def frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Rows of features → a DataFrame with every column, missing categories as ``unknown``."""
    df = pd.DataFrame(list(rows), columns=COLUMNS)
    for col in CATEGORICAL:
        df[col] = df[col].fillna(UNKNOWN).astype(str)
    df["age_years"] = pd.to_numeric(df["age_years"], errors="coerce").astype(float)
    df = df.drop_duplicates("business_id", keep="last")
    return df.set_index("business_id", drop=False)
