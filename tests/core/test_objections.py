"""The objection register's one decision (``ObjectionRegister.reason``): business IDs, e-mail
addresses, and person names in the forms Finnish running text gives them."""

from __future__ import annotations

import json

import pytest

from triggerwatch.core.contracts import example_payloads
from triggerwatch.core.db import Database
from triggerwatch.core.objections import ObjectionRegister, add_objection, is_objected

REGISTER = ObjectionRegister.of(
    ["0246246-0"], [("person", "matti virtanen"), ("person", "anna lahti"), ("email", "maija@example.fi")]
)


def alert_saying(text: str, business_id: str = "0831312-4") -> dict[str, object]:
    return {
        "company": {"business_id": business_id, "name": "Digia Oyj"},
        "explanation": {"what_happened": text, "why_it_matters": "", "next_step": ""},
    }


@pytest.mark.parametrize(
    "text",
    [
        "Digia nimitti Matti Virtasen talousjohtajaksi",  # genitive
        "Onnittelut Matti Virtaselle!",  # allative
        "Digia: Matti Virtanen aloittaa",  # nominative
        "Digia appoints MATTI  VIRTANEN as CFO",  # case and spacing
        "Digia utnämner Matti Virtanens efterträdare",  # Swedish genitive
        "Anna Lahden ensimmäinen päivä",  # consonant gradation: Lahti → Lahden
        "mail maija@example.fi for details",
    ],
)
def test_a_registered_person_is_recognised_in_inflected_forms(text: str) -> None:
    assert REGISTER.reason(alert_saying(text)) is not None


@pytest.mark.parametrize(
    "text",
    ["Digia nimitti Maija Virtasen", "Matti Nieminen aloittaa", "Virtasen Matti", "Annalahti Oy kasvaa"],
)
def test_other_people_are_not_objected(text: str) -> None:
    assert REGISTER.reason(alert_saying(text)) is None


def test_a_one_word_name_inflects_too() -> None:
    register = ObjectionRegister.of([], [("person", "lahti"), ("person", "virtanen")])
    assert register.reason(alert_saying("Soita Lahdelle"))
    assert register.reason(alert_saying("Virtasen mukaan"))


def test_company_event_and_attribute_subjects() -> None:
    assert REGISTER.reason({"business_id": "0246246-0"}) == (
        "objection: business ID 0246246-0 is in the objection register"
    )
    event = {"title": "Uusi toimitusjohtaja", "companies": [{"business_id": "0246246-0"}]}
    assert REGISTER.reason(event) is not None  # an event naming the company
    assert REGISTER.reason(alert_saying("New CFO"), attributes={"person_name": "Matti Virtanen"})
    assert ObjectionRegister.of([], []).reason(alert_saying("Matti Virtanen")) is None


def test_a_backtest_filters_stored_alerts_with_the_same_function(sqlite_db: Database) -> None:
    """What a backtest (or any tool replaying stored alerts) does: load once, ask per alert."""
    raw = example_payloads("alerts")
    alerts = [json.loads(v) for v in raw.values()]
    with sqlite_db.session() as s:
        add_objection(s, "business_id", alerts[0]["company"]["business_id"])
        register = ObjectionRegister.load(s)
        kept = [a for a in alerts if not register.reason(a)]
        assert all(is_objected(s, a) is None for a in kept)
    assert alerts[0] not in kept and len(kept) < len(alerts)
