"""The sink table: each sink's name, what it needs from the settings, and how it is built.

:func:`check_sinks` runs at start (``triggerwatch notifier``): a configured sink that lacks what it
needs is a :class:`ConfigError` naming the missing variables (exit code 2), never a retry later.
:func:`build_sinks` checks the same table first, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from triggerwatch.core.errors import ConfigError
from triggerwatch.core.rules import load_rules
from triggerwatch.core.settings import NotifierSettings
from triggerwatch.notifier.sinks.base import Sink
from triggerwatch.notifier.sinks.console import ConsoleSink
from triggerwatch.notifier.sinks.crm import CrmSink
from triggerwatch.notifier.sinks.dynamics import DynamicsSink
from triggerwatch.notifier.sinks.email import EmailSink
from triggerwatch.notifier.sinks.slack import SlackSink


@dataclass(frozen=True)
class SinkType:
    missing: Callable[[NotifierSettings], str | None]  # what the settings lack, or None
    build: Callable[[NotifierSettings, str | None], Sink]  # (settings, language override) -> sink


def _secret(value: object) -> str | None:
    get = getattr(value, "get_secret_value", None)
    return get() if get is not None else None


def _slack_missing(s: NotifierSettings) -> str | None:
    if s.slack_webhook_url is None and s.slack_bot_token is None:
        return "neither TRIGGERWATCH_SLACK_WEBHOOK_URL nor TRIGGERWATCH_SLACK_BOT_TOKEN is set"
    return None


def _dynamics_missing(s: NotifierSettings) -> str | None:
    needed = (s.dynamics_api_url, s.dynamics_token_url, s.dynamics_client_id, s.dynamics_client_secret)
    if not (all(needed) and s.dynamics_scope):
        return "it needs TRIGGERWATCH_DYNAMICS_API_URL, _TOKEN_URL, _CLIENT_ID, _CLIENT_SECRET and _SCOPE"
    return None


def _crm_missing(s: NotifierSettings) -> str | None:
    if not s.crm_webhook_url or not s.crm_webhook_secrets:
        return "it needs TRIGGERWATCH_CRM_WEBHOOK_URL and TRIGGERWATCH_CRM_WEBHOOK_SECRETS"
    return None


SINK_TYPES: dict[str, SinkType] = {
    "console": SinkType(lambda s: None, lambda s, language: ConsoleSink(language=language)),
    "slack": SinkType(
        _slack_missing,
        lambda s, language: SlackSink(
            _secret(s.slack_webhook_url),
            bot_token=_secret(s.slack_bot_token),
            base_url=s.slack_api_url,
            default_channel=s.slack_default_channel,
            min_interval_s=s.slack_min_interval_s,
            language=language,
        ),
    ),
    "email": SinkType(
        lambda s: None if s.email_to else "TRIGGERWATCH_EMAIL_TO is not set",
        lambda s, language: EmailSink(
            host=s.smtp_host,
            port=s.smtp_port,
            sender=s.email_from,
            recipients=s.email_to,
            username=s.smtp_username,
            password=_secret(s.smtp_password),
            starttls=s.smtp_starttls,
            language=language,
        ),
    ),
    "crm": SinkType(
        _crm_missing,
        lambda s, language: CrmSink(
            s.crm_webhook_url or "",
            [secret.get_secret_value() for secret in s.crm_webhook_secrets],
            timeout_s=s.crm_timeout_s,
        ),
    ),
    "dynamics": SinkType(
        _dynamics_missing,
        lambda s, language: DynamicsSink(
            api_url=s.dynamics_api_url or "",
            token_url=s.dynamics_token_url or "",
            client_id=s.dynamics_client_id or "",
            client_secret=_secret(s.dynamics_client_secret) or "",
            scope=s.dynamics_scope or "",
            business_id_field=s.dynamics_business_id_field,
            entity=s.dynamics_entity,
            users=load_rules(s.rules_file).routing.dynamics_users(),
        ),
    ),
}


def check_sinks(settings: NotifierSettings) -> None:
    """Fail at start when a configured sink is unknown or lacks what it needs (a config error)."""
    unknown = set(settings.sinks) - set(SINK_TYPES)
    if unknown:
        raise ConfigError(f"unknown sinks {sorted(unknown)}; known: {sorted(SINK_TYPES)}")
    for name in dict.fromkeys(settings.sinks):
        missing = SINK_TYPES[name].missing(settings)
        if missing:
            raise ConfigError(f"sink {name!r} is enabled but {missing}")


def build_sinks(settings: NotifierSettings) -> list[Sink]:
    """The sinks named in ``settings.sinks``, checked first (:func:`check_sinks`).

    An explicitly set ``language`` overrides each alert's own; otherwise the alert's is used.
    """
    check_sinks(settings)
    language = settings.language if "language" in settings.model_fields_set else None
    return [SINK_TYPES[name].build(settings, language) for name in dict.fromkeys(settings.sinks)]
