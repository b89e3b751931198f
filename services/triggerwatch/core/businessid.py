"""Finnish business IDs (Y-tunnus): normalise every written form and validate the check digit."""

from __future__ import annotations

import re
from functools import lru_cache

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)
_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2212": "-"})
_FORMS = re.compile(r"^(?:FI)?\s*(\d{6,7})-?(\d)$", re.IGNORECASE)


def check_digit(first_seven: str) -> int | None:
    """The check digit for seven digits, or None when no digit can be valid (remainder 1)."""
    remainder = sum(int(d) * w for d, w in zip(first_seven, _WEIGHTS, strict=True)) % 11
    if remainder == 0:
        return 0
    if remainder == 1:
        return None
    return 11 - remainder


@lru_cache(maxsize=65536)  # pure, and the stream worker sees the same IDs again and again
def normalise_business_id(value: str) -> str | None:
    """Any written form → ``1234567-8``; None when invalid.

    Accepts ``1234567-8``, ``FI12345678``, ``12345678`` and the old six-digit ``123456-8``, with
    any whitespace (also no-break spaces) anywhere and a typographic dash (en dash U+2013,
    non-breaking hyphen U+2011, ...) for the hyphen, as notices and registries write them.
    """
    compact = "".join(value.split()).translate(_DASHES)
    match = _FORMS.match(compact)
    if not match:
        return None
    body, digit = match.group(1).zfill(7), int(match.group(2))
    return f"{body}-{digit}" if check_digit(body) == digit else None


def is_valid_business_id(value: str) -> bool:
    return normalise_business_id(value) == value
