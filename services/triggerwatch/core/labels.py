"""People's names for the codes alerts carry, in English and Finnish: trigger kinds, priorities, a
decision-maker's role and change, a company's part in a deal, product groups without a configured
name. The worker writes alert texts with them and the web UI shows them (services share them here).
"""

from __future__ import annotations

from triggerwatch.core.contracts import CompanyRole, EventKind, Priority

# kind → (English, Finnish)
KIND_NAMES: dict[str, tuple[str, str]] = {
    EventKind.REGISTRATION: ("New company", "Uusi yritys"),
    EventKind.DECISION_MAKER_CHANGE: ("Decision-maker change", "Päättäjävaihdos"),
    EventKind.RECRUITMENT: ("Recruitment", "Rekrytointi"),
    EventKind.PROCUREMENT_PLANNED: ("Planned tender", "Suunniteltu hankinta"),
    EventKind.PROCUREMENT_OPEN: ("Open tender", "Avoin hankinta"),
    EventKind.CONTRACT_AWARDED: ("Contract won", "Voitettu hankinta"),
    EventKind.NEWS: ("News", "Uutinen"),
    EventKind.EXPANSION: ("Expansion", "Laajentuminen"),
    EventKind.FUNDING: ("Funding", "Rahoitus"),
    EventKind.LAYOFFS: ("Layoffs", "Irtisanomiset"),
    EventKind.REGISTRY_CHANGE: ("Trade register change", "Kaupparekisterimuutos"),
    EventKind.BANKRUPTCY: ("Bankruptcy or restructuring", "Konkurssi tai saneeraus"),
    EventKind.MERGER: ("Merger or acquisition", "Yrityskauppa"),
    EventKind.OPS: ("Operations", "Ylläpito"),
}

PRIORITY_NAMES: dict[str, tuple[str, str]] = {
    Priority.HIGH: ("High", "Korkea"),
    Priority.MEDIUM: ("Medium", "Keskitaso"),
    Priority.LOW: ("Low", "Matala"),
}

# role → (English, Finnish nominative, Finnish partitive for "Onnittele uutta …")
ROLE_NAMES: dict[str, tuple[str, str, str]] = {
    "ceo": ("CEO", "toimitusjohtaja", "toimitusjohtajaa"),
    "managing_director": ("managing director", "toimitusjohtaja", "toimitusjohtajaa"),
    "board_chair": ("board chair", "hallituksen puheenjohtaja", "hallituksen puheenjohtajaa"),
    "board_member": ("board member", "hallituksen jäsen", "hallituksen jäsentä"),
    "cfo": ("CFO", "talousjohtaja", "talousjohtajaa"),
    "cto": ("CTO", "teknologiajohtaja", "teknologiajohtajaa"),
    "cio": ("CIO", "tietohallintojohtaja", "tietohallintojohtajaa"),
    "sales_director": ("sales director", "myyntijohtaja", "myyntijohtajaa"),
    "marketing_director": ("marketing director", "markkinointijohtaja", "markkinointijohtajaa"),
    "hr_director": ("HR director", "henkilöstöjohtaja", "henkilöstöjohtajaa"),
    "auditor": ("auditor", "tilintarkastaja", "tilintarkastajaa"),
    "signatory": ("signatory", "nimenkirjoittaja", "nimenkirjoittajaa"),
    "other": ("decision-maker", "päättäjä", "päättäjää"),
}

# a decision-maker change: joins or leaves (the alert's fact ``change``)
CHANGE_NAMES: dict[str, tuple[str, str]] = {
    "appointed": ("appointed", "nimitetty"),
    "leaving": ("leaving", "lähtee"),
}

# a merger: the alerted company's part (the alert's fact ``deal_role``) and the counterparty's
DEAL_ROLE_NAMES: dict[str, tuple[str, str]] = {
    CompanyRole.ACQUIRER: ("Buyer", "Ostaja"),
    CompanyRole.TARGET: ("Being bought", "Ostokohde"),
    CompanyRole.SELLER: ("Seller", "Myyjä"),
}
COUNTERPARTY_NAMES: dict[str, tuple[str, str]] = {
    CompanyRole.ACQUIRER: ("buying", "ostaa yrityksen"),
    CompanyRole.TARGET: ("bought by", "ostajana"),
    CompanyRole.SELLER: ("selling to", "ostajana"),
}


def pick(names: tuple[str, ...], lang: str) -> str:
    """The English (first) or Finnish (second) of a name pair."""
    return names[1] if lang == "fi" and len(names) > 1 else names[0]


def humanize(code: str) -> str:
    """A readable stand-in for a code nobody named: ``fleet-services`` → ``Fleet services``."""
    text = " ".join(code.replace("_", " ").replace("-", " ").split())
    return text[:1].upper() + text[1:] if text else code


def kind_name(kind: str, lang: str) -> str:
    names = KIND_NAMES.get(kind)
    return pick(names, lang) if names else humanize(kind)


def priority_name(priority: str, lang: str) -> str:
    names = PRIORITY_NAMES.get(priority)
    return pick(names, lang) if names else humanize(priority)


def role_name(role: str, lang: str) -> str:
    names = ROLE_NAMES.get(role)
    if names is None:
        return humanize(role)
    return names[1].capitalize() if lang == "fi" else names[0][:1].upper() + names[0][1:]
