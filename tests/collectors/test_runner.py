"""runner.run_once in replay mode on SQLite and PostgreSQL: storage, dead letters, idempotence, time shift."""

from __future__ import annotations

import base64
import itertools
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from tests.conftest import FIXTURES, RECORDINGS, REPO
from triggerwatch.collectors.base import RawPayload
from triggerwatch.collectors.registry import Source, build_source, load_sources
from triggerwatch.collectors.runner import run_once, time_shift
from triggerwatch.core.contracts import TriggerEventV1, decode_dead_letter, decode_event
from triggerwatch.core.db import CollectorState, Database, DeadLetter, Event, Outbox
from triggerwatch.core.errors import ConfigError

SOURCES_FILE = REPO / "deploy" / "config" / "sources.yaml"
FEEDS = FIXTURES / "feeds"
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def shipped(name: str, **changes: object) -> Source:
    source = load_sources(SOURCES_FILE, include_disabled=True)[name]
    return build_source(source.config.model_copy(update=changes)) if changes else source


def gaps(events: list[TriggerEventV1]) -> list[timedelta]:
    return [a.occurred_at - b.occurred_at for a, b in itertools.pairwise(events)]


def count(db: Database, model: type, *where: sa.ColumnElement[bool]) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def stored_events(db: Database, source: str) -> list[TriggerEventV1]:
    with db.session() as s:
        rows = s.scalars(select(Event).where(Event.source == source)).all()
        return [TriggerEventV1.model_validate(r.payload) for r in rows]


def collector_state(db: Database, source: str) -> CollectorState:
    with db.session() as s:
        row = s.get(CollectorState, source)
        assert row is not None
        return row


def unshifted(source: Source, recording: Path) -> list[TriggerEventV1]:
    raw = RawPayload(source=source.name, url=None, content=recording.read_bytes(), fetched_at=NOW)
    return source.collector.parse(raw)


# -------------------------------------------------------------------------------------- replay
def test_replay_stores_events_and_outbox_rows_once(db: Database) -> None:
    source = shipped("te-jobs-jyvaskyla")
    report = run_once(source, db, None, replay_dir=RECORDINGS, clock=lambda: NOW)
    assert report.error is None and not report.not_modified
    assert (report.payloads, report.items, len(report.new_events), report.dead_letters) == (1, 17, 17, [])

    assert count(db, Event) == 17
    assert count(db, Outbox, Outbox.topic_kind == "events") == 17
    assert count(db, Outbox) == 17
    with db.session() as s:
        outbox = s.scalars(select(Outbox).order_by(Outbox.id)).all()
        event_ids = set(s.scalars(select(Event.event_id)).all())
    assert [o.ref_id for o in outbox] == [e.event_id for e in report.new_events]
    assert {o.ref_id for o in outbox} == event_ids
    for row in outbox:
        event = decode_event(row.payload)
        assert row.message_key == event.companies[0].name.lower()  # type: ignore[union-attr]
        assert event.attributes["replayed"] is True
        assert event.raw_ref == "replay:mol_fi_tyopaikat_rss_2014.xml"
        assert event.source_url == event.evidence[0].url

    state = collector_state(db, source.name)
    assert (state.items_seen, state.events_emitted) == (17, 17)
    assert state.last_success_at == NOW and state.last_error is None

    # the same recording again: deterministic ids, nothing new anywhere
    later = NOW + timedelta(hours=1)
    again = run_once(source, db, None, replay_dir=RECORDINGS, clock=lambda: later)
    assert again.items == 17 and again.new_events == []
    assert count(db, Event) == 17
    assert count(db, Outbox) == 17
    state = collector_state(db, source.name)
    assert (state.items_seen, state.events_emitted) == (34, 17)
    assert state.last_success_at == later


def test_replay_time_shift_moves_newest_event_to_now_keeping_spacing(db: Database) -> None:
    source = shipped("te-jobs-jyvaskyla")
    original = unshifted(source, RECORDINGS / "mol_fi_tyopaikat_rss_2014.xml")
    report = run_once(source, db, None, replay_dir=RECORDINGS, clock=lambda: NOW)

    stored = {e.event_id: e for e in stored_events(db, source.name)}
    assert len(stored) == 17
    shifted = [stored[e.event_id] for e in original]
    delta = NOW - max(e.occurred_at for e in original)
    assert delta > timedelta(days=365 * 10)  # the recording is from 2014
    assert max(e.occurred_at for e in shifted) == NOW
    assert shifted[0].occurred_at == NOW  # the first item of the feed is the newest
    for before, after in zip(original, shifted, strict=True):
        assert after.occurred_at == before.occurred_at + delta
        assert after.occurred_at.tzinfo is not None
        assert after.evidence[0].published_at == before.evidence[0].published_at + delta  # type: ignore[operator]
        assert after.observed_at == NOW
        assert after.attributes["replayed"] is True
        assert {k: v for k, v in after.attributes.items() if k != "replayed"} == before.attributes
    # order and spacing are those of the recording
    assert gaps(shifted) == gaps(original)
    assert [e.event_id for e in report.new_events] == [e.event_id for e in original]
    # the stored row columns follow the payload
    with db.session() as s:
        occurred = dict(s.execute(select(Event.event_id, Event.occurred_at)).tuples().all())
    assert all(occurred[e.event_id] == e.occurred_at for e in shifted)


def test_replay_without_time_shift_keeps_recorded_dates(sqlite_db: Database) -> None:
    source = shipped("ampparit-news")
    original = unshifted(source, RECORDINGS / "ampparit_georss_atom_2013.xml")
    run_once(source, sqlite_db, None, replay_dir=RECORDINGS, replay_time_shift=False, clock=lambda: NOW)
    stored = {e.event_id: e for e in stored_events(sqlite_db, source.name)}
    assert len(stored) == 50
    assert all(stored[e.event_id].occurred_at == e.occurred_at for e in original)
    assert all("replayed" not in e.attributes for e in stored.values())


def test_time_shift_of_nothing_is_nothing() -> None:
    assert time_shift([], NOW) == []


def test_replay_needs_a_recording(sqlite_db: Database, tmp_path: Path) -> None:
    source = shipped("te-jobs-jyvaskyla")
    with pytest.raises(ConfigError, match="not found"):
        run_once(source, sqlite_db, None, replay_dir=tmp_path, clock=lambda: NOW)
    assert "not found" in (collector_state(sqlite_db, source.name).last_error or "")
    no_file = shipped("te-jobs-jyvaskyla", replay_file=None)
    with pytest.raises(ConfigError, match="no replay_file"):
        run_once(no_file, sqlite_db, None, replay_dir=RECORDINGS, clock=lambda: NOW)
    with pytest.raises(ConfigError, match="HTTP fetcher"):
        run_once(source, sqlite_db, None, clock=lambda: NOW)


def test_events_and_outbox_rows_commit_in_one_transaction(db: Database) -> None:
    """A failure at the end of the write (the collector-state row) leaves no event and no outbox row."""
    with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            conn.execute(
                sa.text(
                    "CREATE FUNCTION refuse_state() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'collector_state refused'; END $$"
                )
            )
            conn.execute(
                sa.text(
                    "CREATE TRIGGER refuse_state BEFORE INSERT ON collector_state "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_state()"
                )
            )
        else:
            conn.execute(
                sa.text(
                    "CREATE TRIGGER refuse_state BEFORE INSERT ON collector_state "
                    "BEGIN SELECT RAISE(ABORT, 'collector_state refused'); END"
                )
            )
    source = shipped("te-jobs-jyvaskyla")
    report = run_once(source, db, None, replay_dir=RECORDINGS, clock=lambda: NOW)  # recorded, not raised
    assert report.error is not None and "collector_state refused" in report.error
    assert count(db, Event) == 0
    assert count(db, Outbox) == 0
    assert count(db, DeadLetter) == 0

    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "DROP TRIGGER refuse_state" + (" ON collector_state" if db.dialect == "postgresql" else "")
            )
        )
    report = run_once(source, db, None, replay_dir=RECORDINGS, clock=lambda: NOW)
    assert len(report.new_events) == 17
    assert count(db, Event) == count(db, Outbox) == 17


# --------------------------------------------------------------------------------- dead letters
def test_malformed_payload_is_dead_lettered_whole(db: Database) -> None:
    source = shipped("ampparit-news", replay_file="not_a_feed.txt")
    original = (FEEDS / "not_a_feed.txt").read_bytes()
    report = run_once(source, db, None, replay_dir=FEEDS, clock=lambda: NOW)
    assert report.error is None
    assert report.new_events == [] and report.items == 0
    assert len(report.dead_letters) == 1

    with db.session() as s:
        (row,) = s.scalars(select(DeadLetter)).all()
        outbox = s.scalars(select(Outbox)).all()
    assert row.stage == "collect"
    assert row.source == "ampparit-news"
    assert row.error_type == "malformed_feed"
    assert row.reason.startswith("malformed feed:")
    assert base64.b64decode(row.raw) == original  # the raw payload is kept, byte for byte

    (out,) = outbox
    assert out.topic_kind == "deadletter"
    assert out.ref_id == row.dead_letter_id
    assert out.message_key == "collect"
    dl = decode_dead_letter(out.payload)
    assert dl.dead_letter_id == row.dead_letter_id
    assert dl.reason == row.reason
    assert dl.raw() == original
    assert count(db, Event) == 0

    # the poll itself succeeded (the source is reachable) but its payload was bad: shown as its error
    state = collector_state(db, source.name)
    assert state.last_success_at == NOW and state.last_run_at == NOW
    assert state.last_error == f"1 new dead letter(s) (0 item(s) in 1 payload(s)): {row.reason}"
    assert state.last_error_at == NOW
    assert (state.items_seen, state.events_emitted) == (0, 0)

    # the same bad payload again is not dead-lettered twice
    run_once(source, db, None, replay_dir=FEEDS, clock=lambda: NOW + timedelta(minutes=15))
    assert count(db, DeadLetter) == 1
    assert count(db, Outbox) == 1


def test_bad_items_are_dead_lettered_and_good_ones_stored(db: Database) -> None:
    source = shipped("te-jobs-jyvaskyla", replay_file="te_jobs_mixed.xml")
    report = run_once(source, db, None, replay_dir=FEEDS, clock=lambda: NOW)
    assert report.error is None
    assert report.items == 5
    assert [e.companies[0].name for e in report.new_events] == ["Kela", "Kilosoft Oy.", "Digia Oyj"]
    assert [dl.error_type for dl in report.dead_letters] == ["title_pattern", "empty_entry"]

    assert count(db, Event) == 3
    assert count(db, Outbox, Outbox.topic_kind == "events") == 3
    assert count(db, DeadLetter) == 2
    assert count(db, Outbox, Outbox.topic_kind == "deadletter") == 2
    with db.session() as s:
        letters = {r.error_type: r for r in s.scalars(select(DeadLetter)).all()}
        dl_refs = set(s.scalars(select(Outbox.ref_id).where(Outbox.topic_kind == "deadletter")).all())
    assert dl_refs == {r.dead_letter_id for r in letters.values()}

    mismatch = letters["title_pattern"]
    assert mismatch.stage == "collect" and mismatch.source == "te-jobs-jyvaskyla"
    assert mismatch.reason == "title does not match title_pattern: 'Kesätyöntekijöitä'"
    entry = json.loads(base64.b64decode(mismatch.raw))
    assert entry["title"] == "Kesätyöntekijöitä"
    assert entry["link"] == "http://www.mol.fi/tyopaikat/tyopaikkatiedotus/haku/0000001_fi.htm?rss=true"

    empty = letters["empty_entry"]
    assert empty.reason == "entry has neither title nor link"
    entry = json.loads(base64.b64decode(empty.raw))
    assert entry["id"] == "handmade-no-title-no-link"
    assert entry["summary"] == "Ilmoitus ilman otsikkoa ja linkkiä."

    state = collector_state(db, source.name)
    assert (state.items_seen, state.events_emitted) == (5, 3)
    assert state.last_success_at == NOW == state.last_error_at  # stored the rest, showed the error
    assert (state.last_error or "").startswith("2 new dead letter(s) (5 item(s) in 1 payload(s)): ")


# ------------------------------------------------------------------------ triggerwatch collect --once
def test_cli_collect_once_in_replay_mode(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIGGERWATCH_")}
    env["TRIGGERWATCH_DATABASE__URL"] = url
    exe = str(Path(sys.executable).with_name("triggerwatch"))
    args = [exe, "collect", "te-jobs-jyvaskyla", "--once", "--replay-dir", str(RECORDINGS)]
    first = subprocess.run(args, capture_output=True, text=True, timeout=60, env=env, check=False)
    assert first.returncode == 0, first.stderr
    assert "te-jobs-jyvaskyla: 17 items, 17 new events, 0 dead letters" in first.stdout
    second = subprocess.run(args, capture_output=True, text=True, timeout=60, env=env, check=False)
    assert second.returncode == 0, second.stderr
    assert "te-jobs-jyvaskyla: 17 items, 0 new events, 0 dead letters" in second.stdout
    db = Database(url)
    try:
        assert count(db, Event) == count(db, Outbox) == 17
    finally:
        db.dispose()

    without_once = subprocess.run(args[:3], capture_output=True, text=True, timeout=60, env=env, check=False)
    assert without_once.returncode == 2
    assert "--once" in without_once.stderr
