"""Bad input never blocks good input (issue 15): a dead letter can always be built, text is cleaned at
the contract boundary so every database takes it, and a failing item, page or source is isolated,
recorded as the source's error, counted in the failing metric and shown on the ops page."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from tests.conftest import RECORDINGS, REPO
from tests.web.conftest import make_web
from tests.web.test_ops import login
from triggerwatch.collectors.base import (
    Collector,
    CollectorOptions,
    CursorState,
    FetchOutcome,
    RawItem,
    RawPayload,
)
from triggerwatch.collectors.registry import Source, build_source
from triggerwatch.collectors.runner import run_once
from triggerwatch.core.contracts import DeadLetterV1, TriggerEventV1, decode_event, encode
from triggerwatch.core.db import CollectorState, Database, DeadLetter, Event
from triggerwatch.core.http import HttpFetcher
from triggerwatch.core.sources import Schedule, SourceConfig, read_source_configs
from triggerwatch.web.auth import Role

SOURCES_FILE = REPO / "deploy" / "config" / "sources.yaml"
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def shipped(entry: str, **changes: Any) -> Source:
    config = read_source_configs(SOURCES_FILE, include_disabled=True)[entry]
    return build_source(config.model_copy(update=changes))


def stored(db: Database, source: str) -> dict[str, TriggerEventV1]:
    with db.session() as s:
        rows = s.scalars(select(Event).where(Event.source == source)).all()
        return {r.source_item_id: TriggerEventV1.model_validate(r.payload) for r in rows}


def state(db: Database, source: str) -> CollectorState:
    with db.session() as s:
        row = s.get(CollectorState, source)
        assert row is not None
        return row


# ------------------------------------------------------------------------------ the contract boundary
@settings(max_examples=150, deadline=None)
@given(
    reason=st.text(),
    raw=st.one_of(st.none(), st.binary(), st.text()),
    source=st.one_of(st.none(), st.text()),
)
def test_a_dead_letter_can_always_be_built_and_keeps_the_raw_input(
    reason: str, raw: bytes | str | None, source: str | None
) -> None:
    dl = DeadLetterV1.from_raw(stage="collect", reason=reason, raw=raw, error_type="x", source=source)
    encoded = encode(dl)  # it serialises (no lone surrogate, no NUL left in its texts)
    assert b"\\u0000" not in encoded and "\x00" not in dl.reason
    if isinstance(raw, bytes):
        assert dl.raw() == raw  # bytes as they came, invalid UTF-8 too
    elif isinstance(raw, str):
        assert dl.raw().decode("utf-8") == raw.encode("utf-8", "backslashreplace").decode("utf-8")


def test_decoding_cleans_nul_control_characters_and_lone_surrogates() -> None:
    event = TriggerEventV1.create(
        source="s",
        source_item_id="1",
        kind="news",
        occurred_at=NOW,
        observed_at=NOW,
        title="ok",
        companies=[{"name": "Acme\x00 Oy"}],
        attributes={"k": "v\ud800"},
    )
    assert event.companies[0].name == "Acme Oy" and event.attributes["k"] == "v\ufffd"
    data = json.loads(encode(event))
    data["title"] = "A\u0000B\u0007C\ud800D"  # what a foreign producer could put on the topic
    for raw in (
        json.dumps(data).encode(),
        json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass"),
    ):
        assert decode_event(raw).title == "ABC\ufffdD"


# ---------------------------------------------------------------------- one poisoned item, every database
def test_a_poisoned_item_never_blocks_its_source(module_db: Database, tmp_path: Path) -> None:
    """The issue's case: a job whose title holds a lone surrogate (valid JSON), another with a NUL in
    the employer's name (PostgreSQL refuses NUL), a third of the wrong type: the rest is stored."""
    db = module_db
    page = json.loads((RECORDINGS / "te_tpt_api_valmet_automotive_2021.json").read_text("utf-8"))
    docs = page["response"]["docs"]
    assert len(docs) == 4
    docs[0]["tehtavanimi"] = "Kehittäjä \ud800"
    docs[1]["tyonantajanNimi"] = "Valmet\u0000 Automotive Oy"
    docs[2] = ["not", "a", "job", "\ud800"]
    (tmp_path / "jobs.json").write_text(json.dumps(page), encoding="utf-8")  # "\ud800" escaped: valid JSON
    source = shipped("te-jobs-tpt", replay_file="jobs.json")

    report = run_once(source, db, None, replay_dir=tmp_path, replay_time_shift=False, clock=lambda: NOW)

    assert report.error is None
    assert (report.items, len(report.new_events), len(report.dead_letters)) == (4, 3, 1)
    events = stored(db, source.name)
    assert len(events) == 3
    titles = {e.title for e in events.values()}
    assert any("Kehittäjä \ufffd" in t for t in titles)
    assert any(c.name == "Valmet Automotive Oy" for e in events.values() for c in e.companies)
    (dl,) = report.dead_letters
    assert dl.reason == "job ad is not an object"
    assert json.loads(dl.raw()) == ["not", "a", "job", "\ud800"]  # kept, escaped
    with db.session() as s:
        row = s.get(DeadLetter, dl.dead_letter_id)
        assert row is not None and base64.b64decode(row.raw) == dl.raw()
    st_ = state(db, source.name)
    assert st_.last_success_at == NOW == st_.last_error_at
    assert st_.last_error == "1 new dead letter(s) (4 item(s) in 1 payload(s)): job ad is not an object"


def test_a_cision_issuer_with_nul_is_stored(module_db: Database, tmp_path: Path) -> None:
    db = module_db
    feed = json.loads((RECORDINGS / "cision_papi_newsfeed_sv_2022.json").read_text("utf-8"))
    feed["Releases"][0]["SourceName"] = "Exel\x00 Composites Oyj"
    feed["Releases"][0]["Title"] = "Bokslutskommuniké\x00 2021"
    (tmp_path / "cision.json").write_text(json.dumps(feed), encoding="utf-8")
    source = shipped("cision-ir", replay_file="cision.json")
    report = run_once(source, db, None, replay_dir=tmp_path, replay_time_shift=False, clock=lambda: NOW)
    assert report.error is None and report.dead_letters == [] and len(report.new_events) == 1
    (event,) = stored(db, source.name).values()
    assert "\x00" not in event.title and event.title.startswith("Bokslutskommuniké 2021")


def test_prh_notices_as_a_list_of_pages_are_parsed_and_a_list_of_junk_is_dead_lettered(
    module_db: Database, tmp_path: Path
) -> None:
    db = module_db
    page = json.loads((RECORDINGS / "prh_notices_digia_derived.json").read_text("utf-8"))
    (tmp_path / "pages.json").write_text(json.dumps([page, page]), encoding="utf-8")
    source = shipped("prh-trade-notices", replay_file="pages.json")
    report = run_once(source, db, None, replay_dir=tmp_path, replay_time_shift=False, clock=lambda: NOW)
    assert report.error is None and report.items == 4 and report.dead_letters == []
    assert len(stored(db, source.name)) == 2  # the same two notices twice: stored once

    (tmp_path / "junk.json").write_text(json.dumps([{"totally": "unrelated"}]), encoding="utf-8")
    junk = shipped("prh-trade-notices", name="prh-junk", replay_file="junk.json")
    report = run_once(junk, db, None, replay_dir=tmp_path, replay_time_shift=False, clock=lambda: NOW)
    (dl,) = report.dead_letters  # never "0 items" in silence
    assert "neither a company" in dl.reason
    assert (state(db, "prh-junk").last_error or "").startswith("1 new dead letter(s)")


# ------------------------------------------------------------------- a failing source: recorded and shown
class BrokenOptions(CollectorOptions):
    pass


class BrokenCollector(Collector[BrokenOptions]):
    """A collector with a bug in its fetch (a page shape it did not expect)."""

    type_name: ClassVar[str] = "broken"
    Options: ClassVar[type[CollectorOptions]] = BrokenOptions
    default_schedule: ClassVar[Schedule] = Schedule(interval_s=60)

    def fetch(self, http: HttpFetcher, state: CursorState) -> FetchOutcome:
        return FetchOutcome(payloads=[], state=state) if http is None else {}["page"]

    def split(self, raw: RawPayload) -> list[RawItem]:
        return []

    def parse_item(self, item: RawItem) -> list[TriggerEventV1]:
        return []


def test_a_source_whose_fetch_breaks_is_recorded_counted_and_shown(sqlite_db: Database) -> None:
    db = sqlite_db
    config = SourceConfig(name="broken-source", type="broken")
    source = Source(config, BrokenCollector("broken-source", BrokenOptions()))
    report = run_once(source, db, HttpFetcher(user_agent="t"), clock=lambda: NOW)  # never raises
    assert report.error == "KeyError: 'page'"
    assert state(db, "broken-source").last_error == "KeyError: 'page'"

    web = make_web(db, now=NOW)
    metrics = web.client.get("/metrics", headers=web.as_(Role.OPS)).text
    failing = {
        s.labels["source"]: s.value
        for fam in text_string_to_metric_families(metrics)
        for s in fam.samples
        if s.name == "triggerwatch_source_failing"
    }
    assert failing == {"broken-source": 1.0}
    login(web, Role.OPS)
    page = web.client.get("/ui/ops").text
    row = re.search(r'<tr class="source-row" data-source="broken-source">(.*?)</tr>', page, re.S)
    assert row and "FAILING" in row.group(1).upper() and "KeyError: &#39;page&#39;" in row.group(1)
    web.client.close()
