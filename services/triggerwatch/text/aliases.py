"""The names a company is written under, derived when the index is built.

Every registered name is normalised (:func:`normalise.normalise_name`: legal forms at either end
stripped). Each key then has a *level*, and a key belongs only to the companies of its best level:

0. a current name: the main name, parallel and auxiliary trade names (aputoiminimet), aliases;
1. a former name (YTJ ``names`` with an end date): "Tieto" after TietoEVRY, linked as a former name;
2. a derived short form: generic tails stripped from the end of a current name, one word at a time
   (:data:`GENERIC_TAILS`: "Alibaba Group Holding" → "Alibaba Group" → "Alibaba"; "Samsung
   Electronics" → "Samsung"; "Meta Platforms" → "Meta"; "Ford Motor" → "Ford"), and a leading "The".

A short form that another company also has (as a short form, or as the first word of a longer key:
"Samsung" next to "Samsung SDI") is *ambiguous*: it keeps every such company as a candidate and links
to none of them on its own (the document may still settle it: see :mod:`triggerwatch.text.discourse`).
A short form that is some company's current or former name belongs to that company only.
"""

from __future__ import annotations

from collections.abc import Iterable

from triggerwatch.text.normalise import LEGAL_FORMS

CURRENT, FORMER, SHORT = 0, 1, 2
LEVEL_NAMES = {CURRENT: "name", FORMER: "former name", SHORT: "short name"}

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
        "media", "digital", "online", "studios", "games", "retail", "stores", "foods",
        # the same in Finnish and Swedish, only the corporate ones
        "pankki", "pankkiiri", "palvelut", "pankkiirit", "banken",
    }
)
_MIN_SHORT = 3  # characters: "X Corp." is not shortened to "X"


def short_forms(key: str) -> list[str]:
    """Short forms of a normalised key, longest first ("alibaba group holding" → ["alibaba group",
    "alibaba"]); [] when nothing generic can be stripped."""
    tokens = key.split(" ")
    out: list[str] = []
    if len(tokens) > 1 and tokens[0] == "the":
        tokens = tokens[1:]
        out.append(" ".join(tokens))
    while len(tokens) > 1 and tokens[-1] in GENERIC_TAILS:
        tokens = tokens[:-1]
        while len(tokens) > 1 and tokens[-1] in ("&", "and", "och", "ja", "und", "et"):
            tokens = tokens[:-1]
        out.append(" ".join(tokens))
    return [s for s in out if _usable(s)]


def _usable(short: str) -> bool:
    return (
        len(short) >= _MIN_SHORT
        and short not in GENERIC_TAILS
        and short not in LEGAL_FORMS
        and any(c.isalpha() for c in short)
    )


def derive_short_forms(current: Iterable[tuple[str, str | tuple[str, ...]]]) -> dict[str, list[str]]:
    """Short forms of the current keys, each with its candidate companies.

    ``current``: (key, owner or owners) of every current key. A short form's candidates are every
    company that derives it and every company with a longer key that starts with it as a word
    ("samsung" is also the start of "samsung sdi"). The index keeps a short form only where no
    company has it as a current or former name.
    """
    shorts: dict[str, list[str]] = {}
    heads: list[tuple[str, str | tuple[str, ...]]] = []
    for key, owners in current:
        if " " not in key:
            continue
        heads.append((key.partition(" ")[0], owners))
        for short in short_forms(key):
            _add_owners(shorts.setdefault(short, []), owners)
    for head, owners in heads:
        candidates = shorts.get(head)
        if candidates is not None:
            _add_owners(candidates, owners)
    return shorts


def _add_owners(into: list[str], owners: str | tuple[str, ...]) -> None:
    for company_id in (owners,) if isinstance(owners, str) else owners:
        if company_id not in into:
            into.append(company_id)
