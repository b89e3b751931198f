"""Company-name normalisation: the key a name is indexed and matched under.

``"ACCOUNTOR OY."`` → ``"accountor"``; ``"Alteams Oy, Laihian yksikkö"`` → ``"alteams"``;
``"Oy Karl Fazer Ab"`` → ``"karl fazer"``; ``"Schildts & Söderströms Ab"`` → ``"schildts & söderströms"``.
"""

from __future__ import annotations

import re
import unicodedata

#: legal forms (casefolded, punctuation removed), longest first where they share words
LEGAL_FORMS: frozenset[str] = frozenset(
    {
        "oy",
        "oyj",
        "ab",
        "abp",
        "ky",
        "ay",
        "tmi",
        "osk",
        "ry",
        "osakeyhtiö",
        "julkinen osakeyhtiö",
        "kommandiittiyhtiö",
        "avoin yhtiö",
        "toiminimi",
        "osuuskunta",
        "aktiebolag",
        "publikt aktiebolag",
        "kommanditbolag",
        "handelsbolag",
        "andelslag",
        "ltd",
        "limited",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "llc",
        "plc",
        "gmbh",
        "ag",
        "as",
        "asa",
        "a/s",
        "sa",
        "nv",
        "bv",
        "oü",
        "spa",
        "srl",
    }
)
_MAX_FORM_WORDS = max(len(f.split()) for f in LEGAL_FORMS)

# a comma (or " - ") followed by a unit/branch description ends the legal name
_UNIT_SUFFIX = re.compile(r"\s*(?:,|\s[-\u2013]\s).*$", re.DOTALL)
# keep letters, digits, '&', '/' (a/s) and inner hyphens; everything else separates words
_PUNCT = re.compile(r"[^\w&/\-]+")


def fold(text: str) -> str:
    """NFC + casefold + single spaces."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text).casefold()).strip()


def words(name: str) -> list[str]:
    """The name's words, casefolded, punctuation removed (a trailing '.' or ':' is punctuation)."""
    text = _PUNCT.sub(" ", fold(name))
    return [w.strip("-/") for w in text.split() if w.strip("-/")]


def strip_legal_forms(tokens: list[str]) -> tuple[list[str], bool]:
    """Remove legal forms at the end and at the start; True when any was removed."""
    removed = False
    changed = True
    while changed and tokens:
        changed = False
        for n in range(min(_MAX_FORM_WORDS, len(tokens) - 1), 0, -1):
            if " ".join(tokens[-n:]) in LEGAL_FORMS:
                tokens, changed, removed = tokens[:-n], True, True
                break
            if " ".join(tokens[:n]) in LEGAL_FORMS:
                tokens, changed, removed = tokens[n:], True, True
                break
    return tokens, removed


def normalise_name(name: str) -> str:
    """The matching key of a company name ('' when nothing but a legal form is left)."""
    head = _UNIT_SUFFIX.sub("", unicodedata.normalize("NFC", name).strip())
    tokens, _ = strip_legal_forms(words(head or name))
    return " ".join(tokens)


def is_legal_form(token: str) -> bool:
    return token.casefold().strip(".:") in LEGAL_FORMS
