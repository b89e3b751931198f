"""Decision-maker positions (``role`` of a ``decision_maker_change``) in Finnish, Swedish and English.

Finnish positions are found on single tokens (compounds: ``toimitusjohtajaksi``, ``myyntijohtajana``)
with the board roles read together with the word before (``hallituksen puheenjohtajaksi``); the token's
case tells a new position (translative ``-ksi``), a current one (essive ``-na``) or a subject.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from triggerwatch.text.triggers.tokens import Token

_FI_ROLES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (role, re.compile(pattern))
    for role, pattern in (
        ("cfo", r"(?:talousjohtaj|finanssijohtaj|cfo)"),
        ("cto", r"(?:teknologiajohtaj|teknolog\w*johtaj|teknii?s\w*johtaj|cto)"),
        ("cio", r"(?:tietohallintojohtaj|digijohtaj|cio|cdo)"),
        ("sales_director", r"(?:myyntijohtaj|myyntipäällik|myynti- ja markkinointijohtaj)"),
        ("marketing_director", r"(?:markkinointijohtaj|viestintäjohtaj|cmo)"),
        ("hr_director", r"(?:henkilöstöjohtaj|hr-johtaj)"),
        ("managing_director", r"(?:toimitusjohtaj|varatoimitusjohtaj)"),
        ("ceo", r"(?:pääjohtaj|konsernijohtaj|ceo)"),
        ("auditor", r"(?:tilintarkastaj)"),
        ("other", r"(?:\w*johtaj|\w*päällik)"),
    )
)
# compounds that name a job outside company management (or a politician) — never a trigger
_FI_NOT_ROLES = re.compile(
    r"(?:puoluejohtaj|kuoronjohtaj|orkesterinjohtaj|teatterinjohtaj|koulunjohtaj|päiväkodinjohtaj|"
    r"työnjohtaj|ryhmänjohtaj|retkenjohtaj|leirinjohtaj|poliisipäällik|palopäällik|pelastuspäällik|"
    r"osastonjohtaj|kansliapäällik|puolustusvoimain|esikuntapäällik|vuoropäällik|kuvauspäällik|"
    r"kurssinjohtaj|sotilasjohtaj|ohjelmajohtaj|tutkimusjohtaj|vankilanjohtaj)"
)

_SV_ROLES = (
    ("board_chair", r"styrelseordförande|ordförande för styrelsen|styrelsens ordförande"),
    ("board_member", r"styrelseledamot|styrelsemedlem|ledamot i styrelsen|till styrelsen"),
    ("cfo", r"ekonomidirektör|finansdirektör|finanschef|cfo"),
    ("cto", r"teknikdirektör|teknisk direktör|teknologidirektör|cto"),
    ("cio", r"it-direktör|it-chef|cio"),
    ("sales_director", r"försäljningsdirektör|försäljningschef|säljdirektör|säljchef"),
    ("marketing_director", r"marknadsdirektör|marknadschef|kommunikationsdirektör"),
    ("hr_director", r"hr-direktör|personaldirektör|hr-chef"),
    ("ceo", r"verkställande direktör|vd|koncernchef|ceo"),
    ("auditor", r"revisor"),
    ("other", r"\w*direktör|\w*chef\b"),
)
_EN_ROLES = (
    ("board_chair", r"chair(?:man|woman|person)? of the board|board chair\w*|chair of the board"),
    ("board_member", r"board member|member of the board|to the board|to its board|board of directors"),
    ("cfo", r"chief financial officer|cfo"),
    ("cto", r"chief technology officer|cto"),
    ("cio", r"chief information officer|chief digital officer|cio"),
    (
        "sales_director",
        r"sales director|director of sales|head of sales|chief sales officer|chief commercial officer"
        r"|vp,? sales",
    ),
    ("marketing_director", r"marketing director|chief marketing officer|cmo|head of marketing"),
    ("hr_director", r"hr director|chief people officer|chief human resources officer|head of hr"),
    ("ceo", r"chief executive officer|ceo|president and ceo|chief executive"),
    ("managing_director", r"managing director"),
    ("auditor", r"auditor"),
    (
        "other",
        r"director|head of \w+|chief \w+ officer|vice president|svp|evp|general manager|country manager"
        r"|president",
    ),
)
ROLE_PATTERNS: dict[str, list[tuple[str, re.Pattern[str]]]] = {
    "sv": [(r, re.compile(r"(?<![\w-])(?:" + p + r")", re.IGNORECASE)) for r, p in _SV_ROLES],
    "en": [(r, re.compile(r"(?<![\w-])(?:" + p + r")", re.IGNORECASE)) for r, p in _EN_ROLES],
}


@dataclass(frozen=True)
class Position:
    role: str
    index: int  # token index in the sentence (the role word)
    cases: frozenset[str]


def fi_position(tokens: list[Token], i: int) -> str | None:
    """The role a Finnish token names (with the word before it for board roles), or None."""
    tok = tokens[i]
    low = tok.low
    if not tok.word or _FI_NOT_ROLES.match(low):
        return None
    prev = tokens[i - 1].low if i > 0 else ""
    if prev.startswith("hallitu"):
        if low.startswith(("puheenjohtaj", "varapuheenjohtaj")):
            return "board_chair"
        if low.startswith("jäsen"):
            return "board_member"
    if low.startswith(("hallitukseen", "hallituksesta")):
        return "board_member"
    if low.startswith(("johtoryhmään", "johtoon")) or (
        prev.startswith("johtoryhm") and low.startswith("jäsen")
    ):
        return "other"
    if low.startswith(("puheenjohtaj", "varapuheenjohtaj")):
        return "other"  # the chair of a committee, a unit (or a party: the company requirement decides)
    if prev == "kaupallinen" and low.startswith("johtaj"):
        return "sales_director"
    for role, pattern in _FI_ROLES:
        if pattern.match(low):
            return role
    return None


def fi_positions(tokens: list[Token], lo: int, hi: int) -> list[Position]:
    found = []
    for i in range(lo, hi):
        role = fi_position(tokens, i)
        if role is not None:
            found.append(Position(role, i, tokens[i].cases))
    return found


def text_positions(text: str, language: str) -> list[tuple[str, int]]:
    """(role, character offset) of every Swedish/English position in ``text``, most specific first."""
    found: list[tuple[str, int]] = []
    taken: list[tuple[int, int]] = []
    for role, pattern in ROLE_PATTERNS[language]:
        for m in pattern.finditer(text):
            if any(s <= m.start() < e for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            found.append((role, m.start()))
    return found
