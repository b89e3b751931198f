from __future__ import annotations

import pytest

from triggerwatch.core.contracts import EventKind
from triggerwatch.text.classify import classify, detect_language


@pytest.mark.parametrize(
    ("title", "language", "kind", "role"),
    [
        (
            "Yhtiö nimitti Matti Virtasen uudeksi toimitusjohtajaksi.",
            "fi",
            EventKind.DECISION_MAKER_CHANGE,
            "managing_director",
        ),
        (
            "Anna Korhonen on nimitetty Kesko Oyj:n hallituksen puheenjohtajaksi",
            "fi",
            EventKind.DECISION_MAKER_CHANGE,
            "board_chair",
        ),
        ("Valmet nimitti uuden talousjohtajan", "fi", EventKind.DECISION_MAKER_CHANGE, "cfo"),
        ("Bolaget har utsett Erik Lindqvist till ny vd", "sv", EventKind.DECISION_MAKER_CHANGE, "ceo"),
        ("Acme appoints Jane Smith as Chief Financial Officer", "en", EventKind.DECISION_MAKER_CHANGE, "cfo"),
        ("Acme names John Doe sales director", "en", EventKind.DECISION_MAKER_CHANGE, "sales_director"),
        ("Wärtsilä rekrytoi 200 uutta työntekijää Vaasaan", "fi", EventKind.RECRUITMENT, None),
        ("Företaget rekryterar 30 nya medarbetare", "sv", EventKind.RECRUITMENT, None),
        ("Acme is hiring 50 engineers in Oulu", "en", EventKind.RECRUITMENT, None),
        ("Acme Oy aloittaa muutosneuvottelut, jotka koskevat 120 henkilöä", "fi", EventKind.LAYOFFS, None),
        ("Yhtiö käynnistää yt-neuvottelut", "fi", EventKind.LAYOFFS, None),
        ("Företaget inleder samarbetsförhandlingar", "sv", EventKind.LAYOFFS, None),
        ("Acme announces layoffs at its Espoo site", "en", EventKind.LAYOFFS, None),
        ("Yritys laajentaa tehdastaan Kokkolassa", "fi", EventKind.EXPANSION, None),
        ("Acme opens a new factory in Kokkola", "en", EventKind.EXPANSION, None),
        ("Startup raises €5 million in a Series A funding round", "en", EventKind.FUNDING, None),
        ("Kasvuyritys keräsi rahoituskierroksella 3 miljoonaa euroa", "fi", EventKind.FUNDING, None),
        ("Kaupunki julkaisi tarjouspyynnön siivouspalveluista", "fi", EventKind.PROCUREMENT_OPEN, None),
        ("Regionen inleder en upphandling av städtjänster", "sv", EventKind.PROCUREMENT_OPEN, None),
    ],
)
def test_classify(title: str, language: str, kind: EventKind, role: str | None) -> None:
    found = classify(title, None, language)
    assert found is not None and found.kind is kind
    assert found.attributes.get("role") == role
    assert found.evidence_sentence == title and found.attributes["evidence_sentence"] == title
    assert 0.5 <= float(found.attributes["classifier_confidence"]) <= 1.0


def test_attributes() -> None:
    found = classify("Yhtiö nimitti Matti Virtasen uudeksi toimitusjohtajaksi.", None, "fi")
    assert found is not None and found.attributes["person_name"] in ("Matti Virtanen", "Matti Virtasen")
    recruitment = classify("Wärtsilä rekrytoi 200 uutta työntekijää Vaasaan", None, "fi")
    assert recruitment is not None and recruitment.attributes["openings"] == 200


def test_evidence_is_the_trigger_sentence_of_the_body() -> None:
    found = classify(
        "Kvartaalikatsaus", "Liikevaihto kasvoi. Yhtiö aloittaa muutosneuvottelut. Osinko ennallaan.", "fi"
    )
    assert found is not None and found.kind is EventKind.LAYOFFS
    assert found.evidence_sentence == "Yhtiö aloittaa muutosneuvottelut."


@pytest.mark.parametrize(
    "title",
    [
        "Ericssonin toimitusjohtaja ei ole lähdössä Microsoftin toimitusjohtajaksi .",  # FiNER, negated
        "Ministeri nimesi Myllypuron mallilähiöksi",  # Ampparit: "named" without a role
        "Isot investoinnit nostavat vesimaksuja Hämeenlinnassa",  # Ampparit: investment without an amount
        "Hurja takaa-ajo Kouvolassa",
    ],
)
def test_ordinary_news_is_not_a_trigger(title: str) -> None:
    assert classify(title, None, "fi") is None


def test_detect_language() -> None:
    assert detect_language("Bolaget har utsett en ny vd för koncernen") == "sv"
    assert detect_language("The company has appointed a new CEO") == "en"
    assert detect_language("Yhtiö on nimittänyt uuden toimitusjohtajan") == "fi"
