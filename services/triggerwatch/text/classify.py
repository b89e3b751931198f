"""Trigger classification of news, releases and job ads in Finnish, Swedish and English.

The rules live in :mod:`triggerwatch.text.triggers` (clause-level verb + subject rules, Finnish
cases for roles, negation and hypotheticals, calibrated confidence); this module is the stable
entry point for callers:

* :func:`classify_all` — every trigger of an item (an acquisition with layoffs is two), strongest
  first, each with its subject companies and their roles;
* :func:`classify` — only the strongest one, or None for ordinary news (the pre-issue-16 API).

``attributes`` carry what the event contract carries: ``evidence_sentence``,
``classifier_confidence``, ``classifier_rule`` and the kind's own facts (``role``, ``change``,
``person_name`` for decision-maker changes; ``role`` and ``counterparty`` for mergers;
``openings``, ``affected``, ``amount``, ``deal_value`` where the text gives them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from triggerwatch.core.contracts import EventKind
from triggerwatch.text.linker import CompanyLinker
from triggerwatch.text.triggers import Subject, Trigger, detect_language, find_triggers

AttrValue = str | int | float

__all__ = ["Classification", "Subject", "classify", "classify_all", "detect_language"]


@dataclass(frozen=True)
class Classification:
    kind: EventKind
    attributes: dict[str, AttrValue] = field(default_factory=dict)
    evidence_sentence: str = ""
    confidence: float = 0.0
    subjects: tuple[Subject, ...] = ()
    rule: str = ""


def _classification(trigger: Trigger) -> Classification:
    attributes: dict[str, AttrValue] = {
        **trigger.attributes,
        "evidence_sentence": trigger.evidence_sentence[:1000],
        "classifier_confidence": trigger.confidence,
        "classifier_rule": trigger.rule,
    }
    return Classification(
        trigger.kind,
        attributes,
        trigger.evidence_sentence,
        trigger.confidence,
        trigger.subjects,
        trigger.rule,
    )


def classify_all(
    title: str,
    body: str | None = None,
    language: str | None = None,
    *,
    linker: CompanyLinker | None = None,
    published_year: int | None = None,
) -> list[Classification]:
    """Every trigger the item reports, strongest first; [] for ordinary news."""
    found = find_triggers(title, body, language, linker=linker, published_year=published_year)
    return [_classification(t) for t in found]


def classify(
    title: str,
    body: str | None = None,
    language: str | None = None,
    *,
    linker: CompanyLinker | None = None,
) -> Classification | None:
    """The strongest trigger an item reports, or None when it is ordinary news."""
    found = classify_all(title, body, language, linker=linker)
    return found[0] if found else None
