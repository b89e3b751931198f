"""Trigger understanding (``triggerwatch.text.triggers``): every kind in Finnish case forms, in
Swedish and English, with its subject companies and roles; ordinary news stays news.

Sentences are written for these tests (not real news). Every case runs with Voikko and with the
suffix rules alone (``finnish.voikko_disabled()``): without Voikko a company at the start of a
sentence needs the article to name it again in mid-sentence, so the bodies do, as news does.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from triggerwatch.core.contracts import EventKind
from triggerwatch.text import finnish
from triggerwatch.text.triggers import Trigger, find_triggers
from triggerwatch.text.triggers import tokens as trigger_tokens

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


def one(title: str, body: str | None, lang: str, kind: EventKind) -> Trigger:
    found = find_triggers(title, body, lang)
    assert [t.kind for t in found] == [kind], [(t.kind, t.rule, t.evidence_sentence) for t in found]
    return found[0]


def roles(trigger: Trigger) -> list[tuple[str, str]]:
    return [(s.name, s.role) for s in trigger.subjects]


# (title, body, language, kind, subjects with roles): the body names the companies again mid-sentence
CASES = [
    # merger: genitive object, business of a genitive seller, passive with allative buyer, merger
    (
        "Elisa ostaa Fennia IT:n",
        "Kaupan myötä Fennia IT siirtyy Elisan omistukseen.",
        "fi",
        K.MERGER,
        [("Elisa", "acquirer"), ("Fennia IT", "target")],
    ),
    (
        "Microsoft ostaa Nokian puhelinliiketoiminnan",
        "Kauppa vahvistaa Microsoftin asemaa.",
        "fi",
        K.MERGER,
        [("Microsoft", "acquirer"), ("Nokia", "seller")],
    ),
    (
        "Fennia IT myydään Elisalle",
        "Omistajat myyvät Fennia IT:n koko osakekannan.",
        "fi",
        K.MERGER,
        [("Elisa", "acquirer"), ("Fennia IT", "target")],
    ),
    (
        "Fennia IT sulautuu Elisaan",
        "Sulautumisen jälkeen Fennia IT lakkaa.",
        "fi",
        K.MERGER,
        [("Elisa", "acquirer"), ("Fennia IT", "target")],
    ),
    (
        "Tieto ja Evry yhdistyvät",
        "Yhdistymisen jälkeen Tieto ja Evry toimivat yhtenä yhtiönä.",
        "fi",
        K.MERGER,
        [("Tieto", "subject"), ("Evry", "subject")],
    ),
    (
        "Keskon tytäryhtiö Onninen hankkii omistukseensa Nordic Lumo Oy:n",
        None,
        "fi",
        K.MERGER,
        [("Onninen", "acquirer"), ("Nordic Lumo Oy", "target")],
    ),
    # bankruptcy
    (
        "Talvivaara Sotkamo Oy on asetettu konkurssiin",
        "Konkurssipesän hoitaja kertoi, että Talvivaara Sotkamo jatkaa.",
        "fi",
        K.BANKRUPTCY,
        [("Talvivaara Sotkamo Oy", "subject")],
    ),
    (
        "Rakennusliike Harju Oy hakeutuu yrityssaneeraukseen",
        None,
        "fi",
        K.BANKRUPTCY,
        [("Harju Oy", "subject")],
    ),
    # funding: raising, invested in (illative), granted to (allative)
    (
        "Supercell keräsi 12 miljoonaa euroa",
        "Rahoituskierroksen johti Supercellin mukaan Accel.",
        "fi",
        K.FUNDING,
        [("Supercell", "subject")],
    ),
    (
        "Pääomasijoittaja Inventure sijoittaa Vetyteknologia Oy:hyn 8 miljoonaa euroa",
        None,
        "fi",
        K.FUNDING,
        [("Vetyteknologia Oy", "subject"), ("Inventure", "investor")],
    ),
    # recruitment
    (
        "Reaktor rekrytoi 100 uutta ohjelmistokehittäjää",
        "Rekrytoinnit kasvattavat Reaktorin henkilöstöä.",
        "fi",
        K.RECRUITMENT,
        [("Reaktor", "employer")],
    ),
    (
        "Kesko etsii 400 kesätyöntekijää",
        "Kesätyöpaikkoja Kesko tarjoaa kaupoissaan.",
        "fi",
        K.RECRUITMENT,
        [("Kesko", "employer")],
    ),
    # decision-maker change: appointed (translative), moves (allative destination, elative source)
    (
        "Anna Korhonen Nokian toimitusjohtajaksi",
        "Korhonen aloittaa tehtävässä Nokian palveluksessa kesäkuussa.",
        "fi",
        K.DECISION_MAKER_CHANGE,
        [("Nokia", "appointed")],
    ),
    (
        "Nokian entinen myyntijohtaja siirtyy Microsoftille",
        "Uudessa tehtävässään hän vastaa Microsoftin myynnistä.",
        "fi",
        K.DECISION_MAKER_CHANGE,
        [("Microsoft", "appointed"), ("Nokia", "leaving")],
    ),
    (
        "Nokian toimitusjohtaja eroaa",
        "Nokian hallitus kiittää toimitusjohtajaa.",
        "fi",
        K.DECISION_MAKER_CHANGE,
        [("Nokia", "leaving")],
    ),
    (
        "Rovion toimitusjohtaja jättää tehtävänsä",
        "Rovion hallitus hakee seuraajaa.",
        "fi",
        K.DECISION_MAKER_CHANGE,
        [("Rovio", "leaving")],
    ),
    # expansion
    (
        "Google avaa uuden datakeskuksen Haminaan",
        "Datakeskus on Googlen suurin Euroopassa.",
        "fi",
        K.EXPANSION,
        [("Google", "subject")],
    ),
    (
        "Wolt laajentaa toimintaansa Ruotsiin",
        "Ruotsissa Wolt aloittaa Tukholmasta.",
        "fi",
        K.EXPANSION,
        [("Wolt", "subject")],
    ),
    # layoffs: subject, inessive company, genitive modifier
    (
        "Wärtsilä aloittaa muutosneuvottelut Vaasassa",
        "Neuvottelut koskevat Wärtsilän 200 työntekijää.",
        "fi",
        K.LAYOFFS,
        [("Wärtsilä", "subject")],
    ),
    (
        "Rovio irtisanoo 130 työntekijää",
        "Irtisanomiset koskevat Rovion Espoon toimintoja.",
        "fi",
        K.LAYOFFS,
        [("Rovio", "subject")],
    ),
    # procurement
    (
        "Helsingin kaupunki kilpailuttaa taloushallinnon järjestelmän",
        None,
        "fi",
        K.PROCUREMENT_OPEN,
        [("Helsingin kaupunki", "buyer")],
    ),
    (
        "Kela julkaisi tarjouspyynnön asiakaspalvelun puhelinjärjestelmästä",
        "Tarjoukset Kela pyytää maaliskuussa.",
        "fi",
        K.PROCUREMENT_OPEN,
        [("Kela", "buyer")],
    ),
    # Swedish releases
    ("Acme Oyj förvärvar Beta Ab", None, "sv", K.MERGER, [("Acme Oyj", "acquirer"), ("Beta Ab", "target")]),
    (
        "Acme Oyj säljer sin verksamhet i Sverige till Gamma AB",
        None,
        "sv",
        K.MERGER,
        [("Acme Oyj", "seller"), ("Gamma AB", "acquirer")],
    ),
    (
        "Anna Svensson utses till ny vd för Acme Oyj",
        None,
        "sv",
        K.DECISION_MAKER_CHANGE,
        [("Acme Oyj", "appointed")],
    ),
    ("Acme Oyj inleder omställningsförhandlingar", None, "sv", K.LAYOFFS, [("Acme Oyj", "subject")]),
    (
        "Närpes Grönsak Ab ansöker om företagssanering",
        None,
        "sv",
        K.BANKRUPTCY,
        [("Närpes Grönsak Ab", "subject")],
    ),
    ("Acme Oyj tar in fem miljoner euro", None, "sv", K.FUNDING, [("Acme Oyj", "subject")]),
    ("Acme Oyj öppnar nytt kontor i Vasa", None, "sv", K.EXPANSION, [("Acme Oyj", "subject")]),
    ("Acme Oyj rekryterar 30 nya medarbetare", None, "sv", K.RECRUITMENT, [("Acme Oyj", "employer")]),
    (
        "Helsingfors stad konkurrensutsätter städtjänster i skolor",
        None,
        "sv",
        K.PROCUREMENT_OPEN,
        [("Helsingfors stad", "buyer")],
    ),
    # English releases
    (
        "Acme Oyj acquires Beta Software Ltd",
        None,
        "en",
        K.MERGER,
        [("Acme Oyj", "acquirer"), ("Beta Software Ltd", "target")],
    ),
    (
        "Beta Oy has been acquired by Acme Group",
        None,
        "en",
        K.MERGER,
        [("Acme Group", "acquirer"), ("Beta Oy", "target")],
    ),
    (
        "Acme Oyj appoints John Smith as Chief Financial Officer",
        None,
        "en",
        K.DECISION_MAKER_CHANGE,
        [("Acme Oyj", "appointed")],
    ),
    (
        "Jane Doe steps down as CEO of Acme Oyj",
        None,
        "en",
        K.DECISION_MAKER_CHANGE,
        [("Acme Oyj", "leaving")],
    ),
    ("Acme Oyj raises EUR 5 million in Series A funding", None, "en", K.FUNDING, [("Acme Oyj", "subject")]),
    ("Acme Oyj starts change negotiations in Finland", None, "en", K.LAYOFFS, [("Acme Oyj", "subject")]),
    ("Acme Oyj files for bankruptcy", None, "en", K.BANKRUPTCY, [("Acme Oyj", "subject")]),
    ("Acme Oyj opens a new office in Stockholm", None, "en", K.EXPANSION, [("Acme Oyj", "subject")]),
    (
        "Acme Oyj is hiring 50 software engineers in Oulu",
        None,
        "en",
        K.RECRUITMENT,
        [("Acme Oyj", "employer")],
    ),
]


@pytest.mark.parametrize(("title", "body", "lang", "kind", "subjects"), CASES, ids=[c[0][:40] for c in CASES])
def test_kind_and_subject_roles(
    morphology: str, title: str, body: str | None, lang: str, kind: EventKind, subjects: list[tuple[str, str]]
) -> None:
    found = one(title, body, lang, kind)
    assert roles(found) == subjects
    assert found.evidence_sentence and 0.5 <= found.confidence <= 1.0


# ordinary news: hypotheticals, negation, rumours, background, statistics, quotes, consumers
NEWS = [
    ("Nokia harkitsee Alcatel-Lucentin ostamista", "fi"),
    ("Elisa suunnittelee Fennia IT:n ostoa", "fi"),
    ("Elisa selvittää Fennia IT:n ostamista", "fi"),
    ("Elisa ei aio ostaa Fennia IT:tä", "fi"),
    ("Huhujen mukaan Microsoft ostaa Nokian", "fi"),
    ("Microsoft saattaa ostaa Nokian puhelinliiketoiminnan", "fi"),
    ("Microsoft voisi ostaa Nokian", "fi"),
    ("Ostaako Microsoft Nokian?", "fi"),
    ("Nokia osti Navteqin vuonna 2008", "fi"),
    ("Vuonna 2012 tehty yrityskauppa kasvatti Elisan liikevaihtoa", "fi"),
    ("Konkurssien määrä kasvoi viime vuonna", "fi"),
    ("Tilastokeskus: yt-neuvotteluja käytiin ennätysmäärä", "fi"),
    ("Kuluttajat ostavat Applen tuotteita", "fi"),
    ("Ericssonin toimitusjohtaja ei ole lähdössä Microsoftin toimitusjohtajaksi", "fi"),
    ("Rovion toimitusjohtaja Mikael Hed esitteli uuden pelin", "fi"),
    ("Kasvuyhtiön toimitusjohtaja valittiin vuoden kasvujohtajaksi", "fi"),
    ("Kemiran toimitusjohtaja ei sulje pois lomautuksia", "fi"),
    ("Fennia IT työllistää 60 asiantuntijaa", "fi"),
    ("Kuluttajien kannattaa kilpailuttaa sähkösopimuksensa", "fi"),
    ("Wärtsilä sai 100 miljoonan euron tilauksen", "fi"),
    ("Acme överväger att köpa konkurrenten Beta", "sv"),
    ("Acme köpte Beta år 2010", "sv"),
    ("Acme Oyj will not lay off employees, the CEO said", "en"),
    ("Acme considers selling its printing business", "en"),
    ("Microsoft could acquire a gaming company, analysts say", "en"),
    ("Investors bought Nokia shares after the results", "en"),
]


@pytest.mark.parametrize(("title", "lang"), NEWS, ids=[n[0][:40] for n in NEWS])
def test_ordinary_news_stays_news(morphology: str, title: str, lang: str) -> None:
    assert find_triggers(title, None, lang) == []


def test_a_quote_in_the_body_without_a_company_is_not_a_trigger() -> None:
    body = "Yhtiön tulos parani. – Emme aio irtisanoa ketään, sanoo toimitusjohtaja Matti Virtanen."
    assert find_triggers("Acme Oy:n tulos parani", body, "fi") == []


def test_a_trigger_mentioned_in_passing_deep_in_the_body_stays_news() -> None:
    body = (
        "Ohjelmistoyhtiö Acme Oy julkaisi uuden version palvelustaan. Palvelu on Acme Oy:n mukaan nopeampi. "
        "Asiakkaat ovat ottaneet sen hyvin vastaan. Samalla alalla Beta Oy aloitti muutosneuvottelut."
    )
    assert find_triggers("Acme Oy julkaisi uuden version", body, "fi") == []


def test_two_triggers_of_one_article() -> None:
    found = find_triggers("Elisa ostaa Fennia IT:n ja aloittaa muutosneuvottelut", None, "fi")
    assert {t.kind for t in found} == {K.MERGER, K.LAYOFFS}


def test_decision_maker_attributes() -> None:
    found = one(
        "Acme Oy nimitti Matti Virtasen uudeksi talousjohtajaksi", None, "fi", K.DECISION_MAKER_CHANGE
    )
    assert found.attributes == {"change": "appointed", "role": "cfo", "person_name": "Matti Virtanen"}
    leaving = one(
        "Acme Oy:n talousjohtaja Matti Virtanen jää eläkkeelle", None, "fi", K.DECISION_MAKER_CHANGE
    )
    assert leaving.attributes["change"] == "leaving" and leaving.attributes["role"] == "cfo"


def test_numbers_of_openings_and_affected() -> None:
    assert one("Reaktor rekrytoi 100 uutta ohjelmistokehittäjää", None, "fi", K.RECRUITMENT).attributes == {
        "openings": 100
    }
    assert one("Rovio irtisanoo 130 työntekijää", None, "fi", K.LAYOFFS).attributes == {"affected": 130}


def test_all_capital_headline() -> None:
    found = one("ACME OYJ OSTAA BETA OY:N", None, "fi", K.MERGER)
    assert [s.role for s in found.subjects] == ["acquirer", "target"]


def test_job_ad_and_procurement_notice_genres() -> None:
    ad = "Haemme ohjelmistokehittäjää. Tarjoamme sinulle mielenkiintoisen tehtävän. Haku päättyy 8.6."
    found = one("Ohjelmistokehittäjä, Acme Oy, Jyväskylä", ad, "fi", K.RECRUITMENT)
    assert roles(found) == [("Acme Oy", "employer")]
    notice = "Hankintayksikkö: Salon kaupunki\n\nHankinnan kohteena ovat kiinteistöjen huoltotyöt."
    found = one("Kiinteistöjen huoltotyöt", notice, "fi", K.PROCUREMENT_OPEN)
    assert roles(found) == [("Salon kaupunki", "buyer")]
