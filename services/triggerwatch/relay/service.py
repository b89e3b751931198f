"""``triggerwatch relay``: the relay against a real broker (waits for it, probes its epoch, makes
sure the topics exist), until the stop event is set."""

from __future__ import annotations

import threading
from typing import Any

from triggerwatch.core.broker import wait_until_answers
from triggerwatch.core.db import Database
from triggerwatch.core.kafka import KafkaEventPublisher, admin_client, broker_epoch, ensure_topics
from triggerwatch.core.settings import RelaySettings
from triggerwatch.relay.relay import Relay


def run_relay(settings: RelaySettings, stop: threading.Event) -> None:
    wait_until_answers(settings.bootstrap_servers, 60)
    admin_holder: dict[str, Any] = {}

    def admin() -> Any:
        if "a" not in admin_holder:
            admin_holder["a"] = admin_client(settings.bootstrap_servers)
        return admin_holder["a"]

    def probe() -> str | None:
        try:
            return broker_epoch(settings, admin=admin())
        except Exception:
            admin_holder.pop("a", None)
            raise

    publisher = KafkaEventPublisher(settings.bootstrap_servers, client_id="triggerwatch-relay")
    relay = Relay(
        Database(settings.database.url),
        publisher,
        settings,
        epoch_probe=probe,
        ensure_topics=lambda: ensure_topics(settings, admin=admin()),
    )
    try:
        relay.run(stop)
    finally:
        publisher.close()
