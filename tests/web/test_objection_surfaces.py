"""The objection register at every web surface: the rep's feed and API, the company page and API
(marked "do not contact"), and the exports (CRM pull, CSV)."""

from __future__ import annotations

import csv
import io

from tests.web.conftest import Web, clone_alert
from tests.web.test_api import DIGIA_ALERT, KELA_ALERT
from tests.web.test_ops import login
from triggerwatch.core.objections import add_objection
from triggerwatch.web.auth import Role

NAMED_ALERT = "11111111-2222-5333-8444-555555555555"


def test_an_objected_company_is_not_shown_to_reps_and_is_marked_do_not_contact(sqlite_web: Web) -> None:
    web = sqlite_web
    with web.db.session() as s:
        add_objection(s, "business_id", "0246246-0", "asked not to be contacted")
    rep = web.as_(Role.REP)
    assert [a["alert_id"] for a in web.client.get("/api/v1/alerts", headers=rep).json()] == [DIGIA_ALERT]
    one = web.client.get(f"/api/v1/alerts/{KELA_ALERT}", headers=rep)
    assert one.status_code == 451 and "do not contact" in one.json()["detail"]
    company = web.client.get("/api/v1/companies/0246246-0", headers=rep).json()
    assert company["do_not_contact"] == "objection: business ID 0246246-0 is in the objection register"
    assert company["timeline"] == [] and company["timeline_withheld"] >= 2  # its alert and its events
    login(web, Role.REP)
    feed = web.client.get("/ui/alerts").text
    assert "Kela: IT asiantuntija" not in feed and "Digia Oyj" in feed
    page = web.client.get("/ui/companies/0246246-0").text
    assert 'id="do-not-contact"' in page and "DO NOT CONTACT" in page
    assert "Contact Kela" not in page and "IT asiantuntija" not in page
    crm = web.as_(Role.CRM)
    pulled = web.client.get("/api/v1/triggers", headers=crm).json()
    assert [i["alert_id"] for i in pulled["items"]] == [DIGIA_ALERT] and pulled["skipped_objected"] == 1


def test_an_alert_naming_an_objected_person_is_withheld_from_every_surface(sqlite_web: Web) -> None:
    web = sqlite_web
    explanation = {
        "what_happened": "Digia Oyj nimitti Maija Meikäläisen talousjohtajaksi",
        "why_it_matters": "New decision-makers review their suppliers.",
        "target_group_rule": "TOL J (62)",
        "next_step": "Onnittele Maija Meikäläistä.",
    }
    clone_alert(web.db, DIGIA_ALERT, NAMED_ALERT, explanation=explanation)
    with web.db.session() as s:
        add_objection(s, "person", "Maija Meikäläinen")
    rep, crm = web.as_(Role.REP), web.as_(Role.CRM)
    listed = web.client.get("/api/v1/alerts", headers=rep)
    assert NAMED_ALERT not in {a["alert_id"] for a in listed.json()}
    assert listed.headers["X-Withheld-Objected"] == "1"
    assert web.client.get(f"/api/v1/alerts/{NAMED_ALERT}", headers=rep).status_code == 451
    timeline = web.client.get("/api/v1/companies/0831312-4", headers=rep).json()
    assert NAMED_ALERT not in {i.get("alert_id") for i in timeline["timeline"]}
    assert timeline["timeline_withheld"] == 1 and timeline["do_not_contact"] is None
    pulled = web.client.get("/api/v1/triggers", headers=crm).json()
    assert NAMED_ALERT not in {i["alert_id"] for i in pulled["items"]} and pulled["skipped_objected"] == 1
    exported = web.client.get("/api/v1/triggers.csv", headers=crm).text
    assert "Meikäl" not in exported and len(list(csv.DictReader(io.StringIO(exported)))) == 2
    login(web, Role.REP)
    feed = web.client.get("/ui/alerts").text
    assert "Meikäl" not in feed and 'id="withheld"' in feed
