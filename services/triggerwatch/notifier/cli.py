"""``triggerwatch objections add|list|remove`` and ``triggerwatch retention run``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from triggerwatch.core.settings import NotifierSettings, load

objections_app = typer.Typer(
    no_args_is_help=True, help="The objection register (GDPR Art. 21): never contact these."
)
retention_app = typer.Typer(no_args_is_help=True, help="Purge personal data after the retention period.")
out = Console(soft_wrap=True)

Kind = Annotated[str, typer.Argument(help="business_id | person | email")]


def _db() -> tuple[NotifierSettings, object]:
    from triggerwatch.core.db import Database

    settings: NotifierSettings = load(NotifierSettings)
    db = Database(settings.database.url)
    db.upgrade()
    return settings, db


@objections_app.command("add")
def objections_add(
    kind: Kind, value: str, reason: Annotated[str | None, typer.Option(help="why, for the record")] = None
) -> None:
    """Register an objection; alerts for this business or naming this person are never delivered."""
    from triggerwatch.core.db import Database
    from triggerwatch.core.objections import add_objection

    _, db = _db()
    assert isinstance(db, Database)
    try:
        with db.session() as session:
            added = add_objection(session, kind, value, reason)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    out.print(f"{'added' if added else 'already registered'}: {kind} {value}")


@objections_app.command("list")
def objections_list() -> None:
    """Every registered objection, one per line (kind, value, since, reason)."""
    from triggerwatch.core.db import Database
    from triggerwatch.core.objections import list_objections

    _, db = _db()
    assert isinstance(db, Database)
    with db.session() as session:
        for row in list_objections(session):
            out.print(f"{row.kind}\t{row.value}\t{row.created_at.date().isoformat()}\t{row.reason or ''}")


@objections_app.command("remove")
def objections_remove(kind: Kind, value: str) -> None:
    """Remove an objection (e.g. the person withdrew it)."""
    from triggerwatch.core.db import Database
    from triggerwatch.core.objections import remove_objection

    _, db = _db()
    assert isinstance(db, Database)
    try:
        with db.session() as session:
            removed = remove_objection(session, kind, value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if not removed:
        out.print(f"not registered: {kind} {value}")
        raise typer.Exit(1)
    out.print(f"removed: {kind} {value}")


@retention_app.command("run")
def retention_run(
    days: Annotated[float | None, typer.Option(help="defaults to TRIGGERWATCH_RETENTION_DAYS")] = None,
) -> None:
    """Purge person names from events and alerts older than the retention period."""
    from triggerwatch.core.db import Database
    from triggerwatch.notifier.retention import run_retention

    settings, db = _db()
    assert isinstance(db, Database)
    result = run_retention(db, days if days is not None else settings.retention_days)
    out.print(f"purged: {result.events} events, {result.alerts} alerts, {result.decisions} decisions")
