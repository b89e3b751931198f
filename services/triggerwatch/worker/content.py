"""What an alert says: its facts, texts, evidence, confidence and priority (pure functions, no I/O).

The processor (``processing.py``) decides *whether* an event alerts; this module builds *what* the
alert says, in English and Finnish, and how a corroborating event updates it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from triggerwatch.core.contracts import AlertV1, CompanyRef, CompanyRole, EventKind, Evidence, TriggerEventV1
from triggerwatch.core.labels import ROLE_NAMES
from triggerwatch.core.rules import RuleMatch, RuleSet


@dataclass(frozen=True, slots=True)
class CompanyFacts:
    """What an alert needs of a company (read with one light query per batch, no ORM objects)."""

    business_id: str
    name: str
    region: str | None
    industry_code: str | None


@dataclass(frozen=True, slots=True)
class GroupScore:
    """A company's score in one product group, with the target group that explains it; for an
    existing customer, its cross-sell offer of the group (``customer_offers``)."""

    product_group: str
    score: float
    target_group_id: str
    rule: str
    rule_fi: str | None
    cross_sell: bool = False  # an existing customer's next-best-offer, not a prospect's score
    offer_rank: int | None = None  # 1: what to offer this customer first
    adoption_rate: float | None = None  # share of similar customers that buy the group
    expected_margin: float | None = None  # adoption x similar buyers' mean margin


def cross_sell_texts(score: GroupScore) -> tuple[str, str, str, str]:
    """A cross-sell's recommended offer and the sentence it adds to the next step (en, fi)."""
    pg = score.product_group
    share = f"{score.adoption_rate:.0%}" if score.adoption_rate is not None else None
    margin = f"{score.expected_margin:,.0f}".replace(",", " ") if score.expected_margin is not None else None
    en = f"Existing customer: offer {pg} as a cross-sell"
    fi = f"Nykyinen asiakas: tarjoa lisämyyntinä {pg}"
    if share is not None:  # Finnish puts a space before the per cent sign
        en += f" ({share} of similar customers buy it"
        fi += f" ({share.replace('%', ' %')} samankaltaisista asiakkaista ostaa sitä"
        if margin is not None:
            en += f"; expected margin {margin}"
            fi += f"; odotettu kate {margin}"
        en += ")"
        fi += ")"
    return f"cross-sell: {pg}", f"lisämyynti: {pg}", en + ".", fi + "."


SOURCE_CONFIDENCE = 0.6  # one source; n independent sources: 1 - (1 - 0.6)^n

_DEAL_PARTS = (CompanyRole.ACQUIRER, CompanyRole.TARGET, CompanyRole.SELLER)


def confidence_for(sources: int, mention_confidence: float = 1.0) -> float:
    return round((1 - (1 - SOURCE_CONFIDENCE) ** max(1, sources)) * mention_confidence, 4)


def corroboration_factor(sources: int) -> float:
    return min(1.5, 1 + 0.25 * (max(1, sources) - 1))


def facts_for(
    event: TriggerEventV1, now: datetime, subject: CompanyRef | None = None
) -> tuple[dict[str, str], str, str]:
    """Concrete facts of the event for the alert's company (``subject``: its reference in the event,
    with its part: acquirer or target, joined or left) and the sentences they add to the next step
    (en, fi)."""
    facts: dict[str, str] = {}
    en: list[str] = []
    fi: list[str] = []
    attrs = event.attributes
    deadline = attrs.get("deadline")
    if isinstance(deadline, str) and deadline:
        try:
            when = datetime.fromisoformat(deadline.replace("Z", "+00:00"))
        except ValueError:
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=now.tzinfo)
            days = math.ceil((when - now).total_seconds() / 86400)
            facts["deadline"] = when.date().isoformat()
            facts["days_to_deadline"] = str(days)
            if days >= 0:
                en.append(f"Tender deadline in {days} days ({when.date().isoformat()}).")
                fi.append(f"Tarjousten määräaika {days} päivän päästä ({when.date().isoformat()}).")
            else:
                en.append(f"The tender deadline passed on {when.date().isoformat()}.")
                fi.append(f"Tarjousten määräaika päättyi {when.date().isoformat()}.")
    part = subject.role if subject is not None else CompanyRole.SUBJECT
    role = attrs.get("role")
    if event.kind is EventKind.DECISION_MAKER_CHANGE and isinstance(role, str) and role:
        facts["role"] = role
        role_en, role_fi, role_fi_partitive = ROLE_NAMES.get(role, ROLE_NAMES["other"])
        leaving = part is CompanyRole.LEAVING or (
            part is CompanyRole.SUBJECT and attrs.get("change") == "leaving"
        )
        facts["change"] = "leaving" if leaving else "appointed"
        person = attrs.get("person_name")
        if isinstance(person, str) and person:
            facts["person_name"] = person
        if leaving:
            en.append(f"The {role_en} is leaving: reach the successor early.")
            fi.append(f"{role_fi.capitalize()} vaihtuu: tavoita seuraaja ajoissa.")
        else:
            en.append(f"Congratulate the new {role_en}.")
            fi.append(f"Onnittele uutta {role_fi_partitive}.")
    if event.kind is EventKind.MERGER and part in _DEAL_PARTS:
        facts["deal_role"] = str(part)
        others = [r.name for r in event.companies if r.role in _DEAL_PARTS and r.name and r != subject]
        if others:
            facts["counterparty"] = others[0]
            if part is CompanyRole.ACQUIRER:
                en.append(f"Buying {others[0]}.")
                fi.append(f"Yrityskauppa: ostokohteena {others[0]}.")
            elif part is CompanyRole.TARGET:
                en.append(f"Being bought by {others[0]}.")
                fi.append(f"Yrityskauppa: ostajana {others[0]}.")
            else:
                en.append(f"Selling to {others[0]}.")
                fi.append(f"Yrityskauppa: ostajana {others[0]}.")
    openings = attrs.get("openings")
    if isinstance(openings, int) and not isinstance(openings, bool) and openings > 1:
        facts["openings"] = str(openings)
        en.append(f"{openings} openings.")
        fi.append(f"{openings} avointa paikkaa.")
    return facts, " ".join(en), " ".join(fi)


def corroboration_key(event: TriggerEventV1) -> str | None:
    """What identifies the same real-world event across sources (beyond the company and kind)."""
    attrs = event.attributes
    role = attrs.get("role")
    if event.kind is EventKind.DECISION_MAKER_CHANGE and isinstance(role, str) and role:
        return f"role:{role}"
    for name in ("dedup_key", "notice_id"):
        value = attrs.get(name)
        if value not in (None, ""):
            return f"{name}:{value}"
    return None


def event_dedup_key(event: TriggerEventV1) -> str | None:
    """The event's ``dedup_key`` attribute: items with the same one join one alert (twins)."""
    value = event.attributes.get("dedup_key")
    return str(value) if value not in (None, "") else None


def source_link(event: TriggerEventV1) -> dict[str, Any]:
    """The evidence of an event that brings none of its own: its source item, as one link."""
    return {
        "url": event.source_url,
        "source": event.source,
        "title": event.title[:1000],
        "url_text": event.source_url_text,
    }


def evidence_of(event: TriggerEventV1) -> list[Evidence]:
    if event.evidence:
        return list(event.evidence)
    return [Evidence.model_validate(source_link(event))]


def merge_evidence(old: list[Evidence], new: list[Evidence]) -> list[Evidence]:
    seen = {(e.url, e.source) for e in old}
    merged = list(old)
    for e in new:
        if (e.url, e.source) not in seen:
            seen.add((e.url, e.source))
            merged.append(e)
    return merged


def corroborate(rules: RuleSet, stored: AlertV1, event: TriggerEventV1) -> tuple[AlertV1, bool] | None:
    """A stored alert joined by another event about it: the updated alert and whether it is an
    independent confirmation (another source: a new revision, higher confidence and priority, sent
    again) rather than a silent twin. None for a replay of an event the alert already has."""
    if event.event_id in stored.event_ids:
        return None
    key = event_dedup_key(event)
    twin = key is not None and key == stored.dedup_key
    independent = not twin and event.source not in stored.sources
    sources = stored.sources + ([event.source] if event.source not in stored.sources else [])
    changes: dict[str, object] = {
        "event_ids": [*stored.event_ids, event.event_id],
        "evidence": merge_evidence(list(stored.evidence), evidence_of(event)),
        "sources": sources,
    }
    if independent:
        base = stored.priority_score / corroboration_factor(len(stored.sources))
        priority_score = round(base * corroboration_factor(len(sources)), 4)
        mention = stored.confidence / confidence_for(len(stored.sources)) if stored.sources else 1.0
        changes |= {
            "revision": stored.revision + 1,
            "confidence": min(1.0, confidence_for(len(sources), min(1.0, mention))),
            "priority_score": priority_score,
            "priority": rules.priority(priority_score),
        }
    return stored.model_copy(update=changes), independent


def build_alert(
    rules: RuleSet,
    alert_id: str,
    event: TriggerEventV1,
    company: CompanyFacts,
    score: GroupScore,
    match: RuleMatch,
    age_days: float,
    now: datetime,
    mention_confidence: float = 1.0,
    subject: CompanyRef | None = None,
) -> AlertV1:
    """The explained alert for one event, company and product group (pure: no I/O)."""
    rule = match.rule
    recency = max(0.0, 1 - age_days / rule.freshness_days)
    priority_score = round(score.score * rule.weight * (0.5 + 0.5 * recency), 4)
    lang = rules.language
    fmt = {"company": company.name, "product_group": score.product_group}
    facts, extra_en, extra_fi = facts_for(event, now, subject)
    if match.relevance != "any":
        facts["relevance"] = match.relevance
    offer = score.product_group
    cross_en = cross_fi = ""
    if score.cross_sell:
        offer_en, offer_fi, cross_en, cross_fi = cross_sell_texts(score)
        offer = offer_fi if lang == "fi" else offer_en
        facts["offer"] = "cross-sell"
        if score.offer_rank is not None:
            facts["offer_rank"] = str(score.offer_rank)
        if score.adoption_rate is not None:
            facts["adoption_rate"] = f"{score.adoption_rate:.4f}"
        if score.expected_margin is not None:
            facts["expected_margin"] = f"{score.expected_margin:.2f}"
    next_en = " ".join(p for p in (cross_en, rule.next_step.en.format(**fmt), extra_en) if p)
    next_fi = " ".join(p for p in (cross_fi, rule.next_step.fi.format(**fmt), extra_fi) if p)
    facts["next_step_en"], facts["next_step_fi"] = next_en, next_fi
    owner = rules.routing.owner(
        score.product_group,
        company.region,
        business_id=company.business_id,
        industry_code=company.industry_code,
    )
    what = " ".join(f"{company.name}: {event.title}".split())  # one line
    # One validation of the whole nested shape (pydantic-core), not one per nested model.
    return AlertV1.model_validate(
        {
            "alert_id": alert_id,
            "event_ids": [event.event_id],
            "kind": event.kind,
            "company": {
                "business_id": company.business_id,
                "name": company.name,
                "role": subject.role if subject is not None else CompanyRole.SUBJECT,
            },
            "product_group": score.product_group,
            "target_group_id": score.target_group_id,
            "score": round(score.score, 4),
            "priority": rules.priority(priority_score),
            "priority_score": priority_score,
            "explanation": {
                "what_happened": what,
                "why_it_matters": rule.why.get(lang).format(**fmt),
                "target_group_rule": score.rule_fi if lang == "fi" and score.rule_fi else score.rule,
                "next_step": next_fi if lang == "fi" else next_en,
            },
            "recommended_offer": offer,
            # the event's own evidence as it is; else its source link, validated with the alert
            "evidence": event.evidence or [source_link(event)],
            "routing": {"owner": owner, "channels": rules.routing.channels(owner)},
            "occurred_at": event.occurred_at,
            "created_at": now,
            "language": lang,
            "confidence": confidence_for(1, mention_confidence),
            "sources": [event.source],
            "dedup_key": event_dedup_key(event),
            "facts": facts,
        }
    )
