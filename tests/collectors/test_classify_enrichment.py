"""The runner's classification step (``classify: true`` on a source) on the recorded Ampparit feed."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import RECORDINGS, REPO
from triggerwatch.collectors.base import RawPayload
from triggerwatch.collectors.registry import Source, build_source, load_sources
from triggerwatch.collectors.runner import RunReport, classify_event, parse_payloads
from triggerwatch.core.contracts import CompanyRef, CompanyRole, EventKind, TriggerEventV1

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
RECORDING = RECORDINGS / "ampparit_georss_atom_2013.xml"
# Hand-made entry in the recording's own format (not real news): an appointment and a layoff headline
HAND_MADE = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>x</id><updated>2013-11-04T17:42:03+02:00</updated>
<entry><title>Valmet nimitti Anna Korhoselle uuden talousjohtajan tehtävän (Kauppalehti)</title>
<link href="http://www.ampparit.com/redir.php?id=1"/><updated>2013-11-04T17:37:10+02:00</updated>
<id>tag:ampparit.com,2013-11-04:1</id></entry>
<entry><title>Wärtsilä aloittaa muutosneuvottelut Vaasassa (Yle)</title>
<link href="http://www.ampparit.com/redir.php?id=2"/><updated>2013-11-04T17:36:10+02:00</updated>
<id>tag:ampparit.com,2013-11-04:2</id></entry>
</feed>""".encode()


def ampparit(classify: bool) -> Source:
    source = load_sources(REPO / "deploy" / "config" / "sources.yaml", include_disabled=True)["ampparit-news"]
    options = {**source.config.options, "classify": classify}
    return build_source(source.config.model_copy(update={"options": options}))


def parse(source: Source, content: bytes) -> list[TriggerEventV1]:
    raw = RawPayload(source=source.name, url=None, content=content, fetched_at=NOW)
    return parse_payloads(source, [raw], RunReport(source=source.name))


def test_recorded_ampparit_headlines_stay_news() -> None:
    # the recording is local crime, traffic and politics: none of its 50 headlines is a sales trigger
    events = parse(ampparit(True), RECORDING.read_bytes())
    assert len(events) == 50
    assert {e.kind for e in events} == {EventKind.NEWS}
    assert events == parse(ampparit(False), RECORDING.read_bytes())
    titles = {e.title for e in events}
    assert (
        "Ministeri nimesi Myllypuron mallilähiöksi (Yle)" in titles
    )  # "named" without a role: not an appointment
    assert (
        "Isot investoinnit nostavat vesimaksuja Hämeenlinnassa (Yle)" in titles
    )  # no amount: not an expansion


def test_enabled_source_refines_trigger_headlines() -> None:
    events = parse(ampparit(True), HAND_MADE)
    assert [e.kind for e in events] == [EventKind.DECISION_MAKER_CHANGE, EventKind.LAYOFFS]
    appointment = events[0]
    assert appointment.attributes["role"] == "cfo"
    assert appointment.attributes["evidence_sentence"] == appointment.title
    assert 0.5 <= float(appointment.attributes["classifier_confidence"]) <= 1.0
    assert [(c.name, c.role) for c in appointment.companies] == [("Valmet", "appointed")]
    assert [(c.name, c.role) for c in events[1].companies] == [("Wärtsilä", "subject")]
    assert events[1].attributes["evidence_sentence"] == "Wärtsilä aloittaa muutosneuvottelut Vaasassa (Yle)"
    # without the option the same items stay news
    assert {e.kind for e in parse(ampparit(False), HAND_MADE)} == {EventKind.NEWS}


def test_classify_event_leaves_other_kinds_alone() -> None:
    events = parse(ampparit(True), HAND_MADE)
    job = events[0].model_copy(update={"kind": EventKind.RECRUITMENT})
    [same] = classify_event(job)
    assert same is job


# Hand-made item (not real news): an acquisition with change negotiations, and a move between companies
TWO_TRIGGERS = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>x</id><updated>2015-03-02T09:00:00+02:00</updated>
<entry><title>Elisa ostaa Fennia IT:n ja aloittaa muutosneuvottelut (Kauppalehti)</title>
<link href="http://www.ampparit.com/redir.php?id=3"/><updated>2015-03-02T08:37:10+02:00</updated>
<id>tag:ampparit.com,2015-03-02:3</id></entry>
<entry><title>Nokian entinen myyntijohtaja siirtyy Microsoftille (Digitoday)</title>
<link href="http://www.ampparit.com/redir.php?id=4"/><updated>2015-03-02T08:36:10+02:00</updated>
<id>tag:ampparit.com,2015-03-02:4</id></entry>
</feed>"""


def test_an_item_with_two_triggers_gives_one_event_per_kind_with_deterministic_ids() -> None:
    source = ampparit(True)
    events = parse(source, TWO_TRIGGERS)
    assert {e.kind for e in events[:2]} == {EventKind.MERGER, EventKind.LAYOFFS}
    assert events[2].kind is EventKind.DECISION_MAKER_CHANGE
    first, second, change = events
    confidence = [float(e.attributes["classifier_confidence"]) for e in (first, second)]
    assert confidence[0] >= confidence[1]  # strongest first
    item_id = TriggerEventV1.make_id(source.name, "tag:ampparit.com,2015-03-02:3")
    assert first.event_id == item_id  # the strongest trigger keeps the item's id
    assert second.event_id == TriggerEventV1.make_id(
        source.name, f"tag:ampparit.com,2015-03-02:3#{second.kind.value}"
    )
    assert first.attributes["item_event_id"] == second.attributes["item_event_id"] == item_id
    merger, layoffs = sorted((first, second), key=lambda e: e.kind != EventKind.MERGER)
    assert [(c.name, c.role) for c in merger.companies] == [
        ("Elisa", CompanyRole.ACQUIRER),
        ("Fennia IT", CompanyRole.TARGET),
    ]
    assert [(c.name, c.role) for c in layoffs.companies] == [("Elisa", CompanyRole.SUBJECT)]
    assert [(c.name, c.role) for c in change.companies] == [
        ("Microsoft", CompanyRole.APPOINTED),
        ("Nokia", CompanyRole.LEAVING),
    ]
    assert change.attributes["role"] == "sales_director" and change.attributes["change"] == "appointed"
    # the same payload again gives the very same events (ids included)
    assert parse(source, TWO_TRIGGERS) == events


def test_a_subject_the_source_also_named_keeps_the_sources_business_id() -> None:
    event = TriggerEventV1.create(
        source="nasdaq-helsinki",
        source_item_id="r1",
        kind=EventKind.NEWS,
        occurred_at=NOW,
        observed_at=NOW,
        companies=[CompanyRef(business_id="0112038-9", name="Nokia Oyj")],
        title="Nokia Oyj: Nokia ostaa Alcatel-Lucentin",
        language="fi",
    )
    [merger] = classify_event(event)
    assert [(c.business_id, c.name, c.role) for c in merger.companies] == [
        ("0112038-9", "Nokia", CompanyRole.ACQUIRER),
        (None, "Alcatel-Lucent", CompanyRole.TARGET),
    ]
