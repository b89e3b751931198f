"""The names a company is written under, derived when the index is built.

Every registered name is normalised (:func:`normalise.normalise_name`: legal forms at either end
stripped). Each key then has a *level*, and a key belongs only to the companies of its best level:

0. a current name: the main name, parallel and auxiliary trade names (aputoiminimet), aliases;
1. a former name (YTJ ``names`` with an end date): "Tieto" after TietoEVRY, linked as a former name;
2. a derived short form: generic tails stripped from the end of a current name, one word at a time
   (:data:`GENERIC_TAILS`: "Alibaba Group Holding" → "Alibaba Group" → "Alibaba"; "Samsung
   Electronics" → "Samsung"; "Meta Platforms" → "Meta"; "Ford Motor" → "Ford"), and generic words
   from its start ("The", "Keskinäinen Työeläkevakuutusyhtiö Ilmarinen" → "Ilmarinen");
3. a short form written in capitals (:func:`written_short_forms`: "Inter IKEA Systems" → "IKEA",
   "UPM-Kymmene" → "UPM", "Suomen Osuuskauppojen Keskuskunta" → "SOK"), which links only where the
   text writes it in capitals too.

A short form that another company also has (as a short form, or as the first word of a longer key:
"Samsung" next to "Samsung SDI") is *ambiguous*: it keeps every such company as a candidate and links
to none of them on its own (the document may still settle it: see :mod:`triggerwatch.text.discourse`).
A short form that is some company's current or former name belongs to that company only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from triggerwatch.text.normalise import LEGAL_FORMS, is_legal_form

CURRENT, FORMER, SHORT, CAPITALS = 0, 1, 2, 3
LEVEL_NAMES = {CURRENT: "name", FORMER: "former name", SHORT: "short name", CAPITALS: "short name"}

#: words at the end of a name that say what kind of company it is, not which (en/fi/sv)
GENERIC_TAILS: frozenset[str] = frozenset(
    {
        # corporate structure
        "group", "groupe", "gruppe", "grupo", "gruppen", "holding", "holdings", "konserni", "yhtymä",
        "yhtiöt", "ryhmä", "koncernen", "koncern", "international", "internationaal", "global",
        "worldwide", "enterprises", "industries", "industrier", "teollisuus", "brands", "partners",
        "ventures", "capital", "investments", "com", "and", "&", "the",
        # countries and regions a subsidiary is named after
        "finland", "suomi", "sverige", "sweden", "nordic", "nordics", "norden", "scandinavia",
        "europe", "emea", "usa", "america", "deutschland",
        # what the company makes or does, in English (foreign groups' registered names)
        "electronics", "technologies", "technology", "systems", "solutions", "services", "software",
        "motor", "motors", "platforms", "pharmaceuticals", "pharma", "communications", "networks",
        "entertainment", "interactive", "labs", "laboratories", "bank", "financial", "energy",
        "airlines", "automotive", "semiconductor", "semiconductors", "telecom", "telecommunications",
        "media", "digital", "online", "studios", "games", "retail", "stores", "foods", "food",
        "engineering", "insurance", "assurance", "stiftung", "forsikring", "försäkring",
        "skadeförsäkring", "car", "cars", "airways",
        # the same in Finnish and Swedish, only the corporate ones
        "pankki", "pankkiiri", "palvelut", "pankkiirit", "banken",
    }
)
_MIN_SHORT = 2  # characters: "X Corp." is not shortened to "X" (but "Qt Group" is to "Qt")
#: words at the start of a name that say what kind of company it is ("Keskinäinen
#: Työeläkevakuutusyhtiö Ilmarinen", "Telefonaktiebolaget LM Ericsson")
GENERIC_HEADS: frozenset[str] = frozenset({"keskinäinen", "ömsesidiga", "the", "inter"})
_GENERIC_HEAD_ENDINGS = ("yhtiö", "aktiebolaget", "bolaget", "osuuskunta", "osakeyhtiö")


def short_forms(key: str) -> list[str]:
    """Short forms of a normalised key, longest first ("alibaba group holding" → ["alibaba group",
    "alibaba"]); [] when nothing generic can be stripped.

    Generic words go from the start ("keskinäinen työeläkevakuutusyhtiö ilmarinen" → "ilmarinen";
    "telefonaktiebolaget lm ericsson" → "lm ericsson" → "ericsson", initials after them too) and from
    the end, one word at a time; a hyphenated last word with a generic tail loses it ("vr-yhtymä" →
    "vr").
    """
    tokens = key.split(" ")
    out: list[str] = []
    stripped = False
    while len(tokens) > 1 and (tokens[0] in GENERIC_HEADS or tokens[0].endswith(_GENERIC_HEAD_ENDINGS)):
        tokens, stripped = tokens[1:], True
    if stripped and len(tokens) > 1 and len(tokens[0]) <= 2 and len(tokens[1]) > 2:
        out.append(" ".join(tokens))
        tokens = tokens[1:]  # initials: "lm ericsson" → "ericsson"
    if stripped:
        out.append(" ".join(tokens))
    while len(tokens) > 1 and tokens[-1] in GENERIC_TAILS:
        tokens = tokens[:-1]
        while len(tokens) > 1 and tokens[-1] in ("&", "and", "och", "ja", "und", "et"):
            tokens = tokens[:-1]
        out.append(" ".join(tokens))
    head, dash, tail = tokens[-1].rpartition("-")
    if dash and head and tail in GENERIC_TAILS:
        out.append(" ".join([*tokens[:-1], head]))
    return [s for s in dict.fromkeys(out) if _usable(s) and s != key]


#: a name that may have written short forms: two capitals in a row, "&", four words or more, or three
#: whose last is no legal form (a word of four letters or more)
WRITTEN_HINT = re.compile(r"[^\W\d_a-zåäöü]{2}|&|\S \S+ \S+ \S|^\S+ \S+ [^\W\d_]{4}")


def written_short_forms(name: str) -> list[str]:
    """Short forms only the written name shows (capitals), casefolded: a word in capitals inside a
    longer name ("Inter IKEA Systems B.V." → "ikea"), the capitals before a hyphen ("UPM-Kymmene Oyj"
    → "upm", "VR-Yhtymä Oyj" → "vr"), single letters joined by '&' ("H & M Hennes & Mauritz AB" →
    "h&m") and the initials of a name of three or more capitalised words, none of them generic
    ("Suomen Osuuskauppojen Keskuskunta" → "sok", "Koninklijke Luchtvaart Maatschappij N.V." →
    "klm"). Such a short form matches only where the text writes it in capitals (see the linker)."""
    words = [w.strip(".,()") for w in name.split()]
    words = [w for w in words if w and not is_legal_form(w)]
    out: list[str] = []
    if len(words) > 1:
        out.extend(w.casefold() for w in words if len(w) >= 3 and w.isalpha() and w.isupper())
    if words:
        head, dash, _ = words[0].partition("-")
        if dash and 2 <= len(head) <= 5 and head.isalpha() and head.isupper():
            out.append(head.casefold())
    if len(words) >= 3 and len(words[0]) == 1 and words[1] == "&" and len(words[2]) == 1:
        out.append(f"{words[0]}&{words[2]}".casefold())
    significant = [w for w in words if w.casefold() not in ("and", "&", "och", "ja", "of", "the")]
    if (
        len(significant) >= 3
        and all(w[:1].isupper() and w.isalpha() for w in significant)
        and not any(w.casefold() in GENERIC_TAILS for w in significant)
    ):
        out.append("".join(w[0] for w in significant).casefold())
    return [s for s in dict.fromkeys(out) if len(s) >= 2]


def _usable(short: str) -> bool:
    return (
        len(short) >= _MIN_SHORT
        and short not in GENERIC_TAILS
        and short not in LEGAL_FORMS
        and any(c.isalpha() for c in short)
    )


def derive_short_forms(current: Iterable[tuple[str, str | tuple[str, ...]]]) -> dict[str, list[str]]:
    """Short forms of the current keys, each with its candidate companies.

    ``current``: (key, owner or owners) of every current key (iterated twice). A short form's
    candidates are every company that derives it and every company with a longer key that starts
    with it as a word ("samsung" is also the start of "samsung sdi"). The index keeps a short form
    only where no company has it as a current or former name.
    """
    shorts: dict[str, list[str]] = {}
    tails = GENERIC_TAILS
    current = list(current)
    for key, owners in current:
        _, sep, last = key.rpartition(" ")
        first = key[: key.find(" ")] if sep else key
        if (sep and (last in tails or first in GENERIC_HEADS or first.endswith(_GENERIC_HEAD_ENDINGS))) or (
            "-" in last and last.rpartition("-")[2] in tails
        ):
            for short in short_forms(key):
                _add_owners(shorts.setdefault(short, []), owners)
    if shorts:
        for key, owners in current:
            head, sep, _ = key.partition(" ")
            if sep:
                candidates = shorts.get(head)
                if candidates is not None:
                    _add_owners(candidates, owners)
    return shorts


def _add_owners(into: list[str], owners: str | tuple[str, ...]) -> None:
    for company_id in (owners,) if isinstance(owners, str) else owners:
        if company_id not in into:
            into.append(company_id)
