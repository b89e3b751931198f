"""Loading company master data, target groups and scores from a YAML/JSON file.

The scoring pipeline produces the same three lists; this loader is how demo data and hand-made
target groups get in. Each score is also queued for the compacted targets topic.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import insert

from triggerwatch.core.businessid import normalise_business_id
from triggerwatch.core.contracts import TargetScoreV1, encode
from triggerwatch.core.db import Company, CompanyScore, Database, Outbox, TargetGroup
from triggerwatch.core.errors import ConfigError
from triggerwatch.core.names import name_key
from triggerwatch.core.outbox import outbox_row
from triggerwatch.core.upsert import upsert


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("business_id", check_fields=False)
    @classmethod
    def _bid(cls, v: str) -> str:
        normalised = normalise_business_id(v)
        if normalised is None:
            raise ValueError(f"invalid business ID {v!r} (check digit)")
        return normalised


class CompanyIn(_Row):
    business_id: str
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    company_form: str | None = None
    industry_code: str | None = None
    industry_tol_version: str | None = None
    municipality: str | None = None
    region: str | None = None
    website: str | None = None


class TargetGroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target_group_id: str
    product_group: str
    rule: str
    rule_fi: str | None = None
    expected_value: float | None = None
    size: int | None = None


class ScoreIn(_Row):
    business_id: str
    product_group: str
    target_group_id: str
    score: float = Field(ge=0, le=1)


class TargetFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    companies: list[CompanyIn] = Field(default_factory=list)
    target_groups: list[TargetGroupIn] = Field(default_factory=list)
    scores: list[ScoreIn] = Field(default_factory=list)


def read_target_file(path: Path) -> TargetFile:
    try:
        text = path.read_text(encoding="utf-8")
        data: Any = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        return TargetFile.model_validate(data)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        if isinstance(exc, ValidationError):
            details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ConfigError(f"{path}: {details}") from exc
        raise ConfigError(f"{path}: {exc}") from exc


def load_targets(db: Database, data: TargetFile) -> dict[str, int]:
    """Upsert companies, target groups and scores; queue each score for the targets topic."""
    now = datetime.now(UTC)
    with db.session() as s:
        for c in data.companies:
            s.merge(Company(**c.model_dump(), name_key=name_key(c.name), is_active=True, updated_at=now))
        for g in data.target_groups:
            s.merge(TargetGroup(**g.model_dump(), updated_at=now))
        s.flush()
        rules: dict[str, str] = {g.target_group_id: g.rule for g in data.target_groups}
        scores: list[dict[str, Any]] = []
        messages: list[dict[str, Any]] = []
        for sc in data.scores:
            rule = rules.get(sc.target_group_id)
            if rule is None:
                group = s.get(TargetGroup, sc.target_group_id)
                if group is None:
                    raise ConfigError(
                        f"score for {sc.business_id} names unknown target group {sc.target_group_id}"
                    )
                rule = rules[sc.target_group_id] = group.rule
            scores.append({**sc.model_dump(), "rule_path": rule, "scored_at": now})
            msg = TargetScoreV1(
                business_id=sc.business_id,
                product_group=sc.product_group,
                target_group_id=sc.target_group_id,
                score=sc.score,
                rule=rule,
                scored_at=now,
            )
            messages.append(outbox_row("targets", msg.key(), encode(msg), msg.key()))
        # one statement each, executed with every row (a merge per score is a round trip per score)
        upsert(
            s,
            CompanyScore,
            scores,
            ["business_id", "product_group"],
            set_=lambda new: {
                "target_group_id": new.target_group_id,
                "score": new.score,
                "rule_path": new.rule_path,
                "scored_at": new.scored_at,
            },
        )
        if messages:
            s.execute(insert(Outbox), messages)
    return {
        "companies": len(data.companies),
        "target_groups": len(data.target_groups),
        "scores": len(data.scores),
    }
