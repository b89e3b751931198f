"""The shape of the English and Swedish phrase lexicons (:mod:`.lexicon_en`, :mod:`.lexicon_sv`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from triggerwatch.core.contracts import EventKind
from triggerwatch.text.triggers.frames import Hedges


@dataclass(frozen=True)
class Frame:
    """A trigger phrase and how its companies get their roles (by word order)."""

    kind: EventKind
    rule: str
    pattern: re.Pattern[str]
    shape: str  # agent_object | passive_by | sell | merge | subject | invest_in | appoint | leave | buyer


@dataclass(frozen=True)
class Lexicon:
    hedges: Hedges
    openers: frozenset[str]
    speech: frozenset[str]
    anaphors: frozenset[str]
    frames: tuple[Frame, ...]
    to: frozenset[str]  # marks the buyer after "sells": "to", "till"
    by: frozenset[str]  # the agent of a passive: "by", "av"
    source: frozenset[str]  # a seller: "from", "från"
    into: frozenset[str]  # the company invested in: "in", "i"
    at: frozenset[str]  # where something happens: "at", "på", "hos"
    business: re.Pattern[str]  # what can be bought or sold besides a named company
    routine: re.Pattern[str]  # an award, an AGM, a re-election: not a change of management


def alt(*phrases: str) -> str:
    """``\\b(?:a|b|c)\\b``: any of the phrases (regular expressions), as whole words."""
    return r"\b(?:" + "|".join(phrases) + r")\b"


def frame(kind: EventKind, rule: str, shape: str, *phrases: str) -> Frame:
    return Frame(kind, rule, re.compile(alt(*phrases), re.IGNORECASE), shape)


def near(first: str, second: str, gap: int = 40) -> str:
    """``first`` followed within ``gap`` characters (in the sentence) by ``second``."""
    return rf"{first}\b[^.]{{0,{gap}}}?{second}"
