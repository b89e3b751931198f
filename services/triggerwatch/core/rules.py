"""Alert rules: which trigger kinds alert for which product groups, and how loudly.

Loaded from a YAML file (``deploy/config/rules.yaml``) and validated at start::

    cooldown_hours: 72            # per company, kind and product group
    rules:
      - kind: recruitment
        product_groups: ["*"]     # or a list of product groups
        min_score: 0.5            # the company's target-group score must reach this
        audience: prospects       # prospects | customers (cross-sell offers) | all
        weight: 0.8               # how strong a trigger this kind is, 0..1
        freshness_days: 30        # older events do not alert
        why: {en: "...", fi: "..."}
        next_step: {en: "...", fi: "..."}
    routing:
      fallback_owner: sales-team
      by_business_id: {0112038-9: rep-anna}   # the CRM owner mapping wins
      by_region: {Uusimaa: rep-ville}         # territory: region, then industry (TOL prefix)
      by_industry: {"62": rep-anna}
      by_product_group: {it-services: rep-anna}
      reps: {rep-anna: {slack_channel: "#anna", email: anna@example.com, daily_cap: 10,
                        dynamics_systemuser_id: 6f3c…}}   # Dynamics 365 tasks are assigned to her
      fallback_channel: "#sales-triggers"

Relevance filters (all optional; when any is set, an event must match at least one of them):
``cpv_prefixes`` against ``cpv_main``/``cpv_codes``, ``job_titles`` (regular expressions,
case-insensitive) against ``job_title`` (else the title), ``occupation_codes`` (prefixes) against
``occupation_code``, ``roles`` against ``role``.

``audience`` says whose events alert: ``prospects`` (the default: companies scored as lookalikes),
``customers`` (existing customers, with their next-best-offers: the alert is a cross-sell) or
``all``.

``product_group_names`` gives each product group the name people know it by, in English and
Finnish (``{it-services: {en: IT services, fi: IT-palvelut}}``); the web UI shows it instead of the
code (a group without one shows its code made readable).

The notifier reads ``delivery`` (daily cap per rep, quiet hours, digest schedule) from the same file.
"""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Literal, NamedTuple

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from triggerwatch.core.contracts import CompanyRole, EventKind, Priority
from triggerwatch.core.errors import ConfigError
from triggerwatch.core.labels import humanize


class Localised(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    en: str
    fi: str

    def get(self, lang: str) -> str:
        return self.fi if lang == "fi" else self.en


def _split(value: object) -> list[str]:
    if value is None:
        return []
    return [part.strip() for part in str(value).split(",") if part.strip()]


class Relevance(BaseModel):
    """What makes an event relevant for one offering; empty = every event of the kind."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cpv_prefixes: list[str] = Field(default_factory=list)
    job_titles: list[str] = Field(default_factory=list)
    occupation_codes: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)

    @field_validator("job_titles")
    @classmethod
    def _regexes(cls, v: list[str]) -> list[str]:
        for pattern in v:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"job_titles: bad regular expression {pattern!r}: {exc}") from exc
        return v

    @property
    def empty(self) -> bool:
        return not (self.cpv_prefixes or self.job_titles or self.occupation_codes or self.roles)

    def matches(self, attributes: dict[str, str | int | float | bool | None], title: str) -> str | None:
        """The reason the event is relevant (``"cpv 72000000"``), or None when it is not."""
        if self.empty:
            return "any"
        if self.cpv_prefixes:
            codes = _split(attributes.get("cpv_main")) + _split(attributes.get("cpv_codes"))
            for code in codes:
                for prefix in self.cpv_prefixes:
                    if code.startswith(prefix):
                        return f"cpv {code}"
        if self.job_titles:
            text = str(attributes.get("job_title") or title)
            for pattern in self.job_titles:
                if re.search(pattern, text, re.IGNORECASE):
                    return f"job title {pattern!r}"
        if self.occupation_codes:
            code = str(attributes.get("occupation_code") or "")
            if code and any(code.startswith(c) for c in self.occupation_codes):
                return f"occupation {code}"
        if self.roles:
            role = str(attributes.get("role") or "")
            if role in self.roles:
                return f"role {role}"
        return None


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: EventKind
    product_groups: list[str] = Field(default_factory=lambda: ["*"], min_length=1)
    relevance: Relevance = Relevance()
    min_score: float = Field(0.5, ge=0, le=1)
    audience: Literal["prospects", "customers", "all"] = "prospects"
    weight: float = Field(0.5, ge=0, le=1)
    freshness_days: float = Field(30, gt=0)
    why: Localised
    next_step: Localised

    def applies_to(self, product_group: str) -> bool:
        return "*" in self.product_groups or product_group in self.product_groups

    def reaches(self, customer: bool) -> bool:
        """Whether the rule is for this audience: an existing customer (a cross-sell) or a prospect."""
        return self.audience == "all" or self.audience == ("customers" if customer else "prospects")


class RuleMatch(NamedTuple):
    """The rule an event matched and why it is relevant (``"any"``, ``"cpv 72000000"``, …)."""

    rule: Rule
    relevance: str


class Rep(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    slack_channel: str | None = None  # "#channel", a channel id or a user id (DM) for chat.postMessage
    email: str | None = None
    daily_cap: int | None = Field(None, ge=0)  # overrides delivery.daily_cap
    # the rep's Dynamics 365 user (systemuserid, a GUID): Dynamics tasks for the rep are assigned to it
    dynamics_systemuser_id: str | None = Field(
        None, pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    )


class RoutingRules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    fallback_owner: str | None = None
    fallback_channel: str | None = None
    by_business_id: dict[str, str] = Field(default_factory=dict)  # the CRM owner mapping
    by_region: dict[str, str] = Field(default_factory=dict)
    by_industry: dict[str, str] = Field(default_factory=dict)  # TOL code prefix → owner
    by_product_group: dict[str, str] = Field(default_factory=dict)
    reps: dict[str, Rep] = Field(default_factory=dict)

    def owner(
        self,
        product_group: str,
        region: str | None,
        *,
        business_id: str | None = None,
        industry_code: str | None = None,
    ) -> str | None:
        """CRM owner, else territory (region, then the longest industry prefix), else product group."""
        if business_id and business_id in self.by_business_id:
            return self.by_business_id[business_id]
        if region and region in self.by_region:
            return self.by_region[region]
        if industry_code:
            for prefix in sorted(self.by_industry, key=len, reverse=True):
                if industry_code.startswith(prefix):
                    return self.by_industry[prefix]
        if product_group in self.by_product_group:
            return self.by_product_group[product_group]
        return self.fallback_owner

    def channels(self, owner: str | None) -> list[str]:
        """``slack:<channel>`` / ``email:<address>`` of the owner; the fallback channel otherwise."""
        rep = self.reps.get(owner or "")
        out: list[str] = []
        if rep is not None:
            if rep.slack_channel:
                out.append(f"slack:{rep.slack_channel}")
            if rep.email:
                out.append(f"email:{rep.email}")
        if not any(c.startswith("slack:") for c in out) and self.fallback_channel:
            out.append(f"slack:{self.fallback_channel}")
        return out

    def dynamics_users(self) -> dict[str, str]:
        """Rep → Dynamics 365 systemuserid, for the reps that have one."""
        return {
            name: rep.dynamics_systemuser_id for name, rep in self.reps.items() if rep.dynamics_systemuser_id
        }


class QuietHours(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    start: time = time(21, 0)
    end: time = time(7, 0)

    def contains(self, local: time) -> bool:
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


class DeliveryRules(BaseModel):
    """Noise control, applied by the notifier."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timezone: str = "Europe/Helsinki"
    daily_cap: int | None = Field(None, ge=0)  # per rep and local day (None: no cap); overflow → digest
    quiet_hours: QuietHours | None = None  # alerts during quiet hours go to the next digest
    digest: str = Field("daily", pattern="^(daily|weekly|off)$")
    digest_at: time = time(8, 0)  # local time; weekly digests on Mondays
    updates: bool = True  # deliver corroboration updates (a higher revision of a delivered alert)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {v!r}") from exc
        return v


_R = CompanyRole
# Which of an event's companies an alert is about, by the company's part in the event: a merger
# alerts the acquirer and the target (not the seller), a decision-maker change the company a person
# joins (not the one they leave), a contract award the winner, a tender its buyer; an investor never.
DEFAULT_COMPANY_ROLES: dict[EventKind, frozenset[CompanyRole]] = {
    EventKind.MERGER: frozenset({_R.ACQUIRER, _R.TARGET, _R.SUBJECT}),
    EventKind.DECISION_MAKER_CHANGE: frozenset({_R.APPOINTED, _R.SUBJECT, _R.EMPLOYER}),
    EventKind.RECRUITMENT: frozenset({_R.EMPLOYER, _R.SUBJECT}),
    EventKind.PROCUREMENT_OPEN: frozenset({_R.BUYER, _R.SUBJECT}),
    EventKind.PROCUREMENT_PLANNED: frozenset({_R.BUYER, _R.SUBJECT}),
    EventKind.CONTRACT_AWARDED: frozenset({_R.WINNER}),
}
SUBJECT_ONLY = frozenset({_R.SUBJECT})


class RuleSet(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    cooldown_hours: float = Field(72, ge=0)
    corroboration_hours: float = Field(72, ge=0)  # same event from another source within → one alert
    language: str = Field("en", pattern="^(en|fi)$")
    priority_high: float = Field(0.5, ge=0)
    priority_medium: float = Field(0.25, ge=0)
    rules: list[Rule] = Field(min_length=1)
    routing: RoutingRules = RoutingRules()
    delivery: DeliveryRules = DeliveryRules()
    # per kind, the company roles that alert (overrides DEFAULT_COMPANY_ROLES, e.g. merger: [seller])
    company_roles: dict[EventKind, list[CompanyRole]] = Field(default_factory=dict)
    # what people call each product group, e.g. {it-services: {en: IT services, fi: IT-palvelut}}
    product_group_names: dict[str, Localised] = Field(default_factory=dict)

    def product_group_name(self, product_group: str, lang: str) -> str:
        """The configured name of a product group in ``lang``, else a readable form of its code."""
        names = self.product_group_names.get(product_group)
        return names.get(lang) if names is not None else humanize(product_group)

    def alerting_roles(self, kind: EventKind) -> frozenset[CompanyRole]:
        """The parts in an event of ``kind`` that make a company the subject of an alert."""
        if kind in self.company_roles:
            return frozenset(self.company_roles[kind])
        return DEFAULT_COMPANY_ROLES.get(kind, SUBJECT_ONLY)

    def match(
        self,
        kind: EventKind,
        product_group: str,
        attributes: dict[str, str | int | float | bool | None] | None = None,
        title: str = "",
        *,
        customer: bool = False,
    ) -> RuleMatch | None:
        """The first rule for the kind, product group and audience (``customer``: an existing
        customer's cross-sell offer) whose relevance filter the event passes."""
        for rule in self.rules:
            if rule.kind == kind and rule.applies_to(product_group) and rule.reaches(customer):
                relevance = rule.relevance.matches(attributes or {}, title)
                if relevance is not None:
                    return RuleMatch(rule, relevance)
        return None

    @property
    def reaches_customers(self) -> bool:
        """Whether any rule alerts for existing customers (the worker then joins their offers)."""
        return any(rule.audience != "prospects" for rule in self.rules)

    def held_back(self, rule: Rule, age_days: float, recent_alert_id: str | None) -> str | None:
        """Why a matching event does not alert (too old for the rule, or the company had an alert
        of the same kind and product group within the cooldown), or None when it alerts."""
        if age_days > rule.freshness_days:
            return f"stale: happened {age_days:.0f} days ago (freshness {rule.freshness_days:g} days)"
        if recent_alert_id is not None:
            return (
                f"cooldown: alert {recent_alert_id} for the same company, kind and "
                f"product group within {self.cooldown_hours:g} h"
            )
        return None

    def priority(self, priority_score: float) -> Priority:
        if priority_score >= self.priority_high:
            return Priority.HIGH
        if priority_score >= self.priority_medium:
            return Priority.MEDIUM
        return Priority.LOW


def load_rules(path: Path) -> RuleSet:
    if not path.exists():
        raise ConfigError(f"rules file {path} does not exist")
    try:
        return RuleSet.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:
        raise ConfigError(f"rules file {path}: {exc}") from exc
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"rules file {path}: {details}") from exc
