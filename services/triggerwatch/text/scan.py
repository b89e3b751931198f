"""Preparing a text for the name scan: byte tables, separators, identifiers and legal-form tokens.

Latin-1 text (the common case) is lowercased and its separators mapped in one ``bytes.translate``;
the class of each character (upper case or digit, other letter, ':' or other) comes from a second
table, where tokens end from a third. Text outside Latin-1 is NFC-normalised and handled character by
character where these tables cannot say.
"""

from __future__ import annotations

import re

from stdnum import isin as stdnum_isin
from stdnum import lei as stdnum_lei

from triggerwatch.core.businessid import normalise_business_id
from triggerwatch.text import finnish
from triggerwatch.text.normalise import is_legal_form

BUSINESS_ID = re.compile(r"(?<![\w-])(\d{7}-\d)(?![\w-])")
ISIN_RE = re.compile(r"(?<![A-Z0-9])([A-Z]{2}[A-Z0-9]{9}\d)(?![A-Z0-9])")
LEI_RE = re.compile(r"(?<![A-Z0-9])([A-Z0-9]{18}\d{2})(?![A-Z0-9])")
# the rest of a token after a name: letters and digits, and ':' before more of them (UPM:n)
TOKEN_REST = re.compile(r"(?:[^\W_]|:(?=[^\W_]))*")
DIGIT = re.compile(r"\d")
ID_PATTERNS = (("business_id", BUSINESS_ID), ("isin", ISIN_RE), ("lei", LEI_RE))
# separators that may precede a name, mapped to a space (a name after any other non-word character
# is not found); the unicode ones: no-break space, en/em dash, quotes, guillemets, ellipsis, bullets
SEPARATORS = "\t\n\r\x0b\x0c.,;:!?()[]{}\"'*+=<>|#%$@~^`\\" + "".join(
    chr(c)
    for c in (
        0xA0,
        0x2013,
        0x2014,
        0x201C,
        0x201D,
        0x201E,
        0x2018,
        0x2019,
        0xAB,
        0xBB,
        0x2026,
        0x2022,
        0xB7,
        0xA7,
        0xB0,
    )
)
SEPARATOR_RE = re.compile("[" + re.escape(SEPARATORS) + "]")
# the separators outside Latin-1: replaced one by one (str.replace) before the Latin-1 fast path
WIDE_SEPARATORS = tuple(c for c in SEPARATORS if ord(c) > 0xFF)
# Latin-1 text (the common case) is scanned through bytes.translate: lowercase (str.lower() maps every
# Latin-1 character to one Latin-1 character) and every separator to a space, in one C-level pass.
# Such text is also already NFC: no Latin-1 character decomposes and no two of them compose.
SCAN_TABLE = bytes(32 if chr(c) in SEPARATORS else ord(chr(c).lower()) for c in range(256))
# the class of each character, for the checks around a hit (one C-level pass per text): 'A' upper
# case or digit (a name starts so), 'a' other letters and digits, ':' itself, ' ' anything else;
# '?' (and characters outside Latin-1, encoded as '?') means: look at the character itself
CLASS_TABLE = bytes(
    63
    if c == 63
    else 65
    if chr(c).isupper() or chr(c).isdigit()
    else 97
    if chr(c).isalnum()
    else 58
    if c == 58
    else 32
    for c in range(256)
)
# letters and digits (as TOKEN_REST has them) → 'x', anything else → ' ': where a token ends
RUN_TABLE = bytes(120 if chr(c).isalnum() and c != 63 else 32 for c in range(256))
# an automaton value: entry index << LEN_BITS | the key's length (LEN_MASK: longer, look it up)
LEN_BITS = 12
LEN_MASK = (1 << LEN_BITS) - 1
# identifier pre-checks (Latin-1 text): ASCII digits → '0', '-' stays, uppercase ASCII and digits → 'A'
DIGIT_TABLE = bytes(48 if 48 <= c <= 57 else 45 if c == 45 else 120 for c in range(256))
ALNUM_TABLE = bytes(65 if 48 <= c <= 57 or 65 <= c <= 90 else 120 for c in range(256))
# the legal form (or other word) after a name: optional spaces, then one word
AFTER = re.compile(r"[ \t]*([\w&/:.\-]+)")


def identifier_kind(value: str) -> str | None:
    """'business_id', 'isin' or 'lei' when ``value`` is a valid identifier of that kind."""
    v = value.strip()
    if normalise_business_id(v) == v:
        return "business_id"
    if len(v) == 12 and stdnum_isin.is_valid(v):
        return "isin"
    if len(v) == 20 and stdnum_lei.is_valid(v):
        return "lei"
    return None


def lower_same_length(text: str) -> str:
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters grow when lowercased (İ): keep offsets exact
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return lowered


def latin1(text: str) -> bytes | None:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return None


def is_legal_token(token: str) -> bool:
    """'Oy', 'Oyj:n', 'OY.', 'Corporationin' (a legal form, possibly inflected)."""
    token = token.rstrip(".,").partition(":")[0]
    if is_legal_form(token):
        return True
    folded = token.casefold()
    return any(
        folded.startswith(form) and finnish.is_case_ending(form, folded[len(form) :])
        for form in ("corporation", "osakeyhtiö", "aktiebolag", "company", "group")
    )


def has_digit(value: str) -> bool:
    """Could ``value`` be an identifier? (cheap pre-check before :func:`identifier_kind`)"""
    return len(value) in (9, 10, 12, 20) and DIGIT.search(value) is not None
