"""Text commands: ``triggerwatch link`` (company mentions) and the text half of ``triggerwatch
classify`` (triggers), both printing JSON lines."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from triggerwatch.core.errors import ConfigError
from triggerwatch.text.classify import Classification, classify_all
from triggerwatch.text.linker import CompanyLinker


def read_names_csv(path: Path) -> list[tuple[str, str]]:
    """Rows of a CSV with header ``id,name`` (rows sharing an id are aliases)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or not {"id", "name"} <= set(reader.fieldnames):
            raise ConfigError(f"{path}: needs a header with the columns id,name")
        return [(row["id"], row["name"]) for row in reader if row.get("id") and row.get("name")]


def link_command(
    files: Annotated[list[Path], typer.Argument(help="text files (UTF-8)", exists=True, dir_okay=False)],
    names: Annotated[
        Path | None,
        typer.Option("--names", help="CSV id,name to build the index from (instead of the company table)"),
    ] = None,
    unlinked: Annotated[
        bool,
        typer.Option("--unlinked", help="also print the mentions left unlinked (to stderr), with the reason"),
    ] = False,
) -> None:
    """Print one JSON line per linked company mention (character offsets into each file's text)."""
    if names is not None:
        linker = CompanyLinker.from_names(read_names_csv(names))
    else:
        from triggerwatch.core.db import Database
        from triggerwatch.core.settings import BaseServiceSettings, load

        settings: BaseServiceSettings = load(BaseServiceSettings)
        db = Database(settings.database.url)
        db.upgrade()
        linker = CompanyLinker.from_database(db)
    for path in files:
        text = path.read_text(encoding="utf-8")
        result = linker.analyse(text)
        if unlinked:
            for u in result.unlinked:
                line = {"file": str(path), "start": u.start, "end": u.end, "surface": u.surface}
                line |= {"unlinked": True, "reason": u.reason, "candidates": list(u.candidates)}
                sys.stderr.write(json.dumps(line, ensure_ascii=False) + "\n")
        for m in result.mentions:
            record = {
                "file": str(path),
                "start": m.start,
                "end": m.end,
                "surface": m.surface,
                "company_id": m.company_id,
                "name": m.name,
                "confidence": m.confidence,
            }
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")


def make_linker(names: Path | None, db: bool) -> CompanyLinker | None:
    """A linker from a names CSV, from the company table (``db``), or None (capitalised names)."""
    if names is not None:
        return CompanyLinker.from_names(read_names_csv(names))
    if not db:
        return None
    from triggerwatch.core.db import Database
    from triggerwatch.core.settings import BaseServiceSettings, load

    settings: BaseServiceSettings = load(BaseServiceSettings)
    database = Database(settings.database.url)
    database.upgrade()
    return CompanyLinker.from_database(database)


def split_document(text: str) -> tuple[str, str]:
    """A text file as an item: the first non-empty line is the title, the rest the body."""
    lines = text.strip().splitlines()
    if not lines:
        return "", ""
    return lines[0].strip(), "\n".join(lines[1:]).strip()


def trigger_records(found: list[Classification], source: dict[str, object]) -> list[dict[str, object]]:
    """One JSON-able record per trigger (``kind`` "news" and no subjects when there is none)."""
    if not found:
        return [{**source, "kind": "news", "subjects": [], "confidence": None, "evidence_sentence": None}]
    records = []
    for c in found:
        attributes = {
            k: v
            for k, v in c.attributes.items()
            if k not in ("evidence_sentence", "classifier_confidence", "classifier_rule")
        }
        records.append(
            {
                **source,
                "kind": c.kind.value,
                "subjects": [s.as_dict() for s in c.subjects],
                "confidence": c.confidence,
                "evidence_sentence": c.evidence_sentence,
                "rule": c.rule,
                "attributes": attributes,
            }
        )
    return records


def classify_text(
    text: str, source: dict[str, object], language: str | None, linker: CompanyLinker | None
) -> list[dict[str, object]]:
    title, body = split_document(text)
    return trigger_records(classify_all(title, body or None, language, linker=linker), source)


def write_records(records: list[dict[str, object]]) -> None:
    for record in records:
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
