"""Enrichment: the same registry features for customers and prospects.

Features per company: TOL section and division (TOL 2008 and TOL 2025 are both mapped from the
code's first two digits with that version's own table), region and municipality, company form and
age in years. Code lists (TOL sections/divisions, municipality → region) come from the registry
package (`triggerwatch.registry.classifications`) when it is installed, otherwise from Statistics
Finland export files given explicitly (``Codes.from_dir``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from triggerwatch.core.businessid import normalise_business_id
from triggerwatch.core.errors import ConfigError, InvalidInputError

CATEGORICAL = ["tol_section", "region", "company_form"]
NUMERIC = ["age_years"]
FEATURES = CATEGORICAL + NUMERIC
COLUMNS = ["business_id", "name", "tol_division", "tol_version", "municipality", *FEATURES]
UNKNOWN = "unknown"
HARMONISED = "2008"  # the TOL version features and rules are expressed in


@dataclass
class Codes:
    """TOL division → section per version, section names, municipality code → (region code, name)."""

    section_of: dict[str, dict[str, str]] = field(default_factory=dict)  # version -> division -> section
    section_names: dict[str, dict[str, str]] = field(default_factory=dict)  # section -> {en, fi}
    regions: dict[str, tuple[str, str]] = field(default_factory=dict)  # municipality code -> (code, name)

    def divisions(self, section: str, version: str = "2008") -> list[str]:
        table = self.section_of.get(version) or {}
        return sorted(d for d, s in table.items() if s == section)

    def section(self, division: str | None, version: str | None = None) -> str | None:
        """The section in the harmonised version (TOL 2008) of a TOL 2008 or TOL 2025 code.

        Section letters differ between the versions (finance is K in TOL 2008, L in TOL 2025) but
        the two-digit divisions mostly keep their number and meaning, so a code of either version
        is mapped through its division to the TOL 2008 section; a division that exists only in the
        record's own version falls back to that version's section.
        """
        if not division:
            return None
        harmonised = self.section_of.get(HARMONISED, {})
        if division[:2] in harmonised:
            return harmonised[division[:2]]
        return self.section_of.get(version or HARMONISED, {}).get(division[:2])

    def region_name(self, region: str | None) -> str | None:
        if not region:
            return None
        for code, name in self.regions.values():
            if region in (code, name):
                return name
        return region

    @classmethod
    def from_dir(cls, directory: Path) -> Codes:
        """Statistics Finland exports: ``tol2008_sections_divisions_fi_en.csv``,
        ``tol2025_sections_divisions_fi_en.csv`` and the municipality → region correspondence."""
        codes = cls()
        for version in ("2008", "2025"):
            path = directory / f"tol{version}_sections_divisions_fi_en.csv"
            if not path.exists():
                continue
            table: dict[str, str] = {}
            with path.open(encoding="utf-8-sig", newline="") as f:
                for row in csv.DictReader(f):
                    if row["level"] == "1":
                        codes.section_names.setdefault(row["code"], {"en": row["name_en"], "fi": row["name_fi"]})
                    else:
                        table[row["code"]] = row["parent_code"]
            codes.section_of[version] = table
        for path in sorted(directory.glob("kunta_*_to_maakunta_*.csv")):
            with path.open(encoding="utf-8-sig", newline="") as f:
                for row in csv.DictReader(f, delimiter=";"):
                    codes.regions[row["sourceCode"].strip("'")] = (row["targetCode"].strip("'"), row["targetName"])
        if not codes.section_of:
            raise ConfigError(f"{directory}: no TOL tables (tol2008_sections_divisions_fi_en.csv)")
        return codes


def default_codes(directory: Path | None = None) -> Codes:
    """The registry package's code lists when present; else Statistics Finland files in ``directory``."""
    if directory is not None:
        return Codes.from_dir(directory)
    try:  # the registry package (issue 3) owns the code lists
        from triggerwatch.registry import classifications  # type: ignore[attr-defined]

        return Codes.from_registry(classifications)  # type: ignore[attr-defined]
    except (ImportError, AttributeError):
        pass
    for candidate in (Path("../shared/samples/registry/classifications"), Path("/work/shared/samples/registry/classifications")):
        if candidate.is_dir():
            return Codes.from_dir(candidate)
    raise ConfigError("no classification code lists: pass --codes DIR (Statistics Finland TOL and region files)")


def _age(registered: date | datetime | None, today: date) -> float | None:
    if registered is None:
        return None
    d = registered.date() if isinstance(registered, datetime) else registered
    return round((today - d).days / 365.25, 2)


def record_features(record: Mapping[str, Any], codes: Codes, today: date) -> dict[str, Any]:
    """One YTJ v3 company record (``/companies`` item, one per line of a bulk file) → features."""
    bid_raw = (record.get("businessId") or {}).get("value")
    bid = normalise_business_id(str(bid_raw or ""))
    if bid is None:
        raise InvalidInputError(f"YTJ record without a valid businessId: {bid_raw!r}")
    names = [n for n in record.get("names") or [] if str(n.get("type")) == "1" and not n.get("endDate")]
    line = record.get("mainBusinessLine") or {}
    code = str(line.get("type") or "") or None
    version = "2025" if line.get("typeCodeSet") == "TOIMI4" else "2008"
    forms = [f for f in record.get("companyForms") or [] if not f.get("endDate")]
    municipality = None
    for address in record.get("addresses") or []:
        for office in address.get("postOffices") or []:
            municipality = municipality or office.get("municipalityCode")
    region = codes.regions.get(municipality or "", (None, None))[1]
    registered = record.get("registrationDate") or (record.get("businessId") or {}).get("registrationDate")
    return {
        "business_id": bid,
        "name": names[0]["name"] if names else None,
        "tol_division": code[:2] if code else None,
        "tol_version": version,
        "tol_section": codes.section(code, version),
        "municipality": municipality,
        "region": region,
        "company_form": str(forms[0]["type"]) if forms else None,
        "age_years": _age(date.fromisoformat(registered[:10]) if registered else None, today),
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
        "tol_section": getattr(company, "industry_section", None) or codes.section(code, version),
        "municipality": company.municipality,
        "region": codes.region_name(company.region),
        "company_form": company.company_form,
        "age_years": _age(company.registered_on, today),
    }


def read_companies_jsonl(path: Path, codes: Codes, today: date | None = None) -> tuple[pd.DataFrame, list[str]]:
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
