from __future__ import annotations

from pathlib import Path

import pytest

from triggerwatch.core.contracts import EventKind, Priority
from triggerwatch.core.errors import ConfigError
from triggerwatch.core.rules import load_rules
from triggerwatch.core.settings import CONFIG_DIR


def test_shipped_rules_load() -> None:
    rules = load_rules(CONFIG_DIR / "rules.yaml")
    assert rules.match(EventKind.RECRUITMENT, "anything") is not None
    assert rules.match(EventKind.NEWS, "anything") is None
    assert rules.priority(0.9) == Priority.HIGH
    assert rules.priority(0.3) == Priority.MEDIUM
    assert rules.priority(0.1) == Priority.LOW
    assert rules.routing.owner("x", None) == "sales-team"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules: []", "rules"),
        ("rules: [{kind: nonsense, why: {en: a, fi: b}, next_step: {en: a, fi: b}}]", "kind"),
        (
            "rules: [{kind: recruitment, min_score: 2, why: {en: a, fi: b}, next_step: {en: a, fi: b}}]",
            "min_score",
        ),
        ("rules: [{kind: recruitment, why: {en: a}, next_step: {en: a, fi: b}}]", "fi"),
        ("rules: [unclosed", "rules file"),
    ],
)
def test_bad_rules_fail_at_start(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_rules(path)


def test_missing_rules_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_rules(tmp_path / "nope.yaml")
