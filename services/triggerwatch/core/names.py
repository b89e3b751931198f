"""Company name keys for exact lookups (fuzzy, inflection-aware linking is a separate component)."""

from __future__ import annotations

import re
import unicodedata


def name_key(name: str) -> str:
    """Case-folded, NFC, single-spaced, without surrounding punctuation: 'Kilosoft Oy.' → 'kilosoft oy'."""
    text = unicodedata.normalize("NFC", name).casefold()
    text = re.sub(r"\s+", " ", text)
    return text.strip(" .,;:-\"'")
