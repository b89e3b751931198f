"""Which of Finnish, Swedish and English a text is in (function words and typical endings)."""

from __future__ import annotations

import re

_SV_WORDS = frozenset(
    {
        "och",
        "är",
        "att",
        "som",
        "för",
        "med",
        "har",
        "till",
        "av",
        "på",
        "en",
        "ett",
        "det",
        "ny",
        "den",
        "om",
        "vi",
    }
)
_EN_WORDS = frozenset(
    {
        "the",
        "and",
        "is",
        "of",
        "to",
        "has",
        "as",
        "for",
        "with",
        "new",
        "a",
        "its",
        "will",
        "be",
        "by",
        "we",
        "in",
    }
)
_FI_WORDS = frozenset(
    {
        "ja",
        "on",
        "että",
        "ei",
        "hän",
        "yhtiö",
        "uusi",
        "oy",
        "oyj",
        "myös",
        "kun",
        "se",
        "ovat",
        "oli",
        "sen",
        "mukaan",
    }
)
SUPPORTED = ("fi", "sv", "en")


def detect_language(text: str) -> str:
    tokens = re.findall(r"\w+", text.casefold())
    scores = {
        "fi": sum(t in _FI_WORDS for t in tokens)
        + sum(t.endswith(("ssa", "ssä", "lle", "sta", "stä", "ksi", "nen")) for t in tokens) * 0.5,
        "sv": sum(t in _SV_WORDS for t in tokens) + 0.1 * any(c in text for c in "å"),
        "en": sum(t in _EN_WORDS for t in tokens),
    }
    return max(scores, key=lambda k: scores[k]) if any(scores.values()) else "fi"


def language_of(text: str, declared: str | None) -> str:
    """The declared language when it is one of ours ("fi-FI" → "fi"), else the detected one."""
    lang = (declared or "").split("-")[0].split("_")[0].lower()
    return lang if lang in SUPPORTED else detect_language(text)
