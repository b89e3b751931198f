"""Trigger understanding: which sales triggers a news item reports, about which companies.

``find_triggers(title, body, language, linker=...)`` → a list of :class:`Trigger` (kind, subject
companies with roles, attributes, evidence sentence, calibrated confidence); empty for ordinary news.
See docs/classification.md.
"""

from triggerwatch.text.triggers.article import DEFAULT_THRESHOLD, Subject, Trigger, find_triggers
from triggerwatch.text.triggers.language import detect_language

__all__ = ["DEFAULT_THRESHOLD", "Subject", "Trigger", "detect_language", "find_triggers"]
