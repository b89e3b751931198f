"""Contract tests: every example payload of every topic goes through every consumer of that topic."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from triggerwatch.core.contracts import (
    EVENT_NAMESPACE,
    MODEL_BY_TOPIC_KIND,
    TOPIC_KINDS,
    AlertV1,
    DeadLetterV1,
    TargetScoreV1,
    TriggerEventV1,
    decode_alert,
    decode_dead_letter,
    decode_event,
    decode_target,
    encode,
    example_payloads,
    name_id,
    topic_names,
)
from triggerwatch.core.db import Database
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.core.rules import load_rules
from triggerwatch.core.settings import CONFIG_DIR, NotifierSettings
from triggerwatch.notifier.dispatcher import Dispatcher
from triggerwatch.notifier.render import render_blocks, render_crm, render_email, render_text
from triggerwatch.notifier.sinks.console import ConsoleSink
from triggerwatch.worker.processing import Processor


def _worker(db: Database) -> Callable[[bytes], Any]:
    processor = Processor(db, load_rules(CONFIG_DIR / "rules.yaml"))

    def consume(raw: bytes) -> Any:
        [outcome] = processor.process_batch([raw])
        assert outcome.dead_letter is None, outcome.dead_letter
        return outcome

    return consume


def _notifier(db: Database) -> Callable[[bytes], Any]:
    stream = io.StringIO()
    dispatcher = Dispatcher(db, [ConsoleSink(stream=stream)], NotifierSettings())

    def consume(raw: bytes) -> Any:
        alert = decode_alert(raw)
        assert asyncio.run(dispatcher.deliver(alert)) == {"console": "delivered"}
        assert alert.company.name and alert.company.name in stream.getvalue()
        return alert

    return consume


def _renderers(db: Database) -> Callable[[bytes], Any]:
    def consume(raw: bytes) -> Any:
        alert = decode_alert(raw)
        assert alert.explanation.what_happened.split(":")[0] in render_text(alert)
        assert render_blocks(alert)
        subject, text, html = render_email(alert)
        assert subject and text and "<html" in html.lower()
        assert render_crm(alert)["alert_id"] == alert.alert_id
        return alert

    return consume


CONSUMERS: dict[str, list[Callable[[Database], Callable[[bytes], Any]]]] = {
    "events": [lambda db: decode_event, _worker],
    "alerts": [lambda db: decode_alert, _notifier, _renderers],
    "targets": [lambda db: decode_target],
    "deadletter": [lambda db: decode_dead_letter],
}
CASES = [
    (kind, name, i)
    for kind in TOPIC_KINDS
    for name in example_payloads(kind)
    for i in range(len(CONSUMERS[kind]))
]


def test_every_topic_has_examples_and_consumers() -> None:
    assert set(CONSUMERS) == set(TOPIC_KINDS) == set(MODEL_BY_TOPIC_KIND)
    for kind in TOPIC_KINDS:
        assert example_payloads(kind), f"no example payload for topic {kind}"
    assert set(topic_names("acme").values()) == {f"acme.{k}.v1" for k in TOPIC_KINDS}


@pytest.mark.parametrize(("kind", "name", "consumer"), CASES)
def test_example_through_consumer(sqlite_db: Database, kind: str, name: str, consumer: int) -> None:
    raw = example_payloads(kind)[name]
    assert CONSUMERS[kind][consumer](sqlite_db)(raw) is not None


@pytest.mark.parametrize("kind", TOPIC_KINDS)
def test_examples_round_trip_exactly(kind: str) -> None:
    model = MODEL_BY_TOPIC_KIND[kind]
    for raw in example_payloads(kind).values():
        parsed = model.model_validate_json(raw)
        assert json.loads(encode(parsed)) == json.loads(raw)


def test_event_id_is_deterministic() -> None:
    a = TriggerEventV1.make_id("src", "item-1")
    assert a == TriggerEventV1.make_id("src", "item-1")
    assert a != TriggerEventV1.make_id("src", "item-2")
    assert a != TriggerEventV1.make_id("other", "item-1")
    assert AlertV1.make_id("e", "pg") != AlertV1.make_id("e", "pg2")


def test_naive_datetimes_and_bad_business_ids_are_schema_violations() -> None:
    data = json.loads(example_payloads("events")["recruitment_rss_name_only.json"])
    data["occurred_at"] = "2014-05-16T08:32:31"
    with pytest.raises(InvalidInputError, match="occurred_at") as info:
        decode_event(json.dumps(data))
    assert info.value.error_type == "schema_violation"
    data = json.loads(example_payloads("events")["decision_maker_change_business_id.json"])
    data["companies"][0]["business_id"] = "0831312-5"
    with pytest.raises(InvalidInputError, match="business ID"):
        decode_event(json.dumps(data))


def test_unknown_kind_and_extra_fields_are_refused() -> None:
    data = json.loads(example_payloads("events")["news_no_company.json"])
    with pytest.raises(InvalidInputError):
        decode_event(json.dumps({**data, "kind": "gossip"}))
    with pytest.raises(InvalidInputError):
        decode_event(json.dumps({**data, "surprise": 1}))


def test_dead_letter_keeps_the_raw_payload() -> None:
    raw = b"\x00\xffnot utf-8"
    dl = DeadLetterV1.from_raw(stage="worker", reason="r", raw=raw, error_type="t", source=None)
    assert decode_dead_letter(encode(dl)).raw() == raw
    assert TargetScoreV1.model_validate_json(next(iter(example_payloads("targets").values()))).key()


def test_examples_folder_is_packaged() -> None:
    import triggerwatch.core

    assert (Path(triggerwatch.core.__file__).parent / "examples" / "events").is_dir()


@given(st.text(max_size=300))
def test_name_id_is_the_uuid5_of_the_name(name: str) -> None:
    # ids already stored were made with uuid.uuid5: the fast path must give the very same strings
    assert name_id(name) == str(uuid.uuid5(EVENT_NAMESPACE, name))


def test_trigger_examples_carry_subject_companies_with_roles() -> None:
    # issue 16: news classified into triggers names each subject company with its role
    examples = example_payloads("events")
    merger = decode_event(examples["merger_news_acquirer_target.json"])
    assert [(c.name, c.role.value) for c in merger.companies] == [
        ("Elisa", "acquirer"),
        ("Fennia IT Oy", "target"),
    ]
    assert (
        merger.attributes["deal_role"] == "acquirer" and merger.attributes["counterparty"] == "Fennia IT Oy"
    )
    change = decode_event(examples["decision_maker_change_news_appointed_leaving.json"])
    assert [(c.name, c.role.value) for c in change.companies] == [
        ("Microsoft", "appointed"),
        ("Nokia", "leaving"),
    ]
    assert change.attributes["change"] == "appointed" and change.attributes["person_name"] == "Matti Virtanen"
    layoffs = decode_event(examples["layoffs_news_second_trigger_of_item.json"])
    # the second trigger of the same item: its own deterministic id, the item's id in the attributes
    assert layoffs.attributes["item_event_id"] == merger.event_id
    assert layoffs.event_id == TriggerEventV1.make_id(layoffs.source, f"{layoffs.source_item_id}#layoffs")


def test_company_roles_are_an_additive_change() -> None:
    data = json.loads(example_payloads("events")["recruitment_rss_name_only.json"])
    for role in (
        "subject",
        "buyer",
        "winner",
        "employer",
        "acquirer",
        "target",
        "seller",
        "appointed",
        "leaving",
    ):
        data["companies"][0]["role"] = role
        assert decode_event(json.dumps(data)).companies[0].role.value == role
    data["companies"][0]["role"] = "bystander"
    with pytest.raises(InvalidInputError):
        decode_event(json.dumps(data))
