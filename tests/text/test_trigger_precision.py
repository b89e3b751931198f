"""Issue 16, second round: ordinary news that looks like a trigger stays news, and a trigger names
its companies in the roles the whole article gives them.

Sentences are written for these tests (not real news), in Finnish case forms, Swedish and English.
Each case runs with Voikko and with the suffix rules alone (``finnish.voikko_disabled()``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from triggerwatch.core.contracts import EventKind
from triggerwatch.text import finnish
from triggerwatch.text.triggers import Trigger, find_triggers
from triggerwatch.text.triggers import tokens as trigger_tokens
from triggerwatch.text.triggers.gazetteer import is_public_buyer

K = EventKind


@pytest.fixture(params=["voikko", "rules"])
def morphology(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "voikko":
        if not finnish.voikko_available():
            pytest.skip("Voikko not installed")
        yield "voikko"
        return
    with finnish.voikko_disabled():
        trigger_tokens._analyse_fi.cache_clear()
        try:
            yield "rules"
        finally:
            trigger_tokens._analyse_fi.cache_clear()


def kinds(title: str, body: str | None, lang: str) -> list[EventKind]:
    return [t.kind for t in find_triggers(title, body, lang)]


def the(kind: EventKind, title: str, body: str | None, lang: str = "fi") -> Trigger:
    found = [t for t in find_triggers(title, body, lang) if t.kind is kind]
    assert found, [(t.kind, t.rule) for t in find_triggers(title, body, lang)]
    return found[0]


def roles(trigger: Trigger) -> set[tuple[str, str]]:
    return {(s.name, s.role) for s in trigger.subjects}


# (title, body, language): ordinary news, by the family of rule that keeps it so
NEWS = [
    # a participle that modifies a name or stands as a noun is no predicate
    ("Microsoftin uusi johtaja: Suomi on tärkeä", "Kesällä nimitetty Terry Myerson vieraili Espoossa.", "fi"),
    ("Ammattiliitto: Microsoftin irtisanotut tarvitsevat koulutusta", None, "fi"),
    ("Keväällä aloittanut Rovion johtaja puhui Slushissa", None, "fi"),
    # goods and services bought are no acquisition; a called-off deal is none
    ("Supercell osti mainosaikaa Super Bowlista", None, "fi"),
    ("Samsung ostaa muistipiirejä Toshibalta", None, "fi"),
    ("Apple ostaa omia osakkeitaan", None, "fi"),
    ("Comptelin ja Tecnotreen fuusio kariutui", None, "fi"),
    ("Kauppa kaatui: Elisan ja Fennia IT:n yhdistyminen raukesi", None, "fi"),
    # a deal noun that is not the subject or object: about a deal, not the deal
    ("Nokia odottaa Alcatel-kaupasta 900 miljoonan säästöjä", None, "fi"),
    ("Salon työttömyys nousi Microsoft-kaupan jälkeen", None, "fi"),
    # the past: a time anchor, a month or season told in the past, years ago
    ("Microsoft kertoi heinäkuussa sulkevansa Salon tuotekehitysyksikön", None, "fi"),
    ("Lumene haki yrityssaneeraukseen viisi vuotta sitten", None, "fi"),
    ("Rovio launches a new game", "The company cut 260 jobs last year.", "en"),
    # an investment is an expansion only into a site or capacity, not into funds or R&D
    ("Tesi sijoittaa 100 miljoonaa euroa kasvurahastoihin", None, "fi"),
    ("Nokia investoi 50 miljoonaa euroa tuotekehitykseen", None, "fi"),
    ("Google avaa Suomen-toimistonsa ovet yleisölle", None, "fi"),
    # a company choosing a supplier is no public call for tenders
    ("Kesko kilpailuttaa IT-infrastruktuuripalvelunsa", None, "fi"),
    # terminating a contract is no layoff; an estate is no new bankruptcy
    ("Sonera irtisanoi sopimuksen Elisan kanssa", None, "fi"),
    ("Jollan konkurssipesä myy yhtiön varaston", None, "fi"),
    # words about layoffs in general; growing a team's skills is no hiring
    (
        "Lomautettu voi hakea päivärahaa",
        "Hakemus tehdään kassaan tai Kelaan ensimmäisestä lomautuspäivästä.",
        "fi",
    ),
    ("Nokia kasvattaa tiiminsä osaamista", None, "fi"),
]


@pytest.mark.parametrize(("title", "body", "lang"), NEWS, ids=[n[0][:40] for n in NEWS])
def test_ordinary_news_stays_news(morphology: str, title: str, body: str | None, lang: str) -> None:
    assert kinds(title, body, lang) == []


def test_a_past_time_anchor_is_background() -> None:
    # with Voikko: the suffix rules do not tell "osti" as a past form
    title = "Elop palasi Microsoftille, kun Microsoft osti Nokian puhelinliiketoiminnan"
    assert kinds(title, None, "fi") == []


def test_the_same_cues_still_report_a_trigger(morphology: str) -> None:
    # the bodies name the company again mid-sentence, as news does (the suffix rules need it)
    def body(name: str) -> str:
        return f"Tiedotteen mukaan {name} kertoi asiasta tiistaina."

    assert kinds("Nokia ostaa Alcatel-Lucentin osakekannan", body("Nokia"), "fi") == [K.MERGER]
    assert kinds("Microsoft sulkee Salon tuotekehitysyksikön", body("Microsoft"), "fi") == [K.LAYOFFS]
    assert kinds("Rovio irtisanoo 130 työntekijää", body("Rovio"), "fi") == [K.LAYOFFS]
    assert kinds("Hämeen Valimo lomauttaa koko henkilöstön", body("Hämeen Valimo"), "fi") == [K.LAYOFFS]
    assert kinds("Kela kilpailuttaa asiakaspalvelunsa", body("Kela"), "fi") == [K.PROCUREMENT_OPEN]
    title = "Harvia investoi 25 miljoonaa euroa uuteen tehtaaseen"
    assert kinds(title, body("Harvia"), "fi") == [K.EXPANSION]


def test_a_public_buyer() -> None:
    for name in ("Tampereen kaupunki", "Väylävirasto", "Kela", "HUS", "Espoo", "City of Espoo", "Regionen"):
        assert is_public_buyer(name), name
    for name in ("Kesko", "Citycon", "Elisa Oyj"):
        assert not is_public_buyer(name), name
    found = the(K.PROCUREMENT_OPEN, "City of Espoo invites bids for a learning platform", None, "en")
    assert roles(found) == {("City of Espoo", "buyer")}


def test_the_predecessor_and_the_previous_employer_leave(morphology: str) -> None:
    found = the(
        K.DECISION_MAKER_CHANGE,
        "Orionin uudeksi toimitusjohtajaksi on nimitetty Laura Heikkilä",
        "Orionin hallitus on nimittänyt Laura Heikkilän toimitusjohtajaksi. Heikkilä seuraa Timo Lehtosta,"
        " joka jää eläkkeelle.",
    )
    assert roles(found) == {("Orion", "appointed"), ("Orion", "leaving")}
    found = the(
        K.DECISION_MAKER_CHANGE,
        "Soneralle uusi myyntijohtaja",
        "Sonera on nimittänyt myyntijohtajaksi Heikki Korhosen. Hän siirtyy Soneraan Fujitsulta.",
    )
    assert roles(found) == {("Sonera", "appointed"), ("Fujitsu", "leaving")}


def test_the_other_side_in_swedish_and_english() -> None:
    found = the(
        K.DECISION_MAKER_CHANGE,
        "Kesko Corporation has appointed Johanna Lehto as Chief Financial Officer",
        "Lehto joins Kesko from Stora Enso, where she has served as Vice President.",
        "en",
    )
    assert ("Stora Enso", "leaving") in roles(found)
    found = the(
        K.DECISION_MAKER_CHANGE,
        "Aktia utser ny vd",
        "Aktias styrelse har utsett Mats Lindqvist till ny verkställande direktör. Nuvarande vd:n"
        " Kari Hollström går i pension i vår.",
        "sv",
    )
    assert roles(found) == {("Aktia", "appointed"), ("Aktia", "leaving")}


def test_a_deal_gathers_its_roles(morphology: str) -> None:
    found = the(
        K.MERGER,
        "Keski-Suomen Kuljetus ja Savon Rahti yhdistyvät",
        "Järjestelyssä Savon Rahti sulautuu Keski-Suomen Kuljetukseen.",
    )
    assert roles(found) == {("Keski-Suomen Kuljetus", "acquirer"), ("Savon Rahti", "target")}
    found = the(K.MERGER, "Stockmann säljer Akademiska bokhandeln till Bonnier", None, "sv")
    assert roles(found) == {("Stockmann", "seller"), ("Akademiska", "target"), ("Bonnier", "acquirer")}


def test_names_of_a_place_genitive_and_a_common_noun(morphology: str) -> None:
    assert roles(the(K.BANKRUPTCY, "Hämeen Valimo hakee yrityssaneeraukseen", None)) == {
        ("Hämeen Valimo", "subject")
    }
    found = the(K.BANKRUPTCY, "Käräjäoikeus vahvisti Savon Kuidun saneerausohjelman", None)
    # the suffix rules do not undo consonant gradation (Kuidun → Kuitu): the name keeps its genitive
    assert roles(found) == {("Savon Kuitu" if morphology == "voikko" else "Savon Kuidu", "subject")}


def test_descriptions_are_not_names(morphology: str) -> None:
    found = the(
        K.LAYOFFS,
        "Digia stänger kontoret i Jyväskylä",
        "It-bolaget Digia inleder samarbetsförhandlingar.",
        "sv",
    )
    assert roles(found) == {("Digia", "subject")}
    found = the(
        K.FUNDING,
        "Akkukennoyhtiö keräsi 60 miljoonaa euroa",
        "Vaasalainen Nordic Cell Oy on kerännyt 60 miljoonan euron rahoituksen.",
    )
    assert roles(found) == {("Nordic Cell Oy", "subject")}


def test_an_unknown_name_in_n_before_its_verb_is_the_subject() -> None:
    found = the(K.FUNDING, "Yousician keräsi 8 miljoonaa dollaria", None)
    assert roles(found) == {("Yousician", "subject")}


def test_growing_a_team_is_hiring(morphology: str) -> None:
    body = "Tiedotteen mukaan Supercell kertoi asiasta tiistaina."
    assert roles(the(K.RECRUITMENT, "Supercell kaksinkertaistaa Helsingin tiiminsä", body)) == {
        ("Supercell", "employer")
    }
    assert roles(the(K.RECRUITMENT, "Unity to double its Helsinki team", None, "en")) == {
        ("Unity", "employer")
    }
