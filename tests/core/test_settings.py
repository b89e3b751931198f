from __future__ import annotations

import pytest

from triggerwatch.core.errors import ConfigError
from triggerwatch.core.settings import BaseServiceSettings, NotifierSettings, WorkerSettings, load


def test_env_prefix_nesting_and_kafka_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv("TRIGGERWATCH_DATABASE__URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("TRIGGERWATCH_KAFKA__PARTITIONS", "6")
    s = load(WorkerSettings)
    assert s.bootstrap_servers == "kafka:9092"
    assert not s.embedded_broker
    assert s.database.url == "postgresql+psycopg://u@h/db"
    assert s.kafka.partitions == 6


def test_default_is_embedded_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    s = BaseServiceSettings()
    assert s.embedded_broker
    assert s.bootstrap_servers == f"127.0.0.1:{s.kafka.embedded_port}"


def test_frozen() -> None:
    s = BaseServiceSettings()
    with pytest.raises(Exception, match="frozen"):
        s.log_level = "DEBUG"  # type: ignore[misc]


def test_secrets_masked_and_placeholders_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    s = NotifierSettings(
        crm_webhook_url="http://crm", crm_webhook_secrets=["a-real-secret-of-32-characters!!"]
    )
    assert "a-real-secret" not in repr(s)
    assert "a-real-secret" not in str(s.model_dump())
    monkeypatch.setenv("TRIGGERWATCH_CRM_WEBHOOK_SECRETS", '["changeme"]')
    with pytest.raises(ConfigError, match="placeholder"):
        load(NotifierSettings)
    monkeypatch.setenv("TRIGGERWATCH_CRM_WEBHOOK_SECRETS", '["short"]')
    with pytest.raises(ConfigError, match="16 characters"):
        load(NotifierSettings)


def test_invalid_value_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIGGERWATCH_KAFKA__PARTITIONS", "zero")
    with pytest.raises(ConfigError, match=r"kafka\.partitions"):
        load(WorkerSettings)
