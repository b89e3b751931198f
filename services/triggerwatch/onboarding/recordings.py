"""``triggerwatch demo --recordings DIR``: replay a user's own recorded payloads."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from triggerwatch.core.errors import ConfigError


def check_recordings(sources: Mapping[str, Any], directory: Path) -> list[str]:
    """The enabled sources' recordings in ``directory`` (their ``replay_file`` names); a missing
    directory or recording is a :class:`ConfigError` that names every file expected."""
    if not directory.is_dir():
        raise ConfigError(f"--recordings {directory}: no such directory")
    missing = []
    found = []
    for name, source in sorted(sources.items()):
        replay_file = source.config.replay_file
        if not replay_file or not (directory / replay_file).is_file():
            missing.append(f"{name} (expects {directory / (replay_file or '<no replay_file set>')})")
        else:
            found.append(replay_file)
    if missing:
        raise ConfigError(
            "no recording for the enabled sources "
            + ", ".join(missing)
            + ": record them, or point TRIGGERWATCH_SOURCES_FILE at a sources file that enables only the "
            "sources you have recordings for (each entry's replay_file names its file in the directory)"
        )
    return found
