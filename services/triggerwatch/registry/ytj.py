"""Pure normaliser of YTJ company records (PRH open data) into one ``CompanyRecord``.

Handles the YTJ v3 shape (``/companies``, ``/all_companies``) and the retired bis/v1 and tr/v1 shapes.
Quirks seen in real data and handled here:

- company forms are numeric codes in responses (``"16"``) but letters in queries (``OY``): both are kept
  (``company_form`` is the letter code where known, ``company_form_code`` the raw response code);
- ``lastModified`` comes as ``2026-08-19T10:04:06`` or ``2026-08-19 10:04:06`` (no zone: Finnish local
  time) and is made timezone-aware (UTC);
- a field may be missing or ``null`` (or an empty string): all three mean "unknown";
- ``mainBusinessLine.typeCodeSet`` is ``TOIMI3`` (TOL 2008) in old records, ``TOIMI4`` (TOL 2025) in new;
- ``status`` is *not* liveness: ``is_active`` comes from ``tradeRegisterStatus``, ``endDate`` and the
  open ``companySituations`` (bankruptcy ends activity; liquidation and restructuring are reported).

Data: Lähde: Patentti- ja rekisterihallitus (PRH), CC BY 4.0.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from triggerwatch.core.businessid import normalise_business_id
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.registry import classifications as cls

PRH_ATTRIBUTION = "Lähde: Patentti- ja rekisterihallitus (PRH), CC BY 4.0"

HELSINKI = ZoneInfo("Europe/Helsinki")

NameType = Literal["main", "parallel", "auxiliary", "previous"]
SituationType = Literal["bankruptcy", "liquidation", "restructuring"]

# TLAJI (names.type): 1 toiminimi, 2 rinnakkaistoiminimi, 3 aputoiminimi
NAME_TYPES: dict[str, NameType] = {"1": "main", "2": "parallel", "3": "auxiliary"}
# companySituations.type
SITUATIONS: dict[str, SituationType] = {
    "KONK": "bankruptcy",
    "SELTILA": "liquidation",
    "SANE": "restructuring",
}
# YRMU response code → query letter code (the ones confirmed by real samples)
COMPANY_FORM_LETTERS: dict[str, str] = {"16": "OY", "17": "OYJ"}
# tradeRegisterStatus (REK_KDI): 1 registered; 0 unregistered; 4 ceased (some sources: 3)
TRADE_REGISTER_CEASED = frozenset({"3", "4"})

_LANG_FI = "1"


class CompanyName(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    type: NameType
    type_code: str | None = None
    registered_on: date | None = None
    end_date: date | None = None
    version: int | None = None


class CompanySituation(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: SituationType
    code: str
    registered_on: date | None = None
    end_date: date | None = None

    @property
    def is_open(self) -> bool:
        return self.end_date is None


class CompanyRecord(BaseModel):
    """One company, normalised, with derived classification fields."""

    model_config = ConfigDict(frozen=True)

    business_id: str
    name: str
    names: list[CompanyName] = Field(default_factory=list)
    company_form: str | None = None
    company_form_code: str | None = None
    company_form_description: str | None = None
    industry_code: str | None = None
    tol_version: cls.TolVersion | None = None
    industry_section: str | None = None
    industry_division: str | None = None
    industry_description: str | None = None
    municipality: str | None = None
    municipality_code: str | None = None
    region_code: str | None = None
    region_name: str | None = None
    street_address: str | None = None
    post_code: str | None = None
    registered_on: date | None = None
    end_date: date | None = None
    website: str | None = None
    trade_register_status: str | None = None
    status: str | None = None
    is_active: bool = True
    situations: list[CompanySituation] = Field(default_factory=list)
    last_modified: datetime | None = None

    @property
    def aliases(self) -> list[str]:
        """Every distinct name except the current main name: parallel, auxiliary and previous names."""
        seen = {self.name}
        out: list[str] = []
        for entry in self.names:
            if entry.name not in seen:
                seen.add(entry.name)
                out.append(entry.name)
        return out

    @property
    def open_situations(self) -> list[str]:
        return [s.type for s in self.situations if s.is_open]

    def age_years(self, as_of: date | None = None) -> float | None:
        """Years since registration (fractional), or None when the registration date is unknown."""
        if self.registered_on is None:
            return None
        today = as_of or datetime.now(UTC).date()
        return round((today - self.registered_on).days / 365.25, 2)

    def explanation(self) -> str:
        """``"Rahoitus- ja vakuutustoiminta, Uusimaa"``."""
        return cls.explain(self.industry_code, self.tol_version, self.region_code)

    def content_hash(self) -> str:
        """Hash of the fields whose change is a ``registry_change`` (stable across runs)."""
        return hashlib.sha256(
            json.dumps(self.change_fields(), sort_keys=True, default=str).encode()
        ).hexdigest()[:32]

    def change_fields(self) -> dict[str, Any]:
        """The tracked fields grouped as the change kinds of a ``registry_change`` event."""
        return {
            "name": self.name,
            "industry": self.industry_code,
            "address": " ".join(x for x in (self.street_address, self.post_code, self.municipality) if x),
            "form": self.company_form or self.company_form_code,
            "status": ",".join(
                [str(self.is_active), self.trade_register_status or "", *self.open_situations]
            ),
        }


# ---------------------------------------------------------------------------------------------------
# helpers


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str | None:
    if _blank(value):
        return None
    return str(value).strip()


def parse_date(value: Any) -> date | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError as exc:
        raise InvalidInputError(f"bad date {text!r}") from exc


def parse_last_modified(value: Any) -> datetime | None:
    """``2026-08-19T10:04:06`` or ``2026-08-19 10:04:06`` (Finnish local time) → aware UTC datetime."""
    text = _text(value)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError as exc:
        raise InvalidInputError(f"bad lastModified {text!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=HELSINKI)
    return parsed.astimezone(UTC)


def _description(entry: dict[str, Any], lang: str = _LANG_FI) -> str | None:
    for item in entry.get("descriptions") or []:
        if str(item.get("languageCode")) == lang:
            return _text(item.get("description"))
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInputError(f"expected a list, got {type(value).__name__}")
    return value


# ---------------------------------------------------------------------------------------------------
# normaliser


def normalise_company(record: dict[str, Any]) -> CompanyRecord:
    """One raw YTJ record (v3, or legacy bis/tr v1) → ``CompanyRecord``; ``InvalidInputError`` if unusable."""
    if not isinstance(record, dict):
        raise InvalidInputError(f"company record is a {type(record).__name__}, not an object")
    try:
        if isinstance(record.get("businessId"), str):
            return _normalise_legacy(record)
        return _normalise_v3(record)
    except InvalidInputError:
        raise
    except (TypeError, AttributeError, ValueError, KeyError) as exc:
        raise InvalidInputError(f"malformed company record: {exc}") from exc


def _business_id(raw: Any) -> str:
    text = _text(raw)
    business_id = normalise_business_id(text) if text else None
    if business_id is None:
        raise InvalidInputError(f"invalid business ID {raw!r}")
    return business_id


def _industry(code: str | None, version: cls.TolVersion | None) -> dict[str, Any]:
    if not code or version is None:
        return {"industry_code": code, "tol_version": version}
    section = cls.section_of(code, version)
    division = cls.division_of(code, version)
    return {
        "industry_code": code,
        "tol_version": version,
        "industry_section": section.code if section else None,
        "industry_division": division.code if division else None,
    }


def _place(municipality_code: str | None, municipality_name: str | None) -> dict[str, Any]:
    found = cls.municipality(municipality_code) or cls.municipality(municipality_name)
    region = cls.regions().get(found.region_code) if found and found.region_code else None
    return {
        "municipality_code": found.code if found else municipality_code,
        "municipality": found.name_fi
        if found
        else (municipality_name.title() if municipality_name else None),
        "region_code": region.code if region else None,
        "region_name": region.name_fi if region else None,
    }


def _liveness(
    trade_register_status: str | None, end_date: date | None, situations: list[CompanySituation]
) -> bool:
    if end_date is not None:
        return False
    if trade_register_status in TRADE_REGISTER_CEASED:
        return False
    return not any(s.type == "bankruptcy" and s.is_open for s in situations)


def _normalise_v3(record: dict[str, Any]) -> CompanyRecord:
    business = record.get("businessId")
    if not isinstance(business, dict):
        raise InvalidInputError("record has no businessId")
    business_id = _business_id(business.get("value"))

    names: list[CompanyName] = []
    for entry in _as_list(record.get("names")):
        name = _text(entry.get("name"))
        if name is None:
            continue
        code = _text(entry.get("type"))
        end = parse_date(entry.get("endDate"))
        kind: NameType = NAME_TYPES.get(code or "", "auxiliary")
        names.append(
            CompanyName(
                name=name,
                type="previous" if end is not None else kind,
                type_code=code,
                registered_on=parse_date(entry.get("registrationDate")),
                end_date=end,
                version=entry.get("version"),
            )
        )
    current_main = [n for n in names if n.type == "main"]
    if current_main:
        main_name = max(current_main, key=lambda n: n.registered_on or date.min).name
    elif names:
        main_name = names[0].name
    else:
        raise InvalidInputError(f"company {business_id} has no name")

    line = record.get("mainBusinessLine") or {}
    industry_code = _text(line.get("type"))
    version = cls.tol_version_for(line.get("typeCodeSet"))

    forms = [f for f in _as_list(record.get("companyForms")) if f]
    form = next((f for f in forms if _blank(f.get("endDate"))), forms[0] if forms else None)
    form_code = _text(form.get("type")) if form else None

    addresses = _as_list(record.get("addresses"))
    address = next((a for a in addresses if str(a.get("type")) == "1"), addresses[0] if addresses else None)
    municipality_code = municipality_name = street = post_code = None
    if address:
        offices = _as_list(address.get("postOffices"))
        office = next(
            (o for o in offices if str(o.get("languageCode")) == _LANG_FI), offices[0] if offices else {}
        )
        municipality_code = _text(office.get("municipalityCode"))
        municipality_name = _text(office.get("city"))
        street = (
            " ".join(x for x in (_text(address.get("street")), _text(address.get("buildingNumber"))) if x)
            or None
        )
        post_code = _text(address.get("postCode"))

    situations = [
        CompanySituation(
            type=SITUATIONS[code],
            code=code,
            registered_on=parse_date(s.get("registrationDate")),
            end_date=parse_date(s.get("endDate")),
        )
        for s in _as_list(record.get("companySituations"))
        if (code := (_text(s.get("type")) or "").upper()) in SITUATIONS
    ]
    trade_status = _text(record.get("tradeRegisterStatus"))
    end_date = parse_date(record.get("endDate"))
    website = record.get("website") or {}

    return CompanyRecord(
        business_id=business_id,
        name=main_name,
        names=names,
        company_form=COMPANY_FORM_LETTERS.get(form_code or "") if form_code else None,
        company_form_code=form_code,
        company_form_description=_description(form) if form else None,
        industry_description=_description(line) if line else None,
        **_industry(industry_code, version),
        **_place(municipality_code, municipality_name),
        street_address=street,
        post_code=post_code,
        registered_on=parse_date(record.get("registrationDate"))
        or parse_date(business.get("registrationDate")),
        end_date=end_date,
        website=_text(website.get("url")) if isinstance(website, dict) else None,
        trade_register_status=trade_status,
        status=_text(record.get("status")),
        is_active=_liveness(trade_status, end_date, situations),
        situations=situations,
        last_modified=parse_last_modified(record.get("lastModified")),
    )


def _normalise_legacy(record: dict[str, Any]) -> CompanyRecord:
    """The retired bis/v1 and tr/v1 company shapes (``businessId`` a string, letter company forms)."""
    business_id = _business_id(record.get("businessId"))
    names: list[CompanyName] = []
    for entry in _as_list(record.get("names")):
        name = _text(entry.get("name"))
        if name is None:
            continue
        end = parse_date(entry.get("endDate"))
        names.append(
            CompanyName(
                name=name,
                type="previous" if end else "main",
                registered_on=parse_date(entry.get("registrationDate")),
                end_date=end,
                version=entry.get("version"),
            )
        )
    for entry in _as_list(record.get("auxiliaryNames")):
        if name := _text(entry.get("name")):
            end = parse_date(entry.get("endDate"))
            names.append(CompanyName(name=name, type="previous" if end else "auxiliary", end_date=end))
    main = _text(record.get("name")) or next((n.name for n in names if n.type == "main"), None)
    if main is None:
        raise InvalidInputError(f"company {business_id} has no name")

    lines = [b for b in _as_list(record.get("businessLines")) if _blank(b.get("endDate"))]
    line = next((b for b in lines if b.get("language") == "FI"), lines[0] if lines else None)
    industry_code = _text(line.get("code")) if line else None
    offices = [o for o in _as_list(record.get("registedOffices") or record.get("registeredOffices")) if o]
    office = next((o for o in offices if _blank(o.get("endDate")) and o.get("language") == "FI"), None)
    office_name = _text((office or {}).get("name") or (office or {}).get("registeredOffice"))
    current_addresses = [a for a in _as_list(record.get("addresses")) if _blank(a.get("endDate"))]
    address = next((a for a in current_addresses if _text(a.get("street"))), None)
    forms = [f for f in _as_list(record.get("companyForms")) if _blank(f.get("endDate"))]
    form_fi = next((f for f in forms if f.get("language") == "FI"), None)
    liquidations = _as_list(record.get("liquidations"))
    situations = [
        CompanySituation(
            type="bankruptcy" if "konk" in (_text(x.get("name")) or "").lower() else "liquidation",
            code=_text(x.get("type")) or "SELTILA",
            registered_on=parse_date(x.get("registrationDate")),
            end_date=parse_date(x.get("endDate")),
        )
        for x in liquidations
    ]
    end_date = parse_date(record.get("endDate"))
    company_form = _text(record.get("companyForm"))
    return CompanyRecord(
        business_id=business_id,
        name=main,
        names=names,
        company_form=company_form,
        company_form_code=company_form,
        company_form_description=_text(form_fi.get("name")) if form_fi else None,
        industry_description=_text(line.get("name")) if line else None,
        # bis/v1 carried TOL 2008 codes (its 2007-12-31 lines predate TOL 2025)
        **_industry(industry_code, "2008" if industry_code else None),
        **_place(None, office_name or (_text(address.get("city")) if address else None)),
        street_address=_text(address.get("street")) if address else None,
        post_code=_text(address.get("postCode")) if address else None,
        registered_on=parse_date(record.get("registrationDate")),
        end_date=end_date,
        is_active=_liveness(None, end_date, situations),
        situations=situations,
    )
