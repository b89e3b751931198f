"""Trade-register notices (PRH ``opendata-registerednotices-api/v3``, and the retired ``tr/v1``).

A notice (``recordNumber``, ``registrationDate``, ``typeOfRegistration`` = NRT code, ``entryCodes`` =
EC codes) becomes one event per entry code. Entry codes map onto trigger kinds (board, signing rights,
auditor, managing director → ``decision_maker_change`` with a ``role``; founding → ``registration``;
bankruptcy → ``bankruptcy``; merger/demerger → ``merger``). An unknown code is never dropped: it
becomes a ``registry_change`` carrying the raw code and the code list's label.

Code lists come from ``/description?code=EC|NRT|CF&lang=FI|EN`` (``CODE<TAB>LABEL`` lines; the ``lang``
must be upper case), cached in memory, with the shipped snapshot ``data/notice_codes.json`` as the
fallback when the list cannot be fetched.

Lähde: Patentti- ja rekisterihallitus (PRH), CC BY 4.0.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dtime
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from triggerwatch.core.businessid import normalise_business_id
from triggerwatch.core.contracts import CompanyRef, EventKind, Evidence, TriggerEventV1
from triggerwatch.core.errors import InvalidInputError, TransientError
from triggerwatch.registry.ytj import PRH_ATTRIBUTION, parse_date

if TYPE_CHECKING:
    from triggerwatch.core.http import HttpFetcher

NOTICES_API = "https://avoindata.prh.fi/opendata-registerednotices-api/v3"
CODE_LISTS = ("EC", "NRT", "CF")
LANGS = ("FI", "EN")


@dataclass(frozen=True)
class Mapping:
    kind: EventKind
    role: str | None = None
    label_en: str = ""


# entry codes (EC) → trigger kind. HAL, NIMO, TASE, NIMP are confirmed by PRH code-list excerpts;
# TILTAR, PERUS and KONALK by real tr/v1 data and client code; TJ (managing director) is PRH's usual
# abbreviation (toimitusjohtaja) and is not yet confirmed by a code-list excerpt.
ENTRY_CODES: dict[str, Mapping] = {
    "HAL": Mapping(EventKind.DECISION_MAKER_CHANGE, "board_member", "Board of directors changed"),
    "NIMO": Mapping(EventKind.DECISION_MAKER_CHANGE, "signatory", "Signing / representation rights changed"),
    "TILTAR": Mapping(EventKind.DECISION_MAKER_CHANGE, "auditor", "Auditor changed"),
    "TJ": Mapping(EventKind.DECISION_MAKER_CHANGE, "managing_director", "Managing director changed"),
    "NIMP": Mapping(EventKind.REGISTRY_CHANGE, None, "Trade name changed"),
    "PERUS": Mapping(EventKind.REGISTRATION, None, "Company founded"),
    "KONALK": Mapping(EventKind.BANKRUPTCY, None, "Bankruptcy started"),
}
# notice registration types (NRT) that are triggers on their own (when no entry code says more)
REGISTRATION_TYPES: dict[str, Mapping] = {
    "U": Mapping(EventKind.REGISTRATION, None, "Company founded (start-up notification)"),
    "FUU": Mapping(EventKind.MERGER, None, "Merger application"),
    "DIF": Mapping(EventKind.MERGER, None, "Demerger application"),
}


# ---------------------------------------------------------------------------------------------------
# code lists


@cache
def snapshot() -> dict[str, dict[str, dict[str, str]]]:
    """The shipped code-list snapshot: ``{list: {lang: {code: label}}}``."""
    text = resources.files("triggerwatch.registry").joinpath("data", "notice_codes.json").read_text("utf-8")
    data = json.loads(text)
    return {k: v for k, v in data.items() if not k.startswith("_")}


def parse_description(text: str) -> dict[str, str]:
    """The ``/description`` answer (one ``CODE<TAB>LABEL`` per line) → ``{code: label}``."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        parts = [p.strip() for p in line.split("\t") if p.strip()]
        if len(parts) >= 2:
            out[parts[0]] = parts[-1]
    return out


@dataclass
class CodeListCache:
    """Code lists fetched once per ``ttl_s`` through ``HttpFetcher``; the snapshot fills any gap."""

    base_url: str = NOTICES_API
    ttl_s: float = 86400.0
    clock: Callable[[], float] = time.monotonic
    _lists: dict[tuple[str, str], tuple[float, dict[str, str]]] = field(default_factory=dict)

    def refresh(self, http: HttpFetcher, code: str, lang: str = "FI") -> dict[str, str]:
        lang = lang.upper()  # the API answers lower-case lang with an error
        cached = self._lists.get((code, lang))
        if cached and self.clock() - cached[0] < self.ttl_s:
            return cached[1]
        try:
            doc = http.get(f"{self.base_url}/description", params={"code": code, "lang": lang})
            labels = parse_description(doc.content.decode("utf-8", "replace"))
        except (TransientError, InvalidInputError):
            labels = {}
        if labels:
            self._lists[(code, lang)] = (self.clock(), labels)
        return labels or self.labels(code, lang)

    def labels(self, code: str, lang: str = "FI") -> dict[str, str]:
        snap = snapshot().get(code, {})
        merged = {**snap.get("EN", {}), **snap.get(lang.upper(), {})}
        fetched = self._lists.get((code, lang.upper()))
        return {**merged, **(fetched[1] if fetched else {})}


# ---------------------------------------------------------------------------------------------------
# parsing


@dataclass(frozen=True)
class RegisterNotice:
    business_id: str | None
    company_name: str | None
    record_number: str
    registered_on: date | None
    registration_type: str | None
    entry_codes: tuple[str, ...]
    url: str | None = None


def split_notices(data: Any) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """A notices payload → ``(company, notice)`` pairs.

    Accepts ``{totalResults, companies: [...]}`` (v3), ``{type: fi.prh.opendata.tr, results: [...]}``
    (tr/v1), one company object, a list of companies, or a list of such search pages; each company
    carries ``publicNotices``. Anything else is an :class:`InvalidInputError`, never zero items.
    """
    if isinstance(data, dict):
        if isinstance(data.get("companies"), list):
            companies = data["companies"]
        elif isinstance(data.get("results"), list):
            companies = data["results"]
        elif "businessId" in data:
            companies = [data]
        else:
            raise InvalidInputError("notices payload has neither 'companies' nor 'results'")
    elif isinstance(data, list):
        companies = []
        for n, entry in enumerate(data):
            if isinstance(entry, dict) and isinstance(entry.get("companies"), list):
                companies.extend(entry["companies"])  # a list of search pages
            elif isinstance(entry, dict) and isinstance(entry.get("results"), list):
                companies.extend(entry["results"])
            elif isinstance(entry, dict) and "businessId" in entry:
                companies.append(entry)
            else:
                raise InvalidInputError(
                    f"notices payload entry {n} is neither a company (businessId) nor a search page "
                    "(companies, results)"
                )
    else:
        raise InvalidInputError(f"notices payload is a {type(data).__name__}")
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for company in companies:
        if not isinstance(company, dict):
            raise InvalidInputError("a company entry is not an object")
        notices = company.get("publicNotices") or company.get("notices") or []
        if not isinstance(notices, list):
            raise InvalidInputError(f"the notices of a company are a {type(notices).__name__}, not a list")
        for notice in notices:
            pairs.append((company, notice))
    return pairs


def _company_identity(company: dict[str, Any]) -> tuple[str | None, str | None]:
    raw_id = company.get("businessId")
    if isinstance(raw_id, dict):
        raw_id = raw_id.get("value")
    business_id = normalise_business_id(str(raw_id)) if raw_id else None
    name = company.get("name")
    if not name:
        names = company.get("names") or []
        current = [n for n in names if isinstance(n, dict) and not n.get("endDate") and n.get("name")]
        name = (current or [{}])[0].get("name")
    return business_id, (str(name) if name else None)


def to_notice(company: dict[str, Any], notice: dict[str, Any]) -> RegisterNotice:
    if not isinstance(notice, dict):
        raise InvalidInputError("a notice is not an object")
    business_id, name = _company_identity(company)
    if business_id is None:
        raise InvalidInputError(f"notice company has an invalid business ID {company.get('businessId')!r}")
    record = notice.get("recordNumber") or notice.get("noticeId")
    if not record:
        raise InvalidInputError("notice has no recordNumber")
    codes = notice.get("entryCodes") or []
    if not isinstance(codes, list):
        raise InvalidInputError("entryCodes is not a list")
    return RegisterNotice(
        business_id=business_id,
        company_name=name,
        record_number=str(record),
        registered_on=parse_date(notice.get("registrationDate")),
        registration_type=(str(notice.get("typeOfRegistration") or "").strip() or None),
        entry_codes=tuple(str(c).strip() for c in codes if str(c).strip()),
        url=notice.get("detailsUri"),
    )


def register_notice_events(
    source: str,
    notice: RegisterNotice,
    *,
    ec_labels: dict[str, str],
    nrt_labels: dict[str, str],
    observed_at: datetime,
    raw_ref: str | None = None,
) -> list[TriggerEventV1]:
    """One event per entry code (or one for the notice type when it has none)."""
    occurred = datetime.combine(notice.registered_on, dtime(0), UTC) if notice.registered_on else observed_at
    codes: list[tuple[str, Mapping | None, str]] = []
    for code in notice.entry_codes:
        codes.append((code, ENTRY_CODES.get(code), ec_labels.get(code, code)))
    if not codes:
        nrt = notice.registration_type or ""
        codes.append((nrt, REGISTRATION_TYPES.get(nrt), nrt_labels.get(nrt, nrt or "notice")))
    company = notice.company_name or notice.business_id or "company"
    nrt_label = nrt_labels.get(notice.registration_type or "", notice.registration_type or "")
    events: list[TriggerEventV1] = []
    for code, mapping, label in codes:
        kind = mapping.kind if mapping else EventKind.REGISTRY_CHANGE
        what = mapping.label_en if mapping and mapping.label_en else (label or code)
        item_id = f"{notice.record_number}:{code or '-'}"
        attributes: dict[str, str | int | float | bool | None] = {
            "dedup_key": f"notice:{item_id}",
            "notice_code": code,
            "notice_label": label,
            "register_notice_id": notice.record_number,
            "notice_type": notice.registration_type,
            "notice_type_label": nrt_label or None,
            "attribution": PRH_ATTRIBUTION,
        }
        if mapping and mapping.role:
            attributes["role"] = mapping.role
        title = f"{company}: {what} (trade register {notice.record_number})"
        events.append(
            TriggerEventV1.create(
                source=source,
                source_item_id=item_id,
                source_url=notice.url,
                kind=kind,
                occurred_at=occurred,
                observed_at=observed_at,
                companies=[CompanyRef(business_id=notice.business_id, name=notice.company_name)],
                title=title[:1000],
                summary=f"{nrt_label or 'RegisterNotice'}: {label} ({code}). {PRH_ATTRIBUTION}",
                language="fi",
                evidence=[
                    Evidence(
                        url=notice.url,
                        source=source,
                        title=title[:300],
                        excerpt=f"{notice.registration_type or ''} {code} {label}".strip(),
                        published_at=occurred,
                    )
                ],
                attributes=attributes,
                raw_ref=raw_ref,
            )
        )
    return events
