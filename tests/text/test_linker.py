from __future__ import annotations

import pytest

from triggerwatch.text import finnish
from triggerwatch.text.linker import CompanyLinker
from triggerwatch.text.normalise import normalise_name

ROWS = [
    ("0112038-9", "Nokia Oyj"),
    ("0112038-9", "FI0009000681"),  # Nokia's ISIN as an alias
    ("wartsila", "Wärtsilä Oyj Abp"),
    ("2546240-4", "Valmet Oyj"),
    ("1041090-0", "UPM-Kymmene Oyj"),
    ("1041090-0", "UPM"),
    ("1927400-1", "Kone Oyj"),
    ("tala", "Tala Oy"),
    ("kata", "Kata Tala Oy"),
    ("accountor", "Accountor Oy"),
    ("alteams", "Alteams Oy"),
    ("schildts", "Schildts & Söderströms Ab"),
    ("fazer", "Oy Karl Fazer Ab"),
    ("outokumpu", "Outokumpu Oyj"),
    ("elisa", "Elisa Oyj"),
]


@pytest.fixture(scope="module")
def linker() -> CompanyLinker:
    return CompanyLinker.from_names(ROWS)


def surfaces(linker: CompanyLinker, text: str) -> list[tuple[str, str]]:
    return [(m.surface, m.company_id) for m in linker.link(text)]


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("ACCOUNTOR OY.", "accountor"),
        ("Alteams Oy, Laihian yksikkö", "alteams"),
        ("Oy Karl Fazer Ab", "karl fazer"),
        ("Wärtsilä Oyj Abp", "wärtsilä"),
        ("Schildts & Söderströms Ab", "schildts & söderströms"),
        ("Kiinteistö osakeyhtiö", "kiinteistö"),
    ],
)
def test_normalise_name(name: str, key: str) -> None:
    assert normalise_name(name) == key


def test_inflected_forms(linker: CompanyLinker) -> None:
    text = "Wärtsilän tilauskanta kasvoi. Nokialle uusi johtaja. Valmetin ja UPM:n sopimus."
    assert surfaces(linker, text) == [
        ("Wärtsilän", "wartsila"),
        ("Nokialle", "0112038-9"),
        ("Valmetin", "2546240-4"),
        ("UPM:n", "1041090-0"),
    ]
    m = linker.link(text)[0]
    assert text[m.start : m.end] == "Wärtsilän" and m.name == "Wärtsilä Oyj Abp"


def test_gradation_and_illative(linker: CompanyLinker) -> None:
    # (Outokumpu and Nokia are also places: they need company words next to them)
    assert surfaces(linker, "Outokummun toimitusjohtaja ja Nokiaan siirtyvä johtaja") == [
        ("Outokummun", "outokumpu"),
        ("Nokiaan", "0112038-9"),
    ]


def test_rejects_non_endings_and_lowercase(linker: CompanyLinker) -> None:
    # "Nokiakaupunki"-like compounds without a hyphen and lowercase common words are not links
    assert linker.link("nokialainen Valmetinkatu kone") == []


def test_nested_names_longest_wins(linker: CompanyLinker) -> None:
    assert surfaces(linker, "Kata Tala Oy osti Tala Oy:n") == [
        ("Kata Tala Oy", "kata"),
        ("Tala Oy:n", "tala"),
    ]


def test_common_word_name_needs_support(linker: CompanyLinker) -> None:
    result = linker.analyse("Kone toimitti hissit.")
    assert result.mentions == []
    assert [(u.surface, u.candidates) for u in result.unlinked] == [("Kone", ("1927400-1",))]
    assert surfaces(linker, "Kone Oyj:n osake nousi") == [("Kone Oyj:n", "1927400-1")]
    assert surfaces(linker, "Koneen toimitusjohtaja erosi") == [("Koneen", "1927400-1")]
    assert linker.link("Elisa kertoi") == []  # a first name
    assert surfaces(linker, "Kone (1927400-1) toimitti") == [
        ("Kone", "1927400-1"),
        ("1927400-1", "1927400-1"),
    ]


def test_swedish_name(linker: CompanyLinker) -> None:
    assert surfaces(linker, "Schildts & Söderströms ger ut boken, Oy Karl Fazer Ab:s vd") == [
        ("Schildts & Söderströms", "schildts"),
        ("Karl Fazer Ab:s", "fazer"),
    ]


def test_all_caps_employer_and_unit_suffix(linker: CompanyLinker) -> None:
    assert surfaces(linker, "Työnantaja: ACCOUNTOR OY. Helsinki") == [("ACCOUNTOR OY", "accountor")]
    assert surfaces(linker, "Alteams Oy, Laihian yksikkö hakee hitsaajia") == [("Alteams Oy", "alteams")]


def test_identifiers_first(linker: CompanyLinker) -> None:
    mentions = linker.link("Osake FI0009000681 ja y-tunnus 2546240-4")
    assert [(m.surface, m.company_id, m.confidence) for m in mentions] == [
        ("FI0009000681", "0112038-9", 1.0),
        ("2546240-4", "2546240-4", 1.0),
    ]


def test_longer_proper_name_is_not_the_company() -> None:
    linker = CompanyLinker.from_names([("h", "Hans Oy")])
    result = linker.analyse("Hans Vestberg ja Hans-Jürgen Bill")
    assert result.mentions == [] and [u.reason for u in result.unlinked] == ["part of a longer name"] * 2


def test_shared_name_goes_unlinked_not_guessed() -> None:
    linker = CompanyLinker.from_names([("a", "Tala Oy"), ("b", "Tala Ky")])
    assert linker.link("Tala Oy voitti") == [] or linker.link("Tala Oy voitti")[0].company_id == "a"
    result = linker.analyse("Talan tulos")
    assert result.mentions == [] and result.unlinked[0].candidates == ("a", "b")


def test_resolve(linker: CompanyLinker) -> None:
    best = linker.resolve("Valmet Oyj nimitti uuden talousjohtajan")
    assert best is not None and best.company_id == "2546240-4"
    assert linker.resolve("Valmetin ja Wärtsilän yhteinen hanke") is None  # two companies, equal evidence
    assert linker.resolve("Kone toimitti") is None


def test_case_endings_rules() -> None:
    assert finnish.is_case_ending("upm", ":ää")
    assert finnish.is_case_ending("valmet", "in")
    assert finnish.is_case_ending("kone", "en")
    assert finnish.is_case_ending("wärtsilä", "ssä")
    assert not finnish.is_case_ending("wärtsilä", "ssa")  # vowel harmony
    assert not finnish.is_case_ending("nokia", "kaupunki")
    assert "outokummu" in finnish.stem_variants("outokumpu")


@pytest.mark.skipif(not finnish.voikko_available(), reason="Voikko not installed")
def test_voikko_lemmas_and_word_classes() -> None:
    assert finnish.lemma_matches("Wärtsilän", "wärtsilä")
    assert finnish.is_common_word("kone") and finnish.is_common_word("elisa")
    assert not finnish.is_common_word("nokia")  # a place name, not a common word


def test_names_after_punctuation_and_quotes(linker: CompanyLinker) -> None:
    assert surfaces(linker, "»Nokia« ja (Wärtsilä) sekä “Valmetin”") == [
        ("Nokia", "0112038-9"),
        ("Wärtsilä", "wartsila"),
        ("Valmetin", "2546240-4"),
    ]


def test_latin1_text_is_already_nfc() -> None:
    # the linker skips NFC normalisation for Latin-1 text: no Latin-1 pair composes or decomposes
    import unicodedata

    latin1 = [chr(c) for c in range(256)]
    assert all(unicodedata.is_normalized("NFC", a + b) for a in latin1 for b in latin1)


def test_text_outside_latin1(linker: CompanyLinker) -> None:
    # wide separators (dashes, curly quotes), other scripts and decomposed letters (NFC)
    text = "Työnantaja – “Valmetin” ja Wa\u0308rtsila\u0308n € İstanbul: Nokian osake—UPM:ää"
    assert surfaces(linker, text) == [
        ("Valmetin", "2546240-4"),
        ("Wärtsilän", "wartsila"),
        ("Nokian", "0112038-9"),
        ("UPM:ää", "1041090-0"),
    ]
    for m in linker.link(text):
        assert unicodedata_nfc(text)[m.start : m.end] == m.surface


def unicodedata_nfc(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFC", text)


def test_identifiers_in_latin1_and_wider_text(linker: CompanyLinker) -> None:
    for text in ("y-tunnus 2546240-4.", "y-tunnus – 2546240-4 – ja ISIN FI0009000681 €"):
        assert {(m.surface, m.company_id) for m in linker.link(text) if m.confidence == 1.0} >= {
            ("2546240-4", "2546240-4")
        }
    assert [m.company_id for m in linker.link("ISIN FI0009000681 €")] == ["0112038-9"]
    assert linker.link("numero 25462404 ja 2546240-44") == []


def test_long_names_and_many_keys() -> None:
    long_name = "Pitkä " + " ".join(f"Sana{i}" for i in range(800)) + " Oy"
    linker = CompanyLinker.from_names([("long", long_name), ("short", "Pitkä Oy")])
    text = "Uutinen: " + long_name.removesuffix(" Oy") + " tulos"
    assert [(m.company_id, m.end) for m in linker.link(text)] == [("long", len(text) - len(" tulos"))]
    assert [m.company_id for m in linker.link("Pitkän tulos")] == ["short"]


def test_gradation_variant_that_is_also_a_name() -> None:
    # "kaupa" is both the weak-grade stem of Kauppa and a name of its own: both stay in the index
    linker = CompanyLinker.from_names([("a", "Kauppa Oy"), ("b", "Kaupa Oy")])
    assert surfaces(linker, "Kaupan tulos") == [("Kaupan", "b")]
    assert surfaces(linker, "Kaupalle tulos") == [("Kaupalle", "b")]
    assert surfaces(linker, "Kauppa Oy:n tulos") == [("Kauppa Oy:n", "a")]


@pytest.mark.skipif(not finnish.voikko_available(), reason="Voikko not installed")
def test_voikko_analyses_do_not_depend_on_case() -> None:
    # finnish.analyse caches one entry for "Nokian", "nokian" and "NOKIAN"; Voikko lowercases first
    for word in ("Nokian", "Wärtsilässä", "UPM:n", "Koneen", "Helsingissä", "talossa", "Elisa"):
        assert finnish.analyse(word) == finnish.analyse(word.lower()) == finnish.analyse(word.upper())


def test_the_longest_key_at_a_word_start_wins() -> None:
    # The scan takes the automaton's longest key at each word start (iter_long): "Kiinteistöjen" is
    # "Kiinteistöje" + n, not the plural of "Kiinteistö" (Voikko's lemma): a name that is a longer
    # prefix of the token wins, as "Nokian Renkaat" wins over "Nokia" in "Nokian Renkaat".
    linker = CompanyLinker.from_names([("a", "Kiinteistö Oy"), ("b", "Kiinteistöje Oy")])
    assert surfaces(linker, "Kiinteistöjen hallitus") == [("Kiinteistöjen", "b")]
    linker = CompanyLinker.from_names([("n", "Nokia Oyj"), ("r", "Nokian Renkaat Oyj")])
    assert surfaces(linker, "Nokian Renkaat ja Nokian osake") == [("Nokian Renkaat", "r"), ("Nokian", "n")]
