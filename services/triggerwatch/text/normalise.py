"""Company-name normalisation: the key a name is indexed and matched under.

``"ACCOUNTOR OY."`` → ``"accountor"``; ``"Alteams Oy, Laihian yksikkö"`` → ``"alteams"``;
``"Oy Karl Fazer Ab"`` → ``"karl fazer"``; ``"Schildts & Söderströms Ab"`` → ``"schildts & söderströms"``;
``"Koninklijke Philips N.V."`` → ``"koninklijke philips"`` (dotted forms: S.A., N.V., B.V., S.p.A.).
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
        "se",
        "sas",
        "sarl",
        "sl",
        "ltda",
        "kg",
        "kgaa",
        "aps",
        "pty",
        "bhd",
        "kk",
        "lp",
        "llp",
        "publ",
        "amba",
    }
)
assert max(len(f.split()) for f in LEGAL_FORMS) <= 2
# the words a legal form can start or end with (a cheap test before stripping)
_FIRST_WORDS = frozenset(f.split()[0] for f in LEGAL_FORMS)
_LAST_WORDS = frozenset(f.split()[-1] for f in LEGAL_FORMS)

# a comma (or " - ") followed by a unit/branch description ends the legal name
_UNIT_SUFFIX = re.compile(r"\s*(?:,|\s[-\u2013]\s).*$", re.DOTALL)
# keep letters, digits, '&', '/' (a/s) and inner hyphens; everything else separates words
_PUNCT = re.compile(r"[^\w&/\-]+")
# dotted abbreviations ("S.A.", "N.V.", "S.p.A."): one word without the dots
_DOTTED = re.compile(r"(?<![\w.])((?:[^\W\d_]{1,2}\.){2,})(?![\w])")


def fold(text: str) -> str:
    """NFC + casefold + single spaces."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())  # split(): \s as re has it


def words(name: str) -> list[str]:
    """The name's words, casefolded, punctuation removed (a trailing '.' or ':' is punctuation)."""
    text = unicodedata.normalize("NFC", name).casefold()
    tokens = text.split()
    if all(t.isalnum() for t in tokens):  # nothing to remove: letters and digits only (\w ⊇ isalnum)
        return tokens
    if "." in text:
        text = _DOTTED.sub(_undot_legal_form, text)
    text = _PUNCT.sub(" ", text)
    tokens = text.split()
    if "-" in text or "/" in text:
        tokens = [w for w in (t.strip("-/") for t in tokens) if w]
    return tokens


def _undot_legal_form(m: re.Match[str]) -> str:
    """'s.a.' → 'sa ' when it is a legal form; other dotted abbreviations ('u.s.') stay as written."""
    undotted = m.group(1).replace(".", "")
    return undotted + " " if undotted in LEGAL_FORMS else m.group(1)


def strip_legal_forms(tokens: list[str]) -> tuple[list[str], bool]:
    """Remove legal forms at the end and at the start; True when any was removed."""
    removed = False
    if tokens and tokens[0] not in _FIRST_WORDS and tokens[-1] not in _LAST_WORDS:
        return tokens, removed  # the common case: no legal form at either end
    while len(tokens) > 1:
        if len(tokens) > 2 and f"{tokens[-2]} {tokens[-1]}" in LEGAL_FORMS:
            tokens = tokens[:-2]
        elif tokens[-1] in LEGAL_FORMS:
            tokens = tokens[:-1]
        elif len(tokens) > 2 and f"{tokens[0]} {tokens[1]}" in LEGAL_FORMS:
            tokens = tokens[2:]
        elif tokens[0] in LEGAL_FORMS:
            tokens = tokens[1:]
        else:
            break
        removed = True
    return tokens, removed


def normalise_name(name: str) -> str:
    """The matching key of a company name ('' when nothing but a legal form is left)."""
    head = _UNIT_SUFFIX.sub("", name.strip()) if ("," in name or " - " in name or "\u2013" in name) else name
    tokens, _ = strip_legal_forms(words(head or name))
    return " ".join(tokens)


def is_legal_form(token: str) -> bool:
    return token.casefold().strip(".:") in LEGAL_FORMS
