"""The sources file (``deploy/config/sources.yaml``): each source's name, type, schedule and options.

Read here, in the kernel, because more than one service needs it: the collectors build a collector
per source from it (``triggerwatch.collectors.registry``, which validates each type's options), the
web service reads each source's expected interval for the silent-source watchdog.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from triggerwatch.core.errors import ConfigError


class Schedule(BaseModel):
    """Either a fixed interval or a crontab expression (APScheduler's CronTrigger syntax)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    interval_s: float | None = Field(None, ge=10)
    cron: str | None = None
    jitter_s: int = Field(30, ge=0)

    @model_validator(mode="after")
    def _one(self) -> Schedule:
        if (self.interval_s is None) == (self.cron is None):
            raise ValueError("a schedule needs exactly one of interval_s or cron")
        if self.cron is not None:
            from apscheduler.triggers.cron import CronTrigger

            CronTrigger.from_crontab(self.cron)  # a bad expression fails when the config loads
        return self


class SourceConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$")
    type: str
    enabled: bool = True
    demo: bool | None = Field(
        None,
        description="replayed in replay mode (`triggerwatch demo`) from its replay_file; "
        "default: as enabled. A retired feed is `enabled: false, demo: true`: "
        "replayed by the demo, never polled live",
    )
    schedule: Schedule | None = None
    expected_interval_s: float | None = Field(None, gt=0, description="silent-source alarm threshold")
    replay_file: str | None = Field(None, description="recorded payload used by replay mode")
    licence: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    # fetch limits of this source (unset: TRIGGERWATCH_HTTP_MAX_BODY_MB / _HTTP_POLL_DEADLINE_S)
    max_body_mb: float | None = Field(None, gt=0, description="a response body past this is refused")
    poll_deadline_s: float | None = Field(None, gt=0, description="a poll, retries included, ends by then")

    def selected(self, *, replay: bool = False) -> bool:
        """Polled live (``enabled``), or, in replay mode, replayed (``demo``, default ``enabled``)."""
        if not replay:
            return self.enabled
        return self.enabled if self.demo is None else self.demo

    def expected_interval(self, default: Schedule | None = None) -> float | None:
        """How long the source may stay silent: declared, else its schedule's interval (the
        configured one, else ``default``, the collector type's own)."""
        if self.expected_interval_s:
            return float(self.expected_interval_s)
        schedule = self.schedule or default
        return float(schedule.interval_s) if schedule and schedule.interval_s else None


def read_source_configs(
    path: Path, *, include_disabled: bool = False, replay: bool = False
) -> dict[str, SourceConfig]:
    """The sources of ``path`` by name: the enabled ones (with ``replay``, the ones the demo
    replays), or all with ``include_disabled``; a bad file is a :class:`ConfigError` naming what is
    wrong."""
    if not path.exists():
        raise ConfigError(f"sources file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"sources file {path}: {exc}") from exc
    raw_sources = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(raw_sources, list):
        raise ConfigError(f"sources file {path}: expected a top-level 'sources:' list")
    configs: dict[str, SourceConfig] = {}
    seen: set[str] = set()  # disabled sources count too: a name is unique in the whole file
    for raw in raw_sources:
        try:
            config = SourceConfig.model_validate(raw)
        except ValidationError as exc:
            raise ConfigError(f"sources file {path}: {exc}") from exc
        if config.name in seen:
            raise ConfigError(f"sources file {path}: duplicate source name {config.name!r}")
        seen.add(config.name)
        if include_disabled or config.selected(replay=replay):
            configs[config.name] = config
    return configs
