"""Job ads as recruitment events: the legacy TE job API JSON and the official Työmarkkinatori API.

``TeJobsCollector`` reads the retired TE-palvelut ``tpt-api/tyopaikat`` JSON (a Solr response:
``response.docs[]``, each ad with ``tyonantajanNimi``, ``ytunnus`` (business ID), ``tehtavanimi``,
``mainAmmattikoodi``, ``kunta``, ``paikkalukumaara``, ``ilmoituspaivamaara``, ``hakuPaattyy``).

``TyomarkkinatoriCollector`` reads the official Työmarkkinatori job-ad search API (KEHA "KIPA" P67),
which needs a contract and credentials (settings ``TRIGGERWATCH_TYOMARKKINATORI_CLIENT_ID`` /
``..._CLIENT_SECRET``, secrets). Its response shape is *assumed* (see docs/sources/tyomarkkinatori.md);
each ad is normalised to the same fields and parsed by the same code.
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from pydantic import Field, HttpUrl, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from triggerwatch.collectors.base import (
    Collector,
    CollectorOptions,
    CursorState,
    FetchOutcome,
    RawItem,
    RawPayload,
)
from triggerwatch.collectors.payloads import conditional_fetch, load_json, parse_iso
from triggerwatch.core.businessid import normalise_business_id
from triggerwatch.core.contracts import CompanyRef, CompanyRole, EventKind, Evidence, TriggerEventV1
from triggerwatch.core.errors import ConfigError, InvalidInputError
from triggerwatch.core.http import HttpFetcher
from triggerwatch.core.settings import refuse_placeholder
from triggerwatch.core.sources import Schedule

AD_URL = "https://paikat.te-palvelut.fi/tpt/{id}"
_DEADLINE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s*kl\.?\s*(\d{1,2}):(\d{2}))?")


def parse_deadline(value: Any) -> str | None:
    """'14.04.2021 kl. 12:00' → '2021-04-14T12:00:00'; '09.04.2021' → '2021-04-09' (Finnish local time)."""
    if isinstance(value, str):
        iso = parse_iso(value)
        if iso is not None and "T" in value:
            return iso.isoformat()
        m = _DEADLINE.search(value)
        if m:
            d, mo, y, hh, mm = m.groups()
            date = f"{int(y):04d}-{int(mo):02d}-{int(d):02d}"
            return f"{date}T{int(hh):02d}:{mm}:00" if hh else date
    return None


class TeJobsOptions(CollectorOptions):
    url: HttpUrl = Field(description="tpt-api search URL, e.g. .../tpt-api/tyopaikat?kieli=fi")
    params: dict[str, str] = Field(default_factory=dict, description="query parameters")
    language: str | None = Field(None, max_length=8)
    ad_url: str = Field(AD_URL, description="evidence link; {id} = ilmoitusnumero")
    max_summary_chars: int = Field(1000, ge=0, le=5000)


def job_event(
    source: str,
    item: RawItem,
    doc: dict[str, Any],
    *,
    ad_url: str,
    language: str | None,
    max_summary_chars: int,
) -> TriggerEventV1:
    """One normalised job ad (legacy TE field names) → a recruitment event."""
    ad_id = doc.get("ilmoitusnumero") or doc.get("id")
    employer = str(doc.get("tyonantajanNimi") or "").strip()
    job_title = str(doc.get("tehtavanimi") or "").strip()
    if not ad_id:
        raise InvalidInputError("job ad without ilmoitusnumero/id", raw=item.raw, error_type="missing_id")
    if not job_title:
        raise InvalidInputError(
            f"job ad {ad_id} without tehtavanimi", raw=item.raw, error_type="missing_title"
        )
    raw_bid = doc.get("ytunnus")
    business_id = normalise_business_id(str(raw_bid)) if raw_bid else None
    attributes: dict[str, str | int | float | bool | None] = {
        "job_title": job_title,
        "dedup_key": f"te-job:{ad_id}",
        "ad_id": str(ad_id),
    }
    if raw_bid and business_id is None:
        attributes["business_id_invalid"] = str(raw_bid)[:20]
    if doc.get("anonyymiTyonantaja") is True:
        attributes["anonymous_employer"] = True
    occupation = doc.get("mainAmmattikoodi") or next(iter(doc.get("ammattikoodi") or []), None)
    if occupation:
        attributes["occupation_code"] = str(occupation)
    if doc.get("mainAmmatti"):
        attributes["occupation"] = str(doc["mainAmmatti"])[:200]
    location = doc.get("kunta") or doc.get("postitoimipaikka")
    if location:
        attributes["location"] = str(location)
    if doc.get("maakunta"):
        attributes["region"] = str(doc["maakunta"])
    openings = doc.get("paikkalukumaara")
    if isinstance(openings, int) and not isinstance(openings, bool):
        attributes["openings"] = openings
    deadline = parse_deadline(doc.get("hakuPaattyy"))
    if deadline:
        attributes["deadline"] = deadline
    published = parse_iso(doc.get("ilmoituspaivamaara"))
    if published is None:
        attributes["date_missing"] = True
    observed = item.payload.fetched_at
    companies = []
    if employer or business_id:
        companies.append(
            CompanyRef(business_id=business_id, name=employer[:500] or None, role=CompanyRole.EMPLOYER)
        )
    title = ", ".join(p for p in (job_title, employer, str(location or "")) if p)
    summary = re.sub(r"\s+", " ", str(doc.get("kuvausteksti") or "")).strip()[:max_summary_chars] or None
    url = ad_url.format(id=ad_id)
    return TriggerEventV1.create(
        source=source,
        source_item_id=str(ad_id),
        source_url=url,
        kind=EventKind.RECRUITMENT,
        occurred_at=published or observed,
        observed_at=observed,
        companies=companies,
        title=title[:1000],
        summary=summary,
        language=language or doc.get("kieli"),
        evidence=[
            Evidence(
                url=url,
                source=source,
                title=title[:300],
                excerpt=(summary or "")[:300] or None,
                published_at=published,
            )
        ],
        attributes=attributes,
        raw_ref=item.payload.ref,
    )


class TeJobsCollector(Collector[TeJobsOptions]):
    type_name: ClassVar[str] = "te_jobs"
    Options: ClassVar[type[CollectorOptions]] = TeJobsOptions
    default_schedule: ClassVar[Schedule] = Schedule(interval_s=3600)
    licence_note: ClassVar[str] = "TE-palvelut open data (retired API)"

    def fetch(self, http: HttpFetcher, state: CursorState) -> FetchOutcome:
        return conditional_fetch(self, http, state, str(self.options.url), params=self.options.params or None)

    def split(self, raw: RawPayload) -> list[RawItem]:
        data = load_json(raw)
        docs = data.get("response", {}).get("docs") if isinstance(data, dict) else None
        if not isinstance(docs, list):
            raise InvalidInputError(
                "no response.docs list: not a tpt-api job response",
                raw=raw.content,
                error_type="malformed_feed",
            )
        return [RawItem(payload=raw, data=d, raw=json.dumps(d, ensure_ascii=False)) for d in docs]

    def parse_item(self, item: RawItem) -> list[TriggerEventV1]:
        if not isinstance(item.data, dict):
            raise InvalidInputError("job ad is not an object", raw=item.raw, error_type="malformed_item")
        o = self.options
        return [
            job_event(
                self.name,
                item,
                item.data,
                ad_url=o.ad_url,
                language=o.language,
                max_summary_chars=o.max_summary_chars,
            )
        ]


# ---------------------------------------------------------------------------------------------------
# Työmarkkinatori (KEHA KIPA P67 job-ad search API): contract + credentials needed


class TyomarkkinatoriCredentials(BaseSettings):
    """OAuth2 client credentials issued with the KEHA API contract (never in sources.yaml)."""

    model_config = SettingsConfigDict(env_prefix="TRIGGERWATCH_TYOMARKKINATORI_", frozen=True, extra="ignore")

    client_id: str | None = None
    client_secret: SecretStr | None = None

    @field_validator("client_secret")
    @classmethod
    def _secret(cls, v: SecretStr | None) -> SecretStr | None:
        return refuse_placeholder(v, "tyomarkkinatori client_secret")


class TyomarkkinatoriOptions(CollectorOptions):
    url: HttpUrl = Field(description="the P67 job-ad search endpoint given with the contract")
    token_url: HttpUrl = Field(description="OAuth2 token endpoint (client-credentials grant)")
    params: dict[str, str] = Field(default_factory=dict)
    language: str | None = Field("fi", max_length=8)
    ad_url: str = Field("https://tyomarkkinatori.fi/henkiloasiakkaat/avoimet-tyopaikat/{id}")
    max_summary_chars: int = Field(1000, ge=0, le=5000)


def _first_text(value: Any, language: str | None) -> str | None:
    """A multilingual value ({"fi": ..., "sv": ...} or [{"language":..., "value":...}]) → one string."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if language and isinstance(value.get(language), str):
            return str(value[language])
        return next((str(v) for v in value.values() if isinstance(v, str)), None)
    if isinstance(value, list):
        texts = [v for v in value if isinstance(v, dict)]
        for v in texts:
            if v.get("language") == language and v.get("value"):
                return str(v["value"])
        return next((str(v["value"]) for v in texts if v.get("value")), None)
    return None


def normalise_tyomarkkinatori_ad(ad: dict[str, Any], language: str | None) -> dict[str, Any]:
    """The assumed Työmarkkinatori ad shape → the legacy TE field names ``job_event`` reads."""
    employer: dict[str, Any] = ad["employer"] if isinstance(ad.get("employer"), dict) else {}
    location: dict[str, Any] = ad["location"] if isinstance(ad.get("location"), dict) else {}
    occupations = ad.get("occupations") or []
    occ: dict[str, Any] = occupations[0] if occupations and isinstance(occupations[0], dict) else {}
    return {
        "ilmoitusnumero": ad.get("id"),
        "tyonantajanNimi": _first_text(employer.get("name"), language),
        "ytunnus": employer.get("businessId"),
        "tehtavanimi": _first_text(ad.get("title"), language),
        "kuvausteksti": _first_text(ad.get("description"), language),
        "mainAmmattikoodi": occ.get("code"),
        "kunta": _first_text(location.get("municipality"), language),
        "maakunta": _first_text(location.get("region"), language),
        "paikkalukumaara": ad.get("numberOfPositions"),
        "ilmoituspaivamaara": ad.get("publishDate"),
        "hakuPaattyy": ad.get("applicationEndDate"),
    }


class TyomarkkinatoriCollector(Collector[TyomarkkinatoriOptions]):
    type_name: ClassVar[str] = "tyomarkkinatori"
    Options: ClassVar[type[CollectorOptions]] = TyomarkkinatoriOptions
    default_schedule: ClassVar[Schedule] = Schedule(interval_s=3600)
    licence_note: ClassVar[str] = "KEHA API contract terms"

    def credentials(self) -> tuple[str, SecretStr]:
        creds = TyomarkkinatoriCredentials()
        if not creds.client_id or creds.client_secret is None:
            raise ConfigError(
                f"source {self.name!r}: the Työmarkkinatori job-ad API needs a KEHA contract and "
                "credentials; "
                "set TRIGGERWATCH_TYOMARKKINATORI_CLIENT_ID and TRIGGERWATCH_TYOMARKKINATORI_CLIENT_SECRET "
                "or disable the source"
            )
        return creds.client_id, creds.client_secret

    def fetch(self, http: HttpFetcher, state: CursorState) -> FetchOutcome:
        client_id, secret = self.credentials()
        token = http.post_form(
            str(self.options.token_url),
            {
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret.get_secret_value(),
            },
        )
        try:
            access = json.loads(token.content)["access_token"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"source {self.name!r}: token endpoint returned no access_token") from exc
        return conditional_fetch(
            self,
            http,
            state,
            str(self.options.url),
            params=self.options.params or None,
            headers={"Authorization": f"Bearer {access}", "Accept": "application/json"},
        )

    def split(self, raw: RawPayload) -> list[RawItem]:
        data = load_json(raw)
        ads = None
        if isinstance(data, dict):
            ads = next(
                (data[k] for k in ("content", "results", "items", "data") if isinstance(data.get(k), list)),
                None,
            )
        elif isinstance(data, list):
            ads = data
        if ads is None:
            raise InvalidInputError(
                "no list of job ads in the response", raw=raw.content, error_type="malformed_feed"
            )
        return [RawItem(payload=raw, data=a, raw=json.dumps(a, ensure_ascii=False)) for a in ads]

    def parse_item(self, item: RawItem) -> list[TriggerEventV1]:
        if not isinstance(item.data, dict):
            raise InvalidInputError("job ad is not an object", raw=item.raw, error_type="malformed_item")
        o = self.options
        doc = normalise_tyomarkkinatori_ad(item.data, o.language)
        return [
            job_event(
                self.name,
                item,
                doc,
                ad_url=o.ad_url,
                language=o.language,
                max_summary_chars=o.max_summary_chars,
            )
        ]
