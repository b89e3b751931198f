"""The names people actually write (issue 17): short forms of legal names, foreign names with Finnish
case endings, names that are also words, one sense per discourse, products and services — each in
Finnish case forms, in Swedish and English text, and with and without Voikko."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from triggerwatch.text import aliases, finnish, lexicon
from triggerwatch.text.linker import CompanyLinker

ROWS = [
    ("0112038-9", "Nokia Oyj"),
    ("nsn", "Nokia Solutions and Networks Oy"),
    ("apple", "Apple Inc."),
    ("target", "Target Corporation"),
    ("alibaba", "Alibaba Group Holding Limited"),
    ("samsung", "Samsung Electronics Co., Ltd."),
    ("meta", "Meta Platforms, Inc."),
    ("microsoft", "Microsoft Corporation"),
    ("microsoft-fi", "Microsoft Finland Oy"),
    ("facebook", "Facebook, Inc."),
    ("volvo", "AB Volvo"),
    ("ikea", "Inter IKEA Systems B.V."),
    ("ikea", "IKEA"),
    ("google", "Google LLC"),
    ("twitter", "Twitter, Inc."),
    ("youtube", "YouTube, LLC"),
    ("1927400-1", "Kone Oyj"),
    ("elisa", "Elisa Oyj"),
    ("helsinki", "Helsinki Oy"),
    ("ford", "Ford Motor Company"),
]


def _clear_word_caches() -> None:
    lexicon.finnish_classes.cache_clear()
    lexicon.common_languages.cache_clear()


@pytest.fixture(params=["voikko", "rules only"])
def voikko(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each test runs with Voikko (where installed) and with the rules alone."""
    if request.param == "voikko" and not finnish.voikko_available():
        pytest.skip("Voikko not installed")
    finnish.set_voikko(request.param == "voikko")
    _clear_word_caches()
    yield request.param
    finnish.set_voikko(True)
    _clear_word_caches()


@pytest.fixture
def linker(voikko: str) -> CompanyLinker:
    return CompanyLinker.from_names(ROWS)


def linked(linker: CompanyLinker, text: str) -> list[tuple[str, str]]:
    return [(m.surface, m.company_id) for m in linker.link(text)]


def unlinked(linker: CompanyLinker, text: str) -> list[tuple[str, str]]:
    return [(u.surface, u.reason) for u in linker.analyse(text).unlinked]


# --- 1. short forms of legal names -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "short"),
    [
        ("alibaba group holding", ["alibaba group", "alibaba"]),
        ("samsung electronics", ["samsung"]),
        ("meta platforms", ["meta"]),
        ("ford motor", ["ford"]),
        ("nokia solutions and networks", ["nokia solutions", "nokia"]),
        ("the coca-cola", ["coca-cola"]),
        ("kata tala", []),  # "tala" says which company, not what kind
        ("x group", []),  # too short to stand alone
    ],
)
def test_short_forms(key: str, short: list[str]) -> None:
    assert aliases.short_forms(key) == short


def test_short_forms_in_finnish_case_forms(linker: CompanyLinker) -> None:
    text = "Alibaban osake nousi, Samsungin puhelimet ja Samsungilla uusi malli. Metalle sakko, Metan osake."
    assert linked(linker, text) == [
        ("Alibaban", "alibaba"),
        ("Samsungin", "samsung"),
        ("Samsungilla", "samsung"),
        ("Metalle", "meta"),
        ("Metan", "meta"),
    ]
    assert {m.via for m in linker.link(text)} == {"short name"}
    assert linked(linker, "Alibaba Groupin tulos") == [("Alibaba Groupin", "alibaba")]


def test_a_current_name_shadows_short_forms(linker: CompanyLinker) -> None:
    # "Nokia" is Nokia Oyj's name, not a short form of Nokia Solutions and Networks; "Microsoft" is
    # Microsoft Corporation's name, not a short form of Microsoft Finland
    text = "Nokian ja Microsoftin sopimus"
    assert linked(linker, text) == [("Nokian", "0112038-9"), ("Microsoftin", "microsoft")]


def test_a_shared_short_form_is_ambiguous_until_the_text_settles_it(voikko: str) -> None:
    linker = CompanyLinker.from_names(
        [("se", "Samsung Electronics Co., Ltd."), ("sdi", "Samsung SDI Co., Ltd.")]
    )
    result = linker.analyse("Samsungin tulos parani.")
    assert result.mentions == []
    [miss] = result.unlinked
    assert miss.ambiguous and set(miss.candidates) == {"se", "sdi"} and "ambiguous" in miss.reason
    # once the text names one of them in full, the short form is that one
    text = "Samsung Electronicsin puhelimet myyvät. Samsungin tulos parani."
    assert linked(linker, text) == [("Samsung Electronicsin", "se"), ("Samsungin", "se")]
    assert linker.link(text)[1].via == "discourse"


def test_former_names_link_to_the_company_with_their_date(voikko: str) -> None:
    linker = CompanyLinker()
    linker.add("tietoevry", "TietoEVRY Oyj")
    linker.add("tietoevry", "Tieto Oyj", former=True, until="2019-12-05")
    linker.add("other", "Sarlin Oy")
    linker.add("sarlin-old", "Sarlin Oy", former=True, until="2001-01-01")  # now another company's name
    linker.build()
    [m] = linker.link("Tieto Oyj:n osake nousi")
    assert (m.company_id, m.via) == ("tietoevry", "former name (until 2019-12-05)")
    assert [x.company_id for x in linker.link("Sarlinin tulos")] == ["other"]


# --- 2. foreign names with Finnish endings ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "company"),
    [
        ("Applen", "apple"),
        ("Applelle", "apple"),
        ("Applella", "apple"),
        ("Applellä", "apple"),  # either harmony after a foreign name
        ("Googlea", "google"),
        ("Googlen", "google"),
        ("Googleen", "google"),
        ("Microsoftille", "microsoft"),
        ("Facebookin", "facebook"),
        ("Facebookissa", "facebook"),
        ("Volvon", "volvo"),
        ("Volvolle", "volvo"),
        ("Ikeassa", "ikea"),
        ("IKEA:n", "ikea"),
        ("IKEA:ssa", "ikea"),
        ("Targetin", "target"),
        ("Targetille", "target"),
        ("Twitterissä", "twitter"),
        ("Samsung Electronicsille", "samsung"),
    ],
)
def test_foreign_names_with_case_endings(linker: CompanyLinker, text: str, company: str) -> None:
    assert linked(linker, f"Sopimus: {text} tehtiin tarjous.") == [(text, company)]


def test_finnish_names_keep_vowel_harmony() -> None:
    assert not finnish.is_case_ending("wärtsilä", "ssa")
    assert finnish.is_case_ending("apple", "llä") and finnish.is_case_ending("apple", "lla")


# --- 3. context decides names that are also words ---------------------------------------------------


def test_english_words_are_names_in_finnish_text(linker: CompanyLinker) -> None:
    text = "Apple julkisti uuden puhelimen. Target sulkee myymälöitä Kanadassa."
    assert linked(linker, text) == [("Apple", "apple"), ("Target", "target")]


def test_english_words_need_support_in_english_text(linker: CompanyLinker) -> None:
    text = "Target stores will stay open for the holidays, it was said on Monday."
    assert linked(linker, text) == []
    assert unlinked(linker, text)[0][1].startswith("common word in the text's language (en)")
    assert linked(linker, "Shares of Target fell on Monday.") == [("Target", "target")]
    text = "Target Corporation said it will close stores."
    assert linked(linker, text) == [("Target Corporation", "target")]


def test_swedish_text(linker: CompanyLinker) -> None:
    text = "Apple köper ett bolag i Stockholm. Kone Abp:s vd och Nokias resultat."
    assert linked(linker, text) == [("Apple", "apple"), ("Kone Abp:s", "1927400-1"), ("Nokias", "0112038-9")]


def test_finnish_common_word_needs_support_at_the_start_of_a_sentence(linker: CompanyLinker) -> None:
    assert linked(linker, "Kone toimitti hissit.") == []
    assert linked(linker, "Koneen toimitusjohtaja erosi.") == [("Koneen", "1927400-1")]
    assert linked(linker, "Kone Oyj:n osake nousi.") == [("Kone Oyj:n", "1927400-1")]
    # in the middle of a sentence, a common word with a capital is a name
    assert linked(linker, "Hissit toimitti Kone.") == [("Kone", "1927400-1")]
    # a machine does not announce: a common noun before a verb of saying is a name (a person's name is
    # not: people say things too)
    assert linked(linker, "Kone kertoi tiistaina uusista tilauksista.") == [("Kone", "1927400-1")]
    assert linked(linker, "Elisa kertoi tiistaina uusista tilauksista.") == []


def test_place_names_in_locative_cases_are_places(linker: CompanyLinker) -> None:
    assert linked(linker, "Helsingissä toimiva yhtiö palkkaa.") == []
    assert linked(linker, "Helsinki Oy:n tulos parani.") == [("Helsinki Oy:n", "helsinki")]


# --- one sense per discourse ------------------------------------------------------------------------


def test_one_sense_per_discourse(linker: CompanyLinker) -> None:
    text = "Koneen toimitusjohtaja kertoi tuloksesta. Kone toimitti hissit."
    assert linked(linker, text) == [("Koneen", "1927400-1"), ("Kone", "1927400-1")]
    assert [m.via for m in linker.link(text)] == ["context", "discourse"]
    assert linked(linker, "Apple Inc. reported earnings. Apple said sales grew.") == [
        ("Apple Inc", "apple"),
        ("Apple", "apple"),
    ]


def test_a_name_used_for_a_person_stays_rejected(linker: CompanyLinker) -> None:
    text = "Elisa Oyj:n tulos parani. Elisa Virtanen aloitti. Analyytikko Pekka Elisa kertoi asiasta."
    assert linked(linker, text) == [("Elisa Oyj:n", "elisa")]
    reasons = [reason for _, reason in unlinked(linker, text)]
    assert reasons == ["part of a longer name", "a person: a first name before the name"]
    assert linked(linker, "Elisa Oyj:n tulos parani. Elisa kertoi asiasta.") == [
        ("Elisa Oyj:n", "elisa"),
        ("Elisa", "elisa"),
    ]
    assert linked(linker, "Haastattelussa toimitusjohtaja Elisa kertoi asiasta.") == []


# --- 4. products and services -----------------------------------------------------------------------


def test_products_and_services_are_not_the_company(linker: CompanyLinker) -> None:
    text = "Hänen Twitter-tilinsä suljettiin. YouTubessa julkaistu video levisi. Facebook-sivu poistettiin."
    assert linked(linker, text) == []
    reasons = [reason for _, reason in unlinked(linker, text)]
    assert len(reasons) == 3 and all("product or service" in r or "service" in r for r in reasons)
    assert linked(linker, "The video was posted on YouTube yesterday.") == []


def test_a_product_links_when_the_sentence_is_about_the_company(linker: CompanyLinker) -> None:
    text = "Twitter-tilien määrä nosti yhtiön liikevaihtoa."
    assert linked(linker, text) == [("Twitter", "twitter")]
    assert linked(linker, "Facebook-yhtiö osti kilpailijan.") == [("Facebook", "facebook")]
    # a place name in a locative ("Nokiassa") is the town, unless someone works there
    assert linked(linker, "Nokiassa työskentelevä insinööri.") == [("Nokiassa", "0112038-9")]
    assert linked(linker, "Nokia Oyj:n tulos. Nokiassa sataa.") == [("Nokia Oyj:n", "0112038-9")]


def test_language_guess() -> None:
    assert lexicon.guess_language("Yhtiön liikevaihto kasvoi ja tulos parani.") == "fi"
    assert lexicon.guess_language("The company said its revenue grew.") == "en"
    assert lexicon.guess_language("Bolaget och dess vd har sagt att omsättningen ökade.") == "sv"


# --- names as registers write them ------------------------------------------------------------------


def test_written_short_forms_and_generic_heads(voikko: str) -> None:
    linker = CompanyLinker.from_names(
        [
            ("upm", "UPM-Kymmene Oyj"),
            ("sok", "Suomen Osuuskauppojen Keskuskunta"),
            ("ikea", "Inter IKEA Systems B.V."),
            ("ilmarinen", "Keskinäinen Työeläkevakuutusyhtiö Ilmarinen"),
            ("ericsson", "Telefonaktiebolaget LM Ericsson"),
            ("nestle", "Nestlé S.A."),
            ("veikkaus", "Veikkaus Oy"),
            ("nokian-renkaat", "Nokian Renkaat Oyj"),
        ]
    )
    text = (
        "UPM:n ja SOK:n tulos. Huonekaluketju IKEA:n myynti, Ericssonin toimitusjohtaja, Nestlen osake "
        "ja Veikkauksen tuotto. Omistus Nokian Renkaissa kasvoi."
    )
    assert linked(linker, text) == [
        ("UPM:n", "upm"),
        ("SOK:n", "sok"),
        ("IKEA:n", "ikea"),
        ("Ericssonin", "ericsson"),
        ("Nestlen", "nestle"),
        ("Veikkauksen", "veikkaus"),
        ("Nokian Renkaissa", "nokian-renkaat"),
    ]
    # a short form from the register's capitals links only where the text writes it so
    assert linked(linker, "Sok on kala.") == []
    assert linked(linker, "työeläkeyhtiö Ilmarinen sijoitti") == [("Ilmarinen", "ilmarinen")]


def test_places_and_their_companies(voikko: str) -> None:
    linker = CompanyLinker.from_names([("oulu", "Oulu Oy"), ("vasa", "Vasa Ab"), ("0112038-9", "Nokia Oyj")])
    assert linked(linker, "Stora Enso aloittaa muutosneuvottelut Oulun tehtaallaan.") == []
    assert linked(linker, "Wärtsilä har 1 600 anställda i Vasa.") == []
    assert linked(linker, "Nokian kaupunki avaa uimahallin.") == []
    assert linked(linker, "Nokian toimitusjohtaja erosi.") == [("Nokian", "0112038-9")]
    assert linked(linker, "Nokia julkisti tuloksensa.") == [("Nokia", "0112038-9")]


def test_coordination_with_a_linked_name(voikko: str) -> None:
    linker = CompanyLinker.from_names([("nordea", "Nordea Bank Abp"), ("elisa", "Elisa Oyj")])
    text = "Mukana ovat Nordea, Elisa ja muut."
    assert linked(linker, text) == [("Nordea", "nordea"), ("Elisa", "elisa")]
    assert linked(linker, "Mukana ovat Elisa ja muut.") == []  # nothing linked to lean on


def test_a_first_name_or_a_capitalised_word_before_the_name(voikko: str) -> None:
    linker = CompanyLinker.from_names([("suominen", "Suominen Oyj"), ("nordic", "Nordic Oy")])
    if voikko == "voikko":  # without it, Suominen is not known as a surname
        assert linked(linker, "Analyytikko Petri Suominen ei yllättynyt.") == []
    assert linked(linker, "Suominen Oyj:n tulos.") == [("Suominen Oyj:n", "suominen")]
    assert linked(linker, "Cision julkaisi raportin PR Handbook Nordic tänään.") == []
