"""``triggerwatch registry load PATH|URL``: bulk-load YTJ companies with a progress bar."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import IO, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from triggerwatch.registry.ytj import PRH_ATTRIBUTION

app = typer.Typer(no_args_is_help=True, help="PRH company register (YTJ): bulk load and change detection.")
err = Console(stderr=True, soft_wrap=True)

ALL_COMPANIES_URL = "https://avoindata.prh.fi/opendata-ytj-api/v3/all_companies"


def _download(url: str, user_agent: str, target: IO[bytes], progress: Progress) -> None:
    import httpx

    with httpx.stream(
        "GET", url, headers={"User-Agent": user_agent}, timeout=60.0, follow_redirects=True
    ) as r:
        r.raise_for_status()
        total = int(r.headers.get("content-length") or 0) or None
        task = progress.add_task("download", total=total)
        for chunk in r.iter_bytes(1 << 20):
            target.write(chunk)
            progress.advance(task, len(chunk))
    target.flush()
    target.seek(0)


@app.command("load")
def load_cmd(
    source: Annotated[
        str,
        typer.Argument(
            help=f"a file (zip, JSON array, response or JSON lines) or URL, e.g. {ALL_COMPANIES_URL}"
        ),
    ],
    batch_size: Annotated[int, typer.Option(min=1, max=50000)] = 2000,
    no_events: Annotated[
        bool, typer.Option("--no-events", help="do not emit registry_change events")
    ] = False,
) -> None:
    """Stream every record into the companies table (upsert), emitting change events via the outbox."""
    from triggerwatch.core.db import Database
    from triggerwatch.core.settings import CollectorSettings, load
    from triggerwatch.registry.loader import load_companies

    settings: CollectorSettings = load(CollectorSettings)
    db = Database(settings.database.url)
    db.upgrade()
    err.print(PRH_ATTRIBUTION)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} records"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False) as progress, tempfile.TemporaryFile() as spool:
        if source.startswith(("http://", "https://")):
            _download(source, settings.user_agent, spool, progress)
            stream: IO[bytes] = spool
        else:
            path = Path(source)
            if not path.exists():
                raise typer.BadParameter(f"{path} does not exist")
            stream = path.open("rb")
        task = progress.add_task("load", total=None)
        try:
            report = load_companies(
                db,
                stream,
                batch_size=batch_size,
                emit_changes=not no_events,
                progress=lambda n: progress.update(task, completed=n),
            )
        finally:
            if stream is not spool:
                stream.close()
    db.dispose()
    typer.echo(
        f"{report.records} records: {report.inserted} new, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(report.dead_letters)} dead-lettered, {report.events} events"
    )
