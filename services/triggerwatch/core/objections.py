"""The objection register (GDPR Art. 21): who must never be contacted.

Entries are business IDs (the whole company), person names and e-mail addresses. One function
decides whether something may be shown or sent: :meth:`ObjectionRegister.reason` (and
:func:`is_objected`, which loads the register for one alert). Every surface that shows or sends a
company or a person calls it:

* the worker builds no alert for an objected company or person (and no update of one);
* the notifier checks every alert before any sink, and every alert of a digest;
* the web UI's feed and the rep API leave objected alerts out; the company page and the company
  API say "do not contact" and withhold the timeline items that name an objected company or person;
* exports (the CRM pull, ``triggers.csv``) skip objected alerts and count them;
* a backtest or any other tool that replays stored alerts loads the register once
  (:meth:`ObjectionRegister.load`) and asks :meth:`ObjectionRegister.reason` per alert.

A person's name matches in the inflected forms Finnish gives it in running text: only the last
part of the name inflects ("Matti Virtaselle", "Matti Virtasen", "Anna Lahden"), so the earlier
parts must appear as they are and the last one with any ending on its stem (including consonant
gradation, tt → t, ht → hd, nt → nn, ...). This errs towards withholding.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from triggerwatch.core.businessid import normalise_business_id
from triggerwatch.core.contracts import AlertV1
from triggerwatch.core.db import Objection, insert_ignore, utcnow

KINDS = ("business_id", "person", "email")


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def value_key(kind: str, value: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"objection kind must be one of {KINDS}, not {kind!r}")
    if kind == "business_id":
        bid = normalise_business_id(value)
        if bid is None:
            raise ValueError(f"not a valid Finnish business ID: {value!r}")
        return bid
    folded = _fold(value)
    if not folded:
        raise ValueError("an objection needs a value")
    return folded


def add_objection(session: Session, kind: str, value: str, reason: str | None = None) -> bool:
    """True when added, False when it was registered already."""
    row = {"kind": kind, "value": value.strip(), "value_key": value_key(kind, value), "reason": reason}
    return insert_ignore(session, Objection, [row | {"created_at": utcnow()}], ["kind", "value_key"]) == 1


def remove_objection(session: Session, kind: str, value: str) -> bool:
    result = session.execute(
        delete(Objection).where(Objection.kind == kind, Objection.value_key == value_key(kind, value))
    )
    return bool(getattr(result, "rowcount", 0))


def list_objections(session: Session) -> list[Objection]:
    return list(session.scalars(select(Objection).order_by(Objection.kind, Objection.value_key)))


_VOWELS = "aeiouyäöå"
# strong grade → weak grade of the consonants before a Finnish name's last vowel (Lahti → Lahden)
_GRADATION = {
    "kk": "k", "pp": "p", "tt": "t", "nk": "ng", "mp": "mm", "lt": "ll", "nt": "nn", "rt": "rr",
    "ht": "hd", "lk": "l", "rk": "r", "hk": "h", "lp": "lv", "rp": "rv",
    "k": "", "p": "v", "t": "d",
}  # fmt: skip


def _stem_pattern(word: str) -> str:
    """A regex for ``word`` (folded) and its inflected forms: the stem, any ending."""
    if len(word) >= 5 and word.endswith("nen"):  # Virtanen → Virtasen, Virtaselle, Virtasta
        return re.escape(word[:-3]) + r"(?:nen|s)\w*"
    if len(word) >= 4 and word[-1] in _VOWELS:  # Lahti → Lahden, Aalto → Aallon, Mäki → Mäen
        stem = word[:-1]
        for strong in sorted(_GRADATION, key=len, reverse=True):
            if stem.endswith(strong) and len(stem) > len(strong):
                weak = _GRADATION[strong]
                return re.escape(stem[: -len(strong)]) + f"(?:{re.escape(strong)}|{re.escape(weak)})" + r"\w*"
        return re.escape(stem) + r"\w*"
    return re.escape(word) + r"\w*"


def person_pattern(name: str) -> re.Pattern[str]:
    """Matches a registered person's name in folded text, the last part in any inflected form."""
    parts = _fold(name).split()
    if not parts:
        raise ValueError("an objection needs a value")
    head = [re.escape(p) for p in parts[:-1]]
    return re.compile(r"(?<!\w)" + r"\s+".join([*head, _stem_pattern(parts[-1])]))


def _literal(name: str) -> str:
    """Text every match of :func:`person_pattern` contains: the first part of a name of several
    (only the last inflects), else the part of the one word that no ending or gradation changes."""
    parts = name.split()
    return parts[0] if len(parts) > 1 else parts[0][: max(1, len(parts[0]) - 3)]


def _alert_texts(alert: AlertV1) -> Iterable[str]:
    explanation = alert.explanation
    yield from (
        explanation.what_happened,
        explanation.why_it_matters,
        explanation.target_group_rule,
        explanation.next_step,
    )
    for ev in alert.evidence:
        yield from (t for t in (ev.title, ev.excerpt, ev.url, getattr(ev, "url_text", None)) if t)
    yield from alert.facts.values()
    yield from alert.routing.channels


def _texts(payload: Mapping[str, Any]) -> Iterable[str]:
    """Every human-readable text of an alert's or an event's payload (explanation, title, summary,
    evidence, facts, the decision-maker's name)."""
    for value in (payload.get("explanation") or {}).values():
        if isinstance(value, str):
            yield value
    for name in ("title", "summary"):
        if isinstance(payload.get(name), str):
            yield payload[name]
    for ev in payload.get("evidence") or []:
        for name in ("title", "excerpt", "url", "url_text"):
            if isinstance(ev.get(name), str):
                yield ev[name]
    for value in (payload.get("facts") or {}).values():
        if isinstance(value, str):
            yield value
    for value in (payload.get("routing") or {}).get("channels") or []:
        if isinstance(value, str):
            yield value
    person = payload.get("person_name") or (payload.get("attributes") or {}).get("person_name")
    if isinstance(person, str):
        yield person


def _business_ids(payload: Mapping[str, Any]) -> Iterable[str]:
    bid = (payload.get("company") or {}).get("business_id") or payload.get("business_id")
    if isinstance(bid, str) and bid:
        yield bid
    for ref in payload.get("companies") or []:  # an event names companies
        if isinstance(ref, dict) and isinstance(ref.get("business_id"), str):
            yield ref["business_id"]


@dataclass(frozen=True)
class ObjectionRegister:
    """The register as it stood when loaded: checks many alerts with the queries done once
    (an export page checks hundreds, a worker batch thousands)."""

    business_ids: frozenset[str]
    people: tuple[tuple[str, str], ...]  # (kind, folded value) of persons and e-mail addresses
    # (kind, a literal every match contains, the pattern) per entry of people: the literal is looked
    # for first (a substring search), the pattern only in the texts that contain it
    patterns: tuple[tuple[str, str, re.Pattern[str]], ...] = ()

    @classmethod
    def of(cls, business_ids: Iterable[str], people: Iterable[tuple[str, str]]) -> ObjectionRegister:
        entries = tuple((kind, key) for kind, key in people if key)
        patterns = tuple(
            (kind, _literal(key), person_pattern(key))
            if kind == "person"
            else (kind, key, re.compile(re.escape(key)))
            for kind, key in entries
        )
        return cls(frozenset(business_ids), entries, patterns)

    @classmethod
    def load(cls, session: Session, *, business_ids: Iterable[str] | None = None) -> ObjectionRegister:
        """Every entry, or with ``business_ids`` only those of the business-ID entries (and every
        person and e-mail entry): one indexed lookup for a single alert instead of the whole list."""
        query = select(Objection.kind, Objection.value_key)
        if business_ids is not None:
            query = query.where(
                (Objection.kind != "business_id") | Objection.value_key.in_(set(business_ids))
            )
        rows = session.execute(query).tuples().all()
        return cls.of(
            (key for kind, key in rows if kind == "business_id"),
            ((kind, key) for kind, key in rows if kind in ("person", "email")),
        )

    def __bool__(self) -> bool:
        return bool(self.business_ids or self.people)

    def reason(
        self,
        subject: Mapping[str, Any] | AlertV1,
        *,
        attributes: Mapping[str, Any] | None = None,
    ) -> str | None:
        """THE decision: why this alert (or event, or company) must not be shown to a rep, sent or
        exported, or None. ``subject`` is an alert (model or JSON payload), an event's payload, or
        ``{"business_id": ...}`` for a company; ``attributes`` are the attributes of the event an
        alert was built from (the decision-maker's name is one).

        Objected when a business ID of the subject is registered, or when any of its texts (or the
        event's person) names a registered person (inflected forms too) or e-mail address."""
        if isinstance(subject, AlertV1):
            bids: Iterable[str] = (subject.company.business_id or "",)
        else:
            bids = _business_ids(subject)
        for bid in bids:
            if bid and bid in self.business_ids:
                return f"objection: business ID {bid} is in the objection register"
        if not self.patterns:
            return None
        texts = list(_alert_texts(subject) if isinstance(subject, AlertV1) else _texts(subject))
        person = (attributes or {}).get("person_name")
        if isinstance(person, str):
            texts.append(person)
        text = _fold("\n".join(texts))
        for kind, literal, pattern in self.patterns:
            if literal in text and pattern.search(text):
                what = "person" if kind == "person" else "e-mail address"
                return f"objection: the alert names a {what} in the objection register"
        return None


def is_objected(
    session: Session, alert_payload: dict[str, Any] | AlertV1, *, attributes: Mapping[str, Any] | None = None
) -> str | None:
    """The reason this alert must not be delivered or exported, or None: :meth:`ObjectionRegister.reason`
    with the register entries that can concern it (one indexed query)."""
    if isinstance(alert_payload, AlertV1):
        bids = [alert_payload.company.business_id] if alert_payload.company.business_id else []
    else:
        bids = list(_business_ids(alert_payload))
    return ObjectionRegister.load(session, business_ids=bids).reason(alert_payload, attributes=attributes)
